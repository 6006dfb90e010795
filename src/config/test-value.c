/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the value parsers (value.h) and diagnostics (diag.h). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config/diag.h"
#include "config/value.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;
	assert_int_equal(config_parse_ipv4(s, &a), 0);
	return ntohl(a.s_addr);
}

static void test_bool(void **state)
{
	bool b = false;
	const char *yes[] = {"true", "True", "TRUE", "yes", "on", "On"};
	const char *no[] = {"false", "False", "no", "NO", "off"};
	const char *bad[] = {"", "tru", "1", "0", "y", "TrUe", "true "};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		assert_int_equal(config_parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		b = true;
		assert_int_equal(config_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(config_parse_bool(bad[i], &b), -1);
}

static void test_ipv4(void **state)
{
	struct in_addr a;
	const char *bad[] = {"",	 "1.2.3",    "1.2.3.4.5",  "256.1.1.1",
			     "1.2.3.4 ", " 1.2.3.4", "01.2.3.4",   "1..3.4",
			     "a.b.c.d",	 "1.2.3.-4", "1.2.3.4/24", "99999999999999999999.1.1.1"};

	assert_int_equal(ip("10.0.0.1"), 0x0a000001);
	assert_int_equal(ip("255.255.255.255"), 0xffffffff);
	assert_int_equal(ip("0.0.0.0"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(config_parse_ipv4(bad[i], &a), -1);
}

static void test_netmask(void **state)
{
	struct in_addr m;

	assert_int_equal(config_parse_netmask("255.255.255.0", &m), 0);
	assert_int_equal(ipv4_prefix_len(m), 24);
	assert_int_equal(config_parse_netmask("255.255.254.0", &m), 0);
	assert_int_equal(ipv4_prefix_len(m), 23);
	assert_int_equal(config_parse_netmask("0.0.0.0", &m), 0);
	assert_int_equal(ipv4_prefix_len(m), 0);
	assert_int_equal(config_parse_netmask("255.255.255.255", &m), 0);
	assert_int_equal(ipv4_prefix_len(m), 32);
	assert_int_equal(config_parse_netmask("255.0.255.0", &m), -1);
	assert_int_equal(config_parse_netmask("255.255.255.1", &m), -1);
}

static void test_mac(void **state)
{
	uint8_t m[6];
	const uint8_t want[6] = {0x52, 0x54, 0x00, 0xab, 0xCD, 0xef};
	const char *bad[] = {"",
			     "52:54:00:ab:cd",
			     "52:54:00:ab:cd:ef:00",
			     "52-54:00:ab:cd:ef",
			     "52:54:00:ab:cd:eg",
			     "5254.00ab.cdef",
			     "52:54:00:ab:cd:e"};

	assert_int_equal(config_parse_mac("52:54:00:ab:CD:ef", m), 0);
	assert_memory_equal(m, want, 6);
	assert_int_equal(config_parse_mac("52-54-00-AB-cd-EF", m), 0);
	assert_memory_equal(m, want, 6);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(config_parse_mac(bad[i], m), -1);
}

static void test_duration(void **state)
{
	uint32_t v;

	assert_int_equal(config_parse_duration("3600", 1000000, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(config_parse_duration("12h", 1000000, &v), 0);
	assert_int_equal(v, 43200);
	assert_int_equal(config_parse_duration("30m", 1000000, &v), 0);
	assert_int_equal(v, 1800);
	assert_int_equal(config_parse_duration("45s", 1000000, &v), 0);
	assert_int_equal(v, 45);
	assert_int_equal(config_parse_duration("2d", 1000000, &v), 0);
	assert_int_equal(v, 172800);
	assert_int_equal(config_parse_duration("1w", 1000000, &v), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(config_parse_duration("infinite", 10, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(config_parse_duration("2w", 1000000, &v), -1);
	assert_int_equal(config_parse_duration("", 100, &v), -1);
	assert_int_equal(config_parse_duration("h", 100, &v), -1);
	assert_int_equal(config_parse_duration("-1", 100, &v), -1);
	assert_int_equal(config_parse_duration("12x", 100, &v), -1);
	assert_int_equal(config_parse_duration("99999999999999999999999h", UINT32_MAX, &v), -1);
}

static void test_range(void **state)
{
	struct in_addr a, b;

	assert_int_equal(config_parse_range("10.0.0.100-10.0.0.200", &a, &b), 0);
	assert_int_equal(ntohl(a.s_addr), 0x0a000064);
	assert_int_equal(ntohl(b.s_addr), 0x0a0000c8);
	assert_int_equal(config_parse_range(" 10.0.0.1 - 10.0.0.2 ", &a, &b), 0);
	assert_int_equal(config_parse_range("10.0.0.1", &a, &b), -1);
	assert_int_equal(config_parse_range("10.0.0.1-", &a, &b), -1);
	assert_int_equal(config_parse_range("10.0.0.1,10.0.0.2", &a, &b), -1);
}

static void test_v0_range(void **state)
{
	struct config_v0_range r;
	const char *why = NULL;
	const char *bad[] = {"",
			     "192.168.1.50",
			     "192.168.1.50,",
			     "x,192.168.1.150",
			     "192.168.1.50,192.168.1.150,12q",
			     "192.168.1.50,192.168.1.150,255.0.255.0,12h",
			     "192.168.1.50,192.168.1.150,12h,extra",
			     "tag:foo,192.168.1.50,192.168.1.150",
			     "192.168.1.50,static",
			     "1,2,3,4,5,6,7"};

	assert_int_equal(config_parse_v0_range("192.168.1.50,192.168.1.150,12h", &r, &why), 0);
	assert_false(r.proxy);
	assert_int_equal(ntohl(r.start.s_addr), ip("192.168.1.50"));
	assert_int_equal(ntohl(r.end.s_addr), ip("192.168.1.150"));
	assert_true(r.has_lease);
	assert_int_equal(r.lease, 43200);
	assert_false(r.has_netmask);

	assert_int_equal(config_parse_v0_range("10.0.0.5, 10.0.0.9", &r, &why), 0);
	assert_false(r.has_lease);

	assert_int_equal(config_parse_v0_range(
				 "10.0.0.5,10.0.0.9,255.255.255.0,10.0.0.255,infinite", &r, &why),
			 0);
	assert_true(r.has_netmask);
	assert_int_equal(ipv4_prefix_len(r.netmask), 24);
	assert_int_equal(r.lease, UINT32_MAX);

	assert_int_equal(config_parse_v0_range("192.168.1.0,proxy", &r, &why), 0);
	assert_true(r.proxy);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		why = NULL;
		assert_int_equal(config_parse_v0_range(bad[i], &r, &why), -1);
		assert_non_null(why);
	}
}

static void test_hostname(void **state)
{
	assert_true(config_hostname_ok("lab-01"));
	assert_true(config_hostname_ok("a.b.c"));
	assert_false(config_hostname_ok(""));
	assert_false(config_hostname_ok("-lab"));
	assert_false(config_hostname_ok("lab-"));
	assert_false(config_hostname_ok("a..b"));
	assert_false(config_hostname_ok("lab_01"));
	assert_false(config_hostname_ok("a.b."));
}

static void test_edit_distance(void **state)
{
	static const char *const keys[] = {"timeout", "default_os", "seed_time", "menu", NULL};

	assert_int_equal(diag_edit_distance("timeout", "timeout", 2), 0);
	assert_int_equal(diag_edit_distance("timout", "timeout", 2), 1);
	assert_int_equal(diag_edit_distance("kexc", "kexec", 2), 1);
	assert_int_equal(diag_edit_distance("dbe", "deb", 2), 1);
	assert_int_equal(diag_edit_distance("ab", "ba", 2), 1);
	assert_int_equal(diag_edit_distance("", "abc", 5), 3);
	assert_int_equal(diag_edit_distance("abcdef", "uvwxyz", 2), 3);
	assert_string_equal(diag_suggest("timout", keys), "timeout");
	assert_string_equal(diag_suggest("defualt_os", keys), "default_os");
	assert_null(diag_suggest("zzz", keys));
	/* Too short to guess from: "men" vs "menu" is fine, "x" vs "menu" not. */
	assert_string_equal(diag_suggest("men", keys), "menu");
	assert_null(diag_suggest("x", keys));
}

static void test_diag_format(void **state)
{
	struct diag_list dl;
	char out[512] = {0};
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	diag_list_init(&dl);
	diag_add(&dl, DIAG_WARNING, "b.yaml", 2, 1, NULL, "second %d", 2);
	diag_add(&dl, DIAG_ERROR, "a.yaml", 9, 3, "fix it", "first");
	diag_add(&dl, DIAG_ERROR, "b.yaml", 1, 7, "hint", "third");
	assert_int_equal(dl.n_errors, 2);
	assert_int_equal(dl.n_warnings, 1);
	diag_list_sort(&dl);
	diag_list_print(&dl, f);
	fclose(f);
	assert_string_equal(out, "a.yaml:9:3: error: first \u2014 fix it\n"
				 "b.yaml:1:7: error: third \u2014 hint\n"
				 "b.yaml:2:1: warning: second 2\n");
	diag_list_release(&dl);
}

static void test_diag_clean(void **state)
{
	struct diag_list dl;
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	diag_list_init(&dl);
	diag_add(&dl, DIAG_ERROR, "f\n", 1, 1, "h\x1b[2J", "a\nb %s", big);
	assert_string_equal(dl.items[0].file, "f?");
	assert_string_equal(dl.items[0].hint, "h?[2J");
	assert_int_equal(strncmp(dl.items[0].message, "a?b xxx", 7), 0);
	assert_int_equal(strlen(dl.items[0].message), 1023);
	diag_list_release(&dl);
}

static void test_diag_cap(void **state)
{
	struct diag_list dl;

	diag_list_init(&dl);
	for (int i = 0; i < DIAG_MAX + 10; i++)
		diag_add(&dl, DIAG_ERROR, "f", 1, 1, NULL, "e%d", i);
	assert_int_equal(dl.n, DIAG_MAX);
	assert_int_equal(dl.n_dropped, 10);
	assert_int_equal(dl.n_errors, DIAG_MAX + 10);
	diag_list_release(&dl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bool),	      cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_netmask),	      cmocka_unit_test(test_mac),
		cmocka_unit_test(test_duration),      cmocka_unit_test(test_range),
		cmocka_unit_test(test_v0_range),      cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_edit_distance), cmocka_unit_test(test_diag_format),
		cmocka_unit_test(test_diag_cap),      cmocka_unit_test(test_diag_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
