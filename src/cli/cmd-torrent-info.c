/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placeholder until the module behind 'torrent-info' lands; replaced wholesale. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_torrent_info(int argc, char **argv)
{
	fprintf(stderr, "boottorrent torrent-info: not built yet\n");
	return EXIT_FAIL;
}
