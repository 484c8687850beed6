/* SPDX-License-Identifier: MIT */
/*
 * initramfs reader and checks: archives built here with libarchive's write
 * API (every compression the kernel takes, early cpio before a compressed
 * main archive, compressed modules, dracut and initramfs-tools layouts),
 * the real Debian images in /boot, a dracut image made in the setup, and
 * hostile inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "initramfs/initramfs.h"
#include "rules/rules.h"
#include "kver_test_util.h"

/* The made-up versions of the archives and facts built here; the tests on
 * the real images in /boot use the installed ones (kver_test_util.h). */
#define KVER "6.1.0-56-amd64"
#define KVER_CLOUD "6.1.0-56-cloud-amd64"
#define MODDIR "usr/lib/modules/" KVER "/kernel/drivers/"
/* A module's path in a real initramfs of the installed generic kernel. */
#define REAL_MODULE_FMT "usr/lib/modules/%s/kernel/drivers/%s"
#define BIG (64ULL << 20)

/* ---- Stand-ins for the rule engine, used only when it is not linked ---- */

__attribute__((weak)) const char *nc_param_str(const struct nc_rule *r, const char *key,
					       const char *def)
{
	json_t *v = r->params ? json_object_get(r->params, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : def;
}

__attribute__((weak)) int nc_finding_add(struct nc_findings *out, const struct nc_rule *r,
					 const struct nc_facts *facts, enum nc_severity sev,
					 const struct nc_where *where, const char *const *vars,
					 const char *fmt, ...)
{
	struct nc_finding *f;
	va_list ap;
	int n;

	out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
	assert_non_null(out->v);
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->rule_id = strdup(r->id);
	f->severity = sev;
	f->kernel = where && where->kernel ? strdup(where->kernel) : NULL;
	f->file = where && where->file ? strdup(where->file) : NULL;
	va_start(ap, fmt);
	n = vasprintf(&f->message, fmt, ap);
	va_end(ap);
	return n < 0 ? -ENOMEM : 0;
}

static void findings_clear(struct nc_findings *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].rule_id);
		free(fs->v[i].title);
		free(fs->v[i].kernel);
		free(fs->v[i].message);
		free(fs->v[i].file);
		free(fs->v[i].text);
		free(fs->v[i].remediation);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}

/* ---- Building archives ---------------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void buf_append(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_zeros(struct buf *b, size_t n)
{
	unsigned char z[512] = {0};

	while (n) {
		size_t k = n < sizeof(z) ? n : sizeof(z);

		buf_append(b, z, k);
		n -= k;
	}
}

static la_ssize_t buf_write(struct archive *a, void *ud, const void *data, size_t n)
{
	buf_append(ud, data, n);
	return (la_ssize_t)n;
}

enum { F = 'f', D = 'd', L = 'l' };

struct fentry {
	int type;
	const char *path;
	const char *data;       /* file content or symlink target */
	uint64_t zeros;         /* file of that many zero bytes instead */
};

struct filter {
	const char *name;       /* as initramfs_read names it after "cpio+" */
	int code;
	const char *program;    /* external compressor instead of code */
};

static const struct filter filters[] = {
	{"gzip", ARCHIVE_FILTER_GZIP, NULL},
	{"xz", ARCHIVE_FILTER_XZ, NULL},
	{"lzma", ARCHIVE_FILTER_LZMA, NULL},
	{"zstd", ARCHIVE_FILTER_ZSTD, NULL},
	{"lz4", ARCHIVE_FILTER_LZ4, NULL},          /* lz4 frame format */
	{"lz4", 0, "lz4 -l -q"},                    /* legacy: what the kernel takes */
	{"bzip2", ARCHIVE_FILTER_BZIP2, NULL},
};

/* Whether the first word of cmd is an executable on PATH. */
static bool have_program(const char *cmd)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *dirs = strdup(path ? path : "/usr/bin:/bin");
	char name[64], *save = NULL;

	if (sscanf(cmd, "%63s", name) != 1)
		return false;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = path_join(d, name);

		if (full && access(full, X_OK) == 0)
			return true;
	}
	return false;
}

/* Append a cpio archive of entries in a format (set_format: libarchive's
 * archive_write_set_format_cpio_*), compressed with f (NULL: none). */
static void write_cpio_as(struct buf *out, const struct fentry *e, size_t n,
			  const struct filter *f, int (*set_format)(struct archive *))
{
	struct archive *a = archive_write_new();
	static char zeros[65536];

	assert_non_null(a);
	assert_int_equal(set_format(a), ARCHIVE_OK);
	if (f && f->program)
		assert_int_equal(archive_write_add_filter_program(a, f->program), ARCHIVE_OK);
	else if (f)
		assert_int_equal(archive_write_add_filter(a, f->code), ARCHIVE_OK);
	/* Uncompressed archives keep libarchive's zero padding to 10240 bytes
	 * (real early archives are padded too); compressed ones end with
	 * their stream, as cpio | zstd writes them. */
	if (f)
		archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open(a, out, NULL, buf_write, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		uint64_t size = e[i].type == F ? (e[i].data ? strlen(e[i].data) : e[i].zeros) : 0;

		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_mtime(ae, 1700000000, 0);
		archive_entry_set_nlink(ae, 1);
		archive_entry_set_size(ae, 0);
		if (e[i].type == D) {
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
		} else if (e[i].type == L) {
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_set_symlink(ae, e[i].data);
		} else {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, (la_int64_t)size);
		}
		if (archive_write_header(a, ae) != ARCHIVE_OK)
			fail_msg("%s: %s", e[i].path, archive_error_string(a));
		if (e[i].type == F && e[i].data) {
			assert_int_equal(archive_write_data(a, e[i].data, size), (la_ssize_t)size);
		} else if (e[i].type == F) {
			for (uint64_t left = size; left;) {
				size_t k = left < sizeof(zeros) ? left : sizeof(zeros);

				assert_int_equal(archive_write_data(a, zeros, k), (la_ssize_t)k);
				left -= k;
			}
		}
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* Append a newc cpio archive, the kernel's format. */
static void write_cpio(struct buf *out, const struct fentry *e, size_t n,
		       const struct filter *f)
{
	write_cpio_as(out, e, n, f, archive_write_set_format_cpio_newc);
}

/* Compress raw bytes (not a cpio) with f: for streams that lie. */
static void write_raw(struct buf *out, const void *data, size_t n, uint64_t zeros,
		      const struct filter *f)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	static char z[65536];

	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter(a, f->code), ARCHIVE_OK);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open(a, out, NULL, buf_write, NULL), ARCHIVE_OK);
	archive_entry_set_pathname(ae, "data");
	archive_entry_set_filetype(ae, AE_IFREG);
	assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
	if (n)
		assert_int_equal(archive_write_data(a, data, n), (la_ssize_t)n);
	for (uint64_t left = zeros; left;) {
		size_t k = left < sizeof(z) ? left : sizeof(z);

		assert_int_equal(archive_write_data(a, z, k), (la_ssize_t)k);
		left -= k;
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(ae);
	archive_write_free(a);
}

/* The early microcode archive, as initramfs-tools and dracut write it. */
static const struct fentry early[] = {
	{D, "kernel"},
	{D, "kernel/x86"},
	{D, "kernel/x86/microcode"},
	{F, "kernel/x86/microcode/GenuineIntel.bin", "intel microcode blob"},
};

/* An initramfs-tools main archive ("find . | cpio"), compressed modules. */
static const struct fentry itools[] = {
	{D, "."},
	{D, "./conf"},
	{F, "./conf/initramfs.conf", "MODULES=most\nBUSYBOX=auto\n"},
	{D, "./scripts"},
	{D, "./scripts/init-top"},
	{F, "./scripts/init-top/udev", "#!/bin/sh\n"},
	{F, "./init", "#!/bin/sh\nexec run-init\n"},
	{L, "./bin/sh", "busybox"},
	{D, "./usr/lib/modules/" KVER "/kernel/drivers/nvme/host"},
	{F, "./" MODDIR "nvme/host/nvme.ko.zst", "zstd-compressed nvme"},
	{F, "./" MODDIR "nvme/host/nvme-core.ko.zst", "zstd-compressed nvme-core"},
	{F, "./" MODDIR "nvme/host/nvme-fabrics.ko.zst", "fabrics"},
	{F, "./" MODDIR "block/xen-blkfront.ko.xz", "xz-compressed blkfront"},
};

