/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bencode/bencode.h"

/* One open list or dict while decoding. */
struct frame {
	uint32_t node;	    /* index of the container's node */
	uint32_t keylen;    /* dict: length of the previous key */
	const uint8_t *key; /* dict: previous key's payload, NULL before the first */
	bool dict;
	bool want_value; /* dict: a key was read, its value comes next */
};

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Appends a node and returns its index, or -1 when the cap is reached. */
static int64_t node_add(struct bencode_doc *doc, size_t max_nodes, uint8_t type, const uint8_t *raw)
{
	struct bnode *n;

	if (doc->count >= max_nodes)
		return -1;
	if (doc->count == doc->cap) {
		/* Grow geometrically; the count cap bounds the total. */
		size_t cap = doc->cap ? doc->cap * 2 : 16;
		if (cap > max_nodes)
			cap = max_nodes;
		doc->nodes = xrealloc(doc->nodes, cap * sizeof(*doc->nodes));
		doc->cap = cap;
	}
	n = &doc->nodes[doc->count];
	*n = (struct bnode){.raw_ = raw, .subtree_ = 1, .type_ = type};
	return (int64_t)doc->count++;
}

/* Compares two byte strings the way bencode orders dictionary keys. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int r = memcmp(a, b, MIN(alen, blen));
	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Parses "i...e" at in[*pos]; on success stores the value and moves *pos
 * past the 'e'. On failure *pos is the offending offset. */
