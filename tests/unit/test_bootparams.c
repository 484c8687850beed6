/* SPDX-License-Identifier: MIT */
/* boot_params, e820, page tables and GDT of the 64-bit boot protocol, on
 * this machine's real Debian kernels. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "common/util.h"
#include "vmm/bootparams.h"
#include "kver_test_util.h"


static uint64_t rd(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static char *load(const char *path, size_t *size)
{
	char *buf = NULL;

	if (read_file_full(path, 256u << 20, &buf, size) < 0)
		return NULL;
	return buf;
}

static void check_debian_kernel(const char *path)
{
	_cleanup_free_ char *img = NULL;
	struct bzimage_info bz;
	struct nc_err err = { 0 };
	size_t size;

	img = load(path, &size);
	if (!img) {
		print_message("skipping: %s not installed\n", path);
		skip();
	}
	assert_int_equal(bzimage_parse((uint8_t *)img, size, &bz, &err), 0);
	/* Linux 6.1 speaks boot protocol 2.15. */
	assert_int_equal(bz.version, 0x020f);
	assert_true(bz.xloadflags & XLF_KERNEL_64);
	assert_true(bz.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G);
	assert_true(bz.relocatable);
	assert_int_equal(bz.kernel_alignment, 0x200000);
	assert_int_equal(bz.pref_address, 0x1000000);
	assert_int_equal(bz.cmdline_size, 2047);
	assert_int_equal(bz.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bz.setup_size, ((size_t)(uint8_t)img[0x1f1] + 1) * 512);
	assert_ptr_equal(bz.kernel, (uint8_t *)img + bz.setup_size);
	assert_int_equal(bz.kernel_size + bz.setup_size, size);
	assert_true(bz.init_size > bz.kernel_size);
}

static void test_parse_generic(void **state)
{
	_cleanup_free_ char *kernel = test_kver_str("/boot/vmlinuz-%s", test_kver());

	check_debian_kernel(kernel);
}

static void test_parse_cloud(void **state)
{
	_cleanup_free_ char *kernel = test_kver_str("/boot/vmlinuz-%s", test_kver_cloud());

	check_debian_kernel(kernel);
}

static void test_parse_rejects(void **state)
{
	_cleanup_free_ uint8_t *buf = calloc(1, 8192);
	struct bzimage_info bz;
	struct nc_err err = { 0 };

	assert_int_equal(bzimage_parse(buf, 100, &bz, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "too small"));
	assert_int_equal(bzimage_parse(buf, 8192, &bz, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "HdrS"));
	/* An old protocol (2.10, no 64-bit entry). */
	buf[0x1fe] = 0x55;
	buf[0x1ff] = 0xaa;
	memcpy(buf + 0x202, "HdrS", 4);
	buf[0x206] = 0x0a;
	buf[0x207] = 0x02;
	assert_int_equal(bzimage_parse(buf, 8192, &bz, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "2.10"));
	buf[0x206] = 0x0f;
	buf[0x211] = 0x01;
	assert_int_equal(bzimage_parse(buf, 8192, &bz, &err), -ENOEXEC);
	assert_non_null(strstr(err.msg, "64-bit"));
	buf[0x236] = XLF_KERNEL_64;
	buf[0x1f1] = 4;
	assert_int_equal(bzimage_parse(buf, 8192, &bz, &err), 0);
	assert_int_equal(bz.setup_size, 5 * 512);
}

static void test_e820(void **state)
{
	struct e820_entry e[8];
	int n;

	n = e820_build(1ull << 30, 0, e, 8);
	assert_int_equal(n, 3);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, 0x9fc00);
	assert_int_equal(e[0].type, E820_RAM);
	assert_int_equal(e[1].type, E820_RESERVED);
	assert_int_equal(e[1].addr + e[1].size, 0x100000);
	assert_int_equal(e[2].addr, 0x100000);
	assert_int_equal(e[2].addr + e[2].size, 1ull << 30);

	/* 4 GiB: 3 GiB low, 1 GiB from 4 GiB; the PCI hole is not RAM. */
	n = e820_build(3ull << 30, 1ull << 30, e, 8);
	assert_int_equal(n, 4);
	assert_int_equal(e[2].addr + e[2].size, 3ull << 30);
	assert_int_equal(e[3].addr, 4ull << 30);
	assert_int_equal(e[3].size, 1ull << 30);
	for (int i = 0; i < n; i++)
		assert_false(e[i].type == E820_RAM && e[i].addr < (4ull << 30) &&
			     e[i].addr + e[i].size > (3ull << 30));

	assert_int_equal(e820_build(3ull << 30, 1ull << 30, e, 3), -ENOSPC);
	assert_int_equal(e820_build(0x80000, 0, e, 8), -EINVAL);
}

