/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bt/bitfield.h"
#include "bt/internal.h"
#include "bt/wire.h"

/* 10 pieces of 32 KiB, the last one 8 KiB: bitfields are 2 bytes with 6
 * spare bits. */
static const struct bt_wire_geometry geo = {
	.piece_length = 32768,
	.piece_count = 10,
	.total_length = 9 * 32768 + 8192,
	.fast = true,
	.extended = true,
};

static const uint8_t handshake[68] = {
	19,
	'B',
	'i',
	't',
	'T',
	'o',
	'r',
	'r',
	'e',
	'n',
	't',
	' ',
	'p',
	'r',
	'o',
	't',
	'o',
	'c',
	'o',
	'l',
	0,
	0,
	0,
	0,
	0,
	0x10,
	0,
	0x04,
	/* info-hash */ 1,
	2,
	3,
	4,
	5,
	6,
	7,
	8,
	9,
	10,
	11,
	12,
	13,
	14,
	15,
	16,
	17,
	18,
	19,
	20,
	/* peer id */ 'p',
	'e',
	'e',
	'r',
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	9,
};

/* Feeds a handshake and then bytes in chunks of `chunk`; returns the first
 * error (or 0) and the number of messages after the handshake. */
static int feed_all(const struct bt_wire_geometry *g, const uint8_t *p, size_t n, size_t chunk,
		    struct bt_msg *last, int *count)
{
	struct bt_wire w;
	struct cursor in = cursor_make(handshake, sizeof(handshake));
	struct bt_msg m;
	bool got;
	int r;

	bt_wire_init(&w);
	r = bt_wire_feed(&w, &in, &m, &got);
	assert_int_equal(r, 0);
	assert_true(got);
	assert_int_equal(m.type, BT_MSG_HANDSHAKE);
	assert_int_equal(bt_wire_set_geometry(&w, g), 0);
	*count = 0;
	for (size_t off = 0; off < n; off += chunk) {
		in = cursor_make(p + off, MIN(chunk, n - off));
		for (;;) {
			r = bt_wire_feed(&w, &in, &m, &got);
			if (r)
				goto out;
			if (!got)
				break;
			(*count)++;
			if (last)
				*last = m;
		}
	}
out:
	bt_wire_release(&w);
	return r;
}

static void test_handshake(void **state)
{
	struct bt_wire w;
	struct bt_msg m;
	bool got;
	uint8_t bad[68];
	struct cursor in;

	bt_wire_init(&w);
	/* One byte at a time. */
	for (size_t i = 0; i < 68; i++) {
		in = cursor_make(handshake + i, 1);
		assert_int_equal(bt_wire_feed(&w, &in, &m, &got), 0);
		assert_int_equal(got, i == 67);
	}
	assert_memory_equal(m.info_hash, handshake + 28, 20);
	assert_memory_equal(m.peer_id, handshake + 48, 20);
	assert_int_equal(m.reserved[5], 0x10);
	bt_wire_release(&w);

	/* Each byte of the protocol string mutated. */
	for (size_t i = 0; i < 20; i++) {
		memcpy(bad, handshake, 68);
		bad[i] ^= 0x20;
		bt_wire_init(&w);
		in = cursor_make(bad, 68);
		assert_int_equal(bt_wire_feed(&w, &in, &m, &got), BT_E_PROTOCOL);
		assert_false(got);
		/* And it stays failed. */
		in = cursor_make(handshake, 68);
		assert_int_not_equal(bt_wire_feed(&w, &in, &m, &got), 0);
		bt_wire_release(&w);
	}
}

struct vec {
	const char *name;
	uint8_t bytes[40];
	size_t len;
	int expect; /* 0 or a BT_E_* code */
	int type;
};

