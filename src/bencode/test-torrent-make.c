/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "bencode/bencode.h"
#include "bencode/metainfo.h"
#include "bencode/piece-hasher.h"
#include "bencode/torrent-make.h"

static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;

	assert_non_null(p);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
	return p;
}

struct seen {
	uint32_t calls;
	uint32_t last_index;
};

static void on_piece(void *ctx, uint32_t index, const uint8_t hash[PIECE_HASH_SIZE])
{
	struct seen *s = ctx;
	assert_int_equal(index, s->calls);
	s->calls++;
	s->last_index = index;
}

static void test_hasher(void **state)
{
	static const size_t chunks[] = {1, 7, 4096, 100, 65536, 3, 99999};
	const size_t len = 300000, plen = 32768;
	uint8_t *data = pattern(len, 1);
	struct piece_hasher h;
	struct seen seen = {0};
	const uint8_t *hs;
	uint32_t count;
	size_t off = 0;

	piece_hasher_init(&h, plen);
	h.on_piece = on_piece;
	h.ctx = &seen;
	/* Feed in uneven chunks that straddle piece boundaries. */
	for (size_t i = 0; off < len; i++) {
		size_t n = MIN(chunks[i % ARRAY_SIZE(chunks)], len - off);
		piece_hasher_feed(&h, data + off, n);
		off += n;
	}
	piece_hasher_finish(&h);
	hs = piece_hasher_hashes(&h, &count);
	assert_int_equal(count, (len + plen - 1) / plen);
	assert_int_equal(seen.calls, count);
	assert_true(h.total == len);
	for (uint32_t i = 0; i < count; i++) {
		uint8_t want[20];
		size_t n = MIN(plen, len - i * plen);
		piece_sha1(want, data + i * plen, n);
		assert_memory_equal(hs + i * 20, want, 20);
	}
	/* finish twice adds nothing. */
	piece_hasher_finish(&h);
	assert_int_equal(h.count, count);
	{
		uint32_t c2;
		uint8_t *own = piece_hasher_detach(&h, &c2);
		assert_int_equal(c2, count);
		assert_null(piece_hasher_hashes(&h, &c2));
		assert_int_equal(c2, 0);
		free(own);
	}
	piece_hasher_release(&h);

	/* An exact multiple: no extra empty piece. */
	piece_hasher_init(&h, 1000);
	piece_hasher_feed(&h, data, 3000);
	piece_hasher_finish(&h);
	assert_int_equal(h.count, 3);
	piece_hasher_release(&h);

	/* Known answer: SHA-1("abc"). */
	{
		static const uint8_t abc[20] = {0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81,
						0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
						0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d};
		uint8_t out[20];
		piece_sha1(out, "abc", 3);
		assert_memory_equal(out, abc, 20);
		piece_hasher_init(&h, 3);
		piece_hasher_feed(&h, "ab", 2);
		piece_hasher_feed(&h, "c", 1);
		assert_int_equal(h.count, 1);
		assert_memory_equal(h.hashes, abc, 20);
		piece_hasher_release(&h);
	}
	free(data);
}

static void test_auto_piece_length(void **state)
{
	assert_int_equal(torrent_piece_length_auto(1), 16384);
	assert_int_equal(torrent_piece_length_auto((uint64_t)2000 * 16384), 16384);
	assert_int_equal(torrent_piece_length_auto((uint64_t)2000 * 16384 + 1), 32768);
	assert_int_equal(torrent_piece_length_auto((uint64_t)1 << 30), 1 << 20);
	assert_int_equal(torrent_piece_length_auto((uint64_t)4 << 30), 4 << 20);
	assert_int_equal(torrent_piece_length_auto((uint64_t)1 << 42), 16 << 20);
}

static char tmpdir[64];

static void write_file(const char *rel, const void *data, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void mk(const char *rel)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-torrent-make-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *at(const char *rel)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return path;
}

