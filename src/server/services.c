/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bt/bt.h"
#include "dhcp/dhcp.h"
#include "http/server.h"
#include "server/fleet-feed.h"
#include "server/fleet.h"
#include "server/ra.h"
#include "server/services.h"
#include "server/status.h"
#include "server/superseed.h"
#include "tftp/server.h"
#include "tracker/client.h"
#include "tracker/server.h"
#include "util/path.h"

/* One OS the server seeds: its swarm and the announces that make the
 * server findable on every tracker the torrent lists. */
struct seed {
	uint8_t info_hash[20];
	char *os;
	struct metainfo mi; /* the swarm points into it: keep it alive */
	struct bt_swarm *swarm;
	struct tracker_client *announcer;
	/* Super-seeding while few copies exist (server/superseed.h). */
	bool ss_on;
	int64_t ss_since_ms;
	int64_t report_seeders; /* the last tracker reply's seeders, -1: none */
};

struct services {
	struct event_base *base;
	const struct logger *log;
	char addr[INET_ADDRSTRLEN];
	struct dhcp_server *dhcp;
	struct ra_responder *ra; /* may be NULL: no IPv6 */
	struct tftp_server *tftp;
	struct http_server *http;
	struct http_server *tracker_http;
	struct tracker_server *tracker;
	struct bt_session *bt;
	struct seed **seeds; /* each on its own: swarms point into seed->mi */
	size_t n_seeds;
	bool super_seed, pex;
	uint32_t ss_copies;	/* super-seed while the swarm has fewer copies */
	uint64_t uploaded_gone; /* by swarms that were removed */
	struct fleet *fleet;	/* may be NULL */
	struct event *tick;	/* once a second: the fleet, super-seeding */
	uint64_t uploaded_told; /* seeder bytes already given to the fleet */
};

static void on_dhcp_event(void *ctx, const struct dhcp_event *ev)
{
	struct services *s = ctx;
	/* PXE firmware waits for an IPv6 router too (server/ra.h). */
	if (s->ra && (ev->pxe || ev->ipxe || ev->arch >= 0))
		ra_responder_allow(s->ra, ev->mac);
	if (s->fleet)
		fleet_feed_dhcp(s->fleet, ev);
}

static void on_tftp_event(void *ctx, enum tftp_event ev, const struct tftp_xfer_info *info)
{
	struct services *s = ctx;
	if (s->fleet)
		fleet_feed_tftp(s->fleet, ev, info);
}

static void on_http_file(void *ctx, const struct http_file_info *info)
{
	struct services *s = ctx;
	if (s->fleet)
		fleet_feed_http(s->fleet, info);
}

static const struct seed *seed_find(const struct services *s, const uint8_t *info_hash);