static int parse_int(const uint8_t *in, size_t len, size_t *pos, int64_t *out)
{
	size_t p = *pos + 1, digits;
	bool neg = false;
	uint64_t v = 0, limit;

	if (p < len && in[p] == '-') {
		neg = true;
		p++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	digits = p;
	if (p < len && in[p] == '0' && p + 1 < len && is_digit(in[p + 1])) {
		*pos = p;
		return BENCODE_E_INT;
	}
	while (p < len && is_digit(in[p])) {
		unsigned d = in[p] - '0';
		if (v > (limit - d) / 10) {
			*pos = p;
			return BENCODE_E_INT_RANGE;
		}
		v = v * 10 + d;
		p++;
	}
	if (p >= len) {
		*pos = p;
		return BENCODE_E_TRUNCATED;
	}
	if (in[p] != 'e' || p == digits || (neg && in[digits] == '0')) {
		*pos = p;
		return BENCODE_E_INT;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	*pos = p + 1;
	return 0;
}

/* Parses "N:bytes" at in[*pos]; on success sets *strlen and moves *pos past
 * the payload. On failure *pos is the offending offset. */
static int parse_str(const uint8_t *in, size_t len, size_t *pos, uint32_t *strlen_out)
{
	size_t p = *pos, start = *pos;
	uint64_t v = 0;

	while (p < len && is_digit(in[p])) {
		v = v * 10 + (uint64_t)(in[p] - '0');
		/* The input is at most UINT32_MAX bytes, so no longer string fits. */
		if (v > UINT32_MAX) {
			*pos = p;
			return BENCODE_E_STRLEN;
		}
		p++;
	}
	if (p >= len) {
		*pos = p;
		return BENCODE_E_TRUNCATED;
	}
	if (in[p] != ':') {
		*pos = p;
		return BENCODE_E_SYNTAX;
	}
	if (in[start] == '0' && p - start > 1) {
		*pos = start;
		return BENCODE_E_STRLEN;
	}
	p++;
	if (v > len - p) {
		*pos = start;
		return BENCODE_E_STRLEN;
	}
	*strlen_out = (uint32_t)v;
	*pos = p + (size_t)v;
	return 0;
}

static int decode(struct bencode_doc *doc, const uint8_t *in, size_t len,
		  const struct bencode_limits *limits, struct bencode_error *err, size_t *used)
{
	struct frame stack[BENCODE_DEPTH_HARD_MAX];
	size_t max_input = BENCODE_DEFAULT_MAX_INPUT, max_depth = BENCODE_DEFAULT_MAX_DEPTH;
	size_t max_nodes = BENCODE_DEFAULT_MAX_NODES;
	size_t pos = 0, depth = 0;
	int r = 0;

	*doc = (struct bencode_doc){0};
	if (limits) {
		if (limits->max_input)
			max_input = limits->max_input;
		if (limits->max_depth)
			max_depth = limits->max_depth;
		if (limits->max_nodes)
			max_nodes = limits->max_nodes;
	}
	max_input = MIN(max_input, (size_t)UINT32_MAX);
	max_depth = MIN(max_depth, (size_t)BENCODE_DEPTH_HARD_MAX);
	max_nodes = MIN(max_nodes, (size_t)UINT32_MAX);
	if (len > max_input) {
		pos = max_input;
		r = BENCODE_E_SIZE;
		goto fail;
	}

	for (;;) {
		struct frame *top = depth ? &stack[depth - 1] : NULL;
		size_t start = pos;
		int64_t idx;
		uint8_t c;

		if (pos >= len) {
			r = BENCODE_E_TRUNCATED;
			goto fail;
		}
		c = in[pos];
		if (top && c == 'e') {
			struct bnode *n = &doc->nodes[top->node];
			if (top->want_value) {
				/* A key without its value. */
				r = BENCODE_E_SYNTAX;
				goto fail;
			}
			pos++;
			n->raw_len_ = (uint32_t)(pos - (size_t)(n->raw_ - in));
			n->subtree_ = (uint32_t)(doc->count - top->node);
			depth--;
			goto value_done;
		}
		if (top && top->dict && !top->want_value && !is_digit(c)) {
			r = BENCODE_E_KEY_TYPE;
			goto fail;
		}
		switch (c) {
		case 'i': {
			int64_t v;
			r = parse_int(in, len, &pos, &v);
			if (r)
				goto fail;
			idx = node_add(doc, max_nodes, BNODE_INT, in + start);
			if (idx < 0)
				goto too_many;
			doc->nodes[idx].u_.i = v;
			doc->nodes[idx].raw_len_ = (uint32_t)(pos - start);
			break;
		}
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9': {
			uint32_t slen;
			r = parse_str(in, len, &pos, &slen);
			if (r)
				goto fail;
			idx = node_add(doc, max_nodes, BNODE_STR, in + start);
			if (idx < 0)
				goto too_many;
			doc->nodes[idx].u_.len = slen;
			doc->nodes[idx].raw_len_ = (uint32_t)(pos - start);
			break;
		}
		case 'l':
		case 'd':
			if (depth >= max_depth) {
				r = BENCODE_E_DEPTH;
				goto fail;
			}
			idx = node_add(doc, max_nodes, c == 'l' ? BNODE_LIST : BNODE_DICT,
				       in + start);
			if (idx < 0)
				goto too_many;
			stack[depth++] = (struct frame){.node = (uint32_t)idx, .dict = c == 'd'};
			pos++;
			continue;
		default: r = BENCODE_E_SYNTAX; goto fail;
		}

	value_done:
		/* A value is complete (a scalar, or a container just closed). */
		if (depth == 0)
			break;
		top = &stack[depth - 1];
		if (top->dict && !top->want_value) {
			/* It was a key: it must sort after the previous one. */
			const struct bnode *k = &doc->nodes[doc->count - 1];
			size_t klen;
			const uint8_t *kp = bnode_str(k, &klen);
			if (top->key) {
				int cmp = key_cmp(top->key, top->keylen, kp, klen);
				if (cmp >= 0) {
					pos = (size_t)(k->raw_ - in);
					r = cmp == 0 ? BENCODE_E_KEY_DUP : BENCODE_E_KEY_ORDER;
					goto fail;
				}
			}
			top->key = kp;
			top->keylen = (uint32_t)klen;
			top->want_value = true;
		} else {
			top->want_value = false;
			doc->nodes[top->node].u_.count++;
		}
	}

	if (used)
		*used = pos;
	else if (pos != len) {
		r = BENCODE_E_TRAILING;
		goto fail;
	}
	if (err)
		*err = (struct bencode_error){0};
	return 0;

too_many:
	r = BENCODE_E_NODES;
fail:
	if (err)
		*err = (struct bencode_error){.code = r, .offset = pos};
	bencode_doc_release(doc);
	return r;
}

int bencode_decode(struct bencode_doc *doc, const void *data, size_t len,
		   const struct bencode_limits *limits, struct bencode_error *err)
{
	return decode(doc, data, len, limits, err, NULL);
}

int bencode_decode_prefix(struct bencode_doc *doc, const void *data, size_t len,
			  const struct bencode_limits *limits, struct bencode_error *err,
			  size_t *used)
{
	size_t u = 0;
	int r = decode(doc, data, len, limits, err, &u);

	if (used)
		*used = r == 0 ? u : 0;
	return r;
}

void bencode_doc_release(struct bencode_doc *doc)
{
	free(doc->nodes);
	*doc = (struct bencode_doc){0};
}

const struct bnode *bencode_doc_root(const struct bencode_doc *doc)
{
	return doc->count ? &doc->nodes[0] : NULL;
}

const char *bencode_strerror(int code)
{
	switch (code) {
	case 0: return "no error";
	case BENCODE_E_SYNTAX: return "unexpected byte";
	case BENCODE_E_TRUNCATED: return "truncated input";
	case BENCODE_E_INT: return "non-canonical integer";
	case BENCODE_E_INT_RANGE: return "integer out of range";
	case BENCODE_E_STRLEN: return "bad string length";
	case BENCODE_E_KEY_TYPE: return "dictionary key is not a string";
	case BENCODE_E_KEY_ORDER: return "dictionary keys not sorted";
	case BENCODE_E_KEY_DUP: return "duplicate dictionary key";
	case BENCODE_E_TRAILING: return "trailing bytes after the value";
	case BENCODE_E_DEPTH: return "nesting too deep";
	case BENCODE_E_NODES: return "too many values";
	case BENCODE_E_SIZE: return "input too large";
	default: return "unknown error";
	}
}

enum bnode_type bnode_type(const struct bnode *n)
{
	return n ? (enum bnode_type)n->type_ : 0;
}

bool bnode_get_int(const struct bnode *n, int64_t *out)
{
	if (!n || n->type_ != BNODE_INT)
		return false;
	*out = n->u_.i;
	return true;
}

const uint8_t *bnode_str(const struct bnode *n, size_t *len)
{
	if (!n || n->type_ != BNODE_STR) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = n->u_.len;
	/* The payload is the tail of the raw span, after "N:". */
	return n->raw_ + (n->raw_len_ - n->u_.len);
}

bool bnode_str_eq(const struct bnode *n, const char *s)
{
	size_t len, slen = strlen(s);
	const uint8_t *p = bnode_str(n, &len);

	return p && len == slen && memcmp(p, s, len) == 0;
}

size_t bnode_count(const struct bnode *n)
{
	if (!n || (n->type_ != BNODE_LIST && n->type_ != BNODE_DICT))
		return 0;
	return n->u_.count;
}

const uint8_t *bnode_raw(const struct bnode *n, size_t *len)
{
	if (!n) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = n->raw_len_;
	return n->raw_;
}

struct bnode_iter bnode_iter_make(const struct bnode *n)
{
	if (!n || (n->type_ != BNODE_LIST && n->type_ != BNODE_DICT))
		return (struct bnode_iter){0};
	return (struct bnode_iter){.next = n + 1, .end = n + n->subtree_, .type = n->type_};
}

bool bnode_list_next(struct bnode_iter *it, const struct bnode **item)
{
	if (it->type != BNODE_LIST || it->next >= it->end)
		return false;
	*item = it->next;
	it->next += it->next->subtree_;
	return true;
}

bool bnode_dict_next(struct bnode_iter *it, const struct bnode **key, const struct bnode **val)
{
	if (it->type != BNODE_DICT || it->next >= it->end)
		return false;
	*key = it->next;
	*val = it->next + 1;
	it->next = *val + (*val)->subtree_;
	return true;
}

const struct bnode *bnode_dict_getn(const struct bnode *n, const void *key, size_t keylen)
{
	struct bnode_iter it = bnode_iter_make(n);
	const struct bnode *k, *v;

	if (!n || n->type_ != BNODE_DICT)
		return NULL;
	while (bnode_dict_next(&it, &k, &v)) {
		size_t klen;
		const uint8_t *kp = bnode_str(k, &klen);
		int cmp = key_cmp(kp, klen, key, keylen);
		if (cmp == 0)
			return v;
		/* Keys are sorted, so once past the key it is not there. */
		if (cmp > 0)
			return NULL;
	}
	return NULL;
}

const struct bnode *bnode_dict_get(const struct bnode *n, const char *key)
{
	return bnode_dict_getn(n, key, strlen(key));
}

bool bnode_dict_get_int(const struct bnode *n, const char *key, int64_t *out)
{
	return bnode_get_int(bnode_dict_get(n, key), out);
}

const uint8_t *bnode_dict_get_str(const struct bnode *n, const char *key, size_t *len)
{
	return bnode_str(bnode_dict_get(n, key), len);
}

const struct bnode *bnode_list_get(const struct bnode *n, size_t i)
{
	struct bnode_iter it = bnode_iter_make(n);
	const struct bnode *item;

	if (bnode_type(n) != BNODE_LIST)
		return NULL;
	while (bnode_list_next(&it, &item))
		if (i-- == 0)
			return item;
	return NULL;
}

int bencode_put_int(struct buf *b, int64_t v)
{
	return buf_printf(b, "i%" PRId64 "e", v);
}

int bencode_put_str(struct buf *b, const void *p, size_t len)
{
	size_t before = b->len;
	int r = buf_printf(b, "%zu:", len);

	if (r == 0)
		r = buf_append(b, p, len);
	if (r < 0)
		b->len = before;
	return r;
}

int bencode_put_cstr(struct buf *b, const char *s)
{
	return bencode_put_str(b, s, strlen(s));
}

int bencode_put_list_begin(struct buf *b)
{
	return buf_append_u8(b, 'l');
}

int bencode_put_dict_begin(struct buf *b)
{
	return buf_append_u8(b, 'd');
}

int bencode_put_end(struct buf *b)
{
	return buf_append_u8(b, 'e');
}

int bencode_put_node(struct buf *b, const struct bnode *n)
{
	/* Nodes are in preorder: walk them in sequence and close each
	 * container when the walk passes the end of its subtree. */
	const struct bnode *ends[BENCODE_DEPTH_HARD_MAX + 1];
	const struct bnode *p, *end;
	size_t depth = 0;
	int r = 0;

	if (!n)
		return -EINVAL;
	end = n + n->subtree_;
	for (p = n; p < end; p++) {
		while (depth && ends[depth - 1] == p) {
			r = bencode_put_end(b);
			if (r < 0)
				return r;
			depth--;
		}
		switch (p->type_) {
		case BNODE_INT: r = bencode_put_int(b, p->u_.i); break;
		case BNODE_STR: {
			size_t len;
			const uint8_t *s = bnode_str(p, &len);
			r = bencode_put_str(b, s, len);
			break;
		}
		case BNODE_LIST:
		case BNODE_DICT:
			if (depth >= ARRAY_SIZE(ends))
				return -EINVAL;
			ends[depth++] = p + p->subtree_;
			r = p->type_ == BNODE_LIST ? bencode_put_list_begin(b)
						   : bencode_put_dict_begin(b);
			break;
		default: return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	while (depth--) {
		r = bencode_put_end(b);
		if (r < 0)
			return r;
	}
	return 0;
}
