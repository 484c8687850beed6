/* SPDX-License-Identifier: MIT */
#include "initramfs/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/snapfs.h"

/* What one walk over an image collects. */
struct reader {
	const char *name;       /* file named in messages */
	uint64_t max;           /* cap on uncompressed bytes */
	uint64_t done;          /* uncompressed bytes before the current archive */
	struct nc_err *err;

	char **files;
	size_t n_files, cap_files;
	char **segments;
	size_t n_segments;
	size_t n_entries;
	uint64_t total_size;
	bool dracut, initramfs_tools, mkinitcpio, xen_blkfront;
};

/*
 * The decompressed stream of one compressed segment. cpio readers pull it
 * through stream_read() so that every decompressed byte is counted against
 * the cap, including bytes libarchive's cpio reader skips while hunting
 * for a header.
 */
struct stream {
	struct archive *outer;  /* filters + raw format over the file bytes */
	const uint8_t *pending; /* handed to the next cpio reader first */
	size_t pending_len;
	const uint8_t *block;   /* last block handed out, still valid */
	size_t block_len;
	uint64_t delivered;     /* bytes handed to the current cpio reader */
	uint64_t total;         /* decompressed bytes pulled from outer */
	uint64_t limit;
	int error;              /* why it failed: -EFBIG cap, -EIO decompressor,
				 * -EBADMSG look-ahead */
};

static const char *archive_msg(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s ? s : "truncated";
}

static size_t skip_zeros(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == 0)
		i++;
	return i;
}

/* 1 a block, 0 end of stream, negative error (s->error set). */
static int stream_next_block(struct stream *s, const uint8_t **ret_buf, size_t *ret_len)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	do {
		r = archive_read_data_block(s->outer, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return s->error = -EIO;
	} while (len == 0);
	if (len > s->limit - s->total)
		return s->error = -EFBIG;
	s->total += len;
	*ret_buf = buf;
	*ret_len = len;
	return 1;
}

#define MAX_LOOKAHEAD (4u << 20)

static la_ssize_t stream_read(struct archive *a, void *userdata, const void **ret_buf)
{
	struct stream *s = userdata;
	const uint8_t *buf;
	size_t len;
	int r;

	/* libarchive 3.6's cpio reader reads a name as long as the header
	 * says (up to 4 GiB) in one look-ahead, buffering all we hand it. A
	 * real archive needs a header, a name and a symlink target (1 MiB at
	 * most): refuse to feed a look-ahead beyond that. */
	if (s->delivered - (uint64_t)archive_filter_bytes(a, 0) > MAX_LOOKAHEAD) {
		s->error = -EBADMSG;
		archive_set_error(a, EINVAL, "a header asks for more than %u bytes at once",
				  MAX_LOOKAHEAD);
		return -1;
	}
	if (s->pending_len) {
		buf = s->pending;
		len = s->pending_len;
		s->pending_len = 0;
	} else {
		r = stream_next_block(s, &buf, &len);
		if (r == 0)
			return 0;
		if (r < 0) {
			archive_set_error(a, -r, "%s", r == -EFBIG ? "over the size limit"
						       : archive_msg(s->outer));
			return -1;
		}
	}
	s->block = buf;
	s->block_len = len;
	s->delivered += len;
	*ret_buf = buf;
	return (la_ssize_t)len;
}

/* "./usr/lib/x" and "/usr/lib/x/" both become "usr/lib/x". */
static char *normalize_path(const char *p)
{
	size_t n;

	for (;;) {
		if (p[0] == '/')
			p++;
		else if (p[0] == '.' && p[1] == '/')
			p += 2;
		else
			break;
	}
	if (streq(p, "."))
		p = "";
	n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	return strndup(p, n);
}

static bool path_is_or_under(const char *path, const char *dir)
{
	const char *rest = startswith(path, dir);

	return rest && (*rest == '\0' || *rest == '/');
}

static const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* base is exactly <module>.ko[.xz|.zst|.gz], '-' and '_' alike. */
static bool module_file_matches(const char *base, const char *module)
{
	size_t i;

	for (i = 0; module[i]; i++) {
		char a = base[i] == '-' ? '_' : base[i];
		char b = module[i] == '-' ? '_' : module[i];

		if (a != b)
			return false;
	}
	base += i;
	return streq(base, ".ko") || streq(base, ".ko.xz") || streq(base, ".ko.zst") ||
	       streq(base, ".ko.gz");
}

