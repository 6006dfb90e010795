/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bencode/bencode.h"
#include "bencode/metainfo.h"
#include "bencode/piece-hasher.h"

/* A torrent described by the raw bencoded value of each field; NULL leaves
 * the field out. Keys are written in sorted order. */
struct spec {
	const char *announce, *announce_list, *comment, *created_by, *creation_date;
	const char *files, *length, *name, *piece_length, *pieces, *private_;
	const char *info_raw; /* replaces the whole info dict when set */
	bool no_info;
};

static void put_raw(struct buf *b, const char *key, const char *raw)
{
	if (!raw)
		return;
	assert_int_equal(bencode_put_cstr(b, key), 0);
	assert_int_equal(buf_append_str(b, raw), 0);
}

static void build(struct buf *b, const struct spec *s)
{
	buf_init(b, 0);
	assert_int_equal(bencode_put_dict_begin(b), 0);
	put_raw(b, "announce", s->announce);
	put_raw(b, "announce-list", s->announce_list);
	put_raw(b, "comment", s->comment);
	put_raw(b, "created by", s->created_by);
	put_raw(b, "creation date", s->creation_date);
	if (s->info_raw) {
		put_raw(b, "info", s->info_raw);
	} else if (!s->no_info) {
		assert_int_equal(bencode_put_cstr(b, "info"), 0);
		assert_int_equal(bencode_put_dict_begin(b), 0);
		put_raw(b, "files", s->files);
		put_raw(b, "length", s->length);
		put_raw(b, "name", s->name);
		put_raw(b, "piece length", s->piece_length);
		put_raw(b, "pieces", s->pieces);
		put_raw(b, "private", s->private_);
		assert_int_equal(bencode_put_end(b), 0);
	}
	assert_int_equal(bencode_put_end(b), 0);
}

/* "N:" followed by n*20 bytes of hash, in a static buffer per n. */
static const char *hashes(unsigned n)
{
	static char bufs[8][256];
	char *s = bufs[n % 8];
	int off = snprintf(s, 32, "%u:", n * 20);
	for (unsigned i = 0; i < n * 20; i++)
		s[off + i] = (char)('a' + i % 26);
	s[off + n * 20] = '\0';
	return s;
}

/* A valid single-file torrent: 5 bytes in pieces of 4. */
static struct spec valid_single(void)
{
	return (struct spec){
		.announce = "18:http://t.example/a",
		.length = "i5e",
		.name = "4:file",
		.piece_length = "i4e",
		.pieces = hashes(2),
	};
}

/* Three files (one empty) of 3 + 0 + 6 bytes in pieces of 4: 3 pieces. */
static struct spec valid_multi(void)
{
	return (struct spec){
		.files = "l"
			 "d6:lengthi3e4:pathl1:aee"
			 "d6:lengthi0e4:pathl3:sub5:emptyee"
			 "d6:lengthi6e4:pathl3:sub1:bee"
			 "e",
		.name = "3:dir",
		.piece_length = "i4e",
		.pieces = hashes(3),
	};
}

static int parse_spec(const struct spec *s, struct metainfo *mi, char *err, size_t errlen)
{
	struct buf b;
	int r;

	build(&b, s);
	r = metainfo_parse(mi, b.data, b.len, err, errlen);
	buf_release(&b);
	return r;
}

