/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdbool.h>
#include <string.h>

#include "agent/args.h"
#include "util/buf.h"
#include "util/util.h"

void agent_args_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

const char *agent_args_strerror(int code)
{
	switch (code) {
	case AGENT_ARGS_E_QUOTE: return "a quote is not closed";
	case AGENT_ARGS_E_ESCAPE: return "a backslash ends the line";
	case AGENT_ARGS_E_TOO_MANY: return "too many arguments";
	case AGENT_ARGS_E_TOO_LONG: return "the arguments are too long";
	default: return "bad arguments";
	}
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int agent_args_split(const char *s, char ***argv, size_t *argc)
{
	char **v = xcalloc(AGENT_ARGS_MAX + 1, sizeof(*v));
	size_t n = 0, len = s ? strlen(s) : 0, i = 0;
	struct buf w;
	int r = 0;

	*argv = NULL;
	*argc = 0;
	if (len > AGENT_ARGS_MAX_LEN) {
		free(v);
		return AGENT_ARGS_E_TOO_LONG;
	}
	/* Every word is shorter than the input, so appends cannot fail. */
	buf_init(&w, len + 1);
	while (r == 0) {
		bool word = false;

		while (i < len && blank(s[i]))
			i++;
		if (i == len)
			break;
		buf_reset(&w);
		while (r == 0 && i < len && !blank(s[i])) {
			char c = s[i++];

			word = true;
			if (c == '\'') {
				const char *end = memchr(s + i, '\'', len - i);

				if (!end) {
					r = AGENT_ARGS_E_QUOTE;
					break;
				}
				r = buf_append(&w, s + i, (size_t)(end - (s + i)));
				i = (size_t)(end - s) + 1;
			} else if (c == '"') {
				for (;;) {
					if (i == len) {
						r = AGENT_ARGS_E_QUOTE;
						break;
					}
					c = s[i++];
					if (c == '"')
						break;
					if (c == '\\' && i < len && strchr("\"\\$`\n", s[i]))
						c = s[i++];
					r = buf_append(&w, &c, 1);
					if (r)
						break;
				}
			} else if (c == '\\') {
				if (i == len) {
					r = AGENT_ARGS_E_ESCAPE;
					break;
				}
				r = buf_append(&w, s + i, 1);
				i++;
			} else {
				r = buf_append(&w, &c, 1);
			}
		}
		if (r || !word)
			break;
		if (n == AGENT_ARGS_MAX) {
			r = AGENT_ARGS_E_TOO_MANY;
			break;
		}
		v[n++] = xmemdup0(w.data ? (const char *)w.data : "", w.len);
	}
	buf_release(&w);
	if (r) {
		agent_args_free(v);
		return r < 0 ? AGENT_ARGS_E_TOO_LONG : r;
	}
	*argv = v;
	*argc = n;
	return 0;
}
