/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer wire parser fed in random chunks. The first input byte picks the
 * geometry flags and a chunking seed; a valid handshake is prepended so
 * the fuzzer reaches the message parser. Every message returned must obey
 * the limits the parser promises.
 */
#include <stdint.h>
#include <string.h>

#include "bt/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t hs[68] = {19, 'B', 'i', 't', 'T', 'o', 'r', 'r', 'e', 'n',
				       't', ' ', 'p', 'r', 'o', 't', 'o', 'c', 'o', 'l'};
	struct bt_wire_geometry geo = {.piece_length = 32768, .piece_count = 37,
				       .total_length = 36 * 32768 + 5};
	struct bt_wire w;
	struct bt_msg m;
	struct cursor in;
	uint32_t seed;
	bool got;
	int r = 0;

	if (size < 1)
		return 0;
	geo.fast = data[0] & 1;
	geo.extended = data[0] & 2;
	seed = data[0] | 1u;
	data++;
	size--;
	bt_wire_init(&w);
	in = cursor_make(hs, sizeof(hs));
	if (bt_wire_feed(&w, &in, &m, &got) || !got || bt_wire_set_geometry(&w, &geo))
		__builtin_trap();
	for (size_t off = 0; off < size && r == 0;) {
		size_t chunk;

		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % 97;
		chunk = chunk > size - off ? size - off : chunk;
		in = cursor_make(data + off, chunk);
		off += chunk;
		while ((r = bt_wire_feed(&w, &in, &m, &got)) == 0 && got) {
			switch (m.type) {
			case BT_MSG_PIECE:
				if (m.data_len == 0 || m.data_len > BT_BLOCK_SIZE ||
				    (uint64_t)m.begin + m.data_len >
					    bt_wire_piece_size(&geo, m.index))
					__builtin_trap();
				break;
			case BT_MSG_REQUEST:
			case BT_MSG_CANCEL:
			case BT_MSG_REJECT:
				if (m.length == 0 || (uint64_t)m.begin + m.length >
							     bt_wire_piece_size(&geo, m.index))
					__builtin_trap();
				break;
			case BT_MSG_BITFIELD:
				if (m.data_len != 5 || (m.data[4] & 7))
					__builtin_trap();
				break;
			case BT_MSG_HAVE:
				if (m.index >= geo.piece_count)
					__builtin_trap();
				break;
			default:
				break;
			}
		}
		if (r == 0 && in.len != 0)
			__builtin_trap();
	}
	bt_wire_release(&w);
	return 0;
}
