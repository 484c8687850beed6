/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"
#include "boot_test_util.h"

#define U "2b6d4c1e-8a3f-4f0e-9d7a-5c1b2e3f4a5b"

static char *debian_cfg(void)
{
	return fixture_read("debian12/boot/grub/grub.cfg", NULL);
}

/* Replace the first occurrence of from with to; returns a new string. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);

	assert_non_null(p);
	return strdup_printf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static void test_debian12_entries(void **state)
{
	_cleanup_free_ char *text = debian_cfg();
	struct nc_grub_cfg c;

	assert_int_equal(grub_cfg_parse(text, "/boot/grub/grub.cfg", NULL, &c), 0);
	/* simple entry + 4 in the submenu; the UEFI entry is efi-only. */
	assert_int_equal(c.n_entries, 5);
	assert_string_equal(c.entries[0].title, "Debian GNU/Linux");
	assert_string_equal(c.entries[0].id, "gnulinux-simple-" U);
	assert_string_equal(c.entries[0].kernel, "/boot/vmlinuz-6.1.0-18-amd64");
	assert_string_equal(c.entries[0].initrd, "/boot/initrd.img-6.1.0-18-amd64");
	assert_string_equal(c.entries[0].cmdline,
		"root=UUID=" U " ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0");
	assert_string_equal(c.entries[0].index_path, "0");
	assert_int_equal(c.entries[0].line, 86);

	assert_string_equal(c.entries[3].title,
		"Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-17-amd64");
	assert_string_equal(c.entries[3].id,
		"gnulinux-advanced-" U ">gnulinux-6.1.0-17-amd64-advanced-" U);
	assert_string_equal(c.entries[3].index_path, "1>2");
	assert_string_equal(c.entries[3].kernel, "/boot/vmlinuz-6.1.0-17-amd64");
	assert_string_equal(c.entries[2].cmdline,
		"root=UUID=" U " ro single console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0");

	assert_string_equal(c.default_raw, "0");
	assert_string_equal(c.default_value, "0");
	assert_int_equal(c.default_line, 19);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, c.default_value), 0);
	assert_false(c.blscfg);
	grub_cfg_free(&c);
}

static void test_debian12_saved_entry(void **state)
{
	_cleanup_free_ char *text = debian_cfg();
	_cleanup_free_ char *saved = replace(text, "set default=\"0\"", "set default=\"${saved_entry}\"");
	_cleanup_free_ char *blk_id = grubenv_block(
		"saved_entry=gnulinux-advanced-" U ">gnulinux-6.1.0-17-amd64-advanced-" U "\n");
	_cleanup_free_ char *blk_title = grubenv_block(
		"saved_entry=Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-17-amd64 (recovery mode)\n");
	_cleanup_strv_free_ char **env_id = NULL, **env_title = NULL;
	struct nc_grub_cfg c;

	assert_int_equal(grubenv_parse(blk_id, 1024, &env_id), 0);
	assert_int_equal(strv_length(env_id), 1);
	assert_int_equal(grub_cfg_parse(saved, "/boot/grub/grub.cfg", env_id, &c), 0);
	assert_string_equal(c.default_raw, "${saved_entry}");
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, c.default_value), 3);
	grub_cfg_free(&c);

	assert_int_equal(grubenv_parse(blk_title, 1024, &env_title), 0);
	assert_int_equal(grub_cfg_parse(saved, "/boot/grub/grub.cfg", env_title, &c), 0);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, c.default_value), 4);
	grub_cfg_free(&c);
}

static void test_next_entry_wins(void **state)
{
	_cleanup_free_ char *text = debian_cfg();
	_cleanup_free_ char *blk = grubenv_block("next_entry=1>2\nsaved_entry=0\n");
	_cleanup_strv_free_ char **env = NULL;
	struct nc_grub_cfg c;

	assert_int_equal(grubenv_parse(blk, 1024, &env), 0);
	assert_int_equal(grub_cfg_parse(text, "/boot/grub/grub.cfg", env, &c), 0);
	assert_string_equal(c.default_raw, "${next_entry}");
	assert_string_equal(c.default_value, "1>2");
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, c.default_value), 3);
	grub_cfg_free(&c);
}

