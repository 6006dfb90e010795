/* SPDX-License-Identifier: GPL-3.0-or-later */
/* File helpers for building out/. */
#ifndef BT_SERVER_FSUTIL_H
#define BT_SERVER_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/util.h"

/* Writes data to path through a temporary file in the same folder, fsync
 * and rename, so readers see the old or the new file, never half of one.
 * When the file already holds exactly data it is left alone (its time
 * too). Returns 0 or a negative errno. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode) WUR;
/* Copies the file src to dst atomically, unless dst already has the same
 * size and content. Returns 0 or a negative errno. */
int fs_copy_file(const char *src, const char *dst, mode_t mode) WUR;
/* mkdir -p. Returns 0 or a negative errno. */
int fs_mkdirs(const char *path, mode_t mode) WUR;

#endif
