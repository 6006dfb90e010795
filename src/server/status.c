/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fleet's views (JSON, Prometheus text, a terminal table) and the HTTP
 * handlers that serve them and take agent reports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http/server.h"
#include "server/status.h"
#include "util/parse.h"
#include "util/util.h"

/* Appends with buf_printf and returns from the caller on failure. */
#define OUT(...)                                                                                   \
	do {                                                                                       \
		int r_ = buf_printf(out, __VA_ARGS__);                                             \
		if (r_ < 0)                                                                        \
			return r_;                                                                 \
	} while (0)
#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int r_ = (expr);                                                                   \
		if (r_ < 0)                                                                        \
			return r_;                                                                 \
	} while (0)

/* ---- escaping ---- */

int status_json_string(struct buf *b, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	TRY(buf_append_u8(b, '"'));
	while (i < len) {
		size_t n = fleet_utf8_char(p + i, len - i);
		uint8_t c = p[i];

		if (n == 0) {
			TRY(buf_append_str(b, "\xef\xbf\xbd")); /* U+FFFD */
			i++;
			continue;
		}
		if (n > 1) {
			TRY(buf_append(b, p + i, n));
			i += n;
			continue;
		}
		i++;
		switch (c) {
		case '"': TRY(buf_append_str(b, "\\\"")); break;
		case '\\': TRY(buf_append_str(b, "\\\\")); break;
		case '\n': TRY(buf_append_str(b, "\\n")); break;
		case '\r': TRY(buf_append_str(b, "\\r")); break;
		case '\t': TRY(buf_append_str(b, "\\t")); break;
		default:
			/* '<' too, so the JSON can never close a <script> it
			 * might be pasted into. */
			if (c < 0x20 || c == 0x7f || c == '<')
				TRY(buf_printf(b, "\\u%04x", c));
			else
				TRY(buf_append_u8(b, c));
		}
	}
	return buf_append_u8(b, '"');
}

static int json_str(struct buf *b, const char *s)
{
	return status_json_string(b, s, strlen(s));
}

int status_prom_label(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': TRY(buf_append_str(b, "\\\\")); break;
		case '"': TRY(buf_append_str(b, "\\\"")); break;
		case '\n': TRY(buf_append_str(b, "\\n")); break;
		default: TRY(buf_append_u8(b, (uint8_t)*s));
		}
	}
	return 0;
}

/* ---- shared pieces ---- */

static void ip_format(char *out, size_t cap, struct in_addr ip)
{
	if (ip.s_addr == INADDR_ANY || !inet_ntop(AF_INET, &ip, out, (socklen_t)cap))
		out[0] = '\0';
}

/* "downloading 45%", "failed: reason", "booting (kexec)", ... */
static void phase_text(char *out, size_t cap, const struct fleet_machine *m)
{
	const char *name = fleet_phase_name(m->phase);

	switch (m->phase) {
	case FLEET_PHASE_DOWNLOADING: snprintf(out, cap, "%s %u%%", name, m->progress / 10); break;
	case FLEET_PHASE_FAILED: snprintf(out, cap, "%s: %s", name, m->error); break;
	case FLEET_PHASE_BOOTED:
		snprintf(out, cap, "%s%s%s%s", m->booting ? "booting" : name,
			 m->method[0] ? " (" : "", m->method, m->method[0] ? ")" : "");
		break;
	default: snprintf(out, cap, "%s", name);
	}
}

static int machine_cmp(const void *a, const void *b)
{
	const struct fleet_machine *x = *(const struct fleet_machine *const *)a;
	const struct fleet_machine *y = *(const struct fleet_machine *const *)b;
	uint32_t xi, yi;

	/* Machines known by MAC first, in MAC order, then bare addresses. */
	if (x->has_mac != y->has_mac)
		return x->has_mac ? -1 : 1;
	if (x->has_mac)
		return memcmp(x->mac, y->mac, 6);
	xi = ntohl(x->ip.s_addr);
	yi = ntohl(y->ip.s_addr);
	return xi < yi ? -1 : xi > yi;
}

