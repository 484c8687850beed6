/* SPDX-License-Identifier: MIT */
#include "vmm/testdev.h"

#include <string.h>

static void testdev_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	struct testdev *td = dev;

	if (off + len <= sizeof(td->scratch))
		memcpy(data, (uint8_t *)td->scratch + off, len);
}

static void testdev_write(void *dev, uint64_t off, const void *data, unsigned int len)
{
	struct testdev *td = dev;

	if (off + len <= sizeof(td->scratch))
		memcpy((uint8_t *)td->scratch + off, data, len);
}

void testdev_describe(struct testdev *td, uint8_t slot, struct pci_dev_desc *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->name = "testdev";
	ret->vendor_id = TESTDEV_VENDOR;
	ret->device_id = TESTDEV_DEVICE;
	ret->subsys_vendor_id = TESTDEV_VENDOR;
	ret->subsys_id = TESTDEV_DEVICE;
	ret->class_code = 0xff0000;             /* unassigned class */
	ret->slot = slot;
	ret->bars[0] = (struct pci_bar_desc){
		.size = 0x1000, .read = testdev_read, .write = testdev_write,
	};
	ret->msix_vectors = 2;
	ret->msix_bar = 0;
	ret->msix_table_offset = 0x800;
	ret->msix_pba_offset = 0xc00;
	ret->dev = td;
}
