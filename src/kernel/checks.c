/* SPDX-License-Identifier: MIT */
/*
 * The kernel layer's rule predicates (see rules/kernel.json): they read the
 * drivers kernel_resolve_drivers() filled and add findings.
 */
#include <errno.h>
#include <string.h>

#include "kernel/kernel.h"
#include "rules/rules.h"

/* The default kernel decides; the others can only warn. */
static bool kernel_is_default(const struct nc_facts *facts, size_t i)
{
	if (facts->kernels[i].is_default)
		return true;
	if (facts->default_kernel >= 0)
		return (size_t)facts->default_kernel == i;
	/* Unresolved default: the newest kernel, first in the list. */
	return i == 0;
}

static enum nc_severity kernel_severity(const struct nc_facts *facts, size_t i,
					enum nc_severity sev)
{
	if (!kernel_is_default(facts, i) && sev > NC_SEV_WARNING)
		return NC_SEV_WARNING;
	return sev;
}

/* Params are read with jansson directly: the checks need nothing else of
 * the rule engine but nc_finding_add(). */
static const char *param_str(const struct nc_rule *rule, const char *key)
{
	return rule->params ? json_string_value(json_object_get(rule->params, key)) : NULL;
}

static const struct nc_driver *kernel_driver(const struct nc_kernel *k, const char *name)
{
	for (size_t i = 0; i < k->n_drivers; i++)
		if (k->drivers[i].spec && streq_ptr(k->drivers[i].spec->name, name))
			return &k->drivers[i];
	return NULL;
}

/* "nvme: not found in ...; nvme_core: ..." for the modules that fail. */
static char *driver_problems(const struct nc_driver *d)
{
	char *s = strdup(""), *ns;

	for (size_t i = 0; s && i < d->n_modules; i++) {
		const struct nc_module *m = &d->modules[i];

		if (m->status != NC_DRV_MISSING && m->status != NC_DRV_UNUSABLE)
			continue;
		ns = strdup_printf("%s%s%s: %s", s, *s ? "; " : "", m->name,
				   m->error ? m->error : kernel_driver_status_str(m->status));
		free(s);
		s = ns;
	}
	return s;
}

static const char *driver_first_bad_path(const struct nc_driver *d)
{
	for (size_t i = 0; i < d->n_modules; i++)
		if (d->modules[i].status == NC_DRV_UNUSABLE && d->modules[i].path)
			return d->modules[i].path;
	return NULL;
}

static int check_kernel_driver(const struct nc_rule *rule, const struct nc_facts *facts,
			       struct nc_findings *out)
{
	const char *name = param_str(rule, "driver");
	int r;

	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];
		const struct nc_driver *d = kernel_driver(k, name);
		_cleanup_free_ char *problems = NULL;
		const char *vars[] = { "driver", name, NULL };
		struct nc_where where = { .kernel = k->version };

		if (!d || (d->status != NC_DRV_MISSING && d->status != NC_DRV_UNUSABLE))
			continue;
		problems = driver_problems(d);
		if (!problems)
			return -ENOMEM;
		where.file = driver_first_bad_path(d);
		if (!where.file)
			where.file = k->modules_dir;
		r = nc_finding_add(out, rule, facts, kernel_severity(facts, i, rule->severity),
				   &where, vars, "%s is %s for kernel %s (%s)", name,
				   d->status == NC_DRV_MISSING ? "missing" : "unusable",
				   k->version, problems);
		if (r < 0)
			return r;
	}
	return 0;
}

/* In-tree modules live under <modules_dir>/kernel/; updates/, extra/ and
 * weak-updates/ hold the others. */
static bool module_in_tree(const struct nc_kernel *k, const struct nc_module *m)
{
	const char *rest;

	if (!m->path || !k->modules_dir)
		return false;
	rest = startswith(m->path, k->modules_dir);
	return rest && startswith(rest, "/kernel/");
}

