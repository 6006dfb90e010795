/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "bencode/piece-hasher.h"

void piece_hasher_init(struct piece_hasher *h, uint32_t piece_length)
{
	*h = (struct piece_hasher){.piece_length = piece_length ? piece_length : 1};
	sha1_init(&h->sha);
}

void piece_hasher_release(struct piece_hasher *h)
{
	free(h->hashes);
	h->hashes = NULL;
	h->count = h->cap = 0;
}

static void piece_done(struct piece_hasher *h)
{
	uint8_t *out;

	if (h->count == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 256;
		h->hashes = xrealloc(h->hashes, (size_t)cap * PIECE_HASH_SIZE);
		h->cap = cap;
	}
	out = h->hashes + (size_t)h->count * PIECE_HASH_SIZE;
	/* nettle's digest also resets the context for the next piece. */
	sha1_digest(&h->sha, PIECE_HASH_SIZE, out);
	h->in_piece = 0;
	if (h->on_piece)
		h->on_piece(h->ctx, h->count, out);
	h->count++;
}

void piece_hasher_feed(struct piece_hasher *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	h->total += len;
	while (len > 0) {
		size_t take = MIN(len, (size_t)(h->piece_length - h->in_piece));
		sha1_update(&h->sha, take, p);
		h->in_piece += (uint32_t)take;
		p += take;
		len -= take;
		if (h->in_piece == h->piece_length)
			piece_done(h);
	}
}

void piece_hasher_finish(struct piece_hasher *h)
{
	if (h->in_piece > 0)
		piece_done(h);
}

const uint8_t *piece_hasher_hashes(const struct piece_hasher *h, uint32_t *count)
{
	*count = h->count;
	return h->hashes;
}

uint8_t *piece_hasher_detach(struct piece_hasher *h, uint32_t *count)
{
	uint8_t *p = h->hashes ? h->hashes : xcalloc(1, 1);

	*count = h->count;
	h->hashes = NULL;
	h->count = h->cap = 0;
	return p;
}

void piece_sha1(uint8_t out[PIECE_HASH_SIZE], const void *data, size_t len)
{
	struct sha1_ctx sha;

	sha1_init(&sha);
	sha1_update(&sha, len, data);
	sha1_digest(&sha, PIECE_HASH_SIZE, out);
}
