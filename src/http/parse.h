/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pure parsing for the HTTP file server: the Range header (RFC 9110 section
 * 14, single byte ranges) and request paths (percent-decoding once, then
 * refusing anything that could leave the served folder). No I/O, so both
 * are unit-tested with tables and fuzzed.
 */
#ifndef BT_HTTP_PARSE_H
#define BT_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

enum http_range_result {
	HTTP_RANGE_NONE = 0,	      /* no usable Range: send the whole file (200) */
	HTTP_RANGE_OK = 1,	      /* send [start, start + len) (206) */
	HTTP_RANGE_UNSATISFIABLE = 2, /* 416 with "Content-Range: bytes * /size" */
};

/* The longest Range header value looked at; longer ones are ignored. */
#define HTTP_RANGE_HEADER_MAX 200

/* Interprets a Range header value (NULL when absent) for a file of size
 * bytes. Accepted forms: "bytes=a-b", "bytes=a-", "bytes=-n", with optional
 * spaces around the range. A syntax error, another unit, or several ranges
 * are ignored (HTTP_RANGE_NONE: serving the whole file is always allowed).
 * A first byte at or past the end, or a suffix of 0, is unsatisfiable; a
 * last byte past the end is lowered to the end. */
enum http_range_result http_range_parse(const char *value, uint64_t size, uint64_t *start,
					uint64_t *len);

/* Positive results of http_path_decode. */
enum {
	HTTP_PATH_BAD = 1,	 /* bad percent-encoding, NUL, backslash, too long */
	HTTP_PATH_TRAVERSAL = 2, /* a ".." component, before or after decoding */
};

/* Decodes an URL path (without the query) once into out (cap bytes) as a
 * path relative to the served folder: leading and repeated '/' are
 * dropped, "." components are dropped, ".." is refused. "" (the folder
 * itself) is a valid result. Returns 0, HTTP_PATH_BAD or
 * HTTP_PATH_TRAVERSAL. The caller still opens the result with
 * path_open_beneath(), which also stops symlinks. */
int http_path_decode(const char *path, char *out, size_t cap) WUR;

#endif
