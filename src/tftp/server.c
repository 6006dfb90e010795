/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TFTP server's state machine. The wire format lives in packet.c and the
 * netascii conversion in netascii.c; this file owns sockets, timers, files.
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
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "tftp/netascii.h"
#include "tftp/packet.h"
#include "tftp/rto.h"
#include "tftp/server.h"
#include "util/path.h"
#include "util/util.h"

/* The shortest learned retransmission timeout. A LAN's round trip is far
 * below it; it leaves room for a client's scheduling hiccups, and a resend
 * that was not needed costs one duplicate packet, which both sides ignore. */
#define TFTP_MIN_RTO_MS 100
#define COMP "TFTP"
/* Requests drained from the listening socket per wakeup, so a storm of
 * requests does not starve running transfers. */
#define LISTEN_BURST 32
/* Netascii tsize is computed by reading the file; above this we omit it. */
#define NETASCII_TSIZE_MAX ((uint64_t)4 << 20)
/* Complaints about bad packets logged per second; the rest are counted. */
#define BAD_LOG_PER_SEC 10
/* Octet transfers read the file in chunks of about this many bytes (a whole
 * number of blocks, at least one), so a block is usually sent straight from
 * memory: one pread per 64 blocks of 512 bytes instead of one per block. The
 * buffer is per transfer, so a file changed on disk mid-transfer cannot
 * crash the server as a shared mmap could (SIGBUS on truncation). */
#define CHUNK_BYTES 32768

struct tftp_file {
	struct tftp_file *next;
	dev_t dev;
	ino_t ino;
	int fd;
	unsigned refs;
};

struct tftp_xfer {
	struct tftp_xfer *next, *prev;
	struct tftp_server *srv;
	int fd;
	struct event *ev_read, *ev_timer;
	struct sockaddr_in peer;
	struct tftp_file *file;
	char *path;
	enum tftp_mode mode;
	uint64_t size; /* file size when the transfer started */
	unsigned blksize, windowsize;
	uint64_t timeout_ns; /* the longest wait: cfg.timeout_ms, or the client's */
	/* The wait before a retransmission, learned from the round trips
	 * (tftp/rto.h). probe_block, sent at probe_ns and never resent, is
	 * the packet whose ACK gives the next sample (Karn's rule). */
	struct tftp_rto rto;
	uint64_t probe_block, probe_ns;
	bool probe;
	uint64_t high;	      /* the highest block ever sent */
	uint64_t progress_ns; /* when the client last acknowledged something new */
	/* The retransmission deadline (CLOCK_MONOTONIC). Progress only moves
	 * this field; the libevent timer is armed once and, when it fires
	 * before the deadline, re-armed for the rest, so an ACK costs no
	 * timer operation. */
	uint64_t deadline;
	bool timer_pending;
	unsigned tries;
	bool oack_pending;
	bool got_ack;	 /* the client has answered at least once */
	bool dup_resent; /* this window was resent for a repeated ACK */
	bool warned_unsent_ack;
	uint8_t oack[TFTP_OACK_MAX];
	size_t oack_len;
	uint64_t base; /* first unacknowledged block */
	uint64_t sent; /* highest block sent, base - 1 when none in flight */
	uint64_t last; /* the final block, 0 while unknown */
	uint64_t bytes_acked;
	/* Octet mode: file bytes [chunk_off, chunk_off + chunk_len) are in
	 * chunk, which holds chunk_cap bytes. */
	uint8_t *chunk;
	size_t chunk_cap, chunk_len;
	uint64_t chunk_off;
	/* Netascii: marks[i] is the conversion state at the start of block
	 * base + i, for i in 0..windowsize. */
	struct netascii_state *marks;
};

struct tftp_server {
	struct event_base *base;
	struct tftp_config cfg;
	const struct logger *lg;
	struct tftp_callbacks cbs;
	int root_fd;
	int listen_fd;
	struct in_addr listen_addr;
	uint16_t port;
	struct event *ev_listen;
	struct tftp_xfer *xfers;
	struct tftp_file *files;
	struct tftp_stats stats;
	struct log_ratelimit bad_log;
	uint8_t *pkt; /* 4 + TFTP_BLKSIZE_MAX: one DATA packet at a time */
	uint8_t *in;  /* TFTP_BLKSIZE_MAX: netascii input */
};

