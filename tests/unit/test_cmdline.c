/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"
#include "facts/facts.h"
#include "boot_check_util.h"

static void test_split_and_quotes(void **state)
{
	struct nc_cmdline c;

	assert_int_equal(cmdline_parse("  BOOT_IMAGE=/vmlinuz root=UUID=ab-cd ro  quiet "
		"dyndbg=\"file nvme.c +p\" \"acpi_osi=Linux x\" console=tty0 console=ttyS0,115200n8 "
		"-- single init-arg", &c), 0);
	assert_int_equal(c.n, 8);
	assert_string_equal(c.v[1].key, "root");
	assert_string_equal(c.v[1].value, "UUID=ab-cd");
	assert_string_equal(c.v[2].key, "ro");
	assert_null(c.v[2].value);
	assert_string_equal(c.v[4].key, "dyndbg");
	assert_string_equal(c.v[4].value, "file nvme.c +p");
	assert_string_equal(c.v[4].text, "dyndbg=\"file nvme.c +p\"");
	assert_string_equal(c.v[5].key, "acpi_osi");
	assert_string_equal(c.v[5].value, "Linux x");

	_cleanup_strv_free_ char **cons = cmdline_get_all(&c, "console");
	assert_int_equal(strv_length(cons), 2);
	assert_string_equal(cons[0], "tty0");
	assert_string_equal(cons[1], "ttyS0,115200n8");
	/* Everything after "--" is init's. */
	assert_null(cmdline_find(&c, "single"));
	cmdline_free(&c);
}

static void test_lookups(void **state)
{
	struct nc_cmdline c;

	assert_int_equal(cmdline_parse("root=/dev/xvda1 resume=/dev/xvda2 net.ifnames=0 biosdevname=0 "
		"nvme-core.io_timeout=255 nvme_core.io_timeout=4294967295 nvme.io_timeout=30 "
		"xen_blkfront.sda_is_xvda=1 xen_emul_unplug=unnecessary xen_pv_hvm=enable "
		"xen_pvhvm_nopv xen-blkfront.max=32", &c), 0);
	assert_string_equal(cmdline_find(&c, "root")->value, "/dev/xvda1");
	assert_string_equal(cmdline_find(&c, "resume")->value, "/dev/xvda2");
	assert_string_equal(cmdline_find(&c, "net.ifnames")->value, "0");
	assert_string_equal(cmdline_find(&c, "biosdevname")->value, "0");
	/* Dashes and underscores are the same; the last one wins. */
	assert_string_equal(cmdline_find(&c, "nvme_core.io_timeout")->value, "4294967295");
	assert_string_equal(cmdline_find(&c, "nvme.io_timeout")->value, "30");
	assert_int_equal(cmdline_count_prefix(&c, "xen_blkfront."), 2);
	assert_int_equal(cmdline_count_prefix(&c, "xen_pv"), 2);
	assert_non_null(cmdline_find(&c, "xen_emul_unplug"));
	assert_null(cmdline_find(&c, "console"));
	assert_true(cmdline_key_eq("a-b_c", "a_b-c"));
	assert_false(cmdline_key_eq("a-b", "a-bc"));
	cmdline_free(&c);
}

static void test_odd(void **state)
{
	static const char *const inputs[] = {
		"", "   ", "\"", "\"\"", "=", "==", "a=", "=a", "\"a=b\"", "a=\"", "x=\"y", "--",
		"\"unterminated quote with spaces", "\t\n\v", "\xff=\xfe",
	};

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct nc_cmdline c;

		assert_int_equal(cmdline_parse(inputs[i], &c), 0);
		for (size_t j = 0; j < c.n; j++)
			assert_non_null(c.v[j].key);
		cmdline_free(&c);
	}

	struct nc_cmdline c;

	assert_int_equal(cmdline_parse("\"a=b c\" =x a=", &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.v[0].key, "a");
	assert_string_equal(c.v[0].value, "b c");
	/* The kernel does not split at a leading '='. */
	assert_string_equal(c.v[1].key, "=x");
	assert_null(c.v[1].value);
	assert_string_equal(c.v[2].value, "");
	cmdline_free(&c);
}

