/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the announce client, on loopback only: against our own
 * server in the same event loop, and against a fake UDP tracker that drops
 * packets, to see BEP 15 retransmission and backoff. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/http.h>

#include "tracker/client.h"
#include "tracker/server.h"
#include "util/buf.h"

static const uint8_t HASH[20] = "0123456789abcdefghij";

struct fixture {
	struct event_base *base;
	struct evhttp *http;
	struct tracker_server *srv;
	uint16_t port; /* TCP and UDP */
	char http_url[64], udp_url[64];
	/* What the client reported. */
	int reports, ok, errors, stopped;
	int last_error;
	size_t last_peers;
	enum tracker_event last_event;
	char last_url[64];
	int exit_after; /* leave the loop after this many reports */
};

static void on_report(void *ctx, const struct tracker_client_report *r)
{
	struct fixture *f = ctx;

	f->reports++;
	f->last_error = r->error;
	f->last_event = r->event;
	snprintf(f->last_url, sizeof(f->last_url), "%s", r->url);
	if (r->error) {
		f->errors++;
	} else {
		f->ok++;
		f->last_peers = r->n_peers;
	}
	if (f->exit_after && f->reports >= f->exit_after)
		event_base_loopbreak(f->base);
}

static void on_stopped(void *ctx)
{
	struct fixture *f = ctx;

	f->stopped++;
	event_base_loopbreak(f->base);
}

static void run(struct fixture *f, int exit_after, int max_ms)
{
	struct timeval tv = {.tv_sec = max_ms / 1000, .tv_usec = (max_ms % 1000) * 1000};

	f->exit_after = exit_after;
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tracker_server_config cfg = {.interval_s = 1, .min_interval_s = 1};
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	f->base = event_base_new();
	f->http = evhttp_new(f->base);
	f->srv = tracker_server_new(f->base, &cfg, NULL, NULL);
	assert_int_equal(tracker_server_add_torrent(f->srv, HASH), 0);
	/* One port for both: bind UDP first on port 0, then TCP on that port. */
	assert_int_equal(tracker_server_listen_udp(f->srv, "127.0.0.1", 0), 0);
	f->port = tracker_server_udp_port(f->srv);
	bs = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", f->port);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &len),
			 0);
	assert_int_equal(tracker_server_attach_http(f->srv, f->http), 0);
	snprintf(f->http_url, sizeof(f->http_url), "http://127.0.0.1:%u/announce", f->port);
	snprintf(f->udp_url, sizeof(f->udp_url), "udp://127.0.0.1:%u", f->port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tracker_server_detach_http(f->srv, f->http);
	assert_int_equal(tracker_server_attach_http(f->srv, f->http), 0);
	assert_int_equal(tracker_server_attach_http(f->srv, f->http), -EEXIST);
	tracker_server_detach_http(f->srv, f->http);
	evhttp_free(f->http);
	tracker_server_free(f->srv);
	event_base_free(f->base);
	free(f);
	return 0;
}

static struct tracker_client *make_client(struct fixture *f, const char *url, uint16_t port,
					  uint64_t left)
{
	const char *urls[] = {url};
	struct tracker_client_config cfg = {
		.port = port,
		.urls = urls,
		.n_urls = 1,
		.udp_timeout_ms = 100,
		.udp_max_tries = 3,
		.http_timeout_ms = 2000,
		.retry_min_ms = 100,
		.retry_max_ms = 400,
		.interval_min_s = 1,
	};
	struct tracker_client_callbacks cb = {on_report, on_stopped, f};
	struct tracker_client *c;

	memcpy(cfg.info_hash, HASH, 20);
	memset(cfg.peer_id, 'A' + port % 26, 20);
	c = tracker_client_new(f->base, &cfg, NULL, &cb);
	assert_non_null(c);
	tracker_client_set_stats(c, 0, 0, left);
	return c;
}

static size_t count_peers(struct fixture *f)
{
	struct tracker_scrape_entry e;

	assert_int_equal(tracker_server_torrent_counts(f->srv, HASH, &e), 0);
	return e.complete + e.incomplete;
}

