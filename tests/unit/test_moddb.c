/* SPDX-License-Identifier: MIT */
/* modules.dep/.builtin/.alias/.builtin.modinfo of the real Debian kernels. */
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
#include "kernel/moddb.h"
#include "kver_test_util.h"

/* The installed kernels' versions (tests/newest-kver). */
#define GENERIC test_kver()
#define CLOUD test_kver_cloud()
#define ENA_MODALIAS "pci:v00001D0Fd0000EC20sv00001D0Fsd0000EC20bc02sc00i00"
#define EBS_MODALIAS "pci:v00001D0Fd00008061sv00001D0Fsd00008061bc01sc08i02"

typedef int (*loader)(struct moddb *db, const char *text, size_t len);

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* Load a real index file; returns what the loader returned. */
static int load(struct moddb *db, const char *path, loader fn, size_t *ret_lines)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	assert_int_equal(read_file_full(path, 64u << 20, &buf, &len), 0);
	if (ret_lines)
		*ret_lines = count_lines(buf, len);
	return fn(db, buf, len);
}

static struct moddb *load_kernel(const char *kver)
{
	struct moddb *db;
	_cleanup_free_ char *dep = strdup_printf("/lib/modules/%s/modules.dep", kver);
	_cleanup_free_ char *builtin = strdup_printf("/lib/modules/%s/modules.builtin", kver);
	_cleanup_free_ char *alias = strdup_printf("/lib/modules/%s/modules.alias", kver);
	_cleanup_free_ char *bmi = strdup_printf("/lib/modules/%s/modules.builtin.modinfo", kver);
	size_t lines;
	int r;

	assert_int_equal(moddb_new(&db), 0);
	r = load(db, dep, moddb_load_dep, &lines);
	assert_int_equal(r, (int)lines);
	assert_int_equal(moddb_n_modules(db), lines);
	r = load(db, builtin, moddb_load_builtin, &lines);
	assert_int_equal(r, (int)lines);
	r = load(db, alias, moddb_load_alias, &lines);
	/* The first line is the "# Aliases extracted from modules themselves." comment. */
	assert_int_equal(r, (int)lines - 1);
	assert_true(load(db, bmi, moddb_load_builtin_modinfo, NULL) > 500);
	return db;
}

static void test_generic_dep(void **state)
{
	struct moddb *db = load_kernel(GENERIC);
	const struct moddb_module *m;

	/* '-' and '_' are the same name. */
	m = moddb_find(db, "nvme-core");
	assert_non_null(m);
	assert_ptr_equal(m, moddb_find(db, "nvme_core"));
	assert_string_equal(m->name, "nvme_core");
	assert_string_equal(m->path, "kernel/drivers/nvme/host/nvme-core.ko");
	assert_true(strv_contains(m->deps, "t10_pi"));
	assert_true(strv_contains(m->deps, "crct10dif_common"));
	assert_int_equal(strv_length(m->deps), 5);

	m = moddb_find(db, "nvme");
	assert_non_null(m);
	assert_string_equal(m->deps[0], "nvme_core");
	m = moddb_find(db, "ena");
	assert_non_null(m);
	assert_string_equal(m->path, "kernel/drivers/net/ethernet/amazon/ena/ena.ko");
	assert_int_equal(strv_length(m->deps), 0);
	assert_null(moddb_find(db, "xen_blkfront_not_a_module"));

	/* nvme is a module in the generic kernel, not built in. */
	assert_false(moddb_is_builtin(db, "nvme"));
	assert_false(moddb_is_builtin(db, "nvme-core"));
	/* Built in everywhere: i8042 and unix (in modules.builtin). */
	assert_true(moddb_is_builtin(db, "unix"));
	assert_true(moddb_is_builtin(db, "i8042"));
	moddb_free(db);
}

static void test_cloud_builtin(void **state)
{
	struct moddb *db = load_kernel(CLOUD);
	_cleanup_strv_free_ char **vals = NULL;

	assert_true(moddb_is_builtin(db, "nvme"));
	assert_true(moddb_is_builtin(db, "nvme-core"));
	assert_null(moddb_find(db, "nvme"));
	assert_false(moddb_is_builtin(db, "ena"));
	assert_non_null(moddb_find(db, "ena"));
	/* nvme_core's parameters of a built-in nvme_core. */
	assert_true(moddb_builtin_modinfo_get(db, "nvme-core", "parmtype", &vals) >= 5);
	assert_true(strv_contains(vals, "io_timeout:uint"));
	strv_free(vals);
	vals = NULL;
	assert_int_equal(moddb_builtin_modinfo_get(db, "nvme", "version", &vals), 1);
	assert_string_equal(vals[0], "1.0");
	moddb_free(db);
}

