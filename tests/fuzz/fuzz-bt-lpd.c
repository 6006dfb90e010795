/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BEP 14 announces as anyone on the LAN may send them. */
#include <stdint.h>
#include <string.h>

#include "bt/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bt_lpd_msg m;

	if (bt_lpd_parse(data, size, &m) == 0) {
		struct buf b;
		struct bt_lpd_msg again;

		if (m.port == 0 || m.n_hashes == 0 || m.n_hashes > BT_LPD_MAX_HASHES ||
		    m.cookie_len > sizeof(m.cookie))
			__builtin_trap();
		/* Built again, it parses to the same port and hashes. */
		buf_init(&b, BT_LPD_MAX_MSG);
		if (bt_lpd_build(&b, m.port, (const uint8_t(*)[20])m.hashes, m.n_hashes, "c") ==
			    0 &&
		    (bt_lpd_parse(b.data, b.len, &again) != 0 || again.port != m.port ||
		     again.n_hashes != m.n_hashes ||
		     memcmp(again.hashes, m.hashes, 20 * m.n_hashes) != 0))
			__builtin_trap();
		buf_release(&b);
	}
	return 0;
}
