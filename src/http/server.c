/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The HTTP server: evhttp with a prefix router in front, and the file route.
 * Parsing of Range headers and paths is in parse.c; this file owns sockets
 * and replies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http/parse.h"
#include "http/server.h"
#include "util/path.h"
#include "util/util.h"

#define COMP "HTTP"
/* The longest decoded file path we look at. */
#define HTTP_PATH_MAX 1024

struct http_route {
	char *prefix;
	size_t len;
	bool subtree; /* the prefix ends in '/' */
	http_handler_fn fn;
	void *ctx;
};

struct http_server {
	struct event_base *base;
	struct http_config cfg;
	const struct logger *lg;
	struct http_callbacks cbs;
	struct evhttp *http;
	int root_fd;
	uint16_t port;
	struct http_route routes[HTTP_MAX_ROUTES];
	size_t nroutes;
	/* Connections that have sent a request, for the connection cap. */
	struct evhttp_connection **conns;
	unsigned nconns;
	struct log_ratelimit bad_log;
};

/* Complaints about bad requests logged per second; the rest are counted. */
#define BAD_LOG_PER_SEC 10

#define lg_(srv, lvl, ...) logger_log((srv)->lg, lvl, COMP, __VA_ARGS__)

/* Logs a warning about a bad request, at most BAD_LOG_PER_SEC a second, so
 * a flood of them cannot fill the log. */
static void PRINTF_LIKE(2, 3) log_bad(struct http_server *srv, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logger_warn_limited(srv->lg, &srv->bad_log, BAD_LOG_PER_SEC, COMP, "bad requests", "%s", msg);
}

struct sockaddr_in http_request_peer(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;
	struct sockaddr_in sin = {.sin_family = AF_INET};

	if (sa && sa->sa_family == AF_INET)
		memcpy(&sin, sa, sizeof(sin));
	return sin;
}

static const char *peer_str(struct evhttp_request *req, char *buf, size_t len)
{
	struct sockaddr_in sin = http_request_peer(req);
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sin.sin_port));
	return buf;
}

/* ---- connection cap ---- */

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
	struct http_server *srv = arg;

	for (unsigned i = 0; i < srv->nconns; i++) {
		if (srv->conns[i] == evcon) {
			srv->conns[i] = srv->conns[--srv->nconns];
			return;
		}
	}
}

/* Counts the request's connection; false when it is new and over the cap.
 * Connections are counted from their first request on, because evhttp
 * tells us nothing before; idle ones are closed by the idle timeout. */
static bool conn_admit(struct http_server *srv, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	if (!evcon)
		return false;
	for (unsigned i = 0; i < srv->nconns; i++)
		if (srv->conns[i] == evcon)
			return true;
	if (srv->nconns >= srv->cfg.max_connections)
		return false;
	srv->conns[srv->nconns++] = evcon;
	evhttp_connection_set_closecb(evcon, on_conn_close, srv);
	return true;
}

/* ---- router ---- */

int http_server_route(struct http_server *srv, const char *prefix, http_handler_fn fn, void *ctx)
{
	struct http_route *r;

	if (!prefix || prefix[0] != '/' || !fn)
		return -EINVAL;
	for (size_t i = 0; i < srv->nroutes; i++)
		if (strcmp(srv->routes[i].prefix, prefix) == 0)
			return -EEXIST;
	if (srv->nroutes == HTTP_MAX_ROUTES)
		return -ENOSPC;
	r = &srv->routes[srv->nroutes++];
	r->prefix = xstrdup(prefix);
	r->len = strlen(prefix);
	r->subtree = prefix[r->len - 1] == '/';
	r->fn = fn;
	r->ctx = ctx;
	return 0;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct http_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const struct http_route *best = NULL;
	char who[32];

	if (!conn_admit(srv, req)) {
		log_bad(srv, "%s: over %u connections, answered 503",
			peer_str(req, who, sizeof(who)), srv->cfg.max_connections);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
		evhttp_send_error(req, 503, "Service Unavailable");
		return;
	}
	if (!path || path[0] != '/') {
		evhttp_send_error(req, HTTP_BADREQUEST, NULL);
		return;
	}
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct http_route *r = &srv->routes[i];
		bool match = r->subtree ? strncmp(path, r->prefix, r->len) == 0
					: strcmp(path, r->prefix) == 0;
		if (match && (!best || r->len > best->len))
			best = r;
	}
	if (!best) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	best->fn(req, path + best->len, best->ctx);
}

/* ---- the file route ---- */

static const char *method_name(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_POST: return "POST";
	default: return "other";
	}
}

