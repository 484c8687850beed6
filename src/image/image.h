/* SPDX-License-Identifier: MIT */
/*
 * The image layer: the only code that talks to libguestfs. It opens an image
 * read-only, finds the Linux root, mounts its filesystems read-only and
 * copies out just what the analyzers need into a host snapshot directory,
 * plus the block layout. One appliance launch per image.
 */
#ifndef NC_IMAGE_H
#define NC_IMAGE_H

#include "common/util.h"
#include "facts/facts.h"
#include "rules/rules.h"

struct nc_image_opts {
	const char *format;                 /* NULL: probe */
	const char *keep_snapshot;          /* copy into this dir and keep it */
	const struct nc_snapshot_spec *spec;
	const struct nc_driver_spec *drivers;
	size_t n_drivers;
	bool verbose;                       /* libguestfs trace to stderr */
};

/* Host-side sanity checks before any appliance: exists, readable, non-empty,
 * a known container format with a sane header (not truncated). On success
 * *ret_format is "raw", "qcow2", "vmdk", "vhdx", "vpc" or "vdi". */
int image_probe(const char *path, const char *format, char **ret_format, struct nc_err *err);

/* Host libblkid on a raw image: partition table and filesystems.
 * Returns 0, or -ENODATA when there is neither a table nor a filesystem. */
int layout_probe_raw(const char *path, struct nc_block_layout *ret, struct nc_err *err);

/* Record one partition or volume from blkid's NAME=VALUE export pairs. */
int layout_add_export(struct nc_block_layout *l, bool volume, const char *device,
		      char *const *kv);

/* Snapshot directories. */
int snapshot_create(struct nc_snapshot *snap, const char *keep_dir, struct nc_err *err);
int snapshot_open_dir(struct nc_snapshot *snap, const char *dir, struct nc_err *err);
void snapshot_destroy(struct nc_snapshot *snap);
/* Extract a tar file into the snapshot under guest directory `at`, refusing
 * absolute paths, ".." and writes through symlinks. */
int snapshot_extract_tar(const struct nc_snapshot *snap, const char *tarfile, const char *at,
			 struct nc_err *err);
/* The same from memory: tar, optionally gzip'd, optionally base64 (uu). */
int snapshot_extract_mem(const struct nc_snapshot *snap, const void *buf, size_t len,
			 const char *at, struct nc_err *err);
/* Make the parent directories of a guest path inside the snapshot. */
int snapshot_mkdirs(const struct nc_snapshot *snap, const char *guest_path);

/* The whole job for one image: probe, launch, mount, copy out, layout.
 * Fills facts->snap, facts->layout, facts->have_layout, facts->is_windows.
 * On failure err names the image and the problem. */
int image_snapshot(const char *path, const struct nc_image_opts *o, struct nc_facts *facts,
		   struct nc_err *err);

/*
 * Several images in one appliance launch (a fleet audit, a CI matrix): each
 * image gets its own facts[i], errs[i] and rets[i] (0 or -errno); a bad
 * image fails alone. Images whose LVM volume groups clash with another's
 * are read again in an appliance of their own. Returns 0, or -errno when
 * nothing could be done at all.
 */
int image_snapshot_batch(char *const *paths, size_t n, const struct nc_image_opts *o,
			 struct nc_facts *facts, struct nc_err *errs, int *rets);

#endif
