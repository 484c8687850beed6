/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0: configuration mechanism #1 (ports CF8/CFC) and, when enabled,
 * the memory-mapped ECAM window of bus 0 (both reach the same config
 * space code), the host bridge
 * 8086:1237 at 00:00.0, BAR sizing and placement in the PCI hole, and the
 * MSI-X capability with its table and PBA emulated here. Devices are
 * described by struct pci_dev_desc (vmm/bus.h); their BAR accesses outside
 * the MSI-X structures go to the descriptor's callbacks.
 *
 * No KVM here: an MSI is handed to the msi_send callback (or to the
 * pci_msi_ops the machine sets for irqfd routing), so unit tests drive the
 * bus as a guest would. Thread-safe: one mutex guards config
 * space and MSI-X state; device callbacks run without it held, so a device
 * may call pci_msix_notify from inside its callbacks or from any thread.
 */
#ifndef NC_VMM_PCI_H
#define NC_VMM_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_MAX_DEVICES 32
#define PCI_MSIX_MAX_VECTORS 2048
#define PCI_MSIX_CAP_OFFSET 0x40
/* ECAM: 4 KiB per function, 8 functions, 32 devices: 1 MiB for bus 0. */
#define PCI_ECAM_BUS_SIZE (1u << 20)

/* The host bridge the guest finds at 00:00.0 (the i440FX's ids). */
#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x1237

struct pci_bus;
struct pci_device;

typedef void (*pci_msi_send_fn)(void *opaque, uint64_t addr, uint32_t data);

/* One MSI-X vector's message. */
struct pci_msix_msg {
	unsigned int vector;
	uint64_t addr;
	uint32_t data;
};

/* Delivery that knows which vector it is (for irqfd routing), replacing
 * msi_send once set. route() announces vectors that became deliverable
 * (MSI-X on, function and entry unmasked) or changed their message while
 * deliverable, before any delivery of them; send() delivers one. Both are
 * called without the bus lock held, from the thread of the access or of
 * pci_msix_notify. */
struct pci_msi_ops {
	void (*route)(void *opaque, unsigned int slot, const struct pci_msix_msg *msgs,
		      unsigned int n);
	void (*send)(void *opaque, unsigned int slot, const struct pci_msix_msg *msg);
};

/* A bus whose BARs are placed in [mmio_base, mmio_limit] and I/O BARs in
 * [io_base, io_limit] (limits inclusive). Registers the host bridge. */
int pci_bus_new(uint32_t mmio_base, uint32_t mmio_limit, uint16_t io_base, uint16_t io_limit,
		pci_msi_send_fn msi_send, void *opaque, struct pci_bus **ret_bus);
void pci_bus_free(struct pci_bus *bus);

/* Sets the vector-aware delivery (before the guest runs); ops is copied. */
void pci_bus_set_msi_ops(struct pci_bus *bus, const struct pci_msi_ops *ops, void *opaque);

/* Adds a device at desc->slot (1..31): checks the description, places its
 * BARs and builds its config space. The descriptor is copied; desc->dev
 * must outlive the bus. ret_handle (may be NULL) is what
 * dev_host.msix_notify expects as its pci_dev argument.
 * -EINVAL bad description, -EEXIST slot taken, -ENOSPC no room for BARs. */
int pci_bus_register(struct pci_bus *bus, const struct pci_dev_desc *desc, void **ret_handle);

/* Decodes the ECAM window of bus 0 at base (1 MiB aligned) in
 * pci_bus_mmio from now on. -EINVAL for a misaligned base. */
int pci_bus_enable_ecam(struct pci_bus *bus, uint64_t base);

/* I/O port access: CF8/CFC and I/O BARs. false when nobody claims port. */
bool pci_bus_pio(struct pci_bus *bus, uint16_t port, void *data, unsigned int len, bool is_write);
/* Memory access to the ECAM window or a BAR (and MSI-X table/PBA). false
 * when unclaimed. */
bool pci_bus_mmio(struct pci_bus *bus, uint64_t addr, void *data, unsigned int len,
		  bool is_write);

/* Config space of 00:slot.0, len 1, 2 or 4 at an aligned offset < 256.
 * Reads of an empty slot give all ones. */
uint32_t pci_config_read(struct pci_bus *bus, unsigned int slot, unsigned int off,
			 unsigned int len);
void pci_config_write(struct pci_bus *bus, unsigned int slot, unsigned int off, unsigned int len,
		      uint32_t val);

/* Signals MSI-X vector `vector` of the device (handle from registration):
 * sends the MSI, or sets its pending bit while masked. 0, -EINVAL for a
 * bad vector, -EAGAIN when MSI-X is disabled (the interrupt is dropped). */
int pci_msix_notify(void *handle, unsigned int vector);

/* Occupied slots other than the host bridge, ascending; returns the count. */
unsigned int pci_bus_slots(struct pci_bus *bus, uint8_t *ret_slots, unsigned int max);
/* Current guest address of BAR n of a slot's device (0 when unset). */
uint64_t pci_bar_address(struct pci_bus *bus, unsigned int slot, unsigned int bar);

#endif
