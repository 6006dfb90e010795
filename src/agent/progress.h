/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two small decisions behind the progress view, pure so that they are
 * unit-tested: which received bytes came from the server and which from
 * other machines, and whether the download has stalled.
 */
#ifndef BT_AGENT_PROGRESS_H
#define BT_AGENT_PROGRESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "bt/bt.h"

/* A download with nothing received for this long is "stalled". */
#define AGENT_STALL_AFTER_MS 10000

struct agent_bytes_split {
	uint64_t from_server, from_peers;
};

/* Splits the swarm's received payload bytes: an address equal to server
 * (NULL: no server known) is the server's seeder, and so is any other
 * address whose peer id is one the server's address used (a server that
 * dials out from a second address). Everything else, including bytes the
 * engine could not attribute to an address (total minus the per-address
 * sum), came from peers. */
void agent_bytes_classify(const struct bt_peer_bytes *v, size_t n, uint64_t total,
			  const struct in_addr *server, struct agent_bytes_split *out);

enum agent_stall_event {
	AGENT_STALL_NONE = 0,
	AGENT_STALL_STARTED, /* just stalled: say so */
	AGENT_STALL_RESUMED, /* bytes flow again: clear the message */
};

struct agent_stall {
	uint64_t last_bytes;   /* the received count last seen */
	int64_t last_change;   /* ms when it last grew (or the start) */
	int64_t stalled_since; /* ms when the stall began (valid while stalled) */
	bool stalled;
};

/* Starts watching at now_ms with nothing received yet. */
void agent_stall_init(struct agent_stall *s, int64_t now_ms, uint64_t received);
/* Feeds the received byte count (monotonic) at now_ms; complete ends any
 * stall. Returns what changed. */
enum agent_stall_event agent_stall_update(struct agent_stall *s, int64_t now_ms, uint64_t received,
					  bool complete);
/* Whole seconds since the last byte arrived (0 when not stalled). */
int64_t agent_stall_seconds(const struct agent_stall *s, int64_t now_ms);

#endif
