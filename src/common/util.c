/* SPDX-License-Identifier: MIT */
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

bool endswith(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int nc_err_set(struct nc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int strv_push(char ***v, char *s)
{
	size_t n = strv_length(*v);
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_extend(char ***v, const char *s)
{
	return strv_push(v, strdup(s));
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **v)
{
	size_t n = strv_length(v);

	if (n > 1)
		qsort(v, n, sizeof(char *), cmp_str);
}

char *strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (*b == '/')
		b++;
	if (la && a[la - 1] == '/')
		return strdup_printf("%s%s", a, b);
	return strdup_printf("%s/%s", a, b);
}

static int read_fd_full(int fd, size_t max, char **ret_buf, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, cap = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return -EFBIG;
	for (;;) {
		ssize_t n;

		if (size + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= size + 1) {
				/* Buffer full at max: one more byte means too big. */
				char c;

				n = read(fd, &c, 1);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					return -errno;
				if (n > 0)
					return -EFBIG;
				break;
			}
			nb = realloc(buf, ncap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + size, cap - size - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		size += (size_t)n;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[size] = '\0';
	*ret_buf = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_size)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd_full(fd, max, ret_buf, ret_size);
}

int read_file_full(const char *path, size_t max, char **ret_buf, size_t *ret_size)
{
	return read_file_at(AT_FDCWD, path, max, ret_buf, ret_size);
}

char *line_next(char **cursor)
{
	char *s = *cursor, *nl;

	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}

int line_join_continued(const char *first, char **cursor, unsigned int *lineno,
			char **ret_joined)
{
	char *joined = strdup(first);
	size_t len;

	if (!joined)
		return -ENOMEM;
	while ((len = strlen(joined)) && joined[len - 1] == '\\') {
		char *next = line_next(cursor), *nj;

		joined[len - 1] = ' ';
		if (!next)
			break;
		(*lineno)++;
		nj = strdup_printf("%s%s", joined, strstrip(next));
		free(joined);
		if (!nj)
			return -ENOMEM;
		joined = nj;
	}
	*ret_joined = joined;
	return 0;
}

char *strstrip(char *s)
{
	char *e;

	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * The same walk in user space, for kernels (< 5.6) and sandboxes (valgrind,
 * old seccomp profiles) without openat2: one component at a time, ".." and
 * absolute symlink targets never leave rootfd.
 */
static int openat_in_root_slow(int rootfd, const char *path, int flags)
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

int openat_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	while (*path == '/')
		path++;
	fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return openat_in_root_slow(rootfd, path, flags);
	return fd < 0 ? -errno : (int)fd;
}

int read_file_in_root(int rootfd, const char *path, size_t max, char **ret_buf,
		      size_t *ret_size)
{
	_cleanup_close_ int fd = openat_in_root(rootfd, path, O_RDONLY | O_NOCTTY);

	if (fd < 0)
		return fd;
	return read_fd_full(fd, max, ret_buf, ret_size);
}

bool exists_in_root(int rootfd, const char *path)
{
	_cleanup_close_ int fd = openat_in_root(rootfd, path, O_PATH | O_CLOEXEC);

	return fd >= 0;
}

const char *first_existing_in_root(int rootfd, const char *const *paths)
{
	for (size_t i = 0; paths[i]; i++)
		if (exists_in_root(rootfd, paths[i]))
			return paths[i];
	return NULL;
}
