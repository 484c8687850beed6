/* SPDX-License-Identifier: MIT */
#include "kernel/modinfo.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "common/decompress.h"
#include "common/util.h"

int modinfo_decompress(const void *buf, size_t len, size_t max, void **ret_out,
		       size_t *ret_len, const char **ret_kind)
{
	const char *kind = decompress_kind(buf, len);

	/* Linux compresses modules with xz, zstd or gzip only. */
	if (kind && !streq(kind, "xz") && !streq(kind, "zstd") && !streq(kind, "gzip"))
		kind = NULL;
	if (!kind) {
		*ret_out = NULL;
		*ret_len = 0;
		if (ret_kind)
			*ret_kind = NULL;
		return 0;
	}
	return decompress_buffer(buf, len, max ? max : MODINFO_MAX_DECOMPRESSED, ret_out, ret_len,
				 ret_kind);
}

static int split_depends(const char *value, char ***ret)
{
	_cleanup_free_ char *copy = strdup(value);
	char *saveptr = NULL;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &saveptr); t; t = strtok_r(NULL, ",", &saveptr)) {
		t = strstrip(t);
		if (!*t)
			continue;
		r = strv_extend(ret, module_name_normalize(t));
		if (r < 0)
			return r;
	}
	return 0;
}

static int set_once(char **field, const char *value)
{
	if (*field)
		return 0;
	*field = strdup(value);
	return *field ? 0 : -ENOMEM;
}

static int modinfo_add(struct nc_modinfo *mi, const char *key, size_t klen, const char *value)
{
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
	if (KEY("name"))
		return set_once(&mi->name, value);
	if (KEY("vermagic"))
		return set_once(&mi->vermagic, value);
	if (KEY("version"))
		return set_once(&mi->version, value);
	if (KEY("srcversion"))
		return set_once(&mi->srcversion, value);
	if (KEY("license"))
		return set_once(&mi->license, value);
	if (KEY("intree")) {
		mi->intree = streq(value, "Y");
		return 0;
	}
	if (KEY("depends"))
		return split_depends(value, &mi->depends);
	if (KEY("alias"))
		return strv_extend(&mi->aliases, value);
	if (KEY("parmtype"))
		return strv_extend(&mi->parmtypes, value);
	return 0;
#undef KEY
}

/* The section holds "key=value" strings separated by NULs (and padding). */
static int modinfo_parse_section(const char *p, size_t n, struct nc_modinfo *mi)
{
	const char *end = p + n;

	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t slen = nul ? (size_t)(nul - p) : (size_t)(end - p);
		_cleanup_free_ char *s = NULL;
		const char *eq;
		int r;

		if (slen > 0) {
			s = strndup(p, slen);
			if (!s)
				return -ENOMEM;
			eq = strchr(s, '=');
			if (eq) {
				r = modinfo_add(mi, s, (size_t)(eq - s), eq + 1);
				if (r < 0)
					return r;
			}
		}
		p += slen + 1;
	}
	return 0;
}

static void elf_endp(Elf **e)
{
	if (*e)
		elf_end(*e);
}

static int modinfo_parse_elf(char *image, size_t len, struct nc_modinfo *mi)
{
	_cleanup_(elf_endp) Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr ehdr;
	size_t shstrndx;

	if (len < SELFMAG || memcmp(image, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	elf = elf_memory(image, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -EINVAL;
	if (!gelf_getehdr(elf, &ehdr))
		return -EINVAL;
	if (ehdr.e_type != ET_REL)
		return -ENOEXEC;
	/* A truncated file: its section table lies beyond the end. */
	if (ehdr.e_shoff == 0 || ehdr.e_shoff > len ||
	    (uint64_t)ehdr.e_shnum * ehdr.e_shentsize > len - ehdr.e_shoff)
		return -EINVAL;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr))
			return -EINVAL;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!name || !streq(name, ".modinfo"))
			continue;
		if (shdr.sh_type == SHT_NOBITS)
			return -ENOEXEC;
		data = elf_rawdata(scn, NULL);
		if (!data || (!data->d_buf && data->d_size))
			return -EINVAL;
		if (data->d_size == 0)
			return 0;
		return modinfo_parse_section(data->d_buf, data->d_size, mi);
	}
	return -ENOEXEC;
}

int modinfo_parse(const void *buf, size_t len, size_t max_decompressed,
		  struct nc_modinfo *ret)
{
	struct nc_modinfo mi = { 0 };
	_cleanup_free_ void *plain = NULL;
	_cleanup_free_ char *copy = NULL;
	const char *kind = NULL;
	size_t plain_len = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!buf)
		return -EINVAL;
	r = modinfo_decompress(buf, len, max_decompressed, &plain, &plain_len, &kind);
	if (r < 0)
		return r;
	if (!plain) {
		/* libelf wants a writable image. */
		copy = malloc(len ? len : 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, buf, len);
	}
	r = modinfo_parse_elf(plain ? plain : copy, plain ? plain_len : len, &mi);
	if (r >= 0 && !mi.depends) {
		mi.depends = calloc(1, sizeof(char *));
		if (!mi.depends)
			r = -ENOMEM;
	}
	if (r >= 0 && kind) {
		mi.compression = strdup(kind);
		if (!mi.compression)
			r = -ENOMEM;
	}
	if (r < 0) {
		modinfo_clear(&mi);
		return r;
	}
	*ret = mi;
	return 0;
}

const char *modinfo_parmtype(const struct nc_modinfo *mi, const char *parm)
{
	size_t n = strlen(parm);

	for (size_t i = 0; mi->parmtypes && mi->parmtypes[i]; i++)
		if (strncmp(mi->parmtypes[i], parm, n) == 0 && mi->parmtypes[i][n] == ':')
			return mi->parmtypes[i] + n + 1;
	return NULL;
}

void modinfo_clear(struct nc_modinfo *mi)
{
	free(mi->name);
	free(mi->vermagic);
	free(mi->version);
	free(mi->srcversion);
	free(mi->license);
	strv_free(mi->depends);
	strv_free(mi->aliases);
	strv_free(mi->parmtypes);
	free(mi->compression);
	memset(mi, 0, sizeof(*mi));
}

char *module_name_normalize(char *name)
{
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

static const char *const module_suffixes[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };

bool module_path_is_module(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(module_suffixes); i++)
		if (endswith(path, module_suffixes[i]))
			return true;
	return false;
}

char *module_name_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name;
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	for (size_t i = 0; i < ARRAY_SIZE(module_suffixes); i++)
		if (endswith(base, module_suffixes[i])) {
			n -= strlen(module_suffixes[i]);
			break;
		}
	if (n == 0)
		return NULL;
	name = strndup(base, n);
	return name ? module_name_normalize(name) : NULL;
}
