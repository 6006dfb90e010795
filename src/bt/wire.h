/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The BitTorrent peer wire format (BEP 3, with BEP 6 fast extension and BEP 10
 * extension messages): an incremental parser fed with whatever bytes the
 * socket delivered, and builders for every message we send. No sockets here.
 *
 * The parser first expects the 68-byte handshake. After it has returned the
 * handshake, the caller must tell it the torrent's geometry with
 * bt_wire_set_geometry() (an incoming connection names its torrent in the
 * handshake) before feeding more bytes. From then on every message is checked
 * against a table of exact lengths, a hard cap on any length (so we never
 * allocate what a peer claims), the piece count and each piece's size.
 *
 *   struct bt_wire w;
 *   bt_wire_init(&w);
 *   struct cursor in = cursor_make(bytes, n);
 *   for (;;) {
 *           struct bt_msg m;
 *           bool got;
 *           int r = bt_wire_feed(&w, &in, &m, &got);
 *           if (r) -> close the peer (r is a BT_E_* code)
 *           if (!got) break;      // all input consumed
 *           handle(&m);           // m's pointers are valid until the next feed
 *   }
 *   bt_wire_release(&w);
 */
#ifndef BT_BT_WIRE_H
#define BT_BT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/cursor.h"
#include "util/util.h"

/* Positive codes for a peer that broke the protocol. */
enum {
	BT_E_PROTOCOL = 1,	/* bad handshake or a byte sequence we cannot parse */
	BT_E_LENGTH,		/* a message of the wrong or an oversized length */
	BT_E_RANGE,		/* a piece index or block range outside the torrent */
	BT_E_BITFIELD,		/* bitfield spare bits set */
	BT_E_UNEXPECTED,	/* a message not allowed now (e.g. late bitfield) */
	BT_E_EXTENSION,		/* a message of an extension not negotiated */
};

#define BT_PROTOCOL_NAME "BitTorrent protocol"
#define BT_HANDSHAKE_LEN 68
#define BT_BLOCK_SIZE (16u * 1024)
/* The largest block a peer may request from us; larger requests are a
 * protocol error. Pieces we receive must be at most BT_BLOCK_SIZE, since
 * that is all we ask for. */
#define BT_MAX_REQUEST (128u * 1024)
/* Extension messages (BEP 10 handshake, PEX) are small; cap them. */
#define BT_MAX_EXTENDED (64u * 1024)

/* Reserved-bit flags in the handshake. */
#define BT_RESERVED_EXTENDED_BYTE 5 /* BEP 10: reserved[5] & 0x10 */
#define BT_RESERVED_EXTENDED_BIT 0x10
#define BT_RESERVED_FAST_BYTE 7 /* BEP 6: reserved[7] & 0x04 */
#define BT_RESERVED_FAST_BIT 0x04

enum bt_msg_type {
	BT_MSG_CHOKE = 0,
	BT_MSG_UNCHOKE = 1,
	BT_MSG_INTERESTED = 2,
	BT_MSG_NOT_INTERESTED = 3,
	BT_MSG_HAVE = 4,
	BT_MSG_BITFIELD = 5,
	BT_MSG_REQUEST = 6,
	BT_MSG_PIECE = 7,
	BT_MSG_CANCEL = 8,
	BT_MSG_PORT = 9,	   /* DHT port: parsed and ignored */
	BT_MSG_SUGGEST = 0x0d,	   /* BEP 6 */
	BT_MSG_HAVE_ALL = 0x0e,	   /* BEP 6 */
	BT_MSG_HAVE_NONE = 0x0f,   /* BEP 6 */
	BT_MSG_REJECT = 0x10,	   /* BEP 6 */
	BT_MSG_ALLOWED_FAST = 0x11, /* BEP 6 */
	BT_MSG_EXTENDED = 20,	   /* BEP 10 */
	/* Not on the wire as a type byte: */
	BT_MSG_KEEPALIVE = 256,
	BT_MSG_HANDSHAKE = 257,
};

/* One parsed message. data points into the parser or the input and is
 * valid until the next bt_wire_feed(). */
