/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BEP 10 extension handshakes and BEP 11 peer exchange payloads. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "bencode/bencode.h"
#include "bt/internal.h"
#include "util/util.h"

/* Extension payloads are small; decode them with tight caps. */
static const struct bencode_limits ext_limits = {
	.max_input = BT_MAX_EXTENDED,
	.max_depth = 8,
	.max_nodes = 512,
};

#define BT_UT_PEX_ID 1

int bt_ext_handshake_build(struct buf *b, uint16_t port, bool pex)
{
	int r = bencode_put_dict_begin(b);

	/* Keys in byte order: m, p, reqq, v. */
	r = r ? r : bencode_put_cstr(b, "m");
	r = r ? r : bencode_put_dict_begin(b);
	if (pex) {
		r = r ? r : bencode_put_cstr(b, "ut_pex");
		r = r ? r : bencode_put_int(b, BT_UT_PEX_ID);
	}
	r = r ? r : bencode_put_end(b);
	if (port) {
		r = r ? r : bencode_put_cstr(b, "p");
		r = r ? r : bencode_put_int(b, port);
	}
	r = r ? r : bencode_put_cstr(b, "reqq");
	r = r ? r : bencode_put_int(b, BT_ADVERTISED_REQQ);
	r = r ? r : bencode_put_cstr(b, "v");
	r = r ? r : bencode_put_cstr(b, "BootTorrent " BT_VERSION);
	r = r ? r : bencode_put_end(b);
	return r;
}

int bt_ext_handshake_parse(const uint8_t *p, size_t len, struct bt_ext_handshake *out)
{
	struct bencode_doc doc;
	const struct bnode *root, *m;
	int64_t v;

	memset(out, 0, sizeof(*out));
	if (bencode_decode(&doc, p, len, &ext_limits, NULL) != 0)
		return BT_E_PROTOCOL;
	root = bencode_doc_root(&doc);
	if (bnode_type(root) != BNODE_DICT) {
		bencode_doc_release(&doc);
		return BT_E_PROTOCOL;
	}
	m = bnode_dict_get(root, "m");
	/* An id of 0 means "disabled"; anything past 255 is not an id. */
	if (bnode_dict_get_int(m, "ut_pex", &v) && v > 0 && v <= 255)
		out->ut_pex = (uint8_t)v;
	if (bnode_dict_get_int(root, "p", &v) && v > 0 && v <= 65535)
		out->port = (uint16_t)v;
	if (bnode_dict_get_int(root, "reqq", &v) && v > 0)
		out->reqq = (uint32_t)MIN(v, (int64_t)BT_MAX_THEIR_REQUESTS);
	bencode_doc_release(&doc);
	return 0;
}

int bt_pex_build(struct buf *b, const struct sockaddr_in *added, size_t n)
{
	uint8_t compact[6 * BT_PEX_MAX];
	uint8_t flags[BT_PEX_MAX];
	int r;

	n = MIN(n, (size_t)BT_PEX_MAX);
	for (size_t i = 0; i < n; i++) {
		memcpy(compact + 6 * i, &added[i].sin_addr.s_addr, 4);
		memcpy(compact + 6 * i + 4, &added[i].sin_port, 2);
		/* 0x10: reachable (the address is a listening one). */
		flags[i] = 0x10;
	}
	r = bencode_put_dict_begin(b);
	r = r ? r : bencode_put_cstr(b, "added");
	r = r ? r : bencode_put_str(b, compact, 6 * n);
	r = r ? r : bencode_put_cstr(b, "added.f");
	r = r ? r : bencode_put_str(b, flags, n);
	r = r ? r : bencode_put_cstr(b, "dropped");
	r = r ? r : bencode_put_str(b, "", 0);
	r = r ? r : bencode_put_end(b);
	return r;
}

int bt_pex_parse(const uint8_t *p, size_t len, struct sockaddr_in *out, size_t max, size_t *n)
{
	struct bencode_doc doc;
	const uint8_t *added;
	size_t alen;

	*n = 0;
	if (bencode_decode(&doc, p, len, &ext_limits, NULL) != 0)
		return BT_E_PROTOCOL;
	if (bnode_type(bencode_doc_root(&doc)) != BNODE_DICT) {
		bencode_doc_release(&doc);
		return BT_E_PROTOCOL;
	}
	added = bnode_dict_get_str(bencode_doc_root(&doc), "added", &alen);
	if (added && alen % 6 == 0) {
		for (size_t i = 0; i + 6 <= alen && *n < max; i += 6) {
			struct sockaddr_in *sa = &out[*n];
			memset(sa, 0, sizeof(*sa));
			sa->sin_family = AF_INET;
			memcpy(&sa->sin_addr.s_addr, added + i, 4);
			memcpy(&sa->sin_port, added + i + 4, 2);
			if (sa->sin_port == 0 || sa->sin_addr.s_addr == 0)
				continue;
			(*n)++;
		}
	} else if (added) {
		bencode_doc_release(&doc);
		return BT_E_PROTOCOL;
	}
	bencode_doc_release(&doc);
	return 0;
}
