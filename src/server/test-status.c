/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The fleet's views: JSON string escaping, Prometheus label escaping, and
 * the JSON, metrics and text renderings of a small fleet. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/fleet.h"
#include "server/status.h"
#include "util/util.h"

static int64_t fake_now = 1700000000000;

static int64_t fake_clock(void *ctx)
{
	return fake_now;
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void json_is(const char *in, size_t len, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(status_json_string(&b, in, len), 0);
	assert_string_equal((char *)b.data, want);
	buf_release(&b);
}

static void test_json_escaping(void **state)
{
	json_is("", 0, "\"\"");
	json_is("plain", 5, "\"plain\"");
	json_is("a\"b", 3, "\"a\\\"b\"");
	json_is("a\\b", 3, "\"a\\\\b\"");
	json_is("\n\r\t", 3, "\"\\n\\r\\t\"");
	json_is("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	json_is("a\0b", 3, "\"a\\u0000b\"");
	json_is("</script>", 9, "\"\\u003c/script>\"");
	/* Valid UTF-8 passes through; invalid bytes become U+FFFD. */
	json_is("\xc3\xa9\xe2\x82\xac", 5, "\"\xc3\xa9\xe2\x82\xac\"");
	json_is("\xff", 1, "\"\xef\xbf\xbd\"");
	json_is("\xc3", 1, "\"\xef\xbf\xbd\"");
	json_is("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void test_json_escaping_cap(void **state)
{
	struct buf b;

	buf_init(&b, 4);
	assert_int_equal(status_json_string(&b, "abcdef", 6), -E2BIG);
	buf_release(&b);
}

static void test_prom_label_escaping(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(status_prom_label(&b, "a\\b\"c\nd"), 0);
	assert_string_equal((char *)b.data, "a\\\\b\\\"c\\nd");
	buf_release(&b);
}

static struct fleet *sample_fleet(void)
{
	struct fleet_opts o = {.now_ms = fake_clock};
	struct fleet *f = fleet_new(&o);
	const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	uint8_t hash[20] = {0xde, 0xad};
	static const char rep[] = "mac=52:54:00:ab:cd:ef&phase=downloading&progress=450&peers=3";

	fleet_tick(f);
	fleet_dhcp(f, mac, ip4("10.0.0.5"), 7, "PXEClient", "pc\"1\\", FLEET_DHCP_ACK);
	fleet_tracker(f, ip4("10.0.0.5"), 6881, hash, "debian", 550, 1000, 0, 450,
		      FLEET_TRACKER_STARTED);
	fleet_tracker(f, ip4("10.0.0.9"), 6881, hash, "debian", 0, 1000, 300, 1000,
		      FLEET_TRACKER_NONE);
	assert_int_equal(fleet_agent_report(f, rep, strlen(rep), ip4("10.0.0.5"), NULL), 0);
	fleet_server_upload(f, 2000);
	fleet_log(f, "DHCP: info: \"quoted\" line");
	fake_now += 1000;
	fleet_tick(f);
	return f;
}

static void test_render_json(void **state)
{
	struct fleet *f = sample_fleet();
	struct buf b;
	const char *s;

	buf_init(&b, STATUS_MAX_OUTPUT);
	assert_int_equal(status_render_json(f, &b), 0);
	s = (const char *)b.data;
	assert_non_null(strstr(s, "\"machines\":2"));
	assert_non_null(strstr(s, "\"downloading\":1"));
	assert_non_null(strstr(s, "\"seeding\":1"));
	assert_non_null(strstr(s, "\"mac\":\"52:54:00:ab:cd:ef\""));
	assert_non_null(strstr(s, "\"hostname\":\"pc\\\"1\\\\\""));
	assert_non_null(strstr(s, "\"phase_text\":\"downloading 45%\""));
	assert_non_null(strstr(s, "\"key\":\"ip:10.0.0.9\""));
	assert_non_null(strstr(s, "\"server_upload_bytes\":2000"));
	assert_non_null(strstr(s, "\"peer_exchange_bytes\":300"));
	assert_non_null(strstr(s, "\"server_copies\":2.000"));
	assert_non_null(strstr(s, "\"server\":[2000]"));
	assert_non_null(strstr(s, "\"peers\":[300]"));
	assert_non_null(strstr(s, "\"log\":[\"DHCP: info: \\\"quoted\\\" line\"]"));
	/* MAC records come before address records. */
	assert_true(strstr(s, "52:54:00:ab:cd:ef") < strstr(s, "ip:10.0.0.9"));
	assert_int_equal(s[b.len - 1], '\n');
	assert_int_equal(s[b.len - 2], '}');
	/* A cap too small fails cleanly. */
	buf_release(&b);
	buf_init(&b, 100);
	assert_int_equal(status_render_json(f, &b), -E2BIG);
	buf_release(&b);
	fleet_free(f);
}

static void test_render_metrics(void **state)
{
	struct fleet *f = sample_fleet();
	struct buf b;
	const char *s, *line;

	buf_init(&b, STATUS_MAX_OUTPUT);
	assert_int_equal(status_render_metrics(f, &b), 0);
	s = (const char *)b.data;
	assert_non_null(strstr(s, "# TYPE boottorrent_machines gauge\n"));
	assert_non_null(strstr(s, "\nboottorrent_machines{phase=\"downloading\"} 1\n"));
	assert_non_null(strstr(s, "\nboottorrent_server_upload_bytes_total 2000\n"));
	assert_non_null(strstr(s, "\nboottorrent_peer_exchange_bytes_total 300\n"));
	assert_non_null(strstr(s, "boottorrent_machine_progress_ratio{mac=\"52:54:00:ab:cd:ef\","
				  "ip=\"10.0.0.5\",hostname=\"pc\\\"1\\\\\",os=\"debian\","
				  "phase=\"downloading\"} 0.450\n"));
	/* Every line is a comment or "name{labels} value". */
	for (line = s; *line; line = strchr(line, '\n') + 1) {
		const char *end = strchr(line, '\n');

		assert_non_null(end);
		if (line[0] == '#')
			continue;
		assert_true(strncmp(line, "boottorrent_", 12) == 0);
		assert_non_null(memchr(line, ' ', (size_t)(end - line)));
	}
	buf_release(&b);
	fleet_free(f);
}

static void test_render_text(void **state)
{
	struct fleet *f = sample_fleet();
	struct buf b;
	const char *s;

	buf_init(&b, STATUS_MAX_OUTPUT);
	assert_int_equal(status_render_text(f, 120, &b), 0);
	s = (const char *)b.data;
	assert_non_null(strstr(s, "2 machines: 1 downloading, 1 seeding\n"));
	assert_non_null(strstr(s, "MACHINE"));
	assert_non_null(strstr(s, "52:54:00:ab:cd:ef  10.0.0.5"));
	assert_non_null(strstr(s, "downloading 45%"));
	assert_non_null(strstr(s, "#]"));	  /* the seeder's full bar */
	assert_non_null(strstr(s, "[#########")); /* 45% of the bar */
	assert_non_null(strstr(s, "(address only)"));
	/* Nothing a terminal would act on. */
	for (size_t i = 0; i < b.len; i++)
		assert_true(s[i] == '\n' || (unsigned char)s[i] >= 0x20);
	/* Widths out of range are clamped, not refused. */
	buf_reset(&b);
	assert_int_equal(status_render_text(f, 0, &b), 0);
	buf_reset(&b);
	assert_int_equal(status_render_text(f, 100000, &b), 0);
	buf_release(&b);
	fleet_free(f);
}

/* The agents' own split of where their bytes came from: per machine in
 * the JSON and the table, and summed. */
static void test_render_byte_split(void **state)
{
	struct fleet *f = sample_fleet();
	static const char rep[] = "{\"v\":1,\"mac\":\"52:54:00:ab:cd:ef\",\"phase\":"
				  "\"downloading\",\"os\":\"debian\",\"progress\":0.5,"
				  "\"from_server\":1048576,\"from_peers\":3145728}";
	struct buf b;
	const char *s;

	assert_int_equal(fleet_agent_report(f, rep, strlen(rep), ip4("10.0.0.5"), NULL), 0);
	buf_init(&b, STATUS_MAX_OUTPUT);
	assert_int_equal(status_render_json(f, &b), 0);
	s = (const char *)b.data;
	assert_non_null(strstr(s, "\"from_server\":1048576,\"from_peers\":3145728"));
	assert_non_null(strstr(s, "\"agents_from_server_bytes\":1048576"));
	assert_non_null(strstr(s, "\"agents_from_peers_bytes\":3145728"));
	assert_non_null(strstr(s, "\"server_upload_bytes\":2000"));
	buf_reset(&b);
	assert_int_equal(status_render_text(f, 160, &b), 0);
	s = (const char *)b.data;
	assert_non_null(strstr(s, "FROM SERVER/PEERS"));
	assert_non_null(strstr(s, "1.0 MiB / 3.0 MiB"));
	assert_non_null(strstr(s, "agents received 1.0 MiB from the server and 3.0 MiB between "
				  "peers (1 machine)\n"));
	buf_release(&b);
	fleet_free(f);
}

static void test_render_empty(void **state)
{
	struct fleet *f = fleet_new(NULL);
	struct buf b;

	buf_init(&b, STATUS_MAX_OUTPUT);
	assert_int_equal(status_render_json(f, &b), 0);
	assert_non_null(strstr((char *)b.data, "\"machines\":[]"));
	assert_non_null(strstr((char *)b.data, "\"server\":[]"));
	buf_reset(&b);
	assert_int_equal(status_render_metrics(f, &b), 0);
	buf_reset(&b);
	assert_int_equal(status_render_text(f, 80, &b), 0);
	assert_non_null(strstr((char *)b.data, "0 machines\n"));
	buf_release(&b);
	fleet_free(f);
}

/* A full fleet with the longest fields fits every renderer's cap. */
static void test_render_full_fleet(void **state)
{
	struct fleet_opts o = {.now_ms = fake_clock};
	struct fleet *f = fleet_new(&o);
	char host[FLEET_HOSTNAME_SIZE], os[FLEET_OS_SIZE];
	uint8_t mac[6] = {2, 0, 0, 0, 0, 0}, hash[20] = {1};
	struct in_addr ip;
	struct buf b;

	/* Quotes escape to two bytes each: the worst case for JSON. */
	memset(host, '"', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	memset(os, '\\', sizeof(os) - 1);
	os[sizeof(os) - 1] = '\0';
	for (uint32_t i = 0; i < FLEET_DEFAULT_MAX_MACHINES; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		mac[3] = (uint8_t)(i >> 16);
		ip.s_addr = htonl(0x0a000000u + i + 1);
		fleet_dhcp(f, mac, ip, 7, host, host, FLEET_DHCP_ACK);
		fleet_tracker(f, ip, 6881, hash, os, 1, 2, 0, 1, FLEET_TRACKER_NONE);
	}
	for (int i = 0; i < FLEET_LOG_LINES; i++)
		fleet_log(f, host);
	buf_init(&b, STATUS_MAX_OUTPUT);
	assert_int_equal(status_render_json(f, &b), 0);
	buf_reset(&b);
	assert_int_equal(status_render_metrics(f, &b), 0);
	buf_reset(&b);
	assert_int_equal(status_render_text(f, STATUS_TEXT_MAX_WIDTH, &b), 0);
	buf_release(&b);
	fleet_free(f);
}

static void test_page_embedded(void **state)
{
	assert_true(status_page_html_len > 1000);
	assert_non_null(strstr((const char *)status_page_html, "/api/status"));
	/* No outside resources (the boot network may be offline): nothing
	 * is loaded by src, href, url() or @import. */
	assert_null(strstr((const char *)status_page_html, "src="));
	assert_null(strstr((const char *)status_page_html, "href="));
	assert_null(strstr((const char *)status_page_html, "url("));
	assert_null(strstr((const char *)status_page_html, "@import"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_escaping_cap),
		cmocka_unit_test(test_prom_label_escaping),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_render_metrics),
		cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_byte_split),
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_render_full_fleet),
		cmocka_unit_test(test_page_embedded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
