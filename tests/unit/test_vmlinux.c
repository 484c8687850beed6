/* SPDX-License-Identifier: MIT */
/* Host-side kernel decompression: the payload of this machine's real Debian
 * kernels (generic: XZ, cloud: LZ4) decompressed and its vmlinux ELF read,
 * and broken payloads refused with a message that says what is wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>

#include "common/le.h"
#include "common/util.h"
#include "vmm/bootparams.h"
#include "vmm/vmlinux.h"
#include "kver_test_util.h"

struct kernel {
	char *img;
	size_t size;
	struct bzimage_info bz;
	const uint8_t *payload;
	size_t payload_len;
};

static void kernel_load(const char *kver, struct kernel *k)
{
	_cleanup_free_ char *path = strdup_printf("/boot/vmlinuz-%s", kver);
	struct nc_err err = { 0 };

	memset(k, 0, sizeof(*k));
	if (read_file_full(path, 256u << 20, &k->img, &k->size) < 0) {
		print_message("skipping: %s not installed\n", path);
		skip();
	}
	assert_int_equal(bzimage_parse((uint8_t *)k->img, k->size, &k->bz, &err), 0);
	assert_int_equal(bzimage_payload((uint8_t *)k->img, k->size, k->bz.setup_size,
					 &k->payload, &k->payload_len, &err), 0);
}

/* What both kernels must give: the ELF the payload declares, linked at the
 * preferred load address (16 MiB), entered there, inside init_size. */
static void check_kernel(const char *kver, const char *want_kind)
{
	struct kernel k;
	struct vmlinux v;
	struct nc_err err = { 0 };
	uint64_t file_total = 0;

	kernel_load(kver, &k);
	assert_int_equal(vmlinux_from_bzimage((uint8_t *)k.img, k.size, k.bz.setup_size, &v,
					      &err), 0);
	assert_string_equal(v.compression, want_kind);
	assert_int_equal(v.elf_size, get_le32(k.payload + k.payload_len - 4));
	assert_memory_equal(v.elf, "\177ELF\002", 5);
	assert_int_equal(v.entry, k.bz.pref_address);
	assert_int_equal(v.start, k.bz.pref_address);
	assert_true(v.end > v.start + (16u << 20));
	assert_true(v.end <= k.bz.pref_address + k.bz.init_size);
	/* text, data, percpu, init + bss */
	assert_int_equal(v.n_seg, 4);
	for (unsigned int i = 0; i < v.n_seg; i++) {
		assert_true(v.seg[i].filesz <= v.seg[i].memsz);
		assert_true(v.seg[i].data >= v.elf &&
			    v.seg[i].data + v.seg[i].filesz <= v.elf + v.elf_size);
		file_total += v.seg[i].filesz;
	}
	assert_true(file_total > (16u << 20));
	/* startup_64 begins by loading the boot stack (lea ...(%rip), %rsp:
	 * 48 8d 25) in Linux 6.1. */
	assert_int_equal(v.seg[0].paddr, v.entry);
	assert_memory_equal(v.seg[0].data, "\x48\x8d\x25", 3);
	vmlinux_free(&v);
	free(k.img);
}

static void test_generic_xz(void **state)
{
	(void)state;
	check_kernel(test_kver(), "xz");
}

static void test_cloud_lz4(void **state)
{
	(void)state;
	check_kernel(test_kver_cloud(), "lz4");
}

/* A copy of the generic kernel's payload to break. */
static uint8_t *payload_copy(struct kernel *k)
{
	uint8_t *p;

	kernel_load(test_kver(), k);
	p = malloc(k->payload_len);
	assert_non_null(p);
	memcpy(p, k->payload, k->payload_len);
	return p;
}

static void test_truncated(void **state)
{
	struct kernel k;
	_cleanup_free_ uint8_t *p = NULL;
	struct nc_err err = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 0, half;
	const char *kind = NULL;

	(void)state;
	p = payload_copy(&k);
	/* Cut in the middle, the declared size kept at the end. */
	half = k.payload_len / 2;
	memcpy(p + half - 4, k.payload + k.payload_len - 4, 4);
	assert_int_equal(vmlinux_decompress(p, half, VMLINUX_MAX_SIZE, &out, &out_len, &kind,
					    &err), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(err.msg, "xz payload"));
	free(k.img);
}