#define lg_(srv, lvl, ...) logger_log((srv)->lg, lvl, COMP, __VA_ARGS__)

static const char *addr_str(const struct sockaddr_in *a, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	return buf;
}

/* Logs a complaint about a bad packet, at most BAD_LOG_PER_SEC a second, so
 * garbage from the network cannot flood the log. */
static void PRINTF_LIKE(2, 3) log_bad(struct tftp_server *srv, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logger_warn_limited(srv->lg, &srv->bad_log, BAD_LOG_PER_SEC, COMP, "bad packets", "%s",
			    msg);
}

const char *tftp_path_relative(const char *name)
{
	while (*name == '/')
		name++;
	return *name ? name : NULL;
}

/* ---- shared files ---- */

static struct tftp_file *file_get(struct tftp_server *srv, int fd, const struct stat *st)
{
	struct tftp_file *f;

	for (f = srv->files; f; f = f->next) {
		if (f->dev == st->st_dev && f->ino == st->st_ino) {
			/* Another transfer has it open already: share that fd
			 * (dnsmasq does the same during a boot storm). */
			close(fd);
			f->refs++;
			return f;
		}
	}
	f = xcalloc(1, sizeof(*f));
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->fd = fd;
	f->refs = 1;
	f->next = srv->files;
	srv->files = f;
	srv->stats.open_files++;
	return f;
}

