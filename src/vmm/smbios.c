/* SPDX-License-Identifier: MIT */
#include "vmm/smbios.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/util.h"
#include "common/le.h"

struct sm_writer {
	uint8_t *buf;
	size_t size;
	size_t len;
	uint16_t n_structs;
	uint16_t max_struct;
	int err;
	size_t cur;                     /* start of the current structure */
	uint8_t n_strings;
};

/* Starts a structure with a zeroed formatted area of len bytes. */
static uint8_t *sm_begin(struct sm_writer *w, uint8_t type, uint8_t len)
{
	uint8_t *s;

	if (w->err || w->len + len + 2 > w->size) {
		w->err = -ENOSPC;
		return NULL;
	}
	s = w->buf + w->len;
	memset(s, 0, len);
	s[0] = type;
	s[1] = len;
	put_le16(s + 2, w->n_structs);     /* handle = index */
	w->cur = w->len;
	w->len += len;
	w->n_strings = 0;
	return s;
}

/* Appends a string to the current structure; returns its number for the
 * formatted area (0 for an empty string: "not specified"). */
static uint8_t sm_str(struct sm_writer *w, const char *str)
{
	size_t n;

	if (w->err || !str || !*str)
		return 0;
	n = strlen(str) + 1;
	if (w->len + n + 1 > w->size) {
		w->err = -ENOSPC;
		return 0;
	}
	memcpy(w->buf + w->len, str, n);
	w->len += n;
	return ++w->n_strings;
}

static void sm_end(struct sm_writer *w)
{
	size_t total;

	if (w->err)
		return;
	/* A structure without strings ends in two NULs, one with strings in
	 * one more NUL after the last string's. */
	if (w->len + 2 > w->size) {
		w->err = -ENOSPC;
		return;
	}
	if (w->n_strings == 0)
		w->buf[w->len++] = 0;
	w->buf[w->len++] = 0;
	total = w->len - w->cur;
	if (total > w->max_struct)
		w->max_struct = (uint16_t)total;
	w->n_structs++;
}

void smbios_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

int smbios_uuid_parse(const char *s, uint8_t ret[16])
{
	unsigned int n = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (unsigned int i = 0; i < 36;) {
		unsigned int v;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		if (sscanf(s + i, "%2x", &v) != 1 || !isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]))
			return -EINVAL;
		ret[n++] = (uint8_t)v;
		i += 2;
	}
	return 0;
}

int smbios_uuid_generate_ec2(uint8_t ret[16])
{
	if (getrandom(ret, 16, 0) != 16)
		return -errno ? -errno : -EIO;
	ret[0] = 0xec;
	ret[1] = (uint8_t)(0x20 | (ret[1] & 0x0f));
	ret[6] = (uint8_t)(0x40 | (ret[6] & 0x0f));     /* version 4 */
	ret[8] = (uint8_t)(0x80 | (ret[8] & 0x3f));     /* RFC 4122 variant */
	return 0;
}

