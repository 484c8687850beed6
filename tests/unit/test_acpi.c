/* SPDX-License-Identifier: MIT */
/* ACPI tables and the AML builder, validated by checksums and by acpica's
 * own disassembler (iasl -d). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>

#include "common/util.h"
#include "vmm/acpi.h"
#include "vmm/aml.h"

#define BASE 0xe0000

static uint64_t rd(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static struct acpi_config test_config(void)
{
	struct acpi_config c = {
		.cpus = 4,
		.base_gpa = BASE,
		.ioapic_addr = 0xfec00000,
		.lapic_addr = 0xfee00000,
		.pci_mmio_base = 0xc0000000,
		.pci_mmio_limit = 0xdfffffff,
		.pci_slots = { 4, 5 },
		.n_pci_slots = 2,
		.ecam_base = 0xe0000000,
	};

	return c;
}

/* The table at guest address gpa inside buf, after checking its length. */
static const uint8_t *table_at(const uint8_t *buf, size_t len, uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	assert_true(gpa >= BASE && gpa - BASE + 36 <= len);
	t = buf + (gpa - BASE);
	assert_memory_equal(t, sig, 4);
	assert_true(gpa - BASE + rd(t + 4, 4) <= len);
	return t;
}

static void test_layout_and_checksums(void **state)
{
	struct acpi_config c = test_config();
	static uint8_t buf[65536];
	const uint8_t *xsdt, *fadt, *madt, *dsdt, *facs, *mcfg;
	size_t len;

	assert_int_equal(acpi_build(&c, buf, sizeof(buf), &len), 0);
	/* RSDP: both checksums, revision 2, XSDT only. */
	assert_memory_equal(buf, "RSD PTR ", 8);
	assert_int_equal(acpi_checksum(buf, 20), 0);
	assert_int_equal(acpi_checksum(buf, 36), 0);
	assert_memory_equal(buf + 9, "AMAZON", 6);
	assert_int_equal(buf[15], 2);
	xsdt = table_at(buf, len, rd(buf + 24, 8), "XSDT");
	assert_int_equal(acpi_checksum(xsdt, rd(xsdt + 4, 4)), 0);
	assert_int_equal(rd(xsdt + 4, 4), 36 + 24);
	fadt = table_at(buf, len, rd(xsdt + 36, 8), "FACP");
	madt = table_at(buf, len, rd(xsdt + 44, 8), "APIC");
	/* MCFG: one allocation, the ECAM of segment 0, bus 0 only. */
	mcfg = table_at(buf, len, rd(xsdt + 52, 8), "MCFG");
	assert_int_equal(acpi_checksum(mcfg, rd(mcfg + 4, 4)), 0);
	assert_int_equal(rd(mcfg + 4, 4), 36 + 8 + 16);
	assert_int_equal(mcfg[8], 1);
	assert_memory_equal(mcfg + 10, "AMAZON", 6);
	assert_int_equal(rd(mcfg + 44, 8), 0xe0000000);
	assert_int_equal(rd(mcfg + 52, 2), 0);
	assert_int_equal(mcfg[54], 0);
	assert_int_equal(mcfg[55], 0);
	assert_int_equal(acpi_checksum(fadt, rd(fadt + 4, 4)), 0);
	assert_int_equal(acpi_checksum(madt, rd(madt + 4, 4)), 0);
	/* Every table says AMAZON. */
	assert_memory_equal(fadt + 10, "AMAZON", 6);
	assert_memory_equal(madt + 10, "AMAZON", 6);
	/* FADT: DSDT and FACS both ways, PM1a blocks, SCI 9. */
	dsdt = table_at(buf, len, rd(fadt + 40, 4), "DSDT");
	assert_int_equal(rd(fadt + 140, 8), rd(fadt + 40, 4));
	assert_int_equal(acpi_checksum(dsdt, rd(dsdt + 4, 4)), 0);
	facs = table_at(buf, len, rd(fadt + 36, 4), "FACS");
	assert_int_equal((rd(fadt + 36, 4)) % 64, 0);
	assert_int_equal(rd(facs + 4, 4), 64);
	assert_int_equal(rd(fadt + 46, 2), ACPI_SCI_IRQ);
	assert_int_equal(rd(fadt + 56, 4), ACPI_PM1A_EVT_PORT);
	assert_int_equal(rd(fadt + 64, 4), ACPI_PM1A_CNT_PORT);
	assert_int_equal(rd(fadt + 148 + 4, 8), ACPI_PM1A_EVT_PORT);
	assert_int_equal(rd(fadt + 172 + 4, 8), ACPI_PM1A_CNT_PORT);
	/* MADT: one enabled local APIC per vCPU, then the IOAPIC. */
	for (unsigned int i = 0; i < c.cpus; i++) {
		const uint8_t *e = madt + 44 + 8 * i;

		assert_int_equal(e[0], 0);
		assert_int_equal(e[3], i);
		assert_int_equal(rd(e + 4, 4) & 1, 1);
	}
	assert_int_equal(madt[44 + 8 * c.cpus], 1);
	assert_int_equal(rd(madt + 44 + 8 * c.cpus + 4, 4), 0xfec00000);

	assert_int_equal(acpi_build(&c, buf, 200, &len), -ENOSPC);
	/* Without ECAM: no MCFG, two XSDT entries. */
	c.ecam_base = 0;
	assert_int_equal(acpi_build(&c, buf, sizeof(buf), &len), 0);
	xsdt = table_at(buf, len, rd(buf + 24, 8), "XSDT");
	assert_int_equal(rd(xsdt + 4, 4), 36 + 16);
	assert_int_equal(acpi_checksum(xsdt, rd(xsdt + 4, 4)), 0);
	/* A window Linux could not map: misaligned, or above 4 GiB. */
	c.ecam_base = 0xe0080000;
	assert_int_equal(acpi_build(&c, buf, sizeof(buf), &len), -EINVAL);
	c.ecam_base = 0x100000000ull;
	assert_int_equal(acpi_build(&c, buf, sizeof(buf), &len), -EINVAL);
	c.ecam_base = 0xe0000000;
	c.cpus = 0;
	assert_int_equal(acpi_build(&c, buf, sizeof(buf), &len), -EINVAL);
}