static const struct vec vecs[] = {
	{"keepalive", {0, 0, 0, 0}, 4, 0, BT_MSG_KEEPALIVE},
	{"choke", {0, 0, 0, 1, 0}, 5, 0, BT_MSG_CHOKE},
	{"unchoke", {0, 0, 0, 1, 1}, 5, 0, BT_MSG_UNCHOKE},
	{"interested", {0, 0, 0, 1, 2}, 5, 0, BT_MSG_INTERESTED},
	{"not interested", {0, 0, 0, 1, 3}, 5, 0, BT_MSG_NOT_INTERESTED},
	{"choke too long", {0, 0, 0, 2, 0, 0}, 6, BT_E_LENGTH, 0},
	{"have", {0, 0, 0, 5, 4, 0, 0, 0, 9}, 9, 0, BT_MSG_HAVE},
	{"have short", {0, 0, 0, 4, 4, 0, 0, 9}, 8, BT_E_LENGTH, 0},
	{"have out of range", {0, 0, 0, 5, 4, 0, 0, 0, 10}, 9, BT_E_RANGE, 0},
	{"bitfield", {0, 0, 0, 3, 5, 0xff, 0xc0}, 7, 0, BT_MSG_BITFIELD},
	{"bitfield spare bit", {0, 0, 0, 3, 5, 0xff, 0xe0}, 7, BT_E_BITFIELD, 0},
	{"bitfield last spare", {0, 0, 0, 3, 5, 0xff, 0xc1}, 7, BT_E_BITFIELD, 0},
	{"bitfield short", {0, 0, 0, 2, 5, 0xff}, 6, BT_E_LENGTH, 0},
	{"bitfield long", {0, 0, 0, 4, 5, 0xff, 0xc0, 0}, 8, BT_E_LENGTH, 0},
	{"request",
	 {0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0},
	 17,
	 0,
	 BT_MSG_REQUEST},
	{"request past piece end",
	 {0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 1, 0, 0, 0x40, 0},
	 17,
	 BT_E_RANGE,
	 0},
	{"request past last piece",
	 {0, 0, 0, 13, 6, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0x40, 0},
	 17,
	 BT_E_RANGE,
	 0},
	{"request bad index",
	 {0, 0, 0, 13, 6, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0x40, 0},
	 17,
	 BT_E_RANGE,
	 0},
	{"request zero length",
	 {0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
	 17,
	 BT_E_RANGE,
	 0},
	{"request huge index",
	 {0, 0, 0, 13, 6, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x40, 0},
	 17,
	 BT_E_RANGE,
	 0},
	{"request begin overflow",
	 {0, 0, 0, 13, 6, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2},
	 17,
	 BT_E_RANGE,
	 0},
	{"request 12 bytes",
	 {0, 0, 0, 12, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40},
	 16,
	 BT_E_LENGTH,
	 0},
	{"cancel", {0, 0, 0, 13, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0}, 17, 0, BT_MSG_CANCEL},
	{"reject",
	 {0, 0, 0, 13, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0},
	 17,
	 0,
	 BT_MSG_REJECT},
	{"piece", {0, 0, 0, 10, 7, 0, 0, 0, 9, 0, 0, 0x1f, 0xff, 0xaa}, 14, 0, BT_MSG_PIECE},
	{"piece past end",
	 {0, 0, 0, 11, 7, 0, 0, 0, 9, 0, 0, 0x1f, 0xff, 0xaa, 0xbb},
	 15,
	 BT_E_RANGE,
	 0},
	{"piece empty", {0, 0, 0, 9, 7, 0, 0, 0, 9, 0, 0, 0, 0}, 13, BT_E_LENGTH, 0},
	{"piece oversized", {0, 0, 0x40, 0x0a, 7}, 5, BT_E_LENGTH, 0},
	{"huge length", {0xff, 0xff, 0xff, 0xff, 7}, 5, BT_E_LENGTH, 0},
	{"port", {0, 0, 0, 3, 9, 0x1a, 0xe1}, 7, 0, BT_MSG_PORT},
	{"have all", {0, 0, 0, 1, 0x0e}, 5, 0, BT_MSG_HAVE_ALL},
	{"have none", {0, 0, 0, 1, 0x0f}, 5, 0, BT_MSG_HAVE_NONE},
	{"suggest", {0, 0, 0, 5, 0x0d, 0, 0, 0, 3}, 9, 0, BT_MSG_SUGGEST},
	{"allowed fast", {0, 0, 0, 5, 0x11, 0, 0, 0, 3}, 9, 0, BT_MSG_ALLOWED_FAST},
	{"allowed fast range", {0, 0, 0, 5, 0x11, 0, 0, 0, 10}, 9, BT_E_RANGE, 0},
	{"extended", {0, 0, 0, 4, 20, 0, 'd', 'e'}, 8, 0, BT_MSG_EXTENDED},
	{"extended no id", {0, 0, 0, 1, 20}, 5, BT_E_LENGTH, 0},
	{"extended oversized", {0, 1, 0, 3, 20}, 5, BT_E_LENGTH, 0},
	{"unknown type", {0, 0, 0, 1, 21}, 5, BT_E_PROTOCOL, 0},
	{"type 10", {0, 0, 0, 1, 10}, 5, BT_E_PROTOCOL, 0},
	{"type 255", {0, 0, 0, 1, 255}, 5, BT_E_PROTOCOL, 0},
};

static void test_vectors(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(vecs); i++) {
		/* Whole, and byte by byte: the result must not depend on chunking. */
		for (size_t chunk = 1; chunk <= 64; chunk += 63) {
			struct bt_msg m;
			int count;
			int r = feed_all(&geo, vecs[i].bytes, vecs[i].len, chunk, &m, &count);

			if (r != vecs[i].expect)
				fail_msg("%s (chunk %zu): got %d want %d", vecs[i].name, chunk, r,
					 vecs[i].expect);
			if (r == 0) {
				assert_int_equal(count, 1);
				assert_int_equal(m.type, vecs[i].type);
			}
		}
	}
}

