/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/packet.h"
#include "dhcp/test-dhcp-common.h"

static const uint8_t mac1[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static struct dhcp_packet pkt; /* large: keep it off the stack */

/* A PXE DISCOVER as a BIOS ROM sends it. */
static size_t discover(struct req *r)
{
	static const uint8_t params[] = {1, 3, 43, 60, 66, 67, 97};
	static const uint8_t uuid[17] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

	req_init(r, DHCP_DISCOVER, mac1);
	req_opt(r, DHCP_OPT_PARAM_LIST, params, sizeof(params));
	req_opt_str(r, DHCP_OPT_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001");
	req_arch(r, 0);
	req_opt(r, DHCP_OPT_UUID, uuid, sizeof(uuid));
	return req_end(r);
}

static void test_parse_valid(void **state)
{
	struct req r;
	size_t len = discover(&r), olen;
	const uint8_t *p;

	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), 0);
	assert_int_equal(pkt.op, DHCP_OP_REQUEST);
	assert_int_equal(pkt.msg_type, DHCP_DISCOVER);
	assert_int_equal(pkt.xid, 0x12345678);
	assert_memory_equal(pkt.chaddr, mac1, 6);
	p = dhcp_packet_option(&pkt, DHCP_OPT_VENDOR_CLASS, &olen);
	assert_non_null(p);
	assert_int_equal(olen, 32);
	assert_memory_equal(p, "PXEClient", 9);
	p = dhcp_packet_option(&pkt, DHCP_OPT_CLIENT_ARCH, &olen);
	assert_int_equal(olen, 2);
	assert_int_equal(get_u16be(p), 0);
	assert_false(dhcp_packet_has(&pkt, DHCP_OPT_HOSTNAME));
	assert_null(dhcp_packet_option(&pkt, DHCP_OPT_HOSTNAME, &olen));
	assert_int_equal(dhcp_packet_max_reply(&pkt), DHCP_DEFAULT_MAX);
}

/* Every length shorter than header + cookie is refused. */
static void test_parse_truncated(void **state)
{
	struct req r;
	size_t len = discover(&r);

	for (size_t n = 0; n < DHCP_MIN_LEN; n++)
		assert_int_equal(dhcp_packet_parse(&pkt, r.buf, n), DHCP_E_MALFORMED);
	/* Cutting inside the options: the last option runs past the end. */
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len - 3), DHCP_E_MALFORMED);
	/* Cutting right before END (or on an option boundary) is tolerated. */
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len - 1), 0);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, DHCP_PACKET_MAX + 1), DHCP_E_UNSUPPORTED);
}

/* One field mutated at a time. */
static void test_parse_mutations(void **state)
{
	struct req r;
	size_t len;

	len = discover(&r);
	r.buf[238] = 0; /* magic cookie */
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), DHCP_E_MALFORMED);

	len = discover(&r);
	r.buf[2] = 17; /* hlen past chaddr */
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), DHCP_E_MALFORMED);
	r.buf[2] = 16;
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), 0);

	len = discover(&r);
	r.buf[241] = 2; /* option 53 with length 2 */
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), DHCP_E_MALFORMED);

	len = discover(&r);
	r.buf[242] = 0; /* message type 0 */
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), DHCP_E_MALFORMED);

	len = discover(&r);
	r.buf[244] = 250; /* option 55's length runs past the end */
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), DHCP_E_MALFORMED);

	/* No option 53: a BOOTP packet, parsed, msg_type 0. */
	req_init(&r, 0, mac1);
	len = req_end(&r);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, len), 0);
	assert_int_equal(pkt.msg_type, 0);

	/* Option code with no length byte at the very end. */
	req_init(&r, DHCP_DISCOVER, mac1);
	r.buf[r.len++] = DHCP_OPT_HOSTNAME;
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), DHCP_E_MALFORMED);
}

static void test_parse_overload(void **state)
{
	struct req r;
	uint8_t ov;
	size_t olen;
	const uint8_t *p;

	/* Overload 3: options continue in file (108..235), then sname (44..107). */
	req_init(&r, DHCP_REQUEST, mac1);
	ov = 3;
	req_opt(&r, DHCP_OPT_OVERLOAD, &ov, 1);
	req_opt_str(&r, DHCP_OPT_HOSTNAME, "ab");
	req_end(&r);
	memcpy(r.buf + 108,
	       "\x0c\x02"
	       "cd"
	       "\x32\x04\x0a\x4d\x00\x64"
	       "\xff",
	       11);
	memcpy(r.buf + 44,
	       "\x0c\x01"
	       "e"
	       "\xff",
	       4);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), 0);
	/* RFC 3396: the pieces of option 12 concatenated in order. */
	p = dhcp_packet_option(&pkt, DHCP_OPT_HOSTNAME, &olen);
	assert_int_equal(olen, 5);
	assert_memory_equal(p, "abcde", 5);
	uint32_t ip;
	assert_true(dhcp_packet_option_ip(&pkt, DHCP_OPT_REQUESTED_IP, &ip));
	assert_int_equal(ip, IP4(10, 77, 0, 100));

	/* The same file bytes without option 52 are not options. */
	req_init(&r, DHCP_REQUEST, mac1);
	req_end(&r);
	memcpy(r.buf + 108,
	       "\x0c\x02"
	       "cd"
	       "\xff",
	       5);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), 0);
	assert_false(dhcp_packet_has(&pkt, DHCP_OPT_HOSTNAME));

	/* A bad overload value, and options past the end of the file field. */
	req_init(&r, DHCP_REQUEST, mac1);
	ov = 4;
	req_opt(&r, DHCP_OPT_OVERLOAD, &ov, 1);
	req_end(&r);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), DHCP_E_MALFORMED);
	req_init(&r, DHCP_REQUEST, mac1);
	ov = 1;
	req_opt(&r, DHCP_OPT_OVERLOAD, &ov, 1);
	req_end(&r);
	r.buf[108 + 126] = DHCP_OPT_HOSTNAME;
	r.buf[108 + 127] = 5;
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), DHCP_E_MALFORMED);
}

