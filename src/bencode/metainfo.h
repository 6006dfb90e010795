/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * BitTorrent v1 metainfo (.torrent files, BEP 3, BEP 12 announce-list,
 * BEP 27 private flag): a strict parser that validates every field before
 * anything is used, the info-hash, and the mapping from pieces to files.
 *
 * A struct metainfo owns all its strings and arrays (copied out of the
 * input, which may be freed after parsing). File paths are relative,
 * '/'-joined, and every component passed path_component_ok(), so they can
 * be joined below a download folder (still open them with
 * path_open_beneath()).
 */
#ifndef BT_BENCODE_METAINFO_H
#define BT_BENCODE_METAINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Positive error codes; the message passed back names the field. */
enum {
	METAINFO_E_BENCODE = 1, /* not valid bencode */
	METAINFO_E_FIELD,	/* a field missing, of the wrong type or out of range */
	METAINFO_E_PATH,	/* an unsafe or conflicting file path */
};

#define METAINFO_MAX_INPUT ((size_t)64 << 20)	       /* bytes of .torrent */
#define METAINFO_MAX_PIECE_LENGTH ((uint64_t)64 << 20) /* 64 MiB */
#define METAINFO_MAX_TOTAL ((uint64_t)1 << 42)	       /* 4 TiB */
#define METAINFO_MAX_FILES 100000
#define METAINFO_MAX_PATH_DEPTH 64 /* components in one file's path */
#define METAINFO_MAX_COMPONENT 255 /* bytes, as NAME_MAX */
#define METAINFO_MAX_PATH 4096	   /* bytes of a joined relative path */
#define METAINFO_MAX_URLS 256	   /* announce URLs in all tiers */
#define METAINFO_MAX_URL 2048

struct metainfo_file {
	char *path; /* relative to the torrent's folder, '/'-joined */
	uint64_t length;
	uint64_t offset; /* where the file starts in the torrent's byte stream */
};

struct metainfo_tier {
	char **urls;
	size_t count;
};

struct metainfo {
	uint8_t info_hash[20]; /* SHA-1 of the info dict's bytes */
	char *name;	       /* one path component */
	bool multi_file;       /* a folder called name holding files[] */
	uint32_t piece_length;
	uint32_t piece_count;
	uint8_t *pieces; /* piece_count * 20 bytes of SHA-1 */
	uint64_t total_length;
	/* Single-file torrents have one file whose path is name. */
	struct metainfo_file *files;
	size_t file_count;
	/* Trackers: announce-list's tiers when present (BEP 12), else one tier
	 * holding announce; tier_count may be 0 (trackerless). */
	struct metainfo_tier *tiers;
	size_t tier_count;
	char *announce;	   /* the announce key, or NULL */
	bool private_flag; /* BEP 27 */
	char *comment;	   /* optional fields, NULL when absent */
	char *created_by;
	int64_t creation_date; /* seconds since the epoch, -1 when absent */
	uint8_t *info;	       /* a copy of the info dict's bytes (for BEP 9) */
	size_t info_len;
};

/* Parses a .torrent held in data[0..len). On success fills mi (which need
 * not be initialised) and returns 0. Otherwise returns a METAINFO_E_* code
 * and writes a message naming the field into err (errlen bytes, may be 0),
 * e.g. "info.files[3].path: component '..' is not allowed"; mi is then
 * empty. */
int metainfo_parse(struct metainfo *mi, const void *data, size_t len, char *err, size_t errlen) WUR;
/* Reads and parses the file at path (at most METAINFO_MAX_INPUT bytes).
 * Returns as metainfo_parse(), or a negative errno if it cannot be read
 * (err then says why, too). */
int metainfo_load(struct metainfo *mi, const char *path, char *err, size_t errlen) WUR;
/* Frees everything mi owns and leaves it empty; a no-op on an empty one. */
void metainfo_release(struct metainfo *mi);

/* The SHA-1 expected for piece index (20 bytes), or NULL if out of range. */
const uint8_t *metainfo_piece_hash(const struct metainfo *mi, uint32_t index);
/* The piece's byte range in the torrent's stream. 0, or -EINVAL if index
 * is out of range. Only the last piece may be shorter than piece_length. */
int metainfo_piece_range(const struct metainfo *mi, uint32_t index, uint64_t *offset,
			 uint32_t *length) WUR;

/* A part of one file. */
struct metainfo_span {
	size_t file;	      /* index into files[] */
	uint64_t file_offset; /* where in that file */
	uint64_t length;
};

/* Splits the stream range [offset, offset + length) into the files it
 * covers, in order, skipping empty files. Writes at most max spans and sets
 * *count to the number the range needs. Returns 0, -EINVAL if the range is
 * outside the torrent, or -ENOBUFS if more than max spans are needed. */
int metainfo_map_range(const struct metainfo *mi, uint64_t offset, uint64_t length,
		       struct metainfo_span *spans, size_t max, size_t *count) WUR;
/* The files a piece touches: indexes first..last inclusive (empty files in
 * between included). 0 or -EINVAL. */
int metainfo_piece_files(const struct metainfo *mi, uint32_t index, size_t *first,
			 size_t *last) WUR;

#endif
