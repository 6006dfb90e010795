/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two sessions in one event loop on loopback: one seeds two torrents on one
 * port (incoming handshakes are sorted by info-hash, as on the server), the
 * other downloads both. Bounded by a timer.
 */
#include <errno.h>
#include <event2/event.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "bencode/piece-hasher.h"
#include "bt/bt.h"

#define PLEN (64 * 1024)

struct torrent {
	struct metainfo mi;
	uint8_t *data;
	size_t len;
};

static void make_torrent(struct torrent *t, const char *name, size_t len, uint8_t salt)
{
	memset(t, 0, sizeof(*t));
	t->len = len;
	t->data = xmalloc(len);
	for (size_t i = 0; i < len; i++)
		t->data[i] = (uint8_t)(i * 31 + salt + (i >> 9));
	t->mi.name = xstrdup(name);
	t->mi.piece_length = PLEN;
	t->mi.total_length = len;
	t->mi.piece_count = (uint32_t)((len + PLEN - 1) / PLEN);
	t->mi.file_count = 1;
	t->mi.files = xcalloc(1, sizeof(*t->mi.files));
	t->mi.files[0].path = xstrdup(name);
	t->mi.files[0].length = len;
	t->mi.pieces = xmalloc(20 * (size_t)t->mi.piece_count);
	for (uint32_t i = 0; i < t->mi.piece_count; i++)
		piece_sha1(t->mi.pieces + 20 * i, t->data + (size_t)i * PLEN,
			   MIN((size_t)PLEN, len - (size_t)i * PLEN));
	/* Any distinct 20 bytes do for an info-hash here. */
	memset(t->mi.info_hash, salt, 20);
}

static void free_torrent(struct torrent *t)
{
	free(t->mi.files[0].path);
	free(t->mi.files);
	free(t->mi.pieces);
	free(t->mi.name);
	free(t->data);
}

static void write_file(const char *dir, const struct torrent *t)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, t->mi.name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(t->data, 1, t->len, f), t->len);
	fclose(f);
}

static bool same_file(const char *dir, const struct torrent *t)
{
	char path[512];
	uint8_t *buf = xmalloc(t->len + 1);
	FILE *f;
	size_t n;
	bool same;

	snprintf(path, sizeof(path), "%s/%s", dir, t->mi.name);
	f = fopen(path, "rb");
	if (!f) {
		free(buf);
		return false;
	}
	n = fread(buf, 1, t->len + 1, f);
	fclose(f);
	same = n == t->len && memcmp(buf, t->data, t->len) == 0;
	free(buf);
	return same;
}

struct ctx {
	struct event_base *base;
	int completed;
	int verified;
};

static void on_complete(void *arg)
{
	struct ctx *c = arg;

	if (++c->completed == 2)
		event_base_loopbreak(c->base);
}