static void swarm_via(void **state, bool use_udp)
{
	struct fixture *f = *state;
	const char *url = use_udp ? f->udp_url : f->http_url;
	struct tracker_client *a = make_client(f, url, 7001, 0);
	struct tracker_client *b = make_client(f, url, 7002, 100);

	tracker_client_announce_now(a, TRACKER_EVENT_STARTED);
	run(f, 1, 3000);
	assert_int_equal(f->ok, 1);
	assert_int_equal(f->last_event, TRACKER_EVENT_STARTED);
	tracker_client_announce_now(b, TRACKER_EVENT_STARTED);
	run(f, 2, 3000);
	assert_int_equal(f->ok, 2);
	assert_int_equal(f->last_peers, 1); /* b learns of a */
	assert_int_equal(count_peers(f), 2);

	/* The regular announce after the interval (1 s) carries no event. */
	run(f, 3, 3000);
	assert_int_equal(f->ok, 3);
	assert_int_equal(f->last_event, TRACKER_EVENT_NONE);

	/* completed, then stopped on shutdown. */
	tracker_client_set_stats(b, 0, 100, 0);
	tracker_client_announce_now(b, TRACKER_EVENT_COMPLETED);
	f->reports = 0;
	while (f->last_event != TRACKER_EVENT_COMPLETED && f->reports < 5)
		run(f, f->reports + 1, 3000);
	assert_int_equal(f->last_event, TRACKER_EVENT_COMPLETED);
	assert_int_equal(f->last_error, 0);
	tracker_client_stop(b, 2000);
	run(f, 0, 3000);
	assert_int_equal(f->stopped, 1);
	assert_int_equal(count_peers(f), 1);
	tracker_client_free(b);
	tracker_client_free(a);
}

static void test_swarm_http(void **state)
{
	swarm_via(state, false);
}

static void test_swarm_udp(void **state)
{
	swarm_via(state, true);
}

static void test_unknown_torrent(void **state)
{
	struct fixture *f = *state;
	struct tracker_client *c;

	assert_int_equal(tracker_server_remove_torrent(f->srv, HASH), 0);
	c = make_client(f, f->udp_url, 7003, 5);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 1, 3000);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->last_error, TRACKER_E_FAILURE);
	tracker_client_free(c);
	c = make_client(f, f->http_url, 7003, 5);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	/* It retries with backoff (100, 200, 400 ms): four failures in about 0.7 s. */
	run(f, 4, 4000);
	assert_int_equal(f->errors, 4);
	assert_int_equal(f->last_error, TRACKER_E_FAILURE);
	/* Stopping a client the tracker never accepted sends nothing. */
	tracker_client_stop(c, 1000);
	run(f, 0, 2000);
	assert_int_equal(f->stopped, 1);
	tracker_client_free(c);
	assert_int_equal(tracker_server_add_torrent(f->srv, HASH), 0);
}

static void test_bad_urls(void **state)
{
	struct fixture *f = *state;
	const char *urls[] = {"ftp://x/announce", "udp://127.0.0.1", "nonsense", "http://"};
	struct tracker_client_config cfg = {.port = 1, .urls = urls, .n_urls = 4};

	assert_null(tracker_client_new(f->base, &cfg, NULL, NULL));
	tracker_client_free(NULL);
}

/* A fake UDP tracker that ignores the first `drop` packets. */
struct lossy {
	int fd;
	int seen, drop;
	struct tracker_udp_secret secret;
};

static void lossy_read(evutil_socket_t fd, short what, void *arg)
{
	struct lossy *l = arg;
	uint8_t pkt[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &fl);
	struct tracker_udp_request rq;
	struct buf out;

	if (n < 0)
		return;
	if (l->seen++ < l->drop)
		return;
	buf_init(&out, 2048);
	if (tracker_udp_request_parse(pkt, (size_t)n, &rq) == 0) {
		if (rq.action == TRACKER_UDP_CONNECT)
			assert_int_equal(tracker_udp_connect_reply_build(&out, rq.txid, 42), 0);
		else
			assert_int_equal(
				tracker_udp_announce_reply_build(&out, rq.txid, 60, 0, 0, NULL, 0),
				0);
		assert_int_equal(sendto(fd, out.data, out.len, 0, (struct sockaddr *)&from, fl),
				 (ssize_t)out.len);
	}
	buf_release(&out);
}

