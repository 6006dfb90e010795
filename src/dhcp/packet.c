/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <string.h>

#include "dhcp/packet.h"
#include "util/cursor.h"
#include "util/util.h"

/* Offsets in the fixed BOOTP header (RFC 2131, figure 1). */
enum {
	OFF_OP = 0,
	OFF_HTYPE = 1,
	OFF_HLEN = 2,
	OFF_HOPS = 3,
	OFF_XID = 4,
	OFF_SECS = 8,
	OFF_FLAGS = 10,
	OFF_CIADDR = 12,
	OFF_YIADDR = 16,
	OFF_SIADDR = 20,
	OFF_GIADDR = 24,
	OFF_CHADDR = 28,
	OFF_SNAME = 44,
	OFF_FILE = 108,
	OFF_MAGIC = 236,
	OFF_OPTIONS = 240,
};

#define SNAME_LEN 64
#define FILE_LEN 128
static const uint8_t magic[4] = {99, 130, 83, 99};

const char *dhcp_strerror(int code)
{
	switch (code) {
	case 0: return "ok";
	case DHCP_E_MALFORMED: return "malformed packet";
	case DHCP_E_UNSUPPORTED: return "unsupported packet";
	case DHCP_E_NOT_FOR_US: return "not for us";
	case DHCP_E_EXHAUSTED: return "no free address";
	case DHCP_E_RATE: return "rate limited";
	case DHCP_E_NOSPACE: return "reply does not fit";
	default: return "unknown error";
	}
}

/* One occurrence of an option: where its data starts in the packet. */
struct segment {
	uint8_t code;
	uint16_t off;
	uint16_t len;
};

/* Every option takes at least two bytes, so a packet of DHCP_PACKET_MAX
 * bytes cannot hold more segments than this. */
#define MAX_SEGMENTS (DHCP_PACKET_MAX / 2 + 1)

struct walk {
	struct segment seg[MAX_SEGMENTS];
	size_t n;
	int overload;
};

/* Walks one option field [off, off+len) of data, recording each option.
 * Only the main options field may carry option 52. */
static int walk_field(struct walk *w, const uint8_t *data, size_t off, size_t len, bool main)
{
	struct cursor c = cursor_make(data + off, len);

	while (c.len > 0) {
		uint8_t code, olen;
		const uint8_t *p;

		(void)cursor_u8(&c, &code);
		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			return 0;
		if (!cursor_u8(&c, &olen) || !cursor_take(&c, olen, &p))
			return DHCP_E_MALFORMED;
		if (code == DHCP_OPT_OVERLOAD) {
			if (!main)
				continue; /* RFC 2132 9.3: only meaningful in the options field. */
			if (olen != 1 || p[0] < 1 || p[0] > 3 || w->overload)
				return DHCP_E_MALFORMED;
			w->overload = p[0];
		}
		if (w->n == MAX_SEGMENTS)
			return DHCP_E_MALFORMED;
		w->seg[w->n++] = (struct segment){code, (uint16_t)(p - data), olen};
	}
	/* A missing END is tolerated: several ROMs omit it when the options
	 * fill the packet exactly. */
	return 0;
}

static bool bit_get(const uint8_t *bits, uint8_t n)
{
	return bits[n / 8] & (1u << (n % 8));
}

