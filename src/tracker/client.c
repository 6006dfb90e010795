/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The announce client. Each tracker URL is a struct tracker_conn; the
 * client walks them in BEP 12 order (c->order: tier by tier, each tier in
 * its current order), one at a time: an announce round starts at the first
 * URL and moves on to the next only when one fails, so a round ends with
 * the first tracker that answers (which moves to the front of its tier) or
 * with every URL failed (then the round is retried after a backoff). The
 * client's round timer starts rounds; a conn's own timer serves for UDP
 * retransmission and for "announce now" (the next URL of a round, and
 * "stopped").
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "tracker/client.h"
#include "util/buf.h"
#include "util/util.h"

#define COMPONENT "TRACKER"
#define UDP_CONN_ID_LIFE_MS 60000

enum conn_state {
	CONN_IDLE,	   /* waiting for the timer (next announce or retry) */
	CONN_HTTP,	   /* an HTTP request is in flight */
	CONN_UDP_CONNECT,  /* waiting for a connect reply */
	CONN_UDP_ANNOUNCE, /* waiting for an announce reply */
	CONN_DONE,	   /* stopped: nothing more will be sent */
};

struct tracker_conn {
	struct tracker_client *c;
	char *url;
	bool udp;
	enum conn_state state;
	struct event *timer;
	/* HTTP */
	char *host;
	uint16_t http_port;
	char *target; /* path and query, to which our parameters are added */
	struct evhttp_connection *evcon;
	struct evhttp_request *req;
	int http_error;	      /* set by the error callback of the request in flight */
	struct in_addr local; /* our address as the tracker sees it, when known */
	/* UDP */
	int fd;
	struct event *ev_read;
	uint64_t conn_id;
	uint64_t conn_id_ms; /* when conn_id was received; 0 when none */
	uint32_t txid;
	unsigned tries;
	/* Schedule */
	enum tracker_event pending; /* the event the next announce carries */
	enum tracker_event inflight;
	bool known; /* the tracker accepted an announce: it needs "stopped" */
	uint32_t interval_s;
	uint32_t min_interval_ms; /* between announces we ask for (NONE) */
	unsigned tier;
};

struct tracker_client {
	struct event_base *base;
	struct tracker_client_config cfg;
	struct logger log;
	struct tracker_client_callbacks cb;
	struct tracker_conn *conns;
	size_t n_conns;
	size_t *order;		      /* conn indices in BEP 12 order, tier by tier */
	size_t pos;		      /* position in order of the round in flight */
	bool in_round;		      /* a round is in flight */
	bool again;		      /* announce_now() arrived during a round */
	struct tracker_conn *working; /* the tracker that answered last, or NULL */
	uint64_t last_ok_ms;	      /* when it answered */
	unsigned failures;	      /* rounds failed in a row */
	struct event *round_timer;
	uint64_t uploaded, downloaded, left;
	uint32_t key;
	struct tracker_reply reply; /* scratch for parsing replies (large) */
	bool stopping;
	struct event *stop_timer;
	bool stop_reported;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t random_u32(void)
{
	uint32_t v = 0;

	/* A transaction id or key only makes spoofed answers harder to forge:
	 * it must not wait for the kernel's entropy pool. getrandom() with no
	 * flag blocks until the pool is ready, which in phase 1 on a CPU
	 * without RDRAND (QEMU's default) held the agent's first screen for
	 * about a second. GRND_INSECURE (Linux 5.6) never blocks; an older
	 * kernel refuses it, and GRND_NONBLOCK then fails rather than wait.
	 * A predictable id only weakens spoofing protection. */
	if (getrandom(&v, sizeof(v), GRND_INSECURE) == sizeof(v))
		return v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == sizeof(v))
		return v;
	return (uint32_t)now_ms() * 2654435761u;
}

static void timer_in_ev(struct event *ev, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(ev, &tv);
}

static void timer_in(struct tracker_conn *t, uint64_t ms)
{
	timer_in_ev(t->timer, ms);
}

static void conn_announce(struct tracker_conn *t);
static void client_check_stopped(struct tracker_client *c);
static void stop_deadline(evutil_socket_t fd, short what, void *arg);

/* The announce the next request carries: the latest stats, the event in
 * flight, and no peers wanted with "stopped". */