static void test_resolve_forms(void **state)
{
	_cleanup_free_ char *text = debian_cfg();
	struct nc_grub_cfg c;

	assert_int_equal(grub_cfg_parse(text, NULL, NULL, &c), 0);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "1>0"), 1);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "1>3"), 4);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "1>9"), -1);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "7"), -1);
	/* Digits then more: an id or title, not an index. */
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "1x"), -1);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "Debian GNU/Linux"), 0);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "gnulinux-simple-" U), 0);
	/* A submenu alone: its first entry. */
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries,
		"gnulinux-advanced-" U), 1);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, "1"), 1);
	/* Mixed: submenu by title, entry by id. */
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries,
		"Advanced options for Debian GNU/Linux>gnulinux-6.1.0-17-amd64-recovery-" U), 4);
	/* The kernel removed since: nothing matches, GRUB falls back to 0. */
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries,
		"gnulinux-advanced-" U ">gnulinux-6.1.0-13-amd64-advanced-" U), -1);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, ""), -1);
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, NULL), -1);
	grub_cfg_free(&c);
}

static const char rhel8_cfg[] =
	"set pager=1\n"
	"\n"
	"if [ -f ${config_directory}/grubenv ]; then\n"
	"  load_env -f ${config_directory}/grubenv\n"
	"elif [ -s $prefix/grubenv ]; then\n"
	"  load_env\n"
	"fi\n"
	"if [ \"${next_entry}\" ] ; then\n"
	"   set default=\"${next_entry}\"\n"
	"   set next_entry=\n"
	"   save_env next_entry\n"
	"   set boot_once=true\n"
	"else\n"
	"   set default=\"${saved_entry}\"\n"
	"fi\n"
	"### BEGIN /etc/grub.d/10_linux ###\n"
	"insmod part_msdos\n"
	"insmod xfs\n"
	"set root='hd0,msdos1'\n"
	"# This section was generated by a script. Do not modify the generated file - all changes\n"
	"# will be lost the next time file is regenerated. Instead edit the BootLoaderSpec files.\n"
	"#\n"
	"# The blscfg command parses the BootLoaderSpec files stored in /boot/loader/entries and\n"
	"# populates the boot menu. Please refer to the Boot Loader Specification documentation\n"
	"# for the files format: https://www.freedesktop.org/wiki/Specifications/BootLoaderSpec/.\n"
	"\n"
	"# The kernelopts variable should be defined in the grubenv file. But to ensure that menu\n"
	"# entries populated from BootLoaderSpec files that use this variable work correctly even\n"
	"# without a grubenv file, define a fallback kernelopts variable if this has not been set.\n"
	"#\n"
	"# The kernelopts variable in the grubenv file can be modified using the grubby tool or by\n"
	"# executing the grub2-mkconfig tool. For the latter, the values of the GRUB_CMDLINE_LINUX\n"
	"# and GRUB_CMDLINE_LINUX_DEFAULT options from /etc/default/grub file are used to set both\n"
	"# the kernelopts variable in the grubenv file and the fallback kernelopts variable.\n"
	"if [ -z \"${kernelopts}\" ]; then\n"
	"  set kernelopts=\"root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet \"\n"
	"fi\n"
	"\n"
	"insmod blscfg\n"
	"blscfg\n"
	"### END /etc/grub.d/10_linux ###\n"
	"### BEGIN /etc/grub.d/30_uefi-firmware ###\n"
	"### END /etc/grub.d/30_uefi-firmware ###\n";

static void test_rhel8_blscfg_kernelopts(void **state)
{
	_cleanup_free_ char *blk = grubenv_block(
		"saved_entry=ffffffffffffffffffffffffffffffff-4.18.0-513.5.1.el8_9.x86_64\n"
		"kernelopts=root=UUID=0b1e0e2c-3f1a-4d5e-8f7a-9b8c7d6e5f4a ro console=ttyS0,115200n8 console=tty0 net.ifnames=0 rd.blacklist=nouveau nvme_core.io_timeout=4294967295 crashkernel=auto\n"
		"boot_success=0\n");
	_cleanup_strv_free_ char **env = NULL;
	struct nc_grub_cfg c;

	assert_int_equal(grubenv_parse(blk, 1024, &env), 0);
	assert_int_equal(strv_length(env), 3);
	assert_int_equal(grub_cfg_parse(rhel8_cfg, "/boot/grub2/grub.cfg", env, &c), 0);
	assert_true(c.blscfg);
	assert_int_equal(c.blscfg_pos, 0);
	assert_int_equal(c.n_entries, 0);
	assert_string_equal(c.default_value, "ffffffffffffffffffffffffffffffff-4.18.0-513.5.1.el8_9.x86_64");
	assert_string_equal(c.root, "hd0,msdos1");
	/* grubenv's kernelopts is kept: the fallback in grub.cfg does not run. */
	assert_string_equal(env_get(c.vars, "kernelopts"),
		"root=UUID=0b1e0e2c-3f1a-4d5e-8f7a-9b8c7d6e5f4a ro console=ttyS0,115200n8 console=tty0 net.ifnames=0 rd.blacklist=nouveau nvme_core.io_timeout=4294967295 crashkernel=auto");
	grub_cfg_free(&c);

	/* Without a grubenv the fallback applies. */
	assert_int_equal(grub_cfg_parse(rhel8_cfg, "/boot/grub2/grub.cfg", NULL, &c), 0);
	assert_string_equal(env_get(c.vars, "kernelopts"),
		"root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet ");
	assert_string_equal(c.default_value, "");
	grub_cfg_free(&c);
}

