/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "common/util.h"
#include "boot_test_util.h"
#include "boot_check_util.h"
#include "facts/facts.h"

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

#define ROOT_UUID "2b6d4c1e-8a3f-4f0e-9d7a-5c1b2e3f4a5b"
#define DUP_UUID "9e8d7c6b-5a49-4837-a625-1403f2e1d0c9"

static const char checked_fstab[] =
	"UUID=" ROOT_UUID " / ext4 errors=remount-ro 0 1\n"          /* 1: resolves */
	"/dev/xvda15 /boot/efi vfat umask=0077 0 1\n"                   /* 2: xvd, no nofail */
	"/dev/xvdf /data xfs defaults,nofail 0 2\n"                     /* 3: xvd, nofail */
	"UUID=0000dead-beef-4000-8000-000000000000 /srv ext4 defaults 0 2\n" /* 4: dangling */
	"LABEL=scratch /scratch ext4 defaults,nofail 0 2\n"             /* 5: duplicate label */
	"UUID=" DUP_UUID " /var ext4 defaults 0 2\n"                    /* 6: duplicate uuid */
	"/dev/mapper/vg0-home /home ext4 defaults 0 2\n"                /* 7: LVM, fine */
	"/dev/disk/by-partuuid/4a1b2c3d-0001 /opt ext4 defaults 0 2\n"  /* 8: resolves */
	"/dev/sdb1 /usr ext4 defaults,nofail 0 2\n"                     /* 9: critical */
	"tmpfs /tmp tmpfs defaults 0 0\n"
	"server:/export /mnt/nfs nfs defaults 0 0\n"
	"/dev/disk/by-label/no\\x2fsuch /x ext4 defaults 0 2\n";       /* 12: dangling label */

static struct nc_partition parts[] = {
	{ .number = 1, .uuid = ROOT_UUID, .fstype = "ext4", .partuuid = "4A1B2C3D-0001" },
	{ .number = 2, .uuid = DUP_UUID, .fstype = "ext4", .label = "scratch" },
	{ .number = 3, .uuid = "aaaa-bbbb", .fstype = "vfat" },
};
static struct nc_partition volumes[] = {
	{ .device = "/dev/vg0/home", .uuid = DUP_UUID, .fstype = "ext4", .label = "scratch" },
};

static void build_facts(struct nc_facts *f, const char *fstab, bool layout)
{
	memset(f, 0, sizeof(*f));
	f->os.family = NC_FAMILY_DEBIAN;
	f->default_kernel = -1;
	f->have_layout = layout;
	f->layout.pttype = "gpt";
	f->layout.parts = parts;
	f->layout.n_parts = ARRAY_SIZE(parts);
	f->layout.volumes = volumes;
	f->layout.n_volumes = ARRAY_SIZE(volumes);
	f->boot.primary = -1;
	assert_int_equal(fstab_parse(fstab, &f->boot.fstab), 0);
	f->boot.have_fstab = true;
}

