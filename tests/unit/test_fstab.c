/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"
#include "boot_test_util.h"

static void test_edge_cases(void **state)
{
	static const char t[] =
		"# /etc/fstab: static file system information.\n"
		"#\n"
		"# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
		"UUID=2b6d4c1e-8a3f-4f0e-9d7a-5c1b2e3f4a5b /               ext4    errors=remount-ro 0       1\n"
		"\t  /dev/xvdb1\t/data\txfs\tdefaults,nofail,x-systemd.device-timeout=5s\t0 2\n"
		"/dev/xvdc none swap sw 0 0\n"
		"LABEL=My\\040Disk /mnt/my\\040disk ext4 noauto\n"
		"tmpfs /tmp tmpfs mode=1777,size=2G 0 0\n"
		"proc /proc proc defaults 0 0\n"
		"/srv/data /export/data none bind 0 0\n"
		"fs-0123.efs.us-east-1.amazonaws.com:/ /efs nfs4 nfsvers=4.1,_netdev 0 0\n"
		"//server/share /mnt/cifs cifs credentials=/root/.c,_netdev,x-systemd.automount 0 0\n"
		"broken-single-field\n"
		"   # indented comment\n"
		"PARTUUID=0a1b-02 /boot/efi vfat umask=0077 0 1\n";
	struct nc_fstab f;
	const char *v;

	assert_int_equal(fstab_parse(t, &f), 0);
	assert_int_equal(f.n, 10);
	assert_string_equal(f.v[0].file, "/");
	assert_int_equal(f.v[0].line, 4);
	assert_int_equal(f.v[0].passno, 1);
	assert_string_equal(f.v[1].spec, "/dev/xvdb1");
	assert_int_equal(f.v[1].line, 5);
	assert_true(fstab_has_opt(f.v[1].opts, "nofail", NULL));
	assert_true(fstab_has_opt(f.v[1].opts, "x-systemd.device-timeout", &v));
	assert_string_equal(v, "5s");
	assert_false(fstab_has_opt(f.v[1].opts, "noauto", NULL));
	assert_string_equal(f.v[1].text, "/dev/xvdb1\t/data\txfs\tdefaults,nofail,x-systemd.device-timeout=5s\t0 2");
	assert_string_equal(f.v[2].vfstype, "swap");
	assert_string_equal(f.v[2].file, "none");
	assert_string_equal(f.v[3].spec, "LABEL=My Disk");
	assert_string_equal(f.v[3].file, "/mnt/my disk");
	assert_true(fstab_has_opt(f.v[3].opts, "noauto", NULL));
	assert_int_equal(f.v[3].freq, 0);
	assert_true(fstab_has_opt(f.v[6].opts, "bind", NULL));
	assert_true(fstab_has_opt(f.v[7].opts, "_netdev", NULL));
	assert_string_equal(f.v[7].vfstype, "nfs4");
	assert_true(fstab_has_opt(f.v[8].opts, "x-systemd.automount", NULL));
	assert_string_equal(f.v[9].spec, "PARTUUID=0a1b-02");
	assert_int_equal(f.v[9].line, 15);
	fstab_free(&f);
}

static void test_real_files(void **state)
{
	_cleanup_free_ char *rhel = fixture_read("rhel8/etc/fstab", NULL);
	_cleanup_free_ char *al1 = fixture_read("al1/etc/fstab", NULL);
	struct nc_fstab f;

	assert_int_equal(fstab_parse(rhel, &f), 0);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.v[0].spec, "/dev/mapper/rhel-root");
	assert_int_equal(f.v[0].line, 12);
	assert_string_equal(f.v[1].file, "/boot");
	assert_string_equal(f.v[2].vfstype, "swap");
	fstab_free(&f);

	assert_int_equal(fstab_parse(al1, &f), 0);
	assert_int_equal(f.n, 5);
	assert_string_equal(f.v[0].spec, "LABEL=/");
	assert_true(fstab_has_opt(f.v[0].opts, "noatime", NULL));
	fstab_free(&f);
}

static void test_unescape(void **state)
{
	_cleanup_free_ char *a = fstab_unescape("a\\040b\\011c\\134d");
	_cleanup_free_ char *b = fstab_unescape("\\000\\9\\04");
	_cleanup_free_ char *c = fstab_unescape("trail\\");

	assert_string_equal(a, "a b\tc\\d");
	assert_string_equal(b, "\\000\\9\\04");
	assert_string_equal(c, "trail\\");
}

static void test_garbage(void **state)
{
	static const char *const inputs[] = {
		"", "\n", "#", "a", "a b", "a b c d e f g h", "\\", "\\0", "a b c ,,,", "\xff \xfe",
	};

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct nc_fstab f;

		assert_int_equal(fstab_parse(inputs[i], &f), 0);
		for (size_t j = 0; j < f.n; j++) {
			assert_non_null(f.v[j].vfstype);
			assert_non_null(f.v[j].opts);
		}
		fstab_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_real_files),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("fstab", tests, NULL, NULL);
}
