/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the initramfs reader: any bytes as an image (concatenated cpio
 * archives, each plain or compressed), then the module lookups over what
 * it listed. A small cap keeps each run quick; the cap is part of what is
 * tested.
 */
#include <stddef.h>
#include <stdint.h>

#include "initramfs/initramfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const modules[] = {"nvme", "nvme-core", "xen_blkfront", "ena", ""};
	struct nc_initramfs ir = {0};
	struct nc_err err;
	const char *path;

	if (initramfs_parse(data, size, "fuzz.img", 16 << 20, &ir, &err) == 0) {
		for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
			if (initramfs_find_module(&ir, modules[i], &path) && !*path)
				__builtin_trap();
			initramfs_find_module_for(&ir, "6.1.0-56-amd64", modules[i], NULL);
		}
	} else if (ir.files || ir.segments || !ir.error_msg) {
		/* A failure must never leave a list behind. */
		__builtin_trap();
	}
	initramfs_clear(&ir);
	return 0;
}
