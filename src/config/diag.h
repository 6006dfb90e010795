/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A list of diagnostics about an environment: each names a file, a line and
 * column (1-based; 0 when unknown), a severity, what is wrong and how to fix
 * it. Printed like a compiler's messages:
 *
 *   myenv/Boottorrent.yaml:4:12: error: timeout must be a whole number — write e.g. 'timeout: 30'
 *
 * The list owns copies of every string. It keeps at most DIAG_MAX entries and
 * counts the rest, so a hostile file cannot make it grow without bound.
 */
#ifndef BT_CONFIG_DIAG_H
#define BT_CONFIG_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "util/util.h"

enum diag_severity {
	DIAG_ERROR = 0,
	DIAG_WARNING,
};

struct diag {
	char *file;
	unsigned line, col;
	enum diag_severity severity;
	char *message;
	char *hint; /* may be NULL */
};

#define DIAG_MAX 500

struct diag_list {
	struct diag *items;
	size_t n, cap;
	size_t n_errors, n_warnings;
	size_t n_dropped; /* beyond DIAG_MAX, counted but not kept */
};

void diag_list_init(struct diag_list *dl);
void diag_list_release(struct diag_list *dl);

/* Adds one diagnostic. file may be NULL (the message is about no file);
 * hint may be NULL. The message is formatted from fmt. */
void diag_add(struct diag_list *dl, enum diag_severity sev, const char *file, unsigned line,
	      unsigned col, const char *hint, const char *fmt, ...) PRINTF_LIKE(7, 8);
void diag_vadd(struct diag_list *dl, enum diag_severity sev, const char *file, unsigned line,
	       unsigned col, const char *hint, const char *fmt, va_list ap) PRINTF_LIKE(7, 0);

/* Sorts by file, line and column (stable for equal places), so problems read
 * top to bottom in each file. */
void diag_list_sort(struct diag_list *dl);

/* Writes one diagnostic as "FILE:LINE:COL: error: MESSAGE — HINT\n". */
void diag_print(const struct diag *d, FILE *f);
/* Writes every diagnostic, then a line about dropped ones if any. */
void diag_list_print(const struct diag_list *dl, FILE *f);

/* Edit distance (Levenshtein) between a and b, capped: returns at most
 * limit + 1 (work is bounded by the lengths, each capped at 64). */
unsigned diag_edit_distance(const char *a, const char *b, unsigned limit);
/* The candidate closest to word when it is close enough to be a likely typo
 * (distance <= 2, and less than half the word), or NULL. candidates is
 * NULL-terminated. */
const char *diag_suggest(const char *word, const char *const *candidates);

#endif
