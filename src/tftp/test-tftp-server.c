/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TFTP server in-process on 127.0.0.1, driven by a raw UDP client
 * socket: refusals, the duplicate-ACK rule, ACKs for unsent blocks, third
 * TIDs, timeouts, OACK clamping, windows with block number rollover,
 * netascii, the shared file table, progress that outlasts the timeout and
 * files that shrink mid-transfer. Every test runs twice: with the
 * transfers on the caller's event loop (workers = 1) and on two transfer
 * threads; then many clients at once fetch several files over several
 * threads, checking contents, limits and that callbacks come on the
 * caller's thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "tftp/packet.h"
#include "tftp/server.h"
#include "util/cursor.h"
#include "util/util.h"

struct env {
	char root[64];
	char outside[64];
	struct event_base *base;
	struct tftp_server *srv;
	int cli;
	struct sockaddr_in srv_addr;
	unsigned ev_count[4];
	pthread_t thread;      /* the caller's */
	unsigned wrong_thread; /* callbacks that came on another thread */
	/* Running transfers per client address (127.0.0.x) and in all, as
	 * the callbacks tell them, and the most seen at once. */
	unsigned running[256], running_all, max_running[256], max_running_all;
	char order[64]; /* the first events as letters: S, D, F, R */
	size_t n_order;
};

/* The transfer threads the server under test is made with. */
static unsigned g_workers = 1;
/* Transfer threads send one sendmsg per packet, as without io_uring. */
static bool g_no_batch;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_event(void *ctx, enum tftp_event ev, const struct tftp_xfer_info *info)
{
	struct env *e = ctx;
	unsigned a = ntohl(info->client.sin_addr.s_addr) & 255;

	e->ev_count[ev]++;
	if (e->n_order + 1 < sizeof(e->order))
		e->order[e->n_order++] = "SDFR"[ev];
	if (!pthread_equal(pthread_self(), e->thread))
		e->wrong_thread++;
	if (ev == TFTP_EV_START) {
		e->running[a]++;
		e->running_all++;
		e->max_running[a] = MAX(e->max_running[a], e->running[a]);
		e->max_running_all = MAX(e->max_running_all, e->running_all);
	} else if (ev != TFTP_EV_REFUSED) {
		e->running[a]--;
		e->running_all--;
	}
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int udp_socket(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void log_sink(void *ctx, enum log_level lvl, const char *comp, const char *msg)
{
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "%s: %s\n", comp, msg);
}

static int setup_cfg(void **state, struct tftp_config cfg)
{
	static struct logger lg = {.fn = log_sink, .level = LOG_DEBUG};
	struct env *e = xcalloc(1, sizeof(*e));
	struct tftp_callbacks cbs = {.event = on_event, .ctx = e};
	char target[128];
	uint8_t big[3000];

	snprintf(e->root, sizeof(e->root), "/tmp/tftp-test-XXXXXX");
	snprintf(e->outside, sizeof(e->outside), "/tmp/tftp-out-XXXXXX");
	assert_non_null(mkdtemp(e->root));
	assert_non_null(mkdtemp(e->outside));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 256);
	write_file(e->root, "big", big, sizeof(big));
	write_file(e->root, "empty", "", 0);
	write_file(e->root, "text", "one\ntwo\r\n", 9);
	write_file(e->outside, "secret", "secret", 6);
	snprintf(target, sizeof(target), "%s/secret", e->outside);
	{
		char link[128];
		snprintf(link, sizeof(link), "%s/escape", e->root);
		assert_int_equal(symlink(target, link), 0);
	}

	e->base = event_base_new();
	assert_non_null(e->base);
	e->thread = pthread_self();
	cfg.root = e->root;
	cfg.workers = g_workers;
	cfg.no_batch = g_no_batch;
	assert_int_equal(tftp_server_new(e->base, &cfg, &lg, &cbs, &e->srv), 0);
	assert_int_equal(tftp_server_workers(e->srv), g_workers);
	e->srv_addr.sin_family = AF_INET;
	e->srv_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e->srv_addr.sin_port = htons(tftp_server_port(e->srv));
	e->cli = udp_socket();
	*state = e;
	return 0;
}

