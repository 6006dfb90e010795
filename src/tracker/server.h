/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Our tracker (BEP 3 HTTP with BEP 23 compact lists, BEP 15 UDP), for
 * `boottorrent start`. It is closed: it knows only the info-hashes it was
 * given (tracker_server_add_torrent()); anything else gets the failure
 * "unknown torrent".
 *
 * Peers are keyed by (source address, port): the "ip" parameter a client
 * sends is ignored, since on our LAN the source address is the truth and
 * accepting it would let anyone register other hosts. A peer that has not
 * announced for 2 × interval is dropped. Replies prefer peers that still
 * need pieces: a seed is given leechers only; a leecher is given mostly
 * leechers and a few seeds (at least one when there is one, so a swarm that
 * starts empty reaches the first seeder).
 *
 * Memory is bounded: peers per torrent, peers in total, and torrents are
 * capped; a peer that does not fit is still answered, but not recorded.
 *
 * The request handlers are plain functions over bytes
 * (tracker_server_handle_*), so they are unit-tested, fuzzed and
 * benchmarked without sockets; the HTTP side registers /announce and /scrape
 * on an evhttp the caller owns (shared with the file server and status
 * page); the UDP side owns its socket.
 */
#ifndef BT_TRACKER_SERVER_H
#define BT_TRACKER_SERVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tracker/wire.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/util.h"

struct event_base;
struct evhttp;

struct tracker_server_config {
	/* Each 0 takes the default in brackets. */
	uint32_t interval_s;		/* [60] announce interval handed out */
	uint32_t min_interval_s;	/* [10] */
	uint32_t numwant_max;		/* [200] at most TRACKER_NUMWANT_MAX; a client that
					   does not say gets TRACKER_NUMWANT_DEFAULT (50) */
	uint32_t max_torrents;		/* [4096] */
	uint32_t max_peers_per_torrent; /* [10000] */
	uint32_t max_peers_total;	/* [100000] */
};

/* One peer as the server last saw it. Valid during the callback. */
struct tracker_peer_info {
	const uint8_t *info_hash; /* 20 bytes */
	const uint8_t *peer_id;	  /* 20 bytes */
	struct tracker_peer_addr addr;
	uint64_t uploaded, downloaded, left;
	enum tracker_event last_event; /* the last event other than NONE */
	uint64_t idle_ms;	       /* since its last announce */
	uint64_t age_ms;	       /* since its first announce */
};

enum tracker_peer_change {
	TRACKER_PEER_NEW,     /* first announce */
	TRACKER_PEER_UPDATE,  /* a later announce */
	TRACKER_PEER_STOPPED, /* it said "stopped" and was removed */
	TRACKER_PEER_EXPIRED, /* silent for 2 × interval and removed */
};

struct tracker_server_callbacks {
	/* Every change to the peer table, for the fleet model. May be NULL. */
	void (*on_peer)(void *ctx, enum tracker_peer_change what,
			const struct tracker_peer_info *p);
	void *ctx;
};

struct tracker_server;

/* Creates a server with no torrents and no sockets. log and cb are
 * copied and may be NULL. base may be NULL for the pure handlers only
 * (tests, fuzzing); then there is no expiry timer. */
struct tracker_server *tracker_server_new(struct event_base *base,
					  const struct tracker_server_config *cfg,
					  const struct logger *log,
					  const struct tracker_server_callbacks *cb);
/* Closes the socket, forgets every peer (without callbacks). NULL is a
 * no-op. It does not touch the evhttp: call tracker_server_detach_http()
 * first if the evhttp lives on. */
void tracker_server_free(struct tracker_server *srv);

/* Allows announces for this info-hash. 0, -EEXIST, or -ENOSPC past
 * max_torrents. */
int tracker_server_add_torrent(struct tracker_server *srv, const uint8_t *info_hash) WUR;
/* Forgets a torrent and its peers (without callbacks). 0 or -ENOENT. */
int tracker_server_remove_torrent(struct tracker_server *srv, const uint8_t *info_hash) WUR;

/* Records a peer of this process (the server's own seeder) at addr, as if
 * it had announced from there, without a round trip through a socket (an
 * announce to 127.0.0.1 would record 127.0.0.1, useless to other hosts).
 * It never expires; call again to update its numbers, or with
 * TRACKER_EVENT_STOPPED to remove it. 0, -ENOENT (unknown torrent),
 * -EINVAL (port 0) or -ENOSPC (the peer table is full). */
int tracker_server_announce_local(struct tracker_server *srv, const struct tracker_announce *a,
				  struct in_addr addr) WUR;

/* Registers /announce and /scrape on http. 0 or -EEXIST (a path taken). */
int tracker_server_attach_http(struct tracker_server *srv, struct evhttp *http) WUR;
/* Removes /announce and /scrape from http. */
void tracker_server_detach_http(struct tracker_server *srv, struct evhttp *http);
/* Binds the UDP socket to address:port (IPv4 text; port 0 picks one) and
 * starts reading. 0 or a negative errno. */
int tracker_server_listen_udp(struct tracker_server *srv, const char *address, uint16_t port) WUR;
/* The UDP port bound, or 0. */
uint16_t tracker_server_udp_port(const struct tracker_server *srv);

/* Calls fn for every peer of one torrent (info_hash) or of all (NULL).
 * fn must not change the server. */
void tracker_server_foreach_peer(const struct tracker_server *srv, const uint8_t *info_hash,
				 void (*fn)(void *ctx, const struct tracker_peer_info *p),
				 void *ctx);
/* Seeders, leechers and completed downloads of one torrent. 0 or -ENOENT. */
int tracker_server_torrent_counts(const struct tracker_server *srv, const uint8_t *info_hash,
				  struct tracker_scrape_entry *out) WUR;
/* Drops peers silent for 2 × interval (also done by a timer). */
void tracker_server_expire(struct tracker_server *srv);

/* ---- The handlers behind the sockets ---- */

/* The clock (milliseconds, monotonic) the server uses; tests set their own. */
void tracker_server_set_clock(struct tracker_server *srv, uint64_t (*now_ms)(void *ctx), void *ctx);

/* Handles one UDP datagram from `from`. Returns 1 with the reply appended to
 * out, 0 when nothing is to be sent (garbage is dropped silently), or a
 * negative errno (out of buffer space). */
int tracker_server_handle_udp(struct tracker_server *srv, const uint8_t *pkt, size_t len,
			      const struct sockaddr_in *from, struct buf *out) WUR;
/* Handles GET /announce?query from `from`: appends the bencoded reply
 * (peers or a failure reason) to out. Returns 0 or a negative errno. */
int tracker_server_handle_announce(struct tracker_server *srv, const char *query, size_t len,
				   const struct sockaddr_in *from, struct buf *out) WUR;
/* Handles GET /scrape?query: appends the bencoded reply. */
int tracker_server_handle_scrape(struct tracker_server *srv, const char *query, size_t len,
				 struct buf *out) WUR;

#endif
