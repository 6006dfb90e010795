/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The client's parser of HTTP announce replies (BEP 3, BEP 23), on top of
 * the strict bencode decoder.
 */
#include <arpa/inet.h>
#include <string.h>

#include "bencode/bencode.h"
#include "tracker/wire.h"
#include "util/cursor.h"
#include "util/util.h"

/* A reply is a small dict; a non-compact list of TRACKER_REPLY_PEERS_MAX
 * peers needs about 10 nodes each. Anything much larger is not a reply we
 * want, and the decoder stops early. */
static const struct bencode_limits reply_limits = {
	.max_input = TRACKER_HTTP_REPLY_MAX,
	.max_depth = 4,
	.max_nodes = 64 * 1024,
};

static void copy_text(char *dst, const uint8_t *p, size_t len)
{
	len = MIN(len, (size_t)TRACKER_MESSAGE_MAX);
	for (size_t i = 0; i < len; i++)
		dst[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	dst[len] = '\0';
}

static void add_peer(struct tracker_reply *r, struct in_addr addr, int64_t port)
{
	if (r->n_peers == TRACKER_REPLY_PEERS_MAX || port <= 0 || port > 65535) {
		r->n_peers_ignored++;
		return;
	}
	r->peers[r->n_peers].addr = addr;
	r->peers[r->n_peers].port = (uint16_t)port;
	r->n_peers++;
}

/* A dict entry {ip, port[, peer id]}; only dotted IPv4 addresses are
 * taken: we do not resolve host names a tracker hands us. */
static void add_dict_peer(struct tracker_reply *r, const struct bnode *d)
{
	char text[INET_ADDRSTRLEN];
	const uint8_t *ip;
	struct in_addr addr;
	size_t len;
	int64_t port;

	ip = bnode_dict_get_str(d, "ip", &len);
	if (!ip || len >= sizeof(text) || !bnode_dict_get_int(d, "port", &port)) {
		r->n_peers_ignored++;
		return;
	}
	memcpy(text, ip, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, &addr) != 1) {
		r->n_peers_ignored++;
		return;
	}
	add_peer(r, addr, port);
}

static uint32_t clamp_u32(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int tracker_http_reply_parse(const uint8_t *data, size_t len, struct tracker_reply *r)
{
	struct bencode_doc doc;
	const struct bnode *root, *peers;
	const uint8_t *s;
	size_t slen;
	int64_t v;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->complete = r->incomplete = -1;
	if (len > TRACKER_HTTP_REPLY_MAX)
		return TRACKER_E_TOO_LONG;
	if (bencode_decode(&doc, data, len, &reply_limits, NULL) != 0)
		return TRACKER_E_MALFORMED;
	root = bencode_doc_root(&doc);
	if (bnode_type(root) != BNODE_DICT) {
		ret = TRACKER_E_MALFORMED;
		goto out;
	}
	if ((s = bnode_dict_get_str(root, "failure reason", &slen))) {
		copy_text(r->failure, s, slen);
		ret = TRACKER_E_FAILURE;
		goto out;
	}
	if ((s = bnode_dict_get_str(root, "warning message", &slen)))
		copy_text(r->warning, s, slen);
	if (bnode_dict_get_int(root, "interval", &v))
		r->interval = clamp_u32(v);
	if (bnode_dict_get_int(root, "min interval", &v))
		r->min_interval = clamp_u32(v);
	if (bnode_dict_get_int(root, "complete", &v) && v >= 0)
		r->complete = v;
	if (bnode_dict_get_int(root, "incomplete", &v) && v >= 0)
		r->incomplete = v;
	peers = bnode_dict_get(root, "peers");
	if (bnode_type(peers) == BNODE_STR) {
		struct cursor c;
		s = bnode_str(peers, &slen);
		if (slen % 6 != 0) {
			ret = TRACKER_E_MALFORMED;
			goto out;
		}
		c = cursor_make(s, slen);
		while (c.len > 0) {
			struct in_addr addr;
			const uint8_t *b = c.p;
			(void)cursor_skip(&c, 6);
			memcpy(&addr.s_addr, b, 4);
			add_peer(r, addr, get_u16be(b + 4));
		}
	} else if (bnode_type(peers) == BNODE_LIST) {
		struct bnode_iter it = bnode_iter_make(peers);
		const struct bnode *item;
		while (bnode_list_next(&it, &item))
			add_dict_peer(r, item);
	} else if (peers) {
		ret = TRACKER_E_MALFORMED;
		goto out;
	}
	/* A reply without "peers" (and without a failure) is allowed: some
	 * trackers leave it out when the swarm is empty. */
out:
	bencode_doc_release(&doc);
	return ret;
}
