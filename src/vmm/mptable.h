/* SPDX-License-Identifier: MIT */
/*
 * The Intel MultiProcessor Specification 1.4 tables, for kernels booted
 * with acpi=off: the floating pointer ("_MP_") followed by the
 * configuration table ("PCMP") with one processor entry per vCPU, the PCI
 * and ISA buses, the IOAPIC, the ISA IRQs' IOAPIC pins (identity, as KVM's
 * default routing wires them: IRQ 0 on pin 0, as the MADT says) and LINT0
 * ExtINT / LINT1 NMI. Pure: a config in, bytes out.
 */
#ifndef NC_VMM_MPTABLE_H
#define NC_VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_MAX_CPUS 254
#define MPTABLE_BUS_PCI 0
#define MPTABLE_BUS_ISA 1

struct mptable_config {
	unsigned int cpus;              /* LAPIC ids 0..cpus-1 */
	uint64_t base_gpa;              /* guest address of the buffer, < 1 MiB */
	uint32_t lapic_addr;
	uint32_t ioapic_addr;
	uint8_t ioapic_id;
	uint32_t cpu_signature;         /* CPUID.1 EAX */
	uint32_t cpu_features;          /* CPUID.1 EDX */
};

/* Bytes mptable_build needs for cpus vCPUs. */
size_t mptable_size(unsigned int cpus);

/* Writes the floating pointer at buf (16-byte aligned in the guest) and
 * the configuration table right after it. 0 and the bytes used, -ENOSPC
 * when buf is too small, -EINVAL for a bad config. */
int mptable_build(const struct mptable_config *cfg, uint8_t *buf, size_t size,
		  size_t *ret_len);

#endif
