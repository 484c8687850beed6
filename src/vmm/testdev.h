/* SPDX-License-Identifier: MIT */
/*
 * A do-nothing PCI device for end-to-end tests of the PCI core: it lets a
 * guest enumerate a device in a slot (BAR placement, ACPI _SUN slot names)
 * before the NVMe and ENA models exist. BAR 0 (4 KiB) holds 8 scratch
 * dwords and the MSI-X table/PBA for 2 vectors.
 */
#ifndef NC_VMM_TESTDEV_H
#define NC_VMM_TESTDEV_H

#include <stdint.h>

#include "vmm/bus.h"

#define TESTDEV_VENDOR 0x1af4          /* Red Hat's range: never a real Nitro id */
#define TESTDEV_DEVICE 0x10f0

struct testdev {
	uint32_t scratch[8];
};

/* Fills the description of a test device at `slot` backed by td. */
void testdev_describe(struct testdev *td, uint8_t slot, struct pci_dev_desc *ret);

#endif
