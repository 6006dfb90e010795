/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The fleet model: joins, phases, eviction, rates and the agent report
 * parser, driven by a fake clock. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/fleet.h"
#include "util/util.h"

static int64_t fake_now;

static int64_t fake_clock(void *ctx)
{
	return fake_now;
}

static struct fleet *new_fleet(size_t max)
{
	struct fleet_opts o = {.max_machines = max, .now_ms = fake_clock};

	fake_now = 1000000;
	return fleet_new(&o);
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static const uint8_t MAC1[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};
static const uint8_t MAC2[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x02};
static uint8_t HASH[20] = {1, 2, 3};

static void test_dhcp_then_tracker_joins(void **state)
{
	struct fleet *f = new_fleet(0);
	const struct fleet_machine *m;

	fleet_dhcp(f, MAC1, (struct in_addr){0}, 7, "PXEClient:Arch:00007", "pc1",
		   FLEET_DHCP_DISCOVER);
	m = fleet_find_mac(f, MAC1);
	assert_non_null(m);
	assert_int_equal(m->phase, FLEET_PHASE_DHCP);
	assert_string_equal(m->arch, "x64-uefi");
	assert_string_equal(m->hostname, "pc1");
	fleet_dhcp(f, MAC1, ip4("10.0.0.5"), 7, NULL, NULL, FLEET_DHCP_ACK);
	assert_ptr_equal(fleet_find_ip(f, ip4("10.0.0.5")), m);

	fleet_boot_file(f, ip4("10.0.0.5"), "phase1/vmlinuz", FLEET_PROTO_HTTP, 1000, true);
	assert_int_equal(m->phase, FLEET_PHASE_PHASE1);
	assert_string_equal(m->last_file, "phase1/vmlinuz");
	assert_int_equal(fleet_swarm(f)->boot_file_bytes, 1000);

	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 750, 1000, 0, 250,
		      FLEET_TRACKER_STARTED);
	assert_int_equal(fleet_count(f), 1);
	assert_int_equal(m->phase, FLEET_PHASE_DOWNLOADING);
	assert_int_equal(m->progress, 250);
	assert_string_equal(m->os, "debian");
	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 0, 1000, 0, 1000,
		      FLEET_TRACKER_COMPLETED);
	assert_int_equal(m->phase, FLEET_PHASE_SEEDING);
	assert_int_equal(m->progress, 1000);
	assert_int_equal(fleet_image_bytes(f), 1000);
	fleet_free(f);
}

static void test_unknown_peer_gets_address_record_then_merges(void **state)
{
	struct fleet *f = new_fleet(0);
	const struct fleet_machine *m;

	fleet_tracker(f, ip4("10.0.0.9"), 6881, HASH, "debian", 500, 1000, 100, 500,
		      FLEET_TRACKER_STARTED);
	m = fleet_find_ip(f, ip4("10.0.0.9"));
	assert_non_null(m);
	assert_false(m->has_mac);
	assert_int_equal(m->phase, FLEET_PHASE_DOWNLOADING);
	assert_int_equal(fleet_count(f), 1);

	/* Its DHCP ack arrives later (a lease renewal): the records merge. */
	fleet_dhcp(f, MAC2, ip4("10.0.0.9"), -1, NULL, "pc2", FLEET_DHCP_ACK);
	assert_int_equal(fleet_count(f), 1);
	m = fleet_find_mac(f, MAC2);
	assert_non_null(m);
	assert_ptr_equal(fleet_find_ip(f, ip4("10.0.0.9")), m);
	assert_int_equal(m->phase, FLEET_PHASE_DOWNLOADING);
	assert_int_equal(m->progress, 500);
	assert_true(m->has_torrent);
	assert_string_equal(m->os, "debian");
	fleet_free(f);
}

