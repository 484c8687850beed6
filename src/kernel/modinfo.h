/* SPDX-License-Identifier: MIT */
/*
 * A kernel module's .modinfo section (the "key=value\0" strings modinfo(8)
 * shows), read with libelf from a buffer. Compressed modules (.ko.xz,
 * .ko.zst, .ko.gz) are decompressed with libarchive first, up to a cap.
 */
#ifndef NC_KERNEL_MODINFO_H
#define NC_KERNEL_MODINFO_H

#include <stdbool.h>
#include <stddef.h>

struct nc_modinfo {
	char *name;          /* "nvme_core"; NULL in very old modules */
	char *vermagic;      /* "6.1.0-18-amd64 SMP preempt mod_unload modversions " */
	char *version;       /* NULL when absent (most in-tree modules) */
	char *srcversion;
	char *license;
	bool intree;         /* intree=Y */
	char **depends;      /* split at ',', empty strv when none */
	char **aliases;      /* modalias patterns */
	char **parmtypes;    /* "io_timeout:uint", as written */
	char *compression;   /* "xz", "zstd", "gzip" or NULL */
};

/* Decompressed modules larger than this are refused with -EFBIG. */
#define MODINFO_MAX_DECOMPRESSED (256u * 1024 * 1024)

/*
 * Parse a module file held in buf (plain ELF or xz/zstd/gzip compressed).
 * max_decompressed caps the size of a decompressed module (0: the default).
 * Returns 0, -ENOEXEC (not an ELF relocatable with .modinfo), -EINVAL
 * (corrupt ELF or compressed stream), -EFBIG (over the cap), -ENOMEM.
 * On error *ret is left zeroed.
 */
int modinfo_parse(const void *buf, size_t len, size_t max_decompressed,
		  struct nc_modinfo *ret);

/*
 * The decompression step alone: when buf is xz/zstd/gzip, *ret_out is a new
 * buffer (free it) and *ret_kind names the format; otherwise returns 0 with
 * *ret_out NULL. -EINVAL on a corrupt stream, -EFBIG over max.
 */
int modinfo_decompress(const void *buf, size_t len, size_t max, void **ret_out,
		       size_t *ret_len, const char **ret_kind);

/* The type of parameter parm ("uint"), or NULL. */
const char *modinfo_parmtype(const struct nc_modinfo *mi, const char *parm);

void modinfo_clear(struct nc_modinfo *mi);

/* "nvme-core" -> "nvme_core" in place: module names compare with '-' == '_'. */
char *module_name_normalize(char *name);
/* Module name of a path: "kernel/drivers/nvme/host/nvme-core.ko.xz" -> "nvme_core". */
char *module_name_from_path(const char *path);
/* Whether path names a module file: *.ko, *.ko.xz, *.ko.zst, *.ko.gz. */
bool module_path_is_module(const char *path);

#endif