/* Facts with one default kernel booted by entry e. */
static void build_facts(struct nc_facts *f, struct nc_kernel *k, struct nc_boot_entry *e,
			const char *version, const char *type, const char *cmdline)
{
	memset(f, 0, sizeof(*f));
	memset(k, 0, sizeof(*k));
	memset(e, 0, sizeof(*e));
	e->kernel = "/boot/vmlinuz-x";
	e->cmdline = (char *)cmdline;
	e->file = "/boot/grub/grub.cfg";
	e->line = 120;
	e->kernel_line = 131;
	k->version = (char *)version;
	k->nvme_io_timeout_type = (char *)type;
	k->entry = e;
	k->is_default = true;
	f->kernels = k;
	f->n_kernels = 1;
	f->default_kernel = 0;
	f->os.family = NC_FAMILY_RHEL;
	f->have_layout = true;
	f->boot.primary = -1;
}

static void test_check_console_and_xen(void **state)
{
	struct nc_facts f;
	struct nc_kernel k;
	struct nc_boot_entry e;
	struct nc_findings out;
	const struct nc_finding *x;
	struct nc_kv kv = {
		.key = "GRUB_CMDLINE_LINUX", .value = "console=hvc0 xen_emul_unplug=never", .line = 6,
		.text = "GRUB_CMDLINE_LINUX=\"console=hvc0 xen_emul_unplug=never\"",
	};

	build_facts(&f, &k, &e, "4.14.336-257.562.amzn2.x86_64", "uint",
		    "root=/dev/xvda1 ro console=tty0 console=hvc0 xen_blkfront.sda_is_xvda=1 "
		    "xen-pv-hvm=1 nvme_core.io_timeout=4294967295");
	f.boot.default_grub = &kv;
	f.boot.n_default_grub = 1;
	run_boot_rules(&f, &out);

	x = finding_nth(&out, "cmdline-console-xen-only", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, NC_SEV_WARNING);
	assert_string_equal(x->file, "/boot/grub/grub.cfg");
	assert_int_equal(x->line, 131);
	assert_string_equal(x->text, "console=hvc0");
	assert_int_equal(finding_count(&out, "cmdline-console-xen-only"), 1);

	/* Two on the command line, one in /etc/default/grub. */
	assert_int_equal(finding_count(&out, "cmdline-xen-params"), 3);
	size_t in_cfg = 0, in_default = 0;

	for (size_t i = 0; i < 3; i++) {
		x = finding_nth(&out, "cmdline-xen-params", i);
		if (streq(x->file, "/boot/grub/grub.cfg") && x->line == 131)
			in_cfg++;
		if (streq(x->file, "/etc/default/grub") && x->line == 6)
			in_default++;
	}
	assert_int_equal(in_cfg, 2);
	assert_int_equal(in_default, 1);

	/* root=/dev/xvda1: an error at the kernel line. */
	x = finding_nth(&out, "cmdline-device-name", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, NC_SEV_ERROR);
	assert_string_equal(x->text, "root=/dev/xvda1");
	assert_string_equal(x->kernel, "4.14.336-257.562.amzn2.x86_64");
	assert_non_null(strstr(x->remediation, "grubby"));
	/* The io_timeout is right: no finding. */
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-invalid"), 0);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-missing"), 0);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-low"), 0);
	nc_findings_free(&out);

	/* With ttyS0 as well, hvc0 is harmless. */
	build_facts(&f, &k, &e, "6.1.0-18-amd64", "uint",
		    "root=UUID=x ro console=hvc0 console=ttyS0,115200n8");
	run_boot_rules(&f, &out);
	assert_int_equal(finding_count(&out, "cmdline-console-xen-only"), 0);
	assert_int_equal(finding_count(&out, "cmdline-xen-params"), 0);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-missing"), 1);
	x = finding_nth(&out, "cmdline-nvme-io-timeout-missing", 0);
	assert_int_equal(x->severity, NC_SEV_INFO);
	assert_non_null(strstr(x->remediation, "nvme_core.io_timeout=4294967295"));
	nc_findings_free(&out);
}

