/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bt/internal.h"

static void test_handshake_roundtrip(void **state)
{
	struct buf b;
	struct bt_ext_handshake h;

	buf_init(&b, 1024);
	assert_int_equal(bt_ext_handshake_build(&b, 6881, true), 0);
	assert_int_equal(bt_ext_handshake_parse(b.data, b.len, &h), 0);
	assert_int_equal(h.ut_pex, 1);
	assert_int_equal(h.port, 6881);
	assert_int_equal(h.reqq, BT_ADVERTISED_REQQ);
	buf_reset(&b);
	assert_int_equal(bt_ext_handshake_build(&b, 0, false), 0);
	assert_int_equal(bt_ext_handshake_parse(b.data, b.len, &h), 0);
	assert_int_equal(h.ut_pex, 0);
	assert_int_equal(h.port, 0);
	buf_release(&b);
}

static void test_handshake_fields(void **state)
{
	struct bt_ext_handshake h;
	static const char big[] = "d1:md6:ut_pexi256ee1:pi70000e4:reqqi99999999ee";
	static const char neg[] = "d1:md6:ut_pexi-1ee1:pi-5ee";
	static const char junk[] = "d1:md6:ut_pexi1ee";

	assert_int_equal(bt_ext_handshake_parse((const uint8_t *)big, strlen(big), &h), 0);
	assert_int_equal(h.ut_pex, 0);
	assert_int_equal(h.port, 0);
	assert_int_equal(h.reqq, BT_MAX_THEIR_REQUESTS);
	assert_int_equal(bt_ext_handshake_parse((const uint8_t *)neg, strlen(neg), &h), 0);
	assert_int_equal(h.ut_pex, 0);
	assert_int_equal(h.port, 0);
	assert_int_equal(bt_ext_handshake_parse((const uint8_t *)junk, strlen(junk), &h),
			 BT_E_PROTOCOL);
	assert_int_equal(bt_ext_handshake_parse((const uint8_t *)"le", 2, &h), BT_E_PROTOCOL);
}

static void test_pex(void **state)
{
	struct sockaddr_in in[3], out[BT_PEX_MAX];
	struct buf b;
	size_t n;
	static const char odd[] = "d5:added7:abcdefge";
	static const char zero[] = "d5:added12:\x7f\x00\x00\x01\x00\x00\x7f\x00\x00\x01\x1a\xe1" "e";

	for (int i = 0; i < 3; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].sin_family = AF_INET;
		in[i].sin_addr.s_addr = htonl(0x0a000001 + (uint32_t)i);
		in[i].sin_port = htons((uint16_t)(6881 + i));
	}
	buf_init(&b, 4096);
	assert_int_equal(bt_pex_build(&b, in, 3), 0);
	assert_int_equal(bt_pex_parse(b.data, b.len, out, BT_PEX_MAX, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(in, out, sizeof(in));
	/* At most max are returned. */
	assert_int_equal(bt_pex_parse(b.data, b.len, out, 2, &n), 0);
	assert_int_equal(n, 2);
	buf_release(&b);
	assert_int_equal(bt_pex_parse((const uint8_t *)odd, strlen(odd), out, 4, &n),
			 BT_E_PROTOCOL);
	/* Port 0 entries are skipped. */
	assert_int_equal(bt_pex_parse((const uint8_t *)zero, sizeof(zero) - 1, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ntohs(out[0].sin_port), 6881);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_roundtrip),
		cmocka_unit_test(test_handshake_fields),
		cmocka_unit_test(test_pex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
