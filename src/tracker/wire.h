/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The BitTorrent tracker protocol on the wire: the HTTP announce and scrape
 * (BEP 3, compact peer lists of BEP 23) and the UDP tracker protocol
 * (BEP 15). Pure functions over bytes: no sockets, no clocks (the caller
 * passes the time), no global state; so each is unit-tested with byte
 * vectors and fuzzed.
 *
 * Conventions: parsers return 0, or a positive TRACKER_E_* code for input
 * that is not acceptable (never crash, never allocate what the input
 * claims); builders append to a struct buf and return 0 or -E2BIG when the
 * buffer's maximum would be passed. Addresses are IPv4 only: BootTorrent's
 * networks are IPv4 (PXE), so "peers6" and IPv6 sources are ignored.
 */
#ifndef BT_TRACKER_WIRE_H
#define BT_TRACKER_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/hmac.h>

#include "util/buf.h"
#include "util/util.h"

#define TRACKER_HASH_LEN 20
#define TRACKER_PEER_ID_LEN 20

/* Caps on what we accept from outside and what we hand out. */
#define TRACKER_QUERY_MAX 4096	    /* bytes of an HTTP query string */
#define TRACKER_QUERY_PARAMS_MAX 64 /* key=value pairs in one query */
#define TRACKER_NUMWANT_DEFAULT 50
#define TRACKER_NUMWANT_MAX 200
#define TRACKER_BYTES_MAX ((uint64_t)1 << 56) /* 64 PiB: anything larger is absurd */
#define TRACKER_REPLY_PEERS_MAX 200	      /* peers taken from one reply; the rest are ignored */
#define TRACKER_HTTP_REPLY_MAX (256 * 1024)   /* bytes of one HTTP tracker reply */
#define TRACKER_SCRAPE_MAX 74		      /* hashes in one scrape (BEP 15: fits 1500 bytes) */
#define TRACKER_MESSAGE_MAX 200		      /* bytes kept of a failure or warning text */

/* Positive codes for input from outside that we do not accept. */
enum {
	TRACKER_E_MALFORMED = 1, /* bad syntax, escape, length or number */
	TRACKER_E_MISSING,	 /* a required parameter or field is absent */
	TRACKER_E_DUPLICATE,	 /* a parameter given twice */
	TRACKER_E_TOO_LONG,	 /* past a length or count cap */
	TRACKER_E_ACTION,	 /* UDP: an action we did not expect */
	TRACKER_E_TXID,		 /* UDP: a transaction id we did not send */
	TRACKER_E_CONN_ID,	 /* UDP: a connection id we did not give out (or too old) */
	TRACKER_E_FAILURE,	 /* the tracker answered with a failure reason / UDP error */
};

/* A short English description of a TRACKER_E_* code. */
const char *tracker_strerror(int code);

/* Announce events. The values are BEP 15's on the wire. */
enum tracker_event {
	TRACKER_EVENT_NONE = 0,
	TRACKER_EVENT_COMPLETED = 1,
	TRACKER_EVENT_STARTED = 2,
	TRACKER_EVENT_STOPPED = 3,
};

/* "started", "completed", "stopped" or "" for NONE. */
const char *tracker_event_name(enum tracker_event ev);

/* One announce, as a client sends it and as the server reads it. */
struct tracker_announce {
	uint8_t info_hash[TRACKER_HASH_LEN];
	uint8_t peer_id[TRACKER_PEER_ID_LEN];
	uint16_t port;			     /* 1..65535 */
	uint64_t uploaded, downloaded, left; /* each <= TRACKER_BYTES_MAX */
	enum tracker_event event;
	uint32_t numwant; /* already capped to TRACKER_NUMWANT_MAX by parsers */
	uint32_t key;
	bool has_key;
	bool compact;	 /* HTTP: the client accepts (or asked for) a compact list */
	bool no_peer_id; /* HTTP: the client does not want peer ids in a dict list */
};

/* An IPv4 peer. */
struct tracker_peer_addr {
	struct in_addr addr; /* network byte order, as in sockaddr_in */
	uint16_t port;	     /* host byte order */
};

/* One peer in a server's reply (peer_id used only by non-compact lists). */
struct tracker_reply_peer {
	struct tracker_peer_addr a;
	uint8_t peer_id[TRACKER_PEER_ID_LEN];
};

/* ---- HTTP (BEP 3, BEP 23) ---- */

/* Appends the query parameters of an announce (without '?': the caller
 * joins them to the announce URL with '?' or '&'): info_hash and peer_id
 * percent-encoded, port, uploaded, downloaded, left, event (unless NONE),
 * compact=1, numwant, key (if has_key). */
int tracker_http_query_build(struct buf *out, const struct tracker_announce *a) WUR;

