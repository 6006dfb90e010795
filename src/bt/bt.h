/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The BitTorrent engine: a session (one listening port, shared limits) that
 * runs swarms (one per torrent) on a libevent event_base. The server seeds
 * with it; the phase-1 agent downloads an image into RAM and re-seeds it.
 *
 *   struct bt_session *s = bt_session_new(base, &scfg, &logger);
 *   struct bt_swarm *w;
 *   bt_swarm_new(s, &mi, "/run/img", &wcfg, &callbacks, &w);
 *   bt_swarm_add_peer(w, sa, salen);          // tracker, PEX, LPD, --peer
 *   event_base_dispatch(base);               // callbacks report progress
 *   bt_swarm_free(w);
 *   bt_session_free(s);
 *
 * Peers come from any source (tracker replies, a static list, PEX, LPD) into
 * one address set per swarm, deduplicated and capped. Nothing here prints:
 * the engine reports through the logger (components "PEER" and "SWARM") and
 * the callbacks. One thread; no globals.
 */
#ifndef BT_BT_BT_H
#define BT_BT_BT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bencode/metainfo.h"
#include "util/log.h"
#include "util/util.h"

struct event_base;
struct bt_session;
struct bt_swarm;

struct bt_session_config {
	uint16_t port;		  /* TCP listen port; 0 picks a free one */
	const char *bind;	  /* listen address (IPv4 text), NULL for any */
	bool no_listen;		  /* outgoing connections only */
	uint32_t max_peers;	  /* connections in all swarms (default 200) */
	uint32_t max_per_ip;	  /* connections from one address (default 8;
				   * loopback is exempt, for tests) */
	bool lpd;		  /* BEP 14 local service discovery */
	uint64_t max_upload_rate; /* bytes/s over all peers, 0 = unlimited */
};

struct bt_swarm_config {
	bool super_seed;       /* BEP 16 when we are a seed */
	bool no_pex;	       /* disable BEP 11 peer exchange (always off when private) */
	bool skip_recheck;     /* seed_only: trust that the files are the torrent's (the
				* caller just hashed them); otherwise every piece is
				* verified at start, synchronously */
	uint32_t max_unchoked; /* interested peers served at once (default 64) */
	uint32_t max_peers;    /* connections in this swarm (default 80) */
	uint32_t ban_strikes;  /* bad pieces a peer may contribute (default 2) */
	uint64_t seed;	       /* random seed (0: from the clock and pid) */
};

/* Events for the role that runs the swarm. Any may be NULL. */
struct bt_swarm_callbacks {
	void (*piece_verified)(void *ctx, uint32_t index);
	/* Every piece is verified (also called at start when the data was
	 * already complete). */
	void (*complete)(void *ctx);
	void (*peer_connected)(void *ctx, const char *addr, bool connected);
	void *ctx;
};

struct bt_swarm_stats {
	uint64_t total_bytes;
	uint64_t have_bytes; /* verified */
	uint64_t downloaded; /* payload bytes received (incl. wasted) */
	uint64_t uploaded;   /* payload bytes sent */
	uint64_t wasted;     /* bytes of bad pieces and unwanted blocks */
	uint32_t piece_count;
	uint32_t pieces_have;
	uint32_t peers; /* connected, handshake done */
	uint32_t seeds; /* of which have every piece */
	/* Full copies among the connected peers (distributed copies): the
	 * count of the rarest piece, plus the share of pieces above it. */
	double copies;
	uint32_t known; /* addresses known */
	uint32_t bad_pieces;
	uint32_t banned;
	double rate_down; /* payload bytes/s over the last seconds */
	double rate_up;
};

/* Starts a session on base: binds and listens unless no_listen. Returns
 * NULL and sets *err (negative errno) when the port cannot be bound. */
struct bt_session *bt_session_new(struct event_base *base, const struct bt_session_config *cfg,
				  const struct logger *log, int *err);
/* Closes every swarm's peers and the listener. NULL is a no-op. */
void bt_session_free(struct bt_session *s);
/* The port we listen on (the actual one when 0 was asked for). */
uint16_t bt_session_port(const struct bt_session *s);

/* Adds a torrent: opens its files under dir (creating them unless
 * seed_only), rechecks what is there, and starts accepting and making
 * connections. mi must outlive the swarm. Returns 0 or a negative errno
 * (*out is NULL then). */
int bt_swarm_new(struct bt_session *s, const struct metainfo *mi, const char *dir, bool seed_only,
		 const struct bt_swarm_config *cfg, const struct bt_swarm_callbacks *cb,
		 struct bt_swarm **out) WUR;
void bt_swarm_free(struct bt_swarm *w);

/* Offers an address to connect to (IPv4 only for now). Duplicates are
 * merged; returns 0, or -ENOSPC when the address set is full, -EAFNOSUPPORT. */
int bt_swarm_add_peer(struct bt_swarm *w, const struct sockaddr *sa, socklen_t len);
/* Parses "HOST:PORT" (numeric IPv4) and adds it. 0 or -EINVAL. */
int bt_swarm_add_peer_str(struct bt_swarm *w, const char *hostport) WUR;

void bt_swarm_get_stats(const struct bt_swarm *w, struct bt_swarm_stats *st);
/* Turns super-seeding (BEP 16, a seed only) on or off while the swarm
 * runs. Off: the peers that joined while it was on are sent a HAVE for
 * every piece they lack and we kept from them, so they can take anything
 * from us at once. On: peers that join from now on are super-seeded; those
 * that already know our pieces are served normally. */
void bt_swarm_set_super_seed(struct bt_swarm *w, bool on);
/* True while the swarm super-seeds (configured on, a seed, complete). */
bool bt_swarm_super_seeding(const struct bt_swarm *w);

/* Payload bytes exchanged with one address during the swarm's life, over
 * all its connections (an address stays known after it disconnects). */
struct bt_peer_bytes {
	struct in_addr addr;
	uint16_t port;
	bool connected;
	bool has_id;	     /* a handshake from it was accepted */
	uint8_t peer_id[20]; /* the last one seen */
	uint64_t down, up;
};
/* Writes at most max entries, those with bytes or a connection, into out;
 * returns how many. Bytes of connections that had no address entry (the
 * set was full) are only in bt_swarm_stats. */
size_t bt_swarm_peer_bytes(const struct bt_swarm *w, struct bt_peer_bytes *out, size_t max);
/* Tries every known, unbanned address now rather than after its backoff
 * (for a download that stalled: the network may be back). */
void bt_swarm_retry_now(struct bt_swarm *w);
bool bt_swarm_complete(const struct bt_swarm *w);
/* The swarm's info-hash and our peer id (20 bytes each), for announces. */
const uint8_t *bt_swarm_info_hash(const struct bt_swarm *w);
const uint8_t *bt_session_peer_id(const struct bt_session *s);

#endif
