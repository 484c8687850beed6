/* SPDX-License-Identifier: MIT */
#include "vmm/mptable.h"

#include <errno.h>
#include <string.h>

#include "common/le.h"

#define MPF_LEN 16
#define MPC_HDR_LEN 44
#define MPC_CPU_LEN 20
#define MPC_ENTRY_LEN 8         /* bus, IOAPIC, interrupt entries */
#define MP_SPEC_REV 4           /* 1.4 */
#define MP_LAPIC_VERSION 0x14   /* what KVM's LAPIC version register says */
#define MP_IOAPIC_VERSION 0x11  /* and its IOAPIC's */
#define ISA_IRQS 16
#define ISA_IRQ_CASCADE 2       /* the 8259 cascade: no IOAPIC pin of its own */

enum { MPC_CPU = 0, MPC_BUS = 1, MPC_IOAPIC = 2, MPC_INTSRC = 3, MPC_LINTSRC = 4 };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)(0 - sum);
}

size_t mptable_size(unsigned int cpus)
{
	/* 2 buses, 1 IOAPIC, 15 ISA IRQs, 2 local interrupts. */
	return MPF_LEN + MPC_HDR_LEN + (size_t)cpus * MPC_CPU_LEN +
	       (2 + 1 + (ISA_IRQS - 1) + 2) * MPC_ENTRY_LEN;
}

static uint8_t *entry_bus(uint8_t *e, uint8_t id, const char *type)
{
	e[0] = MPC_BUS;
	e[1] = id;
	memset(e + 2, ' ', 6);
	memcpy(e + 2, type, strlen(type));
	return e + MPC_ENTRY_LEN;
}

/* Interrupt source entry; flags 0: conforms to the bus (ISA: edge, high). */
static uint8_t *entry_irq(uint8_t *e, uint8_t kind, uint8_t irqtype, uint8_t src_bus,
			  uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin)
{
	e[0] = kind;
	e[1] = irqtype;
	put_le16(e + 2, 0);
	e[4] = src_bus;
	e[5] = src_irq;
	e[6] = dst_id;
	e[7] = dst_pin;
	return e + MPC_ENTRY_LEN;
}

int mptable_build(const struct mptable_config *cfg, uint8_t *buf, size_t size, size_t *ret_len)
{
	size_t len = mptable_size(cfg->cpus);
	uint8_t *mpf = buf, *mpc = buf + MPF_LEN, *e;
	uint16_t n_entries = 0;

	if (cfg->cpus == 0 || cfg->cpus > MPTABLE_MAX_CPUS || (cfg->base_gpa & 15) ||
	    cfg->base_gpa + len > 0x100000 || cfg->ioapic_id < cfg->cpus)
		return -EINVAL;
	if (size < len)
		return -ENOSPC;
	memset(buf, 0, len);

	e = mpc + MPC_HDR_LEN;
	for (unsigned int i = 0; i < cfg->cpus; i++) {
		e[0] = MPC_CPU;
		e[1] = (uint8_t)i;                      /* LAPIC id */
		e[2] = MP_LAPIC_VERSION;
		e[3] = (uint8_t)(0x01 | (i == 0 ? 0x02 : 0));  /* enabled, BSP */
		put_le32(e + 4, cfg->cpu_signature);
		put_le32(e + 8, cfg->cpu_features);
		e += MPC_CPU_LEN;
		n_entries++;
	}
	e = entry_bus(e, MPTABLE_BUS_PCI, "PCI");
	e = entry_bus(e, MPTABLE_BUS_ISA, "ISA");
	n_entries += 2;

	e[0] = MPC_IOAPIC;
	e[1] = cfg->ioapic_id;
	e[2] = MP_IOAPIC_VERSION;
	e[3] = 0x01;                                    /* enabled */
	put_le32(e + 4, cfg->ioapic_addr);
	e += MPC_ENTRY_LEN;
	n_entries++;

	/* ISA IRQ n on IOAPIC pin n: KVM's default GSI routing, which the MADT
	 * states too (no IRQ 0 -> pin 2 override). */
	for (uint8_t irq = 0; irq < ISA_IRQS; irq++) {
		if (irq == ISA_IRQ_CASCADE)
			continue;
		e = entry_irq(e, MPC_INTSRC, MP_INT, MPTABLE_BUS_ISA, irq, cfg->ioapic_id, irq);
		n_entries++;
	}
	/* Every LAPIC: LINT0 takes the 8259 (ExtINT), LINT1 the NMI. */
	e = entry_irq(e, MPC_LINTSRC, MP_EXTINT, MPTABLE_BUS_ISA, 0, 0xff, 0);
	e = entry_irq(e, MPC_LINTSRC, MP_NMI, MPTABLE_BUS_ISA, 0, 0xff, 1);
	n_entries += 2;

	memcpy(mpc, "PCMP", 4);
	put_le16(mpc + 4, (uint16_t)(e - mpc));
	mpc[6] = MP_SPEC_REV;
	memcpy(mpc + 8, "AMAZON  ", 8);
	memcpy(mpc + 16, "EC2 NITRO   ", 12);
	put_le16(mpc + 34, n_entries);
	put_le32(mpc + 36, cfg->lapic_addr);
	mpc[7] = checksum(mpc, (size_t)(e - mpc));

	memcpy(mpf, "_MP_", 4);
	put_le32(mpf + 4, (uint32_t)(cfg->base_gpa + MPF_LEN));
	mpf[8] = 1;                                     /* length in 16-byte units */
	mpf[9] = MP_SPEC_REV;
	/* feature1 0: the configuration table is there; feature2 0: virtual
	 * wire mode, no IMCR. */
	mpf[10] = checksum(mpf, MPF_LEN);

	*ret_len = (size_t)(e - buf);
	return 0;
}
