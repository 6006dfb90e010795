/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"

void diag_list_init(struct diag_list *dl)
{
	memset(dl, 0, sizeof(*dl));
}

void diag_list_release(struct diag_list *dl)
{
	for (size_t i = 0; i < dl->n; i++) {
		free(dl->items[i].file);
		free(dl->items[i].message);
		free(dl->items[i].hint);
	}
	free(dl->items);
	diag_list_init(dl);
}

/* A copy of s with control characters (a newline inside a quoted YAML
 * value, an escape sequence) shown as '?', so each diagnostic stays one
 * harmless line on a terminal. */
static char *clean_dup(const char *s)
{
	char *d = xstrdup(s);

	for (char *p = d; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return d;
}

void diag_vadd(struct diag_list *dl, enum diag_severity sev, const char *file, unsigned line,
	       unsigned col, const char *hint, const char *fmt, va_list ap)
{
	struct diag *d;
	char msg[1024];

	if (sev == DIAG_ERROR)
		dl->n_errors++;
	else
		dl->n_warnings++;
	if (dl->n >= DIAG_MAX) {
		dl->n_dropped++;
		return;
	}
	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? dl->cap * 2 : 16;
		dl->items = xrealloc(dl->items, dl->cap * sizeof(*dl->items));
	}
	/* A message longer than the buffer is cut short rather than lost. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	d = &dl->items[dl->n++];
	d->file = file ? clean_dup(file) : NULL;
	d->line = line;
	d->col = col;
	d->severity = sev;
	d->message = clean_dup(msg);
	d->hint = hint ? clean_dup(hint) : NULL;
}

void diag_add(struct diag_list *dl, enum diag_severity sev, const char *file, unsigned line,
	      unsigned col, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(dl, sev, file, line, col, hint, fmt, ap);
	va_end(ap);
}

static int diag_cmp(const struct diag *a, const struct diag *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void diag_list_sort(struct diag_list *dl)
{
	/* Insertion sort keeps equal places in the order they were found, and
	 * the list is capped at DIAG_MAX entries. */
	for (size_t i = 1; i < dl->n; i++) {
		struct diag d = dl->items[i];
		size_t j = i;
		while (j > 0 && diag_cmp(&dl->items[j - 1], &d) > 0) {
			dl->items[j] = dl->items[j - 1];
			j--;
		}
		dl->items[j] = d;
	}
}

void diag_print(const struct diag *d, FILE *f)
{
	const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";

	if (d->file && d->line)
		fprintf(f, "%s:%u:%u: ", d->file, d->line, d->col);
	else if (d->file)
		fprintf(f, "%s: ", d->file);
	fprintf(f, "%s: %s", sev, d->message);
	if (d->hint)
		fprintf(f, " \u2014 %s", d->hint);
	fputc('\n', f);
}

void diag_list_print(const struct diag_list *dl, FILE *f)
{
	for (size_t i = 0; i < dl->n; i++)
		diag_print(&dl->items[i], f);
	if (dl->n_dropped)
		fprintf(f, "... and %zu more problems not shown\n", dl->n_dropped);
}

#define EDIT_MAXLEN 64

unsigned diag_edit_distance(const char *a, const char *b, unsigned limit)
{
	size_t la = strlen(a), lb = strlen(b);
	/* Three rows of the optimal-string-alignment table: a swap of two
	 * neighbours ("dbe" for "deb") is one edit, as people make it. */
	unsigned rows[3][EDIT_MAXLEN + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > EDIT_MAXLEN || lb > EDIT_MAXLEN)
		return limit + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *t;
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] > limit ? limit + 1 : prev[lb];
}

const char *diag_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	unsigned best_d = 3;
	size_t wl = strlen(word);

	for (size_t i = 0; candidates[i]; i++) {
		unsigned d = diag_edit_distance(word, candidates[i], 2);
		if (d < best_d && 2 * d < MAX(wl, strlen(candidates[i]))) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}
