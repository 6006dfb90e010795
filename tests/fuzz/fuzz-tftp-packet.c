/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes the TFTP request parser, option negotiation and OACK building, the
 * ACK and ERROR parsers, and netascii conversion of the same bytes. The
 * first byte picks the MTU-derived blksize limit and the window cap, so the
 * clamping paths are reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/netascii.h"
#include "tftp/packet.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request req;
	struct tftp_limits lim;
	struct tftp_negotiated neg;
	uint8_t oack[TFTP_OACK_MAX], out[600], *copy;
	struct netascii_state st = NETASCII_STATE_INIT;
	const char *msg;
	size_t msg_len, n;
	uint16_t v, code;
	uint8_t sel;

	if (size < 1 || size > 4096)
		return 0;
	sel = data[0];
	data++;
	size--;
	/* An exact-size copy, so ASan catches any read past the end. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	if (tftp_request_parse(copy, size, &req) == 0) {
		if (req.filename[req.filename_len] != '\0')
			abort();
		lim.max_blksize = 8 + (unsigned)sel * 257;
		lim.max_windowsize = 1 + (sel & 0x3f);
		lim.tsize_known = sel & 1;
		lim.tsize = (uint64_t)size * 1000003;
		tftp_options_negotiate(&req, &lim, &neg);
		if (neg.blksize < TFTP_BLKSIZE_MIN || neg.blksize > TFTP_BLKSIZE_MAX ||
		    (neg.has_blksize && neg.blksize > lim.max_blksize) || neg.windowsize < 1 ||
		    neg.windowsize > lim.max_windowsize)
			abort();
		n = tftp_oack_build(oack, sizeof(oack), &neg);
		if (tftp_negotiated_any(&neg) && n == 0)
			abort();
	}
	if (tftp_ack_parse(copy, size, &v) == 0 && size < 4)
		abort();
	if (tftp_error_parse(copy, size, &code, &msg, &msg_len) == 0) {
		if (msg_len > size - 4)
			abort();
		if (tftp_error_build(out, sizeof(out), code, "x") != 6)
			abort();
	}

	/* Netascii in blocks of 8..71 bytes must add exactly one byte per
	 * CR and LF. */
	{
		size_t blk = 8 + (sel & 0x3f), total = 0;
		for (int guard = 0; guard < 10000; guard++) {
			size_t got = netascii_convert(&st, copy + st.offset,
						      size - (size_t)st.offset, out, blk);
			total += got;
			if (got < blk)
				break;
		}
		if (total != netascii_size_add(copy, size))
			abort();
	}
	free(copy);
	return 0;
}
