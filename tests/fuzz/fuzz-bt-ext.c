/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * BEP 10 extension handshakes and BEP 11 PEX payloads as a peer may send
 * them: both parsers on the same bytes; what they return must stay within
 * the caps, and what we build must parse back.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "bt/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_ext_handshake h;
	struct sockaddr_in peers[BT_PEX_MAX];
	size_t n = 0;

	if (bt_ext_handshake_parse(data, size, &h) == 0) {
		if (h.reqq > BT_MAX_THEIR_REQUESTS)
			__builtin_trap();
	}
	if (bt_pex_parse(data, size, peers, BT_PEX_MAX, &n) == 0) {
		struct buf b;
		struct sockaddr_in again[BT_PEX_MAX];
		size_t m = 0;

		if (n > BT_PEX_MAX)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if (peers[i].sin_port == 0 || peers[i].sin_family != AF_INET)
				__builtin_trap();
		/* What we would send on parses back to the same peers. */
		buf_init(&b, 1 << 16);
		if (bt_pex_build(&b, peers, n) != 0 ||
		    bt_pex_parse(b.data, b.len, again, BT_PEX_MAX, &m) != 0 || m != n ||
		    memcmp(peers, again, n * sizeof(*peers)) != 0)
			__builtin_trap();
		buf_release(&b);
	}
	return 0;
}
