/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DHCP packet parser on arbitrary bytes: it must never read out of
 * bounds, and what it accepts must be consistent (every option's data
 * inside the concatenated option area). A reply is then built from it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_packet pkt;
	static uint8_t out[DHCP_PACKET_MAX];
	struct dhcp_builder b;
	size_t total = 0, len;
	int r;

	r = dhcp_packet_parse(&pkt, data, size);
	if (r != 0)
		return 0;
	for (unsigned code = 1; code < 255; code++) {
		const uint8_t *p = dhcp_packet_option(&pkt, (uint8_t)code, &len);
		if (!p)
			continue;
		if (p < pkt.optdata || p + len > pkt.optdata + pkt.optdata_len)
			abort();
		total += len;
	}
	if (total > size)
		abort();
	len = dhcp_packet_max_reply(&pkt);
	if (len < DHCP_DEFAULT_MAX || len > DHCP_PACKET_MAX)
		abort();
	dhcp_builder_init(&b, out, len, &pkt, DHCP_ACK);
	/* Echo every option back until the reply is full (not 53, which the
	 * builder wrote, nor 52, which would make file and sname options). */
	for (unsigned code = 1; code < 255; code++) {
		const uint8_t *p = dhcp_packet_option(&pkt, (uint8_t)code, &len);
		if (code == DHCP_OPT_MSG_TYPE || code == DHCP_OPT_OVERLOAD)
			continue;
		if (p && dhcp_builder_option(&b, (uint8_t)code, p, len) != 0)
			break;
	}
	len = dhcp_builder_finish(&b);
	if (len > b.cap || dhcp_packet_parse(&pkt, out, len) != 0)
		abort();
	return 0;
}