static int setup(void **state)
{
	struct tftp_config cfg = {
		.address = "127.0.0.1",
		.port = 0,
		.timeout_ms = 150,
		.retries = 2,
		.max_per_client = 4,
	};
	return setup_cfg(state, cfg);
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[200];

	tftp_server_free(e->srv);
	event_base_free(e->base);
	close(e->cli);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", e->root, e->outside);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(e->wrong_thread, 0);
	free(e);
	return 0;
}

/* Runs the loop until a datagram reaches fd or ms pass. Returns its length,
 * or -1 on timeout. */
static ssize_t recv_pkt(struct env *e, int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from,
			unsigned ms)
{
	uint64_t end = now_ms() + ms;

	do {
		socklen_t fl = sizeof(*from);
		ssize_t n;

		event_base_loop(e->base, EVLOOP_NONBLOCK);
		n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)from, &fl);
		if (n >= 0)
			return n;
		usleep(200);
	} while (now_ms() < end);
	return -1;
}

/* Runs the loop until the callback for ev has come n times, or 2 s pass:
 * with transfer threads, callbacks reach the caller's loop a little after
 * the client sees the packets. */
static void wait_events(struct env *e, enum tftp_event ev, unsigned n)
{
	uint64_t end = now_ms() + 2000;

	while (e->ev_count[ev] < n && now_ms() < end) {
		event_base_loop(e->base, EVLOOP_NONBLOCK);
		usleep(200);
	}
	assert_int_equal(e->ev_count[ev], n);
}

static void send_to(int fd, const struct sockaddr_in *to, const void *p, size_t n)
{
	assert_int_equal(sendto(fd, p, n, 0, (const struct sockaddr *)to, sizeof(*to)), (ssize_t)n);
}

static void send_ack(int fd, const struct sockaddr_in *to, uint16_t block)
{
	uint8_t a[4] = {0, 4, (uint8_t)(block >> 8), (uint8_t)block};
	send_to(fd, to, a, 4);
}

/* Sends a request with option pairs (a NULL-terminated list). */
static void send_req(struct env *e, uint16_t op, const char *file, const char *mode, ...)
{
	uint8_t p[512];
	size_t n = 2;
	const char *s;
	va_list ap;

	p[0] = 0;
	p[1] = (uint8_t)op;
	memcpy(p + n, file, strlen(file) + 1);
	n += strlen(file) + 1;
	memcpy(p + n, mode, strlen(mode) + 1);
	n += strlen(mode) + 1;
	va_start(ap, mode);
	while ((s = va_arg(ap, const char *))) {
		memcpy(p + n, s, strlen(s) + 1);
		n += strlen(s) + 1;
	}
	va_end(ap);
	send_to(e->cli, &e->srv_addr, p, n);
}

static void expect_error(struct env *e, uint16_t code)
{
	uint8_t buf[600];
	struct sockaddr_in from;
	ssize_t n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);

	assert_true(n >= 4);
	assert_int_equal(tftp_packet_opcode(buf, (size_t)n), TFTP_ERROR);
	assert_int_equal(get_u16be(buf + 2), code);
}