/* Server: parses the query string of GET /announce (the part after '?',
 * len bytes, not necessarily NUL-terminated) into *a. Strict: every
 * %-escape is two hex digits; info_hash and peer_id decode to exactly 20
 * bytes; port is 1..65535; uploaded, downloaded, left are decimal and at
 * most TRACKER_BYTES_MAX; event is one of the four; numwant is decimal
 * (negative means "default") and capped at TRACKER_NUMWANT_MAX; a known
 * parameter given twice is rejected; unknown parameters are ignored; the
 * query is at most TRACKER_QUERY_MAX bytes and TRACKER_QUERY_PARAMS_MAX
 * pairs. compact defaults to true (we always may answer compact, BEP 23)
 * unless compact=0. Returns 0 or TRACKER_E_*; *why (if not NULL) is set to
 * a static English text fit for a "failure reason". */
int tracker_http_query_parse(const char *q, size_t len, struct tracker_announce *a,
			     const char **why) WUR;

/* Server: parses the query of GET /scrape: every info_hash parameter (at
 * most max, at most TRACKER_SCRAPE_MAX), other parameters ignored. An
 * empty list is allowed (*n = 0, "scrape everything"). */
int tracker_http_scrape_parse(const char *q, size_t len, uint8_t (*hashes)[TRACKER_HASH_LEN],
			      size_t max, size_t *n, const char **why) WUR;

/* Server: what goes into an announce reply. */
struct tracker_http_reply {
	uint32_t interval, min_interval; /* seconds */
	uint32_t complete, incomplete;	 /* seeders, leechers */
	const struct tracker_reply_peer *peers;
	size_t n_peers;
	bool compact;	     /* BEP 23 6-byte entries, else a list of dicts */
	bool no_peer_id;     /* dict list without "peer id" */
	const char *warning; /* "warning message", or NULL */
};

/* Server: the bencoded announce reply (at most TRACKER_NUMWANT_MAX peers
 * are written). */
int tracker_http_reply_build(struct buf *out, const struct tracker_http_reply *r) WUR;
/* Server: the bencoded reply d14:failure reason<len>:<reason>e. */
int tracker_http_failure_build(struct buf *out, const char *reason) WUR;

/* One torrent's counts in a scrape reply. */
struct tracker_scrape_entry {
	uint8_t info_hash[TRACKER_HASH_LEN];
	uint32_t complete, downloaded, incomplete;
};

/* Server: the bencoded scrape reply d5:filesd<hash>d...eee. Entries must be
 * in ascending info_hash order (bencode sorts keys); the builder checks. */
int tracker_http_scrape_build(struct buf *out, const struct tracker_scrape_entry *e, size_t n) WUR;

/* Client: what an announce reply said. */
struct tracker_reply {
	uint32_t interval, min_interval; /* 0 when absent */
	int64_t complete, incomplete;	 /* -1 when absent */
	struct tracker_peer_addr peers[TRACKER_REPLY_PEERS_MAX];
	size_t n_peers;
	size_t n_peers_ignored;		       /* past the cap, IPv6 or unusable entries */
	char failure[TRACKER_MESSAGE_MAX + 1]; /* "" unless the tracker refused */
	char warning[TRACKER_MESSAGE_MAX + 1];
};

/* Client: parses an HTTP announce reply body (at most
 * TRACKER_HTTP_REPLY_MAX bytes, strict bencode): "peers" as a compact
 * string (a multiple of 6 bytes) or a list of dicts with "ip" (dotted IPv4;
 * host names and IPv6 are skipped) and "port"; at most
 * TRACKER_REPLY_PEERS_MAX taken. Returns 0, TRACKER_E_FAILURE when the
 * tracker sent a "failure reason" (copied into r->failure, printable bytes
 * only), or another TRACKER_E_* code. */
int tracker_http_reply_parse(const uint8_t *data, size_t len, struct tracker_reply *r) WUR;

/* ---- UDP (BEP 15) ---- */

#define TRACKER_UDP_PROTOCOL_ID 0x41727101980ULL
#define TRACKER_UDP_CONNECT_LEN 16
#define TRACKER_UDP_ANNOUNCE_LEN 98
#define TRACKER_UDP_ANNOUNCE_REPLY_MIN 20
#define TRACKER_UDP_PACKET_MAX 1500 /* we never send or accept more */
/* How long a connection id stays valid. A client uses one for at most
 * 60 s (BEP 15); the server accepts it for 60..120 s (two epochs). */
#define TRACKER_UDP_CONN_EPOCH_S 60

enum tracker_udp_action {
	TRACKER_UDP_CONNECT = 0,
	TRACKER_UDP_ANNOUNCE = 1,
	TRACKER_UDP_SCRAPE = 2,
	TRACKER_UDP_ERROR = 3,
};

