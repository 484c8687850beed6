/* SPDX-License-Identifier: MIT */
/* The MP table (Intel MP spec 1.4) parsed back as Linux's mpparse reads it,
 * and its place in the F-segment beside SMBIOS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "common/util.h"
#include "vmm/mptable.h"
#include "vmm/smbios.h"
#include "vmm/vmm.h"

static uint32_t rd(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* What the parse found. */
struct mp_parsed {
	unsigned int cpus, bsp_count, buses, ioapics, irqs, lints;
	uint8_t cpu_ids[256];
	uint8_t bsp_id;
	uint32_t cpu_signature;
	uint8_t isa_bus, pci_bus;
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
	int irq_pin[16];                /* IOAPIC pin of ISA IRQ n, -1 none */
	int lint_extint, lint_nmi;      /* LINT pin, -1 none */
	uint32_t lapic_addr;
};

/* Finds "_MP_" on a 16-byte boundary in [base, base+len) of a memory image
 * that starts at guest address mem_gpa, as Linux's smp_scan_config does;
 * returns its offset in mem or -1. */
static long mp_scan(const uint8_t *mem, uint64_t mem_gpa, uint64_t base, size_t len)
{
	for (uint64_t a = base; a + 16 <= base + len; a += 16) {
		const uint8_t *p = mem + (a - mem_gpa);

		if (!memcmp(p, "_MP_", 4) && p[8] == 1 && sum(p, 16) == 0 &&
		    (p[9] == 1 || p[9] == 4))
			return (long)(a - mem_gpa);
	}
	return -1;
}

/* Checks and walks the configuration table at guest address gpa. */
static void mp_parse(const uint8_t *mem, uint64_t mem_gpa, uint64_t gpa, size_t mem_len,
		     struct mp_parsed *ret)
{
	const uint8_t *mpc, *e, *end;
	unsigned int count;

	memset(ret, 0, sizeof(*ret));
	for (int i = 0; i < 16; i++)
		ret->irq_pin[i] = -1;
	ret->lint_extint = ret->lint_nmi = -1;
	ret->isa_bus = ret->pci_bus = 0xff;
	assert_true(gpa >= mem_gpa && gpa - mem_gpa + 44 <= mem_len);
	mpc = mem + (gpa - mem_gpa);
	assert_memory_equal(mpc, "PCMP", 4);
	assert_int_equal(mpc[6], 4);
	assert_true(gpa - mem_gpa + rd(mpc + 4, 2) <= mem_len);
	assert_int_equal(sum(mpc, rd(mpc + 4, 2)), 0);
	assert_int_equal(rd(mpc + 40, 2), 0);           /* no extended table */
	ret->lapic_addr = rd(mpc + 36, 4);
	count = rd(mpc + 34, 2);
	e = mpc + 44;
	end = mpc + rd(mpc + 4, 2);
	for (unsigned int i = 0; i < count; i++) {
		assert_true(e < end);
		switch (e[0]) {
		case 0:
			assert_true(e + 20 <= end);
			assert_true(e[3] & 1);
			ret->cpu_ids[ret->cpus++] = e[1];
			if (e[3] & 2) {
				ret->bsp_count++;
				ret->bsp_id = e[1];
			}
			ret->cpu_signature = rd(e + 4, 4);
			e += 20;
			continue;
		case 1:
			if (!memcmp(e + 2, "ISA   ", 6))
				ret->isa_bus = e[1];
			if (!memcmp(e + 2, "PCI   ", 6))
				ret->pci_bus = e[1];
			ret->buses++;
			break;
		case 2:
			assert_true(e[3] & 1);
			ret->ioapic_id = e[1];
			ret->ioapic_addr = rd(e + 4, 4);
			ret->ioapics++;
			break;
		case 3:
			assert_int_equal(e[1], 0);              /* vectored interrupt */
			assert_int_equal(e[4], ret->isa_bus);
			assert_int_equal(e[6], ret->ioapic_id);
			assert_true(e[5] < 16);
			assert_int_equal(ret->irq_pin[e[5]], -1);      /* listed once */
			ret->irq_pin[e[5]] = e[7];
			ret->irqs++;
			break;
		case 4:
			assert_int_equal(e[6], 0xff);           /* every LAPIC */
			if (e[1] == 3)
				ret->lint_extint = e[7];
			if (e[1] == 1)
				ret->lint_nmi = e[7];
			ret->lints++;
			break;
		default:
			fail_msg("unknown MP entry type %u", e[0]);
		}
		e += 8;
	}
	assert_true(e == end);
}

static struct mptable_config test_config(unsigned int cpus)
{
	struct mptable_config c = {
		.cpus = cpus,
		.base_gpa = VMM_MPTABLE_GPA,
		.lapic_addr = VMM_LAPIC_ADDR,
		.ioapic_addr = VMM_IOAPIC_ADDR,
		.ioapic_id = (uint8_t)cpus,
		.cpu_signature = 0x50654,
		.cpu_features = 0x178bfbff,
	};

	return c;
}

