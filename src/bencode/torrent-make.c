/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bencode/bencode.h"
#include "bencode/metainfo.h"
#include "bencode/piece-hasher.h"
#include "bencode/torrent-make.h"
#include "util/path.h"

/* Folders nested deeper than this are refused rather than walked. */
#define SCAN_MAX_DEPTH (METAINFO_MAX_PATH_DEPTH - 1)

struct scan {
	struct torrent_source *src;
	char *root_real; /* the folder's resolved path, to judge symlinks */
	size_t cap;
	char *err;
	size_t errlen;
};

static int scan_fail(struct scan *s, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int scan_fail(struct scan *s, int code, const char *fmt, ...)
{
	va_list ap;

	if (s->errlen) {
		va_start(ap, fmt);
		vsnprintf(s->err, s->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int scan_add(struct scan *s, const char *rel, const char *abs, const struct stat *st)
{
	struct torrent_source *src = s->src;

	if (src->count >= METAINFO_MAX_FILES)
		return scan_fail(s, TORRENT_E_SOURCE, "%s: more than %d files", src->root,
				 METAINFO_MAX_FILES);
	if ((uint64_t)st->st_size > METAINFO_MAX_TOTAL - src->total)
		return scan_fail(s, TORRENT_E_SOURCE, "%s: more than %llu bytes in all", src->root,
				 (unsigned long long)METAINFO_MAX_TOTAL);
	if (src->count == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		src->files = xrealloc(src->files, s->cap * sizeof(*src->files));
	}
	src->files[src->count++] = (struct torrent_source_file){
		.rel = xstrdup(rel),
		.abs = xstrdup(abs),
		.length = (uint64_t)st->st_size,
		.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
	};
	src->total += (uint64_t)st->st_size;
	return 0;
}

static const char *kind_of(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* A symlink inside the folder: followed when it leads to a regular file
 * that is itself inside the folder; anything else is refused, so that the
 * torrent never carries data from elsewhere and never loops. */
static int scan_symlink(struct scan *s, const char *rel, const char *abs)
{
	char *target = realpath(abs, NULL);
	size_t rl = strlen(s->root_real);
	struct stat st;
	int r;

	if (!target)
		return scan_fail(s, TORRENT_E_SOURCE, "%s: symlink cannot be resolved: %s", abs,
				 strerror(errno));
	if (strncmp(target, s->root_real, rl) != 0 || target[rl] != '/') {
		r = scan_fail(s, TORRENT_E_SOURCE, "%s: symlink points outside %s (to %s)", abs,
			      s->src->root, target);
		goto out;
	}
	if (stat(target, &st) < 0) {
		r = scan_fail(s, -errno, "%s: %s", abs, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode))
		r = scan_fail(s, TORRENT_E_SOURCE, "%s: symlink to a folder is not supported", abs);
	else if (!S_ISREG(st.st_mode))
		r = scan_fail(s, TORRENT_E_SOURCE, "%s: symlink to %s", abs, kind_of(st.st_mode));
	else
		r = scan_add(s, rel, abs, &st);
out:
	free(target);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks one folder. Recursion follows the folder tree of the local disk,
 * which the user chose, and is capped at SCAN_MAX_DEPTH. */
static int scan_dir(struct scan *s, const char *rel, const char *abs, int depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (depth > SCAN_MAX_DEPTH)
		return scan_fail(s, TORRENT_E_SOURCE, "%s: folders nested deeper than %d", abs,
				 SCAN_MAX_DEPTH);
	d = opendir(abs);
	if (!d)
		return scan_fail(s, -errno, "%s: %s", abs, strerror(errno));
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n >= METAINFO_MAX_FILES) {
			r = scan_fail(s, TORRENT_E_SOURCE, "%s: more than %d entries", abs,
				      METAINFO_MAX_FILES);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (errno) {
		r = scan_fail(s, -errno, "%s: %s", abs, strerror(errno));
		goto out;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);

	for (size_t i = 0; i < n && r == 0; i++) {
		size_t len = strlen(names[i]);
		char *crel, *cabs;
		struct stat st;

		if (!path_component_ok(names[i], len) || len > METAINFO_MAX_COMPONENT) {
			r = scan_fail(s, TORRENT_E_SOURCE, "%s/%s: name not usable in a torrent",
				      abs, names[i]);
			break;
		}
		crel = rel[0] ? path_join(rel, names[i]) : xstrdup(names[i]);
		cabs = path_join(abs, names[i]);
		if (strlen(crel) > METAINFO_MAX_PATH)
			r = scan_fail(s, TORRENT_E_SOURCE, "%s: path longer than %d bytes", cabs,
				      METAINFO_MAX_PATH);
		else if (fstatat(AT_FDCWD, cabs, &st, AT_SYMLINK_NOFOLLOW) < 0)
			r = scan_fail(s, -errno, "%s: %s", cabs, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			r = scan_dir(s, crel, cabs, depth + 1);
		else if (S_ISREG(st.st_mode))
			r = scan_add(s, crel, cabs, &st);
		else if (S_ISLNK(st.st_mode))
			r = scan_symlink(s, crel, cabs);
		else
			r = scan_fail(s, TORRENT_E_SOURCE, "%s: %s cannot be shared", cabs,
				      kind_of(st.st_mode));
		free(crel);
		free(cabs);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}

static int file_cmp(const void *a, const void *b)
{
	const struct torrent_source_file *fa = a, *fb = b;
	return strcmp(fa->rel, fb->rel);
}

/* The last component of a resolved path ("/" has none). */
static const char *last_component(const char *p)
{
	const char *slash = strrchr(p, '/');
	return slash ? slash + 1 : p;
}

/* The name a torrent of path gets by default: its last component as given
 * (so a symlink "alias.iso" names the torrent "alias.iso", as mktorrent
 * does), or the resolved folder's name for ".", ".." and the like. */
static char *default_name(const char *path, const char *real)
{
	size_t len = strlen(path);
	const char *start;

	while (len > 1 && path[len - 1] == '/')
		len--;
	start = path + len;
	while (start > path && start[-1] != '/')
		start--;
	if (path_component_ok(start, (size_t)(path + len - start)))
		return xstrndup(start, (size_t)(path + len - start));
	return xstrdup(last_component(real));
}

int torrent_source_scan(struct torrent_source *src, const char *path, char *err, size_t errlen)
{
	struct scan s = {.src = src, .err = err, .errlen = errlen};
	struct stat st;
	int r;

	*src = (struct torrent_source){.root = xstrdup(path)};
	if (errlen)
		err[0] = '\0';
	if (stat(path, &st) < 0) {
		r = scan_fail(&s, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	s.root_real = realpath(path, NULL);
	if (!s.root_real) {
		r = scan_fail(&s, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	src->name = default_name(path, s.root_real);
	if (S_ISREG(st.st_mode)) {
		r = scan_add(&s, src->name, path, &st);
	} else if (S_ISDIR(st.st_mode)) {
		src->is_dir = true;
		r = scan_dir(&s, "", path, 0);
		if (r == 0 && src->count == 0)
			r = scan_fail(&s, TORRENT_E_SOURCE, "%s: no files in the folder", path);
		/* Names were sorted per folder; sort the full paths so the
		 * order is the plain byte order of relative paths, whatever
		 * the folder structure (as mktorrent does). */
		if (r == 0 && src->count > 1)
			qsort(src->files, src->count, sizeof(*src->files), file_cmp);
	} else {
		r = scan_fail(&s, TORRENT_E_SOURCE, "%s: %s cannot be shared", path,
			      kind_of(st.st_mode));
	}
	if (r == 0 && src->total == 0)
		r = scan_fail(&s, TORRENT_E_SOURCE, "%s: nothing to share (0 bytes)", path);
out:
	free(s.root_real);
	if (r)
		torrent_source_release(src);
	return r;
}

void torrent_source_release(struct torrent_source *src)
{
	for (size_t i = 0; i < src->count; i++) {
		free(src->files[i].rel);
		free(src->files[i].abs);
	}
	free(src->files);
	free(src->root);
	free(src->name);
	*src = (struct torrent_source){0};
}

int torrent_source_hash(const struct torrent_source *src, uint32_t piece_length,
			torrent_progress_fn *progress, void *progress_ctx, uint8_t **hashes,
			uint32_t *count, char *err, size_t errlen)
{
	struct piece_hasher h;
	uint64_t done = 0;
	uint8_t *chunk;
	int r = 0;

	*hashes = NULL;
	*count = 0;
	if (piece_length == 0)
		return -EINVAL;
	/* One fixed chunk for all reads: memory stays bounded whatever the
	 * file sizes, and 4 MiB reads keep syscall overhead negligible. */
	chunk = xmalloc(TORRENT_READ_CHUNK);
	piece_hasher_init(&h, piece_length);
	for (size_t i = 0; i < src->count && r == 0; i++) {
		const struct torrent_source_file *f = &src->files[i];
		uint64_t got = 0;
		int fd = open(f->abs, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			r = -errno;
			if (errlen)
				snprintf(err, errlen, "%s: %s", f->abs, strerror(errno));
			break;
		}
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		for (;;) {
			ssize_t n = read(fd, chunk, TORRENT_READ_CHUNK);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				r = -errno;
				if (errlen)
					snprintf(err, errlen, "%s: %s", f->abs, strerror(errno));
				break;
			}
			if (n == 0)
				break;
			if ((uint64_t)n > f->length - got) {
				got += (uint64_t)n;
				break;
			}
			piece_hasher_feed(&h, chunk, (size_t)n);
			got += (uint64_t)n;
			done += (uint64_t)n;
			if (progress && !progress(progress_ctx, done, src->total)) {
				r = -ECANCELED;
				if (errlen)
					snprintf(err, errlen, "hashing stopped");
				break;
			}
		}
		close(fd);
		if (r == 0 && got != f->length) {
			r = TORRENT_E_CHANGED;
			if (errlen)
				snprintf(err, errlen, "%s: changed size while being hashed",
					 f->abs);
		}
	}
	free(chunk);
	if (r == 0) {
		piece_hasher_finish(&h);
		*hashes = piece_hasher_detach(&h, count);
	}
	piece_hasher_release(&h);
	return r;
}

uint32_t torrent_piece_length_auto(uint64_t total)
{
	uint32_t pl = TORRENT_MIN_AUTO_PIECE;

	while (pl < TORRENT_MAX_AUTO_PIECE && (total + pl - 1) / pl > TORRENT_AUTO_TARGET_PIECES)
		pl *= 2;
	return pl;
}

static int encode_trackers(const struct torrent_make_opts *o, struct buf *b)
{
	const char *first = NULL;
	size_t urls = 0;
	int r = 0;

	for (size_t t = 0; t < o->tier_count; t++) {
		if (!first && o->tiers[t].count)
			first = o->tiers[t].urls[0];
		urls += o->tiers[t].count;
	}
	if (first) {
		r = bencode_put_cstr(b, "announce");
		if (r == 0)
			r = bencode_put_cstr(b, first);
	}
	if (r == 0 && urls > 1) {
		r = bencode_put_cstr(b, "announce-list");
		if (r == 0)
			r = bencode_put_list_begin(b);
		for (size_t t = 0; t < o->tier_count && r == 0; t++) {
			if (o->tiers[t].count == 0)
				continue;
			r = bencode_put_list_begin(b);
			for (size_t u = 0; u < o->tiers[t].count && r == 0; u++)
				r = bencode_put_cstr(b, o->tiers[t].urls[u]);
			if (r == 0)
				r = bencode_put_end(b);
		}
		if (r == 0)
			r = bencode_put_end(b);
	}
	return r;
}

/* Writes "path" as the list of the components of rel. */
static int encode_path(struct buf *b, const char *rel)
{
	int r = bencode_put_list_begin(b);

	while (r == 0) {
		const char *slash = strchr(rel, '/');
		size_t len = slash ? (size_t)(slash - rel) : strlen(rel);
		r = bencode_put_str(b, rel, len);
		if (!slash)
			break;
		rel = slash + 1;
	}
	return r ? r : bencode_put_end(b);
}

static int encode_info(const struct torrent_source *src, const char *name, uint32_t piece_length,
		       bool private_flag, const uint8_t *hashes, uint32_t count, struct buf *b)
{
	int r = bencode_put_dict_begin(b);

	/* Keys in byte order: files|length, name, piece length, pieces, private. */
	if (r == 0 && src->is_dir) {
		r = bencode_put_cstr(b, "files");
		if (r == 0)
			r = bencode_put_list_begin(b);
		for (size_t i = 0; i < src->count && r == 0; i++) {
			r = bencode_put_dict_begin(b);
			if (r == 0)
				r = bencode_put_cstr(b, "length");
			if (r == 0)
				r = bencode_put_int(b, (int64_t)src->files[i].length);
			if (r == 0)
				r = bencode_put_cstr(b, "path");
			if (r == 0)
				r = encode_path(b, src->files[i].rel);
			if (r == 0)
				r = bencode_put_end(b);
		}
		if (r == 0)
			r = bencode_put_end(b);
	} else if (r == 0) {
		r = bencode_put_cstr(b, "length");
		if (r == 0)
			r = bencode_put_int(b, (int64_t)src->total);
	}
	if (r == 0)
		r = bencode_put_cstr(b, "name");
	if (r == 0)
		r = bencode_put_cstr(b, name);
	if (r == 0)
		r = bencode_put_cstr(b, "piece length");
	if (r == 0)
		r = bencode_put_int(b, piece_length);
	if (r == 0)
		r = bencode_put_cstr(b, "pieces");
	if (r == 0)
		r = bencode_put_str(b, hashes, (size_t)count * PIECE_HASH_SIZE);
	if (r == 0 && private_flag) {
		r = bencode_put_cstr(b, "private");
		if (r == 0)
			r = bencode_put_int(b, 1);
	}
	return r ? r : bencode_put_end(b);
}

int torrent_source_encode(const struct torrent_source *src, const struct torrent_make_opts *o,
			  uint32_t piece_length, const uint8_t *hashes, uint32_t count,
			  struct buf *out, char *err, size_t errlen)
{
	const char *name = o->name ? o->name : src->name ? src->name : "";
	uint64_t want;
	size_t start = out->len;
	int r;

	if (errlen)
		err[0] = '\0';
	if (piece_length == 0 || piece_length > METAINFO_MAX_PIECE_LENGTH) {
		if (errlen)
			snprintf(err, errlen, "piece length %u is not within 1..%llu",
				 (unsigned)piece_length,
				 (unsigned long long)METAINFO_MAX_PIECE_LENGTH);
		return TORRENT_E_OPTION;
	}
	want = (src->total + piece_length - 1) / piece_length;
	if (want != count) {
		if (errlen)
			snprintf(err, errlen, "%u piece hashes given, %llu needed", count,
				 (unsigned long long)want);
		return TORRENT_E_OPTION;
	}
	if (!path_component_ok(name, strlen(name)) || strlen(name) > METAINFO_MAX_COMPONENT) {
		if (errlen)
			snprintf(err, errlen, "name '%s' is not a usable file name", name);
		return TORRENT_E_OPTION;
	}

	/* Top-level keys in byte order. */
	r = bencode_put_dict_begin(out);
	if (r == 0)
		r = encode_trackers(o, out);
	if (r == 0 && o->comment) {
		r = bencode_put_cstr(out, "comment");
		if (r == 0)
			r = bencode_put_cstr(out, o->comment);
	}
	if (r == 0) {
		r = bencode_put_cstr(out, "created by");
		if (r == 0)
			r = bencode_put_cstr(out, o->created_by ? o->created_by
								: "boottorrent " BT_VERSION);
	}
	if (r == 0 && o->creation_date >= 0) {
		r = bencode_put_cstr(out, "creation date");
		if (r == 0)
			r = bencode_put_int(out, o->creation_date);
	}
	if (r == 0)
		r = bencode_put_cstr(out, "info");
	if (r == 0)
		r = encode_info(src, name, piece_length, o->private_flag, hashes, count, out);
	if (r == 0)
		r = bencode_put_end(out);
	if (r < 0) {
		out->len = start;
		if (errlen)
			snprintf(err, errlen, "the torrent is too large to write");
	}
	return r;
}

int torrent_make(const char *path, const struct torrent_make_opts *o, struct buf *out, char *err,
		 size_t errlen)
{
	struct torrent_source src;
	uint8_t *hashes = NULL;
	uint32_t count = 0, pl;
	int r;

	if (o->piece_length > METAINFO_MAX_PIECE_LENGTH) {
		if (errlen)
			snprintf(err, errlen, "piece length %u is over %llu",
				 (unsigned)o->piece_length,
				 (unsigned long long)METAINFO_MAX_PIECE_LENGTH);
		return TORRENT_E_OPTION;
	}
	r = torrent_source_scan(&src, path, err, errlen);
	if (r)
		return r;
	pl = o->piece_length ? o->piece_length : torrent_piece_length_auto(src.total);
	r = torrent_source_hash(&src, pl, o->progress, o->progress_ctx, &hashes, &count, err,
				errlen);
	if (r == 0)
		r = torrent_source_encode(&src, o, pl, hashes, count, out, err, errlen);
	free(hashes);
	torrent_source_release(&src);
	return r;
}
