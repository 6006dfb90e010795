/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "agent/seed.h"
#include "util/util.h"

enum agent_seed_decision agent_seed_decide(const struct agent_seed_state *st)
{
	if (!st->complete)
		return AGENT_SEED_DOWNLOADING;
	if (st->since_complete_ms >= (int64_t)st->seed_time_s * 1000)
		return AGENT_SEED_DONE_TIME;
	if (st->early_stop && st->leechers == 0)
		return AGENT_SEED_DONE_NOBODY;
	return AGENT_SEED_CONTINUE;
}

bool agent_seed_should_ask(const struct agent_seed_state *st, uint32_t leeching_peers,
			   int64_t since_answer_ms)
{
	return agent_seed_decide(st) == AGENT_SEED_CONTINUE && st->early_stop &&
	       leeching_peers == 0 && st->since_leecher_ms >= AGENT_SEED_SETTLE_MS &&
	       (since_answer_ms >= AGENT_SEED_ASK_MS || st->leecher_after_answer);
}

int64_t agent_seed_remaining_ms(const struct agent_seed_state *st)
{
	int64_t limit = (int64_t)st->seed_time_s * 1000;

	if (!st->complete || st->since_complete_ms >= limit)
		return 0;
	return limit - st->since_complete_ms;
}

bool agent_seed_in_background(enum os_method m)
{
	/* kexec replaces this kernel and bin replaces this process (exec), so
	 * only QEMU leaves the agent alive beside the OS. */
	return m == OS_METHOD_QEMU;
}
