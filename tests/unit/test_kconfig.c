/* SPDX-License-Identifier: MIT */
/* /boot/config-<v> of the real Debian kernels, and broken configs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "kernel/kconfig.h"
#include "kver_test_util.h"

static struct kconfig *load(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	struct kconfig *kc = NULL;
	size_t len;

	assert_int_equal(read_file_full(path, 16u << 20, &buf, &len), 0);
	assert_int_equal(kconfig_parse(buf, len, &kc), 0);
	return kc;
}

static void test_generic(void **state)
{
	_cleanup_free_ char *path = test_kver_str("/boot/config-%s", test_kver());
	struct kconfig *kc = load(path);

	assert_string_equal(kconfig_get(kc, "CONFIG_BLK_DEV_NVME"), "m");
	assert_string_equal(kconfig_get(kc, "BLK_DEV_NVME"), "m");
	assert_int_equal(kconfig_tristate(kc, "CONFIG_NVME_CORE"), 'm');
	assert_int_equal(kconfig_tristate(kc, "ENA_ETHERNET"), 'm');
	assert_int_equal(kconfig_tristate(kc, "XEN_PV"), 'y');
	/* Empty string, numbers and strings. */
	assert_string_equal(kconfig_get(kc, "LOCALVERSION"), "");
	assert_string_equal(kconfig_get(kc, "CONFIG_X86_64"), "y");
	assert_non_null(strstr(kconfig_get(kc, "CONFIG_CC_VERSION_TEXT"), "gcc"));
	/* "# CONFIG_X is not set" is n; absent is NULL (XenLinux symbols). */
	assert_string_equal(kconfig_get(kc, "CONFIG_LOCALVERSION_AUTO"), "n");
	assert_null(kconfig_get(kc, "CONFIG_X86_64_XEN"));
	assert_int_equal(kconfig_tristate(kc, "CONFIG_X86_64_XEN"), 'n');
	assert_int_equal(kconfig_tristate(kc, "CONFIG_LOCALVERSION"), 'n');
	kconfig_free(kc);
}

static void test_cloud(void **state)
{
	_cleanup_free_ char *path = test_kver_str("/boot/config-%s", test_kver_cloud());
	struct kconfig *kc = load(path);

	assert_int_equal(kconfig_tristate(kc, "CONFIG_BLK_DEV_NVME"), 'y');
	assert_int_equal(kconfig_tristate(kc, "CONFIG_NVME_CORE"), 'y');
	assert_int_equal(kconfig_tristate(kc, "CONFIG_ENA_ETHERNET"), 'm');
	kconfig_free(kc);
}

static void test_synthetic(void **state)
{
	static const char text[] =
		"#\n# Automatically generated file; DO NOT EDIT.\n#\n"
		"CONFIG_X86_64_XEN=y\n"
		"CONFIG_CMDLINE=\"console=ttyS0 \\\"quoted\\\" back\\\\slash\"\n"
		"CONFIG_NR_CPUS=512\n"
		"  CONFIG_INDENTED=m  \n"
		"# CONFIG_XEN_PV is not set\n"
		"# just a comment\n";
	struct kconfig *kc = NULL;

	assert_int_equal(kconfig_parse(text, sizeof(text) - 1, &kc), 0);
	assert_int_equal(kconfig_tristate(kc, "X86_64_XEN"), 'y');
	assert_string_equal(kconfig_get(kc, "CMDLINE"), "console=ttyS0 \"quoted\" back\\slash");
	assert_string_equal(kconfig_get(kc, "NR_CPUS"), "512");
	assert_int_equal(kconfig_tristate(kc, "NR_CPUS"), 'n');
	assert_int_equal(kconfig_tristate(kc, "INDENTED"), 'm');
	assert_string_equal(kconfig_get(kc, "XEN_PV"), "n");
	assert_null(kconfig_get(NULL, "XEN_PV"));
	kconfig_free(kc);
}

static void test_garbage(void **state)
{
	struct kconfig *kc = NULL;
	_cleanup_free_ char *bin = NULL;
	_cleanup_free_ char *sysmap = test_kver_str("/boot/System.map-%s", test_kver());
	size_t len;

	assert_int_equal(kconfig_parse("", 0, &kc), -EINVAL);
	assert_int_equal(kconfig_parse("# only comments\n", 16, &kc), -EINVAL);
	assert_int_equal(kconfig_parse("hello world\n", 12, &kc), -EINVAL);
	assert_int_equal(kconfig_parse("CONFIG_A=\"unterminated\n", 23, &kc), -EINVAL);
	assert_int_equal(kconfig_parse("CONFIG_A=y\0CONFIG_B=y\n", 22, &kc), -EINVAL);
	assert_int_equal(kconfig_parse("CONFIG_=y\n", 10, &kc), -EINVAL);
	assert_int_equal(kconfig_parse("CONFIG_A = y\n", 13, &kc), -EINVAL);
	/* A kernel image is not a config. */
	assert_int_equal(read_file_full(sysmap, 1 << 20, &bin, &len), 0);
	assert_int_equal(kconfig_parse(bin, len, &kc), -EINVAL);
	assert_null(kc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_cloud),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("kconfig", tests, NULL, NULL);
}