static void test_aml_encoding(void **state)
{
	struct aml a;
	const uint8_t name_int[] = { 0x08, '_', 'S', 'U', 'N', 0x0a, 0x05 };
	const uint8_t dual[] = { '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0' };

	aml_init(&a);
	aml_name_decl(&a, "_SUN");
	aml_integer(&a, 5);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(name_int));
	assert_memory_equal(a.buf, name_int, sizeof(name_int));
	aml_free(&a);

	aml_name(&a, "\\_SB.PCI0");
	assert_int_equal(a.err, 0);
	assert_int_equal(a.len, sizeof(dual));
	assert_memory_equal(a.buf, dual, sizeof(dual));
	aml_free(&a);

	/* Integers take the smallest encoding. */
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x123456789aull);
	assert_int_equal(a.len, 1 + 1 + 3 + 5 + 9);
	assert_int_equal(a.buf[2], 0x0b);
	assert_int_equal(a.buf[5], 0x0c);
	assert_int_equal(a.buf[10], 0x0e);
	aml_free(&a);

	/* A package long enough to need a two-byte PkgLength. */
	aml_package_open(&a, 40);
	for (int i = 0; i < 40; i++)
		aml_integer(&a, 0x100 + (unsigned int)i);
	aml_close(&a);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.buf[0], 0x12);
	/* body = NumElements (1) + 40 WordConsts (3 each) = 121; + 2 = 123 */
	assert_int_equal(a.buf[1] >> 6, 1);
	assert_int_equal((a.buf[1] & 0x0f) | a.buf[2] << 4, 123);
	assert_int_equal(a.len, 1 + 123);
	aml_free(&a);

	/* Bad names and unbalanced closes are sticky errors. */
	aml_name(&a, "toolong");
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
	aml_close(&a);
	assert_int_equal(a.err, -EINVAL);
	aml_free(&a);
}

static bool have_iasl(void)
{
	return system("command -v iasl >/dev/null 2>&1") == 0;
}

/* Disassembles one table with iasl -d; returns the .dsl text. */
static char *iasl_disassemble(const char *dir, const char *name, const uint8_t *t, size_t len)
{
	_cleanup_free_ char *dat = strdup_printf("%s/%s.dat", dir, name);
	_cleanup_free_ char *dsl = strdup_printf("%s/%s.dsl", dir, name);
	_cleanup_free_ char *cmd = strdup_printf("cd %s && iasl -d %s.dat >iasl.log 2>&1", dir, name);
	FILE *f;
	char *text = NULL;
	size_t n;

	f = fopen(dat, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(t, 1, len, f), len);
	fclose(f);
	if (system(cmd) != 0) {
		_cleanup_free_ char *log = strdup_printf("%s/iasl.log", dir);
		char *msg = NULL;

		read_file_full(log, 1 << 20, &msg, &n);
		print_error("iasl -d %s failed:\n%s\n", name, msg ? msg : "");
		free(msg);
		fail();
	}
	assert_int_equal(read_file_full(dsl, 1 << 20, &text, &n), 0);
	/* iasl flags bad checksums and lengths in comments. */
	assert_null(strstr(text, "Incorrect checksum"));
	assert_null(strstr(text, "Invalid"));
	return text;
}