static const char *const itools_files[] = {
	"bin/sh",
	"conf/initramfs.conf",
	"init",
	"kernel/x86/microcode/GenuineIntel.bin",
	"scripts/init-top/udev",
	MODDIR "block/xen-blkfront.ko.xz",
	MODDIR "nvme/host/nvme-core.ko.zst",
	MODDIR "nvme/host/nvme-fabrics.ko.zst",
	MODDIR "nvme/host/nvme.ko.zst",
	NULL,
};

static uint64_t regular_bytes(const struct fentry *e, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		if (e[i].type == F)
			sum += e[i].data ? strlen(e[i].data) : e[i].zeros;
	return sum;
}

static int parse(const struct buf *b, uint64_t max, struct nc_initramfs *ir, struct nc_err *err)
{
	memset(err, 0, sizeof(*err));
	return initramfs_parse(b->p, b->len, "test.img", max, ir, err);
}

static void assert_files(const struct nc_initramfs *ir, const char *const *want)
{
	size_t n = 0;

	assert_non_null(ir->files);
	for (; want[n]; n++) {
		assert_non_null(ir->files[n]);
		assert_string_equal(ir->files[n], want[n]);
	}
	assert_null(ir->files[n]);
}

/* A failed read names the file and leaves no list that looks complete.
 * Clears ir afterwards. */
static void assert_failed(int r, int want, struct nc_initramfs *ir,
			  const struct nc_err *err, const char *words)
{
	assert_int_equal(r, want);
	assert_int_equal(ir->error, want);
	assert_null(ir->files);
	assert_null(ir->segments);
	assert_non_null(ir->error_msg);
	assert_string_equal(ir->error_msg, err->msg);
	assert_non_null(strstr(err->msg, "test.img: "));
	if (words && !strstr(err->msg, words))
		fail_msg("\"%s\" lacks \"%s\"", err->msg, words);
	initramfs_clear(ir);
}

/* ---- Formats -------------------------------------------------------------- */

static void test_early_cpio_then_each_compression(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		const struct filter *f = &filters[i];
		struct nc_initramfs ir = {0};
		struct nc_err err;
		struct buf b = {0};
		const char *path;
		size_t early_len;
		char want_seg[32];

		if (f->program && !have_program(f->program)) {
			print_message("skipping %s: program not installed\n", f->program);
			continue;
		}
		write_cpio(&b, early, ARRAY_SIZE(early), NULL);
		early_len = b.len;
		write_cpio(&b, itools, ARRAY_SIZE(itools), f);
		/* libarchive pads the uncompressed archive with zeros to a block. */
		assert_int_equal(early_len % 512, 0);
		if (f->program)
			assert_memory_equal(b.p + early_len, "\x02\x21\x4c\x18", 4);

		assert_int_equal(parse(&b, BIG, &ir, &err), 0);
		assert_int_equal(ir.error, 0);
		assert_files(&ir, itools_files);
		snprintf(want_seg, sizeof(want_seg), "cpio+%s", f->name);
		assert_int_equal(strv_length(ir.segments), 2);
		assert_string_equal(ir.segments[0], "cpio");
		assert_string_equal(ir.segments[1], want_seg);
		assert_string_equal(ir.generator, "initramfs-tools");
		assert_int_equal(ir.total_size, regular_bytes(early, ARRAY_SIZE(early)) +
							regular_bytes(itools, ARRAY_SIZE(itools)));
		assert_true(ir.has_xen_blkfront);

		assert_true(initramfs_find_module(&ir, "nvme", &path));
		assert_string_equal(path, MODDIR "nvme/host/nvme.ko.zst");
		assert_true(initramfs_find_module(&ir, "nvme-core", &path));
		assert_string_equal(path, MODDIR "nvme/host/nvme-core.ko.zst");
		assert_true(initramfs_find_module(&ir, "nvme_core", NULL));
		assert_true(initramfs_find_module(&ir, "xen_blkfront", NULL));
		assert_true(initramfs_find_module_for(&ir, KVER, "nvme", NULL));
		assert_false(initramfs_find_module_for(&ir, "6.1.0-99-amd64", "nvme", NULL));
		/* No substring matches either way. */
		assert_false(initramfs_find_module(&ir, "nvm", NULL));
		assert_false(initramfs_find_module(&ir, "nvme-fabric", NULL));
		assert_false(initramfs_find_module(&ir, "ena", NULL));
		assert_false(initramfs_find_module(&ir, "", NULL));
		initramfs_clear(&ir);

		/* Zero padding after the stream, which zstd and lz4 reject by
		 * themselves: the same list. */
		buf_zeros(&b, 1000);
		if (parse(&b, BIG, &ir, &err) != 0)
			fail_msg("%s with padding: %s", want_seg, err.msg);
		assert_files(&ir, itools_files);
		assert_int_equal(strv_length(ir.segments), 2);
		initramfs_clear(&ir);
		free(b.p);
	}
}

static void test_several_early_archives_and_padding(void **state)
{
	static const struct fentry amd[] = {
		{F, "kernel/x86/microcode/AuthenticAMD.bin", "amd"},
	};
	static const struct fentry main_archive[] = {
		{F, "init", "x"},
		{F, "usr/lib/modules/" KVER "/kernel/drivers/nvme/host/nvme.ko", "nvme"},
		{F, "kernel/x86/microcode/AuthenticAMD.bin", "replaced"},
	};
	static const char *const want[] = {
		"init", "kernel/x86/microcode/AuthenticAMD.bin",
		"kernel/x86/microcode/GenuineIntel.bin", MODDIR "nvme/host/nvme.ko", NULL,
	};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0};

	buf_zeros(&b, 4);       /* the kernel skips leading zeros too */
	write_cpio(&b, early, ARRAY_SIZE(early), NULL);
	write_cpio(&b, amd, ARRAY_SIZE(amd), NULL);
	buf_zeros(&b, 4096);
	write_cpio(&b, main_archive, ARRAY_SIZE(main_archive), &filters[1]);
	buf_zeros(&b, 512);     /* padding after an xz stream is allowed */

	assert_int_equal(parse(&b, BIG, &ir, &err), 0);
	assert_files(&ir, want);
	assert_int_equal(strv_length(ir.segments), 3);
	assert_string_equal(ir.segments[2], "cpio+xz");
	assert_string_equal(ir.generator, "unknown");
	assert_false(ir.has_xen_blkfront);
	initramfs_clear(&ir);
	free(b.p);
}

/* Several cpio archives in one compressed stream: the kernel reads them all. */
static void test_archives_inside_one_stream(void **state)
{
	static const struct fentry second[] = {
		{F, "usr/lib/modules/" KVER "/kernel/drivers/nvme/host/nvme.ko", "nvme"},
	};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf inner = {0}, b = {0};

	write_cpio(&inner, itools, ARRAY_SIZE(itools), NULL);
	write_cpio(&inner, second, ARRAY_SIZE(second), NULL);
	write_raw(&b, inner.p, inner.len, 0, &filters[0]);

	assert_int_equal(parse(&b, BIG, &ir, &err), 0);
	assert_int_equal(strv_length(ir.segments), 2);
	assert_string_equal(ir.segments[0], "cpio+gzip");
	assert_string_equal(ir.segments[1], "cpio+gzip");
	assert_true(initramfs_find_module(&ir, "nvme", NULL));
	assert_true(initramfs_find_module(&ir, "nvme-core", NULL));
	initramfs_clear(&ir);
	free(inner.p);
	free(b.p);
}