static void test_server_announces_ignored(void **state)
{
	struct fleet *f = new_fleet(0);

	fleet_set_server_ip(f, ip4("10.0.0.1"));
	fleet_tracker(f, ip4("10.0.0.1"), 6881, HASH, "debian", 0, 1000, 5000, 0,
		      FLEET_TRACKER_NONE);
	assert_int_equal(fleet_count(f), 0);
	assert_int_equal(fleet_swarm(f)->peer_upload, 0);
	/* The torrent is still known: it is the size of one copy. */
	assert_int_equal(fleet_image_bytes(f), 1000);
	fleet_free(f);
}

static void test_agent_report_sets_phase(void **state)
{
	static const char body[] = "mac=52:54:00:00:00:01&phase=menu&hostname=pc%201";
	struct fleet *f = new_fleet(0);
	const struct fleet_machine *m;
	const char *why = "x";

	fleet_dhcp(f, MAC1, ip4("10.0.0.5"), 0, "PXEClient", NULL, FLEET_DHCP_ACK);
	assert_int_equal(fleet_agent_report(f, body, strlen(body), ip4("10.0.0.5"), &why), 0);
	assert_null(why);
	m = fleet_find_mac(f, MAC1);
	assert_int_equal(m->phase, FLEET_PHASE_MENU);
	assert_string_equal(m->hostname, "pc 1");

	static const char boot[] = "mac=52-54-00-00-00-01&phase=booting&method=kexec&os=debian";
	assert_int_equal(fleet_agent_report(f, boot, strlen(boot), ip4("10.0.0.5"), NULL), 0);
	assert_int_equal(m->phase, FLEET_PHASE_BOOTED);
	assert_true(m->booting);
	assert_string_equal(m->method, "kexec");
	assert_int_equal(m->progress, 1000);
	/* A late regular announce does not undo "booted". */
	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 0, 1000, 0, 1000,
		      FLEET_TRACKER_NONE);
	assert_int_equal(m->phase, FLEET_PHASE_BOOTED);
	assert_int_equal(fleet_swarm(f)->reports, 2);
	fleet_free(f);
}

static void test_report_learns_ip_from_connection(void **state)
{
	static const char body[] = "mac=52:54:00:00:00:02&phase=downloading&progress=420";
	struct fleet *f = new_fleet(0);
	const struct fleet_machine *m;

	/* The tracker saw the address first; the report names the MAC. */
	fleet_tracker(f, ip4("10.0.0.7"), 6881, HASH, "debian", 600, 1000, 0, 400,
		      FLEET_TRACKER_STARTED);
	assert_int_equal(fleet_agent_report(f, body, strlen(body), ip4("10.0.0.7"), NULL), 0);
	assert_int_equal(fleet_count(f), 1);
	m = fleet_find_ip(f, ip4("10.0.0.7"));
	assert_non_null(m);
	assert_true(m->has_mac);
	assert_int_equal(m->progress, 420);
	assert_true(m->has_torrent);
	fleet_free(f);
}

static void test_failed_with_reason(void **state)
{
	static const char body[] = "mac=52:54:00:00:00:01&phase=failed&error=kexec_file_load%3A+"
				   "Operation+not+permitted";
	static const char no_reason[] = "mac=52:54:00:00:00:01&phase=failed";
	struct fleet *f = new_fleet(0);
	const struct fleet_machine *m;
	const char *why;

	assert_int_equal(fleet_agent_report(f, body, strlen(body), (struct in_addr){0}, NULL), 0);
	m = fleet_find_mac(f, MAC1);
	assert_int_equal(m->phase, FLEET_PHASE_FAILED);
	assert_string_equal(m->error, "kexec_file_load: Operation not permitted");
	assert_int_equal(
		fleet_agent_report(f, no_reason, strlen(no_reason), (struct in_addr){0}, &why),
		FLEET_E_MALFORMED);
	assert_string_equal(why, "phase failed without an error");
	assert_int_equal(fleet_swarm(f)->reports_rejected, 1);

	/* A new PXE boot clears the failure. */
	fleet_dhcp(f, MAC1, (struct in_addr){0}, 0, "PXEClient:Arch:00000", NULL,
		   FLEET_DHCP_DISCOVER);
	assert_int_equal(m->phase, FLEET_PHASE_DHCP);
	assert_string_equal(m->error, "");
	/* Phase 1's own DHCP (not PXE) does not reset the phase. */
	fleet_boot_file(f, ip4("10.0.0.5"), "x", FLEET_PROTO_TFTP, 1, true);
	fleet_dhcp(f, MAC1, (struct in_addr){0}, -1, "udhcp 1.35.0", NULL, FLEET_DHCP_DISCOVER);
	assert_int_equal(m->phase, FLEET_PHASE_DHCP);
	fleet_free(f);
}

