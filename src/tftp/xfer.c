/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TFTP server's transfer state machine, run by the transfer's worker
 * (server-int.h says which thread that is and who owns what). The wire
 * format lives in packet.c and the netascii conversion in netascii.c.
 *
 * A transfer numbers its blocks with a 64-bit counter from 1; the 16-bit
 * block number on the wire is its low half, so files past 65535 blocks roll
 * over to 0 as tftp-hpa, curl, atftp, iPXE and pxelinux expect. The window
 * is [base, base + windowsize); blocks base..sent are in flight.
 *
 * Retransmission happens only on timeout, never because of a duplicate ACK
 * (that is what causes the Sorcerer's Apprentice storm of RFC 1350).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "tftp/server-int.h"
#include "util/util.h"

/* The shortest learned retransmission timeout. A LAN's round trip is far
 * below it; it leaves room for a client's scheduling hiccups, and a resend
 * that was not needed costs one duplicate packet, which both sides ignore. */
#define TFTP_MIN_RTO_MS 100
/* Octet transfers read the file in chunks of about this many bytes (a whole
 * number of blocks, at least one), so a block is usually sent straight from
 * memory: one pread per 64 blocks of 512 bytes instead of one per block. The
 * buffer is per transfer, so a file changed on disk mid-transfer cannot
 * crash the server as a shared mmap could (SIGBUS on truncation). */
#define CHUNK_BYTES 32768

#define lg_(w, lvl, ...) logger_log(&(w)->lg, lvl, TFTP_COMP, __VA_ARGS__)

#define log_bad(w, ...)                                                                            \
	logger_warn_limited(&(w)->lg, &(w)->bad_log, TFTP_BAD_LOG_PER_SEC, TFTP_COMP,              \
			    "bad packets", __VA_ARGS__)

static void count(atomic_uint_fast64_t *c)
{
	/* Only this worker adds; the listener reads for tftp_server_stats. */
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void send_error_to(int fd, const struct sockaddr_in *to, uint16_t code, const char *msg)
{
	uint8_t pkt[128];
	size_t n = tftp_error_build(pkt, sizeof(pkt), code, msg);

	/* Best effort: an error packet that is lost changes nothing. */
	(void)!sendto(fd, pkt, n, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* The vDSO answers this without a system call. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads the file from off into the transfer's chunk, up to its capacity or
 * the size the transfer announced. Returns 0 or a negative errno. */
static int chunk_fill(struct tftp_xfer *x, uint64_t off)
{
	size_t want = x->chunk_cap, n = 0;

	/* Queued packets may point into the chunk: they go first. */
	tftp_worker_flush(x->w);
	if (off >= x->size)
		want = 0;
	else if (x->size - off < want)
		want = (size_t)(x->size - off);
	x->chunk_off = off;
	x->chunk_len = 0;
	while (n < want) {
		ssize_t r = pread(x->file->fd, x->chunk + n, want - n, (off_t)(off + n));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break; /* The file shrank: the transfer ends early. */
		n += (size_t)r;
	}
	x->chunk_len = n;
	return 0;
}

/* True when block b of an octet transfer is wholly in the chunk (or is the
 * empty block past the end). */
static bool chunk_has(const struct tftp_xfer *x, uint64_t b)
{
	uint64_t off = (b - 1) * x->blksize;
	uint64_t want = off >= x->size ? 0 : MIN((uint64_t)x->blksize, x->size - off);

	return off >= x->chunk_off && off + want <= x->chunk_off + x->chunk_len;
}

/* Finds block b's payload: *data points at it (in the chunk for octet, in
 * w->pkt + 4 for netascii). Returns its length, or a negative errno. Sets
 * x->last when the block turns out short. */
static ssize_t block_get(struct tftp_xfer *x, uint64_t b, const uint8_t **data)
{
	struct tftp_worker *w = x->w;
	ssize_t n;

	if (x->mode == TFTP_MODE_OCTET) {
		uint64_t off = (b - 1) * x->blksize;
		uint64_t end;

		if (!chunk_has(x, b)) {
			int r = chunk_fill(x, off);
			if (r < 0)
				return r;
		}
		end = x->chunk_off + x->chunk_len;
		n = off >= end ? 0 : (ssize_t)MIN((uint64_t)x->blksize, end - off);
		*data = x->chunk + (off >= end ? 0 : off - x->chunk_off);
	} else {
		struct netascii_state st = x->marks[b - x->base];
		uint8_t *out = w->pkt + 4;
		ssize_t r;

		do {
			r = pread(x->file->fd, w->in, x->blksize, (off_t)st.offset);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		n = (ssize_t)netascii_convert(&st, w->in, (size_t)r, out, x->blksize);
		x->marks[b - x->base + 1] = st;
		*data = out;
	}
	if ((size_t)n < x->blksize)
		x->last = b;
	return n;
}

static int block_send(struct tftp_xfer *x, uint64_t b)
{
	uint8_t hdr[4];
	const uint8_t *data = NULL;
	ssize_t n = block_get(x, b, &data);
	struct iovec iov[2] = {
		{.iov_base = hdr, .iov_len = sizeof(hdr)},
		{.iov_base = (void *)data, .iov_len = n > 0 ? (size_t)n : 0},
	};
	struct msghdr mh = {
		.msg_name = &x->peer,
		.msg_namelen = sizeof(x->peer),
		.msg_iov = iov,
		.msg_iovlen = 2,
	};

	if (n < 0)
		return (int)n;
	tftp_data_header(hdr, (uint16_t)b);
	if (x->w->sq && x->mode == TFTP_MODE_OCTET) {
		/* The payload is in the chunk, which stays until a flush
		 * (chunk_fill and xfer_release flush first). Netascii's is in
		 * the worker's one packet buffer: that one goes now. */
		tftp_sendq_add(x->w->sq, x->fd, &x->peer, hdr, sizeof(hdr), data, iov[1].iov_len);
		return 0;
	}
	if (sendmsg(x->fd, &mh, MSG_DONTWAIT) < 0) {
		/* A full socket buffer or a transient error is treated like a
		 * lost packet: the timeout will send it again. */
		if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR && errno != ECONNREFUSED)
			return -errno;
	}
	return 0;
}

/* Sends the blocks after x->sent up to the end of the window. */
static int window_send(struct tftp_xfer *x)
{
	uint64_t end = x->base + x->windowsize - 1;

	while (x->sent < end && (x->last == 0 || x->sent < x->last)) {
		int r = block_send(x, x->sent + 1);
		if (r < 0)
			return r;
		x->sent++;
		if (x->sent > x->high) {
			/* A block's first sending: it may time a round trip. */
			x->high = x->sent;
			if (!x->probe) {
				x->probe = true;
				x->probe_block = x->sent;
				x->probe_ns = now_ns();
			}
		}
	}
	/* Read ahead now, while the client is busy with what we sent, rather
	 * than between its next ACK and our answer. */
	if (x->mode == TFTP_MODE_OCTET && (x->last == 0 || x->sent < x->last) &&
	    !chunk_has(x, x->sent + 1))
		return chunk_fill(x, x->sent * x->blksize);
	return 0;
}

static void timer_add(struct tftp_xfer *x, uint64_t ns)
{
	struct timeval tv = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_usec = (suseconds_t)(ns % 1000000000u / 1000u),
	};

	x->timer_pending = event_add(x->ev_timer, &tv) == 0;
}

/* Restarts the retransmission timeout; usually just moves the deadline. */
static void timer_arm(struct tftp_xfer *x)
{
	x->deadline = now_ns() + x->rto.rto_ns;
	if (!x->timer_pending)
		timer_add(x, x->rto.rto_ns);
}

/* ---- transfer lifecycle ---- */

/* Frees what the worker holds of x and unlinks it from the worker. */
static void xfer_release(struct tftp_xfer *x)
{
	struct tftp_worker *w = x->w;

	/* Queued packets may use x's socket and chunk. */
	tftp_worker_flush(w);
	if (x->wprev)
		x->wprev->wnext = x->wnext;
	else
		w->xfers = x->wnext;
	if (x->wnext)
		x->wnext->wprev = x->wprev;
	x->wnext = x->wprev = NULL;
	if (x->ev_read)
		event_free(x->ev_read);
	if (x->ev_timer)
		event_free(x->ev_timer);
	x->ev_read = x->ev_timer = NULL;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	free(x->marks);
	free(x->chunk);
	x->marks = NULL;
	x->chunk = NULL;
}

/* Ends x: the worker lets go of it and the listener reports, logs and
 * frees it. x must not be touched after this. */
static void xfer_end(struct tftp_xfer *x, enum tftp_event ev, int code, const char *reason)
{
	struct tftp_worker *w = x->w;

	x->end_ev = ev;
	x->end_error = code;
	snprintf(x->end_reason, sizeof(x->end_reason), "%s", reason ? reason : "");
	xfer_release(x);
	tftp_worker_post(w, TFTP_MSG_END, x);
}

static void xfer_fail(struct tftp_xfer *x, int code, const char *reason, bool send)
{
	/* What was queued for the client goes before the ERROR. */
	tftp_worker_flush(x->w);
	if (send)
		send_error_to(x->fd, &x->peer, (uint16_t)code, reason);
	xfer_end(x, TFTP_EV_FAILED, code, reason);
}

static void xfer_done(struct tftp_xfer *x)
{
	xfer_end(x, TFTP_EV_DONE, -1, NULL);
}

static void on_ack(struct tftp_xfer *x, uint16_t n)
{
	uint64_t prev = x->base - 1;
	uint64_t k = prev + (uint16_t)(n - (uint16_t)prev);
	uint64_t d;
	int r;

	if (!x->got_ack) {
		x->got_ack = true;
		atomic_store_explicit(&x->first_ack_rt, tftp_realtime_ns(), memory_order_relaxed);
	}
	if (x->oack_pending) {
		if (n != 0)
			return;
		x->oack_pending = false;
		x->tries = 0;
		x->progress_ns = now_ns();
		goto send;
	}
	if (k == prev) {
		/* A duplicate. With windowsize 1 it is never answered: that
		 * is how the Sorcerer's Apprentice storm starts. With a
		 * window it is how an RFC 7440 receiver says the window's
		 * first block was lost, so the window is resent, but only
		 * once per window, so duplicates cannot multiply. */
		if (x->windowsize > 1 && !x->dup_resent && x->sent >= x->base) {
			x->dup_resent = true;
			x->sent = x->base - 1;
			count(&x->w->retransmits);
			goto send;
		}
		return;
	}
	if (k > x->sent) {
		if (!x->warned_unsent_ack) {
			char who[32];
			x->warned_unsent_ack = true;
			log_bad(x->w,
				"%s: ACK for block %u outside the window (not sent yet or stale), "
				"ignored",
				tftp_addr_str(&x->peer, who, sizeof(who)), n);
		}
		return;
	}
	/* Blocks base..k arrived. */
	d = k + 1 - x->base;
	if (x->mode == TFTP_MODE_NETASCII) {
		memmove(x->marks, x->marks + d, (x->windowsize + 1 - d) * sizeof(*x->marks));
		x->bytes_acked = x->marks[0].offset;
	} else {
		x->bytes_acked = MIN(k * x->blksize, x->size);
	}
	x->base = k + 1;
	x->tries = 0;
	x->dup_resent = false;
	x->progress_ns = now_ns();
	if (x->probe && k >= x->probe_block) {
		tftp_rto_sample(&x->rto, x->progress_ns - x->probe_ns);
		x->probe = false;
	}
	if (x->last && k == x->last) {
		xfer_done(x);
		return;
	}
	/* RFC 7440: an ACK inside the window means the blocks after it were
	 * lost; the next window starts right after it. */
	if (x->sent > k)
		x->sent = k;
send:
	r = window_send(x);
	if (r < 0) {
		xfer_fail(x, TFTP_ERR_UNDEF, "read error", true);
		return;
	}
	timer_arm(x);
}

static void on_xfer_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_xfer *x = arg;
	struct tftp_worker *w = x->w;
	uint8_t pkt[TFTP_REQUEST_MAX];
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;
	uint16_t block, code;
	const char *msg;
	size_t msg_len;

	n = recvfrom(fd, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return;
	if (fromlen != sizeof(from) || from.sin_family != AF_INET ||
	    from.sin_addr.s_addr != x->peer.sin_addr.s_addr || from.sin_port != x->peer.sin_port) {
		char who[32];

		/* RFC 1350: a packet from another TID gets an ERROR 5 and
		 * does not disturb the transfer. Never answer an ERROR. */
		count(&w->dropped);
		log_bad(w, "%s: packet for another transfer, answered 'unknown transfer ID'",
			tftp_addr_str(&from, who, sizeof(who)));
		if (tftp_packet_opcode(pkt, (size_t)n) != TFTP_ERROR)
			send_error_to(fd, &from, TFTP_ERR_UNKNOWN_TID, "unknown transfer ID");
		return;
	}
	switch (tftp_packet_opcode(pkt, (size_t)n)) {
	case TFTP_ACK:
		if (tftp_ack_parse(pkt, (size_t)n, &block) == 0)
			on_ack(x, block);
		return;
	case TFTP_ERROR:
		if (tftp_error_parse(pkt, (size_t)n, &code, &msg, &msg_len) == 0) {
			char reason[TFTP_REASON_MAX];
			snprintf(reason, sizeof(reason), "client sent error %u '%.*s'", code,
				 (int)MIN(msg_len, 64), msg);
			xfer_fail(x, code, reason, false);
		}
		return;
	default:
		count(&w->dropped);
		log_bad(w, "%s: unexpected opcode %u during a transfer, ignored", x->path,
			tftp_packet_opcode(pkt, (size_t)n));
		return;
	}
}

static void on_xfer_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_xfer *x = arg;
	struct tftp_worker *w = x->w;
	const struct tftp_config *cfg = &w->srv->cfg;
	uint64_t now = now_ns();
	int r = 0;

	x->timer_pending = false;
	if (now < x->deadline) {
		/* There was progress since the timer was set: wait the rest. */
		timer_add(x, x->deadline - now);
		return;
	}
	/* Give up after cfg.retries timeouts, and not before the client has
	 * been silent for cfg.retries full timeouts: a learned timeout is far
	 * shorter, and a client that pauses must not lose its transfer for
	 * it. Karn: what is resent now gives no sample. */
	if (++x->tries > cfg->retries &&
	    now - x->progress_ns >= (uint64_t)cfg->retries * x->timeout_ns) {
		xfer_fail(x, TFTP_ERR_UNDEF, "timed out", true);
		return;
	}
	tftp_rto_backoff(&x->rto);
	x->probe = false;
	count(&w->retransmits);
	{
		char who[32];
		lg_(w, LOG_DEBUG, "%s: %s: timeout %u, resending from block %llu",
		    tftp_addr_str(&x->peer, who, sizeof(who)), x->path, x->tries,
		    (unsigned long long)(x->oack_pending ? 0 : x->base));
	}
	if (x->oack_pending) {
		(void)!sendto(x->fd, x->oack, x->oack_len, MSG_DONTWAIT,
			      (struct sockaddr *)&x->peer, sizeof(x->peer));
	} else {
		x->sent = x->base - 1;
		r = window_send(x);
	}
	if (r < 0) {
		xfer_fail(x, TFTP_ERR_UNDEF, "read error", true);
		return;
	}
	timer_arm(x);
}

/* ---- the worker's side of the listener's requests ---- */

void tftp_xfer_begin(struct tftp_xfer *x)
{
	struct tftp_worker *w = x->w;

	x->wprev = NULL;
	x->wnext = w->xfers;
	if (x->wnext)
		x->wnext->wprev = x;
	w->xfers = x;

	tftp_rto_init(&x->rto, (uint64_t)TFTP_MIN_RTO_MS * 1000000u, x->timeout_ns);
	x->progress_ns = now_ns();
	x->base = 1;
	x->sent = 0;
	if (x->mode == TFTP_MODE_OCTET) {
		x->last = x->size / x->blksize + 1;
		x->chunk_cap = MAX(1u, CHUNK_BYTES / x->blksize) * x->blksize;
		x->chunk = xmalloc(x->chunk_cap);
	} else {
		x->marks = xcalloc(x->windowsize + 1, sizeof(*x->marks));
		x->marks[0] = NETASCII_STATE_INIT;
	}
	x->ev_read = event_new(w->base, x->fd, EV_READ | EV_PERSIST, on_xfer_readable, x);
	x->ev_timer = evtimer_new(w->base, on_xfer_timeout, x);
	if (!x->ev_read || !x->ev_timer || event_add(x->ev_read, NULL) < 0) {
		lg_(w, LOG_ERROR, "cannot register a transfer with the event loop");
		xfer_fail(x, TFTP_ERR_UNDEF, "server error", true);
		return;
	}
	/* START goes through the same queue as the transfer's end, so the
	 * caller always hears them in order, and hears the end of a
	 * transfer this one superseded first (same worker). */
	tftp_worker_post(w, TFTP_MSG_START, x);

	if (x->oack_len) {
		x->oack_pending = true;
		(void)!sendto(x->fd, x->oack, x->oack_len, MSG_DONTWAIT,
			      (struct sockaddr *)&x->peer, sizeof(x->peer));
	} else if (window_send(x) < 0) {
		xfer_fail(x, TFTP_ERR_UNDEF, "read error", true);
		return;
	}
	timer_arm(x);
}

void tftp_worker_supersede(struct tftp_worker *w, uint64_t id)
{
	struct tftp_xfer *x;

	/* By id, not pointer: the transfer may have ended (and its memory
	 * been reused) while the message was queued. */
	for (x = w->xfers; x; x = x->wnext) {
		if (x->id != id)
			continue;
		/* The client has moved on from this transfer (one that
		 * reuses its port for the next file, with the last ACK still
		 * queued behind the new request). */
		if (x->last && x->sent >= x->last)
			xfer_done(x);
		else
			xfer_fail(x, TFTP_ERR_UNDEF, "superseded by a new request", false);
		return;
	}
}

void tftp_worker_flush(struct tftp_worker *w)
{
	if (!w->sq || !tftp_sendq_pending(w->sq))
		return;
	/* A refused send is a lost packet, as with sendmsg's EAGAIN: the
	 * timeout resends it, and the retry cap ends a transfer whose
	 * sends keep failing. */
	(void)tftp_sendq_flush(w->sq);
}

void tftp_worker_release_all(struct tftp_worker *w)
{
	while (w->xfers)
		xfer_release(w->xfers);
}