static void test_generators(void **state)
{
	static const struct fentry dracut[] = {
		{D, "./usr/lib/dracut"},
		{F, "./usr/lib/dracut/build-parameter.txt", "--kver " KVER},
		{F, "./usr/lib/dracut/modules.txt", "base\nkernel-modules\n"},
		{F, "./usr/lib/modules/" KVER "/kernel/drivers/nvme/host/nvme.ko.xz", "m"},
		{F, "./init", "systemd"},
	};
	static const struct fentry dracut_old[] = {
		{F, "/lib/dracut-lib.sh", "x"},
	};
	static const struct fentry mkinitcpio[] = {
		{F, "buildconfig", "MODULES=()"},
		{F, "init_functions", "x"},
		{F, "VERSION", "38"},
	};
	static const struct fentry itools_only_dir[] = {
		{D, "scripts/init-top"},
		{F, "init", "x"},
	};
	static const struct fentry plain[] = {
		{F, "init", "x"},
		{F, "etc/conf/initramfs.conf", "not at the root"},
	};
	static const struct {
		const struct fentry *e;
		size_t n;
		const char *generator;
	} cases[] = {
		{dracut, ARRAY_SIZE(dracut), "dracut"},
		{dracut_old, ARRAY_SIZE(dracut_old), "dracut"},
		{mkinitcpio, ARRAY_SIZE(mkinitcpio), "mkinitcpio"},
		{itools_only_dir, ARRAY_SIZE(itools_only_dir), "initramfs-tools"},
		{plain, ARRAY_SIZE(plain), "unknown"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct nc_initramfs ir = {0};
		struct nc_err err;
		struct buf b = {0};

		write_cpio(&b, cases[i].e, cases[i].n, &filters[3]);
		assert_int_equal(parse(&b, BIG, &ir, &err), 0);
		assert_string_equal(ir.generator, cases[i].generator);
		initramfs_clear(&ir);
		free(b.p);
	}
}

static void test_dracut_layout_paths(void **state)
{
	static const struct fentry dracut[] = {
		{D, "."},
		{D, "./usr/lib/dracut/hooks"},
		{F, "./usr/lib/dracut/modules.txt", "base\n"},
		{F, "./usr/lib/modules/" KVER "/kernel/drivers/nvme/host/nvme.ko.xz", "m"},
		{F, "./usr/lib/modules/" KVER "/kernel/drivers/nvme/host/nvme-core.ko.gz", "m"},
		{F, "./usr/lib/modules/" KVER "/kernel/drivers/nvme/host/nvme-tcp.ko.xz", "m"},
	};
	static const char *const want[] = {
		"usr/lib/dracut/modules.txt",
		MODDIR "nvme/host/nvme-core.ko.gz",
		MODDIR "nvme/host/nvme-tcp.ko.xz",
		MODDIR "nvme/host/nvme.ko.xz",
		NULL,
	};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0};
	const char *path;

	write_cpio(&b, dracut, ARRAY_SIZE(dracut), &filters[0]);
	assert_int_equal(parse(&b, BIG, &ir, &err), 0);
	assert_files(&ir, want);
	assert_string_equal(ir.generator, "dracut");
	assert_true(initramfs_find_module(&ir, "nvme", &path));
	assert_string_equal(path, MODDIR "nvme/host/nvme.ko.xz");
	assert_true(initramfs_find_module(&ir, "nvme_core", &path));
	assert_string_equal(path, MODDIR "nvme/host/nvme-core.ko.gz");
	assert_false(initramfs_find_module(&ir, "nvme-fabrics", NULL));
	initramfs_clear(&ir);
	free(b.p);
}

/* Module files outside a modules directory are not loadable: not counted. */
static void test_module_outside_modules_dir(void **state)
{
	static const struct fentry e[] = {
		{F, "root/nvme.ko", "stray"},
		{F, "lib/modules/" KVER "/nvme.ko.bak", "not a module file"},
		{F, "lib/modules/" KVER "/extra/nvme-core.ko", "old layout"},
	};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0};
	const char *path;

	write_cpio(&b, e, ARRAY_SIZE(e), NULL);
	assert_int_equal(parse(&b, BIG, &ir, &err), 0);
	assert_false(initramfs_find_module(&ir, "nvme", NULL));
	assert_true(initramfs_find_module_for(&ir, KVER, "nvme-core", &path));
	assert_string_equal(path, "lib/modules/" KVER "/extra/nvme-core.ko");
	initramfs_clear(&ir);
	free(b.p);
}

/* ---- Hostile and broken input --------------------------------------------- */

static void test_garbage(void **state)
{
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0};
	unsigned char junk[4096];
	int r;

	srand(42);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(rand() | 1);
	buf_append(&b, junk, sizeof(junk));
	r = parse(&b, BIG, &ir, &err);
	assert_failed(r, -EINVAL, &ir, &err, "not an initramfs");
	b.len = 0;

	/* Empty, and nothing but zeros. */
	r = parse(&b, BIG, &ir, &err);
	assert_failed(r, -EINVAL, &ir, &err, "not an initramfs (empty file)");
	buf_zeros(&b, 8192);
	r = parse(&b, BIG, &ir, &err);
	assert_failed(r, -EINVAL, &ir, &err, "not an initramfs");
	b.len = 0;

	/* Valid gzip holding no cpio. */
	write_raw(&b, junk, sizeof(junk), 0, &filters[0]);
	r = parse(&b, BIG, &ir, &err);
	assert_failed(r, -EINVAL, &ir, &err, "gzip data at offset 0 holds no cpio archive");
	b.len = 0;

	/* A good early archive followed by junk: the main archive is lost. */
	write_cpio(&b, early, ARRAY_SIZE(early), NULL);
	buf_append(&b, junk, sizeof(junk));
	r = parse(&b, BIG, &ir, &err);
	assert_failed(r, -EINVAL, &ir, &err, "unrecognized data at offset 10240");
	b.len = 0;

	/* lzo needs a library libarchive lacks here: say so, run nothing. */
	buf_append(&b, "\x89LZO\0\r\n\x1a\n", 9);
	r = parse(&b, BIG, &ir, &err);
	assert_failed(r, -EOPNOTSUPP, &ir, &err, "lzo");
	free(b.p);
}

static void test_truncated(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		const struct filter *f = &filters[i];
		struct buf b = {0};
		size_t early_len, cuts[3];

		if (f->program && !have_program(f->program))
			continue;
		write_cpio(&b, early, ARRAY_SIZE(early), NULL);
		early_len = b.len;
		write_cpio(&b, itools, ARRAY_SIZE(itools), f);
		cuts[0] = early_len + 2;                         /* a few magic bytes */
		cuts[1] = early_len + (b.len - early_len) / 2;   /* half the stream */
		cuts[2] = early_len + (b.len - early_len) * 9 / 10;
		for (size_t c = 0; c < ARRAY_SIZE(cuts); c++) {
			struct nc_initramfs ir = {0};
			struct nc_err err;
			struct buf t = {b.p, cuts[c], cuts[c]};
			int r = parse(&t, BIG, &ir, &err);

			if (r != -EINVAL)
				fail_msg("%s cut at %zu of %zu: %d %s", f->name, cuts[c], b.len,
					 r, err.msg);
			assert_failed(r, -EINVAL, &ir, &err, NULL);
		}
		free(b.p);
	}
}

static void test_truncated_uncompressed(void **state)
{
	struct buf b = {0};
	size_t trailer;

	write_cpio(&b, itools, ARRAY_SIZE(itools), NULL);
	/* Find TRAILER!!! to cut just before and inside it. */
	trailer = (size_t)((unsigned char *)memmem(b.p, b.len, "TRAILER!!!", 10) - b.p) - 110;
	for (size_t cut = 1; cut < trailer + 110; cut += 37) {
		struct nc_initramfs ir = {0};
		struct nc_err err;
		struct buf t = {b.p, cut, cut};
		int r = parse(&t, BIG, &ir, &err);

		if (r != -EINVAL)
			fail_msg("cut at %zu: %d", cut, r);
		assert_failed(r, -EINVAL, &ir, &err, NULL);
	}
	{
		struct nc_initramfs ir = {0};
		struct nc_err err;
		struct buf t = {b.p, trailer, trailer};

		assert_failed(parse(&t, BIG, &ir, &err), -EINVAL, &ir, &err, "truncated");
	}
	free(b.p);
}

