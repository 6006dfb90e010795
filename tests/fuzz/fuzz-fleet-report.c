/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes the agent report parser and the views of what it accepts. The
 * oracles: an accepted report holds only printable, valid UTF-8 text in
 * its fields and in-range numbers; the same bytes fed as a DHCP hostname
 * and a log line are cleaned; the JSON of the resulting fleet is a single
 * object ending in "}\n" with no raw control characters, and escaping the
 * raw input as a JSON string gives no raw control characters either.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/fleet.h"
#include "server/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t fixed_clock(void *ctx)
{
	return 1700000000000;
}

static void check_text(const char *s, size_t cap)
{
	size_t len = strnlen(s, cap);
	const uint8_t *p = (const uint8_t *)s;

	if (len == cap)
		abort();
	for (size_t i = 0; i < len;) {
		size_t n = fleet_utf8_char(p + i, len - i);

		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)))
			abort();
		i += n;
	}
}

static void check_json(const struct buf *b)
{
	if (b->len < 3 || b->data[0] != '{' || b->data[b->len - 2] != '}' ||
	    b->data[b->len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < b->len; i++)
		if (b->data[i] < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_opts o = {.max_machines = 4, .now_ms = fixed_clock};
	struct fleet_report r;
	struct fleet *f;
	const char *why = NULL;
	struct buf b;
	char *text;
	int ret;

	ret = fleet_report_parse((const char *)data, size, &r, &why);
	if (ret != 0 && (!why || (ret != FLEET_E_MALFORMED && ret != FLEET_E_TOO_BIG)))
		abort();
	f = fleet_new(&o);
	if (ret == 0) {
		if (why || r.phase < FLEET_PHASE_PHASE1 || r.phase > FLEET_PHASE_FAILED ||
		    r.progress > 1000 || r.progress < -1)
			abort();
		check_text(r.os, sizeof(r.os));
		check_text(r.method, sizeof(r.method));
		check_text(r.error, sizeof(r.error));
		check_text(r.hostname, sizeof(r.hostname));
		fleet_report_apply(f, &r, (struct in_addr){htonl(0x0a000005)});
	}
	/* The same bytes as untrusted strings from other services. */
	text = xmemdup0(data, size);
	{
		const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
		uint8_t hash[20] = {0};

		fleet_dhcp(f, mac, (struct in_addr){htonl(0x0a000006)}, size ? data[0] : -1, text,
			   text, FLEET_DHCP_ACK);
		fleet_tracker(f, (struct in_addr){htonl(0x0a000007)}, 6881, hash, text, size,
			      size * 2, size, 0, FLEET_TRACKER_NONE);
		fleet_boot_file(f, (struct in_addr){htonl(0x0a000006)}, text, FLEET_PROTO_TFTP,
				size, true);
		fleet_log(f, text);
		for (const struct fleet_machine *m = fleet_next(f, NULL); m; m = fleet_next(f, m)) {
			check_text(m->hostname, sizeof(m->hostname));
			check_text(m->vendor_class, sizeof(m->vendor_class));
			check_text(m->os, sizeof(m->os));
			check_text(m->last_file, sizeof(m->last_file));
		}
		check_text(fleet_log_line(f, fleet_log_count(f) - 1), FLEET_LOG_LINE_MAX + 1);
	}
	buf_init(&b, STATUS_MAX_OUTPUT);
	if (status_render_json(f, &b) != 0)
		abort();
	check_json(&b);
	buf_reset(&b);
	if (status_render_metrics(f, &b) != 0 || status_render_text(f, 80, &b) != 0)
		abort();
	buf_reset(&b);
	if (status_json_string(&b, (const char *)data, size) != 0)
		abort();
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] < 0x20)
			abort();
	buf_release(&b);
	free(text);
	fleet_free(f);
	return 0;
}
