/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the tracker wire formats: byte vectors, and tables of
 * malformed input with one field changed at a time. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tracker/wire.h"
#include "util/buf.h"
#include "util/cursor.h"

static const uint8_t HASH[20] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x00, 0x20,
				 '+',  '&',  '=',  '%',	 'a',  'Z',  '-',  '~',	 0xff, 0x01};
#define HASH_ENC "%124Vx%9A%BC%DE%F0%00%20%2B%26%3D%25aZ-~%FF%01"
#define PEER_ID_TXT "-BT0001-abcdefghijkl"

static struct tracker_announce sample_announce(void)
{
	struct tracker_announce a = {0};

	memcpy(a.info_hash, HASH, 20);
	memcpy(a.peer_id, PEER_ID_TXT, 20);
	a.port = 6881;
	a.uploaded = 100;
	a.downloaded = 200;
	a.left = 300;
	a.event = TRACKER_EVENT_STARTED;
	a.numwant = 50;
	a.key = 0xdeadbeef;
	a.has_key = true;
	a.compact = true;
	return a;
}

static void test_url_codec(void **state)
{
	struct buf b;
	uint8_t out[32];

	buf_init(&b, 1024);
	assert_int_equal(tracker_url_encode(&b, HASH, 20), 0);
	assert_string_equal((char *)b.data, HASH_ENC);
	assert_int_equal(tracker_url_decode((char *)b.data, b.len, out, sizeof(out)), 20);
	assert_memory_equal(out, HASH, 20);
	/* Lower-case hex is fine; '+' stays '+'. */
	assert_int_equal(tracker_url_decode("%ff+", 4, out, 4), 2);
	assert_int_equal(out[0], 0xff);
	assert_int_equal(out[1], '+');
	/* Truncated or non-hex escapes, and overflow of max. */
	assert_int_equal(tracker_url_decode("%f", 2, out, 4), -1);
	assert_int_equal(tracker_url_decode("%", 1, out, 4), -1);
	assert_int_equal(tracker_url_decode("%gg", 3, out, 4), -1);
	assert_int_equal(tracker_url_decode("%0g", 3, out, 4), -1);
	assert_int_equal(tracker_url_decode("abcde", 5, out, 4), -1);
	buf_release(&b);
}

static void test_query_roundtrip(void **state)
{
	struct tracker_announce a = sample_announce(), p;
	const char *why = NULL;
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(tracker_http_query_build(&b, &a), 0);
	assert_string_equal((char *)b.data,
			    "info_hash=" HASH_ENC "&peer_id=" PEER_ID_TXT
			    "&port=6881&uploaded=100&downloaded=200&left=300&event=started"
			    "&compact=1&numwant=50&key=deadbeef");
	assert_int_equal(tracker_http_query_parse((char *)b.data, b.len, &p, &why), 0);
	assert_memory_equal(p.info_hash, HASH, 20);
	assert_memory_equal(p.peer_id, PEER_ID_TXT, 20);
	assert_int_equal(p.port, 6881);
	assert_int_equal(p.uploaded, 100);
	assert_int_equal(p.downloaded, 200);
	assert_int_equal(p.left, 300);
	assert_int_equal(p.event, TRACKER_EVENT_STARTED);
	assert_int_equal(p.numwant, 50);
	assert_true(p.compact);
	assert_true(p.has_key);

	/* No event parameter for NONE. */
	buf_reset(&b);
	a.event = TRACKER_EVENT_NONE;
	assert_int_equal(tracker_http_query_build(&b, &a), 0);
	assert_null(strstr((char *)b.data, "event"));
	buf_release(&b);
}

#define Q_HASH "info_hash=" HASH_ENC
#define Q_REST "&peer_id=" PEER_ID_TXT "&port=6881&uploaded=0&downloaded=0&left=10"
#define Q_GOOD Q_HASH Q_REST

struct bad_query {
	const char *q;
	int code;
};

