/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tracker-load: a load generator for BitTorrent trackers (bench only, not
 * a test, not installed). It plays PEERS peers of one swarm (announced
 * ports 10000..10000+PEERS-1, left > 0 for all but every tenth), each
 * announce asking for NUMWANT peers, and prints announces per second.
 *
 *   tracker-load MODE HOST PORT INFO_HASH_HEX [SECONDS] [PEERS] [NUMWANT] [WINDOW]
 *
 * MODE: udp      BEP 15 announces reusing one connection id (refreshed
 *                every 50 s), WINDOW requests kept in flight;
 *       udp-connect  a connect before every announce;
 *       http     GET /announce, one TCP connection per request (as real
 *                clients do), WINDOW connections at a time.
 * Output: "MODE announces=N seconds=S rate=R/s errors=E timeouts=T warmup=W"
 * (W announces of the 1 s warm-up that fills the swarm, not in N).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tracker/wire.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/parse.h"
#include "util/util.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct load {
	struct sockaddr_in to;
	uint8_t hash[20];
	unsigned peers, numwant, window;
	uint64_t seconds;
	uint64_t done, errors, timeouts;
	unsigned next_peer;
};

static void make_announce(struct load *l, struct tracker_announce *a)
{
	unsigned i = l->next_peer++ % l->peers;

	memset(a, 0, sizeof(*a));
	memcpy(a->info_hash, l->hash, 20);
	snprintf((char *)a->peer_id, 21, "-LD0001-%012u", i);
	a->port = (uint16_t)(10000 + i);
	a->left = i % 10 == 0 ? 0 : 1000000;
	a->numwant = l->numwant;
	a->key = i;
	a->has_key = true;
	a->compact = true;
}

/* The generator batches its datagrams (sendmmsg/recvmmsg) so that it costs
 * less than the server it measures. txid: bit 31 set for a connect. */
#define BATCH 64
struct ubatch {
	uint8_t out[BATCH][128];
	struct iovec out_iov[BATCH];
	struct mmsghdr out_msg[BATCH];
	unsigned n_out;
	uint8_t in[BATCH][2048];
	struct iovec in_iov[BATCH];
	struct mmsghdr in_msg[BATCH];
};

static int queue_packet(struct ubatch *u, const struct buf *b)
{
	if (u->n_out == BATCH || b->len > sizeof(u->out[0]))
		return -ENOSPC;
	memcpy(u->out[u->n_out], b->data, b->len);
	u->out_iov[u->n_out] = (struct iovec){u->out[u->n_out], b->len};
	u->out_msg[u->n_out].msg_hdr =
		(struct msghdr){.msg_iov = &u->out_iov[u->n_out], .msg_iovlen = 1};
	u->n_out++;
	return 0;
}

static int flush(int fd, struct ubatch *u)
{
	unsigned sent = 0;

	while (sent < u->n_out) {
		int r = sendmmsg(fd, u->out_msg + sent, u->n_out - sent, 0);
		if (r < 0) {
			if (errno == ECONNREFUSED || errno == EAGAIN)
				break;
			return -errno;
		}
		sent += (unsigned)r;
	}
	u->n_out = 0;
	return 0;
}

