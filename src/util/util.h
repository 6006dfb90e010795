/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small helpers every module uses. Include this after system headers. */
#ifndef BT_UTIL_UTIL_H
#define BT_UTIL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WUR __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define UNUSED __attribute__((unused))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Allocation that cannot fail: aborts with a message on out-of-memory.
 * Use for small, bounded allocations; never size them from what a peer
 * claims without a cap first. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Duplicate len bytes and NUL-terminate; the copy may contain NULs. */
char *xmemdup0(const void *p, size_t len);

/* Raises the soft limit on open files to the hard limit: every transfer,
 * connection and peer of a boot storm holds descriptors. Best effort. */
void raise_fd_limit(void);

/* Hex encoding: out must hold 2*len+1 bytes. */
void hex_encode(char *out, const uint8_t *in, size_t len);
/* Decode exactly 2*len hex digits from in; returns 0 or -1 on a bad digit. */
int hex_decode(uint8_t *out, const char *in, size_t len) WUR;

/* Human-readable size ("64.0 MiB") into out (at least 16 bytes). */
const char *fmt_bytes(char *out, size_t outlen, uint64_t bytes);

#include "util/banned.h"

#endif