/* Client requests. Each appends one packet. */
int tracker_udp_connect_build(struct buf *out, uint32_t txid) WUR;
int tracker_udp_announce_build(struct buf *out, uint64_t conn_id, uint32_t txid,
			       const struct tracker_announce *a) WUR;
int tracker_udp_scrape_build(struct buf *out, uint64_t conn_id, uint32_t txid,
			     const uint8_t (*hashes)[TRACKER_HASH_LEN], size_t n) WUR;

/* A request as the server reads it. */
struct tracker_udp_request {
	enum tracker_udp_action action;
	uint32_t txid;
	uint64_t conn_id;		  /* not for CONNECT */
	struct tracker_announce announce; /* ANNOUNCE (numwant capped, compact true) */
	const uint8_t *scrape_hashes;	  /* SCRAPE: n_scrape * 20 bytes inside the packet */
	size_t n_scrape;
};

/* Server: parses one datagram. CONNECT must be exactly 16 bytes with the
 * protocol id; ANNOUNCE at least 98 (BEP 41 options after it are
 * ignored); SCRAPE 16 + 20·n with 1 <= n <= TRACKER_SCRAPE_MAX. The ip
 * field of an announce is ignored (we answer to the source address). The
 * connection id is not checked here: see tracker_udp_conn_id_check(). On
 * an error after the header, r->txid is set so the caller can answer with
 * an error packet. */
int tracker_udp_request_parse(const uint8_t *pkt, size_t len, struct tracker_udp_request *r) WUR;

/* Server: the secret behind connection ids. A keyed hash (HMAC-SHA256) of
 * the client's address and port and the time epoch, so no state is kept per
 * connect. */
struct tracker_udp_secret {
	struct hmac_sha256_ctx hmac;
};

/* Keys the secret with len random bytes. */
void tracker_udp_secret_init(struct tracker_udp_secret *s, const uint8_t *key, size_t len);
/* The connection id for a client at a time (seconds, any monotonic clock). */
uint64_t tracker_udp_conn_id(const struct tracker_udp_secret *s, const struct sockaddr_in *from,
			     uint64_t now_s);
/* True when id was given to this client in this epoch or the one before. */
bool tracker_udp_conn_id_check(const struct tracker_udp_secret *s, const struct sockaddr_in *from,
			       uint64_t now_s, uint64_t id);

/* Server replies. */
int tracker_udp_connect_reply_build(struct buf *out, uint32_t txid, uint64_t conn_id) WUR;
/* interval, leechers, seeders, then 6 bytes per peer. */
int tracker_udp_announce_reply_build(struct buf *out, uint32_t txid, uint32_t interval,
				     uint32_t leechers, uint32_t seeders,
				     const struct tracker_reply_peer *peers, size_t n) WUR;
int tracker_udp_scrape_reply_build(struct buf *out, uint32_t txid,
				   const struct tracker_scrape_entry *e, size_t n) WUR;
int tracker_udp_error_build(struct buf *out, uint32_t txid, const char *msg) WUR;

/* Client: parses a CONNECT reply for txid into *conn_id. An ERROR reply
 * gives TRACKER_E_FAILURE with its text in failure (TRACKER_MESSAGE_MAX+1
 * bytes, may be NULL). */
int tracker_udp_connect_reply_parse(const uint8_t *pkt, size_t len, uint32_t txid,
				    uint64_t *conn_id, char *failure) WUR;
/* Client: parses an ANNOUNCE reply for txid into r (interval, counts, at
 * most TRACKER_REPLY_PEERS_MAX peers; failure set on an ERROR reply). */
int tracker_udp_announce_reply_parse(const uint8_t *pkt, size_t len, uint32_t txid,
				     struct tracker_reply *r) WUR;
/* Client: parses a SCRAPE reply for txid with n entries expected; entries'
 * info_hash fields are left as they were (the caller knows the order). */
int tracker_udp_scrape_reply_parse(const uint8_t *pkt, size_t len, uint32_t txid,
				   struct tracker_scrape_entry *e, size_t n, char *failure) WUR;

/* ---- Small helpers shared by client and server ---- */

/* Percent-encodes len bytes for a query: unreserved bytes (RFC 3986) as
 * they are, everything else as %XX. */
int tracker_url_encode(struct buf *out, const uint8_t *p, size_t len) WUR;
/* Strictly percent-decodes s[0..len) into out (at most max bytes); '+' is
 * taken as itself. Returns the decoded length, or -1 on a bad escape or an
 * overflow of max. */
long tracker_url_decode(const char *s, size_t len, uint8_t *out, size_t max) WUR;

#endif
