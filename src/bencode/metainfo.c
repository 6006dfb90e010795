/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha1.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bencode/bencode.h"
#include "bencode/metainfo.h"
#include "util/path.h"

struct ctx {
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int fail(struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Makes untrusted bytes safe to print in a message: printable ASCII as is,
 * anything else as \xNN, cut at a modest length. */
static const char *escape(char *out, size_t outlen, const uint8_t *p, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (o + 8 >= outlen) {
			snprintf(out + o, outlen - o, "...");
			return out;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'')
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", p[i]);
	}
	out[o] = '\0';
	return out;
}

/* Checks one path component and says what is wrong with it. */
static int check_component(struct ctx *c, const char *field, const uint8_t *p, size_t len)
{
	char e[96];

	if (len == 0)
		return fail(c, METAINFO_E_PATH, "%s: empty component is not allowed", field);
	if (len > METAINFO_MAX_COMPONENT)
		return fail(c, METAINFO_E_PATH, "%s: component longer than %d bytes", field,
			    METAINFO_MAX_COMPONENT);
	if (!path_component_ok((const char *)p, len)) {
		const char *why = memchr(p, '/', len)	 ? "contains '/'"
				  : memchr(p, '\0', len) ? "contains a NUL byte"
							 : "is not allowed";
		return fail(c, METAINFO_E_PATH, "%s: component '%s' %s", field,
			    escape(e, sizeof(e), p, len), why);
	}
	return 0;
}

/* An optional string field: copied (NUL-terminated) into *out, or left
 * NULL when absent. Present with another type is an error. */
static int opt_string(struct ctx *c, const struct bnode *dict, const char *key, const char *field,
		      size_t max, char **out)
{
	const struct bnode *v = bnode_dict_get(dict, key);
	const uint8_t *s;
	size_t len;

	if (!v)
		return 0;
	s = bnode_str(v, &len);
	if (!s)
		return fail(c, METAINFO_E_FIELD, "%s: not a string", field);
	if (len > max)
		return fail(c, METAINFO_E_FIELD, "%s: longer than %zu bytes", field, max);
	if (memchr(s, '\0', len))
		return fail(c, METAINFO_E_FIELD, "%s: contains a NUL byte", field);
	*out = xmemdup0(s, len);
	return 0;
}

static int add_url(struct ctx *c, struct metainfo *mi, struct metainfo_tier *t,
		   const struct bnode *v, const char *field, size_t *total)
{
	const uint8_t *s;
	size_t len;

	s = bnode_str(v, &len);
	if (!s)
		return fail(c, METAINFO_E_FIELD, "%s: not a string", field);
	if (len == 0 || len > METAINFO_MAX_URL || memchr(s, '\0', len))
		return fail(c, METAINFO_E_FIELD, "%s: not a usable URL", field);
	if (++*total > METAINFO_MAX_URLS)
		return fail(c, METAINFO_E_FIELD, "%s: more than %d URLs", field, METAINFO_MAX_URLS);
	t->urls = xrealloc(t->urls, (t->count + 1) * sizeof(*t->urls));
	t->urls[t->count++] = xmemdup0(s, len);
	return 0;
}

static int parse_trackers(struct ctx *c, struct metainfo *mi, const struct bnode *root)
{
	const struct bnode *list = bnode_dict_get(root, "announce-list");
	const struct bnode *tier;
	struct bnode_iter it;
	size_t total = 0, ti = 0;
	int r;

	r = opt_string(c, root, "announce", "announce", METAINFO_MAX_URL, &mi->announce);
	if (r)
		return r;
	if (mi->announce && mi->announce[0] == '\0')
		return fail(c, METAINFO_E_FIELD, "announce: not a usable URL");
	if (!list) {
		if (mi->announce) {
			mi->tiers = xcalloc(1, sizeof(*mi->tiers));
			mi->tier_count = 1;
			mi->tiers[0].urls = xcalloc(1, sizeof(char *));
			mi->tiers[0].urls[0] = xstrdup(mi->announce);
			mi->tiers[0].count = 1;
		}
		return 0;
	}
	if (bnode_type(list) != BNODE_LIST)
		return fail(c, METAINFO_E_FIELD, "announce-list: not a list");
	if (bnode_count(list) > METAINFO_MAX_URLS)
		return fail(c, METAINFO_E_FIELD, "announce-list: more than %d tiers",
			    METAINFO_MAX_URLS);
	mi->tiers = xcalloc(bnode_count(list) ? bnode_count(list) : 1, sizeof(*mi->tiers));
	it = bnode_iter_make(list);
	for (; bnode_list_next(&it, &tier); ti++) {
		struct bnode_iter uit = bnode_iter_make(tier);
		const struct bnode *url;
		size_t ui = 0;
		char field[64];

		if (bnode_type(tier) != BNODE_LIST)
			return fail(c, METAINFO_E_FIELD, "announce-list[%zu]: not a list", ti);
		/* Empty tiers carry nothing; they are dropped, not refused. */
		if (bnode_count(tier) == 0)
			continue;
		for (; bnode_list_next(&uit, &url); ui++) {
			snprintf(field, sizeof(field), "announce-list[%zu][%zu]", ti, ui);
			r = add_url(c, mi, &mi->tiers[mi->tier_count], url, field, &total);
			if (r) {
				mi->tier_count++; /* so that release frees it */
				return r;
			}
		}
		mi->tier_count++;
	}
	return 0;
}

/* Orders paths so that a file "a" is directly followed by anything under
 * "a/": '/' sorts before every other byte. */
static int path_cmp(const void *pa, const void *pb)
{
	const unsigned char *a = *(const unsigned char *const *)pa;
	const unsigned char *b = *(const unsigned char *const *)pb;

	for (;; a++, b++) {
		unsigned ca = *a == '/' ? 1 : *a, cb = *b == '/' ? 1 : *b;
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca == 0)
			return 0;
	}
}