static void test_refusals(void **state)
{
	struct env *e = *state;
	struct tftp_stats st;

	send_req(e, TFTP_WRQ, "new", "octet", NULL);
	expect_error(e, TFTP_ERR_ACCESS);
	send_req(e, TFTP_RRQ, "missing", "octet", NULL);
	expect_error(e, TFTP_ERR_NOT_FOUND);
	send_req(e, TFTP_RRQ, "pxelinux.cfg/01-52-54-00-12-34-56", "octet", NULL);
	expect_error(e, TFTP_ERR_NOT_FOUND);
	send_req(e, TFTP_RRQ, "../etc/passwd", "octet", NULL);
	expect_error(e, TFTP_ERR_ACCESS);
	send_req(e, TFTP_RRQ, "/../../etc/passwd", "octet", NULL);
	expect_error(e, TFTP_ERR_ACCESS);
	send_req(e, TFTP_RRQ, "escape", "octet", NULL);
	expect_error(e, TFTP_ERR_ACCESS);
	send_req(e, TFTP_RRQ, "big", "mail", NULL);
	expect_error(e, TFTP_ERR_ILLEGAL_OP);
	send_req(e, TFTP_RRQ, ".", "octet", NULL); /* a folder */
	expect_error(e, TFTP_ERR_NOT_FOUND);
	/* No NUL after the filename. */
	send_to(e->cli, &e->srv_addr,
		"\x00\x01"
		"abc",
		5);
	expect_error(e, TFTP_ERR_ILLEGAL_OP);
	/* An ACK on the request port is dropped without an answer. */
	send_ack(e->cli, &e->srv_addr, 1);
	{
		uint8_t buf[64];
		struct sockaddr_in from;
		assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &from, 100), -1);
	}
	tftp_server_stats(e->srv, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.refused, 8);
	assert_int_equal(e->ev_count[TFTP_EV_REFUSED], 8);
}

/* Block 1 of "big" with the default blksize; then the ACK rules. */
static void test_ack_rules(void **state)
{
	struct env *e = *state;
	struct sockaddr_in xfer, from;
	uint8_t buf[600];
	ssize_t n;
	int other;

	send_req(e, TFTP_RRQ, "/big", "octet", NULL); /* leading '/' is stripped */
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &xfer, 1000);
	assert_int_equal(n, 4 + 512);
	assert_memory_equal(buf, "\x00\x03\x00\x01", 4);
	assert_int_not_equal(xfer.sin_port, e->srv_addr.sin_port);

	/* A retransmitted RRQ does not start a second transfer. */
	send_req(e, TFTP_RRQ, "/big", "octet", NULL);
	send_ack(e->cli, &xfer, 1);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
	assert_int_equal(n, 4 + 512);
	assert_memory_equal(buf, "\x00\x03\x00\x02", 4);

	/* A duplicate ACK 1 and an ACK for a block never sent: no answer
	 * (the timeout is 150 ms, so look for less). */
	send_ack(e->cli, &xfer, 1);
	send_ack(e->cli, &xfer, 50);
	assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &from, 80), -1);

	/* A third port gets ERROR 5 and the transfer goes on. */
	other = udp_socket();
	send_ack(other, &xfer, 2);
	n = recv_pkt(e, other, buf, sizeof(buf), &from, 1000);
	assert_true(n >= 4);
	assert_int_equal(get_u16be(buf + 2), TFTP_ERR_UNKNOWN_TID);
	close(other);

	send_ack(e->cli, &xfer, 2);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
	assert_int_equal(n, 4 + 512);
	assert_memory_equal(buf, "\x00\x03\x00\x03", 4);

	/* Nothing acknowledged: block 3 again after the timeout, twice, then
	 * the transfer gives up with an ERROR. */
	for (int i = 0; i < 2; i++) {
		n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
		assert_int_equal(n, 4 + 512);
		assert_memory_equal(buf, "\x00\x03\x00\x03", 4);
	}
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
	assert_true(n >= 4);
	assert_int_equal(tftp_packet_opcode(buf, (size_t)n), TFTP_ERROR);
	wait_events(e, TFTP_EV_FAILED, 1);
	assert_int_equal(e->ev_count[TFTP_EV_START], 1);
}

/* With a window, a repeated ACK for the block before the window resends
 * the window once (RFC 7440: its first block was lost), never twice. */
