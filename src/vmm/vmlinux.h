/* SPDX-License-Identifier: MIT */
/*
 * Host-side kernel decompression: the compressed payload of a bzImage (the
 * setup header's payload_offset/payload_length, boot protocol >= 2.08) is
 * decompressed with libarchive (xz, lz4, gzip, zstd, lzma, bzip2) and the
 * vmlinux ELF inside it parsed with libelf, so the VMM can place the
 * PT_LOAD segments at their physical addresses and start the guest in the
 * decompressed kernel's startup_64 (e_entry), as Firecracker boots a
 * vmlinux. The guest then skips its own decompressor, which under nested
 * virtualisation runs at emulation speed. Pure: bytes in, bytes out.
 */
#ifndef NC_VMM_VMLINUX_H
#define NC_VMM_VMLINUX_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

/* setup_header offsets (Documentation/arch/x86/boot.rst). */
#define BP_PAYLOAD_OFFSET 0x248
#define BP_PAYLOAD_LENGTH 0x24c

#define VMLINUX_MAX_SEGMENTS 8
/* The largest decompressed kernel we take. */
#define VMLINUX_MAX_SIZE (512u << 20)

struct vmlinux_segment {
	uint64_t paddr;
	const uint8_t *data;            /* into vmlinux.elf */
	uint64_t filesz, memsz;
};

struct vmlinux {
	uint8_t *elf;                   /* the decompressed ELF (owned) */
	size_t elf_size;
	const char *compression;        /* "xz", "lz4", ... (static) */
	uint64_t entry;                 /* physical address of startup_64 */
	uint64_t start, end;            /* physical span of the segments */
	struct vmlinux_segment seg[VMLINUX_MAX_SEGMENTS];
	unsigned int n_seg;
};

/* The compressed payload inside a bzImage of img_size bytes whose
 * protected-mode part starts at pm_offset. -ENOEXEC with a message when
 * the header has none or it lies outside the image. */
int bzimage_payload(const uint8_t *img, size_t img_size, size_t pm_offset,
		    const uint8_t **ret_payload, size_t *ret_len, struct nc_err *err);

/* Decompresses a payload: the compressed stream followed by the
 * decompressed size (le32), as the kernel build appends it. The result
 * must have exactly that size and be at most max bytes. *ret_kind names
 * the compression. -EINVAL/-EFBIG/-ENOTSUP with a message. */
int vmlinux_decompress(const uint8_t *payload, size_t len, size_t max, uint8_t **ret_buf,
		       size_t *ret_len, const char **ret_kind, struct nc_err *err);

/* Reads a decompressed x86-64 vmlinux (ET_EXEC, EM_X86_64): its entry
 * point and PT_LOAD segments (physical addresses). Takes ownership of elf
 * (freed by vmlinux_free, also on failure). -ENOEXEC with a message. */
int vmlinux_parse(uint8_t *elf, size_t size, struct vmlinux *ret, struct nc_err *err);

/* All three steps for a whole bzImage. */
int vmlinux_from_bzimage(const uint8_t *img, size_t img_size, size_t pm_offset,
			 struct vmlinux *ret, struct nc_err *err);

void vmlinux_free(struct vmlinux *v);

#endif