static void note_markers(struct reader *rd, const char *path)
{
	if (path_is_or_under(path, "usr/lib/dracut") || path_is_or_under(path, "lib/dracut") ||
	    streq(path_basename(path), "dracut-lib.sh"))
		rd->dracut = true;
	if (streq(path, "conf/initramfs.conf") || path_is_or_under(path, "scripts/init-top"))
		rd->initramfs_tools = true;
	if (streq(path, "buildconfig") || streq(path, "init_functions"))
		rd->mkinitcpio = true;
	if (module_file_matches(path_basename(path), "xen-blkfront"))
		rd->xen_blkfront = true;
}

static int add_file(struct reader *rd, char *path)
{
	if (rd->n_files + 1 >= rd->cap_files) {
		size_t ncap = rd->cap_files ? rd->cap_files * 2 : 256;
		char **nv = realloc(rd->files, ncap * sizeof(char *));

		if (!nv) {
			free(path);
			return -ENOMEM;
		}
		rd->files = nv;
		rd->cap_files = ncap;
	}
	rd->files[rd->n_files++] = path;
	rd->files[rd->n_files] = NULL;
	return 0;
}

static int add_segment(struct reader *rd, const char *desc, uint64_t offset)
{
	if (rd->n_segments >= NC_INITRAMFS_MAX_SEGMENTS)
		return nc_err_set(rd->err, -E2BIG,
				  "%s: more than %d archives at offset %llu, refusing",
				  rd->name, NC_INITRAMFS_MAX_SEGMENTS,
				  (unsigned long long)offset);
	rd->n_segments++;
	return strv_extend(&rd->segments, desc);
}

/* Why a cpio walk failed, as an error naming the file. */
static int walk_error(struct reader *rd, struct archive *a, const struct stream *s,
		      const char *desc, uint64_t offset)
{
	if (s && s->error == -EFBIG)
		return nc_err_set(rd->err, -EFBIG,
				  "%s: unpacks to more than %llu bytes, refusing",
				  rd->name, (unsigned long long)rd->max);
	if (s && s->error == -EBADMSG)
		return nc_err_set(rd->err, -EINVAL,
				  "%s: corrupt %s archive at offset %llu (%s)",
				  rd->name, desc, (unsigned long long)offset, archive_msg(a));
	if (s && s->error)
		return nc_err_set(rd->err, -EINVAL,
				  "%s: truncated or corrupt %s archive at offset %llu (%s)",
				  rd->name, desc, (unsigned long long)offset,
				  archive_msg(s->outer));
	if (archive_format(a) == 0)
		return nc_err_set(rd->err, -EINVAL,
				  "%s: not an initramfs (%s data at offset %llu holds no cpio archive)",
				  rd->name, desc, (unsigned long long)offset);
	return nc_err_set(rd->err, -EINVAL,
			  "%s: truncated or corrupt %s archive at offset %llu (%s)",
			  rd->name, desc, (unsigned long long)offset, archive_msg(a));
}

/* Walk one cpio archive up to its TRAILER!!!. */
static int walk_cpio(struct reader *rd, struct archive *a, const struct stream *s,
		     const char *desc, uint64_t offset)
{
	struct archive_entry *e;
	int r;

	for (;;) {
		const char *raw;
		char *path;
		int64_t size;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		/* A warning here means junk was skipped: the kernel rejects it. */
		if (r != ARCHIVE_OK)
			return walk_error(rd, a, s, desc, offset);
		if (++rd->n_entries > NC_INITRAMFS_MAX_ENTRIES)
			return nc_err_set(rd->err, -E2BIG, "%s: more than %d entries, refusing",
					  rd->name, NC_INITRAMFS_MAX_ENTRIES);
		raw = archive_entry_pathname(e);
		if (!raw || strlen(raw) > NC_INITRAMFS_MAX_NAME)
			return nc_err_set(rd->err, -EINVAL,
					  "%s: corrupt %s archive at offset %llu (bad entry name)",
					  rd->name, desc, (unsigned long long)offset);
		size = archive_entry_size(e);
		if (size < 0)
			size = 0;
		/* Refuse before decompressing the data, not after. */
		if (rd->done + (uint64_t)archive_filter_bytes(a, 0) + (uint64_t)size > rd->max)
			return nc_err_set(rd->err, -EFBIG,
					  "%s: unpacks to more than %llu bytes, refusing",
					  rd->name, (unsigned long long)rd->max);
		path = normalize_path(raw);
		if (!path)
			return -ENOMEM;
		note_markers(rd, path);
		if (archive_entry_filetype(e) == AE_IFREG)
			rd->total_size += (uint64_t)size;
		if (path[0] == '\0' || archive_entry_filetype(e) == AE_IFDIR) {
			free(path);
		} else {
			r = add_file(rd, path);
			if (r < 0)
				return r;
		}
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			return walk_error(rd, a, s, desc, offset);
	}
}

