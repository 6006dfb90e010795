/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tftp/netascii.h"
#include "tftp/packet.h"
#include "tftp/server.h"
#include "util/util.h"

/* An RRQ for "pxelinux.0" in octet mode with blksize 1468 and tsize 0. */
static const uint8_t rrq[] = {
	0x00, 0x01, 'p', 'x',  'e',  'l', 'i', 'n', 'u', 'x',  '.', '0',  0x00, 'o',
	'c',  't',  'e', 't',  0x00, 'b', 'l', 'k', 's', 'i',  'z', 'e',  0x00, '1',
	'4',  '6',  '8', 0x00, 't',  's', 'i', 'z', 'e', 0x00, '0', 0x00,
};

static void test_request_valid(void **state)
{
	struct tftp_request req;

	assert_int_equal(tftp_request_parse(rrq, sizeof(rrq), &req), 0);
	assert_int_equal(req.opcode, TFTP_RRQ);
	assert_string_equal(req.filename, "pxelinux.0");
	assert_int_equal(req.filename_len, 10);
	assert_int_equal(req.mode, TFTP_MODE_OCTET);
	assert_int_equal(req.nopts, 2);
	assert_string_equal(req.opts[0].name, "blksize");
	assert_string_equal(req.opts[0].value, "1468");
	assert_string_equal(req.opts[1].name, "tsize");
	assert_string_equal(req.opts[1].value, "0");
	assert_false(req.trailing_ignored);
}

/* Every truncation of a valid request either parses (at a pair boundary)
 * or fails cleanly; none reads past the end (ASan watches). */
static void test_request_truncated(void **state)
{
	for (size_t len = 0; len < sizeof(rrq); len++) {
		uint8_t *copy = xmemdup0(rrq, len);
		struct tftp_request req;
		int r = tftp_request_parse(copy, len, &req);

		if (len < 19) /* opcode, filename and mode need 19 bytes */
			assert_int_not_equal(r, 0);
		else
			assert_int_equal(r, 0);
		if (r == 0 && len != 19 && len != 32 && len != sizeof(rrq))
			assert_true(req.trailing_ignored);
		free(copy);
	}
}

/* One field mutated at a time. */
static void test_request_mutations(void **state)
{
	uint8_t p[sizeof(rrq)];
	struct tftp_request req;

	memcpy(p, rrq, sizeof(p));
	p[1] = 2; /* WRQ parses the same way; the server refuses it */
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), 0);
	assert_int_equal(req.opcode, TFTP_WRQ);

	memcpy(p, rrq, sizeof(p));
	p[1] = 3; /* DATA is not a request */
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), TFTP_E_OPCODE);
	p[0] = 0xff;
	p[1] = 1;
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), TFTP_E_OPCODE);

	memcpy(p, rrq, sizeof(p));
	p[2] = 0; /* empty filename */
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), TFTP_E_MALFORMED);

	memcpy(p, rrq, sizeof(p));
	memcpy(p + 13, "octeX", 5); /* unknown mode */
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), TFTP_E_MODE);

	memcpy(p, rrq, sizeof(p));
	memcpy(p + 13, "OCTET", 5); /* modes are case-insensitive */
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), 0);
	assert_int_equal(req.mode, TFTP_MODE_OCTET);

	/* No NUL anywhere after the opcode. */
	memset(p, 'A', sizeof(p));
	p[0] = 0;
	p[1] = 1;
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), TFTP_E_MALFORMED);

	/* The last option value loses its NUL: the pair is ignored. */
	memcpy(p, rrq, sizeof(p));
	p[sizeof(p) - 1] = '1';
	assert_int_equal(tftp_request_parse(p, sizeof(p), &req), 0);
	assert_int_equal(req.nopts, 1);
	assert_true(req.trailing_ignored);
}

static void test_request_netascii_padding(void **state)
{
	static const uint8_t pad[] = {0,   1,	'a', 0, 'n', 'e', 't', 'a', 's',
				      'c', 'i', 'i', 0, 0,   0,	  0,   0};
	static const uint8_t odd[] = {0, 1,   'a', 0,	'o', 'c', 't', 'e', 't',
				      0, 'b', 'l', 'k', 's', 'i', 'z', 'e', 0};
	struct tftp_request req;

	/* NUL padding after the mode (some PXE ROMs) is not an error. */
	assert_int_equal(tftp_request_parse(pad, sizeof(pad), &req), 0);
	assert_int_equal(req.mode, TFTP_MODE_NETASCII);
	assert_int_equal(req.nopts, 0);
	assert_false(req.trailing_ignored);
	/* An option name without a value is ignored. */
	assert_int_equal(tftp_request_parse(odd, sizeof(odd), &req), 0);
	assert_int_equal(req.nopts, 0);
	assert_true(req.trailing_ignored);
}

