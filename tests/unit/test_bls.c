/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"
#include "boot_test_util.h"

#define MID "8d5e3f1b2c4a4e6f9a0b1c2d3e4f5a6b"

static void load(const char *stem, struct nc_boot_entry *e)
{
	_cleanup_free_ char *rel = strdup_printf("rhel8/boot/loader/entries/%s.conf", stem);
	_cleanup_free_ char *guest = strdup_printf("/boot/loader/entries/%s.conf", stem);
	_cleanup_free_ char *text = fixture_read(rel, NULL);

	assert_int_equal(bls_entry_parse(text, guest, stem, e), 0);
}

static void test_rhel8_entry(void **state)
{
	struct nc_boot_entry e;

	load(MID "-4.18.0-513.5.1.el8_9.x86_64", &e);
	assert_string_equal(e.title, "Red Hat Enterprise Linux (4.18.0-513.5.1.el8_9.x86_64) 8.9 (Ootpa)");
	assert_string_equal(e.id, MID "-4.18.0-513.5.1.el8_9.x86_64");
	assert_string_equal(e.version, "4.18.0-513.5.1.el8_9.x86_64");
	assert_string_equal(e.kernel, "/vmlinuz-4.18.0-513.5.1.el8_9.x86_64");
	assert_string_equal(e.cmdline_raw, "$kernelopts $tuned_params");
	/* No variables known yet: empty command line. */
	assert_string_equal(e.cmdline, "");
	assert_int_equal(e.kernel_line, 3);
	assert_string_equal(e.file, "/boot/loader/entries/" MID "-4.18.0-513.5.1.el8_9.x86_64.conf");
	assert_int_equal(strv_length(e.initrds), 2);

	char *env[] = {
		"kernelopts=root=/dev/mapper/rhel-root ro  console=ttyS0,115200n8",
		"tuned_initrd=", NULL,
	};
	assert_int_equal(bls_entry_expand(&e, env), 0);
	assert_string_equal(e.cmdline, "root=/dev/mapper/rhel-root ro console=ttyS0,115200n8");
	assert_int_equal(strv_length(e.initrds), 1);
	assert_string_equal(e.initrd, "/initramfs-4.18.0-513.5.1.el8_9.x86_64.img");
	boot_entry_free(&e);
}

static void test_sort_newest_first(void **state)
{
	const char *stems[] = {
		MID "-0-rescue",
		MID "-4.18.0-477.10.1.el8_8.x86_64",
		MID "-4.18.0-513.5.1.el8_9.x86_64",
	};
	struct nc_boot_entry v[3];

	for (size_t i = 0; i < 3; i++)
		load(stems[i], &v[i]);
	bls_entries_sort(v, 3);
	assert_string_equal(v[0].version, "4.18.0-513.5.1.el8_9.x86_64");
	assert_string_equal(v[1].version, "4.18.0-477.10.1.el8_8.x86_64");
	assert_string_equal(v[2].id, MID "-0-rescue");
	for (size_t i = 0; i < 3; i++)
		boot_entry_free(&v[i]);
}

static void test_vercmp(void **state)
{
	assert_true(bls_vercmp("4.18.0-513.5.1.el8_9", "4.18.0-477.10.1.el8_8") > 0);
	assert_true(bls_vercmp("6.1.0-18", "6.1.0-9") > 0);
	assert_true(bls_vercmp("1.0~rc1", "1.0") < 0);
	assert_true(bls_vercmp("1.0a", "1.0") > 0);
	assert_true(bls_vercmp("1.0", "1.0a") < 0);
	assert_true(bls_vercmp("1.010", "1.9") > 0);
	assert_true(bls_vercmp("1.001", "1.1") == 0);
	assert_true(bls_vercmp("2", "a") > 0);
	assert_int_equal(bls_vercmp("6.5.6-300.fc39", "6.5.6-300.fc39"), 0);
}

static void test_sort_key(void **state)
{
	static const char a[] = "title A\nsort-key zeta\nversion 9\nlinux /a\n";
	static const char b[] = "title B\nsort-key alpha\nversion 1\nlinux /b\n";
	static const char c[] = "title C\nversion 99\nlinux /c\n";
	struct nc_boot_entry v[3];

	assert_int_equal(bls_entry_parse(a, NULL, "a", &v[0]), 0);
	assert_int_equal(bls_entry_parse(b, NULL, "b", &v[1]), 0);
	assert_int_equal(bls_entry_parse(c, NULL, "c", &v[2]), 0);
	bls_entries_sort(v, 3);
	assert_string_equal(v[0].title, "B");
	assert_string_equal(v[1].title, "A");
	assert_string_equal(v[2].title, "C");
	for (size_t i = 0; i < 3; i++)
		boot_entry_free(&v[i]);
}

static void test_fedora_style(void **state)
{
	static const char t[] =
		"# comment\n"
		"title Fedora Linux (6.5.6-300.fc39.x86_64) 39 (Cloud Edition)\n"
		"version 6.5.6-300.fc39.x86_64\n"
		"linux /boot/vmlinuz-6.5.6-300.fc39.x86_64\n"
		"initrd /boot/intel-ucode.img\n"
		"initrd /boot/initramfs-6.5.6-300.fc39.x86_64.img\n"
		"options root=UUID=aa ro\n"
		"options console=ttyS0 \"x=a b\"\n"
		"grub_users $grub_users\n";
	struct nc_boot_entry e;

	assert_int_equal(bls_entry_parse(t, NULL, "f39", &e), 0);
	assert_string_equal(e.cmdline, "root=UUID=aa ro console=ttyS0 \"x=a b\"");
	assert_string_equal(e.initrd, "/boot/initramfs-6.5.6-300.fc39.x86_64.img");
	assert_string_equal(e.initrds[0], "/boot/intel-ucode.img");
	assert_int_equal(e.kernel_line, 4);
	boot_entry_free(&e);
}

static void test_garbage(void **state)
{
	static const char *const inputs[] = {
		"", "\n\n", "title", "linux", "initrd", "options $", "options ${", "\xff\xfe",
		"title\tx\ny", "initrd    \n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct nc_boot_entry e;

		assert_int_equal(bls_entry_parse(inputs[i], NULL, NULL, &e), 0);
		assert_non_null(e.title);
		assert_int_equal(bls_entry_expand(&e, NULL), 0);
		boot_entry_free(&e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rhel8_entry),
		cmocka_unit_test(test_sort_newest_first),
		cmocka_unit_test(test_vercmp),
		cmocka_unit_test(test_sort_key),
		cmocka_unit_test(test_fedora_style),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("bls", tests, NULL, NULL);
}
