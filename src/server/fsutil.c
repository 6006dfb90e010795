/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/fsutil.h"

static bool same_content(const char *path, const void *data, size_t len)
{
	struct stat st;
	uint8_t chunk[65536];
	size_t off = 0;
	bool same = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != len)
		goto out;
	while (off < len) {
		ssize_t n = read(fd, chunk, MIN(sizeof(chunk), len - off));
		if (n <= 0 || memcmp(chunk, (const uint8_t *)data + off, (size_t)n) != 0)
			goto out;
		off += (size_t)n;
	}
	same = true;
out:
	close(fd);
	return same;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	size_t off = 0;
	int fd, r = 0;

	if (same_content(path, data, len))
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, (const uint8_t *)data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int fs_copy_file(const char *src, const char *dst, mode_t mode)
{
	struct stat st;
	uint8_t *data;
	size_t off = 0;
	int fd, r = 0;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* Bootloaders and phase 1 are a few MiB; a cap keeps a mistake (a
	 * path to a disk image) from eating memory. */
	if (!S_ISREG(st.st_mode) || st.st_size > (256 << 20)) {
		close(fd);
		return -EFBIG;
	}
	data = xmalloc((size_t)st.st_size);
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, data + off, (size_t)st.st_size - off);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	if (r == 0)
		r = fs_write_atomic(dst, data, off, mode);
	free(data);
	return r;
}

int fs_mkdirs(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
