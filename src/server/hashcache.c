/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bencode/bencode.h"
#include "config/env.h"
#include "server/hashcache.h"
#include "server/fsutil.h"

#define HASHCACHE_VERSION 1

/* What identifies one file's content for the cache: a new inode means the
 * file was replaced (e.g. by cp or rsync), even with the same time. */
struct file_id {
	int64_t size, mtime_ns, ino;
};

static int file_id_get(const struct torrent_source_file *f, struct file_id *id)
{
	struct stat st;

	if (stat(f->abs, &st) < 0)
		return -errno;
	id->size = (int64_t)st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	id->ino = (int64_t)st.st_ino;
	return 0;
}

static bool file_matches(const struct bnode *entry, const struct torrent_source_file *f)
{
	const struct bnode *rel = bnode_list_get(entry, 0);
	int64_t size, mtime, ino;
	struct file_id id = {0};
	size_t len;
	const uint8_t *s = bnode_str(rel, &len);

	if (bnode_count(entry) != 4 || !s || len != strlen(f->rel) || memcmp(s, f->rel, len) != 0)
		return false;
	if (!bnode_get_int(bnode_list_get(entry, 1), &size) ||
	    !bnode_get_int(bnode_list_get(entry, 2), &mtime) ||
	    !bnode_get_int(bnode_list_get(entry, 3), &ino))
		return false;
	if (file_id_get(f, &id) < 0)
		return false;
	return size == id.size && (uint64_t)size == f->length && mtime == id.mtime_ns &&
	       mtime == f->mtime_ns && ino == id.ino;
}

int hashcache_lookup(const char *path, const struct torrent_source *src, uint32_t piece_length,
		     uint8_t **hashes, uint32_t *count)
{
	struct bencode_limits limits = {0};
	struct bencode_doc doc = {0};
	const struct bnode *root, *files, *entry;
	const uint8_t *pieces;
	struct bnode_iter it;
	uint8_t *data = NULL;
	size_t len, plen, i = 0;
	int64_t v, pl;
	int r;

	r = config_read_file(AT_FDCWD, path, false, HASHCACHE_MAX_FILE, &data, &len);
	if (r == -ENOENT)
		return 1;
	if (r < 0)
		return r;
	/* One node per file entry and its four fields, plus the top. */
	limits.max_input = HASHCACHE_MAX_FILE;
	limits.max_nodes = 16 + (src->count + 1) * 5;
	limits.max_depth = 4;
	r = 1;
	if (bencode_decode(&doc, data, len, &limits, NULL) != 0)
		goto out;
	root = bencode_doc_root(&doc);
	files = bnode_dict_get(root, "files");
	pieces = bnode_dict_get_str(root, "pieces", &plen);
	if (!bnode_dict_get_int(root, "v", &v) || v != HASHCACHE_VERSION ||
	    !bnode_dict_get_int(root, "piece length", &pl) || pl != piece_length ||
	    bnode_type(files) != BNODE_LIST || bnode_count(files) != src->count || !pieces ||
	    plen == 0 || plen % 20 != 0 ||
	    plen / 20 != (src->total + piece_length - 1) / piece_length)
		goto out;
	it = bnode_iter_make(files);
	while (bnode_list_next(&it, &entry)) {
		if (bnode_type(entry) != BNODE_LIST || !file_matches(entry, &src->files[i]))
			goto out;
		i++;
	}
	*hashes = xmalloc(plen);
	memcpy(*hashes, pieces, plen);
	*count = (uint32_t)(plen / 20);
	r = 0;
out:
	bencode_doc_release(&doc);
	free(data);
	return r;
}

int hashcache_store(const char *path, const struct torrent_source *src, uint32_t piece_length,
		    const uint8_t *hashes, uint32_t count)
{
	struct buf b;
	int r;

	buf_init(&b, HASHCACHE_MAX_FILE);
	r = bencode_put_dict_begin(&b);
	if (r == 0)
		r = bencode_put_cstr(&b, "files");
	if (r == 0)
		r = bencode_put_list_begin(&b);
	for (size_t i = 0; r == 0 && i < src->count; i++) {
		const struct torrent_source_file *f = &src->files[i];
		struct file_id id = {0};

		r = file_id_get(f, &id);
		if (r == 0)
			r = bencode_put_list_begin(&b);
		if (r == 0)
			r = bencode_put_cstr(&b, f->rel);
		if (r == 0)
			r = bencode_put_int(&b, (int64_t)f->length);
		/* The time seen when the folder was scanned, before hashing: a
		 * file changed while it was hashed then fails to match next time. */
		if (r == 0)
			r = bencode_put_int(&b, f->mtime_ns);
		if (r == 0)
			r = bencode_put_int(&b, id.ino);
		if (r == 0)
			r = bencode_put_end(&b);
	}
	if (r == 0)
		r = bencode_put_end(&b);
	if (r == 0)
		r = bencode_put_cstr(&b, "piece length");
	if (r == 0)
		r = bencode_put_int(&b, piece_length);
	if (r == 0)
		r = bencode_put_cstr(&b, "pieces");
	if (r == 0)
		r = bencode_put_str(&b, hashes, (size_t)count * 20);
	if (r == 0)
		r = bencode_put_cstr(&b, "v");
	if (r == 0)
		r = bencode_put_int(&b, HASHCACHE_VERSION);
	if (r == 0)
		r = bencode_put_end(&b);
	if (r == 0)
		r = fs_write_atomic(path, b.data, b.len, 0644);
	buf_release(&b);
	return r;
}
