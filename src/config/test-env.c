/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the environment model: loading version 0 and 1, the
 * original's sample environment, init, and a table of broken environments,
 * each with the exact place and words of the expected diagnostic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/env.h"
#include "config/value.h"

/* ---- a fake machine: eth1 is 10.0.0.1/24, vboxnet0 192.168.1.1/24 ---- */

static int fake_lookup(void *ctx, const char *name, struct config_iface *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(name, "eth1") == 0) {
		assert_int_equal(config_parse_ipv4("10.0.0.1", &out->addrs[0].addr), 0);
		assert_int_equal(config_parse_netmask("255.255.255.0", &out->addrs[0].netmask), 0);
		out->n_addrs = 1;
		return 0;
	}
	if (strcmp(name, "vboxnet0") == 0) {
		assert_int_equal(config_parse_ipv4("192.168.1.1", &out->addrs[0].addr), 0);
		assert_int_equal(config_parse_netmask("255.255.255.0", &out->addrs[0].netmask), 0);
		out->n_addrs = 1;
		return 0;
	}
	if (strcmp(name, "bare0") == 0)
		return 0;
	return -ENODEV;
}

static const struct config_sys fake_sys = {.iface_lookup = fake_lookup};

/* ---- temporary environments ---- */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	write_file(dir, name, text, strlen(text));
}

static void make_dir(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void write_bzimage(const char *dir, const char *name)
{
	uint8_t k[0x300] = {0};

	k[0x1fe] = 0x55;
	k[0x1ff] = 0xaa;
	memcpy(k + 0x202, "HdrS", 4);
	write_file(dir, name, k, sizeof(k));
}

static void write_initrd(const char *dir, const char *name)
{
	/* A gzip header is enough for the magic check. */
	static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 3, 0,
				     0,	   0,	 0,    0, 0, 0, 0, 0, 0, 0, 0};
	write_file(dir, name, gz, sizeof(gz));
}

static const char deb_config[] = "dispname: Debian\n"
				 "method: kexec\n"
				 "kernel: vmlinuz\n"
				 "initrd: initrd.img\n"
				 "cmdline: quiet\n";

/* A temporary environment with oss/deb (a valid kexec OS whose config is
 * os_yaml, or the default when NULL). Returns the folder (static). */
static const char *make_env(const char *yaml, const char *os_yaml)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/bt-test-env-XXXXXX");
	assert_non_null(mkdtemp(dir));
	if (yaml)
		write_text(dir, "Boottorrent.yaml", yaml);
	make_dir(dir, "oss");
	make_dir(dir, "oss/deb");
	write_text(dir, "oss/deb/config.yaml", os_yaml ? os_yaml : deb_config);
	write_bzimage(dir, "oss/deb/vmlinuz");
	write_initrd(dir, "oss/deb/initrd.img");
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Loads and checks dir with the fake machine. */
static int load_check(const char *dir, struct diag_list *dl, struct bt_env **env)
{
	int r;

	diag_list_init(dl);
	r = bt_env_load(dir, dl, env);
	if (r >= 0 && *env && (*env)->version >= 0 && bt_env_check(*env, &fake_sys, dl) != 0)
		r = CONFIG_E_INVALID;
	diag_list_sort(dl);
	return r;
}

static void dump(const struct diag_list *dl)
{
	for (size_t i = 0; i < dl->n; i++)
		diag_print(&dl->items[i], stderr);
}

/* ---- the original's sample environment ---- */

static void test_original_sample(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	char summary[256], a[INET_ADDRSTRLEN];
	const struct env_os *os;

	/* Clean but for its author's dnsmasq user, which this machine lacks:
	 * a warning, since start then stays root as the original did. */
	size_t user_warns = getpwnam("shreyansh") ? 0 : 1;

	assert_int_equal(load_check(TEST_DATA "/envs/original-v0", &dl, &env), 0);
	if (dl.n != user_warns)
		dump(&dl);
	assert_int_equal(dl.n, user_warns);
	if (user_warns)
		assert_non_null(strstr(dl.items[0].message, "user 'shreyansh' does not exist"));
	bt_env_summary(env, summary, sizeof(summary));
	assert_string_equal(
		summary,
		"4 OSs, dhcp server on vboxnet0 192.168.1.50-192.168.1.150, tracker :10001");
	/* How each version-0 key landed in the model. */
	assert_int_equal(env->version, 0);
	assert_int_equal(env->boot.timeout, 30);
	assert_int_equal(env->boot.seed_time, 0);
	assert_string_equal(env->boot.default_os, "freedos");
	assert_false(env->boot.menu_set);
	assert_true(env->server.has_address);
	assert_string_equal(inet_ntop(AF_INET, &env->server.address, a, sizeof(a)), "192.168.1.1");
	assert_string_equal(env->server.user, "shreyansh");
	assert_int_equal(env->dhcp.mode, ENV_DHCP_SERVER);
	assert_string_equal(env->dhcp.interface, "vboxnet0");
	assert_false(env->dhcp.bind_interface);
	assert_int_equal(env->dhcp.lease_time, 12 * 3600);
	assert_true(env->tftp.enable);
	assert_true(env->tracker.enable);
	assert_int_equal(env->tracker.port, 10001);
	assert_false(env->swarm.lpd);
	assert_true(env->swarm.pex);
	assert_int_equal(env->logging.level, LOG_INFO);
	assert_int_equal(env->n_oss, 4);
	assert_string_equal(env->oss[0].name, "alpine");
	assert_string_equal(env->oss[1].name, "freedos");
	assert_string_equal(env->oss[2].name, "testbin");
	assert_string_equal(env->oss[3].name, "testos");
	os = bt_env_find_os(env, "testos");
	assert_int_equal(os->method, OS_METHOD_KEXEC);
	assert_string_equal(os->dispname, "TestOS");
	assert_string_equal(os->kernel, "vmlinuz-linux-lts");
	assert_string_equal(os->initrd, "initramfs-linux-lts.img");
	assert_string_equal(os->cmdline, "break");
	os = bt_env_find_os(env, "testbin");
	assert_int_equal(os->method, OS_METHOD_BIN);
	assert_string_equal(os->bin, "hello");
	assert_string_equal(os->binargs, "");
	os = bt_env_find_os(env, "alpine");
	assert_int_equal(os->method, OS_METHOD_QEMU);
	assert_string_equal(os->args, "-cdrom alpine-virt-3.8.0-x86.iso");
	assert_string_equal(bt_env_default_os(env), "freedos");
	bt_env_free(env);
	diag_list_release(&dl);
}