static void fill_announce(const struct tracker_conn *t, struct tracker_announce *a)
{
	const struct tracker_client *c = t->c;

	memset(a, 0, sizeof(*a));
	memcpy(a->info_hash, c->cfg.info_hash, TRACKER_HASH_LEN);
	memcpy(a->peer_id, c->cfg.peer_id, TRACKER_PEER_ID_LEN);
	a->port = c->cfg.port;
	a->uploaded = c->uploaded;
	a->downloaded = c->downloaded;
	a->left = c->left;
	a->event = t->inflight;
	a->numwant = t->inflight == TRACKER_EVENT_STOPPED ? 0 : c->cfg.numwant;
	a->key = c->key;
	a->has_key = true;
}

/* ---- Results ---- */

static void report(struct tracker_conn *t, int error, const struct tracker_reply *r)
{
	struct tracker_client *c = t->c;
	struct tracker_client_report rep = {
		.url = t->url,
		.event = t->inflight,
		.error = error,
		.message = "",
		.seeders = -1,
		.leechers = -1,
	};

	struct tracker_peer_addr peers[TRACKER_REPLY_PEERS_MAX];

	if (r) {
		rep.message = r->failure[0] ? r->failure : r->warning;
		if (!error) {
			rep.seeders = r->complete;
			rep.leechers = r->incomplete;
			rep.interval = t->interval_s;
			rep.peers = peers;
			/* Some trackers (opentracker) list the client itself. */
			for (size_t i = 0; i < r->n_peers; i++) {
				if (r->peers[i].port == c->cfg.port &&
				    r->peers[i].addr.s_addr == t->local.s_addr)
					continue;
				peers[rep.n_peers++] = r->peers[i];
			}
		}
	}
	if (c->cb.on_report)
		c->cb.on_report(c->cb.ctx, &rep);
}

/* BEP 12: the tracker that answered goes to the front of its tier, so the
 * next round asks it first. */
static void promote(struct tracker_client *c, struct tracker_conn *t)
{
	size_t idx = (size_t)(t - c->conns), at = 0, first;

	while (c->order[at] != idx)
		at++;
	first = at;
	while (first > 0 && c->conns[c->order[first - 1]].tier == t->tier)
		first--;
	memmove(&c->order[first + 1], &c->order[first], (at - first) * sizeof(*c->order));
	c->order[first] = idx;
}

/* The next round: after the working tracker's interval, at once when an
 * event waits, after its min interval when more peers were asked for. */
static void schedule_next(struct tracker_client *c)
{
	struct tracker_conn *t = c->working;
	uint64_t wait = (uint64_t)t->interval_s * 1000;

	if (t->pending != TRACKER_EVENT_NONE)
		wait = 0;
	else if (c->again)
		wait = t->min_interval_ms;
	c->again = false;
	timer_in_ev(c->round_timer, wait);
}

/* Starts a round at the first URL of the first tier. */
static void round_start(evutil_socket_t fd, short what, void *arg)
{
	struct tracker_client *c = arg;

	if (c->stopping || c->in_round)
		return;
	c->in_round = true;
	c->pos = 0;
	conn_announce(&c->conns[c->order[0]]);
}

/* The URL at c->pos failed: the next one in order is asked (from the loop,
 * not from inside this call), or, when none is left, the round is retried
 * after an exponential backoff. */
static void round_next(struct tracker_client *c)
{
	uint64_t wait = c->cfg.retry_min_ms;

	if (++c->pos < c->n_conns) {
		timer_in(&c->conns[c->order[c->pos]], 0);
		return;
	}
	c->in_round = false;
	c->again = false;
	c->failures++;
	for (unsigned i = 1; i < c->failures && wait < c->cfg.retry_max_ms; i++)
		wait *= 2;
	wait = MIN(wait, (uint64_t)c->cfg.retry_max_ms);
	timer_in_ev(c->round_timer, wait);
}

