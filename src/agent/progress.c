/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "agent/progress.h"
#include "util/util.h"

/* Peer ids the server's address used, to recognise its seeder elsewhere. */
#define MAX_SERVER_IDS 8

void agent_bytes_classify(const struct bt_peer_bytes *v, size_t n, uint64_t total,
			  const struct in_addr *server, struct agent_bytes_split *out)
{
	const uint8_t *ids[MAX_SERVER_IDS];
	size_t nids = 0;
	uint64_t sum = 0, srv = 0;

	for (size_t i = 0; server && i < n; i++)
		if (v[i].addr.s_addr == server->s_addr && v[i].has_id && nids < MAX_SERVER_IDS)
			ids[nids++] = v[i].peer_id;
	for (size_t i = 0; i < n; i++) {
		bool is_srv = server && v[i].addr.s_addr == server->s_addr;

		for (size_t j = 0; !is_srv && v[i].has_id && j < nids; j++)
			is_srv = memcmp(v[i].peer_id, ids[j], 20) == 0;
		sum += v[i].down;
		if (is_srv)
			srv += v[i].down;
	}
	/* The engine's total also holds bytes from connections without an
	 * address entry; those are peers (the server's entry is never
	 * dropped). A total below the sum cannot happen, but must not wrap. */
	out->from_server = srv;
	out->from_peers = MAX(total, sum) - srv;
}

void agent_stall_init(struct agent_stall *s, int64_t now_ms, uint64_t received)
{
	*s = (struct agent_stall){.last_bytes = received, .last_change = now_ms};
}

enum agent_stall_event agent_stall_update(struct agent_stall *s, int64_t now_ms, uint64_t received,
					  bool complete)
{
	bool grew = received > s->last_bytes;

	if (grew) {
		s->last_bytes = received;
		s->last_change = now_ms;
	}
	if (s->stalled && (grew || complete)) {
		s->stalled = false;
		return AGENT_STALL_RESUMED;
	}
	if (!s->stalled && !complete && now_ms - s->last_change >= AGENT_STALL_AFTER_MS) {
		s->stalled = true;
		s->stalled_since = now_ms;
		return AGENT_STALL_STARTED;
	}
	return AGENT_STALL_NONE;
}

int64_t agent_stall_seconds(const struct agent_stall *s, int64_t now_ms)
{
	if (!s->stalled)
		return 0;
	return (now_ms - s->last_change) / 1000;
}