static void test_query_malformed(void **state)
{
	static const struct bad_query bad[] = {
		/* info_hash: 19 and 21 bytes, bad escapes, missing. */
		{"info_hash=%124Vx%9A%BC%DE%F0%00%20%2B%26%3D%25aZ-~%FF" Q_REST,
		 TRACKER_E_MALFORMED},
		{"info_hash=" HASH_ENC "x" Q_REST, TRACKER_E_MALFORMED},
		{"info_hash=%124Vx%9A%BC%DE%F0%00%20%2B%26%3D%25aZ-~%FF%0" Q_REST,
		 TRACKER_E_MALFORMED},
		{"info_hash=%124Vx%9A%BC%DE%F0%00%20%2B%26%3D%25aZ-~%FF%G1" Q_REST,
		 TRACKER_E_MALFORMED},
		{"info_hash=" Q_REST, TRACKER_E_MALFORMED},
		{&Q_REST[1], TRACKER_E_MISSING},
		/* peer_id. */
		{Q_HASH "&peer_id=short&port=6881&uploaded=0&downloaded=0&left=10",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&port=6881&uploaded=0&downloaded=0&left=10", TRACKER_E_MISSING},
		/* port. */
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=0&uploaded=0&downloaded=0&left=10",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=65536&uploaded=0&downloaded=0&left=10",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=-1&uploaded=0&downloaded=0&left=10",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=&uploaded=0&downloaded=0&left=10",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=68 81&uploaded=0&downloaded=0&left=10",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&uploaded=0&downloaded=0&left=10",
		 TRACKER_E_MISSING},
		/* left, uploaded, downloaded. */
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=1&uploaded=0&downloaded=0&left=-1",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=1&uploaded=0&downloaded=0&left=1e9",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT
			"&port=1&uploaded=0&downloaded=0&left=99999999999999999999999",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT
			"&port=1&uploaded=0&downloaded=0&left=72057594037927937",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=1&uploaded=x&downloaded=0&left=1",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=1&uploaded=0&downloaded=-5&left=1",
		 TRACKER_E_MALFORMED},
		{Q_HASH "&peer_id=" PEER_ID_TXT "&port=1&uploaded=0&downloaded=0",
		 TRACKER_E_MISSING},
		/* event, numwant, compact. */
		{Q_GOOD "&event=begun", TRACKER_E_MALFORMED},
		{Q_GOOD "&numwant=lots", TRACKER_E_MALFORMED},
		{Q_GOOD "&numwant=", TRACKER_E_MALFORMED},
		{Q_GOOD "&numwant=-", TRACKER_E_MALFORMED},
		{Q_GOOD "&compact=2", TRACKER_E_MALFORMED},
		/* Duplicates. */
		{Q_GOOD "&port=6882", TRACKER_E_DUPLICATE},
		{Q_GOOD "&" Q_HASH, TRACKER_E_DUPLICATE},
		{Q_GOOD "&numwant=1&numwant=2", TRACKER_E_DUPLICATE},
	};
	struct tracker_announce a;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = NULL;
		int r = tracker_http_query_parse(bad[i].q, strlen(bad[i].q), &a, &why);
		if (r != bad[i].code)
			fail_msg("case %zu (%s): got %d want %d", i, bad[i].q, r, bad[i].code);
		assert_non_null(why);
	}
}

static void test_query_edges(void **state)
{
	struct tracker_announce a;
	char big[TRACKER_QUERY_MAX + 64];
	struct buf b;

	/* Unknown parameters, empty pairs and ip are ignored. */
	{
		const char *q = "&&" Q_GOOD "&ip=1.2.3.4&supportcrypto=1&&corrupt=0&event=";
		assert_int_equal(tracker_http_query_parse(q, strlen(q), &a, NULL), 0);
		assert_int_equal(a.event, TRACKER_EVENT_NONE);
		assert_int_equal(a.numwant, TRACKER_NUMWANT_DEFAULT);
		assert_true(a.compact);
	}
	/* numwant: absurd values are capped, negative means the default. */
	{
		const char *q = Q_GOOD "&numwant=1000000000000";
		assert_int_equal(tracker_http_query_parse(q, strlen(q), &a, NULL), 0);
		assert_int_equal(a.numwant, TRACKER_NUMWANT_MAX);
		q = Q_GOOD "&numwant=-1&compact=0&no_peer_id=1&event=completed";
		assert_int_equal(tracker_http_query_parse(q, strlen(q), &a, NULL), 0);
		assert_int_equal(a.numwant, TRACKER_NUMWANT_DEFAULT);
		assert_false(a.compact);
		assert_true(a.no_peer_id);
		assert_int_equal(a.event, TRACKER_EVENT_COMPLETED);
		q = Q_GOOD "&numwant=0&event=stopped";
		assert_int_equal(tracker_http_query_parse(q, strlen(q), &a, NULL), 0);
		assert_int_equal(a.numwant, 0);
		assert_int_equal(a.event, TRACKER_EVENT_STOPPED);
	}
	/* Length and count caps. */
	buf_init(&b, sizeof(big));
	assert_int_equal(buf_append_str(&b, Q_GOOD), 0);
	while (b.len <= TRACKER_QUERY_MAX)
		assert_int_equal(buf_append_str(&b, "&x=y"), 0);
	assert_int_equal(tracker_http_query_parse((char *)b.data, b.len, &a, NULL),
			 TRACKER_E_TOO_LONG);
	buf_reset(&b);
	assert_int_equal(buf_append_str(&b, Q_GOOD), 0);
	for (int i = 0; i < TRACKER_QUERY_PARAMS_MAX; i++)
		assert_int_equal(buf_append_str(&b, "&x"), 0);
	assert_int_equal(tracker_http_query_parse((char *)b.data, b.len, &a, NULL),
			 TRACKER_E_TOO_LONG);
	buf_release(&b);
}

