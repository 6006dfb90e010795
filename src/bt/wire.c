/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>

#include "bt/wire.h"
#include "util/util.h"

/* The exact body length (type byte included) of each fixed-size message, 0
 * for variable-size ones, -1 for types we do not know. */
struct msg_rule {
	int32_t len;
	bool fast;	/* only when BEP 6 was negotiated */
	bool extended;	/* only when BEP 10 was negotiated */
};

static const struct msg_rule msg_rules[] = {
	[BT_MSG_CHOKE] = {1, false, false},
	[BT_MSG_UNCHOKE] = {1, false, false},
	[BT_MSG_INTERESTED] = {1, false, false},
	[BT_MSG_NOT_INTERESTED] = {1, false, false},
	[BT_MSG_HAVE] = {5, false, false},
	[BT_MSG_BITFIELD] = {0, false, false},
	[BT_MSG_REQUEST] = {13, false, false},
	[BT_MSG_PIECE] = {0, false, false},
	[BT_MSG_CANCEL] = {13, false, false},
	[BT_MSG_PORT] = {3, false, false},
	[10] = {-1, false, false},
	[11] = {-1, false, false},
	[12] = {-1, false, false},
	[BT_MSG_SUGGEST] = {5, true, false},
	[BT_MSG_HAVE_ALL] = {1, true, false},
	[BT_MSG_HAVE_NONE] = {1, true, false},
	[BT_MSG_REJECT] = {13, true, false},
	[BT_MSG_ALLOWED_FAST] = {5, true, false},
	[18] = {-1, false, false},
	[19] = {-1, false, false},
	[BT_MSG_EXTENDED] = {0, false, true},
};

void bt_wire_init(struct bt_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->state = BT_WIRE_HANDSHAKE;
	w->want = BT_HANDSHAKE_LEN;
}

void bt_wire_release(struct bt_wire *w)
{
	free(w->body);
	w->body = NULL;
	w->state = BT_WIRE_DEAD;
}

uint32_t bt_wire_piece_size(const struct bt_wire_geometry *geo, uint32_t index)
{
	uint64_t start;

	if (index >= geo->piece_count)
		return 0;
	start = (uint64_t)index * geo->piece_length;
	if (start >= geo->total_length)
		return 0;
	return (uint32_t)MIN((uint64_t)geo->piece_length, geo->total_length - start);
}

static uint32_t bitfield_bytes(const struct bt_wire_geometry *geo)
{
	return (geo->piece_count + 7) / 8;
}

int bt_wire_set_geometry(struct bt_wire *w, const struct bt_wire_geometry *geo)
{
	uint64_t pieces;
	uint32_t max;

	if (geo->piece_count == 0 || geo->piece_length == 0 || geo->total_length == 0)
		return BT_E_RANGE;
	/* The pieces must cover the total exactly. */
	pieces = (geo->total_length + geo->piece_length - 1) / geo->piece_length;
	if (pieces != geo->piece_count || geo->piece_count > (UINT32_MAX - 8) / 8 * 8)
		return BT_E_RANGE;
	w->geo = *geo;
	max = 9 + BT_BLOCK_SIZE;
	max = MAX(max, 1 + bitfield_bytes(geo));
	if (geo->extended)
		max = MAX(max, 2 + BT_MAX_EXTENDED);
	w->max_len = max;
	free(w->body);
	w->body = xmalloc(max);
	if (w->state == BT_WIRE_CONFIG) {
		w->state = BT_WIRE_LENGTH;
		w->want = 4;
		w->have = 0;
	}
	return 0;
}

static int fail(struct bt_wire *w, int code)
{
	w->state = BT_WIRE_DEAD;
	w->error = code;
	return code;
}

/* Checks a block range against the piece it names. */
static bool block_ok(const struct bt_wire_geometry *geo, uint32_t index, uint32_t begin,
		     uint32_t length)
{
	uint32_t size = bt_wire_piece_size(geo, index);

	return size > 0 && length > 0 && (uint64_t)begin + length <= size;
}

