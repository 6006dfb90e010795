/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * When the server's seeder super-seeds (BEP 16). Super-seeding makes each
 * piece leave the server about once, which is what a swarm needs while it
 * holds few copies; once machines hold whole copies, it only slows late
 * joiners (they are offered a few pieces at a time), so the seeder then
 * serves normally, and super-seeds again when copies drop (seeders boot and
 * leave). A pure function, so that it is unit-tested.
 *
 * Only whole copies on one machine count, not the copies spread over
 * leechers (BEP 16's "distributed copies"): a room that boots together holds
 * two distributed copies long before anyone finishes, and serving normally
 * from then on made the server send 2 copies of the image where
 * super-seeding sends about 1.2 (bench/scale.sh, N = 8).
 */
#ifndef BT_SERVER_SUPERSEED_H
#define BT_SERVER_SUPERSEED_H

#include <stdbool.h>
#include <stdint.h>

/* A state is kept at least this long before it switches again, so that a
 * count hovering at the threshold does not flap. */
#define SUPERSEED_HOLD_MS 10000

/* What the server knows of one swarm's copies, its own seeder left out. */
struct superseed_view {
	uint32_t tracker_seeds; /* complete peers the tracker reports */
	uint32_t peer_seeds;	/* complete peers connected to the seeder
				   (bt_swarm_stats.seeds): an outside tracker
				   may not say */
};

/* The whole copies the swarm holds besides the server's: the larger of the
 * two views. */
uint32_t superseed_copies(const struct superseed_view *v);

/* Whether to super-seed now, given the current state `on`, held for
 * held_ms: on while fewer than `threshold` copies exist; a switch waits
 * until the current state has been held SUPERSEED_HOLD_MS. */
bool superseed_decide(bool on, int64_t held_ms, uint32_t threshold,
		      const struct superseed_view *v);

#endif
