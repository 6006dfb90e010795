/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "bt/picker.h"
#include "bt/wire.h"
#include "util/util.h"

/* xorshift64*: a small deterministic generator; quality is not critical,
 * only that nodes seeded differently order pieces differently. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void bt_picker_init(struct bt_picker *p, uint32_t piece_count, uint32_t piece_length,
		    uint64_t total_length, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->piece_count = piece_count;
	p->piece_length = piece_length;
	p->total_length = total_length;
	p->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
	bt_bitfield_init(&p->have, piece_count);
	bt_bitfield_init(&p->fresh, piece_count);
	bt_bitfield_set_all(&p->fresh);
	p->avail = xcalloc(piece_count ? piece_count : 1, sizeof(*p->avail));
	p->order = xcalloc(piece_count ? piece_count : 1, sizeof(*p->order));
	p->partial_of = xcalloc(piece_count ? piece_count : 1, sizeof(*p->partial_of));
	for (uint32_t i = 0; i < piece_count; i++) {
		p->order[i] = (uint32_t)(rng_next(&p->rng) >> 32);
		p->partial_of[i] = -1;
	}
}

static void partial_free(struct bt_partial *pp)
{
	free(pp->req);
	free(pp->got);
}

void bt_picker_release(struct bt_picker *p)
{
	for (size_t i = 0; i < p->npartial; i++)
		partial_free(&p->partial[i]);
	free(p->partial);
	free(p->avail);
	free(p->order);
	free(p->partial_of);
	bt_bitfield_release(&p->have);
	bt_bitfield_release(&p->fresh);
	memset(p, 0, sizeof(*p));
}

uint32_t bt_picker_piece_size(const struct bt_picker *p, uint32_t index)
{
	uint64_t start = (uint64_t)index * p->piece_length;

	if (index >= p->piece_count || start >= p->total_length)
		return 0;
	return (uint32_t)MIN((uint64_t)p->piece_length, p->total_length - start);
}

uint32_t bt_picker_piece_blocks(const struct bt_picker *p, uint32_t index)
{
	return (bt_picker_piece_size(p, index) + BT_BLOCK_SIZE - 1) / BT_BLOCK_SIZE;
}

void bt_picker_add_bitfield(struct bt_picker *p, const struct bt_bitfield *bf, int delta)
{
	if (bf->set == 0)
		return;
	for (uint32_t i = 0; i < p->piece_count; i++) {
		if (!bt_bitfield_get(bf, i))
			continue;
		if (delta > 0 && p->avail[i] < UINT16_MAX)
			p->avail[i]++;
		else if (delta < 0 && p->avail[i] > 0)
			p->avail[i]--;
	}
}

void bt_picker_add_have(struct bt_picker *p, uint32_t index)
{
	if (index < p->piece_count && p->avail[index] < UINT16_MAX)
		p->avail[index]++;
}

bool bt_picker_interesting(const struct bt_picker *p, const struct bt_bitfield *peer_has)
{
	size_t n = bt_bitfield_bytes(&p->have);

	if (peer_has->count != p->piece_count)
		return false;
	for (size_t i = 0; i < n; i++)
		if (peer_has->bits[i] & (uint8_t)~p->have.bits[i])
			return true;
	return false;
}

static struct bt_partial *partial_get(const struct bt_picker *p, uint32_t piece)
{
	if (piece >= p->piece_count || p->partial_of[piece] < 0)
		return NULL;
	return &p->partial[p->partial_of[piece]];
}

static struct bt_partial *partial_start(struct bt_picker *p, uint32_t piece)
{
	struct bt_partial *pp;

	if (p->npartial == p->cap_partial) {
		p->cap_partial = p->cap_partial ? p->cap_partial * 2 : 16;
		p->partial = xrealloc(p->partial, p->cap_partial * sizeof(*p->partial));
	}
	pp = &p->partial[p->npartial];
	pp->piece = piece;
	pp->nblocks = bt_picker_piece_blocks(p, piece);
	pp->received = 0;
	pp->unreq = pp->nblocks;
	pp->req = xcalloc(pp->nblocks, 1);
	pp->got = xcalloc(pp->nblocks, 1);
	bt_bitfield_clear(&p->fresh, piece);
	p->partial_of[piece] = (int32_t)p->npartial;
	p->npartial++;
	return pp;
}

/* Removes a partial piece, keeping the others in their starting order. */
static void partial_remove(struct bt_picker *p, uint32_t piece)
{
	int32_t idx = piece < p->piece_count ? p->partial_of[piece] : -1;

	if (idx < 0)
		return;
	partial_free(&p->partial[idx]);
	memmove(&p->partial[idx], &p->partial[idx + 1],
		(p->npartial - (size_t)idx - 1) * sizeof(*p->partial));
	p->npartial--;
	p->partial_of[piece] = -1;
	for (size_t i = (size_t)idx; i < p->npartial; i++)
		p->partial_of[p->partial[i].piece] = (int32_t)i;
}

