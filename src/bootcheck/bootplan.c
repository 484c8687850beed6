/* SPDX-License-Identifier: MIT */
#include "bootcheck/bootplan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Writes all of buf to fd; 0 or -errno. */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies src to dst (mode 0644) through a temporary name, so an
 * interrupted save never leaves a half kernel under the final name. */
static int copy_file_atomic(const char *src, const char *dst, struct nc_err *err)
{
	_cleanup_free_ char *tmp = strdup_printf("%s.tmp", dst);
	_cleanup_close_ int in = -1, out = -1;
	char buf[1 << 16];
	ssize_t n;
	int r;

	if (!tmp)
		return -ENOMEM;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return nc_err_set(err, -errno, "%s: %s", src, strerror(errno));
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return nc_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = nc_err_set(err, -errno, "%s: %s", src, strerror(errno));
			goto fail;
		}
		r = write_all(out, buf, (size_t)n);
		if (r < 0) {
			nc_err_set(err, r, "%s: %s", tmp, strerror(-r));
			goto fail;
		}
	}
	if (close(out) < 0) {
		out = -1;
		r = nc_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	out = -1;
	if (rename(tmp, dst) < 0) {
		r = nc_err_set(err, -errno, "%s: %s", dst, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return r;
}

static int write_cmdline(const char *cmdline, const char *path, struct nc_err *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return nc_err_set(err, -errno, "%s: %s", path, strerror(errno));
	r = write_all(fd, cmdline, strlen(cmdline));
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r < 0)
		return nc_err_set(err, r, "%s: %s", path, strerror(-r));
	return 0;
}

int boot_plan_save(const struct nc_boot_plan *plan, const char *dir, struct nc_err *err)
{
	_cleanup_free_ char *kernel = path_join(dir, BOOT_PLAN_KERNEL);
	_cleanup_free_ char *initrd = path_join(dir, BOOT_PLAN_INITRD);
	_cleanup_free_ char *cmdline = path_join(dir, BOOT_PLAN_CMDLINE);
	int r;

	if (!kernel || !initrd || !cmdline)
		return -ENOMEM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return nc_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	r = copy_file_atomic(plan->kernel, kernel, err);
	if (r < 0)
		return r;
	if (plan->initrd)
		r = copy_file_atomic(plan->initrd, initrd, err);
	else if (unlink(initrd) < 0 && errno != ENOENT)
		r = nc_err_set(err, -errno, "%s: %s", initrd, strerror(errno));
	if (r < 0)
		return r;
	return write_cmdline(plan->cmdline, cmdline, err);
}
