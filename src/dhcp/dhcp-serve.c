/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dhcp-serve: runs the DHCP service alone, configured from flags, so the
 * interop tests and the benchmark can run the real service inside a network
 * namespace until `boottorrent start` exists. Not installed.
 *
 *   dhcp-serve --interface eth0 --server-ip 10.77.0.1 --range 10.77.0.100-10.77.0.199 \
 *              --lease-file /tmp/x/leases --bios pxelinux.0 --uefi shimx64.efi \
 *              --host 52:54:00:00:00:01,10.77.0.50,node1 --events /tmp/x/events
 *
 * Stops cleanly (lease file written) on SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/dhcp.h"
#include "dhcp/packet.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/serve-main.h"
#include "util/util.h"

static void usage(FILE *f)
{
	fputs("usage: dhcp-serve [options]\n"
	      "  --mode server|proxy         (default server)\n"
	      "  --interface NAME            answer only on NAME (repeatable)\n"
	      "  --server-ip IP              our address (server identifier)\n"
	      "  --netmask IP --router IP --dns IP (repeatable) --domain NAME\n"
	      "  --range START-END           dynamic addresses\n"
	      "  --lease-time S --offer-time S --decline-time S\n"
	      "  --lease-file PATH\n"
	      "  --host MAC,IP[,NAME]        fixed address (repeatable)\n"
	      "  --bios FILE --uefi FILE --uefi-http URL --ipxe URL\n"
	      "  --pxelinux-config FILE --pxelinux-prefix PATH --next-server IP\n"
	      "  --port N --pxe-port N --client-port N\n"
	      "  --rate BURST/PER_SEC        per-MAC limit (0/0 = none)\n"
	      "  --proxy-delay MS            hold proxy offers (default 300)\n"
	      "  --events PATH               append one line per client event\n"
	      "  --log-level error|warn|info|debug\n",
	      f);
}

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (parse_u64_str(s, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_host(const char *s, struct dhcp_host *h)
{
	const char *c1 = strchr(s, ','), *c2;
	char ip[32];
	size_t n;

	memset(h, 0, sizeof(*h));
	if (!c1 || parse_mac(s, (size_t)(c1 - s), h->mac) < 0)
		return -1;
	c2 = strchr(c1 + 1, ',');
	n = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	if (n >= sizeof(ip))
		return -1;
	memcpy(ip, c1 + 1, n);
	ip[n] = '\0';
	if (parse_ip(ip, &h->ip) < 0)
		return -1;
	if (c2 &&
	    snprintf(h->hostname, sizeof(h->hostname), "%s", c2 + 1) >= (int)sizeof(h->hostname))
		return -1;
	return 0;
}

static int copy_str(char *dst, size_t size, const char *s)
{
	return snprintf(dst, size, "%s", s) >= (int)size ? -1 : 0;
}

static void on_event(void *ctx, const struct dhcp_event *ev)
{
	FILE *f = ctx;
	char mac[18], ip[16];

	if (!f)
		return;
	fprintf(f, "%s %s %s arch=%d pxe=%d ipxe=%d boot=%s vendor=%s host=%s\n",
		dhcp_event_name(ev->type), dhcp_mac_str(mac, ev->mac), dhcp_ip_str(ip, ev->ip),
		ev->arch, ev->pxe, ev->ipxe, ev->boot_file[0] ? ev->boot_file : "-",
		ev->vendor_class[0] ? ev->vendor_class : "-", ev->hostname[0] ? ev->hostname : "-");
	fflush(f);
}

int main(int argc, char **argv)
{
	enum {
		O_MODE = 256,
		O_IFACE,
		O_SERVER,
		O_MASK,
		O_ROUTER,
		O_DNS,
		O_DOMAIN,
		O_RANGE,
		O_LEASE,
		O_OFFER,
		O_DECLINE,
		O_FILE,
		O_HOST,
		O_BIOS,
		O_UEFI,
		O_HTTP,
		O_IPXE,
		O_PXCFG,
		O_PXPFX,
		O_NEXT,
		O_PORT,
		O_PXEPORT,
		O_CPORT,
		O_RATE,
		O_EVENTS,
		O_LOG,
		O_DELAY,
		O_HELP
	};
	static const struct option opts[] = {
		{"mode", 1, 0, O_MODE},
		{"interface", 1, 0, O_IFACE},
		{"server-ip", 1, 0, O_SERVER},
		{"netmask", 1, 0, O_MASK},
		{"router", 1, 0, O_ROUTER},
		{"dns", 1, 0, O_DNS},
		{"domain", 1, 0, O_DOMAIN},
		{"range", 1, 0, O_RANGE},
		{"lease-time", 1, 0, O_LEASE},
		{"offer-time", 1, 0, O_OFFER},
		{"decline-time", 1, 0, O_DECLINE},
		{"lease-file", 1, 0, O_FILE},
		{"host", 1, 0, O_HOST},
		{"bios", 1, 0, O_BIOS},
		{"uefi", 1, 0, O_UEFI},
		{"uefi-http", 1, 0, O_HTTP},
		{"ipxe", 1, 0, O_IPXE},
		{"pxelinux-config", 1, 0, O_PXCFG},
		{"pxelinux-prefix", 1, 0, O_PXPFX},
		{"next-server", 1, 0, O_NEXT},
		{"port", 1, 0, O_PORT},
		{"pxe-port", 1, 0, O_PXEPORT},
		{"client-port", 1, 0, O_CPORT},
		{"rate", 1, 0, O_RATE},
		{"events", 1, 0, O_EVENTS},
		{"log-level", 1, 0, O_LOG},
		{"proxy-delay", 1, 0, O_DELAY},
		{"help", 0, 0, O_HELP},
		{0, 0, 0, 0},
	};
	static struct dhcp_host hosts[DHCP_MAX_HOSTS];
	struct dhcp_config cfg;
	struct dhcp_callbacks cb = {.on_event = on_event};
	struct logger lg;
	struct serve_loop loop;
	struct dhcp_server *srv;
	enum log_level lvl = LOG_INFO;
	FILE *events = NULL;
	int c, bad = 0, r;

	dhcp_config_init(&cfg);
	cfg.hosts = hosts;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *a = optarg;
		uint32_t v;
		switch (c) {
		case O_MODE:
			if (strcmp(a, "server") == 0)
				cfg.mode = DHCP_MODE_SERVER;
			else if (strcmp(a, "proxy") == 0)
				cfg.mode = DHCP_MODE_PROXY;
			else
				bad = 1;
			break;
		case O_IFACE:
			if (cfg.n_ifnames == DHCP_MAX_IFACES ||
			    copy_str(cfg.ifnames[cfg.n_ifnames++], IF_NAMESIZE, a) < 0)
				bad = 1;
			break;
		case O_SERVER: bad |= parse_ip(a, &cfg.server_ip) < 0; break;
		case O_MASK: bad |= parse_ip(a, &cfg.netmask) < 0; break;
		case O_ROUTER: bad |= parse_ip(a, &cfg.router) < 0; break;
		case O_DNS:
			if (cfg.n_dns == DHCP_MAX_DNS || parse_ip(a, &cfg.dns[cfg.n_dns++]) < 0)
				bad = 1;
			break;
		case O_DOMAIN: bad |= copy_str(cfg.domain, sizeof(cfg.domain), a) < 0; break;
		case O_RANGE: {
			const char *dash = strchr(a, '-');
			char first[32];
			if (!dash || (size_t)(dash - a) >= sizeof(first)) {
				bad = 1;
				break;
			}
			memcpy(first, a, (size_t)(dash - a));
			first[dash - a] = '\0';
			bad |= parse_ip(first, &cfg.range_start) < 0 ||
			       parse_ip(dash + 1, &cfg.range_end) < 0;
			break;
		}
		case O_LEASE: bad |= parse_u32(a, UINT32_MAX, &cfg.lease_time) < 0; break;
		case O_OFFER: bad |= parse_u32(a, 3600, &cfg.offer_time) < 0; break;
		case O_DECLINE: bad |= parse_u32(a, 1u << 30, &cfg.decline_time) < 0; break;
		case O_FILE: bad |= copy_str(cfg.lease_file, sizeof(cfg.lease_file), a) < 0; break;
		case O_HOST:
			if (cfg.n_hosts == DHCP_MAX_HOSTS ||
			    parse_host(a, &hosts[cfg.n_hosts++]) < 0)
				bad = 1;
			break;
		case O_BIOS: bad |= copy_str(cfg.boot.bios, DHCP_FILE_MAX, a) < 0; break;
		case O_UEFI: bad |= copy_str(cfg.boot.uefi, DHCP_FILE_MAX, a) < 0; break;
		case O_HTTP: bad |= copy_str(cfg.boot.uefi_http, DHCP_URL_MAX, a) < 0; break;
		case O_IPXE: bad |= copy_str(cfg.boot.ipxe, DHCP_URL_MAX, a) < 0; break;
		case O_PXCFG:
			bad |= copy_str(cfg.boot.pxelinux_config, DHCP_FILE_MAX, a) < 0;
			break;
		case O_PXPFX:
			bad |= copy_str(cfg.boot.pxelinux_prefix, DHCP_FILE_MAX, a) < 0;
			break;
		case O_NEXT: bad |= parse_ip(a, &cfg.boot.next_server) < 0; break;
		case O_PORT:
		case O_PXEPORT:
		case O_CPORT:
			if (parse_u32(a, 65535, &v) < 0) {
				bad = 1;
				break;
			}
			if (c == O_PORT)
				cfg.port = (uint16_t)v;
			else if (c == O_PXEPORT)
				cfg.pxe_port = (uint16_t)v;
			else
				cfg.client_port = (uint16_t)v;
			break;
		case O_RATE: {
			const char *slash = strchr(a, '/');
			char first[16];
			if (!slash || (size_t)(slash - a) >= sizeof(first)) {
				bad = 1;
				break;
			}
			memcpy(first, a, (size_t)(slash - a));
			first[slash - a] = '\0';
			bad |= parse_u32(first, 1000000, &cfg.rate_burst) < 0 ||
			       parse_u32(slash + 1, 1000000, &cfg.rate_per_sec) < 0;
			break;
		}
		case O_EVENTS:
			events = fopen(a, "a");
			if (!events) {
				perror(a);
				return 1;
			}
			break;
		case O_LOG: bad |= log_level_parse(a, &lvl) < 0; break;
		case O_DELAY: bad |= parse_u32(a, 10000, &cfg.proxy_delay_ms) < 0; break;
		case O_HELP: usage(stdout); return 0;
		default: bad = 1;
		}
		if (bad) {
			fprintf(stderr, "dhcp-serve: bad value for --%s\n",
				c >= O_MODE && c < O_HELP ? opts[c - O_MODE].name : "?");
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_set_level(lvl);
	lg = log_default_logger();
	cb.ctx = events;
	if (serve_loop_init(&loop, 0) < 0) {
		if (events)
			fclose(events);
		return 1;
	}
	r = dhcp_server_new(loop.base, &cfg, &lg, &cb, &srv);
	if (r < 0) {
		serve_loop_release(&loop);
		if (events)
			fclose(events);
		return 1;
	}
	serve_loop_run(&loop);
	{
		struct dhcp_server_stats st;
		dhcp_server_get_stats(srv, &st);
		log_msg(LOG_INFO, "DHCP",
			"stopping: %llu requests, %llu replies, %llu dropped (%llu rate limited), "
			"%llu lease file syncs",
			(unsigned long long)st.received, (unsigned long long)st.replied,
			(unsigned long long)st.dropped, (unsigned long long)st.rate_limited,
			(unsigned long long)st.leases_written);
	}
	dhcp_server_free(srv);
	serve_loop_release(&loop);
	if (events)
		fclose(events);
	return 0;
}