static void test_query_real_clients(void **state)
{
	/* The first as aria2c 1.36 sent it in tracker-aria2.sh; the second in the
	 * shape transmission uses (numwant 80, hex key, ipv6=). */
	static const char *const q[] = {
		"info_hash=%08%DEh%F9%B2%09%F9%DE%1EE%1B%97%DA%B4%85%D2%B6%5D%CB%B4&peer_id=A2-1-36-0-"
		"%90%60%DA%D9%C8%F6%AF%40%0Bd&uploaded=0&downloaded=0&left=3158073&compact=1&key="
		"%DA%D9%C8%F6%AF%40%0Bd&numwant=50&no_peer_id=1&port=6882&event=started&supportcrypto=1",
		"info_hash=%08%DEh%F9%B2%09%F9%DE%1EE%1B%97%DA%B4%85%D2%B6%5D%CB%B4&peer_id=-TR3000-"
		"abcdefghijkl&port=51413&uploaded=0&downloaded=0&left=3158073&numwant=80&key=1a2b3c4d"
		"&compact=1&supportcrypto=1&event=started&ipv6=fe80%3A%3A1",
	};
	struct tracker_announce a;

	for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
		const char *why = NULL;
		assert_int_equal(tracker_http_query_parse(q[i], strlen(q[i]), &a, &why), 0);
		assert_int_equal(a.info_hash[0], 0x08);
		assert_int_equal(a.left, 3158073);
		assert_int_equal(a.event, TRACKER_EVENT_STARTED);
		assert_true(a.compact);
		assert_true(a.has_key);
	}
	assert_int_equal(a.port, 51413);
	assert_int_equal(a.numwant, 80);
}

