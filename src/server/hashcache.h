/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The piece-hash cache that lets `start` skip re-hashing an OS whose files
 * have not changed. A cache file (bencoded) records, for one OS folder, each
 * file's relative path, size, modification time and inode, the piece length
 * and the piece hashes. It is used only when every one of those matches the
 * folder as scanned now; anything else (a file touched, added, removed or
 * replaced, another piece length, a damaged cache) means hashing again.
 */
#ifndef BT_SERVER_HASHCACHE_H
#define BT_SERVER_HASHCACHE_H

#include <stdint.h>

#include "bencode/torrent-make.h"
#include "util/util.h"

/* Largest cache file read: enough for a 4 TiB image in 256 KiB pieces. */
#define HASHCACHE_MAX_FILE ((size_t)512 << 20)

/* Looks src up in the cache file at path. Returns 0 with the hashes
 * (malloc'd, *count * 20 bytes) when the cache matches src and
 * piece_length exactly; 1 when there is no cache or it does not match (the
 * caller hashes); a negative errno only for an unreadable existing file. */
int hashcache_lookup(const char *path, const struct torrent_source *src, uint32_t piece_length,
		     uint8_t **hashes, uint32_t *count) WUR;

/* Writes the cache file at path atomically (temporary file, fsync, rename).
 * Returns 0 or a negative errno. */
int hashcache_store(const char *path, const struct torrent_source *src, uint32_t piece_length,
		    const uint8_t *hashes, uint32_t count) WUR;

#endif