static void file_put(struct tftp_server *srv, struct tftp_file *f)
{
	struct tftp_file **pp;

	if (!f || --f->refs > 0)
		return;
	for (pp = &srv->files; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	close(f->fd);
	free(f);
	srv->stats.open_files--;
}

/* ---- callbacks ---- */

static void report(struct tftp_server *srv, enum tftp_event ev, const struct tftp_xfer *x,
		   const struct sockaddr_in *peer, const char *path, int error, const char *reason)
{
	struct tftp_xfer_info info = {
		.client = x ? x->peer : *peer,
		.path = x ? x->path : path,
		.size = x ? x->size : UINT64_MAX,
		.bytes = x ? x->bytes_acked : 0,
		.blksize = x ? x->blksize : 0,
		.windowsize = x ? x->windowsize : 0,
		.error = error,
		.reason = reason,
	};

	if (srv->cbs.event)
		srv->cbs.event(srv->cbs.ctx, ev, &info);
}

/* ---- sending ---- */

/* Sends an ERROR from the listening socket, with the source address the
 * request was sent to (IP_PKTINFO), so the reply comes from where the
 * client expects it even when we listen on 0.0.0.0. */
static void send_error_listen(struct tftp_server *srv, const struct sockaddr_in *peer,
			      const struct in_addr *local, uint16_t code, const char *msg)
{
	uint8_t pkt[128];
	size_t n = tftp_error_build(pkt, sizeof(pkt), code, msg);
	struct iovec iov = {.iov_base = pkt, .iov_len = n};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl;
	struct msghdr mh = {
		.msg_name = (void *)peer,
		.msg_namelen = sizeof(*peer),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	memset(&ctl, 0, sizeof(ctl));
	if (local && local->s_addr != INADDR_ANY) {
		struct cmsghdr *cm;
		struct in_pktinfo pi = {.ipi_spec_dst = *local};

		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(srv->listen_fd, &mh, MSG_DONTWAIT) < 0)
		lg_(srv, LOG_DEBUG, "sending an error: %s", strerror(errno));
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
 * srv->pkt + 4 for netascii). Returns its length, or a negative errno. Sets
 * x->last when the block turns out short. */
static ssize_t block_get(struct tftp_xfer *x, uint64_t b, const uint8_t **data)
{
	struct tftp_server *srv = x->srv;
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
		uint8_t *out = srv->pkt + 4;
		ssize_t r;

		do {
			r = pread(x->file->fd, srv->in, x->blksize, (off_t)st.offset);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		n = (ssize_t)netascii_convert(&st, srv->in, (size_t)r, out, x->blksize);
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

static void xfer_free(struct tftp_xfer *x)
{
	struct tftp_server *srv;

	if (!x)
		return;
	srv = x->srv;
	if (x->prev)
		x->prev->next = x->next;
	else
		srv->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	srv->stats.active--;
	if (x->ev_read)
		event_free(x->ev_read);
	if (x->ev_timer)
		event_free(x->ev_timer);
	if (x->fd >= 0)
		close(x->fd);
	file_put(srv, x->file);
	free(x->marks);
	free(x->chunk);
	free(x->path);
	free(x);
}

static void xfer_fail(struct tftp_xfer *x, int code, const char *reason, bool send)
{
	struct tftp_server *srv = x->srv;
	char who[32];

	if (send)
		send_error_to(x->fd, &x->peer, (uint16_t)code, reason);
	lg_(srv, LOG_INFO, "%s: %s failed after %llu bytes: %s",
	    addr_str(&x->peer, who, sizeof(who)), x->path, (unsigned long long)x->bytes_acked,
	    reason);
	srv->stats.failed++;
	report(srv, TFTP_EV_FAILED, x, NULL, NULL, code, reason);
	xfer_free(x);
}

static void xfer_done(struct tftp_xfer *x)
{
	struct tftp_server *srv = x->srv;
	char who[32];

	lg_(srv, LOG_INFO, "%s: sent %s (%llu bytes)", addr_str(&x->peer, who, sizeof(who)),
	    x->path, (unsigned long long)x->bytes_acked);
	srv->stats.done++;
	report(srv, TFTP_EV_DONE, x, NULL, NULL, -1, NULL);
	xfer_free(x);
}

static void on_ack(struct tftp_xfer *x, uint16_t n)
{
	uint64_t prev = x->base - 1;
	uint64_t k = prev + (uint16_t)(n - (uint16_t)prev);
	uint64_t d;
	int r;

	x->got_ack = true;
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
			x->srv->stats.retransmits++;
			goto send;
		}
		return;
	}
	if (k > x->sent) {
		if (!x->warned_unsent_ack) {
			char who[32];
			x->warned_unsent_ack = true;
			log_bad(x->srv,
				"%s: ACK for block %u outside the window (not sent yet or stale), "
				"ignored",
				addr_str(&x->peer, who, sizeof(who)), n);
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
	struct tftp_server *srv = x->srv;
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
		srv->stats.dropped++;
		log_bad(srv, "%s: packet for another transfer, answered 'unknown transfer ID'",
			addr_str(&from, who, sizeof(who)));
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
			char reason[96];
			snprintf(reason, sizeof(reason), "client sent error %u '%.*s'", code,
				 (int)MIN(msg_len, 64), msg);
			xfer_fail(x, code, reason, false);
		}
		return;
	default:
		srv->stats.dropped++;
		log_bad(srv, "%s: unexpected opcode %u during a transfer, ignored", x->path,
			tftp_packet_opcode(pkt, (size_t)n));
		return;
	}
}

static void on_xfer_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_xfer *x = arg;
	struct tftp_server *srv = x->srv;
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
	if (++x->tries > srv->cfg.retries &&
	    now - x->progress_ns >= (uint64_t)srv->cfg.retries * x->timeout_ns) {
		xfer_fail(x, TFTP_ERR_UNDEF, "timed out", true);
		return;
	}
	tftp_rto_backoff(&x->rto);
	x->probe = false;
	srv->stats.retransmits++;
	{
		char who[32];
		lg_(srv, LOG_DEBUG, "%s: %s: timeout %u, resending from block %llu",
		    addr_str(&x->peer, who, sizeof(who)), x->path, x->tries,
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

/* ---- requests ---- */

/* The largest blksize that fits the MTU of the interface a request came in
 * on, so DATA packets are never fragmented. */
static unsigned mtu_blksize(struct tftp_server *srv, int ifindex)
{
	unsigned max = srv->cfg.max_blksize;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ifindex > 0 && if_indextoname((unsigned)ifindex, ifr.ifr_name) &&
	    ioctl(srv->listen_fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > TFTP_IPV4_OVERHEAD) {
		unsigned m = (unsigned)ifr.ifr_mtu - TFTP_IPV4_OVERHEAD;
		if (m < max)
			max = m;
	}
	return max;
}

static int netascii_tsize(struct tftp_server *srv, int fd, uint64_t size, uint64_t *out)
{
	uint64_t off = 0, n = 0;

	if (size > NETASCII_TSIZE_MAX)
		return -EFBIG;
	while (off < size) {
		ssize_t r = pread(fd, srv->in, TFTP_BLKSIZE_MAX, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		n += netascii_size_add(srv->in, (size_t)r);
		off += (uint64_t)r;
	}
	*out = n;
	return 0;
}

static void refuse(struct tftp_server *srv, const struct sockaddr_in *peer,
		   const struct in_addr *local, const char *path, uint16_t code, const char *msg,
		   enum log_level lvl)
{
	char who[32];

	send_error_listen(srv, peer, local, code, msg);
	srv->stats.refused++;
	/* Warnings come from requests a client should not send; they go
	 * through the rate limit so a flood cannot fill the log. */
	if (lvl == LOG_WARN)
		log_bad(srv, "%s: %s: %s", addr_str(peer, who, sizeof(who)),
			path ? path : "(request)", msg);
	else
		logger_log(srv->lg, lvl, COMP, "%s: %s: %s", addr_str(peer, who, sizeof(who)),
			   path ? path : "(request)", msg);
	report(srv, TFTP_EV_REFUSED, NULL, peer, path, code, msg);
}

static void open_error(int err, uint16_t *code, const char **msg)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
	case -ENAMETOOLONG:
		*code = TFTP_ERR_NOT_FOUND;
		*msg = "file not found";
		break;
	case -EXDEV:
	case -ELOOP:
		*code = TFTP_ERR_ACCESS;
		*msg = "access violation: outside the TFTP root";
		break;
	case -EACCES:
	case -EPERM:
		*code = TFTP_ERR_ACCESS;
		*msg = "access violation";
		break;
	default:
		*code = TFTP_ERR_UNDEF;
		*msg = "cannot open file";
		break;
	}
}

static int xfer_socket(struct tftp_server *srv, const struct in_addr *local)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = *local};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void handle_rrq(struct tftp_server *srv, const uint8_t *pkt, size_t len,
		       const struct sockaddr_in *peer, const struct in_addr *local, int ifindex)
{
	struct tftp_request req;
	struct tftp_limits lim = {0};
	struct tftp_negotiated neg;
	struct tftp_xfer *x, *it;
	const char *path, *msg;
	unsigned per_client = 0;
	uint16_t code;
	struct stat st;
	char who[32];
	int r, fd;

	r = tftp_request_parse(pkt, len, &req);
	if (r == TFTP_E_MODE) {
		refuse(srv, peer, local, NULL, TFTP_ERR_ILLEGAL_OP, "unsupported transfer mode",
		       LOG_WARN);
		return;
	}
	if (r != 0) {
		srv->stats.dropped++;
		log_bad(srv, "%s: malformed request, answered with an error",
			addr_str(peer, who, sizeof(who)));
		send_error_listen(srv, peer, local, TFTP_ERR_ILLEGAL_OP, "malformed request");
		return;
	}
	if (req.trailing_ignored)
		log_bad(srv, "%s: ignored malformed options after the last complete pair",
			addr_str(peer, who, sizeof(who)));

	path = tftp_path_relative(req.filename);
	for (it = srv->xfers; it; it = it->next) {
		if (it->peer.sin_addr.s_addr != peer->sin_addr.s_addr ||
		    it->peer.sin_port != peer->sin_port)
			continue;
		/* A retransmitted request for a transfer that has not heard
		 * from its client yet: its own timer answers it. */
		if (!it->got_ack && path && strcmp(path, it->path) == 0)
			return;
		/* Otherwise the client has moved on from that transfer (a
		 * client that reuses its port for the next file, with the
		 * last ACK still queued behind this request). */
		if (it->last && it->sent >= it->last)
			xfer_done(it);
		else
			xfer_fail(it, TFTP_ERR_UNDEF, "superseded by a new request", false);
		break;
	}
	for (it = srv->xfers; it; it = it->next)
		per_client += it->peer.sin_addr.s_addr == peer->sin_addr.s_addr;
	if (srv->stats.active >= srv->cfg.max_transfers || per_client >= srv->cfg.max_per_client) {
		/* Dropped, not refused: the client will ask again, and an
		 * ERROR would make a PXE ROM give up booting. */
		srv->stats.dropped++;
		log_bad(srv,
			"%s: too many transfers (%u running, %u from this client), request "
			"dropped",
			addr_str(peer, who, sizeof(who)), srv->stats.active, per_client);
		return;
	}

	if (req.opcode == TFTP_WRQ) {
		refuse(srv, peer, local, path, TFTP_ERR_ACCESS, "write requests are not accepted",
		       LOG_WARN);
		return;
	}
	if (!path) {
		refuse(srv, peer, local, req.filename, TFTP_ERR_NOT_FOUND, "file not found",
		       LOG_DEBUG);
		return;
	}
	/* O_NONBLOCK so a FIFO under the root cannot stall the loop. */
	fd = path_open_beneath(srv->root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		open_error(fd, &code, &msg);
		/* pxelinux probes many names that do not exist: debug only. */
		refuse(srv, peer, local, path, code, msg,
		       code == TFTP_ERR_NOT_FOUND ? LOG_DEBUG : LOG_WARN);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		refuse(srv, peer, local, path, TFTP_ERR_NOT_FOUND, "not a regular file", LOG_INFO);
		return;
	}

	lim.max_blksize = mtu_blksize(srv, ifindex);
	lim.max_windowsize = srv->cfg.max_windowsize;
	if (req.mode == TFTP_MODE_OCTET) {
		lim.tsize = (uint64_t)st.st_size;
		lim.tsize_known = true;
	} else {
		lim.tsize_known = netascii_tsize(srv, fd, (uint64_t)st.st_size, &lim.tsize) == 0;
	}
	tftp_options_negotiate(&req, &lim, &neg);

	x = xcalloc(1, sizeof(*x));
	x->srv = srv;
	x->fd = -1;
	x->peer = *peer;
	x->file = file_get(srv, fd, &st);
	x->path = xstrdup(path);
	x->mode = req.mode;
	x->size = (uint64_t)st.st_size;
	x->blksize = neg.blksize;
	x->windowsize = neg.windowsize;
	{
		/* The client's timeout option is acknowledged, but we never
		 * wait longer than our own: curl asks for 6 s, which would
		 * make every lost packet on a busy LAN cost 6 s. Resending
		 * sooner is harmless, as duplicates are ignored. */
		unsigned ms = srv->cfg.timeout_ms;
		if (neg.has_timeout && neg.timeout_s * 1000 < ms)
			ms = neg.timeout_s * 1000;
		x->timeout_ns = (uint64_t)ms * 1000000u;
		tftp_rto_init(&x->rto, (uint64_t)TFTP_MIN_RTO_MS * 1000000u, x->timeout_ns);
		x->progress_ns = now_ns();
	}
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
	/* Linked first, so xfer_free can undo everything from here on. */
	x->next = srv->xfers;
	if (x->next)
		x->next->prev = x;
	srv->xfers = x;
	srv->stats.active++;

	x->fd = xfer_socket(srv, local);
	if (x->fd < 0) {
		lg_(srv, LOG_ERROR, "cannot open a transfer socket: %s", strerror(-x->fd));
		send_error_listen(srv, peer, local, TFTP_ERR_UNDEF, "server error");
		srv->stats.refused++;
		xfer_free(x);
		return;
	}
	x->ev_read = event_new(srv->base, x->fd, EV_READ | EV_PERSIST, on_xfer_readable, x);
	x->ev_timer = evtimer_new(srv->base, on_xfer_timeout, x);
	if (!x->ev_read || !x->ev_timer || event_add(x->ev_read, NULL) < 0) {
		lg_(srv, LOG_ERROR, "cannot register a transfer with the event loop");
		srv->stats.refused++;
		xfer_free(x);
		return;
	}

	srv->stats.started++;
	lg_(srv, LOG_INFO, "%s: RRQ %s (%s, %llu bytes, blksize %u, windowsize %u%s)",
	    addr_str(peer, who, sizeof(who)), x->path, req.mode_str, (unsigned long long)x->size,
	    x->blksize, x->windowsize, tftp_negotiated_any(&neg) ? ", OACK" : "");
	report(srv, TFTP_EV_START, x, NULL, NULL, -1, NULL);

	if (tftp_negotiated_any(&neg)) {
		x->oack_len = tftp_oack_build(x->oack, sizeof(x->oack), &neg);
		x->oack_pending = true;
		(void)!sendto(x->fd, x->oack, x->oack_len, MSG_DONTWAIT,
			      (struct sockaddr *)&x->peer, sizeof(x->peer));
	} else if (window_send(x) < 0) {
		xfer_fail(x, TFTP_ERR_UNDEF, "read error", true);
		return;
	}
	timer_arm(x);
}

static void on_listen_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_server *srv = arg;

	for (int i = 0; i < LISTEN_BURST; i++) {
		uint8_t pkt[TFTP_REQUEST_MAX];
		struct sockaddr_in peer;
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		} ctl;
		struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
		struct msghdr mh = {
			.msg_name = &peer,
			.msg_namelen = sizeof(peer),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		struct in_addr local = srv->listen_addr;
		int ifindex = 0;
		struct cmsghdr *cm;
		ssize_t n;
		char who[32];

		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		if (mh.msg_namelen != sizeof(peer) || peer.sin_family != AF_INET ||
		    peer.sin_port == 0)
			continue;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				/* ipi_spec_dst is the local address replies
				 * should come from (not a broadcast). */
				local = pi.ipi_spec_dst;
				ifindex = pi.ipi_ifindex;
			}
		}
		if (mh.msg_flags & MSG_TRUNC) {
			srv->stats.dropped++;
			log_bad(srv, "%s: request longer than %d bytes, dropped",
				addr_str(&peer, who, sizeof(who)), TFTP_REQUEST_MAX);
			continue;
		}
		switch (tftp_packet_opcode(pkt, (size_t)n)) {
		case TFTP_RRQ:
		case TFTP_WRQ: handle_rrq(srv, pkt, (size_t)n, &peer, &local, ifindex); break;
		default:
			/* DATA, ACK, ERROR, OACK or garbage on the request
			 * port: no transfer to talk about. Dropped. */
			srv->stats.dropped++;
			log_bad(srv,
				"%s: %zd-byte packet with opcode %u on the request port, "
				"dropped",
				addr_str(&peer, who, sizeof(who)), n,
				tftp_packet_opcode(pkt, (size_t)n));
			break;
		}
	}
}

