/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the engine's files share (not for other modules): the session, one
 * peer's wire state machine (peer.c) and the per-torrent decisions
 * (swarm.c), after transmission's split of peer-msgs.c from peer-mgr.c.
 */
#ifndef BT_BT_INTERNAL_H
#define BT_BT_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bt/bitfield.h"
#include "bt/bt.h"
#include "bt/picker.h"
#include "bt/storage.h"
#include "bt/wire.h"
#include "util/log.h"

struct bufferevent;
struct bufferevent_rate_limit_group;
struct ev_token_bucket_cfg;
struct evconnlistener;
struct event;

/* Limits on what one peer may make us hold. */
#define BT_MAX_OUR_REQUESTS 256 /* our requests outstanding at one peer */
#define BT_MIN_OUR_REQUESTS 4
#define BT_REQUEST_QUEUE_TIME 0.5  /* seconds of a peer's rate kept requested */
#define BT_ENDGAME_PEER_REQS 2	   /* endgame: duplicates keep a peer this busy */
#define BT_MAX_THEIR_REQUESTS 1024 /* their requests queued with us */
#define BT_ADVERTISED_REQQ 512	   /* what we tell peers (BEP 10 reqq) */
/* Queued output per peer: the kernel's socket buffer holds what is in
 * flight, so this only has to last until the next write event; each byte
 * of it is memory, per peer (bench/agent-rss.sh). */
#define BT_OUTPUT_HIGH (32u * 1024) /* stop serving above this much queued output */
#define BT_OUTPUT_LOW (16u * 1024)  /* resume below this */
/* Unsent bytes the kernel may hold per peer socket before it stops
 * reporting it writable (TCP_NOTSENT_LOWAT). Without a limit the socket
 * buffer takes every block a peer asked for at once, so a CANCEL in the
 * endgame comes too late to stop a duplicate, and a HAVE waits behind
 * everything queued. */
#define BT_NOTSENT_LOWAT (16 * 1024)
/* Socket bytes read at once, four PIECE messages of a block (one buffer
 * per session, bt_session.rbuf). */
#define BT_PIECE_MSG_LEN (4 + 9 + BT_BLOCK_SIZE)
#define BT_READ_BUF (4u * BT_PIECE_MSG_LEN)
#define BT_HANDSHAKE_TIMEOUT 10 /* seconds to connect and handshake */
#define BT_IDLE_TIMEOUT 120	/* seconds without any message */
#define BT_KEEPALIVE_INTERVAL 90
/* TCP keepalive and user timeout: a connection whose other end vanished
 * (cable, power) fails in about this many seconds instead of hanging. */
#define BT_TCP_DEAD_AFTER 30
#define BT_CHOKED_REQUEST_GRACE 3 /* s a choking fast peer has to reject our requests */
#define BT_REQUEST_TIMEOUT 20	  /* seconds without a block while requests wait */
#define BT_MAX_KNOWN 1000	  /* addresses per swarm */
#define BT_MAX_SWARMS 64
#define BT_PEX_INTERVAL 60
#define BT_PEX_MAX 50	      /* peers taken from or sent in one PEX message */
#define BT_SS_SLOTS 6	      /* super-seed pieces offered per peer at once */
#define BT_SS_OFFERS 64	      /* super-seed offers out at once, over all peers */
#define BT_SS_SETTLE_MS 500   /* ms after the first super-seeded peer ... */
#define BT_SS_FIRST 2	      /* ... when each peer gets this many offers at most */
#define BT_SS_DUP_BUDGET 0.4  /* second copies the super-seeder may offer, x pieces */
#define BT_SS_RELEASE 2	      /* seconds after the peer has it, offer more */
#define BT_SS_SILENT 5	      /* a peer silent this long does not hold offers back */
#define BT_MAX_DUP_HAVES 2000 /* redundant HAVEs before we call it a flood */

enum bt_peer_source {
	BT_SRC_STATIC = 0,
	BT_SRC_TRACKER,
	BT_SRC_PEX,
	BT_SRC_LPD,
	BT_SRC_INCOMING,
};

/* An address we know for a swarm, connected or not; it outlives its
 * connections so that strikes and bans stick. */
struct bt_known {
	struct sockaddr_in addr;
	char name[32];	  /* "a.b.c.d:port" */
	uint8_t source;	  /* enum bt_peer_source */
	uint8_t strikes;  /* bad pieces it contributed to */
	uint8_t failures; /* connection attempts that failed in a row */
	bool banned;
	bool self;	  /* it was us */
	bool connected;	  /* a peer (in or out) is using this address */
	bool dialable;	  /* we may connect to it (it listens there) */
	int64_t next_try; /* monotonic seconds */
	uint32_t pex_gen; /* when it became connected (for PEX "added") */
	/* Payload bytes to and from this address over every connection, and
	 * the peer id its last handshake gave (bt_swarm_peer_bytes). */
	uint64_t down_bytes, up_bytes;
	uint8_t peer_id[20];
	bool has_id;
};

