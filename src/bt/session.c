/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The session: our peer id, the listening socket shared by every swarm,
 * limits across swarms, and the one-second timer that drives timeouts,
 * choking and connecting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bt/internal.h"
#include "util/util.h"

const uint8_t *bt_session_peer_id(const struct bt_session *s)
{
	return s->peer_id;
}

uint16_t bt_session_port(const struct bt_session *s)
{
	return s->port;
}

struct bt_swarm *bt_session_find_swarm(struct bt_session *s, const uint8_t info_hash[20])
{
	for (size_t i = 0; i < s->nswarms; i++)
		if (memcmp(s->swarms[i]->mi->info_hash, info_hash, 20) == 0)
			return s->swarms[i];
	return NULL;
}

static bool is_loopback(const struct sockaddr_in *a)
{
	return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
}

/* Connections from or to the same address, across swarms. */
static uint32_t count_ip(const struct bt_session *s, const struct sockaddr_in *a)
{
	uint32_t n = 0;

	for (const struct bt_peer *p = s->peers; p; p = p->next)
		if (p->addr.sin_addr.s_addr == a->sin_addr.s_addr)
			n++;
	return n;
}

bool bt_session_may_connect(struct bt_session *s, const struct sockaddr_in *a)
{
	if (s->npeers >= s->cfg.max_peers)
		return false;
	return is_loopback(a) || count_ip(s, a) < s->cfg.max_per_ip;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		      void *ctx)
{
	struct bt_session *s = ctx;
	struct sockaddr_in a;

	if (sa->sa_family != AF_INET || (size_t)salen < sizeof(a) ||
	    !bt_session_may_connect(s, (const struct sockaddr_in *)sa)) {
		close(fd);
		return;
	}
	memcpy(&a, sa, sizeof(a));
	evutil_make_socket_nonblocking(fd);
	if (!bt_peer_new(s, fd, &a, NULL, NULL))
		close(fd);
}

static void on_reap(evutil_socket_t fd, short what, void *ctx)
{
	struct bt_session *s = ctx;

	while (s->graveyard) {
		struct bt_peer *p = s->graveyard;
		s->graveyard = p->next;
		bt_peer_free(p);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *ctx)
{
	struct bt_session *s = ctx;
	int64_t now = bt_now_ms();
	struct bt_peer *p, *next;

	/* Peers that never finished their handshake. */
	for (p = s->peers; p; p = next) {
		next = p->next;
		if (!p->attached && now - p->t_start > BT_HANDSHAKE_TIMEOUT * 1000)
			bt_peer_close(p, p->tcp_up ? "handshake timeout" : "connect timeout");
	}
	for (size_t i = 0; i < s->nswarms; i++)
		bt_swarm_tick(s->swarms[i], now);
	on_reap(-1, 0, s);
}

static uint64_t seed_from_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
}

struct bt_session *bt_session_new(struct event_base *base, const struct bt_session_config *cfg,
				  const struct logger *log, int *err)
{
	struct bt_session *s = xcalloc(1, sizeof(*s));
	struct timeval one = {1, 0};
	uint64_t x;

	*err = 0;
	s->base = base;
	s->cfg = *cfg;
	if (!s->cfg.max_peers)
		s->cfg.max_peers = 200;
	if (!s->cfg.max_per_ip)
		s->cfg.max_per_ip = 8;
	if (log)
		s->log = *log;
	s->lpd_fd = -1;
	s->rng = seed_from_clock();
	s->rbuf = xmalloc(BT_READ_BUF);
	/* Azureus-style peer id: -BT0100- and 12 random bytes. */
	memcpy(s->peer_id, "-BT0100-", 8);
	x = s->rng;
	for (int i = 8; i < 20; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		s->peer_id[i] = (uint8_t)("0123456789abcdefghijklmnopqrstuvwxyz"[(x >> 33) % 36]);
	}
	if (!cfg->no_listen) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
		struct sockaddr_in bound;
		socklen_t blen = sizeof(bound);

		if (cfg->bind && inet_pton(AF_INET, cfg->bind, &sin.sin_addr) != 1) {
			*err = -EINVAL;
			free(s->rbuf);
			free(s);
			return NULL;
		}
		s->listener = evconnlistener_new_bind(base, on_accept, s,
						      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
						      (struct sockaddr *)&sin, sizeof(sin));
		if (!s->listener) {
			*err = errno ? -errno : -EADDRINUSE;
			free(s->rbuf);
			free(s);
			return NULL;
		}
		if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&bound,
				&blen) == 0)
			s->port = ntohs(bound.sin_port);
	}
	if (cfg->max_upload_rate) {
		/* libevent's token bucket, shared by every peer socket: reads are
		 * unlimited, writes get max_upload_rate per second. */
		size_t rate = (size_t)MIN(cfg->max_upload_rate, (uint64_t)SIZE_MAX / 4);
		struct timeval tick = {0, 100000};
		s->rate_cfg = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX,
						      rate / 10, MAX(rate / 10, 16384), &tick);
		if (s->rate_cfg)
			s->rate_group = bufferevent_rate_limit_group_new(base, s->rate_cfg);
	}
	if (cfg->lpd) {
		int r = bt_lpd_start(s);
		if (r)
			logger_log(&s->log, LOG_WARN, "SWARM",
				   "local service discovery unavailable: %s", strerror(-r));
	}
	s->tick = event_new(base, -1, EV_PERSIST, on_tick, s);
	s->reap = event_new(base, -1, 0, on_reap, s);
	event_add(s->tick, &one);
	logger_log(&s->log, LOG_DEBUG, "SWARM", "session listening on port %u", s->port);
	return s;
}

void bt_session_free(struct bt_session *s)
{
	if (!s)
		return;
	while (s->peers)
		bt_peer_close(s->peers, "session ends");
	on_reap(-1, 0, s);
	bt_lpd_stop(s);
	if (s->listener)
		evconnlistener_free(s->listener);
	if (s->rate_group)
		bufferevent_rate_limit_group_free(s->rate_group);
	if (s->rate_cfg)
		ev_token_bucket_cfg_free(s->rate_cfg);
	if (s->tick)
		event_free(s->tick);
	if (s->reap)
		event_free(s->reap);
	free(s->rbuf);
	free(s);
}