static void on_tracker_peer(void *ctx, enum tracker_peer_change what,
			    const struct tracker_peer_info *p)
{
	struct services *s = ctx;
	const struct seed *sd = seed_find(s, p->info_hash);

	if (s->fleet)
		fleet_feed_tracker(s->fleet, what, p, sd ? sd->os : NULL,
				   sd ? sd->mi.total_length : 0);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct seeds_count {
	const uint8_t *self; /* our seeder's peer id */
	uint32_t seeds;
};

static void count_seed(void *ctx, const struct tracker_peer_info *p)
{
	struct seeds_count *c = ctx;

	if (p->left == 0 && memcmp(p->peer_id, c->self, 20) != 0)
		c->seeds++;
}

/* Super-seeds one OS while its swarm holds few copies, serves normally
 * once it holds enough, and logs each switch. */
static void seed_policy(struct services *s, struct seed *sd, int64_t now)
{
	struct superseed_view v = {0};
	struct bt_swarm_stats st;
	bool want;

	bt_swarm_get_stats(sd->swarm, &st);
	v.peer_seeds = st.seeds;
	if (s->tracker) {
		struct seeds_count c = {.self = bt_session_peer_id(s->bt)};
		tracker_server_foreach_peer(s->tracker, sd->info_hash, count_seed, &c);
		v.tracker_seeds = c.seeds;
	} else if (sd->report_seeders > 0) {
		/* An outside tracker counts our seeder too. */
		v.tracker_seeds = (uint32_t)MIN(sd->report_seeders - 1, (int64_t)UINT32_MAX);
	}
	want = s->super_seed &&
	       superseed_decide(sd->ss_on, now - sd->ss_since_ms, s->ss_copies, &v);
	if (want == sd->ss_on)
		return;
	sd->ss_on = want;
	sd->ss_since_ms = now;
	bt_swarm_set_super_seed(sd->swarm, want);
	logger_log(s->log, LOG_INFO, "SERVER",
		   "%s: super-seeding %s: %u copies in the swarm (tracker: %u seeders, "
		   "connected: %u seeders, %.2f distributed copies), threshold %u",
		   sd->os, want ? "on" : "off", superseed_copies(&v), v.tracker_seeds,
		   v.peer_seeds, st.copies, s->ss_copies);
}

static void on_tick(evutil_socket_t fd, short what, void *ctx)
{
	struct services *s = ctx;
	struct services_stats st;
	int64_t now = mono_ms();

	for (size_t i = 0; i < s->n_seeds; i++)
		seed_policy(s, s->seeds[i], now);
	if (!s->fleet)
		return;
	services_get_stats(s, &st);
	if (st.seeder_uploaded > s->uploaded_told) {
		fleet_server_upload(s->fleet, st.seeder_uploaded - s->uploaded_told);
		s->uploaded_told = st.seeder_uploaded;
	}
	fleet_tick(s->fleet);
}

static int dhcp_start(struct services *s, const struct bt_env *env, const struct server_out *out,
		      char *err, size_t errlen)
{
	struct dhcp_config c;
	struct dhcp_host *hosts = NULL;
	struct in_addr addr, mask;
	int r;

	if (env->dhcp.mode == ENV_DHCP_OFF)
		return 0;
	dhcp_config_init(&c);
	c.mode = env->dhcp.mode == ENV_DHCP_PROXY ? DHCP_MODE_PROXY : DHCP_MODE_SERVER;
	if (env->dhcp.interface && env->dhcp.bind_interface) {
		snprintf(c.ifnames[0], sizeof(c.ifnames[0]), "%s", env->dhcp.interface);
		c.n_ifnames = 1;
	}
	/* Only the netmask is wanted here (the address is out->address); a /24
	 * when the interface cannot be looked up. */
	if (bt_env_server_address(env, NULL, &addr, &mask) < 0)
		mask.s_addr = htonl(0xffffff00);
	c.server_ip = ntohl(out->address.s_addr);
	c.netmask = ntohl((env->dhcp.has_netmask ? env->dhcp.netmask : mask).s_addr);
	if (env->dhcp.has_router)
		c.router = ntohl(env->dhcp.router.s_addr);
	for (size_t i = 0; i < env->dhcp.n_dns && i < DHCP_MAX_DNS; i++)
		c.dns[c.n_dns++] = ntohl(env->dhcp.dns[i].s_addr);
	if (env->dhcp.has_range) {
		c.range_start = ntohl(env->dhcp.range_start.s_addr);
		c.range_end = ntohl(env->dhcp.range_end.s_addr);
	}
	c.lease_time = env->dhcp.lease_time;
	snprintf(c.lease_file, sizeof(c.lease_file), "%s/leases", out->dir);
	if (env->n_hosts) {
		hosts = xcalloc(env->n_hosts, sizeof(*hosts));
		for (size_t i = 0; i < env->n_hosts; i++) {
			const struct env_host *h = &env->hosts[i];
			if (!h->has_ip)
				continue;
			memcpy(hosts[c.n_hosts].mac, h->mac, 6);
			hosts[c.n_hosts].ip = ntohl(h->ip.s_addr);
			if (h->hostname)
				snprintf(hosts[c.n_hosts].hostname, sizeof(hosts[0].hostname), "%s",
					 h->hostname);
			c.n_hosts++;
		}
		c.hosts = hosts;
	}
	/* Boot files by firmware: BIOS gets pxelinux, UEFI the signed shim
	 * (which loads grubx64.efi beside it), iPXE and UEFI HTTP boot get
	 * URLs on our HTTP server. Option 209 is not sent, so that pxelinux
	 * looks for a per-MAC configuration before "default". */
	if (out->bios)
		snprintf(c.boot.bios, sizeof(c.boot.bios), "pxelinux.0");
	if (out->uefi)
		snprintf(c.boot.uefi, sizeof(c.boot.uefi), "bootx64.efi");
	/* Behind a proxy, Debian 12's signed GRUB takes its TFTP server from
	 * the site's DHCP answer rather than ours and cannot find grub.cfg;
	 * iPXE handles proxyDHCP and goes on over HTTP. The price: no Secure
	 * Boot in proxy mode (docs/external-dhcp.md says so). */
	if (c.mode == DHCP_MODE_PROXY && out->ipxe_efi && env->http.enable)
		snprintf(c.boot.uefi, sizeof(c.boot.uefi), "ipxe.efi");
	if (env->http.enable) {
		snprintf(c.boot.ipxe, sizeof(c.boot.ipxe), "http://%s:%u/boot.ipxe", s->addr,
			 env->http.port);
		if (out->uefi)
			snprintf(c.boot.uefi_http, sizeof(c.boot.uefi_http),
				 "http://%s:%u/bootx64.efi", s->addr, env->http.port);
	}
	r = dhcp_config_check(&c, err, errlen);
	if (r == 0) {
		struct dhcp_callbacks cb = {.on_event = on_dhcp_event, .ctx = s};
		r = dhcp_server_new(s->base, &c, s->log, &cb, &s->dhcp);
		if (r < 0)
			snprintf(err, errlen, "DHCP (%s mode) could not start: %s",
				 env_dhcp_mode_name(env->dhcp.mode), strerror(-r));
	}
	free(hosts);
	return r;
}

static int tftp_start(struct services *s, const struct bt_env *env, const struct server_out *out,
		      char *err, size_t errlen)
{
	struct tftp_config c = {
		.root = out->boot,
		.address = s->addr,
		.port = env->tftp.port,
		/* A boot storm: every machine of a large room at once. */
		.max_transfers = 1024,
		.max_per_client = 8,
		.max_blksize = env->tftp.blksize_max,
		.timeout_ms = 1000,
		.retries = 6,
		/* Transfer threads: one per CPU (up to 4) unless configured;
		 * the callbacks still come on this thread. */
		.workers = env->tftp.workers,
	};
	int r;

	if (!env->tftp.enable)
		return 0;
	struct tftp_callbacks cb = {.event = on_tftp_event, .ctx = s};
	r = tftp_server_new(s->base, &c, s->log, &cb, &s->tftp);
	if (r < 0)
		snprintf(err, errlen, "TFTP could not start on %s:%u: %s", s->addr, c.port,
			 strerror(-r));
	return r;
}

static int http_start(struct services *s, const struct bt_env *env, const struct server_out *out,
		      char *err, size_t errlen)
{
	struct http_config c = {
		.root = out->boot,
		.address = s->addr,
		.port = env->http.port,
	};
	int r;

	if (!env->http.enable)
		return 0;
	struct http_callbacks cb = {.file = on_http_file, .ctx = s};
	r = http_server_new(s->base, &c, s->log, &cb, &s->http);
	if (r < 0) {
		snprintf(err, errlen, "HTTP could not start on %s:%u: %s", s->addr, c.port,
			 strerror(-r));
		return r;
	}
	/* The status page, its JSON API, /metrics and the agents' reports. */
	if (s->fleet) {
		r = status_routes_add(s->http, s->fleet, false);
		if (r < 0)
			snprintf(err, errlen, "the status page could not be added: %s",
				 strerror(-r));
	}
	return r;
}

static int tracker_start(struct services *s, const struct bt_env *env, char *err, size_t errlen)
{
	struct tracker_server_config tc = {
		.interval_s = env->tracker.interval,
		/* Clients may ask again this soon: agents that finished ask
		 * whether anyone still needs pieces, so they boot seconds after
		 * the last machine finished, not an interval later. */
		.min_interval_s = 1,
	};
	/* The tracker's HTTP side has its own port (BitTorrent clients expect
	 * the announce URL's port), so its own listener with no files. */
	struct http_config hc = {.address = s->addr, .port = env->tracker.port};
	int r;

	if (!env->tracker.enable)
		return 0;
	struct tracker_server_callbacks cb = {.on_peer = on_tracker_peer, .ctx = s};
	s->tracker = tracker_server_new(s->base, &tc, s->log, &cb);
	if (!s->tracker) {
		snprintf(err, errlen, "the tracker could not start: out of memory");
		return -ENOMEM;
	}
	r = http_server_new(s->base, &hc, s->log, NULL, &s->tracker_http);
	if (r == 0)
		r = tracker_server_attach_http(s->tracker, http_server_evhttp(s->tracker_http));
	if (r < 0) {
		snprintf(err, errlen, "the tracker could not listen on TCP %s:%u: %s", s->addr,
			 hc.port, strerror(-r));
		return r;
	}
	r = tracker_server_listen_udp(s->tracker, s->addr, env->tracker.port);
	if (r < 0)
		snprintf(err, errlen, "the tracker could not listen on UDP %s:%u: %s", s->addr,
			 env->tracker.port, strerror(-r));
	return r;
}

static int bt_start(struct services *s, const struct bt_env *env, char *err, size_t errlen)
{
	struct bt_session_config c = {
		.port = env->swarm.port,
		.lpd = env->swarm.lpd,
		.max_upload_rate = env->swarm.upload_limit,
		/* Every machine of a room at once, each with a few connections. */
		.max_peers = 1000,
	};
	int e = 0;

	s->super_seed = env->swarm.super_seed;
	s->ss_copies = env->swarm.super_seed_copies;
	s->pex = env->swarm.pex;
	s->bt = bt_session_new(s->base, &c, s->log, &e);
	if (!s->bt) {
		snprintf(err, errlen, "the seeder could not listen on TCP port %u: %s", c.port,
			 strerror(e > 0 ? e : -e));
		return e > 0 ? -e : (e ? e : -ENOMEM);
	}
	return 0;
}

static void seed_release(struct seed *sd)
{
	if (sd->announcer)
		tracker_client_free(sd->announcer);
	bt_swarm_free(sd->swarm);
	metainfo_release(&sd->mi);
	free(sd->os);
	*sd = (struct seed){0};
}

static void on_announce_report(void *ctx, const struct tracker_client_report *r)
{
	struct seed *sd = ctx;

	if (!r->error && r->seeders >= 0)
		sd->report_seeders = r->seeders;
}

static int seed_add(struct services *s, const struct bt_env *env, const struct server_torrent *t,
		    char *err, size_t errlen)
{
	/* The torrent was made from these very files on this start, or its
	 * hashes came from a cache that matched their size, time and inode:
	 * hashing them again would only delay the start (about 1 s per GB). */
	struct bt_swarm_config wc = {.super_seed = s->super_seed, .no_pex = !s->pex,
				     .max_unchoked = 1000, .max_peers = 1000,
				     .skip_recheck = true};
	struct seed *sd;
	const char *urls[TRACKER_CLIENT_URLS_MAX];
	unsigned tiers[TRACKER_CLIENT_URLS_MAX];
	size_t n_urls = 0;
	char *oss = path_join(env->dir, "oss");
	char merr[256];
	int r;

	sd = xcalloc(1, sizeof(*sd));
	sd->os = xstrdup(t->os);
	sd->ss_on = s->super_seed;
	sd->ss_since_ms = mono_ms();
	sd->report_seeders = -1;
	memcpy(sd->info_hash, t->mi.info_hash, 20);
	/* The swarm keeps pointers into its metainfo: give it its own copy. */
	r = metainfo_load(&sd->mi, t->path, merr, sizeof(merr));
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", t->path, merr);
		goto fail;
	}
	r = bt_swarm_new(s->bt, &sd->mi, oss, true, &wc, NULL, &sd->swarm);
	if (r != 0) {
		snprintf(err, errlen, "seeding %s from %s/%s: %s", t->os, oss, t->os,
			 r < 0 ? strerror(-r) : "the files do not match the torrent");
		goto fail;
	}
	if (s->tracker) {
		r = tracker_server_add_torrent(s->tracker, t->mi.info_hash);
		if (r < 0) {
			snprintf(err, errlen, "tracking %s: %s", t->os, strerror(-r));
			goto fail;
		}
	}
	/* Announce the way any other seeder would (BEP 12: the first tracker
	 * of the torrent's tiers that answers), so an outside tracker works
	 * the same way, and our own tracker hears from us once per interval,
	 * not once over HTTP and again over UDP. */
	for (size_t i = 0; i < t->mi.tier_count; i++)
		for (size_t j = 0; j < t->mi.tiers[i].count && n_urls < ARRAY_SIZE(urls); j++) {
			tiers[n_urls] = (unsigned)i;
			urls[n_urls++] = t->mi.tiers[i].urls[j];
		}
	if (n_urls > 0) {
		struct tracker_client_config tc = {
			.port = bt_session_port(s->bt),
			.urls = urls,
			.tiers = tiers,
			.n_urls = n_urls,
			.retry_min_ms = 1000,
			.retry_max_ms = 30000,
		};
		memcpy(tc.info_hash, t->mi.info_hash, 20);
		memcpy(tc.peer_id, bt_session_peer_id(s->bt), 20);
		struct tracker_client_callbacks cb = {.on_report = on_announce_report, .ctx = sd};
		sd->announcer = tracker_client_new(s->base, &tc, s->log, &cb);
		if (sd->announcer) {
			tracker_client_set_stats(sd->announcer, 0, 0, 0);
			tracker_client_announce_now(sd->announcer, TRACKER_EVENT_STARTED);
		}
	}
	s->seeds = xrealloc(s->seeds, (s->n_seeds + 1) * sizeof(*s->seeds));
	s->seeds[s->n_seeds++] = sd;
	free(oss);
	return 0;
fail:
	seed_release(sd);
	free(sd);
	free(oss);
	return r < 0 ? r : -EINVAL;
}

