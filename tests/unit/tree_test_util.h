/* SPDX-License-Identifier: MIT */
/* Temporary guest trees for the net, xen and platform tests. */
#ifndef NC_TREE_TEST_UTIL_H
#define NC_TREE_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "facts/facts.h"

static inline char *tree_new(void)
{
	char tmpl[] = "/tmp/nc-tree-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

/* mkdir -p of the parent directories of root/path. */
static inline int tree_mkdirs(const char *root, const char *path)
{
	char *full = path_join(root, path), *p;

	if (!full)
		return -ENOMEM;
	for (p = full + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(full, 0755) < 0 && errno != EEXIST) {
			free(full);
			return -errno;
		}
		*p = '/';
	}
	free(full);
	return 0;
}

static inline int tree_write(const char *root, const char *path, const char *text)
{
	char *full = path_join(root, path);
	FILE *f;
	int r = tree_mkdirs(root, path);

	if (r < 0 || !full) {
		free(full);
		return r < 0 ? r : -ENOMEM;
	}
	f = fopen(full, "w");
	free(full);
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

static inline int tree_symlink(const char *root, const char *path, const char *target)
{
	char *full = path_join(root, path);
	int r = tree_mkdirs(root, path);

	if (r >= 0 && full && symlink(target, full) < 0)
		r = -errno;
	free(full);
	return r;
}

static inline int tree_mkdir(const char *root, const char *path)
{
	char *full = path_join(root, path);
	int r = tree_mkdirs(root, path);

	if (r >= 0 && full && mkdir(full, 0755) < 0 && errno != EEXIST)
		r = -errno;
	free(full);
	return r;
}

/* Copy a host file into the tree (cp). */
static inline int tree_copy(const char *root, const char *path, const char *host)
{
	char *buf = NULL, *full = path_join(root, path);
	size_t size;
	int r = read_file_full(host, 256u << 20, &buf, &size), fd;

	if (r >= 0)
		r = tree_mkdirs(root, path);
	if (r >= 0) {
		fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0755);
		if (fd < 0)
			r = -errno;
		else {
			if (write(fd, buf, size) != (ssize_t)size)
				r = -EIO;
			close(fd);
		}
	}
	free(buf);
	free(full);
	return r;
}

static inline int tree_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static inline void tree_free(char *root)
{
	if (root)
		nftw(root, tree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

static inline int snap_open(const char *root, struct nc_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->root = (char *)root;
	snap->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return snap->rootfd < 0 ? -errno : 0;
}

#endif
