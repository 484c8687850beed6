/* SPDX-License-Identifier: MIT */
/* .modinfo of real Debian 12 modules, plain and compressed, and garbage. */
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
#include "kernel/modinfo.h"
#include "kver_test_util.h"

/* Under /lib/modules/V/kernel/drivers/ of the installed generic kernel V. */
#define NVME_CORE_KO "nvme/host/nvme-core.ko"
#define NVME_KO "nvme/host/nvme.ko"
#define ENA_KO "net/ethernet/amazon/ena/ena.ko"

struct fixture {
	char dir[64];
};

static char *slurp(const char *path, size_t *ret_len)
{
	char *buf = NULL;

	assert_int_equal(read_file_full(path, 64u << 20, &buf, ret_len), 0);
	return buf;
}

/* A module of the installed generic kernel (free() it). */
static char *module_path(const char *rel)
{
	return test_kver_str("/lib/modules/%s/kernel/drivers/%s", test_kver(), rel);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	_cleanup_free_ char *cmd = NULL;
	_cleanup_free_ char *nvme_core = module_path(NVME_CORE_KO), *ena = module_path(ENA_KO);
	_cleanup_free_ char *nvme = module_path(NVME_KO);

	strcpy(f->dir, "/tmp/nc-modinfo-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* The compressed forms distributions ship, made by the real tools. */
	cmd = strdup_printf("set -e; cd %s; "
			    "xz --check=crc32 -c %s > nvme-core.ko.xz; "
			    "zstd -q -c %s > ena.ko.zst; "
			    "gzip -c %s > nvme.ko.gz; "
			    "head -c 20000 nvme-core.ko.xz > truncated.ko.xz; "
			    "head -c 300 /dev/urandom > random.bin; "
			    "printf '\\375""7zXZ\\000garbage' > fake.ko.xz",
			    f->dir, nvme_core, ena, nvme);
	if (system(cmd) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *cmd = strdup_printf("rm -rf %s", f->dir);

	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void parse_file(const char *path, int want, struct nc_modinfo *mi)
{
	size_t len;
	_cleanup_free_ char *buf = slurp(path, &len);

	assert_int_equal(modinfo_parse(buf, len, 0, mi), want);
}

static char *fixture_path(void **state, const char *name)
{
	struct fixture *f = *state;

	return strdup_printf("%s/%s", f->dir, name);
}

static void check_nvme_core(const struct nc_modinfo *mi)
{
	_cleanup_free_ char *vermagic =
		test_kver_str("%s SMP preempt mod_unload modversions ", test_kver());

	assert_string_equal(mi->name, "nvme_core");
	assert_string_equal(mi->vermagic, vermagic);
	assert_string_equal(mi->version, "1.0");
	assert_true(mi->intree);
	assert_string_equal(mi->license, "GPL");
	assert_int_equal(strv_length(mi->depends), 1);
	assert_string_equal(mi->depends[0], "t10_pi");   /* "t10-pi" normalised */
	assert_string_equal(modinfo_parmtype(mi, "io_timeout"), "uint");
	assert_string_equal(modinfo_parmtype(mi, "max_retries"), "byte");
	assert_null(modinfo_parmtype(mi, "io_timeou"));
	assert_null(modinfo_parmtype(mi, "nonexistent"));
}

static void test_nvme_core(void **state)
{
	_cleanup_free_ char *path = module_path(NVME_CORE_KO);
	struct nc_modinfo mi;

	parse_file(path, 0, &mi);
	check_nvme_core(&mi);
	assert_null(mi.compression);
	modinfo_clear(&mi);
	assert_null(mi.name);
}

/* The in-tree ena of 6.1 has no version field and no depends. */
static void test_ena(void **state)
{
	_cleanup_free_ char *path = module_path(ENA_KO);
	struct nc_modinfo mi;

	parse_file(path, 0, &mi);
	assert_string_equal(mi.name, "ena");
	assert_null(mi.version);
	assert_non_null(mi.depends);
	assert_int_equal(strv_length(mi.depends), 0);
	assert_true(strv_contains(mi.aliases, "pci:v00001D0Fd0000EC20sv*sd*bc*sc*i*"));
	assert_true(strv_contains(mi.aliases, "pci:v00001D0Fd0000EC21sv*sd*bc*sc*i*"));
	modinfo_clear(&mi);
}

static void test_xz(void **state)
{
	_cleanup_free_ char *p = fixture_path(state, "nvme-core.ko.xz");
	struct nc_modinfo mi;

	parse_file(p, 0, &mi);
	check_nvme_core(&mi);
	assert_string_equal(mi.compression, "xz");
	modinfo_clear(&mi);
}

static void test_zstd(void **state)
{
	_cleanup_free_ char *p = fixture_path(state, "ena.ko.zst");
	struct nc_modinfo mi;

	parse_file(p, 0, &mi);
	assert_string_equal(mi.name, "ena");
	assert_string_equal(mi.compression, "zstd");
	assert_true(strv_contains(mi.aliases, "pci:v00001D0Fd0000EC20sv*sd*bc*sc*i*"));
	modinfo_clear(&mi);
}

static void test_gzip(void **state)
{
	_cleanup_free_ char *p = fixture_path(state, "nvme.ko.gz");
	struct nc_modinfo mi;

	parse_file(p, 0, &mi);
	assert_string_equal(mi.name, "nvme");
	assert_string_equal(mi.compression, "gzip");
	assert_int_equal(strv_length(mi.depends), 1);
	assert_string_equal(mi.depends[0], "nvme_core");
	modinfo_clear(&mi);
}

/* The cap on the decompressed size holds, and is exact. */
static void test_decompress_cap(void **state)
{
	_cleanup_free_ char *p = fixture_path(state, "nvme-core.ko.xz"), *plain = NULL;
	_cleanup_free_ char *plain_path = module_path(NVME_CORE_KO);
	size_t len, plain_len;
	_cleanup_free_ char *buf = slurp(p, &len);
	struct nc_modinfo mi;
	void *out = NULL;
	size_t out_len = 0;
	const char *kind = NULL;

	plain = slurp(plain_path, &plain_len);
	assert_int_equal(modinfo_parse(buf, len, 4096, &mi), -EFBIG);
	assert_null(mi.name);
	assert_int_equal(modinfo_decompress(buf, len, plain_len - 1, &out, &out_len, &kind), -EFBIG);
	assert_null(out);
	assert_int_equal(modinfo_decompress(buf, len, plain_len, &out, &out_len, &kind), 1);
	assert_string_equal(kind, "xz");
	assert_int_equal(out_len, plain_len);
	assert_memory_equal(out, plain, plain_len);
	free(out);
	/* Not compressed: nothing to do. */
	assert_int_equal(modinfo_decompress(plain, plain_len, 0, &out, &out_len, &kind), 0);
	assert_null(out);
}

static void test_garbage(void **state)
{
	static const char *const bad[][2] = {
		{ "truncated.ko.xz", "EINVAL" },
		{ "fake.ko.xz", "EINVAL" },
		{ "random.bin", "ENOEXEC" },
	};
	struct nc_modinfo mi;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *p = fixture_path(state, bad[i][0]);
		size_t len;
		_cleanup_free_ char *buf = slurp(p, &len);
		int r = modinfo_parse(buf, len, 0, &mi);

		/* random.bin may start with a compression magic by chance. */
		if (streq(bad[i][1], "EINVAL"))
			assert_int_equal(r, -EINVAL);
		else
			assert_true(r == -ENOEXEC || r == -EINVAL);
		assert_null(mi.name);
	}
	/* An ELF executable is not a module. */
	parse_file("/bin/true", -ENOEXEC, &mi);
	assert_int_equal(modinfo_parse("", 0, 0, &mi), -ENOEXEC);
	assert_int_equal(modinfo_parse(NULL, 0, 0, &mi), -EINVAL);
}

/* Every prefix of a real module, and a module with its section table
 * smashed: an error or a result, never a crash (ASan checks the reads). */
static void test_truncated_and_corrupt(void **state)
{
	size_t len;
	_cleanup_free_ char *path = module_path(NVME_KO);
	_cleanup_free_ char *buf = slurp(path, &len);
	struct nc_modinfo mi;
	size_t ok = 0;

	for (size_t n = 0; n < len; n += (n < 4096 ? 1 : 997)) {
		int r = modinfo_parse(buf, n, 0, &mi);

		assert_true(r == 0 || r == -EINVAL || r == -ENOEXEC);
		if (r == 0)
			ok++;
		modinfo_clear(&mi);
	}
	/* .modinfo sits early, the section table at the end: short prefixes fail. */
	assert_int_equal(modinfo_parse(buf, 64, 0, &mi), -EINVAL);
	assert_true(ok < len / 997);
	/* Flip bytes across the ELF header and section headers. */
	for (size_t off = 0; off < 64; off++) {
		_cleanup_free_ char *copy = malloc(len);

		memcpy(copy, buf, len);
		copy[off] ^= 0xff;
		modinfo_parse(copy, len, 0, &mi);
		modinfo_clear(&mi);
	}
}

static void test_names(void **state)
{
	_cleanup_free_ char *a = module_name_from_path("kernel/drivers/nvme/host/nvme-core.ko.xz");
	_cleanup_free_ char *b = module_name_from_path("/lib/modules/x/updates/ena.ko");
	_cleanup_free_ char *c = module_name_from_path("extra/amzn-ena.ko.zst");
	char s[] = "crc64-rocksoft";

	assert_string_equal(a, "nvme_core");
	assert_string_equal(b, "ena");
	assert_string_equal(c, "amzn_ena");
	assert_null(module_name_from_path("kernel/.ko"));
	assert_string_equal(module_name_normalize(s), "crc64_rocksoft");
	assert_true(module_path_is_module("a/b.ko.gz"));
	assert_false(module_path_is_module("a/b.ko.bz2"));
	assert_false(module_path_is_module("modules.dep"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme_core),
		cmocka_unit_test(test_ena),
		cmocka_unit_test(test_xz),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_decompress_cap),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("modinfo", tests, setup, teardown);
}
