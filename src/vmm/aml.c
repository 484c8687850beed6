/* SPDX-License-Identifier: MIT */
#include "vmm/aml.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Opcodes (ACPI 6.4, chapter 20). */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_ONES 0xff
#define AML_EXT_PREFIX 0x5b
#define AML_DEVICE 0x82
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_ROOT_CHAR '\\'
#define AML_PARENT_CHAR '^'

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	aml_init(a);
}

static int aml_reserve(struct aml *a, size_t n)
{
	if (a->err)
		return a->err;
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		uint8_t *p;

		while (cap < a->len + n)
			cap *= 2;
		p = realloc(a->buf, cap);
		if (!p)
			return a->err = -ENOMEM;
		a->buf = p;
		a->cap = cap;
	}
	return 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (aml_reserve(a, n) < 0)
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

static int aml_nameseg(const char *s, size_t n, char out[4])
{
	if (n == 0 || n > 4)
		return -EINVAL;
	if (!(isupper((unsigned char)s[0]) || s[0] == '_'))
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		char c = i < n ? s[i] : '_';

		if (!(isupper((unsigned char)c) || isdigit((unsigned char)c) || c == '_'))
			return -EINVAL;
		out[i] = c;
	}
	return 0;
}

void aml_name(struct aml *a, const char *path)
{
	char segs[16][4];
	unsigned int n = 0;
	const char *p = path;

	while (*p == AML_ROOT_CHAR || *p == AML_PARENT_CHAR)
		aml_byte(a, (uint8_t)*p++);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(segs) / sizeof(segs[0]) || aml_nameseg(p, len, segs[n]) < 0) {
			a->err = a->err ? a->err : -EINVAL;
			return;
		}
		n++;
		p += len;
		if (*p == '.')
			p++;
	}
	if (n == 0) {
		aml_byte(a, 0x00);      /* NullName */
	} else if (n == 1) {
		aml_bytes(a, segs[0], 4);
	} else if (n == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
		aml_bytes(a, segs, 8);
	} else {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)n);
		aml_bytes(a, segs, 4 * n);
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v;

	if (strlen(id) != 7) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	/* Three 5-bit letters then four hex digits, stored big-endian. */
	v = (uint32_t)((id[0] - 0x40) & 0x1f) << 26 | (uint32_t)((id[1] - 0x40) & 0x1f) << 21 |
	    (uint32_t)((id[2] - 0x40) & 0x1f) << 16 | (uint32_t)strtoul(id + 3, NULL, 16);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_byte(a, (uint8_t)(v >> 24));
	aml_byte(a, (uint8_t)(v >> 16));
	aml_byte(a, (uint8_t)(v >> 8));
	aml_byte(a, (uint8_t)v);
}

void aml_name_decl(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME);
	aml_name(a, path);
}

/* Reserve four bytes for the PkgLength; aml_close shrinks it to fit. */
static void aml_open(struct aml *a)
{
	if (a->depth >= AML_MAX_DEPTH) {
		a->err = a->err ? a->err : -E2BIG;
		return;
	}
	a->open[a->depth++] = a->len;
	aml_le(a, 0, 4);
}

void aml_close(struct aml *a)
{
	size_t at, body, total;
	unsigned int n;
	uint8_t enc[4];

	if (a->err)
		return;
	if (a->depth == 0) {
		a->err = -EINVAL;
		return;
	}
	at = a->open[--a->depth];
	body = a->len - (at + 4);
	/* PkgLength counts itself: pick the smallest encoding that fits. */
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else if (body + 4 <= 0xfffffff)
		n = 4;
	else {
		a->err = -E2BIG;
		return;
	}
	total = body + n;
	if (n == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
		for (unsigned int i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + at + n, a->buf + at + 4, body);
	memcpy(a->buf + at, enc, n);
	a->len = at + n + body;
}

void aml_scope_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE);
	aml_open(a);
	aml_name(a, path);
}

void aml_device_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_DEVICE);
	aml_open(a);
	aml_name(a, path);
}

void aml_package_open(struct aml *a, uint8_t n_elements)
{
	aml_byte(a, AML_PACKAGE);
	aml_open(a);
	aml_byte(a, n_elements);
}

/* Buffer: BufferOp PkgLength BufferSize ByteList. The size is only known
 * at the end, so it is a DWordConst placeholder that aml_res_end patches. */
void aml_buffer_open(struct aml *a)
{
	aml_byte(a, AML_BUFFER);
	aml_open(a);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le(a, 0, 4);
}

static void aml_buffer_fixup(struct aml *a)
{
	size_t at = a->open[a->depth - 1] + 4;  /* after the placeholder */
	uint32_t size = (uint32_t)(a->len - (at + 5));

	for (unsigned int i = 0; i < 4; i++)
		a->buf[at + 1 + i] = (uint8_t)(size >> (8 * i));
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	/* Large item 0x88 (Word Address Space), resource type 2 = bus. */
	aml_byte(a, 0x88);
	aml_le(a, 13, 2);
	aml_byte(a, 2);         /* bus number range */
	aml_byte(a, 0x0c);      /* MinFixed, MaxFixed, producer */
	aml_byte(a, 0);
	aml_le(a, 0, 2);        /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2);        /* translation */
	aml_le(a, (uint32_t)max - min + 1, 2);
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	/* Small item: I/O port, 16-bit decode. */
	aml_byte(a, 0x47);
	aml_byte(a, 0x01);
	aml_le(a, base, 2);
	aml_le(a, base, 2);
	aml_byte(a, 1);
	aml_byte(a, len);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	aml_byte(a, 0x88);
	aml_le(a, 13, 2);
	aml_byte(a, 1);         /* I/O range */
	aml_byte(a, 0x0c);
	aml_byte(a, 0x03);      /* entire range */
	aml_le(a, 0, 2);
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2);
	aml_le(a, (uint32_t)max - min + 1, 2);
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	aml_byte(a, 0x87);
	aml_le(a, 23, 2);
	aml_byte(a, 0);         /* memory range */
	aml_byte(a, 0x0c);
	aml_byte(a, 0x01 << 1 | 0x01);  /* cacheable, read-write */
	aml_le(a, 0, 4);
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4);
	aml_le(a, (uint64_t)max - min + 1, 4);
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max)
{
	aml_byte(a, 0x8a);
	aml_le(a, 43, 2);
	aml_byte(a, 0);
	aml_byte(a, 0x0c);
	aml_byte(a, 0x01 << 1 | 0x01);
	aml_le(a, 0, 8);
	aml_le(a, min, 8);
	aml_le(a, max, 8);
	aml_le(a, 0, 8);
	aml_le(a, max - min + 1, 8);
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	/* Large item 0x86: information (bit 0: writeable), base, length. */
	aml_byte(a, 0x86);
	aml_le(a, 9, 2);
	aml_byte(a, 0x01);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

void aml_res_irq_noflags(struct aml *a, unsigned int irq)
{
	aml_byte(a, 0x22);
	aml_le(a, 1u << irq, 2);
}

void aml_res_end(struct aml *a)
{
	/* End tag; a zero checksum means "not checksummed", as iasl writes. */
	aml_byte(a, 0x79);
	aml_byte(a, 0);
	if (a->err || a->depth == 0)
		return;
	aml_buffer_fixup(a);
}