static void test_alias_match(void **state)
{
	struct moddb *db = load_kernel(GENERIC);
	_cleanup_strv_free_ char **mods = NULL, **pats = NULL;

	assert_int_equal(moddb_match_alias(db, ENA_MODALIAS, &mods, &pats), 1);
	assert_string_equal(mods[0], "ena");
	assert_string_equal(pats[0], "pci:v00001D0Fd0000EC20sv*sd*bc*sc*i*");
	strv_free(mods);
	strv_free(pats);
	mods = pats = NULL;
	/* The EBS controller: nvme, by its id (the class pattern matches too,
	 * but one entry per module). */
	assert_int_equal(moddb_match_alias(db, EBS_MODALIAS, &mods, &pats), 1);
	assert_string_equal(mods[0], "nvme");
	strv_free(mods);
	mods = NULL;
	/* An Intel NIC is not ENA. */
	assert_int_equal(moddb_match_alias(db, "pci:v00008086d0000DEADsv0sd0bcFFsc00i00",
					   &mods, NULL), 0);
	moddb_free(db);
}

/* An out-of-tree ena from amzn-drivers, installed in updates/ under its own
 * name, is found through its alias. */
static void test_out_of_tree_alias(void **state)
{
	static const char dep[] = "updates/dkms/amzn-ena.ko.xz:\n";
	static const char alias[] =
		"# Aliases extracted from modules themselves.\n"
		"alias pci:v00001D0Fd0000EC20sv*sd*bc*sc*i* amzn_ena\n"
		"alias pci:v00001D0Fd0000EC21sv*sd*bc*sc*i* amzn_ena\n";
	struct moddb *db;
	_cleanup_strv_free_ char **mods = NULL, **pats = NULL;
	const struct moddb_module *m;

	assert_int_equal(moddb_new(&db), 0);
	assert_int_equal(moddb_load_dep(db, dep, strlen(dep)), 1);
	assert_int_equal(moddb_load_alias(db, alias, strlen(alias)), 2);
	assert_int_equal(moddb_match_alias(db, ENA_MODALIAS, &mods, &pats), 1);
	assert_string_equal(mods[0], "amzn_ena");
	m = moddb_find(db, mods[0]);
	assert_non_null(m);
	assert_string_equal(m->path, "updates/dkms/amzn-ena.ko.xz");
	moddb_free(db);
}

static void test_builtin_alias(void **state)
{
	static const char bmi[] = "nvme.alias=pci:v*d*sv*sd*bc01sc08i02*\0nvme.license=GPL\0";
	struct moddb *db;
	_cleanup_strv_free_ char **mods = NULL;

	assert_int_equal(moddb_new(&db), 0);
	assert_int_equal(moddb_load_builtin_modinfo(db, bmi, sizeof(bmi)), 2);
	assert_true(moddb_is_builtin(db, "nvme"));
	assert_int_equal(moddb_match_alias(db, EBS_MODALIAS, &mods, NULL), 1);
	assert_string_equal(mods[0], "nvme");
	moddb_free(db);
}

static void test_garbage(void **state)
{
	struct moddb *db;
	size_t len;
	_cleanup_free_ char *bin = NULL;
	_cleanup_free_ char *dep_bin = test_kver_str("/lib/modules/%s/modules.dep.bin", GENERIC);

	assert_int_equal(moddb_new(&db), 0);
	assert_int_equal(moddb_load_dep(db, "hello world\n", 12), -EINVAL);
	assert_int_equal(moddb_load_dep(db, "kernel/a.ko: b.txt\n", 19), -EINVAL);
	assert_int_equal(moddb_load_dep(db, "kernel/a.ko:\0\n", 14), -EINVAL);
	assert_int_equal(moddb_load_builtin(db, "kernel/a.ko extra\n", 18), -EINVAL);
	assert_int_equal(moddb_load_alias(db, "alias onlyone\n", 14), -EINVAL);
	assert_int_equal(moddb_load_alias(db, "options nvme x=1\n", 17), -EINVAL);
	assert_int_equal(moddb_load_builtin_modinfo(db, "novalue\0", 8), -EINVAL);
	assert_int_equal(moddb_load_builtin_modinfo(db, ".x=y\0", 5), -EINVAL);
	/* A binary index is not the text one. */
	assert_int_equal(read_file_full(dep_bin, 64u << 20, &bin, &len), 0);
	assert_int_equal(moddb_load_dep(db, bin, len), -EINVAL);
	assert_int_equal(moddb_load_alias(db, bin, len), -EINVAL);
	/* Empty files are valid and empty. */
	assert_int_equal(moddb_load_dep(db, "", 0), 0);
	assert_int_equal(moddb_n_modules(db), 0);
	assert_null(moddb_find(db, "nvme"));
	moddb_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generic_dep),
		cmocka_unit_test(test_cloud_builtin),
		cmocka_unit_test(test_alias_match),
		cmocka_unit_test(test_out_of_tree_alias),
		cmocka_unit_test(test_builtin_alias),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("moddb", tests, NULL, NULL);
}
