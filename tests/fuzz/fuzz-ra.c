/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes the IPv6 router solicitation parser (src/server/ra.h), which reads
 * packets from the boot LAN. The first 16 bytes are the source address the
 * kernel would report, the rest the ICMPv6 message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/ra.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t src[16] = {0}, mac[6], *msg;
	size_t n;

	if (size > 2048)
		return 0;
	memcpy(src, data, size < 16 ? size : 16);
	n = size > 16 ? size - 16 : 0;
	/* An exact-size copy, so a read past the message is caught. */
	msg = malloc(n ? n : 1);
	if (!msg)
		return 0;
	if (n)
		memcpy(msg, data + 16, n);
	(void)!ra_solicit_parse(msg, n, size >= 16 ? src : NULL, mac);
	free(msg);
	return 0;
}
