/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The tracker server: a sorted array of torrents, each with an array of
 * peers and a chained hash index over (address, port). Removal moves the
 * last peer into the hole, so the array stays dense and selection can walk
 * it from a random point.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "tracker/server.h"
#include "util/util.h"

#define COMPONENT "TRACKER"
#define NIL UINT32_MAX
#define UDP_BATCH 32 /* datagrams read per wakeup */

struct peer {
	uint32_t ip; /* network byte order */
	uint16_t port;
	uint8_t last_event;
	uint8_t pinned; /* a peer of this process: never expires */
	uint8_t peer_id[TRACKER_PEER_ID_LEN];
	uint64_t uploaded, downloaded, left;
	uint64_t first_ms, last_ms;
	uint32_t next; /* hash chain */
};

struct torrent {
	uint8_t hash[TRACKER_HASH_LEN];
	struct peer *peers;
	uint32_t n, cap;
	uint32_t *buckets; /* heads of chains; nbuckets is a power of two */
	uint32_t nbuckets;
	uint32_t seeders;
	uint32_t completed;
};

struct tracker_server {
	struct event_base *base;
	struct tracker_server_config cfg;
	struct logger log;
	struct tracker_server_callbacks cb;
	struct torrent *torrents; /* sorted by hash */
	size_t n_torrents;
	uint64_t n_peers;
	uint32_t hash_seed;
	uint64_t rng;
	struct tracker_udp_secret secret;
	uint64_t (*now_fn)(void *ctx);
	void *now_ctx;
	int udp_fd;
	uint16_t udp_port;
	struct event *udp_ev;
	struct udp_batch *batch;
	struct event *expire_ev;
	uint64_t dropped_full; /* announces not recorded for lack of room */
};

