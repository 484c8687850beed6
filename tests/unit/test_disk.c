/* SPDX-License-Identifier: MIT */
/*
 * Disk backend: format probing, raw and qcow2/vmdk/vpc (through qemu-nbd)
 * reads, the copy-on-write overlay, and errors that name the file. Images
 * are made here with qemu-img; the input file must never change.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "vmm/disk.h"

#define IMG_SIZE (1024 * 1024 + 4096 * 3 + 512) /* not a whole number of 4 KiB blocks */

struct fixture {
	char dir[64];
	char raw[128];
	uint8_t *data; /* the raw image's bytes */
};

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9) * 7 + (i >> 17));
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *slurp(const char *path, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(read_file_full(path, 256u << 20, &buf, &len), 0);
	*ret_len = len;
	return (uint8_t *)buf;
}

static void run(const char *fmt, ...) NC_PRINTF(1, 2);
static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/nc-disk-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->raw, sizeof(f->raw), "%s/disk.raw", f->dir);
	f->data = malloc(IMG_SIZE);
	for (size_t i = 0; i < IMG_SIZE; i++)
		f->data[i] = pattern(i);
	write_file(f->raw, f->data, IMG_SIZE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	run("rm -rf '%s'", f->dir);
	free(f->data);
	free(f);
	return 0;
}

/* ---- probing ------------------------------------------------------------------ */

static void test_probe(void **state)
{
	uint8_t head[512] = { 0 }, tail[512] = { 0 };

	(void)state;
	assert_string_equal(disk_probe_format(head, sizeof(head), tail, sizeof(tail)), "raw");
	memcpy(head, "QFI\xfb\0\0\0\x03", 8);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "qcow2");
	memcpy(head, "QFI\xfb\0\0\0\x01", 8);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "qcow");
	memcpy(head, "KDMV", 4);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "vmdk");
	memcpy(head, "# Disk DescriptorFile\n", 22);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "vmdk");
	memset(head, 0, sizeof(head));
	memcpy(head, "vhdxfile", 8);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "vhdx");
	memcpy(head, "conectix", 8);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "vpc");
	memcpy(head, "QED\0", 4);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "qed");
	memset(head, 0, sizeof(head));
	memcpy(head + 0x40, "\x7f\x10\xda\xbe", 4);
	assert_string_equal(disk_probe_format(head, sizeof(head), NULL, 0), "vdi");
	memset(head, 0, sizeof(head));
	memcpy(tail, "conectix", 8);
	assert_string_equal(disk_probe_format(head, sizeof(head), tail, sizeof(tail)), "vpc");
	/* a magic cut short is not a match */
	assert_string_equal(disk_probe_format("QFI", 3, NULL, 0), "raw");
	assert_string_equal(disk_probe_format(head, 0, NULL, 0), "raw");
}

/* ---- shared checks --------------------------------------------------------------- */

/* Reads of the whole disk and of odd pieces match the raw bytes. */
static void check_reads(struct disk *d, const uint8_t *data)
{
	static const struct {
		uint64_t off;
		size_t len;
	} pieces[] = { { 0, 512 }, { 1, 3 }, { 4095, 2 }, { 8191, 8194 }, { IMG_SIZE - 7, 7 } };
	uint8_t *buf = malloc(IMG_SIZE);

	assert_int_equal(disk_read(d, 0, buf, IMG_SIZE), 0);
	assert_memory_equal(buf, data, IMG_SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(pieces); i++) {
		memset(buf, 0xee, pieces[i].len);
		assert_int_equal(disk_read(d, pieces[i].off, buf, pieces[i].len), 0);
		assert_memory_equal(buf, data + pieces[i].off, pieces[i].len);
	}
	assert_int_equal(disk_read(d, IMG_SIZE - 1, buf, 2), -EINVAL);
	assert_int_equal(disk_read(d, UINT64_MAX - 1, buf, 4), -EINVAL);
	assert_int_equal(disk_write(d, IMG_SIZE, buf, 1), -EINVAL);
	assert_int_equal(disk_write_zeroes(d, IMG_SIZE - 10, 11), -EINVAL);
	free(buf);
}

