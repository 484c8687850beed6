/* SPDX-License-Identifier: MIT */
/*
 * Reading guest files from a snapshot directory (the host copy of an image's
 * tree, or / itself with --root /) as if chrooted there: ".." stops at the
 * root and symlinks, absolute ones too (/vmlinuz -> /boot/vmlinuz-X), resolve
 * inside it. Every reader of guest files goes through here.
 *
 * Paths are guest paths; a leading "/" is optional and "" or "/" is the root.
 * Functions return 0 (or an fd) or -errno: -ENOENT also when a symlink would
 * have left the root, -EISDIR for a directory where a file was wanted, -EBADF
 * for any other file that is not a regular file (FIFO, device, socket: never
 * read, since reading one could block or never end), -EFBIG past a size cap.
 */
#ifndef NC_COMMON_SNAPFS_H
#define NC_COMMON_SNAPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* open(2) of a guest path inside rootfd, with open(2) flags (O_CLOEXEC is
 * added). openat2 RESOLVE_IN_ROOT, or the same walk in user space where
 * openat2 is missing (Linux < 5.6) or filtered (seccomp). fd or -errno. */
int snapfs_open(int rootfd, const char *path, int flags);

/* A whole regular file, NUL-terminated (not counted in ret_size, which may
 * be NULL), at most max bytes: -EFBIG beyond, before anything is read. */
int snapfs_read_file(int rootfd, const char *path, size_t max, char **ret_buf,
		     size_t *ret_size);
/* The first at most n bytes of a regular file, NUL-terminated. */
int snapfs_read_head(int rootfd, const char *path, size_t n, char **ret_buf,
		     size_t *ret_size);

/* stat(2) of path (after symlinks, inside the root). */
int snapfs_stat(int rootfd, const char *path, struct stat *ret);
/* Whether path exists / is a regular file / is a directory (after symlinks,
 * inside the root). */
bool snapfs_exists(int rootfd, const char *path);
bool snapfs_is_file(int rootfd, const char *path);
bool snapfs_is_dir(int rootfd, const char *path);
/* The first of a NULL-terminated list of paths that exists, or NULL. */
const char *snapfs_first_existing(int rootfd, const char *const *paths);

/* Entry names of a directory, sorted, without "." and "..". With glob, only
 * the names fnmatch(3) matches, and a leading "." only by an explicit one
 * (FNM_PERIOD: "*.conf" skips ".x.conf"). */
int snapfs_list_dir(int rootfd, const char *path, const char *glob, char ***ret_names);

#endif