/* The machines in display order; the caller frees the array. */
static const struct fleet_machine **sorted_machines(const struct fleet *f, size_t *n)
{
	const struct fleet_machine **v = xcalloc(fleet_count(f) + 1, sizeof(*v));
	size_t i = 0;

	for (const struct fleet_machine *m = fleet_next(f, NULL); m; m = fleet_next(f, m))
		v[i++] = m;
	qsort(v, i, sizeof(*v), machine_cmp);
	*n = i;
	return v;
}

static void count_phases(const struct fleet *f, size_t counts[FLEET_PHASE_COUNT])
{
	memset(counts, 0, sizeof(size_t) * FLEET_PHASE_COUNT);
	for (const struct fleet_machine *m = fleet_next(f, NULL); m; m = fleet_next(f, m))
		counts[m->phase]++;
}

/* How many whole images the server sent: 1.0 is the ideal of BitTorrent
 * with super-seeding, N the cost of N clients served centrally. */
static double server_copies(const struct fleet *f)
{
	uint64_t image = fleet_image_bytes(f);

	return image ? (double)fleet_swarm(f)->server_upload / (double)image : 0.0;
}

/* ---- JSON ---- */

static int json_machine(struct buf *out, const struct fleet *f, const struct fleet_machine *m)
{
	char mac[18] = "", ip[INET_ADDRSTRLEN], text[FLEET_ERROR_SIZE + 32], hash[41] = "";

	if (m->has_mac)
		fleet_mac_format(mac, m->mac);
	ip_format(ip, sizeof(ip), m->ip);
	if (m->has_torrent)
		hex_encode(hash, m->info_hash, 20);
	OUT("{\"key\":");
	if (m->has_mac)
		TRY(json_str(out, mac));
	else
		OUT("\"ip:%s\"", ip);
	OUT(",\"mac\":");
	TRY(json_str(out, mac));
	OUT(",\"ip\":");
	TRY(json_str(out, ip));
	OUT(",\"hostname\":");
	TRY(json_str(out, m->hostname));
	OUT(",\"arch\":");
	TRY(json_str(out, m->arch));
	OUT(",\"vendor_class\":");
	TRY(json_str(out, m->vendor_class));
	OUT(",\"os\":");
	TRY(json_str(out, m->os));
	OUT(",\"method\":");
	TRY(json_str(out, m->method));
	OUT(",\"phase\":\"%s\",\"booting\":%s,\"phase_text\":", fleet_phase_name(m->phase),
	    m->booting ? "true" : "false");
	phase_text(text, sizeof(text), m);
	TRY(json_str(out, text));
	OUT(",\"error\":");
	TRY(json_str(out, m->error));
	OUT(",\"progress\":%u,\"rate\":%" PRIu64 ",\"up_rate\":%" PRIu64 ",\"peers\":%d",
	    m->progress, m->rate, m->up_rate, m->peers);
	OUT(",\"info_hash\":\"%s\",\"left\":%" PRIu64 ",\"total\":%" PRIu64 ",\"uploaded\":%" PRIu64
	    ",\"downloaded\":%" PRIu64,
	    hash, m->left, m->total, m->uploaded, m->downloaded);
	if (m->agent_counts)
		OUT(",\"from_server\":%" PRIu64 ",\"from_peers\":%" PRIu64, m->from_server,
		    m->from_peers);
	else
		OUT(",\"from_server\":null,\"from_peers\":null");
	OUT(",\"last_file\":");
	TRY(json_str(out, m->last_file));
	OUT(",\"last_proto\":\"%s\",\"files\":%u,\"file_bytes\":%" PRIu64,
	    m->last_proto == FLEET_PROTO_HTTP ? "http" : "tftp", m->files, m->file_bytes);
	OUT(",\"first_seen\":%" PRId64 ",\"last_seen\":%" PRId64 ",\"phase_since\":%" PRId64 "}",
	    m->first_seen, m->last_seen, m->phase_since);
	return 0;
}