static void test_single(void **state)
{
	struct spec s = valid_single();
	struct metainfo mi;
	struct buf b;
	char err[256];
	uint8_t want[20];
	const char *info;

	s.comment = "5:hello";
	s.created_by = "6:tester";
	s.creation_date = "i1700000000e";
	build(&b, &s);
	assert_int_equal(metainfo_parse(&mi, b.data, b.len, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* The info-hash is the SHA-1 of the info dict's bytes as written. */
	info = strstr((const char *)b.data, "4:infod") + 6;
	piece_sha1(want, info, b.len - 1 - (size_t)(info - (const char *)b.data));
	assert_memory_equal(mi.info_hash, want, 20);
	assert_int_equal(mi.info_len, b.len - 1 - (size_t)(info - (const char *)b.data));
	assert_memory_equal(mi.info, info, mi.info_len);
	buf_release(&b);

	assert_string_equal(mi.name, "file");
	assert_false(mi.multi_file);
	assert_int_equal(mi.piece_length, 4);
	assert_int_equal(mi.piece_count, 2);
	assert_int_equal(mi.total_length, 5);
	assert_int_equal(mi.file_count, 1);
	assert_string_equal(mi.files[0].path, "file");
	assert_int_equal(mi.files[0].length, 5);
	assert_int_equal(mi.files[0].offset, 0);
	assert_string_equal(mi.announce, "http://t.example/a");
	assert_int_equal(mi.tier_count, 1);
	assert_int_equal(mi.tiers[0].count, 1);
	assert_string_equal(mi.tiers[0].urls[0], "http://t.example/a");
	assert_false(mi.private_flag);
	assert_string_equal(mi.comment, "hello");
	assert_string_equal(mi.created_by, "tester");
	assert_true(mi.creation_date == 1700000000);
	assert_memory_equal(metainfo_piece_hash(&mi, 1), hashes(2) + 3 + 20, 20);
	assert_null(metainfo_piece_hash(&mi, 2));
	metainfo_release(&mi);
	metainfo_release(&mi); /* releasing an empty one is fine */
}

static void test_optional_absent(void **state)
{
	struct spec s = valid_single();
	struct metainfo mi;

	s.announce = NULL;
	s.private_ = "i1e";
	s.length = "i8e"; /* an exact multiple of the piece length */
	assert_int_equal(parse_spec(&s, &mi, NULL, 0), 0);
	assert_null(mi.announce);
	assert_int_equal(mi.tier_count, 0);
	assert_null(mi.comment);
	assert_null(mi.created_by);
	assert_true(mi.creation_date == -1);
	assert_true(mi.private_flag);
	assert_int_equal(mi.piece_count, 2);
	metainfo_release(&mi);
}

static void test_tiers(void **state)
{
	struct spec s = valid_single();
	struct metainfo mi;

	s.announce_list = "ll3:u_a3:u_belel3:u_cee";
	assert_int_equal(parse_spec(&s, &mi, NULL, 0), 0);
	/* The empty tier is dropped; announce-list wins over announce. */
	assert_int_equal(mi.tier_count, 2);
	assert_int_equal(mi.tiers[0].count, 2);
	assert_string_equal(mi.tiers[0].urls[1], "u_b");
	assert_string_equal(mi.tiers[1].urls[0], "u_c");
	assert_string_equal(mi.announce, "http://t.example/a");
	metainfo_release(&mi);
}

static void test_multi_and_mapping(void **state)
{
	struct spec s = valid_multi();
	struct metainfo_span spans[4];
	struct metainfo mi;
	size_t n, first, last;
	uint64_t off;
	uint32_t len;

	assert_int_equal(parse_spec(&s, &mi, NULL, 0), 0);
	assert_true(mi.multi_file);
	assert_int_equal(mi.file_count, 3);
	assert_string_equal(mi.files[0].path, "a");
	assert_string_equal(mi.files[1].path, "sub/empty");
	assert_string_equal(mi.files[2].path, "sub/b");
	assert_int_equal(mi.files[1].offset, 3);
	assert_int_equal(mi.files[2].offset, 3);
	assert_int_equal(mi.total_length, 9);
	assert_int_equal(mi.piece_count, 3);

	assert_int_equal(metainfo_piece_range(&mi, 0, &off, &len), 0);
	assert_true(off == 0 && len == 4);
	assert_int_equal(metainfo_piece_range(&mi, 2, &off, &len), 0);
	assert_true(off == 8 && len == 1);
	assert_int_equal(metainfo_piece_range(&mi, 3, &off, &len), -EINVAL);

	/* Piece 0 covers a[0..3) and sub/b[0..1), skipping the empty file. */
	assert_int_equal(metainfo_map_range(&mi, 0, 4, spans, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(spans[0].file, 0);
	assert_int_equal(spans[0].file_offset, 0);
	assert_int_equal(spans[0].length, 3);
	assert_int_equal(spans[1].file, 2);
	assert_int_equal(spans[1].file_offset, 0);
	assert_int_equal(spans[1].length, 1);
	assert_int_equal(metainfo_piece_files(&mi, 0, &first, &last), 0);
	assert_int_equal(first, 0);
	assert_int_equal(last, 2);
	assert_int_equal(metainfo_piece_files(&mi, 1, &first, &last), 0);
	assert_int_equal(first, 2);
	assert_int_equal(last, 2);
	assert_int_equal(metainfo_piece_files(&mi, 3, &first, &last), -EINVAL);

	assert_int_equal(metainfo_map_range(&mi, 5, 4, spans, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(spans[0].file, 2);
	assert_int_equal(spans[0].file_offset, 2);
	assert_int_equal(spans[0].length, 4);
	assert_int_equal(metainfo_map_range(&mi, 0, 9, spans, 1, &n), -ENOBUFS);
	assert_int_equal(n, 2);
	assert_int_equal(metainfo_map_range(&mi, 5, 5, spans, 4, &n), -EINVAL);
	assert_int_equal(metainfo_map_range(&mi, 10, 0, spans, 4, &n), -EINVAL);
	assert_int_equal(metainfo_map_range(&mi, 9, 0, spans, 4, &n), 0);
	assert_int_equal(n, 0);
	metainfo_release(&mi);
}

struct bad {
	const char *what;
	void (*mutate)(struct spec *s);
	int code;
	const char *msg; /* the whole error message */
};

#define MUT(name, body)                                                                            \
	static void name(struct spec *s)                                                           \
	{                                                                                          \
		body;                                                                              \
	}

MUT(m_no_info, s->no_info = true)
MUT(m_info_int, s->info_raw = "i1e")
MUT(m_no_name, s->name = NULL)
MUT(m_name_int, s->name = "i1e")
MUT(m_name_dotdot, s->name = "2:..")
MUT(m_name_dot, s->name = "1:.")
MUT(m_name_empty, s->name = "0:")
MUT(m_name_slash, s->name = "3:a/b")
MUT(m_name_nul, s->name = "2:a\x01")
MUT(m_pl_zero, s->piece_length = "i0e")
MUT(m_pl_neg, s->piece_length = "i-4e")
MUT(m_pl_big, s->piece_length = "i67108865e")
MUT(m_pl_str, s->piece_length = "1:4")
MUT(m_pl_missing, s->piece_length = NULL)
MUT(m_pieces_missing, s->pieces = NULL)
MUT(m_pieces_int, s->pieces = "i1e")
MUT(m_pieces_short, s->pieces = "39:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
MUT(m_pieces_empty, s->pieces = "0:")
MUT(m_pieces_few, s->pieces = hashes(1))
MUT(m_pieces_many, s->pieces = hashes(3))
MUT(m_len_neg, s->length = "i-1e")
MUT(m_len_str, s->length = "1:5")
MUT(m_len_zero, s->length = "i0e")
MUT(m_len_huge, s->length = "i4398046511105e")
MUT(m_no_len, s->length = NULL)
MUT(m_both, s->files = "ld6:lengthi5e4:pathl1:aeee")
MUT(m_private, s->private_ = "i2e")
MUT(m_private_str, s->private_ = "1:1")
MUT(m_announce_int, s->announce = "i1e")
MUT(m_announce_empty, s->announce = "0:")
MUT(m_alist_str, s->announce_list = "1:x")
MUT(m_alist_tier, s->announce_list = "l1:xe")
MUT(m_alist_url, s->announce_list = "lli1eee")
MUT(m_comment_int, s->comment = "i1e")

static const char *many_urls(unsigned n)
{
	static char out[8192];
	int o = snprintf(out, sizeof(out), "ll");

	for (unsigned i = 0; i < n; i++)
		o += snprintf(out + o, sizeof(out) - (size_t)o, "5:u%04u", i);
	snprintf(out + o, sizeof(out) - (size_t)o, "ee");
	return out;
}

static const char *long_url(void)
{
	static char out[4096];
	int o = snprintf(out, sizeof(out), "2049:");

	memset(out + o, 'u', 2049);
	out[o + 2049] = '\0';
	return out;
}

MUT(m_many_urls, s->announce_list = many_urls(257))
MUT(m_ok_urls, s->announce_list = many_urls(256))
MUT(m_long_url, s->announce = long_url())
MUT(m_date_str, s->creation_date = "1:1")

static const struct bad bad_single[] = {
	{"no info", m_no_info, METAINFO_E_FIELD, "info: missing"},
	{"info not a dict", m_info_int, METAINFO_E_FIELD, "info: not a dictionary"},
	{"no name", m_no_name, METAINFO_E_FIELD, "info.name: missing"},
	{"name int", m_name_int, METAINFO_E_FIELD, "info.name: not a string"},
	{"name ..", m_name_dotdot, METAINFO_E_PATH, "info.name: component '..' is not allowed"},
	{"name .", m_name_dot, METAINFO_E_PATH, "info.name: component '.' is not allowed"},
	{"name empty", m_name_empty, METAINFO_E_PATH, "info.name: empty component is not allowed"},
	{"name a/b", m_name_slash, METAINFO_E_PATH, "info.name: component 'a/b' contains '/'"},
	{"name ctl", m_name_nul, 0, NULL},
	{"piece length 0", m_pl_zero, METAINFO_E_FIELD,
	 "info.piece length: 0 is not within 1..67108864"},
	{"piece length -4", m_pl_neg, METAINFO_E_FIELD,
	 "info.piece length: -4 is not within 1..67108864"},
	{"piece length big", m_pl_big, METAINFO_E_FIELD,
	 "info.piece length: 67108865 is not within 1..67108864"},
	{"piece length str", m_pl_str, METAINFO_E_FIELD, "info.piece length: not an integer"},
	{"piece length missing", m_pl_missing, METAINFO_E_FIELD, "info.piece length: missing"},
	{"pieces missing", m_pieces_missing, METAINFO_E_FIELD, "info.pieces: missing"},
	{"pieces int", m_pieces_int, METAINFO_E_FIELD, "info.pieces: not a string"},
	{"pieces 39", m_pieces_short, METAINFO_E_FIELD,
	 "info.pieces: length 39 is not a non-zero multiple of 20"},
	{"pieces 0", m_pieces_empty, METAINFO_E_FIELD,
	 "info.pieces: length 0 is not a non-zero multiple of 20"},
	{"pieces 1 of 2", m_pieces_few, METAINFO_E_FIELD,
	 "info.pieces: 1 hashes, but 5 bytes in pieces of 4 need 2"},
	{"pieces 3 of 2", m_pieces_many, METAINFO_E_FIELD,
	 "info.pieces: 3 hashes, but 5 bytes in pieces of 4 need 2"},
	{"length -1", m_len_neg, METAINFO_E_FIELD,
	 "info.length: -1 is not within 0..4398046511104"},
	{"length str", m_len_str, METAINFO_E_FIELD, "info.length: not an integer"},
	{"length 0", m_len_zero, METAINFO_E_FIELD,
	 "info.pieces: 2 hashes, but 0 bytes in pieces of 4 need 0"},
	{"length huge", m_len_huge, METAINFO_E_FIELD,
	 "info.length: 4398046511105 is not within 0..4398046511104"},
	{"no length", m_no_len, METAINFO_E_FIELD, "info: neither 'length' nor 'files' present"},
	{"length and files", m_both, METAINFO_E_FIELD, "info: both 'length' and 'files' present"},
	{"private 2", m_private, METAINFO_E_FIELD, "info.private: not 0 or 1"},
	{"private str", m_private_str, METAINFO_E_FIELD, "info.private: not 0 or 1"},
	{"announce int", m_announce_int, METAINFO_E_FIELD, "announce: not a string"},
	{"announce empty", m_announce_empty, METAINFO_E_FIELD, "announce: not a usable URL"},
	{"announce-list str", m_alist_str, METAINFO_E_FIELD, "announce-list: not a list"},
	{"tier str", m_alist_tier, METAINFO_E_FIELD, "announce-list[0]: not a list"},
	{"url int", m_alist_url, METAINFO_E_FIELD, "announce-list[0][0]: not a string"},
	{"comment int", m_comment_int, METAINFO_E_FIELD, "comment: not a string"},
	{"257 URLs", m_many_urls, METAINFO_E_FIELD, "announce-list[0][256]: more than 256 URLs"},
	{"256 URLs", m_ok_urls, 0, NULL},
	{"URL 2049", m_long_url, METAINFO_E_FIELD, "announce: longer than 2048 bytes"},
	{"date str", m_date_str, METAINFO_E_FIELD, "creation date: not an integer"},
};

MUT(f_empty, s->files = "le")
MUT(f_not_list, s->files = "i1e")
MUT(f_item_int, s->files = "li1ee")
MUT(f_no_length, s->files = "ld4:pathl1:aeee")
MUT(f_length_neg, s->files = "ld6:lengthi-1e4:pathl1:aeee")
MUT(f_length_str, s->files = "ld6:length1:14:pathl1:aeee")
MUT(f_no_path, s->files = "ld6:lengthi9eee")
MUT(f_path_str, s->files = "ld6:lengthi9e4:path1:aee")
MUT(f_path_empty, s->files = "ld6:lengthi9e4:pathleee")
MUT(f_dotdot, s->files = "ld6:lengthi1e4:pathl1:aeed6:lengthi8e4:pathl2:..6:passwdeee")
MUT(f_dot, s->files = "ld6:lengthi9e4:pathl1:.1:aeee")
MUT(f_empty_comp, s->files = "ld6:lengthi9e4:pathl1:a0:eee")
MUT(f_abs, s->files = "ld6:lengthi9e4:pathl4:/etceee")
MUT(f_comp_int, s->files = "ld6:lengthi9e4:pathli1eeee")
MUT(f_dup, s->files = "ld6:lengthi4e4:pathl1:aeed6:lengthi5e4:pathl1:aeee")
MUT(f_file_dir, s->files = "ld6:lengthi4e4:pathl1:aeed6:lengthi5e4:pathl1:a1:beee")
MUT(f_file_dir2, s->files = "ld6:lengthi4e4:pathl1:a1:beed6:lengthi5e4:pathl1:aeee")
MUT(f_total, s->files = "ld6:lengthi4398046511104e4:pathl1:aeed6:lengthi1e4:pathl1:beee")

/* Builds "ld6:lengthi9e4:pathl" + n components of clen bytes + "eee". */
static const char *files_with_path(unsigned n, unsigned clen, char fill)
{
	static char out[16384];
	int o = snprintf(out, sizeof(out), "ld6:lengthi9e4:pathl");

	for (unsigned i = 0; i < n; i++) {
		o += snprintf(out + o, sizeof(out) - (size_t)o, "%u:", clen);
		memset(out + o, fill, clen);
		o += (int)clen;
	}
	snprintf(out + o, sizeof(out) - (size_t)o, "eee");
	return out;
}

MUT(f_long_comp, s->files = files_with_path(1, 256, 'a'))
MUT(f_deep, s->files = files_with_path(65, 1, 'a'))
MUT(f_long_path, s->files = files_with_path(20, 250, 'a'))
MUT(f_long_slash, s->files = files_with_path(1, 200, '/'))

static const struct bad bad_multi[] = {
	{"files empty", f_empty, METAINFO_E_FIELD, "info.files: empty"},
	{"files int", f_not_list, METAINFO_E_FIELD, "info.files: not a list"},
	{"file int", f_item_int, METAINFO_E_FIELD, "info.files[0]: not a dictionary"},
	{"no length", f_no_length, METAINFO_E_FIELD, "info.files[0].length: missing"},
	{"length -1", f_length_neg, METAINFO_E_FIELD, "info.files[0].length: negative"},
	{"length str", f_length_str, METAINFO_E_FIELD, "info.files[0].length: not an integer"},
	{"no path", f_no_path, METAINFO_E_FIELD, "info.files[0].path: missing"},
	{"path str", f_path_str, METAINFO_E_FIELD, "info.files[0].path: not a list"},
	{"path empty", f_path_empty, METAINFO_E_PATH, "info.files[0].path: empty"},
	{"..", f_dotdot, METAINFO_E_PATH, "info.files[1].path: component '..' is not allowed"},
	{".", f_dot, METAINFO_E_PATH, "info.files[0].path: component '.' is not allowed"},
	{"empty component", f_empty_comp, METAINFO_E_PATH,
	 "info.files[0].path: empty component is not allowed"},
	{"absolute", f_abs, METAINFO_E_PATH, "info.files[0].path: component '/etc' contains '/'"},
	{"component int", f_comp_int, METAINFO_E_FIELD, "info.files[0].path[0]: not a string"},
	{"duplicate", f_dup, METAINFO_E_PATH, "info.files: path 'a' appears twice"},
	{"file and folder", f_file_dir, METAINFO_E_PATH,
	 "info.files: 'a' is both a file and a folder"},
	{"folder and file", f_file_dir2, METAINFO_E_PATH,
	 "info.files: 'a' is both a file and a folder"},
	{"component 256", f_long_comp, METAINFO_E_PATH,
	 "info.files[0].path: component longer than 255 bytes"},
	{"65 components", f_deep, METAINFO_E_PATH, "info.files[0].path: more than 64 components"},
	{"path 5019", f_long_path, METAINFO_E_PATH, "info.files[0].path: longer than 4096 bytes"},
	{"long message", f_long_slash, METAINFO_E_PATH,
	 "info.files[0].path: component '////////////////////////////////////////////"
	 "////////////////////////////////////////////...' contains '/'"},
	{"total", f_total, METAINFO_E_FIELD,
	 "info.files[1].length: total size over 4398046511104 bytes"},
};

static void run_bad(const struct bad *cases, size_t n, struct spec (*base)(void))
{
	for (size_t i = 0; i < n; i++) {
		struct spec s = base();
		struct metainfo mi;
		char err[256];
		int r;

		cases[i].mutate(&s);
		r = parse_spec(&s, &mi, err, sizeof(err));
		if (!cases[i].msg) {
			/* Cases that must pass (the name with a control byte). */
			if (r != 0)
				fail_msg("%s: rejected: %s", cases[i].what, err);
			metainfo_release(&mi);
			continue;
		}
		if (r != cases[i].code || strcmp(err, cases[i].msg) != 0)
			fail_msg("%s: got %d '%s', want %d '%s'", cases[i].what, r, err,
				 cases[i].code, cases[i].msg);
		assert_null(mi.name);
		assert_null(mi.files);
		assert_null(mi.tiers);
	}
}

static void test_bad_single(void **state)
{
	run_bad(bad_single, ARRAY_SIZE(bad_single), valid_single);
}

static void test_bad_multi(void **state)
{
	run_bad(bad_multi, ARRAY_SIZE(bad_multi), valid_multi);
}

static void test_bad_bencode(void **state)
{
	struct metainfo mi;
	char err[256];
	struct buf b;
	struct spec s = valid_single();

	assert_int_equal(metainfo_parse(&mi, "li1ee", 5, err, sizeof(err)), METAINFO_E_FIELD);
	assert_string_equal(err, "top level: not a dictionary");
	assert_int_equal(metainfo_parse(&mi, "", 0, err, sizeof(err)), METAINFO_E_BENCODE);
	assert_string_equal(err, "not valid bencode at byte 0: truncated input");
	assert_int_equal(metainfo_parse(&mi, "d1:bi1e1:ai1ee", 14, err, sizeof(err)),
			 METAINFO_E_BENCODE);
	assert_string_equal(err, "not valid bencode at byte 7: dictionary keys not sorted");

	/* Every strict prefix of a valid torrent is refused. */
	build(&b, &s);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(metainfo_parse(&mi, b.data, n, NULL, 0), METAINFO_E_BENCODE);
	/* Trailing garbage too. */
	assert_int_equal(buf_append_str(&b, "x"), 0);
	assert_int_equal(metainfo_parse(&mi, b.data, b.len, err, sizeof(err)), METAINFO_E_BENCODE);
	buf_release(&b);

	/* Deeply nested junk in an unknown key. */
	{
		struct buf d;
		buf_init(&d, 0);
		assert_int_equal(buf_append_str(&d, "d1:x"), 0);
		for (int i = 0; i < 200; i++)
			assert_int_equal(buf_append_u8(&d, 'l'), 0);
		for (int i = 0; i < 200; i++)
			assert_int_equal(buf_append_u8(&d, 'e'), 0);
		assert_int_equal(buf_append_u8(&d, 'e'), 0);
		assert_int_equal(metainfo_parse(&mi, d.data, d.len, err, sizeof(err)),
				 METAINFO_E_BENCODE);
		assert_string_equal(err, "not valid bencode at byte 67: nesting too deep");
		buf_release(&d);
	}
}

static void test_v2_only(void **state)
{
	struct metainfo mi;
	char err[256];
	static const char v2[] = "d4:infod9:file treed1:xd0:d6:lengthi1e11:pieces root32:"
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaeee12:meta versioni2e4:name1:x"
				 "12:piece lengthi16384eee";

	assert_int_equal(metainfo_parse(&mi, v2, strlen(v2), err, sizeof(err)), METAINFO_E_FIELD);
	assert_string_equal(
		err, "info: a BitTorrent v2-only torrent (no 'pieces'); only v1 is supported");
}

static void test_escape(void **state)
{
	struct spec s = valid_multi();
	struct metainfo mi;
	char err[256];

	/* Bytes that cannot be printed are shown as \xNN. */
	s.files = "ld6:lengthi9e4:pathl5:a\x1b[0m2:..eee";
	assert_int_equal(parse_spec(&s, &mi, err, sizeof(err)), METAINFO_E_PATH);
	assert_string_equal(err, "info.files[0].path: component '..' is not allowed");
	s.files = "ld6:lengthi9e4:pathl3:\x01/xeee";
	assert_int_equal(parse_spec(&s, &mi, err, sizeof(err)), METAINFO_E_PATH);
	assert_string_equal(err, "info.files[0].path: component '\\x01/x' contains '/'");
}

static void test_load(void **state)
{
	char path[] = "/tmp/test-metainfo-XXXXXX";
	struct spec s = valid_single();
	struct metainfo mi;
	char err[256];
	struct buf b;
	int fd;

	build(&b, &s);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	assert_int_equal(metainfo_load(&mi, path, err, sizeof(err)), 0);
	assert_string_equal(mi.name, "file");
	metainfo_release(&mi);
	unlink(path);
	buf_release(&b);

	assert_int_equal(metainfo_load(&mi, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	/* Larger than any torrent may be (sparse, so cheap). */
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)METAINFO_MAX_INPUT + 1), 0);
	close(fd);
	assert_int_equal(metainfo_load(&mi, path, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "larger than"));
	unlink(path);
	assert_int_equal(metainfo_load(&mi, "/tmp", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/tmp: not a regular file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),	    cmocka_unit_test(test_optional_absent),
		cmocka_unit_test(test_tiers),	    cmocka_unit_test(test_multi_and_mapping),
		cmocka_unit_test(test_bad_single),  cmocka_unit_test(test_bad_multi),
		cmocka_unit_test(test_bad_bencode), cmocka_unit_test(test_v2_only),
		cmocka_unit_test(test_escape),	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
