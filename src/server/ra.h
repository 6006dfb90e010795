/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef BT_SERVER_RA_H
#define BT_SERVER_RA_H

/* An IPv6 router advertisement for PXE firmware that has no router to wait
 * for. iPXE configures IPv4 (DHCP) and IPv6 (router solicitations) side by
 * side and loads nothing until both are done; on a LAN without an IPv6
 * router its solicitations time out only after about 15 s, which was more
 * than half of a whole boot under QEMU (docs/benchmarks.md, "End to end").
 * The responder answers a solicitation with an advertisement that offers
 * nothing (router lifetime 0: not a default router; no prefix; neither the
 * M nor the O flag), so the firmware's IPv6 setup ends at once.
 *
 * To change nothing for other hosts on the LAN, it answers only machines
 * that asked our DHCP server as PXE firmware in the last two minutes
 * (ra_responder_allow), and answers them by unicast. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct event_base;
struct logger;
struct ra_responder;

/* Reads a router solicitation (the ICMPv6 message, from its type byte) and
 * finds the sender's MAC: the source link-layer address option when there
 * is one, otherwise the modified EUI-64 of the link-local source address
 * src (16 bytes, or NULL). Returns 0 with mac set, or 1 when p is not a
 * usable solicitation (wrong type or code, truncated or zero-length
 * option, no way to tell the MAC). */
int ra_solicit_parse(const uint8_t *p, size_t len, const uint8_t *src, uint8_t mac[6]) WUR;

/* Writes the advertisement (16 bytes, checksum left 0 for the kernel) into
 * out, which holds cap bytes. Returns the length, or 0 when cap is short. */
size_t ra_advert_build(uint8_t *out, size_t cap);

/* Opens a raw ICMPv6 socket that hears solicitations on ifname (every
 * interface when ifname is NULL or empty) and answers them on base.
 * Returns 0, or a negative errno (the caller goes on without it). */
int ra_responder_new(struct event_base *base, const char *ifname, const struct logger *log,
		     struct ra_responder **out) WUR;
/* Stops answering and frees. NULL is a no-op. */
void ra_responder_free(struct ra_responder *r);
/* Lets the machine with this MAC get answers for the next two minutes. */
void ra_responder_allow(struct ra_responder *r, const uint8_t mac[6]);

#endif
