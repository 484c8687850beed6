/* SPDX-License-Identifier: MIT */
#include "kernel/snapfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

int snap_open(int rootfd, const char *path, int flags)
{
	while (*path == '/')
		path++;
	return openat_in_root(rootfd, *path ? path : ".", flags);
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
