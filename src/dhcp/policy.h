/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DHCP decision: from a request's bytes, the lease table and the config
 * to a reply (bytes and where to send them) or a reason to stay silent. No
 * sockets and no clock inside: the caller passes the time, so the same
 * function is unit-tested with byte vectors and fuzzed.
 */
#ifndef BT_DHCP_POLICY_H
#define BT_DHCP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/dhcp.h"
#include "dhcp/leases.h"
#include "dhcp/packet.h"
#include "util/util.h"

/* Where and when a request arrived. */
struct dhcp_rx {
	int64_t now;	   /* Unix time */
	uint32_t local_ip; /* our address on the receiving interface (IP_PKTINFO); 0 = unknown */
	uint32_t src_ip;
	uint16_t src_port;
	bool pxe_port; /* arrived on the PXE port (4011) */
};

/* A reply to send. len 0 = none. */
struct dhcp_tx {
	size_t len;
	uint32_t dst_ip;
	uint16_t dst_port;
	/* dst_ip is a client that has no address yet and did not ask for a
	 * broadcast: the sender must reach it at mac (an ARP entry, a packet
	 * socket, or a broadcast as the last resort). */
	bool link_unicast;
	/* The reply promises a lease: send it only once the lease file
	 * holds that lease (see dhcp_leases_journal_take). */
	bool needs_sync;
	uint8_t mac[6];
	uint8_t buf[DHCP_PACKET_MAX];
};

/*
 * Decides what to do with one request of len bytes. Returns 0 when handled
 * (tx->len > 0: send tx; ev->type != DHCP_EV_NONE: report ev), or a
 * positive DHCP_E_* code saying why it was dropped. May change the lease
 * table (leases may be NULL in proxy mode).
 */
int dhcp_policy_handle(const struct dhcp_config *cfg, struct dhcp_leases *leases,
		       const struct dhcp_rx *rx, const uint8_t *data, size_t len,
		       struct dhcp_tx *tx, struct dhcp_event *ev) WUR;

/* Prepares a lease table for cfg: its range, with fixed hosts' addresses
 * reserved. NULL when the range is invalid. */
struct dhcp_leases *dhcp_policy_leases_new(const struct dhcp_config *cfg);

/*
 * A per-MAC token bucket, so one client flooding cannot starve the others.
 * A fixed table indexed by a hash of the MAC: a new MAC takes over its cell
 * with a full bucket, so memory stays bounded whatever the sender does.
 */
struct dhcp_ratelimit;
struct dhcp_ratelimit *dhcp_ratelimit_new(uint32_t burst, uint32_t per_sec);
void dhcp_ratelimit_free(struct dhcp_ratelimit *rl);
/* True when mac may send one more packet at now_ms (monotonic). *first_drop
 * is set true for the first refused packet of a run, so the caller logs
 * each flood once. */
bool dhcp_ratelimit_allow(struct dhcp_ratelimit *rl, const uint8_t mac[6], uint64_t now_ms,
			  bool *first_drop);

#endif
