/* SPDX-License-Identifier: MIT */
#include "bootcheck/disk_attach.h"

#include <errno.h>
#include <string.h>

#include "vmm/dev/nvme.h"
#include "vmm/disk.h"
#include "vmm/vmm.h"

static int attach_image(struct vmm *vm, void *opaque, struct nc_err *err)
{
	struct disk_attachment *a = opaque;
	/* NULL serial: "vol" + hex derived from the image path; NULL EBS name:
	 * "/dev/xvda", what EC2 reports for a root volume. */
	struct nvme_config cfg = { .serial = NULL, .ebs_name = "/dev/xvda" };
	void *handle;
	int rc;

	rc = disk_open(a->image, NULL, &a->disk, err);
	if (rc < 0)
		return rc;
	cfg.disk = a->disk;
	rc = nvme_create(&cfg, vmm_dev_host(vm), &a->ctrl);
	if (rc < 0)
		return nc_err_set(err, rc, "%s: NVMe controller: %s", a->image, strerror(-rc));
	rc = vmm_pci_register(vm, nvme_pci_desc(a->ctrl), &handle);
	if (rc < 0)
		return nc_err_set(err, rc, "%s: NVMe PCI registration: %s", a->image,
				  strerror(-rc));
	nvme_set_pci_handle(a->ctrl, handle);
	return 0;
}

void disk_attachment_setup(struct disk_attachment *a, const char *image, struct vmm_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->image = image;
	cfg->attach_disk = attach_image;
	cfg->disk_opaque = a;
}

void disk_attachment_free(struct disk_attachment *a)
{
	nvme_destroy(a->ctrl);
	disk_close(a->disk);
	a->ctrl = NULL;
	a->disk = NULL;
}
