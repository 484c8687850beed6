/* SPDX-License-Identifier: MIT */
/* The rule engine: loading (ours and users' files), overriding, disabling,
 * remediation per family with ${var} expansion, evaluation order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "rules/rules.h"

static char tmpdir[] = "/tmp/nc-test-rules-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char *p = path_join(tmpdir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static char *source_rules(void)
{
	const char *src = getenv("NC_SOURCE_ROOT");

	assert_non_null(src);
	return path_join(src, "rules");
}

/* Every shipped rule parses, names a check that exists, has references
 * and a remediation for every family (or a default). */
static void test_shipped_rules_load(void **state)
{
	struct nc_ruleset rs = { 0 };
	struct nc_err err = { 0 };
	char *dir = source_rules();
	int r = nc_ruleset_load_dir(&rs, dir, &err);

	(void)state;
	if (r < 0)
		fail_msg("%s", err.msg);
	assert_true(rs.n_rules >= 10);
	assert_true(rs.n_drivers >= 2);
	for (size_t i = 0; i < rs.n_rules; i++) {
		const struct nc_rule *rule = &rs.rules[i];

		assert_non_null(nc_check_find(rule->check));
		assert_true(strlen(rule->title) > 5);
		assert_true(strlen(rule->rationale) > 20);
		/* ids are stable kebab-case */
		for (const char *c = rule->id; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-');
		for (size_t j = i + 1; j < rs.n_rules; j++)
			assert_string_not_equal(rule->id, rs.rules[j].id);
	}
	assert_non_null(rs.snapshot.trees);
	assert_true(strv_contains(rs.snapshot.trees, "/boot"));
	assert_true(rs.snapshot.max_file_size > 0);
	nc_ruleset_free(&rs);
	free(dir);
}

static const char good_rule[] =
	"{\"rules\":[{\"id\":\"my-rule\",\"title\":\"A title\",\"severity\":\"warning\","
	"\"check\":\"kernel-present\",\"rationale\":\"Because.\","
	"\"remediation\":{\"default\":\"fix ${kernel} in ${file} ${unknown}\","
	"\"rhel\":\"dnf fix ${kernel}\"},\"references\":[\"https://example.org\"]}]}";

static void test_user_rule_and_override(void **state)
{
	struct nc_ruleset rs = { 0 };
	struct nc_err err = { 0 };
	char *p;

	(void)state;
	write_file("a.json", good_rule);
	write_file("b.json",
		   "{\"rules\":[{\"id\":\"my-rule\",\"title\":\"Replaced\",\"severity\":\"error\","
		   "\"check\":\"kernel-present\",\"rationale\":\"Because.\","
		   "\"remediation\":\"x\",\"enabled\":false}]}");
	p = path_join(tmpdir, "a.json");
	assert_int_equal(nc_ruleset_load_file(&rs, p, &err), 0);
	free(p);
	assert_int_equal(rs.n_rules, 1);
	assert_int_equal(rs.rules[0].severity, NC_SEV_WARNING);
	assert_true(rs.rules[0].enabled);
	p = path_join(tmpdir, "b.json");
	assert_int_equal(nc_ruleset_load_file(&rs, p, &err), 0);
	free(p);
	/* same id: replaced, not duplicated */
	assert_int_equal(rs.n_rules, 1);
	assert_string_equal(rs.rules[0].title, "Replaced");
	assert_false(rs.rules[0].enabled);
	nc_ruleset_free(&rs);
}

static void expect_load_error(const char *text, const char *needle)
{
	struct nc_ruleset rs = { 0 };
	struct nc_err err = { 0 };
	char *p;

	write_file("bad.json", text);
	p = path_join(tmpdir, "bad.json");
	assert_true(nc_ruleset_load_file(&rs, p, &err) < 0);
	if (!strstr(err.msg, needle) || !strstr(err.msg, p))
		fail_msg("message '%s' lacks '%s' or the file name", err.msg, needle);
	free(p);
	nc_ruleset_free(&rs);
}

static void test_bad_rules_name_file_and_rule(void **state)
{
	(void)state;
	expect_load_error("{ not json", "bad.json:1");
	expect_load_error("[]", "JSON object");
	expect_load_error("{\"rules\":[{\"title\":\"x\"}]}", "no \"id\"");
	expect_load_error("{\"rules\":[{\"id\":\"r1\",\"title\":\"t\",\"severity\":\"fatal\","
			  "\"check\":\"kernel-present\",\"rationale\":\"r\",\"remediation\":\"x\"}]}",
			  "r1: \"severity\"");
	expect_load_error("{\"rules\":[{\"id\":\"r2\",\"title\":\"t\",\"severity\":\"error\","
			  "\"check\":\"no-such-check\",\"rationale\":\"r\",\"remediation\":\"x\"}]}",
			  "unknown check \"no-such-check\"");
	expect_load_error("{\"rules\":[{\"id\":\"r3\",\"title\":\"t\",\"severity\":\"error\","
			  "\"check\":\"kernel-present\",\"rationale\":\"r\",\"remediation\":{}}]}",
			  "r3: \"remediation\"");
	expect_load_error("{\"drivers\":[{\"name\":\"x\"}]}", "drivers[0]");
	expect_load_error("{\"rules\":[{\"id\":\"r\",\"id\":\"s\"}]}", "duplicate");
}

static void test_disable_glob(void **state)
{
	struct nc_ruleset rs = { 0 };
	struct nc_err err = { 0 };
	char *dir = source_rules();
	size_t enabled = 0;

	(void)state;
	assert_int_equal(nc_ruleset_load_dir(&rs, dir, &err), 0);
	assert_true(nc_ruleset_disable(&rs, "scan-*") >= 3);
	assert_int_equal(nc_ruleset_disable(&rs, "no-such-rule"), -ENOENT);
	for (size_t i = 0; i < rs.n_rules; i++) {
		if (strncmp(rs.rules[i].id, "scan-", 5) == 0)
			assert_false(rs.rules[i].enabled);
		enabled += rs.rules[i].enabled;
	}
	assert_true(enabled > 0);
	nc_ruleset_free(&rs);
	free(dir);
}

/* The kernel-present check over empty facts, remediation per family. */
static void test_evaluate_and_remediation(void **state)
{
	struct nc_ruleset rs = { 0 };
	struct nc_findings out = { 0 };
	struct nc_facts facts = { .default_kernel = -1 };
	struct nc_err err = { 0 };
	char *p;

	(void)state;
	write_file("a.json", good_rule);
	p = path_join(tmpdir, "a.json");
	assert_int_equal(nc_ruleset_load_file(&rs, p, &err), 0);
	free(p);
	assert_int_equal(nc_rules_evaluate(&rs, &facts, &out, &err), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].rule_id, "my-rule");
	assert_int_equal(out.v[0].severity, NC_SEV_WARNING);
	/* ${file} from the where, ${kernel} absent stays literal, unknown too */
	assert_string_equal(out.v[0].remediation, "fix ${kernel} in /boot ${unknown}");
	nc_findings_free(&out);

	facts.os.family = NC_FAMILY_RHEL;
	assert_int_equal(nc_finding_add(&out, &rs.rules[0], &facts, NC_SEV_ERROR,
					&(struct nc_where){ .kernel = "6.1.0-1" }, NULL, "m %d", 1), 0);
	assert_string_equal(out.v[0].remediation, "dnf fix 6.1.0-1");
	assert_string_equal(out.v[0].message, "m 1");
	facts.os.family = NC_FAMILY_SUSE;   /* no suse key: default */
	assert_int_equal(nc_finding_add(&out, &rs.rules[0], &facts, NC_SEV_INFO, NULL,
					(const char *const[]){ "kernel", "K", NULL }, "x"), 0);
	assert_string_equal(out.v[1].remediation, "fix K in ${file} ${unknown}");
	nc_findings_sort(&out);
	assert_int_equal(out.v[0].severity, NC_SEV_ERROR);
	nc_findings_free(&out);
	nc_ruleset_free(&rs);
}

