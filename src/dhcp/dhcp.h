/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DHCP service as other modules use it: its configuration, the events it
 * reports, and the server object that runs on a libevent loop.
 *
 *   struct dhcp_config cfg;
 *   dhcp_config_init(&cfg);              // defaults
 *   cfg.mode = DHCP_MODE_SERVER; ...     // fill in
 *   struct dhcp_server *s;
 *   int r = dhcp_server_new(base, &cfg, &logger, &callbacks, &s);
 *   ...
 *   dhcp_server_free(s);                 // flushes the lease file
 *
 * Addresses are IPv4 in host byte order. The server copies the config (and
 * its hosts array); the logger and callbacks must outlive the server.
 */
#ifndef BT_DHCP_DHCP_H
#define BT_DHCP_DHCP_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/log.h"
#include "util/util.h"

enum dhcp_mode {
	DHCP_MODE_OFF = 0, /* no DHCP at all: the site's server points at us */
	DHCP_MODE_SERVER,  /* we hand out addresses and boot information */
	DHCP_MODE_PROXY,   /* proxyDHCP: boot information only, to PXE clients */
};

#define DHCP_MAX_IFACES 8
#define DHCP_MAX_DNS 3
#define DHCP_MAX_HOSTS 4096
/* The largest dynamic range we keep a table for. */
#define DHCP_MAX_RANGE 65536
#define DHCP_NAME_MAX 64
#define DHCP_FILE_MAX 128
#define DHCP_URL_MAX 256

/* A fixed address: MAC -> IP (and optionally a host name sent as option 12). */
struct dhcp_host {
	uint8_t mac[6];
	uint32_t ip;
	char hostname[DHCP_NAME_MAX];
};

/* Boot information, chosen by the client's architecture (option 93) and
 * whether it is iPXE. An empty string means "do not offer one". */
struct dhcp_boot {
	char bios[DHCP_FILE_MAX];	     /* arch 0, BIOS PXE: e.g. "pxelinux.0" */
	char uefi[DHCP_FILE_MAX];	     /* arch 7 and 9, x86-64 UEFI PXE: e.g. "shimx64.efi" */
	char uefi_http[DHCP_URL_MAX];	     /* arch 16, UEFI HTTP boot: an http:// URL */
	char ipxe[DHCP_URL_MAX];	     /* iPXE (option 77 "iPXE" or option 175): a URL */
	char pxelinux_config[DHCP_FILE_MAX]; /* option 209 (RFC 5071), for BIOS clients */
	char pxelinux_prefix[DHCP_FILE_MAX]; /* option 210 (RFC 5071), for BIOS clients */
	uint32_t next_server;		     /* siaddr (the TFTP server); 0 = our own address */
};

struct dhcp_config {
	enum dhcp_mode mode;
	/* The interfaces we answer on (by name); none = every interface. */
	char ifnames[DHCP_MAX_IFACES][IF_NAMESIZE];
	size_t n_ifnames;
	/* Our address on the served network: the server identifier (option 54).
	 * 0 = the address the packet arrived on (IP_PKTINFO). */
	uint32_t server_ip;
	uint32_t netmask;
	uint32_t router; /* 0 = no option 3 */
	uint32_t dns[DHCP_MAX_DNS];
	size_t n_dns;
	char domain[DHCP_NAME_MAX];
	/* The dynamic range, inclusive; start 0 = only fixed hosts. */
	uint32_t range_start, range_end;
	uint32_t lease_time;   /* seconds */
	uint32_t offer_time;   /* how long an offered address stays reserved */
	uint32_t decline_time; /* how long a declined address stays unusable */
	/* The lease file; empty = leases live in memory only. */
	char lease_file[PATH_MAX];
	/* Fixed hosts (copied by dhcp_server_new). */
	const struct dhcp_host *hosts;
	size_t n_hosts;
	struct dhcp_boot boot;
	/* Ports (tests use high ports); 0 = the standard 67 and 4011. */
	uint16_t port, pxe_port;
	/* The client port replies go to; 0 = 68. */
	uint16_t client_port;
	/* proxyDHCP: how long to hold a proxy OFFER (milliseconds), so that
	 * clients which take the first offer they see (busybox udhcpc, some
	 * firmware) take the site server's offer, which carries an address.
	 * PXE ROMs collect offers for seconds, so this costs them nothing. */
	uint32_t proxy_delay_ms;
	/* Per-MAC rate limit: a burst of rate_burst packets, refilled at
	 * rate_per_sec. 0 = no limit. */
	uint32_t rate_burst, rate_per_sec;
};

/* Fills in defaults: server mode, 1 h leases, 30 s offers, 10 min decline,
 * a burst of 20 packets and 5 per second per MAC, netmask 255.255.255.0,
 * proxy offers held 300 ms. */
void dhcp_config_init(struct dhcp_config *cfg);
/* Checks a config for contradictions; on failure returns -EINVAL and writes
 * a sentence saying why into err. */
int dhcp_config_check(const struct dhcp_config *cfg, char *err, size_t errlen) WUR;

enum dhcp_event_type {
	DHCP_EV_NONE = 0,
	DHCP_EV_OFFER,	     /* we offered ip */
	DHCP_EV_ACK,	     /* the client has ip (new lease or renewal) */
	DHCP_EV_NAK,	     /* we refused the client's request */
	DHCP_EV_RELEASE,     /* the client gave ip back */
	DHCP_EV_DECLINE,     /* the client found ip in use */
	DHCP_EV_INFORM,	     /* a client with an address asked for options */
	DHCP_EV_PROXY_OFFER, /* proxyDHCP: boot information offered */
	DHCP_EV_PROXY_ACK,   /* proxyDHCP: boot information acknowledged on 4011 */
};

const char *dhcp_event_name(enum dhcp_event_type t);

/* What a client did, for the server role's fleet model. */
struct dhcp_event {
	enum dhcp_event_type type;
	uint8_t mac[6];
	uint32_t ip; /* the address concerned (0 in proxy mode) */
	int arch;    /* option 93, or -1 when absent */
	bool ipxe;   /* the client is iPXE */
	bool pxe;    /* option 60 starts with "PXEClient" */
	uint32_t lease_time;
	char vendor_class[DHCP_NAME_MAX]; /* option 60, printable, truncated */
	char hostname[DHCP_NAME_MAX];	  /* option 12, printable, truncated */
	char boot_file[DHCP_URL_MAX];	  /* what we told it to load */
};

struct dhcp_callbacks {
	void (*on_event)(void *ctx, const struct dhcp_event *ev);
	void *ctx;
};

struct event_base;
struct dhcp_server;

/* Opens the lease file, binds the sockets (67, and 4011 in proxy mode) and
 * starts serving on base. Returns 0, or a negative errno with the reason
 * logged (e.g. -EACCES: needs root or cap_net_bind_service; -EADDRINUSE:
 * another DHCP server holds the port). cfg->mode must not be OFF. */
int dhcp_server_new(struct event_base *base, const struct dhcp_config *cfg,
		    const struct logger *log, const struct dhcp_callbacks *cb,
		    struct dhcp_server **out) WUR;
/* Stops serving, writes the lease file out in full and frees. NULL is a no-op. */
void dhcp_server_free(struct dhcp_server *s);

struct dhcp_server_stats {
	uint64_t received, replied, dropped, rate_limited;
	uint64_t leases_written;
};
void dhcp_server_get_stats(const struct dhcp_server *s, struct dhcp_server_stats *st);

#endif