/* The same environment checked on a machine without its interface: one
 * warning, no error. */
static void test_missing_interface_is_warning(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	struct config_sys none = {.iface_lookup = fake_lookup};

	diag_list_init(&dl);
	assert_int_equal(bt_env_load(TEST_DATA "/envs/original-v0", &dl, &env), 0);
	free(env->dhcp.interface);
	env->dhcp.interface = strdup("vboxnet9");
	assert_int_equal(bt_env_check(env, &none, &dl), 0);
	assert_int_equal(dl.n_errors, 0);
	assert_int_equal(dl.n_warnings, getpwnam("shreyansh") ? 1 : 2);
	diag_list_sort(&dl);
	assert_int_equal(dl.items[0].line, 11);
	assert_int_equal(dl.items[0].col, 14);
	assert_non_null(strstr(dl.items[0].message, "does not exist on this machine"));
	bt_env_free(env);
	diag_list_release(&dl);
}

/* ---- init ---- */

static void test_init_then_check(void **state)
{
	char dir[64], sub[96];
	struct diag_list dl;
	struct bt_env *env = NULL;
	struct stat st;

	snprintf(dir, sizeof(dir), "/tmp/bt-test-init-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/lab", dir);
	assert_int_equal(bt_env_create(sub, "eth1"), 0);
	assert_int_equal(load_check(sub, &dl, &env), 0);
	if (dl.n)
		dump(&dl);
	assert_int_equal(dl.n, 0);
	assert_int_equal(env->version, 1);
	assert_int_equal(env->dhcp.mode, ENV_DHCP_PROXY);
	assert_string_equal(env->dhcp.interface, "eth1");
	assert_int_equal(env->boot.timeout, 30);
	assert_int_equal(env->n_oss, 0);
	bt_env_free(env);
	diag_list_release(&dl);

	/* Never over an existing folder, and nothing in it changes. */
	snprintf(sub, sizeof(sub), "%s/lab/Boottorrent.yaml", dir);
	assert_int_equal(truncate(sub, 3), 0);
	snprintf(sub, sizeof(sub), "%s/lab", dir);
	assert_int_equal(bt_env_create(sub, "eth1"), -EEXIST);
	snprintf(sub, sizeof(sub), "%s/lab/Boottorrent.yaml", dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_size, 3);
	snprintf(sub, sizeof(sub), "%s/lab", dir);
	assert_int_equal(bt_env_create(sub, "bad name"), -EINVAL);
	remove_tree(dir);
}

/* ---- version 0 mapping details ---- */

static void test_v0_mapping(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	const char *dir = make_env("boottorrent:\n"
				   "  version: 0\n"
				   "  timeout: -5\n"
				   "  default_os: deb\n"
				   "  host_ip: 10.0.0.1\n"
				   "  display_oss: [deb]\n"
				   "dnsmasq:\n"
				   "  enable_dhcp: True\n"
				   "  interface: eth1\n"
				   "  dhcp_range: \"10.0.0.0,proxy\"\n"
				   "hefur:\n"
				   "  enable: False\n"
				   "  port: 7000\n"
				   "transmission:\n"
				   "  rpc_port: 9091\n"
				   "aria2:\n"
				   "  bt_enable_lpd: yes\n"
				   "  enable_dht: true\n"
				   "  check_integrity: false\n"
				   "  console_log_level: debug\n",
				   NULL);

	assert_int_equal(load_check(dir, &dl, &env), 0);
	assert_int_equal(env->boot.timeout, -1);
	assert_true(env->boot.menu_set);
	assert_int_equal(env->dhcp.mode, ENV_DHCP_PROXY);
	assert_false(env->dhcp.has_range);
	assert_false(env->tracker.enable);
	assert_int_equal(env->tracker.port, 7000);
	assert_true(env->swarm.lpd);
	assert_int_equal(env->logging.level, LOG_DEBUG);
	/* DHT is ignored, and LPD alone is slow: two warnings, no error. */
	assert_int_equal(dl.n_errors, 0);
	assert_int_equal(dl.n_warnings, 2);
	bt_env_free(env);
	diag_list_release(&dl);
	remove_tree(dir);
}

