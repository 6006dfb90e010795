/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the YAML tree reader (ytree.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config/ytree.h"

static int parse(const char *text, struct diag_list *dl, struct ynode **root)
{
	diag_list_init(dl);
	return ytree_parse("t.yaml", (const uint8_t *)text, strlen(text), dl, root);
}

/* Asserts one error at line:col whose message contains frag. */
static void expect_error(const char *text, unsigned line, unsigned col, const char *frag)
{
	struct diag_list dl;
	struct ynode *root = NULL;
	bool found = false;

	(void)parse(text, &dl, &root);
	for (size_t i = 0; i < dl.n; i++) {
		const struct diag *d = &dl.items[i];
		if (d->severity == DIAG_ERROR && d->line == line && d->col == col &&
		    strstr(d->message, frag))
			found = true;
	}
	if (!found) {
		for (size_t i = 0; i < dl.n; i++)
			diag_print(&dl.items[i], stderr);
		fail_msg("no error %u:%u '%s' for input: %s", line, col, frag, text);
	}
	ynode_free(root);
	diag_list_release(&dl);
}

static void test_tree_positions(void **state)
{
	struct diag_list dl;
	struct ynode *root = NULL;
	const struct ynode *boot, *n, *list;

	assert_int_equal(parse("version: 1\n"
			       "boot:\n"
			       "  timeout: 30\n"
			       "  name: \"quoted\"\n"
			       "  list: [a, 'b']\n"
			       "  empty:\n",
			       &dl, &root),
			 0);
	assert_int_equal(dl.n, 0);
	assert_non_null(root);
	assert_int_equal(root->kind, YNODE_MAP);
	assert_int_equal(root->n, 2);
	n = ynode_map_get(root, "version");
	assert_string_equal(n->str, "1");
	assert_true(n->plain);
	assert_int_equal(n->line, 1);
	assert_int_equal(n->col, 10);
	boot = ynode_map_get(root, "boot");
	assert_int_equal(boot->kind, YNODE_MAP);
	n = ynode_map_key(boot, "timeout");
	assert_int_equal(n->line, 3);
	assert_int_equal(n->col, 3);
	n = ynode_map_get(boot, "name");
	assert_false(n->plain);
	assert_string_equal(n->str, "quoted");
	list = ynode_map_get(boot, "list");
	assert_int_equal(list->kind, YNODE_SEQ);
	assert_int_equal(list->n, 2);
	assert_true(list->vals[0]->plain);
	assert_false(list->vals[1]->plain);
	assert_int_equal(list->vals[1]->col, 13);
	assert_true(ynode_is_null(ynode_map_get(boot, "empty")));
	assert_null(ynode_map_get(boot, "missing"));
	assert_null(ynode_map_get(n, "x"));
	ynode_free(root);
	diag_list_release(&dl);
}

static void test_null_forms(void **state)
{
	struct diag_list dl;
	struct ynode *root = NULL;

	assert_int_equal(parse("a: ~\nb: null\nc: \"\"\nd: 'null'\n", &dl, &root), 0);
	assert_true(ynode_is_null(ynode_map_get(root, "a")));
	assert_true(ynode_is_null(ynode_map_get(root, "b")));
	assert_false(ynode_is_null(ynode_map_get(root, "c")));
	assert_false(ynode_is_null(ynode_map_get(root, "d")));
	ynode_free(root);
	diag_list_release(&dl);
}

static void test_empty(void **state)
{
	struct diag_list dl;
	struct ynode *root = (struct ynode *)1;

	assert_int_equal(parse("", &dl, &root), 0);
	assert_null(root);
	diag_list_release(&dl);
	assert_int_equal(parse("# only a comment\n", &dl, &root), 0);
	assert_null(root);
	diag_list_release(&dl);
}

static void test_duplicate_keys(void **state)
{
	struct diag_list dl;
	struct ynode *root = NULL;

	/* Reported, parsing continues, and the first value wins. */
	assert_int_equal(parse("a: 1\nb: 2\na: 3\n", &dl, &root), 0);
	assert_int_equal(dl.n_errors, 1);
	assert_int_equal(dl.items[0].line, 3);
	assert_int_equal(dl.items[0].col, 1);
	assert_non_null(strstr(dl.items[0].message, "duplicate key 'a'"));
	assert_non_null(strstr(dl.items[0].hint, "line 1"));
	assert_string_equal(ynode_map_get(root, "a")->str, "1");
	ynode_free(root);
	diag_list_release(&dl);
	expect_error("x:\n  k: {a: 1, a: 2}\n", 2, 13, "duplicate key 'a'");
}

static void test_bad_inputs(void **state)
{
	expect_error("a: b: c\n", 1, 5, "invalid YAML");
	expect_error("a:\n\tb: 1\n", 2, 1, "invalid YAML");
	expect_error("a: [1, 2\n", 2, 1, "invalid YAML");
	expect_error("a: 'unterminated\n", 2, 1, "invalid YAML");
	expect_error("a: &x 1\nb: *x\n", 2, 4, "aliases are not supported");
	expect_error("a: 1\n---\nb: 2\n", 2, 1, "more than one YAML document");
	expect_error("? [a, b]\n: 1\n", 1, 3, "a key must be text");
	expect_error("? {a: 1}\n: 1\n", 1, 3, "a key must be text");
	expect_error("a: \"\\xZZ\"\n", 1, 7, "invalid YAML");
	expect_error("a: \x01\n", 1, 4, "invalid YAML");
	expect_error("a: \xff\xfe\n", 1, 4, "invalid YAML");
}

static void test_tab_hint(void **state)
{
	struct diag_list dl;
	struct ynode *root = NULL;

	assert_int_equal(parse("boot:\n\ttimeout: 3\n", &dl, &root), CONFIG_E_INVALID);
	assert_null(root);
	assert_int_equal(dl.n, 1);
	assert_non_null(strstr(dl.items[0].hint, "tabs"));
	diag_list_release(&dl);
}

static void test_depth_cap(void **state)
{
	char text[512];
	size_t off = 0;

	/* 40 nested flow lists: past the cap of 32. */
	for (int i = 0; i < 40; i++)
		text[off++] = '[';
	for (int i = 0; i < 40; i++)
		text[off++] = ']';
	text[off] = '\0';
	expect_error(text, 1, YTREE_MAX_DEPTH + 1, "nested more than");
}

static void test_size_cap(void **state)
{
	struct diag_list dl;
	struct ynode *root = NULL;
	size_t len = YTREE_MAX_BYTES + 1;
	uint8_t *big = calloc(1, len);

	memset(big, '#', len);
	diag_list_init(&dl);
	assert_int_equal(ytree_parse("t.yaml", big, len, &dl, &root), CONFIG_E_INVALID);
	assert_null(root);
	assert_non_null(strstr(dl.items[0].message, "too large"));
	diag_list_release(&dl);
	free(big);
}

static void test_node_and_key_caps(void **state)
{
	struct diag_list dl;
	struct ynode *root = NULL;
	size_t cap = 8 * (YTREE_MAX_KEYS + 10) + 16, off = 0;
	char *text = malloc(cap);

	/* A mapping with more keys than allowed. */
	off += (size_t)snprintf(text + off, cap - off, "{");
	for (int i = 0; i < YTREE_MAX_KEYS + 5; i++)
		off += (size_t)snprintf(text + off, cap - off, "k%d: 1,", i);
	snprintf(text + off, cap - off, "}");
	diag_list_init(&dl);
	assert_int_equal(ytree_parse("t.yaml", (uint8_t *)text, strlen(text), &dl, &root),
			 CONFIG_E_INVALID);
	assert_null(root);
	assert_non_null(strstr(dl.items[0].message, "keys in one mapping"));
	diag_list_release(&dl);
	free(text);

	/* A list with more values than allowed in a whole file. */
	cap = 2 * (YTREE_MAX_NODES + 10) + 4;
	text = malloc(cap);
	off = 0;
	text[off++] = '[';
	for (int i = 0; i < YTREE_MAX_NODES + 5; i++) {
		text[off++] = '1';
		text[off++] = ',';
	}
	text[off++] = ']';
	diag_list_init(&dl);
	assert_int_equal(ytree_parse("t.yaml", (uint8_t *)text, off, &dl, &root), CONFIG_E_INVALID);
	assert_null(root);
	assert_non_null(strstr(dl.items[0].message, "more than"));
	diag_list_release(&dl);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_positions),
		cmocka_unit_test(test_null_forms),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_tab_hint),
		cmocka_unit_test(test_depth_cap),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_node_and_key_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
