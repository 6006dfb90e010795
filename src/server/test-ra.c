/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/ra.h"

/* iPXE's solicitation: type 133, code 0, checksum, reserved, and a source
 * link-layer address option (type 1, one unit of 8 bytes) with its MAC. */
static const uint8_t rs_ipxe[] = {133, 0, 0x12, 0x34, 0,    0,	  0,	0,
				  1,   1, 0x52, 0x54, 0x00, 0xbe, 0x01, 0x01};
static const uint8_t ll_src[16] = {0xfe, 0x80, 0,    0,	   0,	 0,    0,    0,
				   0x50, 0x54, 0x00, 0xff, 0xfe, 0xbe, 0x01, 0x01};

static void test_option(void **state)
{
	uint8_t mac[6];
	const uint8_t want[6] = {0x52, 0x54, 0x00, 0xbe, 0x01, 0x01};

	(void)state;
	assert_int_equal(ra_solicit_parse(rs_ipxe, sizeof(rs_ipxe), NULL, mac), 0);
	assert_memory_equal(mac, want, 6);
}

static void test_eui64(void **state)
{
	uint8_t mac[6];
	const uint8_t want[6] = {0x52, 0x54, 0x00, 0xbe, 0x01, 0x01};

	(void)state;
	/* No option: the MAC comes from the link-local source address. */
	assert_int_equal(ra_solicit_parse(rs_ipxe, 8, ll_src, mac), 0);
	assert_memory_equal(mac, want, 6);
	/* Not link-local, or not made from a MAC: no answer. */
	uint8_t other[16];
	memcpy(other, ll_src, 16);
	other[12] = 0x00;
	assert_int_equal(ra_solicit_parse(rs_ipxe, 8, other, mac), 1);
	assert_int_equal(ra_solicit_parse(rs_ipxe, 8, NULL, mac), 1);
}

static void test_bad(void **state)
{
	uint8_t mac[6], p[sizeof(rs_ipxe)];

	(void)state;
	/* Each field mutated in turn. */
	memcpy(p, rs_ipxe, sizeof(p));
	p[0] = 134;
	assert_int_equal(ra_solicit_parse(p, sizeof(p), ll_src, mac), 1);
	memcpy(p, rs_ipxe, sizeof(p));
	p[1] = 1;
	assert_int_equal(ra_solicit_parse(p, sizeof(p), ll_src, mac), 1);
	memcpy(p, rs_ipxe, sizeof(p));
	p[9] = 0; /* a zero-length option must be refused, not loop */
	assert_int_equal(ra_solicit_parse(p, sizeof(p), ll_src, mac), 1);
	memcpy(p, rs_ipxe, sizeof(p));
	p[9] = 2; /* longer than the packet */
	assert_int_equal(ra_solicit_parse(p, sizeof(p), ll_src, mac), 1);
	assert_int_equal(ra_solicit_parse(rs_ipxe, 7, ll_src, mac), 1);
	assert_int_equal(ra_solicit_parse(rs_ipxe, 0, ll_src, mac), 1);
}

static void test_advert(void **state)
{
	uint8_t ra[32];

	(void)state;
	memset(ra, 0xaa, sizeof(ra));
	assert_int_equal(ra_advert_build(ra, sizeof(ra)), 16);
	assert_int_equal(ra[0], 134);
	/* No flags, router lifetime 0: nothing for anyone to configure. */
	for (int i = 1; i < 16; i++)
		assert_int_equal(ra[i], 0);
	assert_int_equal(ra_advert_build(ra, 15), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option),
		cmocka_unit_test(test_eui64),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_advert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
