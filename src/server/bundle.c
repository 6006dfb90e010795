/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "server/bundle.h"

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct buf *out = ctx;

	if (buf_append(out, p, n) < 0) {
		archive_set_error(a, E2BIG, "bundle larger than %zu bytes", out->max);
		return -1;
	}
	return (la_ssize_t)n;
}

static int add_entry(struct archive *a, const char *path, mode_t type, const void *data,
		     size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
	r = archive_write_header(a, e);
	if (r == ARCHIVE_OK && len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)
		r = ARCHIVE_FATAL;
	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : -EIO;
}

/* Adds the folders of path (each once: earlier entries are in seen). The
 * kernel's initramfs unpacker does not create missing parents. */
static int add_parents(struct archive *a, const char *path, struct buf *seen)
{
	char dir[4096];
	int r = 0;

	for (const char *p = strchr(path, '/'); p && r == 0; p = strchr(p + 1, '/')) {
		size_t len = (size_t)(p - path);
		if (len >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, len);
		dir[len] = '\0';
		/* seen holds "\n"-separated names, each framed by newlines. */
		char key[4100];
		snprintf(key, sizeof(key), "\n%s\n", dir);
		if (seen->data && strstr((char *)seen->data, key))
			continue;
		if (buf_printf(seen, "%s\n", dir) < 0)
			return -E2BIG;
		r = add_entry(a, dir, AE_IFDIR, NULL, 0);
	}
	return r;
}

int bundle_write(struct buf *out, const struct bundle_file *files, size_t n, char *err,
		 size_t errlen)
{
	struct archive *a = archive_write_new();
	struct buf seen;
	int r = 0;

	buf_init(&seen, 1 << 20);
	if (buf_append_str(&seen, "\n") < 0)
		r = -E2BIG;
	if (r == 0 && (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
		       archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
		       archive_write_open(a, out, NULL, write_cb, NULL) != ARCHIVE_OK))
		r = -EIO;
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = add_parents(a, files[i].name, &seen);
		if (r == 0)
			r = add_entry(a, files[i].name, AE_IFREG, files[i].data, files[i].len);
	}
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = -EIO;
	if (r < 0)
		snprintf(err, errlen, "writing the client bundle: %s",
			 archive_error_string(a) ? archive_error_string(a) : strerror(-r));
	archive_write_free(a);
	buf_release(&seen);
	return r;
}