static void test_ack_error_parse(void **state)
{
	static const uint8_t ack[] = {0, 4, 0xff, 0xfe};
	static const uint8_t err[] = {0, 5, 0, 8, 'n', 'o', 0};
	static const uint8_t err_nonul[] = {0, 5, 0, 1, 'x', 'y'};
	const char *msg;
	size_t msg_len;
	uint16_t v, code;

	assert_int_equal(tftp_ack_parse(ack, sizeof(ack), &v), 0);
	assert_int_equal(v, 0xfffe);
	assert_int_equal(tftp_ack_parse(ack, 3, &v), TFTP_E_MALFORMED);
	assert_int_equal(tftp_ack_parse(err, sizeof(err), &v), TFTP_E_OPCODE);
	assert_int_equal(tftp_error_parse(err, sizeof(err), &code, &msg, &msg_len), 0);
	assert_int_equal(code, 8);
	assert_int_equal(msg_len, 2);
	assert_int_equal(tftp_error_parse(err_nonul, sizeof(err_nonul), &code, &msg, &msg_len), 0);
	assert_int_equal(msg_len, 2);
	assert_int_equal(tftp_error_parse(err, 3, &code, &msg, &msg_len), TFTP_E_MALFORMED);
	assert_int_equal(tftp_packet_opcode(err, 1), 0);
}

static void test_build(void **state)
{
	uint8_t out[32];
	size_t n;

	tftp_data_header(out, 0x1234);
	assert_memory_equal(out, "\x00\x03\x12\x34", 4);
	n = tftp_error_build(out, sizeof(out), 1, "file not found");
	assert_int_equal(n, 4 + 14 + 1);
	assert_memory_equal(out,
			    "\x00\x05\x00\x01"
			    "file not found\0",
			    n);
	/* A message too long for the buffer is cut and still terminated. */
	n = tftp_error_build(out, 8, 2, "access violation");
	assert_int_equal(n, 8);
	assert_memory_equal(out,
			    "\x00\x05\x00\x02"
			    "acc\0",
			    8);
	assert_int_equal(tftp_error_build(out, 4, 2, "x"), 0);
}

/* Builds an RRQ with the given option pairs into buf and parses it. */
static void make_req(struct tftp_request *req, uint8_t *buf, size_t cap, const char *const *kv,
		     size_t nkv)
{
	size_t n = 0;

	memcpy(buf,
	       "\x00\x01"
	       "f\0octet\0",
	       10);
	n = 10;
	for (size_t i = 0; i < nkv; i++) {
		size_t l = strlen(kv[i]) + 1;
		assert_true(n + l <= cap);
		memcpy(buf + n, kv[i], l);
		n += l;
	}
	assert_int_equal(tftp_request_parse(buf, n, req), 0);
}

