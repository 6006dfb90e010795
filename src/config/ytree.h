/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small tree read from YAML with libyaml's event parser: mappings,
 * sequences and scalars, each with the 1-based line and column where it
 * starts. Parsing is a pure function over a byte buffer (so it is fuzzed),
 * with hard caps on size, depth and node count, and it refuses what a
 * configuration never needs and an attacker loves: aliases (the
 * "billion laughs"), more than one document, keys that are not scalars.
 * Duplicate keys are reported as errors but do not stop parsing (lookups
 * see the first value), so one run finds every problem.
 *
 * The tree owns all of its memory; ynode_free() releases a whole tree.
 */
#ifndef BT_CONFIG_YTREE_H
#define BT_CONFIG_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/diag.h"
#include "util/util.h"

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_MAP,
	YNODE_SEQ,
};

struct ynode {
	enum ynode_kind kind;
	unsigned line, col;
	/* Scalars: the text, NUL-terminated (len excludes the NUL), and
	 * whether it was written plain (no quotes, no tag): only plain
	 * scalars may read as numbers, booleans or null. */
	char *str;
	size_t len;
	bool plain;
	/* Set on the key of a repeated mapping entry: lookups skip it. */
	bool dup;
	/* Mappings: n pairs keys[i] -> vals[i] (keys are scalars).
	 * Sequences: n items in vals; keys is NULL. */
	struct ynode **keys;
	struct ynode **vals;
	size_t n, cap;
};

#define YTREE_MAX_BYTES ((size_t)1 << 20)
#define YTREE_MAX_DEPTH 32
#define YTREE_MAX_NODES 100000
#define YTREE_MAX_KEYS 1000 /* per mapping; keeps the duplicate check cheap */

/* Parses buf[0..len) (the contents of file, named in diagnostics). When the
 * YAML could be read, returns 0 and sets *out to the root (NULL for an empty
 * stream); duplicate keys may still have added errors to dl. When it could
 * not, adds an error to dl, returns CONFIG_E_INVALID and sets *out to NULL.
 * -ENOMEM if libyaml cannot start. */
int ytree_parse(const char *file, const uint8_t *buf, size_t len, struct diag_list *dl,
		struct ynode **out) WUR;
void ynode_free(struct ynode *n);

/* The value for key in a mapping, or NULL (also when map is not a map). */
const struct ynode *ynode_map_get(const struct ynode *map, const char *key);
/* The key node for key (for its position), or NULL. */
const struct ynode *ynode_map_key(const struct ynode *map, const char *key);
/* True for a plain scalar "", "~", "null", "Null" or "NULL". */
bool ynode_is_null(const struct ynode *n);
/* "a mapping", "a list", "text", ... for messages. */
const char *ynode_kind_name(const struct ynode *n);

/* Positive codes for bad input, shared by the config module. */
enum {
	CONFIG_E_INVALID = 1,
};

#endif
