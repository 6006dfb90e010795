/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One peer connection: bytes in through the incremental wire parser, each
 * message handed to the swarm; messages out through the bufferevent. Block
 * uploads are read from storage straight into the socket's output buffer,
 * a few consecutive blocks per read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bt/internal.h"
#include "util/dlist.h"
#include "util/util.h"

int64_t bt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void peer_log(const struct bt_peer *p, enum log_level lvl, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

static void peer_log(const struct bt_peer *p, enum log_level lvl, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (lvl > p->session->log.level || !p->session->log.fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logger_log(&p->session->log, lvl, "PEER", "%s: %s", p->name, msg);
}

size_t bt_peer_output_len(const struct bt_peer *p)
{
	return p->bev ? evbuffer_get_length(bufferevent_get_output(p->bev)) : 0;
}

static void send_bytes(struct bt_peer *p, const void *data, size_t len)
{
	if (p->dead || !p->bev)
		return;
	if (evbuffer_add(bufferevent_get_output(p->bev), data, len) < 0) {
		bt_peer_close(p, "out of memory queueing output");
		return;
	}
	p->t_last_send = bt_now_ms();
}

void bt_peer_send_simple(struct bt_peer *p, int type)
{
	uint8_t m[5];

	put_u32be(m, 1);
	m[4] = (uint8_t)type;
	send_bytes(p, m, sizeof(m));
}

void bt_peer_send_index(struct bt_peer *p, int type, uint32_t index)
{
	uint8_t m[9];

	put_u32be(m, 5);
	m[4] = (uint8_t)type;
	put_u32be(m + 5, index);
	send_bytes(p, m, sizeof(m));
}

void bt_peer_send_block(struct bt_peer *p, int type, uint32_t index, uint32_t begin,
			uint32_t length)
{
	uint8_t m[17];

	put_u32be(m, 13);
	m[4] = (uint8_t)type;
	put_u32be(m + 5, index);
	put_u32be(m + 9, begin);
	put_u32be(m + 13, length);
	send_bytes(p, m, sizeof(m));
}

void bt_peer_send_keepalive(struct bt_peer *p)
{
	uint8_t m[4] = {0};

	send_bytes(p, m, sizeof(m));
}

void bt_peer_send_bitfield(struct bt_peer *p, const struct bt_bitfield *bf)
{
	uint8_t m[5];

	put_u32be(m, (uint32_t)(bt_bitfield_bytes(bf) + 1));
	m[4] = BT_MSG_BITFIELD;
	send_bytes(p, m, sizeof(m));
	send_bytes(p, bf->bits, bt_bitfield_bytes(bf));
}

void bt_peer_send_extended(struct bt_peer *p, uint8_t id, const void *payload, size_t len)
{
	uint8_t m[6];

	if (len > BT_MAX_EXTENDED)
		return;
	put_u32be(m, (uint32_t)(len + 2));
	m[4] = BT_MSG_EXTENDED;
	m[5] = id;
	send_bytes(p, m, sizeof(m));
	send_bytes(p, payload, len);
}

/* Requests served with one read from storage: consecutive blocks of a
 * piece, as a peer downloading in order asks for them. Three, because
 * libevent rounds each chain it allocates up to a power of two: three
 * PIECE messages and its chain header take 64 KiB, four would take 128. */
#define SERVE_BATCH 3

/* How many of the queued requests from inq[0] on are consecutive blocks of
 * one piece, at most max. */
static int consecutive(const struct bt_block *inq, uint32_t n, int max)
{
	int k = 1;

	while ((uint32_t)k < n && k < max && inq[k].piece == inq[0].piece &&
	       inq[k].begin == inq[k - 1].begin + inq[k - 1].length)
		k++;
	return k;
}

/* Sends PIECE messages for inq[0..k): the headers, and the blocks read
 * from storage straight into the output buffer's free space between them
 * (no intermediate copy, one read for all k). */
static int send_pieces(struct bt_peer *p, const struct bt_block *inq, int k)
{
	struct evbuffer *out = bufferevent_get_output(p->bev);
	struct iovec blocks[SERVE_BATCH];
	struct evbuffer_iovec v;
	uint64_t bytes = 0;
	size_t n = 0;
	uint8_t *at;
	int r;

	for (int i = 0; i < k; i++)
		n += 13 + (size_t)inq[i].length;
	if (evbuffer_reserve_space(out, (ev_ssize_t)n, &v, 1) != 1 || v.iov_len < n)
		return -ENOMEM;
	at = v.iov_base;
	for (int i = 0; i < k; i++) {
		bt_wire_piece_header(at, inq[i].piece, inq[i].begin, inq[i].length);
		blocks[i] = (struct iovec){at + 13, inq[i].length};
		at += 13 + (size_t)inq[i].length;
		bytes += inq[i].length;
	}
	r = bt_storage_readv(&p->swarm->storage, inq[0].piece, inq[0].begin, blocks, k);
	if (r)
		return r;
	v.iov_len = n;
	if (evbuffer_commit_space(out, &v, 1) < 0)
		return -ENOMEM;
	p->up_total += bytes;
	p->up_tick += bytes;
	p->swarm->uploaded += bytes;
	if (p->known)
		p->known->up_bytes += bytes;
	p->t_last_send = bt_now_ms();
	return 0;
}

void bt_peer_serve(struct bt_peer *p)
{
	uint32_t done = 0;

	while (!p->dead && done < p->ninq && bt_peer_output_len(p) < BT_OUTPUT_HIGH) {
		int k = consecutive(p->inq + done, p->ninq - done, SERVE_BATCH);
		int r = send_pieces(p, p->inq + done, k);

		if (r) {
			bt_peer_close(p, "cannot send piece %u: %s", p->inq[done].piece,
				      strerror(-r));
			return;
		}
		done += (uint32_t)k;
	}
	if (done && !p->dead) {
		memmove(p->inq, p->inq + done, (p->ninq - done) * sizeof(*p->inq));
		p->ninq -= done;
	}
}

static void send_handshake(struct bt_peer *p)
{
	uint8_t hs[BT_HANDSHAKE_LEN];
	uint8_t reserved[8] = {0};

	reserved[BT_RESERVED_EXTENDED_BYTE] |= BT_RESERVED_EXTENDED_BIT;
	reserved[BT_RESERVED_FAST_BYTE] |= BT_RESERVED_FAST_BIT;
	hs[0] = 19;
	memcpy(hs + 1, BT_PROTOCOL_NAME, 19);
	memcpy(hs + 20, reserved, 8);
	memcpy(hs + 28, p->swarm->mi->info_hash, 20);
	memcpy(hs + 48, p->session->peer_id, 20);
	send_bytes(p, hs, sizeof(hs));
	p->handshake_sent = true;
}

/* The handshake arrived: find the torrent, check the peer, answer. */
static void on_handshake(struct bt_peer *p, const struct bt_msg *m)
{
	struct bt_swarm *w = bt_session_find_swarm(p->session, m->info_hash);
	const char *why;

	if (!w || (p->swarm && p->swarm != w)) {
		bt_peer_close(p, "handshake for another torrent");
		return;
	}
	p->swarm = w;
	memcpy(p->peer_id, m->peer_id, 20);
	p->fast = m->reserved[BT_RESERVED_FAST_BYTE] & BT_RESERVED_FAST_BIT;
	p->extended = m->reserved[BT_RESERVED_EXTENDED_BYTE] & BT_RESERVED_EXTENDED_BIT;
	if (!p->handshake_sent)
		send_handshake(p);
	why = bt_swarm_accept(w, p);
	if (why) {
		bt_peer_close(p, "%s", why);
		return;
	}
}

/* Parses buf[0, len), one read of the socket, and hands each message to
 * the swarm. A message that arrived whole is parsed where it lies, its
 * block never copied; the wire parser keeps the start of one that did not
 * in its own body buffer until the rest comes. So nothing of this read
 * stays in buf, which every peer of the session shares. Returns false
 * when the peer was closed. */
static bool parse_input(struct bt_peer *p, const uint8_t *buf, size_t len)
{
	struct cursor c = cursor_make(buf, len);

	while (!p->dead && c.len > 0) {
		struct bt_msg m;
		bool got;
		int r = bt_wire_feed(&p->wire, &c, &m, &got);

		if (r) {
			bt_peer_close(p, "%s (%s, after %llu messages)", bt_strerror(r),
				      bt_msg_name(p->wire.last_type),
				      (unsigned long long)p->wire.messages);
			return false;
		}
		if (!got) {
			if (p->wire.state == BT_WIRE_CONFIG) {
				/* Cannot happen: accept sets the geometry. */
				bt_peer_close(p, "no geometry after handshake");
				return false;
			}
			break;
		}
		if (m.type == BT_MSG_HANDSHAKE)
			on_handshake(p, &m);
		else if (p->swarm && p->attached)
			bt_swarm_on_message(p->swarm, p, &m);
	}
	if (p->dead)
		return false;
	/* The requests of this read, together (bt_swarm_on_message queues
	 * them). */
	if (p->ninq)
		bt_peer_serve(p);
	return !p->dead;
}

/* How much to read: the rest of the message under way, then as many whole
 * PIECE messages as fit. The usual stream is nothing but PIECE messages,
 * so reads that end where one would end let the next read start at a
 * message, which is then parsed in place rather than assembled. */
size_t bt_peer_read_size(const struct bt_wire *w)
{
	size_t rest;

	if (w->state == BT_WIRE_LENGTH && w->have == 0)
		rest = 0;
	else if (w->state == BT_WIRE_BODY && w->have < w->want)
		rest = w->want - w->have;
	else
		return BT_READ_BUF; /* the handshake, or a split length prefix */
	if (rest >= BT_READ_BUF)
		return BT_READ_BUF;
	return rest + (BT_READ_BUF - rest) / BT_PIECE_MSG_LEN * BT_PIECE_MSG_LEN;
}

/* The socket is readable. We read it ourselves rather than through the
 * bufferevent: libevent 2.1 reads at most 4 KiB per call (and asks
 * FIONREAD first), so each 16 KiB block cost four trips through the loop,
 * twelve system calls, and a copy to reassemble it (bench/bt-cpu.sh). One
 * read here takes up to BT_READ_BUF bytes into the session's read buffer,
 * shared by all its peers (a buffer per peer cost 64 KiB a connection),
 * and the messages are parsed from there before the next read. */
static void on_readable(evutil_socket_t fd, short what, void *ctx)
{
	struct bt_peer *p = ctx;
	uint8_t *buf = p->session->rbuf;

	/* A few reads per wakeup while the socket has more than we asked
	 * for, then back to the loop so that other peers get their turn. */
	for (int round = 0; round < 4 && !p->dead; round++) {
		size_t want = bt_peer_read_size(&p->wire);
		ssize_t n = read(fd, buf, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				bt_peer_close(p, "socket error: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			bt_peer_close(p, "closed by peer");
			return;
		}
		p->t_last_recv = bt_now_ms();
		if (!parse_input(p, buf, (size_t)n) || (size_t)n < want)
			return;
	}
}

/* Starts reading once the socket is connected. 0 or -ENOMEM. */
static int start_reading(struct bt_peer *p, int fd)
{
	p->rev = event_new(p->session->base, fd, EV_READ | EV_PERSIST, on_readable, p);
	if (!p->rev || event_add(p->rev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static void on_write(struct bufferevent *bev, void *ctx)
{
	struct bt_peer *p = ctx;

	/* The output drained below the low watermark: serve more blocks. */
	if (p->ninq)
		bt_peer_serve(p);
}

/* No Nagle delay for requests; and a connection whose other end vanished
 * without a FIN (power, cable, a dead VM) fails within BT_TCP_DEAD_AFTER
 * seconds: keepalive probes when idle, a user timeout when sent data stays
 * unacknowledged. Without these a half-open connection looks alive until
 * the idle timeout, and a download waits on it. */
static void tune_socket(int fd)
{
	int one = 1, idle = BT_TCP_DEAD_AFTER / 2, intvl = 5, cnt = 3;
	int lowat = BT_NOTSENT_LOWAT;
	unsigned int user_ms = BT_TCP_DEAD_AFTER * 1000;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms, sizeof(user_ms));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
}

static void on_event(struct bufferevent *bev, short what, void *ctx)
{
	struct bt_peer *p = ctx;

	if (what & BEV_EVENT_CONNECTED) {
		p->tcp_up = true;
		tune_socket(bufferevent_getfd(bev));
		if (start_reading(p, bufferevent_getfd(bev)) < 0) {
			bt_peer_close(p, "out of memory");
			return;
		}
		if (p->swarm && !p->handshake_sent)
			send_handshake(p);
		return;
	}
	if (what & BEV_EVENT_EOF)
		bt_peer_close(p, "closed by peer");
	else if (what & BEV_EVENT_ERROR)
		bt_peer_close(p, "socket error: %s",
			      evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (what & BEV_EVENT_TIMEOUT)
		bt_peer_close(p, "timeout");
}

struct bt_peer *bt_peer_new(struct bt_session *s, int fd, const struct sockaddr_in *addr,
			    struct bt_swarm *w, struct bt_known *k)
{
	struct bt_peer *p = xcalloc(1, sizeof(*p));
	char ip[INET_ADDRSTRLEN];

	p->session = s;
	p->swarm = w;
	p->known = k;
	p->addr = *addr;
	p->outgoing = fd < 0;
	inet_ntop(AF_INET, &addr->sin_addr, ip, sizeof(ip));
	snprintf(p->name, sizeof(p->name), "%s:%u", ip, ntohs(addr->sin_port));
	p->am_choking = p->peer_choking = true;
	p->queue_target = 32;
	p->t_start = p->t_last_recv = p->t_last_send = p->t_last_block = bt_now_ms();
	bt_wire_init(&p->wire);
	p->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->bev) {
		bt_wire_release(&p->wire);
		free(p);
		return NULL;
	}
	bufferevent_setcb(p->bev, NULL, on_write, on_event, p);
	if (s->rate_group)
		bufferevent_add_to_rate_limit_group(p->bev, s->rate_group);
	/* Memory per peer: the wire parser's body buffer for a message
	 * split between reads, and serving stops while the output holds
	 * more than BT_OUTPUT_HIGH. The bufferevent only writes;
	 * on_readable() reads. */
	bufferevent_setwatermark(p->bev, EV_WRITE, BT_OUTPUT_LOW, 0);
	/* libevent writes at most 16 KiB (one block) per system call by
	 * default; on an emulated CPU every system call counts. All that can
	 * be queued goes in one write: BT_OUTPUT_HIGH and the last batch. */
	bufferevent_set_max_single_write(p->bev,
					 BT_OUTPUT_HIGH + SERVE_BATCH * (13 + BT_BLOCK_SIZE));
	bufferevent_enable(p->bev, EV_WRITE);
	if (fd >= 0) {
		p->tcp_up = true;
		tune_socket(fd);
		if (start_reading(p, fd) < 0) {
			/* The caller closes fd when we fail. */
			bufferevent_setfd(p->bev, -1);
			bt_peer_free(p);
			return NULL;
		}
	} else if (bufferevent_socket_connect(p->bev, (const struct sockaddr *)addr,
					      sizeof(*addr)) < 0) {
		bt_peer_free(p);
		return NULL;
	}
	if (k)
		k->connected = true;
	p->next = s->peers;
	if (s->peers)
		s->peers->prev = p;
	s->peers = p;
	s->npeers++;
	return p;
}

void bt_peer_close(struct bt_peer *p, const char *fmt, ...)
{
	struct bt_session *s = p->session;
	char why[200];
	va_list ap;

	if (p->dead)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	peer_log(p, LOG_DEBUG, "closing: %s", why);
	p->dead = true;
	if (p->swarm)
		bt_swarm_detach(p->swarm, p);
	if (p->known)
		p->known->connected = false;
	if (p->rev) {
		event_free(p->rev);
		p->rev = NULL;
	}
	if (p->bev) {
		/* libevent finishes freeing a bufferevent later, from the loop:
		 * leave the rate-limit group now, or the session cannot free
		 * the group right after its last peer (a libevent assertion). */
		if (s->rate_group)
			bufferevent_remove_from_rate_limit_group(p->bev);
		bufferevent_free(p->bev);
		p->bev = NULL;
	}
	/* From the live list to the graveyard; freed outside any callback. */
	DLIST_UNLINK(s->peers, p);
	s->npeers--;
	p->prev = NULL;
	p->next = s->graveyard;
	s->graveyard = p;
	if (s->reap)
		event_active(s->reap, 0, 0);
}

void bt_peer_free(struct bt_peer *p)
{
	if (!p)
		return;
	if (p->rev)
		event_free(p->rev);
	if (p->bev)
		bufferevent_free(p->bev);
	bt_wire_release(&p->wire);
	bt_bitfield_release(&p->have);
	free(p->reqs);
	free(p->inq);
	free(p);
}
