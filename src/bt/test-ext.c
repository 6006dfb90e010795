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
	static const char zero[] = "d5:added12:\x7f\x00\x00\x01\x00\x00\x7f\x00\x00\x01\x1a\xe1"
				   "e";

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

static void test_lpd(void **state)
{
	static const char ok[] = "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\n"
				 "Port: 6881\r\n"
				 "Infohash: 0123456789abcdef0123456789ABCDEF01234567\r\n"
				 "Infohash: ffffffffffffffffffffffffffffffffffffffff\r\n"
				 "cookie: xyz\r\n\r\n\r\n";
	static const char *const bad[] = {
		"BT-SEARCH * HTTP/1.0\r\nPort: 1\r\nInfohash: "
		"0123456789abcdef0123456789abcdef01234567\r\n\r\n",
		"BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: "
		"0123456789abcdef0123456789abcdef01234567\r\n\r\n",
		"BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: "
		"0123456789abcdef0123456789abcdef01234567\r\n\r\n",
		"BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: 0123\r\n\r\n",
		"BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: "
		"0123456789abcdef0123456789abcdef0123456g\r\n\r\n",
		"BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n",
		"BT-SEARCH * HTTP/1.1\r\nno colon here\r\n\r\n",
		"BT-SEARCH * HTTP/1.1\r\nPort: 1",
	};
	struct bt_lpd_msg m;
	struct buf b;
	uint8_t hashes[2][20];

	assert_int_equal(bt_lpd_parse((const uint8_t *)ok, strlen(ok), &m), 0);
	assert_int_equal(m.port, 6881);
	assert_int_equal(m.n_hashes, 2);
	assert_int_equal(m.hashes[0][0], 0x01);
	assert_int_equal(m.hashes[0][19], 0x67);
	assert_int_equal(m.cookie_len, 3);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(bt_lpd_parse((const uint8_t *)bad[i], strlen(bad[i]), &m),
				 BT_E_PROTOCOL);
	memset(hashes, 0xab, sizeof(hashes));
	buf_init(&b, BT_LPD_MAX_MSG);
	assert_int_equal(bt_lpd_build(&b, 51413, (const uint8_t(*)[20])hashes, 2, "c00k"), 0);
	assert_int_equal(bt_lpd_parse(b.data, b.len, &m), 0);
	assert_int_equal(m.port, 51413);
	assert_int_equal(m.n_hashes, 2);
	assert_memory_equal(m.hashes, hashes, sizeof(hashes));
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_roundtrip),
		cmocka_unit_test(test_handshake_fields),
		cmocka_unit_test(test_pex),
		cmocka_unit_test(test_lpd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