/* Where a cpio header keeps the sizes libarchive acts on. */
struct cpio_layout {
	const char *magic[2];
	size_t header;           /* bytes */
	size_t namesize_at, namesize_len, filesize_at, filesize_len;
	unsigned int base;       /* of the ASCII digits */
	unsigned int align;      /* header+name and data are padded to it */
};

static const struct cpio_layout cpio_newc = {
	.magic = {"070701", "070702"}, .header = 110,
	.namesize_at = 94, .namesize_len = 8, .filesize_at = 54, .filesize_len = 8,
	.base = 16, .align = 4,
};
static const struct cpio_layout cpio_odc = {
	.magic = {"070707", NULL}, .header = 76,
	.namesize_at = 59, .namesize_len = 6, .filesize_at = 65, .filesize_len = 11,
	.base = 8, .align = 1,
};

static const struct cpio_layout *cpio_layout_of(const uint8_t *h, size_t left)
{
	static const struct cpio_layout *const layouts[] = { &cpio_newc, &cpio_odc };

	if (left < 6)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		for (size_t m = 0; m < ARRAY_SIZE(layouts[i]->magic) && layouts[i]->magic[m]; m++)
			if (memcmp(h, layouts[i]->magic[m], 6) == 0)
				return layouts[i];
	return NULL;
}

/* Every header digit must be one of base, as libarchive wants it (else it
 * takes the header for junk and hunts for the next). */
static bool cpio_digits(const uint8_t *p, size_t n, unsigned int base, uint64_t *ret)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		v = v * base + d;
	}
	*ret = v;
	return true;
}

static bool cpio_header_digits(const uint8_t *h, const struct cpio_layout *l)
{
	uint64_t v;

	return cpio_digits(h + 6, l->header - 6, l->base, &v);
}

static uint64_t cpio_pad(uint64_t n, unsigned int align)
{
	return (align - n % align) % align;
}

/* A cpio archive at off that libarchive must not see: why, for rd->err. */
static int cpio_corrupt(struct reader *rd, size_t off, const char *fmt, ...) NC_PRINTF(3, 4);
static int cpio_corrupt(struct reader *rd, size_t off, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return nc_err_set(rd->err, -EINVAL,
			  "%s: truncated or corrupt cpio archive at offset %zu (%s)",
			  rd->name, off, why);
}

/*
 * libarchive's cpio reader allocates a buffer as large as the name size a
 * header claims (up to 4 GiB) before it learns whether that many bytes
 * exist. Here all bytes are in memory: check each newc/odc header's name
 * and data sizes against what is left, up to TRAILER!!!, before libarchive
 * sees any. What does not start as newc or odc is libarchive's to judge.
 */