/* ---- setup ---- */

static int listen_open(struct tftp_server *srv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(srv->cfg.port)};
	socklen_t salen = sizeof(sa);
	int one = 1;
	int fd;

	if (srv->cfg.address && inet_pton(AF_INET, srv->cfg.address, &sa.sin_addr) != 1) {
		lg_(srv, LOG_ERROR, "'%s' is not an IPv4 address", srv->cfg.address);
		return -EINVAL;
	}
	srv->listen_addr = sa.sin_addr;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (e == EACCES)
			lg_(srv, LOG_ERROR,
			    "cannot bind UDP port %u: permission denied; ports below 1024 need "
			    "root or the capability: run as root or "
			    "`setcap cap_net_bind_service+ep <program>`",
			    srv->cfg.port);
		else if (e == EADDRINUSE)
			lg_(srv, LOG_ERROR,
			    "cannot bind UDP port %u: another TFTP server already holds it "
			    "(see `ss -ulpn 'sport = :%u'`; stop tftpd-hpa, atftpd or dnsmasq's "
			    "TFTP, or choose another port)",
			    srv->cfg.port, srv->cfg.port);
		else if (e == EADDRNOTAVAIL)
			lg_(srv, LOG_ERROR, "cannot bind to %s: no interface has this address",
			    srv->cfg.address);
		else
			lg_(srv, LOG_ERROR, "cannot bind UDP port %u: %s", srv->cfg.port,
			    strerror(e));
		errno = e;
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
		goto fail;
	srv->port = ntohs(sa.sin_port);
	srv->listen_fd = fd;
	return 0;