/* Validates the type byte against the announced body length, before the
 * rest of the body is read. */
static int check_header(const struct bt_wire *w, uint8_t type, uint32_t len)
{
	const struct msg_rule *r;

	if (type >= ARRAY_SIZE(msg_rules) || msg_rules[type].len < 0)
		return BT_E_PROTOCOL;
	r = &msg_rules[type];
	if ((r->fast && !w->geo.fast) || (r->extended && !w->geo.extended))
		return BT_E_EXTENSION;
	if (r->len > 0)
		return (uint32_t)r->len == len ? 0 : BT_E_LENGTH;
	switch (type) {
	case BT_MSG_BITFIELD:
		return len == 1 + bitfield_bytes(&w->geo) ? 0 : BT_E_LENGTH;
	case BT_MSG_PIECE:
		return len > 9 && len <= 9 + BT_BLOCK_SIZE ? 0 : BT_E_LENGTH;
	case BT_MSG_EXTENDED:
		return len >= 2 && len <= 2 + BT_MAX_EXTENDED ? 0 : BT_E_LENGTH;
	default:
		return BT_E_PROTOCOL;
	}
}

/* Parses a complete body p[0..len) whose header check passed. */
static int parse_body(struct bt_wire *w, const uint8_t *p, uint32_t len, struct bt_msg *m)
{
	uint8_t type = p[0];
	const struct bt_wire_geometry *geo = &w->geo;

	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case BT_MSG_CHOKE:
	case BT_MSG_UNCHOKE:
	case BT_MSG_INTERESTED:
	case BT_MSG_NOT_INTERESTED:
		break;
	case BT_MSG_HAVE_ALL:
	case BT_MSG_HAVE_NONE:
	case BT_MSG_BITFIELD:
		/* BEP 3 wants these first, but aria2 sends its bitfield again
		 * later: accepted at any time, it replaces what the peer had. */
		if (type == BT_MSG_BITFIELD) {
			uint32_t spare = bitfield_bytes(geo) * 8 - geo->piece_count;
			m->data = p + 1;
			m->data_len = len - 1;
			if (spare && (p[len - 1] & ((1u << spare) - 1)))
				return BT_E_BITFIELD;
		}
		break;
	case BT_MSG_HAVE:
	case BT_MSG_SUGGEST:
	case BT_MSG_ALLOWED_FAST:
		m->index = get_u32be(p + 1);
		if (m->index >= geo->piece_count)
			return BT_E_RANGE;
		break;
	case BT_MSG_REQUEST:
	case BT_MSG_CANCEL:
	case BT_MSG_REJECT:
		m->index = get_u32be(p + 1);
		m->begin = get_u32be(p + 5);
		m->length = get_u32be(p + 9);
		if (m->length > BT_MAX_REQUEST || !block_ok(geo, m->index, m->begin, m->length))
			return BT_E_RANGE;
		break;
	case BT_MSG_PIECE:
		m->index = get_u32be(p + 1);
		m->begin = get_u32be(p + 5);
		m->data = p + 9;
		m->data_len = len - 9;
		m->length = len - 9;
		if (!block_ok(geo, m->index, m->begin, m->length))
			return BT_E_RANGE;
		break;
	case BT_MSG_PORT:
		m->port = get_u16be(p + 1);
		break;
	case BT_MSG_EXTENDED:
		m->ext_id = p[1];
		m->data = p + 2;
		m->data_len = len - 2;
		break;
	default:
		return BT_E_PROTOCOL;
	}
	/* Messages that may precede a bitfield do not count as "first". */
	if (type != BT_MSG_EXTENDED && type != BT_MSG_PORT)
		w->messages++;
	return 0;
}

