/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables as a Nitro instance shows them: RSDP, XSDT, FADT (+FACS),
 * MADT, MCFG (when there is an ECAM window) and a DSDT with the PCI0 host
 * bridge, the PCI slots with _ADR and _SUN (a NIC in slot 5 becomes ens5),
 * COM1, the ECAM window as a motherboard resource and \_S5 for poweroff.
 * Pure: a config in, bytes out; the VMM copies them to guest memory.
 */
#ifndef NC_VMM_ACPI_H
#define NC_VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

/* Fixed hardware the VMM emulates for the FADT (PM1a blocks, I/O ports). */
#define ACPI_PM1A_EVT_PORT 0x600        /* 4 bytes: status, enable */
#define ACPI_PM1A_CNT_PORT 0x604        /* 2 bytes */
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_SLP_EN 0x2000
#define ACPI_PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define ACPI_SLP_TYP_S5 5
#define ACPI_SCI_IRQ 9

#define ACPI_OEM_ID "AMAZON"
#define ACPI_MAX_SLOTS 32

struct acpi_config {
	unsigned int cpus;
	uint64_t base_gpa;              /* guest address of the buffer */
	uint32_t ioapic_addr;
	uint32_t lapic_addr;
	uint32_t pci_mmio_base;         /* 32-bit PCI memory window */
	uint32_t pci_mmio_limit;        /* inclusive */
	uint64_t pci_mmio64_base;       /* 0: no 64-bit window */
	uint64_t pci_mmio64_limit;
	uint8_t pci_slots[ACPI_MAX_SLOTS];      /* occupied device numbers */
	unsigned int n_pci_slots;
	/* ECAM window of bus 0 (PCI_ECAM_BUS_SIZE bytes); 0: none. Listed in
	 * MCFG and reserved by a PNP0C02 device, without which Linux ignores
	 * it ("MMCONFIG ... not reserved in ACPI motherboard resources"). */
	uint64_t ecam_base;
};

/* Lays out every table in buf (the RSDP first, at offset 0) for a guest
 * that finds them at cfg->base_gpa. Returns 0 and the bytes used, -ENOSPC
 * when buf is too small, -EINVAL for a bad config. */
int acpi_build(const struct acpi_config *cfg, uint8_t *buf, size_t size, size_t *ret_len);

/* The DSDT alone (header included) in a malloc'd buffer. */
int acpi_build_dsdt(const struct acpi_config *cfg, uint8_t **ret_buf, size_t *ret_len);

/* Byte sum of [p, p+n): 0 for a valid table. */
uint8_t acpi_checksum(const void *p, size_t n);

#endif
