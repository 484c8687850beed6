/* SPDX-License-Identifier: MIT */
/* common/util: the line iterators the config parsers share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/util.h"

static void test_line_next_content(void **state)
{
	_cleanup_free_ char *text = strdup("# a comment\n\n  first  \n\t\n   # indented\nsecond\r\n"
					   "last without newline");
	char *cur = text, *l;
	unsigned int line = 0;

	assert_non_null(text);
	l = line_next_content(&cur, &line);
	assert_string_equal(l, "first");
	assert_int_equal(line, 3);
	l = line_next_content(&cur, &line);
	assert_string_equal(l, "second");
	assert_int_equal(line, 6);
	l = line_next_content(&cur, NULL);
	assert_string_equal(l, "last without newline");
	assert_int_equal(line, 6);
	assert_null(line_next_content(&cur, &line));
	assert_null(line_next_content(&cur, &line));
}

static void test_line_next_content_only_comments(void **state)
{
	_cleanup_free_ char *text = strdup("#x\n \n#y");
	char *cur = text;
	unsigned int line = 0;

	assert_null(line_next_content(&cur, &line));
	assert_int_equal(line, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_next_content),
		cmocka_unit_test(test_line_next_content_only_comments),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
