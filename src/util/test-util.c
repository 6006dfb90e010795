/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/cursor.h"
#include "util/dlist.h"
#include "util/parse.h"
#include "util/path.h"

static void test_cursor_bounds(void **state)
{
	static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
	struct cursor c = cursor_make(bytes, sizeof(bytes));
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	uint8_t v8;

	assert_true(cursor_u16be(&c, &v16));
	assert_int_equal(v16, 0x0102);
	assert_true(cursor_u32be(&c, &v32));
	assert_int_equal(v32, 0x03040506);
	/* Only one byte is left: a wider read fails and does not move. */
	assert_false(cursor_u16be(&c, &v16));
	assert_false(cursor_u64be(&c, &v64));
	assert_int_equal(c.len, 1);
	assert_true(cursor_u8(&c, &v8));
	assert_int_equal(v8, 7);
	assert_false(cursor_u8(&c, &v8));
	assert_false(cursor_skip(&c, 1));
	assert_true(cursor_skip(&c, 0));
}

static void test_buf_max(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "abcd"), 0);
	assert_int_equal(buf_printf(&b, "%d", 123), 0);
	assert_string_equal((char *)b.data, "abcd123");
	assert_int_equal(buf_append_str(&b, "xy"), -E2BIG);
	assert_int_equal(b.len, 7);
	assert_int_equal(buf_append_u8(&b, 'z'), 0);
	assert_int_equal(buf_append_u8(&b, 'z'), -E2BIG);
	buf_consume(&b, 4);
	assert_string_equal((char *)b.data, "123z");
	assert_int_equal(buf_append_u32be(&b, 0x41424344), 0);
	assert_memory_equal(b.data, "123zABCD", 8);
	buf_release(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, "q", 1), 0);
	size_t len;
	char *s = buf_detach(&b, &len);
	assert_string_equal(s, "q");
	assert_int_equal(len, 1);
	free(s);
}