static int parse_handshake(struct bt_wire *w, const uint8_t *p, struct bt_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (p[0] != 19 || memcmp(p + 1, BT_PROTOCOL_NAME, 19) != 0)
		return BT_E_PROTOCOL;
	m->type = BT_MSG_HANDSHAKE;
	memcpy(m->reserved, p + 20, 8);
	memcpy(m->info_hash, p + 28, 20);
	memcpy(m->peer_id, p + 48, 20);
	return 0;
}

int bt_wire_feed(struct bt_wire *w, struct cursor *in, struct bt_msg *msg, bool *got)
{
	int r;

	*got = false;
	for (;;) {
		size_t n;

		switch (w->state) {
		case BT_WIRE_DEAD:
			return w->error ? w->error : BT_E_PROTOCOL;
		case BT_WIRE_CONFIG:
			/* The caller must set the geometry first. */
			return 0;
		case BT_WIRE_HANDSHAKE:
			/* The protocol name is checked as soon as its first byte
			 * arrives, so a stranger is dropped early. */
			n = MIN(in->len, (size_t)(w->want - w->have));
			if (!cursor_copy(in, w->hdr + w->have, n))
				return fail(w, BT_E_PROTOCOL);
			w->have += (uint32_t)n;
			if (w->have >= 1 && w->hdr[0] != 19)
				return fail(w, BT_E_PROTOCOL);
			if (w->have < w->want)
				return 0;
			r = parse_handshake(w, w->hdr, msg);
			if (r)
				return fail(w, r);
			w->state = BT_WIRE_CONFIG;
			w->have = 0;
			*got = true;
			return 0;
		case BT_WIRE_LENGTH:
			n = MIN(in->len, (size_t)(w->want - w->have));
			if (!cursor_copy(in, w->hdr + w->have, n))
				return fail(w, BT_E_PROTOCOL);
			w->have += (uint32_t)n;
			if (w->have < 4)
				return 0;
			w->want = get_u32be(w->hdr);
			w->have = 0;
			w->last_type = -1;
			if (w->want == 0) {
				memset(msg, 0, sizeof(*msg));
				msg->type = BT_MSG_KEEPALIVE;
				w->want = 4;
				*got = true;
				return 0;
			}
			if (w->want > w->max_len)
				return fail(w, BT_E_LENGTH);
			w->state = BT_WIRE_BODY;
			continue;
		case BT_WIRE_BODY: {
			const uint8_t *body;

			if (in->len == 0)
				return 0;
			if (w->have == 0) {
				w->last_type = in->p[0];
				r = check_header(w, in->p[0], w->want);
				if (r)
					return fail(w, r);
			}
			if (w->have == 0 && in->len >= w->want) {
				/* The whole body is in the input: no copy. */
				if (!cursor_take(in, w->want, &body))
					return fail(w, BT_E_PROTOCOL);
			} else {
				n = MIN(in->len, (size_t)(w->want - w->have));
				if (!cursor_copy(in, w->body + w->have, n))
					return fail(w, BT_E_PROTOCOL);
				w->have += (uint32_t)n;
				if (w->have < w->want)
					return 0;
				body = w->body;
			}
			r = parse_body(w, body, w->want, msg);
			if (r)
				return fail(w, r);
			w->state = BT_WIRE_LENGTH;
			w->want = 4;
			w->have = 0;
			*got = true;
			return 0;
		}
		}
		return fail(w, BT_E_PROTOCOL);
	}
}

const char *bt_strerror(int code)
{
	switch (code) {
	case 0: return "success";
	case BT_E_PROTOCOL: return "protocol violation";
	case BT_E_LENGTH: return "bad message length";
	case BT_E_RANGE: return "piece or block out of range";
	case BT_E_BITFIELD: return "bitfield spare bits set";
	case BT_E_UNEXPECTED: return "unexpected message";
	case BT_E_EXTENSION: return "extension not negotiated";
	default: return code < 0 ? strerror(-code) : "unknown error";
	}
}

