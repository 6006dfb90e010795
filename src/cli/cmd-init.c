/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `boottorrent init NAME`: makes a new environment folder. */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/env.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: boottorrent init [OPTIONS] NAME\n"
		   "Makes the folder NAME, a new environment: a commented Boottorrent.yaml\n"
		   "(format version 1) and oss/, where each OS gets a folder (see oss/README).\n"
		   "An existing NAME is never touched.\n\n"
		   "Options:\n"
		   "  -i, --interface IF   the network card facing the clients (default: the\n"
		   "                       first one that is up with an IPv4 address, or eth0)\n"
		   "  -h, --help           show this help\n");
}

/* The environment's SSH key: the bundle carries its public half, so phase
 * 1's dropbear lets in only whoever holds NAME/ssh/id_ed25519 (the original
 * opened a web panel to anyone). Without ssh-keygen, init goes on and says
 * how to add a key later. */
static void make_ssh_key(const char *env)
{
	char dir[4096], key[4200], comment[4200];
	char *argv[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key, NULL};
	pid_t pid;
	int status;

	snprintf(dir, sizeof(dir), "%s/ssh", env);
	snprintf(key, sizeof(key), "%s/id_ed25519", dir);
	snprintf(comment, sizeof(comment), "boottorrent %s", env);
	if (mkdir(dir, 0700) < 0 ||
	    posix_spawnp(&pid, "ssh-keygen", NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "boottorrent init: no SSH key made (is ssh-keygen installed?); to "
				"debug clients over SSH later, put a key pair in %s/ssh/id_ed25519\n",
			env);
		return;
	}
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"interface", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *interface = NULL, *name;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': interface = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case ':':
		case '?':
		default:
			if (optopt == 'i')
				return cli_usage_error("init", "--interface needs a name");
			return cli_usage_error("init", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("init", argc == optind ? "missing NAME" : "one NAME only");
	name = argv[optind];
	if (!*name)
		return cli_usage_error("init", "NAME is empty");
	r = bt_env_create(name, interface);
	if (r == -EEXIST) {
		fprintf(stderr,
			"boottorrent init: '%s' already exists; nothing was changed "
			"(choose a new name)\n",
			name);
		return EXIT_FAIL;
	}
	if (r == -EINVAL)
		return cli_usage_error("init", "'%s' is not a usable interface name",
				       interface ? interface : "?");
	if (r < 0) {
		fprintf(stderr, "boottorrent init: cannot create '%s': %s\n", name, strerror(-r));
		return EXIT_FAIL;
	}
	make_ssh_key(name);
	printf("Created the environment '%s'. Next: put each OS in a folder under %s/oss/\n"
	       "(see %s/oss/README), review %s/Boottorrent.yaml, then run\n"
	       "'boottorrent check %s'.\n",
	       name, name, name, name, name);
	return EXIT_OK;
}
