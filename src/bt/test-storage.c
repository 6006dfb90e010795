/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "bencode/piece-hasher.h"
#include "bt/storage.h"
#include "util/path.h"

/* Three files of 10, 0 and 45 bytes (and a 7-byte one) in pieces of 16:
 * pieces straddle every file boundary. */
#define PLEN 16
static const char *const names[] = {"a", "sub/empty", "sub/b", "sub/deeper/c"};
static const uint64_t lens[] = {10, 0, 45, 7};
#define TOTAL 62

static uint8_t stream[TOTAL];

static void make_mi(struct metainfo *mi)
{
	uint64_t off = 0;

	memset(mi, 0, sizeof(*mi));
	mi->name = xstrdup("t");
	mi->multi_file = true;
	mi->piece_length = PLEN;
	mi->total_length = TOTAL;
	mi->piece_count = (TOTAL + PLEN - 1) / PLEN;
	mi->file_count = ARRAY_SIZE(names);
	mi->files = xcalloc(mi->file_count, sizeof(*mi->files));
	for (size_t i = 0; i < mi->file_count; i++) {
		mi->files[i].path = xstrdup(names[i]);
		mi->files[i].length = lens[i];
		mi->files[i].offset = off;
		off += lens[i];
	}
	for (size_t i = 0; i < TOTAL; i++)
		stream[i] = (uint8_t)(i * 7 + 3);
	mi->pieces = xmalloc(mi->piece_count * 20);
	for (uint32_t i = 0; i < mi->piece_count; i++)
		piece_sha1(mi->pieces + 20 * i, stream + i * PLEN, MIN(PLEN, TOTAL - i * PLEN));
}

static void free_mi(struct metainfo *mi)
{
	for (size_t i = 0; i < mi->file_count; i++)
		free(mi->files[i].path);
	free(mi->files);
	free(mi->pieces);
	free(mi->name);
}

