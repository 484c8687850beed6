/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"
#include "boot_test_util.h"

static void test_alpine(void **state)
{
	_cleanup_free_ char *text = fixture_read("alpine/boot/extlinux.conf", NULL);
	struct nc_extlinux x;

	assert_int_equal(extlinux_parse(text, "/boot/extlinux.conf", &x), 0);
	assert_int_equal(x.n_entries, 2);
	/* DEFAULT names the menu module, MENU DEFAULT the entry. */
	assert_string_equal(x.default_label, "menu.c32");
	assert_int_equal(x.menu_default, 1);
	assert_string_equal(x.entries[1].id, "virt");
	assert_string_equal(x.entries[1].title, "Linux virt");
	assert_string_equal(x.entries[1].kernel, "vmlinuz-virt");
	assert_string_equal(x.entries[1].initrd, "initramfs-virt");
	assert_string_equal(x.entries[1].cmdline,
		"root=UUID=5f4e3d2c-1b0a-4988-8776-655443322110 modules=sd-mod,usb-storage,ext4 console=ttyS0,115200 quiet rootfstype=ext4");
	assert_int_equal(x.entries[1].line, 14);
	assert_int_equal(x.entries[1].kernel_line, 17);
	extlinux_free(&x);
}

static void test_syslinux_case_and_global_append(void **state)
{
	static const char t[] =
		"default Linux\n"
		"timeout 50\n"
		"append console=ttyS0\n"
		"label rescue\n"
		"  kernel /boot/vmlinuz-rescue\n"
		"  append initrd=/boot/ucode.img,/boot/initrd-rescue.img root=/dev/sda1\n"
		"Label linux\n"
		"  Kernel /boot/vmlinuz-5.10.0-28-amd64\n"
		"  Initrd /boot/initrd.img-5.10.0-28-amd64\n";
	struct nc_extlinux x;

	assert_int_equal(extlinux_parse(t, "/boot/syslinux/syslinux.cfg", &x), 0);
	assert_int_equal(x.n_entries, 2);
	assert_string_equal(x.default_label, "Linux");
	assert_int_equal(x.menu_default, -1);
	assert_string_equal(x.entries[0].initrd, "/boot/initrd-rescue.img");
	assert_int_equal(strv_length(x.entries[0].initrds), 2);
	assert_string_equal(x.entries[1].cmdline, "console=ttyS0");
	assert_string_equal(x.entries[1].title, "linux");
	assert_string_equal(x.entries[1].initrd, "/boot/initrd.img-5.10.0-28-amd64");
	extlinux_free(&x);
}

static void test_garbage(void **state)
{
	static const char *const inputs[] = {
		"", "LABEL", "MENU", "MENU LABEL", "KERNEL /x", "LABEL a\nAPPEND initrd=,,,",
		"LABEL a\nAPPEND -\nINITRD", "\xff\n\x01 LABEL",
	};

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct nc_extlinux x;

		assert_int_equal(extlinux_parse(inputs[i], NULL, &x), 0);
		extlinux_free(&x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alpine),
		cmocka_unit_test(test_syslinux_case_and_global_append),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("extlinux", tests, NULL, NULL);
}
