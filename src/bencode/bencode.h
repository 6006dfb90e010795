/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Strict bencode (BEP 3): an iterative decoder into a flat tree and an
 * encoder onto a struct buf.
 *
 * The decoder accepts only canonical input, so that decoding and encoding
 * again gives the same bytes (the info-hash depends on it): integers without
 * leading zeros, "-0" or an empty body and within int64; string lengths
 * without leading zeros that fit in the input; dictionary keys that are
 * strings, sorted as raw bytes and unique; no bytes after the value (unless
 * bencode_decode_prefix() is used). Nesting depth, node count and input size
 * are capped (struct bencode_limits). There is no recursion on the input.
 *
 * The tree: a struct bencode_doc owns one array of struct bnode in preorder.
 * A list's items, and a dict's keys and values (alternating), follow their
 * container; each node knows how many nodes its subtree holds, so siblings
 * are found by skipping. Nodes do NOT copy the input: strings and raw spans
 * point into the buffer given to bencode_decode(), which must outlive the
 * doc. Read nodes only through the accessors below.
 *
 *   struct bencode_doc doc;
 *   if (bencode_decode(&doc, data, len, NULL, &err) == 0) {
 *           const struct bnode *info = bnode_dict_get(bencode_doc_root(&doc), "info");
 *           int64_t plen;
 *           if (bnode_dict_get_int(info, "piece length", &plen)) ...
 *           bencode_doc_release(&doc);
 *   }
 */
#ifndef BT_BENCODE_BENCODE_H
#define BT_BENCODE_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/util.h"

/* Positive error codes for input that is not acceptable bencode. */
enum {
	BENCODE_E_SYNTAX = 1, /* a byte that cannot start or continue a value */
	BENCODE_E_TRUNCATED,  /* the input ends inside a value */
	BENCODE_E_INT,	      /* non-canonical integer: leading zero, "-0", empty */
	BENCODE_E_INT_RANGE,  /* integer beyond int64 */
	BENCODE_E_STRLEN,     /* non-canonical string length or past the end */
	BENCODE_E_KEY_TYPE,   /* a dictionary key that is not a string */
	BENCODE_E_KEY_ORDER,  /* dictionary keys not in ascending byte order */
	BENCODE_E_KEY_DUP,    /* the same key twice in one dictionary */
	BENCODE_E_TRAILING,   /* bytes after the top-level value */
	BENCODE_E_DEPTH,      /* nesting deeper than the limit */
	BENCODE_E_NODES,      /* more values than the limit */
	BENCODE_E_SIZE,	      /* input larger than the limit */
};

enum bnode_type {
	BNODE_INT = 1,
	BNODE_STR,
	BNODE_LIST,
	BNODE_DICT,
};

/* One decoded value. Fields are private: use the accessors. */
struct bnode {
	const uint8_t *raw_; /* the bytes this value was decoded from */
	uint32_t raw_len_;
	uint32_t subtree_; /* nodes in this subtree, this one included */
	union {
		int64_t i;	/* BNODE_INT */
		uint32_t len;	/* BNODE_STR: payload length (the tail of raw) */
		uint32_t count; /* BNODE_LIST: items; BNODE_DICT: key/value pairs */
	} u_;
	uint8_t type_;
};

struct bencode_doc {
	struct bnode *nodes; /* owned; nodes[0] is the root */
	size_t count;
	size_t cap;
};

/* Caps on what the decoder accepts. A zero field takes the default. */
struct bencode_limits {
	size_t max_input; /* bytes; at most UINT32_MAX */
	size_t max_depth; /* nesting of lists and dicts; at most BENCODE_DEPTH_HARD_MAX */
	size_t max_nodes; /* decoded values in total */
};

#define BENCODE_DEFAULT_MAX_INPUT ((size_t)64 << 20)
#define BENCODE_DEFAULT_MAX_DEPTH 64
#define BENCODE_DEFAULT_MAX_NODES ((size_t)1 << 22)
#define BENCODE_DEPTH_HARD_MAX 512

/* Where decoding failed: the byte offset and the code (also returned). */
struct bencode_error {
	int code;
	size_t offset;
};

