/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bencode/bencode.h"

static int decode_str(struct bencode_doc *doc, const char *s, struct bencode_error *err)
{
	return bencode_decode(doc, s, strlen(s), NULL, err);
}

static void test_scalars(void **state)
{
	struct bencode_doc doc;
	const struct bnode *n;
	int64_t v;
	size_t len;
	const uint8_t *p;

	assert_int_equal(decode_str(&doc, "i42e", NULL), 0);
	n = bencode_doc_root(&doc);
	assert_int_equal(bnode_type(n), BNODE_INT);
	assert_true(bnode_get_int(n, &v));
	assert_true(v == 42);
	assert_null(bnode_str(n, &len));
	assert_int_equal(len, 0);
	bencode_doc_release(&doc);

	assert_int_equal(decode_str(&doc, "i-9223372036854775808e", NULL), 0);
	assert_true(bnode_get_int(bencode_doc_root(&doc), &v));
	assert_true(v == INT64_MIN);
	bencode_doc_release(&doc);

	assert_int_equal(decode_str(&doc, "i9223372036854775807e", NULL), 0);
	assert_true(bnode_get_int(bencode_doc_root(&doc), &v));
	assert_true(v == INT64_MAX);
	bencode_doc_release(&doc);

	assert_int_equal(decode_str(&doc, "i0e", NULL), 0);
	assert_true(bnode_get_int(bencode_doc_root(&doc), &v));
	assert_true(v == 0);
	bencode_doc_release(&doc);

	assert_int_equal(decode_str(&doc, "4:spam", NULL), 0);
	n = bencode_doc_root(&doc);
	p = bnode_str(n, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "spam", 4);
	assert_true(bnode_str_eq(n, "spam"));
	assert_false(bnode_str_eq(n, "spa"));
	assert_false(bnode_get_int(n, &v));
	bencode_doc_release(&doc);

	assert_int_equal(decode_str(&doc, "0:", NULL), 0);
	p = bnode_str(bencode_doc_root(&doc), &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	bencode_doc_release(&doc);

	/* Strings may hold any byte, NUL included. */
	static const uint8_t bin[] = {'3', ':', 0, 0xff, 'e'};
	assert_int_equal(bencode_decode(&doc, bin, sizeof(bin), NULL, NULL), 0);
	p = bnode_str(bencode_doc_root(&doc), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(p, bin + 2, 3);
	bencode_doc_release(&doc);
}

static void test_containers(void **state)
{
	static const char in[] = "d1:ai1e1:bl4:spami-3ed1:xi0eee1:c0:e";
	struct bencode_doc doc;
	const struct bnode *root, *b, *item, *k, *v;
	struct bnode_iter it;
	int64_t i;
	size_t len, n = 0;
	const uint8_t *raw;

	assert_int_equal(decode_str(&doc, in, NULL), 0);
	root = bencode_doc_root(&doc);
	assert_int_equal(bnode_type(root), BNODE_DICT);
	assert_int_equal(bnode_count(root), 3);
	raw = bnode_raw(root, &len);
	assert_ptr_equal(raw, in);
	assert_int_equal(len, strlen(in));

	assert_true(bnode_dict_get_int(root, "a", &i));
	assert_true(i == 1);
	assert_false(bnode_dict_get_int(root, "b", &i));
	assert_null(bnode_dict_get(root, "zz"));
	assert_null(bnode_dict_get(root, "0"));
	assert_null(bnode_dict_get(root, "bb"));
	assert_non_null(bnode_dict_get_str(root, "c", &len));
	assert_int_equal(len, 0);
	assert_null(bnode_dict_get_str(root, "a", &len));

	b = bnode_dict_get(root, "b");
	assert_int_equal(bnode_type(b), BNODE_LIST);
	assert_int_equal(bnode_count(b), 3);
	raw = bnode_raw(b, &len);
	assert_int_equal(len, strlen("l4:spami-3ed1:xi0eee"));
	assert_memory_equal(raw, "l4:spami-3ed1:xi0eee", len);
	assert_true(bnode_str_eq(bnode_list_get(b, 0), "spam"));
	assert_true(bnode_get_int(bnode_list_get(b, 1), &i));
	assert_true(i == -3);
	assert_true(bnode_dict_get_int(bnode_list_get(b, 2), "x", &i));
	assert_true(i == 0);
	assert_null(bnode_list_get(b, 3));
	assert_null(bnode_list_get(root, 0));

	it = bnode_iter_make(b);
	while (bnode_list_next(&it, &item))
		n++;
	assert_int_equal(n, 3);
	/* A list iterator does not walk a dict's pairs and vice versa. */
	it = bnode_iter_make(b);
	assert_false(bnode_dict_next(&it, &k, &v));

	n = 0;
	it = bnode_iter_make(root);
	while (bnode_dict_next(&it, &k, &v)) {
		static const char *keys[] = {"a", "b", "c"};
		assert_true(bnode_str_eq(k, keys[n]));
		n++;
	}
	assert_int_equal(n, 3);

	/* Empty containers. */
	bencode_doc_release(&doc);
	assert_int_equal(decode_str(&doc, "ldelee", NULL), 0);
	root = bencode_doc_root(&doc);
	assert_int_equal(bnode_count(root), 2);
	assert_int_equal(bnode_count(bnode_list_get(root, 0)), 0);
	assert_int_equal(bnode_type(bnode_list_get(root, 1)), BNODE_LIST);
	bencode_doc_release(&doc);
}

static void test_null_accessors(void **state)
{
	struct bnode_iter it = bnode_iter_make(NULL);
	const struct bnode *n;
	size_t len = 99;
	int64_t v;

	assert_int_equal(bnode_type(NULL), 0);
	assert_false(bnode_get_int(NULL, &v));
	assert_null(bnode_str(NULL, &len));
	assert_int_equal(len, 0);
	assert_false(bnode_str_eq(NULL, ""));
	assert_int_equal(bnode_count(NULL), 0);
	assert_null(bnode_raw(NULL, &len));
	assert_null(bnode_dict_get(NULL, "a"));
	assert_null(bnode_list_get(NULL, 0));
	assert_false(bnode_list_next(&it, &n));
	assert_null(bencode_doc_root(&(struct bencode_doc){0}));
}

struct bad_case {
	const char *in;
	int code;
};

/* One thing wrong in each. */
static const struct bad_case bad_cases[] = {
	{"", BENCODE_E_TRUNCATED},
	{"i", BENCODE_E_TRUNCATED},
	{"i12", BENCODE_E_TRUNCATED},
	{"ie", BENCODE_E_INT},
	{"i-e", BENCODE_E_INT},
	{"i-0e", BENCODE_E_INT},
	{"i00e", BENCODE_E_INT},
	{"i01e", BENCODE_E_INT},
	{"i-01e", BENCODE_E_INT},
	{"i+1e", BENCODE_E_INT},
	{"i1.5e", BENCODE_E_INT},
	{"i 1e", BENCODE_E_INT},
	{"i9223372036854775808e", BENCODE_E_INT_RANGE},
	{"i-9223372036854775809e", BENCODE_E_INT_RANGE},
	{"i99999999999999999999999e", BENCODE_E_INT_RANGE},
	{"4:spa", BENCODE_E_STRLEN},
	{"5", BENCODE_E_TRUNCATED},
	{"05:hello", BENCODE_E_STRLEN},
	{"00:", BENCODE_E_STRLEN},
	{"99999999999:x", BENCODE_E_STRLEN},
	{"4spam", BENCODE_E_SYNTAX},
	{"-1:x", BENCODE_E_SYNTAX},
	{"x", BENCODE_E_SYNTAX},
	{"e", BENCODE_E_SYNTAX},
	{"l", BENCODE_E_TRUNCATED},
	{"li1e", BENCODE_E_TRUNCATED},
	{"d", BENCODE_E_TRUNCATED},
	{"d1:a", BENCODE_E_TRUNCATED},
	{"d1:ae", BENCODE_E_SYNTAX},
	{"di1ei2ee", BENCODE_E_KEY_TYPE},
	{"dlei1ee", BENCODE_E_KEY_TYPE},
	{"d1:bi1e1:ai2ee", BENCODE_E_KEY_ORDER},
	{"d2:aai1e1:ai2ee", BENCODE_E_KEY_ORDER},
	{"d1:ai1e1:ai2ee", BENCODE_E_KEY_DUP},
	{"d0:i1e0:i2ee", BENCODE_E_KEY_DUP},
	{"i1ei2e", BENCODE_E_TRAILING},
	{"lee", BENCODE_E_TRAILING},
	{"4:spam ", BENCODE_E_TRAILING},
	{"l4:spam", BENCODE_E_TRUNCATED},
	{"ld", BENCODE_E_TRUNCATED},
};

static void test_malformed(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		struct bencode_doc doc;
		struct bencode_error err;
		int r = decode_str(&doc, bad_cases[i].in, &err);
		if (r != bad_cases[i].code)
			fail_msg("case %zu '%s': got %d (%s), want %d", i, bad_cases[i].in, r,
				 bencode_strerror(r), bad_cases[i].code);
		assert_int_equal(err.code, r);
		assert_true(err.offset <= strlen(bad_cases[i].in));
		assert_null(bencode_doc_root(&doc));
		assert_null(doc.nodes);
	}
}

static void test_error_offsets(void **state)
{
	struct bencode_doc doc;
	struct bencode_error err;

	assert_int_equal(decode_str(&doc, "d1:bi1e1:ai2ee", &err), BENCODE_E_KEY_ORDER);
	assert_int_equal(err.offset, 7);
	assert_int_equal(decode_str(&doc, "li1ex", &err), BENCODE_E_SYNTAX);
	assert_int_equal(err.offset, 4);
	assert_int_equal(decode_str(&doc, "i1ei", &err), BENCODE_E_TRAILING);
	assert_int_equal(err.offset, 3);
	assert_string_equal(bencode_strerror(BENCODE_E_KEY_DUP), "duplicate dictionary key");
	assert_string_equal(bencode_strerror(0), "no error");
	assert_string_equal(bencode_strerror(999), "unknown error");
}

static char *nested(size_t depth, char open)
{
	char *s = malloc(depth * 2 + 1);
	assert_non_null(s);
	memset(s, open, depth);
	memset(s + depth, 'e', depth);
	s[depth * 2] = '\0';
	return s;
}

static void test_limits(void **state)
{
	struct bencode_limits lim = {.max_depth = 3, .max_nodes = 4, .max_input = 16};
	struct bencode_doc doc;
	char *s;

	/* Depth: the default cap is 64. */
	s = nested(64, 'l');
	assert_int_equal(decode_str(&doc, s, NULL), 0);
	bencode_doc_release(&doc);
	free(s);
	s = nested(65, 'l');
	assert_int_equal(decode_str(&doc, s, NULL), BENCODE_E_DEPTH);
	free(s);
	/* Far beyond any cap: no recursion, so no stack overflow either. */
	s = nested(1000000, 'l');
	assert_int_equal(decode_str(&doc, s, NULL), BENCODE_E_DEPTH);
	free(s);
	lim.max_depth = 100000; /* clamped to the hard maximum */
	lim.max_nodes = 0;
	lim.max_input = 0;
	s = nested(BENCODE_DEPTH_HARD_MAX + 1, 'l');
	assert_int_equal(bencode_decode(&doc, s, strlen(s), &lim, NULL), BENCODE_E_DEPTH);
	free(s);

	lim = (struct bencode_limits){.max_depth = 3, .max_nodes = 4, .max_input = 16};
	assert_int_equal(bencode_decode(&doc, "llleee", 6, &lim, NULL), 0);
	bencode_doc_release(&doc);
	assert_int_equal(bencode_decode(&doc, "lllleeee", 8, &lim, NULL), BENCODE_E_DEPTH);
	/* Nodes. */
	assert_int_equal(bencode_decode(&doc, "li1ei2ei3ee", 11, &lim, NULL), 0);
	bencode_doc_release(&doc);
	assert_int_equal(bencode_decode(&doc, "li1ei2ei3ei4ee", 14, &lim, NULL), BENCODE_E_NODES);
	/* Size. */
	assert_int_equal(bencode_decode(&doc, "17:aaaaaaaaaaaaaaaaa", 20, &lim, NULL),
			 BENCODE_E_SIZE);
	assert_int_equal(bencode_decode(&doc, "13:aaaaaaaaaaaaa", 16, &lim, NULL), 0);
	bencode_doc_release(&doc);
}

static void test_many_nodes(void **state)
{
	/* A long flat list grows the node array many times. */
	size_t n = 100000;
	char *s = malloc(n * 3 + 3);
	struct bencode_doc doc;
	int64_t v;

	assert_non_null(s);
	s[0] = 'l';
	for (size_t i = 0; i < n; i++)
		memcpy(s + 1 + i * 3, "i7e", 3);
	s[1 + n * 3] = 'e';
	s[2 + n * 3] = '\0';
	assert_int_equal(decode_str(&doc, s, NULL), 0);
	assert_int_equal(bnode_count(bencode_doc_root(&doc)), n);
	assert_true(bnode_get_int(bnode_list_get(bencode_doc_root(&doc), n - 1), &v));
	assert_true(v == 7);
	assert_int_equal(doc.count, n + 1);
	bencode_doc_release(&doc);
	free(s);
}

static void test_prefix(void **state)
{
	static const char in[] = "d8:msg_typei1e5:piecei0eeRAWDATA";
	struct bencode_doc doc;
	size_t used = 1234;
	int64_t v;

	assert_int_equal(decode_str(&doc, in, NULL), BENCODE_E_TRAILING);
	assert_int_equal(bencode_decode_prefix(&doc, in, strlen(in), NULL, NULL, &used), 0);
	assert_int_equal(used, strlen(in) - 7);
	assert_true(bnode_dict_get_int(bencode_doc_root(&doc), "msg_type", &v));
	assert_true(v == 1);
	bencode_doc_release(&doc);
	assert_int_equal(bencode_decode_prefix(&doc, "d1:a", 4, NULL, NULL, &used),
			 BENCODE_E_TRUNCATED);
	assert_int_equal(used, 0);
}

static const char *round_trips[] = {
	"i0e",
	"i-1e",
	"i-9223372036854775808e",
	"0:",
	"3:\0\1\2",
	"le",
	"de",
	"lllleeee",
	"d0:0:e",
	"d1:ad1:bd1:cleeee",
	"d8:announce3:url4:infod6:lengthi5e4:name1:x12:piece lengthi16384e6:pieces0:ee",
	"l4:spami42eld3:cow3:moo4:spam4:eggseelee",
};

static void test_round_trip(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(round_trips); i++) {
		const char *in = round_trips[i];
		size_t len = strlen(in);
		struct bencode_doc doc;
		struct buf b;

		if (i == 4)
			len = 5; /* holds a NUL */
		assert_int_equal(bencode_decode(&doc, in, len, NULL, NULL), 0);
		buf_init(&b, 0);
		assert_int_equal(bencode_put_node(&b, bencode_doc_root(&doc)), 0);
		assert_int_equal(b.len, len);
		assert_memory_equal(b.data, in, len);
		buf_release(&b);

		/* A subtree re-encodes to its own raw span. */
		if (bnode_count(bencode_doc_root(&doc)) > 0) {
			struct bnode_iter it = bnode_iter_make(bencode_doc_root(&doc));
			const struct bnode *k, *v, *first;
			const uint8_t *raw;
			size_t rlen;
			if (!bnode_list_next(&it, &first)) {
				it = bnode_iter_make(bencode_doc_root(&doc));
				assert_true(bnode_dict_next(&it, &k, &v));
				first = v;
			}
			buf_init(&b, 0);
			assert_int_equal(bencode_put_node(&b, first), 0);
			raw = bnode_raw(first, &rlen);
			assert_int_equal(b.len, rlen);
			assert_memory_equal(b.data, raw, rlen);
			buf_release(&b);
		}
		bencode_doc_release(&doc);
	}
}