static void conn_success(struct tracker_conn *t, const struct tracker_reply *r)
{
	struct tracker_client *c = t->c;
	uint32_t interval = r->interval ? r->interval : 1800;
	/* A tracker's "min interval" (whole seconds) binds us; without one
	 * (UDP has none) our own floor for announces we ask for applies. */
	uint64_t min_ms = r->min_interval
				  ? (uint64_t)MAX(r->min_interval, c->cfg.interval_min_s) * 1000
				  : c->cfg.ask_min_ms;

	t->state = CONN_IDLE;
	t->interval_s = MIN(MAX(interval, c->cfg.interval_min_s), c->cfg.interval_max_s);
	t->min_interval_ms = (uint32_t)MIN(min_ms, (uint64_t)t->interval_s * 1000);
	if (t->inflight == TRACKER_EVENT_STOPPED) {
		t->known = false;
		t->state = CONN_DONE;
	} else {
		t->known = true;
		/* The event went through; a newer one may have been queued. */
		if (t->pending == t->inflight)
			t->pending = TRACKER_EVENT_NONE;
	}
	if (r->warning[0])
		logger_log(&c->log, LOG_WARN, COMPONENT, "%s: warning: %s", t->url, r->warning);
	logger_log(&c->log, LOG_DEBUG, COMPONENT,
		   "%s: %s ok: %zu peers, %lld seeders, %lld leechers", t->url,
		   tracker_event_name(t->inflight), r->n_peers, (long long)r->complete,
		   (long long)r->incomplete);
	if (t->state != CONN_DONE && !c->stopping) {
		/* The round ends here: later tiers and URLs are not asked. */
		promote(c, t);
		c->in_round = false;
		c->failures = 0;
		c->working = t;
		c->last_ok_ms = now_ms();
		schedule_next(c);
	}
	report(t, 0, r);
	if (t->state == CONN_DONE)
		client_check_stopped(c);
}

static void conn_failure(struct tracker_conn *t, int error, const struct tracker_reply *r)
{
	struct tracker_client *c = t->c;
	bool last = c->pos + 1 >= c->n_conns;

	t->state = CONN_IDLE;
	logger_log(&c->log, LOG_INFO, COMPONENT, "%s: %s failed: %s%s%s%s", t->url,
		   tracker_event_name(t->inflight), tracker_strerror(error),
		   r && r->failure[0] ? ": " : "", r && r->failure[0] ? r->failure : "",
		   c->stopping ? ""
		   : last      ? "; no tracker left, retrying later"
			       : "; trying the next tracker");
	/* When stopping, one try is all we give "stopped". */
	if (c->stopping)
		t->state = CONN_DONE;
	else
		round_next(c);
	report(t, error, r);
	if (t->state == CONN_DONE)
		client_check_stopped(c);
}

/* ---- HTTP ---- */

/* Notes the local address of a socket connected to the tracker: on our
 * LANs (no NAT) it is the address the tracker records for us. */
static void local_address(struct tracker_conn *t, evutil_socket_t fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
	    sa.sin_family == AF_INET)
		t->local = sa.sin_addr;
}

static void http_done(struct evhttp_request *req, void *arg)
{
	struct tracker_conn *t = arg;
	struct tracker_reply *r = &t->c->reply;
	struct evbuffer *body;
	size_t len;
	int code, e;

	t->req = NULL;
	if (!req || (code = evhttp_request_get_response_code(req)) == 0) {
		/* Without a more precise error from libevent, the usual cause is
		 * a tracker that is not (yet) listening. */
		conn_failure(t, t->http_error ? t->http_error : -ECONNREFUSED, NULL);
		return;
	}
	body = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(body);
	if (len > TRACKER_HTTP_REPLY_MAX) {
		conn_failure(t, TRACKER_E_TOO_LONG, NULL);
		return;
	}
	if (t->evcon) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(t->evcon);
		if (bev)
			local_address(t, bufferevent_getfd(bev));
	}
	e = tracker_http_reply_parse(evbuffer_pullup(body, -1), len, r);
	if (e == 0 && code != 200)
		e = TRACKER_E_MALFORMED;
	if (e)
		conn_failure(t, e, r);
	else
		conn_success(t, r);
}

static void http_error(enum evhttp_request_error err, void *arg)
{
	struct tracker_conn *t = arg;

	switch (err) {
	case EVREQ_HTTP_TIMEOUT: t->http_error = -ETIMEDOUT; break;
	case EVREQ_HTTP_EOF: t->http_error = -ECONNRESET; break;
	case EVREQ_HTTP_INVALID_HEADER: t->http_error = TRACKER_E_MALFORMED; break;
	case EVREQ_HTTP_DATA_TOO_LONG: t->http_error = TRACKER_E_TOO_LONG; break;
	default: t->http_error = -EIO; break;
	}
}

