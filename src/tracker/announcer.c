/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "tracker/announcer.h"
#include "util/util.h"

struct tracker_announcer {
	struct tracker_client *client;
	struct bt_swarm *swarm;
	struct tracker_announcer_callbacks cb;
};

size_t tracker_announcer_urls(const struct metainfo *mi, const char *url, const char **urls,
			      size_t max)
{
	size_t n = 0;

	if (url) {
		if (max > 0)
			urls[n++] = url;
		return n;
	}
	for (size_t t = 0; t < mi->tier_count; t++)
		for (size_t u = 0; u < mi->tiers[t].count && n < max; u++)
			urls[n++] = mi->tiers[t].urls[u];
	return n;
}

static void on_report(void *ctx, const struct tracker_client_report *rep)
{
	struct tracker_announcer *a = ctx;

	if (a->cb.on_report)
		a->cb.on_report(a->cb.ctx, rep);
	if (rep->error)
		return;
	for (size_t i = 0; i < rep->n_peers; i++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};

		sin.sin_addr = rep->peers[i].addr;
		sin.sin_port = htons(rep->peers[i].port);
		/* A peer the swarm will not take (ourselves, one it knows,
		 * one past its cap) is no error of the tracker's. */
		(void)bt_swarm_add_peer(a->swarm, (const struct sockaddr *)&sin, sizeof(sin));
	}
}

static void on_stopped(void *ctx)
{
	struct tracker_announcer *a = ctx;

	/* The caller may free the announcer here: touch nothing after. */
	if (a->cb.on_stopped)
		a->cb.on_stopped(a->cb.ctx);
}

struct tracker_announcer *tracker_announcer_new(struct event_base *base,
						const struct tracker_announcer_config *cfg,
						const struct logger *log,
						const struct tracker_announcer_callbacks *cb)
{
	const char *urls[TRACKER_CLIENT_URLS_MAX];
	struct tracker_client_config tc = {0};
	struct tracker_announcer *a;
	struct tracker_client_callbacks ccb;
	size_t n = tracker_announcer_urls(cfg->mi, cfg->url, urls, ARRAY_SIZE(urls));

	if (n == 0)
		return NULL;
	memcpy(tc.info_hash, cfg->mi->info_hash, 20);
	memcpy(tc.peer_id, bt_session_peer_id(cfg->session), 20);
	tc.port = bt_session_port(cfg->session);
	tc.urls = urls;
	tc.n_urls = n;
	/* A LAN answers fast: retry sooner than BEP 15's 15 s, and back off
	 * to at most 30 s so a tracker that comes back is found soon. */
	tc.udp_timeout_ms = 2000;
	tc.udp_max_tries = cfg->udp_max_tries;
	tc.retry_min_ms = 2000;
	tc.retry_max_ms = 30000;
	tc.interval_min_s = cfg->interval_min_s;
	tc.interval_max_s = cfg->interval_max_s;
	tc.ask_min_ms = cfg->ask_min_ms;
	a = xcalloc(1, sizeof(*a));
	a->swarm = cfg->swarm;
	if (cb)
		a->cb = *cb;
	ccb = (struct tracker_client_callbacks){
		.on_report = on_report, .on_stopped = on_stopped, .ctx = a};
	a->client = tracker_client_new(base, &tc, log, &ccb);
	if (!a->client) {
		free(a);
		return NULL;
	}
	tracker_announcer_push_stats(a);
	tracker_client_announce_now(a->client, TRACKER_EVENT_STARTED);
	return a;
}

void tracker_announcer_free(struct tracker_announcer *a)
{
	if (!a)
		return;
	tracker_client_free(a->client);
	free(a);
}

void tracker_announcer_push_stats(struct tracker_announcer *a)
{
	struct bt_swarm_stats st;

	if (!a)
		return;
	bt_swarm_get_stats(a->swarm, &st);
	tracker_client_set_stats(a->client, st.uploaded, st.downloaded,
				 st.total_bytes - st.have_bytes);
}

void tracker_announcer_announce(struct tracker_announcer *a, enum tracker_event ev)
{
	if (a)
		tracker_client_announce_now(a->client, ev);
}

void tracker_announcer_stop(struct tracker_announcer *a, uint32_t timeout_ms)
{
	tracker_announcer_push_stats(a);
	tracker_client_stop(a->client, timeout_ms);
}

size_t tracker_announcer_count(const struct tracker_announcer *a)
{
	return a ? tracker_client_count(a->client) : 0;
}