struct bt_msg {
	int type;		/* enum bt_msg_type */
	uint32_t index;		/* HAVE, REQUEST, PIECE, CANCEL, SUGGEST, REJECT, ALLOWED_FAST */
	uint32_t begin;		/* REQUEST, PIECE, CANCEL, REJECT */
	uint32_t length;	/* REQUEST, CANCEL, REJECT; PIECE: data_len */
	uint16_t port;		/* PORT */
	uint8_t ext_id;		/* EXTENDED: the extended message id (0 = handshake) */
	const uint8_t *data;	/* BITFIELD bits, PIECE block, EXTENDED payload */
	size_t data_len;
	/* HANDSHAKE */
	uint8_t reserved[8];
	uint8_t info_hash[20];
	uint8_t peer_id[20];
};

/* What the parser checks messages against. */
struct bt_wire_geometry {
	uint32_t piece_length;
	uint32_t piece_count;
	uint64_t total_length;
	bool fast;	/* BEP 6 negotiated (both sides set the bit) */
	bool extended;	/* BEP 10 negotiated */
};

enum bt_wire_state {
	BT_WIRE_HANDSHAKE = 0,	/* reading the 68-byte handshake */
	BT_WIRE_CONFIG,		/* handshake returned; waiting for set_geometry */
	BT_WIRE_LENGTH,		/* reading a 4-byte length prefix */
	BT_WIRE_BODY,		/* reading a message body */
	BT_WIRE_DEAD,		/* an error was returned; feed fails from now on */
};

struct bt_wire {
	enum bt_wire_state state;
	struct bt_wire_geometry geo;
	uint32_t max_len;	/* the largest body we accept, set from geo */
	uint32_t want;		/* bytes of the current header/body */
	uint32_t have;		/* of which already in hdr/body */
	uint8_t hdr[BT_HANDSHAKE_LEN];
	uint8_t *body;		/* owned, max_len bytes once geometry is set */
	uint64_t messages;	/* messages parsed after the handshake */
	int error;		/* the code returned when state became DEAD */
	int last_type;		/* type byte of the last message started */
};

void bt_wire_init(struct bt_wire *w);
void bt_wire_release(struct bt_wire *w);
/* Sets the geometry (after the handshake was returned). 0, or BT_E_RANGE
 * when the geometry itself is unusable (no pieces, a piece too large). */
int bt_wire_set_geometry(struct bt_wire *w, const struct bt_wire_geometry *geo) WUR;
/* Consumes bytes from in until one message is complete (*got = true, *msg
 * filled) or in is empty (*got = false). Returns 0, or a BT_E_* code when
 * the peer broke the protocol; the parser then stays failed. */
int bt_wire_feed(struct bt_wire *w, struct cursor *in, struct bt_msg *msg, bool *got) WUR;
/* The size of a piece in this geometry (the last one may be short), or 0
 * when index is out of range. */
uint32_t bt_wire_piece_size(const struct bt_wire_geometry *geo, uint32_t index);
/* A short English name for a BT_E_* code or a message type. */
const char *bt_strerror(int code);
const char *bt_msg_name(int type);

/* Builders: each appends one message to b; 0 or -E2BIG past b's maximum. */
int bt_wire_put_handshake(struct buf *b, const uint8_t reserved[8], const uint8_t info_hash[20],
			  const uint8_t peer_id[20]) WUR;
int bt_wire_put_keepalive(struct buf *b) WUR;
/* CHOKE, UNCHOKE, INTERESTED, NOT_INTERESTED, HAVE_ALL, HAVE_NONE. */
int bt_wire_put_simple(struct buf *b, int type) WUR;
/* HAVE, SUGGEST, ALLOWED_FAST. */
int bt_wire_put_index(struct buf *b, int type, uint32_t index) WUR;
/* REQUEST, CANCEL, REJECT. */
int bt_wire_put_block(struct buf *b, int type, uint32_t index, uint32_t begin,
		      uint32_t length) WUR;
int bt_wire_put_bitfield(struct buf *b, const uint8_t *bits, size_t nbytes) WUR;
/* The 13-byte header of a PIECE message whose block of length bytes follows. */
void bt_wire_piece_header(uint8_t out[13], uint32_t index, uint32_t begin, uint32_t length);
int bt_wire_put_extended(struct buf *b, uint8_t ext_id, const void *payload, size_t len) WUR;

#endif