static void test_window_dup_ack(void **state)
{
	struct env *e = *state;
	struct sockaddr_in xfer, from;
	uint8_t buf[600];
	ssize_t n;

	send_req(e, TFTP_RRQ, "big", "octet", "windowsize", "4", NULL);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &xfer, 1000);
	assert_int_equal(tftp_packet_opcode(buf, (size_t)n), TFTP_OACK);
	send_ack(e->cli, &xfer, 0);
	for (int round = 0; round < 2; round++) {
		for (uint16_t b = 1; b <= 4; b++) {
			n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
			assert_int_equal(n, 4 + 512);
			assert_int_equal(get_u16be(buf + 2), b);
		}
		/* "Block 1 never came": ACK 0 again. */
		send_ack(e->cli, &xfer, 0);
	}
	/* The second repeat is ignored (the timeout is 150 ms). */
	assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &from, 80), -1);
	send_ack(e->cli, &xfer, 4);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
	assert_int_equal(get_u16be(buf + 2), 5);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
	assert_int_equal(get_u16be(buf + 2), 6);
	assert_int_equal(n, 4 + 3000 - 5 * 512);
	send_ack(e->cli, &xfer, 6);
	assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &from, 50), -1);
	wait_events(e, TFTP_EV_DONE, 1);
}

/* max_per_client is 4: a fifth concurrent request from the same address is
 * dropped (the client will ask again), not refused; a finished transfer
 * frees its slot. */
static void test_caps(void **state)
{
	struct env *e = *state;
	struct sockaddr_in xfer[4], from;
	int socks[5];
	uint8_t buf[600];
	struct tftp_stats st;
	ssize_t n;

	for (int i = 0; i < 5; i++) {
		uint8_t req[] = "\x00\x01"
				"big\0octet";
		socks[i] = udp_socket();
		send_to(socks[i], &e->srv_addr, req, sizeof(req));
	}
	for (int i = 0; i < 4; i++) {
		n = recv_pkt(e, socks[i], buf, sizeof(buf), &xfer[i], 1000);
		assert_int_equal(n, 4 + 512);
	}
	assert_int_equal(recv_pkt(e, socks[4], buf, sizeof(buf), &from, 80), -1);
	tftp_server_stats(e->srv, &st);
	assert_int_equal(st.active, 4);
	assert_int_equal(st.dropped, 1);
	/* One client cancels; the fifth asks again and is served. */
	send_to(socks[0], &xfer[0], "\x00\x05\x00\x00stop", 9);
	assert_int_equal(recv_pkt(e, socks[0], buf, sizeof(buf), &from, 50), -1);
	wait_events(e, TFTP_EV_FAILED, 1);
	{
		uint8_t req[] = "\x00\x01"
				"big\0octet";
		send_to(socks[4], &e->srv_addr, req, sizeof(req));
	}
	n = recv_pkt(e, socks[4], buf, sizeof(buf), &from, 1000);
	assert_int_equal(n, 4 + 512);
	wait_events(e, TFTP_EV_FAILED, 1);
	for (int i = 0; i < 5; i++)
		close(socks[i]);
}

/* Fetches a file with the given options; returns its bytes (malloc'd). */
static uint8_t *fetch(struct env *e, const char *file, const char *mode, unsigned blk, unsigned win,
		      size_t *len, const char *blk_opt, const char *win_opt)
{
	uint8_t *out = NULL, *buf = xmalloc(4 + 65536);
	struct sockaddr_in xfer, from;
	size_t total = 0, cap = 0;
	uint64_t expect = 1;
	ssize_t n;

	if (blk_opt)
		send_req(e, TFTP_RRQ, file, mode, "blksize", blk_opt, "windowsize", win_opt, NULL);
	else
		send_req(e, TFTP_RRQ, file, mode, NULL);
	n = recv_pkt(e, e->cli, buf, 4 + 65536, &xfer, 1000);
	assert_true(n >= 4);
	if (blk_opt) {
		assert_int_equal(tftp_packet_opcode(buf, (size_t)n), TFTP_OACK);
		send_ack(e->cli, &xfer, 0);
	} else {
		goto have;
	}
	for (;;) {
		n = recv_pkt(e, e->cli, buf, 4 + 65536, &from, 2000);
	have:
		assert_true(n >= 4);
		if (tftp_packet_opcode(buf, (size_t)n) == TFTP_ERROR)
			fail_msg("%s: error %u %.*s", file, get_u16be(buf + 2), (int)n - 4,
				 (char *)buf + 4);
		assert_int_equal(tftp_packet_opcode(buf, (size_t)n), TFTP_DATA);
		if (get_u16be(buf + 2) != (uint16_t)expect)
			continue; /* a retransmission of an older window */
		if (total + (size_t)n > cap) {
			cap = (total + (size_t)n) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + total, buf + 4, (size_t)n - 4);
		total += (size_t)n - 4;
		if ((size_t)n - 4 < blk || expect % win == 0)
			send_ack(e->cli, &xfer, (uint16_t)expect);
		if ((size_t)n - 4 < blk)
			break;
		expect++;
	}
	free(buf);
	*len = total;
	return out;
}

