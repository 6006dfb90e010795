/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The boot server role behind `boottorrent start`: validates the
 * environment, builds out/, then runs every service in one libevent loop
 * until SIGINT or SIGTERM. SIGHUP re-reads the environment.
 */
#ifndef BT_SERVER_SERVER_H
#define BT_SERVER_SERVER_H

#include <stdbool.h>

#include "util/util.h"

struct server_opts {
	const char *env_dir;  /* the environment folder */
	const char *data_dir; /* phase 1 and bootloaders; NULL: server_data_dir() */
	bool build_only;      /* build out/ and exit */
};

/* Runs the server. Returns a process exit code: 0 after a clean stop, 1 when
 * the environment is invalid or a service cannot start (the reason is
 * logged or printed). */
int server_run(const struct server_opts *o);

#endif
