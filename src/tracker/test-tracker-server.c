/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the tracker server's handlers, with a clock of our own and
 * no sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracker/server.h"
#include "tracker/wire.h"
#include "util/buf.h"
#include "util/cursor.h"

static uint64_t clock_ms = 1000000;

static uint64_t fake_now(void *ctx)
{
	return clock_ms;
}

static const uint8_t HASH[20] = "0123456789abcdefghij";
static const uint8_t OTHER[20] = "ABCDEFGHIJKLMNOPQRST";

struct events {
	int n_new, n_update, n_stopped, n_expired;
	uint64_t last_left;
};

static void on_peer(void *ctx, enum tracker_peer_change what, const struct tracker_peer_info *p)
{
	struct events *e = ctx;

	switch (what) {
	case TRACKER_PEER_NEW: e->n_new++; break;
	case TRACKER_PEER_UPDATE: e->n_update++; break;
	case TRACKER_PEER_STOPPED: e->n_stopped++; break;
	case TRACKER_PEER_EXPIRED: e->n_expired++; break;
	}
	e->last_left = p->left;
}

static struct tracker_server *make_server(struct events *ev, uint32_t per_torrent)
{
	struct tracker_server_config cfg = {.interval_s = 60, .max_peers_per_torrent = per_torrent};
	struct tracker_server_callbacks cb = {on_peer, ev};
	struct tracker_server *srv = tracker_server_new(NULL, &cfg, NULL, &cb);

	tracker_server_set_clock(srv, fake_now, NULL);
	assert_int_equal(tracker_server_add_torrent(srv, HASH), 0);
	assert_int_equal(tracker_server_add_torrent(srv, HASH), -EEXIST);
	return srv;
}

static struct sockaddr_in addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	a.sin_addr.s_addr = htonl(ip);
	return a;
}

/* Announces over HTTP as peer number i (10.0.0.i:6881). */
static void http_announce(struct tracker_server *srv, int i, uint64_t left, const char *extra,
			  struct buf *out)
{
	struct tracker_announce a = {0};
	struct sockaddr_in from = addr(0x0a000000u + (uint32_t)i, 40000);
	struct buf q;

	memcpy(a.info_hash, HASH, 20);
	memset(a.peer_id, 'a' + i % 26, 20);
	a.port = 6881;
	a.left = left;
	a.numwant = 50;
	buf_init(&q, 4096);
	assert_int_equal(tracker_http_query_build(&q, &a), 0);
	if (extra)
		assert_int_equal(buf_append_str(&q, extra), 0);
	buf_reset(out);
	assert_int_equal(tracker_server_handle_announce(srv, (char *)q.data, q.len, &from, out), 0);
	buf_release(&q);
}

static void test_http_unknown_and_malformed(void **state)
{
	struct events ev = {0};
	struct tracker_server *srv = make_server(&ev, 0);
	struct sockaddr_in from = addr(0x0a000001, 1);
	static struct tracker_reply r;
	struct buf out;
	const char *q;

	buf_init(&out, 64 * 1024);
	q = "info_hash=ABCDEFGHIJKLMNOPQRST&peer_id=xxxxxxxxxxxxxxxxxxxx&port=1&uploaded=0"
	    "&downloaded=0&left=0";
	assert_int_equal(tracker_server_handle_announce(srv, q, strlen(q), &from, &out), 0);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), TRACKER_E_FAILURE);
	assert_string_equal(r.failure, "unknown torrent");
	buf_reset(&out);
	q = "info_hash=%zz";
	assert_int_equal(tracker_server_handle_announce(srv, q, strlen(q), &from, &out), 0);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), TRACKER_E_FAILURE);
	assert_string_equal(r.failure, "invalid info_hash");
	buf_reset(&out);
	assert_int_equal(tracker_server_handle_announce(srv, "", 0, &from, &out), 0);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), TRACKER_E_FAILURE);
	assert_int_equal(ev.n_new, 0);
	buf_release(&out);
	tracker_server_free(srv);
}

