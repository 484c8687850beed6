/* SPDX-License-Identifier: MIT */
/*
 * The Nitro-style machine: KVM with the in-kernel irqchip and PIT, N vCPU
 * threads, RAM below 3 GiB and from 4 GiB (the PCI hole between holds the
 * BARs, IOAPIC and LAPIC), CPUID as KVM supports it with the KVM signature
 * and no Xen leaves, direct 64-bit boot of a bzImage, ACPI and SMBIOS as
 * EC2 shows them, COM1 (8250) as the console, ACPI PM1a poweroff, i8042
 * and triple-fault reset, PCI bus 0 (CF8/CFC and ECAM) with MSI-X delivered
 * by irqfd (KVM_SIGNAL_MSI as the fallback).
 *
 * Use:
 *	struct vmm_config cfg;
 *	vmm_config_init(&cfg);          then set kernel, initrd, cmdline ...
 *	vmm_create(&cfg, &vm, &err);    machine, memory, irqchip, PCI bus;
 *	                                calls cfg.attach_disk/attach_nic
 *	vmm_pci_register(vm, &desc, &h) more devices, before vmm_run
 *	vmm_run(vm, timeout_ms, &res, &err)
 *	vmm_destroy(vm);
 *
 * Devices (src/vmm/dev/) get the machine through vmm_dev_host(): guest
 * memory, msix_notify(host->opaque, handle, vector) with the handle
 * vmm_pci_register returned, the legacy irq line and the event sink.
 * BAR callbacks are serialised: the machine makes one at a time.
 */
#ifndef NC_VMM_VMM_H
#define NC_VMM_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/bus.h"

#define VMM_DEFAULT_CPUS 2
#define VMM_DEFAULT_MEM (1ull << 30)
#define VMM_MAX_CPUS 64
#define VMM_DEFAULT_INSTANCE_TYPE "m5.large"

/* Where the devices of the next issues go, as on Nitro. */
#define VMM_SLOT_NVME 4
#define VMM_SLOT_ENA 5

/* Guest-physical layout. */
#define VMM_LOW_RAM_MAX 0xc0000000ull           /* 3 GiB, then the PCI hole */
#define VMM_HIGH_RAM_BASE 0x100000000ull
#define VMM_PCI_MMIO_BASE 0xc0000000u
#define VMM_PCI_MMIO_LIMIT 0xdfffffffu          /* BARs: 512 MiB */
/* ECAM of bus 0 (1 MiB): above the BAR window, far below the IOAPIC, LAPIC
 * and KVM's TSS pages; reserved in e820 and in the DSDT. */
#define VMM_PCI_ECAM_BASE 0xe0000000u
#define VMM_PCI_IO_BASE 0xc000
#define VMM_PCI_IO_LIMIT 0xffff
#define VMM_IOAPIC_ADDR 0xfec00000u
#define VMM_LAPIC_ADDR 0xfee00000u
/* Platform tables below 1 MiB, where the guest scans for them: ACPI in the
 * E-segment (RSDP scan range), SMBIOS in the F-segment's lower half, the MP
 * table (for acpi=off) in its upper half (Linux scans 0xf0000-0xfffff for
 * "_MP_"). SMBIOS needs far less than its half. */
#define VMM_ACPI_GPA 0xe0000
#define VMM_ACPI_MAX 0x10000
#define VMM_SMBIOS_EP_GPA 0xf0000
#define VMM_SMBIOS_TABLE_GPA 0xf0100
#define VMM_SMBIOS_MAX 0x7f00
#define VMM_MPTABLE_GPA 0xf8000
#define VMM_MPTABLE_MAX 0x8000

struct vmm;

