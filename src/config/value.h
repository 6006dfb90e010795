/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Parsers for the text forms of configuration values. Each is pure, reads a
 * whole NUL-terminated string (no leading or trailing junk) and returns 0 or
 * -1 without touching *out on failure.
 */
#ifndef BT_CONFIG_VALUE_H
#define BT_CONFIG_VALUE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

/* YAML 1.1 booleans as the original's PyYAML read them: true/false,
 * yes/no, on/off, in lower, Capitalised or UPPER case. */
int config_parse_bool(const char *s, bool *out) WUR;
/* Dotted-quad IPv4 ("10.0.0.1"), exactly four decimal parts. */
int config_parse_ipv4(const char *s, struct in_addr *out) WUR;
/* A netmask: dotted quad with contiguous ones ("255.255.255.0"). */
int config_parse_netmask(const char *s, struct in_addr *out) WUR;
/* A MAC address: six hex pairs separated by ':' or '-'. */
int config_parse_mac(const char *s, uint8_t mac[6]) WUR;
/* A duration: whole seconds ("3600"), or a number with one unit s, m, h, d
 * or w ("12h"), or "infinite" (UINT32_MAX). At most max seconds. */
int config_parse_duration(const char *s, uint32_t max, uint32_t *out) WUR;
/* "START-END" (spaces around '-' allowed): two IPv4 addresses. */
int config_parse_range(const char *s, struct in_addr *start, struct in_addr *end) WUR;

/* The original BootTorrent's dhcp_range, which dnsmasq read:
 * "START,END[,NETMASK[,BROADCAST]][,LEASE]" or "NETWORK,proxy[,NETMASK]". */
struct config_v0_range {
	bool proxy;
	struct in_addr start, end; /* end unset in proxy form */
	bool has_netmask;
	struct in_addr netmask;
	bool has_lease;
	uint32_t lease;
};
/* Returns 0, or -1 with *why set to what was wrong. */
int config_parse_v0_range(const char *s, struct config_v0_range *out, const char **why) WUR;

/* A DNS-style host name: labels of letters, digits and '-', not starting or
 * ending with '-', each at most 63 bytes, 253 in all. */
bool config_hostname_ok(const char *s);

/* Host-order value of an address, for comparisons. */
static inline uint32_t ipv4_host(struct in_addr a)
{
	return ntohl(a.s_addr);
}

/* Length of a netmask's prefix ("255.255.255.0" -> 24). */
unsigned ipv4_prefix_len(struct in_addr mask);

#endif
