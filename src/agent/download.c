/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/download.h"
#include "agent/seed.h"
#include "agent/progress.h"
#include "tracker/announcer.h"
#include "util/util.h"

/* Addresses looked at for the byte split (the engine keeps at most 1000). */
#define AGENT_DL_MAX_ADDRS 1024

struct agent_dl {
	struct event_base *base;
	struct agent_dl_config cfg;
	struct metainfo mi;
	bool have_mi;
	struct bt_session *session;
	struct bt_swarm *swarm;
	struct tracker_announcer *tracker;
	char server_addr[INET_ADDRSTRLEN];
	uint32_t server_conns; /* connections to the server's address */
	bool complete;
	int64_t complete_ms;
	int64_t leechers, seeders;
	int64_t answer_ms; /* the tracker's last answer, or when we completed */
	bool tracker_ever_ok;
	int tracker_error;
	char tracker_msg[160];
	bool stopped;
};

static void noop_cb(evutil_socket_t fd, short what, void *ctx)
{
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_complete(void *ctx)
{
	struct agent_dl *dl = ctx;

	if (dl->complete)
		return;
	dl->complete = true;
	dl->complete_ms = mono_ms();
	/* Counts from before we completed include us as a leecher. */
	dl->leechers = -1;
	dl->answer_ms = dl->complete_ms;
	tracker_announcer_push_stats(dl->tracker);
	tracker_announcer_announce(dl->tracker, TRACKER_EVENT_COMPLETED);
}

/* "a.b.c.d:port" belongs to the server when its address is the server's. */
static bool is_server(const struct agent_dl *dl, const char *addr)
{
	size_t n = strlen(dl->server_addr);

	return dl->cfg.has_server && strncmp(addr, dl->server_addr, n) == 0 && addr[n] == ':';
}

static void on_peer(void *ctx, const char *addr, bool connected)
{
	struct agent_dl *dl = ctx;

	if (!is_server(dl, addr))
		return;
	if (connected)
		dl->server_conns++;
	else if (dl->server_conns > 0)
		dl->server_conns--;
}

/* What the screen and the seed policy need from a tracker's answer; the
 * announcer then gives its peers to the swarm. */
static void on_report(void *ctx, const struct tracker_client_report *rep)
{
	struct agent_dl *dl = ctx;

	dl->tracker_error = rep->error;
	if (rep->error) {
		snprintf(dl->tracker_msg, sizeof(dl->tracker_msg), "%s: %s%s%s", rep->url,
			 rep->error < 0 ? strerror(-rep->error) : "refused",
			 rep->message[0] ? ": " : "", rep->message);
		return;
	}
	dl->tracker_ever_ok = true;
	dl->tracker_msg[0] = 0;
	dl->answer_ms = mono_ms();
	dl->seeders = rep->seeders;
	/* An answer to an announce sent before we completed counts us as a
	 * leecher, which only delays an early stop: never a false zero. */
	if (dl->complete)
		dl->leechers = rep->leechers;
	if (dl->complete && rep->leechers == 0 && dl->cfg.on_nobody_needs)
		dl->cfg.on_nobody_needs(dl->cfg.ctx);
}

static void on_stopped(void *ctx)
{
	struct agent_dl *dl = ctx;

	dl->stopped = true;
}

static void start_tracker(struct agent_dl *dl)
{
	const struct tracker_announcer_config tc = {
		.mi = &dl->mi,
		.session = dl->session,
		.swarm = dl->swarm,
		.udp_max_tries = 3,
		/* The floor under the tracker's min interval: low, so a seeding
		 * agent can ask whether anyone still needs pieces (seed.h). */
		.interval_min_s = 1,
		.interval_max_s = 60,
		.ask_min_ms = AGENT_SEED_ASK_NEWS_MS,
	};
	const struct tracker_announcer_callbacks cb = {
		.on_report = on_report, .on_stopped = on_stopped, .ctx = dl};

	dl->tracker = tracker_announcer_new(dl->base, &tc, dl->cfg.log, &cb);
}

int agent_dl_new(struct event_base *base, const struct agent_dl_config *cfg, struct agent_dl **out,
		 char *err, size_t errlen)
{
	struct agent_dl *dl = xcalloc(1, sizeof(*dl));
	struct bt_session_config scfg = {.port = cfg->listen_port, .lpd = cfg->lpd};
	struct bt_swarm_config wcfg = {.no_pex = cfg->no_pex};
	struct bt_swarm_callbacks cb = {
		.complete = on_complete, .peer_connected = on_peer, .ctx = dl};
	int r;

	*out = NULL;
	dl->base = base;
	dl->cfg = *cfg;
	dl->leechers = dl->seeders = -1;
	if (cfg->has_server)
		inet_ntop(AF_INET, &cfg->server, dl->server_addr, sizeof(dl->server_addr));
	r = metainfo_load(&dl->mi, cfg->torrent, err, errlen);
	if (r)
		goto fail;
	dl->have_mi = true;
	if (mkdir(cfg->dir, 0755) != 0 && errno != EEXIST) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", cfg->dir, strerror(errno));
		goto fail;
	}
	dl->session = bt_session_new(base, &scfg, cfg->log, &r);
	if (!dl->session) {
		snprintf(err, errlen, "cannot listen on port %u: %s", cfg->listen_port,
			 strerror(-r));
		goto fail;
	}
	r = bt_swarm_new(dl->session, &dl->mi, cfg->dir, false, &wcfg, &cb, &dl->swarm);
	if (r) {
		snprintf(err, errlen, "%s: %s", cfg->dir, strerror(-r));
		goto fail;
	}
	if (cfg->has_server && cfg->swarm_port) {
		char hp[INET_ADDRSTRLEN + 8];

		/* As a static peer: the engine retries it every few seconds
		 * for as long as it does not answer, where a tracker's peer
		 * backs off to minutes. */
		snprintf(hp, sizeof(hp), "%s:%u", dl->server_addr, cfg->swarm_port);
		if (bt_swarm_add_peer_str(dl->swarm, hp) != 0)
			logger_log(cfg->log, LOG_WARN, "AGENT", "cannot add the server %s", hp);
	}
	if (!cfg->no_tracker)
		start_tracker(dl);
	/* The data may have been complete already (a restart of the agent). */
	if (bt_swarm_complete(dl->swarm))
		on_complete(dl);
	*out = dl;
	return 0;
fail:
	agent_dl_free(dl);
	return r ? r : -EINVAL;
}