int dhcp_packet_parse(struct dhcp_packet *pkt, const uint8_t *data, size_t len)
{
	struct walk w;
	uint16_t total[256];
	size_t off;
	int r;

	if (len > DHCP_PACKET_MAX)
		return DHCP_E_UNSUPPORTED;
	if (len < DHCP_MIN_LEN || memcmp(data + OFF_MAGIC, magic, 4) != 0)
		return DHCP_E_MALFORMED;

	memset(pkt->present, 0, sizeof(pkt->present));
	pkt->op = data[OFF_OP];
	pkt->htype = data[OFF_HTYPE];
	pkt->hlen = data[OFF_HLEN];
	pkt->hops = data[OFF_HOPS];
	if (pkt->hlen > sizeof(pkt->chaddr))
		return DHCP_E_MALFORMED;
	pkt->xid = get_u32be(data + OFF_XID);
	pkt->secs = get_u16be(data + OFF_SECS);
	pkt->flags = get_u16be(data + OFF_FLAGS);
	pkt->ciaddr = get_u32be(data + OFF_CIADDR);
	pkt->yiaddr = get_u32be(data + OFF_YIADDR);
	pkt->siaddr = get_u32be(data + OFF_SIADDR);
	pkt->giaddr = get_u32be(data + OFF_GIADDR);
	memcpy(pkt->chaddr, data + OFF_CHADDR, sizeof(pkt->chaddr));
	pkt->msg_type = 0;
	pkt->optdata_len = 0;

	w.n = 0;
	w.overload = 0;
	r = walk_field(&w, data, OFF_OPTIONS, len - OFF_OPTIONS, true);
	/* RFC 3396 section 7: options, then file, then sname. */
	if (r == 0 && (w.overload & 1))
		r = walk_field(&w, data, OFF_FILE, FILE_LEN, false);
	if (r == 0 && (w.overload & 2))
		r = walk_field(&w, data, OFF_SNAME, SNAME_LEN, false);
	if (r != 0)
		return r;

	/* Concatenate repeated options: lay each code out once, in order of
	 * first appearance. The total cannot exceed the packet length. */
	memset(total, 0, sizeof(total));
	for (size_t i = 0; i < w.n; i++)
		total[w.seg[i].code] += w.seg[i].len;
	off = 0;
	for (size_t i = 0; i < w.n; i++) {
		uint8_t code = w.seg[i].code;
		if (bit_get(pkt->present, code))
			continue;
		pkt->present[code / 8] |= (uint8_t)(1u << (code % 8));
		pkt->opt_off[code] = (uint16_t)off;
		pkt->opt_len[code] = 0;
		off += total[code];
	}
	for (size_t i = 0; i < w.n; i++) {
		const struct segment *s = &w.seg[i];
		memcpy(pkt->optdata + pkt->opt_off[s->code] + pkt->opt_len[s->code], data + s->off,
		       s->len);
		pkt->opt_len[s->code] += s->len;
	}
	pkt->optdata_len = (uint16_t)off;

	if (bit_get(pkt->present, DHCP_OPT_MSG_TYPE)) {
		if (pkt->opt_len[DHCP_OPT_MSG_TYPE] != 1)
			return DHCP_E_MALFORMED;
		pkt->msg_type = pkt->optdata[pkt->opt_off[DHCP_OPT_MSG_TYPE]];
		if (pkt->msg_type == 0)
			return DHCP_E_MALFORMED;
	}
	return 0;
}

bool dhcp_packet_has(const struct dhcp_packet *pkt, uint8_t code)
{
	return bit_get(pkt->present, code);
}

const uint8_t *dhcp_packet_option(const struct dhcp_packet *pkt, uint8_t code, size_t *len)
{
	if (!bit_get(pkt->present, code)) {
		*len = 0;
		return NULL;
	}
	*len = pkt->opt_len[code];
	return pkt->optdata + pkt->opt_off[code];
}

bool dhcp_packet_option_ip(const struct dhcp_packet *pkt, uint8_t code, uint32_t *ip)
{
	size_t len;
	const uint8_t *p = dhcp_packet_option(pkt, code, &len);

	if (!p || len != 4)
		return false;
	*ip = get_u32be(p);
	return true;
}

size_t dhcp_packet_max_reply(const struct dhcp_packet *pkt)
{
	size_t len;
	const uint8_t *p = dhcp_packet_option(pkt, DHCP_OPT_MAX_SIZE, &len);
	size_t max;

	if (!p || len != 2)
		return DHCP_DEFAULT_MAX;
	/* Option 57 counts the whole IP datagram: take off IP and UDP headers. */
	max = get_u16be(p);
	if (max < 576)
		return DHCP_DEFAULT_MAX;
	max -= 28;
	return MIN(max, (size_t)DHCP_PACKET_MAX);
}

