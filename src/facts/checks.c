/* SPDX-License-Identifier: MIT */
/* Checks over the scan as a whole: is there a kernel, which one boots. */
#include "rules/rules.h"

#include <errno.h>

static int check_kernel_present(const struct nc_rule *rule, const struct nc_facts *f,
				struct nc_findings *out)
{
	if (f->n_kernels > 0)
		return 0;
	return nc_finding_add(out, rule, f, rule->severity,
			      &(struct nc_where){ .file = "/boot" }, NULL,
			      "no kernel image (vmlinuz-*, vmlinux-*, Image-*, kernel-*) found in /boot");
}

static int check_default_kernel(const struct nc_rule *rule, const struct nc_facts *f,
				struct nc_findings *out)
{
	if (f->default_kernel < 0 || !f->default_unresolved)
		return 0;
	return nc_finding_add(out, rule, f, rule->severity,
			      &(struct nc_where){ .kernel = f->kernels[f->default_kernel].version },
			      NULL, "%s", f->default_reason ? f->default_reason : "unresolved");
}

static int check_scan_notes(const struct nc_rule *rule, const struct nc_facts *f,
			    struct nc_findings *out)
{
	return nc_findings_add_notes(out, rule, f, f->notes);
}

const struct nc_check nc_scan_checks[] = {
	{ "kernel-present", check_kernel_present,
	  "fires when /boot holds no kernel image at all" },
	{ "default-kernel", check_default_kernel,
	  "fires when the boot loader's default kernel could not be resolved and the newest "
	  "kernel was assumed" },
	{ "scan-notes", check_scan_notes,
	  "one finding per note the image layer left (a filesystem it could not mount, ...)" },
	{ NULL, NULL, NULL },
};
