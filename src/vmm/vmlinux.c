/* SPDX-License-Identifier: MIT */
#include "vmm/vmlinux.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "common/decompress.h"
#include "common/le.h"
#include "vmm/bootparams.h"

int bzimage_payload(const uint8_t *img, size_t img_size, size_t pm_offset,
		    const uint8_t **ret_payload, size_t *ret_len, struct nc_err *err)
{
	uint32_t off, len;

	if (img_size < BP_PAYLOAD_LENGTH + 4 || get_le16(img + BP_VERSION) < 0x0208)
		return nc_err_set(err, -ENOEXEC,
				  "boot protocol before 2.08: no payload in the setup header");
	off = get_le32(img + BP_PAYLOAD_OFFSET);
	len = get_le32(img + BP_PAYLOAD_LENGTH);
	if (len < 8 || pm_offset > img_size || off > img_size - pm_offset ||
	    len > img_size - pm_offset - off)
		return nc_err_set(err, -ENOEXEC,
				  "payload (offset %u, %u bytes) lies outside the %zu-byte image",
				  off, len, img_size);
	*ret_payload = img + pm_offset + off;
	*ret_len = len;
	return 0;
}

int vmlinux_decompress(const uint8_t *payload, size_t len, size_t max, uint8_t **ret_buf,
		       size_t *ret_len, const char **ret_kind, struct nc_err *err)
{
	const char *kind = len >= 8 ? decompress_kind(payload, len) : NULL;
	void *out = NULL;
	size_t want, got = 0;
	int r;

	if (len < 8)
		return nc_err_set(err, -EINVAL, "payload of %zu bytes is too short", len);
	if (!kind)
		return nc_err_set(err, -ENOTSUP,
				  "payload compression not recognised (magic %02x %02x %02x %02x)",
				  payload[0], payload[1], payload[2], payload[3]);
	/* The build appends the decompressed size after the stream. */
	want = get_le32(payload + len - 4);
	if (want < 64 || want > max)
		return nc_err_set(err, -EFBIG,
				  "%s payload declares %zu decompressed bytes (at most %zu taken)",
				  kind, want, max);
	r = decompress_buffer(payload, len - 4, want, &out, &got, NULL);
	if (r == -EFBIG)
		return nc_err_set(err, -EINVAL, "%s payload decompresses to more than the %zu "
				  "bytes it declares", kind, want);
	if (r < 0)
		return nc_err_set(err, r == -ENOMEM ? r : -EINVAL,
				  "%s payload: corrupt or truncated stream", kind);
	if (got != want) {
		free(out);
		return nc_err_set(err, -EINVAL,
				  "%s payload ends after %zu of the %zu bytes it declares",
				  kind, got, want);
	}
	*ret_buf = out;
	*ret_len = got;
	*ret_kind = kind;
	return 0;
}

static void elf_endp(Elf **e)
{
	if (*e)
		elf_end(*e);
}

int vmlinux_parse(uint8_t *elf, size_t size, struct vmlinux *ret, struct nc_err *err)
{
	__attribute__((cleanup(elf_endp))) Elf *e = NULL;
	GElf_Ehdr eh;
	size_t nph;
	int rc = 0;

	memset(ret, 0, sizeof(*ret));
	ret->elf = elf;
	ret->elf_size = size;
	ret->start = UINT64_MAX;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		rc = nc_err_set(err, -ENOTSUP, "libelf: %s", elf_errmsg(-1));
		goto fail;
	}
	e = elf_memory((char *)elf, size);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		rc = nc_err_set(err, -ENOEXEC, "the payload is not an ELF file");
		goto fail;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_type != ET_EXEC) {
		rc = nc_err_set(err, -ENOEXEC,
				"the payload is not an x86-64 executable (class %u, machine %u, "
				"type %u)", eh.e_ident[EI_CLASS], eh.e_machine, eh.e_type);
		goto fail;
	}
	if (elf_getphdrnum(e, &nph) != 0) {
		rc = nc_err_set(err, -ENOEXEC, "vmlinux program headers: %s", elf_errmsg(-1));
		goto fail;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		struct vmlinux_segment *s;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			rc = nc_err_set(err, -ENOEXEC, "vmlinux program header %zu: %s", i,
					elf_errmsg(-1));
			goto fail;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ret->n_seg == VMLINUX_MAX_SEGMENTS) {
			rc = nc_err_set(err, -ENOEXEC, "vmlinux has more than %d PT_LOAD segments",
					VMLINUX_MAX_SEGMENTS);
			goto fail;
		}
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > size ||
		    ph.p_filesz > size - ph.p_offset || ph.p_paddr > UINT64_MAX - ph.p_memsz) {
			rc = nc_err_set(err, -ENOEXEC,
					"vmlinux segment %zu (offset %#llx, %#llx bytes) lies outside "
					"the file", i, (unsigned long long)ph.p_offset,
					(unsigned long long)ph.p_filesz);
			goto fail;
		}
		s = &ret->seg[ret->n_seg++];
		s->paddr = ph.p_paddr;
		s->data = elf + ph.p_offset;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		if (s->paddr < ret->start)
			ret->start = s->paddr;
		if (s->paddr + s->memsz > ret->end)
			ret->end = s->paddr + s->memsz;
	}
	if (ret->n_seg == 0) {
		rc = nc_err_set(err, -ENOEXEC, "vmlinux has no PT_LOAD segment");
		goto fail;
	}
	if (eh.e_entry < ret->start || eh.e_entry >= ret->end) {
		rc = nc_err_set(err, -ENOEXEC,
				"vmlinux entry %#llx is not a physical address inside its segments",
				(unsigned long long)eh.e_entry);
		goto fail;
	}
	ret->entry = eh.e_entry;
	return 0;
fail:
	vmlinux_free(ret);
	return rc;
}

int vmlinux_from_bzimage(const uint8_t *img, size_t img_size, size_t pm_offset,
			 struct vmlinux *ret, struct nc_err *err)
{
	const uint8_t *payload;
	uint8_t *elf;
	const char *kind;
	size_t len, elf_size;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = bzimage_payload(img, img_size, pm_offset, &payload, &len, err);
	if (rc < 0)
		return rc;
	rc = vmlinux_decompress(payload, len, VMLINUX_MAX_SIZE, &elf, &elf_size, &kind, err);
	if (rc < 0)
		return rc;
	rc = vmlinux_parse(elf, elf_size, ret, err);
	if (rc < 0)
		return rc;
	ret->compression = kind;
	return 0;
}

void vmlinux_free(struct vmlinux *v)
{
	free(v->elf);
	memset(v, 0, sizeof(*v));
}
