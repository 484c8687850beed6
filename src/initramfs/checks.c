/* SPDX-License-Identifier: MIT */
/* Checks over the initramfs facts of each kernel (rules/initramfs.json). */
#include "initramfs/initramfs.h"
#include "rules/rules.h"

#include <errno.h>

/* The kernel the bootloader boots; with none resolved, the first (newest). */
static bool kernel_is_default(const struct nc_facts *f, size_t i)
{
	if (f->kernels[i].is_default)
		return true;
	if (f->default_kernel >= 0)
		return (size_t)f->default_kernel == i;
	for (size_t j = 0; j < f->n_kernels; j++)
		if (f->kernels[j].is_default)
			return false;
	return i == 0;
}

/* The rule's severity for the default kernel, at most `other` for the rest. */
static enum nc_severity kernel_severity(const struct nc_rule *r, const struct nc_facts *f,
					size_t i, enum nc_severity other)
{
	if (kernel_is_default(f, i) || r->severity < other)
		return r->severity;
	return other;
}

static const struct nc_driver *kernel_driver(const struct nc_kernel *k, const char *name)
{
	for (size_t i = 0; i < k->n_drivers; i++)
		if (k->drivers[i].spec && streq_ptr(k->drivers[i].spec->name, name))
			return &k->drivers[i];
	return NULL;
}

/* A driver the kernel has as a loadable module: it must be in the initramfs.
 * Built-in needs nothing; missing or unusable is the kernel checks' word. */
static bool driver_is_modular(const struct nc_driver *d)
{
	if (d->status == NC_DRV_BUILTIN)
		return false;
	for (size_t i = 0; i < d->n_modules; i++)
		if (d->modules[i].status == NC_DRV_MODULE)
			return true;
	return false;
}

static bool initramfs_readable(const struct nc_kernel *k)
{
	return k->initramfs.path && !k->initramfs.error;
}

static char *strv_join(char *const *v, const char *sep)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; v && v[i]; i++)
		fprintf(f, "%s%s", i ? sep : "", v[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int check_driver(const struct nc_rule *rule, const struct nc_facts *facts,
			struct nc_findings *out)
{
	const char *name = nc_param_str(rule, "driver", "nvme");

	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];
		const struct nc_driver *d = kernel_driver(k, name);
		_cleanup_strv_free_ char **missing = NULL;
		_cleanup_free_ char *list = NULL, *words = NULL;
		int r;

		if (k->is_kdump || !d || !driver_is_modular(d) || !initramfs_readable(k))
			continue;
		r = initramfs_driver_missing(k, d, &missing);
		if (r <= 0) {
			if (r < 0)
				return r;
			continue;
		}
		list = strv_join(missing, ", ");
		words = strv_join(missing, " ");
		if (!list || !words)
			return -ENOMEM;
		const char *const vars[] = {"driver", name, "initramfs", k->initramfs.path,
					    "modules", words, NULL};
		struct nc_where w = {.kernel = k->version, .file = k->initramfs.path};

		r = nc_finding_add(out, rule, facts, kernel_severity(rule, facts, i, NC_SEV_WARNING),
				   &w, vars,
				   "kernel %s: its initramfs %s lacks %s (driver %s is a module of this kernel, not built in)",
				   k->version, k->initramfs.path, list, name);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The storage drivers the rule is about: param "driver", else every driver
 * whose spec has role "storage". */
static bool driver_selected(const struct nc_rule *rule, const struct nc_driver *d)
{
	const char *name = nc_param_str(rule, "driver", NULL);

	if (!d->spec)
		return false;
	if (name)
		return streq_ptr(d->spec->name, name);
	return streq_ptr(d->spec->role, "storage");
}

static int check_missing(const struct nc_rule *rule, const struct nc_facts *facts,
			 struct nc_findings *out)
{
	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];

		if (k->is_kdump || k->initramfs.path || k->initrd_path)
			continue;
		for (size_t j = 0; j < k->n_drivers; j++) {
			const struct nc_driver *d = &k->drivers[j];
			const char *name = d->spec ? d->spec->name : "?";
			const char *const vars[] = {"driver", name, NULL};
			struct nc_where w = {.kernel = k->version, .file = k->image_path};
			int r;

			if (!driver_selected(rule, d) || !driver_is_modular(d))
				continue;
			r = nc_finding_add(out, rule, facts,
					   kernel_severity(rule, facts, i, NC_SEV_WARNING), &w, vars,
					   "kernel %s has no initramfs, but its storage driver %s is a module: it cannot reach its root disk",
					   k->version, name);
			if (r < 0)
				return r;
			break;
		}
	}
	return 0;
}

static int check_unreadable(const struct nc_rule *rule, const struct nc_facts *facts,
			    struct nc_findings *out)
{
	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];
		const char *const vars[] = {"initramfs", k->initramfs.path, NULL};
		struct nc_where w = {.kernel = k->version, .file = k->initramfs.path};
		int r;

		if (k->is_kdump || !k->initramfs.path || !k->initramfs.error)
			continue;
		r = nc_finding_add(out, rule, facts, kernel_severity(rule, facts, i, NC_SEV_WARNING),
				   &w, vars, "kernel %s: cannot read its initramfs: %s", k->version,
				   k->initramfs.error_msg ? k->initramfs.error_msg
							  : strerror(-k->initramfs.error));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether any non-built-in module of the driver (or the module named like
 * it, when the kernel facts lack the driver) is in the initramfs. */
static bool driver_files_present(const struct nc_kernel *k, const struct nc_driver *d,
				 const char *name)
{
	if (!d || d->n_modules == 0)
		return initramfs_find_module_for(&k->initramfs, k->version, name, NULL);
	for (size_t i = 0; i < d->n_modules; i++)
		if (d->modules[i].status != NC_DRV_BUILTIN &&
		    initramfs_find_module_for(&k->initramfs, k->version, d->modules[i].name, NULL))
			return true;
	return false;
}

static int check_xen_only(const struct nc_rule *rule, const struct nc_facts *facts,
			  struct nc_findings *out)
{
	const char *name = nc_param_str(rule, "driver", "nvme");

	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];
		const struct nc_driver *d = kernel_driver(k, name);
		const char *const vars[] = {"driver", name, "initramfs", k->initramfs.path, NULL};
		struct nc_where w = {.kernel = k->version, .file = k->initramfs.path};
		int r;

		if (k->is_kdump || !initramfs_readable(k) || !k->initramfs.has_xen_blkfront)
			continue;
		/* A built-in driver needs no file: Debian's cloud kernel. */
		if (d && d->status == NC_DRV_BUILTIN)
			continue;
		if (driver_files_present(k, d, name))
			continue;
		r = nc_finding_add(out, rule, facts, kernel_severity(rule, facts, i, NC_SEV_INFO),
				   &w, vars,
				   "kernel %s: initramfs %s holds xen-blkfront but no %s: it was built host-only on Xen",
				   k->version, k->initramfs.path, name);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct nc_check nc_initramfs_checks[] = {
	{"initramfs-driver", check_driver,
	 "param driver: each kernel with that driver as a module has it and its depends in its initramfs"},
	{"initramfs-missing", check_missing,
	 "param driver (default: role storage): a kernel with a modular storage driver has an initramfs"},
	{"initramfs-unreadable", check_unreadable,
	 "each kernel's initramfs could be read"},
	{"initramfs-xen-only", check_xen_only,
	 "param driver (default nvme): an initramfs with xen-blkfront also holds the driver"},
	{NULL},
};
