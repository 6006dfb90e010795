/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the tracker side of a swarm (announcer.h): which URLs it
 * announces to (pure), and on loopback against our own tracker in the same
 * event loop, that "started" carries the swarm's numbers, that the caller
 * sees each answer before its peers reach the swarm, and that "stopped"
 * ends with on_stopped. Bounded by timers. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "tracker/announcer.h"
#include "tracker/server.h"

static const uint8_t HASH[20] = "announcer-test-hash!";

static void test_urls(void **state)
{
	char *t0[] = {"udp://a:1", "http://b:2/announce"}, *t1[] = {"udp://c:3"};
	struct metainfo_tier tiers[] = {{t0, 2}, {t1, 1}};
	struct metainfo mi = {.tiers = tiers, .tier_count = 2};
	struct metainfo none = {0};
	const char *urls[4];

	/* Every tier's URLs in order, as one list, up to the room given. */
	assert_int_equal(tracker_announcer_urls(&mi, NULL, urls, 4), 3);
	assert_string_equal(urls[0], "udp://a:1");
	assert_string_equal(urls[1], "http://b:2/announce");
	assert_string_equal(urls[2], "udp://c:3");
	assert_int_equal(tracker_announcer_urls(&mi, NULL, urls, 2), 2);
	assert_string_equal(urls[1], "http://b:2/announce");
	/* A URL given replaces the torrent's. */
	assert_int_equal(tracker_announcer_urls(&mi, "udp://x:9", urls, 4), 1);
	assert_string_equal(urls[0], "udp://x:9");
	assert_int_equal(tracker_announcer_urls(&mi, "udp://x:9", urls, 0), 0);
	assert_int_equal(tracker_announcer_urls(&none, NULL, urls, 4), 0);
}

/* A trackerless torrent: nothing to announce to, and the calls on the
 * NULL announcer that the callers then make are no-ops. */
static void test_no_tracker(void **state)
{
	struct metainfo none = {0};
	struct tracker_announcer_config cfg = {.mi = &none};

	assert_null(tracker_announcer_new(NULL, &cfg, NULL, NULL));
	tracker_announcer_push_stats(NULL);
	tracker_announcer_announce(NULL, TRACKER_EVENT_COMPLETED);
	assert_int_equal(tracker_announcer_count(NULL), 0);
	tracker_announcer_free(NULL);
}

struct fixture {
	struct event_base *base;
	struct tracker_server *srv;
	struct bt_swarm *swarm;
	int reports, errors, stopped;
	size_t last_peers;
	enum tracker_event last_event;
	uint32_t known_at_report; /* the swarm's addresses when the caller heard */
	uint64_t left_seen;	  /* what the tracker holds for our peer */
	enum tracker_event event_seen;
	int ours_seen;
	uint16_t our_port;
};

static void on_other_report(void *ctx, const struct tracker_client_report *r)
{
	event_base_loopbreak(ctx);
}

static void on_report(void *ctx, const struct tracker_client_report *r)
{
	struct fixture *f = ctx;
	struct bt_swarm_stats st;

	f->reports++;
	if (r->error)
		f->errors++;
	f->last_peers = r->n_peers;
	f->last_event = r->event;
	bt_swarm_get_stats(f->swarm, &st);
	f->known_at_report = st.known;
	event_base_loopbreak(f->base);
}

static void on_stopped(void *ctx)
{
	struct fixture *f = ctx;

	f->stopped++;
	event_base_loopbreak(f->base);
}

static void find_ours(void *ctx, const struct tracker_peer_info *p)
{
	struct fixture *f = ctx;

	if (p->addr.port != f->our_port)
		return;
	f->ours_seen++;
	f->left_seen = p->left;
	f->event_seen = p->last_event;
}