void dhcp_builder_init(struct dhcp_builder *b, uint8_t *buf, size_t cap,
		       const struct dhcp_packet *req, uint8_t type)
{
	b->buf = buf;
	b->cap = cap;
	memset(buf, 0, DHCP_MIN_LEN);
	buf[OFF_OP] = DHCP_OP_REPLY;
	buf[OFF_HTYPE] = req->htype;
	buf[OFF_HLEN] = req->hlen;
	put_u32be(buf + OFF_XID, req->xid);
	put_u16be(buf + OFF_FLAGS, req->flags);
	put_u32be(buf + OFF_GIADDR, req->giaddr);
	memcpy(buf + OFF_CHADDR, req->chaddr, sizeof(req->chaddr));
	memcpy(buf + OFF_MAGIC, magic, sizeof(magic));
	b->len = OFF_OPTIONS;
	buf[b->len++] = DHCP_OPT_MSG_TYPE;
	buf[b->len++] = 1;
	buf[b->len++] = type;
}

void dhcp_builder_set_addrs(struct dhcp_builder *b, uint32_t ciaddr, uint32_t yiaddr,
			    uint32_t siaddr)
{
	put_u32be(b->buf + OFF_CIADDR, ciaddr);
	put_u32be(b->buf + OFF_YIADDR, yiaddr);
	put_u32be(b->buf + OFF_SIADDR, siaddr);
}

static bool set_field(uint8_t *field, size_t size, const char *s)
{
	size_t n = strlen(s);

	memset(field, 0, size);
	if (n >= size)
		return false;
	memcpy(field, s, n);
	return true;
}

bool dhcp_builder_set_sname(struct dhcp_builder *b, const char *s)
{
	return set_field(b->buf + OFF_SNAME, SNAME_LEN, s);
}

bool dhcp_builder_set_file(struct dhcp_builder *b, const char *s)
{
	return set_field(b->buf + OFF_FILE, FILE_LEN, s);
}

int dhcp_builder_option(struct dhcp_builder *b, uint8_t code, const void *data, size_t len)
{
	size_t pieces = len == 0 ? 1 : (len + 254) / 255;
	const uint8_t *p = data;

	/* Room for every piece's two header bytes, the data, and END. */
	if (len > b->cap || b->len + 2 * pieces + len + 1 > b->cap)
		return DHCP_E_NOSPACE;
	do {
		size_t n = MIN(len, (size_t)255);
		b->buf[b->len++] = code;
		b->buf[b->len++] = (uint8_t)n;
		if (n)
			memcpy(b->buf + b->len, p, n);
		b->len += n;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int dhcp_builder_option_u32(struct dhcp_builder *b, uint8_t code, uint32_t v)
{
	uint8_t d[4];

	put_u32be(d, v);
	return dhcp_builder_option(b, code, d, sizeof(d));
}

int dhcp_builder_option_str(struct dhcp_builder *b, uint8_t code, const char *s)
{
	return dhcp_builder_option(b, code, s, strlen(s));
}

size_t dhcp_builder_finish(struct dhcp_builder *b)
{
	b->buf[b->len++] = DHCP_OPT_END;
	if (b->len < DHCP_MIN_REPLY_LEN) {
		memset(b->buf + b->len, 0, DHCP_MIN_REPLY_LEN - b->len);
		b->len = DHCP_MIN_REPLY_LEN;
	}
	return b->len;
}

/* The two formatters below run for every lease written to the journal;
 * snprintf made them most of the server's instructions per exchange, so
 * they write the digits by hand. */
const char *dhcp_mac_str(char *out, const uint8_t mac[6])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < 6; i++) {
		out[3 * i] = hex[mac[i] >> 4];
		out[3 * i + 1] = hex[mac[i] & 15];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	return out;
}

const char *dhcp_ip_str(char *out, uint32_t ip)
{
	char *p = out;

	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned v = (ip >> shift) & 0xff;
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = shift ? '.' : '\0';
	}
	return out;
}
