/* SPDX-License-Identifier: MIT */
/* MSI-X: the capability, the table and PBA in the BAR, masking, pending
 * bits and delivery, as the Linux driver programs them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "common/util.h"
#include "pci_test_util.h"

#define CAP 0x40

struct ctx {
	struct msi_log log;
	struct fake_dev f;
	struct pci_bus *bus;
	void *h;
	uint64_t bar;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct pci_dev_desc d;

	assert_int_equal(pci_bus_new(0xc0000000u, 0xfebfffffu, 0xc000, 0xffff, msi_record,
				     &c->log, &c->bus),
			 0);
	d = fake_desc(&c->f, 4);
	assert_int_equal(pci_bus_register(c->bus, &d, &c->h), 0);
	c->bar = pci_bar_address(c->bus, 4, 0);
	cfg_write_port(c->bus, 4, 0x04, 2, 0x0006);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pci_bus_free(c->bus);
	free(c);
	return 0;
}

static void entry_write(struct ctx *c, unsigned int v, unsigned int field, uint32_t val)
{
	assert_true(pci_bus_mmio(c->bus, c->bar + 0x2000 + 16 * v + field, &val, 4, true));
}

static uint32_t entry_read(struct ctx *c, unsigned int v, unsigned int field)
{
	uint32_t val = 0;

	assert_true(pci_bus_mmio(c->bus, c->bar + 0x2000 + 16 * v + field, &val, 4, false));
	return val;
}

static uint64_t pba(struct ctx *c)
{
	uint64_t v = 0;

	assert_true(pci_bus_mmio(c->bus, c->bar + 0x3000, &v, 8, false));
	return v;
}

/* Programs vector v as Linux does: address, data, then unmask. */
static void program(struct ctx *c, unsigned int v, uint32_t data)
{
	entry_write(c, v, 0, 0xfee00000u | v << 12);
	entry_write(c, v, 4, 0);
	entry_write(c, v, 8, data);
	entry_write(c, v, 12, 0);
}

static void test_capability(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(cfg_read_port(c->bus, 4, 0x06, 2) & 0x10, 0x10);
	assert_int_equal(cfg_read_port(c->bus, 4, 0x34, 1), CAP);
	assert_int_equal(cfg_read_port(c->bus, 4, CAP, 1), 0x11);
	assert_int_equal(cfg_read_port(c->bus, 4, CAP + 2, 2), 7);     /* 8 vectors */
	assert_int_equal(cfg_read_port(c->bus, 4, CAP + 4, 4), 0x2000);
	assert_int_equal(cfg_read_port(c->bus, 4, CAP + 8, 4), 0x3000);
	/* Only Enable and Function Mask are writable. */
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0xffff);
	assert_int_equal(cfg_read_port(c->bus, 4, CAP + 2, 2), 0xc007);
	cfg_write_port(c->bus, 4, CAP + 4, 4, 0);
	assert_int_equal(cfg_read_port(c->bus, 4, CAP + 4, 4), 0x2000);
	/* Vectors start masked; the table is never passed to the device. */
	for (unsigned int v = 0; v < 8; v++)
		assert_int_equal(entry_read(c, v, 12), 1);
	assert_int_equal(c->f.reads + c->f.writes, 0);
}

static void test_disabled_drops(void **state)
{
	struct ctx *c = *state;

	program(c, 0, 0x41);
	assert_int_equal(pci_msix_notify(c->h, 0), -EAGAIN);
	assert_int_equal(c->log.n, 0);
	assert_int_equal(pci_msix_notify(c->h, 8), -EINVAL);
	assert_int_equal(pci_msix_notify(NULL, 0), -EINVAL);
}

static void test_delivery(void **state)
{
	struct ctx *c = *state;

	for (unsigned int v = 0; v < 8; v++)
		program(c, v, 0x40 + v);
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);          /* enable */
	assert_int_equal(pci_msix_notify(c->h, 3), 0);
	assert_int_equal(c->log.n, 1);
	assert_int_equal(c->log.addr[0], 0xfee03000u);
	assert_int_equal(c->log.data[0], 0x43);
	assert_int_equal(pba(c), 0);
	/* Reading back what was programmed. */
	assert_int_equal(entry_read(c, 3, 0), 0xfee03000u);
	assert_int_equal(entry_read(c, 3, 8), 0x43);
	/* A qword write of address, as some drivers do. */
	{
		uint64_t a = 0x00000001fee05000ull;

		assert_true(pci_bus_mmio(c->bus, c->bar + 0x2000 + 16 * 5, &a, 8, true));
		assert_int_equal(pci_msix_notify(c->h, 5), 0);
		assert_int_equal(c->log.addr[1], 0x00000001fee05000ull);
	}
}

static void test_masking(void **state)
{
	struct ctx *c = *state;

	program(c, 2, 0x52);
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	/* Vector mask: pending, then delivered on unmask. */
	entry_write(c, 2, 12, 1);
	assert_int_equal(pci_msix_notify(c->h, 2), 0);
	assert_int_equal(c->log.n, 0);
	assert_int_equal(pba(c), 1u << 2);
	entry_write(c, 2, 12, 0);
	assert_int_equal(c->log.n, 1);
	assert_int_equal(c->log.data[0], 0x52);
	assert_int_equal(pba(c), 0);
	/* Function mask: the same for every vector. */
	program(c, 6, 0x56);
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0xc000);
	assert_int_equal(pci_msix_notify(c->h, 6), 0);
	assert_int_equal(pci_msix_notify(c->h, 2), 0);
	assert_int_equal(c->log.n, 1);
	assert_int_equal(pba(c), 1u << 2 | 1u << 6);
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	assert_int_equal(c->log.n, 3);
	assert_int_equal(c->log.data[1], 0x52);
	assert_int_equal(c->log.data[2], 0x56);
	assert_int_equal(pba(c), 0);
	/* The PBA is read-only; reserved control bits read as zero. */
	{
		uint64_t ones = ~0ull;

		assert_true(pci_bus_mmio(c->bus, c->bar + 0x3000, &ones, 8, true));
		assert_int_equal(pba(c), 0);
	}
	entry_write(c, 1, 12, 0xfffffffeu);
	assert_int_equal(entry_read(c, 1, 12), 0);
}

static void test_bad_table_accesses(void **state)
{
	struct ctx *c = *state;
	uint16_t w = 0;

	/* Sub-dword accesses are not allowed on the table: reads give ones. */
	assert_true(pci_bus_mmio(c->bus, c->bar + 0x2000, &w, 2, false));
	assert_int_equal(w, 0xffff);
	w = 0;
	assert_true(pci_bus_mmio(c->bus, c->bar + 0x2000, &w, 2, true));
	assert_int_equal(entry_read(c, 0, 0), 0);
	/* Misaligned dword. */
	{
		uint32_t v = 0x1234;

		assert_true(pci_bus_mmio(c->bus, c->bar + 0x2002, &v, 4, true));
		assert_int_equal(entry_read(c, 0, 0), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_masking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_table_accesses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