static void test_eviction_cap(void **state)
{
	struct fleet *f = new_fleet(3);
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};

	for (int i = 0; i < 5; i++) {
		mac[5] = (uint8_t)i;
		fake_now += 1000;
		fleet_dhcp(f, mac, (struct in_addr){0}, -1, NULL, NULL, FLEET_DHCP_DISCOVER);
		/* Machine 0 keeps talking, so it is never the oldest idle. */
		mac[5] = 0;
		fleet_dhcp(f, mac, (struct in_addr){0}, -1, NULL, NULL, FLEET_DHCP_DISCOVER);
	}
	assert_int_equal(fleet_count(f), 3);
	assert_int_equal(fleet_swarm(f)->evicted, 2);
	mac[5] = 0;
	assert_non_null(fleet_find_mac(f, mac));
	mac[5] = 1;
	assert_null(fleet_find_mac(f, mac));
	mac[5] = 2;
	assert_null(fleet_find_mac(f, mac));
	mac[5] = 4;
	assert_non_null(fleet_find_mac(f, mac));
	/* Most recent first. */
	assert_int_equal(fleet_next(f, NULL)->mac[5], 0);
	fleet_free(f);
}

static void test_eviction_many(void **state)
{
	struct fleet *f = new_fleet(100);
	char ip[20];

	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250 + 1);
		fleet_tracker(f, ip4(ip), 6881, HASH, NULL, 1, 2, 0, 1, FLEET_TRACKER_NONE);
	}
	assert_int_equal(fleet_count(f), 100);
	assert_int_equal(fleet_swarm(f)->evicted, 900);
	assert_non_null(fleet_find_ip(f, ip4(ip)));
	assert_null(fleet_find_ip(f, ip4("10.1.0.1")));
	fleet_free(f);
}

/* The default cap, filled past: lookups stay hashed (this would crawl if
 * they were linear) and the oldest records go. */
static void test_default_cap(void **state)
{
	struct fleet *f = new_fleet(0);
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
	struct in_addr ip;

	for (uint32_t i = 0; i < FLEET_DEFAULT_MAX_MACHINES + 500; i++) {
		mac[3] = (uint8_t)(i >> 16);
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		ip.s_addr = htonl(0x0a000000u + i + 1);
		fake_now++;
		fleet_dhcp(f, mac, ip, 7, "PXEClient", "host", FLEET_DHCP_ACK);
		fleet_tracker(f, ip, 6881, HASH, "debian", 10, 20, i, 10, FLEET_TRACKER_NONE);
	}
	assert_int_equal(fleet_count(f), FLEET_DEFAULT_MAX_MACHINES);
	assert_int_equal(fleet_swarm(f)->evicted, 500);
	ip.s_addr = htonl(0x0a000001u);
	assert_null(fleet_find_ip(f, ip));
	ip.s_addr = htonl(0x0a000000u + FLEET_DEFAULT_MAX_MACHINES + 500);
	assert_non_null(fleet_find_ip(f, ip));
	assert_true(fleet_find_ip(f, ip)->has_mac);
	fleet_free(f);
}

