/* SPDX-License-Identifier: MIT */
/* Helpers for the boot layer's unit tests: fixture paths and files. */
#ifndef NC_BOOT_TEST_UTIL_H
#define NC_BOOT_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"

static inline char *fixture_path(const char *rel)
{
	const char *root = getenv("NC_SOURCE_ROOT");

	return strdup_printf("%s/tests/unit/data/boot/%s", root ? root : ".", rel);
}

/* Read a fixture file; fails the test when missing. */
static __attribute__((noinline, unused)) char *fixture_read(const char *rel, size_t *ret_size)
{
	_cleanup_free_ char *p = fixture_path(rel);
	char *buf = NULL;

	assert_non_null(p);
	assert_int_equal(read_file_full(p, 1 << 20, &buf, ret_size), 0);
	return buf;
}

/* A 1024-byte grubenv block as grub-editenv writes it. */
static inline char *grubenv_block(const char *vars)
{
	char *b = malloc(1025);
	size_t n;

	assert_non_null(b);
	n = (size_t)snprintf(b, 1025, "# GRUB Environment Block\n%s", vars);
	assert_true(n < 1024);
	memset(b + n, '#', 1024 - n);
	b[1024] = '\0';
	return b;
}

#endif