static void test_hand_written(void **state)
{
	static const char cfg[] =
		"set timeout=5\n"
		"set default='Custom kernel'\n"
		"menuentry \"Rescue\" { linux16 /vmlinuz-rescue root=/dev/xvda1; initrd16 /initramfs-rescue.img }\n"
		"menuentry 'Custom kernel' --id=custom {\n"
		"\tset root='hd0,gpt2'\n"
		"\tset opts=\"quiet splash\"\n"
		"\tlinuxefi ($root)/vmlinuz-5.10 root=LABEL=root \"$opts\" a\\ b\n"
		"\tinitrdefi /intel-ucode.img /amd-ucode.img /initramfs-5.10.img\n"
		"}\n"
		"menuentry 'Xen' {\n"
		"\tmultiboot2 /boot/xen.gz dom0_mem=1024M\n"
		"\tmodule2 /boot/vmlinuz-4.19 root=/dev/sda1 console=hvc0\n"
		"\tmodule2 --nounzip /boot/initrd.img-4.19\n"
		"}\n";
	struct nc_grub_cfg c;

	assert_int_equal(grub_cfg_parse(cfg, "/boot/grub/grub.cfg", NULL, &c), 0);
	assert_int_equal(c.n_entries, 3);
	assert_string_equal(c.entries[0].kernel, "/vmlinuz-rescue");
	assert_string_equal(c.entries[0].cmdline, "root=/dev/xvda1");
	assert_string_equal(c.entries[0].initrd, "/initramfs-rescue.img");
	assert_int_equal(c.entries[0].kernel_line, 3);
	assert_string_equal(c.entries[1].id, "custom");
	assert_string_equal(c.entries[1].kernel, "(hd0,gpt2)/vmlinuz-5.10");
	assert_string_equal(c.entries[1].cmdline, "root=LABEL=root quiet splash a b");
	assert_int_equal(strv_length(c.entries[1].initrds), 3);
	assert_string_equal(c.entries[1].initrd, "/initramfs-5.10.img");
	assert_string_equal(c.entries[2].kernel, "/boot/vmlinuz-4.19");
	assert_string_equal(c.entries[2].cmdline, "root=/dev/sda1 console=hvc0");
	assert_string_equal(c.entries[2].initrd, "/boot/initrd.img-4.19");
	assert_int_equal(grub_default_resolve(c.entries, c.n_entries, c.default_value), 1);
	/* Body variables stay in the entry. */
	assert_null(env_get(c.vars, "opts"));
	assert_string_equal(env_get(c.vars, "timeout"), "5");
	grub_cfg_free(&c);
}

static void test_efi_stub(void **state)
{
	static const char cfg[] =
		"search.fs_uuid 2b6d4c1e-8a3f-4f0e-9d7a-5c1b2e3f4a5b root \n"
		"set prefix=($root)'/boot/grub'\n"
		"configfile $prefix/grub.cfg\n";
	struct nc_grub_cfg c;

	assert_int_equal(grub_cfg_parse(cfg, "/boot/efi/EFI/debian/grub.cfg", NULL, &c), 0);
	assert_true(c.configfile);
	assert_int_equal(c.n_entries, 0);
	grub_cfg_free(&c);
}

static void test_grubenv(void **state)
{
	static const char raw[] = "# GRUB Environment Block\nsaved_entry=a\\\\b\nbroken line\n=x\nk=\n";
	_cleanup_strv_free_ char **env = NULL;

	assert_int_equal(grubenv_parse(raw, sizeof(raw) - 1, &env), 0);
	assert_int_equal(strv_length(env), 2);
	assert_string_equal(env_get(env, "saved_entry"), "a\\b");
	assert_string_equal(env_get(env, "k"), "");
	assert_null(env_get(env, "broken line"));
}