static int run_udp(struct load *l, bool connect_each)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	static struct ubatch u;
	uint64_t cid = 0, cid_us = 0, end, last_rx;
	uint32_t seq = 1;
	unsigned inflight = 0;
	struct buf b;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	int rcvbuf = 4 << 20, r;

	if (fd < 0 || connect(fd, (struct sockaddr *)&l->to, sizeof(l->to)) < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (int k = 0; k < BATCH; k++) {
		u.in_iov[k] = (struct iovec){u.in[k], sizeof(u.in[k])};
		u.in_msg[k].msg_hdr = (struct msghdr){.msg_iov = &u.in_iov[k], .msg_iovlen = 1};
	}
	buf_init(&b, 2048);
	end = now_us() + l->seconds * 1000000;
	last_rx = now_us();
	while (now_us() < end) {
		int n;

		/* Keep the window full. Without a connection id (or in
		 * connect-each mode) the window holds connects. */
		while (inflight < l->window && u.n_out < BATCH) {
			buf_reset(&b);
			if (connect_each || !cid || now_us() - cid_us > 50000000) {
				if (!connect_each && inflight > 0)
					break; /* one connect at a time */
				if (tracker_udp_connect_build(&b, 0x80000000u | seq++) < 0)
					return -EIO;
			} else {
				struct tracker_announce a;
				make_announce(l, &a);
				if (tracker_udp_announce_build(&b, cid, seq++ & 0x7fffffff, &a) < 0)
					return -EIO;
			}
			(void)queue_packet(&u, &b);
			inflight++;
		}
		if ((r = flush(fd, &u)) < 0)
			return r;
		n = recvmmsg(fd, u.in_msg, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED ||
			    errno == EINTR) {
				/* Lost replies: start the window again. */
				if (now_us() - last_rx > 100000) {
					l->timeouts += inflight;
					inflight = 0;
					cid = connect_each ? cid : 0;
				}
				continue;
			}
			return -errno;
		}
		last_rx = now_us();
		for (int k = 0; k < n; k++) {
			const uint8_t *pkt = u.in[k];
			size_t len = u.in_msg[k].msg_len;
			uint32_t action, txid;

			inflight = inflight ? inflight - 1 : 0;
			if (len < 8) {
				l->errors++;
				continue;
			}
			action = get_u32be(pkt);
			txid = get_u32be(pkt + 4);
			if (action == TRACKER_UDP_CONNECT && len == 16 && (txid & 0x80000000u)) {
				uint64_t id = get_u64be(pkt + 8);
				if (connect_each) {
					struct tracker_announce a;
					make_announce(l, &a);
					buf_reset(&b);
					if (tracker_udp_announce_build(&b, id, seq++ & 0x7fffffff,
								       &a) < 0)
						return -EIO;
					if (queue_packet(&u, &b) == 0)
						inflight++;
				} else {
					cid = id;
					cid_us = now_us();
				}
			} else if (action == TRACKER_UDP_ANNOUNCE && len >= 20) {
				l->done++;
			} else {
				l->errors++;
				if (!connect_each)
					cid = 0;
			}
		}
	}
	buf_release(&b);
	close(fd);
	return 0;
}

struct hconn {
	int fd;
	size_t sent;
	size_t got;
	bool used;
};

static int http_open(struct load *l, int ep, struct hconn *c)
{
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&l->to, sizeof(l->to)) < 0 && errno != EINPROGRESS)
		return -errno;
	c->sent = 0;
	c->got = 0;
	c->used = true;
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0 ? -errno : 0;
}

static int run_http(struct load *l)
{
	int ep = epoll_create1(0);
	struct hconn *conns = xcalloc(l->window, sizeof(*conns));
	struct epoll_event evs[256];
	uint8_t rbuf[16384];
	struct buf req;
	uint64_t end = now_us() + l->seconds * 1000000;
	int r;

	buf_init(&req, 8192);
	for (unsigned i = 0; i < l->window; i++)
		if ((r = http_open(l, ep, &conns[i])) < 0)
			return r;
	while (now_us() < end) {
		int n = epoll_wait(ep, evs, 256, 100);
		for (int k = 0; k < n; k++) {
			struct hconn *c = evs[k].data.ptr;
			bool reopen = false;

			if (c->sent == 0 && (evs[k].events & EPOLLOUT)) {
				struct tracker_announce a;
				struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
				make_announce(l, &a);
				buf_reset(&req);
				if (buf_append_str(&req, "GET /announce?") < 0 ||
				    tracker_http_query_build(&req, &a) < 0 ||
				    buf_append_str(&req, " HTTP/1.1\r\nHost: t\r\nConnection: "
							 "close\r\n\r\n") < 0)
					return -EIO;
				if (send(c->fd, req.data, req.len, MSG_NOSIGNAL) !=
				    (ssize_t)req.len) {
					l->errors++;
					reopen = true;
				} else {
					c->sent = req.len;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			} else if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t got = recv(c->fd, rbuf, sizeof(rbuf), 0);
				if (got > 0) {
					/* Count on the status line; read on until close. */
					if (c->got == 0) {
						if (got >= 12 && memcmp(rbuf + 9, "200", 3) == 0)
							l->done++;
						else
							l->errors++;
					}
					c->got += (size_t)got;
				} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
					if (c->got == 0)
						l->errors++;
					reopen = true;
				}
			}
			if (reopen) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				if ((r = http_open(l, ep, c)) < 0)
					return r;
			}
		}
	}
	for (unsigned i = 0; i < l->window; i++)
		close(conns[i].fd);
	close(ep);
	free(conns);
	buf_release(&req);
	return 0;
}

