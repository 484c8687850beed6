/* SPDX-License-Identifier: MIT */
#include "common/snapfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "common/util.h"

/*
 * The walk of RESOLVE_IN_ROOT in user space, for kernels (< 5.6) and
 * sandboxes (valgrind, old seccomp profiles) without openat2: one component
 * at a time, ".." and absolute symlink targets never leave rootfd.
 */
static int open_in_root_walk(int rootfd, const char *path, int flags)
{
	_cleanup_free_ char *todo = strdup(path);
	int dirs[256], depth = 0, links = 0, r = -ENOENT;
	char *cur;

	if (!todo)
		return -ENOMEM;
	dirs[0] = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirs[0] < 0)
		return -errno;
	cur = todo;
	for (;;) {
		char *comp, *rest;
		struct stat st;
		int fd;

		while (*cur == '/')
			cur++;
		if (!*cur) {
			/* The path named a directory: reopen it with the caller's flags. */
			fd = openat(dirs[depth], ".", flags | O_CLOEXEC);
			r = fd < 0 ? -errno : fd;
			break;
		}
		comp = cur;
		rest = strchrnul(cur, '/');
		cur = *rest ? rest + 1 : rest;
		*rest = '\0';
		if (streq(comp, "."))
			continue;
		if (streq(comp, "..")) {
			if (depth > 0)
				close(dirs[depth--]);
			continue;
		}
		fd = openat(dirs[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			r = -errno;
			if (fd >= 0)
				close(fd);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(dirs[depth], comp, target, sizeof(target) - 1);
			char *next;

			close(fd);
			if (n < 0 || ++links > 40) {
				r = n < 0 ? -errno : -ELOOP;
				break;
			}
			target[n] = '\0';
			next = strdup_printf("%s/%s", target, cur);
			if (!next) {
				r = -ENOMEM;
				break;
			}
			if (target[0] == '/')
				while (depth > 0)
					close(dirs[depth--]);
			free(todo);
			todo = next;
			cur = todo;
			continue;
		}
		if (!*cur) {
			/* The last component: open it for real. */
			close(fd);
			fd = openat(dirs[depth], comp, flags | O_NOFOLLOW | O_CLOEXEC);
			r = fd < 0 ? -errno : fd;
			break;
		}
		if (!S_ISDIR(st.st_mode) || depth + 1 >= (int)ARRAY_SIZE(dirs)) {
			close(fd);
			r = S_ISDIR(st.st_mode) ? -ENAMETOOLONG : -ENOTDIR;
			break;
		}
		dirs[++depth] = fd;
	}
	while (depth >= 0)
		close(dirs[depth--]);
	return r;
}

int snapfs_open(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	int tries = 0;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	/* EAGAIN: a rename raced a ".." (a live tree with --root /); retry. */
	do {
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	} while (fd < 0 && errno == EAGAIN && ++tries < 8);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return open_in_root_walk(rootfd, path, flags);
	return fd < 0 ? -errno : (int)fd;
}

/*
 * Read path with reader (read_fd_full or read_fd_head) if it is a regular
 * file. O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
 * writer before we could refuse it.
 */
static int read_regular(int rootfd, const char *path, size_t max,
			int (*reader)(int fd, size_t max, char **ret_buf, size_t *ret_size),
			char **ret_buf, size_t *ret_size)
{
	_cleanup_close_ int fd = snapfs_open(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	return reader(fd, max, ret_buf, ret_size);
}

int snapfs_read_file(int rootfd, const char *path, size_t max, char **ret_buf,
		     size_t *ret_size)
{
	return read_regular(rootfd, path, max, read_fd_full, ret_buf, ret_size);
}

int snapfs_read_head(int rootfd, const char *path, size_t n, char **ret_buf,
		     size_t *ret_size)
{
	return read_regular(rootfd, path, n, read_fd_head, ret_buf, ret_size);
}

int snapfs_stat(int rootfd, const char *path, struct stat *ret)
{
	_cleanup_close_ int fd = snapfs_open(rootfd, path, O_PATH);

	if (fd < 0)
		return fd;
	return fstat(fd, ret) < 0 ? -errno : 0;
}

/* The file type of path (S_IFREG, ...) or -errno. */
static int file_type(int rootfd, const char *path)
{
	struct stat st;
	int r = snapfs_stat(rootfd, path, &st);

	return r < 0 ? r : (int)(st.st_mode & S_IFMT);
}

bool snapfs_exists(int rootfd, const char *path)
{
	return file_type(rootfd, path) >= 0;
}

bool snapfs_is_file(int rootfd, const char *path)
{
	return file_type(rootfd, path) == S_IFREG;
}

bool snapfs_is_dir(int rootfd, const char *path)
{
	return file_type(rootfd, path) == S_IFDIR;
}

const char *snapfs_first_existing(int rootfd, const char *const *paths)
{
	for (size_t i = 0; paths[i]; i++)
		if (snapfs_exists(rootfd, paths[i]))
			return paths[i];
	return NULL;
}

int snapfs_list_dir(int rootfd, const char *path, const char *glob, char ***ret_names)
{
	_cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (!names)
		return -ENOMEM;
	fd = snapfs_open(rootfd, path, O_RDONLY | O_DIRECTORY);
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
		if (glob && fnmatch(glob, de->d_name, FNM_PERIOD) != 0)
			continue;
		r = strv_extend(&names, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	strv_sort(names);
	*ret_names = TAKE_PTR(names);
	return 0;
}
