/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the DHCP unit tests: building request byte vectors. */
#ifndef BT_DHCP_TEST_COMMON_H
#define BT_DHCP_TEST_COMMON_H

#include <stdint.h>
#include <string.h>

#include "dhcp/packet.h"
#include "util/cursor.h"

struct req {
	uint8_t buf[DHCP_PACKET_MAX];
	size_t len;
};

/* A BOOTREQUEST with the magic cookie and option 53 = type (0: none). */
static inline void req_init(struct req *r, uint8_t type, const uint8_t mac[6])
{
	memset(r->buf, 0, sizeof(r->buf));
	r->buf[0] = DHCP_OP_REQUEST;
	r->buf[1] = DHCP_HTYPE_ETHER;
	r->buf[2] = 6;
	put_u32be(r->buf + 4, 0x12345678);
	memcpy(r->buf + 28, mac, 6);
	r->buf[236] = 99;
	r->buf[237] = 130;
	r->buf[238] = 83;
	r->buf[239] = 99;
	r->len = 240;
	if (type) {
		r->buf[r->len++] = DHCP_OPT_MSG_TYPE;
		r->buf[r->len++] = 1;
		r->buf[r->len++] = type;
	}
}

static inline void req_opt(struct req *r, uint8_t code, const void *data, size_t len)
{
	r->buf[r->len++] = code;
	r->buf[r->len++] = (uint8_t)len;
	memcpy(r->buf + r->len, data, len);
	r->len += len;
}

static inline void req_opt_ip(struct req *r, uint8_t code, uint32_t ip)
{
	uint8_t d[4];
	put_u32be(d, ip);
	req_opt(r, code, d, 4);
}

static inline void req_opt_str(struct req *r, uint8_t code, const char *s)
{
	req_opt(r, code, s, strlen(s));
}

static inline void req_arch(struct req *r, uint16_t arch)
{
	uint8_t d[2];
	put_u16be(d, arch);
	req_opt(r, DHCP_OPT_CLIENT_ARCH, d, 2);
}

static inline size_t req_end(struct req *r)
{
	r->buf[r->len++] = DHCP_OPT_END;
	return r->len;
}

static inline void req_ciaddr(struct req *r, uint32_t ip)
{
	put_u32be(r->buf + 12, ip);
}

static inline void req_giaddr(struct req *r, uint32_t ip)
{
	put_u32be(r->buf + 24, ip);
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#endif
