/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bt/storage.h"
#include "util/path.h"
#include "util/util.h"

#define SCRATCH_LEN (256u * 1024)

/* Creates the folders of rel (all components but the last) beneath dirfd
 * and opens the file's parent. Returns an O_PATH fd or a negative errno;
 * *base points at the last component. */
static int open_parent(int dirfd, char *rel, bool create, const char **base)
{
	int fd = path_open_beneath(dirfd, ".", O_PATH | O_DIRECTORY);
	char *p = rel, *slash;

	if (fd < 0)
		return fd;
	while ((slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		if (create && mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
			int e = -errno;
			*slash = '/';
			close(fd);
			return e;
		}
		next = path_open_beneath(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW);
		*slash = '/';
		close(fd);
		if (next < 0)
			return next;
		fd = next;
		p = slash + 1;
	}
	*base = p;
	return fd;
}

/* Makes sure a new file of len bytes fits, so that a full disk is found
 * before the download rather than in the middle of it. On a disk the space
 * is reserved. On tmpfs (phase 1's RAM) reserving means zeroing every page
 * before the first byte arrives, 14 ms per 64 MiB here and half a second
 * for a 2 GiB image, with 32 machines on 2 cores all of it before anyone
 * connects (bench/scale.sh); a page written whole needs no zeroing, so
 * there the free space is only checked. */
static int reserve(int fd, uint64_t len)
{
	struct statfs sf;
	int r;

	if (fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
		if ((uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize < len)
			return -ENOSPC;
		return 0;
	}
	r = posix_fallocate(fd, 0, (off_t)len);
	return r && r != EOPNOTSUPP && r != EINVAL ? -r : 0;
}

static int open_file(struct bt_storage *st, size_t i, const char *rel_in)
{
	const struct metainfo_file *f = &st->mi->files[i];
	char *rel = xstrdup(rel_in);
	const char *base = NULL;
	struct stat sb;
	int pfd, fd, r = 0;

	pfd = open_parent(st->dirfd, rel, st->writable, &base);
	if (pfd < 0) {
		free(rel);
		return pfd;
	}
	/* base is one checked component and O_NOFOLLOW refuses a link there. */
	fd = openat(pfd, base,
		    (st->writable ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		r = -errno;
	close(pfd);
	free(rel);
	if (r)
		return r;
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	st->fresh[i] = sb.st_size == 0;
	if (st->writable && (uint64_t)sb.st_size != f->length) {
		if (ftruncate(fd, (off_t)f->length) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	if (st->writable && st->fresh[i]) {
		r = reserve(fd, f->length);
		if (r) {
			close(fd);
			return r;
		}
	}
	return fd;
}

int bt_storage_open(struct bt_storage *st, const char *dir, const struct metainfo *mi,
		    bool writable, const char **what)
{
	int r = 0, topfd;

	memset(st, 0, sizeof(*st));
	st->mi = mi;
	st->writable = writable;
	st->dirfd = -1;
	if (what)
		*what = dir;
	if (writable && mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	topfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (topfd < 0)
		return -errno;
	if (mi->multi_file) {
		if (what)
			*what = mi->name;
		if (writable && mkdirat(topfd, mi->name, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			close(topfd);
			return r;
		}
		st->dirfd = path_open_beneath(topfd, mi->name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
		close(topfd);
		if (st->dirfd < 0)
			return st->dirfd;
	} else {
		st->dirfd = topfd;
	}
	st->fds = xcalloc(mi->file_count ? mi->file_count : 1, sizeof(*st->fds));
	st->fresh = xcalloc(mi->file_count ? mi->file_count : 1, sizeof(*st->fresh));
	for (size_t i = 0; i < mi->file_count; i++)
		st->fds[i] = -1;
	for (size_t i = 0; i < mi->file_count; i++) {
		if (mi->files[i].length == 0 && !writable)
			continue;
		r = open_file(st, i, mi->files[i].path);
		if (r < 0) {
			if (what)
				*what = mi->files[i].path;
			bt_storage_close(st);
			return r;
		}
		if (mi->files[i].length == 0) {
			/* Created so the folder looks complete; never read. */
			close(r);
			continue;
		}
		st->fds[i] = r;
	}
	st->scratch_len = SCRATCH_LEN;
	st->scratch = xmalloc(st->scratch_len);
	return 0;
}

void bt_storage_close(struct bt_storage *st)
{
	if (st->fds)
		for (size_t i = 0; i < st->mi->file_count; i++)
			if (st->fds[i] >= 0)
				close(st->fds[i]);
	if (st->dirfd >= 0)
		close(st->dirfd);
	free(st->fds);
	free(st->fresh);
	free(st->scratch);
	st->fds = NULL;
	st->fresh = NULL;
	st->scratch = NULL;
	st->dirfd = -1;
}

/* The first file whose byte range ends after off. */
static size_t file_at(const struct metainfo *mi, uint64_t off)
{
	size_t lo = 0, hi = mi->file_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mi->files[mid].offset + mi->files[mid].length <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int io(struct bt_storage *st, uint32_t piece, uint32_t begin, uint8_t *p, uint32_t len,
	      bool write)
{
	const struct metainfo *mi = st->mi;
	uint64_t off = (uint64_t)piece * mi->piece_length + begin;
	size_t f;

	if (off + len > mi->total_length)
		return -EINVAL;
	for (f = file_at(mi, off); len > 0 && f < mi->file_count; f++) {
		const struct metainfo_file *file = &mi->files[f];
		uint64_t in = off - file->offset;
		size_t n;
		ssize_t done;

		if (file->length == 0 || off < file->offset)
			continue;
		n = (size_t)MIN((uint64_t)len, file->length - in);
		while (n > 0) {
			done = write ? pwrite(st->fds[f], p, n, (off_t)in)
				     : pread(st->fds[f], p, n, (off_t)in);
			if (done < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			if (done == 0)
				return -EIO;
			p += done;
			n -= (size_t)done;
			in += (uint64_t)done;
			off += (uint64_t)done;
			len -= (uint32_t)done;
		}
	}
	return len == 0 ? 0 : -EIO;
}

int bt_storage_read(struct bt_storage *st, uint32_t piece, uint32_t begin, void *out, uint32_t len)
{
	return io(st, piece, begin, out, len, false);
}

int bt_storage_readv(struct bt_storage *st, uint32_t piece, uint32_t begin, const struct iovec *out,
		     int n)
{
	const struct metainfo *mi = st->mi;
	uint64_t off = (uint64_t)piece * mi->piece_length + begin, total = 0;
	const struct metainfo_file *file;
	ssize_t done = -1;
	size_t f;
	int r;

	for (int i = 0; i < n; i++)
		total += out[i].iov_len;
	if (off + total > mi->total_length)
		return -EINVAL;
	f = file_at(mi, off);
	file = f < mi->file_count ? &mi->files[f] : NULL;
	if (file && n > 1 && file->length > 0 && off >= file->offset &&
	    off + total <= file->offset + file->length) {
		do
			done = preadv(st->fds[f], out, n, (off_t)(off - file->offset));
		while (done < 0 && errno == EINTR);
		if (done < 0)
			return -errno;
	}
	if ((uint64_t)done == total)
		return 0;
	/* Across files, or a short read: range by range, which also tells a
	 * file cut short (-EIO) from an interruption. */
	for (int i = 0; i < n; i++) {
		r = bt_storage_read(st, piece, begin, out[i].iov_base, (uint32_t)out[i].iov_len);
		if (r)
			return r;
		begin += (uint32_t)out[i].iov_len;
	}
	return 0;
}

int bt_storage_write(struct bt_storage *st, uint32_t piece, uint32_t begin, const void *data,
		     uint32_t len)
{
	if (!st->writable)
		return -EBADF;
	return io(st, piece, begin, (uint8_t *)data, len, true);
}

int bt_storage_verify_rest(struct bt_storage *st, uint32_t piece, struct sha1_ctx *sha,
			   uint32_t from, bool *ok)
{
	uint64_t off;
	uint32_t size, done = from;
	uint8_t digest[SHA1_DIGEST_SIZE];
	int r;

	*ok = false;
	r = metainfo_piece_range(st->mi, piece, &off, &size);
	if (r)
		return r;
	if (from > size)
		return -EINVAL;
	while (done < size) {
		uint32_t n = (uint32_t)MIN((size_t)(size - done), st->scratch_len);

		r = bt_storage_read(st, piece, done, st->scratch, n);
		if (r)
			return r;
		sha1_update(sha, n, st->scratch);
		done += n;
	}
	sha1_digest(sha, sizeof(digest), digest);
	*ok = memcmp(digest, metainfo_piece_hash(st->mi, piece), sizeof(digest)) == 0;
	return 0;
}

int bt_storage_verify(struct bt_storage *st, uint32_t piece, bool *ok)
{
	struct sha1_ctx sha;

	sha1_init(&sha);
	return bt_storage_verify_rest(st, piece, &sha, 0, ok);
}

bool bt_storage_sizes_ok(const struct bt_storage *st)
{
	for (size_t i = 0; i < st->mi->file_count; i++) {
		struct stat sb;

		if (st->fds[i] < 0)
			continue;
		if (fstat(st->fds[i], &sb) < 0 || (uint64_t)sb.st_size != st->mi->files[i].length)
			return false;
	}
	return true;
}

int bt_storage_recheck(struct bt_storage *st, struct bt_bitfield *have)
{
	const struct metainfo *mi = st->mi;

	for (uint32_t i = 0; i < mi->piece_count; i++) {
		size_t first, last;
		bool fresh = false, ok;
		int r;

		if (metainfo_piece_files(mi, i, &first, &last) == 0)
			for (size_t f = first; f <= last; f++)
				if (mi->files[f].length > 0 && st->fresh[f])
					fresh = true;
		if (fresh)
			continue;
		r = bt_storage_verify(st, i, &ok);
		if (r == -EIO)
			continue;
		if (r)
			return r;
		if (ok)
			bt_bitfield_set(have, i);
	}
	return 0;
}
