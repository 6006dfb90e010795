/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the worker's batched sends, over loopback UDP sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp/sendq.h"

/* A UDP socket on 127.0.0.1 with a kernel-chosen port, in *addr. */
static int udp_open(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

/* The next datagram on fd, or -1 if none is waiting. */
static ssize_t udp_take(int fd, uint8_t *buf, size_t cap)
{
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

/* Nothing leaves before the flush; then every datagram arrives whole, in
 * order, header and payload joined, from the socket it was queued on. */
static void test_batch(void **state)
{
	struct sockaddr_in a, b, to;
	int fa = udp_open(&a), fb = udp_open(&b), rx = udp_open(&to);
	struct tftp_sendq *q = tftp_sendq_new();
	uint8_t payload[1468], buf[2048];

	(void)state;
	if (!q) {
		close(fa), close(fb), close(rx);
		skip(); /* io_uring not available here */
	}
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	for (unsigned i = 0; i < 10; i++) {
		uint8_t hdr[4] = {0, 3, 0, (uint8_t)i};
		tftp_sendq_add(q, i % 2 ? fb : fa, &to, hdr, sizeof(hdr), payload, 100 + i);
	}
	assert_int_equal(tftp_sendq_pending(q), 10);
	assert_true(udp_take(rx, buf, sizeof(buf)) < 0);
	assert_int_equal(tftp_sendq_flush(q), 0);
	assert_int_equal(tftp_sendq_pending(q), 0);
	for (unsigned i = 0; i < 10; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n =
			recvfrom(rx, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		assert_int_equal(n, 4 + 100 + i);
		assert_int_equal(buf[3], i);
		assert_memory_equal(buf + 4, payload, 100 + i);
		assert_int_equal(from.sin_port, i % 2 ? b.sin_port : a.sin_port);
	}
	assert_true(udp_take(rx, buf, sizeof(buf)) < 0);
	/* A flush with nothing queued does nothing. */
	assert_int_equal(tftp_sendq_flush(q), 0);
	tftp_sendq_free(q);
	close(fa), close(fb), close(rx);
}

/* More packets than the queue holds: it flushes itself, nothing is lost,
 * and freeing the queue sends what is left. */
static void test_overflow_and_free(void **state)
{
	struct sockaddr_in a, to;
	int fa = udp_open(&a), rx = udp_open(&to);
	struct tftp_sendq *q = tftp_sendq_new();
	const unsigned total = TFTP_SENDQ_SLOTS * 2 + 5;
	uint8_t payload[16] = {0}, buf[64];
	unsigned got = 0;

	(void)state;
	if (!q) {
		close(fa), close(rx);
		skip();
	}
	for (unsigned i = 0; i < total; i++) {
		uint8_t hdr[4] = {0, 3, (uint8_t)(i >> 8), (uint8_t)i};
		tftp_sendq_add(q, fa, &to, hdr, sizeof(hdr), payload, sizeof(payload));
		assert_true(tftp_sendq_pending(q) <= TFTP_SENDQ_SLOTS);
	}
	assert_int_equal(tftp_sendq_pending(q), 5);
	tftp_sendq_free(q);
	while (udp_take(rx, buf, sizeof(buf)) == 4 + (ssize_t)sizeof(payload)) {
		assert_int_equal((buf[2] << 8 | buf[3]), got);
		got++;
	}
	assert_int_equal(got, total);
	close(fa), close(rx);
}

/* A send the kernel refuses (a closed socket) is counted, not fatal, and
 * the packets around it still go. */
static void test_refused(void **state)
{
	struct sockaddr_in a, gone, to;
	int fa = udp_open(&a), fg = udp_open(&gone), rx = udp_open(&to);
	struct tftp_sendq *q = tftp_sendq_new();
	uint8_t hdr[4] = {0, 3, 0, 1}, buf[64];

	(void)state;
	if (!q) {
		close(fa), close(fg), close(rx);
		skip();
	}
	close(fg);
	tftp_sendq_add(q, fa, &to, hdr, sizeof(hdr), NULL, 0);
	tftp_sendq_add(q, fg, &to, hdr, sizeof(hdr), NULL, 0);
	tftp_sendq_add(q, fa, &to, hdr, sizeof(hdr), NULL, 0);
	assert_int_equal(tftp_sendq_flush(q), 1);
	assert_int_equal(udp_take(rx, buf, sizeof(buf)), 4);
	assert_int_equal(udp_take(rx, buf, sizeof(buf)), 4);
	assert_true(udp_take(rx, buf, sizeof(buf)) < 0);
	/* A batch of one (sent with sendmsg) is counted the same way. */
	tftp_sendq_add(q, fg, &to, hdr, sizeof(hdr), NULL, 0);
	assert_int_equal(tftp_sendq_flush(q), 1);
	tftp_sendq_add(q, fa, &to, hdr, sizeof(hdr), NULL, 0);
	assert_int_equal(tftp_sendq_flush(q), 0);
	assert_int_equal(udp_take(rx, buf, sizeof(buf)), 4);
	tftp_sendq_free(q);
	tftp_sendq_free(NULL);
	close(fa), close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_overflow_and_free),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