/* The notes checks: one finding per note, at the rule's severity, the note
 * as its message; none for no notes. */
static void test_findings_from_notes(void **state)
{
	char *notes[] = { "/etc/fstab: cannot read: Permission denied", "/boot/grub: odd", NULL };
	struct nc_rule rule = { .id = "notes", .title = "notes", .severity = NC_SEV_WARNING,
				.enabled = true };
	struct nc_facts facts = { .default_kernel = -1 };
	struct nc_findings out = { 0 };

	(void)state;
	assert_int_equal(nc_findings_add_notes(&out, &rule, &facts, NULL), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(nc_findings_add_notes(&out, &rule, &facts, notes), 0);
	assert_int_equal(out.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(out.v[i].rule_id, "notes");
		assert_int_equal(out.v[i].severity, NC_SEV_WARNING);
		assert_string_equal(out.v[i].message, notes[i]);
		assert_null(out.v[i].file);
	}
	nc_findings_free(&out);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = strdup_printf("rm -rf '%s'", tmpdir);
	int r = system(cmd);

	(void)state;
	free(cmd);
	return r == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_rules_load),
		cmocka_unit_test(test_user_rule_and_override),
		cmocka_unit_test(test_bad_rules_name_file_and_rule),
		cmocka_unit_test(test_disable_glob),
		cmocka_unit_test(test_evaluate_and_remediation),
		cmocka_unit_test(test_findings_from_notes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