/* Refuses two files with the same path, and a file that is also used as a
 * folder by another ("a" and "a/b"): storage could not create both. */
static int check_path_conflicts(struct ctx *c, const struct metainfo *mi)
{
	const char **sorted;
	int r = 0;

	if (mi->file_count < 2)
		return 0;
	sorted = xcalloc(mi->file_count, sizeof(*sorted));
	for (size_t i = 0; i < mi->file_count; i++)
		sorted[i] = mi->files[i].path;
	qsort(sorted, mi->file_count, sizeof(*sorted), path_cmp);
	for (size_t i = 0; i + 1 < mi->file_count; i++) {
		size_t la = strlen(sorted[i]);
		char e[96];
		if (strcmp(sorted[i], sorted[i + 1]) == 0) {
			r = fail(c, METAINFO_E_PATH, "info.files: path '%s' appears twice",
				 escape(e, sizeof(e), (const uint8_t *)sorted[i], la));
			break;
		}
		if (strncmp(sorted[i], sorted[i + 1], la) == 0 && sorted[i + 1][la] == '/') {
			r = fail(c, METAINFO_E_PATH, "info.files: '%s' is both a file and a folder",
				 escape(e, sizeof(e), (const uint8_t *)sorted[i], la));
			break;
		}
	}
	free(sorted);
	return r;
}

static int parse_file_path(struct ctx *c, const struct bnode *path, size_t fi, char **out)
{
	struct bnode_iter it = bnode_iter_make(path);
	const struct bnode *comp;
	struct buf b;
	size_t ci = 0;
	char field[64];
	int r = 0;

	if (bnode_type(path) != BNODE_LIST)
		return fail(c, METAINFO_E_FIELD, "info.files[%zu].path: %s", fi,
			    path ? "not a list" : "missing");
	if (bnode_count(path) == 0)
		return fail(c, METAINFO_E_PATH, "info.files[%zu].path: empty", fi);
	if (bnode_count(path) > METAINFO_MAX_PATH_DEPTH)
		return fail(c, METAINFO_E_PATH, "info.files[%zu].path: more than %d components", fi,
			    METAINFO_MAX_PATH_DEPTH);
	snprintf(field, sizeof(field), "info.files[%zu].path", fi);
	buf_init(&b, METAINFO_MAX_PATH);
	for (; bnode_list_next(&it, &comp); ci++) {
		size_t len;
		const uint8_t *s = bnode_str(comp, &len);
		if (!s) {
			r = fail(c, METAINFO_E_FIELD, "%s[%zu]: not a string", field, ci);
			goto out;
		}
		r = check_component(c, field, s, len);
		if (r)
			goto out;
		if ((ci && buf_append_u8(&b, '/') < 0) || buf_append(&b, s, len) < 0) {
			r = fail(c, METAINFO_E_PATH, "%s: longer than %d bytes", field,
				 METAINFO_MAX_PATH);
			goto out;
		}
	}
	*out = buf_detach(&b, NULL);
out:
	buf_release(&b);
	return r;
}

