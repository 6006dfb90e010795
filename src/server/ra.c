/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/ra.h"
#include "util/log.h"
#include "util/util.h"

/* Machines allowed an answer: a small table, the oldest entry replaced. */
#define RA_ALLOWED 256
#define RA_ALLOW_SECONDS 120
/* Interfaces joined to the all-routers group when no name is given. */
#define RA_MAX_IFACES 64

struct ra_allowed {
	uint8_t mac[6];
	int64_t until; /* monotonic seconds; 0 for a free slot */
};

struct ra_responder {
	const struct logger *log;
	int fd;
	struct event *ev;
	struct ra_allowed allowed[RA_ALLOWED];
	struct log_ratelimit rl;
	uint64_t answered;
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int ra_solicit_parse(const uint8_t *p, size_t len, const uint8_t *src, uint8_t mac[6])
{
	size_t off = 8;

	if (len < 8 || p[0] != ND_ROUTER_SOLICIT || p[1] != 0)
		return 1;
	/* Options: type, length in units of 8 bytes (0 is invalid, RFC 4861). */
	while (off + 2 <= len) {
		size_t olen = (size_t)p[off + 1] * 8;

		if (olen == 0 || olen > len - off)
			return 1;
		if (p[off] == ND_OPT_SOURCE_LINKADDR && olen >= 8) {
			memcpy(mac, p + off + 2, 6);
			return 0;
		}
		off += olen;
	}
	/* A link-local address fe80::/64 made from the MAC: the MAC's first
	 * byte has its universal/local bit flipped, ff:fe sits in the middle. */
	if (src && src[0] == 0xfe && (src[1] & 0xc0) == 0x80 && src[11] == 0xff &&
	    src[12] == 0xfe) {
		mac[0] = src[8] ^ 0x02;
		mac[1] = src[9];
		mac[2] = src[10];
		mac[3] = src[13];
		mac[4] = src[14];
		mac[5] = src[15];
		return 0;
	}
	return 1;
}

size_t ra_advert_build(uint8_t *out, size_t cap)
{
	if (cap < 16)
		return 0;
	/* Type, code, checksum (the kernel fills it in), current hop limit
	 * (0: unspecified), flags (no M, no O), router lifetime 0, reachable
	 * time 0 and retransmission timer 0: all "unspecified". */
	memset(out, 0, 16);
	out[0] = ND_ROUTER_ADVERT;
	return 16;
}

void ra_responder_allow(struct ra_responder *r, const uint8_t mac[6])
{
	int64_t now = mono_s();
	size_t slot = 0;

	if (!r)
		return;
	for (size_t i = 0; i < RA_ALLOWED; i++) {
		if (memcmp(r->allowed[i].mac, mac, 6) == 0 && r->allowed[i].until) {
			slot = i;
			break;
		}
		if (r->allowed[i].until < r->allowed[slot].until)
			slot = i;
	}
	memcpy(r->allowed[slot].mac, mac, 6);
	r->allowed[slot].until = now + RA_ALLOW_SECONDS;
}

static bool is_allowed(const struct ra_responder *r, const uint8_t mac[6])
{
	int64_t now = mono_s();

	for (size_t i = 0; i < RA_ALLOWED; i++)
		if (r->allowed[i].until >= now && memcmp(r->allowed[i].mac, mac, 6) == 0)
			return true;
	return false;
}

static void on_read(evutil_socket_t fd, short what, void *ctx)
{
	struct ra_responder *r = ctx;
	uint8_t buf[1500], ra[16], mac[6];
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
	struct sockaddr_in6 from;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_name = &from,
			    .msg_namelen = sizeof(from),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	int hops = -1;
	ssize_t n;

	(void)what;
	/* A bounded number per wakeup, so a flood cannot hold the loop. */
	for (int k = 0; k < 32; k++) {
		mh.msg_namelen = sizeof(from);
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&hops, CMSG_DATA(c), sizeof(int));
		/* RFC 4861: a solicitation from off the link is not one. */
		if (hops != 255 ||
		    ra_solicit_parse(buf, (size_t)n, from.sin6_addr.s6_addr, mac) != 0)
			continue;
		if (!is_allowed(r, mac))
			continue;
		size_t len = ra_advert_build(ra, sizeof(ra));
		/* The solicitation came from a link-local address with its scope
		 * set to the interface: answer there, by unicast. */
		if (IN6_IS_ADDR_UNSPECIFIED(&from.sin6_addr))
			inet_pton(AF_INET6, "ff02::1", &from.sin6_addr);
		if (sendto(fd, ra, len, 0, (struct sockaddr *)&from, sizeof(from)) < 0) {
			logger_warn_limited(r->log, &r->rl, 5, "DHCP", "IPv6 answers",
					    "could not answer a router solicitation: %s",
					    strerror(errno));
			continue;
		}
		r->answered++;
		logger_log(r->log, LOG_DEBUG, "DHCP",
			   "IPv6: told %02x:%02x:%02x:%02x:%02x:%02x there is no router", mac[0],
			   mac[1], mac[2], mac[3], mac[4], mac[5]);
	}
}

static void join(int fd, unsigned idx)
{
	struct ipv6_mreq mr = {.ipv6mr_interface = idx};

	inet_pton(AF_INET6, "ff02::2", &mr.ipv6mr_multiaddr);
	/* An interface without IPv6 cannot join: it has nothing to answer. */
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
}

int ra_responder_new(struct event_base *base, const char *ifname, const struct logger *log,
		     struct ra_responder **out)
{
	struct ra_responder *r;
	struct icmp6_filter f;
	int fd, e, one = 1, hops = 255;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0)
		goto fail;
	if (ifname && *ifname) {
		unsigned idx = if_nametoindex(ifname);

		if (idx == 0 || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
					   (socklen_t)strlen(ifname)) < 0)
			goto fail;
		join(fd, idx);
	} else {
		struct if_nameindex *all = if_nameindex();

		for (size_t i = 0; all && all[i].if_index && i < RA_MAX_IFACES; i++)
			join(fd, all[i].if_index);
		if (all)
			if_freenameindex(all);
	}
	r = xcalloc(1, sizeof(*r));
	r->log = log;
	r->fd = fd;
	r->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, r);
	if (!r->ev || event_add(r->ev, NULL) < 0) {
		ra_responder_free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
fail:
	e = errno;
	close(fd);
	return -e;
}

void ra_responder_free(struct ra_responder *r)
{
	if (!r)
		return;
	if (r->ev)
		event_free(r->ev);
	close(r->fd);
	free(r);
}
