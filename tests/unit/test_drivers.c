/* SPDX-License-Identifier: MIT */
/*
 * Driver resolution and the kernel checks, on small snapshot trees made of
 * the real Debian 12 kernels and modules: generic (nvme modules), cloud
 * (nvme built in), compressed modules, a vermagic mismatch, a missing
 * dependency, an out-of-tree ena found only by its alias, garbage.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"
#include "kernel/kernel.h"
#include "rules/rules.h"
#include "kver_test_util.h"

/* The installed kernels' versions (tests/newest-kver). */
#define GENERIC test_kver()
#define CLOUD test_kver_cloud()
#define NVME_MODS "kernel/drivers/nvme/host/nvme.ko kernel/drivers/nvme/host/nvme-core.ko " \
	"kernel/block/t10-pi.ko kernel/lib/crc64-rocksoft.ko kernel/lib/crc-t10dif.ko " \
	"kernel/lib/crc64.ko kernel/crypto/crct10dif_common.ko"
#define ENA_MOD "kernel/drivers/net/ethernet/amazon/ena/ena.ko"
#define ENA_PATTERN "pci:v00001D0Fd0000EC20sv*sd*bc*sc*i*"

/* ---- fixtures ------------------------------------------------------------ */

struct specs {
	struct nc_driver_spec *v;
	size_t n;
};

struct tree {
	char tmp[64];
	char *root;
	char *moddir;           /* host path of /lib/modules/<v> */
	struct nc_snapshot snap;
	struct nc_kernel *k;
	size_t n;
};

static void run(const char *fmt, ...) NC_PRINTF(1, 2);
static void run(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static char **json_strv(json_t *a)
{
	char **v = calloc(1, sizeof(char *));
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e)
		assert_int_equal(strv_extend(&v, json_string_value(e)), 0);
	return v;
}

static char *json_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

/* The driver specs as shipped in rules/drivers.json. */
static void specs_load(struct specs *s)
{
	const char *src = getenv("NC_SOURCE_ROOT");
	_cleanup_free_ char *path = strdup_printf("%s/rules/drivers.json", src ? src : ".");
	json_t *root = json_load_file(path, 0, NULL), *arr, *o;
	size_t i;

	assert_non_null(root);
	arr = json_object_get(root, "drivers");
	s->n = json_array_size(arr);
	s->v = calloc(s->n, sizeof(*s->v));
	json_array_foreach(arr, i, o) {
		s->v[i].name = json_str(o, "name");
		s->v[i].role = json_str(o, "role");
		s->v[i].modules = json_strv(json_object_get(o, "modules"));
		s->v[i].config = json_strv(json_object_get(o, "config"));
		s->v[i].aliases = json_strv(json_object_get(o, "aliases"));
		s->v[i].min_version_warn = json_str(o, "min_version_warn");
		s->v[i].min_version_error = json_str(o, "min_version_error");
	}
	json_decref(root);
}

static void specs_free(struct specs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].role);
		strv_free(s->v[i].modules);
		strv_free(s->v[i].config);
		strv_free(s->v[i].aliases);
		free(s->v[i].min_version_warn);
		free(s->v[i].min_version_error);
	}
	free(s->v);
}

/*
 * A snapshot with one kernel named kver, made of the files of the real
 * kernel src: its bzImage head (or, when kver differs, a stub image whose
 * version comes from the file name), its config, the depmod indexes and
 * the listed modules.
 */
static void tree_make(struct tree *t, const char *kver, const char *src, const char *modules)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->tmp, "/tmp/nc-drivers-XXXXXX");
	assert_non_null(mkdtemp(t->tmp));
	t->root = path_join(t->tmp, "root");
	t->moddir = strdup_printf("%s/lib/modules/%s", t->root, kver);
	run("set -e; mkdir -p %s/boot %s; "
	    "if [ %s = %s ]; then head -c 65536 /boot/vmlinuz-%s > %s/boot/vmlinuz-%s; "
	    "else echo stub > %s/boot/vmlinuz-%s; fi; "
	    "cp /boot/config-%s %s/boot/config-%s; "
	    "cd /lib/modules/%s; cp modules.dep modules.builtin modules.alias "
	    "modules.builtin.modinfo %s/; cp --parents %s %s/",
	    t->root, t->moddir, kver, src, src, t->root, kver, t->root, kver,
	    src, t->root, kver, src, t->moddir, modules, t->moddir);
}