static void test_check_io_timeout(void **state)
{
	struct nc_facts f;
	struct nc_kernel k;
	struct nc_boot_entry e;
	struct nc_findings out;
	const struct nc_finding *x;

	/* A byte parameter (before 4.15) rejects 4294967295. */
	build_facts(&f, &k, &e, "4.14.35-1902.el7uek.x86_64", "byte",
		    "root=UUID=x nvme_core.io_timeout=4294967295");
	run_boot_rules(&f, &out);
	x = finding_nth(&out, "cmdline-nvme-io-timeout-invalid", 0);
	assert_non_null(x);
	assert_int_equal(x->severity, NC_SEV_ERROR);
	assert_string_equal(x->text, "nvme_core.io_timeout=4294967295");
	assert_non_null(strstr(x->message, "at most 255"));
	assert_non_null(strstr(x->remediation, "nvme_core.io_timeout=255"));
	nc_findings_free(&out);

	/* uint: 255 is accepted, but AWS recommends the maximum. */
	build_facts(&f, &k, &e, "5.10.0-28-cloud-amd64", "uint", "root=UUID=x nvme_core.io_timeout=255");
	run_boot_rules(&f, &out);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-invalid"), 0);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-low"), 1);
	nc_findings_free(&out);

	/* Too large even for a uint, or not a number. */
	build_facts(&f, &k, &e, "5.10.0-28-cloud-amd64", "uint", "nvme_core.io_timeout=4294967296");
	run_boot_rules(&f, &out);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-invalid"), 1);
	nc_findings_free(&out);
	build_facts(&f, &k, &e, "5.10.0-28-cloud-amd64", "uint", "nvme-core.io_timeout=forever");
	run_boot_rules(&f, &out);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-invalid"), 1);
	nc_findings_free(&out);

	/* The pre-4.6 name on a newer kernel does nothing. */
	build_facts(&f, &k, &e, "6.1.0-18-amd64", "uint", "nvme.io_timeout=4294967295");
	run_boot_rules(&f, &out);
	x = finding_nth(&out, "cmdline-nvme-io-timeout-missing", 0);
	assert_non_null(x);
	assert_string_equal(x->text, "nvme.io_timeout=4294967295");
	nc_findings_free(&out);

	/* modprobe.d counts for a module, not for a built-in driver. */
	struct nc_io_timeout_source src = {
		.file = "/etc/modprobe.d/nvme.conf", .line = 2,
		.text = "options nvme_core io_timeout=4294967295", .module = "nvme_core",
		.value = "4294967295",
	};
	struct nc_module mod = { .name = "nvme_core", .status = NC_DRV_MODULE };
	struct nc_driver drv = { .modules = &mod, .n_modules = 1, .status = NC_DRV_MODULE };

	build_facts(&f, &k, &e, "6.1.0-18-amd64", "uint", "root=UUID=x");
	f.boot.io_timeouts = &src;
	f.boot.n_io_timeouts = 1;
	k.drivers = &drv;
	k.n_drivers = 1;
	run_boot_rules(&f, &out);
	assert_int_equal(finding_count(&out, "cmdline-nvme-io-timeout-missing"), 0);
	nc_findings_free(&out);
	mod.status = NC_DRV_BUILTIN;
	run_boot_rules(&f, &out);
	x = finding_nth(&out, "cmdline-nvme-io-timeout-missing", 0);
	assert_non_null(x);
	assert_string_equal(x->file, "/etc/modprobe.d/nvme.conf");
	assert_non_null(strstr(x->message, "built into the kernel"));
	nc_findings_free(&out);
}

static void test_check_kernelopts_points_at_grubenv(void **state)
{
	struct nc_facts f;
	struct nc_kernel k;
	struct nc_boot_entry e;
	struct nc_findings out;
	const struct nc_finding *x;

	build_facts(&f, &k, &e, "4.18.0-513.5.1.el8_9.x86_64", "uint",
		    "root=/dev/xvda2 ro console=ttyS0 nvme_core.io_timeout=4294967295");
	e.cmdline_raw = "$kernelopts $tuned_params";
	e.file = "/boot/loader/entries/x.conf";
	f.boot.grubenv_path = "/boot/grub2/grubenv";
	run_boot_rules(&f, &out);
	x = finding_nth(&out, "cmdline-device-name", 0);
	assert_non_null(x);
	assert_string_equal(x->file, "/boot/grub2/grubenv");
	assert_int_equal(x->line, 0);
	nc_findings_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_and_quotes),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_odd),
		cmocka_unit_test(test_check_console_and_xen),
		cmocka_unit_test(test_check_io_timeout),
		cmocka_unit_test(test_check_kernelopts_points_at_grubenv),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