int status_render_json(const struct fleet *f, struct buf *out)
{
	const struct fleet_swarm *sw = fleet_swarm(f);
	struct fleet_sample *hist = xcalloc(FLEET_HISTORY, sizeof(*hist));
	size_t counts[FLEET_PHASE_COUNT], nhist, n = 0;
	const struct fleet_machine **v;
	uint64_t from_server = 0, from_peers = 0;
	int64_t end;
	int r = 0;

	count_phases(f, counts);
	nhist = fleet_history(f, hist, FLEET_HISTORY, &end);
	v = sorted_machines(f, &n);
	/* What the agents themselves say they got from where: exact, where
	 * the tracker's counters are an estimate, but only for machines still
	 * in the model that run our agent. */
	for (size_t i = 0; i < n; i++)
		if (v[i]->agent_counts) {
			from_server += v[i]->from_server;
			from_peers += v[i]->from_peers;
		}
	r = buf_printf(out,
		       "{\"version\":\"%s\",\"now\":%" PRId64 ",\"summary\":{\"machines\":%zu"
		       ",\"phases\":{",
		       BT_VERSION, fleet_now(f), fleet_count(f));
	for (int p = 0; r == 0 && p < FLEET_PHASE_COUNT; p++)
		r = buf_printf(out, "%s\"%s\":%zu", p ? "," : "", fleet_phase_name(p), counts[p]);
	if (r == 0)
		r = buf_printf(
			out,
			"},\"server_upload_bytes\":%" PRIu64 ",\"peer_exchange_bytes\":%" PRIu64
			",\"peer_download_bytes\":%" PRIu64 ",\"boot_file_bytes\":%" PRIu64
			",\"image_bytes\":%" PRIu64 ",\"server_copies\":%.3f"
			",\"reports\":%" PRIu64 ",\"reports_rejected\":%" PRIu64
			",\"evicted\":%" PRIu64 ",\"agents_from_server_bytes\":%" PRIu64
			",\"agents_from_peers_bytes\":%" PRIu64 "},\"torrents\":[",
			sw->server_upload, sw->peer_upload, sw->peer_download, sw->boot_file_bytes,
			fleet_image_bytes(f), server_copies(f), sw->reports, sw->reports_rejected,
			sw->evicted, from_server, from_peers);
	for (size_t i = 0; r == 0 && i < fleet_torrent_count(f); i++) {
		const struct fleet_torrent *t = fleet_torrent_at(f, i);
		char hash[41];

		hex_encode(hash, t->info_hash, 20);
		r = buf_printf(out, "%s{\"info_hash\":\"%s\",\"name\":", i ? "," : "", hash);
		if (r == 0)
			r = json_str(out, t->name);
		if (r == 0)
			r = buf_printf(out, ",\"size\":%" PRIu64 "}", t->size);
	}
	if (r == 0)
		r = buf_append_str(out, "],\"machines\":[");
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = i ? buf_append_u8(out, ',') : 0;
		if (r == 0)
			r = json_machine(out, f, v[i]);
	}
	if (r == 0)
		r = buf_printf(out,
			       "],\"throughput\":{\"interval_ms\":1000,\"end\":%" PRId64
			       ",\"server\":[",
			       end);
	for (size_t i = 0; r == 0 && i < nhist; i++)
		r = buf_printf(out, "%s%" PRIu64, i ? "," : "", hist[i].server);
	if (r == 0)
		r = buf_append_str(out, "],\"peers\":[");
	for (size_t i = 0; r == 0 && i < nhist; i++)
		r = buf_printf(out, "%s%" PRIu64, i ? "," : "", hist[i].peers);
	if (r == 0)
		r = buf_append_str(out, "]},\"log\":[");
	for (size_t i = 0; r == 0 && i < fleet_log_count(f); i++) {
		r = i ? buf_append_u8(out, ',') : 0;
		if (r == 0)
			r = json_str(out, fleet_log_line(f, i));
	}
	if (r == 0)
		r = buf_append_str(out, "]}\n");
	free(v);
	free(hist);
	return r;
}

/* ---- Prometheus ---- */