static void test_transfers(void **state)
{
	struct env *e = *state;
	uint8_t *data, *want = xmalloc(3000);
	size_t len;
	struct tftp_stats st;

	for (size_t i = 0; i < 3000; i++)
		want[i] = (uint8_t)(i * 7 + i / 256);
	data = fetch(e, "big", "octet", 512, 1, &len, NULL, NULL);
	assert_int_equal(len, 3000);
	assert_memory_equal(data, want, 3000);
	free(data);
	/* blksize 70000 clamps to 65464 (loopback's MTU allows more). */
	data = fetch(e, "big", "octet", 65464, 1, &len, "70000", "1");
	assert_int_equal(len, 3000);
	free(data);
	/* 3000 = 6 * 500: an exact multiple ends with an empty block. */
	data = fetch(e, "big", "octet", 500, 4, &len, "500", "4");
	assert_int_equal(len, 3000);
	assert_memory_equal(data, want, 3000);
	free(data);
	data = fetch(e, "empty", "octet", 512, 1, &len, NULL, NULL);
	assert_int_equal(len, 0);
	free(data);
	data = fetch(e, "text", "netascii", 8, 3, &len, "8", "3");
	assert_int_equal(len, 12);
	assert_memory_equal(data, "one\r\ntwo\r\0\r\n", 12);
	free(data);
	free(want);
	/* Let the server see the last ACK. */
	{
		uint8_t buf[16];
		struct sockaddr_in from;
		assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &from, 50), -1);
	}
	wait_events(e, TFTP_EV_DONE, 5);
	tftp_server_stats(e->srv, &st);
	assert_int_equal(st.done, 5);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.open_files, 0);
}

/* 65536 + a few blocks at blksize 8, windowsize 32: block numbers roll
 * over from 65535 to 0. */
static void test_rollover(void **state)
{
	struct env *e = *state;
	size_t size = (size_t)8 * 65540 + 3, len;
	uint8_t *want = xmalloc(size), *data;

	for (size_t i = 0; i < size; i++)
		want[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
	write_file(e->root, "roll", want, size);
	data = fetch(e, "roll", "octet", 8, 32, &len, "8", "32");
	assert_int_equal(len, size);
	assert_memory_equal(data, want, size);
	free(data);
	free(want);
}

/* ACKs that come every 100 ms keep a transfer alive well past its 150 ms
 * timeout (progress moves the deadline), and when they stop, the block is
 * sent again one timeout after the last ACK, not later. */
static void test_slow_progress(void **state)
{
	struct env *e = *state;
	struct sockaddr_in xfer, from;
	struct tftp_stats st;
	uint8_t buf[600];
	uint64_t t0, dt;
	ssize_t n;

	send_req(e, TFTP_RRQ, "big", "octet", NULL);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &xfer, 1000);
	assert_int_equal(n, 4 + 512);
	for (uint16_t b = 1; b <= 4; b++) {
		/* Nothing arrives while we wait less than the timeout. */
		assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &from, 100), -1);
		send_ack(e->cli, &xfer, b);
		n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
		assert_int_equal(n, 4 + 512);
		assert_int_equal(get_u16be(buf + 2), b + 1);
	}
	tftp_server_stats(e->srv, &st);
	assert_int_equal(st.retransmits, 0);
	t0 = now_ms();
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
	dt = now_ms() - t0;
	assert_int_equal(n, 4 + 512);
	assert_int_equal(get_u16be(buf + 2), 5);
	assert_true(dt >= 100 && dt < 250);
	tftp_server_stats(e->srv, &st);
	assert_int_equal(st.retransmits, 1);
}

