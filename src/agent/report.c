/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/report.h"
#include "util/util.h"

const char *agent_phase_name(enum agent_phase p)
{
	switch (p) {
	case AGENT_PHASE_MENU: return "menu";
	case AGENT_PHASE_DOWNLOADING: return "downloading";
	case AGENT_PHASE_SEEDING: return "seeding";
	case AGENT_PHASE_BOOTING: return "booting";
	case AGENT_PHASE_FAILED: return "failed";
	}
	return "failed";
}

/* A JSON string; control characters and non-ASCII bytes are escaped so the
 * body is valid whatever the strings hold (they come from config files and
 * error messages). Long strings are cut at 512 bytes. */
static int json_str(struct buf *b, const char *key, const char *s)
{
	int r = buf_printf(b, ",\"%s\":", key);

	if (r)
		return r;
	if (!s)
		return buf_append_str(b, "null");
	r = buf_append_u8(b, '"');
	for (size_t i = 0; r == 0 && s[i] && i < 512; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			r = buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			r = buf_printf(b, "\\u%04x", c);
		else
			r = buf_append_u8(b, c);
	}
	return r ? r : buf_append_u8(b, '"');
}

int agent_report_json(const struct agent_report *r, struct buf *out)
{
	double p = r->progress;
	int e;

	if (!(p >= 0))
		p = 0;
	if (p > 1)
		p = 1;
	e = buf_printf(out, "{\"v\":1");
	if (!e)
		e = json_str(out, "mac", r->mac);
	if (!e)
		e = json_str(out, "ip", r->ip);
	if (!e)
		e = json_str(out, "phase", agent_phase_name(r->phase));
	if (!e)
		e = json_str(out, "os", r->os);
	if (!e)
		e = json_str(out, "method", r->method);
	if (!e)
		e = buf_printf(out, ",\"progress\":%.4f", p);
	if (!e)
		e = json_str(out, "error", r->error);
	if (!e)
		e = buf_printf(out,
			       ",\"have_bytes\":%llu,\"total_bytes\":%llu,\"downloaded\":%llu,"
			       "\"uploaded\":%llu,\"rate_down\":%.0f,\"rate_up\":%.0f,\"peers\":%u",
			       (unsigned long long)r->have_bytes,
			       (unsigned long long)r->total_bytes,
			       (unsigned long long)r->downloaded, (unsigned long long)r->uploaded,
			       r->rate_down >= 0 ? r->rate_down : 0,
			       r->rate_up >= 0 ? r->rate_up : 0, r->peers);
	if (!e) {
		if (r->from_server == UINT64_MAX)
			e = buf_append_str(out, ",\"from_server\":null,\"from_peers\":null");
		else
			e = buf_printf(out, ",\"from_server\":%llu,\"from_peers\":%llu",
				       (unsigned long long)r->from_server,
				       (unsigned long long)r->from_peers);
	}
	if (!e)
		e = buf_append_str(out, "}");
	return e;
}

struct agent_reporter {
	struct event_base *base;
	struct evhttp_connection *conn;
	char host[INET_ADDRSTRLEN];
	uint16_t port;
	bool enabled;
	bool in_flight;
	bool pending;
	struct buf next; /* the body waiting for the request in flight */
	uint32_t ok, failed;
};

static void post(struct agent_reporter *rp);

static void on_done(struct evhttp_request *req, void *ctx)
{
	struct agent_reporter *rp = ctx;
	int code = req ? evhttp_request_get_response_code(req) : 0;

	if (code >= 200 && code < 300)
		rp->ok++;
	else
		rp->failed++;
	rp->in_flight = false;
	if (rp->pending)
		post(rp);
}

static void post(struct agent_reporter *rp)
{
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char hostport[INET_ADDRSTRLEN + 8];

	rp->pending = false;
	if (!rp->conn) {
		rp->conn = evhttp_connection_base_new(rp->base, NULL, rp->host, rp->port);
		if (!rp->conn) {
			rp->failed++;
			return;
		}
		evhttp_connection_set_timeout(rp->conn, 2);
		evhttp_connection_set_retries(rp->conn, 0);
	}
	req = evhttp_request_new(on_done, rp);
	if (!req) {
		rp->failed++;
		return;
	}
	h = evhttp_request_get_output_headers(req);
	snprintf(hostport, sizeof(hostport), "%s:%u", rp->host, rp->port);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Connection", "keep-alive");
	evbuffer_add(evhttp_request_get_output_buffer(req), rp->next.data, rp->next.len);
	buf_reset(&rp->next);
	/* evhttp frees req on failure too, and calls on_done when it can. */
	if (evhttp_make_request(rp->conn, req, EVHTTP_REQ_POST, AGENT_REPORT_PATH) != 0) {
		rp->failed++;
		return;
	}
	rp->in_flight = true;
}

struct agent_reporter *agent_reporter_new(struct event_base *base, const struct in_addr *server,
					  uint16_t port)
{
	struct agent_reporter *rp = xcalloc(1, sizeof(*rp));

	rp->base = base;
	rp->port = port;
	buf_init(&rp->next, AGENT_REPORT_MAX);
	if (server && server->s_addr != 0 && port != 0) {
		rp->enabled = true;
		inet_ntop(AF_INET, server, rp->host, sizeof(rp->host));
	}
	return rp;
}

void agent_reporter_free(struct agent_reporter *rp)
{
	if (!rp)
		return;
	if (rp->conn)
		evhttp_connection_free(rp->conn);
	buf_release(&rp->next);
	free(rp);
}

void agent_reporter_send(struct agent_reporter *rp, const struct agent_report *r)
{
	if (!rp || !rp->enabled)
		return;
	buf_reset(&rp->next);
	if (agent_report_json(r, &rp->next) != 0) {
		buf_reset(&rp->next);
		return;
	}
	rp->pending = true;
	if (!rp->in_flight)
		post(rp);
}

static void noop_cb(evutil_socket_t fd, short what, void *ctx)
{
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void agent_reporter_flush(struct agent_reporter *rp, uint32_t timeout_ms)
{
	int64_t end = mono_ms() + timeout_ms;

	if (!rp)
		return;
	/* Bounded: each round waits at most 50 ms for the loop. */
	while ((rp->in_flight || rp->pending) && mono_ms() < end) {
		/* A timer of our own bounds each round; event_base_loopexit()
		 * would stay armed and end the caller's next loop early. */
		struct timeval tv = {0, 50000};
		struct event *wake = evtimer_new(rp->base, noop_cb, NULL);

		if (!wake)
			break;
		evtimer_add(wake, &tv);
		event_base_loop(rp->base, EVLOOP_ONCE);
		event_free(wake);
	}
}

void agent_reporter_counts(const struct agent_reporter *rp, uint32_t *ok, uint32_t *failed)
{
	*ok = rp ? rp->ok : 0;
	*failed = rp ? rp->failed : 0;
}
