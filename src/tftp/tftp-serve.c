/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tftp-serve: a small driver that runs the TFTP service alone, for tests
 * and benchmarks until `boottorrent start` assembles the services.
 *
 *   tftp-serve --root DIR [--address A] [--port P] [--port-file F]
 *              [--max-transfers N] [--max-per-client N] [--max-blksize N]
 *              [--max-windowsize N] [--timeout-ms N] [--retries N]
 *              [--workers N] [--log-level error|warn|info|debug]
 *
 * --workers: transfer threads (0, the default, one per CPU up to 4; 1 runs
 * everything on the main thread).
 *
 * With --port 0 an ephemeral port is chosen and written to --port-file.
 * Exits 0 on SIGINT or SIGTERM.
 */
#include <stdio.h>

#include "tftp/server.h"
#include "util/log.h"
#include "util/serve-main.h"
#include "util/util.h"

/* The service and its configuration. */
struct tftp_main {
	struct tftp_config cfg;
	struct tftp_server *srv;
};

static int tftp_main_start(void *ctx, struct event_base *base, const struct logger *log)
{
	struct tftp_main *m = ctx;

	if (tftp_server_new(base, &m->cfg, log, NULL, &m->srv) < 0)
		return -1;
	return tftp_server_port(m->srv);
}

static void tftp_main_stop(void *ctx)
{
	struct tftp_main *m = ctx;

	tftp_server_free(m->srv);
}

int main(int argc, char **argv)
{
	struct tftp_main m = {.cfg = {.port = 69}};
	const struct serve_num_opt nums[] = {
		{"max-transfers", 100000, &m.cfg.max_transfers},
		{"max-per-client", 100000, &m.cfg.max_per_client},
		{"max-blksize", 65464, &m.cfg.max_blksize},
		{"max-windowsize", 65535, &m.cfg.max_windowsize},
		{"timeout-ms", 255000, &m.cfg.timeout_ms},
		{"retries", 1000, &m.cfg.retries},
		{"workers", TFTP_WORKERS_MAX, &m.cfg.workers},
	};
	const struct serve_flag_opt flags[] = {
		{"no-batch", &m.cfg.no_batch},
	};
	const struct serve_driver d = {
		.prog = "tftp-serve",
		.usage = "usage: tftp-serve --root DIR [--address A] [--port P] "
			 "[--port-file F]\n"
			 "  [--max-transfers N] [--max-per-client N] [--max-blksize N]\n"
			 "  [--max-windowsize N] [--timeout-ms N] [--retries N] "
			 "[--workers N]\n  [--no-batch] [--log-level L]\n",
		.nums = nums,
		.n_nums = ARRAY_SIZE(nums),
		.flags = flags,
		.n_flags = ARRAY_SIZE(flags),
		.root = &m.cfg.root,
		.address = &m.cfg.address,
		.port = &m.cfg.port,
		.loop_flags = SERVE_LOOP_FD_LIMIT,
		.start = tftp_main_start,
		.stop = tftp_main_stop,
		.ctx = &m,
	};

	return serve_main(&d, argc, argv);
}
