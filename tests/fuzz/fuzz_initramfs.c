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
const char *__asan_default_options(void);

/*
 * libarchive 3.6's cpio reader sizes its look-ahead buffer by the name size
 * a header claims (up to 4 GiB, rounded up to a power of two) before it
 * knows whether that many bytes exist. libFuzzer's malloc hook stops on such
 * an allocation, and ASan poisoning gigabytes makes each run take a second.
 * Make allocations over 1 GiB fail instead, as on a small machine: libarchive
 * then reports the archive as unreadable, the path worth testing.
 */
const char *__asan_default_options(void)
{
	return "max_allocation_size_mb=1024:allocator_may_return_null=1";
}

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
