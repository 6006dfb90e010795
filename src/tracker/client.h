/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The announce client for one torrent: talks to the tracker URLs given
 * (http:// with libevent's evhttp client, udp:// per BEP 15) the BEP 12
 * way, and reports what each said through a callback.
 *
 * Behaviour:
 *  - BEP 12 tiers: each announce goes to one tracker. It tries the first
 *    URL of the first tier, then the next URL on failure, then the next
 *    tier; the first tracker that answers ends the round and moves to the
 *    front of its tier, so it is asked first next time. Later tiers are
 *    asked only when every URL of the earlier ones failed. When every URL
 *    failed, the round is retried with exponential backoff.
 *  - Nothing is sent until tracker_client_announce_now() (normally with
 *    TRACKER_EVENT_STARTED). After a successful announce the next one is
 *    sent after the tracker's interval (clamped to the configured floor and
 *    ceiling), with the latest stats.
 *  - Events are never lost: "started" is repeated until one tracker
 *    accepted it, "completed" is queued until sent. announce_now(NONE)
 *    ("I want more peers") honours the tracker's min interval.
 *  - A round in which every tracker was away (connection refused,
 *    timeout, a failure reason) is retried with exponential backoff
 *    between retry_min_ms and retry_max_ms.
 *  - UDP: retransmission after udp_timeout_ms · 2^n for n < udp_max_tries
 *    (BEP 15 says 15 s and 9 tries; on a LAN a shorter base is better); a
 *    connection id is reused for 60 s.
 *  - tracker_client_stop() sends "stopped" to every tracker that knows us,
 *    waits at most a given time, then calls on_stopped.
 *
 * Host names in URLs are resolved with a blocking getaddrinfo(): for udp://
 * when the client is created, for http:// by libevent at each new
 * connection. BootTorrent's trackers are normally addresses.
 * Everything runs on the event_base given; nothing is thread-safe.
 */
#ifndef BT_TRACKER_CLIENT_H
#define BT_TRACKER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracker/wire.h"
#include "util/log.h"
#include "util/util.h"

struct event_base;

#define TRACKER_CLIENT_URLS_MAX 16

struct tracker_client_config {
	uint8_t info_hash[TRACKER_HASH_LEN];
	uint8_t peer_id[TRACKER_PEER_ID_LEN];
	uint16_t port;		 /* our listening port */
	const char *const *urls; /* http:// or udp:// announce URLs, copied */
	const unsigned *tiers;	 /* the BEP 12 tier of each URL (0 first); NULL: one tier */
	size_t n_urls;		 /* at most TRACKER_CLIENT_URLS_MAX */
	/* Each 0 takes the default in brackets. */
	uint32_t numwant;	  /* [50] */
	uint32_t http_timeout_ms; /* [15000] */
	uint32_t udp_timeout_ms;  /* [15000] first UDP retransmission */
	uint32_t udp_max_tries;	  /* [9] */
	uint32_t retry_min_ms;	  /* [5000] first retry after a failure */
	uint32_t retry_max_ms;	  /* [300000] */
	uint32_t interval_min_s;  /* [5] floor on the tracker's intervals */
	uint32_t interval_max_s;  /* [3600] ceiling on the tracker's interval */
	/* [interval_min_s] the least time between announces asked for with
	 * tracker_client_announce_now(NONE), when the tracker states no
	 * "min interval" (a UDP tracker never does); one it states binds. */
	uint32_t ask_min_ms;
};

/* What one tracker said about one announce. Valid during the callback. */
struct tracker_client_report {
	const char *url;
	enum tracker_event event;  /* the event that was sent */
	int error;		   /* 0, TRACKER_E_* (TRACKER_E_FAILURE: a refusal) or -errno
				      (-ETIMEDOUT, -ECONNREFUSED, ...) */
	const char *message;	   /* failure reason or warning; "" if none */
	int64_t seeders, leechers; /* -1 when unknown */
	uint32_t interval;	   /* seconds until the next regular announce */
	const struct tracker_peer_addr *peers;
	size_t n_peers;
};

struct tracker_client_callbacks {
	/* After every announce, successful or not. Must not free the client. */
	void (*on_report)(void *ctx, const struct tracker_client_report *r);
	/* Once, when tracker_client_stop() has finished; may free the client. */
	void (*on_stopped)(void *ctx);
	void *ctx;
};

struct tracker_client;

/* Creates a client. URLs that cannot be used (bad syntax, another scheme,
 * an unknown host) are logged and skipped; NULL when none is usable.
 * log and cb are copied; log may be NULL. */
struct tracker_client *tracker_client_new(struct event_base *base,
					  const struct tracker_client_config *cfg,
					  const struct logger *log,
					  const struct tracker_client_callbacks *cb);
/* Cancels everything at once (no "stopped" is sent) and frees. NULL is a
 * no-op. */
void tracker_client_free(struct tracker_client *c);

/* The numbers sent with the next announces. */
void tracker_client_set_stats(struct tracker_client *c, uint64_t uploaded, uint64_t downloaded,
			      uint64_t left);
/* Announces now (one BEP 12 round): STARTED (first, or again after a
 * restart), COMPLETED (download done), or NONE (want more peers, at most
 * once per min interval). STOPPED is tracker_client_stop(). */
void tracker_client_announce_now(struct tracker_client *c, enum tracker_event ev);
/* Sends "stopped" to the trackers that know us, waiting at most
 * timeout_ms, then calls on_stopped (also when nothing had to be sent).
 * No other announce is sent afterwards. */
void tracker_client_stop(struct tracker_client *c, uint32_t timeout_ms);

/* The number of usable tracker URLs. */
size_t tracker_client_count(const struct tracker_client *c);

#endif