static void test_udp_retransmit(void **state)
{
	struct fixture *f = *state;
	struct lossy l = {.drop = 2};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct event *ev;
	struct tracker_client *c;
	char url[64];

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(l.fd >= 0);
	assert_int_equal(bind(l.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(l.fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u/announce", ntohs(sa.sin_port));
	ev = event_new(f->base, l.fd, EV_READ | EV_PERSIST, lossy_read, &l);
	event_add(ev, NULL);

	/* Two connects lost (100 + 200 ms), the third answered. */
	c = make_client(f, url, 7004, 5);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 1, 3000);
	assert_int_equal(f->ok, 1);
	/* 3 connects + 1 announce; one more when this process was held off
	 * the CPU past a 100 ms timeout (a loaded machine) and retransmitted.
	 * Without retransmission there is no answer at all. */
	assert_true(l.seen >= 4 && l.seen <= 6);
	tracker_client_free(c);

	/* "More peers now" waits for the min interval (1 s here), while the
	 * regular interval would be 60 s. */
	{
		struct timespec t0, t1;
		long ms;
		c = make_client(f, url, 7007, 5);
		tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
		run(f, 2, 3000);
		assert_int_equal(f->ok, 2);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		tracker_client_announce_now(c, TRACKER_EVENT_NONE);
		run(f, 3, 6000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		assert_int_equal(f->ok, 3);
		assert_int_equal(f->last_event, TRACKER_EVENT_NONE);
		assert_true(ms >= 900 && ms < 5000);
		tracker_client_free(c);
		f->reports = 1;
		f->ok = 1;
	}

	/* A tracker that goes silent after "started": stop() gives up at its
	 * deadline and still calls on_stopped. */
	{
		struct timespec t0, t1;
		long ms;
		c = make_client(f, url, 7008, 5);
		tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
		run(f, 2, 3000);
		assert_int_equal(f->ok, 2);
		l.drop = 1000000;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		tracker_client_stop(c, 500);
		run(f, 0, 5000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		assert_int_equal(f->stopped, 1);
		assert_true(ms >= 450 && ms < 4000);
		/* Nothing more is sent after stop. */
		tracker_client_announce_now(c, TRACKER_EVENT_NONE);
		run(f, 0, 300);
		assert_int_equal(f->ok, 2);
		tracker_client_free(c);
		f->reports = 1;
		f->ok = 1;
		f->errors = 0;
		f->stopped = 0;
		l.drop = 0;
	}

	/* Everything lost: after udp_max_tries a timeout is reported. */
	l.drop = 1000;
	c = make_client(f, url, 7005, 5);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 2, 3000);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->last_error, -ETIMEDOUT);
	/* The tracker comes back: the retry (after retry_min_ms) still carries
	 * "started", which was never acknowledged. */
	l.drop = 0;
	l.seen = 0;
	/* Generous: run() returns as soon as the answer is in, and a loaded
	 * machine (the sanitizer build, other tests) can stall it seconds.
	 * Stalled past the 100 ms timeout three times, a round can also fail
	 * again before the answer is read; the next round then succeeds. */
	for (int round = 0; round < 4 && f->ok < 2; round++)
		run(f, f->reports + 1, 10000);
	assert_int_equal(f->ok, 2);
	assert_int_equal(f->last_event, TRACKER_EVENT_STARTED);
	tracker_client_free(c);
	event_free(ev);
	close(l.fd);
}

static void test_tracker_away(void **state)
{
	struct fixture *f = *state;
	struct tracker_client *c;
	char url[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);

	/* A port nobody listens on: take one and close it. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", ntohs(sa.sin_port));
	c = make_client(f, url, 7006, 5);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 2, 3000);
	assert_int_equal(f->errors, 2);
	assert_int_equal(f->last_error, -ECONNREFUSED);
	tracker_client_free(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/announce", ntohs(sa.sin_port));
	c = make_client(f, url, 7006, 5);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 4, 3000);
	assert_int_equal(f->errors, 4);
	tracker_client_free(c);
}

/* A URL at which nobody listens (TCP and UDP both refuse at once). */
static void dead_url(char *url, size_t len, const char *scheme)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t alen = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &alen), 0);
	close(fd);
	snprintf(url, len, "%s://127.0.0.1:%u%s", scheme, ntohs(sa.sin_port),
		 strcmp(scheme, "http") == 0 ? "/announce" : "");
}

static struct tracker_client *make_tiered(struct fixture *f, const char *const *urls,
					  const unsigned *tiers, size_t n)
{
	struct tracker_client_config cfg = {
		.port = 7010,
		.urls = urls,
		.tiers = tiers,
		.n_urls = n,
		.udp_timeout_ms = 100,
		.udp_max_tries = 2,
		.http_timeout_ms = 2000,
		.retry_min_ms = 100,
		.retry_max_ms = 400,
		.interval_min_s = 1,
	};
	struct tracker_client_callbacks cb = {on_report, on_stopped, f};
	struct tracker_client *c;

	memcpy(cfg.info_hash, HASH, 20);
	memset(cfg.peer_id, 'T', 20);
	c = tracker_client_new(f->base, &cfg, NULL, &cb);
	assert_non_null(c);
	tracker_client_set_stats(c, 0, 0, 10);
	return c;
}

/* BEP 12 within a tier: a dead first URL is skipped, the one that answers
 * moves to the front, and the next round asks it first (no new failure). */