static void test_bombs(void **state)
{
	static const struct fentry huge[] = {
		{F, "init", "x"},
		{F, "zeros", NULL, 32ULL << 20},
	};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0}, hdr = {0};
	uint64_t cap = 16ULL << 20;
	unsigned char *tr;
	int r;

	/* A 32 MiB file in a few KiB of xz, cap 16 MiB. */
	write_cpio(&b, huge, ARRAY_SIZE(huge), &filters[1]);
	assert_true(b.len < 64 * 1024);
	r = parse(&b, cap, &ir, &err);
	assert_failed(r, -EFBIG, &ir, &err, "unpacks to more than 16777216 bytes");
	/* Under a larger cap the same image reads fine. */
	assert_int_equal(parse(&b, BIG, &ir, &err), 0);
	assert_int_equal(ir.total_size, (32ULL << 20) + 1);
	initramfs_clear(&ir);
	b.len = 0;

	/* One entry, then 1 GiB of zeros where the next header should be: the
	 * cpio reader would hunt through all of it; the cap stops it. */
	write_cpio(&hdr, huge, 1, NULL);
	tr = memmem(hdr.p, hdr.len, "070701", 6);
	tr = memmem(tr + 6, hdr.len - (size_t)(tr + 6 - hdr.p), "070701", 6);
	assert_non_null(tr);
	write_raw(&b, hdr.p, (size_t)(tr - hdr.p), 1ULL << 30, &filters[3]);
	assert_true(b.len < 256 * 1024);
	r = parse(&b, cap, &ir, &err);
	assert_failed(r, -EFBIG, &ir, &err, "unpacks to more than");
	b.len = 0;

	/* The cap counts across segments: two 10 MiB archives, cap 16 MiB. */
	{
		static const struct fentry ten[] = {{F, "a", NULL, 10ULL << 20}};
		static const struct fentry ten2[] = {{F, "b", NULL, 10ULL << 20}};

		write_cpio(&b, ten, 1, NULL);
		write_cpio(&b, ten2, 1, &filters[0]);
		r = parse(&b, cap, &ir, &err);
		assert_failed(r, -EFBIG, &ir, &err, "16777216");
	}
	free(b.p);
	free(hdr.p);
}

/* A header naming a 2 GiB file name: libarchive would buffer all of it. */
static void test_absurd_name_size(void **state)
{
	static const struct fentry one[] = {{F, "init", "x"}};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf cpio = {0}, b = {0};

	write_cpio(&cpio, one, 1, NULL);
	/* c_namesize: the 12th of the 8-digit fields after the magic. */
	assert_memory_equal(cpio.p + 6 + 11 * 8, "00000005", 8);
	memcpy(cpio.p + 6 + 11 * 8, "7FFFFFFF", 8);
	write_raw(&b, cpio.p, 110, 64ULL << 20, &filters[0]);
	assert_failed(parse(&b, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "a header asks for more than");
	free(cpio.p);
	free(b.p);
}

/*
 * The same header in an uncompressed archive: its sizes are checked against
 * the bytes that are there before libarchive sees it (which would allocate
 * 2 GiB for the name first), so it fails at once and says why.
 */
static void test_absurd_sizes_uncompressed(void **state)
{
	static const struct fentry one[] = {{F, "init", "x"}};
	/* newc: c_filesize the 7th, c_namesize the 12th 8-digit field. */
	const size_t filesize_at = 6 + 6 * 8, namesize_at = 6 + 11 * 8;
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf cpio = {0};
	struct timespec t0, t1;

	write_cpio(&cpio, one, 1, NULL);
	assert_int_equal(cpio.len, 10240);
	assert_memory_equal(cpio.p + namesize_at, "00000005", 8);
	assert_memory_equal(cpio.p + filesize_at, "00000001", 8);

	memcpy(cpio.p + namesize_at, "7fffffff", 8);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_failed(parse(&cpio, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "test.img: truncated or corrupt cpio archive at offset 0 (the header at "
		      "offset 0 gives a 2147483647-byte name, 10130 bytes are left)");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) <
		    100000000L);

	/* One byte past the end, then the longest name that fits: 110 + 10128
	 * ends at 10238, padded to 10240; the 1 data byte is then missing. */
	memcpy(cpio.p + namesize_at, "00002793", 8);
	assert_failed(parse(&cpio, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "gives a 10131-byte name, 10130 bytes are left");
	memcpy(cpio.p + namesize_at, "00002790", 8);
	assert_failed(parse(&cpio, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "gives 1 bytes of data, 0 bytes are left");

	memcpy(cpio.p + namesize_at, "00000005", 8);
	memcpy(cpio.p + filesize_at, "FFFFFFFF", 8);
	assert_failed(parse(&cpio, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "gives 4294967295 bytes of data, 10124 bytes are left");

	/* A field that is not hex: libarchive would hunt past it for the next
	 * header, whatever name size that one claims. */
	memcpy(cpio.p + filesize_at, "0000000x", 8);
	assert_failed(parse(&cpio, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "a header at offset 0 has a field that is not a number");

	/* Junk where TRAILER!!!'s header belongs (110 + "init\0" + pad, 1
	 * data byte + pad: offset 120). */
	memcpy(cpio.p + filesize_at, "00000001", 8);
	assert_memory_equal(cpio.p + 120, "070701", 6);
	memcpy(cpio.p + 120, "junk!!", 6);
	assert_failed(parse(&cpio, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "no cpio header at offset 120");
	/* Restored, it reads. */
	memcpy(cpio.p + 120, "070701", 6);
	assert_int_equal(parse(&cpio, BIG, &ir, &err), 0);
	assert_string_equal(ir.files[0], "init");
	initramfs_clear(&ir);
	free(cpio.p);
}

/* odc (portable ASCII, octal fields, no padding): read, and checked alike
 * after an early newc archive (offsets in messages are the file's). */
static void test_odc_sizes(void **state)
{
	static const struct fentry two[] = {{F, "init", "x"}, {F, "etc/fstab", "ab"}};
	/* odc: c_filesize the 11-digit field at 65. */
	const size_t filesize_at = 65;
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0};

	write_cpio(&b, early, ARRAY_SIZE(early), NULL);
	assert_int_equal(b.len, 10240);
	write_cpio_as(&b, two, ARRAY_SIZE(two), NULL, archive_write_set_format_cpio_odc);
	assert_memory_equal(b.p + 10240, "070707", 6);
	assert_int_equal(parse(&b, BIG, &ir, &err), 0);
	assert_non_null(ir.files);
	assert_true(strv_contains(ir.files, "init"));
	assert_true(strv_contains(ir.files, "etc/fstab"));
	initramfs_clear(&ir);

	assert_memory_equal(b.p + 10240 + filesize_at, "00000000001", 11);
	memcpy(b.p + 10240 + filesize_at, "77777777777", 11);
	assert_failed(parse(&b, BIG, &ir, &err), -EINVAL, &ir, &err,
		      "cpio archive at offset 10240 (the header at offset 10240 gives "
		      "8589934591 bytes of data");
	memcpy(b.p + 10240 + filesize_at, "00000000009", 11);
	assert_failed(parse(&b, BIG, &ir, &err), -EINVAL, &ir, &err, "not a number");
	free(b.p);
}

static void test_absurd_entry_count(void **state)
{
	size_t n = NC_INITRAMFS_MAX_ENTRIES + 1;
	struct fentry *e = calloc(n, sizeof(*e));
	char (*names)[16] = calloc(n, 16);
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0};
	int r;

	assert_non_null(e);
	assert_non_null(names);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], 16, "f%zu", i);
		e[i] = (struct fentry){F, names[i], ""};
	}
	write_cpio(&b, e, n, &filters[3]);
	r = parse(&b, BIG, &ir, &err);
	assert_failed(r, -E2BIG, &ir, &err, "more than 131072 entries");
	/* One fewer is fine. */
	b.len = 0;
	write_cpio(&b, e, n - 1, &filters[3]);
	assert_int_equal(parse(&b, BIG, &ir, &err), 0);
	assert_int_equal(strv_length(ir.files), n - 1);
	initramfs_clear(&ir);
	free(b.p);
	free(e);
	free(names);
}

static void test_too_many_archives(void **state)
{
	static const struct fentry one[] = {{F, "x", "y"}};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	struct buf b = {0};

	for (int i = 0; i <= NC_INITRAMFS_MAX_SEGMENTS; i++)
		write_cpio(&b, one, 1, NULL);
	assert_failed(parse(&b, BIG, &ir, &err), -E2BIG, &ir, &err, "archives");
	free(b.p);
}