const char *bt_msg_name(int type)
{
	switch (type) {
	case BT_MSG_CHOKE: return "choke";
	case BT_MSG_UNCHOKE: return "unchoke";
	case BT_MSG_INTERESTED: return "interested";
	case BT_MSG_NOT_INTERESTED: return "not-interested";
	case BT_MSG_HAVE: return "have";
	case BT_MSG_BITFIELD: return "bitfield";
	case BT_MSG_REQUEST: return "request";
	case BT_MSG_PIECE: return "piece";
	case BT_MSG_CANCEL: return "cancel";
	case BT_MSG_PORT: return "port";
	case BT_MSG_SUGGEST: return "suggest";
	case BT_MSG_HAVE_ALL: return "have-all";
	case BT_MSG_HAVE_NONE: return "have-none";
	case BT_MSG_REJECT: return "reject";
	case BT_MSG_ALLOWED_FAST: return "allowed-fast";
	case BT_MSG_EXTENDED: return "extended";
	case BT_MSG_KEEPALIVE: return "keep-alive";
	case BT_MSG_HANDSHAKE: return "handshake";
	default: return "unknown";
	}
}

int bt_wire_put_handshake(struct buf *b, const uint8_t reserved[8], const uint8_t info_hash[20],
			  const uint8_t peer_id[20])
{
	uint8_t h[BT_HANDSHAKE_LEN];

	h[0] = 19;
	memcpy(h + 1, BT_PROTOCOL_NAME, 19);
	memcpy(h + 20, reserved, 8);
	memcpy(h + 28, info_hash, 20);
	memcpy(h + 48, peer_id, 20);
	return buf_append(b, h, sizeof(h));
}

int bt_wire_put_keepalive(struct buf *b)
{
	return buf_append_u32be(b, 0);
}

int bt_wire_put_simple(struct buf *b, int type)
{
	uint8_t m[5];

	put_u32be(m, 1);
	m[4] = (uint8_t)type;
	return buf_append(b, m, sizeof(m));
}

int bt_wire_put_index(struct buf *b, int type, uint32_t index)
{
	uint8_t m[9];

	put_u32be(m, 5);
	m[4] = (uint8_t)type;
	put_u32be(m + 5, index);
	return buf_append(b, m, sizeof(m));
}

int bt_wire_put_block(struct buf *b, int type, uint32_t index, uint32_t begin, uint32_t length)
{
	uint8_t m[17];

	put_u32be(m, 13);
	m[4] = (uint8_t)type;
	put_u32be(m + 5, index);
	put_u32be(m + 9, begin);
	put_u32be(m + 13, length);
	return buf_append(b, m, sizeof(m));
}

int bt_wire_put_bitfield(struct buf *b, const uint8_t *bits, size_t nbytes)
{
	uint8_t m[5];
	size_t old = b->len;
	int r;

	if (nbytes > UINT32_MAX - 1)
		return -E2BIG;
	put_u32be(m, (uint32_t)(nbytes + 1));
	m[4] = BT_MSG_BITFIELD;
	r = buf_append(b, m, sizeof(m));
	if (r == 0)
		r = buf_append(b, bits, nbytes);
	if (r)
		b->len = old;
	return r;
}

void bt_wire_piece_header(uint8_t out[13], uint32_t index, uint32_t begin, uint32_t length)
{
	put_u32be(out, 9 + length);
	out[4] = BT_MSG_PIECE;
	put_u32be(out + 5, index);
	put_u32be(out + 9, begin);
}

int bt_wire_put_extended(struct buf *b, uint8_t ext_id, const void *payload, size_t len)
{
	uint8_t m[6];
	size_t old = b->len;
	int r;

	if (len > BT_MAX_EXTENDED)
		return -E2BIG;
	put_u32be(m, (uint32_t)(len + 2));
	m[4] = BT_MSG_EXTENDED;
	m[5] = ext_id;
	r = buf_append(b, m, sizeof(m));
	if (r == 0)
		r = buf_append(b, payload, len);
	if (r)
		b->len = old;
	return r;
}
