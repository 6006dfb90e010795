/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Streaming conversion of a Unix file to netascii (RFC 764 as used by RFC
 * 1350): LF becomes CR LF and a bare CR becomes CR NUL. Output is produced
 * in blocks of a fixed size, so a pair can be split across two blocks; the
 * second byte is carried in the state. The state is two words, so a sender
 * can remember it at the start of each block and regenerate any block of its
 * window for a retransmission. Pure, no I/O.
 */
#ifndef BT_TFTP_NETASCII_H
#define BT_TFTP_NETASCII_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct netascii_state {
	uint64_t offset; /* input bytes consumed so far */
	int pending;	 /* the second byte of a pair still to emit, or -1 */
};

#define NETASCII_STATE_INIT ((struct netascii_state){.offset = 0, .pending = -1})

/* Converts input bytes in[0..inlen) (the file from st->offset on) into at
 * most outcap bytes of out, updating st. Returns the bytes written to out.
 * Fewer than outcap bytes are written only when the input ran out. */
size_t netascii_convert(struct netascii_state *st, const uint8_t *in, size_t inlen, uint8_t *out,
			size_t outcap);

/* The netascii size of in[0..len): len plus one for every CR and LF. */
uint64_t netascii_size_add(const uint8_t *in, size_t len);

#endif