static void test_ip_reuse(void **state)
{
	struct fleet *f = new_fleet(0);

	fleet_dhcp(f, MAC1, ip4("10.0.0.5"), -1, NULL, NULL, FLEET_DHCP_ACK);
	fleet_dhcp(f, MAC2, ip4("10.0.0.5"), -1, NULL, NULL, FLEET_DHCP_ACK);
	assert_int_equal(fleet_count(f), 2);
	assert_ptr_equal(fleet_find_ip(f, ip4("10.0.0.5")), fleet_find_mac(f, MAC2));
	assert_int_equal(fleet_find_mac(f, MAC1)->ip.s_addr, INADDR_ANY);
	fleet_dhcp(f, MAC2, (struct in_addr){0}, -1, NULL, NULL, FLEET_DHCP_RELEASE);
	assert_null(fleet_find_ip(f, ip4("10.0.0.5")));
	fleet_free(f);
}

static void test_clock_driven_rates(void **state)
{
	struct fleet *f = new_fleet(0);
	const struct fleet_machine *m;
	struct fleet_sample s[FLEET_HISTORY + 10];
	size_t n;
	int64_t end;

	fleet_tick(f);
	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 1000000, 1000000, 0, 0,
		      FLEET_TRACKER_STARTED);
	fake_now += 2000;
	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 800000, 1000000, 100000, 200000,
		      FLEET_TRACKER_NONE);
	m = fleet_find_ip(f, ip4("10.0.0.5"));
	assert_int_equal(m->rate, 100000);
	assert_int_equal(m->up_rate, 50000);
	fleet_server_upload(f, 4000);
	fleet_tick(f);
	n = fleet_history(f, s, ARRAY_SIZE(s), &end);
	/* Two seconds closed. The peer's 100000 bytes are spread over the
	 * three seconds since its previous announce (two closed, one open);
	 * the server's arrived in the open second. */
	assert_int_equal(n, 2);
	assert_int_equal(end, fake_now);
	assert_int_equal(s[0].peers, 33333);
	assert_int_equal(s[1].peers, 33333);
	assert_int_equal(s[0].server, 0);
	assert_int_equal(s[1].server, 0);
	fake_now += 1000;
	fleet_tick(f);
	n = fleet_history(f, s, ARRAY_SIZE(s), NULL);
	assert_int_equal(n, 3);
	assert_int_equal(s[2].server, 4000);
	assert_int_equal(s[2].peers, 33334);
	/* A quiet gap gives empty samples, not an average. */
	fleet_server_upload(f, 9000);
	fake_now += 3000;
	fleet_tick(f);
	n = fleet_history(f, s, ARRAY_SIZE(s), NULL);
	assert_int_equal(n, 6);
	assert_int_equal(s[3].server, 9000);
	assert_int_equal(s[4].server, 0);
	assert_int_equal(s[5].server, 0);

	/* A restarted peer (counters back to 0) adds from zero. */
	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 800000, 1000000, 10, 10,
		      FLEET_TRACKER_NONE);
	assert_int_equal(fleet_swarm(f)->peer_upload, 100010);

	/* The agent's rates win over the tracker's estimate while fresh. */
	static const char body[] = "mac=52:54:00:00:00:01&phase=downloading&rate=777&up_rate=5";
	assert_int_equal(fleet_agent_report(f, body, strlen(body), ip4("10.0.0.5"), NULL), 0);
	m = fleet_find_mac(f, MAC1);
	fake_now += 1000;
	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 700000, 1000000, 20, 100010,
		      FLEET_TRACKER_NONE);
	assert_int_equal(m->rate, 777);
	fake_now += 20000;
	fleet_tracker(f, ip4("10.0.0.5"), 6881, HASH, "debian", 600000, 1000000, 20, 200010,
		      FLEET_TRACKER_NONE);
	assert_int_equal(m->rate, 100000 / 20);

	/* A long gap is capped at the history length. */
	fake_now += 3600 * 1000;
	fleet_tick(f);
	assert_int_equal(fleet_history(f, s, ARRAY_SIZE(s), NULL), FLEET_HISTORY);
	fleet_free(f);
}