static void test_v1_full(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	char summary[256];
	const char *dir =
		make_env("version: 1\n"
			 "boot: {timeout: 0, seed_time: 120, menu: [deb]}\n"
			 "server: {address: 10.0.0.1, user: nobody}\n"
			 "dhcp:\n"
			 "  mode: server\n"
			 "  interface: eth1\n"
			 "  range: 10.0.0.100 - 10.0.0.200\n"
			 "  netmask: 255.255.255.0\n"
			 "  router: 10.0.0.254\n"
			 "  dns: [10.0.0.53, 10.0.0.54]\n"
			 "  lease_time: 2h\n"
			 "tftp: {enable: true, port: 1069, blksize_max: 1400, workers: 3}\n"
			 "http: {port: 8081}\n"
			 "tracker:\n"
			 "  port: 7070\n"
			 "  interval: 60\n"
			 "  announce: [\"udp://t.example:6969/announce\"]\n"
			 "swarm: {port: 6882, lpd: true, pex: false, super_seed: false,\n"
			 "        super_seed_copies: 3,\n"
			 "        upload_limit: 10M, piece_size: 1M}\n"
			 "logging: {level: warn, components: {dhcp: debug, peer: error, swarm: info}}\n"
			 "hosts:\n"
			 "  - mac: \"52:54:00:00:00:01\"\n"
			 "    ip: 10.0.0.21\n"
			 "    os: deb\n"
			 "    hostname: lab-01\n"
			 "  - {mac: \"52:54:00:00:00:02\", os: deb}\n",
			 NULL);

	assert_int_equal(load_check(dir, &dl, &env), 0);
	if (dl.n)
		dump(&dl);
	assert_int_equal(dl.n, 0);
	assert_int_equal(env->boot.timeout, 0);
	assert_int_equal(env->boot.seed_time, 120);
	assert_string_equal(bt_env_default_os(env), "deb");
	assert_string_equal(env->server.user, "nobody");
	assert_int_equal(env->dhcp.lease_time, 7200);
	assert_int_equal(env->dhcp.n_dns, 2);
	assert_true(env->dhcp.has_router);
	assert_int_equal(env->tftp.port, 1069);
	assert_int_equal(env->tftp.blksize_max, 1400);
	assert_int_equal(env->tftp.workers, 3);
	assert_int_equal(env->http.port, 8081);
	assert_int_equal(env->tracker.interval, 60);
	assert_int_equal(env->tracker.n_announce, 1);
	assert_int_equal(env->swarm.port, 6882);
	assert_int_equal(env->swarm.upload_limit, 10 << 20);
	assert_int_equal(env->swarm.piece_size, 1 << 20);
	assert_false(env->swarm.super_seed);
	assert_int_equal(env->swarm.super_seed_copies, 3);
	assert_int_equal(env->logging.level, LOG_WARN);
	assert_int_equal(env->logging.n_components, 3);
	assert_string_equal(env->logging.components[0].component, "DHCP");
	assert_int_equal(env->logging.components[0].level, LOG_DEBUG);
	assert_string_equal(env->logging.components[2].component, "SWARM");
	assert_int_equal(env->logging.components[2].level, LOG_INFO);
	assert_int_equal(env->n_hosts, 2);
	assert_true(env->hosts[0].has_ip);
	assert_string_equal(env->hosts[0].hostname, "lab-01");
	assert_false(env->hosts[1].has_ip);
	bt_env_summary(env, summary, sizeof(summary));
	assert_string_equal(summary,
			    "1 OS, dhcp server on eth1 10.0.0.100-10.0.0.200, tracker :7070");
	bt_env_free(env);
	diag_list_release(&dl);
	remove_tree(dir);
}

/* ---- the table of broken environments ---- */

#define V1 "version: 1\n"
#define DHCP_OK "dhcp:\n  mode: server\n  interface: eth1\n  range: 10.0.0.100-10.0.0.200\n"

struct broken {
	const char *yaml;    /* Boottorrent.yaml */
	const char *os_yaml; /* oss/deb/config.yaml, NULL: a valid one */
	const char *file;    /* the diagnostic's file, relative to the env */
	unsigned line, col;
	enum diag_severity sev;
	const char *frag; /* in the message */
};