int services_start(struct event_base *base, const struct bt_env *env,
		   const struct server_out *out, const struct logger *log,
		   const struct services_hooks *hooks, struct services **svc, char *err,
		   size_t errlen)
{
	struct services *s = xcalloc(1, sizeof(*s));
	int r = 0;

	s->base = base;
	s->log = log;
	s->fleet = hooks ? hooks->fleet : NULL;
	inet_ntop(AF_INET, &out->address, s->addr, sizeof(s->addr));
	if (s->fleet)
		fleet_set_server_ip(s->fleet, out->address);
	{
		struct timeval second = {1, 0};
		s->tick = event_new(base, -1, EV_PERSIST, on_tick, s);
		if (!s->tick || event_add(s->tick, &second) < 0)
			r = -ENOMEM;
	}
	if (r == 0)
		r = dhcp_start(s, env, out, err, errlen);
	if (r == 0 && env->dhcp.mode != ENV_DHCP_OFF) {
		int e = ra_responder_new(base, env->dhcp.interface, log, &s->ra);
		if (e < 0)
			logger_log(log, LOG_WARN, "DHCP",
				   "cannot answer IPv6 router solicitations (%s): iPXE will wait "
				   "about 15 s for a router before it boots",
				   strerror(-e));
	}
	if (r == 0)
		r = tftp_start(s, env, out, err, errlen);
	if (r == 0)
		r = http_start(s, env, out, err, errlen);
	if (r == 0)
		r = tracker_start(s, env, err, errlen);
	if (r == 0)
		r = bt_start(s, env, err, errlen);
	for (size_t i = 0; r == 0 && i < out->n_torrents; i++)
		r = seed_add(s, env, &out->torrents[i], err, errlen);
	if (r != 0) {
		services_stop(s);
		return r < 0 ? r : -EINVAL;
	}
	*svc = s;
	return 0;
}