static int prom_head(struct buf *out, const char *name, const char *type, const char *help)
{
	OUT("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	return 0;
}

static int prom_machine_labels(struct buf *out, const struct fleet_machine *m)
{
	char mac[18] = "", ip[INET_ADDRSTRLEN];

	if (m->has_mac)
		fleet_mac_format(mac, m->mac);
	ip_format(ip, sizeof(ip), m->ip);
	OUT("{mac=\"%s\",ip=\"%s\",hostname=\"", mac, ip);
	TRY(status_prom_label(out, m->hostname));
	OUT("\",os=\"");
	TRY(status_prom_label(out, m->os));
	OUT("\",phase=\"%s\"}", fleet_phase_name(m->phase));
	return 0;
}

int status_render_metrics(const struct fleet *f, struct buf *out)
{
	const struct fleet_swarm *sw = fleet_swarm(f);
	size_t counts[FLEET_PHASE_COUNT], n = 0;
	const struct fleet_machine **v;
	static const struct {
		const char *name, *help;
		size_t off;
	} gauges[] = {
		{"boottorrent_machine_progress_ratio", "Share of the OS each machine has.", 0},
		{"boottorrent_machine_download_rate_bytes",
		 "Bytes per second each machine receives.", 1},
		{"boottorrent_machine_upload_rate_bytes", "Bytes per second each machine sends.",
		 2},
	};

	count_phases(f, counts);
	TRY(prom_head(out, "boottorrent_machines", "gauge", "Machines by boot phase."));
	for (int p = 0; p < FLEET_PHASE_COUNT; p++)
		OUT("boottorrent_machines{phase=\"%s\"} %zu\n", fleet_phase_name(p), counts[p]);
	TRY(prom_head(out, "boottorrent_server_upload_bytes_total", "counter",
		      "Bytes the server's seeder uploaded."));
	OUT("boottorrent_server_upload_bytes_total %" PRIu64 "\n", sw->server_upload);
	TRY(prom_head(out, "boottorrent_peer_exchange_bytes_total", "counter",
		      "Bytes clients uploaded to each other, as they report to the tracker."));
	OUT("boottorrent_peer_exchange_bytes_total %" PRIu64 "\n", sw->peer_upload);
	TRY(prom_head(out, "boottorrent_peer_download_bytes_total", "counter",
		      "Bytes clients downloaded from anyone, as they report to the tracker."));
	OUT("boottorrent_peer_download_bytes_total %" PRIu64 "\n", sw->peer_download);
	TRY(prom_head(out, "boottorrent_boot_file_bytes_total", "counter",
		      "Boot file bytes sent over TFTP and HTTP."));
	OUT("boottorrent_boot_file_bytes_total %" PRIu64 "\n", sw->boot_file_bytes);
	TRY(prom_head(out, "boottorrent_image_bytes", "gauge",
		      "Total size of the torrents seen: one copy."));
	OUT("boottorrent_image_bytes %" PRIu64 "\n", fleet_image_bytes(f));
	TRY(prom_head(out, "boottorrent_agent_reports_total", "counter",
		      "Agent reports received, by result."));
	OUT("boottorrent_agent_reports_total{result=\"accepted\"} %" PRIu64 "\n"
	    "boottorrent_agent_reports_total{result=\"rejected\"} %" PRIu64 "\n",
	    sw->reports, sw->reports_rejected);
	TRY(prom_head(out, "boottorrent_machines_evicted_total", "counter",
		      "Machine records dropped to stay under the cap."));
	OUT("boottorrent_machines_evicted_total %" PRIu64 "\n", sw->evicted);

	v = sorted_machines(f, &n);
	for (size_t g = 0; g < ARRAY_SIZE(gauges); g++) {
		int r = prom_head(out, gauges[g].name, "gauge", gauges[g].help);

		for (size_t i = 0; r == 0 && i < n; i++) {
			r = buf_append_str(out, gauges[g].name);
			if (r == 0)
				r = prom_machine_labels(out, v[i]);
			if (r == 0 && gauges[g].off == 0)
				r = buf_printf(out, " %u.%03u\n", v[i]->progress / 1000,
					       v[i]->progress % 1000);
			else if (r == 0)
				r = buf_printf(out, " %" PRIu64 "\n",
					       gauges[g].off == 1 ? v[i]->rate : v[i]->up_rate);
		}
		if (r < 0) {
			free(v);
			return r;
		}
	}
	free(v);
	return 0;
}

/* ---- the terminal table ---- */

/* Appends s cut or padded to exactly w columns (a UTF-8 character counts as
 * one column, which holds for the scripts hostnames and OS names use). */
static int cell(struct buf *out, const char *s, size_t w)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s), i = 0, cols = 0;

	while (i < len && cols < w) {
		size_t n = fleet_utf8_char(p + i, len - i);

		if (n == 0)
			n = 1;
		if (cols + 1 == w && i + n < len) {
			/* Show that the text goes on. */
			TRY(buf_append_u8(out, '~'));
			cols++;
			i = len;
			break;
		}
		TRY(buf_append(out, p + i, n));
		i += n;
		cols++;
	}
	for (; cols < w; cols++)
		TRY(buf_append_u8(out, ' '));
	return buf_append_str(out, "  ");
}

