/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the learned retransmission timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tftp/rto.h"

#define MS 1000000ull

/* Nothing measured: the fixed timeout. */
static void test_init(void **state)
{
	struct tftp_rto r;

	tftp_rto_init(&r, 100 * MS, 1000 * MS);
	assert_true(r.rto_ns == 1000 * MS);
	assert_false(r.have_sample);
	/* A minimum above the maximum is cut to it. */
	tftp_rto_init(&r, 5000 * MS, 1000 * MS);
	assert_true(r.min_ns == 1000 * MS);
}

/* A LAN's sub-millisecond round trips settle at the minimum. */
static void test_fast_lan(void **state)
{
	struct tftp_rto r;

	tftp_rto_init(&r, 100 * MS, 1000 * MS);
	for (int i = 0; i < 10; i++)
		tftp_rto_sample(&r, 200000); /* 0.2 ms */
	assert_true(r.rto_ns == 100 * MS);
	assert_true(r.srtt_ns == 200000);
}

/* RFC 6298 2.2 and 2.3, by hand: first R = 80 ms gives SRTT 80, RTTVAR 40,
 * RTO 240; then R = 40: RTTVAR 3/4*40 + 1/4*40 = 40, SRTT 7/8*80 + 5 = 75,
 * RTO 235. */
static void test_rfc6298(void **state)
{
	struct tftp_rto r;

	tftp_rto_init(&r, 10 * MS, 1000 * MS);
	tftp_rto_sample(&r, 80 * MS);
	assert_true(r.srtt_ns == 80 * MS);
	assert_true(r.rttvar_ns == 40 * MS);
	assert_true(r.rto_ns == 240 * MS);
	tftp_rto_sample(&r, 40 * MS);
	assert_true(r.rttvar_ns == 40 * MS);
	assert_true(r.srtt_ns == 75 * MS);
	assert_true(r.rto_ns == 235 * MS);
	/* A slow client: a 2 s round trip is capped at the maximum. */
	tftp_rto_sample(&r, 2000 * MS);
	assert_true(r.rto_ns == 1000 * MS);
}

/* Timeouts double the wait, up to the maximum; a sample brings it back. */
static void test_backoff(void **state)
{
	struct tftp_rto r;

	tftp_rto_init(&r, 100 * MS, 1000 * MS);
	tftp_rto_sample(&r, 1 * MS);
	assert_true(r.rto_ns == 100 * MS);
	tftp_rto_backoff(&r);
	assert_true(r.rto_ns == 200 * MS);
	tftp_rto_backoff(&r);
	tftp_rto_backoff(&r);
	assert_true(r.rto_ns == 800 * MS);
	tftp_rto_backoff(&r);
	assert_true(r.rto_ns == 1000 * MS);
	tftp_rto_backoff(&r);
	assert_true(r.rto_ns == 1000 * MS);
	tftp_rto_sample(&r, 1 * MS);
	assert_true(r.rto_ns == 100 * MS);
	/* No overflow near the top of the range. */
	tftp_rto_init(&r, 1, UINT64_MAX);
	tftp_rto_backoff(&r);
	assert_true(r.rto_ns == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_fast_lan),
		cmocka_unit_test(test_rfc6298),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