static const struct broken broken[] = {
	/* The file as a whole. */
	{"", NULL, "Boottorrent.yaml", 0, 0, DIAG_ERROR, "the file is empty"},
	{"- a\n- b\n", NULL, "Boottorrent.yaml", 1, 1, DIAG_ERROR, "top level must be a mapping"},
	{"just text\n", NULL, "Boottorrent.yaml", 1, 1, DIAG_ERROR, "top level must be a mapping"},
	{"boot: {timeout: 1}\n", NULL, "Boottorrent.yaml", 1, 1, DIAG_ERROR,
	 "does not say which version"},
	{"version: 2\n", NULL, "Boottorrent.yaml", 1, 10, DIAG_ERROR, "unsupported version '2'"},
	{"version: 0\n", NULL, "Boottorrent.yaml", 1, 10, DIAG_ERROR, "unsupported version '0'"},
	{"boottorrent:\n  version: 1\n", NULL, "Boottorrent.yaml", 2, 12, DIAG_ERROR,
	 "unsupported version '1'"},
	{"boottorrent: 5\n", NULL, "Boottorrent.yaml", 1, 14, DIAG_ERROR,
	 "'boottorrent' must be a mapping"},
	{"boottorrent:\n  timeout: 1\n", NULL, "Boottorrent.yaml", 1, 1, DIAG_ERROR,
	 "boottorrent.version is missing"},
	{"version: 1\nboot:\n  timeout: 1\n  timeout: 2\n", NULL, "Boottorrent.yaml", 4, 3,
	 DIAG_ERROR, "duplicate key 'timeout'"},
	{"version: 1\nboot: [\n", NULL, "Boottorrent.yaml", 3, 1, DIAG_ERROR, "invalid YAML"},
	{"version: 1\nx: &a [1]\ny: *a\n", NULL, "Boottorrent.yaml", 3, 4, DIAG_ERROR,
	 "aliases are not supported"},
	/* Types and ranges. */
	{V1 "boot:\n  timeout: soon\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 12, DIAG_ERROR,
	 "boot.timeout must be a whole number, not 'soon'"},
	{V1 "boot:\n  timeout: 99999999999999999999999999\n" DHCP_OK, NULL, "Boottorrent.yaml", 3,
	 12, DIAG_ERROR, "boot.timeout is out of range"},
	{V1 "boot:\n  timeout: [1]\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 12, DIAG_ERROR,
	 "boot.timeout must be a single value, not a list"},
	{V1 "boot:\n  seed_time: -1\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 14, DIAG_ERROR,
	 "boot.seed_time must not be negative"},
	{V1 "boot: 5\n" DHCP_OK, NULL, "Boottorrent.yaml", 2, 7, DIAG_ERROR,
	 "'boot' must be a mapping of keys, not text"},
	{V1 "boot:\n  timout: 5\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 3, DIAG_WARNING,
	 "unknown key 'timout' in boot"},
	{V1 "bot:\n  timeout: 5\n" DHCP_OK, NULL, "Boottorrent.yaml", 2, 1, DIAG_WARNING,
	 "unknown key 'bot'"},
	{V1 DHCP_OK "tracker:\n  port: 0\n", NULL, "Boottorrent.yaml", 7, 9, DIAG_ERROR,
	 "tracker.port is out of range"},
	{V1 DHCP_OK "tracker:\n  port: 65536\n", NULL, "Boottorrent.yaml", 7, 9, DIAG_ERROR,
	 "tracker.port is out of range"},
	{V1 DHCP_OK "tftp:\n  workers: 17\n", NULL, "Boottorrent.yaml", 7, 12, DIAG_ERROR,
	 "tftp.workers is out of range"},
	{V1 DHCP_OK "tftp:\n  enable: \"yes\"\n", NULL, "Boottorrent.yaml", 7, 11, DIAG_ERROR,
	 "tftp.enable must be true or false"},
	{V1 DHCP_OK "server:\n  address: 10.0.0.256\n", NULL, "Boottorrent.yaml", 7, 12, DIAG_ERROR,
	 "server.address must be an IPv4 address"},
	{V1 DHCP_OK "server:\n  address: 127.0.0.1\n", NULL, "Boottorrent.yaml", 7, 12, DIAG_ERROR,
	 "cannot be reached by clients"},
	{V1 DHCP_OK "server:\n  address: 10.0.0.9\n", NULL, "Boottorrent.yaml", 7, 12, DIAG_WARNING,
	 "is not an address of interface 'eth1'"},
	{V1 DHCP_OK "swarm:\n  piece_size: 3000\n", NULL, "Boottorrent.yaml", 7, 15, DIAG_ERROR,
	 "must be a power of two"},
	{V1 DHCP_OK "logging:\n  level: loud\n", NULL, "Boottorrent.yaml", 7, 10, DIAG_ERROR,
	 "logging.level must be a log level"},
	{V1 DHCP_OK "logging:\n  components: {dhpc: debug}\n", NULL, "Boottorrent.yaml", 7, 16,
	 DIAG_WARNING, "unknown log component 'dhpc'"},
	{V1 DHCP_OK "tracker:\n  announce: [\"ftp://x\"]\n", NULL, "Boottorrent.yaml", 7, 14,
	 DIAG_ERROR, "is not an http, https or udp URL"},
	/* DHCP. */
	{V1 "dhcp:\n  mode: sever\n  interface: eth1\n", NULL, "Boottorrent.yaml", 3, 9, DIAG_ERROR,
	 "dhcp.mode must be server, proxy or off"},
	{V1 "dhcp:\n  mode: server\n  interface: eth1\n", NULL, "Boottorrent.yaml", 3, 9,
	 DIAG_ERROR, "the DHCP server has no address range"},
	{V1 "dhcp:\n  mode: proxy\n", NULL, "Boottorrent.yaml", 3, 9, DIAG_ERROR,
	 "dhcp.interface is not set"},
	{V1 "dhcp:\n  interface: eth1\n  range: 10.0.0.200-10.0.0.100\n", NULL, "Boottorrent.yaml",
	 4, 10, DIAG_ERROR, "is backwards"},
	{V1 "dhcp:\n  interface: eth1\n  range: 10.0.1.10-10.0.1.20\n", NULL, "Boottorrent.yaml", 4,
	 10, DIAG_ERROR, "is not inside the network 10.0.0.0/24 of interface 'eth1'"},
	{V1 "dhcp:\n  interface: eth1\n  range: 10.0.0.0-10.0.0.20\n", NULL, "Boottorrent.yaml", 4,
	 10, DIAG_ERROR, "network's own or broadcast address"},
	{V1 "dhcp:\n  interface: eth1\n  range: 10.0.0.1-10.0.0.20\n", NULL, "Boottorrent.yaml", 4,
	 10, DIAG_WARNING, "includes the server's own address"},
	{V1 "dhcp:\n  interface: eth1\n  range: 10.0.0.5\n", NULL, "Boottorrent.yaml", 4, 10,
	 DIAG_ERROR, "is not a range of IPv4 addresses"},
	{V1 "dhcp:\n  interface: eth1 eth2\n  range: 10.0.0.5-10.0.0.9\n", NULL, "Boottorrent.yaml",
	 3, 14, DIAG_ERROR, "dhcp.interface 'eth1 eth2' is not an interface name"},
	{V1 "dhcp:\n  interface: a-very-long-interface-name\n", NULL, "Boottorrent.yaml", 3, 14,
	 DIAG_ERROR, "is not an interface name"},
	{V1 "dhcp:\n  interface: nosuch0\n  range: 10.0.0.5-10.0.0.9\n", NULL, "Boottorrent.yaml",
	 3, 14, DIAG_WARNING, "interface 'nosuch0' does not exist on this machine"},
	{V1 "dhcp:\n  interface: bare0\n  range: 10.0.0.5-10.0.0.9\n", NULL, "Boottorrent.yaml", 3,
	 14, DIAG_WARNING, "has no IPv4 address"},
	{V1 "dhcp:\n  interface: eth1\n  range: 10.0.0.5-10.0.0.9\n  lease_time: 5\n", NULL,
	 "Boottorrent.yaml", 5, 15, DIAG_ERROR, "dhcp.lease_time is not a valid duration"},
	{V1 "dhcp:\n  interface: eth1\n  range: 10.0.0.5-10.0.0.9\n  netmask: 255.0.255.0\n", NULL,
	 "Boottorrent.yaml", 5, 12, DIAG_ERROR, "is not a netmask"},
	/* Ports and peers. */
	{V1 DHCP_OK "http:\n  port: 6969\n", NULL, "Boottorrent.yaml", 7, 9, DIAG_ERROR,
	 "http.port 6969 is already used by tracker.port"},
	{V1 DHCP_OK "tftp:\n  port: 67\n", NULL, "Boottorrent.yaml", 7, 9, DIAG_ERROR,
	 "tftp.port 67 is already used by DHCP"},
	{V1 DHCP_OK "tracker:\n  enable: false\n", NULL, "Boottorrent.yaml", 7, 11, DIAG_ERROR,
	 "clients have no way to find each other"},
	/* The boot menu. */
	{V1 "boot:\n  default_os: dbe\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 15, DIAG_ERROR,
	 "boot.default_os 'dbe' is not an OS folder"},
	{V1 "boot:\n  menu: [deb, deb]\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 15, DIAG_ERROR,
	 "'deb' appears twice in boot.menu"},
	{V1 "boot:\n  menu: [deb, nope]\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 15, DIAG_ERROR,
	 "there is no OS folder oss/nope"},
	{V1 "boot:\n  menu: [../etc]\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 10, DIAG_ERROR,
	 "is not a folder name"},
	{V1 "boot:\n  menu: deb\n" DHCP_OK, NULL, "Boottorrent.yaml", 3, 9, DIAG_ERROR,
	 "boot.menu must be a list"},
	/* Hosts. */
	{V1 DHCP_OK "hosts:\n  - mac: \"52:54:00:00:00:01\"\n  - mac: \"52:54:00:00:00:01\"\n",
	 NULL, "Boottorrent.yaml", 8, 10, DIAG_ERROR, "is listed twice"},
	{V1 DHCP_OK "hosts:\n  - ip: 10.0.0.5\n", NULL, "Boottorrent.yaml", 7, 5, DIAG_ERROR,
	 "hosts entry has no mac"},
	{V1 DHCP_OK "hosts:\n  - mac: 52-54-00\n", NULL, "Boottorrent.yaml", 7, 10, DIAG_ERROR,
	 "is not a MAC address"},
	{V1 DHCP_OK "hosts:\n  - {mac: \"52:54:00:00:00:01\", ip: 10.9.0.5}\n", NULL,
	 "Boottorrent.yaml", 7, 36, DIAG_ERROR, "host address 10.9.0.5 is not inside"},
	{V1 DHCP_OK "hosts:\n  - {mac: \"52:54:00:00:00:01\", ip: 10.0.0.1}\n", NULL,
	 "Boottorrent.yaml", 7, 36, DIAG_ERROR, "is the server's own"},
	{V1 DHCP_OK "hosts:\n  - {mac: \"52:54:00:00:00:01\", os: win}\n", NULL, "Boottorrent.yaml",
	 7, 36, DIAG_ERROR, "host OS 'win' is not served"},
	{V1 DHCP_OK "hosts:\n  - {mac: \"52:54:00:00:00:01\", hostname: a_b}\n", NULL,
	 "Boottorrent.yaml", 7, 42, DIAG_ERROR, "is not a valid host name"},
	{V1 DHCP_OK "hosts: 5\n", NULL, "Boottorrent.yaml", 6, 8, DIAG_ERROR,
	 "hosts must be a list"},
	/* Version 0. */
	{"boottorrent:\n  version: 0\n", NULL, "Boottorrent.yaml", 1, 1, DIAG_ERROR,
	 "boottorrent.host_ip is missing"},
	{"boottorrent:\n  version: 0\n  host_ip: 10.0.0.1\n  seed_time: -3\n", NULL,
	 "Boottorrent.yaml", 4, 14, DIAG_ERROR, "boottorrent.seed_time must not be negative"},
	{"boottorrent:\n  version: 0\n  host_ip: 1.2.3\n", NULL, "Boottorrent.yaml", 3, 12,
	 DIAG_ERROR, "boottorrent.host_ip must be an IPv4 address"},
	{"boottorrent:\n  version: 0\n  host_ip: 10.0.0.1\ndnsmasq:\n  interface: eth1\n"
	 "  dhcp_range: \"10.0.0.50;10.0.0.60\"\n",
	 NULL, "Boottorrent.yaml", 6, 15, DIAG_ERROR,
	 "dnsmasq.dhcp_range '10.0.0.50;10.0.0.60' is not valid"},
	{"boottorrent:\n  version: 0\n  host_ip: 10.0.0.1\ndnsmasq:\n  interface: eth1\n"
	 "  dhcp_range: \"10.0.0.60,10.0.0.50,12h\"\n",
	 NULL, "Boottorrent.yaml", 6, 15, DIAG_ERROR, "dnsmasq.dhcp_range is backwards"},
	{"boottorrent:\n  version: 0\n  host_ip: 10.0.0.1\ndnsmasq:\n  enable_dhcp: maybe\n", NULL,
	 "Boottorrent.yaml", 5, 16, DIAG_ERROR, "dnsmasq.enable_dhcp must be true or false"},
	{"boottorrent:\n  version: 0\n  host_ip: 10.0.0.1\n  default_os: deb\ndnsmasq:\n"
	 "  interface: eth1\n  dhcp_range: \"10.0.0.50,10.0.0.60\"\nopentracker:\n  enable: False\n"
	 "aria2:\n  bt_enable_lpd: False\n",
	 NULL, "Boottorrent.yaml", 9, 11, DIAG_ERROR, "clients have no way to find each other"},
	{"boottorrent:\n  version: 0\n  host_ip: 10.0.0.1\ndnsmasq:\n  interface: eth1\n"
	 "  dhcp_range: \"10.0.0.50,10.0.0.60\"\naria2:\n  console_log_level: loud\n",
	 NULL, "Boottorrent.yaml", 8, 22, DIAG_ERROR,
	 "aria2.console_log_level must be a log level"},
	{"boottorrent:\n  version: 0\n  host_ip: 10.0.0.1\n  display_oss: [deb, dbe]\n"
	 "dnsmasq:\n  interface: eth1\n  dhcp_range: \"10.0.0.50,10.0.0.60\"\n",
	 NULL, "Boottorrent.yaml", 4, 22, DIAG_ERROR, "there is no OS folder oss/dbe"},
	/* The OS's config.yaml. */
	{V1 DHCP_OK, "", "oss/deb/config.yaml", 0, 0, DIAG_ERROR, "must be a mapping of keys"},
	{V1 DHCP_OK, "[1]\n", "oss/deb/config.yaml", 1, 1, DIAG_ERROR, "must be a mapping of keys"},
	{V1 DHCP_OK, "method: kexec\nkernel: vmlinuz\ninitrd: initrd.img\n", "oss/deb/config.yaml",
	 1, 1, DIAG_ERROR, "dispname is missing"},
	{V1 DHCP_OK, "dispname: D\n", "oss/deb/config.yaml", 1, 1, DIAG_ERROR, "method is missing"},
	{V1 DHCP_OK, "dispname: D\nmethod: kexc\n", "oss/deb/config.yaml", 2, 9, DIAG_ERROR,
	 "unknown method 'kexc'"},
	{V1 DHCP_OK, "dispname: D\nmethod: qemu-iso\nisofile: a.iso\n", "oss/deb/config.yaml", 2, 9,
	 DIAG_ERROR, "unknown method 'qemu-iso'"},
	{V1 DHCP_OK, "dispname: D\nmethod: kexec\ninitrd: initrd.img\n", "oss/deb/config.yaml", 2,
	 9, DIAG_ERROR, "method kexec needs kernel"},
	{V1 DHCP_OK, "dispname: D\nmethod: bin\n", "oss/deb/config.yaml", 2, 9, DIAG_ERROR,
	 "method bin needs bin"},
	{V1 DHCP_OK, "dispname: D\nmethod: bin-qemu-x86_64\n", "oss/deb/config.yaml", 2, 9,
	 DIAG_ERROR, "method bin-qemu-x86_64 needs args"},
	{V1 DHCP_OK, "dispname: D\nmethod: bin\nbin: vmlinuz\nkernel: vmlinuz\n",
	 "oss/deb/config.yaml", 4, 1, DIAG_WARNING, "'kernel' is not used by method bin"},
	{V1 DHCP_OK, "dispname: D\nmethod: bin\nbin: vmlinuz\ndispnme: x\n", "oss/deb/config.yaml",
	 4, 1, DIAG_WARNING, "unknown key 'dispnme'"},
	{V1 DHCP_OK,
	 "dispname: D\nmethod: kexec\nkernel: ../../Boottorrent.yaml\ninitrd: initrd.img\n",
	 "oss/deb/config.yaml", 3, 9, DIAG_ERROR, "is not a path inside the OS folder"},
	{V1 DHCP_OK, "dispname: D\nmethod: kexec\nkernel: /etc/hostname\ninitrd: initrd.img\n",
	 "oss/deb/config.yaml", 3, 9, DIAG_ERROR, "is not a path inside the OS folder"},
	{V1 DHCP_OK, "dispname: D\nmethod: kexec\nkernel: vmlinu\ninitrd: initrd.img\n",
	 "oss/deb/config.yaml", 3, 9, DIAG_ERROR, "kernel 'vmlinu' does not exist"},
	{V1 DHCP_OK, "dispname: D\nmethod: kexec\nkernel: initrd.img\ninitrd: initrd.img\n",
	 "oss/deb/config.yaml", 3, 9, DIAG_ERROR, "kernel 'initrd.img' is not a Linux bzImage"},
	{V1 DHCP_OK, "dispname: D\nmethod: kexec\nkernel: vmlinuz\ninitrd: vmlinuz\n",
	 "oss/deb/config.yaml", 4, 9, DIAG_WARNING, "does not look like an initramfs"},
	{V1 DHCP_OK, "dispname: D\nmethod: bin\nbin: .\n", "oss/deb/config.yaml", 3, 6, DIAG_ERROR,
	 "is not a path inside the OS folder"},
	{V1 DHCP_OK, "dispname: D\nmethod: bin\nbin: 5\nbinargs: [a]\n", "oss/deb/config.yaml", 4,
	 10, DIAG_ERROR, "binargs must be a single value"},
};

