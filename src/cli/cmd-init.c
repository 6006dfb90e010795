/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder until the module behind 'init' lands; replaced wholesale. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_init(int argc, char **argv)
{
	fprintf(stderr, "boottorrent init: not built yet\n");
	return EXIT_FAIL;
}