static int check_driver_version(const struct nc_rule *rule, const struct nc_facts *facts,
				struct nc_findings *out)
{
	const char *name = param_str(rule, "driver");
	int r;

	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];
		const struct nc_driver *d = kernel_driver(k, name);
		const char *vars[] = { "driver", name, NULL };
		struct nc_where where = { .kernel = k->version };
		const struct nc_driver_spec *spec;
		const struct nc_module *m;

		/* The device driver is the first module; the rest are libraries. */
		if (!d || d->n_modules == 0 || d->modules[0].status != NC_DRV_MODULE)
			continue;
		spec = d->spec;
		m = &d->modules[0];
		where.file = m->path;
		if (!m->version) {
			/* In-tree drivers carry the kernel's version, not their own:
			 * the kernel is what is judged. */
			if (module_in_tree(k, m))
				continue;
			r = nc_finding_add(out, rule, facts, NC_SEV_INFO, &where, vars,
					   "%s module %s for kernel %s is out of tree and has no version field: its age cannot be judged",
					   name, m->path, k->version);
		} else if (spec->min_version_error &&
			   strverscmp(m->version, spec->min_version_error) < 0) {
			r = nc_finding_add(out, rule, facts,
					   kernel_severity(facts, i, NC_SEV_ERROR), &where, vars,
					   "%s module %s for kernel %s is version %s, below %s",
					   name, m->path, k->version, m->version,
					   spec->min_version_error);
		} else if (spec->min_version_warn &&
			   strverscmp(m->version, spec->min_version_warn) < 0) {
			r = nc_finding_add(out, rule, facts, NC_SEV_WARNING, &where, vars,
					   "%s module %s for kernel %s is version %s, below the recommended %s",
					   name, m->path, k->version, m->version,
					   spec->min_version_warn);
		} else {
			continue;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

typedef int (*module_visit)(const struct nc_rule *rule, const struct nc_facts *facts,
			    size_t ki, const struct nc_driver *d, const struct nc_module *m,
			    struct nc_findings *out);

/* Every module of every driver (of param "driver" when given). */
static int for_each_module(const struct nc_rule *rule, const struct nc_facts *facts,
			   struct nc_findings *out, module_visit visit)
{
	const char *only = param_str(rule, "driver");
	int r;

	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];

		for (size_t j = 0; j < k->n_drivers; j++) {
			const struct nc_driver *d = &k->drivers[j];

			if (only && (!d->spec || !streq_ptr(d->spec->name, only)))
				continue;
			for (size_t l = 0; l < d->n_modules; l++) {
				r = visit(rule, facts, i, d, &d->modules[l], out);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static int visit_vermagic(const struct nc_rule *rule, const struct nc_facts *facts, size_t ki,
			  const struct nc_driver *d, const struct nc_module *m,
			  struct nc_findings *out)
{
	const struct nc_kernel *k = &facts->kernels[ki];
	_cleanup_free_ char *vermagic = NULL;
	struct nc_where where = { .kernel = k->version, .file = m->path };
	const char *vars[] = { "driver", d->spec ? d->spec->name : m->name, NULL };

	if (!m->vermagic || m->vermagic_ok)
		return 0;
	vermagic = strdup(m->vermagic);
	if (!vermagic)
		return -ENOMEM;
	where.text = strstrip(vermagic);
	return nc_finding_add(out, rule, facts, kernel_severity(facts, ki, rule->severity),
			      &where, vars,
			      "module %s was built for kernel %.*s, not %s: it will not load",
			      m->name, (int)strcspn(where.text, " "), where.text, k->version);
}

static int visit_depends(const struct nc_rule *rule, const struct nc_facts *facts, size_t ki,
			 const struct nc_driver *d, const struct nc_module *m,
			 struct nc_findings *out)
{
	const struct nc_kernel *k = &facts->kernels[ki];
	struct nc_where where = { .kernel = k->version, .file = m->path };
	const char *vars[] = { "driver", d->spec ? d->spec->name : m->name, NULL };
	_cleanup_free_ char *list = strdup("");

	if (!m->missing_depends || !m->missing_depends[0])
		return 0;
	for (size_t i = 0; list && m->missing_depends[i]; i++) {
		char *nl = strdup_printf("%s%s%s", list, i ? ", " : "", m->missing_depends[i]);

		free(list);
		list = nl;
	}
	if (!list)
		return -ENOMEM;
	return nc_finding_add(out, rule, facts, kernel_severity(facts, ki, rule->severity),
			      &where, vars,
			      "module %s for kernel %s depends on %s, which %s not available",
			      m->name, k->version, list,
			      m->missing_depends[1] ? "are" : "is");
}

static int check_module_vermagic(const struct nc_rule *rule, const struct nc_facts *facts,
				 struct nc_findings *out)
{
	return for_each_module(rule, facts, out, visit_vermagic);
}

static int check_module_depends(const struct nc_rule *rule, const struct nc_facts *facts,
				struct nc_findings *out)
{
	return for_each_module(rule, facts, out, visit_depends);
}

static int check_xenlinux_pv(const struct nc_rule *rule, const struct nc_facts *facts,
			     struct nc_findings *out)
{
	int r;

	for (size_t i = 0; i < facts->n_kernels; i++) {
		const struct nc_kernel *k = &facts->kernels[i];
		struct nc_where where = { .kernel = k->version, .file = k->config_path };

		if (!k->xenlinux_pv_only)
			continue;
		r = nc_finding_add(out, rule, facts, kernel_severity(facts, i, rule->severity),
				   &where, NULL,
				   "kernel %s is a XenLinux kernel (CONFIG_X86_XEN/CONFIG_X86_64_XEN): it boots only as a Xen PV guest",
				   k->version);
		if (r < 0)
			return r;
	}
	return 0;
}

const struct nc_check nc_kernel_checks[] = {
	{ "kernel-driver", check_kernel_driver,
	  "param driver: fires when that driver is missing or unusable for a kernel" },
	{ "kernel-driver-version", check_driver_version,
	  "param driver: the module's version against the spec's min_version_error/min_version_warn" },
	{ "module-vermagic", check_module_vermagic,
	  "optional param driver: a module whose vermagic names another kernel" },
	{ "module-depends", check_module_depends,
	  "optional param driver: a module whose depends are not all available" },
	{ "kernel-xenlinux-pv", check_xenlinux_pv,
	  "a XenLinux kernel (CONFIG_X86_XEN/CONFIG_X86_64_XEN) that boots only as a PV guest" },
	{ NULL },
};
