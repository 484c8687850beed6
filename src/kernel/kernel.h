/* SPDX-License-Identifier: MIT */
/*
 * The kernel layer: which kernels a snapshot holds, and for each whether
 * the drivers the rules require (rules/drivers.json) are built in, usable
 * modules, unusable or missing.
 */
#ifndef NC_KERNEL_KERNEL_H
#define NC_KERNEL_KERNEL_H

#include <stddef.h>

#include "common/util.h"
#include "facts/facts.h"

/*
 * Every kernel image of /boot (vmlinuz-*, vmlinux-*, Image-*, kernel-*;
 * kdump images and signatures/checksums excluded) with its version (bzImage
 * header, else ELF banner, else the file name), architecture, modules
 * directory, config, System.map, initramfs and the Xen facts of its config.
 * Sorted newest first (strverscmp). Guest paths in the structs. Returns the
 * number of kernels (0 with no /boot) or -errno with err filled.
 */
int kernel_discover(const struct nc_snapshot *snap, struct nc_kernel **ret, size_t *ret_n,
		    struct nc_err *err);

/*
 * Fill k->drivers, one per spec in the same order, and k->nvme_io_timeout_type.
 * Reads k->modules_dir (modules.dep, .builtin, .alias, .builtin.modinfo),
 * k->config_path and the .modinfo of each module found. Returns 0 or -errno
 * (only for allocation failures: problems of the image become statuses and
 * error strings of the modules).
 */
int kernel_resolve_drivers(const struct nc_snapshot *snap, struct nc_kernel *k,
			   const struct nc_driver_spec *specs, size_t n_specs, struct nc_err *err);

/* Free what kernel_discover() and kernel_resolve_drivers() set in k and
 * reset those fields (not initramfs, cmdline or entry: other layers fill
 * and free them). kernels_free() also frees the array. */
void kernel_clear(struct nc_kernel *k);
void kernel_drivers_free(struct nc_driver *drivers, size_t n);
void kernels_free(struct nc_kernel *v, size_t n);

/* "missing", "builtin", "module", "unusable". */
const char *kernel_driver_status_str(enum nc_driver_status s);

#endif