static void test_read_file_errors(void **state)
{
	struct nc_initramfs ir = {0};
	struct nc_err err = {0};
	char dir[] = "/tmp/nc-initramfs-XXXXXX";
	_cleanup_free_ char *path = NULL;
	struct buf b = {0};
	FILE *f;

	assert_int_equal(initramfs_read("/nonexistent/initrd.img", BIG, &ir, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/initrd.img: "));
	assert_int_equal(ir.error, -ENOENT);
	assert_null(ir.files);

	assert_non_null(mkdtemp(dir));
	assert_int_equal(initramfs_read(dir, BIG, &ir, &err), -EISDIR);
	assert_non_null(strstr(err.msg, "a directory"));

	/* A read file; messages name the guest path when the caller set it. */
	path = path_join(dir, "initrd.img-" KVER);
	write_cpio(&b, early, ARRAY_SIZE(early), NULL);
	write_cpio(&b, itools, ARRAY_SIZE(itools), &filters[3]);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.p, 1, b.len - 7, f), b.len - 7);
	fclose(f);
	ir.path = strdup("/boot/initrd.img-" KVER);
	assert_int_equal(initramfs_read(path, BIG, &ir, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/boot/initrd.img-" KVER ": "));
	assert_string_equal(ir.path, "/boot/initrd.img-" KVER);

	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.p, 1, b.len, f), b.len);
	fclose(f);
	assert_int_equal(initramfs_read(path, BIG, &ir, &err), 0);
	assert_int_equal(ir.error, 0);
	assert_null(ir.error_msg);
	assert_files(&ir, itools_files);
	initramfs_clear(&ir);
	assert_null(ir.path);
	unlink(path);

	/* A FIFO is refused at once, not waited on. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(initramfs_read(path, BIG, &ir, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	initramfs_clear(&ir);
	unlink(path);
	rmdir(dir);
	free(b.p);
}

/* In a snapshot, an absolute symlink resolves inside the root, never to
 * the host's own /boot (which holds a real initrd of this very name). */
static void test_read_in_root(void **state)
{
	char root[] = "/tmp/nc-initramfs-root-XXXXXX";
	_cleanup_free_ char *boot = NULL, *img = NULL, *link = NULL;
	struct nc_initramfs ir = {0};
	struct nc_err err = {0};
	struct buf b = {0};
	int rootfd;
	FILE *f;

	assert_non_null(mkdtemp(root));
	boot = path_join(root, "boot");
	img = path_join(boot, "initrd.img-" KVER);
	link = path_join(boot, "initrd.img");
	assert_int_equal(mkdir(boot, 0755), 0);
	write_cpio(&b, early, ARRAY_SIZE(early), NULL);
	write_cpio(&b, itools, ARRAY_SIZE(itools), &filters[3]);
	f = fopen(img, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.p, 1, b.len, f), b.len);
	fclose(f);
	assert_int_equal(symlink("/boot/initrd.img-" KVER, link), 0);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);

	assert_int_equal(initramfs_read_in_root(rootfd, "/boot/initrd.img", BIG, &ir, &err), 0);
	assert_files(&ir, itools_files);
	assert_int_equal(initramfs_read_in_root(rootfd, "/../../../boot/initrd.img-" KVER, BIG,
						&ir, &err), 0);
	assert_files(&ir, itools_files);
	assert_int_equal(initramfs_read_in_root(rootfd, "/boot/initrd.img-none", BIG, &ir, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "/boot/initrd.img-none: "));
	initramfs_clear(&ir);

	close(rootfd);
	unlink(link);
	unlink(img);
	rmdir(boot);
	rmdir(root);
	free(b.p);
}

/* ---- Real images ---------------------------------------------------------- */

