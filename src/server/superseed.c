/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "server/superseed.h"

double superseed_copies(const struct superseed_view *v)
{
	double t = v->tracker_seeds;

	return t > v->peer_copies ? t : v->peer_copies;
}

bool superseed_decide(bool on, int64_t held_ms, uint32_t threshold,
		      const struct superseed_view *v)
{
	bool want = superseed_copies(v) < (double)threshold;

	if (want == on || held_ms < SUPERSEED_HOLD_MS)
		return on;
	return want;
}