static void test_scrape_query(void **state)
{
	uint8_t h[4][20];
	size_t n;
	const char *q = Q_HASH "&x=1&info_hash=%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F"
			       "%10%11%12%13%14";

	assert_int_equal(tracker_http_scrape_parse(q, strlen(q), h, 4, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(h[0], HASH, 20);
	assert_int_equal(h[1][19], 0x14);
	assert_int_equal(tracker_http_scrape_parse(q, strlen(q), h, 1, &n, NULL),
			 TRACKER_E_TOO_LONG);
	assert_int_equal(tracker_http_scrape_parse("", 0, h, 4, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tracker_http_scrape_parse("info_hash=%1", 12, h, 4, &n, NULL),
			 TRACKER_E_MALFORMED);
}

static void test_http_reply_build(void **state)
{
	struct tracker_reply_peer peers[2] = {0};
	struct tracker_http_reply r = {.interval = 30,
				       .min_interval = 5,
				       .complete = 1,
				       .incomplete = 2,
				       .peers = peers,
				       .n_peers = 2,
				       .compact = true};
	struct tracker_scrape_entry e[2] = {0};
	struct buf b;

	inet_pton(AF_INET, "10.0.0.1", &peers[0].a.addr);
	peers[0].a.port = 6881;
	inet_pton(AF_INET, "192.168.1.200", &peers[1].a.addr);
	peers[1].a.port = 0x1234;
	memcpy(peers[0].peer_id, PEER_ID_TXT, 20);
	memcpy(peers[1].peer_id, PEER_ID_TXT, 20);

	buf_init(&b, 4096);
	assert_int_equal(tracker_http_reply_build(&b, &r), 0);
	assert_int_equal(b.len, 85);
	assert_memory_equal(b.data,
			    "d8:completei1e10:incompletei2e8:intervali30e12:min intervali5e"
			    "5:peers12:\x0a\x00\x00\x01\x1a\xe1\xc0\xa8\x01\xc8\x12\x34"
			    "e",
			    85);
	buf_reset(&b);
	r.compact = false;
	r.n_peers = 1;
	r.warning = "hi";
	assert_int_equal(tracker_http_reply_build(&b, &r), 0);
	assert_string_equal((char *)b.data,
			    "d8:completei1e10:incompletei2e8:intervali30e12:min intervali5e"
			    "5:peersld2:ip8:10.0.0.17:peer id20:" PEER_ID_TXT "4:porti6881ee"
			    "e15:warning message2:hie");
	buf_reset(&b);
	r.no_peer_id = true;
	r.warning = NULL;
	assert_int_equal(tracker_http_reply_build(&b, &r), 0);
	assert_non_null(strstr((char *)b.data, "ld2:ip8:10.0.0.14:porti6881eee"));
	buf_reset(&b);
	assert_int_equal(tracker_http_failure_build(&b, "unknown torrent"), 0);
	assert_string_equal((char *)b.data, "d14:failure reason15:unknown torrente");
	buf_reset(&b);
	e[0].info_hash[0] = 1;
	e[1].info_hash[0] = 2;
	e[1].complete = 3;
	e[1].downloaded = 4;
	e[1].incomplete = 5;
	assert_int_equal(tracker_http_scrape_build(&b, e, 2), 0);
	assert_int_equal(b.len, 9 + 2 * (23 + 47) + 2);
	assert_memory_equal(b.data + 9 + 70 + 23, "d8:completei3e10:downloadedi4e10:incompletei5ee",
			    47);
	buf_reset(&b);
	/* Unsorted entries would be invalid bencode. */
	assert_int_equal(tracker_http_scrape_build(&b, e + 1, 1), 0);
	buf_reset(&b);
	e[0].info_hash[0] = 3;
	assert_int_equal(tracker_http_scrape_build(&b, e, 2), -EINVAL);
	buf_release(&b);
}

static void test_http_reply_parse(void **state)
{
	static struct tracker_reply r;
	static const char compact[] = "d8:completei1e10:incompletei2e8:intervali30e"
				      "12:min intervali5e5:peers12:\x0a\x00\x00\x01\x1a\xe1"
				      "\xc0\xa8\x01\xc8\x12\x34"
				      "e";
	static const char dicts[] =
		"d8:intervali1800e5:peersld2:ip8:10.0.0.17:peer id20:" PEER_ID_TXT
		"4:porti6881eed2:ip11:example.com4:porti1ee"
		"d2:ip3:::14:porti1eed2:ip8:10.0.0.24:porti0eed2:ip8:10.0.0.34:porti7ee"
		"e15:warning message3:a\nbe";
	struct {
		const char *in;
		int code;
	} bad[] = {
		{"not bencode", TRACKER_E_MALFORMED},
		{"", TRACKER_E_MALFORMED},
		{"li1ee", TRACKER_E_MALFORMED},
		{"d5:peers5:abcdee", TRACKER_E_MALFORMED},
		{"d5:peersi3ee", TRACKER_E_MALFORMED},
		{"d8:intervali30e5:peers0:", TRACKER_E_MALFORMED},
		{"d8:intervali30e5:peers0:ee", TRACKER_E_MALFORMED},
		/* Keys out of order: the decoder is strict. */
		{"d8:intervali30e8:completei1ee", TRACKER_E_MALFORMED},
		{"d14:failure reason7:go awaye", TRACKER_E_FAILURE},
	};
	struct buf b;

	assert_int_equal(
		tracker_http_reply_parse((const uint8_t *)compact, sizeof(compact) - 1, &r), 0);
	assert_int_equal(r.interval, 30);
	assert_int_equal(r.min_interval, 5);
	assert_int_equal(r.complete, 1);
	assert_int_equal(r.incomplete, 2);
	assert_int_equal(r.n_peers, 2);
	assert_int_equal(r.peers[0].port, 6881);
	assert_memory_equal(&r.peers[1].addr, "\xc0\xa8\x01\xc8", 4);

	assert_int_equal(tracker_http_reply_parse((const uint8_t *)dicts, sizeof(dicts) - 1, &r),
			 0);
	assert_int_equal(r.interval, 1800);
	assert_int_equal(r.complete, -1);
	assert_int_equal(r.n_peers, 2);
	assert_int_equal(r.n_peers_ignored, 3); /* host name, IPv6, port 0 */
	assert_int_equal(r.peers[1].port, 7);
	assert_string_equal(r.warning, "a?b");

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int e = tracker_http_reply_parse((const uint8_t *)bad[i].in, strlen(bad[i].in), &r);
		if (e != bad[i].code)
			fail_msg("case %zu (%s): got %d want %d", i, bad[i].in, e, bad[i].code);
	}
	assert_string_equal(r.failure, "go away");

	/* Thousands of peers: TRACKER_REPLY_PEERS_MAX taken, the rest ignored. */
	buf_init(&b, TRACKER_HTTP_REPLY_MAX + 64);
	assert_int_equal(buf_printf(&b, "d8:intervali60e5:peers%d:", 5000 * 6), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_append(&b, "\x0a\x00\x00\x01\x00\x50", 6), 0);
	assert_int_equal(buf_append_str(&b, "e"), 0);
	assert_int_equal(tracker_http_reply_parse(b.data, b.len, &r), 0);
	assert_int_equal(r.n_peers, TRACKER_REPLY_PEERS_MAX);
	assert_int_equal(r.n_peers_ignored, 5000 - TRACKER_REPLY_PEERS_MAX);
	buf_reset(&b);
	assert_int_equal(buf_append_str(&b, "d8:intervali60e5:peersl"), 0);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(buf_append_str(&b, "d2:ip8:10.0.0.14:porti80ee"), 0);
	assert_int_equal(buf_append_str(&b, "ee"), 0);
	assert_int_equal(tracker_http_reply_parse(b.data, b.len, &r), 0);
	assert_int_equal(r.n_peers, TRACKER_REPLY_PEERS_MAX);
	/* Larger than the reply cap. */
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "d5:peers%d:", TRACKER_HTTP_REPLY_MAX), 0);
	assert_int_equal(buf_reserve(&b, TRACKER_HTTP_REPLY_MAX), 0);
	memset(b.data + b.len, 0, TRACKER_HTTP_REPLY_MAX - b.len);
	b.len = TRACKER_HTTP_REPLY_MAX;
	assert_int_equal(tracker_http_reply_parse(b.data, b.len + 1, &r), TRACKER_E_TOO_LONG);
	buf_release(&b);
}

