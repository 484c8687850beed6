/* SPDX-License-Identifier: MIT */
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

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

/*
 * Read fd to its end: at most max bytes (-EFBIG beyond), or with truncate the
 * first max bytes. A regular file's size sizes the buffer; files that report
 * none (procfs) or grow while read are still read whole, up to max.
 */
static int read_fd(int fd, size_t max, bool truncate, char **ret_buf, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, hint, cap, limit;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max && !truncate)
		return -EFBIG;
	if (max > SIZE_MAX - 2)
		return -EINVAL;
	/* max bytes, one more to see a file longer than max, and the NUL. */
	limit = max + 2;
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		hint = (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
	else
		hint = max < 8192 ? max : 8192;
	cap = hint + 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (size == cap - 1) {
			size_t ncap = cap > limit / 2 ? limit : cap * 2;
			char *nb;

			if (cap == limit)
				break;
			nb = realloc(buf, ncap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + size, cap - 1 - size);
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

int read_fd_full(int fd, size_t max, char **ret_buf, size_t *ret_size)
{
	return read_fd(fd, max, false, ret_buf, ret_size);
}

int read_fd_head(int fd, size_t n, char **ret_buf, size_t *ret_size)
{
	return read_fd(fd, n, true, ret_buf, ret_size);
}

int read_file_full(const char *path, size_t max, char **ret_buf, size_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd_full(fd, max, ret_buf, ret_size);
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

char *line_next_content(char **cursor, unsigned int *lineno)
{
	char *l;

	while ((l = line_next(cursor))) {
		if (lineno)
			(*lineno)++;
		l = strstrip(l);
		if (*l && *l != '#')
			return l;
	}
	return NULL;
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
