/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "config/ytree.h"

/* What the builder is doing with one open collection: the node and, for a
 * mapping whose key has been read but whose value has not, that key. */
struct frame {
	struct ynode *node;
	struct ynode *key;
};

struct builder {
	const char *file;
	const uint8_t *buf;
	size_t len;
	struct diag_list *dl;
	struct ynode *root;
	struct frame stack[YTREE_MAX_DEPTH];
	size_t depth;
	size_t nodes;
};

static void fail_at(struct builder *b, unsigned line, unsigned col, const char *hint,
		    const char *fmt, ...) PRINTF_LIKE(5, 6);

static void fail_at(struct builder *b, unsigned line, unsigned col, const char *hint,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(b->dl, DIAG_ERROR, b->file, line, col, hint, fmt, ap);
	va_end(ap);
}

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys)
			ynode_free(n->keys[i]);
		ynode_free(n->vals[i]);
	}
	free(n->keys);
	free(n->vals);
	free(n->str);
	free(n);
}

static struct ynode *node_new(enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	/* libyaml counts from 0; editors and our messages count from 1. */
	n->line = (unsigned)MIN(m->line + 1, (size_t)UINT32_MAX);
	n->col = (unsigned)MIN(m->column + 1, (size_t)UINT32_MAX);
	return n;
}

static void node_append(struct ynode *parent, struct ynode *key, struct ynode *val)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->vals = xrealloc(parent->vals, parent->cap * sizeof(*parent->vals));
		if (parent->kind == YNODE_MAP)
			parent->keys = xrealloc(parent->keys, parent->cap * sizeof(*parent->keys));
	}
	if (parent->kind == YNODE_MAP)
		parent->keys[parent->n] = key;
	parent->vals[parent->n] = val;
	parent->n++;
}

/* Hangs a new node under the open collection (or makes it the root). On
 * failure the node is freed and CONFIG_E_INVALID returned. */
static int attach(struct builder *b, struct ynode *n)
{
	struct frame *f;

	if (++b->nodes > YTREE_MAX_NODES) {
		fail_at(b, n->line, n->col, "split the configuration or remove repeated entries",
			"more than %d values in one file", YTREE_MAX_NODES);
		ynode_free(n);
		return CONFIG_E_INVALID;
	}
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == YNODE_SEQ) {
		node_append(f->node, NULL, n);
		return 0;
	}
	if (!f->key) {
		if (n->kind != YNODE_SCALAR) {
			fail_at(b, n->line, n->col, "write keys as plain text, e.g. 'name: value'",
				"a key must be text, not %s", ynode_kind_name(n));
			ynode_free(n);
			return CONFIG_E_INVALID;
		}
		if (f->node->n >= YTREE_MAX_KEYS) {
			fail_at(b, n->line, n->col, "split the mapping",
				"more than %d keys in one mapping", YTREE_MAX_KEYS);
			ynode_free(n);
			return CONFIG_E_INVALID;
		}
		f->key = n;
		return 0;
	}
	for (size_t i = 0; i < f->node->n; i++) {
		const struct ynode *k = f->node->keys[i];
		if (k->len == f->key->len && memcmp(k->str, f->key->str, k->len) == 0) {
			char hint[96];
			snprintf(hint, sizeof(hint), "remove one of them (the first is at line %u)",
				 k->line);
			fail_at(b, f->key->line, f->key->col, hint, "duplicate key '%.100s'",
				f->key->str);
			/* Kept in the tree so it is freed with it, but marked so
			 * lookups and walks see only the first. */
			f->key->dup = true;
			break;
		}
	}
	node_append(f->node, f->key, n);
	f->key = NULL;
	return 0;
}

/* Line and column of byte offset off, for errors libyaml reports only as an
 * offset (bad encodings and control characters). */