static void test_http_reply_roundtrip(void **state)
{
	struct tracker_reply_peer peers[3] = {0};
	struct tracker_http_reply hr = {.interval = 30,
					.min_interval = 5,
					.complete = 1,
					.incomplete = 2,
					.peers = peers,
					.n_peers = 3};
	static struct tracker_reply r;
	struct buf b;

	for (int i = 0; i < 3; i++) {
		peers[i].a.addr.s_addr = htonl(0x0a000001u + (uint32_t)i);
		peers[i].a.port = (uint16_t)(7000 + i);
	}
	buf_init(&b, 4096);
	for (int compact = 0; compact < 2; compact++) {
		hr.compact = compact;
		buf_reset(&b);
		assert_int_equal(tracker_http_reply_build(&b, &hr), 0);
		assert_int_equal(tracker_http_reply_parse(b.data, b.len, &r), 0);
		assert_int_equal(r.n_peers, 3);
		assert_int_equal(r.peers[2].port, 7002);
		assert_int_equal(ntohl(r.peers[2].addr.s_addr), 0x0a000003u);
		assert_int_equal(r.incomplete, 2);
	}
	buf_reset(&b);
	assert_int_equal(tracker_http_failure_build(&b, "unknown torrent"), 0);
	assert_int_equal(tracker_http_reply_parse(b.data, b.len, &r), TRACKER_E_FAILURE);
	assert_string_equal(r.failure, "unknown torrent");
	buf_release(&b);
}

