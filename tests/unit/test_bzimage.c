/* SPDX-License-Identifier: MIT */
/* bzImage / arm64 Image / ELF identification on the real Debian kernels. */
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
#include "kernel/bzimage.h"
#include "kver_test_util.h"

/* The installed kernels' versions (tests/newest-kver). */
#define GENERIC test_kver()
#define CLOUD test_kver_cloud()

static char *read_head(const char *path, size_t max, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(max);

	assert_non_null(f);
	assert_non_null(buf);
	*ret_len = fread(buf, 1, max, f);
	fclose(f);
	assert_true(*ret_len > 0);
	return buf;
}

/* The head of /boot/vmlinuz-KVER. */
static char *read_kernel_head(const char *kver, size_t *ret_len)
{
	_cleanup_free_ char *path = test_kver_str("/boot/vmlinuz-%s", kver);

	return read_head(path, KERNEL_IMAGE_HEAD_SIZE, ret_len);
}

static void check_real(const char *want)
{
	size_t len;
	_cleanup_free_ char *buf = read_kernel_head(want, &len);
	_cleanup_free_ char *version = NULL, *banner = NULL;
	const char *arch = NULL;

	assert_int_equal(bzimage_read_version(buf, len, &version, &banner), 0);
	assert_string_equal(version, want);
	/* "6.1.0-NN-amd64 (debian-kernel@lists.debian.org) #1 SMP ... Debian 6.1.x" */
	assert_non_null(startswith(banner, want));
	assert_non_null(strstr(banner, "debian-kernel@lists.debian.org"));
	assert_non_null(strstr(banner, "SMP"));
	assert_int_equal(kernel_image_arch(buf, len, &arch), 0);
	assert_string_equal(arch, "x86_64");
}

static void test_real_generic(void **state)
{
	check_real(GENERIC);
}

static void test_real_cloud(void **state)
{
	check_real(CLOUD);
}

/* Only the version or only the banner may be asked for. */
static void test_optional_outputs(void **state)
{
	size_t len;
	_cleanup_free_ char *buf = read_kernel_head(CLOUD, &len);
	_cleanup_free_ char *banner = NULL;
	_cleanup_free_ char *want = test_kver_str("%s ", CLOUD);

	assert_int_equal(bzimage_read_version(buf, len, NULL, NULL), 0);
	assert_int_equal(bzimage_read_version(buf, len, NULL, &banner), 0);
	assert_non_null(startswith(banner, want));
}

/* The string lies at kernel_version + 0x200: cut the buffer inside it. */
static void test_truncated(void **state)
{
	size_t len;
	_cleanup_free_ char *buf = read_kernel_head(GENERIC, &len);
	size_t str_off = (size_t)(((unsigned char)buf[0x20e] | ((unsigned char)buf[0x20f] << 8)) + 0x200);

	/* Every prefix: never a crash, never a version from outside the buffer. */
	for (size_t n = 0; n <= str_off + 64; n++) {
		char *v = NULL, *b = NULL;
		int r = bzimage_read_version(buf, n, &v, &b);

		if (n < 0x210)
			assert_int_equal(r, -ENOEXEC);
		else if (n <= str_off + strlen(GENERIC))
			assert_int_equal(r, -EINVAL);
		assert_true(r == 0 || (!v && !b));
		free(v);
		free(b);
	}
	assert_int_equal(bzimage_read_version(NULL, 0, NULL, NULL), -EINVAL);
}

static void test_bad_pointer(void **state)
{
	size_t len;
	_cleanup_free_ char *buf = read_kernel_head(GENERIC, &len);
	char *v = NULL;

	/* Points past the buffer. */
	buf[0x20e] = (char)0xff;
	buf[0x20f] = (char)0xff;
	assert_int_equal(bzimage_read_version(buf, len, &v, NULL), -EINVAL);
	assert_null(v);
	/* No kernel_version at all: recognised, but no version. */
	buf[0x20e] = buf[0x20f] = 0;
	assert_int_equal(bzimage_read_version(buf, len, &v, NULL), -ENODATA);
	/* Points at binary junk: 0x202 + 0x200 = 0x402, setup code. */
	buf[0x20e] = 0x02;
	assert_int_equal(bzimage_read_version(buf, len, &v, NULL), -EINVAL);
}

