/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

const struct cli_command cli_commands[] = {
	{"init", cmd_init, "create a new environment folder"},
	{"check", cmd_check, "validate an environment"},
	{"start", cmd_start, "run the boot server for an environment"},
	{"status", cmd_status, "show the machines a running server sees"},
	{"mktorrent", cmd_mktorrent, "make a .torrent from a file or folder"},
	{"torrent-info", cmd_torrent_info, "show what a .torrent holds"},
	{"get", cmd_get, "download a torrent, verifying every piece"},
	{"seed", cmd_seed, "seed a torrent until interrupted"},
	{"agent", cmd_agent, "phase 1: menu, download into RAM, seed, boot"},
	{"ssh", cmd_ssh, "open an SSH session to a client in phase 1"},
	{"version", cmd_version, "print the version"},
	{NULL, NULL, NULL},
};

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "boottorrent %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'boottorrent %s --help'.\n", cmd);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: boottorrent COMMAND [ARGS]...\n"
		   "Network-boot a room of machines, sharing the OS images over BitTorrent.\n\n"
		   "Commands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->summary);
	fprintf(f, "\n'boottorrent COMMAND --help' describes each command.\n");
}

int cli_main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(name, "--version") == 0)
		return cmd_version(1, argv + 1);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "boottorrent: unknown command '%s'\n"
			"Try 'boottorrent --help'.\n", name);
	return EXIT_USAGE;
}