static void rate_text(char *out, size_t cap, uint64_t rate)
{
	char b[32];

	if (!rate)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%s/s", fmt_bytes(b, sizeof(b), rate));
}

int status_render_text(const struct fleet *f, unsigned width, struct buf *out)
{
	enum { W_MAC = 17, W_IP = 15, W_PHASE = 18, W_RATE = 12, W_SPLIT = 21, W_PEERS = 5 };
	const struct fleet_swarm *sw = fleet_swarm(f);
	size_t counts[FLEET_PHASE_COUNT], n = 0, w_host, w_os, bar;
	const struct fleet_machine **v;
	char b1[32], b2[32], b3[32];
	bool first = true;
	int r = 0;

	if (width < STATUS_TEXT_MIN_WIDTH)
		width = STATUS_TEXT_MIN_WIDTH;
	if (width > STATUS_TEXT_MAX_WIDTH)
		width = STATUS_TEXT_MAX_WIDTH;
	/* Columns beyond the fixed ones go to the host and OS names and the
	 * bar; on a narrow terminal lines are simply long. */
	{
		size_t fixed = W_MAC + W_IP + W_PHASE + W_RATE + W_SPLIT + W_PEERS + 2 * 8 + 7;
		size_t spare = width > fixed ? width - fixed : 0;

		w_host = MIN(MAX(spare / 4, 6), 20);
		w_os = MIN(MAX(spare / 4, 6), 20);
		spare = spare > w_host + w_os ? spare - w_host - w_os : 0;
		bar = MIN(MAX(spare, 10), 40);
	}
	count_phases(f, counts);
	OUT("%zu machine%s", fleet_count(f), fleet_count(f) == 1 ? "" : "s");
	for (int p = 0; p < FLEET_PHASE_COUNT; p++) {
		if (!counts[p])
			continue;
		OUT("%s%zu %s", first ? ": " : ", ", counts[p], fleet_phase_name(p));
		first = false;
	}
	OUT("\nserver sent %s, peers exchanged %s; one copy is %s, the server sent %.2f copies\n\n",
	    fmt_bytes(b1, sizeof(b1), sw->server_upload),
	    fmt_bytes(b2, sizeof(b2), sw->peer_upload),
	    fmt_bytes(b3, sizeof(b3), fleet_image_bytes(f)), server_copies(f));
	v = sorted_machines(f, &n);
	{
		/* What the agents say they received, from where (exact, where
		 * the line above comes from the tracker's counters). */
		uint64_t fs = 0, fp = 0;
		size_t nag = 0;

		for (size_t i = 0; i < n; i++)
			if (v[i]->agent_counts) {
				fs += v[i]->from_server;
				fp += v[i]->from_peers;
				nag++;
			}
		if (nag)
			r = buf_printf(out,
				       "agents received %s from the server and %s between peers "
				       "(%zu machine%s)\n\n",
				       fmt_bytes(b1, sizeof(b1), fs), fmt_bytes(b2, sizeof(b2), fp),
				       nag, nag == 1 ? "" : "s");
		if (r < 0) {
			free(v);
			return r;
		}
	}
	if (r == 0)
		r = cell(out, "MACHINE", W_MAC);
	if (r == 0)
		r = cell(out, "IP", W_IP);
	if (r == 0)
		r = cell(out, "HOST", w_host);
	if (r == 0)
		r = cell(out, "OS", w_os);
	if (r == 0)
		r = cell(out, "PHASE", W_PHASE);
	if (r == 0)
		r = cell(out, "PROGRESS", bar + 7);
	if (r == 0)
		r = cell(out, "RATE", W_RATE);
	if (r == 0)
		r = cell(out, "FROM SERVER/PEERS", W_SPLIT);
	if (r == 0)
		r = buf_append_str(out, "PEERS\n");

	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct fleet_machine *m = v[i];
		char key[24], ip[INET_ADDRSTRLEN], ph[FLEET_ERROR_SIZE + 32], rt[40], peers[16];
		char bartext[64], split[48];
		size_t full = (size_t)m->progress * bar / 1000;

		if (m->has_mac)
			fleet_mac_format(key, m->mac);
		else
			snprintf(key, sizeof(key), "(address only)");
		ip_format(ip, sizeof(ip), m->ip);
		phase_text(ph, sizeof(ph), m);
		rate_text(rt, sizeof(rt), m->rate);
		if (m->agent_counts)
			snprintf(split, sizeof(split), "%s / %s",
				 fmt_bytes(b1, sizeof(b1), m->from_server),
				 fmt_bytes(b2, sizeof(b2), m->from_peers));
		else
			snprintf(split, sizeof(split), "-");
		snprintf(peers, sizeof(peers), m->peers >= 0 ? "%d" : "-", m->peers);
		bartext[0] = '[';
		for (size_t k = 0; k < bar; k++)
			bartext[1 + k] = k < full ? '#' : '.';
		snprintf(bartext + 1 + bar, sizeof(bartext) - 1 - bar, "] %3u%%", m->progress / 10);
		r = cell(out, key, W_MAC);
		if (r == 0)
			r = cell(out, ip, W_IP);
		if (r == 0)
			r = cell(out, m->hostname, w_host);
		if (r == 0)
			r = cell(out, m->os, w_os);
		if (r == 0)
			r = cell(out, ph, W_PHASE);
		if (r == 0)
			r = cell(out, bartext, bar + 7);
		if (r == 0)
			r = cell(out, rt, W_RATE);
		if (r == 0)
			r = cell(out, split, W_SPLIT);
		if (r == 0)
			r = buf_printf(out, "%s\n", peers);
	}
	free(v);
	TRY(r);
	if (fleet_log_count(f)) {
		size_t nlog = fleet_log_count(f), from = nlog > 5 ? nlog - 5 : 0;

		OUT("\nlog:\n");
		for (size_t i = from; i < nlog; i++)
			OUT("  %s\n", fleet_log_line(f, i));
	}
	return 0;
}

