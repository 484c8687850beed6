/* SPDX-License-Identifier: MIT */
/* Reports render facts and findings in four formats; this checks the JSON
 * schema keys, SARIF and JUnit structure and the text layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "report/report.h"

struct fixture {
	struct nc_facts facts;
	struct nc_driver_spec spec;
	struct nc_driver driver;
	struct nc_module modules[2];
	struct nc_kernel kernel;
	struct nc_rule rule;
	struct nc_ruleset rs;
	struct nc_findings findings;
	struct nc_image_report report;
};

static char *mods[] = { "nvme", "nvme-core", NULL };

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->spec = (struct nc_driver_spec){ .name = "nvme", .role = "storage", .modules = mods };
	fx->modules[0] = (struct nc_module){ .name = "nvme", .status = NC_DRV_MODULE,
					     .path = "/lib/modules/6.1.0-9-amd64/kernel/nvme.ko",
					     .vermagic_ok = true };
	fx->modules[1] = (struct nc_module){ .name = "nvme_core", .status = NC_DRV_MODULE,
					     .path = "/lib/modules/6.1.0-9-amd64/kernel/nvme-core.ko",
					     .vermagic_ok = true };
	fx->driver = (struct nc_driver){ .spec = &fx->spec, .status = NC_DRV_MODULE,
					 .modules = fx->modules, .n_modules = 2 };
	fx->kernel = (struct nc_kernel){ .version = "6.1.0-9-amd64",
					 .image_path = "/boot/vmlinuz-6.1.0-9-amd64",
					 .is_default = true, .drivers = &fx->driver, .n_drivers = 1 };
	fx->kernel.initramfs.path = "/boot/initrd.img-6.1.0-9-amd64";
	fx->facts.kernels = &fx->kernel;
	fx->facts.n_kernels = 1;
	fx->facts.default_kernel = 0;
	fx->facts.os.pretty_name = "Debian GNU/Linux 12 (bookworm)";
	fx->facts.os.family = NC_FAMILY_DEBIAN;
	fx->rule = (struct nc_rule){ .id = "initramfs-nvme-missing", .title = "nvme not in the initramfs",
				     .severity = NC_SEV_ERROR, .rationale = "root disk <not> found",
				     .remediation = json_string("update-initramfs -u -k ${kernel}"),
				     .enabled = true, .check = "kernel-present" };
	fx->rs = (struct nc_ruleset){ .rules = &fx->rule, .n_rules = 1 };
	assert_int_equal(nc_finding_add(&fx->findings, &fx->rule, &fx->facts, NC_SEV_ERROR,
					&(struct nc_where){ .kernel = "6.1.0-9-amd64",
							    .file = "/boot/initrd.img-6.1.0-9-amd64",
							    .line = 3, .text = "a & b" },
					NULL, "nvme.ko is not in %s", "the initramfs"), 0);
	fx->report = (struct nc_image_report){ .image = "disk.qcow2",
					       .verdict = nc_verdict_from_findings(&fx->findings),
					       .facts = &fx->facts, .findings = &fx->findings };
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	nc_findings_free(&fx->findings);
	json_decref(fx->rule.remediation);
	free(fx);
	return 0;
}

static char *render(struct fixture *fx, enum nc_report_format fmt, bool color)
{
	struct nc_report_opts o = { .color = color, .rules = &fx->rs };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(report_write(f, fmt, &fx->report, 1, &o), 0);
	fclose(f);
	return buf;
}

static void test_json_schema(void **state)
{
	struct fixture *fx = *state;
	char *s = render(fx, NC_FORMAT_JSON, false);
	json_t *doc = json_loads(s, 0, NULL), *k, *f, *d;

	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "schema_version")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "verdict")), "not-ready");
	assert_string_equal(json_string_value(json_object_get(doc, "default_kernel")),
			    "6.1.0-9-amd64");
	k = json_array_get(json_object_get(doc, "kernels"), 0);
	assert_true(json_is_true(json_object_get(k, "default")));
	d = json_array_get(json_object_get(k, "drivers"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "status")), "module");
	assert_int_equal(json_array_size(json_object_get(d, "modules")), 2);
	f = json_array_get(json_object_get(doc, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "id")), "initramfs-nvme-missing");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "error");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "evidence"), "line")), 3);
	assert_string_equal(json_string_value(json_object_get(f, "remediation")),
			    "update-initramfs -u -k 6.1.0-9-amd64");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"),
							    "errors")), 1);
	json_decref(doc);
	free(s);
}

static void test_sarif(void **state)
{
	struct fixture *fx = *state;
	char *s = render(fx, NC_FORMAT_SARIF, false);
	json_t *doc = json_loads(s, 0, NULL), *run, *res;

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "version")), "2.1.0");
	run = json_array_get(json_object_get(doc, "runs"), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(run, "tool"),
									  "driver"), "rules")), 1);
	res = json_array_get(json_object_get(run, "results"), 0);
	assert_string_equal(json_string_value(json_object_get(res, "ruleId")),
			    "initramfs-nvme-missing");
	assert_string_equal(json_string_value(json_object_get(res, "level")), "error");
	json_decref(doc);
	free(s);
}

static void test_junit(void **state)
{
	struct fixture *fx = *state;
	char *s = render(fx, NC_FORMAT_JUNIT, false);

	assert_non_null(strstr(s, "<testsuite name=\"disk.qcow2\" tests=\"1\" failures=\"1\""));
	assert_non_null(strstr(s, "<failure message=\"nvme not in the initramfs\""));
	/* escaped */
	assert_non_null(strstr(s, "a &amp; b"));
	assert_null(strstr(s, "a & b"));
	free(s);
}

static void test_text(void **state)
{
	struct fixture *fx = *state;
	char *plain = render(fx, NC_FORMAT_TEXT, false);
	char *color = render(fx, NC_FORMAT_TEXT, true);

	assert_non_null(strstr(plain, "Kernel 6.1.0-9-amd64  [default]"));
	assert_non_null(strstr(plain, "error   initramfs-nvme-missing [6.1.0-9-amd64]"));
	assert_non_null(strstr(plain, "/boot/initrd.img-6.1.0-9-amd64:3: a & b"));
	assert_non_null(strstr(plain, "NOT READY for Nitro"));
	assert_null(strchr(plain, '\033'));
	assert_non_null(strchr(color, '\033'));
	free(plain);
	free(color);
}

static void test_error_report(void **state)
{
	struct fixture *fx = *state;
	struct nc_image_report bad = { .image = "x.img", .verdict = NC_VERDICT_ERROR,
				       .error = "x.img: empty file, not a disk image" };
	struct nc_image_report both[2] = { fx->report, bad };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *doc;

	assert_int_equal(report_write_json(f, both, 2, NULL), 0);
	fclose(f);
	doc = json_loads(buf, 0, NULL);
	assert_non_null(doc);
	/* several images: the worst verdict on top, one object per image */
	assert_string_equal(json_string_value(json_object_get(doc, "verdict")), "error");
	assert_int_equal(json_array_size(json_object_get(doc, "images")), 2);
	assert_int_equal(json_array_size(json_object_get(json_array_get(
				 json_object_get(doc, "images"), 1), "kernels")), 0);
	json_decref(doc);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sarif, setup, teardown),
		cmocka_unit_test_setup_teardown(test_junit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_report, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