static int cpio_check_sizes(struct reader *rd, const uint8_t *data, size_t len, size_t off)
{
	const struct cpio_layout *l = NULL;
	size_t pos = 0;

	for (;;) {
		const uint8_t *h = data + pos;
		size_t left = len - pos;
		const struct cpio_layout *hl = cpio_layout_of(h, left);
		uint64_t namesize, filesize, name_end, data_end;

		if (!hl && !l)
			return 0;
		/* afio's large ASCII headers (odc archives may hold them) have a
		 * 4-digit name size: nothing to fear. */
		if (!hl && l == &cpio_odc && left >= 6 && memcmp(h, "070727", 6) == 0)
			return 0;
		if (left < 6 || (hl && left < hl->header))
			return cpio_corrupt(rd, off, "it ends at offset %zu, before its TRAILER!!!",
					    off + len);
		/* Junk, or a header of another format: libarchive would hunt
		 * past it for the next header, whatever that one claims. */
		if (!hl || (l && hl != l))
			return cpio_corrupt(rd, off, "no cpio header at offset %zu", off + pos);
		l = hl;
		if (!cpio_header_digits(h, l))
			return cpio_corrupt(rd, off,
					    "a header at offset %zu has a field that is not a number",
					    off + pos);
		cpio_digits(h + l->namesize_at, l->namesize_len, l->base, &namesize);
		cpio_digits(h + l->filesize_at, l->filesize_len, l->base, &filesize);
		name_end = l->header + namesize;
		name_end += cpio_pad(name_end, l->align);
		if (name_end > left)
			return cpio_corrupt(rd, off,
					    "the header at offset %zu gives a %llu-byte name, %zu bytes are left",
					    off + pos, (unsigned long long)namesize, left - l->header);
		if (namesize == 11 && memcmp(h + l->header, "TRAILER!!!", 11) == 0)
			return 0;
		data_end = name_end + filesize;
		data_end += cpio_pad(data_end, l->align);
		if (data_end > left)
			return cpio_corrupt(rd, off,
					    "the header at offset %zu gives %llu bytes of data, %zu bytes are left",
					    off + pos, (unsigned long long)filesize,
					    (size_t)(left - name_end));
		pos += (size_t)data_end;
	}
}

static int parse_uncompressed(struct reader *rd, const uint8_t *data, size_t size,
			      size_t off, size_t *ret_len)
{
	struct archive *a;
	int r;

	r = add_segment(rd, "cpio", off);
	if (r < 0)
		return r;
	r = cpio_check_sizes(rd, data + off, size - off, off);
	if (r < 0)
		return r;
	a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_format_cpio(a);
	if (archive_read_open_memory(a, data + off, size - off) != ARCHIVE_OK)
		r = walk_error(rd, a, NULL, "cpio", off);
	else
		r = walk_cpio(rd, a, NULL, "cpio", off);
	if (r == 0) {
		/* The cpio reader consumed exactly up to the end of TRAILER!!!. */
		*ret_len = (size_t)archive_filter_bytes(a, 0);
		rd->done += *ret_len;
	}
	archive_read_free(a);
	return r;
}