static int parse_files(struct ctx *c, struct metainfo *mi, const struct bnode *files)
{
	struct bnode_iter it = bnode_iter_make(files);
	const struct bnode *f;
	uint64_t total = 0;
	size_t n = bnode_count(files);
	int r;

	if (bnode_type(files) != BNODE_LIST)
		return fail(c, METAINFO_E_FIELD, "info.files: not a list");
	if (n == 0)
		return fail(c, METAINFO_E_FIELD, "info.files: empty");
	if (n > METAINFO_MAX_FILES)
		return fail(c, METAINFO_E_FIELD, "info.files: more than %d files",
			    METAINFO_MAX_FILES);
	mi->files = xcalloc(n, sizeof(*mi->files));
	for (size_t i = 0; bnode_list_next(&it, &f); i++) {
		int64_t len;

		if (bnode_type(f) != BNODE_DICT)
			return fail(c, METAINFO_E_FIELD, "info.files[%zu]: not a dictionary", i);
		if (!bnode_dict_get_int(f, "length", &len))
			return fail(c, METAINFO_E_FIELD, "info.files[%zu].length: %s", i,
				    bnode_dict_get(f, "length") ? "not an integer" : "missing");
		if (len < 0)
			return fail(c, METAINFO_E_FIELD, "info.files[%zu].length: negative", i);
		if ((uint64_t)len > METAINFO_MAX_TOTAL - total)
			return fail(c, METAINFO_E_FIELD,
				    "info.files[%zu].length: total size over %" PRIu64 " bytes", i,
				    METAINFO_MAX_TOTAL);
		r = parse_file_path(c, bnode_dict_get(f, "path"), i, &mi->files[i].path);
		if (r)
			return r;
		mi->files[i].length = (uint64_t)len;
		mi->files[i].offset = total;
		mi->file_count = i + 1;
		total += (uint64_t)len;
	}
	mi->total_length = total;
	return check_path_conflicts(c, mi);
}