static void tree_resolve(struct tree *t, const struct specs *s)
{
	struct nc_err err = { 0 };

	t->snap.root = t->root;
	t->snap.rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->snap.rootfd >= 0);
	assert_int_equal(kernel_discover(&t->snap, &t->k, &t->n, &err), 1);
	assert_int_equal(kernel_resolve_drivers(&t->snap, &t->k[0], s->v, s->n, &err), 0);
	assert_int_equal(t->k[0].n_drivers, s->n);
}

static void tree_free(struct tree *t)
{
	run("rm -rf %s", t->tmp);
	if (t->snap.rootfd > 0)
		close(t->snap.rootfd);
	kernels_free(t->k, t->n);
	free(t->root);
	free(t->moddir);
}

static const struct nc_driver *driver(const struct tree *t, const char *name)
{
	for (size_t i = 0; i < t->k[0].n_drivers; i++)
		if (streq(t->k[0].drivers[i].spec->name, name))
			return &t->k[0].drivers[i];
	fail_msg("no driver %s", name);
	return NULL;
}

static int setup(void **state)
{
	struct specs *s = calloc(1, sizeof(*s));

	specs_load(s);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	specs_free(*state);
	free(*state);
	return 0;
}

/* ---- resolution ---------------------------------------------------------- */

static void test_specs_file(void **state)
{
	const struct specs *s = *state;

	assert_int_equal(s->n, 2);
	assert_string_equal(s->v[0].name, "nvme");
	assert_true(strv_contains(s->v[0].modules, "nvme-core"));
	assert_string_equal(s->v[1].name, "ena");
	assert_string_equal(s->v[1].min_version_warn, "2.2.9");
	assert_string_equal(s->v[1].min_version_error, "1.2");
}

static void test_generic(void **state)
{
	struct tree t;
	const struct nc_driver *nvme, *ena;

	tree_make(&t, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	tree_resolve(&t, *state);
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_MODULE);
	assert_int_equal(nvme->n_modules, 2);
	assert_string_equal(nvme->modules[0].name, "nvme");
	assert_kver_string_equal(nvme->modules[0].path,
				 "/lib/modules/%s/kernel/drivers/nvme/host/nvme.ko", GENERIC);
	assert_string_equal(nvme->modules[0].found_by, "modules.dep");
	assert_string_equal(nvme->modules[0].version, "1.0");
	assert_true(nvme->modules[0].vermagic_ok);
	assert_kver_prefix(nvme->modules[0].vermagic, "%s SMP", GENERIC);
	assert_string_equal(nvme->modules[0].depends[0], "nvme_core");
	assert_null(nvme->modules[0].missing_depends);
	assert_string_equal(nvme->modules[1].name, "nvme_core");
	assert_int_equal(nvme->modules[1].status, NC_DRV_MODULE);
	assert_string_equal(nvme->modules[1].depends[0], "t10_pi");

	/* In-tree ena has no version: judged by its kernel, and says so. */
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_MODULE);
	assert_null(ena->modules[0].version);
	assert_kver_string_equal(ena->modules[0].found_by,
				 "modules.dep (in-tree, no version field: judged by its kernel %s)", GENERIC);
	assert_string_equal(t.k[0].nvme_io_timeout_type, "uint");
	tree_free(&t);
}

/* The cloud kernel has nvme built in: no nvme.ko anywhere, and fine. */
static void test_cloud(void **state)
{
	struct tree t;
	const struct nc_driver *nvme, *ena;

	tree_make(&t, CLOUD, CLOUD, ENA_MOD);
	tree_resolve(&t, *state);
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_BUILTIN);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(nvme->modules[i].status, NC_DRV_BUILTIN);
		assert_string_equal(nvme->modules[i].found_by, "modules.builtin");
		assert_null(nvme->modules[i].path);
	}
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_MODULE);
	assert_true(ena->modules[0].vermagic_ok);
	/* From modules.builtin.modinfo. */
	assert_string_equal(t.k[0].nvme_io_timeout_type, "uint");
	tree_free(&t);
}

