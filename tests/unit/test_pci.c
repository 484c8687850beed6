/* SPDX-License-Identifier: MIT */
/* PCI bus 0: config mechanism #1, ECAM, BAR sizing and placement,
 * dispatch, and the config space as lspci decodes it (lspci -F). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "common/util.h"
#include "pci_test_util.h"

#define MMIO_BASE 0xc0000000u
#define MMIO_LIMIT 0xfebfffffu

static struct pci_bus *new_bus(struct msi_log *log)
{
	struct pci_bus *bus = NULL;

	assert_int_equal(pci_bus_new(MMIO_BASE, MMIO_LIMIT, 0xc000, 0xffff, msi_record, log, &bus),
			 0);
	return bus;
}

static void test_host_bridge(void **state)
{
	struct msi_log log = { 0 };
	struct pci_bus *bus = new_bus(&log);
	uint32_t v;

	/* Linux's pci_check_type1(): the address latch reads back. */
	v = 0x80000000u;
	assert_true(pci_bus_pio(bus, PCI_CONFIG_ADDRESS, &v, 4, true));
	v = 0;
	assert_true(pci_bus_pio(bus, PCI_CONFIG_ADDRESS, &v, 4, false));
	assert_int_equal(v, 0x80000000u);

	assert_int_equal(cfg_read_port(bus, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_read_port(bus, 0, 0x0a, 2), 0x0600);
	assert_int_equal(cfg_read_port(bus, 0, 0x0e, 1), 0);
	/* Empty slots and other functions/buses read as all ones. */
	assert_int_equal(cfg_read_port(bus, 7, 0, 4), 0xffffffffu);
	v = 0x80000000u | 1 << 16;
	assert_true(pci_bus_pio(bus, PCI_CONFIG_ADDRESS, &v, 4, true));
	assert_true(pci_bus_pio(bus, PCI_CONFIG_DATA, &v, 4, false));
	assert_int_equal(v, 0xffffffffu);
	/* The host bridge has no BARs and is not a slot. */
	cfg_write_port(bus, 0, 0x10, 4, 0xffffffffu);
	assert_int_equal(cfg_read_port(bus, 0, 0x10, 4), 0);
	assert_int_equal(pci_bus_slots(bus, (uint8_t[32]){ 0 }, 32), 0);
	pci_bus_free(bus);
}

