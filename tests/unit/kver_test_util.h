/* SPDX-License-Identifier: MIT */
/*
 * The machine's own Debian kernels for the unit tests: tests/meson.build
 * finds the newest installed -amd64 and -cloud-amd64 versions once
 * (tests/newest-kver) and passes them as NC_TEST_KVER / NC_TEST_KVER_CLOUD,
 * so that no test pins a point release apt may since have replaced.
 * Include after <cmocka.h>.
 */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static inline const char *test_kver_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		fail_msg("%s is not set: run the tests with `meson test` (tests/newest-kver "
			 "finds the installed kernel; is linux-image-amd64/-cloud-amd64 installed?)",
			 name);
	return v;
}

/* The newest installed generic kernel, e.g. "6.1.0-56-amd64". */
static inline const char *test_kver(void)
{
	return test_kver_env("NC_TEST_KVER");
}

/* The newest installed cloud kernel, e.g. "6.1.0-56-cloud-amd64". */
static inline const char *test_kver_cloud(void)
{
	return test_kver_env("NC_TEST_KVER_CLOUD");
}

/* printf-style string built from a kernel version (free() it), such as
 * test_kver_str("/lib/modules/%s/modules.dep", test_kver()). */
__attribute__((format(printf, 1, 2)))
static inline char *test_kver_str(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		fail_msg("out of memory formatting \"%s\"", fmt);
	return s;
}

/* assert_string_equal(actual, fmt formatted with kver), e.g.
 * assert_kver_string_equal(k->image_path, "/boot/vmlinuz-%s", test_kver()). */
#define assert_kver_string_equal(actual, fmt, kver)                     \
	do {                                                            \
		_cleanup_free_ char *want_ = test_kver_str(fmt, kver);  \
		assert_string_equal(actual, want_);                     \
	} while (0)

/* Like assert_kver_string_equal, for a prefix or a substring of actual. */
#define assert_kver_prefix(actual, fmt, kver)                           \
	do {                                                            \
		_cleanup_free_ char *want_ = test_kver_str(fmt, kver);  \
		assert_non_null(startswith(actual, want_));             \
	} while (0)
#define assert_kver_substring(actual, fmt, kver)                        \
	do {                                                            \
		_cleanup_free_ char *want_ = test_kver_str(fmt, kver);  \
		assert_non_null(strstr(actual, want_));                 \
	} while (0)