static void test_udp_connect(void **state)
{
	static const uint8_t want[16] = {0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80,
					 0,    0,    0,	   0,	 0xca, 0xfe, 0xba, 0xbe};
	struct tracker_udp_request rq;
	uint8_t pkt[32];
	uint64_t cid;
	struct buf b;

	buf_init(&b, 2048);
	assert_int_equal(tracker_udp_connect_build(&b, 0xcafebabe), 0);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data, want, 16);
	assert_int_equal(tracker_udp_request_parse(b.data, b.len, &rq), 0);
	assert_int_equal(rq.action, TRACKER_UDP_CONNECT);
	assert_int_equal(rq.txid, 0xcafebabe);
	/* Wrong lengths, a wrong protocol id, an unknown action. */
	memcpy(pkt, want, 16);
	pkt[16] = 0;
	assert_int_equal(tracker_udp_request_parse(pkt, 17, &rq), TRACKER_E_MALFORMED);
	assert_int_equal(tracker_udp_request_parse(pkt, 15, &rq), TRACKER_E_MALFORMED);
	assert_int_equal(tracker_udp_request_parse(pkt, 0, &rq), TRACKER_E_MALFORMED);
	pkt[7] = 0x81;
	assert_int_equal(tracker_udp_request_parse(pkt, 16, &rq), TRACKER_E_MALFORMED);
	pkt[7] = 0x80;
	pkt[11] = 9;
	assert_int_equal(tracker_udp_request_parse(pkt, 16, &rq), TRACKER_E_ACTION);
	assert_int_equal(rq.txid, 0xcafebabe);

	/* The reply, and the client's checks on it. */
	buf_reset(&b);
	assert_int_equal(tracker_udp_connect_reply_build(&b, 7, 0x0102030405060708ULL), 0);
	assert_int_equal(b.len, 16);
	assert_int_equal(tracker_udp_connect_reply_parse(b.data, 16, 7, &cid, NULL), 0);
	assert_true(cid == 0x0102030405060708ULL);
	assert_int_equal(tracker_udp_connect_reply_parse(b.data, 16, 8, &cid, NULL),
			 TRACKER_E_TXID);
	assert_int_equal(tracker_udp_connect_reply_parse(b.data, 15, 7, &cid, NULL),
			 TRACKER_E_MALFORMED);
	assert_int_equal(tracker_udp_connect_reply_parse(b.data, 7, 7, &cid, NULL),
			 TRACKER_E_MALFORMED);
	b.data[3] = TRACKER_UDP_ANNOUNCE;
	assert_int_equal(tracker_udp_connect_reply_parse(b.data, 16, 7, &cid, NULL),
			 TRACKER_E_ACTION);
	buf_release(&b);
}

