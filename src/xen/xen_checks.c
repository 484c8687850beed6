/* SPDX-License-Identifier: MIT */
/*
 * Xen checks: services that only make sense on Xen, modules kept from
 * loading, xvd* udev names, and software that looks for Xen to decide it
 * runs on EC2. The names and patterns are rule parameters.
 */
#include <errno.h>
#include <fnmatch.h>

#include "common/util.h"
#include "rules/rules.h"
#include "xen/xen.h"

static bool matches_any(char *const *globs, const char *s)
{
	for (size_t i = 0; globs && globs[i]; i++)
		if (fnmatch(globs[i], s, 0) == 0)
			return true;
	return false;
}

static int check_services(const struct nc_rule *rule, const struct nc_facts *f,
			  struct nc_findings *out)
{
	_cleanup_strv_free_ char **names = nc_param_strv(rule, "services");

	for (size_t i = 0; i < f->xen.n_services; i++) {
		const struct nc_enabled_service *s = &f->xen.services[i];
		struct nc_where w = { .file = s->file, .text = s->how };
		const char *vars[] = { "service", s->name, NULL };
		int r;

		if (!matches_any(names, s->name))
			continue;
		r = nc_finding_add(out, rule, f, rule->severity, &w, vars,
				   "Xen guest service %s is enabled (%s)", s->name, s->how);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_modules_blocked(const struct nc_rule *rule, const struct nc_facts *f,
				 struct nc_findings *out)
{
	_cleanup_strv_free_ char **mods = nc_param_strv(rule, "modules");

	for (size_t i = 0; i < f->xen.n_blocks; i++) {
		const struct nc_modprobe_block *b = &f->xen.blocks[i];
		struct nc_where w = { .file = b->file, .line = b->line, .text = b->text };
		const char *vars[] = { "module", b->module, NULL };
		int r;

		if (!matches_any(mods, b->module))
			continue;
		r = nc_finding_add(out, rule, f, rule->severity, &w, vars,
				   "modprobe.d keeps %s from loading (%s)", b->module, b->kind);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_xvd_rules(const struct nc_rule *rule, const struct nc_facts *f,
			   struct nc_findings *out)
{
	for (size_t i = 0; i < f->xen.n_xvd_rules; i++) {
		const struct nc_xvd_rule *x = &f->xen.xvd_rules[i];
		struct nc_where w = { .file = x->file, .line = x->line, .text = x->text };
		int r;

		/* amazon-ec2-utils maps NVMe to the xvd names EBS was attached as. */
		if (x->from_ec2_utils && !x->helper_missing)
			continue;
		r = nc_finding_add(out, rule, f, rule->severity, &w, NULL,
				   x->from_ec2_utils
					   ? "udev rule for xvd* names runs a helper that is not in the image"
					   : "udev rule makes xvd* names outside amazon-ec2-utils; on Nitro "
					     "disks are NVMe and these names will not appear%s",
				   x->from_ec2_utils || f->xen.have_ec2_utils ? ""
					   : " (amazon-ec2-utils is not installed)");
		if (r < 0)
			return r;
	}
	return 0;
}

static int report_probe(const struct nc_rule *rule, const struct nc_facts *f,
			const struct nc_xen_probe *p, struct nc_findings *out)
{
	struct nc_where w = { .file = p->file, .line = p->line, .text = p->text };
	const char *vars[] = { "pattern", p->pattern, NULL };

	if (streq(p->kind, "script"))
		return nc_finding_add(out, rule, f, rule->severity, &w, vars,
				      "%s reads %s to detect EC2 through Xen (line %u)", p->file,
				      p->pattern, p->line);
	if (p->section)
		return nc_finding_add(out, rule, f, rule->severity, &w, vars,
				      "ELF file %s holds \"%s\" in section %s: it detects EC2 "
				      "through Xen", p->file, p->text, p->section);
	return nc_finding_add(out, rule, f, rule->severity, &w, vars,
			      "%s file %s holds \"%s\" at offset %llu: it detects EC2 through "
			      "Xen", p->kind, p->file, p->text, p->offset);
}

static int check_ec2_probes(const struct nc_rule *rule, const struct nc_facts *f,
			    struct nc_findings *out)
{
	_cleanup_strv_free_ char **patterns = nc_param_strv(rule, "patterns");
	_cleanup_strv_free_ char **dirs = nc_param_strv(rule, "dirs");
	struct nc_xen_probe *v = NULL;
	size_t n = 0;
	int r;

	if (f->xen.probes_scanned) {
		for (size_t i = 0; i < f->xen.n_probes; i++)
			if ((r = report_probe(rule, f, &f->xen.probes[i], out)) < 0)
				return r;
		return 0;
	}
	if (!patterns || !patterns[0] || f->snap.rootfd < 0)
		return 0;
	r = xen_find_probes(f->snap.rootfd,
			    dirs && dirs[0] ? (const char *const *)dirs : nc_xen_probe_dirs,
			    (const char *const *)patterns, &v, &n, NULL);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = report_probe(rule, f, &v[i], out);
	for (size_t i = 0; i < n; i++)
		nc_xen_probe_clear(&v[i]);
	free(v);
	return r < 0 ? r : 0;
}

const struct nc_check nc_xen_checks[] = {
	{ "xen-enabled-services", check_services,
	  "param services (globs): enabled systemd/SysV/OpenRC services among them" },
	{ "xen-modules-blocked", check_modules_blocked,
	  "param modules: modprobe.d blacklist, install /bin/true|false or alias off of them" },
	{ "xen-xvd-udev-rules", check_xvd_rules,
	  "udev rules that create xvd* names, except amazon-ec2-utils' own with its helper" },
	{ "xen-ec2-probes", check_ec2_probes,
	  "params patterns, dirs: files that read /sys/hypervisor/uuid, /proc/xen, xenstore-read" },
	{ NULL },
};