static void report(struct http_server *srv, struct evhttp_request *req, const char *path,
		   int status, uint64_t size, uint64_t bytes, bool head)
{
	struct http_file_info info = {
		.client = http_request_peer(req),
		.path = path,
		.status = status,
		.size = size,
		.bytes = bytes,
		.head = head,
	};
	char who[32];

	logger_log(srv->lg, status < 400 ? LOG_INFO : LOG_DEBUG, COMP, "%s: %s /%s %d (%llu bytes)",
		   peer_str(req, who, sizeof(who)), method_name(req), path, status,
		   (unsigned long long)bytes);
	if (srv->cbs.file)
		srv->cbs.file(srv->cbs.ctx, &info);
}

static void file_error(struct http_server *srv, struct evhttp_request *req, const char *path,
		       int status, bool head)
{
	evhttp_send_error(req, status, NULL);
	report(srv, req, path, status, UINT64_MAX, 0, head);
}

static void http_date(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void on_file(struct evhttp_request *req, const char *rest, void *arg)
{
	struct http_server *srv = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	bool head = cmd == EVHTTP_REQ_HEAD;
	uint64_t size, start = 0, len = 0;
	enum http_range_result range;
	char rel[HTTP_PATH_MAX], hdr[96];
	struct evbuffer *body;
	struct stat st;
	int fd, r, status;

	if (cmd != EVHTTP_REQ_GET && !head) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		file_error(srv, req, rest, 405, head);
		return;
	}
	r = http_path_decode(rest, rel, sizeof(rel));
	if (r != 0) {
		char who[32];
		log_bad(srv, "%s: refused path '%.200s' (%s)", peer_str(req, who, sizeof(who)),
			rest, r == HTTP_PATH_TRAVERSAL ? "traversal" : "malformed");
		file_error(srv, req, rest, r == HTTP_PATH_TRAVERSAL ? 403 : HTTP_BADREQUEST, head);
		return;
	}
	if (rel[0] == '\0') {
		file_error(srv, req, rel, HTTP_NOTFOUND, head); /* no folder listings */
		return;
	}
	fd = path_open_beneath(srv->root_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		status = fd == -ENOENT || fd == -ENOTDIR || fd == -ENAMETOOLONG ? HTTP_NOTFOUND
			 : fd == -EXDEV || fd == -ELOOP || fd == -EACCES || fd == -EPERM
				 ? 403
				 : HTTP_INTERNAL;
		if (status == 403) {
			char who[32];
			log_bad(srv, "%s: refused /%s: outside the root or not readable",
				peer_str(req, who, sizeof(who)), rel);
		}
		file_error(srv, req, rel, status, head);
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		file_error(srv, req, rel, HTTP_NOTFOUND, head);
		return;
	}
	size = (uint64_t)st.st_size;

	/* With If-Range we would have to compare validators; sending the
	 * whole file instead is always correct. */
	if (evhttp_find_header(in, "If-Range"))
		range = HTTP_RANGE_NONE;
	else
		range = http_range_parse(evhttp_find_header(in, "Range"), size, &start, &len);

	evhttp_add_header(out, "Accept-Ranges", "bytes");
	http_date(hdr, sizeof(hdr), st.st_mtime);
	evhttp_add_header(out, "Last-Modified", hdr);
	if (range == HTTP_RANGE_UNSATISFIABLE) {
		close(fd);
		snprintf(hdr, sizeof(hdr), "bytes */%llu", (unsigned long long)size);
		evhttp_add_header(out, "Content-Range", hdr);
		evhttp_add_header(out, "Content-Length", "0");
		evhttp_send_reply(req, 416, "Range Not Satisfiable", NULL);
		report(srv, req, rel, 416, size, 0, head);
		return;
	}
	if (range == HTTP_RANGE_OK) {
		status = 206;
		snprintf(hdr, sizeof(hdr), "bytes %llu-%llu/%llu", (unsigned long long)start,
			 (unsigned long long)(start + len - 1), (unsigned long long)size);
		evhttp_add_header(out, "Content-Range", hdr);
	} else {
		status = HTTP_OK;
		start = 0;
		len = size;
	}
	evhttp_add_header(out, "Content-Type", "application/octet-stream");

	if (head || len == 0) {
		close(fd);
		/* evhttp leaves Content-Length to us for HEAD. */
		snprintf(hdr, sizeof(hdr), "%llu", (unsigned long long)len);
		evhttp_add_header(out, "Content-Length", hdr);
		evhttp_send_reply(req, status, status == 206 ? "Partial Content" : "OK", NULL);
		report(srv, req, rel, status, size, 0, head);
		return;
	}

	body = evbuffer_new();
	if (body) {
		/* A file segment is sent with sendfile(): the bytes go from
		 * the page cache to the socket without passing through us.
		 * libevent only makes a sendfile chain in a buffer marked as
		 * draining to a socket; evhttp moves our chains into the
		 * connection's buffer, which is one. The segment owns fd from
		 * here on. */
		evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD);
		struct evbuffer_file_segment *seg = evbuffer_file_segment_new(
			fd, (ev_off_t)start, (ev_off_t)len, EVBUF_FS_CLOSE_ON_FREE);
		if (!seg) {
			close(fd);
		} else {
			r = evbuffer_add_file_segment(body, seg, 0, (ev_off_t)len);
			evbuffer_file_segment_free(seg);
			if (r == 0) {
				evhttp_send_reply(req, status,
						  status == 206 ? "Partial Content" : "OK", body);
				evbuffer_free(body);
				report(srv, req, rel, status, size, len, head);
				return;
			}
		}
		evbuffer_free(body);
	} else {
		close(fd);
	}
	file_error(srv, req, rel, HTTP_INTERNAL, head);
}

