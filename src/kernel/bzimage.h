/* SPDX-License-Identifier: MIT */
/*
 * Kernel image identification, pure over bytes: the x86 bzImage setup
 * header (Documentation/arch/x86/boot.rst), the arm64 Image header
 * (Documentation/arch/arm64/booting.rst) and ELF vmlinux files.
 */
#ifndef NC_KERNEL_BZIMAGE_H
#define NC_KERNEL_BZIMAGE_H

#include <stddef.h>

/*
 * The version and full banner of a kernel image.
 *   0         ret_version ("6.1.0-18-amd64") and ret_banner (the whole
 *             kernel_version string) are set; either may be NULL.
 *   -ENODATA  a kernel image (bzImage without kernel_version, arm64 Image,
 *             ELF vmlinux) whose version is not found in buf: the caller
 *             falls back to the file name.
 *   -ENOEXEC  not a kernel image.
 *   -EINVAL   a bzImage whose kernel_version points outside buf or at an
 *             empty or unterminated string.
 * For arm64 Image and ELF files the "Linux version " banner is searched in
 * buf, so a caller holding the whole (uncompressed) image gets a version.
 */
int bzimage_read_version(const void *buf, size_t len, char **ret_version, char **ret_banner);

/*
 * The architecture of a kernel image: "x86_64", "i386" or "aarch64" (a
 * static string). -ENOEXEC when not a kernel image, -ENODATA when the
 * image does not say (bzImage boot protocol before 2.12).
 */
int kernel_image_arch(const void *buf, size_t len, const char **ret_arch);

/* The setup header fields we read: the offsets of boot.rst. */
#define BZIMAGE_HDR_MAGIC_OFF   0x202   /* "HdrS" */
#define BZIMAGE_VERSION_OFF     0x206   /* boot protocol version, u16 */
#define BZIMAGE_KVER_OFF        0x20e   /* kernel_version pointer, u16 */
#define BZIMAGE_XLOADFLAGS_OFF  0x236   /* u16, protocol 2.12+ */
#define ARM64_IMAGE_MAGIC_OFF   0x38    /* "ARM\x64" */

/* How much of an image file the header functions need. */
#define KERNEL_IMAGE_HEAD_SIZE  (64 * 1024)

#endif
