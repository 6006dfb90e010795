/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the report body (the contract with the status page). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/report.h"
#include "util/buf.h"

static void test_json(void **state)
{
	struct buf b;
	struct agent_report r = {
		.mac = "52:54:00:12:34:56",
		.ip = "10.0.0.5",
		.phase = AGENT_PHASE_DOWNLOADING,
		.os = "debian",
		.method = "kexec",
		.progress = 0.5,
		.have_bytes = 50,
		.total_bytes = 100,
		.peers = 3,
		.from_server = UINT64_MAX,
	};

	buf_init(&b, AGENT_REPORT_MAX);
	assert_int_equal(agent_report_json(&r, &b), 0);
	assert_string_equal((char *)b.data,
			    "{\"v\":1,\"mac\":\"52:54:00:12:34:56\",\"ip\":\"10.0.0.5\","
			    "\"phase\":\"downloading\",\"os\":\"debian\",\"method\":\"kexec\","
			    "\"progress\":0.5000,\"error\":null,\"have_bytes\":50,"
			    "\"total_bytes\":100,\"downloaded\":0,\"uploaded\":0,\"rate_down\":0,"
			    "\"rate_up\":0,\"peers\":3,\"from_server\":null,\"from_peers\":null}");

	/* Strings are escaped whatever they hold; progress is clamped. */
	buf_reset(&b);
	r = (struct agent_report){.phase = AGENT_PHASE_FAILED,
				  .error = "bad \"kernel\"\\\n\x01\xc3\xa9",
				  .progress = 7,
				  .from_server = 1,
				  .from_peers = 2};
	assert_int_equal(agent_report_json(&r, &b), 0);
	assert_non_null(strstr((char *)b.data,
			       "\"error\":\"bad \\\"kernel\\\"\\\\\\u000a\\u0001\\u00c3\\u00a9\""));
	assert_non_null(strstr((char *)b.data, "\"mac\":null"));
	assert_non_null(strstr((char *)b.data, "\"phase\":\"failed\""));
	assert_non_null(strstr((char *)b.data, "\"progress\":1.0000"));
	assert_non_null(strstr((char *)b.data, "\"from_server\":1,\"from_peers\":2}"));
	buf_reset(&b);
	r.progress = -1;
	assert_int_equal(agent_report_json(&r, &b), 0);
	assert_non_null(strstr((char *)b.data, "\"progress\":0.0000"));
	buf_release(&b);

	assert_string_equal(agent_phase_name(AGENT_PHASE_MENU), "menu");
	assert_string_equal(agent_phase_name(AGENT_PHASE_SEEDING), "seeding");
	assert_string_equal(agent_phase_name(AGENT_PHASE_BOOTING), "booting");
}

static void test_long_strings(void **state)
{
	struct buf b;
	char big[2000];
	struct agent_report r = {.phase = AGENT_PHASE_MENU, .error = big};

	/* Long strings are cut, so the body stays under its cap. */
	memset(big, '\x7f', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	buf_init(&b, AGENT_REPORT_MAX);
	assert_int_equal(agent_report_json(&r, &b), 0);
	assert_true(b.len < AGENT_REPORT_MAX);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_long_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
