/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Making standard v1 .torrent files from a file or a folder, in three steps
 * that callers may also run apart (the server caches hashes):
 *
 *   torrent_source_scan()   list the files (sorted by path, deterministic),
 *                           refusing what cannot be shared safely
 *   torrent_source_hash()   SHA-1 every piece, streamed in bounded memory
 *   torrent_source_encode() write the bencoded metainfo
 *
 * torrent_make() runs all three.
 */
#ifndef BT_BENCODE_TORRENT_MAKE_H
#define BT_BENCODE_TORRENT_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/util.h"

/* Positive error codes (err says more). */
enum {
	TORRENT_E_SOURCE = 1, /* the file or folder cannot be made a torrent */
	TORRENT_E_CHANGED,    /* a file changed size while being hashed */
	TORRENT_E_OPTION,     /* a bad option (name, piece length, ...) */
};

#define TORRENT_MIN_AUTO_PIECE ((uint32_t)16 << 10)
#define TORRENT_MAX_AUTO_PIECE ((uint32_t)16 << 20)
#define TORRENT_AUTO_TARGET_PIECES 2000
#define TORRENT_READ_CHUNK ((size_t)4 << 20)

struct torrent_source_file {
	char *rel; /* path relative to the folder ('/'-joined); name for a file */
	char *abs; /* path to open */
	uint64_t length;
	int64_t mtime_ns; /* for caches: st_mtim at scan time */
};

struct torrent_source {
	char *root; /* the path given */
	char *name; /* the default torrent name: the path's last component */
	bool is_dir;
	struct torrent_source_file *files;
	size_t count;
	uint64_t total;
};

/* Lists the file at path, or every file below the folder at path, sorted by
 * relative path (byte order). Refuses, with a message in err: special files,
 * symlinks that point outside the folder or to folders, more than
 * METAINFO_MAX_FILES files, and a total of zero bytes. Symlinks to files
 * inside the folder are followed. 0, TORRENT_E_SOURCE or a negative errno. */
int torrent_source_scan(struct torrent_source *src, const char *path, char *err, size_t errlen) WUR;
void torrent_source_release(struct torrent_source *src);

/* Progress of hashing: bytes done out of total. Returns false to stop
 * hashing (a server shutting down): the hash then fails with -ECANCELED. */
typedef bool torrent_progress_fn(void *ctx, uint64_t done, uint64_t total);

/* Reads every file in order and returns the piece hashes (malloc'd,
 * *count * 20 bytes) in *hashes. progress may be NULL. 0,
 * TORRENT_E_CHANGED, -ECANCELED, or a negative errno (err says which
 * file). */
int torrent_source_hash(const struct torrent_source *src, uint32_t piece_length,
			torrent_progress_fn *progress, void *progress_ctx, uint8_t **hashes,
			uint32_t *count, char *err, size_t errlen) WUR;

struct torrent_tier {
	const char *const *urls;
	size_t count;
};

struct torrent_make_opts {
	const char *name;      /* NULL: the last component of the path */
	uint32_t piece_length; /* 0: torrent_piece_length_auto() */
	/* Trackers, BEP 12 tiers: announce is the first URL; announce-list is
	 * written when there is more than one URL. */
	const struct torrent_tier *tiers;
	size_t tier_count;
	const char *comment;	/* NULL: none */
	const char *created_by; /* NULL: "boottorrent VERSION" */
	int64_t creation_date;	/* seconds since the epoch; < 0: omitted */
	bool private_flag;
	torrent_progress_fn *progress;
	void *progress_ctx;
};

/* The smallest power of two from 16 KiB to 16 MiB that cuts total into at
 * most 2000 pieces (16 MiB if none does). */
uint32_t torrent_piece_length_auto(uint64_t total);

/* Appends the metainfo for src with the given hashes to out. 0,
 * TORRENT_E_OPTION, or -E2BIG if out's maximum is too small. */
int torrent_source_encode(const struct torrent_source *src, const struct torrent_make_opts *o,
			  uint32_t piece_length, const uint8_t *hashes, uint32_t count,
			  struct buf *out, char *err, size_t errlen) WUR;

/* Scans, hashes and encodes path into out. Returns as the steps do. */
int torrent_make(const char *path, const struct torrent_make_opts *o, struct buf *out, char *err,
		 size_t errlen) WUR;

#endif