static int parse_info(struct ctx *c, struct metainfo *mi, const struct bnode *info)
{
	const struct bnode *files, *v;
	const uint8_t *s;
	size_t len;
	int64_t plen, i;
	uint64_t count;
	int r;

	/* BEP 52 v2-only torrents hash pieces differently; hybrids carry v1
	 * fields as well and are read as v1. */
	if (!bnode_dict_get(info, "pieces") && bnode_dict_get(info, "meta version"))
		return fail(
			c, METAINFO_E_FIELD,
			"info: a BitTorrent v2-only torrent (no 'pieces'); only v1 is supported");

	/* name */
	v = bnode_dict_get(info, "name");
	s = bnode_str(v, &len);
	if (!s)
		return fail(c, METAINFO_E_FIELD, "info.name: %s", v ? "not a string" : "missing");
	r = check_component(c, "info.name", s, len);
	if (r)
		return r;
	mi->name = xmemdup0(s, len);

	/* piece length */
	v = bnode_dict_get(info, "piece length");
	if (!bnode_get_int(v, &plen))
		return fail(c, METAINFO_E_FIELD, "info.piece length: %s",
			    v ? "not an integer" : "missing");
	if (plen <= 0 || (uint64_t)plen > METAINFO_MAX_PIECE_LENGTH)
		return fail(c, METAINFO_E_FIELD,
			    "info.piece length: %" PRId64 " is not within 1..%" PRIu64, plen,
			    METAINFO_MAX_PIECE_LENGTH);
	mi->piece_length = (uint32_t)plen;

	/* length or files */
	files = bnode_dict_get(info, "files");
	v = bnode_dict_get(info, "length");
	if (files && v)
		return fail(c, METAINFO_E_FIELD, "info: both 'length' and 'files' present");
	if (files) {
		mi->multi_file = true;
		r = parse_files(c, mi, files);
		if (r)
			return r;
	} else if (v) {
		if (!bnode_get_int(v, &i))
			return fail(c, METAINFO_E_FIELD, "info.length: not an integer");
		if (i < 0 || (uint64_t)i > METAINFO_MAX_TOTAL)
			return fail(c, METAINFO_E_FIELD,
				    "info.length: %" PRId64 " is not within 0..%" PRIu64, i,
				    METAINFO_MAX_TOTAL);
		mi->files = xcalloc(1, sizeof(*mi->files));
		mi->files[0] =
			(struct metainfo_file){.path = xstrdup(mi->name), .length = (uint64_t)i};
		mi->file_count = 1;
		mi->total_length = (uint64_t)i;
	} else {
		return fail(c, METAINFO_E_FIELD, "info: neither 'length' nor 'files' present");
	}

	/* pieces */
	v = bnode_dict_get(info, "pieces");
	s = bnode_str(v, &len);
	if (!s)
		return fail(c, METAINFO_E_FIELD, "info.pieces: %s", v ? "not a string" : "missing");
	if (len == 0 || len % 20 != 0)
		return fail(c, METAINFO_E_FIELD,
			    "info.pieces: length %zu is not a non-zero multiple of 20", len);
	count = (mi->total_length + mi->piece_length - 1) / mi->piece_length;
	if (count != len / 20)
		return fail(c, METAINFO_E_FIELD,
			    "info.pieces: %zu hashes, but %" PRIu64 " bytes in pieces of %" PRIu32
			    " need %" PRIu64,
			    len / 20, mi->total_length, mi->piece_length, count);
	mi->piece_count = (uint32_t)count;
	mi->pieces = (uint8_t *)xmemdup0(s, len);

	/* private (BEP 27) */
	v = bnode_dict_get(info, "private");
	if (v) {
		if (!bnode_get_int(v, &i) || (i != 0 && i != 1))
			return fail(c, METAINFO_E_FIELD, "info.private: not 0 or 1");
		mi->private_flag = i == 1;
	}
	return 0;
}

int metainfo_parse(struct metainfo *mi, const void *data, size_t len, char *err, size_t errlen)
{
	struct bencode_limits lim = {.max_input = METAINFO_MAX_INPUT};
	struct ctx c = {.err = err, .errlen = errlen};
	struct bencode_error berr;
	struct bencode_doc doc;
	const struct bnode *root, *info, *v;
	struct sha1_ctx sha;
	const uint8_t *raw;
	size_t rawlen;
	int r;

	*mi = (struct metainfo){.creation_date = -1};
	if (errlen)
		err[0] = '\0';
	r = bencode_decode(&doc, data, len, &lim, &berr);
	if (r)
		return fail(&c, METAINFO_E_BENCODE, "not valid bencode at byte %zu: %s",
			    berr.offset, bencode_strerror(r));
	root = bencode_doc_root(&doc);
	if (bnode_type(root) != BNODE_DICT) {
		r = fail(&c, METAINFO_E_FIELD, "top level: not a dictionary");
		goto out;
	}
	info = bnode_dict_get(root, "info");
	if (bnode_type(info) != BNODE_DICT) {
		r = fail(&c, METAINFO_E_FIELD, "info: %s", info ? "not a dictionary" : "missing");
		goto out;
	}
	r = parse_info(&c, mi, info);
	if (r)
		goto out;

	/* The info-hash covers the info dict's bytes exactly as they came. */
	raw = bnode_raw(info, &rawlen);
	sha1_init(&sha);
	sha1_update(&sha, rawlen, raw);
	sha1_digest(&sha, SHA1_DIGEST_SIZE, mi->info_hash);
	mi->info = (uint8_t *)xmemdup0(raw, rawlen);
	mi->info_len = rawlen;

	r = parse_trackers(&c, mi, root);
	if (r)
		goto out;
	r = opt_string(&c, root, "comment", "comment", 65536, &mi->comment);
	if (r)
		goto out;
	r = opt_string(&c, root, "created by", "created by", 4096, &mi->created_by);
	if (r)
		goto out;
	v = bnode_dict_get(root, "creation date");
	if (v && !bnode_get_int(v, &mi->creation_date)) {
		r = fail(&c, METAINFO_E_FIELD, "creation date: not an integer");
		goto out;
	}
out:
	bencode_doc_release(&doc);
	if (r)
		metainfo_release(mi);
	return r;
}

