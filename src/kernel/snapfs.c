/* SPDX-License-Identifier: MIT */
#include "kernel/snapfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

/* Symlinks followed per lookup, as the kernel's MAXSYMLINKS. */
#define SNAP_MAX_SYMLINKS 40

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int replace_fd(int *fd, int nfd)
{
	if (nfd < 0)
		return -errno;
	close(*fd);
	*fd = nfd;
	return 0;
}

int snap_open_walk(int rootfd, const char *path, int flags)
{
	_cleanup_free_ char *todo = strdup(path);
	_cleanup_close_ int cur = -1;
	int links = 0, r;
	char *rest;

	if (!todo)
		return -ENOMEM;
	cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	rest = todo;
	for (;;) {
		char *name, target[4096];
		struct stat st;
		ssize_t n;
		int fd;

		while (*rest == '/')
			rest++;
		if (!*rest) {
			/* The path named a directory (or the root itself). */
			fd = openat(cur, ".", flags | O_CLOEXEC);
			return fd < 0 ? -errno : fd;
		}
		name = rest;
		rest += strcspn(rest, "/");
		if (*rest)
			*rest++ = '\0';
		if (streq(name, "."))
			continue;
		if (streq(name, "..")) {
			if (same_inode(cur, rootfd))
				continue;
			r = replace_fd(&cur, openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
			if (r < 0)
				return r;
			continue;
		}
		if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode)) {
			_cleanup_free_ char *next = NULL;

			if (++links > SNAP_MAX_SYMLINKS)
				return -ELOOP;
			n = readlinkat(cur, name, target, sizeof(target) - 1);
			if (n < 0)
				return -errno;
			target[n] = '\0';
			if (target[0] == '/') {
				r = replace_fd(&cur, openat(rootfd, ".",
							    O_PATH | O_DIRECTORY | O_CLOEXEC));
				if (r < 0)
					return r;
			}
			next = strdup_printf("%s/%s", target, rest);
			if (!next)
				return -ENOMEM;
			free(todo);
			todo = TAKE_PTR(next);
			rest = todo;
			continue;
		}
		if (!*rest) {
			fd = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
			return fd < 0 ? -errno : fd;
		}
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		r = replace_fd(&cur, openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
		if (r < 0)
			return r;
	}
}

int snap_open(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS || errno == EPERM)
		/* No openat2 (before 5.6), or a seccomp filter refusing it. */
		return snap_open_walk(rootfd, path, flags);
	return -errno;
}

static int read_fd(int fd, size_t max, bool truncate, char **ret_buf, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, cap;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if ((uint64_t)st.st_size > max && !truncate)
		return -EFBIG;
	/* One spare byte to see growth past max, and the NUL. */
	cap = (uint64_t)st.st_size < max ? (size_t)st.st_size + 2 : max + 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	while (size < cap - 1) {
		ssize_t n = read(fd, buf + size, cap - 1 - size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		size += (size_t)n;
	}
	if (size > max) {
		if (!truncate)
			return -EFBIG;
		size = max;
	}
	buf[size] = '\0';
	*ret_buf = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int snap_read_file(int rootfd, const char *path, size_t max, char **ret_buf, size_t *ret_size)
{
	_cleanup_close_ int fd = snap_open(rootfd, path, O_RDONLY | O_NOCTTY);

	if (fd < 0)
		return fd;
	return read_fd(fd, max, false, ret_buf, ret_size);
}

int snap_read_head(int rootfd, const char *path, size_t n, char **ret_buf, size_t *ret_size)
{
	_cleanup_close_ int fd = snap_open(rootfd, path, O_RDONLY | O_NOCTTY);

	if (fd < 0)
		return fd;
	return read_fd(fd, n, true, ret_buf, ret_size);
}

static bool snap_is_mode(int rootfd, const char *path, mode_t type)
{
	_cleanup_close_ int fd = snap_open(rootfd, path, O_PATH);
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

bool snap_is_file(int rootfd, const char *path)
{
	return snap_is_mode(rootfd, path, S_IFREG);
}

bool snap_is_dir(int rootfd, const char *path)
{
	return snap_is_mode(rootfd, path, S_IFDIR);
}

int snap_list_dir(int rootfd, const char *path, char ***ret_names)
{
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	fd = snap_open(rootfd, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = strv_extend(&names, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	if (!names) {
		names = calloc(1, sizeof(char *));
		if (!names)
			return -ENOMEM;
	}
	strv_sort(names);
	*ret_names = TAKE_PTR(names);
	return 0;
}
