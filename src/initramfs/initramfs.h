/* SPDX-License-Identifier: MIT */
/*
 * initramfs images: the list of files they hold, their archive layout and
 * which generator built them, read with libarchive.
 *
 * An image is a sequence of cpio archives as the kernel unpacks them: any
 * number of uncompressed ones (early microcode), zero padding between them,
 * and compressed ones (gzip, xz, lzma, zstd, lz4 legacy, bzip2) whose
 * decompressed stream may itself hold several cpio archives.
 */
#ifndef NC_INITRAMFS_H
#define NC_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "facts/facts.h"

/* A sensible cap for callers: real images unpack to 20-600 MiB. */
#define NC_INITRAMFS_MAX_UNCOMPRESSED (1ULL << 30)
/* Real images hold a few thousand entries; a no-hostonly dracut ~20000. */
#define NC_INITRAMFS_MAX_ENTRIES 131072
#define NC_INITRAMFS_MAX_SEGMENTS 64
#define NC_INITRAMFS_MAX_NAME 4096

/*
 * Read the initramfs at host_path into out. At most max_uncompressed bytes
 * are decompressed over all segments (-EFBIG beyond). Messages name
 * out->path when the caller set it (the guest path), else host_path.
 *
 * out->path is left alone; every other field is replaced. On failure the
 * lists stay empty (never a partial list) and out->error/out->error_msg
 * say why, as does err: -EINVAL not an initramfs or corrupt, -EFBIG over
 * the cap, -E2BIG too many entries or archives, -EOPNOTSUPP a compression
 * libarchive cannot read here (lzo), -ENOENT/-EISDIR/... from the file.
 */
int initramfs_read(const char *host_path, uint64_t max_uncompressed,
		   struct nc_initramfs *out, struct nc_err *err);

/* The same for a guest path of a snapshot: symlinks and ".." resolve
 * inside rootfd, as in a chroot (snapfs_open()). */
int initramfs_read_in_root(int rootfd, const char *guest_path, uint64_t max_uncompressed,
			   struct nc_initramfs *out, struct nc_err *err);

/* The same over bytes in memory; name is used in messages. */
int initramfs_parse(const void *data, size_t size, const char *name,
		    uint64_t max_uncompressed, struct nc_initramfs *out,
		    struct nc_err *err);

/* Free everything out holds, path included, and zero it. */
void initramfs_clear(struct nc_initramfs *ir);

/*
 * Whether the image holds the module file <module>.ko, .ko.xz, .ko.zst or
 * .ko.gz (exact basename, '-' and '_' equivalent) under lib/modules/ or
 * usr/lib/modules/. ret_path (may be NULL) points into ir->files.
 */
bool initramfs_find_module(const struct nc_initramfs *ir, const char *module,
			   const char **ret_path);
/* Same, restricted to the modules directory of kernel version kver. */
bool initramfs_find_module_for(const struct nc_initramfs *ir, const char *kver,
			       const char *module, const char **ret_path);

/*
 * The module names driver d of kernel k lacks in k's initramfs: its
 * non-built-in modules and, recursively, their depends. Returns the number
 * of missing names (ret_missing gets a NULL-terminated strv, or NULL when
 * none) or -ENOMEM. Call only when k->initramfs was read without error.
 */
int initramfs_driver_missing(const struct nc_kernel *k, const struct nc_driver *d,
			     char ***ret_missing);

/*
 * Fill in_initramfs/initramfs_path of every module and in_initramfs/
 * initramfs_missing of every driver of k from k->initramfs. A driver whose
 * modules are all built in needs nothing and counts as present. When the
 * kernel has no readable initramfs, modular drivers are marked absent with
 * an empty missing list (the initramfs-missing/-unreadable checks speak).
 * Returns 0 or -ENOMEM.
 */
int initramfs_resolve_drivers(struct nc_kernel *k);

#endif
