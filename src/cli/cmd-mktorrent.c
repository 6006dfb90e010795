/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder until the module behind 'mktorrent' lands; replaced wholesale. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_mktorrent(int argc, char **argv)
{
	fprintf(stderr, "boottorrent mktorrent: not built yet\n");
	return EXIT_FAIL;
}
