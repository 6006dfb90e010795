/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `boottorrent check [DIR]`: validates an environment the way `nginx -t`
 * validates a configuration. Every problem is printed as
 * FILE:LINE:COLUMN: error|warning: what — how to fix, all of them in one
 * run; a valid environment prints only a one-line summary.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/env.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: boottorrent check [OPTIONS] [DIR]\n"
		   "Validates the environment in DIR (default: the current folder):\n"
		   "Boottorrent.yaml (version 0 or 1) and every OS under oss/.\n"
		   "Prints each problem as FILE:LINE:COLUMN: error: what - how to fix,\n"
		   "or one summary line when there is none.\n\n"
		   "Options:\n"
		   "  -q, --quiet      print nothing when the environment is valid\n"
		   "      --no-files   check the configuration only, not the OS files\n"
		   "  -h, --help       show this help\n\n"
		   "Exit status: 0 valid (warnings allowed), 1 errors found, 2 usage error.\n");
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"no-files", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct config_sys sys = {.iface_lookup = config_iface_lookup_system};
	struct diag_list dl;
	struct bt_env *env = NULL;
	const char *dir = ".";
	bool quiet = false;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'F': sys.skip_files = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("check", "one folder at most, got %d", argc - optind);
	if (argc - optind == 1)
		dir = argv[optind];

	diag_list_init(&dl);
	r = bt_env_load(dir, &dl, &env);
	if (r >= 0 && env && env->version >= 0 && bt_env_check(env, &sys, &dl) != 0)
		r = CONFIG_E_INVALID;
	diag_list_sort(&dl);
	diag_list_print(&dl, stderr);
	if (r < 0) {
		fprintf(stderr, "boottorrent check: %s\n", strerror(-r));
		r = EXIT_FAIL;
	} else if (dl.n_errors > 0) {
		fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", dir, dl.n_errors,
			dl.n_errors == 1 ? "" : "s", dl.n_warnings, dl.n_warnings == 1 ? "" : "s");
		r = EXIT_FAIL;
	} else {
		char summary[512];
		bt_env_summary(env, summary, sizeof(summary));
		if (!quiet)
			printf("ok: %s\n", summary);
		r = EXIT_OK;
	}
	bt_env_free(env);
	diag_list_release(&dl);
	return r;
}