static void http_announce(struct tracker_conn *t, const struct tracker_announce *a)
{
	struct tracker_client *c = t->c;
	struct evkeyvalq *headers;
	struct buf target;
	int r;

	buf_init(&target, TRACKER_QUERY_MAX);
	r = buf_append_str(&target, t->target);
	if (r == 0)
		r = buf_append_u8(&target, strchr(t->target, '?') ? '&' : '?');
	if (r == 0)
		r = tracker_http_query_build(&target, a);
	if (r < 0) {
		buf_release(&target);
		conn_failure(t, r, NULL);
		return;
	}
	if (!t->evcon) {
		struct timeval tv = {.tv_sec = c->cfg.http_timeout_ms / 1000,
				     .tv_usec =
					     (suseconds_t)(c->cfg.http_timeout_ms % 1000) * 1000};
		t->evcon = evhttp_connection_base_new(c->base, NULL, t->host, t->http_port);
		if (!t->evcon) {
			buf_release(&target);
			conn_failure(t, -ENOMEM, NULL);
			return;
		}
		evhttp_connection_set_timeout_tv(t->evcon, &tv);
		evhttp_connection_set_retries(t->evcon, 0);
		evhttp_connection_set_max_body_size(t->evcon, TRACKER_HTTP_REPLY_MAX);
		evhttp_connection_set_max_headers_size(t->evcon, 16 * 1024);
	}
	t->req = evhttp_request_new(http_done, t);
	t->http_error = 0;
	evhttp_request_set_error_cb(t->req, http_error);
	headers = evhttp_request_get_output_headers(t->req);
	evhttp_add_header(headers, "Host", t->host);
	evhttp_add_header(headers, "User-Agent", "BootTorrent/" BT_VERSION);
	t->state = CONN_HTTP;
	if (evhttp_make_request(t->evcon, t->req, EVHTTP_REQ_GET, (char *)target.data) != 0) {
		/* libevent frees the request when making it fails. */
		t->req = NULL;
		buf_release(&target);
		conn_failure(t, -EIO, NULL);
		return;
	}
	buf_release(&target);
}

/* ---- UDP ---- */

static void udp_send(struct tracker_conn *t)
{
	struct tracker_client *c = t->c;
	struct tracker_announce a;
	struct buf pkt;
	int r;

	buf_init(&pkt, TRACKER_UDP_ANNOUNCE_LEN);
	t->txid = random_u32();
	if (t->state == CONN_UDP_CONNECT) {
		r = tracker_udp_connect_build(&pkt, t->txid);
	} else {
		fill_announce(t, &a);
		r = tracker_udp_announce_build(&pkt, t->conn_id, t->txid, &a);
	}
	if (r == 0 && send(t->fd, pkt.data, pkt.len, 0) < 0)
		r = -errno;
	buf_release(&pkt);
	/* A send error (e.g. ECONNREFUSED from an earlier ICMP) counts as a
	 * lost packet: the retransmission timer handles it. */
	if (r < 0)
		logger_log(&c->log, LOG_DEBUG, COMPONENT, "%s: send: %s", t->url, strerror(-r));
	timer_in(t, (uint64_t)c->cfg.udp_timeout_ms << MIN(t->tries, 20u));
	t->tries++;
}

static void udp_start(struct tracker_conn *t)
{
	uint64_t now = now_ms();

	t->tries = 0;
	if (t->conn_id_ms && now - t->conn_id_ms < UDP_CONN_ID_LIFE_MS)
		t->state = CONN_UDP_ANNOUNCE;
	else
		t->state = CONN_UDP_CONNECT;
	udp_send(t);
}

static void udp_timeout(struct tracker_conn *t)
{
	if (t->tries >= t->c->cfg.udp_max_tries) {
		conn_failure(t, -ETIMEDOUT, NULL);
		return;
	}
	udp_send(t);
}

