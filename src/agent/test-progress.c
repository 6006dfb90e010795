/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the server/peer byte split and the stall detector. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/progress.h"

static struct bt_peer_bytes entry(const char *ip, uint16_t port, const char *id, uint64_t down)
{
	struct bt_peer_bytes e = {.port = port, .down = down};

	assert_int_equal(inet_pton(AF_INET, ip, &e.addr), 1);
	if (id) {
		memset(e.peer_id, 'x', 20);
		memcpy(e.peer_id, id, strlen(id));
		e.has_id = true;
	}
	return e;
}

static void test_split_by_address(void **state)
{
	struct bt_peer_bytes v[4];
	struct in_addr srv;
	struct agent_bytes_split s;

	inet_pton(AF_INET, "10.0.0.1", &srv);
	v[0] = entry("10.0.0.1", 6881, "-BT0100-server", 1000);
	v[1] = entry("10.0.0.7", 6881, "-BT0100-peer7", 300);
	v[2] = entry("10.0.0.8", 51000, NULL, 200);
	/* The server again from another port (it dialled us): same address. */
	v[3] = entry("10.0.0.1", 40000, "-BT0100-server", 50);
	agent_bytes_classify(v, 4, 1550, &srv, &s);
	assert_int_equal(s.from_server, 1050);
	assert_int_equal(s.from_peers, 500);

	/* Bytes the engine could not attribute count as peers'. */
	agent_bytes_classify(v, 4, 1600, &srv, &s);
	assert_int_equal(s.from_server, 1050);
	assert_int_equal(s.from_peers, 550);

	/* A total below the per-address sum never wraps. */
	agent_bytes_classify(v, 4, 10, &srv, &s);
	assert_int_equal(s.from_server, 1050);
	assert_int_equal(s.from_peers, 500);
}

static void test_split_by_peer_id(void **state)
{
	struct bt_peer_bytes v[3];
	struct in_addr srv;
	struct agent_bytes_split s;

	inet_pton(AF_INET, "10.0.0.1", &srv);
	v[0] = entry("10.0.0.1", 6881, "-BT0100-server", 100);
	/* The server's seeder seen from its second address: same peer id. */
	v[1] = entry("192.168.5.1", 6881, "-BT0100-server", 400);
	v[2] = entry("10.0.0.9", 6881, "-BT0100-peer9", 700);
	agent_bytes_classify(v, 3, 1200, &srv, &s);
	assert_int_equal(s.from_server, 500);
	assert_int_equal(s.from_peers, 700);
}

static void test_split_no_server(void **state)
{
	struct bt_peer_bytes v[2];
	struct agent_bytes_split s;

	v[0] = entry("10.0.0.1", 6881, "-BT0100-server", 100);
	v[1] = entry("10.0.0.9", 6881, "-BT0100-peer9", 700);
	agent_bytes_classify(v, 2, 800, NULL, &s);
	assert_int_equal(s.from_server, 0);
	assert_int_equal(s.from_peers, 800);
	agent_bytes_classify(NULL, 0, 0, NULL, &s);
	assert_int_equal(s.from_server, 0);
	assert_int_equal(s.from_peers, 0);
}

static void test_stall(void **state)
{
	struct agent_stall st;
	int64_t t = 5000;

	agent_stall_init(&st, t, 0);
	/* Nothing at all for 9.9 s: not yet. */
	assert_int_equal(agent_stall_update(&st, t + 9900, 0, false), AGENT_STALL_NONE);
	assert_int_equal(agent_stall_seconds(&st, t + 9900), 0);
	/* 10 s without a byte, from the start. */
	assert_int_equal(agent_stall_update(&st, t + 10000, 0, false), AGENT_STALL_STARTED);
	assert_true(st.stalled);
	assert_int_equal(agent_stall_seconds(&st, t + 10000), 10);
	/* Said once. */
	assert_int_equal(agent_stall_update(&st, t + 11000, 0, false), AGENT_STALL_NONE);
	assert_int_equal(agent_stall_seconds(&st, t + 23500), 23);
	/* A byte: resumed, once. */
	assert_int_equal(agent_stall_update(&st, t + 24000, 16384, false), AGENT_STALL_RESUMED);
	assert_false(st.stalled);
	assert_int_equal(agent_stall_update(&st, t + 25000, 16384, false), AGENT_STALL_NONE);
	/* The clock restarts at the last byte. */
	assert_int_equal(agent_stall_update(&st, t + 33000, 16384, false), AGENT_STALL_NONE);
	assert_int_equal(agent_stall_update(&st, t + 34000, 16384, false), AGENT_STALL_STARTED);
	/* Completion ends a stall and never starts one. */
	assert_int_equal(agent_stall_update(&st, t + 35000, 16384, true), AGENT_STALL_RESUMED);
	assert_int_equal(agent_stall_update(&st, t + 99000, 16384, true), AGENT_STALL_NONE);
}

static void test_stall_steady_flow(void **state)
{
	struct agent_stall st;
	uint64_t got = 0;

	agent_stall_init(&st, 0, 0);
	/* A slow but steady trickle (one block every 9 s) never stalls. */
	for (int64_t t = 1000; t < 200000; t += 1000) {
		if (t % 9000 == 0)
			got += 16384;
		assert_int_equal(agent_stall_update(&st, t, got, false), AGENT_STALL_NONE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_by_address),  cmocka_unit_test(test_split_by_peer_id),
		cmocka_unit_test(test_split_no_server),	  cmocka_unit_test(test_stall),
		cmocka_unit_test(test_stall_steady_flow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