/* Writes land in the overlay, reads see them merged with the image. */
static void check_overlay(struct disk *d, const uint8_t *data)
{
	uint8_t *want = malloc(IMG_SIZE), *buf = malloc(IMG_SIZE);
	uint8_t w[5000];

	memcpy(want, data, IMG_SIZE);
	assert_int_equal(disk_overlay_blocks(d), 0);

	/* unaligned, across a block boundary: blocks 0 and 1 */
	memset(w, 0x5a, sizeof(w));
	assert_int_equal(disk_write(d, 1000, w, sizeof(w)), 0);
	memcpy(want + 1000, w, sizeof(w));
	assert_int_equal(disk_overlay_blocks(d), 2);

	/* into a block already in the overlay and a new one */
	assert_int_equal(disk_write(d, 8190, "ABCDEFGHIJKL", 12), 0);
	memcpy(want + 8190, "ABCDEFGHIJKL", 12);
	assert_int_equal(disk_overlay_blocks(d), 3);

	/* zeroes over a partial block, whole blocks and the short last block */
	assert_int_equal(disk_write_zeroes(d, 20000, 20000), 0);
	memset(want + 20000, 0, 20000);
	assert_int_equal(disk_write_zeroes(d, IMG_SIZE - 700, 700), 0);
	memset(want + IMG_SIZE - 700, 0, 700);

	assert_int_equal(disk_flush(d), 0);
	assert_int_equal(disk_read(d, 0, buf, IMG_SIZE), 0);
	assert_memory_equal(buf, want, IMG_SIZE);
	/* a read that starts in the image and ends in the overlay */
	assert_int_equal(disk_read(d, 16384, buf, 8192), 0);
	assert_memory_equal(buf, want + 16384, 8192);
	free(want);
	free(buf);
}

static void assert_file_unchanged(const char *path, const uint8_t *before, size_t len,
				  const struct stat *st_before)
{
	size_t n;
	uint8_t *now = slurp(path, &n);
	struct stat st;

	assert_int_equal(n, len);
	assert_memory_equal(now, before, len);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, st_before->st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, st_before->st_mtim.tv_nsec);
	free(now);
}

static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* ---- raw --------------------------------------------------------------------- */

static void test_raw(void **state)
{
	struct fixture *f = *state;
	struct disk *d = NULL;
	struct nc_err err = { 0 };
	struct stat st;

	assert_int_equal(stat(f->raw, &st), 0);
	assert_int_equal(disk_open(f->raw, NULL, &d, &err), 0);
	assert_string_equal(disk_format(d), "raw");
	assert_string_equal(disk_path(d), f->raw);
	assert_int_equal(disk_size(d), IMG_SIZE);
	check_reads(d, f->data);
	check_overlay(d, f->data);
	disk_close(d);
	assert_file_unchanged(f->raw, f->data, IMG_SIZE, &st);

	/* a new open sees the image again: the overlay was discarded */
	assert_int_equal(disk_open(f->raw, "raw", &d, &err), 0);
	check_reads(d, f->data);
	disk_close(d);
}

/* ---- formats through qemu-nbd ------------------------------------------------------ */

static void check_converted(struct fixture *f, const char *fmt, const char *opts)
{
	char path[160];
	struct disk *d = NULL;
	struct nc_err err = { 0 };
	struct stat st;
	uint8_t *before;
	size_t len;

	snprintf(path, sizeof(path), "%s/disk.%s", f->dir, fmt);
	run("qemu-img convert -q -f raw -O %s %s '%s' '%s'", fmt, opts, f->raw, path);
	before = slurp(path, &len);
	assert_int_equal(stat(path, &st), 0);

	assert_int_equal(disk_open(path, NULL, &d, &err), 0);
	assert_string_equal(disk_format(d), fmt);
	/* vpc rounds the size up to its CHS geometry: compare what we wrote */
	assert_true(disk_size(d) >= IMG_SIZE);
	if (disk_size(d) == IMG_SIZE) {
		check_reads(d, f->data);
		check_overlay(d, f->data);
	} else {
		uint8_t *buf = malloc(IMG_SIZE);

		assert_int_equal(disk_read(d, 0, buf, IMG_SIZE), 0);
		assert_memory_equal(buf, f->data, IMG_SIZE);
		assert_int_equal(disk_write(d, 100, "x", 1), 0);
		assert_int_equal(disk_read(d, 99, buf, 3), 0);
		assert_memory_equal(buf, f->data + 99, 1);
		assert_int_equal(buf[1], 'x');
		free(buf);
	}
	disk_close(d);
	assert_no_children();
	assert_file_unchanged(path, before, len, &st);
	free(before);
}

static void test_qcow2(void **state)
{
	check_converted(*state, "qcow2", "");
}

static void test_qcow2_compressed(void **state)
{
	struct fixture *f = *state;
	char path[160];
	struct disk *d = NULL;
	struct nc_err err = { 0 };
	uint8_t *buf = malloc(IMG_SIZE);

	snprintf(path, sizeof(path), "%s/compressed.qcow2", f->dir);
	run("qemu-img convert -q -c -f raw -O qcow2 '%s' '%s'", f->raw, path);
	assert_int_equal(disk_open(path, "qcow2", &d, &err), 0);
	assert_int_equal(disk_read(d, 0, buf, IMG_SIZE), 0);
	assert_memory_equal(buf, f->data, IMG_SIZE);
	disk_close(d);
	free(buf);
}

static void test_vmdk(void **state)
{
	check_converted(*state, "vmdk", "");
}