static void test_corrupt(void **state)
{
	struct kernel k;
	_cleanup_free_ uint8_t *p = NULL;
	struct nc_err err = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 0;
	const char *kind = NULL;

	(void)state;
	p = payload_copy(&k);
	for (size_t i = 4096; i < 8192; i++)
		p[i] ^= 0x5a;
	assert_int_equal(vmlinux_decompress(p, k.payload_len, VMLINUX_MAX_SIZE, &out, &out_len,
					    &kind, &err), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(err.msg, "xz payload"));
	free(k.img);
}

static void test_wrong_size(void **state)
{
	struct kernel k;
	_cleanup_free_ uint8_t *p = NULL;
	struct nc_err err = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 0, n = 0;
	const char *kind = NULL;

	(void)state;
	p = payload_copy(&k);
	n = get_le32(p + k.payload_len - 4);
	/* One byte fewer declared than the stream holds. */
	put_le32(p + k.payload_len - 4, (uint32_t)(n - 1));
	assert_int_equal(vmlinux_decompress(p, k.payload_len, VMLINUX_MAX_SIZE, &out, &out_len,
					    &kind, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "more than"));
	/* One byte more. */
	put_le32(p + k.payload_len - 4, (uint32_t)(n + 1));
	assert_int_equal(vmlinux_decompress(p, k.payload_len, VMLINUX_MAX_SIZE, &out, &out_len,
					    &kind, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "ends after"));
	/* More than the cap. */
	assert_int_equal(vmlinux_decompress(p, k.payload_len, 1u << 20, &out, &out_len, &kind,
					    &err), -EFBIG);
	assert_null(out);
	free(k.img);
}

static void test_unknown_compression(void **state)
{
	static const uint8_t junk[64] = "this is not compressed at all";
	struct nc_err err = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 0;
	const char *kind = NULL;

	(void)state;
	assert_int_equal(vmlinux_decompress(junk, sizeof(junk), VMLINUX_MAX_SIZE, &out, &out_len,
					    &kind, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "not recognised"));
}

static void test_payload_outside(void **state)
{
	struct kernel k;
	struct nc_err err = { 0 };
	const uint8_t *p;
	size_t len;

	(void)state;
	kernel_load(test_kver(), &k);
	put_le32((uint8_t *)k.img + BP_PAYLOAD_LENGTH, (uint32_t)k.size);
	assert_int_equal(bzimage_payload((uint8_t *)k.img, k.size, k.bz.setup_size, &p, &len,
					 &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "outside"));
	/* Boot protocol 2.07 has no payload fields. */
	put_le16((uint8_t *)k.img + BP_VERSION, 0x0207);
	assert_int_equal(bzimage_payload((uint8_t *)k.img, k.size, k.bz.setup_size, &p, &len,
					 &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "2.08"));
	free(k.img);
}

/* A well-formed gzip payload whose content is not an ELF file. */
static void test_not_elf(void **state)
{
	static const char text[] = "#!/bin/sh\necho not a kernel\n";
	uint8_t buf[4096], *out = NULL;
	size_t used = 0, out_len = 0;
	const char *kind = NULL;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct vmlinux v;
	struct nc_err err = { 0 };

	(void)state;
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, sizeof(buf) - 4, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "vmlinux");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, 16 * 16);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	for (int i = 0; i < 16; i++)
		assert_int_equal(archive_write_data(a, text, 16), 16);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	put_le32(buf + used, 16 * 16);
	assert_int_equal(vmlinux_decompress(buf, used + 4, VMLINUX_MAX_SIZE, &out, &out_len,
					    &kind, &err), 0);
	assert_string_equal(kind, "gzip");
	assert_int_equal(out_len, 256);
	assert_int_equal(vmlinux_parse(out, out_len, &v, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "not an ELF"));
}

/* The real ELF with its entry point moved out of the segments. */
static void test_bad_entry(void **state)
{
	struct kernel k;
	struct vmlinux v;
	struct nc_err err = { 0 };
	uint8_t *elf = NULL;
	size_t elf_len = 0;
	const char *kind = NULL;

	(void)state;
	kernel_load(test_kver(), &k);
	assert_int_equal(vmlinux_decompress(k.payload, k.payload_len, VMLINUX_MAX_SIZE, &elf,
					    &elf_len, &kind, &err), 0);
	put_le64(elf + 24, 0xffffffff81000000ull);      /* e_entry: the virtual address */
	assert_int_equal(vmlinux_parse(elf, elf_len, &v, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "entry"));
	free(k.img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generic_xz),
		cmocka_unit_test(test_cloud_lz4),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_wrong_size),
		cmocka_unit_test(test_unknown_compression),
		cmocka_unit_test(test_payload_outside),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_bad_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
