/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The services `start` runs in its event loop, configured from the
 * environment and out/: DHCP (server or proxy), TFTP and HTTP serving
 * out/boot, the tracker (HTTP and UDP, closed to this environment's
 * torrents) and the seeder (one swarm per OS, super-seeding by default).
 */
#ifndef BT_SERVER_SERVICES_H
#define BT_SERVER_SERVICES_H

#include "config/env.h"
#include "server/outdir.h"
#include "util/log.h"

struct event_base;
struct services;

struct fleet;

/* What the services report to: the fleet model behind the status page.
 * Every service's events feed it, the HTTP server serves its page and API,
 * and a one-second timer closes its throughput samples. May be NULL. */
struct services_hooks {
	struct fleet *fleet;
};

/* Binds and starts every enabled service. On failure, what is started is
 * stopped again, *err says which service failed and why (with a hint for
 * the common cases: a port held by another server, no permission), and a
 * negative errno is returned. */
int services_start(struct event_base *base, const struct bt_env *env,
		   const struct server_out *out, const struct logger *log,
		   const struct services_hooks *hooks, struct services **svc, char *err,
		   size_t errlen) WUR;

/* Stops every service (the DHCP lease file is written out) and frees. */
void services_stop(struct services *svc);

/* Offers the torrents of a rebuilt out/ (after SIGHUP): new OSs are seeded
 * and tracked, removed ones are no longer. Leases and transfers go on. */
int services_update(struct services *svc, const struct bt_env *env, const struct server_out *out,
		    char *err, size_t errlen) WUR;

/* The tracker's and the seeder's numbers, for the log and the status page. */
struct services_stats {
	uint64_t seeder_uploaded; /* payload bytes the server's seeder sent */
	uint32_t seeder_peers;
};
void services_get_stats(const struct services *svc, struct services_stats *st);

#endif