struct bt_req {
	uint32_t piece;
	uint32_t begin;
	uint32_t length;
	int64_t sent_ms;
};

struct bt_ss_offer {
	uint32_t piece;
	int64_t had_since; /* when the peer said it has it, 0 before */
};

struct bt_peer {
	struct bt_session *session;
	struct bt_swarm *swarm;	     /* NULL until the handshake names it */
	struct bt_peer *next, *prev; /* in the session's list */
	struct bufferevent *bev;     /* writes, connects */
	struct event *rev;	     /* reads, once connected (on_readable) */
	struct bt_known *known;	     /* the address entry, may be NULL */
	struct sockaddr_in addr;
	char name[32];
	bool outgoing;
	bool tcp_up;
	bool handshake_sent;
	bool attached; /* handshake done and accepted by a swarm */
	bool dead;     /* closed; freed by the session soon */
	bool fast;
	bool extended;
	uint8_t peer_id[20];
	struct bt_wire wire;
	struct bt_bitfield have; /* sized once attached */
	bool bitfield_seen;
	bool am_choking, am_interested, peer_choking, peer_interested;
	bool snubbed;
	/* Our requests to the peer. */
	struct bt_req *reqs;
	uint32_t nreq;
	uint32_t queue_target;
	/* Their requests to us, waiting for room in the output buffer. */
	struct bt_block *inq;
	uint32_t ninq;
	/* BEP 10. */
	uint8_t ut_pex;	      /* their id for ut_pex, 0 = none */
	uint16_t listen_port; /* from their extension handshake */
	uint32_t their_reqq;
	uint32_t pex_gen; /* known entries newer than this are "added" */
	int64_t next_pex;
	/* Super-seeding. */
	struct bt_ss_offer ss[BT_SS_SLOTS];
	uint32_t nss;
	/* The peer joined while we super-seeded: it knows only the pieces we
	 * offered it (ss_told), until bt_swarm_set_super_seed() reveals the
	 * rest. */
	bool ss_hidden;
	struct bt_bitfield ss_told;
	/* Accounting, times in monotonic ms. */
	uint64_t down_total, up_total;
	uint64_t down_tick, up_tick; /* payload bytes since the last tick */
	double rate_down, rate_up;   /* bytes/s, smoothed */
	uint32_t dup_haves;
	uint32_t unwanted_blocks;
	int64_t t_start, t_last_recv, t_last_send, t_last_block;
	int64_t t_choked; /* when the peer last choked us */
};

struct bt_session {
	struct event_base *base;
	struct bt_session_config cfg;
	struct logger log;
	struct evconnlistener *listener;
	uint16_t port;
	uint8_t peer_id[20];
	struct bt_swarm *swarms[BT_MAX_SWARMS];
	size_t nswarms;
	struct bt_peer *peers; /* every connection, attached or not */
	uint32_t npeers;
	struct bt_peer *graveyard; /* closed, freed at the next reap */
	struct event *tick;
	struct event *reap;
	struct bufferevent_rate_limit_group *rate_group; /* NULL when unlimited */
	int lpd_fd;					 /* -1 without local service discovery */
	char lpd_cookie[16];
	struct event *lpd_read, *lpd_timer;
	struct ev_token_bucket_cfg *rate_cfg;
	uint64_t rng;
	uint8_t *rbuf; /* BT_READ_BUF: each read of a peer's socket, parsed at once */
};

/* Per piece: who sent which block, and after a failure with several
 * senders, each block's hash and sender, so that the guilty one is found
 * when the piece later passes (a small "smart ban"). */
struct bt_blockrec {
	/* The piece's first `hashed` bytes, hashed as they arrived in order,
	 * so that verifying reads back only what came out of order. */
	struct sha1_ctx *sha;
	uint32_t hashed;
	struct bt_known **from;	 /* per block */
	uint8_t (*bad_hash)[20]; /* per block, after a failure; NULL before */
	struct bt_known **bad_from;
	uint32_t nblocks;
};