struct vmm_config {
	const char *kernel;             /* bzImage path (required) */
	const char *initrd;             /* NULL: none */
	const char *cmdline;            /* NULL: empty */
	unsigned int cpus;
	uint64_t mem_bytes;
	const char *instance_type;      /* SMBIOS product name */
	const char *uuid;               /* SMBIOS UUID and serial; NULL: random "ec2..." */
	int console_fd;                 /* raw copy of the UART output; -1: none */
	/* Console input to the UART (a terminal or a pipe); -1: none. With
	 * console_escape, Ctrl-A x ends the VM (VMM_EXIT_STOPPED). */
	int console_in_fd;
	bool console_escape;
	int trace_fd;                   /* every port/MMIO access but COM1's; -1: none */
	/* For VMM developers: a boot profile at the end of vmm_run (times from
	 * process start, exits by kind, port and MMIO page); -1: none (and
	 * nothing is counted). */
	int stats_fd;
	/* Decompress the kernel on the host and enter the vmlinux directly
	 * (vmm/vmlinux.h); the bzImage's own decompressor when anything does
	 * not fit. */
	bool host_decompress;
	/* Everything the devices and the console witness (thread-safe). */
	void (*event)(void *opaque, enum vmm_event ev, const char *detail);
	void *event_opaque;
	/* Hooks for the EBS-style disk (issue 5) and the ENA NIC (issue 6):
	 * called from vmm_create once the PCI bus exists, before the platform
	 * tables are built; they register their device with vmm_pci_register
	 * at VMM_SLOT_NVME / VMM_SLOT_ENA. NULL: no such device. */
	int (*attach_disk)(struct vmm *vm, void *opaque, struct nc_err *err);
	void *disk_opaque;
	int (*attach_nic)(struct vmm *vm, void *opaque, struct nc_err *err);
	void *nic_opaque;
	/* A do-nothing PCI device at this slot for tests (vmm/testdev.h); 0: none. */
	uint8_t test_device_slot;
	/* Called (with nic_opaque) by vmm_destroy once the vCPUs are gone and
	 * before guest memory is: the NIC's network thread DMAs into it. */
	void (*detach_nic)(void *opaque);
};

enum vmm_exit_reason {
	VMM_EXIT_NONE,
	VMM_EXIT_POWEROFF,              /* ACPI S5 */
	VMM_EXIT_RESET,                 /* i8042 reset, triple fault, reboot */
	VMM_EXIT_TIMEOUT,
	VMM_EXIT_STOPPED,               /* vmm_request_stop */
	VMM_EXIT_ERROR,                 /* KVM failure, emulation error */
};

struct vmm_result {
	enum vmm_exit_reason reason;
	char detail[256];               /* e.g. "triple fault", the KVM error */
	uint64_t exits;                 /* userspace exits, all vCPUs */
	uint64_t msi_irqfd;             /* MSI-X deliveries by irqfd */
	uint64_t msi_signalled;         /* and by KVM_SIGNAL_MSI */
};

const char *vmm_exit_reason_name(enum vmm_exit_reason r);

void vmm_config_init(struct vmm_config *cfg);

/* Creates the machine. -ENOENT/-EACCES/-ENODEV when KVM is unavailable
 * (err says so), -EINVAL for a bad config. */
int vmm_create(const struct vmm_config *cfg, struct vmm **ret_vm, struct nc_err *err);

/* Registers a PCI device at desc->slot (1..31); see pci_bus_register. */
int vmm_pci_register(struct vmm *vm, const struct pci_dev_desc *desc, void **ret_handle);

/* What a device gets to know of the machine. */
const struct dev_host *vmm_dev_host(struct vmm *vm);

/* Loads the kernel and initrd, writes the platform tables, runs the vCPUs
 * until the guest powers off or resets, timeout_ms passes (0: no limit)
 * or vmm_request_stop. 0 with *ret filled, or -errno with err (the machine
 * could not start). May be called once. */
int vmm_run(struct vmm *vm, unsigned int timeout_ms, struct vmm_result *ret,
	    struct nc_err *err);

/* Asks a running vmm_run to return (VMM_EXIT_STOPPED); any thread. */
void vmm_request_stop(struct vmm *vm);

/* The SMBIOS UUID/serial the guest sees, "ec2...". */
const char *vmm_uuid(const struct vmm *vm);

/* Resident memory in KiB (from /proc/self/smaps): the whole process and
 * its anonymous part, each with the guest RAM's share. The VMM's own cost
 * is rss - guest_rss; anon - guest_anon leaves out shared library pages. */
struct vmm_mem_usage {
	uint64_t rss_kib, guest_rss_kib;
	uint64_t anon_kib, guest_anon_kib;
};

int vmm_memory_usage(const struct vmm *vm, struct vmm_mem_usage *ret);

void vmm_destroy(struct vmm *vm);

#endif
