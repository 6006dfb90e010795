/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DHCP decision on arbitrary sequences of packets against one lease
 * table: nothing may crash, replies must parse and fit, and proxy mode must
 * never hand out an address.
 *
 * Input: one flags byte (bit 0: proxy mode), then up to 16 records of
 * [u8 ctl][u16 length, big-endian][packet], where ctl bit 0 means "arrived
 * on the PXE port" and ctl >> 1 advances the clock by that many 30 s steps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/policy.h"
#include "util/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_tx tx;
	static struct dhcp_packet reply;
	struct dhcp_config cfg;
	struct dhcp_host host = {
		.mac = {0x52, 0x54, 0, 0, 0, 0x99}, .ip = IP(10, 77, 0, 50), .hostname = "fixed"};
	struct dhcp_leases *leases;
	struct dhcp_event ev;
	struct dhcp_rx rx = {.now = 1764150000,
			     .local_ip = IP(10, 77, 0, 1),
			     .src_ip = IP(10, 77, 0, 105),
			     .src_port = 68};
	struct cursor c = cursor_make(data, size);
	uint8_t flags;

	if (!cursor_u8(&c, &flags))
		return 0;
	dhcp_config_init(&cfg);
	cfg.mode = (flags & 1) ? DHCP_MODE_PROXY : DHCP_MODE_SERVER;
	cfg.server_ip = IP(10, 77, 0, 1);
	cfg.router = cfg.server_ip;
	cfg.range_start = IP(10, 77, 0, 100);
	cfg.range_end = IP(10, 77, 0, 103);
	cfg.hosts = &host;
	cfg.n_hosts = 1;
	memcpy(cfg.boot.bios, "pxelinux.0", 11);
	memcpy(cfg.boot.uefi, "shimx64.efi", 12);
	memcpy(cfg.boot.ipxe, "http://10.77.0.1/boot.ipxe", 27);
	memset(cfg.boot.uefi_http, 'u', 200); /* long: must go in option 67 only */
	leases = dhcp_policy_leases_new(&cfg);
	if (!leases)
		abort();
	for (int i = 0; i < 16; i++) {
		uint8_t ctl;
		uint16_t len;
		const uint8_t *p;
		int r;

		if (!cursor_u8(&c, &ctl) || !cursor_u16be(&c, &len))
			break;
		len = (uint16_t)MIN((size_t)len, c.len);
		(void)cursor_take(&c, len, &p);
		rx.pxe_port = ctl & 1;
		rx.now += (ctl >> 1) * 30;
		r = dhcp_policy_handle(&cfg, cfg.mode == DHCP_MODE_PROXY ? NULL : leases, &rx, p,
				       len, &tx, &ev);
		if (r < 0)
			abort();
		if (r > 0 && (tx.len || ev.type != DHCP_EV_NONE))
			abort();
		if (r == 0 && tx.len) {
			if (tx.len > DHCP_PACKET_MAX || dhcp_packet_parse(&reply, tx.buf, tx.len))
				abort();
			if (cfg.mode == DHCP_MODE_PROXY &&
			    (reply.yiaddr || dhcp_packet_has(&reply, DHCP_OPT_LEASE_TIME)))
				abort();
			if (reply.yiaddr && reply.yiaddr != host.ip &&
			    (reply.yiaddr < cfg.range_start || reply.yiaddr > cfg.range_end))
				abort();
		}
	}
	dhcp_leases_free(leases);
	return 0;
}
