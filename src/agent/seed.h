/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * When the agent stops seeding and boots: a pure decision over what it
 * knows, so it can be tested without a swarm.
 *
 * The environment's boot.seed_time is in seconds (the original BootTorrent
 * passed seed_time/60 to aria2 as minutes, so its default seeded for 0
 * minutes; we mean seconds). The agent seeds that long after its download
 * completed, unless early stop is on and a tracker said, after we
 * completed, that no machine still needs pieces (incomplete == 0).
 * For the QEMU method the swarm keeps seeding in the background while the
 * VM runs, whatever this says.
 */
#ifndef BT_AGENT_SEED_H
#define BT_AGENT_SEED_H

#include <stdbool.h>
#include <stdint.h>

#include "config/env.h"
#include "util/util.h"

struct agent_seed_state {
	uint32_t seed_time_s;	   /* boot.seed_time */
	bool early_stop;	   /* stop once nobody needs pieces */
	bool complete;		   /* our download is complete */
	int64_t since_complete_ms; /* time since it completed */
	/* The latest leecher count a tracker reported after we completed,
	 * -1 when none has answered since. */
	int64_t leechers;
	/* Since our connections last showed a peer that needs pieces
	 * (INT64_MAX when never). */
	int64_t since_leecher_ms;
	/* Our connections showed a peer that needs pieces after the
	 * tracker's last answer: that answer may be out of date. */
	bool leecher_after_answer;
};

enum agent_seed_decision {
	AGENT_SEED_DOWNLOADING = 0, /* not complete yet */
	AGENT_SEED_CONTINUE,	    /* keep seeding */
	AGENT_SEED_DONE_TIME,	    /* seed_time has passed: boot */
	AGENT_SEED_DONE_NOBODY,	    /* nobody needs pieces: boot */
};

enum agent_seed_decision agent_seed_decide(const struct agent_seed_state *st);
/* How often a seeding agent asks the tracker again, with early stop on,
 * when no peer it is connected to still lacks pieces (a machine it is not
 * connected to may) and nothing has changed since the last answer: 10
 * announces a second per waiting machine, which our tracker shrugs off
 * even for 200 machines (it answers over 200,000 UDP announces a second),
 * and only in the last moments of a download. Over UDP, which the bundle's
 * torrents list first, the protocol has no "min interval"; over HTTP our
 * tracker's 1 s min interval binds and the ask waits for it. (At 250 ms
 * the machines of a 32-machine room booted up to 0.25 s after the last
 * one had its image; bench/scale.sh.) */
#define AGENT_SEED_ASK_MS 100
/* The shortest gap between two asks, when something did change: a peer
 * that needed pieces completed after the last answer. The machines that
 * finish just before the last one get their "completed" answer (still
 * counting the last one) a few ms before the last one completes; waiting
 * AGENT_SEED_ASK_MS from that answer kept them up to 0.1 s longer. */
#define AGENT_SEED_ASK_NEWS_MS 10
/* How long our connections must have shown no peer needing pieces before
 * we ask. The last machine to complete sends its HAVE to us and its
 * "completed" announce to the tracker at about the same moment; asking the
 * instant the HAVE arrives could race that announce, and a lost race costs
 * an ask interval (the answer still counts that machine as a leecher). The
 * agent sends "completed" in the loop turn that verified the last piece,
 * before that piece's HAVEs are written, and our ask takes a round trip to
 * the tracker after the HAVE's one way, so a short wait is enough: 200 ms
 * here kept every agent of a 32-machine room 0.3 s past the last download
 * (bench/scale.sh, "booted" against "done"). */
#define AGENT_SEED_SETTLE_MS 20
/* How often the agent applies the seeding policy while seeding (and so
 * how late it notices the last HAVE); every AGENT_SEED_IDLE_CHECK_MS
 * before that, when there is nothing to decide. */
#define AGENT_SEED_CHECK_MS 10
#define AGENT_SEED_IDLE_CHECK_MS 50

/* True when the tracker should be asked now whether any machine still
 * needs pieces. Its regular interval (30 s by default) is longer than a
 * LAN download: without asking, the first machines to finish hear "one
 * still needs pieces" and then wait out their whole seed_time although
 * everyone finished a second later. Only asked while our own connections
 * show nobody needing us (leeching_peers == 0): otherwise the answer is
 * known, and only once that has held for AGENT_SEED_SETTLE_MS; then
 * every AGENT_SEED_ASK_MS, or at once when a leecher was seen after the
 * last answer (the download's tracker client keeps AGENT_SEED_ASK_NEWS_MS
 * between asks). since_answer_ms: since the tracker's last answer (or
 * since the download completed, when it has not answered since). */
bool agent_seed_should_ask(const struct agent_seed_state *st, uint32_t leeching_peers,
			   int64_t since_answer_ms);
/* Milliseconds until the time limit passes (0 when passed or not
 * complete), for the timer and the screen. */
int64_t agent_seed_remaining_ms(const struct agent_seed_state *st);
/* True when this method keeps the swarm seeding while the OS runs. */
bool agent_seed_in_background(enum os_method m);

#endif
