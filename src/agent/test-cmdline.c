/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the kernel command line, MACs and the choice of OS. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/cmdline.h"
#include "config/diag.h"
#include "config/env.h"

static void parse(const char *s, struct agent_cmdline *c, int want_bad)
{
	assert_int_equal(agent_cmdline_parse(s, strlen(s), c), want_bad);
}

static void test_cmdline_full(void **state)
{
	struct agent_cmdline c;
	const uint8_t mac[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f};

	parse("BOOT_IMAGE=/vmlinuz quiet bt.server=10.0.0.1 bt.http=8080 bt.os=debian "
	      "BOOTIF=01-aa-bb-cc-dd-ee-0f\n",
	      &c, 0);
	assert_true(c.has_server);
	assert_int_equal(ntohl(c.server.s_addr), 0x0a000001);
	assert_int_equal(c.http_port, 8080);
	assert_string_equal(c.os, "debian");
	assert_true(c.has_mac);
	assert_memory_equal(c.mac, mac, 6);
	assert_false(c.nokvm);

	/* GRUB's form: colons after the type; upper case hex. */
	parse("BOOTIF=01-AA:BB:CC:DD:EE:0F bt.nokvm", &c, 0);
	assert_true(c.has_mac);
	assert_memory_equal(c.mac, mac, 6);
	assert_true(c.nokvm);
	parse("bt.kvm=0", &c, 0);
	assert_true(c.nokvm);
	parse("", &c, 0);
	assert_false(c.has_server);
	assert_false(c.has_mac);
	assert_string_equal(c.os, "");
}

static void test_cmdline_garbage(void **state)
{
	struct agent_cmdline c;
	const char *bad[] = {
		"BOOTIF=aa-bb-cc-dd-ee-ff",	  /* no type */
		"BOOTIF=01-aa-bb-cc-dd-ee",	  /* short */
		"BOOTIF=01-aa-bb-cc-dd-ee-ff-00", /* long */
		"BOOTIF=01-aa:bb-cc:dd:ee:ff",	  /* mixed separators */
		"BOOTIF=01-ag-bb-cc-dd-ee-ff",	  /* not hex */
		"BOOTIF=02-aa-bb-cc-dd-ee-ff",	  /* not Ethernet */
		"BOOTIF=01-aa-bb-cc-dd-ee-f",	  /* 16 chars */
		"bt.server=10.0.0",
		"bt.server=10.0.0.256",
		"bt.server=",
		"bt.http=0",
		"bt.http=65536",
		"bt.http=80x",
		"bt.os=..",
		"bt.os=a/b",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], &c, 1);
		assert_false(c.has_mac);
		assert_false(c.has_server);
		assert_int_equal(c.http_port, 0);
		assert_string_equal(c.os, "");
	}
	/* Unknown words are not errors; NULs and a missing end are fine. */
	parse("bt.unknown=1 foo=bar = ==", &c, 0);
	/* GRUB's empty bt.os= is no choice, and no error. */
	parse("bt.os=", &c, 0);
	assert_string_equal(c.os, "");
	assert_int_equal(agent_cmdline_parse("bt.os=x\0bt.http=1", 17, &c), 1);
	assert_string_equal(c.os, "");
	assert_int_equal(agent_cmdline_parse("bt.os=x\nbt.http=1", 17, &c), 0);
	assert_string_equal(c.os, "x");
	assert_int_equal(c.http_port, 1);
}

static void test_mac(void **state)
{
	uint8_t m[6];
	char out[18];

	assert_int_equal(agent_mac_parse("52:54:00:12:34:56", 17, false, m), 0);
	agent_mac_format(m, out, sizeof(out));
	assert_string_equal(out, "52:54:00:12:34:56");
	assert_int_equal(agent_mac_parse("52-54-00-12-34-56", 17, false, m), 0);
	assert_int_equal(agent_mac_parse("01-52-54-00-12-34-56", 20, false, m), -1);
	assert_int_equal(agent_mac_parse("52:54:00:12:34:56", 17, true, m), -1);
	assert_int_equal(agent_mac_parse("", 0, false, m), -1);
}