void agent_dl_free(struct agent_dl *dl)
{
	if (!dl)
		return;
	tracker_announcer_free(dl->tracker);
	bt_swarm_free(dl->swarm);
	bt_session_free(dl->session);
	if (dl->have_mi)
		metainfo_release(&dl->mi);
	free(dl);
}

void agent_dl_stop(struct agent_dl *dl, uint32_t timeout_ms)
{
	int64_t end;

	if (!dl)
		return;
	if (dl->tracker) {
		tracker_announcer_stop(dl->tracker, timeout_ms);
		end = mono_ms() + timeout_ms + 200;
		while (!dl->stopped && mono_ms() < end) {
			/* A timer of our own bounds each round; event_base_loopexit()
			 * would stay armed and end the caller's next loop early. */
			struct timeval tv = {0, 50000};
			struct event *wake = evtimer_new(dl->base, noop_cb, NULL);

			if (!wake)
				break;
			evtimer_add(wake, &tv);
			event_base_loop(dl->base, EVLOOP_ONCE);
			event_free(wake);
		}
	}
	agent_dl_free(dl);
}

void agent_dl_tick(struct agent_dl *dl)
{
	tracker_announcer_push_stats(dl->tracker);
}

void agent_dl_status_brief(const struct agent_dl *dl, struct agent_dl_status *out)
{
	memset(out, 0, sizeof(*out));
	bt_swarm_get_stats(dl->swarm, &out->st);
	out->complete = dl->complete;
	out->complete_ms = dl->complete_ms;
	out->leechers = dl->leechers;
	out->seeders = dl->seeders;
	out->answer_ms = dl->answer_ms;
	out->tracker_ever_ok = dl->tracker_ever_ok;
	out->tracker_error = dl->tracker_error;
	snprintf(out->tracker_msg, sizeof(out->tracker_msg), "%s", dl->tracker_msg);
	out->n_trackers = tracker_announcer_count(dl->tracker);
	out->server_connected = dl->server_conns > 0;
}

void agent_dl_status(const struct agent_dl *dl, struct agent_dl_status *out)
{
	/* Per address, as the engine counts them; bounded like its address
	 * set. */
	struct bt_peer_bytes *v = xcalloc(AGENT_DL_MAX_ADDRS, sizeof(*v));
	size_t n = bt_swarm_peer_bytes(dl->swarm, v, AGENT_DL_MAX_ADDRS);
	struct agent_bytes_split sp;

	agent_dl_status_brief(dl, out);
	agent_bytes_classify(v, n, out->st.downloaded, dl->cfg.has_server ? &dl->cfg.server : NULL,
			     &sp);
	out->from_server = sp.from_server;
	out->from_peers = sp.from_peers;
	free(v);
}

bool agent_dl_complete(const struct agent_dl *dl)
{
	return dl->complete;
}

void agent_dl_kick(struct agent_dl *dl)
{
	bt_swarm_retry_now(dl->swarm);
	tracker_announcer_announce(dl->tracker, TRACKER_EVENT_NONE);
}

void agent_dl_ask(struct agent_dl *dl)
{
	tracker_announcer_announce(dl->tracker, TRACKER_EVENT_NONE);
}

const struct metainfo *agent_dl_metainfo(const struct agent_dl *dl)
{
	return &dl->mi;
}
