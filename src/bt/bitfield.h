/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A fixed-size set of piece indexes in BitTorrent's bit order (the high bit
 * of byte 0 is piece 0), with a running count of set bits. The bitfield owns
 * its bytes; spare bits past count are always zero.
 */
#ifndef BT_BT_BITFIELD_H
#define BT_BT_BITFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct bt_bitfield {
	uint8_t *bits;	 /* owned, bytes() long */
	uint32_t count;	 /* number of indexes */
	uint32_t set;	 /* number of set bits */
};

/* Allocates count cleared bits. */
void bt_bitfield_init(struct bt_bitfield *bf, uint32_t count);
void bt_bitfield_release(struct bt_bitfield *bf);
static inline size_t bt_bitfield_bytes(const struct bt_bitfield *bf)
{
	return ((size_t)bf->count + 7) / 8;
}
static inline bool bt_bitfield_get(const struct bt_bitfield *bf, uint32_t i)
{
	return i < bf->count && (bf->bits[i >> 3] & (0x80u >> (i & 7)));
}
/* Set or clear bit i; returns true when the bit changed. i must be < count. */
bool bt_bitfield_set(struct bt_bitfield *bf, uint32_t i);
bool bt_bitfield_clear(struct bt_bitfield *bf, uint32_t i);
void bt_bitfield_set_all(struct bt_bitfield *bf);
void bt_bitfield_clear_all(struct bt_bitfield *bf);
/* Replaces the bits with n bytes in wire order. Returns 0, or -1 when n is
 * not the exact size or spare bits are set (bf is then unchanged). */
int bt_bitfield_load(struct bt_bitfield *bf, const uint8_t *bytes, size_t n) WUR;
static inline bool bt_bitfield_full(const struct bt_bitfield *bf)
{
	return bf->set == bf->count;
}

#endif
