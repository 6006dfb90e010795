/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/parse.h"
#include "util/util.h"

static void test_range_table(void **state)
{
	static const struct {
		const char *value;
		uint64_t size;
		enum http_range_result want;
		uint64_t start, len;
	} cases[] = {
		{NULL, 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=0-9", 100, HTTP_RANGE_OK, 0, 10},
		{"bytes=10-", 100, HTTP_RANGE_OK, 10, 90},
		{"bytes=-10", 100, HTTP_RANGE_OK, 90, 10},
		{"bytes=-100", 100, HTTP_RANGE_OK, 0, 100},
		{"bytes=-1000", 100, HTTP_RANGE_OK, 0, 100},
		{"bytes=99-99", 100, HTTP_RANGE_OK, 99, 1},
		{"bytes=50-1000", 100, HTTP_RANGE_OK, 50, 50},
		{"bytes = 5 - 6 ", 100, HTTP_RANGE_OK, 5, 2},
		{"BYTES=5-6", 100, HTTP_RANGE_OK, 5, 2},
		{"bytes=100-", 100, HTTP_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=100-200", 100, HTTP_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=-0", 100, HTTP_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=-5", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0},
		/* Ignored: the whole file is sent. */
		{"bytes=9-5", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=-", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=0-1,5-6", 100, HTTP_RANGE_NONE, 0, 0},
		{"items=0-1", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes 0-1", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=a-b", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=+1-2", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=0x10-20", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=99999999999999999999-", 100, HTTP_RANGE_NONE, 0, 0},
		{"bytes=18446744073709551615-", 100, HTTP_RANGE_UNSATISFIABLE, 0, 0},
		{"bytes=0-18446744073709551615", 100, HTTP_RANGE_OK, 0, 100},
		{"", 100, HTTP_RANGE_NONE, 0, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t start = 0, len = 0;
		enum http_range_result r =
			http_range_parse(cases[i].value, cases[i].size, &start, &len);

		printf("case %zu: '%s'\n", i, cases[i].value ? cases[i].value : "(null)");
		assert_int_equal(r, cases[i].want);
		if (r == HTTP_RANGE_OK) {
			assert_int_equal(start, cases[i].start);
			assert_int_equal(len, cases[i].len);
		}
	}
}

static void test_range_long(void **state)
{
	char v[HTTP_RANGE_HEADER_MAX + 10];
	uint64_t s, l;

	memset(v, ' ', sizeof(v));
	memcpy(v + sizeof(v) - 10, "bytes=0-1", 10);
	assert_int_equal(http_range_parse(v, 100, &s, &l), HTTP_RANGE_NONE);
}

static void test_path_table(void **state)
{
	static const struct {
		const char *in;
		int want;
		const char *out;
	} cases[] = {
		{"pxelinux.0", 0, "pxelinux.0"},
		{"/boot/vmlinuz", 0, "boot/vmlinuz"},
		{"//boot///./vmlinuz/", 0, "boot/vmlinuz"},
		{"a%20b", 0, "a b"},
		{"a%2Fb", 0, "a/b"},
		{"%41%42", 0, "AB"},
		{"", 0, ""},
		{"/", 0, ""},
		{"..", HTTP_PATH_TRAVERSAL, NULL},
		{"../etc/passwd", HTTP_PATH_TRAVERSAL, NULL},
		{"a/../../b", HTTP_PATH_TRAVERSAL, NULL},
		{"a/..", HTTP_PATH_TRAVERSAL, NULL},
		{"%2e%2e/etc", HTTP_PATH_TRAVERSAL, NULL},
		{".%2E/etc", HTTP_PATH_TRAVERSAL, NULL},
		{"a%2f..%2fb", HTTP_PATH_TRAVERSAL, NULL},
		{"...", 0, "..."},
		{"..a", 0, "..a"},
		/* Decoded once only: "%252e" is the text "%2e", a plain name. */
		{"%252e%252e/x", 0, "%2e%2e/x"},
		{"a%00b", HTTP_PATH_BAD, NULL},
		{"a%5cb", HTTP_PATH_BAD, NULL},
		{"a\\b", HTTP_PATH_BAD, NULL},
		{"a%", HTTP_PATH_BAD, NULL},
		{"a%4", HTTP_PATH_BAD, NULL},
		{"a%zz", HTTP_PATH_BAD, NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char out[64];
		int r = http_path_decode(cases[i].in, out, sizeof(out));

		printf("case %zu: '%s'\n", i, cases[i].in);
		assert_int_equal(r, cases[i].want);
		if (r == 0)
			assert_string_equal(out, cases[i].out);
	}
}

static void test_path_cap(void **state)
{
	char out[8];

	assert_int_equal(http_path_decode("1234567", out, sizeof(out)), 0);
	assert_string_equal(out, "1234567");
	assert_int_equal(http_path_decode("12345678", out, sizeof(out)), HTTP_PATH_BAD);
	assert_int_equal(http_path_decode("123/5678", out, sizeof(out)), HTTP_PATH_BAD);
	assert_int_equal(http_path_decode("x", out, 0), HTTP_PATH_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_table),
		cmocka_unit_test(test_range_long),
		cmocka_unit_test(test_path_table),
		cmocka_unit_test(test_path_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
