/* SPDX-License-Identifier: MIT */
/* Host-side image checks and the raw block layout (libblkid), on images the
 * test makes with the real tools: sfdisk, mkfs.ext4, mkfs.vfat, qemu-img. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "image/image.h"

static char tmpdir[] = "/tmp/nc-test-image-XXXXXX";

static char *tmp(const char *name)
{
	return path_join(tmpdir, name);
}

static void run(const char *cmd)
{
	int r = system(cmd);

	if (r != 0)
		fail_msg("command failed (%d): %s", r, cmd);
}

static void expect_probe_error(const char *path, int code, const char *needle)
{
	struct nc_err err = { 0 };
	char *fmt = NULL;

	assert_int_equal(image_probe(path, NULL, &fmt, &err), code);
	assert_null(fmt);
	if (!strstr(err.msg, path) || !strstr(err.msg, needle))
		fail_msg("'%s' should name %s and say '%s'", err.msg, path, needle);
}

static void test_probe_errors(void **state)
{
	char *missing = tmp("missing.img"), *empty = tmp("empty.img"), *trunc = tmp("t.qcow2");
	char *cmd;

	(void)state;
	expect_probe_error(missing, -ENOENT, "No such file");
	run(cmd = strdup_printf("touch %s", empty));
	free(cmd);
	expect_probe_error(empty, -EINVAL, "empty file");
	expect_probe_error(tmpdir, -EISDIR, "--root");
	/* a qcow2 whose L1/refcount tables are past the end of the file */
	run(cmd = strdup_printf("qemu-img create -q -f qcow2 %s.full 64G && "
				"head -c 131072 %s.full > %s", trunc, trunc, trunc));
	free(cmd);
	expect_probe_error(trunc, -EINVAL, "truncated");
	free(missing);
	free(empty);
	free(trunc);
}

static void test_probe_formats(void **state)
{
	char *q = tmp("ok.qcow2"), *raw = tmp("ok.raw"), *cmd, *fmt = NULL;
	struct nc_err err = { 0 };

	(void)state;
	run(cmd = strdup_printf("qemu-img create -q -f qcow2 %s 1G && truncate -s 1M %s", q, raw));
	free(cmd);
	assert_int_equal(image_probe(q, NULL, &fmt, &err), 0);
	assert_string_equal(fmt, "qcow2");
	free(fmt);
	assert_int_equal(image_probe(raw, NULL, &fmt, &err), 0);
	assert_string_equal(fmt, "raw");
	free(fmt);
	/* a forced format that contradicts the magic */
	assert_int_equal(image_probe(q, "vmdk", &fmt, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "looks like qcow2"));
	free(q);
	free(raw);
}

/* GPT with a BIOS boot partition, an ESP (vfat) and an ext4 root. */
static void test_layout_raw_gpt(void **state)
{
	char *img = tmp("gpt.raw"), *cmd;
	struct nc_block_layout l = { 0 };
	struct nc_err err = { 0 };
	bool esp = false, bios = false, root = false;

	(void)state;
	run(cmd = strdup_printf(
		    "truncate -s 64M %s && printf '%%s\\n' 'label: gpt' "
		    "'label-id: 11111111-2222-3333-4444-555555555555' "
		    "'start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649' "
		    "'start=4096, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp' "
		    "'start=20480, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, "
		    "uuid=AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE, name=root' | sfdisk -q %s && "
		    "mkfs.vfat -i 1234ABCD --offset 4096 %s 8192 >/dev/null && "
		    "mkfs.ext4 -q -F -U 0f5a1cc5-0000-4000-8000-000000000001 -L rootfs "
		    "-E offset=%d %s 20000k",
		    img, img, img, 20480 * 512, img));
	free(cmd);
	assert_int_equal(layout_probe_raw(img, &l, &err), 0);
	assert_string_equal(l.pttype, "gpt");
	assert_string_equal(l.disk_id, "11111111-2222-3333-4444-555555555555");
	assert_int_equal(l.n_parts, 3);
	for (size_t i = 0; i < l.n_parts; i++) {
		const struct nc_partition *p = &l.parts[i];

		if (p->is_bios_boot)
			bios = true;
		if (p->is_esp) {
			esp = true;
			assert_string_equal(p->fstype, "vfat");
			assert_string_equal(p->uuid, "1234-ABCD");
			assert_string_equal(p->partlabel, "esp");
		}
		if (p->number == 3) {
			root = true;
			assert_string_equal(p->fstype, "ext4");
			assert_string_equal(p->uuid, "0f5a1cc5-0000-4000-8000-000000000001");
			assert_string_equal(p->label, "rootfs");
			assert_string_equal(p->partuuid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
			assert_int_equal(p->start, 20480ULL * 512);
		}
	}
	assert_true(esp && bios && root);
	nc_block_layout_free(&l);
	free(img);
}

static void test_layout_raw_garbage(void **state)
{
	char *img = tmp("random.raw"), *cmd;
	struct nc_block_layout l = { 0 };
	struct nc_err err = { 0 };

	(void)state;
	run(cmd = strdup_printf("head -c 4194304 /dev/urandom > %s", img));
	free(cmd);
	assert_int_equal(layout_probe_raw(img, &l, &err), -ENODATA);
	assert_non_null(strstr(err.msg, "no partition table or filesystem"));
	free(img);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = strdup_printf("rm -rf '%s'", tmpdir);
	int r = system(cmd);

	(void)state;
	free(cmd);
	return r == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_errors),
		cmocka_unit_test(test_probe_formats),
		cmocka_unit_test(test_layout_raw_gpt),
		cmocka_unit_test(test_layout_raw_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
