/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/bundle.h"
#include "server/fsutil.h"
#include "server/outdir.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0644), 0);
}

static bool exists(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	char path[512];

	snprintf(root, sizeof(root), "/tmp/bt-test-outdir-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/env/oss/tiny", root);
	assert_int_equal(fs_mkdirs(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/data/ph1", root);
	assert_int_equal(fs_mkdirs(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/data/loaders", root);
	assert_int_equal(fs_mkdirs(path, 0755), 0);
	put("env/Boottorrent.yaml", "version: 1\n"
				    "server: {address: 10.77.0.1}\n"
				    "dhcp: {mode: off}\n"
				    "hosts:\n"
				    "  - {mac: \"52:54:00:00:00:01\", os: tiny}\n");
	put("env/oss/tiny/config.yaml", "dispname: Tiny\nmethod: bin\nbin: prog\n");
	put("env/oss/tiny/prog", "#!/bin/sh\necho tiny\n");
	put("env/oss/tiny/data.bin", "some data that is part of the OS\n");
	snprintf(path, sizeof(path), "%s/env/ssh", root);
	assert_int_equal(fs_mkdirs(path, 0700), 0);
	put("env/ssh/id_ed25519.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test\n");
	put("data/ph1/vmlinuz", "kernel");
	put("data/ph1/initrd.img", "initrd");
	put("data/loaders/pxelinux.0", "pxe");
	put("data/loaders/ldlinux.c32", "ld");
	/* No UEFI loaders: the build says so and goes on. */
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int build(struct server_out *out)
{
	struct diag_list dl;
	struct bt_env *env = NULL;
	char dir[512], data[512], err[512] = "";
	struct server_out_opts o;
	int r;

	snprintf(dir, sizeof(dir), "%s/env", root);
	snprintf(data, sizeof(data), "%s/data", root);
	o = (struct server_out_opts){.data_dir = data};
	diag_list_init(&dl);
	r = bt_env_load(dir, &dl, &env);
	if (r != 0)
		diag_list_print(&dl, stderr);
	assert_int_equal(r, 0);
	r = server_out_build(env, &o, out, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "build: %s\n", err);
	bt_env_free(env);
	diag_list_release(&dl);
	return r;
}

static void test_build_and_cache(void **state)
{
	struct server_out out;
	uint8_t first[20];

	assert_int_equal(build(&out), 0);
	assert_int_equal(out.n_torrents, 1);
	assert_false(out.torrents[0].cached);
	assert_true(out.bios);
	assert_false(out.uefi);
	assert_true(out.ph1);
	/* config.yaml is not part of the OS's torrent. */
	assert_int_equal(out.torrents[0].mi.file_count, 2);
	for (size_t i = 0; i < out.torrents[0].mi.file_count; i++)
		assert_string_not_equal(out.torrents[0].mi.files[i].path, "config.yaml");
	assert_string_equal(out.torrents[0].mi.name, "tiny");
	assert_string_equal(out.torrents[0].mi.announce, "udp://10.77.0.1:6969/announce");
	memcpy(first, out.torrents[0].mi.info_hash, 20);
	server_out_release(&out);

	assert_true(exists("env/out/boot/pxelinux.cfg/default"));
	assert_true(exists("env/out/boot/pxelinux.cfg/01-52-54-00-00-00-01"));
	assert_true(exists("env/out/boot/grub/grub.cfg"));
	assert_true(exists("env/out/boot/grub/host-52:54:00:00:00:01.cfg"));
	assert_true(exists("env/out/boot/boot.ipxe"));
	assert_true(exists("env/out/boot/ph1/initrd.img"));
	assert_true(exists("env/out/boot/bundle.cpio"));
	assert_true(exists("env/out/cache/tiny.hashes"));

	/* Nothing changed: the cache is used and the info-hash is the same. */
	assert_int_equal(build(&out), 0);
	assert_true(out.torrents[0].cached);
	assert_memory_equal(first, out.torrents[0].mi.info_hash, 20);
	server_out_release(&out);

	/* The same size but new content and time: hashed again, new hash. */
	put("env/oss/tiny/data.bin", "SOME DATA THAT IS PART OF THE OS\n");
	assert_int_equal(build(&out), 0);
	assert_false(out.torrents[0].cached);
	assert_memory_not_equal(first, out.torrents[0].mi.info_hash, 20);
	server_out_release(&out);
}

static void test_bundle_contents(void **state)
{
	struct server_out out;
	struct archive *a;
	struct archive_entry *e;
	char path[512];
	bool yaml = false, osyaml = false, torrent = false, dir = false, keys = false;

	assert_int_equal(build(&out), 0);
	server_out_release(&out);
	snprintf(path, sizeof(path), "%s/env/out/boot/bundle.cpio", root);
	a = archive_read_new();
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *n = archive_entry_pathname(e);
		yaml |= strcmp(n, "etc/boottorrent/bundle/Boottorrent.yaml") == 0;
		osyaml |= strcmp(n, "etc/boottorrent/bundle/oss/tiny/config.yaml") == 0;
		torrent |= strcmp(n, "etc/boottorrent/bundle/torrents/tiny.torrent") == 0;
		keys |= strcmp(n, "etc/boottorrent/authorized_keys") == 0;
		dir |= strcmp(n, "etc/boottorrent/bundle/oss/tiny") == 0 &&
		       archive_entry_filetype(e) == AE_IFDIR;
	}
	archive_read_free(a);
	assert_true(yaml);
	assert_true(osyaml);
	assert_true(torrent);
	assert_true(dir);
	assert_true(keys);
}

static void test_no_address(void **state)
{
	struct server_out out;
	struct diag_list dl;
	struct bt_env *env = NULL;
	char dir[512], err[256];
	struct server_out_opts o = {.data_dir = "/nonexistent"};

	put("env/Boottorrent.yaml", "version: 1\ndhcp: {mode: off}\n");
	snprintf(dir, sizeof(dir), "%s/env", root);
	diag_list_init(&dl);
	assert_int_equal(bt_env_load(dir, &dl, &env), 0);
	assert_int_equal(server_out_build(env, &o, &out, err, sizeof(err)), -EADDRNOTAVAIL);
	assert_non_null(strstr(err, "server.address"));
	server_out_release(&out);
	bt_env_free(env);
	diag_list_release(&dl);
}

/* An OS that runs in QEMU with phase 1 of the default flavour (no QEMU) is
 * flagged; with the full flavour, with no size report, or with no such OS,
 * it is not. */
static void test_qemu_needs_full_flavour(void **state)
{
	struct server_out out;
	char path[512];

	put("data/ph1/size.txt",
	    "BootTorrent phase 1, flavour default, kernel 6.1.0, initrd zstd\n");
	assert_int_equal(build(&out), 0);
	assert_false(out.ph1_lacks_qemu); /* only a bin OS so far */
	server_out_release(&out);

	snprintf(path, sizeof(path), "%s/env/oss/vm", root);
	assert_int_equal(fs_mkdirs(path, 0755), 0);
	put("env/oss/vm/config.yaml", "dispname: VM\nmethod: bin-qemu-x86_64\n"
				      "args: \"-m 256 -cdrom disc.iso\"\n");
	put("env/oss/vm/disc.iso", "iso");
	assert_int_equal(build(&out), 0);
	assert_true(out.ph1);
	assert_true(out.ph1_lacks_qemu);
	server_out_release(&out);

	put("data/ph1/size.txt", "BootTorrent phase 1, flavour full, kernel 6.1.0, initrd zstd\n");
	assert_int_equal(build(&out), 0);
	assert_false(out.ph1_lacks_qemu);
	server_out_release(&out);

	put("data/ph1/size.txt", "");
	assert_int_equal(build(&out), 0);
	assert_false(out.ph1_lacks_qemu);
	server_out_release(&out);
}

static void test_piece_length(void **state)
{
	/* Small images: never under 64 KiB. */
	assert_int_equal(outdir_piece_length(1), 64 * 1024);
	assert_int_equal(outdir_piece_length((uint64_t)16 << 20), 64 * 1024);
	assert_int_equal(outdir_piece_length((uint64_t)64 << 20), 64 * 1024);
	assert_int_equal(outdir_piece_length((uint64_t)128 << 20), 128 * 1024);
	assert_int_equal(outdir_piece_length((uint64_t)256 << 20), 256 * 1024);
	/* Large ones: about 2,000 pieces, as torrent_piece_length_auto(). */
	assert_int_equal(outdir_piece_length((uint64_t)1 << 30), 1 << 20);
	assert_int_equal(outdir_piece_length((uint64_t)4 << 30), 4 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_and_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_needs_full_flavour, setup, teardown),
		cmocka_unit_test(test_piece_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
