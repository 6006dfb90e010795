/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the menu's state machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agent/menu.h"

static void test_arrows_wrap(void **state)
{
	struct agent_menu m;

	agent_menu_init(&m, 3, 1, 10);
	assert_int_equal(agent_menu_start(&m), AGENT_MENU_REDRAW);
	assert_int_equal(m.sel, 1);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_DOWN), AGENT_MENU_REDRAW);
	assert_int_equal(m.sel, 2);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_DOWN), AGENT_MENU_REDRAW);
	assert_int_equal(m.sel, 0); /* wraps */
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_UP), AGENT_MENU_REDRAW);
	assert_int_equal(m.sel, 2); /* wraps back */
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_HOME), AGENT_MENU_REDRAW);
	assert_int_equal(m.sel, 0);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_END), AGENT_MENU_REDRAW);
	assert_int_equal(m.sel, 2);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_OTHER), AGENT_MENU_NONE);
	/* Arrows leave the countdown running. */
	assert_true(m.counting);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_ENTER), AGENT_MENU_BOOT);
	assert_int_equal(m.sel, 2);
	/* Nothing moves after the choice. */
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_UP), AGENT_MENU_NONE);
	assert_int_equal(agent_menu_tick(&m, 100000), AGENT_MENU_NONE);
	assert_int_equal(m.sel, 2);

	/* One entry: arrows stay on it; a default past the end is clamped. */
	agent_menu_init(&m, 1, 5, -1);
	assert_int_equal(m.sel, 0);
	agent_menu_key(&m, AGENT_KEY_DOWN);
	assert_int_equal(m.sel, 0);
	agent_menu_key(&m, AGENT_KEY_UP);
	assert_int_equal(m.sel, 0);
	/* Zero entries are treated as one. */
	agent_menu_init(&m, 0, 0, -1);
	assert_int_equal(m.n, 1);
}

static void test_countdown(void **state)
{
	struct agent_menu m;
	char s[128];

	agent_menu_init(&m, 2, 0, 3);
	assert_int_equal(agent_menu_start(&m), AGENT_MENU_REDRAW);
	assert_int_equal(agent_menu_seconds_left(&m), 3);
	agent_menu_status(&m, s, sizeof(s));
	assert_non_null(strstr(s, "Booting default OS in 3 seconds..."));
	assert_int_equal(agent_menu_tick(&m, 400), AGENT_MENU_NONE);   /* 2.6 s: shows 3 */
	assert_int_equal(agent_menu_tick(&m, 700), AGENT_MENU_REDRAW); /* 1.9 s */
	assert_int_equal(agent_menu_seconds_left(&m), 2);
	assert_int_equal(agent_menu_tick(&m, 0), AGENT_MENU_NONE);
	assert_int_equal(agent_menu_tick(&m, -5), AGENT_MENU_NONE);
	agent_menu_key(&m, AGENT_KEY_DOWN);
	agent_menu_status(&m, s, sizeof(s));
	assert_non_null(strstr(s, "Booting selected OS in 2 seconds..."));
	assert_int_equal(agent_menu_tick(&m, 900), AGENT_MENU_REDRAW);
	agent_menu_status(&m, s, sizeof(s));
	assert_non_null(strstr(s, "in 1 second..."));
	/* The timer boots the selected entry. */
	assert_int_equal(agent_menu_tick(&m, 5000), AGENT_MENU_BOOT);
	assert_int_equal(m.sel, 1);
}

static void test_ctrl_c_stops(void **state)
{
	struct agent_menu m;
	char s[128];

	agent_menu_init(&m, 2, 1, 5);
	agent_menu_start(&m);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_INTR), AGENT_MENU_REDRAW);
	assert_false(m.counting);
	assert_int_equal(agent_menu_seconds_left(&m), -1);
	agent_menu_status(&m, s, sizeof(s));
	assert_null(strstr(s, "Booting"));
	/* Time passes; nothing boots. A second Ctrl+C changes nothing. */
	assert_int_equal(agent_menu_tick(&m, 3600 * 1000), AGENT_MENU_NONE);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_INTR), AGENT_MENU_NONE);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_ENTER), AGENT_MENU_BOOT);
	assert_int_equal(m.sel, 1);
}

static void test_ctrl_s_shell(void **state)
{
	struct agent_menu m;

	agent_menu_init(&m, 2, 0, 5);
	agent_menu_start(&m);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_SHELL), AGENT_MENU_SHELL);
	/* The countdown does not run out behind the shell. */
	assert_int_equal(agent_menu_tick(&m, 60000), AGENT_MENU_NONE);
	assert_false(m.done);
	assert_int_equal(agent_menu_key(&m, AGENT_KEY_SHELL), AGENT_MENU_SHELL);
}

static void test_timeouts(void **state)
{
	struct agent_menu m;

	/* 0 boots the default at once. */
	agent_menu_init(&m, 3, 2, 0);
	assert_int_equal(agent_menu_start(&m), AGENT_MENU_BOOT);
	assert_int_equal(m.sel, 2);
	/* Negative waits for ever. */
	agent_menu_init(&m, 3, 2, -1);
	assert_int_equal(agent_menu_start(&m), AGENT_MENU_REDRAW);
	assert_int_equal(agent_menu_tick(&m, INT64_MAX / 2), AGENT_MENU_NONE);
	assert_false(m.done);
	/* A huge timeout does not overflow. */
	agent_menu_init(&m, 3, 0, INT64_MAX);
	assert_true(m.left_ms > 0);
	assert_int_equal(agent_menu_tick(&m, 1000), AGENT_MENU_REDRAW);
}

static void test_keycodes(void **state)
{
	struct agent_keycodes kc = {1001, 1002, 1003, 1004, 1005};

	assert_int_equal(agent_key_from_code(&kc, 1001), AGENT_KEY_UP);
	assert_int_equal(agent_key_from_code(&kc, 'k'), AGENT_KEY_UP);
	assert_int_equal(agent_key_from_code(&kc, 1002), AGENT_KEY_DOWN);
	assert_int_equal(agent_key_from_code(&kc, 'j'), AGENT_KEY_DOWN);
	assert_int_equal(agent_key_from_code(&kc, 1003), AGENT_KEY_HOME);
	assert_int_equal(agent_key_from_code(&kc, 1004), AGENT_KEY_END);
	assert_int_equal(agent_key_from_code(&kc, 1005), AGENT_KEY_ENTER);
	assert_int_equal(agent_key_from_code(&kc, '\r'), AGENT_KEY_ENTER);
	assert_int_equal(agent_key_from_code(&kc, '\n'), AGENT_KEY_ENTER);
	assert_int_equal(agent_key_from_code(&kc, 3), AGENT_KEY_INTR);
	assert_int_equal(agent_key_from_code(&kc, 19), AGENT_KEY_SHELL);
	assert_int_equal(agent_key_from_code(&kc, 'x'), AGENT_KEY_OTHER);
	assert_int_equal(agent_key_from_code(&kc, -1), AGENT_KEY_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arrows_wrap),  cmocka_unit_test(test_countdown),
		cmocka_unit_test(test_ctrl_c_stops), cmocka_unit_test(test_ctrl_s_shell),
		cmocka_unit_test(test_timeouts),     cmocka_unit_test(test_keycodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