static void test_udp_announce(void **state)
{
	struct tracker_announce a = sample_announce();
	struct tracker_udp_request rq;
	struct tracker_reply_peer peers[3] = {0};
	static struct tracker_reply rep;
	uint8_t pkt[200];
	struct buf b;

	buf_init(&b, 4096);
	a.numwant = 1000;
	assert_int_equal(tracker_udp_announce_build(&b, 0x1122334455667788ULL, 42, &a), 0);
	assert_int_equal(b.len, 98);
	assert_int_equal(get_u64be(b.data), 0x1122334455667788ULL);
	assert_int_equal(get_u32be(b.data + 8), 1);
	assert_int_equal(get_u32be(b.data + 12), 42);
	assert_memory_equal(b.data + 16, HASH, 20);
	assert_int_equal(get_u64be(b.data + 56), 200);
	assert_int_equal(get_u64be(b.data + 64), 300);
	assert_int_equal(get_u64be(b.data + 72), 100);
	assert_int_equal(get_u32be(b.data + 80), 2);
	assert_int_equal(get_u16be(b.data + 96), 6881);
	memcpy(pkt, b.data, 98);

	assert_int_equal(tracker_udp_request_parse(pkt, 98, &rq), 0);
	assert_int_equal(rq.action, TRACKER_UDP_ANNOUNCE);
	assert_true(rq.conn_id == 0x1122334455667788ULL);
	assert_int_equal(rq.announce.numwant, TRACKER_NUMWANT_MAX);
	assert_int_equal(rq.announce.left, 300);
	assert_int_equal(rq.announce.port, 6881);
	assert_int_equal(rq.announce.event, TRACKER_EVENT_STARTED);
	/* BEP 41 options after the fixed part are allowed; short is not. */
	memset(pkt + 98, 0, 10);
	assert_int_equal(tracker_udp_request_parse(pkt, 108, &rq), 0);
	assert_int_equal(tracker_udp_request_parse(pkt, 97, &rq), TRACKER_E_MALFORMED);
	/* num_want -1 is the default. */
	put_u32be(pkt + 92, 0xffffffff);
	assert_int_equal(tracker_udp_request_parse(pkt, 98, &rq), 0);
	assert_int_equal(rq.announce.numwant, TRACKER_NUMWANT_DEFAULT);
	/* One field at a time: event 4, port 0, absurd left. */
	put_u32be(pkt + 80, 4);
	assert_int_equal(tracker_udp_request_parse(pkt, 98, &rq), TRACKER_E_MALFORMED);
	put_u32be(pkt + 80, 0);
	put_u16be(pkt + 96, 0);
	assert_int_equal(tracker_udp_request_parse(pkt, 98, &rq), TRACKER_E_MALFORMED);
	put_u16be(pkt + 96, 1);
	put_u64be(pkt + 64, UINT64_MAX);
	assert_int_equal(tracker_udp_request_parse(pkt, 98, &rq), TRACKER_E_MALFORMED);
	assert_int_equal(rq.txid, 42);

	/* The reply. */
	inet_pton(AF_INET, "10.1.2.3", &peers[0].a.addr);
	peers[0].a.port = 6881;
	inet_pton(AF_INET, "10.1.2.4", &peers[1].a.addr);
	peers[1].a.port = 6882;
	buf_reset(&b);
	assert_int_equal(tracker_udp_announce_reply_build(&b, 42, 60, 3, 1, peers, 2), 0);
	assert_int_equal(b.len, 32);
	assert_memory_equal(b.data + 20, "\x0a\x01\x02\x03\x1a\xe1\x0a\x01\x02\x04\x1a\xe2", 12);
	assert_int_equal(tracker_udp_announce_reply_parse(b.data, b.len, 42, &rep), 0);
	assert_int_equal(rep.interval, 60);
	assert_int_equal(rep.incomplete, 3);
	assert_int_equal(rep.complete, 1);
	assert_int_equal(rep.n_peers, 2);
	assert_int_equal(rep.peers[1].port, 6882);
	assert_memory_equal(&rep.peers[1].addr, "\x0a\x01\x02\x04", 4);
	/* Not a multiple of 6, short, wrong txid. */
	assert_int_equal(tracker_udp_announce_reply_parse(b.data, b.len - 1, 42, &rep),
			 TRACKER_E_MALFORMED);
	assert_int_equal(tracker_udp_announce_reply_parse(b.data, 19, 42, &rep),
			 TRACKER_E_MALFORMED);
	assert_int_equal(tracker_udp_announce_reply_parse(b.data, b.len, 43, &rep), TRACKER_E_TXID);
	/* An error reply carries its text (non-printable bytes replaced). */
	buf_reset(&b);
	assert_int_equal(tracker_udp_error_build(&b, 42, "unknown\ntorrent"), 0);
	assert_int_equal(tracker_udp_announce_reply_parse(b.data, b.len, 42, &rep),
			 TRACKER_E_FAILURE);
	assert_string_equal(rep.failure, "unknown?torrent");
	buf_release(&b);
}

static void test_udp_announce_reply_cap(void **state)
{
	/* 240 peers fit in a datagram; only TRACKER_REPLY_PEERS_MAX are taken. */
	static struct tracker_reply_peer peers[240];
	static struct tracker_reply rep;
	struct buf b;

	for (size_t i = 0; i < ARRAY_SIZE(peers); i++) {
		peers[i].a.addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
		peers[i].a.port = (uint16_t)(1000 + i);
	}
	buf_init(&b, 4096);
	assert_int_equal(tracker_udp_announce_reply_build(&b, 1, 60, 0, 0, peers, 240), 0);
	assert_int_equal(tracker_udp_announce_reply_parse(b.data, b.len, 1, &rep), 0);
	assert_int_equal(rep.n_peers, TRACKER_REPLY_PEERS_MAX);
	assert_int_equal(rep.n_peers_ignored, 40);
	assert_int_equal(rep.peers[199].port, 1199);
	buf_release(&b);
}

