/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `boottorrent seed`: the same runner as `get` (cmd-get.c), seeding only. */
#include <stdbool.h>

#include "cli/cli.h"

/* Defined in cmd-get.c. */
int cli_bt_run(int argc, char **argv, bool seed);

int cmd_seed(int argc, char **argv)
{
	return cli_bt_run(argc, argv, true);
}
