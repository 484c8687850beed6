/* SPDX-License-Identifier: MIT */
/*
 * From a snapshot to facts: run every analyzer in dependency order. The
 * boot configuration decides which kernel is the default; drivers are
 * resolved per kernel, then checked against that kernel's initramfs.
 */
#include "facts/collect.h"

#include <errno.h>
#include <stdlib.h>

#include "facts/osinfo.h"
#include "initramfs/initramfs.h"
#include "kernel/kernel.h"

/* Match boot entries to kernels; the first loader with a resolved default
 * names the default kernel. */
static void resolve_default(struct nc_facts *f)
{
	f->default_kernel = -1;
	for (size_t l = 0; l < f->boot.n_loaders; l++) {
		const struct nc_bootloader *bl = &f->boot.loaders[l];

		for (size_t e = 0; e < bl->n_entries; e++) {
			const struct nc_boot_entry *entry = &bl->entries[e];

			for (size_t k = 0; k < f->n_kernels; k++) {
				struct nc_kernel *kern = &f->kernels[k];

				if (!boot_entry_match_kernel(entry, kern->image_path))
					continue;
				if (!kern->entry || (f->default_kernel < 0 &&
						     bl->default_entry == (int)e)) {
					kern->entry = entry;
					free(kern->cmdline);
					kern->cmdline = entry->cmdline ? strdup(entry->cmdline) : NULL;
				}
				if (f->default_kernel < 0 && bl->default_entry == (int)e) {
					f->default_kernel = (int)k;
					free(f->default_reason);
					f->default_reason =
						bl->default_how
							? strdup_printf("%s: %s", bl->kind, bl->default_how)
							: strdup_printf("%s: default entry of %s", bl->kind,
									bl->config);
				}
			}
		}
	}
	if (f->default_kernel < 0 && f->n_kernels > 0) {
		const char *why = "no boot loader configuration found";

		for (size_t l = 0; l < f->boot.n_loaders; l++)
			if (f->boot.loaders[l].n_entries) {
				why = f->boot.loaders[l].default_entry >= 0
					      ? "the default boot entry names no kernel in /boot"
					      : "the boot loader's default entry could not be resolved";
				break;
			}
		f->default_kernel = 0;   /* kernels are sorted newest first */
		free(f->default_reason);
		f->default_reason = strdup_printf("%s; assuming the newest kernel", why);
		f->default_unresolved = true;
	}
	if (f->default_kernel >= 0)
		f->kernels[f->default_kernel].is_default = true;
}

/* Default kernel first, the rest newest first (their discovery order). */
static void order_kernels(struct nc_facts *f)
{
	struct nc_kernel def;

	if (f->default_kernel <= 0)
		return;
	def = f->kernels[f->default_kernel];
	memmove(&f->kernels[1], &f->kernels[0], (size_t)f->default_kernel * sizeof(def));
	f->kernels[0] = def;
	f->default_kernel = 0;
}

static int read_initramfs(const struct nc_snapshot *snap, struct nc_kernel *k,
			  struct nc_err *err)
{
	struct nc_err ierr = { 0 };
	int r;

	if (!k->initrd_path)
		return 0;
	k->initramfs.path = strdup(k->initrd_path);
	if (!k->initramfs.path)
		return -ENOMEM;
	/* inside the snapshot: /boot/initrd.img -> /boot/... must not reach the host */
	r = initramfs_read_in_root(snap->rootfd, k->initrd_path, NC_INITRAMFS_MAX_UNCOMPRESSED,
				   &k->initramfs, &ierr);
	if (r == -ENOMEM)
		return nc_err_set(err, r, "out of memory reading %s", k->initrd_path);
	/* other failures are facts (initramfs-unreadable), not scan errors */
	return initramfs_resolve_drivers(k);
}

int nc_facts_collect(struct nc_facts *f, const struct nc_driver_spec *specs, size_t n_specs,
		     struct nc_err *err)
{
	const struct nc_snapshot *snap = &f->snap;
	int r;

	f->driver_specs = (struct nc_driver_spec *)specs;
	f->n_driver_specs = n_specs;
	r = os_info_collect(snap, &f->os);
	if (r == -ENOMEM)
		return r;
	r = kernel_discover(snap, &f->kernels, &f->n_kernels, err);
	if (r < 0)
		return r;
	r = boot_collect(snap, &f->boot, err);
	if (r < 0)
		return r;
	resolve_default(f);
	order_kernels(f);
	for (size_t i = 0; i < f->n_kernels; i++) {
		r = kernel_resolve_drivers(snap, &f->kernels[i], specs, n_specs, err);
		if (r < 0)
			return r;
		r = read_initramfs(snap, &f->kernels[i], err);
		if (r < 0)
			return r;
	}
	r = net_collect(snap, &f->net, err);
	if (r < 0)
		return r;
	r = xen_collect(snap, &f->xen, err);
	if (r < 0)
		return r;
	r = platform_collect(snap, &f->layout, f->have_layout, &f->platform, err);
	if (r < 0)
		return r;
	if (!f->os.arch && f->platform.arch)
		f->os.arch = strdup(f->platform.arch);
	return 0;
}
