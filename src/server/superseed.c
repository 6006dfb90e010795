/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "server/superseed.h"

uint32_t superseed_copies(const struct superseed_view *v)
{
	return v->tracker_seeds > v->peer_seeds ? v->tracker_seeds : v->peer_seeds;
}

bool superseed_decide(bool on, int64_t held_ms, uint32_t threshold,
		      const struct superseed_view *v)
{
	bool want = superseed_copies(v) < threshold;

	if (want == on || held_ms < SUPERSEED_HOLD_MS)
		return on;
	return want;
}
