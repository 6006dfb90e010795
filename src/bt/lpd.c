/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Local service discovery (BEP 14): announce our torrents to the LAN on the
 * multicast group 239.192.152.143:6771 and learn peers from the announces
 * of others. The message format is parsed by a pure function.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bt/internal.h"
#include "util/parse.h"
#include "util/util.h"

#define LPD_GROUP "239.192.152.143"
#define LPD_PORT 6771
#define LPD_INTERVAL 300 /* seconds between announces (BEP 14: 5 minutes) */

int bt_lpd_parse(const uint8_t *p, size_t len, struct bt_lpd_msg *out)
{
	static const char first[] = "BT-SEARCH * HTTP/1.1\r\n";
	size_t off;

	memset(out, 0, sizeof(*out));
	if (len > BT_LPD_MAX_MSG || len < sizeof(first) - 1 ||
	    memcmp(p, first, sizeof(first) - 1) != 0)
		return BT_E_PROTOCOL;
	off = sizeof(first) - 1;
	/* One header per line, up to the empty line. */
	while (off < len) {
		const uint8_t *line = p + off;
		const uint8_t *nl = memchr(line, '\n', len - off);
		size_t n, name_len, vlen;
		const uint8_t *colon, *v;

		if (!nl)
			return BT_E_PROTOCOL;
		n = (size_t)(nl - line);
		off += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		colon = memchr(line, ':', n);
		if (!colon)
			return BT_E_PROTOCOL;
		name_len = (size_t)(colon - line);
		v = colon + 1;
		vlen = n - name_len - 1;
		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (name_len == 4 && strncasecmp((const char *)line, "port", 4) == 0) {
			uint64_t port;
			if (parse_u64((const char *)v, vlen, 65535, &port) != 0 || port == 0)
				return BT_E_PROTOCOL;
			out->port = (uint16_t)port;
		} else if (name_len == 8 && strncasecmp((const char *)line, "infohash", 8) == 0) {
			char hex[41];
			if (vlen != 40)
				return BT_E_PROTOCOL;
			if (out->n_hashes == BT_LPD_MAX_HASHES)
				continue;
			memcpy(hex, v, 40);
			hex[40] = '\0';
			if (hex_decode(out->hashes[out->n_hashes], hex, 20) != 0)
				return BT_E_PROTOCOL;
			out->n_hashes++;
		} else if (name_len == 6 && strncasecmp((const char *)line, "cookie", 6) == 0) {
			out->cookie_len = MIN(vlen, sizeof(out->cookie));
			memcpy(out->cookie, v, out->cookie_len);
		}
	}
	return out->port && out->n_hashes ? 0 : BT_E_PROTOCOL;
}

int bt_lpd_build(struct buf *b, uint16_t port, const uint8_t (*hashes)[20], size_t n,
		 const char *cookie)
{
	int r = buf_printf(b, "BT-SEARCH * HTTP/1.1\r\nHost: %s:%d\r\nPort: %u\r\n", LPD_GROUP,
			   LPD_PORT, port);

	for (size_t i = 0; i < n && r == 0; i++) {
		char hex[41];
		hex_encode(hex, hashes[i], 20);
		r = buf_printf(b, "Infohash: %s\r\n", hex);
	}
	if (r == 0)
		r = buf_printf(b, "cookie: %s\r\n\r\n\r\n", cookie);
	return r;
}

static void lpd_announce(struct bt_session *s)
{
	uint8_t hashes[BT_LPD_MAX_HASHES][20];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(LPD_PORT)};
	size_t n = 0;
	struct buf b;

	for (size_t i = 0; i < s->nswarms && n < BT_LPD_MAX_HASHES; i++) {
		/* BEP 27: private torrents stay off the LAN's discovery. */
		if (s->swarms[i]->mi->private_flag)
			continue;
		memcpy(hashes[n++], s->swarms[i]->mi->info_hash, 20);
	}
	if (n == 0)
		return;
	inet_pton(AF_INET, LPD_GROUP, &to.sin_addr);
	buf_init(&b, BT_LPD_MAX_MSG);
	if (bt_lpd_build(&b, s->port, (const uint8_t(*)[20])hashes, n, s->lpd_cookie) == 0 &&
	    sendto(s->lpd_fd, b.data, b.len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		logger_log(&s->log, LOG_DEBUG, "SWARM", "LPD announce: %s", strerror(errno));
	buf_release(&b);
}

static void on_lpd_read(evutil_socket_t fd, short what, void *ctx)
{
	struct bt_session *s = ctx;

	/* A bounded number of datagrams per wakeup. */
	for (int i = 0; i < 32; i++) {
		uint8_t pkt[BT_LPD_MAX_MSG + 1];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct bt_lpd_msg m;
		ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &flen);

		if (n < 0)
			return;
		if (from.sin_family != AF_INET || bt_lpd_parse(pkt, (size_t)n, &m) != 0)
			continue;
		if (m.cookie_len == strlen(s->lpd_cookie) &&
		    memcmp(m.cookie, s->lpd_cookie, m.cookie_len) == 0)
			continue; /* our own announce, looped back */
		from.sin_port = htons(m.port);
		for (size_t h = 0; h < m.n_hashes; h++) {
			struct bt_swarm *w = bt_session_find_swarm(s, m.hashes[h]);
			if (w && !w->mi->private_flag)
				bt_swarm_add_peer_lpd(w, &from);
		}
	}
}

static void on_lpd_timer(evutil_socket_t fd, short what, void *ctx)
{
	lpd_announce(ctx);
}

int bt_lpd_start(struct bt_session *s)
{
	struct sockaddr_in any = {.sin_family = AF_INET,
				  .sin_port = htons(LPD_PORT),
				  .sin_addr.s_addr = htonl(INADDR_ANY)};
	struct ip_mreq mreq;
	struct timeval tv = {LPD_INTERVAL, 0};
	int one = 1, ttl = 1, fd, r;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	memset(&mreq, 0, sizeof(mreq));
	inet_pton(AF_INET, LPD_GROUP, &mreq.imr_multiaddr);
	mreq.imr_interface.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	s->lpd_fd = fd;
	snprintf(s->lpd_cookie, sizeof(s->lpd_cookie), "bt%02x%02x%02x%02x", s->peer_id[8],
		 s->peer_id[9], s->peer_id[10], s->peer_id[11]);
	s->lpd_read = event_new(s->base, fd, EV_READ | EV_PERSIST, on_lpd_read, s);
	s->lpd_timer = event_new(s->base, -1, EV_PERSIST, on_lpd_timer, s);
	event_add(s->lpd_read, NULL);
	event_add(s->lpd_timer, &tv);
	return 0;
}

void bt_lpd_announce_soon(struct bt_session *s)
{
	if (s->lpd_fd >= 0)
		lpd_announce(s);
}

void bt_lpd_stop(struct bt_session *s)
{
	if (s->lpd_read)
		event_free(s->lpd_read);
	if (s->lpd_timer)
		event_free(s->lpd_timer);
	if (s->lpd_fd >= 0)
		close(s->lpd_fd);
	s->lpd_read = s->lpd_timer = NULL;
	s->lpd_fd = -1;
}
