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
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http/server.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

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

static int num(const char *opt, const char *s, uint64_t max, unsigned *out)
{
	uint64_t v;

	if (parse_u64_str(s, max, &v) < 0) {
		fprintf(stderr, "http-serve: %s: '%s' is not a number up to %llu\n", opt, s,
			(unsigned long long)max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'r'},
		{"address", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},
		{"port-file", required_argument, NULL, 'f'},
		{"max-connections", required_argument, NULL, 'm'},
		{"idle-timeout", required_argument, NULL, 't'},
		{"log-level", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct http_config cfg = {.port = 80};
	const char *port_file = NULL;
	struct event_base *base;
	struct event *sigint, *sigterm;
	struct http_server *srv;
	struct logger lg;
	unsigned port = 80;
	int c, r;

	while ((c = getopt_long(argc, argv, "r:a:p:f:h", longopts, NULL)) != -1) {
		enum log_level lvl;
		int bad = 0;

		switch (c) {
		case 'r': cfg.root = optarg; break;
		case 'a': cfg.address = optarg; break;
		case 'p': bad = num("--port", optarg, 65535, &port); break;
		case 'f': port_file = optarg; break;
		case 'm':
			bad = num("--max-connections", optarg, 100000, &cfg.max_connections);
			break;
		case 't': bad = num("--idle-timeout", optarg, 3600, &cfg.idle_timeout_s); break;
		case 'l':
			if (log_level_parse(optarg, &lvl) < 0) {
				fprintf(stderr, "http-serve: bad log level '%s'\n", optarg);
				return 2;
			}
			log_set_level(lvl);
			break;
		case 'h':
			printf("usage: http-serve --root DIR [--address A] [--port P] "
			       "[--port-file F]\n"
			       "  [--max-connections N] [--idle-timeout S] [--log-level L]\n");
			return 0;
		default: return 2;
		}
		if (bad)
			return 2;
	}
	if (!cfg.root || optind != argc) {
		fprintf(stderr, "http-serve: --root DIR is required (see --help)\n");
		return 2;
	}
	cfg.port = (uint16_t)port;
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	lg = log_default_logger();
	base = event_base_new();
	if (!base)
		return 1;
	r = http_server_new(base, &cfg, &lg, NULL, &srv);
	if (r < 0) {
		event_base_free(base);
		return 1;
	}
	if (http_server_route(srv, "/_ping", on_ping, NULL) < 0) {
		http_server_free(srv);
		event_base_free(base);
		return 1;
	}
	if (port_file) {
		FILE *f = fopen(port_file, "w");
		if (!f || fprintf(f, "%u\n", http_server_port(srv)) < 0 || fclose(f) != 0) {
			fprintf(stderr, "http-serve: cannot write %s: %s\n", port_file,
				strerror(errno));
			http_server_free(srv);
			event_base_free(base);
			return 1;
		}
	}
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_base_dispatch(base);
	event_free(sigint);
	event_free(sigterm);
	http_server_free(srv);
	event_base_free(base);
	return 0;
}