/* The decompressing reader over the file bytes: ARCHIVE_OK or an error. */
static int open_outer(struct archive *a, const uint8_t *data, size_t size)
{
	struct archive_entry *e;
	int r;

	/* Only native decompressors: never an external program on hostile data. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_format_raw(a);
	r = archive_read_open_memory(a, data, size);
	if (r != ARCHIVE_OK)
		return r;
	return archive_read_next_header(a, &e);
}

/* "cpio+zstd"; filter 0 sits next to the format, the last is the file. */
static char *compressed_desc(struct archive *a)
{
	_cleanup_free_ char *desc = strdup("cpio");
	int n = archive_filter_count(a);

	for (int i = 0; desc && i < n - 1; i++) {
		char *d = strdup_printf("%s+%s", desc, archive_filter_name(a, i));

		free(desc);
		desc = d;
	}
	return TAKE_PTR(desc);
}

/*
 * After a cpio archive of a compressed stream ended: find the next non-zero
 * byte of the stream. 1 found (s->pending set), 0 end of stream, -EFBIG, or
 * -EIO when the stream broke after a complete archive.
 */
static int stream_skip_padding(struct stream *s, const uint8_t *rest, size_t len)
{
	for (;;) {
		size_t z = skip_zeros(rest, len);
		int r;

		if (z < len) {
			s->pending = rest + z;
			s->pending_len = len - z;
			return 1;
		}
		r = stream_next_block(s, &rest, &len);
		if (r <= 0)
			return r;
	}
}

/* ret_broken: whether a failure came from the decompressor. */
static int parse_compressed(struct reader *rd, const uint8_t *data, size_t size,
			    size_t off, size_t *ret_len, bool *ret_last, bool *ret_broken)
{
	_cleanup_free_ char *desc = NULL;
	struct stream s = {0};
	uint64_t done_start = rd->done;
	int r;

	*ret_last = false;
	if (size - off >= 4 && memcmp(data + off, "\x89LZO", 4) == 0)
		return nc_err_set(rd->err, -EOPNOTSUPP,
				  "%s: lzo-compressed archive at offset %zu is not supported",
				  rd->name, off);
	s.outer = archive_read_new();
	if (!s.outer)
		return -ENOMEM;
	s.limit = rd->max > rd->done ? rd->max - rd->done : 0;
	/* Without a filter the raw format takes anything and opening memory
	 * cannot fail: a failure here is a recognized but broken stream. */
	if (open_outer(s.outer, data + off, size - off) != ARCHIVE_OK) {
		s.error = -EIO;
		r = nc_err_set(rd->err, -EINVAL,
			       "%s: truncated or corrupt compressed archive at offset %zu (%s)",
			       rd->name, off, archive_msg(s.outer));
		goto out;
	}
	if (archive_filter_count(s.outer) < 2) {
		r = nc_err_set(rd->err, -EINVAL, "%s: not an initramfs (%s at offset %zu)",
			       rd->name, rd->n_segments ? "unrecognized data" : "unrecognized format",
			       off);
		goto out;
	}
	desc = compressed_desc(s.outer);
	if (!desc) {
		r = -ENOMEM;
		goto out;
	}

	for (;;) {
		struct archive *a;
		uint64_t consumed, leftover;

		r = add_segment(rd, desc, off);
		if (r < 0)
			goto out;
		rd->done = done_start + s.total - s.pending_len;
		s.delivered = 0;
		a = archive_read_new();
		if (!a) {
			r = -ENOMEM;
			goto out;
		}
		archive_read_support_format_cpio(a);
		if (archive_read_open(a, &s, NULL, stream_read, NULL) != ARCHIVE_OK)
			r = walk_error(rd, a, &s, desc, off);
		else
			r = walk_cpio(rd, a, &s, desc, off);
		consumed = (uint64_t)archive_filter_bytes(a, 0);
		archive_read_free(a);
		if (r < 0)
			goto out;

		/* What the cpio reader left of the last block follows TRAILER!!!. */
		leftover = s.delivered - consumed;
		if (consumed > s.delivered || leftover > s.block_len) {
			r = nc_err_set(rd->err, -EINVAL,
				       "%s: corrupt %s archive at offset %zu (cannot find its end)",
				       rd->name, desc, off);
			goto out;
		}
		r = stream_skip_padding(&s, s.block + s.block_len - leftover, leftover);
		if (r == -EFBIG) {
			r = walk_error(rd, NULL, &s, desc, off);
			goto out;
		}
		if (r == -EIO) {
			r = nc_err_set(rd->err, -EINVAL,
				       "%s: truncated or corrupt %s archive at offset %zu (%s)",
				       rd->name, desc, off, archive_msg(s.outer));
			goto out;
		}
		if (r == 0)
			break;
	}
	rd->done = done_start + s.total;
	*ret_len = (size_t)archive_filter_bytes(s.outer, archive_filter_count(s.outer) - 1);
	if (*ret_len == 0 || *ret_len > size - off)
		*ret_last = true;
out:
	*ret_broken = s.error == -EIO;
	archive_read_free(s.outer);
	return r;
}

/* Undo what a failed attempt at a segment added. */
static void reader_rollback(struct reader *rd, const struct reader *mark)
{
	char **files = rd->files, **segments = rd->segments;
	size_t cap = rd->cap_files;

	for (size_t i = mark->n_files; i < rd->n_files; i++)
		free(files[i]);
	if (files)
		files[mark->n_files] = NULL;
	for (size_t i = mark->n_segments; i < rd->n_segments; i++)
		free(segments[i]);
	if (segments)
		segments[mark->n_segments] = NULL;
	*rd = *mark;
	rd->files = files;
	rd->segments = segments;
	rd->cap_files = cap;
}

/*
 * A compressed segment. zstd and lz4 reject the zero padding the kernel
 * skips after their stream; when one fails so and the file ends in zeros,
 * read it again without them (a stream may end in a few zero bytes of its
 * own, as an lz4 frame ends in four: try up to eight back).
 */
static int parse_compressed_padded(struct reader *rd, const uint8_t *data, size_t size,
				   size_t off, size_t *ret_len, bool *ret_last)
{
	struct reader mark = *rd;
	struct nc_err first = {0};
	bool broken;
	size_t end = size;
	int r, first_r;

	r = parse_compressed(rd, data, size, off, ret_len, ret_last, &broken);
	if (r != -EINVAL || !broken)
		return r;
	while (end > off && data[end - 1] == 0)
		end--;
	if (end == size)
		return r;
	first_r = r;
	if (rd->err)
		first = *rd->err;
	for (size_t k = 0; k <= 8 && end + k < size; k++) {
		reader_rollback(rd, &mark);
		r = parse_compressed(rd, data, end + k, off, ret_len, ret_last, &broken);
		if (r == 0)
			return 0;
	}
	if (rd->err)
		*rd->err = first;
	return first_r;
}

static const char *generator_name(const struct reader *rd)
{
	if (rd->dracut)
		return "dracut";
	if (rd->initramfs_tools)
		return "initramfs-tools";
	if (rd->mkinitcpio)
		return "mkinitcpio";
	return "unknown";
}

static int sort_and_dedup(struct reader *rd)
{
	size_t j = 0;

	/* An empty list, not NULL: read fine, holds no files. */
	if (!rd->files) {
		rd->files = calloc(1, sizeof(char *));
		return rd->files ? 0 : -ENOMEM;
	}
	strv_sort(rd->files);
	/* A later archive may replace a file of an earlier one. */
	for (size_t i = 0; i < rd->n_files; i++) {
		if (j && streq(rd->files[j - 1], rd->files[i]))
			free(rd->files[i]);
		else
			rd->files[j++] = rd->files[i];
	}
	rd->files[j] = NULL;
	rd->n_files = j;
	return 0;
}

static void clear_contents(struct nc_initramfs *ir)
{
	ir->error = 0;
	free(ir->error_msg);
	ir->error_msg = NULL;
	free(ir->generator);
	ir->generator = NULL;
	strv_free(ir->segments);
	ir->segments = NULL;
	strv_free(ir->files);
	ir->files = NULL;
	ir->total_size = 0;
	ir->has_xen_blkfront = false;
}

void initramfs_clear(struct nc_initramfs *ir)
{
	clear_contents(ir);
	free(ir->path);
	ir->path = NULL;
}

static int set_failure(struct nc_initramfs *out, int r, const struct nc_err *err,
		       const char *name)
{
	out->error = r;
	if (err && err->code == r)
		out->error_msg = strdup(err->msg);
	else
		out->error_msg = strdup_printf("%s: %s", name, strerror(-r));
	return r;
}

static int parse_image(const uint8_t *data, size_t size, const char *name, uint64_t max,
		       struct nc_initramfs *out, struct nc_err *err)
{
	struct reader rd = {.name = name, .max = max, .err = err};
	size_t off = 0;
	int r = 0;

	if (size == 0)
		return nc_err_set(err, -EINVAL, "%s: not an initramfs (empty file)", name);
	for (;;) {
		size_t len = 0;
		bool last = false;

		off += skip_zeros(data + off, size - off);
		if (off >= size)
			break;
		if (size - off >= 4 && memcmp(data + off, "0707", 4) == 0)
			r = parse_uncompressed(&rd, data, size, off, &len);
		else
			r = parse_compressed_padded(&rd, data, size, off, &len, &last);
		if (r < 0)
			break;
		if (last)
			break;
		off += len;
	}
	if (r == 0 && rd.n_segments == 0)
		r = nc_err_set(err, -EINVAL, "%s: not an initramfs (only zero bytes)", name);
	if (r == 0)
		r = sort_and_dedup(&rd);
	if (r == 0) {
		out->generator = strdup(generator_name(&rd));
		if (!out->generator)
			r = -ENOMEM;
	}
	if (r < 0) {
		strv_free(rd.files);
		strv_free(rd.segments);
		return r;
	}
	out->files = rd.files;
	out->segments = rd.segments;
	out->total_size = rd.total_size;
	out->has_xen_blkfront = rd.xen_blkfront;
	return 0;
}

int initramfs_parse(const void *data, size_t size, const char *name,
		    uint64_t max_uncompressed, struct nc_initramfs *out,
		    struct nc_err *err)
{
	struct nc_err local = {0};
	int r;

	if (!err)
		err = &local;
	err->code = 0;
	clear_contents(out);
	r = parse_image(data, size, name, max_uncompressed, out, err);
	if (r < 0)
		return set_failure(out, r, err, name);
	return 0;
}

/* Read the initramfs open on fd (closed here); name is for messages. */
static int read_fd(int fd_in, const char *name, uint64_t max_uncompressed,
		   struct nc_initramfs *out, struct nc_err *err)
{
	_cleanup_close_ int fd = fd_in;
	struct stat st;
	void *map;
	int r;

	if (fstat(fd, &st) < 0) {
		r = nc_err_set(err, -errno, "%s: %s", name, strerror(errno));
		return set_failure(out, r, err, name);
	}
	if (S_ISDIR(st.st_mode)) {
		r = nc_err_set(err, -EISDIR, "%s: not an initramfs (a directory)", name);
		return set_failure(out, r, err, name);
	}
	if (!S_ISREG(st.st_mode)) {
		r = nc_err_set(err, -EINVAL, "%s: not an initramfs (not a regular file)", name);
		return set_failure(out, r, err, name);
	}
	if (st.st_size == 0)
		return initramfs_parse("", 0, name, max_uncompressed, out, err);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		r = nc_err_set(err, -errno, "%s: %s", name, strerror(errno));
		return set_failure(out, r, err, name);
	}
	r = initramfs_parse(map, (size_t)st.st_size, name, max_uncompressed, out, err);
	munmap(map, (size_t)st.st_size);
	return r;
}

