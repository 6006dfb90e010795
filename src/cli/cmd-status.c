/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `boottorrent status`: asks a running server for its fleet table
 * (/api/status.txt, rendered by the server so the page, the API and the
 * terminal agree) or its JSON (/api/status) and prints it.
 *
 * The HTTP client is a plain blocking socket with poll() timeouts and a
 * bounded reader: one short request, HTTP/1.0 so the answer is neither
 * chunked nor kept alive, at most STATUS_CLIENT_MAX bytes, at most
 * STATUS_CLIENT_TIMEOUT_MS in all. What the server sends is filtered before
 * it reaches the terminal, so no escape sequence gets through.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "server/fleet.h"
#include "util/buf.h"
#include "util/parse.h"
#include "util/util.h"

#define STATUS_CLIENT_MAX ((size_t)32 << 20)
#define STATUS_CLIENT_TIMEOUT_MS 10000
#define STATUS_WATCH_INTERVAL_S 2

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline. 0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int r;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_to(const char *host, const char *port, int64_t deadline, int *out)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res, *ai;
	int r = -EHOSTUNREACH, fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -ENOENT;
	for (ai = res; ai; ai = ai->ai_next) {
		int err = 0;
		socklen_t elen = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			r = wait_fd(fd, POLLOUT, deadline);
			if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 &&
			    err == 0)
				break;
			if (r == 0)
				r = -(err ? err : ECONNREFUSED);
		} else {
			r = -errno;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return r;
	*out = fd;
	return 0;
}

/* GETs path from host:port into body (the body only). Returns 0, a
 * negative errno, or the HTTP status when it is not 200 (with *why). */
static int http_get(const char *host, const char *port, const char *path, struct buf *body,
		    const char **why)
{
	int64_t deadline = mono_ms() + STATUS_CLIENT_TIMEOUT_MS;
	struct buf req, resp;
	const char *hdr_end, *p;
	size_t sent = 0;
	int fd = -1, r;
	uint64_t code;

	*why = NULL;
	r = connect_to(host, port, deadline, &fd);
	if (r < 0)
		return r;
	buf_init(&req, 4096);
	buf_init(&resp, STATUS_CLIENT_MAX);
	r = buf_printf(&req,
		       "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: boottorrent/%s\r\n"
		       "Accept: */*\r\nConnection: close\r\n\r\n",
		       path, host, BT_VERSION);
	while (r == 0 && sent < req.len) {
		ssize_t n = send(fd, req.data + sent, req.len - sent, MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno == EAGAIN)
			r = wait_fd(fd, POLLOUT, deadline);
		else if (n < 0 && errno != EINTR)
			r = -errno;
	}
	while (r == 0) {
		ssize_t n;

		r = buf_reserve(&resp, 65536);
		if (r < 0) {
			*why = "the answer is too large";
			break;
		}
		n = recv(fd, resp.data + resp.len, 65536, 0);
		if (n > 0) {
			resp.len += (size_t)n;
			resp.data[resp.len] = '\0';
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN) {
			r = wait_fd(fd, POLLIN, deadline);
		} else if (errno != EINTR) {
			r = -errno;
		}
	}
	close(fd);
	buf_release(&req);
	if (r < 0)
		goto out;
	r = -EPROTO;
	*why = "not an HTTP answer";
	if (resp.len < 12 || memcmp(resp.data, "HTTP/1.", 7) != 0 || resp.data[8] != ' ' ||
	    parse_u64((const char *)resp.data + 9, 3, 999, &code) < 0)
		goto out;
	hdr_end = memmem(resp.data, resp.len, "\r\n\r\n", 4);
	if (!hdr_end)
		goto out;
	/* An HTTP/1.0 request gets no chunked answer from a correct server. */
	for (p = (const char *)resp.data; p < hdr_end; p++)
		if (strncasecmp(p, "\ntransfer-encoding:", 19) == 0) {
			*why = "unexpected Transfer-Encoding";
			goto out;
		}
	hdr_end += 4;
	r = buf_append(body, hdr_end, resp.len - (size_t)(hdr_end - (const char *)resp.data));
	if (r == 0 && code != 200) {
		*why = "the server refused";
		r = (int)code;
	} else if (r == 0) {
		*why = NULL;
	}
out:
	buf_release(&resp);
	return r;
}

/* Writes text to f, dropping what a terminal would act on: control
 * characters but newline and tab, invalid UTF-8 and C1 controls. */
static void print_clean(FILE *f, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = fleet_utf8_char(p + i, len - i);

		if (n == 0 || (n == 1 && p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') ||
		    (n == 1 && p[i] == 0x7f) || (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			i++;
			continue;
		}
		fwrite(p + i, 1, n, f);
		i += n;
	}
}

static unsigned terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 120;
}

/* Splits HOST:PORT (or [V6]:PORT, or HOST alone: port 80). */
static int split_server(const char *s, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon;
	uint64_t v;
	size_t hlen;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -1;
		hlen = (size_t)(end - s - 1);
		s++;
		colon = end[1] ? end + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		hlen = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hlen == 0 || hlen >= hcap)
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (!colon) {
		snprintf(port, pcap, "80");
		return 0;
	}
	if (parse_u64_str(colon + 1, 65535, &v) < 0 || v == 0)
		return -1;
	snprintf(port, pcap, "%u", (unsigned)v);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: boottorrent status [--server HOST:PORT] [--json] [--watch]\n"
		"Shows the machines a running `boottorrent start` sees: each one's phase,\n"
		"download progress, rate and peers, and what the server and the peers sent.\n\n"
		"  -s, --server HOST:PORT  the server's HTTP address (default 127.0.0.1:8080)\n"
		"  -j, --json              print /api/status as JSON instead of the table\n"
		"  -w, --watch             redraw every %d seconds until interrupted\n"
		"  -h, --help              show this help\n",
		STATUS_WATCH_INTERVAL_S);
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"server", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"watch", no_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *server = "127.0.0.1:8080";
	bool json = false, watch = false, tty = isatty(STDOUT_FILENO);
	char host[256], port[8], path[64];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "s:jwh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'j': json = true; break;
		case 'w': watch = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_usage_error("status", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
	if (split_server(server, host, sizeof(host), port, sizeof(port)) < 0)
		return cli_usage_error("status", "--server wants HOST:PORT, not '%s'", server);
	for (;;) {
		struct buf body;
		const char *why;
		int r;

		if (json)
			snprintf(path, sizeof(path), "/api/status");
		else
			snprintf(path, sizeof(path), "/api/status.txt?width=%u", terminal_width());
		buf_init(&body, STATUS_CLIENT_MAX);
		r = http_get(host, port, path, &body, &why);
		if (r != 0) {
			if (r > 0)
				fprintf(stderr, "boottorrent status: %s:%s%s: HTTP %d (%s)\n", host,
					port, path, r, why);
			else
				fprintf(stderr, "boottorrent status: %s:%s: %s%s%s\n", host, port,
					why ? why : strerror(-r), why ? ": " : "",
					why ? strerror(-r) : "");
			buf_release(&body);
			if (!watch)
				return EXIT_FAIL;
		} else {
			if (watch && tty)
				fputs("\033[H\033[2J", stdout);
			print_clean(stdout, body.data, body.len);
			fflush(stdout);
			buf_release(&body);
		}
		if (!watch)
			return EXIT_OK;
		sleep(STATUS_WATCH_INTERVAL_S);
	}
}