static void test_default_grub(void **state)
{
	_cleanup_free_ char *text = fixture_read("debian12/etc/default/grub", NULL);
	static const char extra[] =
		"GRUB_DEFAULT=saved\n"
		"export GRUB_CMDLINE_LINUX='root=/dev/xvda1 console=hvc0'\n"
		"GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT \\\"quoted\\\" x\" # comment\n"
		"GRUB_DISABLE_SUBMENU=y\n"
		"GRUB_CMDLINE_XEN=\"a\n"
		"b\"\n"
		"GRUB_TERMINAL=serial\n";
	struct nc_kv *kv;
	size_t n;

	assert_int_equal(default_grub_parse(text, &kv, &n), 0);
	assert_string_equal(kv_find(kv, n, "GRUB_DEFAULT")->value, "0");
	assert_string_equal(kv_find(kv, n, "GRUB_CMDLINE_LINUX")->value,
		"console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200 consoleblank=0");
	assert_int_equal(kv_find(kv, n, "GRUB_CMDLINE_LINUX")->line, 10);
	assert_string_equal(kv_find(kv, n, "GRUB_TERMINAL")->value, "console serial");
	assert_string_equal(kv_find(kv, n, "GRUB_SERIAL_COMMAND")->value, "serial --speed=115200");
	assert_null(kv_find(kv, n, "GRUB_GFXMODE"));
	kv_free(kv, n);

	assert_int_equal(default_grub_parse(extra, &kv, &n), 0);
	assert_string_equal(kv_find(kv, n, "GRUB_DEFAULT")->value, "saved");
	assert_string_equal(kv_find(kv, n, "GRUB_CMDLINE_LINUX")->value, "root=/dev/xvda1 console=hvc0");
	assert_int_equal(kv_find(kv, n, "GRUB_CMDLINE_LINUX")->line, 2);
	assert_string_equal(kv_find(kv, n, "GRUB_CMDLINE_LINUX_DEFAULT")->value,
		"$GRUB_CMDLINE_LINUX_DEFAULT \"quoted\" x");
	assert_string_equal(kv_find(kv, n, "GRUB_CMDLINE_XEN")->value, "a\nb");
	assert_int_equal(kv_find(kv, n, "GRUB_TERMINAL")->line, 7);
	kv_free(kv, n);
}

static void test_garbage(void **state)
{
	static const char *const inputs[] = {
		"", "{", "}", "}}}}", "menuentry", "menuentry {", "menuentry 'x' {\n linux",
		"if", "fi fi fi", "else", "set default=\"${unterminated", "'", "\"", "\\",
		"submenu 'a' { submenu 'b' { menuentry 'c' { linux /v } } }",
		"function f { menuentry 'hidden' { linux /x } }\nmenuentry 'shown' { linux /y }",
		"$", "${", "$$$$ ${a}${b}", "elif [ ] ; then", "menuentry --id", "\x01\x02\xff{}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct nc_grub_cfg c;

		assert_int_equal(grub_cfg_parse(inputs[i], "/g", NULL, &c), 0);
		for (size_t j = 0; j < c.n_entries; j++)
			grub_default_resolve(c.entries, c.n_entries, c.entries[j].title);
		if (i == 14) {
			assert_int_equal(c.n_entries, 1);
			assert_string_equal(c.entries[0].title, "a>b>c");
			assert_string_equal(c.entries[0].index_path, "0>0>0");
			assert_int_equal(grub_default_resolve(c.entries, 1, "a>b>c"), 0);
		}
		if (i == 15) {
			assert_int_equal(c.n_entries, 1);
			assert_string_equal(c.entries[0].title, "shown");
		}
		grub_cfg_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian12_entries),
		cmocka_unit_test(test_debian12_saved_entry),
		cmocka_unit_test(test_next_entry_wins),
		cmocka_unit_test(test_resolve_forms),
		cmocka_unit_test(test_rhel8_blscfg_kernelopts),
		cmocka_unit_test(test_hand_written),
		cmocka_unit_test(test_efi_stub),
		cmocka_unit_test(test_grubenv),
		cmocka_unit_test(test_default_grub),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("grub", tests, NULL, NULL);
}