static void test_iasl(void **state)
{
	struct acpi_config c = test_config();
	static uint8_t buf[65536];
	char dir[] = "/tmp/nc-acpi-XXXXXX";
	_cleanup_free_ char *dsdt = NULL, *fadt = NULL, *madt = NULL, *xsdt = NULL;
	_cleanup_free_ char *mcfg = NULL;
	_cleanup_free_ char *rm = NULL;
	const uint8_t *x, *t;
	size_t len;

	if (!have_iasl()) {
		print_message("skipping: iasl not installed (apt-get install acpica-tools)\n");
		skip();
	}
	assert_int_equal(acpi_build(&c, buf, sizeof(buf), &len), 0);
	assert_non_null(mkdtemp(dir));
	rm = strdup_printf("rm -rf %s", dir);

	x = buf + (rd(buf + 24, 8) - BASE);
	xsdt = iasl_disassemble(dir, "xsdt", x, rd(x + 4, 4));
	assert_non_null(strstr(xsdt, "Oem ID : \"AMAZON\""));

	t = buf + (rd(x + 36, 8) - BASE);
	fadt = iasl_disassemble(dir, "facp", t, rd(t + 4, 4));
	assert_non_null(strstr(fadt, "PM1A Event Block Address : 00000600"));
	assert_non_null(strstr(fadt, "PM1A Control Block Address : 00000604"));
	assert_non_null(strstr(fadt, "SCI Interrupt : 0009"));
	assert_non_null(strstr(fadt, "CMOS RTC Not Present (V5) : 1"));

	t = buf + (rd(x + 44, 8) - BASE);
	madt = iasl_disassemble(dir, "apic", t, rd(t + 4, 4));
	assert_non_null(strstr(madt, "Local Apic ID : 03"));
	assert_non_null(strstr(madt, "Address : FEC00000"));
	assert_non_null(strstr(madt, "Interrupt Source Override"));

	t = buf + (rd(x + 52, 8) - BASE);
	mcfg = iasl_disassemble(dir, "mcfg", t, rd(t + 4, 4));
	assert_non_null(strstr(mcfg, "Signature : \"MCFG\""));
	assert_non_null(strstr(mcfg, "Table Length : 0000003C"));
	assert_non_null(strstr(mcfg, "Base Address : 00000000E0000000"));
	assert_non_null(strstr(mcfg, "Segment Group Number : 0000"));
	assert_non_null(strstr(mcfg, "Start Bus Number : 00"));
	assert_non_null(strstr(mcfg, "End Bus Number : 00"));

	t = buf + (rd(buf + (rd(x + 36, 8) - BASE) + 40, 4) - BASE);
	dsdt = iasl_disassemble(dir, "dsdt", t, rd(t + 4, 4));
	assert_non_null(strstr(dsdt, "DefinitionBlock (\"\", \"DSDT\", 2, \"AMAZON\""));
	assert_non_null(strstr(dsdt, "Device (PCI0)"));
	assert_non_null(strstr(dsdt, "EisaId (\"PNP0A03\")"));
	assert_non_null(strstr(dsdt, "0xDFFFFFFF,         // Range Maximum"));
	/* The bridge's bus range is what MCFG covers: bus 0. */
	assert_non_null(strstr(dsdt, "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,\n"
				     "                    0x0000,             // Granularity\n"
				     "                    0x0000,             // Range Minimum\n"
				     "                    0x0000,             // Range Maximum"));
	assert_non_null(strstr(dsdt, "Device (S05)"));
	assert_non_null(strstr(dsdt, "Name (_ADR, 0x00050000)"));
	assert_non_null(strstr(dsdt, "Name (_SUN, 0x05)"));
	assert_non_null(strstr(dsdt, "Name (_SUN, 0x04)"));
	assert_non_null(strstr(dsdt, "EisaId (\"PNP0501\")"));
	assert_non_null(strstr(dsdt, "IRQNoFlags ()\n                    {4}"));
	assert_non_null(strstr(dsdt, "Name (\\_S5, Package (0x04)"));
	/* The ECAM window as a motherboard resource, outside PCI0's window. */
	assert_non_null(strstr(dsdt, "EisaId (\"PNP0C02\")"));
	assert_non_null(strstr(dsdt, "Memory32Fixed (ReadWrite,\n"
				     "                    0xE0000000,         // Address Base\n"
				     "                    0x00100000,         // Address Length"));
	assert_int_equal(system(rm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_checksums),
		cmocka_unit_test(test_aml_encoding),
		cmocka_unit_test(test_iasl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