static void test_http_swarm(void **state)
{
	struct events ev = {0};
	struct tracker_server *srv = make_server(&ev, 0);
	static struct tracker_reply r;
	struct tracker_scrape_entry e;
	struct buf out;

	buf_init(&out, 64 * 1024);
	/* A seed, then ten leechers. */
	http_announce(srv, 1, 0, "&event=started", &out);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
	assert_int_equal(r.n_peers, 0); /* never itself */
	assert_int_equal(r.complete, 1);
	for (int i = 2; i <= 11; i++)
		http_announce(srv, i, 1000, "&event=started", &out);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.incomplete, 10);
	assert_int_equal(r.n_peers, 10); /* nine leechers and the seed */
	assert_int_equal(r.interval, 60);
	assert_int_equal(ev.n_new, 11);

	/* A seed gets leechers only. */
	http_announce(srv, 1, 0, NULL, &out);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
	assert_int_equal(r.n_peers, 10);
	for (size_t i = 0; i < r.n_peers; i++)
		assert_int_not_equal(ntohl(r.peers[i].addr.s_addr), 0x0a000001u);
	/* A leecher asking for 2 gets one leecher and the seed. */
	http_announce(srv, 5, 1000, "&numwant=2", &out);
	/* Query building already put numwant=50: use a fresh query instead. */
	{
		const char *q = "info_hash=0123456789abcdefghij&peer_id=ffffffffffffffffffff"
				"&port=6881&uploaded=0&downloaded=0&left=7&numwant=2&compact=0";
		struct sockaddr_in from = addr(0x0a000005, 1);
		bool seed_seen = false;
		buf_reset(&out);
		assert_int_equal(tracker_server_handle_announce(srv, q, strlen(q), &from, &out), 0);
		assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
		assert_int_equal(r.n_peers, 2);
		for (size_t i = 0; i < r.n_peers; i++)
			seed_seen |= ntohl(r.peers[i].addr.s_addr) == 0x0a000001u;
		assert_true(seed_seen);
		assert_int_equal(ev.last_left, 7);
	}
	/* Completed counts once; stopped removes. */
	http_announce(srv, 2, 0, "&event=completed", &out);
	http_announce(srv, 2, 0, "&event=completed", &out);
	assert_int_equal(tracker_server_torrent_counts(srv, HASH, &e), 0);
	assert_int_equal(e.downloaded, 1);
	assert_int_equal(e.complete, 2);
	http_announce(srv, 3, 1000, "&event=stopped", &out);
	assert_int_equal(ev.n_stopped, 1);
	assert_int_equal(tracker_server_torrent_counts(srv, HASH, &e), 0);
	assert_int_equal(e.incomplete, 8); /* the numwant=2 query was peer 5 again */
	assert_int_equal(tracker_server_torrent_counts(srv, OTHER, &e), -ENOENT);

	/* Expiry after two intervals of silence. */
	clock_ms += 100 * 1000;
	http_announce(srv, 4, 1000, NULL, &out);
	clock_ms += 30 * 1000;
	tracker_server_expire(srv);
	assert_int_equal(tracker_server_torrent_counts(srv, HASH, &e), 0);
	assert_int_equal(e.complete + e.incomplete, 1);
	assert_int_equal(ev.n_expired, 9);

	/* Scrape. */
	buf_reset(&out);
	assert_int_equal(tracker_server_handle_scrape(srv, "", 0, &out), 0);
	assert_non_null(
		memmem(out.data, out.len, "d8:completei0e10:downloadedi1e10:incompletei1ee", 47));
	buf_reset(&out);
	assert_int_equal(tracker_server_handle_scrape(srv, "info_hash=%", 11, &out), 0);
	assert_non_null(memmem(out.data, out.len, "failure reason", 14));
	buf_release(&out);
	tracker_server_free(srv);
}