static void test_broken_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		const struct broken *b = &broken[i];
		const char *dir = make_env(b->yaml, b->os_yaml);
		struct diag_list dl;
		struct bt_env *env = NULL;
		char file[256];
		bool found = false;
		int r;

		snprintf(file, sizeof(file), "%s/%s", dir, b->file);
		r = load_check(dir, &dl, &env);
		for (size_t j = 0; j < dl.n && !found; j++) {
			const struct diag *d = &dl.items[j];
			found = d->file && strcmp(d->file, file) == 0 && d->line == b->line &&
				d->col == b->col && d->severity == b->sev &&
				strstr(d->message, b->frag) && d->hint;
		}
		if (!found || (b->sev == DIAG_ERROR) != (r != 0)) {
			fprintf(stderr, "case %zu: want %s:%u:%u %s '%s', r=%d, got:\n", i, b->file,
				b->line, b->col, b->sev == DIAG_ERROR ? "error" : "warning",
				b->frag, r);
			dump(&dl);
			fail();
		}
		bt_env_free(env);
		diag_list_release(&dl);
		remove_tree(dir);
	}
}

/* ---- the file system: folders and symlinks that lead out ---- */

static void test_symlinks(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	const char *dir = make_env(V1 DHCP_OK "boot:\n  default_os: deb\n",
				   "dispname: D\nmethod: kexec\nkernel: k\ninitrd: initrd.img\n");
	char path[256], target[256];
	bool found_k = false, found_os = false;

	/* A kernel symlinked to a file outside the folder (but inside the
	 * environment), and an OS folder that is a symlink out of it. */
	snprintf(path, sizeof(path), "%s/oss/deb/k", dir);
	assert_int_equal(symlink("../../Boottorrent.yaml", path), 0);
	snprintf(path, sizeof(path), "%s/oss/out", dir);
	snprintf(target, sizeof(target), "/tmp");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(load_check(dir, &dl, &env), CONFIG_E_INVALID);
	for (size_t i = 0; i < dl.n; i++) {
		if (strstr(dl.items[i].message, "kernel 'k' is a symlink that leads outside"))
			found_k = true;
		if (strstr(dl.items[i].message, "oss/out leads outside the environment"))
			found_os = true;
	}
	if (!found_k || !found_os)
		dump(&dl);
	assert_true(found_k);
	assert_true(found_os);
	bt_env_free(env);
	diag_list_release(&dl);
	remove_tree(dir);

	/* A symlink that stays inside the folder is fine. */
	dir = make_env(V1 DHCP_OK, "dispname: D\nmethod: kexec\nkernel: k\ninitrd: initrd.img\n");
	snprintf(path, sizeof(path), "%s/oss/deb/k", dir);
	assert_int_equal(symlink("vmlinuz", path), 0);
	assert_int_equal(load_check(dir, &dl, &env), 0);
	assert_int_equal(dl.n, 0);
	bt_env_free(env);
	diag_list_release(&dl);
	remove_tree(dir);
}

