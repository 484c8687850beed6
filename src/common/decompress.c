/* SPDX-License-Identifier: MIT */
#include "common/decompress.h"

#include <archive.h>
#include <errno.h>
#include <string.h>

#include "common/util.h"

static const struct {
	const char *kind;
	const char *magic;
	size_t len;
	int (*support)(struct archive *a);
} formats[] = {
	{ "xz", "\xfd" "7zXZ\0", 6, archive_read_support_filter_xz },
	{ "lz4", "\x02\x21\x4c\x18", 4, archive_read_support_filter_lz4 },  /* legacy, lz4 -l */
	{ "lz4", "\x04\x22\x4d\x18", 4, archive_read_support_filter_lz4 },
	{ "zstd", "\x28\xb5\x2f\xfd", 4, archive_read_support_filter_zstd },
	{ "gzip", "\x1f\x8b", 2, archive_read_support_filter_gzip },
	{ "bzip2", "BZh", 3, archive_read_support_filter_bzip2 },
	{ "lzma", "\x5d\x00\x00", 3, archive_read_support_filter_lzma },
};

static int format_index(const void *buf, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		if (len >= formats[i].len && memcmp(buf, formats[i].magic, formats[i].len) == 0)
			return (int)i;
	return -1;
}

const char *decompress_kind(const void *buf, size_t len)
{
	int i = format_index(buf, len);

	return i < 0 ? NULL : formats[i].kind;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

int decompress_buffer(const void *buf, size_t len, size_t max, void **ret_out,
		      size_t *ret_len, const char **ret_kind)
{
	_cleanup_(archive_freep) struct archive *a = NULL;
	_cleanup_free_ char *out = NULL;
	struct archive_entry *entry;
	size_t size = 0, cap = 0;
	int i = format_index(buf, len), r;

	*ret_out = NULL;
	*ret_len = 0;
	if (ret_kind)
		*ret_kind = NULL;
	if (i < 0)
		return 0;

	a = archive_read_new();
	if (!a)
		return -ENOMEM;
	/* ARCHIVE_WARN: libarchive would run an external program; accept. */
	r = formats[i].support(a);
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return -ENOTSUP;
	if (archive_read_support_format_raw(a) != ARCHIVE_OK)
		return -ENOTSUP;
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &entry) != ARCHIVE_OK)
		return -EINVAL;
	/* A stream that only looked compressed was read as raw bytes. */
	if (archive_filter_count(a) < 2)
		return -EINVAL;
	for (;;) {
		la_ssize_t n;

		if (size == cap) {
			size_t ncap = cap ? cap * 2 : 256 * 1024;
			char *nb;

			if (cap >= max + 1)
				return -EFBIG;
			if (ncap > max + 1)
				ncap = max + 1;
			nb = realloc(out, ncap);
			if (!nb)
				return -ENOMEM;
			out = nb;
			cap = ncap;
		}
		n = archive_read_data(a, out + size, cap - size);
		if (n < 0)
			return -EINVAL;
		if (n == 0)
			break;
		size += (size_t)n;
		if (size > max)
			return -EFBIG;
	}
	if (size == 0)
		return -EINVAL;
	*ret_out = TAKE_PTR(out);
	*ret_len = size;
	if (ret_kind)
		*ret_kind = formats[i].kind;
	return 1;
}
