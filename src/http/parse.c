/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "http/parse.h"
#include "util/parse.h"
#include "util/util.h"

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads digits at *p into *v; false when there are none or they overflow. */
static bool read_number(const char **p, uint64_t *v)
{
	const char *s = *p;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || parse_u64(s, n, UINT64_MAX, v) < 0)
		return false;
	*p = s + n;
	return true;
}

enum http_range_result http_range_parse(const char *value, uint64_t size, uint64_t *start,
					uint64_t *len)
{
	const char *p;
	uint64_t a = 0, b = 0;
	bool has_a, has_b;

	if (!value || strnlen(value, HTTP_RANGE_HEADER_MAX + 1) > HTTP_RANGE_HEADER_MAX)
		return HTTP_RANGE_NONE;
	p = skip_spaces(value);
	if (strncasecmp(p, "bytes", 5) != 0)
		return HTTP_RANGE_NONE;
	p = skip_spaces(p + 5);
	if (*p != '=')
		return HTTP_RANGE_NONE;
	p = skip_spaces(p + 1);
	has_a = read_number(&p, &a);
	p = skip_spaces(p);
	if (*p != '-')
		return HTTP_RANGE_NONE;
	p = skip_spaces(p + 1);
	has_b = read_number(&p, &b);
	p = skip_spaces(p);
	/* Anything else, such as a second range after a comma, makes us
	 * ignore the header and send the whole file. */
	if (*p != '\0' || (!has_a && !has_b))
		return HTTP_RANGE_NONE;

	if (!has_a) {
		/* "-n": the last n bytes. */
		if (b == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		if (b > size)
			b = size;
		*start = size - b;
		*len = b;
		return HTTP_RANGE_OK;
	}
	if (has_b && b < a)
		return HTTP_RANGE_NONE; /* invalid: ignored */
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	if (!has_b || b >= size)
		b = size - 1;
	*start = a;
	*len = b - a + 1;
	return HTTP_RANGE_OK;
}

int http_path_decode(const char *path, char *out, size_t cap)
{
	size_t o = 0, comp = 0; /* comp: where the current component starts */
	const char *p = path;

	if (cap == 0)
		return HTTP_PATH_BAD;
	for (;;) {
		char c = *p;
		bool end_of_comp;

		if (c == '%') {
			int hi = parse_hex_digit(p[1]), lo = hi < 0 ? -1 : parse_hex_digit(p[2]);
			if (lo < 0)
				return HTTP_PATH_BAD;
			c = (char)(hi << 4 | lo);
			/* Decoded once: "%2e%2e" is "..", "%2f" a separator,
			 * "%00" and "%5c" are refused below. */
			if (c == '\0')
				return HTTP_PATH_BAD;
			p += 3;
		} else if (c != '\0') {
			p++;
		}
		if (c == '\\')
			return HTTP_PATH_BAD;
		end_of_comp = c == '/' || c == '\0';
		if (!end_of_comp) {
			if (o + 1 >= cap)
				return HTTP_PATH_BAD;
			out[o++] = c;
			continue;
		}
		/* A component ended at out[comp..o). */
		if (o - comp == 2 && out[comp] == '.' && out[comp + 1] == '.')
			return HTTP_PATH_TRAVERSAL;
		if ((o - comp == 1 && out[comp] == '.') || o == comp) {
			o = comp; /* "." and empty components are dropped */
		} else if (c == '/') {
			if (o + 1 >= cap)
				return HTTP_PATH_BAD;
			out[o++] = '/';
			comp = o;
		}
		if (c == '\0')
			break;
	}
	/* Drop a trailing '/' left by the last component. */
	if (o > 0 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	return 0;
}
