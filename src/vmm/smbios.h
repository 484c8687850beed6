/* SPDX-License-Identifier: MIT */
/*
 * SMBIOS 2.7 tables as EC2 shows them: "Amazon EC2" as BIOS and system
 * vendor, the instance type as product name, a UUID and serial that both
 * start with "ec2" and are equal (cloud-init's ds-identify compares them),
 * and the BIOS "VM" characteristic bit. Pure: config in, bytes out.
 */
#ifndef NC_VMM_SMBIOS_H
#define NC_VMM_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#define SMBIOS_VENDOR "Amazon EC2"
#define SMBIOS_DEFAULT_PRODUCT "m5.large"

struct smbios_config {
	const char *product;            /* instance type, e.g. "m5.large" */
	uint8_t uuid[16];               /* RFC 4122 byte order (as printed) */
	unsigned int cpus;
	uint64_t mem_bytes;
	uint32_t cpuid_1_eax;           /* processor signature for type 4 */
	uint32_t cpuid_1_edx;
	uint64_t table_gpa;             /* where the structure table will live */
};

/* Builds the 31-byte entry point ("_SM_") and the structure table.
 * ep must hold 31 bytes; returns 0 and the table's length, -ENOSPC when
 * table is too small, -EINVAL for a bad config. */
int smbios_build(const struct smbios_config *cfg, uint8_t ep[31], uint8_t *table, size_t size,
		 size_t *ret_len);

/* Formats uuid as the kernel shows it: lower case, 36 characters. */
void smbios_uuid_format(const uint8_t uuid[16], char out[37]);
/* Parses "xxxxxxxx-xxxx-..." (either case); 0 or -EINVAL. */
int smbios_uuid_parse(const char *s, uint8_t ret_uuid[16]);
/* A random version-4 UUID whose text starts with "ec2". */
int smbios_uuid_generate_ec2(uint8_t ret_uuid[16]);

#endif
