/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the standalone service drivers (tftp-serve, http-serve,
 * tracker-serve, status-serve) have in common, so each of their mains
 * only states what is its own:
 *  - serve_main(): all of a file-service driver (tftp-serve, http-serve)
 *    from a table of what is its own: its name, usage, numeric flags,
 *    where --root, --address and --port go, and how to start and stop its
 *    service; the common flags (--root, --address, --port, --port-file,
 *    --log-level, --help), their messages and exit statuses are here;
 *  - serve_port_file_write(): the --port-file a test reads to learn an
 *    ephemeral port (status-serve writes it too);
 *  - struct serve_loop: an event base that ignores SIGPIPE and ends on
 *    SIGINT or SIGTERM (tracker-serve and status-serve run their own
 *    services on it).
 *
 * Built as its own library (serve_main_dep in src/util/meson.build), not
 * into util_lib, so util itself stays free of libevent. Messages go to
 * stderr prefixed with the program's name; nothing here exits.
 */
#ifndef BT_UTIL_SERVE_MAIN_H
#define BT_UTIL_SERVE_MAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/log.h"
#include "util/util.h"

struct event;
struct event_base;

/* Writes "PORT\n" to path; a NULL path writes nothing. Returns 0, or
 * -errno after saying on stderr that the file cannot be written. */
int serve_port_file_write(const char *prog, const char *path, unsigned port) WUR;

enum serve_loop_flags {
	/* Raise the open-files limit to the hard limit (raise_fd_limit()). */
	SERVE_LOOP_FD_LIMIT = 1 << 0,
	/* Batch epoll changes per loop turn, as `boottorrent start` does. */
	SERVE_LOOP_CHANGELIST = 1 << 1,
};

/* An event base whose epoll changes are batched per loop turn
 * (EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST), for a loop that carries many
 * peer connections: a peer's write interest goes on and off as its output
 * fills and drains, an epoll_ctl call each without the batch. Safe as long
 * as no descriptor is dup()ed. `start` and the agent use it; NULL when out
 * of memory. */
struct event_base *serve_event_base_new(void);

/* A driver's event loop. base is for the driver's services. */
struct serve_loop {
	struct event_base *base;
	struct event *sigint, *sigterm;
};

/* Ignores SIGPIPE (a client closing its socket must not kill the
 * server), applies flags (enum serve_loop_flags), creates the event base
 * and has SIGINT and SIGTERM end serve_loop_run(), even when they come
 * before it runs. Returns 0, or -ENOMEM with nothing left to release. */
int serve_loop_init(struct serve_loop *l, unsigned flags) WUR;
/* Runs the loop until SIGINT, SIGTERM or event_base_loopbreak(). */
void serve_loop_run(struct serve_loop *l);
/* Frees the signal events and the base; free the services first. */
void serve_loop_release(struct serve_loop *l);

/* A numeric flag --NAME N (0 <= N <= max), stored in *out. */
struct serve_num_opt {
	const char *name; /* without the leading "--" */
	uint64_t max;
	unsigned *out;
};

#define SERVE_NUM_OPTS_MAX 16

/* A switch --NAME without a value: sets *out. */
struct serve_flag_opt {
	const char *name; /* without the leading "--" */
	bool *out;
};

#define SERVE_FLAG_OPTS_MAX 4

/* What is a file-service driver's own. */
struct serve_driver {
	const char *prog;  /* the name its messages start with */
	const char *usage; /* printed by --help */
	const struct serve_num_opt *nums;
	size_t n_nums; /* at most SERVE_NUM_OPTS_MAX */
	const struct serve_flag_opt *flags;
	size_t n_flags; /* at most SERVE_FLAG_OPTS_MAX */
	/* Where --root DIR (required), --address A and --port P (at most
	 * 65535) go; set the default port there first. */
	const char **root;
	const char **address;
	uint16_t *port;
	unsigned loop_flags; /* enum serve_loop_flags */
	/* Creates the service on base, logging to log (the default logger,
	 * valid until stop has returned); returns the port it listens on, or
	 * a negative errno. */
	int (*start)(void *ctx, struct event_base *base, const struct logger *log);
	/* Frees what start created. */
	void (*stop)(void *ctx);
	void *ctx;
};

/* A file-service driver's main: parses argv with getopt_long (the flags
 * above, also -r, -a, -p, -f, -h; --port-file F; --log-level L, set at
 * once; --help, which prints usage to stdout), then serve_loop_init(),
 * start, the --port-file, the loop until SIGINT or SIGTERM, and stop.
 * Returns the status to exit with: 0 (also after --help); 1 when the
 * service or the port file failed; 2 for a bad value, an unknown flag, an
 * extra argument or no --root (each said on stderr). */
int serve_main(const struct serve_driver *d, int argc, char **argv) WUR;

#endif
