/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DHCP server on a libevent loop: sockets, IP_PKTINFO, the lease file's
 * journal, and sending replies. Every decision is dhcp_policy_handle()'s.
 *
 * Durable leases without stalling the loop (group commit): replies whose
 * decision changed a lease wait until the lease file's journal lines for
 * them are written and fdatasync'd by a worker thread. While one sync runs,
 * the loop keeps deciding requests and collects the next group of lines and
 * replies, which goes out in one write and one sync as soon as the first is
 * done. So a client never holds an ACK that a crash could forget, and a
 * burst of requests costs a few syncs, not one per client. Replies that
 * promise nothing (offers, NAKs, proxyDHCP) go out at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dhcp/dhcp.h"
#include "dhcp/policy.h"
#include "util/buf.h"
#include "util/dlist.h"
#include "util/util.h"

#define COMPONENT "DHCP"
/* Requests read per wake-up. */
#define BATCH 128
/* Replies held for one group commit; past this we stop reading until the
 * sync in flight is done. */
#define MAX_HELD 2048
/* The socket receive buffer: room for the requests that arrive during one
 * sync (several milliseconds on a disk) at tens of thousands per second. */
#define RCVBUF (8 << 20)

struct sock {
	struct dhcp_server *srv;
	int fd;
	bool pxe_port;
	struct event *ev;
};

struct pending {
	struct dhcp_tx tx;
	int ifindex;
	uint32_t local_ip;
	int fd;
};

