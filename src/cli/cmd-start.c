/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `boottorrent start [DIR]`: the boot server. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/server.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: boottorrent start [OPTIONS] [DIR]\n"
		   "Serves the environment in DIR (default: the current folder): validates\n"
		   "it as 'check' does, builds DIR/out (torrents, bootloaders and their\n"
		   "configurations, the client bundle), then runs DHCP, TFTP, HTTP, the\n"
		   "tracker and the seeder in one process until SIGINT or SIGTERM.\n"
		   "SIGHUP re-reads the environment.\n\n"
		   "Options:\n"
		   "      --data DIR      where phase 1 (ph1/) and the bootloaders (loaders/)\n"
		   "                      were built (default: the program's folder when it\n"
		   "                      holds them, else /usr/lib/boottorrent)\n"
		   "      --build-only    build DIR/out and exit\n"
		   "      --log-file FILE append log lines to FILE instead of stderr\n"
		   "  -h, --help          show this help\n");
}

int cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"build-only", no_argument, NULL, 'b'},
		{"log-file", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct server_opts o = {.env_dir = "."};
	FILE *logf = NULL;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.data_dir = optarg; break;
		case 'b': o.build_only = true; break;
		case 'l':
			if (logf)
				fclose(logf);
			logf = fopen(optarg, "ae");
			if (!logf) {
				perror(optarg);
				return EXIT_FAIL;
			}
			break;
		case 'h': usage(stdout); return EXIT_OK;
		case ':': return cli_usage_error("start", "'%s' needs a value", argv[optind - 1]);
		default: return cli_usage_error("start", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("start", "one folder at most, got %d", argc - optind);
	if (argc - optind == 1)
		o.env_dir = argv[optind];
	if (logf) {
		setvbuf(logf, NULL, _IOLBF, 0);
		log_set_file(logf);
	}
	r = server_run(&o);
	if (logf) {
		log_set_file(NULL);
		fclose(logf);
	}
	return r;
}
