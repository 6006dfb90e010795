/* SPDX-License-Identifier: GPL-3.0-or-later */
/* boottorrent: only dispatches to the subcommands in cli/. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