/* A file that shrinks during a transfer ends it early with a short block,
 * even when the start of the file was read ahead into memory. */
static void test_shrink(void **state)
{
	struct env *e = *state;
	size_t size = 40000, shrunk = 33000, total = 0;
	uint8_t *want = xmalloc(size), buf[600];
	struct sockaddr_in xfer, from;
	char path[128];
	ssize_t n;

	for (size_t i = 0; i < size; i++)
		want[i] = (uint8_t)(i * 13 + i / 251);
	write_file(e->root, "shrink", want, size);
	send_req(e, TFTP_RRQ, "shrink", "octet", NULL);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &xfer, 1000);
	snprintf(path, sizeof(path), "%s/shrink", e->root);
	assert_int_equal(truncate(path, (off_t)shrunk), 0);
	for (uint16_t b = 1;; b++) {
		assert_true(n >= 4);
		assert_int_equal(tftp_packet_opcode(buf, (size_t)n), TFTP_DATA);
		assert_int_equal(get_u16be(buf + 2), b);
		assert_memory_equal(buf + 4, want + total, (size_t)n - 4);
		total += (size_t)n - 4;
		send_ack(e->cli, &xfer, b);
		if (n < 4 + 512)
			break;
		n = recv_pkt(e, e->cli, buf, sizeof(buf), &from, 1000);
	}
	assert_int_equal(total, shrunk);
	assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &from, 50), -1);
	wait_events(e, TFTP_EV_DONE, 1);
	free(want);
}

/* A client that asks for another file from the same port ends its first
 * transfer (the last ACK may be queued behind the request); the caller
 * hears of that end before the new start, threads or not. */
static void test_supersede(void **state)
{
	struct env *e = *state;
	struct sockaddr_in xfer, xfer2;
	uint8_t buf[600];
	ssize_t n;

	send_req(e, TFTP_RRQ, "big", "octet", NULL);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &xfer, 1000);
	assert_int_equal(n, 4 + 512);
	send_ack(e->cli, &xfer, 1);
	n = recv_pkt(e, e->cli, buf, sizeof(buf), &xfer, 1000);
	assert_int_equal(get_u16be(buf + 2), 2);
	/* Let the server handle the ACK before the next request arrives. */
	usleep(20000);
	send_req(e, TFTP_RRQ, "text", "octet", NULL);
	do {
		n = recv_pkt(e, e->cli, buf, sizeof(buf), &xfer2, 1000);
		assert_true(n >= 4);
	} while (xfer2.sin_port == xfer.sin_port); /* block 2 again */
	assert_int_equal(n, 4 + 9);
	assert_memory_equal(buf + 4, "one\ntwo\r\n", 9);
	send_ack(e->cli, &xfer2, 1);
	wait_events(e, TFTP_EV_DONE, 1);
	assert_int_equal(e->ev_count[TFTP_EV_FAILED], 1);
	assert_string_equal(e->order, "SFSD");
}

/* ---- many clients at once ---- */

#define MANY_CLIENTS 30
#define MANY_FILES 4
#define MANY_SIZE 150001

struct many_client {
	int fd;
	unsigned file, blk, win;
	struct sockaddr_in xfer;
	bool have_xfer, done;
	uint64_t expect; /* the next block wanted */
	uint8_t *data;
	size_t len;
	uint64_t last_ms; /* when it last heard something new */
};

static uint8_t many_byte(unsigned file, size_t i)
{
	return (uint8_t)(i * (2 * file + 3) + (i >> 9) + file * 77);
}