fail:
	one = -errno;
	close(fd);
	return one;
}

int tftp_server_new(struct event_base *base, const struct tftp_config *cfg, const struct logger *lg,
		    const struct tftp_callbacks *cbs, struct tftp_server **out)
{
	struct tftp_server *srv;
	int r;

	*out = NULL;
	if (!cfg->root)
		return -EINVAL;
	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->cfg = *cfg;
	srv->lg = lg;
	if (cbs)
		srv->cbs = *cbs;
	srv->listen_fd = -1;
	if (!srv->cfg.max_transfers)
		srv->cfg.max_transfers = TFTP_DEFAULT_MAX_TRANSFERS;
	if (!srv->cfg.max_per_client)
		srv->cfg.max_per_client = TFTP_DEFAULT_MAX_PER_CLIENT;
	if (!srv->cfg.max_blksize || srv->cfg.max_blksize > TFTP_BLKSIZE_MAX)
		srv->cfg.max_blksize = TFTP_BLKSIZE_MAX;
	if (srv->cfg.max_blksize < TFTP_BLKSIZE_DEFAULT)
		srv->cfg.max_blksize = TFTP_BLKSIZE_DEFAULT;
	if (!srv->cfg.max_windowsize)
		srv->cfg.max_windowsize = TFTP_DEFAULT_MAX_WINDOWSIZE;
	if (srv->cfg.max_windowsize > TFTP_WINDOWSIZE_MAX)
		srv->cfg.max_windowsize = TFTP_WINDOWSIZE_MAX;
	if (!srv->cfg.timeout_ms)
		srv->cfg.timeout_ms = TFTP_DEFAULT_TIMEOUT_MS;
	if (!srv->cfg.retries)
		srv->cfg.retries = TFTP_DEFAULT_RETRIES;

	srv->root_fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (srv->root_fd < 0) {
		r = -errno;
		lg_(srv, LOG_ERROR, "cannot open the TFTP root %s: %s", cfg->root, strerror(-r));
		srv->root_fd = -1;
		goto fail;
	}
	r = listen_open(srv);
	if (r < 0)
		goto fail;
	srv->pkt = xmalloc(4 + TFTP_BLKSIZE_MAX);
	srv->in = xmalloc(TFTP_BLKSIZE_MAX);
	srv->ev_listen =
		event_new(base, srv->listen_fd, EV_READ | EV_PERSIST, on_listen_readable, srv);
	if (!srv->ev_listen || event_add(srv->ev_listen, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	lg_(srv, LOG_INFO, "serving %s on %s:%u", cfg->root,
	    cfg->address ? cfg->address : "0.0.0.0", srv->port);
	*out = srv;
	return 0;
fail:
	tftp_server_free(srv);
	return r;
}

void tftp_server_free(struct tftp_server *srv)
{
	if (!srv)
		return;
	while (srv->xfers)
		xfer_free(srv->xfers);
	if (srv->ev_listen)
		event_free(srv->ev_listen);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	free(srv->pkt);
	free(srv->in);
	free(srv);
}

uint16_t tftp_server_port(const struct tftp_server *srv)
{
	return srv->port;
}

void tftp_server_stats(const struct tftp_server *srv, struct tftp_stats *out)
{
	*out = srv->stats;
}