/* Decodes all of data[0..len) into doc (which need not be initialised).
 * limits may be NULL for the defaults, err may be NULL. Returns 0 or a
 * positive BENCODE_E_* code for bad input (doc is then empty); allocation
 * failure aborts, and memory is bounded by max_nodes. The doc points into
 * data, which must outlive it. */
int bencode_decode(struct bencode_doc *doc, const void *data, size_t len,
		   const struct bencode_limits *limits, struct bencode_error *err) WUR;
/* Like bencode_decode() but stops after the first complete value and sets
 * *used to its length, so that bytes may follow (BEP 9 metadata messages). */
int bencode_decode_prefix(struct bencode_doc *doc, const void *data, size_t len,
			  const struct bencode_limits *limits, struct bencode_error *err,
			  size_t *used) WUR;
/* Frees the nodes; the doc is then empty and may be decoded into again. */
void bencode_doc_release(struct bencode_doc *doc);
/* The top-level value, or NULL for an empty doc. */
const struct bnode *bencode_doc_root(const struct bencode_doc *doc);
/* A short English description of a BENCODE_E_* code. */
const char *bencode_strerror(int code);

/* Accessors. Each accepts NULL and a node of the wrong type, and then
 * returns 0 / false / NULL, so lookups can be chained without checks. */
enum bnode_type bnode_type(const struct bnode *n); /* 0 for NULL */
bool bnode_get_int(const struct bnode *n, int64_t *out);
/* The payload of a string (not NUL-terminated; may contain NULs). */
const uint8_t *bnode_str(const struct bnode *n, size_t *len);
/* True when n is a string equal to the C string s. */
bool bnode_str_eq(const struct bnode *n, const char *s);
/* The number of items of a list or of pairs of a dict. */
size_t bnode_count(const struct bnode *n);
/* The exact input bytes of n (e.g. the info dict for the info-hash). */
const uint8_t *bnode_raw(const struct bnode *n, size_t *len);
/* The value for key in dict n, or NULL. Linear in the dict's size. */
const struct bnode *bnode_dict_get(const struct bnode *n, const char *key);
const struct bnode *bnode_dict_getn(const struct bnode *n, const void *key, size_t keylen);
/* Shorthands: the value for key if it is of the type asked for. */
bool bnode_dict_get_int(const struct bnode *n, const char *key, int64_t *out);
const uint8_t *bnode_dict_get_str(const struct bnode *n, const char *key, size_t *len);
/* The i-th item of a list (linear time; iterate for whole lists), or NULL. */
const struct bnode *bnode_list_get(const struct bnode *n, size_t i);

/* Iteration over a list or a dict:
 *   struct bnode_iter it = bnode_iter_make(list);
 *   const struct bnode *item;
 *   while (bnode_list_next(&it, &item)) ...
 *   while (bnode_dict_next(&it, &key, &val)) ...   (for a dict)
 * An iterator over anything else yields nothing. */
struct bnode_iter {
	const struct bnode *next;
	const struct bnode *end;
	uint8_t type;
};
struct bnode_iter bnode_iter_make(const struct bnode *n);
bool bnode_list_next(struct bnode_iter *it, const struct bnode **item);
bool bnode_dict_next(struct bnode_iter *it, const struct bnode **key, const struct bnode **val);

/* Encoder. Each appends to b and returns 0 or -E2BIG when b's maximum
 * would be passed (b is then left with a partial value: reset it). The
 * caller writes dictionary keys in ascending byte order. */
int bencode_put_int(struct buf *b, int64_t v) WUR;
int bencode_put_str(struct buf *b, const void *p, size_t len) WUR;
int bencode_put_cstr(struct buf *b, const char *s) WUR;
int bencode_put_list_begin(struct buf *b) WUR;
int bencode_put_dict_begin(struct buf *b) WUR;
int bencode_put_end(struct buf *b) WUR;
/* Encodes the decoded value n and everything under it (without recursion).
 * For a node from bencode_decode() this reproduces its raw bytes. */
int bencode_put_node(struct buf *b, const struct bnode *n) WUR;

#endif