static void test_fields(void **state)
{
	static const uint8_t req[] = {0, 0, 0, 13, 6, 0, 0, 0, 9, 0, 0, 0x10, 0, 0, 0, 0x10, 0};
	static const uint8_t piece[] = {0, 0, 0, 11, 7, 0, 0, 0, 2, 0, 0, 0x40, 0, 0xaa, 0xbb};
	struct bt_msg m;
	int count;

	assert_int_equal(feed_all(&geo, req, sizeof(req), 100, &m, &count), 0);
	assert_int_equal(m.index, 9);
	assert_int_equal(m.begin, 4096);
	assert_int_equal(m.length, 4096);
	assert_int_equal(feed_all(&geo, piece, sizeof(piece), 3, &m, &count), 0);
	assert_int_equal(m.index, 2);
	assert_int_equal(m.begin, 16384);
	assert_int_equal(m.data_len, 2);
	/* m.data pointed into the parser, released by now: only check length. */
}

static void test_extension_gates(void **state)
{
	struct bt_wire_geometry plain = geo;
	static const uint8_t have_all[] = {0, 0, 0, 1, 0x0e};
	static const uint8_t ext[] = {0, 0, 0, 3, 20, 0, 'e'};
	int count;

	plain.fast = false;
	plain.extended = false;
	assert_int_equal(feed_all(&plain, have_all, sizeof(have_all), 64, NULL, &count),
			 BT_E_EXTENSION);
	assert_int_equal(feed_all(&plain, ext, sizeof(ext), 64, NULL, &count), BT_E_EXTENSION);
}