static void test_checks_with_layout(void **state)
{
	struct nc_facts f;
	struct nc_findings out;
	const struct nc_finding *x;

	build_facts(&f, checked_fstab, true);
	assert_int_equal(crypttab_parse("data /dev/xvdg none luks,nofail\nsecret UUID=aaaa-bbbb none luks\n",
					&f.boot.crypttab), 0);
	f.boot.have_crypttab = true;
	run_boot_rules(&f, &out);

	/* Device names: /boot/efi without nofail and /usr are errors, /data a warning. */
	assert_int_equal(finding_count(&out, "fstab-device-name"), 4);
	x = finding_nth(&out, "fstab-device-name", 0);
	assert_int_equal(x->severity, NC_SEV_ERROR);
	assert_string_equal(x->file, "/etc/fstab");
	assert_int_equal(x->line, 2);
	assert_string_equal(x->text, "/dev/xvda15 /boot/efi vfat umask=0077 0 1");
	assert_non_null(strstr(x->remediation, "replace /dev/xvda15 in /etc/fstab"));
	x = finding_nth(&out, "fstab-device-name", 1);
	assert_int_equal(x->line, 9);
	assert_int_equal(x->severity, NC_SEV_ERROR);
	/* Warnings sort by file: crypttab's nofail volume, then /data. */
	x = finding_nth(&out, "fstab-device-name", 2);
	assert_string_equal(x->file, "/etc/crypttab");
	assert_int_equal(x->line, 1);
	assert_int_equal(x->severity, NC_SEV_WARNING);
	x = finding_nth(&out, "fstab-device-name", 3);
	assert_int_equal(x->line, 3);
	assert_int_equal(x->severity, NC_SEV_WARNING);

	/* Dangling UUID and by-label; the LVM volume and PARTUUID resolve. */
	assert_int_equal(finding_count(&out, "fstab-ref-not-found"), 2);
	x = finding_nth(&out, "fstab-ref-not-found", 0);
	assert_int_equal(x->severity, NC_SEV_ERROR);
	assert_int_equal(x->line, 4);
	assert_non_null(strstr(x->message, "0000dead-beef-4000-8000-000000000000"));
	x = finding_nth(&out, "fstab-ref-not-found", 1);
	assert_int_equal(x->line, 12);
	assert_non_null(strstr(x->message, "LABEL no/such"));

	/* The same UUID and label on a partition and an LV. */
	assert_int_equal(finding_count(&out, "fstab-ref-duplicate"), 2);
	assert_int_equal(finding_nth(&out, "fstab-ref-duplicate", 0)->line, 5);
	assert_int_equal(finding_nth(&out, "fstab-ref-duplicate", 1)->line, 6);
	assert_non_null(strstr(finding_nth(&out, "fstab-ref-duplicate", 1)->message, "2 filesystems"));
	assert_int_equal(finding_count(&out, "fstab-refs-unverified"), 0);
	nc_findings_free(&out);
	fstab_free(&f.boot.fstab);
	crypttab_free(&f.boot.crypttab);
}

static void test_checks_without_layout(void **state)
{
	struct nc_facts f;
	struct nc_findings out;
	const struct nc_finding *x;

	build_facts(&f, checked_fstab, false);
	run_boot_rules(&f, &out);
	assert_int_equal(finding_count(&out, "fstab-ref-not-found"), 0);
	assert_int_equal(finding_count(&out, "fstab-ref-duplicate"), 0);
	assert_int_equal(finding_count(&out, "fstab-refs-unverified"), 1);
	x = finding_nth(&out, "fstab-refs-unverified", 0);
	assert_int_equal(x->severity, NC_SEV_INFO);
	assert_non_null(strstr(x->message, "6 device references"));
	/* Device names are judged without a layout. */
	assert_int_equal(finding_count(&out, "fstab-device-name"), 3);
	nc_findings_free(&out);
	fstab_free(&f.boot.fstab);
}

static void test_checks_clean(void **state)
{
	struct nc_facts f;
	struct nc_findings out;

	build_facts(&f, "UUID=" ROOT_UUID " / ext4 defaults 0 1\n"
		    "PARTUUID=4a1b2c3d-0001 /boot ext4 defaults 0 2\n"
		    "/dev/vg0/home /home ext4 defaults 0 2\nproc /proc proc defaults 0 0\n", true);
	run_boot_rules(&f, &out);
	for (size_t i = 0; i < out.n; i++)
		assert_false(startswith(out.v[i].rule_id, "fstab-"));
	nc_findings_free(&out);
	fstab_free(&f.boot.fstab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_real_files),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_checks_with_layout),
		cmocka_unit_test(test_checks_without_layout),
		cmocka_unit_test(test_checks_clean),
	};

	return cmocka_run_group_tests_name("fstab", tests, NULL, NULL);
}
