/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/bootcfg.h"

static struct bootcfg sample(void)
{
	struct bootcfg c = {
		.http_port = 8080,
		.kernel = "ph1/vmlinuz",
		.initrd = "ph1/initrd.img",
		.bundle = "bundle.cpio",
		.title = "BootTorrent",
	};
	inet_pton(AF_INET, "10.77.0.1", &c.server);
	return c;
}

static void test_cmdline(void **state)
{
	struct bootcfg c = sample();
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(bootcfg_cmdline(&b, &c, NULL), 0);
	assert_non_null(strstr((char *)b.data, "bt.server=10.77.0.1 bt.http=8080 "));
	assert_null(strstr((char *)b.data, "bt.os="));
	assert_non_null(strstr((char *)b.data, " quiet cryptomgr.notests "
					       "initcall_blacklist=crypto_kdf108_init"));
	buf_reset(&b);
	c.cmdline = "bt.debug";
	assert_int_equal(bootcfg_cmdline(&b, &c, "debian"), 0);
	assert_non_null(strstr((char *)b.data, " bt.os=debian "));
	/* Extra arguments come last, so they can override ours. */
	assert_non_null(strstr((char *)b.data, "crypto_kdf108_init bt.debug"));
	buf_release(&b);
}

static void test_pxelinux(void **state)
{
	struct bootcfg c = sample();
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(bootcfg_pxelinux(&b, &c, NULL), 0);
	assert_non_null(strstr((char *)b.data, "KERNEL ph1/vmlinuz\n"));
	assert_non_null(strstr((char *)b.data, "INITRD ph1/initrd.img,bundle.cpio\n"));
	assert_non_null(strstr((char *)b.data, "IPAPPEND 3\n"));
	assert_non_null(strstr((char *)b.data, "DEFAULT phase1\n"));
	buf_release(&b);
}

static void test_grub(void **state)
{
	struct bootcfg c = sample();
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(bootcfg_grub(&b, &c), 0);
	assert_non_null(strstr((char *)b.data,
			       "linux /ph1/vmlinuz BOOTIF=01-${net_default_mac} bt.os=${bt_os} "));
	assert_non_null(strstr((char *)b.data, "initrd /ph1/initrd.img /bundle.cpio\n"));
	assert_non_null(strstr((char *)b.data, "source $prefix/host-${net_default_mac}.cfg"));
	/* The variable must be exported to reach the menu entry's context. */
	assert_non_null(strstr((char *)b.data, "export bt_os\n"));
	buf_reset(&b);
	assert_int_equal(bootcfg_grub_host(&b, "hello"), 0);
	assert_non_null(strstr((char *)b.data, "set bt_os=hello\n"));
	buf_release(&b);
}

static void test_ipxe(void **state)
{
	struct bootcfg c = sample();
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(bootcfg_ipxe(&b, &c), 0);
	assert_memory_equal(b.data, "#!ipxe\n", 7);
	assert_non_null(strstr((char *)b.data, "set base http://10.77.0.1:8080\n"));
	assert_non_null(strstr((char *)b.data, "initrd --name bundle.cpio ${base}/bundle.cpio"));
	/* The ROM's lease in pxelinux's IPAPPEND 1 form, for phase 1 to use
	 * without waiting for DHCP. */
	assert_non_null(strstr((char *)b.data, " BOOTIF=01-${netX/mac:hexhyp} "
					       "ip=${netX/ip}:${next-server}:${netX/gateway}:"
					       "${netX/netmask} bt.server=10.77.0.1 "));
	buf_release(&b);
}

static void test_too_small(void **state)
{
	struct bootcfg c = sample();
	struct buf b;

	/* A buffer with too small a maximum fails instead of truncating. */
	buf_init(&b, 32);
	assert_int_not_equal(bootcfg_pxelinux(&b, &c, NULL), 0);
	buf_release(&b);
}

static void test_mac_name(void **state)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0x0c, 0x01};
	char name[21];

	bootcfg_mac_name(name, mac);
	assert_string_equal(name, "01-52-54-00-ab-0c-01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline),  cmocka_unit_test(test_pxelinux),
		cmocka_unit_test(test_grub),     cmocka_unit_test(test_ipxe),
		cmocka_unit_test(test_too_small), cmocka_unit_test(test_mac_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
