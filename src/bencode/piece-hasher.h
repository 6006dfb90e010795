/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-1 of fixed-size pieces over a byte stream fed in chunks of any size
 * (BEP 3 "pieces"). The hasher keeps no data, only the running SHA-1 and
 * the list of finished hashes, so memory is bounded by the piece count
 * whatever the input size. It does no I/O: the caller reads (in the event
 * loop in slices, or in a worker thread) and feeds, so the same object
 * serves mktorrent, the server's hash cache and piece verification.
 *
 *   struct piece_hasher h;
 *   piece_hasher_init(&h, 262144);
 *   while ((n = read(fd, chunk, sizeof(chunk))) > 0)
 *           piece_hasher_feed(&h, chunk, n);
 *   piece_hasher_finish(&h);
 *   hashes = piece_hasher_hashes(&h, &count);
 *   ...
 *   piece_hasher_release(&h);
 */
#ifndef BT_BENCODE_PIECE_HASHER_H
#define BT_BENCODE_PIECE_HASHER_H

#include <nettle/sha1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define PIECE_HASH_SIZE 20

struct piece_hasher {
	struct sha1_ctx sha;
	uint32_t piece_length;
	uint32_t in_piece; /* bytes of the current piece fed so far */
	uint64_t total;	   /* bytes fed in all */
	uint8_t *hashes;   /* count * 20 bytes, owned */
	uint32_t count;
	uint32_t cap;
	/* Called for every finished piece, if set (e.g. to cache or verify). */
	void (*on_piece)(void *ctx, uint32_t index, const uint8_t hash[PIECE_HASH_SIZE]);
	void *ctx;
};

/* Starts an empty stream cut into pieces of piece_length (> 0) bytes. */
void piece_hasher_init(struct piece_hasher *h, uint32_t piece_length);
/* Frees the hashes; the hasher must be initialised again before reuse. */
void piece_hasher_release(struct piece_hasher *h);
/* Feeds the next len bytes of the stream. */
void piece_hasher_feed(struct piece_hasher *h, const void *data, size_t len);
/* Ends the stream: hashes the last, shorter piece if one is open. */
void piece_hasher_finish(struct piece_hasher *h);
/* The finished hashes (count * 20 bytes, owned by the hasher). */
const uint8_t *piece_hasher_hashes(const struct piece_hasher *h, uint32_t *count);
/* Hands the hashes over to the caller (free() them); the hasher is then
 * empty of hashes. Never returns NULL. */
uint8_t *piece_hasher_detach(struct piece_hasher *h, uint32_t *count);

/* One SHA-1 over a whole buffer (e.g. to check a downloaded piece). */
void piece_sha1(uint8_t out[PIECE_HASH_SIZE], const void *data, size_t len);

#endif