static void test_vpc_fixed(void **state)
{
	/* a fixed VHD has its magic only in the footer */
	check_converted(*state, "vpc", "-o subformat=fixed,force_size=on");
}

/* Asked for raw, a qcow2 file reads as its own bytes. */
static void test_forced_raw(void **state)
{
	struct fixture *f = *state;
	char path[160];
	struct disk *d = NULL;
	struct nc_err err = { 0 };
	uint8_t magic[4];

	snprintf(path, sizeof(path), "%s/forced.qcow2", f->dir);
	run("qemu-img create -q -f qcow2 '%s' 1M", path);
	assert_int_equal(disk_open(path, "raw", &d, &err), 0);
	assert_int_equal(disk_read(d, 0, magic, 4), 0);
	assert_memory_equal(magic, "QFI\xfb", 4);
	disk_close(d);
}

/* ---- errors ------------------------------------------------------------------------- */

static void assert_open_fails(const char *path, const char *format, int code, const char *words)
{
	struct disk *d = NULL;
	struct nc_err err = { 0 };

	assert_int_equal(disk_open(path, format, &d, &err), code);
	assert_null(d);
	if (!strstr(err.msg, path) || !strstr(err.msg, words))
		fail_msg("message \"%s\" should name %s and say \"%s\"", err.msg, path, words);
	assert_no_children();
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	char path[160], trunc[160];
	size_t len;
	uint8_t *img;

	snprintf(path, sizeof(path), "%s/missing.img", f->dir);
	assert_open_fails(path, NULL, -ENOENT, "No such file");
	assert_open_fails(f->dir, NULL, -EISDIR, "directory");

	snprintf(path, sizeof(path), "%s/empty.img", f->dir);
	write_file(path, "", 0);
	assert_open_fails(path, NULL, -EINVAL, "empty");

	snprintf(path, sizeof(path), "%s/tiny.img", f->dir);
	write_file(path, "0123456789", 10);
	assert_open_fails(path, NULL, -EINVAL, "smaller than one 512-byte sector");

	/* a qcow2 whose tables are cut off: qemu's words, with the file */
	snprintf(path, sizeof(path), "%s/full.qcow2", f->dir);
	run("qemu-img convert -q -f raw -O qcow2 '%s' '%s'", f->raw, path);
	img = slurp(path, &len);
	snprintf(trunc, sizeof(trunc), "%s/truncated.qcow2", f->dir);
	write_file(trunc, img, 200);
	assert_open_fails(trunc, NULL, -EIO, "truncated qcow2");
	/* cut inside the header: qemu's own words */
	write_file(trunc, img, 50);
	assert_open_fails(trunc, NULL, -EIO, "qcow2 header too short");
	free(img);

	/* a raw image opened as qcow2 */
	assert_open_fails(f->raw, "qcow2", -EIO, "cannot read as qcow2");
	/* a format qemu does not know */
	assert_open_fails(f->raw, "nosuchformat", -EIO, "nosuchformat");
}

/* Images that name other host files: the guest would read them. */
static void test_references(void **state)
{
	struct fixture *f = *state;
	char path[160], data[160], cwd[512];
	struct disk *d = NULL;
	struct nc_err err = { 0 };

	snprintf(path, sizeof(path), "%s/backed.qcow2", f->dir);
	run("qemu-img create -q -f qcow2 -b /etc/hostname -F raw '%s'", path);
	assert_open_fails(path, NULL, -EPERM, "has a backing file (/etc/hostname)");

	snprintf(path, sizeof(path), "%s/external.qcow2", f->dir);
	snprintf(data, sizeof(data), "%s/external.data", f->dir);
	run("qemu-img create -q -f qcow2 -o data_file='%s' '%s' 1M", data, path);
	assert_open_fails(path, NULL, -EPERM, "keeps its data in another file");

	snprintf(path, sizeof(path), "%s/flat.vmdk", f->dir);
	run("qemu-img create -q -f vmdk -o subformat=monolithicFlat '%s' 1M", path);
	assert_open_fails(path, NULL, -EPERM, "its data is in another file");

	/* a one-file vmdk named by a relative path is fine */
	snprintf(path, sizeof(path), "%s/mono.vmdk", f->dir);
	run("qemu-img create -q -f vmdk '%s' 1M", path);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(disk_open("mono.vmdk", NULL, &d, &err), 0);
	assert_int_equal(disk_size(d), 1 << 20);
	disk_close(d);
	assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_qcow2),
		cmocka_unit_test(test_qcow2_compressed),
		cmocka_unit_test(test_vmdk),
		cmocka_unit_test(test_vpc_fixed),
		cmocka_unit_test(test_forced_raw),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_references),
	};

	return cmocka_run_group_tests_name("disk", tests, setup, teardown);
}