static void test_parse_back(void **state)
{
	static const unsigned int counts[] = { 1, 2, 4, 64 };

	for (unsigned int k = 0; k < ARRAY_SIZE(counts); k++) {
		struct mptable_config c = test_config(counts[k]);
		static uint8_t seg[0x8000];
		struct mp_parsed mp;
		size_t len;
		long at;

		memset(seg, 0xcc, sizeof(seg));
		assert_int_equal(mptable_build(&c, seg, sizeof(seg), &len), 0);
		assert_int_equal(len, mptable_size(c.cpus));
		/* Nothing written past what it said it used. */
		assert_int_equal(seg[len], 0xcc);
		at = mp_scan(seg, VMM_MPTABLE_GPA, VMM_MPTABLE_GPA, sizeof(seg));
		assert_int_equal(at, 0);
		assert_int_equal(seg[11], 0);                   /* a table, not a default config */
		mp_parse(seg, VMM_MPTABLE_GPA, rd(seg + 4, 4), sizeof(seg), &mp);

		/* One enabled processor per vCPU, ids 0..n-1, one BSP: 0. */
		assert_int_equal(mp.cpus, c.cpus);
		for (unsigned int i = 0; i < c.cpus; i++)
			assert_int_equal(mp.cpu_ids[i], i);
		assert_int_equal(mp.bsp_count, 1);
		assert_int_equal(mp.bsp_id, 0);
		assert_int_equal(mp.cpu_signature, 0x50654);
		assert_int_equal(mp.lapic_addr, VMM_LAPIC_ADDR);
		assert_int_equal(mp.buses, 2);
		assert_int_equal(mp.pci_bus, 0);
		assert_int_equal(mp.isa_bus, 1);
		assert_int_equal(mp.ioapics, 1);
		assert_int_equal(mp.ioapic_id, c.cpus);
		assert_int_equal(mp.ioapic_addr, VMM_IOAPIC_ADDR);
		/* ISA IRQs on their own pin (KVM's routing, as in the MADT), the
		 * cascade (2) not listed; COM1's IRQ 4 on pin 4. */
		assert_int_equal(mp.irqs, 15);
		for (int i = 0; i < 16; i++)
			assert_int_equal(mp.irq_pin[i], i == 2 ? -1 : i);
		assert_int_equal(mp.lints, 2);
		assert_int_equal(mp.lint_extint, 0);
		assert_int_equal(mp.lint_nmi, 1);
	}
}

static void test_bad_config(void **state)
{
	struct mptable_config c = test_config(2);
	uint8_t buf[4096];
	size_t len;

	assert_int_equal(mptable_build(&c, buf, mptable_size(2) - 1, &len), -ENOSPC);
	c.cpus = 0;
	assert_int_equal(mptable_build(&c, buf, sizeof(buf), &len), -EINVAL);
	c = test_config(2);
	c.base_gpa = VMM_MPTABLE_GPA + 8;               /* not 16-byte aligned */
	assert_int_equal(mptable_build(&c, buf, sizeof(buf), &len), -EINVAL);
	c = test_config(2);
	c.base_gpa = 0xfffc0;                           /* runs past 1 MiB */
	assert_int_equal(mptable_build(&c, buf, sizeof(buf), &len), -EINVAL);
	c = test_config(2);
	c.ioapic_id = 1;                                /* a CPU's LAPIC id */
	assert_int_equal(mptable_build(&c, buf, sizeof(buf), &len), -EINVAL);
}

/* The F-segment as the VMM fills it: SMBIOS in its lower half, the MP table
 * in its upper half, for the most vCPUs. Both anchors are found by a scan
 * and both still check out: neither overwrote the other. */
static void test_f_segment(void **state)
{
	static uint8_t fseg[0x10000];
	struct mptable_config c = test_config(VMM_MAX_CPUS);
	struct smbios_config sc = {
		.product = "m5.large",
		.cpus = VMM_MAX_CPUS,
		.mem_bytes = 1ull << 30,
		.table_gpa = VMM_SMBIOS_TABLE_GPA,
	};
	const uint64_t f = 0xf0000;
	struct mp_parsed mp;
	size_t sm_len, mp_len;
	long at, sm_at = -1;

	assert_true(VMM_SMBIOS_EP_GPA >= f && VMM_SMBIOS_EP_GPA + 31 <= VMM_SMBIOS_TABLE_GPA);
	assert_true(VMM_SMBIOS_TABLE_GPA + VMM_SMBIOS_MAX <= VMM_MPTABLE_GPA);
	assert_true(VMM_MPTABLE_GPA + VMM_MPTABLE_MAX <= f + sizeof(fseg));
	assert_true(VMM_ACPI_GPA + VMM_ACPI_MAX <= f);
	assert_true(mptable_size(VMM_MAX_CPUS) <= VMM_MPTABLE_MAX);

	assert_int_equal(smbios_build(&sc, fseg + (VMM_SMBIOS_EP_GPA - f),
				      fseg + (VMM_SMBIOS_TABLE_GPA - f), VMM_SMBIOS_MAX, &sm_len),
			 0);
	assert_int_equal(mptable_build(&c, fseg + (VMM_MPTABLE_GPA - f), VMM_MPTABLE_MAX, &mp_len),
			 0);
	at = mp_scan(fseg, f, f, sizeof(fseg));
	assert_int_equal(at, VMM_MPTABLE_GPA - f);
	mp_parse(fseg, f, rd(fseg + at + 4, 4), sizeof(fseg), &mp);
	assert_int_equal(mp.cpus, VMM_MAX_CPUS);
	for (size_t a = 0; a + 16 <= sizeof(fseg); a += 16)
		if (!memcmp(fseg + a, "_SM_", 4)) {
			sm_at = (long)a;
			break;
		}
	assert_int_equal(sm_at, VMM_SMBIOS_EP_GPA - f);
	assert_int_equal(sum(fseg + sm_at, 31), 0);
	assert_int_equal(rd(fseg + sm_at + 24, 4), VMM_SMBIOS_TABLE_GPA);
	assert_int_equal(rd(fseg + sm_at + 22, 2), sm_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_back),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_f_segment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