int services_update(struct services *s, const struct bt_env *env, const struct server_out *out,
		    char *err, size_t errlen)
{
	size_t i = 0;
	int r = 0;

	/* The super-seeding settings apply from the next tick on. */
	s->super_seed = env->swarm.super_seed;
	s->ss_copies = env->swarm.super_seed_copies;
	/* Drop the OSs no longer offered (or whose files changed). */
	while (i < s->n_seeds) {
		bool keep = false;
		for (size_t j = 0; j < out->n_torrents && !keep; j++)
			keep = memcmp(out->torrents[j].mi.info_hash, s->seeds[i]->info_hash, 20) == 0;
		if (keep) {
			i++;
			continue;
		}
		logger_log(s->log, LOG_INFO, "SERVER", "no longer offering %s", s->seeds[i]->os);
		if (s->tracker &&
		    tracker_server_remove_torrent(s->tracker, s->seeds[i]->info_hash) < 0)
			logger_log(s->log, LOG_WARN, "SERVER", "%s was not tracked", s->seeds[i]->os);
		struct bt_swarm_stats st;
		bt_swarm_get_stats(s->seeds[i]->swarm, &st);
		s->uploaded_gone += st.uploaded;
		seed_release(s->seeds[i]);
		free(s->seeds[i]);
		s->seeds[i] = s->seeds[--s->n_seeds];
	}
	/* Start the new ones. */
	for (size_t j = 0; j < out->n_torrents && r == 0; j++) {
		bool have = false;
		for (i = 0; i < s->n_seeds && !have; i++)
			have = memcmp(out->torrents[j].mi.info_hash, s->seeds[i]->info_hash, 20) == 0;
		if (have)
			continue;
		logger_log(s->log, LOG_INFO, "SERVER", "now offering %s", out->torrents[j].os);
		r = seed_add(s, env, &out->torrents[j], err, errlen);
	}
	return r;
}

