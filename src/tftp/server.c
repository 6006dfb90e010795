/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TFTP server's listener: the request port, the limits, the shared
 * file table, the worker threads and the messages between them and the
 * caller's thread (server-int.h). The transfers themselves run in xfer.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "tftp/server-int.h"
#include "util/path.h"
#include "util/dlist.h"
#include "util/util.h"

#define COMP TFTP_COMP
/* Requests drained from the listening socket per wakeup, so a storm of
 * requests does not starve running transfers. */
#define LISTEN_BURST 32
/* Netascii tsize is computed by reading the file; above this we omit it. */
#define NETASCII_TSIZE_MAX ((uint64_t)4 << 20)
/* Messages handled per wakeup of a queue; the rest wait for the next turn
 * of the loop (the eventfd stays readable), so a burst of them cannot
 * starve the sockets on the same loop. */
#define QUEUE_BURST 256

#define lg_(srv, lvl, ...) logger_log((srv)->lg, lvl, COMP, __VA_ARGS__)

const char *tftp_addr_str(const struct sockaddr_in *a, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
	return buf;
}

#define addr_str tftp_addr_str

/* Logs a complaint about a bad packet, at most TFTP_BAD_LOG_PER_SEC a
 * second, so garbage from the network cannot flood the log. */
#define log_bad(srv, ...)                                                                          \
	logger_warn_limited((srv)->lg, &(srv)->bad_log, TFTP_BAD_LOG_PER_SEC, COMP, "bad packets", \
			    __VA_ARGS__)

const char *tftp_path_relative(const char *name)
{
	while (*name == '/')
		name++;
	return *name ? name : NULL;
}

/* ---- shared files (listener only) ---- */

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

/* ---- callbacks (listener only) ---- */

static void report(struct tftp_server *srv, enum tftp_event ev, const struct tftp_xfer *x,
		   const struct sockaddr_in *peer, const char *path, int error, const char *reason)
{
	struct tftp_xfer_info info = {
		.client = x ? x->peer : *peer,
		.path = x ? x->path : path,
		.size = x ? x->size : UINT64_MAX,
		/* Read only at START (0) or after the worker let go. */
		.bytes = x && ev != TFTP_EV_START ? x->bytes_acked : 0,
		.blksize = x ? x->blksize : 0,
		.windowsize = x ? x->windowsize : 0,
		.error = error,
		.reason = reason,
	};

	if (srv->cbs.event)
		srv->cbs.event(srv->cbs.ctx, ev, &info);
}

/* ---- queues ---- */