static void test_parse_u64(void **state)
{
	uint64_t v;
	int64_t i;

	assert_int_equal(parse_u64_str("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64_str("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64_str("18446744073709551616", UINT64_MAX, &v), -1);
	assert_int_equal(parse_u64_str("", 10, &v), -1);
	assert_int_equal(parse_u64_str("-1", 10, &v), -1);
	assert_int_equal(parse_u64_str(" 1", 10, &v), -1);
	assert_int_equal(parse_u64_str("11", 10, &v), -1);
	assert_int_equal(parse_i64_str("-30", -100, 100, &i), 0);
	assert_int_equal(i, -30);
	assert_int_equal(parse_i64_str("-9223372036854775808", INT64_MIN, 0, &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(parse_i64_str("--1", -100, 100, &i), -1);
	/* The lower bound holds for positive numbers too. */
	assert_int_equal(parse_i64_str("0", 1, 65535, &i), -1);
	assert_int_equal(parse_i64_str("-5", 1, 65535, &i), -1);
	assert_int_equal(parse_size_str("256k", &v), 0);
	assert_int_equal(v, 262144);
	assert_int_equal(parse_size_str("4M", &v), 0);
	assert_int_equal(v, 4 << 20);
	assert_int_equal(parse_size_str("M", &v), -1);
}

static void test_parse_mac(void **state)
{
	static const uint8_t want[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	static const char *const bad[] = {
		"52:54:00:ab:cd",	  /* short */
		"52:54:00:ab:cd:ef:",	  /* long */
		"52:54-00:ab:cd:ef",	  /* mixed separators */
		"52.54.00.ab.cd.ef",	  /* other separator */
		"52:54:00:ab:cd:eg",	  /* not hex */
		"5254:00:ab:cd:ef:0",	  /* separator misplaced */
		"",
	};
	uint8_t mac[6] = {0};

	assert_int_equal(parse_hex_digit('0'), 0);
	assert_int_equal(parse_hex_digit('F'), 15);
	assert_int_equal(parse_hex_digit('a'), 10);
	assert_int_equal(parse_hex_digit('g'), -1);
	assert_int_equal(parse_mac("52:54:00:AB:cd:ef", 17, mac), 0);
	assert_memory_equal(mac, want, 6);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(parse_mac("52-54-00-ab-cd-ef", 17, mac), 0);
	assert_memory_equal(mac, want, 6);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(mac, 0x11, sizeof(mac));
		assert_int_equal(parse_mac(bad[i], strlen(bad[i]), mac), -1);
		assert_int_equal(mac[0], 0x11); /* untouched on failure */
	}
	/* Only len bytes are read. */
	assert_int_equal(parse_mac("52:54:00:ab:cd:ef:00", 17, mac), 0);
}

static void test_hex(void **state)
{
	uint8_t raw[3] = {0x00, 0xab, 0xff}, back[3];
	char hex[7];

	hex_encode(hex, raw, 3);
	assert_string_equal(hex, "00abff");
	assert_int_equal(hex_decode(back, "00ABff", 3), 0);
	assert_memory_equal(raw, back, 3);
	assert_int_equal(hex_decode(back, "0g", 1), -1);
}

static void test_path_relative(void **state)
{
	assert_true(path_relative_ok("vmlinuz"));
	assert_true(path_relative_ok("boot/vmlinuz"));
	assert_true(path_relative_ok("..hidden/x"));
	assert_false(path_relative_ok(""));
	assert_false(path_relative_ok("/etc/passwd"));
	assert_false(path_relative_ok("../x"));
	assert_false(path_relative_ok("a/../../x"));
	assert_false(path_relative_ok("a//b"));
	assert_false(path_relative_ok("a/./b"));
	assert_false(path_relative_ok("a/"));
}

static void test_path_open_beneath(void **state)
{
	char tmpl[] = "/tmp/bt-test-path-XXXXXX";
	char *dir = mkdtemp(tmpl);
	int dfd, fd;
	char *p;

	assert_non_null(dir);
	dfd = open(dir, O_DIRECTORY | O_RDONLY);
	assert_true(dfd >= 0);
	fd = openat(dfd, "inside", O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlinkat("/etc/hostname", dfd, "escape"), 0);
	assert_int_equal(symlinkat("inside", dfd, "ok-link"), 0);

	fd = path_open_beneath(dfd, "inside", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	fd = path_open_beneath(dfd, "ok-link", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(path_open_beneath(dfd, "escape", O_RDONLY), -EXDEV);
	assert_int_equal(path_open_beneath(dfd, "../etc/hostname", O_RDONLY), -EXDEV);
	assert_int_equal(path_open_beneath(dfd, "/etc/hostname", O_RDONLY), -EXDEV);
	assert_int_equal(path_open_beneath(dfd, "missing", O_RDONLY), -ENOENT);

	unlinkat(dfd, "inside", 0);
	unlinkat(dfd, "escape", 0);
	unlinkat(dfd, "ok-link", 0);
	close(dfd);
	rmdir(dir);

	p = path_join("a/", "b");
	assert_string_equal(p, "a/b");
	free(p);
	p = path_join("a", "b");
	assert_string_equal(p, "a/b");
	free(p);
}

struct captured {
	unsigned n;
	char last[256];
};

static void capture(void *ctx, enum log_level lvl, const char *component, const char *msg)
{
	struct captured *c = ctx;
	c->n++;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

static void test_warn_limited(void **state)
{
	struct captured cap = {0};
	struct logger lg = {.fn = capture, .ctx = &cap, .level = LOG_DEBUG};
	struct log_ratelimit rl = {0};

	for (int i = 0; i < 5; i++)
		logger_warn_limited(&lg, &rl, 2, "TEST", "bad things", "bad %d", i);
	assert_int_equal(cap.n, 2);
	assert_string_equal(cap.last, "bad 1");
	/* The next second: first the count of what was dropped, then the message. */
	rl.sec--;
	logger_warn_limited(&lg, &rl, 2, "TEST", "bad things", "bad %d", 9);
	assert_int_equal(cap.n, 4);
	assert_string_equal(cap.last, "bad 9");
}

struct node {
	struct node *next, *prev;
	int v;
};

/* The values from head on, and each element's prev matches. */
static int list_values(const struct node *head, int *out, int max)
{
	const struct node *prev = NULL;
	int n = 0;

	for (const struct node *x = head; x && n < max; x = x->next) {
		assert_ptr_equal(x->prev, prev);
		out[n++] = x->v;
		prev = x;
	}
	return n;
}

static void test_dlist(void **state)
{
	struct node a = {.v = 1}, b = {.v = 2}, c = {.v = 3};
	struct node *head = NULL;
	int v[4];

	(void)state;
	DLIST_PUSH(head, &a);
	DLIST_PUSH(head, &b);
	DLIST_PUSH(head, &c); /* c b a */
	assert_int_equal(list_values(head, v, 4), 3);
	assert_int_equal(v[0] * 100 + v[1] * 10 + v[2], 321);
	DLIST_UNLINK(head, &b); /* the middle */
	assert_int_equal(list_values(head, v, 4), 2);
	assert_int_equal(v[0] * 10 + v[1], 31);
	DLIST_UNLINK(head, &c); /* the head */
	assert_ptr_equal(head, &a);
	assert_null(a.prev);
	DLIST_PUSH(head, &b);
	DLIST_UNLINK(head, &a); /* the tail */
	assert_int_equal(list_values(head, v, 4), 1);
	assert_int_equal(v[0], 2);
	DLIST_UNLINK(head, &b); /* the last one */
	assert_null(head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_bounds),
		cmocka_unit_test(test_buf_max),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_mac),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_path_relative),
		cmocka_unit_test(test_path_open_beneath),
		cmocka_unit_test(test_warn_limited),
		cmocka_unit_test(test_dlist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