static uint64_t mono_ms(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now(const struct tracker_server *srv)
{
	return srv->now_fn(srv->now_ctx);
}

/* xorshift64*: peer selection only needs to be unpredictable enough that
 * replies spread over the swarm. */
static uint32_t rng_next(struct tracker_server *srv)
{
	uint64_t x = srv->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	srv->rng = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/* ---- Torrents ---- */

static struct torrent *torrent_find(const struct tracker_server *srv, const uint8_t *hash)
{
	size_t lo = 0, hi = srv->n_torrents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(srv->torrents[mid].hash, hash, TRACKER_HASH_LEN);
		if (c == 0)
			return &srv->torrents[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int tracker_server_add_torrent(struct tracker_server *srv, const uint8_t *hash)
{
	size_t i = 0;

	if (torrent_find(srv, hash))
		return -EEXIST;
	if (srv->n_torrents >= srv->cfg.max_torrents)
		return -ENOSPC;
	while (i < srv->n_torrents && memcmp(srv->torrents[i].hash, hash, TRACKER_HASH_LEN) < 0)
		i++;
	srv->torrents = xrealloc(srv->torrents, (srv->n_torrents + 1) * sizeof(*srv->torrents));
	memmove(&srv->torrents[i + 1], &srv->torrents[i],
		(srv->n_torrents - i) * sizeof(*srv->torrents));
	memset(&srv->torrents[i], 0, sizeof(srv->torrents[i]));
	memcpy(srv->torrents[i].hash, hash, TRACKER_HASH_LEN);
	srv->n_torrents++;
	return 0;
}

int tracker_server_remove_torrent(struct tracker_server *srv, const uint8_t *hash)
{
	struct torrent *t = torrent_find(srv, hash);
	size_t i;

	if (!t)
		return -ENOENT;
	i = (size_t)(t - srv->torrents);
	srv->n_peers -= t->n;
	free(t->peers);
	free(t->buckets);
	memmove(&srv->torrents[i], &srv->torrents[i + 1],
		(srv->n_torrents - i - 1) * sizeof(*srv->torrents));
	srv->n_torrents--;
	return 0;
}

/* ---- Peers ---- */

static uint32_t peer_bucket(const struct tracker_server *srv, const struct torrent *t, uint32_t ip,
			    uint16_t port)
{
	uint64_t h = ((uint64_t)ip << 16 | port) ^ srv->hash_seed;

	h *= 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(h >> 32) & (t->nbuckets - 1);
}

static uint32_t peer_find(const struct tracker_server *srv, const struct torrent *t, uint32_t ip,
			  uint16_t port)
{
	if (t->nbuckets == 0)
		return NIL;
	for (uint32_t i = t->buckets[peer_bucket(srv, t, ip, port)]; i != NIL; i = t->peers[i].next)
		if (t->peers[i].ip == ip && t->peers[i].port == port)
			return i;
	return NIL;
}

static void peer_link(const struct tracker_server *srv, struct torrent *t, uint32_t i)
{
	uint32_t b = peer_bucket(srv, t, t->peers[i].ip, t->peers[i].port);

	t->peers[i].next = t->buckets[b];
	t->buckets[b] = i;
}

static void peer_unlink(const struct tracker_server *srv, struct torrent *t, uint32_t i)
{
	uint32_t *pp = &t->buckets[peer_bucket(srv, t, t->peers[i].ip, t->peers[i].port)];

	while (*pp != i)
		pp = &t->peers[*pp].next;
	*pp = t->peers[i].next;
}

static void torrent_grow(const struct tracker_server *srv, struct torrent *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 16;

	t->peers = xrealloc(t->peers, (size_t)cap * sizeof(*t->peers));
	t->cap = cap;
	/* Keep chains short: as many buckets as peers fit. */
	free(t->buckets);
	t->nbuckets = cap;
	t->buckets = xmalloc((size_t)cap * sizeof(*t->buckets));
	for (uint32_t b = 0; b < cap; b++)
		t->buckets[b] = NIL;
	for (uint32_t i = 0; i < t->n; i++)
		peer_link(srv, t, i);
}

static void peer_info(const struct tracker_server *srv, const struct torrent *t,
		      const struct peer *p, struct tracker_peer_info *info, uint64_t now_ms)
{
	info->info_hash = t->hash;
	info->peer_id = p->peer_id;
	info->addr.addr.s_addr = p->ip;
	info->addr.port = p->port;
	info->uploaded = p->uploaded;
	info->downloaded = p->downloaded;
	info->left = p->left;
	info->last_event = (enum tracker_event)p->last_event;
	info->idle_ms = now_ms - MIN(p->last_ms, now_ms);
	info->age_ms = now_ms - MIN(p->first_ms, now_ms);
}

static void notify(struct tracker_server *srv, enum tracker_peer_change what,
		   const struct torrent *t, const struct peer *p, uint64_t now_ms)
{
	struct tracker_peer_info info;

	if (!srv->cb.on_peer)
		return;
	peer_info(srv, t, p, &info, now_ms);
	srv->cb.on_peer(srv->cb.ctx, what, &info);
}

static void peer_remove(struct tracker_server *srv, struct torrent *t, uint32_t i)
{
	uint32_t last = t->n - 1;

	if (t->peers[i].left == 0)
		t->seeders--;
	peer_unlink(srv, t, i);
	if (i != last) {
		peer_unlink(srv, t, last);
		t->peers[i] = t->peers[last];
		peer_link(srv, t, i);
	}
	t->n--;
	srv->n_peers--;
}

/* Records an announce. Returns the peer's index, or NIL when it was not
 * recorded (stopped, or no room). */
static uint32_t peer_update(struct tracker_server *srv, struct torrent *t, uint32_t ip,
			    const struct tracker_announce *a, uint64_t now_ms)
{
	uint32_t i = peer_find(srv, t, ip, a->port);
	bool is_new = i == NIL;
	struct peer *p;

	if (a->event == TRACKER_EVENT_STOPPED) {
		if (!is_new) {
			/* A client that finishes and leaves at once (aria2c with
			 * --seed-time=0) may never send "completed". */
			if (t->peers[i].left != 0 && a->left == 0)
				t->completed++;
			t->peers[i].last_event = TRACKER_EVENT_STOPPED;
			notify(srv, TRACKER_PEER_STOPPED, t, &t->peers[i], now_ms);
			peer_remove(srv, t, i);
		}
		return NIL;
	}
	if (is_new) {
		if (t->n >= srv->cfg.max_peers_per_torrent ||
		    srv->n_peers >= srv->cfg.max_peers_total) {
			if (srv->dropped_full++ % 1000 == 0)
				logger_log(&srv->log, LOG_WARN, COMPONENT,
					   "peer table full: announces answered but not recorded");
			return NIL;
		}
		if (t->n == t->cap)
			torrent_grow(srv, t);
		i = t->n++;
		srv->n_peers++;
		p = &t->peers[i];
		memset(p, 0, sizeof(*p));
		p->ip = ip;
		p->port = a->port;
		p->first_ms = now_ms;
		p->left = 1; /* counted as a leecher until the update below */
		peer_link(srv, t, i);
	}
	p = &t->peers[i];
	if (p->left == 0 && a->left != 0)
		t->seeders--;
	else if (p->left != 0 && a->left == 0)
		t->seeders++;
	/* A download counts once: a peer we knew as a leecher that has nothing
	 * left, or a "completed" from one we had not seen. */
	if (is_new ? a->event == TRACKER_EVENT_COMPLETED : p->left != 0 && a->left == 0)
		t->completed++;
	memcpy(p->peer_id, a->peer_id, TRACKER_PEER_ID_LEN);
	p->uploaded = a->uploaded;
	p->downloaded = a->downloaded;
	p->left = a->left;
	p->last_ms = now_ms;
	if (a->event != TRACKER_EVENT_NONE)
		p->last_event = (uint8_t)a->event;
	notify(srv, is_new ? TRACKER_PEER_NEW : TRACKER_PEER_UPDATE, t, p, now_ms);
	return i;
}

/* Appends to out[n..] peers of one kind (seeds or leechers) until out
 * holds want, walking the array once from a random point and skipping the
 * requester. The two kinds never overlap, so two calls give no duplicates. */
static size_t pick(struct tracker_server *srv, const struct torrent *t, uint32_t self, bool seeds,
		   size_t want, struct tracker_reply_peer *out, size_t n)
{
	uint32_t start;

	if (t->n == 0 || n >= want)
		return n;
	start = rng_next(srv) % t->n;
	for (uint32_t k = 0; k < t->n && n < want; k++) {
		uint32_t i = start + k < t->n ? start + k : start + k - t->n;
		const struct peer *p = &t->peers[i];
		if (i == self || (p->left == 0) != seeds)
			continue;
		out[n].a.addr.s_addr = p->ip;
		out[n].a.port = p->port;
		memcpy(out[n].peer_id, p->peer_id, TRACKER_PEER_ID_LEN);
		n++;
	}
	return n;
}

/* Fills out (room for TRACKER_NUMWANT_MAX) for a requester that is a seed
 * or not; self is its index or NIL. */
static size_t select_peers(struct tracker_server *srv, const struct torrent *t, uint32_t self,
			   bool requester_seed, uint32_t numwant, struct tracker_reply_peer *out)
{
	size_t want = MIN(numwant, srv->cfg.numwant_max);
	size_t n = 0, seed_quota;

	if (want == 0)
		return 0;
	if (requester_seed)
		return pick(srv, t, self, false, want, out, 0);
	/* A quarter of the list (at least one) for seeds, the rest leechers;
	 * then seeds again if leechers were too few. */
	seed_quota = MIN((size_t)t->seeders, MAX(want / 4, (size_t)1));
	n = pick(srv, t, self, false, want - seed_quota, out, n);
	if (t->seeders > 0)
		n = pick(srv, t, self, true, want, out, n);
	return n;
}

/* The common part of an HTTP and a UDP announce. */
static size_t announce(struct tracker_server *srv, struct torrent *t, uint32_t ip,
		       const struct tracker_announce *a, struct tracker_reply_peer *out)
{
	uint64_t now_ms = now(srv);
	uint32_t self = peer_update(srv, t, ip, a, now_ms);
	uint32_t numwant = a->numwant;

	if (a->event == TRACKER_EVENT_STOPPED)
		return 0;
	return select_peers(srv, t, self, a->left == 0, numwant, out);
}

int tracker_server_announce_local(struct tracker_server *srv, const struct tracker_announce *a,
				  struct in_addr addr)
{
	struct torrent *t = torrent_find(srv, a->info_hash);
	uint32_t i;

	if (!t)
		return -ENOENT;
	if (a->port == 0)
		return -EINVAL;
	i = peer_update(srv, t, addr.s_addr, a, now(srv));
	if (i == NIL)
		return a->event == TRACKER_EVENT_STOPPED ? 0 : -ENOSPC;
	t->peers[i].pinned = 1;
	return 0;
}

/* ---- HTTP ---- */

int tracker_server_handle_announce(struct tracker_server *srv, const char *query, size_t len,
				   const struct sockaddr_in *from, struct buf *out)
{
	struct tracker_reply_peer peers[TRACKER_NUMWANT_MAX];
	struct tracker_announce a;
	struct tracker_http_reply r = {0};
	const char *why = "invalid request";
	struct torrent *t;
	int e;

	e = tracker_http_query_parse(query, len, &a, &why);
	if (e)
		return tracker_http_failure_build(out, why);
	t = torrent_find(srv, a.info_hash);
	if (!t)
		return tracker_http_failure_build(out, "unknown torrent");
	r.n_peers = announce(srv, t, from->sin_addr.s_addr, &a, peers);
	r.peers = peers;
	r.interval = srv->cfg.interval_s;
	r.min_interval = srv->cfg.min_interval_s;
	r.complete = t->seeders;
	r.incomplete = t->n - t->seeders;
	r.compact = a.compact;
	r.no_peer_id = a.no_peer_id;
	return tracker_http_reply_build(out, &r);
}

static int scrape_cmp(const void *a, const void *b)
{
	return memcmp(a, b, TRACKER_HASH_LEN);
}

int tracker_server_handle_scrape(struct tracker_server *srv, const char *query, size_t len,
				 struct buf *out)
{
	uint8_t hashes[TRACKER_SCRAPE_MAX][TRACKER_HASH_LEN];
	struct tracker_scrape_entry e[TRACKER_SCRAPE_MAX];
	const char *why = "invalid request";
	size_t n, m = 0;

	if (tracker_http_scrape_parse(query, len, hashes, TRACKER_SCRAPE_MAX, &n, &why))
		return tracker_http_failure_build(out, why);
	if (n == 0) {
		/* A full scrape: every torrent we serve (few, and public here). */
		for (size_t i = 0; i < srv->n_torrents && m < TRACKER_SCRAPE_MAX; i++)
			memcpy(hashes[m++], srv->torrents[i].hash, TRACKER_HASH_LEN);
		n = m;
		m = 0;
	}
	/* Bencode needs the keys sorted and unique; unknown hashes are left
	 * out (BEP 48 allows that). */
	qsort(hashes, n, TRACKER_HASH_LEN, scrape_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && memcmp(hashes[i - 1], hashes[i], TRACKER_HASH_LEN) == 0)
			continue;
		if (tracker_server_torrent_counts(srv, hashes[i], &e[m]) == 0)
			m++;
	}
	return tracker_http_scrape_build(out, e, m);
}

static bool http_peer_addr(struct evhttp_request *req, struct sockaddr_in *from)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;

	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		memcpy(from, sa, sizeof(*from));
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		/* An IPv4 client on a dual-stack socket. */
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return false;
		memset(from, 0, sizeof(*from));
		from->sin_family = AF_INET;
		from->sin_port = s6->sin6_port;
		memcpy(&from->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return true;
	}
	return false;
}

static void http_reply(struct evhttp_request *req, struct buf *b)
{
	/* Straight into the request's own output buffer: no evbuffer of our
	 * own to allocate, fill and copy from on every announce. */
	if (evbuffer_add(evhttp_request_get_output_buffer(req), b->data, b->len) < 0) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	/* Failures are 200 with a "failure reason", as BEP 3 clients expect. */
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

static void http_handle(struct evhttp_request *req, void *arg, bool is_scrape)
{
	struct tracker_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct sockaddr_in from;
	struct buf b;
	int r;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, HTTP_BADMETHOD, NULL);
		return;
	}
	buf_init(&b, 64 * 1024);
	if (!query)
		query = "";
	if (is_scrape) {
		r = tracker_server_handle_scrape(srv, query, strlen(query), &b);
	} else if (!http_peer_addr(req, &from)) {
		r = tracker_http_failure_build(&b, "IPv4 only");
	} else {
		r = tracker_server_handle_announce(srv, query, strlen(query), &from, &b);
	}
	if (r < 0)
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	else
		http_reply(req, &b);
	buf_release(&b);
}

static void http_announce_cb(struct evhttp_request *req, void *arg)
{
	http_handle(req, arg, false);
}

static void http_scrape_cb(struct evhttp_request *req, void *arg)
{
	http_handle(req, arg, true);
}

int tracker_server_attach_http(struct tracker_server *srv, struct evhttp *http)
{
	if (evhttp_set_cb(http, "/announce", http_announce_cb, srv) != 0)
		return -EEXIST;
	if (evhttp_set_cb(http, "/scrape", http_scrape_cb, srv) != 0) {
		evhttp_del_cb(http, "/announce");
		return -EEXIST;
	}
	return 0;
}

void tracker_server_detach_http(struct tracker_server *srv, struct evhttp *http)
{
	evhttp_del_cb(http, "/announce");
	evhttp_del_cb(http, "/scrape");
}

/* ---- UDP ---- */

int tracker_server_handle_udp(struct tracker_server *srv, const uint8_t *pkt, size_t len,
			      const struct sockaddr_in *from, struct buf *out)
{
	struct tracker_reply_peer peers[TRACKER_NUMWANT_MAX];
	struct tracker_udp_request rq;
	uint64_t now_s = now(srv) / 1000;
	struct torrent *t;
	size_t n;
	int e;

	e = tracker_udp_request_parse(pkt, len, &rq);
	if (e) {
		/* Answer only what looks like a tracker request with a bad field;
		 * random bytes and bad connects get nothing. */
		if (len < 16 || rq.action == TRACKER_UDP_CONNECT || rq.action == TRACKER_UDP_ERROR)
			return 0;
		e = tracker_udp_error_build(out, rq.txid, "malformed request");
		return e < 0 ? e : 1;
	}
	if (rq.action == TRACKER_UDP_CONNECT) {
		e = tracker_udp_connect_reply_build(out, rq.txid,
						    tracker_udp_conn_id(&srv->secret, from, now_s));
		return e < 0 ? e : 1;
	}
	if (!tracker_udp_conn_id_check(&srv->secret, from, now_s, rq.conn_id)) {
		e = tracker_udp_error_build(out, rq.txid, "connection id expired");
		return e < 0 ? e : 1;
	}
	if (rq.action == TRACKER_UDP_SCRAPE) {
		struct tracker_scrape_entry ent[TRACKER_SCRAPE_MAX];
		for (size_t i = 0; i < rq.n_scrape; i++) {
			memset(&ent[i], 0, sizeof(ent[i]));
			/* Unknown torrents read as zeros: the reply has one entry
			 * per hash asked, in order. */
			(void)!tracker_server_torrent_counts(srv, rq.scrape_hashes + 20 * i,
							     &ent[i]);
		}
		e = tracker_udp_scrape_reply_build(out, rq.txid, ent, rq.n_scrape);
		return e < 0 ? e : 1;
	}
	t = torrent_find(srv, rq.announce.info_hash);
	if (!t) {
		e = tracker_udp_error_build(out, rq.txid, "unknown torrent");
		return e < 0 ? e : 1;
	}
	n = announce(srv, t, from->sin_addr.s_addr, &rq.announce, peers);
	e = tracker_udp_announce_reply_build(out, rq.txid, srv->cfg.interval_s, t->n - t->seeders,
					     t->seeders, peers, n);
	return e < 0 ? e : 1;
}

/* Buffers for one batch of datagrams: recvmmsg() and sendmmsg() move up to
 * UDP_BATCH packets per system call, which is most of the cost of a UDP
 * announce. */
#define UDP_REPLY_MAX (20 + 6 * TRACKER_NUMWANT_MAX)
struct udp_batch {
	uint8_t in[UDP_BATCH][TRACKER_UDP_PACKET_MAX + 1];
	uint8_t out[UDP_BATCH][UDP_REPLY_MAX];
	struct sockaddr_in from[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
	struct mmsghdr in_msg[UDP_BATCH], out_msg[UDP_BATCH];
};

static void udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tracker_server *srv = arg;
	struct udp_batch *b = srv->batch;
	struct buf reply;
	int n, m = 0;

	for (int k = 0; k < UDP_BATCH; k++) {
		b->in_iov[k] = (struct iovec){b->in[k], sizeof(b->in[k])};
		b->in_msg[k].msg_hdr = (struct msghdr){.msg_name = &b->from[k],
						       .msg_namelen = sizeof(b->from[k]),
						       .msg_iov = &b->in_iov[k],
						       .msg_iovlen = 1};
	}
	/* One batch per wakeup, so the HTTP side is served too. */
	n = recvmmsg(fd, b->in_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
	buf_init(&reply, UDP_REPLY_MAX);
	for (int k = 0; k < n; k++) {
		const struct sockaddr_in *from = &b->from[k];
		if (b->in_msg[k].msg_hdr.msg_namelen != sizeof(*from) ||
		    from->sin_family != AF_INET || from->sin_port == 0 ||
		    (b->in_msg[k].msg_hdr.msg_flags & MSG_TRUNC))
			continue;
		buf_reset(&reply);
		if (tracker_server_handle_udp(srv, b->in[k], b->in_msg[k].msg_len, from, &reply) !=
		    1)
			continue;
		memcpy(b->out[m], reply.data, reply.len);
		b->out_iov[m] = (struct iovec){b->out[m], reply.len};
		b->out_msg[m].msg_hdr = (struct msghdr){.msg_name = (void *)from,
							.msg_namelen = sizeof(*from),
							.msg_iov = &b->out_iov[m],
							.msg_iovlen = 1};
		m++;
	}
	buf_release(&reply);
	/* A full send queue drops the rest: UDP clients retransmit. */
	for (int sent = 0; sent < m;) {
		int r = sendmmsg(fd, b->out_msg + sent, (unsigned)(m - sent), MSG_DONTWAIT);
		if (r <= 0)
			break;
		sent += r;
	}
}

int tracker_server_listen_udp(struct tracker_server *srv, const char *address, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t salen = sizeof(sa);
	int fd, one = 1, rcvbuf = 4 << 20;

	if (srv->udp_fd >= 0 || !srv->base)
		return -EBUSY;
	if (inet_pton(AF_INET, address, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Boot storms arrive in bursts: a larger queue loses fewer announces. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	srv->udp_ev = event_new(srv->base, fd, EV_READ | EV_PERSIST, udp_readable, srv);
	if (!srv->udp_ev || event_add(srv->udp_ev, NULL) < 0) {
		if (srv->udp_ev)
			event_free(srv->udp_ev);
		srv->udp_ev = NULL;
		close(fd);
		return -ENOMEM;
	}
	srv->udp_fd = fd;
	srv->udp_port = ntohs(sa.sin_port);
	srv->batch = xmalloc(sizeof(*srv->batch));
	return 0;
}

uint16_t tracker_server_udp_port(const struct tracker_server *srv)
{
	return srv->udp_port;
}

/* ---- Queries and upkeep ---- */

void tracker_server_foreach_peer(const struct tracker_server *srv, const uint8_t *info_hash,
				 void (*fn)(void *ctx, const struct tracker_peer_info *p),
				 void *ctx)
{
	uint64_t now_ms = now(srv);

	for (size_t k = 0; k < srv->n_torrents; k++) {
		const struct torrent *t = &srv->torrents[k];
		if (info_hash && memcmp(t->hash, info_hash, TRACKER_HASH_LEN) != 0)
			continue;
		for (uint32_t i = 0; i < t->n; i++) {
			struct tracker_peer_info info;
			peer_info(srv, t, &t->peers[i], &info, now_ms);
			fn(ctx, &info);
		}
	}
}

int tracker_server_torrent_counts(const struct tracker_server *srv, const uint8_t *info_hash,
				  struct tracker_scrape_entry *out)
{
	const struct torrent *t = torrent_find(srv, info_hash);

	if (!t)
		return -ENOENT;
	memcpy(out->info_hash, t->hash, TRACKER_HASH_LEN);
	out->complete = t->seeders;
	out->incomplete = t->n - t->seeders;
	out->downloaded = t->completed;
	return 0;
}

void tracker_server_expire(struct tracker_server *srv)
{
	uint64_t now_ms = now(srv);
	uint64_t ttl = (uint64_t)srv->cfg.interval_s * 2000;

	for (size_t k = 0; k < srv->n_torrents; k++) {
		struct torrent *t = &srv->torrents[k];
		/* Walk backwards: removal moves the last peer into the hole. */
		for (uint32_t i = t->n; i-- > 0;) {
			if (t->peers[i].pinned || now_ms - MIN(t->peers[i].last_ms, now_ms) <= ttl)
				continue;
			notify(srv, TRACKER_PEER_EXPIRED, t, &t->peers[i], now_ms);
			peer_remove(srv, t, i);
		}
	}
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	tracker_server_expire(arg);
}

void tracker_server_set_clock(struct tracker_server *srv, uint64_t (*now_ms)(void *ctx), void *ctx)
{
	srv->now_fn = now_ms ? now_ms : mono_ms;
	srv->now_ctx = ctx;
}

struct tracker_server *tracker_server_new(struct event_base *base,
					  const struct tracker_server_config *cfg,
					  const struct logger *log,
					  const struct tracker_server_callbacks *cb)
{
	struct tracker_server *srv = xcalloc(1, sizeof(*srv));
	uint8_t key[32];

	srv->base = base;
	srv->cfg = *cfg;
	if (!srv->cfg.interval_s)
		srv->cfg.interval_s = 60;
	if (!srv->cfg.min_interval_s)
		srv->cfg.min_interval_s = MIN(10u, srv->cfg.interval_s);
	srv->cfg.min_interval_s = MIN(srv->cfg.min_interval_s, srv->cfg.interval_s);
	if (!srv->cfg.numwant_max || srv->cfg.numwant_max > TRACKER_NUMWANT_MAX)
		srv->cfg.numwant_max = TRACKER_NUMWANT_MAX;
	if (!srv->cfg.max_torrents)
		srv->cfg.max_torrents = 4096;
	if (!srv->cfg.max_peers_per_torrent)
		srv->cfg.max_peers_per_torrent = 10000;
	if (!srv->cfg.max_peers_total)
		srv->cfg.max_peers_total = 100000;
	if (log)
		srv->log = *log;
	if (cb)
		srv->cb = *cb;
	srv->udp_fd = -1;
	srv->now_fn = mono_ms;
	/* A fresh secret per run: connection ids from an earlier run (or
	 * another server) are refused, and the peer index's seed cannot be
	 * guessed to build long chains. */
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		uint64_t t = mono_ms(NULL);
		for (size_t i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)((t >> (i % 8 * 8)) ^ (uintptr_t)srv >> (i % 4));
	}
	tracker_udp_secret_init(&srv->secret, key, 16);
	memcpy(&srv->hash_seed, key + 16, 4);
	memcpy(&srv->rng, key + 20, 8);
	srv->rng |= 1;
	if (base) {
		struct timeval tv = {.tv_sec = MAX(srv->cfg.interval_s / 2, 1u)};
		srv->expire_ev = event_new(base, -1, EV_PERSIST, expire_cb, srv);
		if (srv->expire_ev)
			event_add(srv->expire_ev, &tv);
	}
	return srv;
}

void tracker_server_free(struct tracker_server *srv)
{
	if (!srv)
		return;
	if (srv->udp_ev)
		event_free(srv->udp_ev);
	if (srv->udp_fd >= 0)
		close(srv->udp_fd);
	free(srv->batch);
	if (srv->expire_ev)
		event_free(srv->expire_ev);
	for (size_t k = 0; k < srv->n_torrents; k++) {
		free(srv->torrents[k].peers);
		free(srv->torrents[k].buckets);
	}
	free(srv->torrents);
	free(srv);
}
