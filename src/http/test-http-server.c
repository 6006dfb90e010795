/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The HTTP server in-process on 127.0.0.1: route registration rules, the
 * longest prefix winning, the file route beside other routes, and the file
 * callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http/server.h"
#include "util/util.h"

struct env {
	char root[64];
	struct event_base *base;
	struct http_server *srv;
	char last_rest[128];
	const char *last_route;
	int files, last_status;
	uint64_t last_bytes;
};

static void on_file(void *ctx, const struct http_file_info *info)
{
	struct env *e = ctx;

	e->files++;
	e->last_status = info->status;
	e->last_bytes = info->bytes;
}

static void reply(struct evhttp_request *req, struct env *e, const char *route, const char *rest)
{
	struct evbuffer *b = evbuffer_new();

	e->last_route = route;
	snprintf(e->last_rest, sizeof(e->last_rest), "%s", rest);
	evbuffer_add_printf(b, "%s", route);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void on_api(struct evhttp_request *req, const char *rest, void *ctx)
{
	reply(req, ctx, "api", rest);
}

static void on_status(struct evhttp_request *req, const char *rest, void *ctx)
{
	reply(req, ctx, "status", rest);
}

static int setup(void **state)
{
	static struct logger lg = {.fn = NULL};
	struct env *e = xcalloc(1, sizeof(*e));
	struct http_config cfg = {.address = "127.0.0.1", .port = 0};
	struct http_callbacks cbs = {.file = on_file, .ctx = e};
	char path[128];
	int fd;

	snprintf(e->root, sizeof(e->root), "/tmp/http-test-XXXXXX");
	assert_non_null(mkdtemp(e->root));
	snprintf(path, sizeof(path), "%s/hello", e->root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello world", 11), 11);
	close(fd);
	cfg.root = e->root;
	e->base = event_base_new();
	assert_int_equal(http_server_new(e->base, &cfg, &lg, &cbs, &e->srv), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	http_server_free(e->srv);
	event_base_free(e->base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->root);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* Sends one request with "Connection: close" and returns the whole
 * response (status line, headers, body) in out, running the loop. */
static void get(struct env *e, const char *method, const char *path, char *out, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(http_server_port(e->srv)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char req[256];
	size_t len = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", method,
		 path);
	for (int i = 0; i < 2000; i++) {
		ssize_t n;

		event_base_loop(e->base, EVLOOP_NONBLOCK);
		if (req[0]) {
			n = send(fd, req, strlen(req), MSG_NOSIGNAL);
			if (n == (ssize_t)strlen(req))
				req[0] = '\0';
		}
		n = recv(fd, out + len, cap - 1 - len, 0);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else
			usleep(500);
	}
	out[len] = '\0';
	close(fd);
}

static void test_routes(void **state)
{
	struct env *e = *state;
	char resp[2048];

	assert_int_equal(http_server_route(e->srv, "/api/", on_api, e), 0);
	assert_int_equal(http_server_route(e->srv, "/api/status", on_status, e), 0);
	assert_int_equal(http_server_route(e->srv, "/api/", on_api, e), -EEXIST);
	assert_int_equal(http_server_route(e->srv, "api", on_api, e), -EINVAL);
	assert_int_equal(http_server_route(e->srv, "/x", NULL, e), -EINVAL);

	get(e, "GET", "/api/status", resp, sizeof(resp));
	assert_non_null(strstr(resp, "200 OK"));
	assert_string_equal(e->last_route, "status");
	assert_string_equal(e->last_rest, "");

	/* "/api/status/x" is not the exact route: the subtree one wins. */
	get(e, "GET", "/api/status/x?q=1", resp, sizeof(resp));
	assert_string_equal(e->last_route, "api");
	assert_string_equal(e->last_rest, "status/x");

	get(e, "GET", "/hello", resp, sizeof(resp));
	assert_non_null(strstr(resp, "hello world"));
	assert_int_equal(e->files, 1);
	assert_int_equal(e->last_status, 200);
	assert_int_equal(e->last_bytes, 11);

	get(e, "HEAD", "/hello", resp, sizeof(resp));
	assert_non_null(strstr(resp, "Content-Length: 11"));
	assert_null(strstr(resp, "hello world"));

	get(e, "GET", "/nothing", resp, sizeof(resp));
	assert_non_null(strstr(resp, "404"));
	assert_int_equal(e->last_status, 404);
}

static void test_route_cap(void **state)
{
	struct env *e = *state;
	char prefix[32];
	int r = 0, n = 0;

	/* The file route holds one of the slots. */
	while (r == 0) {
		snprintf(prefix, sizeof(prefix), "/r%d", n++);
		r = http_server_route(e->srv, prefix, on_api, e);
	}
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(n - 1, HTTP_MAX_ROUTES - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_cap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
