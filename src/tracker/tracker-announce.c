/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tracker-announce: a test driver for the announce client (not installed).
 * Announces one torrent to each URL given (one client per URL, so every
 * tracker named is asked, where one client would stop at the first that
 * answers, BEP 12), prints every report, and exits after the first
 * successful report of every tracker (or after a deadline).
 *
 *   tracker-announce [-e started|completed|none] [-p PORT] [-l LEFT]
 *                    [-i PEER_ID] [-t SECONDS] [-s] [-u MS] INFO_HASH_HEX URL...
 *
 * -s sends "stopped" after the first round and waits for it; -u sets the
 * first UDP retransmission time. Output lines:
 *   report URL EVENT ok seeders=N leechers=N interval=N peers=A:P,A:P
 *   report URL EVENT error CODE MESSAGE
 *   stopped
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "tracker/client.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

struct state {
	struct event_base *base;
	struct tracker_client *clients[TRACKER_CLIENT_URLS_MAX];
	size_t n_clients, n_stopped;
	size_t answered;
	size_t need;
	bool stop;
	int status;
};

static void on_report(void *ctx, const struct tracker_client_report *r)
{
	struct state *s = ctx;
	const char *ev = r->event == TRACKER_EVENT_NONE ? "none" : tracker_event_name(r->event);

	if (r->error) {
		printf("report %s %s error %d %s\n", r->url, ev, r->error,
		       *r->message ? r->message : tracker_strerror(r->error));
		return; /* the client retries; we wait for a success or the deadline */
	} else {
		printf("report %s %s ok seeders=%lld leechers=%lld interval=%u peers=", r->url, ev,
		       (long long)r->seeders, (long long)r->leechers, r->interval);
		for (size_t i = 0; i < r->n_peers; i++) {
			char a[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &r->peers[i].addr, a, sizeof(a));
			printf("%s%s:%u", i ? "," : "", a, r->peers[i].port);
		}
		printf("\n");
	}
	fflush(stdout);
	if (r->event == TRACKER_EVENT_STOPPED)
		return;
	if (++s->answered == s->need) {
		s->status = 0;
		if (s->stop)
			for (size_t i = 0; i < s->n_clients; i++)
				tracker_client_stop(s->clients[i], 3000);
		else
			event_base_loopexit(s->base, NULL);
	}
}

static void on_stopped(void *ctx)
{
	struct state *s = ctx;

	if (++s->n_stopped < s->n_clients)
		return;
	printf("stopped\n");
	fflush(stdout);
	event_base_loopexit(s->base, NULL);
}

static void usage(void)
{
	fprintf(stderr, "usage: tracker-announce [-e started|completed|none] [-p PORT] [-l LEFT] "
			"[-i PEER_ID] [-t SECONDS] [-s] [-u MS] INFO_HASH_HEX URL...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct tracker_client_config cfg = {.port = 6881};
	enum tracker_event ev = TRACKER_EVENT_STARTED;
	struct state s = {.status = 1};
	struct logger lg = log_default_logger();
	struct tracker_client_callbacks cb = {on_report, on_stopped, &s};
	uint64_t left = 1000, secs = 20, v;
	const char *peer_id = "-BT0001-000000000000";
	struct timeval deadline;
	int opt;

	while ((opt = getopt(argc, argv, "e:p:l:i:t:su:")) != -1) {
		switch (opt) {
		case 'e':
			if (strcmp(optarg, "started") == 0)
				ev = TRACKER_EVENT_STARTED;
			else if (strcmp(optarg, "completed") == 0)
				ev = TRACKER_EVENT_COMPLETED;
			else if (strcmp(optarg, "none") == 0)
				ev = TRACKER_EVENT_NONE;
			else
				usage();
			break;
		case 'p':
			if (parse_u64_str(optarg, 65535, &v) < 0 || v == 0)
				usage();
			cfg.port = (uint16_t)v;
			break;
		case 'l':
			if (parse_u64_str(optarg, TRACKER_BYTES_MAX, &left) < 0)
				usage();
			break;
		case 'i':
			if (strlen(optarg) != 20)
				usage();
			peer_id = optarg;
			break;
		case 't':
			if (parse_u64_str(optarg, 3600, &secs) < 0)
				usage();
			break;
		case 's': s.stop = true; break;
		case 'u':
			if (parse_u64_str(optarg, 60000, &v) < 0 || v == 0)
				usage();
			cfg.udp_timeout_ms = (uint32_t)v;
			break;
		default: usage();
		}
	}
	if (argc - optind < 2 || strlen(argv[optind]) != 40 ||
	    hex_decode(cfg.info_hash, argv[optind], 20) < 0)
		usage();
	memcpy(cfg.peer_id, peer_id, 20);
	cfg.n_urls = 1;
	cfg.retry_min_ms = 500;
	cfg.retry_max_ms = 2000;
	cfg.http_timeout_ms = 5000;
	s.base = event_base_new();
	for (int i = optind + 1; i < argc && s.n_clients < ARRAY_SIZE(s.clients); i++) {
		struct tracker_client *c;
		cfg.urls = (const char *const *)argv + i;
		c = tracker_client_new(s.base, &cfg, &lg, &cb);
		if (c)
			s.clients[s.n_clients++] = c;
	}
	if (s.n_clients == 0) {
		fprintf(stderr, "tracker-announce: no usable tracker URL\n");
		return 2;
	}
	s.need = s.n_clients;
	for (size_t i = 0; i < s.n_clients; i++) {
		tracker_client_set_stats(s.clients[i], 0, 0, left);
		tracker_client_announce_now(s.clients[i], ev);
	}
	deadline.tv_sec = (time_t)secs;
	deadline.tv_usec = 0;
	event_base_loopexit(s.base, &deadline);
	event_base_dispatch(s.base);
	for (size_t i = 0; i < s.n_clients; i++)
		tracker_client_free(s.clients[i]);
	event_base_free(s.base);
	return s.status;
}