/* Without /lib/modules at all, the config still tells built-in drivers. */
static void test_config_only(void **state)
{
	struct tree t;
	const struct nc_driver *nvme, *ena;

	tree_make(&t, CLOUD, CLOUD, ENA_MOD);
	run("rm -rf %s", t.moddir);
	tree_resolve(&t, *state);
	assert_null(t.k[0].modules_dir);
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_BUILTIN);
	assert_string_equal(nvme->modules[0].found_by, "CONFIG_BLK_DEV_NVME=y");
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_MISSING);
	assert_kver_string_equal(ena->modules[0].error, "no /lib/modules/%s", CLOUD);
	assert_null(t.k[0].nvme_io_timeout_type);
	tree_free(&t);
}

/* Distributions ship .ko.xz (Fedora, SUSE), .ko.zst (Arch, Ubuntu 24.04),
 * .ko.gz: the same verdicts from the compressed files. */
static void test_compressed(void **state)
{
	struct tree t;
	const struct nc_driver *nvme, *ena;

	tree_make(&t, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	run("set -e; cd %s; xz kernel/drivers/nvme/host/nvme.ko kernel/drivers/nvme/host/nvme-core.ko; "
	    "zstd -q --rm " ENA_MOD "; gzip kernel/block/t10-pi.ko; "
	    "sed -i -e 's,nvme.ko,nvme.ko.xz,g; s,nvme-core.ko,nvme-core.ko.xz,g' "
	    "-e 's,ena.ko,ena.ko.zst,g; s,t10-pi.ko,t10-pi.ko.gz,g' modules.dep",
	    t.moddir);
	tree_resolve(&t, *state);
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_MODULE);
	assert_non_null(strstr(nvme->modules[0].path, "/nvme.ko.xz"));
	assert_string_equal(nvme->modules[0].version, "1.0");
	assert_non_null(strstr(nvme->modules[1].path, "/nvme-core.ko.xz"));
	assert_int_equal(nvme->modules[1].status, NC_DRV_MODULE);
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_MODULE);
	assert_true(endswith(ena->modules[0].path, "/ena.ko.zst"));
	assert_string_equal(t.k[0].nvme_io_timeout_type, "uint");
	tree_free(&t);
}

/* /lib/modules/<v> copied from another kernel: every module refuses. */
static void test_vermagic_mismatch(void **state)
{
	struct tree t;
	const struct nc_driver *nvme, *ena;

	tree_make(&t, "6.1.0-99-amd64", GENERIC, NVME_MODS " " ENA_MOD);
	tree_resolve(&t, *state);
	assert_string_equal(t.k[0].version, "6.1.0-99-amd64");
	assert_string_equal(t.k[0].version_source, "file name");
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_UNUSABLE);
	assert_false(ena->modules[0].vermagic_ok);
	assert_kver_substring(ena->modules[0].error,
			      "vermagic \"%s SMP preempt mod_unload modversions\" "
			      "does not match kernel 6.1.0-99-amd64", GENERIC);
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_UNUSABLE);
	assert_int_equal(nvme->modules[0].status, NC_DRV_UNUSABLE);
	assert_int_equal(nvme->modules[1].status, NC_DRV_UNUSABLE);
	tree_free(&t);
}

/* t10-pi gone: nvme-core cannot load, hence neither can nvme. */
static void test_missing_dependency(void **state)
{
	struct tree t;
	const struct nc_driver *nvme;

	tree_make(&t, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	run("rm %s/kernel/block/t10-pi.ko", t.moddir);
	tree_resolve(&t, *state);
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_UNUSABLE);
	assert_true(nvme->modules[0].vermagic_ok);
	assert_int_equal(strv_length(nvme->modules[0].missing_depends), 1);
	assert_string_equal(nvme->modules[0].missing_depends[0], "nvme_core");
	assert_int_equal(nvme->modules[1].status, NC_DRV_UNUSABLE);
	assert_int_equal(strv_length(nvme->modules[1].missing_depends), 1);
	assert_string_equal(nvme->modules[1].missing_depends[0], "t10_pi");
	assert_non_null(strstr(nvme->modules[1].error, "depends on t10_pi"));
	assert_int_equal(driver(&t, "ena")->status, NC_DRV_MODULE);
	tree_free(&t);
}