/* O_NONBLOCK: a FIFO planted in an image must not hang the scan. */
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

int initramfs_read(const char *host_path, uint64_t max_uncompressed,
		   struct nc_initramfs *out, struct nc_err *err)
{
	const char *name = out->path ? out->path : host_path;
	int fd, r;

	clear_contents(out);
	fd = open(host_path, OPEN_FLAGS);
	if (fd < 0) {
		r = nc_err_set(err, -errno, "%s: %s", name, strerror(errno));
		return set_failure(out, r, err, name);
	}
	return read_fd(fd, name, max_uncompressed, out, err);
}

int initramfs_read_in_root(int rootfd, const char *guest_path, uint64_t max_uncompressed,
			   struct nc_initramfs *out, struct nc_err *err)
{
	const char *name = out->path ? out->path : guest_path;
	int fd, r;

	clear_contents(out);
	fd = snapfs_open(rootfd, guest_path, OPEN_FLAGS);
	if (fd < 0) {
		r = nc_err_set(err, fd, "%s: %s", name, strerror(-fd));
		return set_failure(out, r, err, name);
	}
	return read_fd(fd, name, max_uncompressed, out, err);
}

/* ---- Module lookup ------------------------------------------------------- */

/* Index of the first file >= key in the sorted list. */
static size_t lower_bound(char *const *files, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(files[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Look for the module among the files under prefix (ends with '/'). */
static bool find_under(const struct nc_initramfs *ir, size_t n, const char *prefix,
		       const char *module, const char **ret_path)
{
	size_t len = strlen(prefix);

	for (size_t i = lower_bound(ir->files, n, prefix);
	     i < n && strncmp(ir->files[i], prefix, len) == 0; i++) {
		if (module_file_matches(path_basename(ir->files[i]), module)) {
			if (ret_path)
				*ret_path = ir->files[i];
			return true;
		}
	}
	return false;
}

bool initramfs_find_module_for(const struct nc_initramfs *ir, const char *kver,
			       const char *module, const char **ret_path)
{
	static const char *const roots[] = {"lib/modules/", "usr/lib/modules/"};
	size_t n = strv_length(ir->files);

	if (!module || !*module)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		_cleanup_free_ char *prefix = NULL;

		prefix = kver ? strdup_printf("%s%s/", roots[i], kver) : strdup(roots[i]);
		if (!prefix)
			return false;
		if (find_under(ir, n, prefix, module, ret_path))
			return true;
	}
	return false;
}

bool initramfs_find_module(const struct nc_initramfs *ir, const char *module,
			   const char **ret_path)
{
	return initramfs_find_module_for(ir, NULL, module, ret_path);
}

/* ---- Drivers ------------------------------------------------------------- */

static bool module_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

static const struct nc_module *kernel_module(const struct nc_kernel *k, const char *name)
{
	for (size_t i = 0; i < k->n_drivers; i++)
		for (size_t j = 0; j < k->drivers[i].n_modules; j++)
			if (module_name_eq(k->drivers[i].modules[j].name, name))
				return &k->drivers[i].modules[j];
	return NULL;
}

static bool strv_has_module(char *const *v, const char *name)
{
	for (size_t i = 0; v && v[i]; i++)
		if (module_name_eq(v[i], name))
			return true;
	return false;
}

#define MAX_DEPTH 16

/* Depth-first over name and its known depends; seen avoids loops. */
static int collect_missing(const struct nc_kernel *k, const char *name, char ***seen,
			   char ***missing, unsigned depth)
{
	const struct nc_module *m;
	int r;

	if (depth > MAX_DEPTH || strv_has_module(*seen, name))
		return 0;
	r = strv_extend(seen, name);
	if (r < 0)
		return r;
	m = kernel_module(k, name);
	if (!(m && m->status == NC_DRV_BUILTIN) &&
	    !initramfs_find_module_for(&k->initramfs, k->version, name, NULL)) {
		r = strv_extend(missing, name);
		if (r < 0)
			return r;
	}
	/* A module depends on modules only (modpost never names built-ins);
	 * we know the depends of the driver modules modinfo was read for. */
	for (size_t i = 0; m && m->depends && m->depends[i]; i++) {
		r = collect_missing(k, m->depends[i], seen, missing, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int initramfs_driver_missing(const struct nc_kernel *k, const struct nc_driver *d,
			     char ***ret_missing)
{
	_cleanup_strv_free_ char **seen = NULL;
	_cleanup_strv_free_ char **missing = NULL;
	int r;

	for (size_t i = 0; i < d->n_modules; i++) {
		const struct nc_module *m = &d->modules[i];

		if (m->status == NC_DRV_BUILTIN)
			continue;
		r = collect_missing(k, m->name, &seen, &missing, 0);
		if (r < 0)
			return r;
	}
	r = (int)strv_length(missing);
	*ret_missing = TAKE_PTR(missing);
	return r;
}

static bool driver_all_builtin(const struct nc_driver *d)
{
	for (size_t i = 0; i < d->n_modules; i++)
		if (d->modules[i].status != NC_DRV_BUILTIN)
			return false;
	return d->status == NC_DRV_BUILTIN || d->n_modules > 0;
}

int initramfs_resolve_drivers(struct nc_kernel *k)
{
	bool readable = k->initramfs.path && !k->initramfs.error;

	for (size_t i = 0; i < k->n_drivers; i++) {
		struct nc_driver *d = &k->drivers[i];
		int r;

		strv_free(d->initramfs_missing);
		d->initramfs_missing = NULL;
		for (size_t j = 0; j < d->n_modules; j++) {
			struct nc_module *m = &d->modules[j];
			const char *path;

			free(m->initramfs_path);
			m->initramfs_path = NULL;
			m->in_initramfs = false;
			if (!readable || m->status == NC_DRV_BUILTIN)
				continue;
			if (initramfs_find_module_for(&k->initramfs, k->version, m->name, &path)) {
				m->in_initramfs = true;
				m->initramfs_path = strdup(path);
				if (!m->initramfs_path)
					return -ENOMEM;
			}
		}
		if (driver_all_builtin(d)) {
			d->in_initramfs = true;
			continue;
		}
		if (!readable) {
			d->in_initramfs = false;
			continue;
		}
		r = initramfs_driver_missing(k, d, &d->initramfs_missing);
		if (r < 0)
			return r;
		d->in_initramfs = r == 0;
	}
	return 0;
}
