/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_version(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
			printf("Usage: boottorrent version\nPrints the program's version.\n");
			return EXIT_OK;
		}
		return cli_usage_error("version", "unexpected argument '%s'", argv[1]);
	}
	printf("boottorrent %s\n", BT_VERSION);
	return EXIT_OK;
}
