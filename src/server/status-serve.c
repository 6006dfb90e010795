/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * status-serve: serves the status page, /api/status, /metrics and
 * /api/report over a fleet fed with a few synthetic machines, for the
 * interop test and for looking at the page until `boottorrent start`
 * serves it for real.
 *
 *   status-serve [--address A] [--port P] [--port-file F] [--seconds S]
 *                [--no-demo]
 *
 * With --port 0 an ephemeral port is chosen and written to --port-file.
 * The demo advances once a second: downloads progress, the server and the
 * peers upload, log lines appear. Exits 0 on SIGINT, SIGTERM, or after
 * --seconds (default 600, a bound for tests that forget to stop it).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "http/server.h"
#include "server/fleet.h"
#include "server/status.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/serve-main.h"
#include "util/util.h"

#define MiB ((uint64_t)1 << 20)

struct demo {
	struct fleet *f;
	bool on;
	int64_t last_sec;
	unsigned step;
	uint8_t hash_debian[20], hash_tools[20];
	uint64_t up[3], down[3];
};

static struct in_addr addr(const char *s)
{
	struct in_addr a = {0};

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a;
}

static void mac_n(uint8_t mac[6], int n)
{
	const uint8_t base[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x00};

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)n;
}

static void report(struct fleet *f, const char *body, const char *from)
{
	const char *why;

	if (fleet_agent_report(f, body, strlen(body), addr(from), &why) != 0)
		fprintf(stderr, "status-serve: demo report refused: %s\n", why);
}

/* The machines of the demo, at their first appearance. */
static void demo_start(struct demo *d)
{
	static const struct {
		const char *ip, *host;
		int arch;
	} m[] = {
		{"10.0.0.11", "lab-pc01", 7}, {"10.0.0.12", "lab-pc02", 0},
		{"10.0.0.13", "lab-pc03", 7}, {"10.0.0.14", "lab-pc04", 0},
		{"10.0.0.15", "lab-pc05", 7}, {"10.0.0.16", "lab-pc06", 16},
	};
	uint8_t mac[6];

	memset(d->hash_debian, 0xd1, 20);
	memset(d->hash_tools, 0x70, 20);
	fleet_set_server_ip(d->f, addr("10.0.0.1"));
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		mac_n(mac, (int)i + 1);
		fleet_dhcp(d->f, mac, (struct in_addr){0}, m[i].arch, "PXEClient:Arch:00007",
			   m[i].host, FLEET_DHCP_DISCOVER);
		fleet_dhcp(d->f, mac, addr(m[i].ip), m[i].arch, "PXEClient:Arch:00007", m[i].host,
			   FLEET_DHCP_ACK);
	}
	for (int i = 0; i < 5; i++) {
		char ip[16];

		snprintf(ip, sizeof(ip), "10.0.0.%d", 11 + i);
		fleet_boot_file(d->f, addr(ip), "phase1/vmlinuz", FLEET_PROTO_HTTP, 8 * MiB, true);
		fleet_boot_file(d->f, addr(ip), "phase1/initrd.img", FLEET_PROTO_HTTP, 24 * MiB,
				true);
	}
	report(d->f, "mac=52:54:00:12:34:03&phase=booting&os=debian&method=kexec", "10.0.0.13");
	report(d->f,
	       "mac=52:54:00:12:34:04&phase=failed&os=debian&method=kexec&error="
	       "kexec_file_load%3A+Operation+not+permitted+%28kernel+not+signed%2C+Secure+Boot%29",
	       "10.0.0.14");
	report(d->f, "mac=52:54:00:12:34:05&phase=menu", "10.0.0.15");
	fleet_log(d->f, "HTTP: info: 10.0.0.11 GET phase1/vmlinuz 200");
	fleet_log(d->f, "DHCP: info: ack 10.0.0.16 to 52:54:00:12:34:06");
	fleet_log(d->f, "AGENT: error: 52:54:00:12:34:04: kexec_file_load: Operation not "
			"permitted");
}