static int queue_init(struct tftp_queue *q, struct event_base *base, event_callback_fn fn,
		      void *arg)
{
	pthread_mutex_init(&q->mu, NULL);
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		return -errno;
	q->ev = event_new(base, q->efd, EV_READ | EV_PERSIST, fn, arg);
	if (!q->ev || event_add(q->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

/* Frees the queue and any message left in it (after its reader stopped). */
static void queue_release(struct tftp_queue *q)
{
	struct tftp_msg *m;

	if (q->ev)
		event_free(q->ev);
	if (q->efd >= 0)
		close(q->efd);
	while ((m = q->head)) {
		q->head = m->next;
		free(m);
	}
	pthread_mutex_destroy(&q->mu);
}

static void queue_push(struct tftp_queue *q, struct tftp_msg *m)
{
	bool wake;

	m->next = NULL;
	pthread_mutex_lock(&q->mu);
	wake = !q->head;
	if (q->tail && q->head)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	pthread_mutex_unlock(&q->mu);
	/* Only the first message into an empty queue wakes the reader: it
	 * takes the whole list after clearing the eventfd, so a message that
	 * joins a non-empty list is taken with the others. */
	if (wake) {
		uint64_t one = 1;
		(void)!write(q->efd, &one, sizeof(one));
	}
}

/* Takes up to QUEUE_BURST messages, oldest first (a NULL-terminated
 * list). Leaves the eventfd readable when more are waiting. */
static struct tftp_msg *queue_take(struct tftp_queue *q)
{
	struct tftp_msg *head, *m;
	uint64_t v;
	unsigned n = 1;
	bool more;

	(void)!read(q->efd, &v, sizeof(v));
	pthread_mutex_lock(&q->mu);
	head = q->head;
	for (m = head; m && m->next && n < QUEUE_BURST; m = m->next)
		n++;
	more = m && m->next;
	if (more) {
		q->head = m->next;
		m->next = NULL;
	} else {
		q->head = q->tail = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	if (more) {
		uint64_t one = 1;
		(void)!write(q->efd, &one, sizeof(one));
	}
	return head;
}

static struct tftp_msg *msg_new(enum tftp_msg_type type, struct tftp_xfer *x, size_t text)
{
	struct tftp_msg *m = xcalloc(1, sizeof(*m) + text);

	m->type = type;
	m->x = x;
	return m;
}

/* ---- the listener's side of transfers ---- */

/* Frees what the listener holds of x (the worker let go of it already). */
static void xfer_destroy(struct tftp_server *srv, struct tftp_xfer *x)
{
	DLIST_UNLINK(srv->xfers, x);
	srv->stats.active--;
	x->w->active--;
	if (x->superseded)
		srv->superseding--;
	file_put(srv, x->file);
	free(x->path);
	free(x);
}

static void on_start(struct tftp_server *srv, struct tftp_xfer *x)
{
	srv->stats.started++;
	report(srv, TFTP_EV_START, x, NULL, NULL, -1, NULL);
}

static void on_end(struct tftp_server *srv, struct tftp_xfer *x)
{
	char who[32];

	if (x->end_ev == TFTP_EV_DONE) {
		lg_(srv, LOG_INFO, "%s: sent %s (%llu bytes)", addr_str(&x->peer, who, sizeof(who)),
		    x->path, (unsigned long long)x->bytes_acked);
		srv->stats.done++;
		report(srv, TFTP_EV_DONE, x, NULL, NULL, -1, NULL);
	} else {
		lg_(srv, LOG_INFO, "%s: %s failed after %llu bytes: %s",
		    addr_str(&x->peer, who, sizeof(who)), x->path,
		    (unsigned long long)x->bytes_acked, x->end_reason);
		srv->stats.failed++;
		report(srv, TFTP_EV_FAILED, x, NULL, NULL, x->end_error, x->end_reason);
	}
	xfer_destroy(srv, x);
}

void tftp_worker_post(struct tftp_worker *w, enum tftp_msg_type type, struct tftp_xfer *x)
{
	if (w->inline_) {
		/* Same thread: no queue. */
		if (type == TFTP_MSG_START)
			on_start(w->srv, x);
		else
			on_end(w->srv, x);
		return;
	}
	queue_push(&w->srv->q, msg_new(type, x, 0));
}

/* A worker thread's logger: the line goes to the caller's thread, whose
 * logger (and its tap, the status page) is not thread-safe. */
static void worker_log_sink(void *ctx, enum log_level lvl, const char *component, const char *msg)
{
	struct tftp_worker *w = ctx;
	size_t len = strlen(msg) + 1;
	struct tftp_msg *m = msg_new(TFTP_MSG_LOG, NULL, len);

	m->lvl = lvl;
	memcpy(m->text, msg, len);
	queue_push(&w->srv->q, m);
}

/* The caller's thread: what the workers said. */
static void on_listener_queue(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_server *srv = arg;
	struct tftp_msg *m = queue_take(&srv->q), *next;

	for (; m; m = next) {
		next = m->next;
		switch (m->type) {
		case TFTP_MSG_START: on_start(srv, m->x); break;
		case TFTP_MSG_END: on_end(srv, m->x); break;
		case TFTP_MSG_LOG:
			if (srv->lg && srv->lg->fn)
				srv->lg->fn(srv->lg->ctx, m->lvl, COMP, m->text);
			break;
		default: break;
		}
		free(m);
	}
}

/* A worker thread: what the listener asked. */
static void on_worker_queue(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_worker *w = arg;
	struct tftp_msg *m = queue_take(&w->q), *next;

	for (; m; m = next) {
		next = m->next;
		switch (m->type) {
		case TFTP_MSG_NEW: tftp_xfer_begin(m->x); break;
		case TFTP_MSG_SUPERSEDE: tftp_worker_supersede(w, m->id); break;
		case TFTP_MSG_STOP: event_base_loopbreak(w->base); break;
		default: break;
		}
		free(m);
	}
}

static void *worker_main(void *arg)
{
	struct tftp_worker *w = arg;

	/* The ring is made here, on the thread that uses it alone. */
	if (!w->srv->cfg.no_batch)
		w->sq = tftp_sendq_new();
	if (!w->sq) {
		event_base_dispatch(w->base);
	} else {
		/* One round of the loop runs the callbacks of everything
		 * ready, which queue their packets; then they all go. */
		while (!event_base_got_break(w->base)) {
			if (event_base_loop(w->base, EVLOOP_ONCE) < 0)
				break;
			tftp_worker_flush(w);
		}
	}
	tftp_worker_release_all(w);
	tftp_sendq_free(w->sq);
	w->sq = NULL;
	return NULL;
}

static void worker_send(struct tftp_worker *w, enum tftp_msg_type type, struct tftp_xfer *x,
			uint64_t id)
{
	struct tftp_msg *m = msg_new(type, x, 0);

	m->id = id;
	queue_push(&w->q, m);
}

/* The worker for a new transfer: the one with the fewest transfers,
 * taking turns among equals. */
static struct tftp_worker *worker_pick(struct tftp_server *srv)
{
	struct tftp_worker *best = NULL;

	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct tftp_worker *w = &srv->workers[(srv->next_worker + i) % srv->n_workers];
		if (!best || w->active < best->active)
			best = w;
	}
	srv->next_worker = (srv->next_worker + 1) % srv->n_workers;
	return best;
}

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
		       const struct sockaddr_in *peer, const struct in_addr *local, int ifindex,
		       uint64_t arrived)
{
	struct tftp_request req;
	struct tftp_limits lim = {0};
	struct tftp_negotiated neg;
	struct tftp_xfer *x, *it;
	struct tftp_worker *w = NULL;
	const char *path, *msg;
	unsigned per_client = 0;
	uint16_t code;
	struct stat st;
	char who[32];
	int r, fd, sock;

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
		if (it->superseded || it->peer.sin_addr.s_addr != peer->sin_addr.s_addr ||
		    it->peer.sin_port != peer->sin_port)
			continue;
		/* A retransmitted request, sent before the client heard
		 * from the transfer: the transfer's own timer answers it.
		 * Judged by when it arrived, not when it is read: with
		 * transfer threads, the client's first ACK (sent after it)
		 * may have been handled already. */
		if (path && strcmp(path, it->path) == 0) {
			uint64_t acked =
				atomic_load_explicit(&it->first_ack_rt, memory_order_relaxed);
			if (!acked || arrived < acked)
				return;
		}
		/* Otherwise the client has moved on from that transfer; its
		 * worker ends it (tftp_worker_supersede), and runs the new
		 * transfer too, so the caller hears of the old one's end
		 * before the new one's start. */
		w = it->w;
		it->superseded = true;
		srv->superseding++;
		if (w->inline_)
			tftp_worker_supersede(w, it->id); /* it is freed here */
		else
			worker_send(w, TFTP_MSG_SUPERSEDE, NULL, it->id);
		break;
	}
	for (it = srv->xfers; it; it = it->next)
		per_client += !it->superseded && it->peer.sin_addr.s_addr == peer->sin_addr.s_addr;
	if (srv->stats.active - srv->superseding >= srv->cfg.max_transfers ||
	    per_client >= srv->cfg.max_per_client) {
		/* Dropped, not refused: the client will ask again, and an
		 * ERROR would make a PXE ROM give up booting. */
		srv->stats.dropped++;
		log_bad(srv,
			"%s: too many transfers (%u running, %u from this client), request "
			"dropped",
			addr_str(peer, who, sizeof(who)), srv->stats.active - srv->superseding,
			per_client);
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
	sock = xfer_socket(srv, local);
	if (sock < 0) {
		close(fd);
		lg_(srv, LOG_ERROR, "cannot open a transfer socket: %s", strerror(-sock));
		send_error_listen(srv, peer, local, TFTP_ERR_UNDEF, "server error");
		srv->stats.refused++;
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
	x->w = w ? w : worker_pick(srv);
	x->id = ++srv->next_id;
	x->fd = sock;
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
	}
	if (tftp_negotiated_any(&neg))
		x->oack_len = tftp_oack_build(x->oack, sizeof(x->oack), &neg);
	DLIST_PUSH(srv->xfers, x);
	srv->stats.active++;
	x->w->active++;

	lg_(srv, LOG_INFO, "%s: RRQ %s (%s, %llu bytes, blksize %u, windowsize %u%s)",
	    addr_str(peer, who, sizeof(who)), x->path, req.mode_str, (unsigned long long)x->size,
	    x->blksize, x->windowsize, x->oack_len ? ", OACK" : "");
	/* x belongs to its worker from here (it may even be freed already
	 * when the worker is inline and the first read fails). */
	if (x->w->inline_)
		tftp_xfer_begin(x);
	else
		worker_send(x->w, TFTP_MSG_NEW, x, 0);
}

static void on_listen_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_server *srv = arg;

	for (int i = 0; i < LISTEN_BURST; i++) {
		uint8_t pkt[TFTP_REQUEST_MAX];
		struct sockaddr_in peer;
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) +
				 CMSG_SPACE(sizeof(struct timespec))];
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
		uint64_t arrived = 0;
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
			} else if (cm->cmsg_level == SOL_SOCKET &&
				   cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				arrived = tftp_timespec_ns(&ts);
			}
		}
		if (!arrived)
			arrived = tftp_realtime_ns();
		if (mh.msg_flags & MSG_TRUNC) {
			srv->stats.dropped++;
			log_bad(srv, "%s: request longer than %d bytes, dropped",
				addr_str(&peer, who, sizeof(who)), TFTP_REQUEST_MAX);
			continue;
		}
		switch (tftp_packet_opcode(pkt, (size_t)n)) {
		case TFTP_RRQ:
		case TFTP_WRQ:
			handle_rrq(srv, pkt, (size_t)n, &peer, &local, ifindex, arrived);
			break;
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

/* Workers for cfg->workers (0: one per online CPU, up to
 * TFTP_WORKERS_AUTO_MAX). */
static unsigned workers_count(unsigned asked)
{
	long n;

	if (asked)
		return MIN(asked, (unsigned)TFTP_WORKERS_MAX);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return MIN((unsigned)n, (unsigned)TFTP_WORKERS_AUTO_MAX);
}

static int workers_start(struct tftp_server *srv)
{
	sigset_t all, old;
	int r;

	srv->n_workers = workers_count(srv->cfg.workers);
	srv->cfg.workers = srv->n_workers;
	srv->workers = xcalloc(srv->n_workers, sizeof(*srv->workers));
	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct tftp_worker *w = &srv->workers[i];
		w->srv = srv;
		w->q.efd = -1;
		w->pkt = xmalloc(4 + TFTP_BLKSIZE_MAX);
		w->in = xmalloc(TFTP_BLKSIZE_MAX);
	}
	if (srv->n_workers == 1) {
		struct tftp_worker *w = &srv->workers[0];
		w->inline_ = true;
		w->base = srv->base;
		if (srv->lg)
			w->lg = *srv->lg;
		return 0;
	}
	srv->q.efd = -1;
	r = queue_init(&srv->q, srv->base, on_listener_queue, srv);
	if (r < 0)
		return r;
	/* Signals are for the caller's thread (its loop handles SIGTERM). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct tftp_worker *w = &srv->workers[i];
		w->lg = (struct logger){.fn = worker_log_sink,
					.ctx = w,
					.level = srv->lg && srv->lg->fn ? srv->lg->level
									: LOG_ERROR};
		if (!srv->lg || !srv->lg->fn)
			w->lg.fn = NULL;
		w->base = event_base_new();
		r = w->base ? queue_init(&w->q, w->base, on_worker_queue, w) : -ENOMEM;
		if (r == 0) {
			r = -pthread_create(&w->thread, NULL, worker_main, w);
			w->started = r == 0;
		}
		if (r < 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		lg_(srv, LOG_ERROR, "cannot start the TFTP worker threads: %s", strerror(-r));
	return r;
}

/* Stops the worker threads: each drops its transfers and exits. */
static void workers_stop(struct tftp_server *srv)
{
	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct tftp_worker *w = &srv->workers[i];
		if (w->started) {
			worker_send(w, TFTP_MSG_STOP, NULL, 0);
			pthread_join(w->thread, NULL);
		} else if (w->inline_) {
			tftp_worker_release_all(w);
		}
	}
	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct tftp_worker *w = &srv->workers[i];
		if (!w->inline_) {
			if (w->q.efd >= 0 || w->q.ev)
				queue_release(&w->q);
			if (w->base)
				event_base_free(w->base);
		}
		free(w->pkt);
		free(w->in);
	}
	if (srv->n_workers > 1)
		queue_release(&srv->q);
	free(srv->workers);
	srv->workers = NULL;
}

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
	/* Each request's arrival time, to tell a retransmitted request from
	 * a new one (handle_rrq). Without it, the time it is read is used. */
	(void)!setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
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
	srv->q.efd = -1;
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
	srv->in = xmalloc(TFTP_BLKSIZE_MAX);
	r = workers_start(srv);
	if (r < 0)
		goto fail;
	srv->ev_listen =
		event_new(base, srv->listen_fd, EV_READ | EV_PERSIST, on_listen_readable, srv);
	if (!srv->ev_listen || event_add(srv->ev_listen, NULL) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	lg_(srv, LOG_INFO, "serving %s on %s:%u (%u transfer thread%s)", cfg->root,
	    cfg->address ? cfg->address : "0.0.0.0", srv->port, srv->n_workers,
	    srv->n_workers == 1 ? ", the caller's" : "s");
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
	if (srv->ev_listen)
		event_free(srv->ev_listen);
	/* The workers first: after this no thread touches a transfer, and
	 * messages still queued for the caller are dropped (no callbacks). */
	if (srv->workers)
		workers_stop(srv);
	while (srv->xfers) {
		struct tftp_xfer *x = srv->xfers;
		srv->xfers = x->next;
		file_put(srv, x->file);
		free(x->path);
		free(x);
	}
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	free(srv->in);
	free(srv);
}

uint16_t tftp_server_port(const struct tftp_server *srv)
{
	return srv->port;
}

unsigned tftp_server_workers(const struct tftp_server *srv)
{
	return srv->n_workers;
}

void tftp_server_stats(const struct tftp_server *srv, struct tftp_stats *out)
{
	*out = srv->stats;
	for (unsigned i = 0; i < srv->n_workers; i++) {
		struct tftp_worker *w = &srv->workers[i];
		out->dropped += atomic_load_explicit(&w->dropped, memory_order_relaxed);
		out->retransmits += atomic_load_explicit(&w->retransmits, memory_order_relaxed);
	}
}