static void udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tracker_conn *t = arg;
	struct tracker_reply *r = &t->c->reply;
	uint8_t pkt[TRACKER_UDP_PACKET_MAX + 1];

	/* A bounded number of datagrams per wakeup keeps one noisy socket
	 * from starving the loop. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(fd, pkt, sizeof(pkt), 0);
		int e;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ICMP port unreachable: nobody listens there right now. */
			if (t->state == CONN_UDP_CONNECT || t->state == CONN_UDP_ANNOUNCE) {
				evtimer_del(t->timer);
				conn_failure(t, -errno, NULL);
			}
			return;
		}
		if (t->state == CONN_UDP_CONNECT) {
			uint64_t id;
			e = tracker_udp_connect_reply_parse(pkt, (size_t)n, t->txid, &id,
							    r->failure);
			if (e == TRACKER_E_TXID || e == TRACKER_E_MALFORMED ||
			    e == TRACKER_E_ACTION)
				continue; /* stray or stale: keep waiting */
			evtimer_del(t->timer);
			if (e) {
				conn_failure(t, e, r);
				return;
			}
			t->conn_id = id;
			t->conn_id_ms = now_ms();
			t->state = CONN_UDP_ANNOUNCE;
			t->tries = 0;
			udp_send(t);
		} else if (t->state == CONN_UDP_ANNOUNCE) {
			e = tracker_udp_announce_reply_parse(pkt, (size_t)n, t->txid, r);
			if (e == TRACKER_E_TXID || e == TRACKER_E_MALFORMED ||
			    e == TRACKER_E_ACTION)
				continue;
			evtimer_del(t->timer);
			if (e) {
				/* The id may have expired on the tracker's side: get a
				 * fresh one next time. */
				t->conn_id_ms = 0;
				conn_failure(t, e, r);
			} else {
				conn_success(t, r);
			}
			return;
		}
	}
}

/* ---- Scheduling ---- */

static void conn_announce(struct tracker_conn *t)
{
	struct tracker_client *c = t->c;
	struct tracker_announce a;

	if (t->state == CONN_DONE)
		return;
	t->inflight = c->stopping ? TRACKER_EVENT_STOPPED : t->pending;
	if (t->udp) {
		udp_start(t);
		return;
	}
	fill_announce(t, &a);
	http_announce(t, &a);
}

static void conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tracker_conn *t = arg;

	switch (t->state) {
	case CONN_IDLE: conn_announce(t); break;
	case CONN_UDP_CONNECT:
	case CONN_UDP_ANNOUNCE: udp_timeout(t); break;
	default: break;
	}
}

/* Drops whatever is in flight, without callbacks. */
static void conn_cancel(struct tracker_conn *t)
{
	if (t->timer)
		evtimer_del(t->timer);
	if (t->req) {
		evhttp_cancel_request(t->req);
		t->req = NULL;
	}
	if (t->state != CONN_DONE)
		t->state = CONN_IDLE;
}

/* ---- Setup ---- */

static int conn_setup_http(struct tracker_conn *t, const struct evhttp_uri *uri)
{
	const char *host = evhttp_uri_get_host(uri);
	const char *path = evhttp_uri_get_path(uri);
	const char *query = evhttp_uri_get_query(uri);
	int port = evhttp_uri_get_port(uri);
	struct buf target;

	if (!host || !*host)
		return -EINVAL;
	t->host = xstrdup(host);
	t->http_port = port > 0 ? (uint16_t)port : 80;
	buf_init(&target, 2048);
	if (buf_append_str(&target, path && *path ? path : "/") < 0 ||
	    (query && (buf_append_u8(&target, '?') < 0 || buf_append_str(&target, query) < 0))) {
		buf_release(&target);
		return -E2BIG;
	}
	t->target = buf_detach(&target, NULL);
	return 0;
}

