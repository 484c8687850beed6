/* SPDX-License-Identifier: MIT */
/*
 * An EBS-style NVMe controller: what a Nitro instance shows for an EBS
 * volume (PCI 1d0f:8061 at 00:04.0, model "Amazon Elastic Block Store",
 * serial "vol" + 17 hex digits, the EBS device name in the vendor-specific
 * part of Identify Controller where amazon-ec2-utils' ebsnvme-id reads it),
 * one namespace of 512-byte LBAs backed by a struct disk.
 *
 * Commands are processed synchronously on the thread that rings a doorbell,
 * under one mutex per controller. The guest is hostile: every address,
 * length, queue id/size, PRP entry and LBA range is checked; bad commands
 * complete with an NVMe error status, register misuse sets CSTS.CFS.
 */
#ifndef NC_VMM_DEV_NVME_H
#define NC_VMM_DEV_NVME_H

#include "vmm/bus.h"
#include "vmm/disk.h"

#define NVME_PCI_VENDOR_AMAZON 0x1d0f
#define NVME_PCI_DEVICE_EBS 0x8061
#define NVME_PCI_SLOT 4
#define NVME_BAR0_SIZE 0x4000
#define NVME_MSIX_TABLE_OFFSET 0x2000
#define NVME_MSIX_PBA_OFFSET 0x3000
#define NVME_MAX_IO_QUEUES 8
#define NVME_MQES 1023 /* largest queue: 1024 entries (CAP.MQES is 0-based) */
#define NVME_MDTS 6    /* largest transfer: 2^6 pages of 4 KiB = 256 KiB */

struct nvme_config {
	struct disk *disk;          /* backing store; not owned */
	const char *serial;         /* NULL: "vol" + 17 hex digits from the image path */
	const char *ebs_name;       /* NULL: "/dev/xvda" */
	const char *firmware_rev;   /* NULL: "1.0" */
	unsigned int max_io_queues; /* 0: NVME_MAX_IO_QUEUES (MSI-X vectors = 1 + this) */
};

struct nvme_ctrl;

int nvme_create(const struct nvme_config *cfg, const struct dev_host *host,
		struct nvme_ctrl **ret);
/* Description for the PCI core; valid while the controller lives. */
const struct pci_dev_desc *nvme_pci_desc(struct nvme_ctrl *c);
/* The handle pci_bus_register returned: what host->msix_notify gets as
 * its pci_dev argument. Call before the guest runs. */
void nvme_set_pci_handle(struct nvme_ctrl *c, void *pci_dev);
void nvme_destroy(struct nvme_ctrl *c);

#endif