static void test_negotiate(void **state)
{
	static const struct {
		const char *name, *value;
		unsigned max_blk, max_win;
		unsigned want_blk, want_win, want_timeout;
		bool accepted;
	} cases[] = {
		{"blksize", "1468", 65464, 64, 1468, 1, 0, true},
		{"BLKSIZE", "1468", 65464, 64, 1468, 1, 0, true},
		{"blksize", "0", 65464, 64, 512, 1, 0, false},
		{"blksize", "7", 65464, 64, 512, 1, 0, false},
		{"blksize", "8", 65464, 64, 8, 1, 0, true},
		{"blksize", "70000", 65464, 64, 65464, 1, 0, true},
		{"blksize", "70000", 1468, 64, 1468, 1, 0, true},
		{"blksize", "99999999999999999999999", 1468, 64, 512, 1, 0, false},
		{"blksize", "-5", 1468, 64, 512, 1, 0, false},
		{"blksize", "", 1468, 64, 512, 1, 0, false},
		{"blksize", "12a", 1468, 64, 512, 1, 0, false},
		{"timeout", "0", 1468, 64, 512, 1, 0, false},
		{"timeout", "1", 1468, 64, 512, 1, 1, true},
		{"timeout", "255", 1468, 64, 512, 1, 255, true},
		{"timeout", "256", 1468, 64, 512, 1, 0, false},
		{"windowsize", "0", 1468, 64, 512, 1, 0, false},
		{"windowsize", "8", 1468, 64, 512, 8, 0, true},
		{"windowsize", "65535", 1468, 64, 512, 64, 0, true},
		{"windowsize", "65536", 1468, 64, 512, 64, 0, true},
		{"multicast", "", 1468, 64, 512, 1, 0, false},
		{"unknown", "1", 1468, 64, 512, 1, 0, false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *kv[] = {cases[i].name, cases[i].value};
		struct tftp_limits lim = {.max_blksize = cases[i].max_blk,
					  .max_windowsize = cases[i].max_win};
		struct tftp_negotiated neg;
		struct tftp_request req;
		uint8_t buf[128];

		make_req(&req, buf, sizeof(buf), kv, 2);
		tftp_options_negotiate(&req, &lim, &neg);
		printf("case %zu: %s=%s\n", i, cases[i].name, cases[i].value);
		assert_int_equal(neg.blksize, cases[i].want_blk);
		assert_int_equal(neg.windowsize, cases[i].want_win);
		assert_int_equal(neg.timeout_s, cases[i].want_timeout);
		assert_int_equal(tftp_negotiated_any(&neg), cases[i].accepted);
	}
}

static void test_negotiate_tsize_oack(void **state)
{
	static const char *const kv[] = {"tsize", "0",		"blksize", "1468",    "blksize",
					 "9000",  "windowsize", "4",	   "timeout", "3"};
	struct tftp_limits lim = {.max_blksize = 65464,
				  .max_windowsize = 64,
				  .tsize_known = true,
				  .tsize = 123456789};
	struct tftp_negotiated neg;
	struct tftp_request req;
	uint8_t buf[128], oack[TFTP_OACK_MAX];
	static const char want[] = "\x00\x06tsize\0"
				   "123456789\0blksize\0"
				   "1468\0"
				   "windowsize\0"
				   "4\0timeout\0"
				   "3";
	size_t n;

	make_req(&req, buf, sizeof(buf), kv, ARRAY_SIZE(kv));
	tftp_options_negotiate(&req, &lim, &neg);
	assert_true(neg.has_tsize);
	/* The first blksize wins; the OACK keeps the request's order. */
	assert_int_equal(neg.blksize, 1468);
	n = tftp_oack_build(oack, sizeof(oack), &neg);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(oack, want, n);
	assert_int_equal(tftp_oack_build(oack, 10, &neg), 0);

	/* An empty file: no tsize in the OACK (curl rejects "0"). */
	lim.tsize = 0;
	tftp_options_negotiate(&req, &lim, &neg);
	assert_false(neg.has_tsize);
	/* Unknown size (netascii too large): tsize is not acknowledged. */
	lim.tsize_known = false;
	tftp_options_negotiate(&req, &lim, &neg);
	assert_false(neg.has_tsize);
	assert_true(neg.has_blksize);
}

/* Converts in with blocks of blk bytes, one block at a time, restarting each
 * block from a saved state as a retransmission would, and checks the joined
 * output against the whole conversion. */
static void netascii_check(const char *in, size_t blk, const char *want)
{
	size_t inlen = strlen(in), wantlen = strlen(want) + 0;
	uint8_t out[256], block[64];
	struct netascii_state st = NETASCII_STATE_INIT;
	size_t total = 0;

	/* want may contain NULs: callers pass the length through the
	 * CR-NUL count instead. */
	wantlen = (size_t)netascii_size_add((const uint8_t *)in, inlen);
	for (int guard = 0; guard < 1000; guard++) {
		struct netascii_state saved = st, again;
		size_t n, m;

		n = netascii_convert(&st, (const uint8_t *)in + saved.offset,
				     inlen - (size_t)saved.offset, block, blk);
		/* Regenerating the same block from the saved state gives the
		 * same bytes. */
		again = saved;
		m = netascii_convert(&again, (const uint8_t *)in + saved.offset,
				     inlen - (size_t)saved.offset, out + total, blk);
		assert_int_equal(n, m);
		assert_memory_equal(block, out + total, n);
		total += n;
		if (n < blk)
			break;
	}
	assert_int_equal(total, wantlen);
	assert_memory_equal(out, want, wantlen);
}

static void test_netascii(void **state)
{
	netascii_check("", 8, "");
	netascii_check("abc", 8, "abc");
	netascii_check("a\nb", 8, "a\r\nb");
	netascii_check("a\rb", 8, "a\r\0b");
	/* Pairs split exactly at block boundaries. */
	netascii_check("1234567\n89", 8, "1234567\r\n89");
	netascii_check("1234567\r89", 8,
		       "1234567\r\0"
		       "89");
	netascii_check("\n\n\n\n\n", 2, "\r\n\r\n\r\n\r\n\r\n");
	netascii_check("\r\n", 1, "\r\0\r\n");
	netascii_check("12345678", 8, "12345678"); /* exact multiple: empty last block */
	netascii_check("1234567\n", 8, "1234567\r\n");
}

static void test_path_relative(void **state)
{
	assert_string_equal(tftp_path_relative("/pxelinux.0"), "pxelinux.0");
	assert_string_equal(tftp_path_relative("///a/b"), "a/b");
	assert_string_equal(tftp_path_relative("a/b"), "a/b");
	assert_null(tftp_path_relative("/"));
	assert_null(tftp_path_relative("///"));
	assert_string_equal(tftp_path_relative("/../x"), "../x"); /* openat2 refuses it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_valid),
		cmocka_unit_test(test_request_truncated),
		cmocka_unit_test(test_request_mutations),
		cmocka_unit_test(test_request_netascii_padding),
		cmocka_unit_test(test_ack_error_parse),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_negotiate_tsize_oack),
		cmocka_unit_test(test_netascii),
		cmocka_unit_test(test_path_relative),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