static void test_caps(void **state)
{
	struct events ev = {0};
	struct tracker_server *srv = make_server(&ev, 3);
	static struct tracker_reply r;
	struct tracker_scrape_entry e;
	struct buf out;

	buf_init(&out, 64 * 1024);
	for (int i = 1; i <= 5; i++)
		http_announce(srv, i, 10, NULL, &out);
	/* The 4th and 5th were answered but not recorded. */
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
	assert_int_equal(r.n_peers, 3);
	assert_int_equal(tracker_server_torrent_counts(srv, HASH, &e), 0);
	assert_int_equal(e.incomplete, 3);
	buf_release(&out);
	tracker_server_free(srv);

	/* numwant is capped at 200 with 300 peers. */
	srv = make_server(&ev, 0);
	buf_init(&out, 64 * 1024);
	for (int i = 1; i <= 300; i++)
		http_announce(srv, i, 10, NULL, &out);
	{
		const char *q = "info_hash=0123456789abcdefghij&peer_id=ffffffffffffffffffff"
				"&port=6881&uploaded=0&downloaded=0&left=7&numwant=100000";
		struct sockaddr_in from = addr(0x0b000005, 1);
		buf_reset(&out);
		assert_int_equal(tracker_server_handle_announce(srv, q, strlen(q), &from, &out), 0);
		assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
		assert_int_equal(r.n_peers, 200);
	}
	buf_release(&out);
	tracker_server_free(srv);
}

static int udp(struct tracker_server *srv, const struct buf *in, const struct sockaddr_in *from,
	       struct buf *out)
{
	buf_reset(out);
	return tracker_server_handle_udp(srv, in->data, in->len, from, out);
}

static void test_udp(void **state)
{
	struct events ev = {0};
	struct tracker_server *srv = make_server(&ev, 0);
	struct sockaddr_in from = addr(0x0a000001, 5000), other = addr(0x0a000002, 5000);
	struct tracker_announce a = {0};
	static struct tracker_reply r;
	struct tracker_scrape_entry e[2];
	uint8_t hashes[2][20];
	uint64_t cid;
	struct buf in, out;

	buf_init(&in, 2048);
	buf_init(&out, 2048);
	/* Garbage gets no answer at all. */
	assert_int_equal(tracker_server_handle_udp(srv, (const uint8_t *)"hello", 5, &from, &out),
			 0);
	assert_int_equal(buf_append(&in, "0123456789abcdef", 16), 0);
	assert_int_equal(udp(srv, &in, &from, &out), 0);

	buf_reset(&in);
	assert_int_equal(tracker_udp_connect_build(&in, 77), 0);
	assert_int_equal(udp(srv, &in, &from, &out), 1);
	assert_int_equal(tracker_udp_connect_reply_parse(out.data, out.len, 77, &cid, NULL), 0);

	memcpy(a.info_hash, HASH, 20);
	memset(a.peer_id, 'p', 20);
	a.port = 6881;
	a.left = 0;
	a.numwant = 50;
	a.event = TRACKER_EVENT_STARTED;
	buf_reset(&in);
	assert_int_equal(tracker_udp_announce_build(&in, cid, 78, &a), 0);
	assert_int_equal(udp(srv, &in, &from, &out), 1);
	assert_int_equal(tracker_udp_announce_reply_parse(out.data, out.len, 78, &r), 0);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.interval, 60);
	assert_int_equal(ev.n_new, 1);

	/* The connection id belongs to `from`: another address is refused. */
	assert_int_equal(udp(srv, &in, &other, &out), 1);
	assert_int_equal(tracker_udp_announce_reply_parse(out.data, out.len, 78, &r),
			 TRACKER_E_FAILURE);
	assert_string_equal(r.failure, "connection id expired");
	/* And it expires. */
	clock_ms += 3 * TRACKER_UDP_CONN_EPOCH_S * 1000;
	assert_int_equal(udp(srv, &in, &from, &out), 1);
	assert_int_equal(tracker_udp_announce_reply_parse(out.data, out.len, 78, &r),
			 TRACKER_E_FAILURE);

	/* Unknown torrent. */
	buf_reset(&in);
	assert_int_equal(tracker_udp_connect_build(&in, 1), 0);
	assert_int_equal(udp(srv, &in, &from, &out), 1);
	assert_int_equal(tracker_udp_connect_reply_parse(out.data, out.len, 1, &cid, NULL), 0);
	memcpy(a.info_hash, OTHER, 20);
	buf_reset(&in);
	assert_int_equal(tracker_udp_announce_build(&in, cid, 2, &a), 0);
	assert_int_equal(udp(srv, &in, &from, &out), 1);
	assert_int_equal(tracker_udp_announce_reply_parse(out.data, out.len, 2, &r),
			 TRACKER_E_FAILURE);
	assert_string_equal(r.failure, "unknown torrent");
	/* A bad field gets an error with the txid. */
	in.data[97] = 0;
	in.data[96] = 0; /* port 0 */
	assert_int_equal(udp(srv, &in, &from, &out), 1);
	assert_int_equal(tracker_udp_announce_reply_parse(out.data, out.len, 2, &r),
			 TRACKER_E_FAILURE);
	assert_string_equal(r.failure, "malformed request");

	/* Scrape: one known, one unknown, in the order asked. */
	memcpy(hashes[0], OTHER, 20);
	memcpy(hashes[1], HASH, 20);
	buf_reset(&in);
	assert_int_equal(tracker_udp_scrape_build(&in, cid, 3, (const uint8_t(*)[20])hashes, 2), 0);
	assert_int_equal(udp(srv, &in, &from, &out), 1);
	assert_int_equal(tracker_udp_scrape_reply_parse(out.data, out.len, 3, e, 2, NULL), 0);
	assert_int_equal(e[0].complete, 0);
	assert_int_equal(e[1].complete, 1);
	buf_release(&in);
	buf_release(&out);
	tracker_server_free(srv);
}