static void test_scan_and_make(void **state)
{
	uint8_t *a = pattern(100000, 2), *b = pattern(65536, 3), *all;
	struct torrent_source src;
	struct metainfo mi;
	struct buf out, out2;
	char err[512];
	static const char *tier0[] = {"http://127.0.0.1:1/a", "http://127.0.0.1:2/a"};
	static const char *tier1[] = {"udp://127.0.0.1:3"};
	const struct torrent_tier tiers[] = {{tier0, 2}, {tier1, 1}};
	struct torrent_make_opts o = {.piece_length = 16384,
				      .creation_date = -1,
				      .tiers = tiers,
				      .tier_count = 2,
				      .comment = "c"};

	mk("d");
	mk("d/z");
	mk("d/b");
	write_file("d/z/last", b, 65536);
	write_file("d/b/x", a, 100000);
	write_file("d/a-1", "1", 1);
	write_file("d/empty", "", 0);
	assert_int_equal(symlink("b/x", at("d/link")), 0);

	assert_int_equal(torrent_source_scan(&src, at("d"), err, sizeof(err)), 0);
	assert_true(src.is_dir);
	assert_int_equal(src.count, 5);
	/* Byte order of the relative paths. */
	assert_string_equal(src.files[0].rel, "a-1");
	assert_string_equal(src.files[1].rel, "b/x");
	assert_string_equal(src.files[2].rel, "empty");
	assert_string_equal(src.files[3].rel, "link");
	assert_string_equal(src.files[4].rel, "z/last");
	assert_true(src.total == 1 + 100000 + 0 + 100000 + 65536);
	torrent_source_release(&src);

	buf_init(&out, 0);
	assert_int_equal(torrent_make(at("d"), &o, &out, err, sizeof(err)), 0);
	assert_int_equal(metainfo_parse(&mi, out.data, out.len, err, sizeof(err)), 0);
	assert_string_equal(mi.name, "d");
	assert_true(mi.multi_file);
	assert_int_equal(mi.file_count, 5);
	assert_string_equal(mi.files[4].path, "z/last");
	assert_int_equal(mi.piece_length, 16384);
	assert_int_equal(mi.tier_count, 2);
	assert_string_equal(mi.announce, "http://127.0.0.1:1/a");
	assert_string_equal(mi.tiers[0].urls[1], "http://127.0.0.1:2/a");
	assert_string_equal(mi.tiers[1].urls[0], "udp://127.0.0.1:3");
	assert_string_equal(mi.comment, "c");
	assert_string_equal(mi.created_by, "boottorrent " BT_VERSION);
	assert_true(mi.creation_date == -1);

	/* Every piece hash matches the concatenated content. */
	all = malloc(mi.total_length);
	assert_non_null(all);
	memcpy(all, "1", 1);
	memcpy(all + 1, a, 100000);
	memcpy(all + 100001, a, 100000);
	memcpy(all + 200001, b, 65536);
	for (uint32_t i = 0; i < mi.piece_count; i++) {
		uint64_t off;
		uint32_t len;
		uint8_t want[20];
		assert_int_equal(metainfo_piece_range(&mi, i, &off, &len), 0);
		piece_sha1(want, all + off, len);
		assert_memory_equal(metainfo_piece_hash(&mi, i), want, 20);
	}
	free(all);
	metainfo_release(&mi);

	/* Without a date the output is reproducible. */
	buf_init(&out2, 0);
	assert_int_equal(torrent_make(at("d"), &o, &out2, err, sizeof(err)), 0);
	assert_int_equal(out.len, out2.len);
	assert_memory_equal(out.data, out2.data, out.len);
	buf_release(&out2);
	buf_release(&out);

	/* A single file, a name given, one tracker: no announce-list. */
	o.name = "renamed";
	o.tier_count = 1;
	const struct torrent_tier one[] = {{tier1, 1}};
	o.tiers = one;
	o.private_flag = true;
	o.piece_length = 0;
	o.creation_date = 1234;
	buf_init(&out, 0);
	assert_int_equal(torrent_make(at("d/b/x"), &o, &out, err, sizeof(err)), 0);
	assert_null(strstr((char *)out.data, "announce-list"));
	assert_int_equal(metainfo_parse(&mi, out.data, out.len, err, sizeof(err)), 0);
	assert_false(mi.multi_file);
	assert_string_equal(mi.name, "renamed");
	assert_true(mi.private_flag);
	assert_int_equal(mi.piece_length, 16384);
	assert_int_equal(mi.total_length, 100000);
	assert_true(mi.creation_date == 1234);
	metainfo_release(&mi);
	buf_release(&out);
	free(a);
	free(b);
}

