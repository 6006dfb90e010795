/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "tftp/netascii.h"
#include "util/util.h"

size_t netascii_convert(struct netascii_state *st, const uint8_t *in, size_t inlen, uint8_t *out,
			size_t outcap)
{
	size_t i = 0, o = 0;

	while (o < outcap) {
		uint8_t ch;

		if (st->pending >= 0) {
			out[o++] = (uint8_t)st->pending;
			st->pending = -1;
			continue;
		}
		if (i == inlen)
			break;
		ch = in[i++];
		st->offset++;
		if (ch == '\n') {
			out[o++] = '\r';
			st->pending = '\n';
		} else if (ch == '\r') {
			out[o++] = '\r';
			st->pending = '\0';
		} else {
			out[o++] = ch;
		}
	}
	return o;
}

uint64_t netascii_size_add(const uint8_t *in, size_t len)
{
	uint64_t n = len;

	for (size_t i = 0; i < len; i++)
		n += in[i] == '\n' || in[i] == '\r';
	return n;
}
