/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"

static void test_crypttab(void **state)
{
	static const char t[] =
		"# <target name>\t<source device>\t\t<key file>\t<options>\n"
		"cryptdata UUID=11111111-2222-3333-4444-555555555555 none luks,discard\n"
		"  swap\t/dev/xvdb2\t/dev/urandom\tswap,cipher=aes-xts-plain64,size=256\n"
		"cryptvol /dev/disk/by-partuuid/0a1b2c3d-02\n"
		"backup /dev/sdc1 /etc/keys/backup.key luks,nofail,x-systemd.device-timeout=10\n"
		"lonely\n";
	struct nc_crypttab c;
	const char *v;

	assert_int_equal(crypttab_parse(t, &c), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.v[0].name, "cryptdata");
	assert_string_equal(c.v[0].device, "UUID=11111111-2222-3333-4444-555555555555");
	assert_string_equal(c.v[0].keyfile, "none");
	assert_true(fstab_has_opt(c.v[0].opts, "discard", NULL));
	assert_int_equal(c.v[0].line, 2);
	assert_string_equal(c.v[1].device, "/dev/xvdb2");
	assert_true(fstab_has_opt(c.v[1].opts, "cipher", &v));
	assert_string_equal(v, "aes-xts-plain64");
	assert_int_equal(c.v[1].line, 3);
	assert_null(c.v[2].keyfile);
	assert_int_equal(strv_length(c.v[2].opts), 0);
	assert_true(fstab_has_opt(c.v[3].opts, "nofail", NULL));
	assert_string_equal(c.v[3].text, "backup /dev/sdc1 /etc/keys/backup.key luks,nofail,x-systemd.device-timeout=10");
	crypttab_free(&c);
}

static void test_garbage(void **state)
{
	static const char *const inputs[] = { "", "a", "a b c d e", ",,, ,,,", "\\0 \\1", "\xff\xfe x" };

	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct nc_crypttab c;

		assert_int_equal(crypttab_parse(inputs[i], &c), 0);
		crypttab_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crypttab),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("crypttab", tests, NULL, NULL);
}
