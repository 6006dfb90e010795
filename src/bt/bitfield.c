/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "bt/bitfield.h"
#include "util/util.h"

void bt_bitfield_init(struct bt_bitfield *bf, uint32_t count)
{
	bf->count = count;
	bf->set = 0;
	bf->bits = xcalloc(1, bt_bitfield_bytes(bf) + 1);
}

void bt_bitfield_release(struct bt_bitfield *bf)
{
	free(bf->bits);
	bf->bits = NULL;
	bf->count = 0;
	bf->set = 0;
}

bool bt_bitfield_set(struct bt_bitfield *bf, uint32_t i)
{
	uint8_t mask = (uint8_t)(0x80u >> (i & 7));

	if (i >= bf->count || (bf->bits[i >> 3] & mask))
		return false;
	bf->bits[i >> 3] |= mask;
	bf->set++;
	return true;
}

bool bt_bitfield_clear(struct bt_bitfield *bf, uint32_t i)
{
	uint8_t mask = (uint8_t)(0x80u >> (i & 7));

	if (i >= bf->count || !(bf->bits[i >> 3] & mask))
		return false;
	bf->bits[i >> 3] &= (uint8_t)~mask;
	bf->set--;
	return true;
}

void bt_bitfield_set_all(struct bt_bitfield *bf)
{
	size_t n = bt_bitfield_bytes(bf);
	uint32_t spare = (uint32_t)(n * 8 - bf->count);

	if (n == 0)
		return;
	memset(bf->bits, 0xff, n);
	bf->bits[n - 1] = (uint8_t)(0xffu << spare);
	bf->set = bf->count;
}

void bt_bitfield_clear_all(struct bt_bitfield *bf)
{
	memset(bf->bits, 0, bt_bitfield_bytes(bf));
	bf->set = 0;
}

int bt_bitfield_load(struct bt_bitfield *bf, const uint8_t *bytes, size_t n)
{
	uint32_t spare, set = 0;

	if (n != bt_bitfield_bytes(bf))
		return -1;
	spare = (uint32_t)(n * 8 - bf->count);
	if (n && spare && (bytes[n - 1] & ((1u << spare) - 1)))
		return -1;
	memcpy(bf->bits, bytes, n);
	for (size_t i = 0; i < n; i++)
		set += (uint32_t)__builtin_popcount(bytes[i]);
	bf->set = set;
	return 0;
}