/* Non-directory paths and regular-file bytes of a `cpio -tv` style listing. */
static char **listed_files(const char *cmd, uint64_t *ret_bytes)
{
	char **v = NULL;
	char line[8192];
	FILE *p = popen(cmd, "r");

	*ret_bytes = 0;
	if (!p)
		return NULL;
	while (fgets(line, sizeof(line), p)) {
		char mode[16], *name = line, *arrow;
		unsigned long long size;
		int fields = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%15s %*s %*s %*s %llu", mode, &size) != 2 || mode[0] == 'd')
			continue;
		/* The name follows eight fields: mode links user group size date. */
		while (fields < 8) {
			name += strspn(name, " ");
			name += strcspn(name, " ");
			fields++;
		}
		name += strspn(name, " ");
		if (mode[0] == 'l' && (arrow = strstr(name, " -> ")))
			*arrow = '\0';
		if (mode[0] == '-')
			*ret_bytes += size;
		strv_extend(&v, name);
	}
	if (pclose(p) != 0) {
		strv_free(v);
		return NULL;
	}
	strv_sort(v);
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Our list equals the one of the distribution's own tools, entry for entry:
 * Debian's lsinitramfs, or for dracut images GNU cpio over the early archive
 * and over what dracut's skipcpio leaves (lsinitramfs takes 20 s there). */
static void assert_matches_listing(const char *image, bool dracut_zstd,
				   const struct nc_initramfs *ir)
{
	_cleanup_free_ char *cmd = NULL;
	uint64_t bytes;
	char **want;

	if (dracut_zstd && have_program("cpio") && have_program("zstd") &&
	    access("/usr/lib/dracut/skipcpio", X_OK) == 0)
		cmd = strdup_printf("{ cpio -tv --quiet <'%s'; /usr/lib/dracut/skipcpio '%s' | "
				    "zstd -dc | cpio -tv --quiet; } 2>/dev/null", image, image);
	else if (!dracut_zstd && have_program("lsinitramfs"))
		cmd = strdup_printf("lsinitramfs -l '%s' 2>/dev/null", image);
	if (!cmd) {
		print_message("no listing tool: no cross-check for %s\n", image);
		return;
	}
	want = listed_files(cmd, &bytes);
	assert_non_null(want);
	assert_int_equal(strv_length(ir->files), strv_length(want));
	assert_files(ir, (const char *const *)want);
	assert_int_equal(ir->total_size, bytes);
	strv_free(want);
}

static void test_real_debian_initrd(void **state)
{
	const char *kver = test_kver();
	_cleanup_free_ char *image = test_kver_str("/boot/initrd.img-%s", kver);
	_cleanup_free_ char *nvme = test_kver_str(REAL_MODULE_FMT, kver, "nvme/host/nvme.ko");
	_cleanup_free_ char *nvme_core =
		test_kver_str(REAL_MODULE_FMT, kver, "nvme/host/nvme-core.ko");
	struct nc_initramfs ir = {0};
	struct nc_err err = {0};
	const char *path;
	double t0, dt;

	if (access(image, R_OK) != 0) {
		print_message("%s not installed\n", image);
		skip();
	}
	t0 = now();
	assert_int_equal(initramfs_read(image, NC_INITRAMFS_MAX_UNCOMPRESSED, &ir, &err), 0);
	dt = now() - t0;
	print_message("read %s: %zu files, %llu bytes unpacked, %.3f s\n", image,
		      strv_length(ir.files), (unsigned long long)ir.total_size, dt);
	assert_true(dt < 3.0);
	assert_string_equal(ir.generator, "initramfs-tools");
	assert_string_equal(ir.segments[strv_length(ir.segments) - 1], "cpio+zstd");
	assert_true(initramfs_find_module_for(&ir, kver, "nvme", &path));
	assert_string_equal(path, nvme);
	assert_true(initramfs_find_module_for(&ir, kver, "nvme-core", &path));
	assert_string_equal(path, nvme_core);
	assert_true(ir.has_xen_blkfront);
	assert_true(strv_contains(ir.files, "conf/initramfs.conf"));
	assert_matches_listing(image, false, &ir);

	/* The cap holds on real data too: it unpacks to well over 10 MiB. */
	assert_int_equal(initramfs_read(image, 10 << 20, &ir, &err), -EFBIG);
	assert_non_null(strstr(err.msg, image));
	assert_null(ir.files);
	initramfs_clear(&ir);
}

static void test_real_debian_cloud_initrd(void **state)
{
	_cleanup_free_ char *image = test_kver_str("/boot/initrd.img-%s", test_kver_cloud());
	struct nc_initramfs ir = {0};
	struct nc_err err = {0};

	if (access(image, R_OK) != 0) {
		print_message("%s not installed\n", image);
		skip();
	}
	assert_int_equal(initramfs_read(image, NC_INITRAMFS_MAX_UNCOMPRESSED, &ir, &err), 0);
	/* nvme is built into the cloud kernel: no nvme.ko, but nvme-fabrics.ko. */
	assert_false(initramfs_find_module(&ir, "nvme", NULL));
	assert_false(initramfs_find_module(&ir, "nvme-core", NULL));
	assert_true(initramfs_find_module(&ir, "nvme-fabrics", NULL));
	assert_true(ir.has_xen_blkfront);
	assert_matches_listing(image, false, &ir);
	initramfs_clear(&ir);
}

/* A dracut image with an ACPI-override early cpio, made once per build tree. */
static char *dracut_image(void)
{
	const char *root = getenv("NC_BUILD_ROOT");
	_cleanup_free_ char *dir = NULL, *img = NULL, *tmp = NULL, *conf = NULL;
	_cleanup_free_ char *cmd = NULL, *acpi = NULL, *confdir = NULL;
	const char *kver = test_kver();
	_cleanup_free_ char *moddep = test_kver_str("/lib/modules/%s/modules.dep", kver);
	_cleanup_free_ char *img_name = test_kver_str("dracut-%s.img", kver);
	FILE *f;
	int r;

	if (access(moddep, R_OK) != 0 || !have_program("dracut"))
		return NULL;
	dir = path_join(root ? root : "/tmp", "test-cache/initramfs");
	img = path_join(dir, img_name);
	if (access(img, R_OK) == 0)
		return TAKE_PTR(img);
	cmd = strdup_printf("mkdir -p '%s/acpi' '%s/conf.d'", dir, dir);
	if (system(cmd) != 0)
		return NULL;
	acpi = path_join(dir, "acpi/test.aml");
	f = fopen(acpi, "w");
	if (!f)
		return NULL;
	fputs("DSDT test table", f);
	fclose(f);
	conf = path_join(dir, "dracut.conf");
	f = fopen(conf, "w");
	if (!f)
		return NULL;
	fprintf(f, "acpi_override=\"yes\"\nacpi_table_dir=\"%s/acpi\"\n", dir);
	fclose(f);
	confdir = path_join(dir, "conf.d");
	tmp = strdup_printf("%s.tmp", img);
	free(cmd);
	/* Only the base module and the drivers we test: ~30 s instead of minutes. */
	cmd = strdup_printf("dracut --conf '%s' --confdir '%s' --no-hostonly --kver %s "
			    "--modules base --drivers 'nvme xen-blkfront' --zstd --force "
			    "'%s' >'%s/dracut.log' 2>&1",
			    conf, confdir, kver, tmp, dir);
	r = system(cmd);
	if (r != 0 || rename(tmp, img) < 0) {
		print_message("dracut failed (status %d), see %s/dracut.log\n", r, dir);
		return NULL;
	}
	return TAKE_PTR(img);
}

static void test_real_dracut_image(void **state)
{
	_cleanup_free_ char *image = dracut_image();
	const char *kver = test_kver();
	_cleanup_free_ char *nvme = test_kver_str(REAL_MODULE_FMT, kver, "nvme/host/nvme.ko");
	struct nc_initramfs ir = {0};
	struct nc_err err = {0};
	const char *path;

	if (!image) {
		print_message("no dracut image could be made here: skipped\n");
		skip();
	}
	assert_int_equal(initramfs_read(image, NC_INITRAMFS_MAX_UNCOMPRESSED, &ir, &err), 0);
	assert_string_equal(ir.generator, "dracut");
	assert_int_equal(strv_length(ir.segments), 2);
	assert_string_equal(ir.segments[0], "cpio");
	assert_string_equal(ir.segments[1], "cpio+zstd");
	assert_true(strv_contains(ir.files, "kernel/firmware/acpi/test.aml"));
	assert_true(initramfs_find_module_for(&ir, kver, "nvme", &path));
	assert_string_equal(path, nvme);
	assert_true(initramfs_find_module_for(&ir, kver, "nvme_core", NULL));
	assert_false(initramfs_find_module(&ir, "nvme-fabrics", NULL));
	assert_true(ir.has_xen_blkfront);
	assert_matches_listing(image, true, &ir);
	initramfs_clear(&ir);
}

/* ---- Drivers and checks --------------------------------------------------- */

static char *nvme_modules[] = {"nvme", "nvme-core", NULL};
static struct nc_driver_spec nvme_spec = {
	.name = "nvme", .role = "storage", .modules = nvme_modules,
};
static char *ena_modules[] = {"ena", NULL};
static struct nc_driver_spec ena_spec = {
	.name = "ena", .role = "network", .modules = ena_modules,
};

struct test_kernel {
	struct nc_module nvme[2];
	struct nc_module ena[1];
	struct nc_driver drivers[2];
	char *nvme_depends[2];
	char *core_depends[3];
};

/* A kernel like Debian's: nvme and ena as modules (or nvme built in). */
static void test_kernel_init(struct test_kernel *t, struct nc_kernel *k, const char *version,
			     enum nc_driver_status nvme_status)
{
	memset(t, 0, sizeof(*t));
	memset(k, 0, sizeof(*k));
	t->nvme_depends[0] = "nvme-core";
	t->nvme[0] = (struct nc_module){.name = "nvme", .status = nvme_status};
	t->nvme[1] = (struct nc_module){.name = "nvme_core", .status = nvme_status};
	if (nvme_status == NC_DRV_MODULE)
		t->nvme[0].depends = t->nvme_depends;
	t->ena[0] = (struct nc_module){.name = "ena", .status = NC_DRV_MODULE};
	t->drivers[0] = (struct nc_driver){.spec = &nvme_spec, .status = nvme_status,
					   .modules = t->nvme, .n_modules = 2};
	t->drivers[1] = (struct nc_driver){.spec = &ena_spec, .status = NC_DRV_MODULE,
					   .modules = t->ena, .n_modules = 1};
	k->version = (char *)version;
	k->drivers = t->drivers;
	k->n_drivers = 2;
}

static void test_kernel_clear(struct test_kernel *t, struct nc_kernel *k)
{
	for (size_t i = 0; i < 2; i++) {
		free(t->nvme[i].initramfs_path);
		strv_free(t->drivers[i].initramfs_missing);
	}
	free(t->ena[0].initramfs_path);
	initramfs_clear(&k->initramfs);
}

/* Fill k->initramfs from entries compressed with zstd. */
static void load_initramfs(struct nc_kernel *k, const char *guest_path,
			   const struct fentry *e, size_t n)
{
	struct buf b = {0};
	struct nc_err err;

	write_cpio(&b, e, n, &filters[3]);
	k->initramfs.path = strdup(guest_path);
	assert_int_equal(parse(&b, BIG, &k->initramfs, &err), 0);
	free(b.p);
}

static const struct fentry only_nvme[] = {
	{F, MODDIR "nvme/host/nvme.ko", "m"},
	{F, MODDIR "block/xen-blkfront.ko", "m"},
	{F, MODDIR "nvme/host/nvme-fabrics.ko", "m"},
};

static const struct fentry nvme_and_core[] = {
	{F, MODDIR "nvme/host/nvme.ko.xz", "m"},
	{F, MODDIR "nvme/host/nvme-core.ko.xz", "m"},
};

static const struct fentry xen_only[] = {
	{F, MODDIR "block/xen-blkfront.ko", "m"},
	{F, "conf/initramfs.conf", "x"},
};

static void test_resolve_drivers(void **state)
{
	struct test_kernel t;
	struct nc_kernel k;
	char **missing = NULL;

	/* nvme present, nvme-core (its dependency) missing. */
	test_kernel_init(&t, &k, KVER, NC_DRV_MODULE);
	load_initramfs(&k, "/boot/initrd.img-" KVER, only_nvme, ARRAY_SIZE(only_nvme));
	assert_int_equal(initramfs_resolve_drivers(&k), 0);
	assert_true(t.nvme[0].in_initramfs);
	assert_string_equal(t.nvme[0].initramfs_path, MODDIR "nvme/host/nvme.ko");
	assert_false(t.nvme[1].in_initramfs);
	assert_null(t.nvme[1].initramfs_path);
	assert_false(t.drivers[0].in_initramfs);
	assert_int_equal(strv_length(t.drivers[0].initramfs_missing), 1);
	assert_string_equal(t.drivers[0].initramfs_missing[0], "nvme-core");
	assert_false(t.drivers[1].in_initramfs);
	assert_string_equal(t.drivers[1].initramfs_missing[0], "ena");
	/* Resolving twice replaces, it does not pile up. */
	assert_int_equal(initramfs_resolve_drivers(&k), 0);
	assert_int_equal(strv_length(t.drivers[0].initramfs_missing), 1);
	test_kernel_clear(&t, &k);

	/* Both present (compressed): complete. */
	test_kernel_init(&t, &k, KVER, NC_DRV_MODULE);
	load_initramfs(&k, "/boot/initrd.img-" KVER, nvme_and_core, ARRAY_SIZE(nvme_and_core));
	assert_int_equal(initramfs_resolve_drivers(&k), 0);
	assert_true(t.drivers[0].in_initramfs);
	assert_null(t.drivers[0].initramfs_missing);
	assert_string_equal(t.nvme[1].initramfs_path, MODDIR "nvme/host/nvme-core.ko.xz");
	test_kernel_clear(&t, &k);

	/* The right files for another kernel version do not count. */
	test_kernel_init(&t, &k, "6.1.0-99-amd64", NC_DRV_MODULE);
	load_initramfs(&k, "/boot/initrd.img-6.1.0-99-amd64", nvme_and_core,
		       ARRAY_SIZE(nvme_and_core));
	assert_int_equal(initramfs_resolve_drivers(&k), 0);
	assert_false(t.drivers[0].in_initramfs);
	assert_int_equal(strv_length(t.drivers[0].initramfs_missing), 2);
	test_kernel_clear(&t, &k);

	/* Built in: nothing needed, even with no nvme file at all. */
	test_kernel_init(&t, &k, KVER_CLOUD, NC_DRV_BUILTIN);
	load_initramfs(&k, "/boot/initrd.img-" KVER_CLOUD, xen_only, ARRAY_SIZE(xen_only));
	assert_int_equal(initramfs_resolve_drivers(&k), 0);
	assert_true(t.drivers[0].in_initramfs);
	assert_null(t.drivers[0].initramfs_missing);
	test_kernel_clear(&t, &k);

	/* Depends recurse through known modules, stop on loops, and a built-in
	 * dependency counts as present. */
	test_kernel_init(&t, &k, KVER, NC_DRV_MODULE);
	t.core_depends[0] = "nvme";      /* a loop back */
	t.core_depends[1] = "t10-pi";    /* unknown to the facts: must be a file */
	t.nvme[1].depends = t.core_depends;
	load_initramfs(&k, "/boot/initrd.img-" KVER, nvme_and_core, ARRAY_SIZE(nvme_and_core));
	assert_int_equal(initramfs_driver_missing(&k, &t.drivers[0], &missing), 1);
	assert_string_equal(missing[0], "t10-pi");
	strv_free(missing);
	t.ena[0].status = NC_DRV_BUILTIN;
	t.core_depends[1] = "ena";
	assert_int_equal(initramfs_driver_missing(&k, &t.drivers[0], &missing), 0);
	assert_null(missing);
	test_kernel_clear(&t, &k);

	/* No initramfs: modular drivers absent, nothing listed. */
	test_kernel_init(&t, &k, KVER, NC_DRV_MODULE);
	assert_int_equal(initramfs_resolve_drivers(&k), 0);
	assert_false(t.drivers[0].in_initramfs);
	assert_null(t.drivers[0].initramfs_missing);
	test_kernel_clear(&t, &k);
}

static void rule_init(struct nc_rule *r, const char *id, const char *check,
		      enum nc_severity sev, json_t *params)
{
	memset(r, 0, sizeof(*r));
	r->id = (char *)id;
	r->title = (char *)id;
	r->check = (char *)check;
	r->severity = sev;
	r->params = params ? params : json_object();
	r->enabled = true;
}

static int run_check(const char *check, const struct nc_rule *r, const struct nc_facts *f,
		     struct nc_findings *out)
{
	for (const struct nc_check *c = nc_initramfs_checks; c->name; c++)
		if (streq(c->name, check))
			return c->fn(r, f, out);
	fail_msg("no check %s", check);
	return -1;
}

static const struct nc_finding *finding_for(const struct nc_findings *fs, const char *kernel)
{
	for (size_t i = 0; i < fs->n; i++)
		if (streq_ptr(fs->v[i].kernel, kernel))
			return &fs->v[i];
	return NULL;
}

static void test_checks(void **state)
{
	struct test_kernel t[5];
	struct nc_kernel k[5];
	struct nc_facts facts = {0};
	struct nc_findings out = {0};
	struct nc_rule r;
	const struct nc_finding *fd;

	/* 0: default, nvme a module, initramfs built on Xen (no nvme). */
	test_kernel_init(&t[0], &k[0], "6.1.0-56-amd64", NC_DRV_MODULE);
	k[0].is_default = true;
	load_initramfs(&k[0], "/boot/initrd.img-6.1.0-56-amd64", xen_only, ARRAY_SIZE(xen_only));
	/* 1: older kernel with the same problem: a warning only. */
	test_kernel_init(&t[1], &k[1], "6.1.0-55-amd64", NC_DRV_MODULE);
	load_initramfs(&k[1], "/boot/initrd.img-6.1.0-55-amd64", xen_only, ARRAY_SIZE(xen_only));
	/* 2: cloud kernel, nvme built in, xen-blkfront but no nvme.ko: fine. */
	test_kernel_init(&t[2], &k[2], KVER_CLOUD, NC_DRV_BUILTIN);
	load_initramfs(&k[2], "/boot/initrd.img-" KVER_CLOUD, xen_only, ARRAY_SIZE(xen_only));
	/* 3: no initramfs at all. */
	test_kernel_init(&t[3], &k[3], "5.10.0-30-amd64", NC_DRV_MODULE);
	k[3].image_path = "/boot/vmlinuz-5.10.0-30-amd64";
	/* 4: an unreadable initramfs. */
	test_kernel_init(&t[4], &k[4], "5.10.0-29-amd64", NC_DRV_MODULE);
	k[4].initramfs.path = strdup("/boot/initrd.img-5.10.0-29-amd64");
	{
		struct nc_err err;
		struct buf b = {0};

		buf_append(&b, "garbage!", 8);
		initramfs_parse(b.p, b.len, k[4].initramfs.path, BIG, &k[4].initramfs, &err);
		free(b.p);
	}
	facts.kernels = k;
	facts.n_kernels = 5;
	facts.default_kernel = 0;

	rule_init(&r, "initramfs-nvme", "initramfs-driver", NC_SEV_ERROR,
		  json_pack("{s:s}", "driver", "nvme"));
	assert_int_equal(run_check("initramfs-driver", &r, &facts, &out), 0);
	assert_int_equal(out.n, 2);
	fd = finding_for(&out, "6.1.0-56-amd64");
	assert_non_null(fd);
	assert_int_equal(fd->severity, NC_SEV_ERROR);
	assert_string_equal(fd->rule_id, "initramfs-nvme");
	assert_string_equal(fd->file, "/boot/initrd.img-6.1.0-56-amd64");
	assert_non_null(strstr(fd->message, "6.1.0-56-amd64"));
	assert_non_null(strstr(fd->message, "/boot/initrd.img-6.1.0-56-amd64"));
	assert_non_null(strstr(fd->message, "nvme, nvme-core"));
	fd = finding_for(&out, "6.1.0-55-amd64");
	assert_non_null(fd);
	assert_int_equal(fd->severity, NC_SEV_WARNING);
	assert_null(finding_for(&out, KVER_CLOUD));
	findings_clear(&out);
	json_decref(r.params);

	/* ena is not an initramfs matter unless a rule says so; as a param it
	 * works the same (every kernel here lacks ena.ko). */
	rule_init(&r, "initramfs-ena", "initramfs-driver", NC_SEV_ERROR,
		  json_pack("{s:s}", "driver", "ena"));
	assert_int_equal(run_check("initramfs-driver", &r, &facts, &out), 0);
	assert_int_equal(out.n, 3);
	findings_clear(&out);
	json_decref(r.params);

	rule_init(&r, "initramfs-missing", "initramfs-missing", NC_SEV_ERROR, NULL);
	assert_int_equal(run_check("initramfs-missing", &r, &facts, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].kernel, "5.10.0-30-amd64");
	assert_int_equal(out.v[0].severity, NC_SEV_WARNING);
	assert_non_null(strstr(out.v[0].message, "nvme"));
	findings_clear(&out);
	/* As the default kernel it is an error. */
	k[0].is_default = false;
	facts.default_kernel = 3;
	assert_int_equal(run_check("initramfs-missing", &r, &facts, &out), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].severity, NC_SEV_ERROR);
	findings_clear(&out);
	k[0].is_default = true;
	facts.default_kernel = 0;
	json_decref(r.params);

	rule_init(&r, "initramfs-unreadable", "initramfs-unreadable", NC_SEV_ERROR, NULL);
	assert_int_equal(run_check("initramfs-unreadable", &r, &facts, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].kernel, "5.10.0-29-amd64");
	assert_non_null(strstr(out.v[0].message,
			       "/boot/initrd.img-5.10.0-29-amd64: not an initramfs"));
	findings_clear(&out);
	json_decref(r.params);

	rule_init(&r, "initramfs-xen-only", "initramfs-xen-only", NC_SEV_WARNING, NULL);
	assert_int_equal(run_check("initramfs-xen-only", &r, &facts, &out), 0);
	assert_int_equal(out.n, 2);
	fd = finding_for(&out, "6.1.0-56-amd64");
	assert_non_null(fd);
	assert_int_equal(fd->severity, NC_SEV_WARNING);
	assert_non_null(strstr(fd->message, "xen-blkfront"));
	fd = finding_for(&out, "6.1.0-55-amd64");
	assert_non_null(fd);
	assert_int_equal(fd->severity, NC_SEV_INFO);
	assert_null(finding_for(&out, KVER_CLOUD));
	findings_clear(&out);
	json_decref(r.params);

	for (int i = 0; i < 5; i++)
		test_kernel_clear(&t[i], &k[i]);
}