/* amzn-drivers' ena installed as extra/amzn-ena.ko: not by name, by alias. */
static void test_out_of_tree_alias(void **state)
{
	struct tree t;
	const struct nc_driver *ena;

	tree_make(&t, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	run("set -e; cd %s; mkdir extra; mv " ENA_MOD " extra/amzn-ena.ko; "
	    "sed -i '/\\/ena.ko:/d' modules.dep; echo 'extra/amzn-ena.ko:' >> modules.dep; "
	    "sed -i -e '/ ena$/d' -e 's/^\\(alias pci:v00001D0Fd0000EC2[01]sv\\*sd\\*bc\\*sc\\*i\\*\\) .*/\\1 amzn_ena/' modules.alias; "
	    "! grep -q ' ena$' modules.alias; grep -q 'EC20.* amzn_ena$' modules.alias || "
	    "echo 'alias " ENA_PATTERN " amzn_ena' >> modules.alias",
	    t.moddir);
	tree_resolve(&t, *state);
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_MODULE);
	assert_string_equal(ena->modules[0].name, "amzn_ena");
	assert_kver_string_equal(ena->modules[0].path, "/lib/modules/%s/extra/amzn-ena.ko", GENERIC);
	assert_non_null(startswith(ena->modules[0].found_by, "modules.alias " ENA_PATTERN));
	assert_true(ena->modules[0].vermagic_ok);
	tree_free(&t);
}

static void test_missing_and_garbage(void **state)
{
	struct tree t;
	const struct nc_driver *nvme, *ena;

	/* ena listed in modules.dep, file gone; nvme.ko replaced by junk. */
	tree_make(&t, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	run("set -e; cd %s; rm " ENA_MOD "; head -c 5000 /dev/urandom > kernel/drivers/nvme/host/nvme.ko",
	    t.moddir);
	tree_resolve(&t, *state);
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_MISSING);
	assert_non_null(strstr(ena->modules[0].error, "but the file is absent"));
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_UNUSABLE);
	assert_non_null(strstr(nvme->modules[0].error, "cannot read its .modinfo"));
	assert_int_equal(nvme->modules[1].status, NC_DRV_MODULE);
	tree_free(&t);

	/* Not in modules.dep, no alias: missing. */
	tree_make(&t, GENERIC, GENERIC, NVME_MODS);
	run("set -e; cd %s; sed -i '/\\/ena.ko:/d' modules.dep; sed -i '/ ena$/d' modules.alias", t.moddir);
	tree_resolve(&t, *state);
	ena = driver(&t, "ena");
	assert_int_equal(ena->status, NC_DRV_MISSING);
	assert_kver_string_equal(ena->modules[0].error,
				 "ena is neither built in nor a module in /lib/modules/%s", GENERIC);
	assert_int_equal(driver(&t, "nvme")->status, NC_DRV_MODULE);
	tree_free(&t);

	/* A modules.dep that is not one. */
	tree_make(&t, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	run("head -c 3000 /dev/urandom | base64 > %s/modules.dep", t.moddir);
	tree_resolve(&t, *state);
	nvme = driver(&t, "nvme");
	assert_int_equal(nvme->status, NC_DRV_MISSING);
	assert_non_null(strstr(nvme->modules[0].error, "modules.dep: not in the depmod format"));
	tree_free(&t);
}

/* ---- checks -------------------------------------------------------------- */

/* nc_finding_add() belongs to the rule engine; the checks are tested
 * against this recorder. */
int nc_finding_add(struct nc_findings *out, const struct nc_rule *r,
		   const struct nc_facts *facts, enum nc_severity sev,
		   const struct nc_where *where, const char *const *vars,
		   const char *fmt, ...)
{
	struct nc_finding *f;
	va_list ap;

	out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->rule_id = strdup(r->id);
	f->severity = sev;
	f->kernel = where && where->kernel ? strdup(where->kernel) : NULL;
	f->file = where && where->file ? strdup(where->file) : NULL;
	f->text = where && where->text ? strdup(where->text) : NULL;
	va_start(ap, fmt);
	assert_true(vasprintf(&f->message, fmt, ap) >= 0);
	va_end(ap);
	return 0;
}

