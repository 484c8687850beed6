/* SPDX-License-Identifier: MIT */
/*
 * One compressed stream held in memory, by libarchive: the formats the
 * project meets in kernel payloads (xz, lz4, zstd, gzip, bzip2, lzma) and
 * in modules (xz, zstd, gzip), told apart by their magic.
 */
#ifndef NC_COMMON_DECOMPRESS_H
#define NC_COMMON_DECOMPRESS_H

#include <stddef.h>

/* The format name ("xz", "lz4", ...) buf starts with, or NULL. */
const char *decompress_kind(const void *buf, size_t len);

/*
 * When buf is a compressed stream, *ret_out is a new buffer (free it) with
 * its decompressed bytes and 1 is returned; otherwise 0 with *ret_out NULL.
 * -EINVAL on a corrupt or truncated stream, -EFBIG when it decompresses to
 * more than max bytes, -ENOTSUP when libarchive lacks the filter.
 * ret_kind may be NULL.
 */
int decompress_buffer(const void *buf, size_t len, size_t max, void **ret_out,
		      size_t *ret_len, const char **ret_kind);

#endif
