/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The views of the fleet model: the status page, its JSON API, Prometheus
 * metrics, a plain-text table for `boottorrent status`, and the endpoint
 * agents report to. Renderers are pure functions from the model to a
 * struct buf, unit-tested without sockets; status_routes_add() puts them
 * on an http_server.
 *
 * Routes:
 *   GET  /status           the page (HTML, inline CSS and JS, no outside
 *                          resources); it polls /api/status every second
 *   GET  /api/status       the model as JSON (see docs/status.md)
 *   GET  /api/status.txt   the terminal table; ?width=N (40..400)
 *   GET  /metrics          Prometheus text format 0.0.4
 *   POST /api/report       an agent report (form-urlencoded, at most
 *                          FLEET_REPORT_MAX bytes): 204, or 400/413 with
 *                          the reason as text
 */
#ifndef BT_SERVER_STATUS_H
#define BT_SERVER_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "server/fleet.h"
#include "util/buf.h"
#include "util/util.h"

struct http_server;

/* Renderer output is capped: 10,000 machines fit with room to spare. */
#define STATUS_MAX_OUTPUT ((size_t)32 << 20)
/* Terminal table widths accepted. */
#define STATUS_TEXT_MIN_WIDTH 40
#define STATUS_TEXT_MAX_WIDTH 400

/* Appends s[0..len) as a JSON string, quotes included: '"', '\\' and
 * control characters escaped, invalid UTF-8 replaced by U+FFFD, so the
 * output is always valid JSON. 0 or -E2BIG. */
int status_json_string(struct buf *b, const char *s, size_t len) WUR;

/* Appends s as a Prometheus label value, without the quotes: '\\', '"'
 * and newline escaped. 0 or -E2BIG. */
int status_prom_label(struct buf *b, const char *s) WUR;

/* The views. Each appends to out; 0 or -E2BIG. They read the model only:
 * throughput samples come from the server's one-second fleet_tick timer
 * (ticking on requests would split a second's bytes between samples). */
int status_render_json(const struct fleet *f, struct buf *out) WUR;
int status_render_metrics(const struct fleet *f, struct buf *out) WUR;
/* The table `boottorrent status` prints, width columns wide. */
int status_render_text(const struct fleet *f, unsigned width, struct buf *out) WUR;

/* The page, embedded at build time from src/server/www/index.html. */
extern const unsigned char status_page_html[];
extern const size_t status_page_html_len;

/* Registers the routes above on srv, serving f (which must outlive srv).
 * With root_page the page is also served at "/" (for a server that serves
 * no files there). 0 or the negative errno of http_server_route. */
int status_routes_add(struct http_server *srv, struct fleet *f, bool root_page) WUR;

#endif
