/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A read cursor over untrusted bytes. Every read checks the remaining length
 * first and fails without moving the cursor; integers are assembled from
 * bytes with shifts, never by casting the buffer to a wider pointer.
 *
 *   struct cursor c = cursor_make(pkt, len);
 *   uint16_t op;
 *   if (!cursor_u16be(&c, &op)) return PROTO_E_MALFORMED;
 */
#ifndef BT_UTIL_CURSOR_H
#define BT_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t len;
};

static inline struct cursor cursor_make(const void *p, size_t len)
{
	return (struct cursor){.p = p, .len = len};
}

static inline bool cursor_skip(struct cursor *c, size_t n)
{
	if (c->len < n)
		return false;
	c->p += n;
	c->len -= n;
	return true;
}

/* Points *out at the next n bytes (no copy) and advances past them. */
static inline bool cursor_take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->len < n)
		return false;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return true;
}

/* Splits off the next n bytes as their own cursor. */
static inline bool cursor_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	const uint8_t *p;
	if (!cursor_take(c, n, &p))
		return false;
	*sub = cursor_make(p, n);
	return true;
}

static inline bool cursor_copy(struct cursor *c, void *dst, size_t n)
{
	if (c->len < n)
		return false;
	memcpy(dst, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

static inline bool cursor_u8(struct cursor *c, uint8_t *v)
{
	if (c->len < 1)
		return false;
	*v = c->p[0];
	c->p++;
	c->len--;
	return true;
}

static inline uint16_t get_u16be(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t get_u32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_u64be(const uint8_t *p)
{
	return (uint64_t)get_u32be(p) << 32 | get_u32be(p + 4);
}

static inline void put_u16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_u64be(uint8_t *p, uint64_t v)
{
	put_u32be(p, (uint32_t)(v >> 32));
	put_u32be(p + 4, (uint32_t)v);
}

static inline bool cursor_u16be(struct cursor *c, uint16_t *v)
{
	if (c->len < 2)
		return false;
	*v = get_u16be(c->p);
	c->p += 2;
	c->len -= 2;
	return true;
}

static inline bool cursor_u32be(struct cursor *c, uint32_t *v)
{
	if (c->len < 4)
		return false;
	*v = get_u32be(c->p);
	c->p += 4;
	c->len -= 4;
	return true;
}

static inline bool cursor_u64be(struct cursor *c, uint64_t *v)
{
	if (c->len < 8)
		return false;
	*v = get_u64be(c->p);
	c->p += 8;
	c->len -= 8;
	return true;
}

#endif
