/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes the configuration reader end to end without touching files: the
 * input is a Boottorrent.yaml, optionally followed by a line "#--- os" and
 * an OS's config.yaml. Both go through the YAML tree, the model and the
 * checks (with a fake interface and no OS files), and the diagnostics are
 * formatted; the raw input also goes through each value parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/env.h"
#include "config/value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_lookup(void *ctx, const char *name, struct config_iface *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(name, "eth1") != 0)
		return -ENODEV;
	out->addrs[0].addr.s_addr = htonl(0x0a000001);
	out->addrs[0].netmask.s_addr = htonl(0xffffff00);
	out->n_addrs = 1;
	return 0;
}

static void fuzz_values(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct config_v0_range r;
	struct in_addr a, b;
	const char *why;
	uint8_t mac[6];
	uint32_t d;
	bool v;
	int rc = 0;

	memcpy(s, data, size);
	s[size] = '\0';
	/* Results are summed only so the compiler sees them used. */
	rc += config_parse_bool(s, &v);
	rc += config_parse_ipv4(s, &a);
	rc += config_parse_netmask(s, &a);
	rc += config_parse_mac(s, mac);
	rc += config_parse_duration(s, UINT32_MAX - 1, &d);
	rc += config_parse_range(s, &a, &b);
	rc += config_parse_v0_range(s, &r, &why);
	rc += config_hostname_ok(s);
	rc += (int)diag_edit_distance(s, "dispname", 2);
	free(s);
	if (rc == 12345)
		fputs("", stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n#--- os\n";
	struct config_sys sys = {.iface_lookup = fake_lookup, .skip_files = true};
	const uint8_t *os = NULL;
	size_t main_len = size, os_len = 0;
	struct diag_list dl;
	struct bt_env *env;
	char summary[512];
	FILE *null;

	if (size > 256 * 1024)
		return 0;
	if (size < 128)
		fuzz_values(data, size);
	for (size_t i = 0; i + sizeof(sep) - 1 <= size; i++) {
		if (memcmp(data + i, sep, sizeof(sep) - 1) == 0) {
			main_len = i;
			os = data + i + sizeof(sep) - 1;
			os_len = size - main_len - (sizeof(sep) - 1);
			break;
		}
	}
	diag_list_init(&dl);
	env = bt_env_new("/nonexistent/fuzz");
	if (bt_env_parse_main(env, data, main_len, &dl) >= 0 && env->version >= 0) {
		int r = 0;
		if (os)
			r = bt_env_parse_os(env, "fuzz", os, os_len, &dl);
		r += bt_env_check(env, &sys, &dl);
		if (r == 12345 || bt_env_default_os(env) == summary)
			fputs("", stderr);
	}
	bt_env_summary(env, summary, sizeof(summary));
	diag_list_sort(&dl);
	null = fopen("/dev/null", "w");
	if (null) {
		diag_list_print(&dl, null);
		fclose(null);
	}
	bt_env_free(env);
	diag_list_release(&dl);
	return 0;
}