union ctlbuf {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

struct rxslot {
	uint8_t buf[DHCP_PACKET_MAX + 1];
	struct sockaddr_in from;
	union ctlbuf ctl;
	struct iovec iov;
};

struct txslot {
	struct sockaddr_in to;
	union ctlbuf ctl;
	struct iovec iov;
};

/* Replies per sendmmsg call. */
#define SEND_CHUNK 64

/* A proxy OFFER waiting for its moment (see proxy_delay_ms). */
struct delayed {
	struct dhcp_server *srv;
	struct event *timer;
	struct pending p;
	struct delayed *next, *prev;
};

/* Proxy offers held at once; more are sent at once rather than queued. */
#define MAX_DELAYED 256

struct dhcp_server {
	struct event_base *base;
	struct dhcp_config cfg;
	struct dhcp_host *hosts;
	const struct logger *log;
	struct dhcp_callbacks cb;
	unsigned ifindex[DHCP_MAX_IFACES];
	size_t n_ifindex;
	struct sock main, pxe;
	struct dhcp_leases *leases;
	struct dhcp_ratelimit *rl;
	struct dhcp_server_stats stats;
	struct delayed *delayed;
	size_t n_delayed;
	/* Group commit: replies waiting for the sync in flight (inflight) and
	 * for the next one (next), with the next sync's journal lines. */
	struct pending *inflight, *next;
	size_t n_inflight, n_next;
	struct buf next_lines;
	bool paused;
	struct {
		pthread_t thread;
		bool started;
		pthread_mutex_t mu;
		pthread_cond_t cv;
		int efd;
		struct event *ev;
		bool busy; /* a job is with the worker (main thread's view) */
		bool job, quit;
		int fd;
		struct buf lines;
		int result;
	} w;
	struct pending out[BATCH];
	struct dhcp_event evs[BATCH];
	struct rxslot rxs[BATCH];
	struct mmsghdr rmsg[BATCH];
	struct txslot txs[SEND_CHUNK];
	struct mmsghdr smsg[SEND_CHUNK];
};

#define LOG(s, lvl, ...) logger_log((s)->log, lvl, COMPONENT, __VA_ARGS__)

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void dhcp_server_get_stats(const struct dhcp_server *s, struct dhcp_server_stats *st)
{
	*st = s->stats;
}

static bool iface_ok(const struct dhcp_server *s, int ifindex)
{
	if (s->n_ifindex == 0)
		return true;
	for (size_t i = 0; i < s->n_ifindex; i++)
		if (s->ifindex[i] == (unsigned)ifindex)
			return true;
	return false;
}

/* Makes yiaddr reachable at the client's MAC before the client has
 * answered any ARP (RFC 2131 4.1), the way dnsmasq does: a permanent-less
 * ARP entry on the receiving interface. */
static bool arp_set(struct dhcp_server *s, int fd, int ifindex, uint32_t ip, const uint8_t mac[6])
{
	struct arpreq req;
	struct sockaddr_in *pa = (struct sockaddr_in *)&req.arp_pa;

	memset(&req, 0, sizeof(req));
	pa->sin_family = AF_INET;
	pa->sin_addr.s_addr = htonl(ip);
	req.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(req.arp_ha.sa_data, mac, 6);
	req.arp_flags = ATF_COM;
	if (!if_indextoname((unsigned)ifindex, req.arp_dev))
		return false;
	if (ioctl(fd, SIOCSARP, &req) < 0) {
		LOG(s, LOG_DEBUG, "cannot add an ARP entry for the reply: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Fills one outgoing message for p: to its destination, out of the
 * interface the request came in on, from our address there. */
static void send_prepare(struct dhcp_server *s, const struct pending *p, struct txslot *t,
			 struct msghdr *msg)
{
	struct cmsghdr *cm;
	struct in_pktinfo pi = {.ipi_ifindex = p->ifindex};
	uint32_t dst = p->tx.dst_ip;

	if (p->tx.link_unicast && !arp_set(s, p->fd, p->ifindex, dst, p->tx.mac))
		dst = 0xffffffffu; /* Broadcast reaches it too, less politely. */
	memset(&t->to, 0, sizeof(t->to));
	t->to.sin_family = AF_INET;
	t->to.sin_addr.s_addr = htonl(dst);
	t->to.sin_port = htons(p->tx.dst_port);
	t->iov.iov_base = (void *)p->tx.buf;
	t->iov.iov_len = p->tx.len;
	memset(msg, 0, sizeof(*msg));
	msg->msg_name = &t->to;
	msg->msg_namelen = sizeof(t->to);
	msg->msg_iov = &t->iov;
	msg->msg_iovlen = 1;
	if (p->ifindex > 0) {
		memset(&t->ctl, 0, sizeof(t->ctl));
		msg->msg_control = t->ctl.buf;
		msg->msg_controllen = sizeof(t->ctl.buf);
		cm = CMSG_FIRSTHDR(msg);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		pi.ipi_spec_dst.s_addr = htonl(p->local_ip);
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
}

/* Sends n replies, as few system calls as possible (sendmmsg per run of
 * replies on the same socket). */
static void send_many(struct dhcp_server *s, const struct pending *ps, size_t n)
{
	size_t i = 0;

	while (i < n) {
		int fd = ps[i].fd, r;
		size_t cnt = 0;

		while (i + cnt < n && cnt < SEND_CHUNK && ps[i + cnt].fd == fd) {
			send_prepare(s, &ps[i + cnt], &s->txs[cnt], &s->smsg[cnt].msg_hdr);
			cnt++;
		}
		r = sendmmsg(fd, s->smsg, (unsigned)cnt, 0);
		if (r < 0 || (size_t)r < cnt) {
			/* The first one not sent failed: report it, skip it. */
			size_t bad = r < 0 ? 0 : (size_t)r;
			char ip[16];
			LOG(s, LOG_WARN, "cannot send a reply to %s:%u: %s",
			    dhcp_ip_str(ip, ntohl(s->txs[bad].to.sin_addr.s_addr)),
			    ntohs(s->txs[bad].to.sin_port), strerror(errno));
			s->stats.replied += bad;
			i += bad + 1;
			continue;
		}
		s->stats.replied += cnt;
		i += cnt;
	}
}

static void send_one(struct dhcp_server *s, const struct pending *p)
{
	send_many(s, p, 1);
}

static void delayed_unlink(struct dhcp_server *s, struct delayed *d)
{
	DLIST_UNLINK(s->delayed, d);
	s->n_delayed--;
	event_free(d->timer);
	free(d);
}

static void on_delayed(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;
	struct dhcp_server *s = d->srv;

	(void)fd;
	(void)what;
	send_one(s, &d->p);
	delayed_unlink(s, d);
}

/* Sends p after the configured delay, or now when too many are waiting. */
static void send_later(struct dhcp_server *s, const struct pending *p)
{
	struct timeval tv = {.tv_sec = s->cfg.proxy_delay_ms / 1000,
			     .tv_usec = (s->cfg.proxy_delay_ms % 1000) * 1000};
	struct delayed *d;

	if (s->n_delayed >= MAX_DELAYED) {
		send_one(s, p);
		return;
	}
	d = xcalloc(1, sizeof(*d));
	d->srv = s;
	d->p = *p;
	d->timer = evtimer_new(s->base, on_delayed, d);
	if (!d->timer || evtimer_add(d->timer, &tv) < 0) {
		if (d->timer)
			event_free(d->timer);
		free(d);
		send_one(s, p);
		return;
	}
	DLIST_PUSH(s->delayed, d);
	s->n_delayed++;
}

static void log_event(struct dhcp_server *s, const struct dhcp_event *ev)
{
	char mac[18], ip[16];
	enum log_level lvl = ev->type == DHCP_EV_OFFER ? LOG_DEBUG : LOG_INFO;

	/* Formatting the addresses costs more than deciding: skip it when the
	 * line would not be printed. */
	if (!s->log || lvl > s->log->level)
		return;

	LOG(s, lvl, "%s %s %s arch %d%s%s%s%s", dhcp_event_name(ev->type),
	    dhcp_mac_str(mac, ev->mac), dhcp_ip_str(ip, ev->ip), ev->arch, ev->ipxe ? " ipxe" : "",
	    ev->boot_file[0] ? " boot " : "", ev->boot_file,
	    ev->hostname[0] ? " (host name given)" : "");
}

/* Reads up to BATCH datagrams into s->rxs; returns how many. */
static size_t recv_many(struct dhcp_server *s, struct sock *k)
{
	int n;

	for (size_t i = 0; i < BATCH; i++) {
		struct rxslot *r = &s->rxs[i];
		struct msghdr *m = &s->rmsg[i].msg_hdr;
		r->iov.iov_base = r->buf;
		r->iov.iov_len = sizeof(r->buf);
		memset(m, 0, sizeof(*m));
		m->msg_name = &r->from;
		m->msg_namelen = sizeof(r->from);
		m->msg_iov = &r->iov;
		m->msg_iovlen = 1;
		m->msg_control = r->ctl.buf;
		m->msg_controllen = sizeof(r->ctl.buf);
	}
	n = recvmmsg(k->fd, s->rmsg, BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			LOG(s, LOG_WARN, "receive failed: %s", strerror(errno));
		return 0;
	}
	return (size_t)n;
}

/* The receiving interface and our address on it, from IP_PKTINFO. */
static void rx_pktinfo(struct msghdr *m, int *ifindex, uint32_t *local_ip)
{
	*ifindex = 0;
	*local_ip = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			*ifindex = pi.ipi_ifindex;
			*local_ip = ntohl(pi.ipi_spec_dst.s_addr);
		}
	}
}

static void *worker_main(void *arg)
{
	struct dhcp_server *s = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&s->w.mu);
	for (;;) {
		while (!s->w.job && !s->w.quit)
			pthread_cond_wait(&s->w.cv, &s->w.mu);
		if (s->w.quit)
			break;
		pthread_mutex_unlock(&s->w.mu);
		int r = dhcp_leases_write_journal(s->w.fd, s->w.lines.data, s->w.lines.len);
		pthread_mutex_lock(&s->w.mu);
		s->w.result = r;
		s->w.job = false;
		if (write(s->w.efd, &one, sizeof(one)) < 0) {
			/* The counter cannot overflow with one job at a time. */
		}
	}
	pthread_mutex_unlock(&s->w.mu);
	return NULL;
}

static void pause_reading(struct dhcp_server *s, bool pause)
{
	struct sock *socks[] = {&s->main, &s->pxe};

	if (s->paused == pause)
		return;
	s->paused = pause;
	for (size_t i = 0; i < ARRAY_SIZE(socks); i++) {
		if (!socks[i]->ev)
			continue;
		if (pause)
			event_del(socks[i]->ev);
		else if (event_add(socks[i]->ev, NULL) < 0)
			LOG(s, LOG_ERROR, "cannot resume reading requests");
	}
}

/* Hands the next group to the worker, if there is one and it is idle. */
static void commit_start(struct dhcp_server *s)
{
	struct pending *t;

	/* A group may hold lines without replies (releases, declines). */
	if (s->w.busy || (s->n_next == 0 && s->next_lines.len == 0))
		return;
	t = s->inflight;
	s->inflight = s->next;
	s->next = t;
	s->n_inflight = s->n_next;
	s->n_next = 0;
	pthread_mutex_lock(&s->w.mu);
	{
		/* The worker's buffer was written out: it becomes the next one. */
		struct buf tmp = s->w.lines;
		s->w.lines = s->next_lines;
		s->next_lines = tmp;
		buf_reset(&s->next_lines);
	}
	s->w.fd = dhcp_leases_journal_fd(s->leases);
	s->w.job = true;
	s->w.busy = true;
	pthread_cond_signal(&s->w.cv);
	pthread_mutex_unlock(&s->w.mu);
}

static void on_commit_done(evutil_socket_t fd, short what, void *arg)
{
	struct dhcp_server *s = arg;
	uint64_t v;
	int r;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&s->w.mu);
	r = s->w.result;
	s->w.busy = false;
	pthread_mutex_unlock(&s->w.mu);
	if (r < 0) {
		/* Without a durable lease we must not promise one. */
		LOG(s, LOG_ERROR, "cannot write the lease file %s: %s; %zu replies withheld",
		    s->cfg.lease_file, strerror(-r), s->n_inflight);
	} else {
		s->stats.leases_written++;
		send_many(s, s->inflight, s->n_inflight);
	}
	s->n_inflight = 0;
	if (s->leases && dhcp_leases_want_compact(s->leases)) {
		/* Idle worker: rewrite the file, which holds the next group's
		 * changes too, so those replies can go now. */
		r = dhcp_leases_save(s->leases, (int64_t)time(NULL));
		if (r < 0)
			LOG(s, LOG_ERROR, "cannot rewrite the lease file %s: %s", s->cfg.lease_file,
			    strerror(-r));
		else
			send_many(s, s->next, s->n_next);
		s->n_next = 0;
		buf_reset(&s->next_lines);
	}
	commit_start(s);
	pause_reading(s, s->n_next + BATCH > MAX_HELD);
}

static int commit_init(struct dhcp_server *s)
{
	int r;

	s->inflight = xcalloc(MAX_HELD, sizeof(*s->inflight));
	s->next = xcalloc(MAX_HELD, sizeof(*s->next));
	buf_init(&s->next_lines, BUF_MAX_DEFAULT);
	buf_init(&s->w.lines, BUF_MAX_DEFAULT);
	pthread_mutex_init(&s->w.mu, NULL);
	pthread_cond_init(&s->w.cv, NULL);
	s->w.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->w.efd < 0)
		return -errno;
	s->w.ev = event_new(s->base, s->w.efd, EV_READ | EV_PERSIST, on_commit_done, s);
	if (!s->w.ev || event_add(s->w.ev, NULL) < 0)
		return -ENOMEM;
	r = pthread_create(&s->w.thread, NULL, worker_main, s);
	if (r)
		return -r;
	s->w.started = true;
	return 0;
}