/* Runs the loop until a callback breaks it, at most max_ms. */
static void run(struct fixture *f, int max_ms)
{
	struct timeval tv = {.tv_sec = max_ms / 1000, .tv_usec = (max_ms % 1000) * 1000};

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
	/* A loopexit still armed would end the next run at once. */
	event_base_loopbreak(f->base);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

static void test_loopback(void **state)
{
	struct fixture f = {0};
	struct tracker_server_config scfg = {.interval_s = 1, .min_interval_s = 1};
	struct bt_session_config bcfg = {.port = 0, .bind = "127.0.0.1"};
	char dir[] = "/tmp/test-tracker-announcer.XXXXXX", url[64], path[128];
	char *urlp = url, name[] = "data.bin", *fpath = name;
	struct metainfo_tier tier = {&urlp, 1};
	struct metainfo_file file = {.path = fpath, .length = 1000};
	uint8_t pieces[20] = {0};
	struct metainfo mi = {.name = name,
			      .piece_length = 16384,
			      .total_length = 1000,
			      .piece_count = 1,
			      .pieces = pieces,
			      .files = &file,
			      .file_count = 1,
			      .tiers = &tier,
			      .tier_count = 1};
	struct tracker_client *other;
	struct tracker_announcer *a;
	struct bt_session *session;
	struct bt_swarm_config wcfg = {0};
	struct bt_swarm_callbacks wcb = {0};
	struct bt_swarm_stats st;
	int err;

	memcpy(mi.info_hash, HASH, 20);
	assert_non_null(mkdtemp(dir));
	f.base = event_base_new();
	assert_non_null(f.base);
	f.srv = tracker_server_new(f.base, &scfg, NULL, NULL);
	assert_int_equal(tracker_server_add_torrent(f.srv, HASH), 0);
	assert_int_equal(tracker_server_listen_udp(f.srv, "127.0.0.1", 0), 0);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", tracker_server_udp_port(f.srv));

	/* Another peer, a seeder the tracker will tell us about. */
	{
		const char *urls[] = {url};
		struct tracker_client_config oc = {
			.port = 40001, .urls = urls, .n_urls = 1, .udp_timeout_ms = 200};
		struct tracker_client_callbacks ocb = {.on_report = on_other_report, .ctx = f.base};

		memcpy(oc.info_hash, HASH, 20);
		memset(oc.peer_id, 'O', 20);
		other = tracker_client_new(f.base, &oc, NULL, &ocb);
		assert_non_null(other);
		tracker_client_set_stats(other, 0, 0, 0);
		tracker_client_announce_now(other, TRACKER_EVENT_STARTED);
		run(&f, 3000);
	}

	session = bt_session_new(f.base, &bcfg, NULL, &err);
	assert_non_null(session);
	f.our_port = bt_session_port(session);
	assert_int_equal(bt_swarm_new(session, &mi, dir, false, &wcfg, &wcb, &f.swarm), 0);
	{
		const struct tracker_announcer_config cfg = {
			.mi = &mi, .session = session, .swarm = f.swarm, .interval_min_s = 1};
		const struct tracker_announcer_callbacks cb = {
			.on_report = on_report, .on_stopped = on_stopped, .ctx = &f};

		a = tracker_announcer_new(f.base, &cfg, NULL, &cb);
	}
	assert_non_null(a);
	assert_int_equal(tracker_announcer_count(a), 1);
	run(&f, 3000);

	/* "started", with all 1000 bytes left; the caller heard the answer
	 * before its peer reached the swarm, which has it now. */
	assert_int_equal(f.reports, 1);
	assert_int_equal(f.errors, 0);
	assert_int_equal(f.last_event, TRACKER_EVENT_STARTED);
	assert_true(f.last_peers >= 1);
	assert_int_equal(f.known_at_report, 0);
	bt_swarm_get_stats(f.swarm, &st);
	assert_true(st.known >= 1);
	tracker_server_foreach_peer(f.srv, HASH, find_ours, &f);
	assert_int_equal(f.ours_seen, 1);
	assert_int_equal(f.left_seen, 1000);
	assert_int_equal(f.event_seen, TRACKER_EVENT_STARTED);

	/* "stopped" ends with on_stopped, and the tracker forgets us. */
	tracker_announcer_stop(a, 2000);
	run(&f, 3000);
	assert_int_equal(f.stopped, 1);
	f.ours_seen = 0;
	tracker_server_foreach_peer(f.srv, HASH, find_ours, &f);
	assert_int_equal(f.ours_seen, 0);

	tracker_announcer_free(a);
	tracker_client_free(other);
	bt_swarm_free(f.swarm);
	bt_session_free(session);
	tracker_server_free(f.srv);
	event_base_free(f.base);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_no_tracker),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
