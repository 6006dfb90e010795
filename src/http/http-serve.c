/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * http-serve: a small driver that runs the HTTP file service alone, for
 * tests and benchmarks until `boottorrent start` assembles the services.
 *
 *   http-serve --root DIR [--address A] [--port P] [--port-file F]
 *              [--max-connections N] [--idle-timeout S] [--log-level L]
 *
 * With --port 0 an ephemeral port is chosen and written to --port-file.
 * A route /_ping answers "pong", to show routes beside the files.
 * Exits 0 on SIGINT or SIGTERM.
 */
#include <stdio.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "http/server.h"
#include "util/log.h"
#include "util/serve-main.h"
#include "util/util.h"

static void on_ping(struct evhttp_request *req, const char *rest, void *ctx)
{
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add_printf(b, "pong\n");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* The service and its configuration. */
struct http_main {
	struct http_config cfg;
	struct http_server *srv;
};

/* The file service with a route beside it. */
static int http_main_start(void *ctx, struct event_base *base, const struct logger *log)
{
	struct http_main *m = ctx;

	if (http_server_new(base, &m->cfg, log, NULL, &m->srv) < 0 ||
	    http_server_route(m->srv, "/_ping", on_ping, NULL) < 0) {
		http_server_free(m->srv);
		return -1;
	}
	return http_server_port(m->srv);
}

static void http_main_stop(void *ctx)
{
	struct http_main *m = ctx;

	http_server_free(m->srv);
}

int main(int argc, char **argv)
{
	struct http_main m = {.cfg = {.port = 80}};
	const struct serve_num_opt nums[] = {
		{"max-connections", 100000, &m.cfg.max_connections},
		{"idle-timeout", 3600, &m.cfg.idle_timeout_s},
	};
	const struct serve_driver d = {
		.prog = "http-serve",
		.usage = "usage: http-serve --root DIR [--address A] [--port P] "
			 "[--port-file F]\n"
			 "  [--max-connections N] [--idle-timeout S] [--log-level L]\n",
		.nums = nums,
		.n_nums = ARRAY_SIZE(nums),
		.root = &m.cfg.root,
		.address = &m.cfg.address,
		.port = &m.cfg.port,
		.loop_flags = SERVE_LOOP_FD_LIMIT,
		.start = http_main_start,
		.stop = http_main_stop,
		.ctx = &m,
	};

	return serve_main(&d, argc, argv);
}
