/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Safe handling of paths that come from configuration, torrents or peers. */
#ifndef BT_UTIL_PATH_H
#define BT_UTIL_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* True when s[0..len) is one usable path component: not empty, not "." or
 * "..", and free of '/' and NUL. */
bool path_component_ok(const char *s, size_t len);
/* True when path is relative and every component passes
 * path_component_ok() (so it cannot leave the folder it is joined to). */
bool path_relative_ok(const char *path);
/* Opens path relative to dirfd without ever resolving outside dirfd
 * (openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): "..", absolute
 * paths and symlinks that escape all fail with -EXDEV. Returns an fd or a
 * negative errno. */
int path_open_beneath(int dirfd, const char *path, int flags) WUR;
/* Joins a and b with one '/'; the result is malloc'd. */
char *path_join(const char *a, const char *b);

#endif
