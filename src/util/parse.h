/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Strict number parsing for text from outside (config, URLs, command lines). */
#ifndef BT_UTIL_PARSE_H
#define BT_UTIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Parses all of s[0..len) as a decimal unsigned integer no larger than max:
 * no sign, no spaces, no empty string. Returns 0 or -1. */
int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out) WUR;
/* The same for a C string. */
int parse_u64_str(const char *s, uint64_t max, uint64_t *out) WUR;
/* Signed decimal with an optional leading '-', within [min, max]. */
int parse_i64_str(const char *s, int64_t min, int64_t max, int64_t *out) WUR;
/* Sizes like "256k", "4M", "1G", "262144" (binary multiples). */
int parse_size_str(const char *s, uint64_t *out) WUR;

/* The value of one hex digit, either case, or -1. */
int parse_hex_digit(char c);
/* A MAC address: exactly s[0..len) as six hex pairs separated by ':' or by
 * '-', one kind throughout ("aa:bb-cc..." is refused). Returns 0 or -1; mac
 * is written only on success. */
int parse_mac(const char *s, size_t len, uint8_t mac[6]) WUR;

#endif
