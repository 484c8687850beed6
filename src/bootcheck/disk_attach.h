/* SPDX-License-Identifier: MIT */
/*
 * The image as the guest's EBS-style NVMe root disk: a read-only backend
 * with a discarded copy-on-write overlay (src/vmm/disk.h) behind the NVMe
 * controller model, at VMM_SLOT_NVME. The image file is never written.
 */
#ifndef NC_BOOTCHECK_DISK_ATTACH_H
#define NC_BOOTCHECK_DISK_ATTACH_H

#include "common/util.h"

struct vmm;
struct vmm_config;
struct disk;
struct nvme_ctrl;

struct disk_attachment {
	const char *image;              /* path; format probed */
	struct disk *disk;
	struct nvme_ctrl *ctrl;
};

/* Sets cfg->attach_disk/disk_opaque so vmm_create attaches a->image. */
void disk_attachment_setup(struct disk_attachment *a, const char *image, struct vmm_config *cfg);
/* After the machine is gone: closes the controller and the disk. */
void disk_attachment_free(struct disk_attachment *a);

#endif
