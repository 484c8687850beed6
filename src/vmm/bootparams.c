/* SPDX-License-Identifier: MIT */
#include "vmm/bootparams.h"

#include <errno.h>
#include <string.h>

#include "common/le.h"

int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *ret, struct nc_err *err)
{
	unsigned int setup_sects;

	memset(ret, 0, sizeof(*ret));
	if (size < 0x1000)
		return nc_err_set(err, -ENOEXEC, "too small to be a bzImage (%zu bytes)", size);
	if (get_le16(img + BP_BOOT_FLAG) != 0xaa55 || memcmp(img + BP_HEADER_MAGIC, "HdrS", 4) != 0)
		return nc_err_set(err, -ENOEXEC, "not a bzImage (no HdrS setup header)");
	ret->version = get_le16(img + BP_VERSION);
	if (ret->version < 0x020c)
		return nc_err_set(err, -ENOEXEC,
				  "boot protocol %u.%02u is too old for the 64-bit entry (needs 2.12)",
				  ret->version >> 8, ret->version & 0xff);
	if (!(img[BP_LOADFLAGS] & 0x01))
		return nc_err_set(err, -ENOEXEC, "not a bzImage (zImage loaded low)");
	ret->xloadflags = get_le16(img + BP_XLOADFLAGS);
	if (!(ret->xloadflags & XLF_KERNEL_64))
		return nc_err_set(err, -ENOEXEC, "kernel has no 64-bit entry point");
	setup_sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;
	ret->setup_size = (size_t)(setup_sects + 1) * 512;
	if (ret->setup_size >= size)
		return nc_err_set(err, -ENOEXEC, "setup (%zu bytes) is larger than the image",
				  ret->setup_size);
	ret->kernel = img + ret->setup_size;
	ret->kernel_size = size - ret->setup_size;
	ret->pref_address = get_le64(img + BP_PREF_ADDRESS);
	ret->kernel_alignment = get_le32(img + BP_KERNEL_ALIGNMENT);
	ret->relocatable = img[BP_RELOCATABLE] != 0;
	ret->initrd_addr_max = get_le32(img + BP_INITRD_ADDR_MAX);
	ret->cmdline_size = get_le32(img + BP_CMDLINE_SIZE);
	ret->init_size = get_le32(img + BP_INIT_SIZE);
	return 0;
}

int e820_build(uint64_t low_ram, uint64_t high_ram, struct e820_entry *ret, unsigned int max)
{
	unsigned int n = 0;
	const struct e820_entry map[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED },
		{ 0x100000, low_ram - 0x100000, E820_RAM },
		{ 1ull << 32, high_ram, E820_RAM },
	};

	if (low_ram <= 0x100000)
		return -EINVAL;
	for (unsigned int i = 0; i < 4; i++) {
		if (map[i].size == 0)
			continue;
		if (n >= max)
			return -ENOSPC;
		ret[n++] = map[i];
	}
	return (int)n;
}

int bootparams_build(uint8_t zp[BP_ZERO_PAGE_SIZE], const uint8_t *img, size_t img_size,
		     const struct bootparams_layout *l)
{
	size_t hdr_end;

	if (img_size < 0x1000 || l->n_e820 > BP_E820_MAX)
		return -EINVAL;
	memset(zp, 0, BP_ZERO_PAGE_SIZE);
	/* The setup header runs from 0x1f1 to 0x202 + the byte at 0x201. */
	hdr_end = 0x202 + img[0x201];
	if (hdr_end > BP_E820_TABLE)
		hdr_end = BP_E820_TABLE;
	memcpy(zp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);

	zp[BP_TYPE_OF_LOADER] = 0xff;           /* undefined boot loader */
	/* LOADED_HIGH stays; CAN_USE_HEAP is meaningless for the 64-bit entry. */
	zp[BP_LOADFLAGS] = (uint8_t)((zp[BP_LOADFLAGS] & 0x01) | 0x80);
	put_le16(zp + BP_HEAP_END_PTR, 0xfe00);
	put_le16(zp + 0x1fa, 0xffff);              /* vid_mode: normal */
	put_le32(zp + BP_CMD_LINE_PTR, (uint32_t)l->cmdline_gpa);
	put_le32(zp + BP_EXT_CMD_LINE_PTR, (uint32_t)(l->cmdline_gpa >> 32));
	if (l->initrd_gpa) {
		put_le32(zp + BP_RAMDISK_IMAGE, (uint32_t)l->initrd_gpa);
		put_le32(zp + BP_RAMDISK_SIZE, (uint32_t)l->initrd_size);
		put_le32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(l->initrd_gpa >> 32));
		put_le32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)(l->initrd_size >> 32));
	}
	put_le64(zp + BP_ACPI_RSDP_ADDR, l->rsdp_gpa);
	zp[BP_E820_ENTRIES] = (uint8_t)l->n_e820;
	for (unsigned int i = 0; i < l->n_e820; i++) {
		uint8_t *e = zp + BP_E820_TABLE + 20 * i;

		put_le64(e, l->e820[i].addr);
		put_le64(e + 8, l->e820[i].size);
		put_le32(e + 16, l->e820[i].type);
	}
	return 0;
}

uint64_t pagetables_build(uint8_t *buf, uint64_t pt_gpa)
{
	uint8_t *pml4 = buf, *pdpt = buf + 4096, *pd = buf + 2 * 4096;

	memset(buf, 0, BP_PAGETABLE_SIZE);
	/* Present | writable on every level; PS (bit 7) on the 2 MiB leaves. */
	put_le64(pml4, (pt_gpa + 4096) | 0x3);
	for (unsigned int i = 0; i < 4; i++)
		put_le64(pdpt + 8 * i, (pt_gpa + (2 + i) * 4096ull) | 0x3);
	for (unsigned int i = 0; i < 4 * 512; i++)
		put_le64(pd + 8 * i, ((uint64_t)i << 21) | 0x83);
	return pt_gpa;
}

void gdt_build(uint64_t gdt[BP_GDT_ENTRIES])
{
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffull;         /* code: 64-bit, present, DPL 0 */
	gdt[3] = 0x00cf93000000ffffull;         /* data: 4 GiB, writable */
}
