/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the seed policy, argument splitting, RAM arithmetic and
 * kexec's error explanations (and, as root, a real kexec_file_load of a
 * file that is not a kernel: refused with ENOEXEC, nothing is loaded). */
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

#include "agent/args.h"
#include "agent/boot.h"
#include "agent/seed.h"

static void test_seed(void **state)
{
	struct agent_seed_state s = {.seed_time_s = 30, .early_stop = true, .leechers = -1};

	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_DOWNLOADING);
	assert_int_equal(agent_seed_remaining_ms(&s), 0);
	s.complete = true;
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_CONTINUE);
	assert_int_equal(agent_seed_remaining_ms(&s), 30000);
	s.since_complete_ms = 29999;
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_CONTINUE);
	assert_int_equal(agent_seed_remaining_ms(&s), 1);
	/* Seconds, not minutes: 30 s is 30000 ms. */
	s.since_complete_ms = 30000;
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_DONE_TIME);
	assert_int_equal(agent_seed_remaining_ms(&s), 0);
	/* Early stop: only a known zero counts. */
	s.since_complete_ms = 1000;
	s.leechers = 3;
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_CONTINUE);
	s.leechers = 0;
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_DONE_NOBODY);
	s.early_stop = false;
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_CONTINUE);
	/* seed_time 0 boots as soon as the download is complete. */
	s = (struct agent_seed_state){.seed_time_s = 0, .complete = true, .leechers = 5};
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_DONE_TIME);
	/* The largest seed time does not overflow. */
	s = (struct agent_seed_state){.seed_time_s = UINT32_MAX, .complete = true};
	assert_int_equal(agent_seed_decide(&s), AGENT_SEED_CONTINUE);
	assert_true(agent_seed_remaining_ms(&s) > 0);

	/* Asking the tracker again: only while seeding with early stop, when
	 * no connected peer has needed pieces for a moment, and not more often
	 * than the tracker's min interval. */
	s = (struct agent_seed_state){.seed_time_s = 30,
				      .early_stop = true,
				      .complete = true,
				      .since_complete_ms = 1000,
				      .leechers = 1,
				      .since_leecher_ms = INT64_MAX};
	assert_true(agent_seed_should_ask(&s, 0, AGENT_SEED_ASK_MS));
	assert_false(agent_seed_should_ask(&s, 0, AGENT_SEED_ASK_MS - 1));
	/* A leecher completed since that answer: ask without waiting out
	 * the interval, but not while it (or another) still needs pieces or
	 * before its announce can have landed. */
	s.leecher_after_answer = true;
	assert_true(agent_seed_should_ask(&s, 0, 0));
	assert_false(agent_seed_should_ask(&s, 1, 0));
	s.since_leecher_ms = AGENT_SEED_SETTLE_MS - 1;
	assert_false(agent_seed_should_ask(&s, 0, 0));
	s.since_leecher_ms = INT64_MAX;
	s.leecher_after_answer = false;
	/* The last leecher's HAVE just arrived: let its announce land first. */
	s.since_leecher_ms = AGENT_SEED_SETTLE_MS - 1;
	assert_false(agent_seed_should_ask(&s, 0, 60000));
	s.since_leecher_ms = AGENT_SEED_SETTLE_MS;
	assert_true(agent_seed_should_ask(&s, 0, 60000));
	assert_false(agent_seed_should_ask(&s, 2, 60000)); /* they need us: known */
	s.leechers = -1;				   /* no answer since completing */
	assert_true(agent_seed_should_ask(&s, 0, 60000));
	s.leechers = 0; /* the answer is in: boot, do not ask */
	assert_false(agent_seed_should_ask(&s, 0, 60000));
	s.leechers = 1;
	s.early_stop = false;
	assert_false(agent_seed_should_ask(&s, 0, 60000));
	s.early_stop = true;
	s.complete = false;
	assert_false(agent_seed_should_ask(&s, 0, 60000));

	assert_true(agent_seed_in_background(OS_METHOD_QEMU));
	assert_false(agent_seed_in_background(OS_METHOD_KEXEC));
	assert_false(agent_seed_in_background(OS_METHOD_BIN));
}

