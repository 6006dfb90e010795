/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A growable byte buffer with a hard maximum (after curl's dynbuf and git's
 * strbuf). The buffer owns data; data is always NUL-terminated after len
 * bytes (the NUL is not counted), so text can be used as a C string.
 * Appends that would pass max fail with -E2BIG and leave the buffer as it was.
 *
 * Lifecycle: buf_init() an embedded buffer, buf_release() to free its memory
 * (it is then empty and reusable), buf_detach() to take the bytes over.
 */
#ifndef BT_UTIL_BUF_H
#define BT_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
/* Returns the data (NUL-terminated, owned by the caller), sets *len if not
 * NULL, and leaves the buffer empty. Never returns NULL. */
void *buf_detach(struct buf *b, size_t *len);
void buf_reset(struct buf *b);
/* Ensures room for n more bytes. 0, or -E2BIG past max. */
int buf_reserve(struct buf *b, size_t n) WUR;
int buf_append(struct buf *b, const void *p, size_t n) WUR;
int buf_append_str(struct buf *b, const char *s) WUR;
int buf_append_u8(struct buf *b, uint8_t v) WUR;
int buf_append_u16be(struct buf *b, uint16_t v) WUR;
int buf_append_u32be(struct buf *b, uint32_t v) WUR;
int buf_append_u64be(struct buf *b, uint64_t v) WUR;
int buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3) WUR;
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0) WUR;
/* Drops the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);

#endif