/* ---- HTTP ---- */

static void reply_buf(struct evhttp_request *req, int code, const char *type, struct buf *b)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *eb = evbuffer_new();

	if (!eb || evbuffer_add(eb, b->data ? (const void *)b->data : "", b->len) < 0) {
		evbuffer_free(eb);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, code, code == 200 ? "OK" : NULL, eb);
	evbuffer_free(eb);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	struct buf b;

	buf_init(&b, 4096);
	if (buf_printf(&b, "%s\n", msg) < 0)
		buf_reset(&b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; charset=utf-8");
	{
		struct evbuffer *eb = evbuffer_new();

		if (eb && evbuffer_add(eb, b.data ? (const void *)b.data : "", b.len) == 0)
			evhttp_send_reply(req, code, reason, eb);
		else
			evhttp_send_error(req, HTTP_INTERNAL, NULL);
		evbuffer_free(eb);
	}
	buf_release(&b);
}

/* Views answer GET and HEAD only. */
static bool method_get(struct evhttp_request *req)
{
	enum evhttp_cmd_type c = evhttp_request_get_command(req);

	if (c == EVHTTP_REQ_GET || c == EVHTTP_REQ_HEAD)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
	reply_text(req, 405, "Method Not Allowed", "use GET");
	return false;
}

/* Renders one view of the fleet for a request (which may carry options). */
typedef int (*render_fn)(const struct fleet *f, struct evhttp_request *req, struct buf *out);