int main(int argc, char **argv)
{
	struct load l = {.seconds = 5, .peers = 1000, .numwant = 50, .window = 32};
	uint64_t v, port, t0, t1, warmup = 0;
	const char *mode;
	int r;

	if (argc < 5) {
		fprintf(stderr, "usage: tracker-load udp|udp-connect|http HOST PORT INFO_HASH_HEX "
				"[SECONDS] [PEERS] [NUMWANT] [WINDOW]\n");
		return 2;
	}
	mode = argv[1];
	l.to.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[2], &l.to.sin_addr) != 1 ||
	    parse_u64_str(argv[3], 65535, &port) < 0 || strlen(argv[4]) != 40 ||
	    hex_decode(l.hash, argv[4], 20) < 0) {
		fprintf(stderr, "tracker-load: bad address, port or hash\n");
		return 2;
	}
	l.to.sin_port = htons((uint16_t)port);
	if (argc > 5 && parse_u64_str(argv[5], 3600, &l.seconds) < 0)
		return 2;
	if (argc > 6 && (parse_u64_str(argv[6], 60000, &v) < 0 || v == 0))
		return 2;
	l.peers = argc > 6 ? (unsigned)v : l.peers;
	if (argc > 7 && parse_u64_str(argv[7], 200, &v) < 0)
		return 2;
	l.numwant = argc > 7 ? (unsigned)v : l.numwant;
	if (argc > 8 && (parse_u64_str(argv[8], 4096, &v) < 0 || v == 0))
		return 2;
	l.window = argc > 8 ? (unsigned)v : l.window;

	/* Fill the swarm first, so the measured announces see PEERS peers. */
	{
		struct load warm = l;
		warm.seconds = 1;
		if (strcmp(mode, "http") == 0)
			r = run_http(&warm);
		else
			r = run_udp(&warm, false);
		if (r < 0) {
			fprintf(stderr, "tracker-load: warm-up: %s\n", strerror(-r));
			return 1;
		}
		l.next_peer = warm.next_peer;
		warmup = warm.done;
	}
	t0 = now_us();
	if (strcmp(mode, "udp") == 0)
		r = run_udp(&l, false);
	else if (strcmp(mode, "udp-connect") == 0)
		r = run_udp(&l, true);
	else if (strcmp(mode, "http") == 0)
		r = run_http(&l);
	else
		r = -EINVAL;
	t1 = now_us();
	if (r < 0) {
		fprintf(stderr, "tracker-load: %s\n", strerror(-r));
		return 1;
	}
	printf("%s announces=%llu seconds=%.2f rate=%.0f/s errors=%llu timeouts=%llu warmup=%llu\n",
	       mode, (unsigned long long)l.done, (double)(t1 - t0) / 1e6,
	       (double)l.done * 1e6 / (double)(t1 - t0), (unsigned long long)l.errors,
	       (unsigned long long)l.timeouts, (unsigned long long)warmup);
	return 0;
}