static struct bt_block block_of(const struct bt_picker *p, uint32_t piece, uint32_t b)
{
	uint32_t size = bt_picker_piece_size(p, piece);
	uint32_t begin = b * BT_BLOCK_SIZE;

	return (struct bt_block){piece, begin, MIN(BT_BLOCK_SIZE, size - begin)};
}

/* Takes the unrequested blocks of a partial piece. */
static size_t take_blocks(const struct bt_picker *p, struct bt_partial *pp, struct bt_block *out,
			  size_t max)
{
	size_t n = 0;

	for (uint32_t b = 0; b < pp->nblocks && n < max && pp->unreq > 0; b++) {
		if (pp->got[b] || pp->req[b])
			continue;
		pp->req[b] = 1;
		pp->unreq--;
		out[n++] = block_of(p, pp->piece, b);
	}
	return n;
}

/* The rarest piece the peer has and we neither have nor started: only the
 * bytes where the peer's bitfield meets `fresh` are looked into. */
static int64_t rarest_new(const struct bt_picker *p, const struct bt_bitfield *peer_has)
{
	size_t nbytes = bt_bitfield_bytes(&p->fresh);
	int64_t best = -1;
	uint32_t best_avail = UINT32_MAX, best_order = 0;

	if (p->fresh.set == 0)
		return -1;
	for (size_t byte = 0; byte < nbytes; byte++) {
		unsigned c = peer_has->bits[byte] & p->fresh.bits[byte];

		while (c) {
			/* The high bit is the lowest piece (BitTorrent's order). */
			unsigned bit = 7u - (unsigned)(31 - __builtin_clz(c));
			uint32_t i = (uint32_t)(byte * 8 + bit);

			c &= ~(0x80u >> bit);
			if (p->avail[i] < best_avail ||
			    (p->avail[i] == best_avail && p->order[i] < best_order)) {
				best = i;
				best_avail = p->avail[i];
				best_order = p->order[i];
			}
		}
	}
	return best;
}

/* True while some block we need is asked of no one. Endgame waits for
 * that to end: deciding it per peer ("this peer has nothing unrequested")
 * sent duplicates from the first seconds on, whenever a peer held only
 * pieces already asked of others, as in a super-seeded swarm. (64 MiB to 4
 * agents, bench/scale.sh: they sent each other 322 MB where 197 MB were
 * needed; deciding it globally, 203 MB.) */
static bool any_unrequested(const struct bt_picker *p)
{
	if (p->fresh.set > 0)
		return true;
	for (size_t i = 0; i < p->npartial; i++)
		if (p->partial[i].unreq > 0)
			return true;
	return false;
}

size_t bt_picker_pick(struct bt_picker *p, const struct bt_bitfield *peer_has, struct bt_block *out,
		      size_t max, size_t max_dup,
		      bool (*skip)(void *ctx, uint32_t piece, uint32_t begin), void *ctx)
{
	size_t n = 0;
	int64_t piece;

	if (peer_has->count != p->piece_count)
		return 0;
	/* Finish what was started. */
	for (size_t i = 0; i < p->npartial && n < max; i++)
		if (p->partial[i].unreq > 0 && bt_bitfield_get(peer_has, p->partial[i].piece))
			n += take_blocks(p, &p->partial[i], out + n, max - n);
	/* Then the rarest new pieces. */
	while (n < max && (piece = rarest_new(p, peer_has)) >= 0)
		n += take_blocks(p, partial_start(p, (uint32_t)piece), out + n, max - n);
	if (n > 0 || max == 0 || any_unrequested(p))
		return n;
	max = MIN(max, max_dup);
	/* Endgame: nothing unrequested is left at all. Ask again
	 * for the least-requested missing blocks this peer has not been asked
	 * for already. */
	for (uint8_t level = 1; level < BT_PICKER_MAX_DUP && n < max; level++) {
		for (size_t i = 0; i < p->npartial && n < max; i++) {
			struct bt_partial *pp = &p->partial[i];

			if (!bt_bitfield_get(peer_has, pp->piece))
				continue;
			for (uint32_t b = 0; b < pp->nblocks && n < max; b++) {
				if (pp->got[b] || pp->req[b] != level)
					continue;
				if (skip && skip(ctx, pp->piece, b * BT_BLOCK_SIZE))
					continue;
				pp->req[b]++;
				out[n++] = block_of(p, pp->piece, b);
			}
		}
	}
	if (n > 0)
		p->endgame = true;
	return n;
}

static bool block_index(const struct bt_picker *p, const struct bt_partial *pp, uint32_t begin,
			uint32_t *b)
{
	if (begin % BT_BLOCK_SIZE)
		return false;
	*b = begin / BT_BLOCK_SIZE;
	return *b < pp->nblocks;
}

