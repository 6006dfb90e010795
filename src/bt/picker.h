/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Which blocks to ask a peer for: a pure policy over counts and bitfields,
 * with no sockets and no clock, so every choice is unit-tested.
 *
 * - Pieces already started are finished first (in the order they started).
 * - A new piece is the rarest one the peer has (lowest availability), ties
 *   broken by a random order fixed when the picker is made, so that
 *   different nodes start on different pieces.
 * - Endgame: when every block we still need is already requested, a block
 *   may be requested again from another peer (at most BT_PICKER_MAX_DUP
 *   times in all); the caller cancels the other requests when it arrives.
 *
 * The picker also chooses pieces for super-seeding (BEP 16).
 */
#ifndef BT_BT_PICKER_H
#define BT_BT_PICKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/bitfield.h"
#include "util/util.h"

#define BT_PICKER_MAX_DUP 3

struct bt_block {
	uint32_t piece;
	uint32_t begin;
	uint32_t length;
};

struct bt_partial {
	uint32_t piece;
	uint32_t nblocks;
	uint32_t received; /* blocks with got set */
	uint32_t unreq;	   /* blocks neither received nor requested */
	uint8_t *req;	   /* outstanding requests per block */
	uint8_t *got;	   /* block received (not yet verified) */
};

struct bt_picker {
	uint32_t piece_count;
	uint32_t piece_length;
	uint64_t total_length;
	struct bt_bitfield have; /* verified pieces */
	/* Pieces neither verified nor started: the candidates for a new
	 * piece, scanned a byte at a time (every HAVE and every block asks
	 * the picker again, so a scan of every piece per call was a fifth
	 * of an agent's CPU with 64 KiB pieces at N = 32). */
	struct bt_bitfield fresh;
	uint16_t *avail;     /* how many connected peers have each piece */
	uint32_t *order;     /* random tie-break key per piece */
	int32_t *partial_of; /* piece -> index in partial[], or -1 */
	struct bt_partial *partial;
	size_t npartial;
	size_t cap_partial;
	uint64_t rng;
	bool endgame; /* set by the last pick that went to endgame */
};

/* Makes a picker for the geometry (as checked by bt_wire_set_geometry);
 * seed makes the random order (use a different one on every node). */
void bt_picker_init(struct bt_picker *p, uint32_t piece_count, uint32_t piece_length,
		    uint64_t total_length, uint64_t seed);
void bt_picker_release(struct bt_picker *p);

/* The size of piece index and its number of blocks. */
uint32_t bt_picker_piece_size(const struct bt_picker *p, uint32_t index);
uint32_t bt_picker_piece_blocks(const struct bt_picker *p, uint32_t index);

/* Availability: a peer's whole bitfield appears (delta +1) or leaves (-1),
 * or one HAVE arrives. */
void bt_picker_add_bitfield(struct bt_picker *p, const struct bt_bitfield *bf, int delta);
void bt_picker_add_have(struct bt_picker *p, uint32_t index);

/* True when the peer has a piece we do not. */
bool bt_picker_interesting(const struct bt_picker *p, const struct bt_bitfield *peer_has);

/* Chooses up to max blocks to request from a peer that has peer_has and
 * marks them requested; at most max_dup of them endgame duplicates
 * (blocks already asked of another peer). skip (may be NULL) is asked
 * about those duplicates: return true when this peer already asked for
 * that block. Returns the number of blocks written to out. */
size_t bt_picker_pick(struct bt_picker *p, const struct bt_bitfield *peer_has, struct bt_block *out,
		      size_t max, size_t max_dup,
		      bool (*skip)(void *ctx, uint32_t piece, uint32_t begin), void *ctx);

/* A request was dropped without the block (choke, reject, timeout, peer
 * gone): the block may be asked for again. */
void bt_picker_unrequest(struct bt_picker *p, uint32_t piece, uint32_t begin);

/* A block arrived. Returns 1 when it completed its piece (verify it now),
 * 0 when more blocks are needed, -1 when the block was not wanted (a
 * duplicate, or a piece we have or never asked for). */
int bt_picker_received(struct bt_picker *p, uint32_t piece, uint32_t begin, uint32_t length);

/* The verdict on a complete piece: ok marks it ours; otherwise every block
 * of it is needed again. */
void bt_picker_verified(struct bt_picker *p, uint32_t piece, bool ok);

/* Marks a piece as ours without download (resume or seeding). */
void bt_picker_set_have(struct bt_picker *p, uint32_t piece);

/* True when the block is still wanted (its piece is not ours and the block
 * not received). */
bool bt_picker_block_wanted(const struct bt_picker *p, uint32_t piece, uint32_t begin);

/* Bytes of verified pieces. */
uint64_t bt_picker_have_bytes(const struct bt_picker *p);

/* Super-seeding: the piece to offer a peer that has peer_has: one it lacks,
 * given to as few peers as possible (given[i] counts offers of piece i),
 * then the rarest, then in random order. Returns the index or -1. */
int64_t bt_picker_superseed_choose(const struct bt_picker *p, const uint16_t *given,
				   const struct bt_bitfield *peer_has);

/* Super-seeding: how many pieces to offer each peer at once when `peers`
 * peers are connected, so that about `total` offers are out in all:
 * between 1 and max. In a large swarm many offers at once let the server's
 * TCP flows race, and the few machines that win early hold most of the
 * rare pieces, saturate their uplinks serving them and fall behind in
 * their own download; a few offers each spread the first pieces evenly.
 * Machines that boot together connect within a fraction of a second, so
 * the count is not known at first: until settle_ms after the first offer
 * (since_ms counts from it) at most `first` each, or the first to connect
 * would take most of the rare pieces. */
uint32_t bt_picker_superseed_slots(uint32_t peers, uint32_t total, uint32_t max, int64_t since_ms,
				   int64_t settle_ms, uint32_t first);

/* The request pipeline for one peer: how many blocks to keep requested,
 * given its measured rate (bytes/s), the current target, the queue it
 * advertised (BEP 10 reqq, 0 = unknown) and whether it is snubbed.
 * queue_time seconds of the rate plus min_blocks of headroom, between
 * min_blocks and max_blocks; it grows at once and shrinks by at most 1/8
 * per call (one call per second). */
uint32_t bt_picker_queue_target(double rate, uint32_t current, uint32_t their_reqq, bool snubbed,
				double queue_time, uint32_t min_blocks, uint32_t max_blocks);

#endif