static void findings_clear(struct nc_findings *out)
{
	for (size_t i = 0; i < out->n; i++) {
		free(out->v[i].rule_id);
		free(out->v[i].kernel);
		free(out->v[i].file);
		free(out->v[i].text);
		free(out->v[i].message);
	}
	free(out->v);
	memset(out, 0, sizeof(*out));
}

static nc_check_fn check(const char *name)
{
	for (const struct nc_check *c = nc_kernel_checks; c->name; c++)
		if (streq(c->name, name))
			return c->fn;
	fail_msg("no check %s", name);
	return NULL;
}

static void run_check(const char *name, const char *driver_param, const struct nc_facts *f,
		      struct nc_findings *out)
{
	struct nc_rule rule = { .id = (char *)name, .severity = NC_SEV_ERROR };

	rule.params = json_object();
	if (driver_param)
		json_object_set_new(rule.params, "driver", json_string(driver_param));
	assert_int_equal(check(name)(&rule, f, out), 0);
	json_decref(rule.params);
}

/* Two kernels: [0] the default, its modules copied from another kernel;
 * [1] a good generic kernel. Then swap which one is the default. */
static void test_checks_driver(void **state)
{
	struct tree bad, good;
	struct nc_kernel kernels[2];
	struct nc_facts f = { .kernels = kernels, .n_kernels = 2, .default_kernel = 0 };
	struct nc_findings out = { 0 };

	tree_make(&bad, "6.1.0-99-amd64", GENERIC, NVME_MODS " " ENA_MOD);
	tree_resolve(&bad, *state);
	tree_make(&good, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	tree_resolve(&good, *state);
	kernels[0] = bad.k[0];
	kernels[1] = good.k[0];

	run_check("kernel-driver", "ena", &f, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].severity, NC_SEV_ERROR);
	assert_string_equal(out.v[0].kernel, "6.1.0-99-amd64");
	assert_non_null(strstr(out.v[0].message, "ena is unusable for kernel 6.1.0-99-amd64"));
	assert_string_equal(out.v[0].file, "/lib/modules/6.1.0-99-amd64/" ENA_MOD);
	findings_clear(&out);

	/* Not the default kernel: only a warning. */
	f.default_kernel = 1;
	run_check("kernel-driver", "nvme", &f, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].severity, NC_SEV_WARNING);
	findings_clear(&out);

	/* One per module built for another kernel, with its vermagic. */
	run_check("module-vermagic", NULL, &f, &out);
	assert_int_equal(out.n, 3);
	for (size_t i = 0; i < out.n; i++) {
		assert_string_equal(out.v[i].kernel, "6.1.0-99-amd64");
		assert_kver_string_equal(out.v[i].text, "%s SMP preempt mod_unload modversions",
					 GENERIC);
		assert_int_equal(out.v[i].severity, NC_SEV_WARNING);
	}
	assert_kver_substring(out.v[2].message, "module ena was built for kernel %s, not 6.1.0-99-amd64",
			      GENERIC);
	findings_clear(&out);
	run_check("module-vermagic", "ena", &f, &out);
	assert_int_equal(out.n, 1);
	findings_clear(&out);

	/* The good kernel alone: nothing. */
	f.kernels = &kernels[1];
	f.n_kernels = 1;
	f.default_kernel = 0;
	run_check("kernel-driver", "nvme", &f, &out);
	run_check("kernel-driver", "ena", &f, &out);
	run_check("module-vermagic", NULL, &f, &out);
	run_check("module-depends", NULL, &f, &out);
	run_check("kernel-driver-version", "ena", &f, &out);
	run_check("kernel-xenlinux-pv", NULL, &f, &out);
	assert_int_equal(out.n, 0);

	tree_free(&bad);
	tree_free(&good);
}