static void test_udp_scrape(void **state)
{
	uint8_t hashes[2][20];
	struct tracker_udp_request rq;
	struct tracker_scrape_entry e[2] = {{.complete = 1, .downloaded = 2, .incomplete = 3},
					    {.complete = 4, .downloaded = 5, .incomplete = 6}};
	struct tracker_scrape_entry got[2];
	uint8_t big[16 + 20 * 75] = {0};
	char failure[TRACKER_MESSAGE_MAX + 1];
	struct buf b;

	memset(hashes, 0xab, sizeof(hashes));
	buf_init(&b, 4096);
	assert_int_equal(tracker_udp_scrape_build(&b, 5, 6, (const uint8_t(*)[20])hashes, 2), 0);
	assert_int_equal(b.len, 56);
	assert_int_equal(tracker_udp_request_parse(b.data, b.len, &rq), 0);
	assert_int_equal(rq.action, TRACKER_UDP_SCRAPE);
	assert_int_equal(rq.n_scrape, 2);
	assert_int_equal(tracker_udp_request_parse(b.data, b.len - 1, &rq), TRACKER_E_MALFORMED);
	assert_int_equal(tracker_udp_request_parse(b.data, 16, &rq), TRACKER_E_MALFORMED);
	put_u32be(big + 8, 2);
	/* 75 hashes do not fit in the 1500 bytes we accept. */
	assert_int_equal(tracker_udp_request_parse(big, sizeof(big), &rq), TRACKER_E_MALFORMED);
	assert_int_equal(tracker_udp_request_parse(big, sizeof(big) - 20, &rq), 0);
	assert_int_equal(rq.n_scrape, 74);

	buf_reset(&b);
	assert_int_equal(tracker_udp_scrape_reply_build(&b, 6, e, 2), 0);
	assert_int_equal(b.len, 8 + 24);
	assert_int_equal(tracker_udp_scrape_reply_parse(b.data, b.len, 6, got, 2, failure), 0);
	assert_int_equal(got[1].incomplete, 6);
	assert_int_equal(got[0].downloaded, 2);
	assert_int_equal(tracker_udp_scrape_reply_parse(b.data, b.len, 6, got, 1, failure),
			 TRACKER_E_MALFORMED);
	buf_release(&b);
}

static void test_udp_conn_id(void **state)
{
	struct tracker_udp_secret s, s2;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1000)};
	struct sockaddr_in a2;
	uint64_t id;

	a.sin_addr.s_addr = htonl(0x7f000001);
	a2 = a;
	a2.sin_port = htons(1001);
	tracker_udp_secret_init(&s, (const uint8_t *)"0123456789abcdef", 16);
	tracker_udp_secret_init(&s2, (const uint8_t *)"0123456789abcdeX", 16);
	id = tracker_udp_conn_id(&s, &a, 1000);
	assert_true(tracker_udp_conn_id_check(&s, &a, 1000, id));
	/* Valid through the next epoch, not the one after. */
	assert_true(tracker_udp_conn_id_check(&s, &a, 1000 + TRACKER_UDP_CONN_EPOCH_S, id));
	assert_false(tracker_udp_conn_id_check(&s, &a, 1000 + 2 * TRACKER_UDP_CONN_EPOCH_S, id));
	/* Bound to the address, port and key. */
	assert_false(tracker_udp_conn_id_check(&s, &a2, 1000, id));
	assert_false(tracker_udp_conn_id_check(&s2, &a, 1000, id));
	assert_false(tracker_udp_conn_id_check(&s, &a, 1000, id ^ 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_codec),
		cmocka_unit_test(test_query_roundtrip),
		cmocka_unit_test(test_query_malformed),
		cmocka_unit_test(test_query_edges),
		cmocka_unit_test(test_query_real_clients),
		cmocka_unit_test(test_scrape_query),
		cmocka_unit_test(test_http_reply_build),
		cmocka_unit_test(test_http_reply_parse),
		cmocka_unit_test(test_http_reply_roundtrip),
		cmocka_unit_test(test_udp_connect),
		cmocka_unit_test(test_udp_announce),
		cmocka_unit_test(test_udp_announce_reply_cap),
		cmocka_unit_test(test_udp_scrape),
		cmocka_unit_test(test_udp_conn_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
