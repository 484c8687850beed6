/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the initramfs reader: any bytes as an image (concatenated cpio
 * archives, each plain or compressed), then the module lookups over what
 * it listed. A small cap keeps each run quick; the cap is part of what is
 * tested.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/initramfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * libarchive 3.6's cpio reader sizes its look-ahead buffer by the name size
 * a header claims (up to 4 GiB, rounded up to a power of two) before it
 * knows whether that many bytes exist. The allocation is never touched, so
 * it costs address space, not memory, and an over-large one fails cleanly;
 * but libFuzzer's malloc hook (-malloc_limit_mb, by default -rss_limit_mb)
 * stops on it. Raise that one limit for this target; -rss_limit_mb still
 * catches memory actually used. libFuzzer parses the flags after this.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char flag[] = "-malloc_limit_mb=16384";
	char **v = malloc((size_t)(*argc + 2) * sizeof(*v));

	if (!v)
		return 0;
	memcpy(v, *argv, (size_t)*argc * sizeof(*v));
	v[*argc] = flag;
	v[*argc + 1] = NULL;
	(*argc)++;
	*argv = v;
	return 0;
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
