/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A worker's queue of outgoing DATA packets, sent in one system call for
 * all of the worker's transfers (io_uring), so that one wake-up that finds
 * many ACKs waiting answers them all with one io_uring_enter instead of
 * one sendmsg each.
 *
 * Why it helps on this kernel (PREEMPT_NONE, docs/benchmarks.md, TFTP,
 * session 5): on loopback, each send wakes the client it is for, and a
 * woken client preempts the sender when it returns to user space; with
 * one sendmsg per block that is up to one context switch per block, with
 * one io_uring_enter per batch at most one per batch.
 *
 * A queued packet's bytes (header and payload) are only read while the
 * queue is flushed: the caller keeps the payload valid until then, and
 * flushes before it reuses or frees it (a transfer's read-ahead chunk) or
 * closes the socket. Every packet goes with MSG_DONTWAIT, so the kernel
 * sends it during the flush or fails it there (a full socket buffer is a
 * lost packet, as with sendmsg), and never keeps a reference for later.
 *
 * A flush of a single packet uses sendmsg: through the ring it costs more
 * (a lone client's ACK per round of the event loop).
 *
 * Where io_uring is missing or refused (no liburing at build time, ENOSYS,
 * EPERM under seccomp or kernel.io_uring_disabled), tftp_sendq_new fails
 * and the worker sends each packet with sendmsg as before.
 */
#ifndef BT_TFTP_SENDQ_H
#define BT_TFTP_SENDQ_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Packets queued before the queue flushes itself. */
#define TFTP_SENDQ_SLOTS 64

struct tftp_sendq;

/* A queue on an io_uring of this thread. Returns NULL (errno set) when
 * io_uring cannot be had; the caller then sends directly. */
struct tftp_sendq *tftp_sendq_new(void);
/* Flushes what is queued and frees q. NULL is a no-op. */
void tftp_sendq_free(struct tftp_sendq *q);

/* Queues the datagram hdr[0..hdr_len) + data[0..len) to `to` on fd; flushes
 * first when the queue is full. hdr is copied (at most 8 bytes); data must
 * stay valid until the next flush. */
void tftp_sendq_add(struct tftp_sendq *q, int fd, const struct sockaddr_in *to, const uint8_t *hdr,
		    size_t hdr_len, const uint8_t *data, size_t len);
/* Packets queued and not yet flushed. */
unsigned tftp_sendq_pending(const struct tftp_sendq *q);
/* Sends everything queued. Returns how many packets the kernel refused
 * (counted like losses: the retransmission timeout resends them). */
unsigned tftp_sendq_flush(struct tftp_sendq *q);

#endif
