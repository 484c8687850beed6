/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every layer: cleanup attributes, string vectors,
 * bounded file reads and an error message carrier.
 *
 * Conventions (see README "Hacking"): functions return 0 (or a count) on
 * success and -errno on failure; outputs are named ret_*; library code never
 * prints, it fills a struct nc_err the caller may show.
 */
#ifndef NC_COMMON_UTIL_H
#define NC_COMMON_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NC_UNUSED __attribute__((unused))
#define NC_PRINTF(f, a) __attribute__((format(printf, f, a)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

void strv_free(char **v);
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                            \
	({                                     \
		__typeof__(p) _tmp_ = (p);     \
		(p) = NULL;                    \
		_tmp_;                         \
	})

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static inline const char *startswith(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

bool endswith(const char *s, const char *suffix);

/* Error message carrier: "FILE: problem". err may be NULL. */
struct nc_err {
	int code;
	char msg[1024];
};

/* Records the message and returns code (a negative errno) for tail calls. */
int nc_err_set(struct nc_err *err, int code, const char *fmt, ...) NC_PRINTF(3, 4);

/* NULL-terminated string vectors. */
size_t strv_length(char *const *v);
int strv_push(char ***v, char *s);          /* takes s, even on failure */
int strv_extend(char ***v, const char *s);  /* copies s */
bool strv_contains(char *const *v, const char *s);
void strv_sort(char **v);

/* asprintf that returns the string or NULL. */
char *strdup_printf(const char *fmt, ...) NC_PRINTF(1, 2);
char *path_join(const char *a, const char *b);

/* Read a whole file, refusing ones larger than max bytes (-EFBIG).
 * The buffer is NUL-terminated (not counted in ret_size). For files of the
 * guest, use snapfs_read_file() of common/snapfs.h. */
int read_file_full(const char *path, size_t max, char **ret_buf, size_t *ret_size);
/* The same on an open fd (-EISDIR on a directory). */
int read_fd_full(int fd, size_t max, char **ret_buf, size_t *ret_size);
/* The first at most n bytes of fd, NUL-terminated. */
int read_fd_head(int fd, size_t n, char **ret_buf, size_t *ret_size);

/* Iterate over the lines of a text buffer in place (modifies it). */
char *line_next(char **cursor);
/* The next line that is neither blank nor a '#' comment, stripped; every
 * line read counts in *lineno (may be NULL). NULL at the end. */
char *line_next_content(char **cursor, unsigned int *lineno);

/* A logical line: first (already stripped) plus the following lines of
 * *cursor while the text ends in a backslash, which becomes a space; each
 * continuation is stripped and counts in *lineno. Returns a new string. */
int line_join_continued(const char *first, char **cursor, unsigned int *lineno,
			char **ret_joined);

/* Trim ASCII whitespace in place; returns s advanced past leading space. */
char *strstrip(char *s);

#endif
