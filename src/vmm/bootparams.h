/* SPDX-License-Identifier: MIT */
/*
 * The x86 64-bit boot protocol (Documentation/x86/boot.rst): read a bzImage's
 * setup header, build the zero page (boot_params) with the e820 map, command
 * line and initrd, the GDT and the identity-mapped page tables the 64-bit
 * entry point expects. Pure: bytes in, bytes out.
 */
#ifndef NC_VMM_BOOTPARAMS_H
#define NC_VMM_BOOTPARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define BP_ZERO_PAGE_SIZE 4096
#define BP_E820_MAX 128
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3

/* Offsets in boot_params (arch/x86/include/uapi/asm/bootparam.h). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1
#define BP_SETUP_SECTS 0x1f1
#define BP_BOOT_FLAG 0x1fe
#define BP_HEADER_MAGIC 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END_PTR 0x224
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_KERNEL_ALIGNMENT 0x230
#define BP_RELOCATABLE 0x234
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0

#define XLF_KERNEL_64 (1u << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct bzimage_info {
	uint16_t version;               /* boot protocol, e.g. 0x020f */
	size_t setup_size;              /* real-mode part, boot sector included */
	const uint8_t *kernel;          /* protected-mode part */
	size_t kernel_size;
	uint64_t pref_address;
	uint32_t kernel_alignment;
	bool relocatable;
	uint16_t xloadflags;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;          /* max length without the NUL */
	uint32_t init_size;             /* memory the kernel needs from its load address */
};

/* Parses and checks the header: a bzImage with the 64-bit entry point
 * (protocol >= 2.12). -ENOEXEC with a message for anything else. */
int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *ret,
		  struct nc_err *err);

/* The e820 map of a machine with low_ram bytes below the PCI hole
 * (from 0) and high_ram bytes from 4 GiB; the legacy ROM area
 * 0x9fc00-0xfffff is reserved. Returns the number of entries. */
int e820_build(uint64_t low_ram, uint64_t high_ram, struct e820_entry *ret, unsigned int max);

struct bootparams_layout {
	uint64_t cmdline_gpa;
	uint32_t cmdline_len;           /* without the NUL */
	uint64_t initrd_gpa;            /* 0: no initrd */
	uint64_t initrd_size;
	uint64_t rsdp_gpa;              /* 0: let the kernel scan */
	const struct e820_entry *e820;
	unsigned int n_e820;
};

/* Fills a zero page from the image's setup header and the layout. */
int bootparams_build(uint8_t zp[BP_ZERO_PAGE_SIZE], const uint8_t *img, size_t img_size,
		     const struct bootparams_layout *l);

/* Identity map of the first 4 GiB with 2 MiB pages: PML4, PDPT and four
 * page directories, six pages at pt_gpa (buf holds 6 * 4096 bytes).
 * Returns the CR3 value. */
#define BP_PAGETABLE_SIZE (6 * 4096)
uint64_t pagetables_build(uint8_t *buf, uint64_t pt_gpa);

/* Flat GDT: null, null, 64-bit code (0x10), data (0x18). */
#define BP_GDT_ENTRIES 4
#define BP_CODE_SEL 0x10
#define BP_DATA_SEL 0x18
void gdt_build(uint64_t gdt[BP_GDT_ENTRIES]);

#endif
