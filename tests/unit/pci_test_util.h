/* SPDX-License-Identifier: MIT */
/* A fake PCI device for the PCI and MSI-X tests: records its register
 * accesses and the MSIs the bus sends. */
#ifndef NC_PCI_TEST_UTIL_H
#define NC_PCI_TEST_UTIL_H

#include "vmm/pci.h"

struct fake_dev {
	uint64_t last_off;
	uint64_t last_val;
	unsigned int last_len;
	unsigned int reads, writes;
	unsigned int resets;
};

struct msi_log {
	unsigned int n;
	uint64_t addr[64];
	uint32_t data[64];
};

static void fake_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	struct fake_dev *f = dev;
	uint64_t v = 0xab000000u | off;

	f->reads++;
	f->last_off = off;
	f->last_len = len;
	memcpy(data, &v, len);
}

static void fake_write(void *dev, uint64_t off, const void *data, unsigned int len)
{
	struct fake_dev *f = dev;

	f->writes++;
	f->last_off = off;
	f->last_len = len;
	f->last_val = 0;
	memcpy(&f->last_val, data, len);
}

static void fake_reset(void *dev)
{
	((struct fake_dev *)dev)->resets++;
}

static void msi_record(void *opaque, uint64_t addr, uint32_t data)
{
	struct msi_log *l = opaque;

	if (l->n < 64) {
		l->addr[l->n] = addr;
		l->data[l->n] = data;
	}
	l->n++;
}

/* An NVMe-like device: 16 KiB 64-bit BAR 0 with the MSI-X table at 0x2000
 * and PBA at 0x3000, 8 vectors; plus a 32-byte I/O BAR 2. */
static inline struct pci_dev_desc fake_desc(struct fake_dev *f, uint8_t slot)
{
	struct pci_dev_desc d = {
		.name = "fake",
		.vendor_id = 0x1d0f,
		.device_id = 0x8061,
		.subsys_vendor_id = 0x1d0f,
		.subsys_id = 0x8061,
		.class_code = 0x010802,
		.revision = 0,
		.slot = slot,
		.msix_vectors = 8,
		.msix_bar = 0,
		.msix_table_offset = 0x2000,
		.msix_pba_offset = 0x3000,
		.dev = f,
		.reset = fake_reset,
	};

	d.bars[0] = (struct pci_bar_desc){ .size = 0x4000, .mem64 = true,
					   .read = fake_read, .write = fake_write };
	d.bars[2] = (struct pci_bar_desc){ .size = 32, .io = true,
					   .read = fake_read, .write = fake_write };
	return d;
}

static inline uint32_t cfg_read_port(struct pci_bus *bus, unsigned int slot, unsigned int off,
				     unsigned int len)
{
	uint32_t addr = 0x80000000u | slot << 11 | (off & 0xfc), v = 0;

	assert_true(pci_bus_pio(bus, PCI_CONFIG_ADDRESS, &addr, 4, true));
	assert_true(pci_bus_pio(bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), &v, len, false));
	return v;
}

static inline void cfg_write_port(struct pci_bus *bus, unsigned int slot, unsigned int off,
				  unsigned int len, uint32_t v)
{
	uint32_t addr = 0x80000000u | slot << 11 | (off & 0xfc);

	assert_true(pci_bus_pio(bus, PCI_CONFIG_ADDRESS, &addr, 4, true));
	assert_true(pci_bus_pio(bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), &v, len, true));
}

#endif