static void test_bep12_failover(void **state)
{
	struct fixture *f = *state;
	char dead[64];
	struct tracker_client *c;

	dead_url(dead, sizeof(dead), "http");
	const char *urls[] = {dead, f->udp_url, f->http_url};
	c = make_tiered(f, urls, NULL, 3);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 2, 3000);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->ok, 1);
	assert_string_equal(f->last_url, f->udp_url);
	assert_int_equal(f->last_event, TRACKER_EVENT_STARTED);
	/* The regular announce after the interval (1 s): the UDP tracker
	 * alone, and the HTTP one never. */
	run(f, 4, 4000);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->ok, 3);
	assert_string_equal(f->last_url, f->udp_url);
	assert_int_equal(f->last_event, TRACKER_EVENT_NONE);
	/* "stopped" goes to the tracker that knows us, once. */
	tracker_client_stop(c, 2000);
	run(f, 0, 3000);
	assert_int_equal(f->stopped, 1);
	assert_int_equal(f->ok, 4);
	assert_string_equal(f->last_url, f->udp_url);
	assert_int_equal(count_peers(f), 0);
	tracker_client_free(c);
}

/* BEP 12 across tiers: a working first tier keeps the second one unasked;
 * with the first tier dead, every round tries it first, then the second. */
static void test_bep12_tiers(void **state)
{
	struct fixture *f = *state;
	char dead[64];
	struct tracker_client *c;
	const unsigned tiers[] = {1, 0};

	/* Listed tier 1 first: the client sorts by tier. */
	const char *urls[] = {f->udp_url, f->http_url};
	c = make_tiered(f, urls, tiers, 2);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 3, 4000);
	assert_int_equal(f->ok, 3);
	assert_int_equal(f->errors, 0);
	assert_string_equal(f->last_url, f->http_url);
	tracker_client_free(c);

	dead_url(dead, sizeof(dead), "udp");
	const unsigned tiers2[] = {0, 1};
	const char *urls2[] = {dead, f->http_url};
	f->reports = f->ok = f->errors = 0;
	c = make_tiered(f, urls2, tiers2, 2);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 2, 3000);
	assert_int_equal(f->errors, 1);
	assert_int_equal(f->ok, 1);
	assert_string_equal(f->last_url, f->http_url);
	run(f, 4, 4000);
	assert_int_equal(f->errors, 2);
	assert_int_equal(f->ok, 2);
	assert_string_equal(f->last_url, f->http_url);
	tracker_client_free(c);
}

/* Every URL away: the round is retried, from the first URL, with backoff. */
static void test_bep12_all_away(void **state)
{
	struct fixture *f = *state;
	char d1[64], d2[64];
	struct tracker_client *c;

	dead_url(d1, sizeof(d1), "http");
	dead_url(d2, sizeof(d2), "udp");
	const char *urls[] = {d1, d2};
	c = make_tiered(f, urls, NULL, 2);
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 4, 3000);
	assert_int_equal(f->errors, 4);
	assert_int_equal(f->ok, 0);
	assert_string_equal(f->last_url, d2);
	assert_int_equal(f->last_event, TRACKER_EVENT_STARTED);
	tracker_client_free(c);
}

/* Milliseconds from the first answer to the answer of an announce asked
 * for at once, with the given floor for asked announces. */
static int64_t asked_gap_ms(struct fixture *f, const char *url, uint32_t ask_min_ms)
{
	const char *urls[] = {url};
	struct tracker_client_config cfg = {
		.port = 7011,
		.urls = urls,
		.n_urls = 1,
		.udp_timeout_ms = 500,
		.interval_min_s = 1,
		.ask_min_ms = ask_min_ms,
	};
	struct tracker_client_callbacks cb = {on_report, on_stopped, f};
	struct tracker_client *c;
	struct timespec t0, t1;

	memcpy(cfg.info_hash, HASH, 20);
	memset(cfg.peer_id, 'A', 20);
	c = tracker_client_new(f->base, &cfg, NULL, &cb);
	assert_non_null(c);
	tracker_client_set_stats(c, 0, 0, 10);
	f->reports = f->ok = 0;
	tracker_client_announce_now(c, TRACKER_EVENT_STARTED);
	run(f, 1, 3000);
	assert_int_equal(f->ok, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tracker_client_announce_now(c, TRACKER_EVENT_NONE);
	run(f, 2, 3000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(f->ok, 2);
	assert_int_equal(f->last_event, TRACKER_EVENT_NONE);
	tracker_client_free(c);
	return (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

/* An announce asked for waits for the tracker's "min interval" (HTTP, 1 s
 * here), or, when the tracker states none (UDP), for our own floor only:
 * what lets a seeding agent learn soon that nobody needs pieces. */
static void test_asked_announce_floor(void **state)
{
	struct fixture *f = *state;
	int64_t udp = asked_gap_ms(f, f->udp_url, 100);
	int64_t http = asked_gap_ms(f, f->http_url, 100);

	assert_true(udp >= 90 && udp < 600);
	assert_true(http >= 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_swarm_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swarm_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_torrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_retransmit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracker_away, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bep12_failover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bep12_tiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bep12_all_away, setup, teardown),
		cmocka_unit_test_setup_teardown(test_asked_announce_floor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