/* Waits for the sync in flight, so the file is consistent before a save. */
static void commit_release(struct dhcp_server *s)
{
	if (s->w.started) {
		pthread_mutex_lock(&s->w.mu);
		s->w.quit = true;
		pthread_cond_signal(&s->w.cv);
		pthread_mutex_unlock(&s->w.mu);
		/* The worker finishes the job it holds before it sees quit. */
		pthread_join(s->w.thread, NULL);
		pthread_mutex_destroy(&s->w.mu);
		pthread_cond_destroy(&s->w.cv);
	}
	if (s->w.ev)
		event_free(s->w.ev);
	if (s->w.efd >= 0)
		close(s->w.efd);
	free(s->inflight);
	free(s->next);
	buf_release(&s->next_lines);
	buf_release(&s->w.lines);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sock *k = arg;
	struct dhcp_server *s = k->srv;
	size_t nout = 0, nev = 0, nrx, nnow = 0, lines;
	int64_t now = (int64_t)time(NULL);
	uint64_t now_ms = mono_ms();
	int r;

	(void)fd;
	(void)what;
	nrx = recv_many(s, k);
	for (size_t i = 0; i < nrx; i++) {
		struct rxslot *slot = &s->rxs[i];
		struct msghdr *m = &s->rmsg[i].msg_hdr;
		struct dhcp_rx rx = {.now = now, .pxe_port = k->pxe_port};
		struct pending *p = &s->out[nout];
		struct dhcp_event *ev = &s->evs[nev];
		size_t len = s->rmsg[i].msg_len;
		int ifindex;
		uint32_t local_ip;
		bool first_drop;
		char mac[18];

		s->stats.received++;
		if (m->msg_flags & MSG_TRUNC)
			len = sizeof(slot->buf); /* Larger than any DHCP message we take. */
		rx_pktinfo(m, &ifindex, &local_ip);
		if (!iface_ok(s, ifindex)) {
			s->stats.dropped++;
			continue;
		}
		/* The MAC sits at a fixed place; the policy checks hlen. */
		if (len >= 34 &&
		    !dhcp_ratelimit_allow(s->rl, slot->buf + 28, now_ms, &first_drop)) {
			s->stats.rate_limited++;
			s->stats.dropped++;
			if (first_drop)
				LOG(s, LOG_INFO,
				    "%s sends too fast: dropping its requests for a while",
				    dhcp_mac_str(mac, slot->buf + 28));
			continue;
		}
		rx.local_ip = local_ip;
		rx.src_ip = ntohl(slot->from.sin_addr.s_addr);
		rx.src_port = ntohs(slot->from.sin_port);
		r = dhcp_policy_handle(&s->cfg, s->leases, &rx, slot->buf, len, &p->tx, ev);
		if (r) {
			s->stats.dropped++;
			if (s->log && s->log->level >= LOG_DEBUG)
				LOG(s, LOG_DEBUG, "dropped a request from %s: %s",
				    inet_ntoa(slot->from.sin_addr), dhcp_strerror(r));
			continue;
		}
		if (ev->type != DHCP_EV_NONE)
			nev++;
		if (p->tx.len) {
			p->fd = k->fd;
			p->ifindex = ifindex;
			p->local_ip = s->cfg.server_ip ? s->cfg.server_ip : local_ip;
			nout++;
		}
	}
	/* Lines for the leases this batch changed go to the next group
	 * commit, and with them every reply of the batch that promises a
	 * lease; the rest need not wait. */
	lines = s->leases ? dhcp_leases_journal_take(s->leases, &s->next_lines) : 0;
	for (size_t i = 0; i < nout; i++) {
		if (lines && s->out[i].tx.needs_sync)
			s->next[s->n_next++] = s->out[i];
		else if (s->cfg.mode == DHCP_MODE_PROXY && !k->pxe_port && s->cfg.proxy_delay_ms)
			send_later(s, &s->out[i]);
		else if (nnow++ != i)
			s->out[nnow - 1] = s->out[i]; /* Compact the ones to send now. */
	}
	send_many(s, s->out, nnow);
	if (lines)
		commit_start(s);
	pause_reading(s, s->n_next + BATCH > MAX_HELD);
	for (size_t i = 0; i < nev; i++) {
		log_event(s, &s->evs[i]);
		if (s->cb.on_event)
			s->cb.on_event(s->cb.ctx, &s->evs[i]);
	}
}