static void serve_view(struct evhttp_request *req, const char *rest, struct fleet *f, render_fn fn,
		       const char *type)
{
	struct buf b;

	if (rest[0]) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (!method_get(req))
		return;
	buf_init(&b, STATUS_MAX_OUTPUT);
	if (fn(f, req, &b) < 0)
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	else
		reply_buf(req, 200, type, &b);
	buf_release(&b);
}

static unsigned query_width(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL, *w;
	struct evkeyvalq kv = {0};
	unsigned width = 100;
	uint64_t v;

	if (!q || evhttp_parse_query_str(q, &kv) < 0)
		return width;
	w = evhttp_find_header(&kv, "width");
	if (w && parse_u64_str(w, STATUS_TEXT_MAX_WIDTH, &v) == 0)
		width = (unsigned)v;
	evhttp_clear_headers(&kv);
	return width;
}

static int render_json(const struct fleet *f, struct evhttp_request *req, struct buf *out)
{
	(void)req;
	return status_render_json(f, out);
}

static int render_metrics(const struct fleet *f, struct evhttp_request *req, struct buf *out)
{
	(void)req;
	return status_render_metrics(f, out);
}

static int render_text(const struct fleet *f, struct evhttp_request *req, struct buf *out)
{
	return status_render_text(f, query_width(req), out);
}

static void on_json(struct evhttp_request *req, const char *rest, void *ctx)
{
	serve_view(req, rest, ctx, render_json, "application/json");
}

static void on_metrics(struct evhttp_request *req, const char *rest, void *ctx)
{
	serve_view(req, rest, ctx, render_metrics, "text/plain; version=0.0.4; charset=utf-8");
}

static void on_text(struct evhttp_request *req, const char *rest, void *ctx)
{
	serve_view(req, rest, ctx, render_text, "text/plain; charset=utf-8");
}

static void on_page(struct evhttp_request *req, const char *rest, void *ctx)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *eb;

	if (rest[0]) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (!method_get(req))
		return;
	eb = evbuffer_new();
	if (!eb ||
	    evbuffer_add_reference(eb, status_page_html, status_page_html_len, NULL, NULL) < 0) {
		evbuffer_free(eb);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* The page uses nothing but itself and the API next to it. */
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'none'; script-src 'unsafe-inline'; "
			  "style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:");
	evhttp_send_reply(req, HTTP_OK, "OK", eb);
	evbuffer_free(eb);
}

static void on_report(struct evhttp_request *req, const char *rest, void *ctx)
{
	struct fleet *f = ctx;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *type =
		evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	size_t len = in ? evbuffer_get_length(in) : 0;
	struct sockaddr_in peer;
	const char *why = NULL;
	char body[FLEET_REPORT_MAX];
	int r;

	if (rest[0]) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		reply_text(req, 405, "Method Not Allowed", "use POST");
		return;
	}
	if (type && strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0 &&
	    strncasecmp(type, "application/json", 16) != 0) {
		reply_text(req, 415, "Unsupported Media Type",
			   "send application/json or application/x-www-form-urlencoded");
		return;
	}
	if (len > sizeof(body)) {
		reply_text(req, 413, "Payload Too Large", "report too large");
		return;
	}
	if (evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	peer = http_request_peer(req);
	r = fleet_agent_report(f, body, len, peer.sin_addr, &why);
	if (r == FLEET_E_TOO_BIG) {
		reply_text(req, 413, "Payload Too Large", why ? why : "report too large");
		return;
	}
	if (r != 0) {
		reply_text(req, 400, "Bad Request", why ? why : "bad report");
		return;
	}
	evhttp_send_reply(req, 204, "No Content", NULL);
}

int status_routes_add(struct http_server *srv, struct fleet *f, bool root_page)
{
	static const struct {
		const char *prefix;
		http_handler_fn fn;
	} routes[] = {
		{"/status", on_page},	  {"/api/status", on_json},   {"/api/status.txt", on_text},
		{"/metrics", on_metrics}, {"/api/report", on_report},
	};

	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		TRY(http_server_route(srv, routes[i].prefix, routes[i].fn, f));
	if (root_page)
		TRY(http_server_route(srv, "/", on_page, f));
	return 0;
}
