/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the super-seeding decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "server/superseed.h"

static bool decide(bool on, int64_t held, uint32_t threshold, uint32_t seeds, uint32_t peers)
{
	struct superseed_view v = {.tracker_seeds = seeds, .peer_seeds = peers};
	return superseed_decide(on, held, threshold, &v);
}

static void test_copies(void **state)
{
	struct superseed_view v = {.tracker_seeds = 1, .peer_seeds = 2};

	assert_int_equal(superseed_copies(&v), 2);
	v.tracker_seeds = 3;
	assert_int_equal(superseed_copies(&v), 3);
	v = (struct superseed_view){0};
	assert_int_equal(superseed_copies(&v), 0);
}

/* Fresh swarm: on; stays on below the threshold. */
static void test_stays_on_while_few(void **state)
{
	assert_true(decide(true, 60000, 2, 0, 0));
	assert_true(decide(true, 60000, 2, 1, 1));
	assert_true(decide(true, 60000, 2, 0, 1));
}

/* Enough copies (from either view): off, after the hold time. */
static void test_off_with_copies(void **state)
{
	assert_false(decide(true, 60000, 2, 2, 0)); /* two seeders on the tracker */
	assert_false(decide(true, 60000, 2, 0, 2)); /* two connected seeders */
	assert_false(decide(true, 60000, 2, 1, 3)); /* the larger view counts */
	assert_true(decide(true, SUPERSEED_HOLD_MS - 1, 2, 5, 5));
	assert_false(decide(true, SUPERSEED_HOLD_MS, 2, 5, 5));
}

/* Seeders leave: on again, after the hold time; off stays off meanwhile. */
static void test_back_on_when_copies_drop(void **state)
{
	assert_false(decide(false, 60000, 2, 2, 1));
	assert_true(decide(false, 60000, 2, 1, 1));
	assert_true(decide(false, 60000, 2, 0, 0));
	assert_false(decide(false, 500, 2, 0, 0));
}

/* The threshold: 1 stops at the first copy; 1000 keeps it on. */
static void test_thresholds(void **state)
{
	assert_false(decide(true, 60000, 1, 1, 0));
	assert_true(decide(true, 60000, 1, 0, 0));
	assert_true(decide(true, 60000, 1000, 999, 999));
	assert_false(decide(true, 60000, 1000, 1000, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies),
		cmocka_unit_test(test_stays_on_while_few),
		cmocka_unit_test(test_off_with_copies),
		cmocka_unit_test(test_back_on_when_copies_drop),
		cmocka_unit_test(test_thresholds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
