/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for what the service drivers share (serve-main.h): their
 * flags, their --port-file and a loop that ends on SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdbool.h>

#include <cmocka.h>

#include "util/serve-main.h"

/* A driver whose service only records that it ran. */
struct fake {
	const char *root, *address;
	uint16_t port;
	unsigned alpha, beta;
	bool delta;
	int start_result; /* < 0: start fails; else the port it reports */
	int started, stopped;
};

static int fake_start(void *ctx, struct event_base *base, const struct logger *log)
{
	struct fake *f = ctx;

	assert_non_null(base);
	assert_non_null(log);
	f->started++;
	if (f->start_result < 0)
		return f->start_result;
	/* The loop then ends as soon as it runs. */
	assert_int_equal(raise(SIGTERM), 0);
	return f->start_result;
}

static void fake_stop(void *ctx)
{
	struct fake *f = ctx;

	f->stopped++;
}

/* Runs serve_main() on the words of argv (NULL-terminated) as a driver
 * with the numeric flags --alpha (up to 10) and --beta (up to 1000) and
 * the switch --delta. */
static int run(struct fake *f, char **argv)
{
	const struct serve_num_opt nums[] = {
		{"alpha", 10, &f->alpha},
		{"beta", 1000, &f->beta},
	};
	const struct serve_flag_opt flags[] = {
		{"delta", &f->delta},
	};
	const struct serve_driver d = {
		.prog = "test-serve",
		.usage = "usage: test\n",
		.nums = nums,
		.n_nums = ARRAY_SIZE(nums),
		.flags = flags,
		.n_flags = ARRAY_SIZE(flags),
		.root = &f->root,
		.address = &f->address,
		.port = &f->port,
		.start = fake_start,
		.stop = fake_stop,
		.ctx = f,
	};
	int argc = 0;

	while (argv[argc])
		argc++;
	/* glibc starts getopt afresh when optind is 0. */
	optind = 0;
	opterr = 0;
	return serve_main(&d, argc, argv);
}

static void test_flags(void **state)
{
	struct fake f = {.port = 69, .start_result = 6969};
	char *ok[] = {"x", "--root",  "/r", "--address", "127.0.0.1", "--port",
		      "0", "--alpha", "10", "--beta=7",	 NULL};
	char *defaults[] = {"x", "-r", "/r", NULL};
	char *bad_num[] = {"x", "--root", "/r", "--alpha", "11", NULL};
	char *bad_port[] = {"x", "--root", "/r", "--port", "65536", NULL};
	char *no_root[] = {"x", "--alpha", "1", NULL};
	char *extra[] = {"x", "--root", "/r", "more", NULL};
	char *unknown[] = {"x", "--root", "/r", "--gamma", "1", NULL};
	char *bad_level[] = {"x", "--root", "/r", "--log-level", "loud", NULL};
	char *help[] = {"x", "--help", NULL};
	char *with_switch[] = {"x", "--root", "/r", "--delta", NULL};
	char *switch_value[] = {"x", "--root", "/r", "--delta=1", NULL};

	assert_int_equal(run(&f, ok), 0);
	assert_string_equal(f.root, "/r");
	assert_string_equal(f.address, "127.0.0.1");
	assert_int_equal(f.port, 0);
	assert_int_equal(f.alpha, 10);
	assert_int_equal(f.beta, 7);
	assert_int_equal(f.started, 1);
	assert_int_equal(f.stopped, 1);

	f = (struct fake){.port = 69, .start_result = 6969};
	assert_int_equal(run(&f, defaults), 0);
	assert_int_equal(f.port, 69);
	assert_null(f.address);
	assert_false(f.delta);

	f = (struct fake){.port = 69, .start_result = 6969};
	assert_int_equal(run(&f, with_switch), 0);
	assert_true(f.delta);

	/* Nothing starts after a bad command line or --help. */
	f = (struct fake){.port = 69};
	assert_int_equal(run(&f, bad_num), 2);
	assert_int_equal(run(&f, bad_port), 2);
	f.root = NULL;
	assert_int_equal(run(&f, no_root), 2);
	assert_int_equal(run(&f, extra), 2);
	assert_int_equal(run(&f, unknown), 2);
	assert_int_equal(run(&f, bad_level), 2);
	assert_int_equal(run(&f, help), 0);
	assert_int_equal(run(&f, switch_value), 2);
	assert_int_equal(f.started, 0);

	/* A service that does not start: status 1, and no stop. */
	f = (struct fake){.start_result = -EADDRINUSE};
	assert_int_equal(run(&f, defaults), 1);
	assert_int_equal(f.started, 1);
	assert_int_equal(f.stopped, 0);
}

static void test_port_file(void **state)
{
	char dir[] = "/tmp/test-serve-main.XXXXXX", path[64], bad[64], got[16] = {0};
	char *argv[] = {"x", "--root", "/r", "--port-file", path, NULL};
	struct fake f = {.start_result = 6969};
	FILE *pf;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/port", dir);
	snprintf(bad, sizeof(bad), "%s/no/port", dir);
	assert_int_equal(serve_port_file_write("test-serve", NULL, 1), 0);
	assert_int_equal(serve_port_file_write("test-serve", bad, 1), -ENOENT);

	assert_int_equal(run(&f, argv), 0);
	pf = fopen(path, "r");
	assert_non_null(pf);
	assert_non_null(fgets(got, sizeof(got), pf));
	fclose(pf);
	assert_string_equal(got, "6969\n");

	/* A port file that cannot be written: status 1, the service
	 * stopped. */
	argv[4] = bad;
	f = (struct fake){.start_result = 1};
	assert_int_equal(run(&f, argv), 1);
	assert_int_equal(f.stopped, 1);
	unlink(path);
	rmdir(dir);
}

/* A SIGTERM that comes before the loop runs still ends it, cleanly. */
static void test_loop_signal(void **state)
{
	struct serve_loop l;

	for (unsigned flags = 0; flags <= (SERVE_LOOP_CHANGELIST | SERVE_LOOP_FD_LIMIT); flags++) {
		assert_int_equal(serve_loop_init(&l, flags), 0);
		assert_non_null(l.base);
		assert_int_equal(raise(SIGTERM), 0);
		serve_loop_run(&l);
		serve_loop_release(&l);
		assert_null(l.base);
	}
	/* Released twice is harmless. */
	serve_loop_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_port_file),
		cmocka_unit_test(test_loop_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
