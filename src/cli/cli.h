/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The subcommands of `boottorrent`. Each takes the arguments after its own
 * name (argv[0] is the subcommand name) and returns the process exit code:
 * 0 success, 1 failure of the work, 2 a usage error.
 */
#ifndef BT_CLI_CLI_H
#define BT_CLI_CLI_H

#include "util/util.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* All subcommands, NULL-terminated by a zero entry. */
extern const struct cli_command cli_commands[];

int cmd_init(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_mktorrent(int argc, char **argv);
int cmd_torrent_info(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_ssh(int argc, char **argv);

/* Prints "boottorrent CMD: MESSAGE" and a pointer to --help on stderr and
 * returns EXIT_USAGE, for `return cli_usage_error(...)`. */
int cli_usage_error(const char *cmd, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Runs the top-level program: dispatches argv[1]. */
int cli_main(int argc, char **argv);

#endif