void bt_picker_unrequest(struct bt_picker *p, uint32_t piece, uint32_t begin)
{
	struct bt_partial *pp = partial_get(p, piece);
	uint32_t b;

	if (pp && block_index(p, pp, begin, &b) && pp->req[b] > 0) {
		pp->req[b]--;
		if (pp->req[b] == 0 && !pp->got[b])
			pp->unreq++;
	}
}

int bt_picker_received(struct bt_picker *p, uint32_t piece, uint32_t begin, uint32_t length)
{
	struct bt_partial *pp = partial_get(p, piece);
	uint32_t b;

	if (!pp || !block_index(p, pp, begin, &b) || pp->got[b])
		return -1;
	if (block_of(p, piece, b).length != length)
		return -1;
	pp->got[b] = 1;
	if (pp->req[b] > 0)
		pp->req[b]--;
	else
		pp->unreq--; /* it came after its request was given up */
	pp->received++;
	return pp->received == pp->nblocks ? 1 : 0;
}

void bt_picker_verified(struct bt_picker *p, uint32_t piece, bool ok)
{
	struct bt_partial *pp = partial_get(p, piece);

	if (ok) {
		partial_remove(p, piece);
		bt_bitfield_set(&p->have, piece);
		return;
	}
	if (pp) {
		/* Requests still out for this piece will come back as unwanted
		 * or be cancelled; start it over. */
		memset(pp->got, 0, pp->nblocks);
		memset(pp->req, 0, pp->nblocks);
		pp->received = 0;
		pp->unreq = pp->nblocks;
	}
}

void bt_picker_set_have(struct bt_picker *p, uint32_t piece)
{
	if (piece >= p->piece_count)
		return;
	partial_remove(p, piece);
	bt_bitfield_clear(&p->fresh, piece);
	bt_bitfield_set(&p->have, piece);
}

bool bt_picker_block_wanted(const struct bt_picker *p, uint32_t piece, uint32_t begin)
{
	const struct bt_partial *pp = partial_get(p, piece);
	uint32_t b;

	if (bt_bitfield_get(&p->have, piece))
		return false;
	if (!pp)
		return true;
	return block_index(p, pp, begin, &b) && !pp->got[b];
}

uint64_t bt_picker_have_bytes(const struct bt_picker *p)
{
	uint64_t n = (uint64_t)p->have.set * p->piece_length;
	uint32_t last = p->piece_count - 1;

	if (p->piece_count && bt_bitfield_get(&p->have, last))
		n -= p->piece_length - bt_picker_piece_size(p, last);
	return n;
}

int64_t bt_picker_superseed_choose(const struct bt_picker *p, const uint16_t *given,
				   const struct bt_bitfield *peer_has)
{
	int64_t best = -1;
	uint32_t bg = UINT32_MAX, ba = UINT32_MAX, bo = 0;

	if (peer_has->count != p->piece_count)
		return -1;
	for (uint32_t i = 0; i < p->piece_count; i++) {
		if (bt_bitfield_get(peer_has, i) || !bt_bitfield_get(&p->have, i))
			continue;
		if (given[i] < bg || (given[i] == bg && p->avail[i] < ba) ||
		    (given[i] == bg && p->avail[i] == ba && p->order[i] < bo)) {
			best = i;
			bg = given[i];
			ba = p->avail[i];
			bo = p->order[i];
		}
	}
	return best;
}

uint32_t bt_picker_superseed_slots(uint32_t peers, uint32_t total, uint32_t max, int64_t since_ms,
				   int64_t settle_ms, uint32_t first)
{
	uint32_t n = peers ? (total + peers - 1) / peers : max;

	if (since_ms < settle_ms)
		n = MIN(n, first);
	return MAX(1u, MIN(n, max));
}

uint32_t bt_picker_queue_target(double rate, uint32_t current, uint32_t their_reqq, bool snubbed,
				double queue_time, uint32_t min_blocks, uint32_t max_blocks)
{
	/* The headroom lets the queue grow against a peer that answers in
	 * batches (transmission sends every half second): without it, rate x
	 * time would only ever ask for what already arrives. */
	double want = rate * queue_time / BT_BLOCK_SIZE + min_blocks;
	uint32_t t = (uint32_t)MIN(MAX(want, (double)min_blocks), (double)max_blocks);
	uint32_t floor = snubbed ? 2 : min_blocks;

	if (snubbed)
		t = 2;
	if (their_reqq)
		t = MIN(t, their_reqq);
	/* Grow at once; shrink slowly, so that one slow second does not drain
	 * the pipe. */
	t = t > current ? t : MAX(t, current * 7 / 8);
	t = MAX(t, floor);
	return their_reqq ? MIN(t, MAX(their_reqq, floor)) : t;
}