static void on_piece(void *arg, uint32_t index)
{
	((struct ctx *)arg)->verified++;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static void test_two_torrents_one_port(void **state)
{
	char sdir[] = "/tmp/test-bt-session-s.XXXXXX";
	char gdir[] = "/tmp/test-bt-session-g.XXXXXX";
	struct torrent a, b;
	struct ctx c = {0};
	struct bt_session_config scfg = {.port = 0, .bind = "127.0.0.1"};
	struct bt_swarm_callbacks cb = {
		.piece_verified = on_piece, .complete = on_complete, .ctx = &c};
	struct bt_session *seeder, *getter;
	struct bt_swarm *sa, *sb, *ga, *gb;
	struct bt_swarm_stats st;
	struct event *timer;
	struct timeval limit = {20, 0};
	char peer[64];
	int err;

	assert_non_null(mkdtemp(sdir));
	assert_non_null(mkdtemp(gdir));
	make_torrent(&a, "alpha.img", 5 * PLEN + 1234, 1);
	make_torrent(&b, "beta.img", 9 * PLEN, 2);
	write_file(sdir, &a);
	write_file(sdir, &b);

	c.base = event_base_new();
	seeder = bt_session_new(c.base, &scfg, NULL, &err);
	assert_non_null(seeder);
	getter = bt_session_new(c.base, &scfg, NULL, &err);
	assert_non_null(getter);
	assert_int_equal(bt_swarm_new(seeder, &a.mi, sdir, true, NULL, NULL, &sa), 0);
	assert_int_equal(bt_swarm_new(seeder, &b.mi, sdir, true, NULL, NULL, &sb), 0);
	assert_true(bt_swarm_complete(sa));
	assert_true(bt_swarm_complete(sb));
	/* The same torrent twice in one session is refused. */
	{
		struct bt_swarm *dup;
		assert_int_equal(bt_swarm_new(seeder, &a.mi, sdir, true, NULL, NULL, &dup),
				 -EEXIST);
		assert_null(dup);
	}
	assert_int_equal(bt_swarm_new(getter, &a.mi, gdir, false, NULL, &cb, &ga), 0);
	assert_int_equal(bt_swarm_new(getter, &b.mi, gdir, false, NULL, &cb, &gb), 0);
	assert_false(bt_swarm_complete(ga));
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", bt_session_port(seeder));
	assert_int_equal(bt_swarm_add_peer_str(ga, peer), 0);
	assert_int_equal(bt_swarm_add_peer_str(gb, peer), 0);
	assert_int_not_equal(bt_swarm_add_peer_str(gb, "not an address"), 0);

	timer = evtimer_new(c.base, on_timeout, c.base);
	evtimer_add(timer, &limit);
	event_base_dispatch(c.base);

	assert_int_equal(c.completed, 2);
	assert_int_equal(c.verified, (int)(a.mi.piece_count + b.mi.piece_count));
	assert_true(bt_swarm_complete(ga));
	assert_true(bt_swarm_complete(gb));
	bt_swarm_get_stats(ga, &st);
	assert_int_equal(st.have_bytes, a.len);
	assert_int_equal(st.bad_pieces, 0);
	{
		/* Bytes per address outlive the connection (both are seeds
		 * now, so it closed): all of them came from the seeder, whose
		 * peer id its handshake gave. */
		struct bt_peer_bytes pb[4];
		uint64_t up = 0;
		size_t n = bt_swarm_peer_bytes(ga, pb, 4);

		assert_int_equal(n, 1);
		assert_int_equal(pb[0].addr.s_addr, htonl(INADDR_LOOPBACK));
		assert_int_equal(pb[0].port, bt_session_port(seeder));
		assert_true(pb[0].has_id);
		assert_memory_equal(pb[0].peer_id, bt_session_peer_id(seeder), 20);
		assert_int_equal(pb[0].down, st.downloaded);
		assert_true(pb[0].down >= a.len);
		bt_swarm_get_stats(sb, &st);
		n = bt_swarm_peer_bytes(sb, pb, 4);
		assert_true(n >= 1);
		for (size_t i = 0; i < n; i++)
			up += pb[i].up;
		assert_int_equal(up, st.uploaded);
		assert_int_equal(bt_swarm_peer_bytes(sb, pb, 0), 0);
	}
	assert_true(st.uploaded >= b.len);
	assert_true(same_file(gdir, &a));
	assert_true(same_file(gdir, &b));

	event_free(timer);
	bt_swarm_free(ga);
	bt_swarm_free(gb);
	bt_swarm_free(sa);
	bt_swarm_free(sb);
	bt_session_free(getter);
	bt_session_free(seeder);
	event_base_free(c.base);
	free_torrent(&a);
	free_torrent(&b);
	{
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", sdir, gdir);
		assert_int_equal(system(cmd), 0);
	}
}

static void on_first_piece(void *arg, uint32_t index)
{
	struct ctx *c = arg;

	if (++c->verified == 2)
		event_base_loopbreak(c->base);
}

static void run_for(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Super-seeding switched off mid-download: the peer that joined while it
 * was on learns of every piece (it sees us as a seed) and stays connected
 * (no HAVE it already had from us); switched on again, that peer is still
 * served normally. The seeder's upload is rate-limited so that the
 * download is still running when we look. */
static void test_superseed_switch(void **state)
{
	char sdir[] = "/tmp/test-bt-session-s.XXXXXX";
	char gdir[] = "/tmp/test-bt-session-g.XXXXXX";
	struct torrent a;
	struct ctx c = {0};
	struct bt_session_config scfg = {.bind = "127.0.0.1", .max_upload_rate = 1024 * 1024};
	struct bt_session_config gcfg = {.bind = "127.0.0.1"};
	struct bt_swarm_config ss = {.super_seed = true};
	struct bt_swarm_callbacks cb = {.piece_verified = on_first_piece, .ctx = &c};
	struct bt_session *seeder, *getter;
	struct bt_swarm *sa, *ga;
	struct bt_swarm_stats st;
	char peer[64];
	int err;

	assert_non_null(mkdtemp(sdir));
	assert_non_null(mkdtemp(gdir));
	make_torrent(&a, "gamma.img", 128 * PLEN, 3);
	write_file(sdir, &a);
	c.base = event_base_new();
	seeder = bt_session_new(c.base, &scfg, NULL, &err);
	getter = bt_session_new(c.base, &gcfg, NULL, &err);
	assert_non_null(seeder);
	assert_non_null(getter);
	assert_int_equal(bt_swarm_new(seeder, &a.mi, sdir, true, &ss, NULL, &sa), 0);
	assert_true(bt_swarm_super_seeding(sa));
	assert_int_equal(bt_swarm_new(getter, &a.mi, gdir, false, NULL, &cb, &ga), 0);
	snprintf(peer, sizeof(peer), "127.0.0.1:%u", bt_session_port(seeder));
	assert_int_equal(bt_swarm_add_peer_str(ga, peer), 0);

	/* Until two pieces came, under super-seeding (one read may bring the
	 * blocks of a few pieces, all handled before the loop breaks). */
	run_for(c.base, 10000);
	assert_true(c.verified >= 2);
	bt_swarm_get_stats(ga, &st);
	assert_int_equal(st.peers, 1);
	assert_int_equal(st.seeds, 0); /* we kept our pieces from it */
	assert_true(st.copies < 1);

	bt_swarm_set_super_seed(sa, false);
	assert_false(bt_swarm_super_seeding(sa));
	/* The HAVEs queue behind at most BT_OUTPUT_HIGH of blocks. */
	run_for(c.base, 1500);
	bt_swarm_get_stats(ga, &st);
	assert_false(bt_swarm_complete(ga));
	assert_int_equal(st.peers, 1);
	assert_int_equal(st.seeds, 1); /* every piece revealed */
	assert_true(st.copies >= 1);

	bt_swarm_set_super_seed(sa, true);
	assert_true(bt_swarm_super_seeding(sa));
	run_for(c.base, 300);
	bt_swarm_get_stats(ga, &st);
	assert_int_equal(st.peers, 1);
	assert_int_equal(st.seeds, 1);

	bt_swarm_free(ga);
	bt_swarm_free(sa);
	bt_session_free(getter);
	bt_session_free(seeder);
	event_base_free(c.base);
	free_torrent(&a);
	{
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", sdir, gdir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_torrents_one_port),
		cmocka_unit_test(test_superseed_switch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