/* The must-show cases on the real Debian images. */
static void test_checks_on_real_images(void **state)
{
	const char *kver = test_kver(), *kver_cloud = test_kver_cloud();
	_cleanup_free_ char *generic_image = test_kver_str("/boot/initrd.img-%s", kver);
	_cleanup_free_ char *cloud_image = test_kver_str("/boot/initrd.img-%s", kver_cloud);
	_cleanup_free_ char *nvme = test_kver_str(REAL_MODULE_FMT, kver, "nvme/host/nvme.ko");
	const char *const images[] = {generic_image, cloud_image};
	struct test_kernel t[2];
	struct nc_kernel k[2];
	struct nc_facts facts = {0};
	struct nc_findings out = {0};
	struct nc_rule rd, rx;
	struct nc_err err;
	char **files;
	size_t j = 0;

	if (access(images[0], R_OK) != 0 || access(images[1], R_OK) != 0)
		skip();
	test_kernel_init(&t[0], &k[0], kver, NC_DRV_MODULE);
	test_kernel_init(&t[1], &k[1], kver_cloud, NC_DRV_BUILTIN);
	k[0].is_default = true;
	for (int i = 0; i < 2; i++) {
		k[i].initramfs.path = strdup(images[i]);
		assert_int_equal(initramfs_read(images[i], NC_INITRAMFS_MAX_UNCOMPRESSED,
						&k[i].initramfs, &err), 0);
		assert_int_equal(initramfs_resolve_drivers(&k[i]), 0);
		assert_true(t[i].drivers[0].in_initramfs);
	}
	assert_string_equal(t[0].nvme[0].initramfs_path, nvme);
	facts.kernels = k;
	facts.n_kernels = 2;
	facts.default_kernel = 0;
	rule_init(&rd, "initramfs-nvme", "initramfs-driver", NC_SEV_ERROR,
		  json_pack("{s:s}", "driver", "nvme"));
	rule_init(&rx, "initramfs-xen-only", "initramfs-xen-only", NC_SEV_WARNING, NULL);
	assert_int_equal(run_check("initramfs-driver", &rd, &facts, &out), 0);
	assert_int_equal(run_check("initramfs-xen-only", &rx, &facts, &out), 0);
	assert_int_equal(out.n, 0);

	/* The generic image with nvme files dropped from its list: an error
	 * naming the kernel version and the initramfs path. */
	files = k[0].initramfs.files;
	for (size_t i = 0; files[i]; i++) {
		if (strstr(files[i], "/nvme/host/nvme"))
			free(files[i]);
		else
			files[j++] = files[i];
	}
	files[j] = NULL;
	assert_int_equal(run_check("initramfs-driver", &rd, &facts, &out), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].severity, NC_SEV_ERROR);
	assert_string_equal(out.v[0].kernel, kver);
	assert_non_null(strstr(out.v[0].message, images[0]));
	findings_clear(&out);
	/* ...and it has xen-blkfront: built on Xen, says the xen-only check. */
	assert_int_equal(run_check("initramfs-xen-only", &rx, &facts, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].kernel, kver);
	findings_clear(&out);

	json_decref(rd.params);
	json_decref(rx.params);
	for (int i = 0; i < 2; i++)
		test_kernel_clear(&t[i], &k[i]);
}