static void test_register_and_bars(void **state)
{
	struct msi_log log = { 0 };
	struct pci_bus *bus = new_bus(&log);
	struct fake_dev f = { 0 }, g = { 0 };
	struct pci_dev_desc d = fake_desc(&f, 4), e = fake_desc(&g, 5);
	uint8_t slots[32];
	void *h = NULL;
	uint32_t v;
	uint64_t bar0;

	assert_int_equal(pci_bus_register(bus, &d, &h), 0);
	assert_non_null(h);
	assert_int_equal(pci_bus_register(bus, &d, NULL), -EEXIST);
	assert_int_equal(pci_bus_register(bus, &e, NULL), 0);
	assert_int_equal(pci_bus_slots(bus, slots, 32), 2);
	assert_int_equal(slots[0], 4);
	assert_int_equal(slots[1], 5);

	assert_int_equal(cfg_read_port(bus, 4, 0, 4), 0x80611d0f);
	assert_int_equal(cfg_read_port(bus, 4, 0x08, 4), 0x01080200);
	assert_int_equal(cfg_read_port(bus, 4, 0x2c, 4), 0x80611d0f);
	assert_int_equal(cfg_read_port(bus, 4, 0x3d, 1), 0);   /* no INTx */

	/* BAR 0: 64-bit, naturally aligned in the window; sizing protocol. */
	bar0 = pci_bar_address(bus, 4, 0);
	assert_int_equal(bar0, MMIO_BASE);
	assert_int_equal(cfg_read_port(bus, 4, 0x10, 4), MMIO_BASE | 0x4);
	cfg_write_port(bus, 4, 0x10, 4, 0xffffffffu);
	assert_int_equal(cfg_read_port(bus, 4, 0x10, 4), 0xffffc004u);
	cfg_write_port(bus, 4, 0x14, 4, 0xffffffffu);
	assert_int_equal(cfg_read_port(bus, 4, 0x14, 4), 0xffffffffu);
	cfg_write_port(bus, 4, 0x10, 4, (uint32_t)bar0);
	cfg_write_port(bus, 4, 0x14, 4, 0);
	assert_int_equal(pci_bar_address(bus, 4, 0), bar0);
	/* BAR 2: I/O, 32 bytes. */
	v = cfg_read_port(bus, 4, 0x18, 4);
	assert_int_equal(v & 1, 1);
	assert_int_equal(v & ~3u, 0xc000);
	cfg_write_port(bus, 4, 0x18, 4, 0xffffffffu);
	assert_int_equal(cfg_read_port(bus, 4, 0x18, 4), 0xffffffe1u);
	cfg_write_port(bus, 4, 0x18, 4, 0xc000);
	/* The second device's BAR follows, aligned. */
	assert_int_equal(pci_bar_address(bus, 5, 0), MMIO_BASE + 0x4000);
	assert_int_equal(pci_bar_address(bus, 5, 2), 0xc020);

	/* Decoding is off until the guest enables it. */
	v = 0;
	assert_false(pci_bus_mmio(bus, bar0 + 8, &v, 4, false));
	cfg_write_port(bus, 4, 0x04, 2, 0x0007);
	assert_int_equal(cfg_read_port(bus, 4, 0x04, 2), 0x0007);
	assert_true(pci_bus_mmio(bus, bar0 + 8, &v, 4, false));
	assert_int_equal(v, 0xab000008u);
	assert_int_equal(f.reads, 1);
	v = 0x12345678;
	assert_true(pci_bus_mmio(bus, bar0 + 0x1000, &v, 4, true));
	assert_int_equal(f.last_off, 0x1000);
	assert_int_equal(f.last_val, 0x12345678);
	assert_true(pci_bus_pio(bus, 0xc004, &v, 2, true));
	assert_int_equal(f.last_off, 4);
	assert_int_equal(f.last_len, 2);
	/* Past the BAR, or straddling its end: nobody claims it. */
	assert_false(pci_bus_mmio(bus, bar0 + 0x3ffe, &v, 4, false));
	assert_false(pci_bus_mmio(bus, MMIO_BASE + 0x10000, &v, 4, false));
	/* The guest moves the BAR. */
	cfg_write_port(bus, 4, 0x10, 4, 0xd0000000u);
	assert_true(pci_bus_mmio(bus, 0xd0000010u, &v, 4, false));
	assert_false(pci_bus_mmio(bus, bar0 + 0x10, &v, 4, false));
	/* Turning bus mastering off resets the device. */
	cfg_write_port(bus, 4, 0x04, 2, 0x0003);
	assert_int_equal(f.resets, 1);
	/* Read-only fields stay. */
	cfg_write_port(bus, 4, 0x00, 4, 0);
	assert_int_equal(cfg_read_port(bus, 4, 0, 4), 0x80611d0f);
	pci_bus_free(bus);
}

static void test_bad_descriptions(void **state)
{
	struct msi_log log = { 0 };
	struct pci_bus *bus = new_bus(&log);
	struct fake_dev f = { 0 };
	struct pci_dev_desc d;

	d = fake_desc(&f, 0);
	assert_int_equal(pci_bus_register(bus, &d, NULL), -EINVAL);      /* host bridge */
	d = fake_desc(&f, 32);
	assert_int_equal(pci_bus_register(bus, &d, NULL), -EINVAL);
	d = fake_desc(&f, 3);
	d.bars[0].size = 0x3000;                                        /* not 2^n */
	assert_int_equal(pci_bus_register(bus, &d, NULL), -EINVAL);
	d = fake_desc(&f, 3);
	d.bars[1].size = 0x1000;                                        /* under mem64 */
	assert_int_equal(pci_bus_register(bus, &d, NULL), -EINVAL);
	d = fake_desc(&f, 3);
	d.msix_table_offset = 0x3ff8;                                   /* past the BAR */
	assert_int_equal(pci_bus_register(bus, &d, NULL), -EINVAL);
	d = fake_desc(&f, 3);
	d.msix_pba_offset = 0x2040;                                     /* overlaps */
	assert_int_equal(pci_bus_register(bus, &d, NULL), -EINVAL);
	d = fake_desc(&f, 3);
	d.bars[0].size = 1ull << 29;
	assert_int_equal(pci_bus_register(bus, &d, NULL), 0);
	d = fake_desc(&f, 6);
	d.bars[0].size = 1ull << 29;                                    /* window full */
	assert_int_equal(pci_bus_register(bus, &d, NULL), -ENOSPC);
	pci_bus_free(bus);
}

