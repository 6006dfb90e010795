/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tracker-serve: runs the tracker server alone (a test driver until
 * `boottorrent start` exists; not installed).
 *
 *   tracker-serve [-a ADDRESS] [-p PORT] [-i INTERVAL] [-q] -w WHITELIST
 *
 * Serves HTTP (/announce, /scrape) on TCP PORT and BEP 15 on UDP PORT of
 * ADDRESS (default 127.0.0.1:6969). WHITELIST has one hex info-hash per
 * line (like opentracker's -w). Prints "listening ADDRESS PORT" when ready.
 * SIGUSR1 prints the peer table ("peer HASH ADDR:PORT left=N up=N down=N
 * event=E idle=MS"); SIGINT/SIGTERM exit. -q logs warnings only.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>

#include "tracker/server.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/serve-main.h"
#include "util/util.h"

static void usage(void)
{
	fprintf(stderr, "usage: tracker-serve [-a ADDRESS] [-p PORT] [-i INTERVAL] [-q] "
			"-w WHITELIST\n");
	exit(2);
}

static int load_whitelist(struct tracker_server *srv, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int n = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		uint8_t hash[20];
		size_t len = strcspn(line, "\r\n");
		if (len == 0 || line[0] == '#')
			continue;
		if (len != 40 || hex_decode(hash, line, 20) < 0) {
			fprintf(stderr, "%s: not a hex info-hash: %.*s\n", path, (int)len, line);
			fclose(f);
			return -1;
		}
		if (tracker_server_add_torrent(srv, hash) == 0)
			n++;
	}
	fclose(f);
	return n;
}

static void print_peer(void *ctx, const struct tracker_peer_info *p)
{
	char hash[41], addr[INET_ADDRSTRLEN];

	hex_encode(hash, p->info_hash, 20);
	inet_ntop(AF_INET, &p->addr.addr, addr, sizeof(addr));
	printf("peer %s %s:%u left=%llu up=%llu down=%llu event=%s idle=%llu\n", hash, addr,
	       p->addr.port, (unsigned long long)p->left, (unsigned long long)p->uploaded,
	       (unsigned long long)p->downloaded,
	       p->last_event ? tracker_event_name(p->last_event) : "none",
	       (unsigned long long)p->idle_ms);
}

static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	tracker_server_foreach_peer(arg, NULL, print_peer, NULL);
	printf("end\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *address = "127.0.0.1", *whitelist = NULL;
	struct tracker_server_config cfg = {0};
	struct logger lg = log_default_logger();
	uint64_t port = 6969, v;
	struct serve_loop loop;
	struct event_base *base;
	struct evhttp *http;
	struct tracker_server *srv;
	struct event *ev_usr1;
	int opt, n, r;

	while ((opt = getopt(argc, argv, "a:p:i:w:q")) != -1) {
		switch (opt) {
		case 'a': address = optarg; break;
		case 'p':
			if (parse_u64_str(optarg, 65535, &port) < 0)
				usage();
			break;
		case 'i':
			if (parse_u64_str(optarg, 86400, &v) < 0 || v == 0)
				usage();
			cfg.interval_s = (uint32_t)v;
			break;
		case 'w': whitelist = optarg; break;
		case 'q': log_set_level(LOG_WARN); break;
		default: usage();
		}
	}
	if (!whitelist || optind != argc)
		usage();
	/* As `start` does: epoll changes batched per loop turn. */
	if (serve_loop_init(&loop, SERVE_LOOP_CHANGELIST) < 0)
		return 1;
	base = loop.base;
	srv = tracker_server_new(base, &cfg, &lg, NULL);
	n = load_whitelist(srv, whitelist);
	if (n < 0)
		return 1;
	http = evhttp_new(base);
	if (evhttp_bind_socket(http, address, (uint16_t)port) != 0) {
		fprintf(stderr, "tracker-serve: cannot listen on %s:%llu (tcp)\n", address,
			(unsigned long long)port);
		return 1;
	}
	/* Bounds on what one HTTP client may send us. */
	evhttp_set_max_headers_size(http, 16 * 1024);
	evhttp_set_max_body_size(http, 4096);
	evhttp_set_timeout(http, 10);
	if (tracker_server_attach_http(srv, http) < 0)
		return 1;
	r = tracker_server_listen_udp(srv, address, (uint16_t)port);
	if (r < 0) {
		fprintf(stderr, "tracker-serve: cannot listen on %s:%llu (udp): %s\n", address,
			(unsigned long long)port, strerror(-r));
		return 1;
	}
	ev_usr1 = evsignal_new(base, SIGUSR1, on_usr1, srv);
	event_add(ev_usr1, NULL);
	logger_log(&lg, LOG_INFO, "TRACKER", "serving %d torrents on %s:%llu", n, address,
		   (unsigned long long)port);
	printf("listening %s %llu\n", address, (unsigned long long)port);
	fflush(stdout);
	serve_loop_run(&loop);
	event_free(ev_usr1);
	evhttp_free(http);
	tracker_server_free(srv);
	serve_loop_release(&loop);
	return 0;
}
