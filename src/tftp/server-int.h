/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internals shared by the TFTP listener (server.c) and the transfer state
 * machine (xfer.c). Not a public interface.
 *
 * Threads and ownership. The listener runs on the caller's event_base: it
 * owns the listening socket, the shared file table, the list of all
 * transfers (srv->xfers), the limits' counters and every callback and log
 * line. Each transfer is then run by one worker: with one worker that is
 * the caller's event_base too and everything is plain function calls; with
 * more, each worker is a thread with its own event_base, and the transfer's
 * socket, timers, buffers and protocol state are touched only there.
 *
 * Listener and workers talk through queues of messages (struct tftp_msg),
 * each a mutex-protected list plus an eventfd that wakes the other side's
 * event loop. Fields of struct tftp_xfer are marked with who may touch
 * them: "set once" fields are written by the listener before the transfer
 * is queued to its worker (the queue's mutex orders that) and only read
 * afterwards; "worker" fields belong to the worker until it queues the
 * transfer's end, after which the worker never touches the transfer again
 * and the listener may read them and free it.
 */
#ifndef BT_TFTP_SERVER_INT_H
#define BT_TFTP_SERVER_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tftp/netascii.h"
#include "tftp/packet.h"
#include "tftp/rto.h"
#include "tftp/sendq.h"
#include "tftp/server.h"
#include "util/log.h"

#define TFTP_COMP "TFTP"
/* Complaints about bad packets logged per second (per thread); the rest
 * are counted. */
#define TFTP_BAD_LOG_PER_SEC 10
/* The reason text kept for a transfer's end. */
#define TFTP_REASON_MAX 96

/* An open file shared by every transfer of it (listener-owned table; the
 * fd itself is only read with pread, which any thread may do). */
struct tftp_file {
	struct tftp_file *next;
	dev_t dev;
	ino_t ino;
	int fd;
	unsigned refs;
};

struct tftp_worker;

struct tftp_xfer {
	/* Listener only. */
	struct tftp_xfer *next, *prev; /* srv->xfers */
	bool superseded;	       /* a new request from the same TID ended it */
	/* Set once by the listener. */
	struct tftp_worker *w;
	uint64_t id;
	struct tftp_file *file;
	char *path;
	struct sockaddr_in peer;
	enum tftp_mode mode;
	uint64_t size; /* file size when the transfer started */
	unsigned blksize, windowsize;
	uint64_t timeout_ns; /* the longest wait: cfg.timeout_ms, or the client's */
	uint8_t oack[TFTP_OACK_MAX];
	size_t oack_len; /* 0: no options acknowledged, DATA 1 comes first */
	/* Written by the worker, read by the listener: when the client's
	 * first answer was handled (CLOCK_REALTIME ns, as socket timestamps),
	 * 0 before. A request for the same file from the same port that
	 * arrived before that is a retransmission; one after, a new request. */
	_Atomic uint64_t first_ack_rt;

	/* Worker only (the listener reads the end fields after the end). */
	struct tftp_xfer *wnext, *wprev; /* w->xfers */
	int fd;				 /* made by the listener, closed by the worker */
	struct event *ev_read, *ev_timer;
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
	/* How it ended (TFTP_EV_DONE or TFTP_EV_FAILED), for the listener. */
	enum tftp_event end_ev;
	int end_error;
	char end_reason[TFTP_REASON_MAX];
};

enum tftp_msg_type {
	TFTP_MSG_NEW,	    /* to a worker: run this transfer */
	TFTP_MSG_SUPERSEDE, /* to a worker: end transfer `id` (a new request) */
	TFTP_MSG_STOP,	    /* to a worker: drop everything and exit */
	TFTP_MSG_START,	    /* to the listener: x started */
	TFTP_MSG_END,	    /* to the listener: x ended; the worker is done with it */
	TFTP_MSG_LOG,	    /* to the listener: a line for the logger */
};

struct tftp_msg {
	struct tftp_msg *next;
	enum tftp_msg_type type;
	struct tftp_xfer *x;
	uint64_t id;
	enum log_level lvl;
	char text[]; /* TFTP_MSG_LOG */
};

/* A list of messages for one event loop, woken through an eventfd. */
struct tftp_queue {
	pthread_mutex_t mu;
	struct tftp_msg *head, *tail;
	int efd;
	struct event *ev;
};

struct tftp_worker {
	struct tftp_server *srv;
	struct event_base *base; /* the caller's when inline */
	bool inline_;		 /* runs on the caller's thread (workers = 1) */
	bool started;		 /* the thread runs */
	pthread_t thread;
	struct tftp_queue q;	 /* messages to this worker (threads only) */
	struct tftp_xfer *xfers; /* worker only */
	unsigned active;	 /* listener only: transfers handed here, not ended */
	struct logger lg;	 /* forwards to the listener from a thread */
	struct log_ratelimit bad_log;
	uint8_t *pkt; /* 4 + TFTP_BLKSIZE_MAX: one netascii DATA packet at a time */
	uint8_t *in;  /* TFTP_BLKSIZE_MAX: netascii input */
	atomic_uint_fast64_t dropped, retransmits;
	/* Batched DATA sends (threads only; NULL: one sendmsg each). */
	struct tftp_sendq *sq;
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
	struct tftp_stats stats; /* listener's part; workers count theirs */
	unsigned superseding;	 /* transfers told to end, not ended yet */
	uint64_t next_id;
	unsigned next_worker; /* round-robin among the least loaded */
	struct log_ratelimit bad_log;
	uint8_t *in; /* TFTP_BLKSIZE_MAX: netascii tsize */
	struct tftp_worker *workers;
	unsigned n_workers;
	struct tftp_queue q; /* messages to the listener (threads only) */
};

/* ---- xfer.c, on the transfer's worker ---- */

/* Starts a transfer handed to its worker: events, the first packet. */
void tftp_xfer_begin(struct tftp_xfer *x);
/* Ends transfer id if this worker still runs it (a new request from the
 * same client port). */
void tftp_worker_supersede(struct tftp_worker *w, uint64_t id);
/* Releases every transfer's worker-side resources, without callbacks. */
void tftp_worker_release_all(struct tftp_worker *w);
/* Sends the DATA packets the worker's callbacks queued. */
void tftp_worker_flush(struct tftp_worker *w);

/* ---- server.c, called from a worker ---- */

static inline uint64_t tftp_timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static inline uint64_t tftp_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return tftp_timespec_ns(&ts);
}

/* "a.b.c.d:port" into buf. */
const char *tftp_addr_str(const struct sockaddr_in *a, char *buf, size_t len);

/* Tells the listener that x started, or ended (after x->end_* are set and
 * the worker let go of x). */
void tftp_worker_post(struct tftp_worker *w, enum tftp_msg_type type, struct tftp_xfer *x);

#endif