static void split_ok(const char *s, size_t n, ...)
{
	char **v;
	size_t argc;
	va_list ap;

	assert_int_equal(agent_args_split(s, &v, &argc), 0);
	assert_int_equal(argc, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(v[n]);
	agent_args_free(v);
}

static void test_args(void **state)
{
	char **v = (char **)1;
	size_t n = 99;
	char *big;

	split_ok(NULL, 0);
	split_ok("", 0);
	split_ok("   \t\n", 0);
	split_ok("-m 2G -hda disk.img", 4, "-m", "2G", "-hda", "disk.img");
	split_ok("  a   b  ", 2, "a", "b");
	split_ok("'a b' \"c d\"", 2, "a b", "c d");
	split_ok("x'y z'w", 1, "xy zw");
	split_ok("'' \"\"", 2, "", "");
	split_ok("a\\ b", 1, "a b");
	split_ok("'\\n$HOME'", 1, "\\n$HOME");
	split_ok("\"a\\\"b\\\\c\\$d\\x\"", 1, "a\"b\\c$d\\x");
	split_ok("-append \"console=ttyS0 root=/dev/vda\"", 2, "-append",
		 "console=ttyS0 root=/dev/vda");
	split_ok("$(reboot) `id` ; rm -rf / | x", 8, "$(reboot)", "`id`", ";", "rm", "-rf", "/",
		 "|", "x");

	assert_int_equal(agent_args_split("'open", &v, &n), AGENT_ARGS_E_QUOTE);
	assert_null(v);
	assert_int_equal(agent_args_split("a \"open", &v, &n), AGENT_ARGS_E_QUOTE);
	assert_int_equal(agent_args_split("\"a\\\"", &v, &n), AGENT_ARGS_E_QUOTE);
	assert_int_equal(agent_args_split("a\\", &v, &n), AGENT_ARGS_E_ESCAPE);
	assert_string_equal(agent_args_strerror(AGENT_ARGS_E_QUOTE), "a quote is not closed");

	/* Caps: words and length. */
	big = malloc(AGENT_ARGS_MAX * 2 + 3);
	for (size_t i = 0; i < AGENT_ARGS_MAX + 1; i++) {
		big[2 * i] = 'x';
		big[2 * i + 1] = ' ';
	}
	big[2 * (AGENT_ARGS_MAX + 1)] = 0;
	assert_int_equal(agent_args_split(big, &v, &n), AGENT_ARGS_E_TOO_MANY);
	big[2 * AGENT_ARGS_MAX] = 0;
	assert_int_equal(agent_args_split(big, &v, &n), 0);
	assert_int_equal(n, AGENT_ARGS_MAX);
	agent_args_free(v);
	free(big);
	big = malloc(AGENT_ARGS_MAX_LEN + 2);
	memset(big, 'a', AGENT_ARGS_MAX_LEN + 1);
	big[AGENT_ARGS_MAX_LEN + 1] = 0;
	assert_int_equal(agent_args_split(big, &v, &n), AGENT_ARGS_E_TOO_LONG);
	big[AGENT_ARGS_MAX_LEN] = 0;
	assert_int_equal(agent_args_split(big, &v, &n), 0);
	assert_int_equal(n, 1);
	agent_args_free(v);
	free(big);
	agent_args_free(NULL);
}

static void test_ram(void **state)
{
	const char *text = "MemTotal:        8000000 kB\nMemFree:  100 kB\n"
			   "MemAvailable:    5000000 kB\nBuffers: 1 kB\n";
	struct agent_meminfo mi;
	struct agent_ram r;

	assert_int_equal(agent_meminfo_parse(text, strlen(text), &mi), 0);
	assert_int_equal(mi.total, 8000000ULL * 1024);
	assert_int_equal(mi.available, 5000000ULL * 1024);
	assert_int_equal(agent_meminfo_parse("MemTotal: 1 kB\n", 15, &mi), -1);
	assert_int_equal(agent_meminfo_parse("MemTotal: x kB\nMemAvailable: 1 kB\n", 35, &mi), -1);
	assert_int_equal(agent_meminfo_parse("", 0, &mi), -1);

	/* 8 GB total, 3 GB used of which 2 GB is the image in tmpfs. */
	mi = (struct agent_meminfo){.total = 8000, .available = 5000};
	agent_ram_compute(&mi, 2000, &r);
	assert_int_equal(r.total, 8000);
	assert_int_equal(r.image, 2000);
	assert_int_equal(r.ph1, 1000);
	assert_int_equal(r.guest, 5000);
	/* Nonsense never goes negative. */
	agent_ram_compute(&mi, 9000, &r);
	assert_int_equal(r.ph1, 0);
	assert_int_equal(r.guest, 0);
	mi = (struct agent_meminfo){.total = 100, .available = 200};
	agent_ram_compute(&mi, 10, &r);
	assert_int_equal(r.ph1, 0);
	assert_int_equal(r.guest, 90);
}

static void test_qemu_args(void **state)
{
	char *a1[] = {"qemu", "-m", "2048", NULL};
	char *a2[] = {"qemu", "-m", "2G", NULL};
	char *a3[] = {"qemu", "-m", "size=512M,slots=2,maxmem=4G", NULL};
	char *a4[] = {"qemu", "-hda", "x", "-m", NULL};
	char *a5[] = {"qemu", "-m", "lots", NULL};
	char **v;
	size_t n;

	assert_int_equal(agent_qemu_mem_arg(a1), 2048ULL << 20);
	assert_int_equal(agent_qemu_mem_arg(a2), 2ULL << 30);
	assert_int_equal(agent_qemu_mem_arg(a3), 512ULL << 20);
	assert_int_equal(agent_qemu_mem_arg(a4), 0);
	assert_int_equal(agent_qemu_mem_arg(a5), 0);
	assert_int_equal(agent_qemu_mem_arg(NULL), 0);

	assert_int_equal(agent_qemu_argv("-m 1G -hda 'my disk.img'", true, &v, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(v[0], "qemu-system-x86_64");
	assert_string_equal(v[1], "-enable-kvm");
	assert_string_equal(v[5], "my disk.img");
	assert_null(v[6]);
	agent_args_free(v);
	assert_int_equal(agent_qemu_argv("-m 1G", false, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[1], "-m");
	agent_args_free(v);
	assert_int_equal(agent_qemu_argv("-m '1G", false, &v, &n), AGENT_ARGS_E_QUOTE);
}

static void test_kexec_explain(void **state)
{
	assert_non_null(strstr(agent_kexec_explain(-EPERM), "must be signed (Secure Boot is on"));
	assert_non_null(strstr(agent_kexec_explain(EKEYREJECTED), "must be signed"));
	assert_non_null(strstr(agent_kexec_explain(-ENOEXEC), "not a bootable kernel"));
	assert_non_null(strstr(agent_kexec_explain(-ENOEXEC), "bzImage"));
	assert_non_null(strstr(agent_kexec_explain(-ENOSYS), "cannot kexec"));
	assert_non_null(strstr(agent_kexec_explain(-EBUSY), "already"));
	assert_non_null(strstr(agent_kexec_explain(-ENOMEM), "memory"));
	/* Anything else falls back to strerror. */
	assert_string_equal(agent_kexec_explain(-EIO), strerror(EIO));
}

static void test_kexec_real(void **state)
{
	char path[] = "/tmp/agent-kexec-XXXXXX";
	int fd, r;

	if (geteuid() != 0)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* A text file is not a bzImage; the kernel refuses it before
	 * loading anything, so this cannot boot or change anything. */
	assert_int_equal(write(fd, "not a kernel\n", 13), 13);
	close(fd);
	r = agent_kexec_load(path, NULL, "console=ttyS0");
	unlink(path);
	if (r == -EPERM || r == -ENOSYS) {
		/* No CAP_SYS_BOOT here (a container) or no kexec in this
		 * kernel: the real call cannot be tried. */
		fprintf(stderr, "kexec_file_load: %s; skipped\n", strerror(-r));
		skip();
	}
	assert_int_equal(r, -ENOEXEC);
	assert_non_null(strstr(agent_kexec_explain(r), "not a bootable kernel"));
	assert_int_equal(agent_kexec_load("/nonexistent/kernel", NULL, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed),	      cmocka_unit_test(test_args),
		cmocka_unit_test(test_ram),	      cmocka_unit_test(test_qemu_args),
		cmocka_unit_test(test_kexec_explain), cmocka_unit_test(test_kexec_real),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
