/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A torrent's bytes on disk: the files of its metainfo under a target
 * folder (a single-file torrent is DIR/NAME, a multi-file one DIR/NAME/...),
 * addressed by piece and offset. Files are opened beneath the folder (never
 * following a link out of it), created and preallocated when downloading.
 * Pieces are verified with SHA-1 straight from the files.
 *
 * The storage borrows the metainfo, which must outlive it.
 */
#ifndef BT_BT_STORAGE_H
#define BT_BT_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <nettle/sha1.h>

#include "bencode/metainfo.h"
#include "bt/bitfield.h"
#include "util/util.h"

struct bt_storage {
	const struct metainfo *mi;
	int dirfd;   /* the target folder */
	int *fds;    /* one per file, -1 for empty files */
	bool *fresh; /* the file was created (or empty) at open */
	bool writable;
	uint8_t *scratch; /* for hashing */
	size_t scratch_len;
};

/* Opens (writable: creates and sizes) every file of mi under dir. dir is
 * created if writable and missing. Returns 0 or a negative errno; on error
 * nothing stays open and *what names the path that failed (static, may be
 * NULL). */
int bt_storage_open(struct bt_storage *st, const char *dir, const struct metainfo *mi,
		    bool writable, const char **what) WUR;
void bt_storage_close(struct bt_storage *st);

/* Reads or writes len bytes at offset begin of piece. The range must lie in
 * the piece (the wire parser checked it). 0 or a negative errno (-EIO on a
 * short read: a file shorter than the torrent says). */
int bt_storage_read(struct bt_storage *st, uint32_t piece, uint32_t begin, void *out,
		    uint32_t len) WUR;
int bt_storage_write(struct bt_storage *st, uint32_t piece, uint32_t begin, const void *data,
		     uint32_t len) WUR;

/* Reads n consecutive ranges of one piece, the first at begin, into
 * out[0..n) (each iov_len bytes): one system call when they lie in one
 * file. The same checks and results as bt_storage_read(). */
int bt_storage_readv(struct bt_storage *st, uint32_t piece, uint32_t begin, const struct iovec *out,
		     int n) WUR;

/* Hashes the piece as it is on disk and compares with the metainfo. Sets
 * *ok; returns 0 or a negative errno. */
int bt_storage_verify(struct bt_storage *st, uint32_t piece, bool *ok) WUR;
/* The same for a piece whose first `from` bytes are already in sha (hashed
 * as they arrived): reads and hashes only the rest, then finishes sha. */
int bt_storage_verify_rest(struct bt_storage *st, uint32_t piece, struct sha1_ctx *sha,
			   uint32_t from, bool *ok) WUR;

/* True when every file has exactly the length the metainfo gives. */
bool bt_storage_sizes_ok(const struct bt_storage *st);

/* Verifies every piece whose files all existed at open (pieces in files we
 * just created are missing by definition), setting its bit in have (sized
 * piece_count). Returns 0 or a negative errno. */
int bt_storage_recheck(struct bt_storage *st, struct bt_bitfield *have) WUR;

#endif