static void test_log_ring(void **state)
{
	struct fleet *f = new_fleet(0);
	char line[400];

	for (int i = 0; i < FLEET_LOG_LINES + 5; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		fleet_log(f, line);
	}
	assert_int_equal(fleet_log_count(f), FLEET_LOG_LINES);
	assert_string_equal(fleet_log_line(f, 0), "line 5");
	fleet_log(f, "bell\a and \x1b[31mred\xff");
	assert_string_equal(fleet_log_line(f, FLEET_LOG_LINES - 1), "bell? and ?[31mred?");
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	fleet_log(f, line);
	assert_int_equal(strlen(fleet_log_line(f, FLEET_LOG_LINES - 1)), FLEET_LOG_LINE_MAX);
	fleet_free(f);
}

static void test_text_copy_cuts_at_boundary(void **state)
{
	char out[6];

	/* "é" is two bytes: 4 + 2 does not fit in 5 bytes plus the NUL... */
	fleet_text_copy(out, sizeof(out), "abcd\xc3\xa9", 6);
	assert_string_equal(out, "abcd");
	fleet_text_copy(out, sizeof(out), "ab\xc3\xa9", 4);
	assert_string_equal(out, "ab\xc3\xa9");
	/* A C1 control (U+009B is a terminal CSI) is replaced. */
	fleet_text_copy(out, sizeof(out), "\xc2\x9b", 2);
	assert_string_equal(out, "??");
	/* Overlong and surrogate forms. */
	fleet_text_copy(out, sizeof(out), "\xc0\xaf", 2);
	assert_string_equal(out, "??");
	fleet_text_copy(out, sizeof(out), "\xed\xa0\x80", 3);
	assert_string_equal(out, "???");
}