int metainfo_load(struct metainfo *mi, const char *path, char *err, size_t errlen)
{
	struct buf b;
	struct stat st;
	int fd, r;

	*mi = (struct metainfo){.creation_date = -1};
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto fail_errno;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		goto fail_errno;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		r = -EINVAL;
		if (errlen)
			snprintf(err, errlen, "%s: not a regular file", path);
		return r;
	}
	if ((uint64_t)st.st_size > METAINFO_MAX_INPUT) {
		close(fd);
		if (errlen)
			snprintf(err, errlen, "%s: larger than %zu bytes", path,
				 METAINFO_MAX_INPUT);
		return -EFBIG;
	}
	buf_init(&b, METAINFO_MAX_INPUT);
	r = buf_reserve(&b, (size_t)st.st_size);
	for (; r == 0;) {
		ssize_t n;
		if (b.len == b.max) {
			r = -EFBIG;
			break;
		}
		r = buf_reserve(&b, 65536 < b.max - b.len ? 65536 : b.max - b.len);
		if (r)
			break;
		n = read(fd, b.data + b.len, b.cap - 1 - b.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	close(fd);
	if (r) {
		buf_release(&b);
		goto fail_errno;
	}
	r = metainfo_parse(mi, b.data, b.len, err, errlen);
	buf_release(&b);
	return r;

fail_errno:
	if (errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	return r;
}

void metainfo_release(struct metainfo *mi)
{
	for (size_t i = 0; i < mi->file_count; i++)
		free(mi->files[i].path);
	free(mi->files);
	for (size_t i = 0; i < mi->tier_count; i++) {
		for (size_t j = 0; j < mi->tiers[i].count; j++)
			free(mi->tiers[i].urls[j]);
		free(mi->tiers[i].urls);
	}
	free(mi->tiers);
	free(mi->name);
	free(mi->pieces);
	free(mi->announce);
	free(mi->comment);
	free(mi->created_by);
	free(mi->info);
	*mi = (struct metainfo){.creation_date = -1};
}

const uint8_t *metainfo_piece_hash(const struct metainfo *mi, uint32_t index)
{
	if (index >= mi->piece_count)
		return NULL;
	return mi->pieces + (size_t)index * 20;
}

int metainfo_piece_range(const struct metainfo *mi, uint32_t index, uint64_t *offset,
			 uint32_t *length)
{
	uint64_t off;

	if (index >= mi->piece_count)
		return -EINVAL;
	off = (uint64_t)index * mi->piece_length;
	*offset = off;
	*length = (uint32_t)MIN((uint64_t)mi->piece_length, mi->total_length - off);
	return 0;
}

/* The index of the file holding stream byte b (b < total_length): the last
 * file starting at or before b, which is never an empty one. */
static size_t file_at(const struct metainfo *mi, uint64_t b)
{
	size_t lo = 0, hi = mi->file_count;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (mi->files[mid].offset <= b)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int metainfo_map_range(const struct metainfo *mi, uint64_t offset, uint64_t length,
		       struct metainfo_span *spans, size_t max, size_t *count)
{
	size_t n = 0;

	*count = 0;
	if (offset > mi->total_length || length > mi->total_length - offset)
		return -EINVAL;
	if (length == 0)
		return 0;
	for (size_t f = file_at(mi, offset); length > 0 && f < mi->file_count; f++) {
		const struct metainfo_file *file = &mi->files[f];
		uint64_t in_file, take;
		if (file->length == 0)
			continue;
		in_file = offset - file->offset;
		take = MIN(length, file->length - in_file);
		if (n < max)
			spans[n] = (struct metainfo_span){
				.file = f, .file_offset = in_file, .length = take};
		n++;
		offset += take;
		length -= take;
	}
	*count = n;
	return n > max ? -ENOBUFS : 0;
}

int metainfo_piece_files(const struct metainfo *mi, uint32_t index, size_t *first, size_t *last)
{
	uint64_t off;
	uint32_t len;

	if (metainfo_piece_range(mi, index, &off, &len) < 0 || len == 0)
		return -EINVAL;
	*first = file_at(mi, off);
	*last = file_at(mi, off + len - 1);
	return 0;
}