#define ECAM 0xe0000000u

static uint32_t ecam_read(struct pci_bus *bus, uint64_t off, unsigned int len)
{
	uint32_t v = 0x5a5a5a5a;

	assert_true(pci_bus_mmio(bus, ECAM + off, &v, len, false));
	if (len < 4)
		v &= (1u << (8 * len)) - 1;
	return v;
}

static void ecam_write(struct pci_bus *bus, uint64_t off, unsigned int len, uint32_t v)
{
	assert_true(pci_bus_mmio(bus, ECAM + off, &v, len, true));
}

/* Every config space byte of slots 0..31, function 0, through CF8/CFC. */
static void snapshot_config(struct pci_bus *bus, uint8_t snap[32][256])
{
	for (unsigned int s = 0; s < 32; s++)
		for (unsigned int off = 0; off < 256; off += 4) {
			uint32_t v = cfg_read_port(bus, s, off, 4);

			memcpy(&snap[s][off], &v, 4);
		}
}

static void test_ecam(void **state)
{
	struct msi_log log = { 0 };
	struct pci_bus *bus = NULL;
	struct fake_dev f = { 0 };
	struct pci_dev_desc d = fake_desc(&f, 4);
	static uint8_t before[32][256], after[32][256];
	uint64_t v64 = 0;
	uint32_t v;

	assert_int_equal(pci_bus_new(MMIO_BASE, 0xdfffffffu, 0xc000, 0xffff, msi_record, &log, &bus),
			 0);
	assert_int_equal(pci_bus_register(bus, &d, NULL), 0);
	/* Nothing at the window until it is enabled; it must be 1 MiB aligned. */
	assert_false(pci_bus_mmio(bus, ECAM, &v, 4, false));
	assert_int_equal(pci_bus_enable_ecam(bus, ECAM + 0x1000), -EINVAL);
	assert_int_equal(pci_bus_enable_ecam(bus, 0), -EINVAL);
	assert_int_equal(pci_bus_enable_ecam(bus, ECAM), 0);

	/* Reads equal CF8/CFC's for every slot, offset and width. */
	for (unsigned int s = 0; s < 32; s++)
		for (unsigned int off = 0; off < 256; off++) {
			uint64_t at = (uint64_t)s << 15 | off;

			assert_int_equal(ecam_read(bus, at, 1), cfg_read_port(bus, s, off, 1));
			if (!(off & 1))
				assert_int_equal(ecam_read(bus, at, 2), cfg_read_port(bus, s, off, 2));
			if (!(off & 3))
				assert_int_equal(ecam_read(bus, at, 4), cfg_read_port(bus, s, off, 4));
		}
	assert_int_equal(ecam_read(bus, 0, 4), 0x12378086);
	assert_int_equal(ecam_read(bus, 4 << 15, 4), 0x80611d0f);
	assert_int_equal(ecam_read(bus, 7 << 15, 4), 0xffffffffu);

	/* Writes through one mechanism show through the other. */
	ecam_write(bus, 4 << 15 | 0x04, 2, 0x0006);
	assert_int_equal(cfg_read_port(bus, 4, 0x04, 2), 0x0006);
	cfg_write_port(bus, 4, 0x0c, 1, 0x10);
	assert_int_equal(ecam_read(bus, 4 << 15 | 0x0c, 1), 0x10);
	/* BAR sizing through ECAM, then restored. */
	ecam_write(bus, 4 << 15 | 0x10, 4, 0xffffffffu);
	assert_int_equal(cfg_read_port(bus, 4, 0x10, 4), 0xffffc004u);
	ecam_write(bus, 4 << 15 | 0x10, 4, MMIO_BASE);
	assert_int_equal(pci_bar_address(bus, 4, 0), MMIO_BASE);
	/* Bus master off through ECAM resets the device as through CFC. */
	ecam_write(bus, 4 << 15 | 0x04, 2, 0x0002);
	assert_int_equal(f.resets, 1);

	/* Out-of-range accesses are harmless: they read all ones and change
	 * nothing. Extended space, other functions, odd alignment, 8 bytes,
	 * across the window's end. */
	snapshot_config(bus, before);
	for (unsigned int s = 0; s < 32; s++) {
		for (unsigned int off = 0x100; off < 0x1000; off += 0x3c) {
			assert_int_equal(ecam_read(bus, (uint64_t)s << 15 | off, 4), 0xffffffffu);
			ecam_write(bus, (uint64_t)s << 15 | off, 4, 0);
		}
		for (unsigned int fn = 1; fn < 8; fn++) {
			uint64_t at = (uint64_t)s << 15 | fn << 12;

			assert_int_equal(ecam_read(bus, at, 4), 0xffffffffu);
			ecam_write(bus, at + 0x04, 2, 0x0007);
			ecam_write(bus, at + 0x10, 4, 0);
		}
	}
	assert_int_equal(ecam_read(bus, 4 << 15 | 0x01, 4), 0xffffffffu);
	ecam_write(bus, 4 << 15 | 0x03, 2, 0);
	ecam_write(bus, 4 << 15 | 0x10, 8, 0);
	assert_true(pci_bus_mmio(bus, ECAM + (4 << 15), &v64, 8, false));
	assert_true(v64 == ~0ull);
	v = 0;
	assert_true(pci_bus_mmio(bus, ECAM + PCI_ECAM_BUS_SIZE - 2, &v, 4, false));
	assert_int_equal(v, 0xffffffffu);
	assert_true(pci_bus_mmio(bus, ECAM + PCI_ECAM_BUS_SIZE - 2, &v, 4, true));
	snapshot_config(bus, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(f.resets, 1);
	assert_int_equal(f.writes, 0);
	/* Past the window: not ECAM's. */
	assert_false(pci_bus_mmio(bus, ECAM + PCI_ECAM_BUS_SIZE, &v, 4, false));
	pci_bus_free(bus);
}

/* Writes the bus's config spaces as `lspci -xxx` prints them. */
static void write_lspci_dump(struct pci_bus *bus, const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (unsigned int s = 0; s < 32; s++) {
		if (cfg_read_port(bus, s, 0, 4) == 0xffffffffu)
			continue;
		fprintf(f, "00:%02x.0 Device\n", s);
		for (unsigned int off = 0; off < 256; off += 16) {
			fprintf(f, "%02x:", off);
			for (unsigned int i = 0; i < 16; i++)
				fprintf(f, " %02x", cfg_read_port(bus, s, off + i, 1));
			fprintf(f, "\n");
		}
		fprintf(f, "\n");
	}
	fclose(f);
}

static void test_lspci(void **state)
{
	struct msi_log log = { 0 };
	struct pci_bus *bus;
	struct fake_dev f = { 0 };
	struct pci_dev_desc d = fake_desc(&f, 4);
	char path[] = "/tmp/nc-pci-XXXXXX";
	_cleanup_free_ char *cmd = NULL, *out_path = NULL, *out = NULL;
	size_t n;
	int fd;

	if (system("command -v lspci >/dev/null 2>&1") != 0) {
		print_message("skipping: lspci not installed (apt-get install pciutils)\n");
		skip();
	}
	bus = new_bus(&log);
	assert_int_equal(pci_bus_register(bus, &d, NULL), 0);
	cfg_write_port(bus, 4, 0x04, 2, 0x0006);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_lspci_dump(bus, path);
	out_path = strdup_printf("%s.out", path);
	cmd = strdup_printf("lspci -F %s -vv -nn >%s 2>&1", path, out_path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(read_file_full(out_path, 1 << 20, &out, &n), 0);
	unlink(path);
	unlink(out_path);

	assert_non_null(strstr(out, "00:00.0 Host bridge [0600]: Intel Corporation"));
	assert_non_null(strstr(out, "[8086:1237]"));
	assert_non_null(strstr(out, "00:04.0 Non-Volatile memory controller [0108]"));
	assert_non_null(strstr(out, "[1d0f:8061]"));
	assert_non_null(strstr(out, "Control: I/O- Mem+ BusMaster+"));
	assert_non_null(strstr(out, "Region 0: Memory at c0000000 (64-bit, non-prefetchable)"));
	assert_non_null(strstr(out, "Region 2: I/O ports at c000"));
	assert_non_null(strstr(out, "Capabilities: [40] MSI-X: Enable- Count=8 Masked-"));
	assert_non_null(strstr(out, "Vector table: BAR=0 offset=00002000"));
	assert_non_null(strstr(out, "PBA: BAR=0 offset=00003000"));
	pci_bus_free(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_bridge),
		cmocka_unit_test(test_register_and_bars),
		cmocka_unit_test(test_bad_descriptions),
		cmocka_unit_test(test_ecam),
		cmocka_unit_test(test_lspci),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
