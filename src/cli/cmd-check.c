/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder until the module behind 'check' lands; replaced wholesale. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_check(int argc, char **argv)
{
	fprintf(stderr, "boottorrent check: not built yet\n");
	return EXIT_FAIL;
}