static void test_max_size(void **state)
{
	struct req r;
	uint8_t v[2];

	req_init(&r, DHCP_DISCOVER, mac1);
	put_u16be(v, 1500);
	req_opt(&r, DHCP_OPT_MAX_SIZE, v, 2);
	req_end(&r);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), 0);
	assert_int_equal(dhcp_packet_max_reply(&pkt), 1472);
	/* Below the RFC minimum: ignored. */
	put_u16be(r.buf + 245, 300);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), 0);
	assert_int_equal(dhcp_packet_max_reply(&pkt), DHCP_DEFAULT_MAX);
}

static void test_build(void **state)
{
	struct req r;
	struct dhcp_builder b;
	uint8_t out[DHCP_PACKET_MAX], big[600];
	size_t len, olen;
	const uint8_t *p;

	discover(&r);
	assert_int_equal(dhcp_packet_parse(&pkt, r.buf, r.len), 0);
	dhcp_builder_init(&b, out, 400, &pkt, DHCP_OFFER);
	dhcp_builder_set_addrs(&b, 0, IP4(10, 77, 0, 100), IP4(10, 77, 0, 1));
	assert_true(dhcp_builder_set_file(&b, "pxelinux.0"));
	assert_int_equal(dhcp_builder_option_u32(&b, DHCP_OPT_SERVER_ID, IP4(10, 77, 0, 1)), 0);
	/* Too big for 400 bytes: refused, nothing written. */
	memset(big, 'x', sizeof(big));
	len = b.len;
	assert_int_equal(dhcp_builder_option(&b, DHCP_OPT_BOOTFILE, big, 300), DHCP_E_NOSPACE);
	assert_int_equal(b.len, len);
	len = dhcp_builder_finish(&b);
	assert_int_equal(len, DHCP_MIN_REPLY_LEN);
	assert_int_equal(dhcp_packet_parse(&pkt, out, len), 0);
	assert_int_equal(pkt.op, DHCP_OP_REPLY);
	assert_int_equal(pkt.msg_type, DHCP_OFFER);
	assert_int_equal(pkt.yiaddr, IP4(10, 77, 0, 100));
	assert_int_equal(pkt.siaddr, IP4(10, 77, 0, 1));
	assert_int_equal(pkt.xid, 0x12345678);
	assert_memory_equal(out + 108, "pxelinux.0", 11);

	/* Long options are split (RFC 3396) and read back whole. */
	dhcp_builder_init(&b, out, sizeof(out), &pkt, DHCP_ACK);
	assert_int_equal(dhcp_builder_option(&b, DHCP_OPT_BOOTFILE, big, 600), 0);
	len = dhcp_builder_finish(&b);
	assert_int_equal(dhcp_packet_parse(&pkt, out, len), 0);
	p = dhcp_packet_option(&pkt, DHCP_OPT_BOOTFILE, &olen);
	assert_int_equal(olen, 600);
	assert_memory_equal(p, big, 600);
	/* A file name that does not fit the 128-byte field. */
	big[200] = '\0';
	assert_false(dhcp_builder_set_file(&b, (char *)big));
}

/* The hand-written formatters against snprintf, over edge values. */
static void test_format(void **state)
{
	static const uint32_t ips[] = {0,	   0xffffffffu, 0x0a4d0001u, 0x01020304u,
				       0x636465ffu, 0x09630a64u, 0xc0a80001u};
	static const uint8_t macs[][6] = {{0, 0, 0, 0, 0, 0},
					  {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
					  {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef},
					  {0x0f, 0xf0, 0x09, 0x90, 0xa5, 0x5a}};
	char got[18], want[18];

	(void)state;
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		uint32_t ip = ips[i];
		memset(got, 'x', sizeof(got));
		snprintf(want, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
			 ip & 0xff);
		assert_string_equal(dhcp_ip_str(got, ip), want);
	}
	/* Every byte value, in every position of the address. */
	for (uint32_t v = 0; v < 256; v++) {
		uint32_t ip = v << 24 | (255 - v) << 16 | v << 8 | (v * 7 & 0xff);
		snprintf(want, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
			 ip & 0xff);
		assert_string_equal(dhcp_ip_str(got, ip), want);
	}
	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		const uint8_t *m = macs[i];
		memset(got, 'x', sizeof(got));
		snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
			 m[4], m[5]);
		assert_string_equal(dhcp_mac_str(got, m), want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),	cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_mutations), cmocka_unit_test(test_parse_overload),
		cmocka_unit_test(test_max_size),	cmocka_unit_test(test_build),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