static void test_local_peer(void **state)
{
	struct events ev = {0};
	struct tracker_server *srv = make_server(&ev, 0);
	struct tracker_announce a = {0};
	struct in_addr lan = {htonl(0x0a4d0001)};
	static struct tracker_reply r;
	struct buf out;

	memcpy(a.info_hash, HASH, 20);
	memset(a.peer_id, 's', 20);
	a.port = 6881;
	a.event = TRACKER_EVENT_STARTED;
	assert_int_equal(tracker_server_announce_local(srv, &a, lan), 0);
	a.port = 0;
	assert_int_equal(tracker_server_announce_local(srv, &a, lan), -EINVAL);
	a.port = 6881;
	memcpy(a.info_hash, OTHER, 20);
	assert_int_equal(tracker_server_announce_local(srv, &a, lan), -ENOENT);
	memcpy(a.info_hash, HASH, 20);
	/* Long after every interval, a leecher still gets the local seed. */
	clock_ms += 3600 * 1000;
	tracker_server_expire(srv);
	buf_init(&out, 4096);
	http_announce(srv, 2, 1000, NULL, &out);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
	assert_int_equal(r.n_peers, 1);
	assert_int_equal(r.complete, 1);
	assert_int_equal(ntohl(r.peers[0].addr.s_addr), 0x0a4d0001u);
	assert_int_equal(r.peers[0].port, 6881);
	a.event = TRACKER_EVENT_STOPPED;
	assert_int_equal(tracker_server_announce_local(srv, &a, lan), 0);
	http_announce(srv, 2, 1000, NULL, &out);
	assert_int_equal(tracker_http_reply_parse(out.data, out.len, &r), 0);
	assert_int_equal(r.n_peers, 0);
	buf_release(&out);
	tracker_server_free(srv);
}

static void test_torrents(void **state)
{
	struct tracker_server_config cfg = {.max_torrents = 2};
	struct tracker_server *srv = tracker_server_new(NULL, &cfg, NULL, NULL);
	uint8_t h[20] = {0};

	assert_int_equal(tracker_server_add_torrent(srv, HASH), 0);
	assert_int_equal(tracker_server_add_torrent(srv, h), 0);
	assert_int_equal(tracker_server_add_torrent(srv, OTHER), -ENOSPC);
	assert_int_equal(tracker_server_remove_torrent(srv, HASH), 0);
	assert_int_equal(tracker_server_remove_torrent(srv, HASH), -ENOENT);
	assert_int_equal(tracker_server_add_torrent(srv, OTHER), 0);
	tracker_server_free(srv);
	tracker_server_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_unknown_and_malformed),
		cmocka_unit_test(test_http_swarm),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_local_peer),
		cmocka_unit_test(test_torrents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