static void test_checks_depends(void **state)
{
	struct tree t;
	struct nc_facts f = { .n_kernels = 1, .default_kernel = 0 };
	struct nc_findings out = { 0 };

	tree_make(&t, GENERIC, GENERIC, NVME_MODS " " ENA_MOD);
	run("rm %s/kernel/lib/crc64.ko", t.moddir);
	tree_resolve(&t, *state);
	f.kernels = t.k;
	run_check("module-depends", NULL, &f, &out);
	/* nvme needs nvme_core, which needs t10_pi, which needs crc64_rocksoft,
	 * which needs the missing crc64: the two driver modules are reported. */
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[0].severity, NC_SEV_ERROR);
	assert_kver_substring(out.v[0].message,
			      "module nvme for kernel %s depends on nvme_core, which is not available",
			      GENERIC);
	assert_kver_substring(out.v[1].message,
			      "module nvme_core for kernel %s depends on t10_pi, which is not available",
			      GENERIC);
	findings_clear(&out);
	tree_free(&t);
}

/* Version thresholds on hand-made facts: amzn-drivers versions. */
static void test_checks_version(void **state)
{
	static const struct {
		const char *version;
		const char *path;
		int n;
		enum nc_severity sev;
	} cases[] = {
		{ "1.0.2", "/lib/modules/4.4.0/updates/dkms/ena.ko", 1, NC_SEV_ERROR },
		{ "2.2.6", "/lib/modules/4.4.0/updates/dkms/ena.ko", 1, NC_SEV_WARNING },
		{ "2.2.9", "/lib/modules/4.4.0/updates/dkms/ena.ko", 0, 0 },
		{ "2.2.10g", "/lib/modules/4.4.0/updates/dkms/ena.ko", 0, 0 },
		{ "2.13.0g", "/lib/modules/4.4.0/updates/dkms/ena.ko", 0, 0 },
		{ NULL, "/lib/modules/4.4.0/kernel/drivers/net/ethernet/amazon/ena/ena.ko", 0, 0 },
		{ NULL, "/lib/modules/4.4.0/extra/ena.ko", 1, NC_SEV_INFO },
	};
	const struct specs *s = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct nc_module m = {
			.name = (char *)"ena", .status = NC_DRV_MODULE, .vermagic_ok = true,
			.version = (char *)cases[i].version, .path = (char *)cases[i].path,
		};
		struct nc_driver d = { .spec = &s->v[1], .status = NC_DRV_MODULE,
				       .modules = &m, .n_modules = 1 };
		struct nc_kernel k = { .version = (char *)"4.4.0",
				       .modules_dir = (char *)"/lib/modules/4.4.0",
				       .drivers = &d, .n_drivers = 1 };
		struct nc_facts f = { .kernels = &k, .n_kernels = 1, .default_kernel = 0 };
		struct nc_findings out = { 0 };

		run_check("kernel-driver-version", "ena", &f, &out);
		assert_int_equal(out.n, cases[i].n);
		if (cases[i].n)
			assert_int_equal(out.v[0].severity, cases[i].sev);
		findings_clear(&out);
	}
}

static void test_checks_xenlinux(void **state)
{
	struct nc_kernel k[2] = {
		{ .version = (char *)"6.1.0-56-amd64", .config_xen_pv = true },
		{ .version = (char *)"2.6.18-419.el5xen", .xenlinux_pv_only = true,
		  .config_path = (char *)"/boot/config-2.6.18-419.el5xen" },
	};
	struct nc_facts f = { .kernels = k, .n_kernels = 2, .default_kernel = 1 };
	struct nc_findings out = { 0 };

	run_check("kernel-xenlinux-pv", NULL, &f, &out);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].kernel, "2.6.18-419.el5xen");
	assert_string_equal(out.v[0].file, "/boot/config-2.6.18-419.el5xen");
	assert_int_equal(out.v[0].severity, NC_SEV_ERROR);
	findings_clear(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs_file),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_cloud),
		cmocka_unit_test(test_config_only),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_vermagic_mismatch),
		cmocka_unit_test(test_missing_dependency),
		cmocka_unit_test(test_out_of_tree_alias),
		cmocka_unit_test(test_missing_and_garbage),
		cmocka_unit_test(test_checks_driver),
		cmocka_unit_test(test_checks_depends),
		cmocka_unit_test(test_checks_version),
		cmocka_unit_test(test_checks_xenlinux),
	};

	return cmocka_run_group_tests_name("drivers", tests, setup, teardown);
}
