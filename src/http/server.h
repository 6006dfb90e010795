/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The HTTP/1.1 server on libevent's evhttp: boot files for iPXE and UEFI
 * HTTP boot (GET, HEAD, single byte ranges, keep-alive, bodies sent with
 * sendfile through evbuffer file segments), and a small router so the
 * server role can add its own handlers on the same port (status page, JSON
 * API, tracker announce).
 *
 * Routes are URL path prefixes; the longest registered prefix that matches
 * wins. A prefix ending in '/' matches everything below it; other prefixes
 * match exactly. File serving, when cfg->root is set, is the route at
 * cfg->file_prefix (default "/").
 *
 * Limits: header size, body size, an idle timeout per connection (against
 * slowloris), and a cap on connections that have sent a request (beyond it
 * requests get 503 and the connection is closed).
 *
 * Services do not print: the server logs through the logger it is given
 * (component "HTTP") and reports served files through callbacks.
 */
#ifndef BT_HTTP_SERVER_H
#define BT_HTTP_SERVER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "util/log.h"
#include "util/util.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct http_server;

#define HTTP_DEFAULT_MAX_CONNECTIONS 256
#define HTTP_DEFAULT_IDLE_TIMEOUT_S 30
#define HTTP_DEFAULT_MAX_HEADERS 8192
#define HTTP_DEFAULT_MAX_BODY 65536
/* Routes an http_server holds at most. */
#define HTTP_MAX_ROUTES 32

struct http_config {
	const char *root;	  /* folder served; NULL serves no files */
	const char *file_prefix;  /* URL prefix of the files; NULL = "/" */
	const char *address;	  /* IPv4 address to listen on; NULL = 0.0.0.0 */
	uint16_t port;		  /* 0 picks an ephemeral port (tests); use 80 */
	unsigned max_connections; /* 0 = HTTP_DEFAULT_MAX_CONNECTIONS */
	unsigned idle_timeout_s;  /* 0 = HTTP_DEFAULT_IDLE_TIMEOUT_S */
	size_t max_headers_size;  /* 0 = HTTP_DEFAULT_MAX_HEADERS */
	size_t max_body_size;	  /* 0 = HTTP_DEFAULT_MAX_BODY */
};

/* A file request, as the fleet view wants it. Pointers are valid during
 * the call only. */
struct http_file_info {
	struct sockaddr_in client;
	const char *path; /* relative to the root, decoded */
	int status;	  /* 200, 206, 404, ... */
	uint64_t size;	  /* file size, or UINT64_MAX when not opened */
	uint64_t bytes;	  /* body bytes queued for sending */
	int head;	  /* 1 for HEAD */
};

struct http_callbacks {
	/* Called once per file request, after the reply is handed to evhttp. */
	void (*file)(void *ctx, const struct http_file_info *info);
	void *ctx;
};

/* A route handler. rest is the URL path after the prefix, without the
 * query and still percent-encoded (http_path_decode it when it names a
 * file). The handler must answer req (evhttp_send_reply or
 * evhttp_send_error). */
typedef void (*http_handler_fn)(struct evhttp_request *req, const char *rest, void *ctx);

/* Binds and starts serving on base. cfg is copied; lg and cbs (may be NULL)
 * must outlive the server. Returns 0 and *out, or a negative errno (the
 * reason, with advice for EACCES and EADDRINUSE, is logged). */
int http_server_new(struct event_base *base, const struct http_config *cfg, const struct logger *lg,
		    const struct http_callbacks *cbs, struct http_server **out) WUR;

/* Closes the listener and every connection. NULL is a no-op. */
void http_server_free(struct http_server *srv);

uint16_t http_server_port(const struct http_server *srv);

/* Adds a route. prefix is copied. Returns 0, -EEXIST for a prefix already
 * routed, -ENOSPC past HTTP_MAX_ROUTES, -EINVAL unless prefix starts with
 * '/'. */
int http_server_route(struct http_server *srv, const char *prefix, http_handler_fn fn,
		      void *ctx) WUR;

/* The evhttp underneath, for what the router does not cover (for example
 * evhttp_set_allowed_methods). Owned by srv. */
struct evhttp *http_server_evhttp(struct http_server *srv);

/* The client address of a request (0.0.0.0:0 when unknown). */
struct sockaddr_in http_request_peer(struct evhttp_request *req);

#endif
