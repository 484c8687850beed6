/* SPDX-License-Identifier: MIT */
#include "bootcheck/bootplan.h"

#include <errno.h>

#include "facts/collect.h"
#include "image/image.h"
#include "rules/rules.h"

/* The scan copies only the head of each kernel; a boot needs all of it. */
static int spec_for_boot(const struct nc_snapshot_spec *in, struct nc_snapshot_spec *out)
{
	*out = *in;
	out->excludes = NULL;
	out->heads = NULL;
	out->search_dirs = NULL;
	out->search_strings = NULL;
	for (size_t i = 0; in->excludes && in->excludes[i]; i++) {
		const char *e = in->excludes[i];

		if (startswith(e, "/boot/vmlinuz") || startswith(e, "/boot/vmlinux") ||
		    startswith(e, "/boot/Image") || startswith(e, "/boot/kernel"))
			continue;
		if (strv_extend(&out->excludes, e) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; in->heads && in->heads[i]; i++)
		if (!startswith(in->heads[i], "/boot/") && strv_extend(&out->heads, in->heads[i]) < 0)
			return -ENOMEM;
	return 0;
}

int boot_plan_from_image(const char *image, const char *rules_dir, struct nc_boot_plan *plan,
			 struct nc_err *err)
{
	struct nc_ruleset *rs = calloc(1, sizeof(*rs));
	struct nc_snapshot_spec spec = { 0 };
	struct nc_image_opts io = { 0 };
	const struct nc_kernel *k;
	int r;

	memset(plan, 0, sizeof(*plan));
	plan->facts.default_kernel = -1;
	plan->facts.snap.rootfd = -1;
	if (!rs)
		return -ENOMEM;
	/* the facts point into the ruleset's driver specs: the plan keeps it */
	plan->rules = rs;
	r = nc_ruleset_load_dir(rs, rules_dir ? rules_dir : NC_RULES_DIR, err);
	if (r < 0 && !rules_dir) {
		memset(err, 0, sizeof(*err));
		r = nc_ruleset_load_dir(rs, NC_SOURCE_RULES_DIR, err);
	}
	if (r < 0)
		goto out;
	r = spec_for_boot(&rs->snapshot, &spec);
	if (r < 0)
		goto out;
	if (!spec.max_file_size)
		spec.max_file_size = 64u << 20;
	/* a kernel or an initramfs can be larger than any other file we copy */
	if (spec.max_file_size < (512u << 20))
		spec.max_file_size = 512u << 20;
	io.spec = &spec;
	io.drivers = rs->drivers;
	io.n_drivers = rs->n_drivers;
	r = image_snapshot(image, &io, &plan->facts, err);
	if (r < 0)
		goto out;
	r = nc_facts_collect(&plan->facts, rs->drivers, rs->n_drivers, err);
	if (r < 0)
		goto out;
	if (plan->facts.default_kernel < 0) {
		r = nc_err_set(err, -ENOENT, "%s: no kernel in /boot to boot", image);
		goto out;
	}
	k = &plan->facts.kernels[plan->facts.default_kernel];
	plan->kernel = path_join(plan->facts.snap.root, k->image_path);
	plan->initrd = k->initrd_path ? path_join(plan->facts.snap.root, k->initrd_path) : NULL;
	plan->cmdline = strdup(k->cmdline ? k->cmdline : "");
	plan->version = k->version;
	plan->how = plan->facts.default_reason;
	if (!plan->kernel || !plan->cmdline || (k->initrd_path && !plan->initrd))
		r = -ENOMEM;
out:
	strv_free(spec.excludes);
	strv_free(spec.heads);
	return r;
}

void boot_plan_free(struct nc_boot_plan *plan)
{
	snapshot_destroy(&plan->facts.snap);
	nc_facts_free(&plan->facts);
	free(plan->kernel);
	free(plan->initrd);
	free(plan->cmdline);
	if (plan->rules) {
		nc_ruleset_free(plan->rules);
		free(plan->rules);
	}
	memset(plan, 0, sizeof(*plan));
}