/* One second of the demo: two clients and an outside seeder swap pieces. */
static void demo_step(struct demo *d)
{
	static const char *const ips[3] = {"10.0.0.11", "10.0.0.12", "10.0.0.50"};
	const uint64_t size = 512 * MiB;
	char line[128];

	d->step++;
	for (int i = 0; i < 3; i++) {
		uint64_t got = i == 2 ? size : MIN(size, (uint64_t)(d->step * (6 + 5 * i)) * MiB);

		if (i < 2)
			d->down[i] = got;
		/* Peers upload more as they gather pieces... */
		d->up[i] += (uint64_t)MIN(1 + d->step / 6 + (unsigned)i, 9u) * MiB;
		fleet_tracker(d->f, addr(ips[i]), (uint16_t)(6881 + i), d->hash_debian, "debian",
			      size - (i == 2 ? size : got), size, d->up[i], i == 2 ? 0 : got,
			      FLEET_TRACKER_NONE);
	}
	/* The two clients' agents report what only they know: their peers. */
	for (int i = 0; i < 2; i++) {
		char body[160];

		snprintf(body, sizeof(body),
			 "mac=52:54:00:12:34:0%d&phase=downloading&os=debian&progress=%u&peers=2",
			 i + 1, (unsigned)(d->down[i] * 1000 / size));
		if (d->down[i] < size)
			report(d->f, body, ips[i]);
	}
	/* ...and the server, the first seeder, less once they can. */
	fleet_server_upload(d->f, (uint64_t)(d->step < 40 ? 12 - d->step / 4 : 2) * MiB);
	if (d->step % 5 == 0) {
		snprintf(line, sizeof(line), "TRACKER: info: %u announces, 3 peers in debian",
			 d->step);
		fleet_log(d->f, line);
	}
	fleet_tick(d->f);
}

/* Runs four times a second and steps once per wall-clock second, so a
 * timer that fires late (a busy machine) still steps within its second
 * and the chart shows the demo's rates rather than timer jitter. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct demo *d = arg;
	int64_t sec = fleet_now(d->f) / 1000;

	if (sec == d->last_sec)
		return;
	d->last_sec = sec;
	if (d->on)
		demo_step(d);
	else
		fleet_tick(d->f);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"address", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},
		{"port-file", required_argument, NULL, 'f'},
		{"seconds", required_argument, NULL, 's'},
		{"no-demo", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct http_config cfg = {.address = "127.0.0.1", .port = 8080};
	struct timeval quarter = {0, 250000}, limit = {600, 0};
	const char *port_file = NULL;
	struct event *tick, *stop;
	struct demo d = {0};
	struct http_server *srv;
	struct serve_loop loop;
	struct event_base *base;
	struct logger lg;
	bool demo = true;
	uint64_t v;
	int c, r;

	while ((c = getopt_long(argc, argv, "a:p:f:s:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': cfg.address = optarg; break;
		case 'p':
			if (parse_u64_str(optarg, 65535, &v) < 0) {
				fprintf(stderr, "status-serve: bad port '%s'\n", optarg);
				return 2;
			}
			cfg.port = (uint16_t)v;
			break;
		case 'f': port_file = optarg; break;
		case 's':
			if (parse_u64_str(optarg, 86400, &v) < 0 || v == 0) {
				fprintf(stderr, "status-serve: bad --seconds '%s'\n", optarg);
				return 2;
			}
			limit.tv_sec = (time_t)v;
			break;
		case 'n': demo = false; break;
		case 'h':
			printf("usage: status-serve [--address A] [--port P] [--port-file F] "
			       "[--seconds S] [--no-demo]\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "status-serve: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (serve_loop_init(&loop, 0) < 0)
		return 1;
	base = loop.base;
	lg = log_default_logger();
	d.f = fleet_new(NULL);
	r = http_server_new(base, &cfg, &lg, NULL, &srv);
	if (r < 0) {
		fleet_free(d.f);
		serve_loop_release(&loop);
		return 1;
	}
	r = status_routes_add(srv, d.f, true);
	if (r < 0) {
		fprintf(stderr, "status-serve: routes: %s\n", strerror(-r));
		goto out;
	}
	r = serve_port_file_write("status-serve", port_file, http_server_port(srv));
	if (r < 0)
		goto out;
	if (demo) {
		demo_start(&d);
		/* One step now, so the first request already sees downloads. */
		demo_step(&d);
	}
	tick = event_new(base, -1, EV_PERSIST, on_tick, &d);
	stop = evtimer_new(base, on_stop, base);
	d.on = demo;
	d.last_sec = fleet_now(d.f) / 1000;
	event_add(tick, &quarter);
	event_add(stop, &limit);
	serve_loop_run(&loop);
	event_free(tick);
	event_free(stop);
out:
	http_server_free(srv);
	fleet_free(d.f);
	serve_loop_release(&loop);
	return r < 0 ? 1 : 0;
}
