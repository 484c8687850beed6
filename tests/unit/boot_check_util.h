/* SPDX-License-Identifier: MIT */
/* Run the boot layer's rules (rules/boot.json, rules/fstab.json) over facts. */
#ifndef NC_BOOT_CHECK_UTIL_H
#define NC_BOOT_CHECK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rules/rules.h"

static __attribute__((noinline, unused)) void
run_boot_rules(const struct nc_facts *f, struct nc_findings *out)
{
	static const char *const files[] = { "boot.json", "fstab.json" };
	const char *root = getenv("NC_SOURCE_ROOT");
	struct nc_ruleset rs = {};
	struct nc_err err = {};

	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *p = strdup_printf("%s/rules/%s", root ? root : ".", files[i]);

		if (nc_ruleset_load_file(&rs, p, &err) < 0)
			fail_msg("%s", err.msg);
	}
	memset(out, 0, sizeof(*out));
	assert_int_equal(nc_rules_evaluate(&rs, f, out, &err), 0);
	nc_findings_sort(out);
	nc_ruleset_free(&rs);
}

/* The n-th finding of rule id (0-based), NULL when fewer. */
static __attribute__((unused)) const struct nc_finding *
finding_nth(const struct nc_findings *fs, const char *id, size_t n)
{
	for (size_t i = 0; i < fs->n; i++)
		if (streq(fs->v[i].rule_id, id) && n-- == 0)
			return &fs->v[i];
	return NULL;
}

static __attribute__((unused)) size_t
finding_count(const struct nc_findings *fs, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < fs->n; i++)
		n += streq(fs->v[i].rule_id, id);
	return n;
}

#endif
