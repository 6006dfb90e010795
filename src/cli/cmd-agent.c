/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `boottorrent agent`: what phase 1 runs on every client's console. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: boottorrent agent [OPTIONS]\n"
		   "Phase 1's agent: choose an OS (menu, host assignment or bt.os=), download it\n"
		   "into RAM over BitTorrent, seed it for a while, then boot it.\n\n"
		   "  --bundle DIR      the client bundle (default $BT_BUNDLE, else\n"
		   "                    /etc/boottorrent/bundle)\n"
		   "  --dir DIR         where images go, a tmpfs (default $BT_DATA, else\n"
		   "                    /run/boottorrent)\n"
		   "  --os NAME         boot this OS without a menu\n"
		   "  --no-menu         boot the default OS without a menu\n"
		   "  --no-boot         stop after downloading and seeding (benchmarks, tests)\n"
		   "  --server IP       the BootTorrent server (default bt.server= on the kernel\n"
		   "                    command line, else $BT_SERVER)\n"
		   "  --http-port P     the server's HTTP port for reports (default bt.http=)\n"
		   "  --port P          our BitTorrent port (default 6881, 0 = any)\n"
		   "  --seed-time S     seconds to seed before booting (default boot.seed_time)\n"
		   "  --seed-full       seed all of the seed time, even when nobody needs pieces\n"
		   "  --no-kvm          run QEMU without KVM (also bt.nokvm on the command line)\n"
		   "  --plain           plain progress lines instead of the full-screen view\n"
		   "                    (automatic when stdout is not a terminal)\n"
		   "  --console DEV     also show the screens on terminal DEV and take keys\n"
		   "                    from it (repeatable; default: $BT_CONSOLES)\n"
		   "  --cmdline FILE    read FILE instead of /proc/cmdline (tests)\n"
		   "  -v, --verbose     debug logging\n"
		   "  -h, --help        this help\n");
}

int cmd_agent(int argc, char **argv)
{
	enum {
		O_BUNDLE = 256,
		O_DIR,
		O_OS,
		O_NO_BOOT,
		O_NO_MENU,
		O_SERVER,
		O_HTTP_PORT,
		O_PLAIN,
		O_PORT,
		O_SEED_TIME,
		O_SEED_FULL,
		O_NO_KVM,
		O_CMDLINE,
		O_CONSOLE
	};
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, O_BUNDLE},
		{"dir", required_argument, NULL, O_DIR},
		{"os", required_argument, NULL, O_OS},
		{"no-boot", no_argument, NULL, O_NO_BOOT},
		{"no-menu", no_argument, NULL, O_NO_MENU},
		{"server", required_argument, NULL, O_SERVER},
		{"http-port", required_argument, NULL, O_HTTP_PORT},
		{"plain", no_argument, NULL, O_PLAIN},
		{"port", required_argument, NULL, O_PORT},
		{"seed-time", required_argument, NULL, O_SEED_TIME},
		{"seed-full", no_argument, NULL, O_SEED_FULL},
		{"no-kvm", no_argument, NULL, O_NO_KVM},
		{"cmdline", required_argument, NULL, O_CMDLINE},
		{"console", required_argument, NULL, O_CONSOLE},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct agent_opts o = {.port = 6881};
	uint64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_BUNDLE: o.bundle = optarg; break;
		case O_DIR: o.dir = optarg; break;
		case O_OS: o.os = optarg; break;
		case O_NO_BOOT: o.no_boot = true; break;
		case O_NO_MENU: o.no_menu = true; break;
		case O_SERVER:
			if (inet_pton(AF_INET, optarg, &o.server) != 1)
				return cli_usage_error("agent", "bad --server '%s' (want IPv4)",
						       optarg);
			o.has_server = true;
			break;
		case O_HTTP_PORT:
			if (parse_u64_str(optarg, 65535, &v) != 0 || v == 0)
				return cli_usage_error("agent", "bad --http-port '%s'", optarg);
			o.http_port = (uint16_t)v;
			break;
		case O_PORT:
			if (parse_u64_str(optarg, 65535, &v) != 0)
				return cli_usage_error("agent", "bad --port '%s'", optarg);
			o.port = (uint16_t)v;
			break;
		case O_SEED_TIME:
			if (parse_u64_str(optarg, 7 * 86400, &v) != 0)
				return cli_usage_error("agent", "bad --seed-time '%s'", optarg);
			o.seed_time = (uint32_t)v;
			o.has_seed_time = true;
			break;
		case O_SEED_FULL: o.seed_full = true; break;
		case O_PLAIN: o.plain = true; break;
		case O_NO_KVM: o.nokvm = true; break;
		case O_CMDLINE: o.cmdline = optarg; break;
		case O_CONSOLE:
			if (o.n_consoles >= AGENT_MAX_CONSOLES)
				return cli_usage_error("agent", "at most %d --console",
						       AGENT_MAX_CONSOLES);
			if (optarg[0] != '/')
				return cli_usage_error("agent",
						       "--console wants a device path, "
						       "not '%s'",
						       optarg);
			o.consoles[o.n_consoles++] = optarg;
			break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_usage_error("agent", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("agent", "unexpected argument '%s'", argv[optind]);
	return agent_run(&o) == 0 ? EXIT_OK : EXIT_FAIL;
}