static void test_zero_page(void **state)
{
	_cleanup_free_ char *img = NULL;
	_cleanup_free_ char *kernel = test_kver_str("/boot/vmlinuz-%s", test_kver());
	uint8_t zp[BP_ZERO_PAGE_SIZE];
	struct e820_entry e[8];
	struct bootparams_layout l = {
		.cmdline_gpa = 0x20000,
		.cmdline_len = 20,
		.initrd_gpa = 0x3f000000,
		.initrd_size = 0x123456,
		.rsdp_gpa = 0xe0000,
		.e820 = e,
	};
	size_t size;
	int n;

	img = load(kernel, &size);
	if (!img)
		skip();
	n = e820_build(1ull << 30, 0, e, 8);
	l.n_e820 = (unsigned int)n;
	assert_int_equal(bootparams_build(zp, (uint8_t *)img, size, &l), 0);
	/* The setup header is the kernel's own ... */
	assert_memory_equal(zp + BP_HEADER_MAGIC, "HdrS", 4);
	assert_int_equal(rd(zp + BP_VERSION, 2), 0x020f);
	assert_int_equal(rd(zp + BP_BOOT_FLAG, 2), 0xaa55);
	assert_int_equal(rd(zp + BP_INIT_SIZE, 4), rd((uint8_t *)img + BP_INIT_SIZE, 4));
	/* ... with what the loader fills in. */
	assert_int_equal(zp[BP_TYPE_OF_LOADER], 0xff);
	assert_true(zp[BP_LOADFLAGS] & 0x01);
	assert_int_equal(rd(zp + BP_CMD_LINE_PTR, 4), 0x20000);
	assert_int_equal(rd(zp + BP_RAMDISK_IMAGE, 4), 0x3f000000);
	assert_int_equal(rd(zp + BP_RAMDISK_SIZE, 4), 0x123456);
	assert_int_equal(rd(zp + BP_ACPI_RSDP_ADDR, 8), 0xe0000);
	assert_int_equal(zp[BP_E820_ENTRIES], 3);
	assert_int_equal(rd(zp + BP_E820_TABLE + 20 * 2, 8), 0x100000);
	assert_int_equal(rd(zp + BP_E820_TABLE + 20 * 2 + 8, 8), (1ull << 30) - 0x100000);
	assert_int_equal(rd(zp + BP_E820_TABLE + 20 * 2 + 16, 4), E820_RAM);
	assert_int_equal(rd(zp + BP_E820_TABLE + 20 * 1 + 16, 4), E820_RESERVED);
	/* Nothing before the header but the RSDP and e820 count. */
	for (unsigned int i = 0; i < BP_ACPI_RSDP_ADDR; i++)
		assert_int_equal(zp[i], 0);
}

/* Walks 4-level page tables in buf (based at pt_gpa) for va. */
static uint64_t translate(const uint8_t *buf, uint64_t pt_gpa, uint64_t cr3, uint64_t va)
{
	uint64_t e = cr3;
	unsigned int shifts[] = { 39, 30, 21 };

	for (unsigned int lvl = 0; lvl < 3; lvl++) {
		uint64_t table = (e & ~0xfffull) - pt_gpa;

		e = rd(buf + table + 8 * ((va >> shifts[lvl]) & 0x1ff), 8);
		assert_true(e & 1);
		if (lvl == 2) {
			assert_true(e & 0x80);  /* 2 MiB page */
			return (e & ~0x1fffffull & 0xffffffffff000ull) | (va & 0x1fffff);
		}
	}
	return 0;
}

static void test_pagetables(void **state)
{
	_cleanup_free_ uint8_t *buf = malloc(BP_PAGETABLE_SIZE);
	uint64_t cr3 = pagetables_build(buf, 0x9000);
	const uint64_t probes[] = { 0, 0x1000000 + 0x200, 0x12345678, 0xbfffffff,
				    0xfee00000, 0xffffffff };

	assert_int_equal(cr3, 0x9000);
	for (unsigned int i = 0; i < ARRAY_SIZE(probes); i++)
		assert_int_equal(translate(buf, 0x9000, cr3, probes[i]), probes[i]);
	/* Nothing above 4 GiB is mapped. */
	assert_int_equal(rd(buf + 4096 + 8 * 4, 8), 0);
}

static void test_gdt(void **state)
{
	uint64_t gdt[BP_GDT_ENTRIES];

	gdt_build(gdt);
	/* Code: present, S, type execute/read, L=1 and D=0 for 64-bit. */
	assert_true(gdt[BP_CODE_SEL / 8] & (1ull << 47));
	assert_true(gdt[BP_CODE_SEL / 8] & (1ull << 53));
	assert_false(gdt[BP_CODE_SEL / 8] & (1ull << 54));
	assert_int_equal((gdt[BP_CODE_SEL / 8] >> 40) & 0xf, 0xb);
	/* Data: writable, 4 GiB. */
	assert_int_equal((gdt[BP_DATA_SEL / 8] >> 40) & 0xf, 0x3);
	assert_true(gdt[BP_DATA_SEL / 8] & (1ull << 55));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_generic),
		cmocka_unit_test(test_parse_cloud),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_e820),
		cmocka_unit_test(test_zero_page),
		cmocka_unit_test(test_pagetables),
		cmocka_unit_test(test_gdt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
