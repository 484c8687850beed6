/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_and_quotes),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_odd),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
