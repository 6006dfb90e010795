/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes BEP 15 packet handling on both sides: the server's handler (with
 * a valid connection id spliced in when the first byte asks for it, so
 * announces and scrapes are reached) and the client's reply parsers. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tracker/server.h"
#include "tracker/wire.h"
#include "util/buf.h"
#include "util/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fixed_clock(void *ctx)
{
	return 1000000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tracker_server *srv;
	static struct tracker_reply r;
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(1234)};
	struct tracker_scrape_entry e[4];
	uint8_t pkt[TRACKER_UDP_PACKET_MAX + 8];
	char failure[TRACKER_MESSAGE_MAX + 1];
	uint64_t cid;
	uint32_t txid;
	struct buf out;
	uint8_t mode;

	if (!srv) {
		struct tracker_server_config cfg = {.max_peers_per_torrent = 500};
		srv = tracker_server_new(NULL, &cfg, NULL, NULL);
		tracker_server_set_clock(srv, fixed_clock, NULL);
		if (tracker_server_add_torrent(srv, (const uint8_t *)"0123456789abcdefghij") != 0)
			__builtin_trap();
	}
	if (size < 1 || size - 1 > sizeof(pkt))
		return 0;
	mode = data[0];
	size--;
	memcpy(pkt, data + 1, size);
	from.sin_addr.s_addr = htonl(0x0a000000u | (mode >> 4));

	/* Server side. */
	if ((mode & 1) && size >= 8) {
		/* Learn the id the server gives this address, and use it. */
		uint8_t conn[16];
		struct buf tmp;
		put_u64be(conn, TRACKER_UDP_PROTOCOL_ID);
		put_u32be(conn + 8, 0);
		put_u32be(conn + 12, 1);
		buf_init(&tmp, 64);
		if (tracker_server_handle_udp(srv, conn, 16, &from, &tmp) != 1 ||
		    tracker_udp_connect_reply_parse(tmp.data, tmp.len, 1, &cid, NULL) != 0)
			__builtin_trap();
		buf_release(&tmp);
		put_u64be(pkt, cid);
	}
	buf_init(&out, TRACKER_UDP_PACKET_MAX);
	if (tracker_server_handle_udp(srv, pkt, size, &from, &out) < 0)
		__builtin_trap();
	if (out.len > TRACKER_UDP_PACKET_MAX)
		__builtin_trap();
	buf_release(&out);

	/* Client side: the reply parsers, with the txid taken from the packet
	 * half of the time so the paths past the txid check are reached. */
	txid = size >= 8 && (mode & 2) ? get_u32be(pkt + 4) : 7;
	(void)!tracker_udp_connect_reply_parse(pkt, size, txid, &cid, failure);
	if (tracker_udp_announce_reply_parse(pkt, size, txid, &r) == 0 &&
	    r.n_peers > TRACKER_REPLY_PEERS_MAX)
		__builtin_trap();
	(void)!tracker_udp_scrape_reply_parse(pkt, size, txid, e, (mode >> 2) & 3, failure);
	(void)!tracker_udp_scrape_reply_parse(pkt, size, txid, e, 4, failure);
	(void)srv;
	return 0;
}
