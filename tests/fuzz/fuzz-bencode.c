/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes the bencode decoder. The oracle: the decoder only accepts
 * canonical bencode, so every accepted input must encode back to exactly
 * the same bytes, and every node's raw span must re-encode to itself.
 * Rejected inputs must leave an empty doc and a sane error offset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode/bencode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_node(const struct bnode *n)
{
	struct buf b;
	const uint8_t *raw;
	size_t len;

	buf_init(&b, 0);
	if (bencode_put_node(&b, n) != 0)
		abort();
	raw = bnode_raw(n, &len);
	if (b.len != len || memcmp(b.data, raw, len) != 0)
		abort();
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bencode_limits lim = {.max_depth = 32, .max_nodes = 4096};
	struct bencode_error err;
	struct bencode_doc doc;
	const struct bnode *root;
	size_t used;
	struct buf b;
	int r;

	r = bencode_decode(&doc, data, size, &lim, &err);
	if (r != 0) {
		if (r != err.code || err.offset > size || bencode_doc_root(&doc))
			abort();
	} else {
		root = bencode_doc_root(&doc);
		buf_init(&b, 0);
		if (bencode_put_node(&b, root) != 0 || b.len != size ||
		    memcmp(b.data, data, size) != 0)
			abort();
		buf_release(&b);
		/* Walk everything through the accessors. */
		for (size_t i = 0; i < doc.count; i++) {
			const struct bnode *n = &doc.nodes[i];
			if (bnode_type(n) == BNODE_DICT) {
				struct bnode_iter it = bnode_iter_make(n);
				const struct bnode *k, *v;
				while (bnode_dict_next(&it, &k, &v)) {
					size_t klen;
					const uint8_t *kp = bnode_str(k, &klen);
					if (!kp || bnode_dict_getn(n, kp, klen) != v)
						abort();
				}
			}
			if (i < 64)
				check_node(n);
		}
	}
	bencode_doc_release(&doc);

	/* The prefix decoder agrees with the strict one where both apply. */
	r = bencode_decode_prefix(&doc, data, size, &lim, &err, &used);
	if (r == 0) {
		if (used == 0 || used > size)
			abort();
		check_node(bencode_doc_root(&doc));
	}
	bencode_doc_release(&doc);
	return 0;
}