/* Says who holds a UDP port, when ss(8) can tell. */
static void log_port_holder(struct dhcp_server *s, uint16_t port)
{
	char cmd[96], line[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ss -ulpnH 'sport = :%u' 2>/dev/null", port);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *users = strstr(line, "users:");
		line[strcspn(line, "\n")] = '\0';
		LOG(s, LOG_ERROR, "port %u is held by: %s", port, users ? users : line);
	}
	pclose(f);
}

static int open_sock(struct dhcp_server *s, struct sock *k, uint16_t port, bool pxe_port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd, r;

	k->srv = s;
	k->pxe_port = pxe_port;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* No SO_REUSEADDR: a second DHCP server on this host must make bind
	 * fail loudly rather than share the port and race us for clients. */
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* Room for the requests that arrive while a sync runs; the forced
	 * size needs CAP_NET_ADMIN, the plain one is capped by rmem_max. */
	int rcv = RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* With one interface the kernel can filter for us; with several we
	 * filter on IP_PKTINFO's ifindex. */
	if (s->cfg.n_ifnames == 1 && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->cfg.ifnames[0],
						(socklen_t)strlen(s->cfg.ifnames[0])) < 0)
		LOG(s, LOG_WARN, "cannot bind to device %s (%s): filtering by interface index",
		    s->cfg.ifnames[0], strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		if (r == -EACCES)
			LOG(s, LOG_ERROR,
			    "cannot bind UDP port %u: permission denied; run as root or give the "
			    "program the capabilities: setcap cap_net_bind_service,cap_net_raw+ep "
			    "PROGRAM",
			    port);
		else if (r == -EADDRINUSE) {
			LOG(s, LOG_ERROR,
			    "cannot bind UDP port %u: another DHCP server already holds it "
			    "(stop it, or use proxy mode or mode off beside it)",
			    port);
			log_port_holder(s, port);
		} else
			LOG(s, LOG_ERROR, "cannot bind UDP port %u: %s", port, strerror(-r));
		return r;
	}
	k->fd = fd;
	k->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, k);
	if (!k->ev || event_add(k->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static void close_sock(struct sock *k)
{
	if (k->ev)
		event_free(k->ev);
	if (k->fd >= 0)
		close(k->fd);
	k->ev = NULL;
	k->fd = -1;
}

int dhcp_server_new(struct event_base *base, const struct dhcp_config *cfg,
		    const struct logger *log, const struct dhcp_callbacks *cb,
		    struct dhcp_server **out)
{
	struct dhcp_server *s;
	char err[256];
	int r;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->cfg = *cfg;
	s->log = log;
	if (cb)
		s->cb = *cb;
	s->main.fd = s->pxe.fd = -1;
	s->w.efd = -1;
	if (dhcp_config_check(cfg, err, sizeof(err)) < 0) {
		LOG(s, LOG_ERROR, "bad configuration: %s", err);
		r = -EINVAL;
		goto fail;
	}
	if (cfg->n_hosts) {
		s->hosts = xcalloc(cfg->n_hosts, sizeof(*s->hosts));
		memcpy(s->hosts, cfg->hosts, cfg->n_hosts * sizeof(*s->hosts));
	}
	s->cfg.hosts = s->hosts;
	for (size_t i = 0; i < cfg->n_ifnames; i++) {
		unsigned idx = if_nametoindex(cfg->ifnames[i]);
		if (idx == 0) {
			r = -errno;
			LOG(s, LOG_ERROR, "no interface named %s: %s", cfg->ifnames[i],
			    strerror(errno));
			goto fail;
		}
		s->ifindex[s->n_ifindex++] = idx;
	}
	if (cfg->n_ifnames == 0)
		LOG(s, LOG_WARN, "no interface configured: answering on every interface");
	s->rl = dhcp_ratelimit_new(cfg->rate_burst, cfg->rate_per_sec);
	r = commit_init(s);
	if (r < 0) {
		LOG(s, LOG_ERROR, "cannot start the lease writer: %s", strerror(-r));
		goto fail;
	}
	if (cfg->mode == DHCP_MODE_SERVER) {
		s->leases = dhcp_policy_leases_new(&s->cfg);
		if (!s->leases) {
			r = -EINVAL;
			goto fail;
		}
		if (cfg->lease_file[0]) {
			size_t bad = 0;
			r = dhcp_leases_open(s->leases, cfg->lease_file, (int64_t)time(NULL), &bad);
			if (r < 0) {
				LOG(s, LOG_ERROR, "cannot use the lease file %s: %s",
				    cfg->lease_file, strerror(-r));
				goto fail;
			}
			if (bad)
				LOG(s, LOG_WARN, "lease file %s: skipped %zu damaged lines",
				    cfg->lease_file, bad);
		}
	}
	r = open_sock(s, &s->main, cfg->port ? cfg->port : DHCP_PORT_SERVER, false);
	if (r < 0)
		goto fail;
	/* The PXE port in both modes: see on_pxe_port() in policy.c. */
	r = open_sock(s, &s->pxe, cfg->pxe_port ? cfg->pxe_port : DHCP_PORT_PXE, true);
	if (r < 0)
		goto fail;
	LOG(s, LOG_INFO, "serving %s on ports %u and %u",
	    cfg->mode == DHCP_MODE_PROXY ? "proxyDHCP" : "DHCP",
	    cfg->port ? cfg->port : DHCP_PORT_SERVER,
	    cfg->pxe_port ? cfg->pxe_port : DHCP_PORT_PXE);
	*out = s;
	return 0;
fail:
	dhcp_server_free(s);
	return r;
}

void dhcp_server_free(struct dhcp_server *s)
{
	if (!s)
		return;
	close_sock(&s->main);
	close_sock(&s->pxe);
	while (s->delayed)
		delayed_unlink(s, s->delayed);
	/* Replies still held are dropped (their clients will retry); the
	 * save below makes their leases durable all the same. */
	commit_release(s);
	if (s->leases && s->cfg.lease_file[0]) {
		int r = dhcp_leases_save(s->leases, (int64_t)time(NULL));
		if (r < 0)
			LOG(s, LOG_ERROR, "cannot save the lease file %s: %s", s->cfg.lease_file,
			    strerror(-r));
	}
	dhcp_leases_free(s->leases);
	dhcp_ratelimit_free(s->rl);
	free(s->hosts);
	free(s);
}
