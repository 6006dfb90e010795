/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "util/parse.h"

int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_u64_str(const char *s, uint64_t max, uint64_t *out)
{
	return parse_u64(s, strlen(s), max, out);
}

int parse_i64_str(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t mag;
	bool neg = s[0] == '-';

	if (parse_u64_str(s + neg, (uint64_t)INT64_MAX + neg, &mag) < 0)
		return -1;
	if (neg) {
		int64_t v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		if (v < min)
			return -1;
		*out = v;
	} else {
		if ((int64_t)mag > max || (int64_t)mag < min)
			return -1;
		*out = (int64_t)mag;
	}
	return 0;
}

int parse_size_str(const char *s, uint64_t *out)
{
	size_t len = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (len == 0)
		return -1;
	switch (s[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	default: break;
	}
	if (shift)
		len--;
	if (parse_u64(s, len, UINT64_MAX >> shift, &v) < 0)
		return -1;
	*out = v << shift;
	return 0;
}

int parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	uint8_t m[6];

	if (len != 17 || (s[2] != ':' && s[2] != '-'))
		return -1;
	for (size_t i = 0; i < 6; i++) {
		int hi = parse_hex_digit(s[i * 3]), lo = parse_hex_digit(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != s[2]))
			return -1;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}