static void test_not_bzimage(void **state)
{
	char zero[4096] = { 0 };
	const char *arch = NULL;
	char *v = NULL;

	assert_int_equal(bzimage_read_version(zero, sizeof(zero), &v, NULL), -ENOEXEC);
	assert_int_equal(kernel_image_arch(zero, sizeof(zero), &arch), -ENOEXEC);
	memcpy(zero, "#!/bin/sh\necho HdrS\n", 20);
	assert_int_equal(bzimage_read_version(zero, sizeof(zero), &v, NULL), -ENOEXEC);
	assert_null(v);
}

/* A minimal arm64 Image header (booting.rst), with and without a banner. */
static void test_arm64_image(void **state)
{
	static const char banner[] =
		"Linux version 6.1.0-56-arm64 (debian-kernel@lists.debian.org) #1 SMP\n";
	char img[4096] = { 0 };
	_cleanup_free_ char *v = NULL, *b = NULL;
	const char *arch = NULL;

	img[0] = 'M';
	img[1] = 'Z';
	memcpy(img + 0x38, "ARM\x64", 4);
	assert_int_equal(bzimage_read_version(img, sizeof(img), &v, NULL), -ENODATA);
	assert_int_equal(kernel_image_arch(img, sizeof(img), &arch), 0);
	assert_string_equal(arch, "aarch64");
	/* A printk format first: skipped. */
	memcpy(img + 0x100, "Linux version %s", 16);
	memcpy(img + 0x400, banner, sizeof(banner) - 1);
	assert_int_equal(bzimage_read_version(img, sizeof(img), &v, &b), 0);
	assert_string_equal(v, "6.1.0-56-arm64");
	assert_string_equal(b, "6.1.0-56-arm64 (debian-kernel@lists.debian.org) #1 SMP");
	free(v);
	free(b);
	v = b = NULL;
	/* A banner cut by the end of the buffer, no NUL, no space after it. */
	memset(img + 0x100, 0, sizeof(img) - 0x100);
	memcpy(img + sizeof(img) - 21, "Linux version 6.1.0-x", 21);
	assert_int_equal(bzimage_read_version(img, sizeof(img), &v, &b), 0);
	assert_string_equal(v, "6.1.0-x");
	assert_string_equal(b, "6.1.0-x");
}

/* An ELF file: arch from e_machine (a real x86-64 module), no banner. */
static void test_elf(void **state)
{
	size_t len;
	_cleanup_free_ char *nvme_ko =
		test_kver_str("/lib/modules/%s/kernel/drivers/nvme/host/nvme.ko", GENERIC);
	_cleanup_free_ char *buf = read_head(nvme_ko, 1 << 20, &len);
	const char *arch = NULL;
	char *v = NULL;

	assert_int_equal(kernel_image_arch(buf, len, &arch), 0);
	assert_string_equal(arch, "x86_64");
	assert_int_equal(bzimage_read_version(buf, len, &v, NULL), -ENODATA);
	assert_null(v);
	/* Just the magic: recognised, not parseable. */
	assert_int_equal(kernel_image_arch(buf, 6, &arch), -ENOEXEC);
}

/* Protocol 2.12+ says 32 or 64 bit; earlier ones do not. */
static void test_arch_protocol(void **state)
{
	size_t len;
	_cleanup_free_ char *buf = read_kernel_head(GENERIC, &len);
	const char *arch = NULL;

	buf[0x236] &= ~1;     /* clear XLF_KERNEL_64 */
	assert_int_equal(kernel_image_arch(buf, len, &arch), 0);
	assert_string_equal(arch, "i386");
	buf[0x206] = 0x0a;    /* protocol 2.10 */
	assert_int_equal(kernel_image_arch(buf, len, &arch), -ENODATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_generic),
		cmocka_unit_test(test_real_cloud),
		cmocka_unit_test(test_optional_outputs),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_pointer),
		cmocka_unit_test(test_not_bzimage),
		cmocka_unit_test(test_arm64_image),
		cmocka_unit_test(test_elf),
		cmocka_unit_test(test_arch_protocol),
	};

	return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