static void many_request(struct env *e, struct many_client *c)
{
	char name[16], blk[16], win[16];
	uint8_t p[128];
	size_t n = 2;

	snprintf(name, sizeof(name), "f%u", c->file);
	snprintf(blk, sizeof(blk), "%u", c->blk);
	snprintf(win, sizeof(win), "%u", c->win);
	p[0] = 0;
	p[1] = TFTP_RRQ;
	memcpy(p + n, name, strlen(name) + 1);
	n += strlen(name) + 1;
	memcpy(p + n, "octet", 6);
	n += 6;
	if (c->blk != 512 || c->win != 1) {
		memcpy(p + n, "blksize", 8);
		n += 8;
		memcpy(p + n, blk, strlen(blk) + 1);
		n += strlen(blk) + 1;
		memcpy(p + n, "windowsize", 11);
		n += 11;
		memcpy(p + n, win, strlen(win) + 1);
		n += strlen(win) + 1;
	}
	send_to(c->fd, &e->srv_addr, p, n);
}

/* Handles what reached client c; returns true when it finished. */
static void many_poll(struct env *e, struct many_client *c, uint8_t *buf)
{
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n =
			recvfrom(c->fd, buf, 4 + 2048, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		uint16_t op;

		if (n < 0)
			return;
		assert_true(n >= 4);
		op = tftp_packet_opcode(buf, (size_t)n);
		if (op == TFTP_ERROR)
			fail_msg("client on f%u: error %u", c->file, get_u16be(buf + 2));
		if (c->have_xfer && from.sin_port != c->xfer.sin_port)
			continue; /* a second transfer would be a server bug */
		if (!c->have_xfer) {
			c->xfer = from;
			c->have_xfer = true;
		}
		if (op == TFTP_OACK) {
			if (c->expect == 1)
				send_ack(c->fd, &c->xfer, 0);
			continue;
		}
		assert_int_equal(op, TFTP_DATA);
		if (c->done || get_u16be(buf + 2) != (uint16_t)c->expect)
			continue; /* a resent block */
		assert_true(c->len + (size_t)n - 4 <= MANY_SIZE);
		memcpy(c->data + c->len, buf + 4, (size_t)n - 4);
		c->len += (size_t)n - 4;
		c->last_ms = now_ms();
		if ((size_t)n - 4 < c->blk || c->expect % c->win == 0)
			send_ack(c->fd, &c->xfer, (uint16_t)c->expect);
		if ((size_t)n - 4 < c->blk) {
			c->done = true;
			return;
		}
		c->expect++;
	}
}

/* MANY_CLIENTS clients from 10 addresses (three each) fetch MANY_FILES
 * files (so several share each file) with different block and window
 * sizes, all at once, against a limit of 12 transfers in all and 2 per
 * address: the requests over the limits are dropped and asked again.
 * Every byte must arrive, the limits must hold, the callbacks must come
 * on this thread, and everything must be closed at the end. */