static const struct seed *seed_find(const struct services *s, const uint8_t *info_hash)
{
	for (size_t i = 0; i < s->n_seeds; i++)
		if (memcmp(s->seeds[i]->info_hash, info_hash, 20) == 0)
			return s->seeds[i];
	return NULL;
}

void services_get_stats(const struct services *s, struct services_stats *st)
{
	*st = (struct services_stats){.seeder_uploaded = s->uploaded_gone};
	for (size_t i = 0; i < s->n_seeds; i++) {
		struct bt_swarm_stats ws;
		bt_swarm_get_stats(s->seeds[i]->swarm, &ws);
		st->seeder_uploaded += ws.uploaded;
		st->seeder_peers += ws.peers;
	}
}

void services_stop(struct services *s)
{
	if (!s)
		return;
	if (s->tick)
		event_free(s->tick);
	ra_responder_free(s->ra);
	for (size_t i = 0; i < s->n_seeds; i++) {
		seed_release(s->seeds[i]);
		free(s->seeds[i]);
	}
	free(s->seeds);
	bt_session_free(s->bt);
	tracker_server_free(s->tracker);
	http_server_free(s->tracker_http);
	http_server_free(s->http);
	tftp_server_free(s->tftp);
	dhcp_server_free(s->dhcp);
	free(s);
}