static void offset_to_pos(const uint8_t *buf, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else if ((buf[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* True when the leading whitespace of the given 1-based line holds a tab:
 * the commonest reason for a YAML syntax error in a hand-edited file. */
static bool line_indented_with_tab(const uint8_t *buf, size_t len, unsigned line)
{
	size_t i = 0;

	for (unsigned l = 1; l < line && i < len; i++)
		if (buf[i] == '\n')
			l++;
	for (; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
		if (buf[i] == '\t')
			return true;
	return false;
}

static void report_syntax(struct builder *b, const yaml_parser_t *p)
{
	unsigned line, col;
	const char *problem = p->problem ? p->problem : "unreadable YAML";
	const char *hint = "check the indentation and the quoting near here";

	if (p->error == YAML_READER_ERROR) {
		offset_to_pos(b->buf, b->len, p->problem_offset, &line, &col);
		fail_at(b, line, col, "save the file as UTF-8 text", "invalid YAML: %s", problem);
		return;
	}
	line = (unsigned)MIN(p->problem_mark.line + 1, (size_t)UINT32_MAX);
	col = (unsigned)MIN(p->problem_mark.column + 1, (size_t)UINT32_MAX);
	if (line_indented_with_tab(b->buf, b->len, line) ||
	    (p->context_mark.line + 1 != line &&
	     line_indented_with_tab(b->buf, b->len, (unsigned)p->context_mark.line + 1)))
		hint = "indent with spaces: YAML does not allow tabs for indentation";
	if (p->context)
		fail_at(b, line, col, hint, "invalid YAML: %s (%s at line %zu)", problem,
			p->context, p->context_mark.line + 1);
	else
		fail_at(b, line, col, hint, "invalid YAML: %s", problem);
}

static void builder_release(struct builder *b)
{
	/* Pending keys are the only nodes not yet hung in the tree. */
	for (size_t i = 0; i < b->depth; i++)
		ynode_free(b->stack[i].key);
	ynode_free(b->root);
	b->root = NULL;
	b->depth = 0;
}

int ytree_parse(const char *file, const uint8_t *buf, size_t len, struct diag_list *dl,
		struct ynode **out)
{
	struct builder b = {.file = file, .buf = buf, .len = len, .dl = dl};
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned docs = 0;
	bool done = false;
	int r = 0;

	*out = NULL;
	if (len > YTREE_MAX_BYTES) {
		diag_add(dl, DIAG_ERROR, file, 0, 0, "keep configuration files under 1 MiB",
			 "the file is too large (%zu bytes)", len);
		return CONFIG_E_INVALID;
	}
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, buf, len);
	while (!done && r == 0) {
		struct ynode *n = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			report_syntax(&b, &p);
			r = CONFIG_E_INVALID;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: done = true; break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				fail_at(&b, (unsigned)ev.start_mark.line + 1,
					(unsigned)ev.start_mark.column + 1,
					"remove the second '---' and what follows it",
					"more than one YAML document in the file");
				r = CONFIG_E_INVALID;
			}
			break;
		case YAML_ALIAS_EVENT:
			fail_at(&b, (unsigned)ev.start_mark.line + 1,
				(unsigned)ev.start_mark.column + 1,
				"write the value out in full instead of '*name'",
				"YAML aliases are not supported");
			r = CONFIG_E_INVALID;
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(YNODE_SCALAR, &ev.start_mark);
			n->str = xmemdup0(ev.data.scalar.value, ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.plain_implicit &&
				   ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			r = attach(&b, n);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = node_new(ev.type == YAML_MAPPING_START_EVENT ? YNODE_MAP : YNODE_SEQ,
				     &ev.start_mark);
			if (b.depth >= YTREE_MAX_DEPTH) {
				fail_at(&b, n->line, n->col, "flatten the structure",
					"values are nested more than %d levels deep",
					YTREE_MAX_DEPTH);
				ynode_free(n);
				r = CONFIG_E_INVALID;
				break;
			}
			r = attach(&b, n);
			if (r == 0)
				b.stack[b.depth++] = (struct frame){.node = n};
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b.depth > 0)
				b.depth--;
			break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (r != 0) {
		builder_release(&b);
		return r;
	}
	*out = b.root;
	return 0;
}

const struct ynode *ynode_map_key(const struct ynode *map, const char *key)
{
	size_t kl = strlen(key);

	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!map->keys[i]->dup && map->keys[i]->len == kl &&
		    memcmp(map->keys[i]->str, key, kl) == 0)
			return map->keys[i];
	return NULL;
}

const struct ynode *ynode_map_get(const struct ynode *map, const char *key)
{
	size_t kl = strlen(key);

	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!map->keys[i]->dup && map->keys[i]->len == kl &&
		    memcmp(map->keys[i]->str, key, kl) == 0)
			return map->vals[i];
	return NULL;
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->kind != YNODE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
	       strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

const char *ynode_kind_name(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case YNODE_MAP: return "a mapping";
	case YNODE_SEQ: return "a list";
	case YNODE_SCALAR: return ynode_is_null(n) ? "an empty value" : "text";
	}
	return "?";
}
