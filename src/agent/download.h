/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The agent's download driver: one torrent into a folder in RAM with the
 * bt engine, peers from the torrent's trackers plus the server's seeder as
 * a static peer, and what the screen and the seed policy need to know.
 * Runs on the caller's event_base; nothing here prints.
 */
#ifndef BT_AGENT_DOWNLOAD_H
#define BT_AGENT_DOWNLOAD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "bencode/metainfo.h"
#include "bt/bt.h"
#include "util/log.h"
#include "util/util.h"

struct event_base;
struct agent_dl;

struct agent_dl_config {
	const char *torrent; /* path of the .torrent */
	const char *dir;     /* folder to download into (created) */
	bool has_server;
	struct in_addr server; /* the server's seeder is a static peer */
	uint16_t swarm_port;   /* its port (swarm.port, default 6881) */
	uint16_t listen_port;  /* ours; 0 picks one */
	bool no_tracker;
	bool lpd;    /* BEP 14 multicast discovery on the LAN (swarm.lpd) */
	bool no_pex; /* no BEP 11 peer exchange (swarm.pex false) */
	const struct logger *log;
	/* Called (may be NULL) when a tracker's answer after completion says
	 * no machine needs pieces, so the seeding policy can act at once
	 * rather than at its next tick. */
	void (*on_nobody_needs)(void *ctx);
	void *ctx;
};

struct agent_dl_status {
	struct bt_swarm_stats st;
	bool complete;
	int64_t complete_ms;		  /* monotonic ms when it completed */
	int64_t leechers;		  /* last count a tracker gave after completion, or -1 */
	int64_t seeders;		  /* last count a tracker gave, or -1 */
	int64_t answer_ms;		  /* monotonic ms of the last answer (or completion) */
	bool tracker_ever_ok;		  /* a tracker has answered */
	int tracker_error;		  /* the last announce's error (0 when it worked) */
	char tracker_msg[160];		  /* that error, for people */
	size_t n_trackers;		  /* usable tracker URLs */
	bool server_connected;		  /* a peer at the server's address is connected */
	uint64_t from_server, from_peers; /* payload bytes received (agent_bytes_classify) */
};

/* Loads the torrent, opens (creates) its files under dir, and starts the
 * swarm and the announces. Returns 0, or a negative errno / METAINFO_E_*
 * code with a message in err. */
int agent_dl_new(struct event_base *base, const struct agent_dl_config *cfg, struct agent_dl **out,
		 char *err, size_t errlen) WUR;
/* Stops at once (no "stopped" announce). NULL is a no-op. */
void agent_dl_free(struct agent_dl *dl);
/* Announces "stopped" (waiting at most timeout_ms on base), then frees. */
void agent_dl_stop(struct agent_dl *dl, uint32_t timeout_ms);
/* Pushes the latest numbers to the trackers; call about once a second. */
void agent_dl_tick(struct agent_dl *dl);
/* Everything in agent_dl_status: for the progress screen and reports,
 * once a second (it splits the bytes by address, walking every peer). */
void agent_dl_status(const struct agent_dl *dl, struct agent_dl_status *out);
/* The same without from_server/from_peers (left 0): cheap enough for the
 * seeding policy's check every AGENT_SEED_CHECK_MS. */
void agent_dl_status_brief(const struct agent_dl *dl, struct agent_dl_status *out);
/* True once every piece is verified (cheap; agent_dl_status says more). */
bool agent_dl_complete(const struct agent_dl *dl);
/* After a stall: dial every known peer now and announce to the trackers
 * at once, instead of waiting for their backoff. */
void agent_dl_kick(struct agent_dl *dl);
/* Asks the trackers for fresh counts (an announce without event, within
 * their min interval). */
void agent_dl_ask(struct agent_dl *dl);
const struct metainfo *agent_dl_metainfo(const struct agent_dl *dl);

#endif