static void test_scan_refusals(void **state)
{
	struct torrent_source src;
	struct torrent_make_opts o = {.creation_date = -1};
	struct buf out;
	char err[512];

	mk("r");
	write_file("r/f", "data", 4);

	/* A symlink leading outside. */
	assert_int_equal(symlink("/etc/hostname", at("r/out")), 0);
	assert_int_equal(torrent_source_scan(&src, at("r"), err, sizeof(err)), TORRENT_E_SOURCE);
	assert_non_null(strstr(err, "symlink points outside"));
	assert_null(src.files);
	unlink(at("r/out"));
	assert_int_equal(symlink("../../etc", at("r/out")), 0);
	assert_int_equal(torrent_source_scan(&src, at("r"), err, sizeof(err)), TORRENT_E_SOURCE);
	unlink(at("r/out"));

	/* A symlink to a folder inside. */
	mk("r/sub");
	assert_int_equal(symlink("sub", at("r/dirlink")), 0);
	assert_int_equal(torrent_source_scan(&src, at("r"), err, sizeof(err)), TORRENT_E_SOURCE);
	assert_non_null(strstr(err, "symlink to a folder"));
	unlink(at("r/dirlink"));

	/* A dangling one. */
	assert_int_equal(symlink("nowhere", at("r/dangling")), 0);
	assert_int_equal(torrent_source_scan(&src, at("r"), err, sizeof(err)), TORRENT_E_SOURCE);
	assert_non_null(strstr(err, "cannot be resolved"));
	unlink(at("r/dangling"));

	/* A FIFO. */
	assert_int_equal(mkfifo(at("r/fifo"), 0644), 0);
	assert_int_equal(torrent_source_scan(&src, at("r"), err, sizeof(err)), TORRENT_E_SOURCE);
	assert_non_null(strstr(err, "a FIFO cannot be shared"));
	assert_int_equal(torrent_source_scan(&src, at("r/fifo"), err, sizeof(err)),
			 TORRENT_E_SOURCE);
	unlink(at("r/fifo"));

	/* A socket. */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		const char *sp = at("r/sock");
		assert_true(strlen(sp) < sizeof(sa.sun_path));
		memcpy(sa.sun_path, sp, strlen(sp) + 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(torrent_source_scan(&src, at("r"), err, sizeof(err)),
				 TORRENT_E_SOURCE);
		assert_non_null(strstr(err, "a socket cannot be shared"));
		close(fd);
		unlink(at("r/sock"));
	}

	/* Folders nested deeper than a torrent path may be. */
	{
		char rel[512] = "r/n";
		mk(rel);
		for (int i = 0; i < 64; i++) {
			size_t l = strlen(rel);
			snprintf(rel + l, sizeof(rel) - l, "/n");
			mk(rel);
		}
		assert_int_equal(torrent_source_scan(&src, at("r/n"), err, sizeof(err)),
				 TORRENT_E_SOURCE);
		assert_non_null(strstr(err, "nested deeper than"));
		assert_int_equal(nftw(at("r/n"), rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	}

	/* The default name is the last component as given, not the
	 * symlink's target. */
	assert_int_equal(symlink("f", at("r/alias")), 0);
	assert_int_equal(torrent_source_scan(&src, at("r/alias"), err, sizeof(err)), 0);
	assert_string_equal(src.name, "alias");
	assert_string_equal(src.files[0].rel, "alias");
	torrent_source_release(&src);
	unlink(at("r/alias"));
	{
		char dotdot[300];
		snprintf(dotdot, sizeof(dotdot), "%s/r/sub/..//", tmpdir);
		assert_int_equal(torrent_source_scan(&src, dotdot, err, sizeof(err)), 0);
		assert_string_equal(src.name, "r");
		torrent_source_release(&src);
		snprintf(dotdot, sizeof(dotdot), "%s/r///", tmpdir);
		assert_int_equal(torrent_source_scan(&src, dotdot, err, sizeof(err)), 0);
		assert_string_equal(src.name, "r");
		torrent_source_release(&src);
	}

	/* Now it is fine. */
	assert_int_equal(torrent_source_scan(&src, at("r"), err, sizeof(err)), 0);
	assert_int_equal(src.count, 1);
	torrent_source_release(&src);

	/* Nothing to share. */
	assert_int_equal(torrent_source_scan(&src, at("r/sub"), err, sizeof(err)),
			 TORRENT_E_SOURCE);
	assert_non_null(strstr(err, "no files"));
	write_file("r/sub/zero", "", 0);
	assert_int_equal(torrent_source_scan(&src, at("r/sub"), err, sizeof(err)),
			 TORRENT_E_SOURCE);
	assert_non_null(strstr(err, "0 bytes"));
	assert_int_equal(torrent_source_scan(&src, at("missing"), err, sizeof(err)), -ENOENT);

	/* Bad options. */
	buf_init(&out, 0);
	o.name = "..";
	assert_int_equal(torrent_make(at("r/f"), &o, &out, err, sizeof(err)), TORRENT_E_OPTION);
	o.name = NULL;
	o.piece_length = (64u << 20) + 1;
	assert_int_equal(torrent_make(at("r/f"), &o, &out, err, sizeof(err)), TORRENT_E_OPTION);
	assert_int_equal(out.len, 0);

	/* A file that changes size between scan and hash. */
	{
		uint8_t *hs;
		uint32_t n;
		assert_int_equal(torrent_source_scan(&src, at("r/f"), err, sizeof(err)), 0);
		write_file("r/f", "longer", 6);
		assert_int_equal(
			torrent_source_hash(&src, 16384, NULL, NULL, &hs, &n, err, sizeof(err)),
			TORRENT_E_CHANGED);
		write_file("r/f", "sh", 2);
		assert_int_equal(
			torrent_source_hash(&src, 16384, NULL, NULL, &hs, &n, err, sizeof(err)),
			TORRENT_E_CHANGED);
		assert_non_null(strstr(err, "changed size"));
		/* Encoding checks the hash count. */
		assert_int_equal(
			torrent_source_encode(&src, &o, 16384, NULL, 0, &out, err, sizeof(err)),
			TORRENT_E_OPTION);
		torrent_source_release(&src);
	}
	/* A buffer too small for the torrent. */
	buf_release(&out);
	buf_init(&out, 16);
	o.piece_length = 0;
	assert_int_equal(torrent_make(at("r/f"), &o, &out, err, sizeof(err)), -E2BIG);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hasher),
		cmocka_unit_test(test_auto_piece_length),
		cmocka_unit_test(test_scan_and_make),
		cmocka_unit_test(test_scan_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
