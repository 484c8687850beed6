/* SPDX-License-Identifier: MIT */
/*
 * The narrow interface between the machine and its devices.
 *
 * A device (NVMe, ENA, ...) knows the machine only through this header:
 *  - guest memory, through bounds-checked accessors (the guest is hostile:
 *    every address and length it hands us is checked here);
 *  - a struct dev_host the machine gives it: raise an MSI-X vector, report an
 *    event the boot-confirmation driver turns into milestones;
 *  - a struct pci_dev_desc it fills: ids, class, BARs with register callbacks,
 *    MSI-X vector count and where its table/PBA live.
 *
 * The PCI core (src/vmm/pci.c) owns config space, BAR placement and the MSI-X
 * table/PBA emulation; it dispatches BAR accesses outside the MSI-X table to
 * the device callbacks. Unit tests provide their own struct dev_host over a
 * malloc'd guest memory and play the guest driver; no KVM needed.
 */
#ifndef NC_VMM_BUS_H
#define NC_VMM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Guest physical memory ---------------------------------------------- */

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

#define GUEST_MEM_MAX_REGIONS 4

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int n_regions;
};

/* Host pointer for [gpa, gpa+len) when it lies entirely in one RAM region,
 * else NULL (also on overflow). len 0 is invalid. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* 0 or -EFAULT. */
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len);
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len);
int guest_mem_add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva);

/* ---- What a device may ask of the machine -------------------------------- */

/* Things devices witness; the boot driver turns them into milestones. */
enum vmm_event {
	VMM_EV_NVME_ENABLED,        /* CC.EN 0->1 with a valid admin queue */
	VMM_EV_NVME_IDENTIFIED,     /* Identify controller / namespace served */
	VMM_EV_NVME_IO_QUEUES,      /* first IO submission queue created */
	VMM_EV_NVME_FIRST_READ,     /* first IO read served */
	VMM_EV_ENA_RESET,           /* driver reset handshake */
	VMM_EV_ENA_PROBED,          /* admin queue up and device attributes read */
	VMM_EV_ENA_IO_QUEUES,       /* IO queues created */
	VMM_EV_ENA_LINK_UP,         /* LINK_CHANGE event consumed by the driver */
	VMM_EV_NET_DHCP_DISCOVER,
	VMM_EV_NET_DHCP_REQUEST,
	VMM_EV_NET_DHCP_ACK,
	VMM_EV_NET_IMDS,            /* detail: method and path */
	VMM_EV_CONSOLE_LINE,        /* detail: one console line (UART) */
	VMM_EV_GUEST_POWEROFF,
	VMM_EV_GUEST_RESET,
	VMM_EV_GUEST_STARTED,       /* first exit to the VMM: the kernel runs */
	VMM_EV_GUEST_ERROR,         /* detail: KVM or emulation failure */
	VMM_EV__MAX,
};

const char *vmm_event_name(enum vmm_event ev);

struct dev_host {
	const struct guest_mem *mem;
	/* Signal MSI-X vector `vector` of device `pci_dev` (the handle the PCI
	 * core gave at registration). Masking and pending bits are the PCI
	 * core's business. */
	void (*msix_notify)(void *host_opaque, void *pci_dev, unsigned int vector);
	/* Level-triggered legacy line (UART IRQ 4); level 0/1. */
	void (*irq_line)(void *host_opaque, unsigned int gsi, int level);
	/* Report an event; detail may be NULL. Thread-safe. */
	void (*event)(void *host_opaque, enum vmm_event ev, const char *detail);
	void *opaque;
};

/* ---- PCI device description ---------------------------------------------- */

#define PCI_NUM_BARS 6

struct pci_bar_desc {
	uint64_t size;      /* power of two, 0 = unused */
	bool io;            /* I/O space BAR */
	bool mem64;         /* 64-bit memory BAR (takes two BAR slots) */
	bool prefetch;
	/* Accesses of 1, 2, 4 or 8 bytes at off < size. Never called for the
	 * MSI-X table/PBA ranges when they live in this BAR. */
	void (*read)(void *dev, uint64_t off, void *data, unsigned int len);
	void (*write)(void *dev, uint64_t off, const void *data, unsigned int len);
};

struct pci_dev_desc {
	const char *name;
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint32_t class_code;        /* 24 bits: base, sub, prog-if */
	uint8_t revision;
	uint8_t slot;               /* device number on bus 0 */
	struct pci_bar_desc bars[PCI_NUM_BARS];
	unsigned int msix_vectors;  /* 0: no MSI-X capability */
	uint8_t msix_bar;
	uint64_t msix_table_offset; /* within msix_bar */
	uint64_t msix_pba_offset;
	void *dev;                  /* passed to callbacks */
	/* Function-level reset / bus master disable; may be NULL. */
	void (*reset)(void *dev);
	/* Called by the PCI core once the device is registered, with the
	 * pci_dev handle the device passes to dev_host.msix_notify; may be
	 * NULL (the registration's ret_handle gives the same handle). */
	void (*attach)(void *dev, void *pci_dev);
};

#endif