static void test_encoder(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(bencode_put_dict_begin(&b), 0);
	assert_int_equal(bencode_put_cstr(&b, "a"), 0);
	assert_int_equal(bencode_put_int(&b, INT64_MIN), 0);
	assert_int_equal(bencode_put_cstr(&b, "b"), 0);
	assert_int_equal(bencode_put_list_begin(&b), 0);
	assert_int_equal(bencode_put_str(&b, "\0x", 2), 0);
	assert_int_equal(bencode_put_int(&b, INT64_MAX), 0);
	assert_int_equal(bencode_put_end(&b), 0);
	assert_int_equal(bencode_put_end(&b), 0);
	static const char want[] = "d1:ai-9223372036854775808e1:bl2:\0xi9223372036854775807eee";
	assert_int_equal(b.len, sizeof(want) - 1);
	assert_memory_equal(b.data, want, b.len);
	buf_release(&b);

	/* A string that does not fit leaves nothing behind. */
	buf_init(&b, 8);
	assert_int_equal(bencode_put_cstr(&b, "abc"), 0);
	assert_int_equal(bencode_put_cstr(&b, "abcdef"), -E2BIG);
	assert_int_equal(b.len, 5);
	assert_int_equal(bencode_put_node(&b, NULL), -EINVAL);
	buf_release(&b);

	/* put_node reports a full buffer. */
	{
		struct bencode_doc doc;
		assert_int_equal(decode_str(&doc, "l10:aaaaaaaaaae", NULL), 0);
		buf_init(&b, 6);
		assert_int_equal(bencode_put_node(&b, bencode_doc_root(&doc)), -E2BIG);
		buf_release(&b);
		bencode_doc_release(&doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),	       cmocka_unit_test(test_containers),
		cmocka_unit_test(test_null_accessors), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_error_offsets),  cmocka_unit_test(test_limits),
		cmocka_unit_test(test_many_nodes),     cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_encoder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
