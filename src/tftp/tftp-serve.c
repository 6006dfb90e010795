/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tftp-serve: a small driver that runs the TFTP service alone, for tests
 * and benchmarks until `boottorrent start` assembles the services.
 *
 *   tftp-serve --root DIR [--address A] [--port P] [--port-file F]
 *              [--max-transfers N] [--max-per-client N] [--max-blksize N]
 *              [--max-windowsize N] [--timeout-ms N] [--retries N]
 *              [--workers N] [--no-batch] [--log-level error|warn|info|debug]
 *
 * --no-batch: one sendmsg per DATA packet on the transfer threads, not
 *   batches through io_uring (tftp/sendq.h), for before/after comparisons.
 * --workers: transfer threads (0, the default, one per CPU up to 4; 1 runs
 * everything on the main thread).
 *
 * With --port 0 an ephemeral port is chosen and written to --port-file.
 * Exits 0 on SIGINT or SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "tftp/server.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static int num(const char *opt, const char *s, uint64_t max, unsigned *out)
{
	uint64_t v;

	if (parse_u64_str(s, max, &v) < 0) {
		fprintf(stderr, "tftp-serve: %s: '%s' is not a number up to %llu\n", opt, s,
			(unsigned long long)max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'r'},
		{"address", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},
		{"port-file", required_argument, NULL, 'f'},
		{"max-transfers", required_argument, NULL, 'm'},
		{"max-per-client", required_argument, NULL, 'c'},
		{"max-blksize", required_argument, NULL, 'b'},
		{"max-windowsize", required_argument, NULL, 'w'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"retries", required_argument, NULL, 'n'},
		{"workers", required_argument, NULL, 'W'},
		{"no-batch", no_argument, NULL, 'B'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct tftp_config cfg = {.port = 69};
	const char *port_file = NULL;
	struct event_base *base;
	struct event *sigint, *sigterm;
	struct tftp_server *srv;
	struct logger lg;
	unsigned port = 69;
	int c, r;

	while ((c = getopt_long(argc, argv, "r:a:p:f:h", longopts, NULL)) != -1) {
		enum log_level lvl;
		int bad = 0;

		switch (c) {
		case 'r': cfg.root = optarg; break;
		case 'a': cfg.address = optarg; break;
		case 'p': bad = num("--port", optarg, 65535, &port); break;
		case 'f': port_file = optarg; break;
		case 'm': bad = num("--max-transfers", optarg, 100000, &cfg.max_transfers); break;
		case 'c': bad = num("--max-per-client", optarg, 100000, &cfg.max_per_client); break;
		case 'b': bad = num("--max-blksize", optarg, 65464, &cfg.max_blksize); break;
		case 'w': bad = num("--max-windowsize", optarg, 65535, &cfg.max_windowsize); break;
		case 't': bad = num("--timeout-ms", optarg, 255000, &cfg.timeout_ms); break;
		case 'n': bad = num("--retries", optarg, 1000, &cfg.retries); break;
		case 'W': bad = num("--workers", optarg, TFTP_WORKERS_MAX, &cfg.workers); break;
		case 'B': cfg.no_batch = true; break;
		case 'l':
			if (log_level_parse(optarg, &lvl) < 0) {
				fprintf(stderr, "tftp-serve: bad log level '%s'\n", optarg);
				return 2;
			}
			log_set_level(lvl);
			break;
		case 'h':
			printf("usage: tftp-serve --root DIR [--address A] [--port P] "
			       "[--port-file F]\n"
			       "  [--max-transfers N] [--max-per-client N] [--max-blksize N]\n"
			       "  [--max-windowsize N] [--timeout-ms N] [--retries N] "
			       "[--workers N]\n  [--no-batch] [--log-level L]\n");
			return 0;
		default: return 2;
		}
		if (bad)
			return 2;
	}
	if (!cfg.root || optind != argc) {
		fprintf(stderr, "tftp-serve: --root DIR is required (see --help)\n");
		return 2;
	}
	cfg.port = (uint16_t)port;
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	lg = log_default_logger();
	base = event_base_new();
	if (!base)
		return 1;
	r = tftp_server_new(base, &cfg, &lg, NULL, &srv);
	if (r < 0) {
		event_base_free(base);
		return 1;
	}
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (!f || fprintf(f, "%u\n", tftp_server_port(srv)) < 0 || fclose(f) != 0) {
			fprintf(stderr, "tftp-serve: cannot write %s: %s\n", port_file,
				strerror(errno));
			tftp_server_free(srv);
			event_base_free(base);
			return 1;
		}
	}
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_base_dispatch(base);
	event_free(sigint);
	event_free(sigterm);
	tftp_server_free(srv);
	event_base_free(base);
	return 0;
}