static void test_write_read_verify(void **state)
{
	char dir[] = "/tmp/test-bt-storage.XXXXXX";
	struct metainfo mi;
	struct bt_storage st;
	struct bt_bitfield have;
	uint8_t back[PLEN];
	char path[256];
	struct stat sb;
	bool ok;
	const char *what;

	assert_non_null(mkdtemp(dir));
	make_mi(&mi);
	assert_int_equal(bt_storage_open(&st, dir, &mi, true, &what), 0);
	/* Fresh files: recheck finds nothing and reads nothing. */
	bt_bitfield_init(&have, mi.piece_count);
	assert_int_equal(bt_storage_recheck(&st, &have), 0);
	assert_int_equal(have.set, 0);
	/* Write each piece as two blocks, then verify. */
	for (uint32_t i = 0; i < mi.piece_count; i++) {
		uint32_t size = MIN(PLEN, TOTAL - i * PLEN);
		uint32_t half = size / 2;
		assert_int_equal(bt_storage_write(&st, i, 0, stream + i * PLEN, half), 0);
		assert_int_equal(bt_storage_verify(&st, i, &ok), 0);
		assert_false(ok);
		assert_int_equal(
			bt_storage_write(&st, i, half, stream + i * PLEN + half, size - half), 0);
		assert_int_equal(bt_storage_verify(&st, i, &ok), 0);
		assert_true(ok);
		assert_int_equal(bt_storage_read(&st, i, 0, back, size), 0);
		assert_memory_equal(back, stream + i * PLEN, size);
	}
	/* Ranges read at once: piece 1 lies in file b (one preadv), piece 0
	 * straddles a and b (range by range). */
	for (uint32_t i = 0; i < 2; i++) {
		uint8_t x[6], y[PLEN - 6];
		struct iovec v[2] = {{x, sizeof(x)}, {y, sizeof(y)}};

		assert_int_equal(bt_storage_readv(&st, i, 0, v, 2), 0);
		assert_memory_equal(x, stream + i * PLEN, sizeof(x));
		assert_memory_equal(y, stream + i * PLEN + sizeof(x), sizeof(y));
	}
	/* Verifying a piece whose first bytes were hashed as they arrived. */
	{
		struct sha1_ctx sha;

		sha1_init(&sha);
		sha1_update(&sha, 5, stream + PLEN);
		assert_int_equal(bt_storage_verify_rest(&st, 1, &sha, 5, &ok), 0);
		assert_true(ok);
		sha1_init(&sha);
		sha1_update(&sha, 5, stream); /* the wrong bytes */
		assert_int_equal(bt_storage_verify_rest(&st, 1, &sha, 5, &ok), 0);
		assert_false(ok);
	}
	/* Past the end. */
	assert_int_equal(bt_storage_read(&st, 3, 0, back, PLEN), -EINVAL);
	bt_storage_close(&st);
	/* The files hold the right slices of the stream. */
	snprintf(path, sizeof(path), "%s/t/sub/b", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 45);
	snprintf(path, sizeof(path), "%s/t/sub/empty", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	snprintf(path, sizeof(path), "%s/t/sub/deeper/c", dir);
	{
		FILE *f = fopen(path, "rb");
		uint8_t c[7];
		assert_non_null(f);
		assert_int_equal(fread(c, 1, 7, f), 7);
		fclose(f);
		assert_memory_equal(c, stream + 55, 7);
	}
	/* Reopen read-only: recheck finds every piece. Then damage one byte in
	 * b (piece 1 and 2 straddle it) and recheck again. */
	assert_int_equal(bt_storage_open(&st, dir, &mi, false, &what), 0);
	bt_bitfield_clear_all(&have);
	assert_int_equal(bt_storage_recheck(&st, &have), 0);
	assert_int_equal(have.set, mi.piece_count);
	assert_true(bt_storage_sizes_ok(&st));
	assert_int_equal(bt_storage_write(&st, 0, 0, stream, 1), -EBADF);
	bt_storage_close(&st);
	/* A file of the wrong size is noticed (for callers that skip the
	 * recheck). */
	snprintf(path, sizeof(path), "%s/t/a", dir);
	assert_int_equal(truncate(path, 9), 0);
	assert_int_equal(bt_storage_open(&st, dir, &mi, false, &what), 0);
	assert_false(bt_storage_sizes_ok(&st));
	bt_storage_close(&st);
	assert_int_equal(truncate(path, 10), 0);
	{
		int fd = open(path, O_WRONLY);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, stream + 9, 1, 9), 1);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/t/sub/b", dir);
	{
		int fd = open(path, O_WRONLY);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, "X", 1, 20), 1); /* stream offset 30: piece 1 */
		close(fd);
	}
	assert_int_equal(bt_storage_open(&st, dir, &mi, true, &what), 0);
	bt_bitfield_clear_all(&have);
	assert_int_equal(bt_storage_recheck(&st, &have), 0);
	assert_int_equal(have.set, mi.piece_count - 1);
	assert_false(bt_bitfield_get(&have, 1));
	bt_storage_close(&st);
	bt_bitfield_release(&have);

	/* A symlink in place of a folder is refused. */
	snprintf(path, sizeof(path), "%s/t/sub", dir);
	{
		char moved[256];
		snprintf(moved, sizeof(moved), "%s/elsewhere", dir);
		assert_int_equal(rename(path, moved), 0);
		assert_int_equal(symlink("/tmp", path), 0);
		assert_true(bt_storage_open(&st, dir, &mi, true, &what) < 0);
		unlink(path);
		assert_int_equal(rename(moved, path), 0);
	}
	free_mi(&mi);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* A new file that does not fit fails at open, before any download: on
 * tmpfs by the free-space check (no pages are zeroed), elsewhere by
 * posix_fallocate. Both places are tried: /dev/shm (tmpfs on Linux) and
 * /tmp, each with a file 1 GiB larger than its free space. */
static void test_too_big_fails_at_open(void **state)
{
	const char *roots[] = {"/dev/shm", "/tmp"};

	for (size_t k = 0; k < ARRAY_SIZE(roots); k++) {
		char dir[64];
		struct metainfo mi;
		struct bt_storage st;
		const char *what = NULL;
		struct stat sb;
		struct statvfs sv;
		char path[128];
		int r;

		snprintf(dir, sizeof(dir), "%s/test-bt-storage.XXXXXX", roots[k]);
		if (!mkdtemp(dir))
			continue; /* no such place here */
		assert_int_equal(statvfs(dir, &sv), 0);
		make_mi(&mi);
		mi.files[2].length = (uint64_t)sv.f_bavail * sv.f_frsize + ((uint64_t)1 << 30);
		r = bt_storage_open(&st, dir, &mi, true, &what);
		assert_int_equal(r, -ENOSPC);
		assert_string_equal(what, "sub/b");
		/* The files made before the failure are left empty-sized. */
		snprintf(path, sizeof(path), "%s/t/a", dir);
		assert_int_equal(stat(path, &sb), 0);
		free_mi(&mi);
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		assert_int_equal(system(path), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_verify),
		cmocka_unit_test(test_too_big_fails_at_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
