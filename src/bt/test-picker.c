/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bt/picker.h"
#include "bt/wire.h"

#define PL (4 * BT_BLOCK_SIZE)

/* xorshift64: the random steps of test_counts_random, the same each run. */
static uint64_t rng_step(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void peer_with(struct bt_bitfield *bf, uint32_t count, const uint32_t *pieces, size_t n)
{
	bt_bitfield_init(bf, count);
	for (size_t i = 0; i < n; i++)
		bt_bitfield_set(bf, pieces[i]);
}

static void test_rarest_first(void **state)
{
	struct bt_picker p;
	struct bt_bitfield a, b, c;
	struct bt_block out[8];
	static const uint32_t pa[] = {0, 1, 2, 3}, pb[] = {0, 1, 2}, pc[] = {0, 1};

	bt_picker_init(&p, 4, PL, 4 * PL, 1);
	peer_with(&a, 4, pa, 4);
	peer_with(&b, 4, pb, 3);
	peer_with(&c, 4, pc, 2);
	bt_picker_add_bitfield(&p, &a, 1);
	bt_picker_add_bitfield(&p, &b, 1);
	bt_picker_add_bitfield(&p, &c, 1);
	/* Piece 3 is held by one peer only: asked for first, all its blocks. */
	assert_int_equal(bt_picker_pick(&p, &a, out, 4, SIZE_MAX, NULL, NULL), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(out[i].piece, 3);
		assert_int_equal(out[i].begin, (uint32_t)i * BT_BLOCK_SIZE);
		assert_int_equal(out[i].length, BT_BLOCK_SIZE);
	}
	/* Next the rarer piece 2 (2 holders), then 0/1. */
	assert_int_equal(bt_picker_pick(&p, &a, out, 5, SIZE_MAX, NULL, NULL), 5);
	assert_int_equal(out[0].piece, 2);
	assert_int_equal(out[4].piece == 0 || out[4].piece == 1, 1);
	assert_false(p.endgame);
	bt_picker_release(&p);
	bt_bitfield_release(&a);
	bt_bitfield_release(&b);
	bt_bitfield_release(&c);
}

static void test_tie_break_random(void **state)
{
	/* With equal availability, different seeds start on different pieces. */
	struct bt_bitfield all;
	struct bt_block out[1];
	unsigned seen[64] = {0}, distinct = 0;

	bt_bitfield_init(&all, 64);
	bt_bitfield_set_all(&all);
	for (uint64_t seed = 1; seed <= 32; seed++) {
		struct bt_picker p;
		bt_picker_init(&p, 64, PL, 64 * PL, seed);
		bt_picker_add_bitfield(&p, &all, 1);
		assert_int_equal(bt_picker_pick(&p, &all, out, 1, SIZE_MAX, NULL, NULL), 1);
		if (!seen[out[0].piece]++)
			distinct++;
		bt_picker_release(&p);
	}
	assert_true(distinct >= 10);
	bt_bitfield_release(&all);
}

static void test_finish_started_first(void **state)
{
	struct bt_picker p;
	struct bt_bitfield all;
	struct bt_block out[8];
	uint32_t first;

	bt_bitfield_init(&all, 8);
	bt_bitfield_set_all(&all);
	bt_picker_init(&p, 8, PL, 8 * PL, 7);
	bt_picker_add_bitfield(&p, &all, 1);
	assert_int_equal(bt_picker_pick(&p, &all, out, 2, SIZE_MAX, NULL, NULL), 2);
	first = out[0].piece;
	/* A request is dropped: that block comes back before anything new. */
	bt_picker_unrequest(&p, first, BT_BLOCK_SIZE);
	assert_int_equal(bt_picker_pick(&p, &all, out, 3, SIZE_MAX, NULL, NULL), 3);
	assert_int_equal(out[0].piece, first);
	assert_int_equal(out[0].begin, BT_BLOCK_SIZE);
	assert_int_equal(out[1].piece, first);
	assert_int_equal(out[2].piece, first);
	bt_picker_release(&p);
	bt_bitfield_release(&all);
}

static bool skip_same(void *ctx, uint32_t piece, uint32_t begin)
{
	const struct bt_block *mine = ctx;
	for (int i = 0; i < 4; i++)
		if (mine[i].piece == piece && mine[i].begin == begin)
			return true;
	return false;
}

static void test_endgame_and_verify(void **state)
{
	struct bt_picker p;
	struct bt_bitfield all;
	struct bt_block a[4], b[4];

	bt_bitfield_init(&all, 1);
	bt_bitfield_set_all(&all);
	bt_picker_init(&p, 1, PL, PL - 100, 3);
	bt_picker_add_bitfield(&p, &all, 1);
	assert_int_equal(bt_picker_piece_blocks(&p, 0), 4);
	assert_int_equal(bt_picker_pick(&p, &all, a, 4, SIZE_MAX, NULL, NULL), 4);
	assert_int_equal(a[3].length, BT_BLOCK_SIZE - 100);
	assert_false(p.endgame);
	/* Everything is requested: a second peer gets duplicates (endgame),
	 * but not blocks it asked for itself. */
	assert_int_equal(bt_picker_pick(&p, &all, b, 4, SIZE_MAX, skip_same, a), 0);
	/* No duplicates for a peer that may take none; max_dup caps the
	 * rest, the least-requested blocks first. */
	assert_int_equal(bt_picker_pick(&p, &all, b, 4, 0, NULL, NULL), 0);
	assert_false(p.endgame);
	assert_int_equal(bt_picker_pick(&p, &all, b, 4, 1, NULL, NULL), 1);
	assert_int_equal(b[0].begin, 0);
	assert_true(p.endgame);
	assert_int_equal(bt_picker_pick(&p, &all, b, 4, SIZE_MAX, NULL, NULL), 4);
	assert_int_equal(b[0].begin, BT_BLOCK_SIZE);
	assert_int_equal(b[3].begin, 0);
	/* Up to BT_PICKER_MAX_DUP requests per block in all. */
	assert_int_equal(bt_picker_pick(&p, &all, b, 4, SIZE_MAX, NULL, NULL), 3);
	assert_int_equal(bt_picker_pick(&p, &all, b, 4, SIZE_MAX, NULL, NULL), 0);
	/* Blocks arrive; duplicates and wrong lengths are refused. */
	assert_int_equal(bt_picker_received(&p, 0, 0, BT_BLOCK_SIZE), 0);
	assert_int_equal(bt_picker_received(&p, 0, 0, BT_BLOCK_SIZE), -1);
	assert_int_equal(bt_picker_received(&p, 0, 100, BT_BLOCK_SIZE), -1);
	assert_int_equal(bt_picker_received(&p, 0, 3 * BT_BLOCK_SIZE, BT_BLOCK_SIZE), -1);
	assert_false(bt_picker_block_wanted(&p, 0, 0));
	assert_true(bt_picker_block_wanted(&p, 0, BT_BLOCK_SIZE));
	assert_int_equal(bt_picker_received(&p, 0, BT_BLOCK_SIZE, BT_BLOCK_SIZE), 0);
	assert_int_equal(bt_picker_received(&p, 0, 2 * BT_BLOCK_SIZE, BT_BLOCK_SIZE), 0);
	assert_int_equal(bt_picker_received(&p, 0, 3 * BT_BLOCK_SIZE, BT_BLOCK_SIZE - 100), 1);
	/* A bad hash: the piece is needed again from scratch. */
	bt_picker_verified(&p, 0, false);
	assert_true(bt_picker_block_wanted(&p, 0, 0));
	assert_int_equal(bt_picker_pick(&p, &all, a, 8, SIZE_MAX, NULL, NULL), 4);
	for (int i = 0; i < 4; i++)
		bt_picker_received(&p, 0, a[i].begin, a[i].length);
	bt_picker_verified(&p, 0, true);
	assert_int_equal(bt_picker_have_bytes(&p), PL - 100);
	assert_false(bt_picker_interesting(&p, &all));
	assert_int_equal(bt_picker_pick(&p, &all, a, 8, SIZE_MAX, NULL, NULL), 0);
	assert_int_equal(bt_picker_received(&p, 0, 0, BT_BLOCK_SIZE), -1);
	bt_picker_release(&p);
	bt_bitfield_release(&all);
}

static void test_interest(void **state)
{
	struct bt_picker p;
	struct bt_bitfield peer;
	static const uint32_t has[] = {5};

	bt_picker_init(&p, 9, PL, 9 * PL, 1);
	peer_with(&peer, 9, has, 1);
	assert_true(bt_picker_interesting(&p, &peer));
	bt_picker_set_have(&p, 5);
	assert_false(bt_picker_interesting(&p, &peer));
	bt_picker_release(&p);
	bt_bitfield_release(&peer);
}

static void test_superseed(void **state)
{
	struct bt_picker p;
	struct bt_bitfield x, y;
	uint16_t given[4] = {0};
	static const uint32_t xh[] = {0};
	int64_t a, b;

	bt_picker_init(&p, 4, PL, 4 * PL, 5);
	for (uint32_t i = 0; i < 4; i++)
		bt_picker_set_have(&p, i);
	peer_with(&x, 4, xh, 1);
	bt_bitfield_init(&y, 4);
	bt_picker_add_bitfield(&p, &x, 1);
	/* x lacks 1..3: it gets one nobody was given. */
	a = bt_picker_superseed_choose(&p, given, &x);
	assert_true(a >= 1 && a <= 3);
	given[a]++;
	/* y gets a different one, and not piece 0 before the ungiven ones? Piece 0
	 * was never given either, but x has it (availability 1): y gets one of
	 * the pieces nobody has, never a's. */
	b = bt_picker_superseed_choose(&p, given, &y);
	assert_true(b >= 1 && b <= 3 && b != a);
	given[b]++;
	/* Once all are given, the least-given one follows. */
	given[0] = 1;
	for (uint32_t i = 0; i < 4; i++)
		given[i] = given[i] ? given[i] : 1;
	given[a] = 5;
	assert_true(bt_picker_superseed_choose(&p, given, &y) != a);
	/* A peer with everything gets nothing. */
	bt_bitfield_set_all(&y);
	assert_int_equal(bt_picker_superseed_choose(&p, given, &y), -1);
	bt_picker_release(&p);
	bt_bitfield_release(&x);
	bt_bitfield_release(&y);
}

static void test_superseed_slots(void **state)
{
	/* peers, ms since the first offer -> offers each, with 64 out in
	 * all, at most 6 each, and 2 each for the first 500 ms. */
	static const struct {
		uint32_t peers;
		int64_t since_ms;
		uint32_t slots;
	} cases[] = {
		/* Small swarms keep the cap; large ones get fewer each, never 0. */
		{0, 1000, 6},
		{4, 1000, 6},
		{12, 1000, 6},
		{16, 1000, 4},
		{32, 1000, 2},
		{33, 1000, 2},
		{64, 1000, 1},
		{500, 1000, 1},
		/* While the swarm is still connecting, `first` each at most. */
		{1, 0, 2},
		{4, 499, 2},
		{4, 500, 6},
		{64, 0, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
			bt_picker_superseed_slots(cases[i].peers, 64, 6, cases[i].since_ms, 500, 2),
			cases[i].slots);
}

static void test_queue_target(void **state)
{
	uint32_t t = 32;

	/* A peer that answers in half-second batches delivers two queues a
	 * second: the headroom makes the queue grow (by 4 blocks a second)
	 * instead of staying where it started. */
	for (int i = 0; i < 100 && t < 256; i++) {
		uint32_t next = bt_picker_queue_target((double)t * BT_BLOCK_SIZE * 2, t, 0, false,
						       0.5, 4, 256);
		assert_int_equal(next, MIN(t + 4, 256u));
		t = next;
	}
	assert_int_equal(t, 256);
	/* A peer gone quiet: shrinks by at most 1/8 a second, down to 4. */
	assert_int_equal(bt_picker_queue_target(0, 256, 0, false, 0.5, 4, 256), 224);
	t = 256;
	for (int i = 0; i < 60; i++)
		t = bt_picker_queue_target(0, t, 0, false, 0.5, 4, 256);
	assert_int_equal(t, 4);
	/* 0.5 s of 1.6 MB/s is 50 blocks, plus 4. */
	assert_int_equal(bt_picker_queue_target(1638400, 4, 0, false, 0.5, 4, 256), 54);
	/* The peer's own queue limit wins. */
	assert_int_equal(bt_picker_queue_target(1e9, 4, 20, false, 0.5, 4, 256), 20);
	assert_int_equal(bt_picker_queue_target(1e9, 100, 20, false, 0.5, 4, 256), 20);
	/* Snubbed: heads for 2. */
	t = 100;
	for (int i = 0; i < 60; i++)
		t = bt_picker_queue_target(1e6, t, 0, true, 0.5, 4, 256);
	assert_int_equal(t, 2);
}

/* A peer holding only pieces already asked of others gets no duplicates
 * while some other block is still asked of no one: endgame is global. */
static void test_endgame_waits_for_all_requested(void **state)
{
	struct bt_picker p;
	struct bt_bitfield a, b, c;
	struct bt_block out[8];
	static const uint32_t pa[] = {0, 1}, pb[] = {0};

	bt_picker_init(&p, 2, PL, 2 * PL, 5);
	peer_with(&a, 2, pa, 2);
	peer_with(&b, 2, pb, 1);
	peer_with(&c, 2, pb, 1);
	bt_picker_add_bitfield(&p, &a, 1);
	bt_picker_add_bitfield(&p, &b, 1);
	bt_picker_add_bitfield(&p, &c, 1);
	/* Piece 0 is asked of b; c, holding only piece 0 too, gets nothing
	 * while piece 1 is asked of no one. */
	assert_int_equal(bt_picker_pick(&p, &b, out, 4, SIZE_MAX, NULL, NULL), 4);
	assert_int_equal(out[0].piece, 0);
	assert_int_equal(bt_picker_pick(&p, &c, out, 4, SIZE_MAX, NULL, NULL), 0);
	assert_false(p.endgame);
	/* Once piece 1 is asked of a, everything is requested: endgame. */
	assert_int_equal(bt_picker_pick(&p, &a, out, 4, SIZE_MAX, NULL, NULL), 4);
	assert_int_equal(out[0].piece, 1);
	assert_int_equal(bt_picker_pick(&p, &c, out, 4, SIZE_MAX, NULL, NULL), 4);
	assert_true(p.endgame);
	bt_picker_release(&p);
	bt_bitfield_release(&a);
	bt_bitfield_release(&b);
	bt_bitfield_release(&c);
}

/* The picker's counts (fresh pieces, unrequested blocks per partial piece)
 * against what they count, recomputed from scratch. */
static void check_counts(const struct bt_picker *p)
{
	uint32_t fresh = 0;

	for (uint32_t i = 0; i < p->piece_count; i++) {
		bool want = !bt_bitfield_get(&p->have, i) && p->partial_of[i] < 0;

		assert_int_equal(bt_bitfield_get(&p->fresh, i), want);
		fresh += want;
	}
	assert_int_equal(p->fresh.set, fresh);
	for (size_t i = 0; i < p->npartial; i++) {
		const struct bt_partial *pp = &p->partial[i];
		uint32_t unreq = 0;

		for (uint32_t b = 0; b < pp->nblocks; b++)
			unreq += !pp->got[b] && !pp->req[b];
		assert_int_equal(pp->unreq, unreq);
	}
}

/* The rarest fresh piece the peer has, by a plain scan of every piece: what
 * the picker's byte-wise scan must choose. */
static int64_t rarest_by_scan(const struct bt_picker *p, const struct bt_bitfield *peer)
{
	int64_t best = -1;

	for (uint32_t i = 0; i < p->piece_count; i++) {
		if (!bt_bitfield_get(peer, i) || bt_bitfield_get(&p->have, i) ||
		    p->partial_of[i] >= 0)
			continue;
		if (best < 0 || p->avail[i] < p->avail[best] ||
		    (p->avail[i] == p->avail[best] && p->order[i] < p->order[best]))
			best = i;
	}
	return best;
}

/* Random requests, arrivals, give-ups, verdicts and resumes, on piece
 * counts that leave spare bits in the last byte: after every step the
 * counts hold, and a new piece is the one a full scan picks. */
static void test_counts_random(void **state)
{
	uint64_t rng = 12345;

	for (int round = 0; round < 40; round++) {
		uint32_t count = 1 + (uint32_t)(rng_step(&rng) % 70);
		struct bt_picker p;
		struct bt_bitfield peer;
		struct bt_block out[16];

		bt_picker_init(&p, count, 3 * BT_BLOCK_SIZE,
			       (uint64_t)count * 3 * BT_BLOCK_SIZE - 5, round + 1);
		bt_bitfield_init(&peer, count);
		for (int step = 0; step < 300; step++) {
			uint32_t piece = (uint32_t)(rng_step(&rng) % count);
			uint32_t begin = (uint32_t)(rng_step(&rng) % 3) * BT_BLOCK_SIZE;
			uint32_t len = MIN(BT_BLOCK_SIZE, bt_picker_piece_size(&p, piece) - begin);

			switch (rng_step(&rng) % 7) {
			case 0: /* a peer with a random set of pieces asks */
				bt_bitfield_clear_all(&peer);
				for (uint32_t i = 0; i < count; i++)
					if (rng_step(&rng) % 2)
						bt_bitfield_set(&peer, i);
				bt_picker_add_bitfield(&p, &peer, 1);
				bool partial_first = false;
				for (size_t i = 0; i < p.npartial; i++)
					partial_first |= p.partial[i].unreq > 0 &&
							 bt_bitfield_get(&peer, p.partial[i].piece);
				int64_t expect = rarest_by_scan(&p, &peer);
				size_t n = bt_picker_pick(&p, &peer, out, 1 + rng_step(&rng) % 8,
							  SIZE_MAX, NULL, NULL);
				if (!partial_first && expect >= 0) {
					assert_true(n > 0);
					assert_int_equal(out[0].piece, expect);
				}
				break;
			case 1: bt_picker_unrequest(&p, piece, begin); break;
			case 2:
			case 3:
				if (bt_picker_received(&p, piece, begin, len) == 1)
					bt_picker_verified(&p, piece, rng_step(&rng) % 4 != 0);
				break;
			case 4: bt_picker_add_have(&p, piece); break;
			case 5:
				if (rng_step(&rng) % 8 == 0)
					bt_picker_set_have(&p, piece);
				break;
			default: bt_picker_verified(&p, piece, false); break;
			}
			check_counts(&p);
		}
		bt_picker_release(&p);
		bt_bitfield_release(&peer);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rarest_first),
		cmocka_unit_test(test_tie_break_random),
		cmocka_unit_test(test_finish_started_first),
		cmocka_unit_test(test_endgame_and_verify),
		cmocka_unit_test(test_endgame_waits_for_all_requested),
		cmocka_unit_test(test_interest),
		cmocka_unit_test(test_queue_target),
		cmocka_unit_test(test_superseed_slots),
		cmocka_unit_test(test_superseed),
		cmocka_unit_test(test_counts_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
