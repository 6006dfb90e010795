/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes the .torrent parser. Accepted torrents must be consistent: piece
 * count matching the size, file offsets adding up, safe relative paths, and
 * every piece mapping onto the files exactly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode/metainfo.h"
#include "util/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct metainfo mi;
	char err[256];
	uint64_t off = 0;
	int r;

	r = metainfo_parse(&mi, data, size, err, sizeof(err));
	if (r != 0) {
		if (r < 0 || strlen(err) == 0 || mi.name || mi.files)
			abort();
		return 0;
	}
	if (mi.piece_count == 0 || mi.piece_length == 0 ||
	    (uint64_t)(mi.piece_count - 1) * mi.piece_length >= mi.total_length ||
	    (uint64_t)mi.piece_count * mi.piece_length < mi.total_length)
		abort();
	if (!path_component_ok(mi.name, strlen(mi.name)))
		abort();
	for (size_t i = 0; i < mi.file_count; i++) {
		if (mi.files[i].offset != off || !path_relative_ok(mi.files[i].path))
			abort();
		off += mi.files[i].length;
	}
	if (off != mi.total_length)
		abort();
	/* Map the first and last few pieces onto files. */
	for (uint32_t p = 0; p < mi.piece_count; p++) {
		struct metainfo_span spans[8];
		uint64_t poff, sum = 0;
		uint32_t plen;
		size_t n, first, last;

		if (p == 4 && mi.piece_count > 8)
			p = mi.piece_count - 4;
		if (metainfo_piece_range(&mi, p, &poff, &plen) != 0 ||
		    metainfo_piece_files(&mi, p, &first, &last) != 0 || first > last ||
		    last >= mi.file_count)
			abort();
		r = metainfo_map_range(&mi, poff, plen, spans, 8, &n);
		if (r != 0 && r != -ENOBUFS)
			abort();
		for (size_t i = 0; i < n && i < 8; i++) {
			const struct metainfo_file *f = &mi.files[spans[i].file];
			if (spans[i].length == 0 ||
			    spans[i].file_offset + spans[i].length > f->length ||
			    f->offset + spans[i].file_offset != poff + sum)
				abort();
			sum += spans[i].length;
		}
		if (r == 0 && sum != plen)
			abort();
	}
	metainfo_release(&mi);
	return 0;
}
