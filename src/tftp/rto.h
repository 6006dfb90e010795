/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A transfer's retransmission timeout, learned from its round trips as TCP
 * does (RFC 6298: smoothed RTT and its variation, Karn's rule that a
 * retransmitted packet gives no sample, doubling on every timeout), within
 * [min, max]. TFTP in lock-step waits a whole timeout for every lost
 * packet: with a fixed 1 s, 2 % loss made a 512 KiB fetch take 14 s instead
 * of 0.2 s (docs/faults.md). A LAN answers in well under a millisecond, so
 * the timeout settles at min; a slow client (a PXE ROM under emulation)
 * raises it by itself. Pure, so that it is unit-tested.
 */
#ifndef BT_TFTP_RTO_H
#define BT_TFTP_RTO_H

#include <stdbool.h>
#include <stdint.h>

struct tftp_rto {
	uint64_t min_ns, max_ns;
	uint64_t srtt_ns, rttvar_ns; /* valid once have_sample */
	uint64_t rto_ns;	     /* the timeout to use now */
	bool have_sample;
};

/* Starts at max (nothing measured yet: as patient as a fixed timeout). */
void tftp_rto_init(struct tftp_rto *r, uint64_t min_ns, uint64_t max_ns);
/* One round trip of a packet that was sent once. */
void tftp_rto_sample(struct tftp_rto *r, uint64_t rtt_ns);
/* A timeout fired: wait twice as long next time (at most max). */
void tftp_rto_backoff(struct tftp_rto *r);

#endif
