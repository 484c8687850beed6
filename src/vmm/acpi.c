/* SPDX-License-Identifier: MIT */
#include "vmm/acpi.h"

#include <errno.h>
#include <string.h>

#include "vmm/aml.h"
#include "vmm/pci.h"
#include "common/le.h"

#define ACPI_HDR_LEN 36
#define FADT_LEN 276            /* revision 6 */
#define FACS_LEN 64
#define MCFG_LEN (ACPI_HDR_LEN + 8 + 16)       /* one allocation: bus 0 */

uint8_t acpi_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *b++);
	return sum;
}

static void acpi_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev,
			const char *table_id)
{
	char id[8];

	memset(t, 0, ACPI_HDR_LEN);
	memcpy(t, sig, 4);
	put_le32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memset(id, ' ', sizeof(id));
	memcpy(id, table_id, strnlen(table_id, sizeof(id)));
	memcpy(t + 16, id, 8);
	put_le32(t + 24, 1);               /* OEM revision */
	memcpy(t + 28, "AMZN", 4);      /* creator id */
	put_le32(t + 32, 1);
}

static void acpi_finish(uint8_t *t)
{
	uint32_t len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
		       (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = (uint8_t)(0 - acpi_checksum(t, len));
}

/* Generic Address Structure: system I/O space. */
static void gas_io(uint8_t *p, uint16_t port, uint8_t bits)
{
	p[0] = 1;               /* system I/O */
	p[1] = bits;
	p[2] = 0;
	p[3] = bits == 16 ? 2 : (bits == 32 ? 3 : 1);   /* access size */
	put_le64(p + 4, port);
}

int acpi_build_dsdt(const struct acpi_config *cfg, uint8_t **ret_buf, size_t *ret_len)
{
	struct aml a;
	uint8_t *t;

	aml_init(&a);
	aml_bytes(&a, (uint8_t[ACPI_HDR_LEN]){ 0 }, ACPI_HDR_LEN);

	aml_scope_open(&a, "\\_SB_");

	aml_device_open(&a, "PCI0");
	aml_name_decl(&a, "_HID");
	aml_eisaid(&a, "PNP0A03");
	aml_name_decl(&a, "_ADR");
	aml_integer(&a, 0);
	aml_name_decl(&a, "_UID");
	aml_integer(&a, 0);
	aml_name_decl(&a, "_SEG");
	aml_integer(&a, 0);
	aml_name_decl(&a, "_BBN");
	aml_integer(&a, 0);
	aml_name_decl(&a, "_CRS");
	aml_buffer_open(&a);
	/* With ECAM the bridge decodes what MCFG covers, bus 0 only (Linux
	 * notes "MMCONFIG ... only partially covers this bridge" otherwise). */
	aml_res_word_bus(&a, 0, cfg->ecam_base ? 0 : 0xff);
	aml_res_io(&a, 0xcf8, 8);
	aml_res_word_io(&a, 0x0000, 0x0cf7);
	aml_res_word_io(&a, 0x0d00, 0xffff);
	aml_res_dword_mem(&a, cfg->pci_mmio_base, cfg->pci_mmio_limit);
	if (cfg->pci_mmio64_base)
		aml_res_qword_mem(&a, cfg->pci_mmio64_base, cfg->pci_mmio64_limit);
	aml_res_end(&a);
	aml_close(&a);
	/* One Device per occupied slot: _ADR is (device << 16 | function),
	 * _SUN the slot number udev turns into "ens<N>". */
	for (unsigned int i = 0; i < cfg->n_pci_slots; i++) {
		char name[5];
		uint8_t slot = cfg->pci_slots[i];

		if (slot == 0 || slot >= 32)
			continue;
		snprintf(name, sizeof(name), "S%02X", slot);
		aml_device_open(&a, name);
		aml_name_decl(&a, "_ADR");
		aml_integer(&a, (uint64_t)slot << 16);
		aml_name_decl(&a, "_SUN");
		aml_integer(&a, slot);
		aml_close(&a);
	}
	aml_close(&a);          /* PCI0 */

	aml_device_open(&a, "COM1");
	aml_name_decl(&a, "_HID");
	aml_eisaid(&a, "PNP0501");
	aml_name_decl(&a, "_UID");
	aml_integer(&a, 1);
	aml_name_decl(&a, "_CRS");
	aml_buffer_open(&a);
	aml_res_io(&a, 0x3f8, 8);
	aml_res_irq_noflags(&a, 4);
	aml_res_end(&a);
	aml_close(&a);          /* _CRS buffer */
	aml_close(&a);          /* COM1 */

	/* The ECAM window as a motherboard resource: Linux uses MCFG's
	 * window only when it finds it reserved here (or in e820). */
	if (cfg->ecam_base) {
		aml_device_open(&a, "MRES");
		aml_name_decl(&a, "_HID");
		aml_eisaid(&a, "PNP0C02");
		aml_name_decl(&a, "_UID");
		aml_integer(&a, 0);
		aml_name_decl(&a, "_CRS");
		aml_buffer_open(&a);
		aml_res_mem32_fixed(&a, (uint32_t)cfg->ecam_base, PCI_ECAM_BUS_SIZE);
		aml_res_end(&a);
		aml_close(&a);  /* _CRS buffer */
		aml_close(&a);  /* MRES */
	}

	aml_close(&a);          /* \_SB */

	/* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved. */
	aml_name_decl(&a, "\\_S5_");
	aml_package_open(&a, 4);
	aml_integer(&a, ACPI_SLP_TYP_S5);
	aml_integer(&a, ACPI_SLP_TYP_S5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a);

	if (!a.err && a.depth != 0)
		a.err = -EINVAL;
	if (a.err) {
		int r = a.err;

		aml_free(&a);
		return r;
	}
	t = a.buf;
	acpi_header(t, "DSDT", (uint32_t)a.len, 2, "AMZNDSDT");
	acpi_finish(t);
	*ret_buf = t;
	*ret_len = a.len;
	return 0;
}

static size_t build_madt(const struct acpi_config *cfg, uint8_t *t)
{
	size_t len = ACPI_HDR_LEN + 8;

	put_le32(t + 36, cfg->lapic_addr);
	put_le32(t + 40, 1);       /* PCAT_COMPAT: there are 8259s too */
	for (unsigned int i = 0; i < cfg->cpus; i++) {
		uint8_t *e = t + len;

		e[0] = 0;       /* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;
		e[3] = (uint8_t)i;
		put_le32(e + 4, 1);        /* enabled */
		len += 8;
	}
	t[len + 0] = 1;         /* I/O APIC */
	t[len + 1] = 12;
	t[len + 2] = (uint8_t)cfg->cpus;        /* id after the CPUs' */
	t[len + 3] = 0;
	put_le32(t + len + 4, cfg->ioapic_addr);
	put_le32(t + len + 8, 0);
	len += 12;
	/* No IRQ0 -> GSI 2 override: KVM's default routing (which we keep)
	 * sends the in-kernel PIT to IOAPIC pin 0, not 2 as on real PCs. The
	 * SCI is level, active high. */
	t[len + 0] = 2;
	t[len + 1] = 10;
	t[len + 2] = 0;
	t[len + 3] = ACPI_SCI_IRQ;
	put_le32(t + len + 4, ACPI_SCI_IRQ);
	put_le16(t + len + 8, 0x000d);
	len += 10;
	t[len + 0] = 4;         /* local APIC NMI on LINT1 of every CPU */
	t[len + 1] = 6;
	t[len + 2] = 0xff;
	put_le16(t + len + 3, 0);
	t[len + 5] = 1;
	len += 6;
	acpi_header(t, "APIC", (uint32_t)len, 4, "AMZNAPIC");
	acpi_finish(t);
	return len;
}

static void build_fadt(uint8_t *t, uint64_t facs_gpa, uint64_t dsdt_gpa)
{
	memset(t, 0, FADT_LEN);
	put_le32(t + 36, (uint32_t)facs_gpa);
	put_le32(t + 40, (uint32_t)dsdt_gpa);
	t[45] = 4;                              /* preferred profile: enterprise server */
	put_le16(t + 46, ACPI_SCI_IRQ);
	put_le32(t + 48, 0);                       /* no SMI_CMD: always in ACPI mode */
	put_le32(t + 56, ACPI_PM1A_EVT_PORT);
	put_le32(t + 64, ACPI_PM1A_CNT_PORT);
	t[88] = 4;                              /* PM1_EVT_LEN */
	t[89] = 2;                              /* PM1_CNT_LEN */
	put_le16(t + 96, 101);                     /* C2 not supported */
	put_le16(t + 98, 1001);                    /* C3 not supported */
	/* IAPC_BOOT_ARCH: no VGA, no CMOS RTC, no 8042: the kernel skips
	 * probing what is not there. */
	put_le16(t + 109, 1u << 2 | 1u << 5);
	/* Flags: WBINVD, PROC_C1, power and sleep buttons absent. */
	put_le32(t + 112, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5);
	t[131] = 0;                             /* FADT minor version */
	put_le64(t + 132, facs_gpa);
	put_le64(t + 140, dsdt_gpa);
	gas_io(t + 148, ACPI_PM1A_EVT_PORT, 32);
	gas_io(t + 172, ACPI_PM1A_CNT_PORT, 16);
	acpi_header(t, "FACP", FADT_LEN, 6, "AMZNFACP");
	acpi_finish(t);
}

/* MCFG (PCI Firmware spec 3.2, 4.1.2): one allocation, segment 0, bus 0. */
static void build_mcfg(uint8_t *t, uint64_t ecam_base)
{
	uint8_t *e = t + ACPI_HDR_LEN + 8;

	memset(t, 0, MCFG_LEN);
	put_le64(e, ecam_base);
	put_le16(e + 8, 0);        /* segment */
	e[10] = 0;              /* start bus */
	e[11] = 0;              /* end bus */
	acpi_header(t, "MCFG", MCFG_LEN, 1, "AMZNMCFG");
	acpi_finish(t);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int acpi_build(const struct acpi_config *cfg, uint8_t *buf, size_t size, size_t *ret_len)
{
	_cleanup_free_ uint8_t *dsdt = NULL;
	size_t dsdt_len, off, rsdp_off, xsdt_off, fadt_off, facs_off, madt_off, mcfg_off, dsdt_off;
	size_t madt_max, n_xsdt = cfg->ecam_base ? 3 : 2;
	uint8_t *r;
	int rc;

	if (cfg->cpus == 0 || cfg->cpus > 254 || cfg->n_pci_slots > ACPI_MAX_SLOTS)
		return -EINVAL;
	/* The window must be aligned and below 4 GiB (Memory32Fixed). */
	if ((cfg->ecam_base & (PCI_ECAM_BUS_SIZE - 1)) ||
	    cfg->ecam_base + PCI_ECAM_BUS_SIZE > (1ull << 32))
		return -EINVAL;
	rc = acpi_build_dsdt(cfg, &dsdt, &dsdt_len);
	if (rc < 0)
		return rc;

	madt_max = ACPI_HDR_LEN + 8 + 8 * cfg->cpus + 12 + 10 + 6;
	rsdp_off = 0;
	xsdt_off = align_up(rsdp_off + 36, 16);
	fadt_off = align_up(xsdt_off + ACPI_HDR_LEN + n_xsdt * 8, 16);
	facs_off = align_up(fadt_off + FADT_LEN, 64);
	madt_off = align_up(facs_off + FACS_LEN, 16);
	mcfg_off = align_up(madt_off + madt_max, 16);
	dsdt_off = align_up(mcfg_off + (cfg->ecam_base ? MCFG_LEN : 0), 16);
	off = dsdt_off + dsdt_len;
	if (off > size)
		return -ENOSPC;
	memset(buf, 0, off);

	/* FACS: no checksum, no header beyond signature and length. */
	memcpy(buf + facs_off, "FACS", 4);
	put_le32(buf + facs_off + 4, FACS_LEN);
	buf[facs_off + 32] = 2;                 /* version */

	build_fadt(buf + fadt_off, cfg->base_gpa + facs_off, cfg->base_gpa + dsdt_off);
	build_madt(cfg, buf + madt_off);
	if (cfg->ecam_base)
		build_mcfg(buf + mcfg_off, cfg->ecam_base);
	memcpy(buf + dsdt_off, dsdt, dsdt_len);

	acpi_header(buf + xsdt_off, "XSDT", (uint32_t)(ACPI_HDR_LEN + n_xsdt * 8), 1, "AMZNFACP");
	put_le64(buf + xsdt_off + ACPI_HDR_LEN, cfg->base_gpa + fadt_off);
	put_le64(buf + xsdt_off + ACPI_HDR_LEN + 8, cfg->base_gpa + madt_off);
	if (cfg->ecam_base)
		put_le64(buf + xsdt_off + ACPI_HDR_LEN + 16, cfg->base_gpa + mcfg_off);
	acpi_finish(buf + xsdt_off);

	r = buf + rsdp_off;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, ACPI_OEM_ID, 6);
	r[15] = 2;                              /* ACPI 2.0+ */
	put_le32(r + 16, 0);                       /* no RSDT: XSDT only */
	put_le32(r + 20, 36);
	put_le64(r + 24, cfg->base_gpa + xsdt_off);
	r[8] = (uint8_t)(0 - acpi_checksum(r, 20));
	r[32] = (uint8_t)(0 - acpi_checksum(r, 36));

	*ret_len = off;
	return 0;
}
