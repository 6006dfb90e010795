/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shell-like splitting of an OS's binargs/args into an argv, without a
 * shell (nothing is expanded or run): words split at blanks; '...' keeps
 * everything literally; "..." keeps everything but lets \ escape " \ $ `
 * and newline; a \ outside quotes takes the next character literally.
 */
#ifndef BT_AGENT_ARGS_H
#define BT_AGENT_ARGS_H

#include <stddef.h>

#include "util/util.h"

#define AGENT_ARGS_MAX 256	 /* words */
#define AGENT_ARGS_MAX_LEN 65536 /* bytes of input */

enum {
	AGENT_ARGS_E_QUOTE = 1, /* an unterminated quote */
	AGENT_ARGS_E_ESCAPE,	/* a \ at the very end */
	AGENT_ARGS_E_TOO_MANY,	/* more than AGENT_ARGS_MAX words */
	AGENT_ARGS_E_TOO_LONG,	/* input longer than AGENT_ARGS_MAX_LEN */
};

/* Splits s (NULL is empty) into *argv (malloc'd, NULL-terminated, each word
 * malloc'd; free with agent_args_free) and *argc. Returns 0 or an
 * AGENT_ARGS_E_* code (then *argv is NULL). */
int agent_args_split(const char *s, char ***argv, size_t *argc) WUR;
void agent_args_free(char **argv);
/* A message for an AGENT_ARGS_E_* code. */
const char *agent_args_strerror(int code);

#endif