struct bt_swarm {
	struct bt_session *session;
	const struct metainfo *mi;
	struct bt_swarm_config cfg;
	struct bt_swarm_callbacks cb;
	struct bt_storage storage;
	struct bt_picker picker;
	struct bt_wire_geometry geo;
	bool seed_only;
	bool complete;
	bool complete_reported;
	struct bt_known *known;
	uint32_t nknown;
	uint32_t pex_gen;
	struct bt_blockrec *contrib; /* per piece */
	int64_t ss_t0;		     /* ms of the first offer of this super-seeding round */
	uint16_t *ss_given;	     /* per piece: super-seed offers */
	uint32_t ss_dups;	     /* offers of pieces some peer already had */
	uint32_t npeers;	     /* attached */
	uint32_t nunchoked;
	/* Totals. */
	uint64_t downloaded, uploaded, wasted;
	double rate_down, rate_up;
	uint32_t bad_pieces, banned;
	uint8_t *banned_ids; /* 20 bytes each */
	uint32_t nbanned_ids;
};

/* The clock, in monotonic milliseconds and seconds. */
int64_t bt_now_ms(void);

/* peer.c: one connection. */
struct bt_peer *bt_peer_new(struct bt_session *s, int fd, const struct sockaddr_in *addr,
			    struct bt_swarm *w, struct bt_known *k);
/* Closes the connection (debug log with the reason) and detaches it from
 * its swarm; the memory is freed later, so callers may still look at
 * p->dead. */
void bt_peer_close(struct bt_peer *p, const char *fmt, ...) PRINTF_LIKE(2, 3);
void bt_peer_free(struct bt_peer *p);
/* Senders: each queues one message on the socket. */
void bt_peer_send_simple(struct bt_peer *p, int type);
void bt_peer_send_index(struct bt_peer *p, int type, uint32_t index);
void bt_peer_send_block(struct bt_peer *p, int type, uint32_t index, uint32_t begin,
			uint32_t length);
void bt_peer_send_bitfield(struct bt_peer *p, const struct bt_bitfield *bf);
void bt_peer_send_extended(struct bt_peer *p, uint8_t id, const void *payload, size_t len);
void bt_peer_send_keepalive(struct bt_peer *p);
/* Serves queued requests while the output buffer has room. */
void bt_peer_serve(struct bt_peer *p);
size_t bt_peer_output_len(const struct bt_peer *p);
/* Bytes to read next from a peer in wire state w (1 to BT_READ_BUF). */
size_t bt_peer_read_size(const struct bt_wire *w);

/* session.c: the limits on connections across swarms. */
bool bt_session_may_connect(struct bt_session *s, const struct sockaddr_in *a);

/* swarm.c: the decisions. */
struct bt_swarm *bt_session_find_swarm(struct bt_session *s, const uint8_t info_hash[20]);
/* The handshake arrived and named w: accept (0) or refuse (reason). */
const char *bt_swarm_accept(struct bt_swarm *w, struct bt_peer *p);
void bt_swarm_on_message(struct bt_swarm *w, struct bt_peer *p, const struct bt_msg *m);
void bt_swarm_detach(struct bt_swarm *w, struct bt_peer *p);
void bt_swarm_tick(struct bt_swarm *w, int64_t now_ms);
void bt_swarm_connect_more(struct bt_swarm *w);

/* lpd.c: BEP 14 local service discovery. */
#define BT_LPD_MAX_MSG 1400
#define BT_LPD_MAX_HASHES 16
struct bt_lpd_msg {
	uint16_t port;
	uint8_t hashes[BT_LPD_MAX_HASHES][20];
	size_t n_hashes;
	char cookie[32];
	size_t cookie_len;
};
/* Parses one announce datagram. 0 or BT_E_PROTOCOL. */
int bt_lpd_parse(const uint8_t *p, size_t len, struct bt_lpd_msg *out) WUR;
int bt_lpd_build(struct buf *b, uint16_t port, const uint8_t (*hashes)[20], size_t n,
		 const char *cookie) WUR;
int bt_lpd_start(struct bt_session *s) WUR;
void bt_lpd_stop(struct bt_session *s);
void bt_lpd_announce_soon(struct bt_session *s);
void bt_swarm_add_peer_lpd(struct bt_swarm *w, const struct sockaddr_in *a);

/* ext.c: BEP 10 and BEP 11 payloads. */
struct bt_ext_handshake {
	uint8_t ut_pex; /* 0 when absent */
	uint16_t port;	/* 0 when absent */
	uint32_t reqq;	/* 0 when absent */
};
int bt_ext_handshake_build(struct buf *b, uint16_t port, bool pex) WUR;
int bt_ext_handshake_parse(const uint8_t *p, size_t len, struct bt_ext_handshake *out) WUR;
/* Builds a ut_pex payload with addrs[0..n) as "added". */
int bt_pex_build(struct buf *b, const struct sockaddr_in *added, size_t n) WUR;
/* Parses a ut_pex payload; writes at most max "added" IPv4 peers. */
int bt_pex_parse(const uint8_t *p, size_t len, struct sockaddr_in *out, size_t max, size_t *n) WUR;

#endif
