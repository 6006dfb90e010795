/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The tracker side of one downloading bt swarm, as `boottorrent get` /
 * `seed` and the phase-1 agent wire it: a tracker client (client.h) for
 * the torrent's announce URLs, or one URL given instead, that
 *  - announces "started" at once, with the swarm's numbers;
 *  - sends the swarm's latest numbers whenever told (push_stats), and
 *    "completed", "stopped" or a plain announce when told;
 *  - feeds every peer a tracker returns into the swarm, after the
 *    caller's on_report has seen the answer.
 * Timing is the client's, tuned for a LAN: UDP retransmission after 2 s,
 * retries of a failed round between 2 and 30 s; the caller chooses the
 * rest (struct tracker_announcer_config).
 *
 * The torrent's URLs are taken tier after tier as one list, in one tier
 * (the client moves the one that answers to the front).
 *
 * Built as its own library (tracker_announcer_dep), since it joins two
 * services: the tracker client and the bt engine. Runs on the caller's
 * event_base; nothing here prints.
 */
#ifndef BT_TRACKER_ANNOUNCER_H
#define BT_TRACKER_ANNOUNCER_H

#include <stddef.h>
#include <stdint.h>

#include "bencode/metainfo.h"
#include "bt/bt.h"
#include "tracker/client.h"
#include "util/log.h"
#include "util/util.h"

struct event_base;
struct tracker_announcer;

struct tracker_announcer_config {
	const struct metainfo *mi;  /* the torrent: its info-hash and trackers */
	const char *url;	    /* announce here instead of mi's trackers; NULL: mi's */
	struct bt_session *session; /* our peer id and listening port */
	struct bt_swarm *swarm;	    /* numbers from it, peers into it */
	/* As in struct tracker_client_config; each 0 takes the client's
	 * default. */
	uint32_t udp_max_tries;
	uint32_t interval_min_s;
	uint32_t interval_max_s;
	uint32_t ask_min_ms;
};

struct tracker_announcer_callbacks {
	/* May be NULL. After every announce, before its peers are given to
	 * the swarm. Must not free the announcer. */
	void (*on_report)(void *ctx, const struct tracker_client_report *r);
	/* May be NULL. Once, when tracker_announcer_stop() has finished; may
	 * free the announcer. */
	void (*on_stopped)(void *ctx);
	void *ctx;
};

/* The announce URLs to use: url alone when not NULL, else those of mi's
 * tiers in order, at most max. Writes pointers into mi (or url) to urls
 * and returns how many. */
size_t tracker_announcer_urls(const struct metainfo *mi, const char *url, const char **urls,
			      size_t max);

/* Creates the tracker client and announces "started". Returns NULL when
 * there is no usable URL (nothing to announce to). log and cb are copied;
 * log may be NULL. cfg's session, swarm and mi must outlive the
 * announcer. */
struct tracker_announcer *tracker_announcer_new(struct event_base *base,
						const struct tracker_announcer_config *cfg,
						const struct logger *log,
						const struct tracker_announcer_callbacks *cb);
/* Cancels everything at once (no "stopped" is sent) and frees. NULL is a
 * no-op. */
void tracker_announcer_free(struct tracker_announcer *a);

/* Gives the swarm's latest numbers (uploaded, downloaded, left) to the
 * announces to come; call about once a second. NULL is a no-op. */
void tracker_announcer_push_stats(struct tracker_announcer *a);
/* Announces now with the numbers last pushed: COMPLETED, or NONE (more
 * peers, fresh counts; within the trackers' min interval). NULL is a
 * no-op. */
void tracker_announcer_announce(struct tracker_announcer *a, enum tracker_event ev);
/* Pushes the latest numbers and sends "stopped", waiting at most
 * timeout_ms, then calls on_stopped (see tracker_client_stop()). a must
 * not be NULL. */
void tracker_announcer_stop(struct tracker_announcer *a, uint32_t timeout_ms);
/* The number of usable tracker URLs (0 for NULL). */
size_t tracker_announcer_count(const struct tracker_announcer *a);

#endif