static int conn_setup_udp(struct tracker_conn *t, const struct evhttp_uri *uri)
{
	struct tracker_client *c = t->c;
	const char *host = evhttp_uri_get_host(uri);
	int port = evhttp_uri_get_port(uri);
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res = NULL;
	int r;

	if (!host || !*host || port <= 0 || port > 65535)
		return -EINVAL;
	r = getaddrinfo(host, NULL, &hints, &res);
	if (r != 0 || !res)
		return -EHOSTUNREACH;
	((struct sockaddr_in *)res->ai_addr)->sin_port = htons((uint16_t)port);
	t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		r = -errno;
		freeaddrinfo(res);
		return r;
	}
	/* A connected socket receives only from the tracker and learns of
	 * ICMP errors, so a tracker that is not running fails fast. */
	if (connect(t->fd, res->ai_addr, res->ai_addrlen) < 0) {
		r = -errno;
		freeaddrinfo(res);
		return r;
	}
	freeaddrinfo(res);
	local_address(t, t->fd);
	t->ev_read = event_new(c->base, t->fd, EV_READ | EV_PERSIST, udp_readable, t);
	if (!t->ev_read || event_add(t->ev_read, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static void conn_release(struct tracker_conn *t)
{
	conn_cancel(t);
	if (t->timer)
		event_free(t->timer);
	if (t->evcon)
		evhttp_connection_free(t->evcon);
	if (t->ev_read)
		event_free(t->ev_read);
	if (t->fd >= 0)
		close(t->fd);
	free(t->url);
	free(t->host);
	free(t->target);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

static int conn_init(struct tracker_client *c, struct tracker_conn *t, const char *url)
{
	struct evhttp_uri *uri = evhttp_uri_parse(url);
	const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
	int r;

	memset(t, 0, sizeof(*t));
	t->c = c;
	t->fd = -1;
	t->url = xstrdup(url);
	t->interval_s = 1800;
	t->min_interval_ms = c->cfg.ask_min_ms;
	if (!scheme) {
		r = -EINVAL;
	} else if (strcmp(scheme, "http") == 0) {
		r = conn_setup_http(t, uri);
	} else if (strcmp(scheme, "udp") == 0) {
		t->udp = true;
		r = conn_setup_udp(t, uri);
	} else {
		r = -EPROTONOSUPPORT;
	}
	if (uri)
		evhttp_uri_free(uri);
	if (r == 0) {
		t->timer = evtimer_new(c->base, conn_timer, t);
		if (!t->timer)
			r = -ENOMEM;
	}
	if (r < 0)
		conn_release(t);
	return r;
}

static void config_defaults(struct tracker_client_config *cfg)
{
	if (!cfg->numwant)
		cfg->numwant = TRACKER_NUMWANT_DEFAULT;
	if (!cfg->http_timeout_ms)
		cfg->http_timeout_ms = 15000;
	if (!cfg->udp_timeout_ms)
		cfg->udp_timeout_ms = 15000;
	if (!cfg->udp_max_tries)
		cfg->udp_max_tries = 9;
	if (!cfg->retry_min_ms)
		cfg->retry_min_ms = 5000;
	if (!cfg->retry_max_ms)
		cfg->retry_max_ms = 300000;
	cfg->retry_max_ms = MAX(cfg->retry_max_ms, cfg->retry_min_ms);
	if (!cfg->interval_min_s)
		cfg->interval_min_s = 5;
	if (!cfg->interval_max_s)
		cfg->interval_max_s = 3600;
	cfg->interval_max_s = MAX(cfg->interval_max_s, cfg->interval_min_s);
	if (!cfg->ask_min_ms)
		cfg->ask_min_ms = cfg->interval_min_s * 1000;
}

struct tracker_client *tracker_client_new(struct event_base *base,
					  const struct tracker_client_config *cfg,
					  const struct logger *log,
					  const struct tracker_client_callbacks *cb)
{
	struct tracker_client *c = xcalloc(1, sizeof(*c));
	size_t n = MIN(cfg->n_urls, (size_t)TRACKER_CLIENT_URLS_MAX);

	c->base = base;
	c->cfg = *cfg;
	c->cfg.urls = NULL;
	c->cfg.n_urls = 0;
	config_defaults(&c->cfg);
	if (log)
		c->log = *log;
	if (cb)
		c->cb = *cb;
	c->key = random_u32();
	c->conns = xcalloc(MAX(n, (size_t)1), sizeof(*c->conns));
	c->order = xcalloc(MAX(n, (size_t)1), sizeof(*c->order));
	if (cfg->n_urls > n)
		logger_log(&c->log, LOG_WARN, COMPONENT, "only the first %zu tracker URLs are used",
			   n);
	for (size_t i = 0; i < n; i++) {
		int r = conn_init(c, &c->conns[c->n_conns], cfg->urls[i]);
		if (r < 0) {
			logger_log(&c->log, LOG_WARN, COMPONENT, "tracker URL %s not used: %s",
				   cfg->urls[i], strerror(-r));
			continue;
		}
		c->conns[c->n_conns].tier = cfg->tiers ? cfg->tiers[i] : 0;
		c->n_conns++;
	}
	if (c->n_conns == 0) {
		tracker_client_free(c);
		return NULL;
	}
	/* Tier by tier, each tier in the order given (a stable insertion
	 * sort: a torrent has a handful of URLs). */
	for (size_t i = 0; i < c->n_conns; i++) {
		size_t j = i;
		while (j > 0 && c->conns[c->order[j - 1]].tier > c->conns[i].tier) {
			c->order[j] = c->order[j - 1];
			j--;
		}
		c->order[j] = i;
	}
	c->stop_timer = evtimer_new(base, stop_deadline, c);
	c->round_timer = evtimer_new(base, round_start, c);
	if (!c->stop_timer || !c->round_timer) {
		tracker_client_free(c);
		return NULL;
	}
	return c;
}

void tracker_client_free(struct tracker_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_conns; i++)
		conn_release(&c->conns[i]);
	if (c->stop_timer)
		event_free(c->stop_timer);
	if (c->round_timer)
		event_free(c->round_timer);
	free(c->conns);
	free(c->order);
	free(c);
}

void tracker_client_set_stats(struct tracker_client *c, uint64_t uploaded, uint64_t downloaded,
			      uint64_t left)
{
	c->uploaded = MIN(uploaded, TRACKER_BYTES_MAX);
	c->downloaded = MIN(downloaded, TRACKER_BYTES_MAX);
	c->left = MIN(left, TRACKER_BYTES_MAX);
}

size_t tracker_client_count(const struct tracker_client *c)
{
	return c->n_conns;
}

void tracker_client_announce_now(struct tracker_client *c, enum tracker_event ev)
{
	uint64_t now = now_ms();
	const struct tracker_conn *w = c->working;

	if (c->stopping || ev == TRACKER_EVENT_STOPPED)
		return;
	/* Every tracker gets the event when it is next asked: one we fail
	 * over to later has not seen "started" either. */
	for (size_t i = 0; i < c->n_conns; i++) {
		struct tracker_conn *t = &c->conns[i];

		if (ev == TRACKER_EVENT_STARTED) {
			t->pending = TRACKER_EVENT_STARTED;
		} else if (ev == TRACKER_EVENT_COMPLETED) {
			/* If the tracker has not seen "started" yet, "started" with
			 * left=0 registers us as a seed just as well. */
			if (t->known || t->pending != TRACKER_EVENT_STARTED)
				t->pending = TRACKER_EVENT_COMPLETED;
		}
	}
	if (ev == TRACKER_EVENT_STARTED)
		c->failures = 0;
	if (c->in_round) {
		/* The end of the round schedules the next one: at once for an
		 * event, after the min interval for NONE. */
		c->again = true;
		return;
	}
	evtimer_del(c->round_timer);
	if (ev == TRACKER_EVENT_NONE && w && now - c->last_ok_ms < w->min_interval_ms)
		timer_in_ev(c->round_timer, c->last_ok_ms + w->min_interval_ms - now);
	else if (ev != TRACKER_EVENT_NONE || c->failures == 0)
		timer_in_ev(c->round_timer, 0);
	else
		timer_in_ev(c->round_timer, c->cfg.retry_min_ms); /* trackers that are away */
}

static void stop_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct tracker_client *c = arg;

	for (size_t i = 0; i < c->n_conns; i++) {
		conn_cancel(&c->conns[i]);
		c->conns[i].state = CONN_DONE;
	}
	client_check_stopped(c);
}

static void client_check_stopped(struct tracker_client *c)
{
	if (!c->stopping || c->stop_reported)
		return;
	for (size_t i = 0; i < c->n_conns; i++)
		if (c->conns[i].state != CONN_DONE)
			return;
	c->stop_reported = true;
	evtimer_del(c->stop_timer);
	/* Last thing we do: the callback may free the client. */
	if (c->cb.on_stopped)
		c->cb.on_stopped(c->cb.ctx);
}

void tracker_client_stop(struct tracker_client *c, uint32_t timeout_ms)
{
	bool waiting = false;

	if (c->stopping)
		return;
	c->stopping = true;
	c->in_round = false;
	evtimer_del(c->round_timer);
	/* Short retransmissions so that "stopped" has a chance within the
	 * deadline even with BEP 15's 15 s base. */
	c->cfg.udp_timeout_ms = MIN(c->cfg.udp_timeout_ms, MAX(timeout_ms / 4, 50u));
	c->cfg.udp_max_tries = 4;
	for (size_t i = 0; i < c->n_conns; i++) {
		struct tracker_conn *t = &c->conns[i];
		bool inflight = t->state != CONN_IDLE && t->state != CONN_DONE;

		conn_cancel(t);
		if (t->state == CONN_DONE)
			continue;
		if (!t->known && !inflight) {
			t->state = CONN_DONE;
			continue;
		}
		waiting = true;
		timer_in(t, 0);
	}
	/* on_stopped is always called from the loop, never from inside this
	 * function, so the caller's state is consistent when it runs. */
	timer_in_ev(c->stop_timer, waiting ? timeout_ms : 0);
}
