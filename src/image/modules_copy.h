/* SPDX-License-Identifier: MIT */
#ifndef NC_IMAGE_MODULES_COPY_H
#define NC_IMAGE_MODULES_COPY_H

#include "facts/facts.h"

typedef int (*copy_file_fn)(void *ctx, const struct nc_snapshot *snap, const char *guest_path,
			    uint64_t max_size);

/* The appliance's file copier (guestfs.c). */
int appliance_copy_file(void *appliance, const struct nc_snapshot *snap, const char *path,
			uint64_t max_size);

/*
 * With modules.dep and modules.alias of every kernel already in the
 * snapshot, copy the .ko files of the required drivers (by name and by
 * device alias) and their dependencies: a handful of files instead of the
 * whole module tree.
 */
int modules_copy_wanted(void *ctx, copy_file_fn copy, const struct nc_snapshot *snap,
			const struct nc_driver_spec *specs, size_t n_specs, uint64_t max_size);

#endif
