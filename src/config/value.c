/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "config/value.h"
#include "util/parse.h"

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
					  "YES",  "on",	  "On",	  "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No",
					 "NO",	  "off",   "Off",   "OFF"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int config_parse_ipv4(const char *s, struct in_addr *out)
{
	uint32_t v = 0;
	const char *p = s;

	/* inet_pton() would do, but it accepts nothing looser than this
	 * anyway, and doing it by hand rejects leading zeros ("010"), which
	 * other tools read as octal. */
	for (int part = 0; part < 4; part++) {
		const char *start = p;
		uint64_t n;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start || (p - start > 1 && *start == '0') ||
		    parse_u64(start, (size_t)(p - start), 255, &n) < 0)
			return -1;
		v = v << 8 | (uint32_t)n;
		if (part < 3) {
			if (*p != '.')
				return -1;
			p++;
		}
	}
	if (*p != '\0')
		return -1;
	out->s_addr = htonl(v);
	return 0;
}

int config_parse_netmask(const char *s, struct in_addr *out)
{
	struct in_addr a;
	uint32_t v;

	if (config_parse_ipv4(s, &a) < 0)
		return -1;
	v = ntohl(a.s_addr);
	/* Contiguous ones: inverting gives 2^k - 1, so adding one clears all. */
	if ((~v & (~v + 1)) != 0)
		return -1;
	*out = a;
	return 0;
}

unsigned ipv4_prefix_len(struct in_addr mask)
{
	uint32_t v = ntohl(mask.s_addr);
	unsigned n = 0;

	while (n < 32 && (v & (UINT32_C(1) << (31 - n))))
		n++;
	return n;
}

int config_parse_mac(const char *s, uint8_t mac[6])
{
	return parse_mac(s, strlen(s), mac);
}

int config_parse_duration(const char *s, uint32_t max, uint32_t *out)
{
	size_t len = strlen(s);
	uint64_t unit = 1, v;

	if (strcmp(s, "infinite") == 0) {
		*out = UINT32_MAX;
		return 0;
	}
	if (len == 0)
		return -1;
	switch (s[len - 1]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: len++; break; /* no unit: the last byte is a digit */
	}
	len--;
	if (parse_u64(s, len, max, &v) < 0 || v > max / unit)
		return -1;
	*out = (uint32_t)(v * unit);
	return 0;
}

/* Copies s[0..len) without surrounding spaces into out (size outlen).
 * Returns -1 when it does not fit. */
static int trimmed(const char *s, size_t len, char *out, size_t outlen)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= outlen)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int config_parse_range(const char *s, struct in_addr *start, struct in_addr *end)
{
	const char *dash = strchr(s, '-');
	char a[32], b[32];
	struct in_addr x, y;

	if (!dash || trimmed(s, (size_t)(dash - s), a, sizeof(a)) < 0 ||
	    trimmed(dash + 1, strlen(dash + 1), b, sizeof(b)) < 0)
		return -1;
	if (config_parse_ipv4(a, &x) < 0 || config_parse_ipv4(b, &y) < 0)
		return -1;
	*start = x;
	*end = y;
	return 0;
}

int config_parse_v0_range(const char *s, struct config_v0_range *out, const char **why)
{
	struct config_v0_range r = {0};
	char parts[6][32];
	size_t n = 0, i;
	const char *p = s;

	/* Split on commas into at most six trimmed parts. */
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (n == ARRAY_SIZE(parts) || trimmed(p, len, parts[n], sizeof(parts[n])) < 0) {
			*why = "too many or too long parts";
			return -1;
		}
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (strncmp(parts[0], "tag:", 4) == 0 || strncmp(parts[0], "set:", 4) == 0) {
		*why = "dnsmasq tags are not supported";
		return -1;
	}
	if (config_parse_ipv4(parts[0], &r.start) < 0) {
		*why = "the first part must be the first address of the range";
		return -1;
	}
	if (n < 2) {
		*why = "the range needs a last address";
		return -1;
	}
	if (strcmp(parts[1], "proxy") == 0) {
		r.proxy = true;
	} else if (strcmp(parts[1], "static") == 0) {
		*why = "static-only ranges are not supported";
		return -1;
	} else if (config_parse_ipv4(parts[1], &r.end) < 0) {
		*why = "the second part must be the last address of the range or 'proxy'";
		return -1;
	}
	i = 2;
	if (i < n && config_parse_ipv4(parts[i], &r.netmask) == 0) {
		if (config_parse_netmask(parts[i], &r.netmask) < 0) {
			*why = "the netmask is not a valid netmask";
			return -1;
		}
		r.has_netmask = true;
		i++;
		/* A broadcast address may follow the netmask; it is implied by
		 * the netmask, so it is read and dropped. */
		struct in_addr bcast;
		if (i < n && config_parse_ipv4(parts[i], &bcast) == 0)
			i++;
	}
	if (i < n) {
		uint32_t lease;
		if (config_parse_duration(parts[i], UINT32_MAX - 1, &lease) < 0) {
			*why = "the lease time must look like 12h, 30m, 3600 or infinite";
			return -1;
		}
		r.has_lease = true;
		r.lease = lease;
		i++;
	}
	if (i < n) {
		*why = "unexpected text after the lease time";
		return -1;
	}
	*out = r;
	return 0;
}

bool config_hostname_ok(const char *s)
{
	size_t total = strlen(s), label = 0;

	if (total == 0 || total > 253)
		return false;
	for (size_t i = 0; i <= total; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)c) || c == '-') || (label == 0 && c == '-'))
			return false;
		label++;
	}
	return true;
}
