/* SPDX-License-Identifier: MIT */
#include "kernel/bzimage.h"

#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* Longest banner we accept; real ones are ~120 characters. */
#define BANNER_MAX 512

static uint16_t get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static bool is_bzimage(const unsigned char *p, size_t len)
{
	return len >= BZIMAGE_KVER_OFF + 2 &&
	       memcmp(p + BZIMAGE_HDR_MAGIC_OFF, "HdrS", 4) == 0;
}

static bool is_arm64_image(const unsigned char *p, size_t len)
{
	return len >= ARM64_IMAGE_MAGIC_OFF + 4 &&
	       memcmp(p + ARM64_IMAGE_MAGIC_OFF, "ARM\x64", 4) == 0;
}

static bool is_elf(const unsigned char *p, size_t len)
{
	return len >= SELFMAG && memcmp(p, ELFMAG, SELFMAG) == 0;
}

/*
 * Split a banner "6.1.0-18-amd64 (debian-kernel@...) #1 SMP ..." into the
 * version (first word) and the banner itself. The banner must be printable.
 */
static int banner_split(const char *s, size_t n, char **ret_version, char **ret_banner)
{
	_cleanup_free_ char *banner = NULL, *version = NULL;
	size_t vlen;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isprint((unsigned char)s[i]))
			return -EINVAL;
	/* s need not be NUL-terminated: a banner may end with the buffer. */
	for (vlen = 0; vlen < n && s[vlen] != ' ' && s[vlen] != '\t'; vlen++)
		;
	if (vlen == 0)
		return -EINVAL;
	banner = strndup(s, n);
	version = strndup(s, vlen);
	if (!banner || !version)
		return -ENOMEM;
	if (ret_version)
		*ret_version = TAKE_PTR(version);
	if (ret_banner)
		*ret_banner = TAKE_PTR(banner);
	return 0;
}

static int bzimage_version(const unsigned char *p, size_t len, char **ret_version,
			   char **ret_banner)
{
	uint16_t ptr = get_le16(p + BZIMAGE_KVER_OFF);
	size_t off = (size_t)ptr + 0x200, n;
	const unsigned char *nul;

	/* Boot protocol 2.00 and later may carry kernel_version; 0 = none. */
	if (get_le16(p + BZIMAGE_VERSION_OFF) < 0x0200 || ptr == 0)
		return -ENODATA;
	if (off >= len)
		return -EINVAL;
	n = len - off;
	if (n > BANNER_MAX)
		n = BANNER_MAX;
	nul = memchr(p + off, '\0', n);
	if (!nul)
		return -EINVAL;
	return banner_split((const char *)p + off, (size_t)(nul - (p + off)),
			    ret_version, ret_banner);
}

/* The "Linux version X ..." banner of an uncompressed image (linux_banner). */
static int banner_search(const unsigned char *p, size_t len, char **ret_version,
			 char **ret_banner)
{
	static const char key[] = "Linux version ";
	const unsigned char *s = p, *end = p + len;

	while ((s = memmem(s, (size_t)(end - s), key, sizeof(key) - 1))) {
		const unsigned char *v = s + sizeof(key) - 1, *e = v;

		s = v;
		/* Skip format strings such as "Linux version %s". */
		if (v >= end || !isdigit(*v))
			continue;
		while (e < end && e - v < BANNER_MAX && *e && *e != '\n')
			e++;
		if (banner_split((const char *)v, (size_t)(e - v), ret_version,
				 ret_banner) == 0)
			return 0;
	}
	return -ENODATA;
}

int bzimage_read_version(const void *buf, size_t len, char **ret_version, char **ret_banner)
{
	const unsigned char *p = buf;

	if (!p)
		return -EINVAL;
	if (is_bzimage(p, len))
		return bzimage_version(p, len, ret_version, ret_banner);
	if (is_arm64_image(p, len) || is_elf(p, len))
		return banner_search(p, len, ret_version, ret_banner);
	return -ENOEXEC;
}

static int elf_arch(const unsigned char *p, size_t len, const char **ret_arch)
{
	_cleanup_free_ char *copy = NULL;
	GElf_Ehdr ehdr;
	Elf *elf;
	int r = -ENODATA;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	/* libelf wants a writable image; the header is all we need. */
	if (len > sizeof(Elf64_Ehdr))
		len = sizeof(Elf64_Ehdr);
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, len);
	elf = elf_memory(copy, len);
	if (!elf)
		return -ENOEXEC;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr)) {
		r = -ENOEXEC;
	} else {
		switch (ehdr.e_machine) {
		case EM_X86_64:
			*ret_arch = "x86_64";
			r = 0;
			break;
		case EM_386:
			*ret_arch = "i386";
			r = 0;
			break;
		case EM_AARCH64:
			*ret_arch = "aarch64";
			r = 0;
			break;
		}
	}
	elf_end(elf);
	return r;
}

int kernel_image_arch(const void *buf, size_t len, const char **ret_arch)
{
	const unsigned char *p = buf;

	if (!p)
		return -EINVAL;
	if (is_bzimage(p, len)) {
		/* xloadflags bit 0, XLF_KERNEL_64, exists from protocol 2.12. */
		if (get_le16(p + BZIMAGE_VERSION_OFF) < 0x020c ||
		    len < BZIMAGE_XLOADFLAGS_OFF + 2)
			return -ENODATA;
		*ret_arch = get_le16(p + BZIMAGE_XLOADFLAGS_OFF) & 1 ? "x86_64" : "i386";
		return 0;
	}
	if (is_arm64_image(p, len)) {
		*ret_arch = "aarch64";
		return 0;
	}
	if (is_elf(p, len))
		return elf_arch(p, len, ret_arch);
	return -ENOEXEC;
}