int smbios_build(const struct smbios_config *cfg, uint8_t ep[31], uint8_t *table, size_t size,
		 size_t *ret_len)
{
	struct sm_writer w = { .buf = table, .size = size };
	char uuid_str[37];
	uint64_t mem_kib = cfg->mem_bytes >> 10, mem_mib = cfg->mem_bytes >> 20;
	uint16_t array_handle;
	uint8_t *s;
	uint8_t sum;

	if (!cfg->product || !*cfg->product || cfg->cpus == 0 || cfg->mem_bytes == 0)
		return -EINVAL;
	smbios_uuid_format(cfg->uuid, uuid_str);

	/* Type 0: BIOS information. */
	s = sm_begin(&w, 0, 0x18);
	if (s) {
		s[4] = sm_str(&w, SMBIOS_VENDOR);
		s[5] = sm_str(&w, "1.0");
		put_le16(s + 6, 0xe800);           /* BIOS starting segment */
		s[8] = sm_str(&w, "10/16/2017");
		s[9] = 0;                       /* 64 KiB ROM */
		/* Characteristics: PCI (bit 7), selectable boot (16), EDD (19). */
		put_le64(s + 10, 1ull << 7 | 1ull << 16 | 1ull << 19);
		s[18] = 1u << 0;                /* ext 1: ACPI */
		s[19] = 1u << 4;                /* ext 2: this is a virtual machine */
		s[20] = 1;                      /* BIOS release 1.0 */
		s[21] = 0;
		s[22] = 0xff;                   /* no embedded controller */
		s[23] = 0xff;
		sm_end(&w);
	}

	/* Type 1: system information. The UUID's first three fields are
	 * stored little-endian (SMBIOS 2.6+), so the kernel prints it as
	 * given. */
	s = sm_begin(&w, 1, 0x1b);
	if (s) {
		const uint8_t *u = cfg->uuid;
		uint8_t le[16] = { u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6] };

		memcpy(le + 8, u + 8, 8);
		s[4] = sm_str(&w, SMBIOS_VENDOR);
		s[5] = sm_str(&w, cfg->product);
		s[6] = 0;                       /* version */
		s[7] = sm_str(&w, uuid_str);    /* serial: equal to the UUID */
		memcpy(s + 8, le, 16);
		s[24] = 6;                      /* wake-up: power switch */
		s[25] = 0;                      /* SKU */
		s[26] = 0;                      /* family */
		sm_end(&w);
	}

	/* Type 3: chassis. */
	s = sm_begin(&w, 3, 0x16);
	if (s) {
		s[4] = sm_str(&w, SMBIOS_VENDOR);
		s[5] = 0x01;                    /* other */
		s[8] = sm_str(&w, SMBIOS_VENDOR);       /* asset tag */
		s[9] = 3;                       /* boot-up state: safe */
		s[10] = 3;                      /* power supply: safe */
		s[11] = 3;                      /* thermal: safe */
		s[12] = 2;                      /* security: unknown */
		s[18] = 1;                      /* power cords */
		s[19] = 0;                      /* contained elements */
		s[20] = 3;                      /* element record length */
		sm_end(&w);
	}

	/* Type 4: one processor socket with every vCPU in it. */
	s = sm_begin(&w, 4, 0x2a);
	if (s) {
		unsigned int n = cfg->cpus > 255 ? 255 : cfg->cpus;

		s[4] = sm_str(&w, "CPU 0");
		s[5] = 3;                       /* central processor */
		s[6] = 0xfe;                    /* family: see family 2 */
		s[7] = sm_str(&w, SMBIOS_VENDOR);
		put_le32(s + 8, cfg->cpuid_1_eax);
		put_le32(s + 12, cfg->cpuid_1_edx);
		s[16] = sm_str(&w, "Amazon EC2 virtual CPU");
		s[17] = 0;                      /* voltage */
		put_le16(s + 18, 100);             /* external clock, MHz */
		put_le16(s + 20, 3500);            /* max speed */
		put_le16(s + 22, 2500);            /* current speed */
		s[24] = 0x41;                   /* populated, enabled */
		s[25] = 0x01;                   /* upgrade: other */
		put_le16(s + 26, 0xffff);          /* no cache information */
		put_le16(s + 28, 0xffff);
		put_le16(s + 30, 0xffff);
		s[35] = (uint8_t)n;             /* cores */
		s[36] = (uint8_t)n;             /* enabled */
		s[37] = (uint8_t)n;             /* threads */
		put_le16(s + 38, 0x0004);          /* 64-bit capable */
		put_le16(s + 40, 0x0001);          /* family 2: other */
		sm_end(&w);
	}

	/* Type 16: the memory array; type 17: one device holding it all. */
	array_handle = w.n_structs;
	s = sm_begin(&w, 16, 0x17);
	if (s) {
		s[4] = 0x01;                    /* location: other */
		s[5] = 0x03;                    /* use: system memory */
		s[6] = 0x03;                    /* error correction: none */
		if (mem_kib >= 0x80000000ull) {
			put_le32(s + 7, 0x80000000u);
			put_le64(s + 15, cfg->mem_bytes);
		} else {
			put_le32(s + 7, (uint32_t)mem_kib);
		}
		put_le16(s + 11, 0xfffe);          /* no error information */
		put_le16(s + 13, 1);
		sm_end(&w);
	}
	s = sm_begin(&w, 17, 0x22);
	if (s) {
		put_le16(s + 4, array_handle);
		put_le16(s + 6, 0xfffe);
		put_le16(s + 8, 64);               /* total width */
		put_le16(s + 10, 64);              /* data width */
		if (mem_mib >= 0x7fff) {
			put_le16(s + 12, 0x7fff);
			put_le32(s + 28, (uint32_t)mem_mib);
		} else {
			put_le16(s + 12, (uint16_t)mem_mib);
		}
		s[14] = 0x09;                   /* DIMM */
		s[16] = sm_str(&w, "Not Specified");
		s[18] = 0x07;                   /* RAM */
		put_le16(s + 19, 0x0004);          /* type detail: unknown */
		s[23] = sm_str(&w, SMBIOS_VENDOR);
		sm_end(&w);
	}

	/* Type 32: system boot, no errors. */
	s = sm_begin(&w, 32, 0x0b);
	if (s)
		sm_end(&w);

	s = sm_begin(&w, 127, 4);
	if (s)
		sm_end(&w);

	if (w.err)
		return w.err;

	memset(ep, 0, 31);
	memcpy(ep, "_SM_", 4);
	ep[5] = 0x1f;
	ep[6] = 2;
	ep[7] = 7;
	put_le16(ep + 8, w.max_struct);
	memcpy(ep + 16, "_DMI_", 5);
	put_le16(ep + 22, (uint16_t)w.len);
	put_le32(ep + 24, (uint32_t)cfg->table_gpa);
	put_le16(ep + 28, w.n_structs);
	ep[30] = 0x27;
	sum = 0;
	for (unsigned int i = 16; i < 31; i++)
		sum = (uint8_t)(sum + ep[i]);
	ep[21] = (uint8_t)(0 - sum);
	sum = 0;
	for (unsigned int i = 0; i < 31; i++)
		sum = (uint8_t)(sum + ep[i]);
	ep[4] = (uint8_t)(0 - sum);
	*ret_len = w.len;
	return 0;
}