/* ---- setup ---- */

static int listen_open(struct http_server *srv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(srv->cfg.port)};
	socklen_t salen = sizeof(sa);
	int one = 1, fd, e;

	if (srv->cfg.address && inet_pton(AF_INET, srv->cfg.address, &sa.sin_addr) != 1) {
		lg_(srv, LOG_ERROR, "'%s' is not an IPv4 address", srv->cfg.address);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* TCP only: lets a restarted server bind while old connections sit
	 * in TIME_WAIT. Two live listeners still cannot share the port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		if (e == EACCES)
			lg_(srv, LOG_ERROR,
			    "cannot bind TCP port %u: permission denied; ports below 1024 need "
			    "root or the capability: run as root or "
			    "`setcap cap_net_bind_service+ep <program>`",
			    srv->cfg.port);
		else if (e == EADDRINUSE)
			lg_(srv, LOG_ERROR,
			    "cannot bind TCP port %u: another server already holds it (see "
			    "`ss -tlpn 'sport = :%u'`), or choose another port",
			    srv->cfg.port, srv->cfg.port);
		else
			lg_(srv, LOG_ERROR, "cannot bind TCP port %u: %s", srv->cfg.port,
			    strerror(e));
		errno = e;
		goto fail;
	}
	if (listen(fd, 128) < 0 || getsockname(fd, (struct sockaddr *)&sa, &salen) < 0)
		goto fail;
	srv->port = ntohs(sa.sin_port);
	if (!evhttp_accept_socket_with_handle(srv->http, fd)) {
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	e = -errno;
	close(fd);
	return e;
}

int http_server_new(struct event_base *base, const struct http_config *cfg, const struct logger *lg,
		    const struct http_callbacks *cbs, struct http_server **out)
{
	struct http_server *srv;
	int r;

	*out = NULL;
	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->cfg = *cfg;
	srv->lg = lg;
	srv->root_fd = -1;
	if (cbs)
		srv->cbs = *cbs;
	if (!srv->cfg.max_connections)
		srv->cfg.max_connections = HTTP_DEFAULT_MAX_CONNECTIONS;
	if (!srv->cfg.idle_timeout_s)
		srv->cfg.idle_timeout_s = HTTP_DEFAULT_IDLE_TIMEOUT_S;
	if (!srv->cfg.max_headers_size)
		srv->cfg.max_headers_size = HTTP_DEFAULT_MAX_HEADERS;
	if (!srv->cfg.max_body_size)
		srv->cfg.max_body_size = HTTP_DEFAULT_MAX_BODY;
	srv->conns = xcalloc(srv->cfg.max_connections, sizeof(*srv->conns));

	srv->http = evhttp_new(base);
	if (!srv->http) {
		r = -ENOMEM;
		goto fail;
	}
	evhttp_set_max_headers_size(srv->http, (ev_ssize_t)srv->cfg.max_headers_size);
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)srv->cfg.max_body_size);
	evhttp_set_timeout(srv->http, (int)srv->cfg.idle_timeout_s);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_gencb(srv->http, on_request, srv);

	if (cfg->root) {
		srv->root_fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (srv->root_fd < 0) {
			r = -errno;
			lg_(srv, LOG_ERROR, "cannot open the HTTP root %s: %s", cfg->root,
			    strerror(-r));
			goto fail;
		}
		r = http_server_route(srv, cfg->file_prefix ? cfg->file_prefix : "/", on_file, srv);
		if (r < 0)
			goto fail;
	}
	r = listen_open(srv);
	if (r < 0)
		goto fail;
	lg_(srv, LOG_INFO, "serving %s on %s:%u", cfg->root ? cfg->root : "(no files)",
	    cfg->address ? cfg->address : "0.0.0.0", srv->port);
	*out = srv;
	return 0;
fail:
	http_server_free(srv);
	return r;
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->http)
		evhttp_free(srv->http);
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	for (size_t i = 0; i < srv->nroutes; i++)
		free(srv->routes[i].prefix);
	free(srv->conns);
	free(srv);
}

uint16_t http_server_port(const struct http_server *srv)
{
	return srv->port;
}

struct evhttp *http_server_evhttp(struct http_server *srv)
{
	return srv->http;
}