static void test_many(void **state)
{
	struct env *e = *state;
	struct many_client c[MANY_CLIENTS];
	uint8_t *buf = xmalloc(4 + 2048), *want[MANY_FILES];
	uint64_t end = now_ms() + 30000;
	struct tftp_stats st;
	unsigned done = 0;

	for (unsigned f = 0; f < MANY_FILES; f++) {
		char name[16];
		want[f] = xmalloc(MANY_SIZE);
		for (size_t i = 0; i < MANY_SIZE; i++)
			want[f][i] = many_byte(f, i);
		snprintf(name, sizeof(name), "f%u", f);
		write_file(e->root, name, want[f], MANY_SIZE);
	}
	for (unsigned i = 0; i < MANY_CLIENTS; i++) {
		struct sockaddr_in sa = {
			.sin_family = AF_INET,
			.sin_addr.s_addr = htonl(0x7f000000u | (10 + i / 3)),
		};
		memset(&c[i], 0, sizeof(c[i]));
		c[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_true(c[i].fd >= 0);
		assert_int_equal(bind(c[i].fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		c[i].file = i % MANY_FILES;
		c[i].blk = i % 3 == 0 ? 512 : i % 3 == 1 ? 1024 : 1468;
		c[i].win = i % 2 ? 1 : 4;
		c[i].expect = 1;
		c[i].data = xmalloc(MANY_SIZE);
		c[i].last_ms = now_ms();
		many_request(e, &c[i]);
	}
	while (done < MANY_CLIENTS && now_ms() < end) {
		event_base_loop(e->base, EVLOOP_NONBLOCK);
		tftp_server_stats(e->srv, &st);
		assert_true(st.active <= 12);
		done = 0;
		for (unsigned i = 0; i < MANY_CLIENTS; i++) {
			many_poll(e, &c[i], buf);
			done += c[i].done;
			if (c[i].done || now_ms() - c[i].last_ms < 300)
				continue;
			/* Nothing new for a while: ask again (a dropped request)
			 * or acknowledge again what arrived (a lost ACK). */
			c[i].last_ms = now_ms();
			if (!c[i].have_xfer)
				many_request(e, &c[i]);
			else
				send_ack(c[i].fd, &c[i].xfer, (uint16_t)(c[i].expect - 1));
		}
		usleep(100);
	}
	assert_int_equal(done, MANY_CLIENTS);
	for (unsigned i = 0; i < MANY_CLIENTS; i++) {
		assert_int_equal(c[i].len, MANY_SIZE);
		assert_memory_equal(c[i].data, want[c[i].file], MANY_SIZE);
		close(c[i].fd);
		free(c[i].data);
	}
	wait_events(e, TFTP_EV_DONE, MANY_CLIENTS);
	assert_int_equal(e->ev_count[TFTP_EV_START], MANY_CLIENTS);
	assert_int_equal(e->ev_count[TFTP_EV_FAILED], 0);
	assert_true(e->max_running_all <= 12);
	for (unsigned a = 0; a < 256; a++)
		assert_true(e->max_running[a] <= 2);
	assert_true(e->max_running_all >= 2);
	tftp_server_stats(e->srv, &st);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.open_files, 0);
	assert_int_equal(st.done, MANY_CLIENTS);
	for (unsigned f = 0; f < MANY_FILES; f++)
		free(want[f]);
	free(buf);
}

static int setup_many(void **state)
{
	struct tftp_config cfg = {
		.address = "127.0.0.1",
		.port = 0,
		.timeout_ms = 1000,
		.retries = 6,
		.max_transfers = 12,
		.max_per_client = 2,
	};
	return setup_cfg(state, cfg);
}

/* A transfer still running when the server is freed: the threads stop,
 * nothing leaks (ASan) and no callback comes. */
static void test_free_running(void **state)
{
	struct env *e = *state;
	struct sockaddr_in xfer;
	uint8_t buf[600];

	send_req(e, TFTP_RRQ, "big", "octet", NULL);
	assert_int_equal(recv_pkt(e, e->cli, buf, sizeof(buf), &xfer, 1000), 4 + 512);
	send_req(e, TFTP_RRQ, "text", "netascii", "blksize", "8", NULL);
	tftp_server_free(e->srv);
	e->srv = NULL;
	assert_int_equal(e->ev_count[TFTP_EV_DONE] + e->ev_count[TFTP_EV_FAILED], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_dup_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transfers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supersede, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup_many, teardown),
		cmocka_unit_test_setup_teardown(test_free_running, setup, teardown),
	};
	int failed;

	/* The same tests on the caller's loop and on transfer threads. */
	g_workers = 1;
	failed = cmocka_run_group_tests_name("workers=1", tests, NULL, NULL);
	g_workers = 3;
	failed += cmocka_run_group_tests_name("workers=3", tests, NULL, NULL);
	/* Threads without batched sends: the path taken where io_uring is
	 * missing or refused. */
	g_no_batch = true;
	failed += cmocka_run_group_tests_name("workers=3, no batch", tests, NULL, NULL);
	return failed;
}