static void test_rules_file(void **state)
{
	const char *root = getenv("NC_SOURCE_ROOT");
	_cleanup_free_ char *path = path_join(root ? root : ".", "rules/initramfs.json");
	static const char *const checks[] = {"initramfs-driver", "initramfs-missing",
					     "initramfs-unreadable", "initramfs-xen-only"};
	bool used[ARRAY_SIZE(checks)] = {false};
	json_error_t jerr;
	json_t *doc, *rules, *rule;
	size_t i;

	doc = json_load_file(path, 0, &jerr);
	if (!doc)
		fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
	rules = json_object_get(doc, "rules");
	assert_true(json_is_array(rules));
	json_array_foreach(rules, i, rule) {
		const char *id = json_string_value(json_object_get(rule, "id"));
		const char *check = json_string_value(json_object_get(rule, "check"));
		const char *sev = json_string_value(json_object_get(rule, "severity"));
		json_t *rem = json_object_get(rule, "remediation");
		bool known = false;

		assert_non_null(id);
		assert_non_null(startswith(id, "initramfs-"));
		assert_true(json_is_string(json_object_get(rule, "title")));
		assert_true(json_is_string(json_object_get(rule, "rationale")));
		assert_non_null(sev);
		assert_true(streq(sev, "error") || streq(sev, "warning") || streq(sev, "info"));
		assert_true(json_is_array(json_object_get(rule, "references")));
		assert_true(json_array_size(json_object_get(rule, "references")) > 0);
		for (const char *const *fam = (const char *const[]){"default", "debian", "rhel",
								      "suse", NULL};
		     *fam; fam++)
			assert_true(json_is_string(json_object_get(rem, *fam)));
		assert_non_null(check);
		for (const struct nc_check *c = nc_initramfs_checks; c->name; c++)
			if (streq(c->name, check))
				known = true;
		assert_true(known);
		for (size_t c = 0; c < ARRAY_SIZE(checks); c++)
			if (streq(checks[c], check))
				used[c] = true;
	}
	for (size_t c = 0; c < ARRAY_SIZE(checks); c++)
		if (!used[c])
			fail_msg("no rule uses check %s", checks[c]);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_early_cpio_then_each_compression),
		cmocka_unit_test(test_several_early_archives_and_padding),
		cmocka_unit_test(test_archives_inside_one_stream),
		cmocka_unit_test(test_generators),
		cmocka_unit_test(test_dracut_layout_paths),
		cmocka_unit_test(test_module_outside_modules_dir),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_truncated_uncompressed),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_absurd_name_size),
		cmocka_unit_test(test_absurd_sizes_uncompressed),
		cmocka_unit_test(test_odc_sizes),
		cmocka_unit_test(test_absurd_entry_count),
		cmocka_unit_test(test_too_many_archives),
		cmocka_unit_test(test_read_file_errors),
		cmocka_unit_test(test_read_in_root),
		cmocka_unit_test(test_real_debian_initrd),
		cmocka_unit_test(test_real_debian_cloud_initrd),
		cmocka_unit_test(test_real_dracut_image),
		cmocka_unit_test(test_resolve_drivers),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_checks_on_real_images),
		cmocka_unit_test(test_rules_file),
	};

	return cmocka_run_group_tests_name("initramfs", tests, NULL, NULL);
}