/* Report bodies that must be refused, one fault each. */
static void test_report_malformed_table(void **state)
{
	static const struct {
		const char *body;
		int want;
	} bad[] = {
		{"", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:0&phase=menu", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:011&phase=menu", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:0g&phase=menu", FLEET_E_MALFORMED},
		{"mac=52:54-00:00:00:01&phase=menu", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=dancing", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&phase=menu", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&progress=1001", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&progress=-1", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&progress=99999999999999999999999",
		 FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&peers=100001", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&rate=1e9", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&ip=10.0.0.256", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&ip=::1", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=a%0Ab", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=a%00b", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=%1B%5B2J", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=%FF", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=%C3", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=%C2%9B", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=%G1", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&os=%4", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&method=KEXEC", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&method=", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01&phase=menu&noequals", FLEET_E_MALFORMED},
		{"mac=52:54:00:00:00:01\x01&phase=menu", FLEET_E_MALFORMED},
	};
	struct fleet_report r;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		int got = fleet_report_parse(bad[i].body, strlen(bad[i].body), &r, &why);
		if (got != bad[i].want)
			fail_msg("body %zu '%s': got %d", i, bad[i].body, got);
		assert_non_null(why);
	}
}

static void test_report_limits(void **state)
{
	char body[FLEET_REPORT_MAX + 100];
	struct fleet_report r;
	const char *why;
	int n;

	/* Oversize. */
	memset(body, 'a', sizeof(body));
	assert_int_equal(fleet_report_parse(body, sizeof(body), &r, &why), FLEET_E_TOO_BIG);
	/* An OS name one byte over its field. */
	n = snprintf(body, sizeof(body), "mac=52:54:00:00:00:01&phase=menu&os=");
	memset(body + n, 'o', FLEET_OS_SIZE);
	assert_int_equal(fleet_report_parse(body, (size_t)n + FLEET_OS_SIZE, &r, &why),
			 FLEET_E_MALFORMED);
	/* ...and one that fits exactly. */
	assert_int_equal(fleet_report_parse(body, (size_t)n + FLEET_OS_SIZE - 1, &r, &why), 0);
	assert_int_equal(strlen(r.os), FLEET_OS_SIZE - 1);
	/* Too many fields, even unknown ones. */
	n = snprintf(body, sizeof(body), "mac=52:54:00:00:00:01&phase=menu");
	for (int i = 0; i < 40; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "&x%d=1", i);
	assert_int_equal(fleet_report_parse(body, (size_t)n, &r, &why), FLEET_E_MALFORMED);
	assert_string_equal(why, "too many fields");
	/* An embedded NUL in the body. */
	assert_int_equal(fleet_report_parse("mac=52:54:00:00:00:01&phase=menu\0&x", 36, &r, &why),
			 FLEET_E_MALFORMED);
}

/* The agent may send errors up to 512 bytes: they are cut to the field at
 * a character boundary, not refused. */
static void test_report_long_error_cut(void **state)
{
	char body[2048];
	struct fleet_report r;
	int n;

	n = snprintf(body, sizeof(body),
		     "{\"mac\":\"52:54:00:00:00:01\",\"phase\":\"failed\","
		     "\"error\":\"");
	for (int i = 0; i < 300; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "\xc3\xa9");
	n += snprintf(body + n, sizeof(body) - (size_t)n, "\"}");
	assert_int_equal(fleet_report_parse(body, (size_t)n, &r, NULL), 0);
	/* 199 bytes hold 99 two-byte characters. */
	assert_int_equal(strlen(r.error), 198);
	assert_memory_equal(r.error + 196, "\xc3\xa9", 2);

	n = snprintf(body, sizeof(body), "mac=52:54:00:00:00:01&phase=failed&error=");
	for (int i = 0; i < 300; i++)
		n += snprintf(body + n, sizeof(body) - (size_t)n, "%%C3%%A9");
	assert_int_equal(fleet_report_parse(body, (size_t)n, &r, NULL), 0);
	assert_int_equal(strlen(r.error), 198);
	/* Other fields are not cut. */
	n = snprintf(body, sizeof(body), "{\"phase\":\"menu\",\"hostname\":\"");
	memset(body + n, 'h', 100);
	n += 100;
	n += snprintf(body + n, sizeof(body) - (size_t)n, "\"}");
	assert_int_equal(fleet_report_parse(body, (size_t)n, &r, NULL), FLEET_E_MALFORMED);
}

static void test_report_good(void **state)
{
	static const char body[] = "mac=AA:BB:CC:DD:EE:FF&ip=10.0.0.5&phase=downloading&os=Debian+"
				   "12+%C3%A9&method=kexec&progress=1000&peers=3&rate=12345&"
				   "up_rate=0&future=ignored&&";
	struct fleet_report r;
	const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

	assert_int_equal(fleet_report_parse(body, strlen(body), &r, NULL), 0);
	assert_memory_equal(r.mac, mac, 6);
	assert_true(r.has_ip);
	assert_int_equal(r.phase, FLEET_PHASE_DOWNLOADING);
	assert_string_equal(r.os, "Debian 12 \xc3\xa9");
	assert_string_equal(r.method, "kexec");
	assert_int_equal(r.progress, 1000);
	assert_int_equal(r.peers, 3);
	assert_int_equal(r.rate, 12345);
	assert_int_equal(r.up_rate, 0);
}

/* The body src/agent/report.c writes (agent_report_json). */
static void test_report_json_agent(void **state)
{
	static const char body[] =
		"{\"v\":1,\"mac\":\"52:54:00:aa:bb:cc\",\"ip\":\"127.0.0.1\",\"phase\":"
		"\"downloading\",\"os\":\"debian\",\"method\":\"kexec\",\"progress\":0.4200,"
		"\"error\":null,\"have_bytes\":420,\"total_bytes\":1000,\"downloaded\":420,"
		"\"uploaded\":7,\"rate_down\":1048576,\"rate_up\":0,\"peers\":3,"
		"\"from_server\":100,\"from_peers\":320}";
	static const char seeding[] =
		" {\"v\":1,\"mac\":null,\"ip\":null,\"phase\":\"seeding\","
		"\"progress\":1.0000,\"from_server\":null,\"from_peers\":null}\n";
	struct fleet_report r;
	const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
	struct fleet *f = new_fleet(0);
	const struct fleet_machine *m;
	const char *why;

	assert_int_equal(fleet_report_parse(body, strlen(body), &r, &why), 0);
	assert_true(r.has_mac);
	assert_memory_equal(r.mac, mac, 6);
	assert_true(r.has_ip);
	assert_int_equal(r.phase, FLEET_PHASE_DOWNLOADING);
	assert_string_equal(r.os, "debian");
	assert_string_equal(r.method, "kexec");
	assert_string_equal(r.error, "");
	assert_int_equal(r.progress, 420);
	assert_int_equal(r.rate, 1048576);
	assert_int_equal(r.up_rate, 0);
	assert_int_equal(r.peers, 3);
	assert_int_equal(r.from_server, 100);
	assert_int_equal(r.from_peers, 320);
	assert_int_equal(fleet_agent_report(f, body, strlen(body), ip4("10.9.9.9"), NULL), 0);
	m = fleet_find_mac(f, mac);
	assert_non_null(m);
	assert_ptr_equal(fleet_find_ip(f, ip4("127.0.0.1")), m);
	assert_true(m->agent_counts);
	assert_int_equal(m->from_peers, 320);

	/* No MAC, no ip: the report applies to the sender's address. */
	assert_int_equal(fleet_report_parse(seeding, strlen(seeding), &r, &why), 0);
	assert_false(r.has_mac);
	assert_int_equal(r.progress, 1000);
	assert_int_equal(fleet_agent_report(f, seeding, strlen(seeding), ip4("127.0.0.1"), NULL),
			 0);
	assert_int_equal(m->phase, FLEET_PHASE_SEEDING);
	assert_int_equal(fleet_count(f), 1);
	/* ...and is refused when there is no address at all. */
	assert_int_equal(fleet_agent_report(f, seeding, strlen(seeding), (struct in_addr){0}, &why),
			 FLEET_E_MALFORMED);
	assert_string_equal(why, "no mac and no ip");
	assert_int_equal(fleet_agent_report(f, "phase=menu", 10, (struct in_addr){0}, NULL),
			 FLEET_E_MALFORMED);
	fleet_free(f);
}

static void test_report_json_strings(void **state)
{
	static const char body[] =
		"{\"mac\":\"52:54:00:aa:bb:cc\",\"phase\":\"failed\",\"error\":"
		"\"a \\\"q\\\" \\u00e9 \\ud83d\\ude00 \\/ end\",\"x\":{\"a\":1}}";
	static const char ok[] = "{\"mac\":\"52:54:00:aa:bb:cc\",\"phase\":\"failed\",\"error\":"
				 "\"a \\\"q\\\" \\u00e9 \\ud83d\\ude00 \\/ end\",\"x\":[],"
				 "\"y\":true}";
	struct fleet_report r;
	const char *why;

	/* Nested values are refused, even in unknown fields. */
	assert_int_equal(fleet_report_parse(body, strlen(body), &r, &why), FLEET_E_MALFORMED);
	assert_int_equal(fleet_report_parse(ok, strlen(ok), &r, &why), FLEET_E_MALFORMED);
	assert_int_equal(fleet_report_parse(ok, strlen(ok) - 17, &r, &why), FLEET_E_MALFORMED);
	{
		char fixed[sizeof(ok)];
		size_t n = strlen(ok) - strlen(",\"x\":[],\"y\":true}");

		memcpy(fixed, ok, n);
		memcpy(fixed + n, ",\"y\":true}", 10);
		assert_int_equal(fleet_report_parse(fixed, n + 10, &r, &why), 0);
		assert_string_equal(r.error, "a \"q\" \xc3\xa9 \xf0\x9f\x98\x80 / end");
	}
}

static void test_report_json_malformed_table(void **state)
{
	static const char *const bad[] = {
		"{",
		"{}",
		"[]",
		"{\"phase\":\"menu\"",
		"{\"phase\":\"menu\",}",
		"{\"phase\":\"menu\"}x",
		"{\"phase\":\"menu\"}{}",
		"{\"phase\" \"menu\"}",
		"{phase:\"menu\"}",
		"{\"phase\":\"menu\",\"phase\":\"menu\"}",
		"{\"phase\":\"menu\",\"progress\":1.5}",
		"{\"phase\":\"menu\",\"progress\":-0.1}",
		"{\"phase\":\"menu\",\"progress\":\"0.5\"}",
		"{\"phase\":\"menu\",\"progress\":01}",
		"{\"phase\":\"menu\",\"progress\":.5}",
		"{\"phase\":\"menu\",\"progress\":1e}",
		"{\"phase\":\"menu\",\"peers\":1e9}",
		"{\"phase\":\"menu\",\"rate_down\":1e300}",
		"{\"phase\":\"menu\",\"rate_down\":NaN}",
		"{\"phase\":\"menu\",\"os\":12}",
		"{\"phase\":\"menu\",\"os\":true}",
		"{\"phase\":\"menu\",\"os\":\"a\nb\"}",
		"{\"phase\":\"menu\",\"os\":\"a\\nb\"}",
		"{\"phase\":\"menu\",\"os\":\"a\\u0000b\"}",
		"{\"phase\":\"menu\",\"os\":\"\\u001b[2J\"}",
		"{\"phase\":\"menu\",\"os\":\"\\ud800\"}",
		"{\"phase\":\"menu\",\"os\":\"\\udc00\"}",
		"{\"phase\":\"menu\",\"os\":\"\\ud800\\u0041\"}",
		"{\"phase\":\"menu\",\"os\":\"\\x41\"}",
		"{\"phase\":\"menu\",\"os\":\"\\u12\"}",
		"{\"phase\":\"menu\",\"os\":\"\xff\"}",
		"{\"phase\":\"menu\",\"os\":\"\xc0\xaf\"}",
		"{\"phase\":\"menu\",\"os\":\"unterminated}",
		"{\"phase\":\"menu\",\"mac\":\"52:54:00:aa:bb\"}",
		"{\"phase\":\"menu\",\"ip\":\"1.2.3\"}",
		"{\"phase\":\"failed\",\"error\":null}",
		"{\"phase\":null}",
		"{\"mac\":\"52:54:00:aa:bb:cc\",\"phase\":null,\"phase\":\"menu\"}",
		/* An OS name of 64 bytes, one over its field. */
		("{\"phase\":\"menu\",\"os\":"
		 "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"),
	};
	struct fleet_report r;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		int got = fleet_report_parse(bad[i], strlen(bad[i]), &r, &why);
		if (got != FLEET_E_MALFORMED)
			fail_msg("json %zu '%s': got %d", i, bad[i], got);
		assert_non_null(why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_then_tracker_joins),
		cmocka_unit_test(test_unknown_peer_gets_address_record_then_merges),
		cmocka_unit_test(test_server_announces_ignored),
		cmocka_unit_test(test_agent_report_sets_phase),
		cmocka_unit_test(test_report_learns_ip_from_connection),
		cmocka_unit_test(test_failed_with_reason),
		cmocka_unit_test(test_eviction_cap),
		cmocka_unit_test(test_eviction_many),
		cmocka_unit_test(test_default_cap),
		cmocka_unit_test(test_ip_reuse),
		cmocka_unit_test(test_clock_driven_rates),
		cmocka_unit_test(test_log_ring),
		cmocka_unit_test(test_text_copy_cuts_at_boundary),
		cmocka_unit_test(test_report_malformed_table),
		cmocka_unit_test(test_report_limits),
		cmocka_unit_test(test_report_good),
		cmocka_unit_test(test_report_long_error_cut),
		cmocka_unit_test(test_report_json_agent),
		cmocka_unit_test(test_report_json_strings),
		cmocka_unit_test(test_report_json_malformed_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
