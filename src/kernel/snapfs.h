/* SPDX-License-Identifier: MIT */
/*
 * Reading guest files from a snapshot directory without ever leaving it:
 * absolute symlinks (/vmlinuz -> /boot/vmlinuz-...) resolve inside the
 * snapshot root and ".." stops at it, as in a chroot (openat_in_root() of
 * common/util: openat2 RESOLVE_IN_ROOT, or a walk before Linux 5.6).
 */
#ifndef NC_KERNEL_SNAPFS_H
#define NC_KERNEL_SNAPFS_H

#include <stdbool.h>
#include <stddef.h>

/* Open guest path inside rootfd with open(2) flags; fd or -errno. */
int snap_open(int rootfd, const char *path, int flags);

/* Whole file, NUL-terminated, at most max bytes (-EFBIG beyond). */
int snap_read_file(int rootfd, const char *path, size_t max, char **ret_buf, size_t *ret_size);
/* The first at most n bytes of a regular file. */
int snap_read_head(int rootfd, const char *path, size_t n, char **ret_buf, size_t *ret_size);
/* Whether path is a regular file (after symlinks, inside the root). */
bool snap_is_file(int rootfd, const char *path);
bool snap_is_dir(int rootfd, const char *path);
/* Entry names of a directory, sorted, without "." and "..". */
int snap_list_dir(int rootfd, const char *path, char ***ret_names);

#endif