static struct bt_env *env_from(const char *yaml, const char *const *oss, size_t n)
{
	struct bt_env *env = bt_env_new("/nonexistent");
	struct diag_list dl;

	diag_list_init(&dl);
	if (bt_env_parse_main(env, (const uint8_t *)yaml, strlen(yaml), &dl) != 0) {
		diag_list_print(&dl, stderr);
		fail();
	}
	for (size_t i = 0; i < n; i++) {
		char cfg[128];

		snprintf(cfg, sizeof(cfg), "dispname: %s OS\nmethod: kexec\nkernel: k\ninitrd: i\n",
			 oss[i]);
		if (bt_env_parse_os(env, oss[i], (const uint8_t *)cfg, strlen(cfg), &dl) != 0) {
			diag_list_print(&dl, stderr);
			fail();
		}
	}
	diag_list_release(&dl);
	return env;
}

static void test_choose(void **state)
{
	static const char *const oss[] = {"alpha", "beta", "gamma"};
	const char *yaml = "version: 1\n"
			   "boot:\n  timeout: 10\n  default_os: beta\n"
			   "hosts:\n"
			   "  - mac: '52:54:00:00:00:01'\n    os: gamma\n"
			   "  - mac: '52:54:00:00:00:02'\n    os: nosuch\n"
			   "  - mac: '52:54:00:00:00:03'\n";
	struct bt_env *env = env_from(yaml, oss, 3);
	const uint8_t h1[6] = {0x52, 0x54, 0, 0, 0, 1}, h2[6] = {0x52, 0x54, 0, 0, 0, 2},
		      h3[6] = {0x52, 0x54, 0, 0, 0, 3}, other[6] = {1, 2, 3, 4, 5, 6};
	struct agent_choice c;

	/* Nothing asked: the menu with the default selected. */
	agent_choose(env, NULL, other, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_MENU);
	assert_int_equal(c.default_index, 1);
	agent_choose(env, "", NULL, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_MENU);
	/* Host assignment beats the menu. */
	agent_choose(env, NULL, h1, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_AUTO);
	assert_int_equal(c.why, AGENT_WHY_HOST);
	assert_int_equal(c.os_index, 2);
	/* bt.os beats both. */
	agent_choose(env, "alpha", h1, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_AUTO);
	assert_int_equal(c.why, AGENT_WHY_CMDLINE);
	assert_int_equal(c.os_index, 0);
	/* An unknown bt.os falls back to the host, and says so. */
	agent_choose(env, "nosuch", h1, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_AUTO);
	assert_int_equal(c.os_index, 2);
	assert_string_equal(c.unknown, "nosuch");
	/* A host whose OS is missing gets the menu; one without an OS too. */
	agent_choose(env, NULL, h2, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_MENU);
	assert_string_equal(c.unknown, "nosuch");
	agent_choose(env, NULL, h3, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_MENU);
	assert_string_equal(c.unknown, "");
	bt_env_free(env);

	/* timeout 0 boots the default at once. */
	env = env_from("version: 1\nboot:\n  timeout: 0\n  default_os: gamma\n", oss, 3);
	agent_choose(env, NULL, other, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_AUTO);
	assert_int_equal(c.why, AGENT_WHY_TIMEOUT0);
	assert_int_equal(c.os_index, 2);
	/* ... unless a name asked for is missing: then the menu says why. */
	agent_choose(env, "nosuch", other, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_MENU);
	assert_int_equal(c.default_index, 2);
	bt_env_free(env);

	/* No OS at all. */
	env = env_from("version: 1\n", oss, 0);
	agent_choose(env, "alpha", NULL, &c);
	assert_int_equal(c.kind, AGENT_CHOICE_NONE);
	bt_env_free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_full),
		cmocka_unit_test(test_cmdline_garbage),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_choose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
