/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzzes the client's parser of HTTP announce replies (bencode). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tracker/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tracker_reply r;
	int e = tracker_http_reply_parse(data, size, &r);

	if (r.n_peers > TRACKER_REPLY_PEERS_MAX || strlen(r.failure) > TRACKER_MESSAGE_MAX ||
	    strlen(r.warning) > TRACKER_MESSAGE_MAX)
		__builtin_trap();
	if (e == TRACKER_E_FAILURE && r.n_peers != 0)
		__builtin_trap();
	return 0;
}
