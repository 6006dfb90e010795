/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzzes the HTTP Range parser and the request path decoder. The input is
 * split at its first NUL: a Range value before it, a path after it. The
 * first 8 bytes of the input also give the file size for the range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parse.h"
#include "util/path.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t fsize = 0, start = 0, len = 0;
	const uint8_t *nul;
	char *range, *path, out[256];
	size_t rlen;

	if (size > 4096)
		return 0;
	for (size_t i = 0; i < 8 && i < size; i++)
		fsize = fsize << 8 | data[i];
	if (size > 0 && (data[0] & 0x80))
		fsize &= 0xffffff; /* small files half the time */
	nul = memchr(data, 0, size);
	rlen = nul ? (size_t)(nul - data) : size;
	range = xmemdup0(data, rlen);
	path = xmemdup0(nul ? nul + 1 : data + size, nul ? size - rlen - 1 : 0);

	switch (http_range_parse(range, fsize, &start, &len)) {
	case HTTP_RANGE_OK:
		if (len == 0 || start >= fsize || len > fsize - start)
			abort();
		break;
	case HTTP_RANGE_NONE:
	case HTTP_RANGE_UNSATISFIABLE: break;
	default: abort();
	}
	if (http_path_decode(path, out, sizeof(out)) == 0) {
		/* The result must be a safe relative path, or empty. */
		if (out[0] != '\0' && !path_relative_ok(out))
			abort();
	}
	free(range);
	free(path);
	return 0;
}