static void test_bitfield_order(void **state)
{
	/* A bitfield after a HAVE is late but tolerated (aria2 does it); after
	 * an extended handshake it is fine; twice replaces. */
	static const uint8_t late[] = {0, 0, 0, 5, 4, 0, 0, 0, 1, 0, 0, 0, 3, 5, 0xff, 0xc0};
	static const uint8_t after_ext[] = {0, 0, 0, 3, 20, 0, 'e', 0, 0, 0, 3, 5, 0xff, 0xc0};
	static const uint8_t twice[] = {0, 0, 0, 3, 5, 0xff, 0xc0, 0, 0, 0, 3, 5, 0xff, 0xc0};
	static const uint8_t keepalives[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2};
	int count;

	assert_int_equal(feed_all(&geo, late, sizeof(late), 64, NULL, &count), 0);
	assert_int_equal(feed_all(&geo, after_ext, sizeof(after_ext), 5, NULL, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(feed_all(&geo, twice, sizeof(twice), 64, NULL, &count), 0);
	assert_int_equal(feed_all(&geo, keepalives, sizeof(keepalives), 1, NULL, &count), 0);
	assert_int_equal(count, 3);
}

static void test_builders_roundtrip(void **state)
{
	struct buf b;
	uint8_t reserved[8] = {0}, ih[20] = {1}, id[20] = {2};
	uint8_t bits[2] = {0xa0, 0x40};
	uint8_t hdr[13];
	struct cursor in;
	struct bt_wire w;
	struct bt_msg m;
	bool got;
	int types[16], n = 0;

	buf_init(&b, 1 << 20);
	assert_int_equal(bt_wire_put_handshake(&b, reserved, ih, id), 0);
	assert_int_equal(bt_wire_put_bitfield(&b, bits, 2), 0);
	assert_int_equal(bt_wire_put_simple(&b, BT_MSG_INTERESTED), 0);
	assert_int_equal(bt_wire_put_index(&b, BT_MSG_HAVE, 7), 0);
	assert_int_equal(bt_wire_put_block(&b, BT_MSG_REQUEST, 9, 0, 8192), 0);
	assert_int_equal(bt_wire_put_keepalive(&b), 0);
	assert_int_equal(bt_wire_put_extended(&b, 3, "de", 2), 0);
	bt_wire_piece_header(hdr, 1, 0, 4);
	assert_int_equal(buf_append(&b, hdr, 13), 0);
	assert_int_equal(buf_append(&b, "abcd", 4), 0);

	bt_wire_init(&w);
	in = cursor_make(b.data, b.len);
	assert_int_equal(bt_wire_feed(&w, &in, &m, &got), 0);
	assert_true(got);
	assert_int_equal(bt_wire_set_geometry(&w, &geo), 0);
	for (;;) {
		assert_int_equal(bt_wire_feed(&w, &in, &m, &got), 0);
		if (!got)
			break;
		types[n++] = m.type;
		if (m.type == BT_MSG_PIECE)
			assert_memory_equal(m.data, "abcd", 4);
	}
	assert_int_equal(n, 7);
	assert_int_equal(types[0], BT_MSG_BITFIELD);
	assert_int_equal(types[4], BT_MSG_KEEPALIVE);
	assert_int_equal(types[5], BT_MSG_EXTENDED);
	assert_int_equal(types[6], BT_MSG_PIECE);
	bt_wire_release(&w);
	buf_release(&b);
}

static void test_bitfield(void **state)
{
	struct bt_bitfield bf;
	static const uint8_t ok[2] = {0x80, 0x40};
	static const uint8_t spare[2] = {0x80, 0x20};

	bt_bitfield_init(&bf, 10);
	assert_int_equal(bt_bitfield_bytes(&bf), 2);
	assert_true(bt_bitfield_set(&bf, 9));
	assert_false(bt_bitfield_set(&bf, 9));
	assert_false(bt_bitfield_set(&bf, 10));
	assert_int_equal(bf.set, 1);
	assert_true(bt_bitfield_get(&bf, 9));
	assert_false(bt_bitfield_get(&bf, 10));
	bt_bitfield_set_all(&bf);
	assert_int_equal(bf.set, 10);
	assert_int_equal(bf.bits[1], 0xc0);
	assert_true(bt_bitfield_full(&bf));
	assert_true(bt_bitfield_clear(&bf, 0));
	assert_int_equal(bf.set, 9);
	assert_int_equal(bt_bitfield_load(&bf, ok, 2), 0);
	assert_int_equal(bf.set, 2);
	assert_true(bt_bitfield_get(&bf, 0));
	assert_true(bt_bitfield_get(&bf, 9));
	assert_int_equal(bt_bitfield_load(&bf, spare, 2), -1);
	assert_int_equal(bt_bitfield_load(&bf, ok, 1), -1);
	assert_int_equal(bf.set, 2);
	bt_bitfield_release(&bf);
}

static void test_geometry(void **state)
{
	struct bt_wire w;
	struct bt_wire_geometry g = geo;

	bt_wire_init(&w);
	g.piece_count = 11; /* does not match total_length */
	assert_int_equal(bt_wire_set_geometry(&w, &g), BT_E_RANGE);
	g.piece_count = 0;
	assert_int_equal(bt_wire_set_geometry(&w, &g), BT_E_RANGE);
	assert_int_equal(bt_wire_piece_size(&geo, 9), 8192);
	assert_int_equal(bt_wire_piece_size(&geo, 0), 32768);
	assert_int_equal(bt_wire_piece_size(&geo, 10), 0);
	bt_wire_release(&w);
}

/* Reads end where a run of PIECE messages would end: the rest of the
 * message under way, then whole PIECE messages, never more than the
 * session's buffer. */
static void test_read_size(void **state)
{
	struct bt_wire w;

	(void)state;
	bt_wire_init(&w);
	assert_int_equal(bt_peer_read_size(&w), BT_READ_BUF); /* handshake */
	w.state = BT_WIRE_LENGTH;
	w.want = 4;
	w.have = 0;
	assert_int_equal(bt_peer_read_size(&w), 4 * BT_PIECE_MSG_LEN);
	w.have = 2; /* a split length prefix: the body length is not known */
	assert_int_equal(bt_peer_read_size(&w), BT_READ_BUF);
	w.state = BT_WIRE_BODY;
	w.want = 9 + BT_BLOCK_SIZE;
	w.have = 100;
	assert_int_equal(bt_peer_read_size(&w), 9 + BT_BLOCK_SIZE - 100 + 3 * BT_PIECE_MSG_LEN);
	w.have = 0;
	assert_int_equal(bt_peer_read_size(&w), 9 + BT_BLOCK_SIZE + 3 * BT_PIECE_MSG_LEN);
	w.want = 2 * BT_READ_BUF; /* a body larger than the buffer */
	w.have = 10;
	assert_int_equal(bt_peer_read_size(&w), BT_READ_BUF);
	w.have = w.want - 1;
	assert_int_equal(bt_peer_read_size(&w), 1 + 3 * BT_PIECE_MSG_LEN);
	bt_wire_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),      cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_fields),	       cmocka_unit_test(test_extension_gates),
		cmocka_unit_test(test_bitfield_order), cmocka_unit_test(test_builders_roundtrip),
		cmocka_unit_test(test_bitfield),       cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_read_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