/* FIFOs where files belong are refused at once, never waited on. */
static void test_fifos(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	const char *dir =
		make_env(V1 DHCP_OK, "dispname: D\nmethod: kexec\nkernel: k\ninitrd: initrd.img\n");
	char path[256];
	bool found = false;

	snprintf(path, sizeof(path), "%s/oss/deb/k", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(load_check(dir, &dl, &env), CONFIG_E_INVALID);
	for (size_t i = 0; i < dl.n; i++)
		found |= strstr(dl.items[i].message, "kernel 'k' is not a regular file") != NULL;
	assert_true(found);
	bt_env_free(env);
	diag_list_release(&dl);

	snprintf(path, sizeof(path), "%s/Boottorrent.yaml", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(load_check(dir, &dl, &env), CONFIG_E_INVALID);
	assert_null(env);
	assert_non_null(strstr(dl.items[0].message, "cannot read"));
	diag_list_release(&dl);
	remove_tree(dir);
}

static void test_missing_pieces(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	const char *dir = make_env(NULL, NULL);
	char path[256];

	/* No Boottorrent.yaml. */
	assert_int_equal(load_check(dir, &dl, &env), CONFIG_E_INVALID);
	assert_null(env);
	assert_int_equal(dl.n, 1);
	assert_non_null(strstr(dl.items[0].message, "no such file"));
	diag_list_release(&dl);

	/* An OS folder without config.yaml, and two OSs with one name. */
	write_text(dir, "Boottorrent.yaml", V1 DHCP_OK "boot:\n  default_os: deb\n");
	make_dir(dir, "oss/empty");
	make_dir(dir, "oss/deb2");
	write_text(dir, "oss/deb2/config.yaml", "dispname: Debian\nmethod: bin\nbin: b\n");
	write_text(dir, "oss/deb2/b", "#!/bin/sh\n");
	assert_int_equal(load_check(dir, &dl, &env), CONFIG_E_INVALID);
	assert_int_equal(dl.n_errors, 2);
	snprintf(path, sizeof(path), "%s/oss/deb2/config.yaml", dir);
	assert_string_equal(dl.items[0].file, path);
	assert_int_equal(dl.items[0].line, 1);
	assert_non_null(strstr(dl.items[0].message, "display name 'Debian' is not unique"));
	snprintf(path, sizeof(path), "%s/oss/empty/config.yaml", dir);
	assert_string_equal(dl.items[1].file, path);
	assert_non_null(strstr(dl.items[1].message, "missing"));
	bt_env_free(env);
	diag_list_release(&dl);
	remove_tree(dir);
}

/* server.user must exist on the machine start runs on. */
static void test_server_user(void **state)
{
	static const char *const os =
		"dispname: D\nmethod: kexec\nkernel: vmlinuz\ninitrd: initrd.img\n";
	struct diag_list dl;
	struct bt_env *env = NULL;
	const char *dir = make_env(V1 DHCP_OK "server:\n  user: root\n", os);
	int r = load_check(dir, &dl, &env);

	if (r != 0)
		dump(&dl);
	assert_int_equal(r, 0);
	bt_env_free(env);
	diag_list_release(&dl);
	remove_tree(dir);

	dir = make_env(V1 DHCP_OK "server:\n  user: no-such-user-bt\n", os);
	assert_int_equal(load_check(dir, &dl, &env), CONFIG_E_INVALID);
	assert_int_equal(dl.n_errors, 1);
	assert_non_null(strstr(dl.items[0].message, "user 'no-such-user-bt' does not exist"));
	assert_non_null(strstr(dl.items[0].hint, "adduser --system"));
	bt_env_free(env);
	diag_list_release(&dl);
	remove_tree(dir);
}

static void test_caps(void **state)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	size_t cap = 64 * (ENV_MAX_HOSTS + 2) + 256, off = 0;
	char *yaml = malloc(cap);

	off += (size_t)snprintf(yaml + off, cap - off, V1 DHCP_OK "hosts:\n");
	for (unsigned i = 0; i <= ENV_MAX_HOSTS; i++)
		off += (size_t)snprintf(yaml + off, cap - off,
					"  - {mac: \"52:54:00:00:%02x:%02x\"}\n", i >> 8, i & 0xff);
	diag_list_init(&dl);
	env = bt_env_new("/nonexistent");
	assert_int_equal(bt_env_parse_main(env, (uint8_t *)yaml, off, &dl), CONFIG_E_INVALID);
	assert_non_null(strstr(dl.items[0].message, "more than 4096 hosts"));
	assert_int_equal(env->n_hosts, 0);
	bt_env_free(env);
	diag_list_release(&dl);
	free(yaml);
}

static void test_server_address(void **state)
{
	struct bt_env *env = bt_env_new("/x");
	struct in_addr a, m;

	assert_int_equal(bt_env_server_address(env, &fake_sys, &a, &m), -ENODEV);
	env->dhcp.interface = strdup("eth1");
	assert_int_equal(bt_env_server_address(env, &fake_sys, &a, &m), 0);
	assert_int_equal(ntohl(a.s_addr), 0x0a000001);
	assert_int_equal(ntohl(m.s_addr), 0xffffff00);
	free(env->dhcp.interface);
	env->dhcp.interface = strdup("bare0");
	assert_int_equal(bt_env_server_address(env, &fake_sys, &a, &m), -EADDRNOTAVAIL);
	env->server.has_address = true;
	assert_int_equal(config_parse_ipv4("10.0.0.7", &env->server.address), 0);
	assert_int_equal(bt_env_server_address(env, &fake_sys, &a, &m), 0);
	assert_int_equal(ntohl(a.s_addr), 0x0a000007);
	assert_int_equal(ntohl(m.s_addr), 0xffffffff);
	free(env->dhcp.interface);
	env->dhcp.interface = strdup("nosuch");
	assert_int_equal(bt_env_server_address(env, &fake_sys, &a, &m), 0);
	assert_int_equal(ntohl(a.s_addr), 0x0a000007);
	bt_env_free(env);
}

/* Defaults when a section is left out. */
static void test_defaults(void **state)
{
	struct diag_list dl;
	struct bt_env *env = bt_env_new("/x");
	const char *y = "version: 1\n";

	diag_list_init(&dl);
	assert_int_equal(bt_env_parse_main(env, (const uint8_t *)y, strlen(y), &dl), 0);
	assert_int_equal(env->boot.timeout, 30);
	assert_int_equal(env->boot.seed_time, 30);
	assert_null(env->boot.default_os);
	assert_int_equal(env->dhcp.mode, ENV_DHCP_SERVER);
	assert_true(env->dhcp.bind_interface);
	assert_int_equal(env->dhcp.lease_time, 12 * 3600);
	assert_int_equal(env->tftp.port, 69);
	assert_int_equal(env->http.port, 8080);
	assert_int_equal(env->tracker.port, 6969);
	assert_int_equal(env->swarm.port, 6881);
	assert_true(env->swarm.pex);
	assert_false(env->swarm.lpd);
	assert_true(env->swarm.super_seed);
	assert_int_equal(env->swarm.super_seed_copies, 2);
	assert_int_equal(env->logging.level, LOG_INFO);
	assert_string_equal(env->config_path, "/x/Boottorrent.yaml");
	bt_env_free(env);
	diag_list_release(&dl);
	bt_env_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_original_sample),
		cmocka_unit_test(test_missing_interface_is_warning),
		cmocka_unit_test(test_init_then_check),
		cmocka_unit_test(test_v0_mapping),
		cmocka_unit_test(test_v1_full),
		cmocka_unit_test(test_broken_table),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_missing_pieces),
		cmocka_unit_test(test_fifos),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_server_user),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_server_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
