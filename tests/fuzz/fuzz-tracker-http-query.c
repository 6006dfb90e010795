/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes the server's HTTP query parsers and the announce/scrape handlers
 * behind them (the input is the query string after '?'). */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tracker/server.h"
#include "tracker/wire.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fixed_clock(void *ctx)
{
	return 1000000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tracker_server *srv;
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(1234)};
	struct tracker_announce a;
	uint8_t hashes[8][TRACKER_HASH_LEN];
	const char *why;
	size_t n;
	struct buf out;

	if (!srv) {
		/* One known torrent: the hash "%01%23Eg%89%AB%CD%EF" repeated. */
		static const uint8_t h[20] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
					      0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
					      0xcd, 0xef, 0x01, 0x23, 0x45, 0x67};
		struct tracker_server_config cfg = {.max_peers_per_torrent = 500};
		srv = tracker_server_new(NULL, &cfg, NULL, NULL);
		tracker_server_set_clock(srv, fixed_clock, NULL);
		if (tracker_server_add_torrent(srv, h) != 0)
			__builtin_trap();
	}
	if (tracker_http_query_parse((const char *)data, size, &a, &why) == 0) {
		if (a.port == 0 || a.numwant > TRACKER_NUMWANT_MAX || a.left > TRACKER_BYTES_MAX)
			__builtin_trap();
	}
	(void)!tracker_http_scrape_parse((const char *)data, size, hashes, 8, &n, &why);
	from.sin_addr.s_addr = htonl(0x0a000000u | (size & 0xff));
	buf_init(&out, 64 * 1024);
	if (tracker_server_handle_announce(srv, (const char *)data, size, &from, &out) < 0)
		__builtin_trap();
	buf_reset(&out);
	if (tracker_server_handle_scrape(srv, (const char *)data, size, &out) < 0)
		__builtin_trap();
	buf_release(&out);
	return 0;
}
