/* SPDX-License-Identifier: MIT */
/*
 * Plays the Linux ena driver against the device model: probe (readless
 * register reads, reset handshake, admin queue, host attributes, device
 * attributes, AENQ configuration), open (link change event, keep-alive, IO
 * queue pairs), send, receive, and a hostile guest's malformed commands and
 * descriptors. No KVM: guest memory is a malloc'd buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/bus.h"
#include "vmm/dev/ena.h"
#include "vmm/net/backend.h"

#define GPA_BASE 0x100000ull
#define MEM_SIZE (4u << 20)

struct fake_backend {
	struct net_backend nb;
	net_backend_rx_fn rx;
	void *rx_opaque;
	uint8_t last[16384];
	size_t last_len;
	unsigned int frames;
};

struct drv {
	struct guest_mem mem;
	uint8_t *ram;
	uint64_t brk;
	struct dev_host host;
	struct ena_dev *dev;
	const struct pci_dev_desc *pci;
	struct fake_backend be;
	unsigned int msix[16];
	unsigned int events[VMM_EV__MAX];
	uint16_t readless_seq;
	uint64_t resp_gpa;
	/* admin queue, as ena_com keeps it */
	uint64_t aq, acq, aenq;
	uint16_t aq_tail, acq_head, cmd_id;
	uint8_t aq_phase, acq_phase;
};

static int fb_send(struct net_backend *nb, const void *frame, size_t len)
{
	struct fake_backend *fb = (struct fake_backend *)nb;

	assert_true(len <= sizeof(fb->last));
	memcpy(fb->last, frame, len);
	fb->last_len = len;
	fb->frames++;
	return 0;
}

static void fb_attach(struct net_backend *nb, net_backend_rx_fn rx, void *opaque)
{
	struct fake_backend *fb = (struct fake_backend *)nb;

	fb->rx = rx;
	fb->rx_opaque = opaque;
}

static const struct net_backend_ops fb_ops = { .send = fb_send, .attach = fb_attach };

static void host_msix(void *opaque, void *pci_dev, unsigned int vector)
{
	struct drv *d = opaque;

	assert_ptr_equal(pci_dev, (void *)0x5005);
	assert_true(vector < 16);
	d->msix[vector]++;
}

static void host_event(void *opaque, enum vmm_event ev, const char *detail)
{
	struct drv *d = opaque;

	d->events[ev]++;
}

static uint8_t *hva(struct drv *d, uint64_t gpa)
{
	return d->ram + (gpa - GPA_BASE);
}

static uint64_t galloc(struct drv *d, size_t len)
{
	uint64_t g = (d->brk + 4095) & ~4095ull;

	d->brk = g + len;
	assert_true(d->brk <= GPA_BASE + MEM_SIZE);
	memset(hva(d, g), 0, len);
	return g;
}

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t g32(const uint8_t *p) { return g16(p) | (uint32_t)g16(p + 2) << 16; }
static void p16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void p32(uint8_t *p, uint32_t v) { p16(p, (uint16_t)v); p16(p + 2, (uint16_t)(v >> 16)); }

static void wr(struct drv *d, uint32_t off, uint32_t v)
{
	d->pci->bars[0].write(d->pci->dev, off, &v, 4);
}

static uint32_t rd_direct(struct drv *d, uint32_t off)
{
	uint32_t v;

	d->pci->bars[0].read(d->pci->dev, off, &v, 4);
	return v;
}

/* ena_com_reg_bar_read32 in readless mode. */
static uint32_t rd(struct drv *d, uint32_t off)
{
	uint8_t *r = hva(d, d->resp_gpa);

	d->readless_seq++;
	p16(r, (uint16_t)(d->readless_seq + 0xdead));
	wr(d, ENA_REG_MMIO_REG_READ, off << 16 | d->readless_seq);
	assert_int_equal(g16(r), d->readless_seq);
	assert_int_equal(g16(r + 2), off);
	return g32(r + 4);
}

static void set_resp_addr(struct drv *d)
{
	wr(d, ENA_REG_MMIO_RESP_LO, (uint32_t)d->resp_gpa);
	wr(d, ENA_REG_MMIO_RESP_HI, (uint32_t)(d->resp_gpa >> 32));
}

/* Submit one admin command and return its completion (copied to comp). */
static uint8_t admin(struct drv *d, uint8_t *cmd, uint8_t *comp)
{
	uint8_t *slot = hva(d, d->aq + (d->aq_tail & 31) * 64);
	uint8_t *c = hva(d, d->acq + (d->acq_head & 31) * 64);
	uint16_t id = d->cmd_id++ & 0xfff;

	p16(cmd, id);
	cmd[3] = (uint8_t)((cmd[3] & ~1u) | d->aq_phase);
	memcpy(slot, cmd, 64);
	d->aq_tail++;
	if ((d->aq_tail & 31) == 0)
		d->aq_phase ^= 1;
	wr(d, ENA_REG_AQ_DB, d->aq_tail);

	assert_int_equal(c[3] & 1, d->acq_phase);
	assert_int_equal(g16(c) & 0xfff, id);
	assert_int_equal(g16(c + 6), d->aq_tail);
	memcpy(comp, c, 64);
	d->acq_head++;
	if ((d->acq_head & 31) == 0)
		d->acq_phase ^= 1;
	return c[2];
}

static uint8_t get_feature(struct drv *d, uint8_t feature, uint8_t version, uint8_t *comp)
{
	uint8_t cmd[64] = { 0 };

	cmd[2] = ENA_AQ_GET_FEATURE;
	cmd[17] = feature;
	cmd[18] = version;
	return admin(d, cmd, comp);
}

static uint8_t set_feature(struct drv *d, uint8_t feature, const uint8_t *data, size_t len)
{
	uint8_t cmd[64] = { 0 }, comp[64];

	cmd[2] = ENA_AQ_SET_FEATURE;
	cmd[17] = feature;
	memcpy(cmd + 20, data, len);
	return admin(d, cmd, comp);
}

static void put_addr(uint8_t *p, uint64_t a)
{
	p32(p, (uint32_t)a);
	p16(p + 4, (uint16_t)(a >> 32));
}

static uint8_t create_cq(struct drv *d, uint8_t words, uint16_t depth, uint32_t vector,
			 uint64_t ba, uint16_t *ret_idx, uint32_t *ret_unmask)
{
	uint8_t cmd[64] = { 0 }, comp[64];
	uint8_t st;

	cmd[2] = ENA_AQ_CREATE_CQ;
	cmd[4] = 0x20;
	cmd[5] = words;
	p16(cmd + 6, depth);
	p32(cmd + 8, vector);
	put_addr(cmd + 12, ba);
	st = admin(d, cmd, comp);
	if (st == 0) {
		*ret_idx = g16(comp + 8);
		assert_int_equal(g16(comp + 10), depth);
		*ret_unmask = g32(comp + 20);
	}
	return st;
}

static uint8_t create_sq(struct drv *d, uint8_t dir, uint8_t placement, uint16_t cq,
			 uint16_t depth, uint64_t ba, uint16_t *ret_idx, uint32_t *ret_db)
{
	uint8_t cmd[64] = { 0 }, comp[64];
	uint8_t st;

	cmd[2] = ENA_AQ_CREATE_SQ;
	cmd[4] = (uint8_t)(dir << 5);
	cmd[6] = placement;
	cmd[7] = 1;
	p16(cmd + 8, cq);
	p16(cmd + 10, depth);
	put_addr(cmd + 12, ba);
	st = admin(d, cmd, comp);
	if (st == 0) {
		*ret_idx = g16(comp + 8);
		*ret_db = g32(comp + 12);
	}
	return st;
}

static struct drv *drv_new(void)
{
	struct drv *d = calloc(1, sizeof(*d));
	struct ena_config cfg = {
		.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
		.mtu = 9001,
		.queue_pairs = 2,
		.keepalive_ms = -1,
	};

	assert_non_null(d);
	d->ram = calloc(1, MEM_SIZE);
	assert_non_null(d->ram);
	assert_int_equal(guest_mem_add_region(&d->mem, GPA_BASE, MEM_SIZE, d->ram), 0);
	d->brk = GPA_BASE;
	d->be.nb.ops = &fb_ops;
	cfg.backend = &d->be.nb;
	d->host = (struct dev_host){
		.mem = &d->mem, .msix_notify = host_msix, .event = host_event, .opaque = d,
	};
	assert_int_equal(ena_create(&cfg, &d->host, &d->dev), 0);
	d->pci = ena_pci_desc(d->dev);
	d->pci->attach(d->pci->dev, (void *)0x5005);
	return d;
}

static void drv_free(struct drv *d)
{
	ena_destroy(d->dev);
	free(d->ram);
	free(d);
}

/* ena_device_init + the admin part of ena_probe. */
static void probe(struct drv *d)
{
	uint8_t comp[64], data[44] = { 0 };
	uint32_t caps, sts, ctrl;

	d->resp_gpa = galloc(d, 64);
	set_resp_addr(d);

	/* ena_com_dev_reset */
	sts = rd(d, ENA_REG_DEV_STS);
	assert_true(sts & ENA_DEV_STS_READY);
	caps = rd(d, ENA_REG_CAPS);
	assert_int_not_equal((caps >> 1) & 0x1f, 0);
	wr(d, ENA_REG_DEV_CTL, ENA_DEV_CTL_RESET | 0u << 28);
	set_resp_addr(d);
	assert_true(rd(d, ENA_REG_DEV_STS) & ENA_DEV_STS_RESET_IN_PROGRESS);
	wr(d, ENA_REG_DEV_CTL, 0);
	assert_false(rd(d, ENA_REG_DEV_STS) & ENA_DEV_STS_RESET_IN_PROGRESS);
	assert_int_equal(d->events[VMM_EV_ENA_RESET], 1);

	/* ena_com_validate_version / get_dma_width */
	ctrl = rd(d, ENA_REG_CONTROLLER_VERSION) & 0xffffff;
	assert_true(ctrl >= 1);
	assert_int_equal((caps >> 8) & 0xff, 48);

	/* ena_com_admin_init */
	d->aq = galloc(d, 32 * 64);
	d->acq = galloc(d, 32 * 64);
	d->aenq = galloc(d, 16 * 64);
	d->aq_phase = d->acq_phase = 1;
	wr(d, ENA_REG_AQ_BASE_LO, (uint32_t)d->aq);
	wr(d, ENA_REG_AQ_BASE_HI, 0);
	wr(d, ENA_REG_ACQ_BASE_LO, (uint32_t)d->acq);
	wr(d, ENA_REG_ACQ_BASE_HI, 0);
	wr(d, ENA_REG_AQ_CAPS, 32 | 64 << 16);
	wr(d, ENA_REG_ACQ_CAPS, 32 | 64 << 16);
	wr(d, ENA_REG_AENQ_BASE_LO, (uint32_t)d->aenq);
	wr(d, ENA_REG_AENQ_BASE_HI, 0);
	wr(d, ENA_REG_AENQ_CAPS, 16 | 64 << 16);
	wr(d, ENA_REG_INTR_MASK, 1);   /* polling mode */

	/* ena_com_set_host_attributes */
	put_addr(data, galloc(d, 4096));
	assert_int_equal(set_feature(d, ENA_FEAT_HOST_ATTR_CONFIG, data, 20), ENA_AQ_SUCCESS);
	assert_int_equal(d->events[VMM_EV_ENA_PROBED], 0);

	/* ena_com_get_dev_attr_feat */
	assert_int_equal(get_feature(d, ENA_FEAT_DEVICE_ATTRIBUTES, 0, comp), ENA_AQ_SUCCESS);
	assert_memory_equal(comp + 32, ((uint8_t[]){ 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }), 6);
	assert_int_equal(g32(comp + 40), 9001);
	assert_int_equal(g32(comp + 24), 48);
	assert_true(g32(comp + 16) & 1u << ENA_FEAT_MAX_QUEUES_EXT);
	assert_true(g32(comp + 16) & 1u << ENA_FEAT_AENQ_CONFIG);
	assert_true(g32(comp + 16) & 1u << ENA_FEAT_STATELESS_OFFLOAD_CONFIG);
	assert_false(g32(comp + 16) & 1u << ENA_FEAT_LLQ);
	assert_false(g32(comp + 16) & 1u << ENA_FEAT_RSS_INDIRECTION_TABLE);
	assert_int_equal(d->events[VMM_EV_ENA_PROBED], 1);

	assert_int_equal(get_feature(d, ENA_FEAT_MAX_QUEUES_EXT, 1, comp), ENA_AQ_SUCCESS);
	assert_int_equal(comp[8], 1);            /* version */
	assert_int_equal(g32(comp + 12), 2);     /* max tx sq */
	assert_int_equal(g32(comp + 24), 2);     /* max rx cq */
	assert_int_equal(g32(comp + 28), 1024);  /* max tx sq depth */
	assert_true(g16(comp + 48) >= 2);        /* multi-descriptor TX */
	assert_int_equal(get_feature(d, ENA_FEAT_AENQ_CONFIG, 0, comp), ENA_AQ_SUCCESS);
	assert_int_equal(g32(comp + 8) & 0x1f, 0x1f);
	assert_int_equal(get_feature(d, ENA_FEAT_STATELESS_OFFLOAD_CONFIG, 0, comp), ENA_AQ_SUCCESS);
	assert_int_equal(get_feature(d, ENA_FEAT_HW_HINTS, 0, comp), ENA_AQ_SUCCESS);
	/* LLQ and RSS: "unsupported" makes the driver fall back. */
	assert_int_equal(get_feature(d, ENA_FEAT_LLQ, 0, comp), ENA_AQ_UNSUPPORTED_OPCODE);
	assert_int_equal(get_feature(d, ENA_FEAT_RSS_INDIRECTION_TABLE, 0, comp),
			 ENA_AQ_UNSUPPORTED_OPCODE);

	/* ena_com_set_aenq_config with every group */
	p32(data, 0);
	p32(data + 4, 0x1f);
	assert_int_equal(set_feature(d, ENA_FEAT_AENQ_CONFIG, data, 8), ENA_AQ_SUCCESS);
	/* Nothing is posted before the driver enables the AENQ. */
	assert_int_equal(hva(d, d->aenq)[4], 0);
}

static void test_pci_identity(void **state)
{
	struct drv *d = drv_new();

	assert_int_equal(d->pci->vendor_id, 0x1d0f);
	assert_int_equal(d->pci->device_id, 0xec20);
	assert_int_equal(d->pci->class_code, 0x020000);
	assert_int_equal(d->pci->slot, 5);
	assert_int_equal(d->pci->revision & 1, 0);   /* readless reads on */
	assert_int_equal(d->pci->msix_vectors, 3);
	assert_int_equal(d->pci->bars[0].size, 0x4000);
	assert_true(d->pci->msix_table_offset + 16 * 3 <= d->pci->msix_pba_offset);
	assert_true(d->pci->msix_pba_offset < d->pci->bars[0].size);
	/* Offsets the Linux driver hard-codes (ena_regs_defs.h). */
	assert_int_equal(ENA_REG_AQ_DB, 0x2c);
	assert_int_equal(ENA_REG_AENQ_HEAD_DB, 0x40);
	assert_int_equal(ENA_REG_DEV_STS, 0x58);
	assert_int_equal(ENA_REG_MMIO_REG_READ, 0x5c);
	/* Plain reads work too (revision bit 0 set would select them). */
	assert_int_equal(rd_direct(d, ENA_REG_CAPS) >> 8 & 0xff, 48);
	drv_free(d);
}

static void test_probe(void **state)
{
	struct drv *d = drv_new();

	probe(d);
	drv_free(d);
}

struct io {
	uint16_t tx_cq, rx_cq, tx_sq, rx_sq;
	uint32_t tx_unmask, rx_unmask, tx_db, rx_db;
	uint64_t tx_ring, rx_ring, tx_cring, rx_cring;
	uint16_t tx_tail, rx_tail;
};

/* ena_up: MSI-X on, AENQ enabled, one queue pair created. */
static void open_dev(struct drv *d, struct io *io)
{
	uint8_t *e;
	unsigned int before;

	wr(d, ENA_REG_INTR_MASK, 0);
	before = d->msix[0];
	wr(d, ENA_REG_AENQ_HEAD_DB, 16);   /* ena_com_admin_aenq_enable */
	e = hva(d, d->aenq);
	assert_int_equal(e[4] & 1, 1);                /* phase */
	assert_int_equal(g16(e), ENA_AENQ_LINK_CHANGE);
	assert_int_equal(g32(e + 16) & 1, 1);         /* link up */
	assert_int_equal(d->msix[0], before + 1);
	assert_int_equal(d->events[VMM_EV_ENA_LINK_UP], 0);
	wr(d, ENA_REG_AENQ_HEAD_DB, 17);              /* consumed */
	assert_int_equal(d->events[VMM_EV_ENA_LINK_UP], 1);

	ena_tick(d->dev);
	e = hva(d, d->aenq + 64);
	assert_int_equal(e[4] & 1, 1);
	assert_int_equal(g16(e), ENA_AENQ_KEEP_ALIVE);
	wr(d, ENA_REG_AENQ_HEAD_DB, 18);

	io->tx_cring = galloc(d, 256 * 8);
	io->rx_cring = galloc(d, 256 * 16);
	io->tx_ring = galloc(d, 256 * 16);
	io->rx_ring = galloc(d, 256 * 16);
	assert_int_equal(create_cq(d, 2, 256, 1, io->tx_cring, &io->tx_cq, &io->tx_unmask), 0);
	assert_int_equal(create_sq(d, ENA_SQ_DIR_TX, 1, io->tx_cq, 256, io->tx_ring, &io->tx_sq,
				   &io->tx_db), 0);
	assert_int_equal(d->events[VMM_EV_ENA_IO_QUEUES], 1);
	assert_int_equal(create_cq(d, 4, 256, 1, io->rx_cring, &io->rx_cq, &io->rx_unmask), 0);
	assert_int_equal(create_sq(d, ENA_SQ_DIR_RX, 1, io->rx_cq, 256, io->rx_ring, &io->rx_sq,
				   &io->rx_db), 0);
	assert_int_not_equal(io->tx_db, io->rx_db);
	assert_true(io->tx_db < 0x2000 && io->rx_db < 0x2000 && io->tx_unmask < 0x2000);
	wr(d, io->tx_unmask, ENA_INTR_UNMASK);
}

static void tx_desc(struct drv *d, struct io *io, uint32_t flags, uint16_t req_id, uint64_t addr,
		    uint16_t len)
{
	uint8_t *p = hva(d, io->tx_ring + (io->tx_tail & 255) * 16);
	uint8_t phase = ((io->tx_tail / 256) & 1) ? 0 : 1;

	memset(p, 0, 16);
	p32(p, len | flags | (uint32_t)phase << 24 | (uint32_t)(req_id >> 10) << 16);
	p32(p + 4, (uint32_t)(req_id & 0x3ff) << 22);
	p32(p + 8, (uint32_t)addr);
	p32(p + 12, (uint32_t)(addr >> 32) & 0xffff);
	io->tx_tail++;
}

static void test_open_send_receive(void **state)
{
	struct drv *d = drv_new();
	struct io io = { 0 };
	uint64_t b1, b2, b3, rxb[4];
	uint8_t frame[3000], *c;
	unsigned int v1;

	probe(d);
	open_dev(d, &io);

	/* A meta descriptor, then three buffers: ena_com_prepare_tx. */
	b1 = galloc(d, 64);
	b2 = galloc(d, 100);
	b3 = galloc(d, 36);
	for (unsigned int i = 0; i < 64; i++)
		hva(d, b1)[i] = (uint8_t)i;
	memset(hva(d, b2), 0xab, 100);
	memset(hva(d, b3), 0xcd, 36);
	{
		uint8_t *m = hva(d, io.tx_ring);

		memset(m, 0, 16);
		p32(m, ENA_TX_META | ENA_TX_FIRST | 1u << 24 | 1u << 14 | 1u << 20 | 1u << 21);
		io.tx_tail++;
	}
	tx_desc(d, &io, ENA_TX_COMP_REQ, 200, b1, 64);
	tx_desc(d, &io, 0, 0, b2, 100);
	tx_desc(d, &io, ENA_TX_LAST, 0, b3, 36);
	v1 = d->msix[1];
	wr(d, io.tx_db, io.tx_tail);
	assert_int_equal(d->be.frames, 1);
	assert_int_equal(d->be.last_len, 200);
	assert_memory_equal(d->be.last, hva(d, b1), 64);
	assert_memory_equal(d->be.last + 64, hva(d, b2), 100);
	assert_memory_equal(d->be.last + 164, hva(d, b3), 36);
	c = hva(d, io.tx_cring);
	assert_int_equal(c[3] & 1, 1);
	assert_int_equal(g16(c), 200);
	assert_int_equal(g16(c + 6), 4);
	assert_int_equal(d->msix[1], v1 + 1);

	/* A packet still being written waits for its LAST descriptor. */
	tx_desc(d, &io, ENA_TX_FIRST | ENA_TX_COMP_REQ, 7, b1, 64);
	wr(d, io.tx_db, io.tx_tail);
	assert_int_equal(d->be.frames, 1);
	tx_desc(d, &io, ENA_TX_LAST, 0, b2, 20);
	wr(d, io.tx_db, io.tx_tail);
	assert_int_equal(d->be.frames, 2);
	assert_int_equal(d->be.last_len, 84);
	assert_int_equal(g16(hva(d, io.tx_cring + 8)), 7);
	/* Vector 1 stays masked until the driver unmasks it. */
	assert_int_equal(d->msix[1], v1 + 1);
	wr(d, io.tx_unmask, ENA_INTR_UNMASK);
	assert_int_equal(d->msix[1], v1 + 2);

	/* RX: four 2 KiB buffers, ena_com_add_single_rx_desc. */
	for (unsigned int i = 0; i < 4; i++) {
		uint8_t *p = hva(d, io.rx_ring + i * 16);

		rxb[i] = galloc(d, 2048);
		p16(p, 2048);
		p[3] = ENA_RX_CTRL_FIRST | ENA_RX_CTRL_LAST | ENA_RX_CTRL_COMP_REQ | 1;
		p16(p + 4, (uint16_t)(10 + i));
		p32(p + 8, (uint32_t)rxb[i]);
		p16(p + 12, 0);
	}
	wr(d, io.rx_db, 4);
	for (unsigned int i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	wr(d, io.tx_unmask, ENA_INTR_UNMASK);   /* NAPI done: re-arm */
	v1 = d->msix[1];
	/* Through the backend's receive callback, as slirp would. */
	assert_non_null(d->be.rx);
	d->be.rx(d->be.rx_opaque, frame, sizeof(frame));
	c = hva(d, io.rx_cring);
	assert_int_equal(g32(c) >> 24 & 1, 1);                        /* phase */
	assert_true(g32(c) & ENA_RX_CDESC_FIRST);
	assert_false(g32(c) & ENA_RX_CDESC_LAST);
	assert_int_equal(g16(c + 4), 2048);
	assert_int_equal(g16(c + 6), 10);
	assert_true(g32(c + 16) & ENA_RX_CDESC_LAST);
	assert_int_equal(g16(c + 16 + 4), 3000 - 2048);
	assert_int_equal(g16(c + 16 + 6), 11);
	assert_memory_equal(hva(d, rxb[0]), frame, 2048);
	assert_memory_equal(hva(d, rxb[1]), frame + 2048, 3000 - 2048);
	assert_int_equal(d->msix[1], v1 + 1);

	/* Two buffers left: a 100-byte frame fits, then one more; then none. */
	assert_int_equal(ena_receive(d->dev, frame, 100), 0);
	assert_int_equal(g16(hva(d, io.rx_cring + 32 + 6)), 12);
	assert_int_equal(ena_receive(d->dev, frame, 100), 0);
	assert_int_equal(ena_receive(d->dev, frame, 100), -ENOSPC);

	/* GET_STATS basic */
	{
		uint8_t cmd[64] = { 0 }, comp[64];

		cmd[2] = ENA_AQ_GET_STATS;
		assert_int_equal(admin(d, cmd, comp), ENA_AQ_SUCCESS);
		assert_int_equal(g32(comp + 8), 284);    /* tx bytes */
		assert_int_equal(g32(comp + 16), 2);     /* tx packets */
		assert_int_equal(g32(comp + 32), 3);     /* rx packets */
		assert_int_equal(g32(comp + 40), 1);     /* rx drops */
	}
	drv_free(d);
}

static void test_keepalive_thread(void **state)
{
	struct drv *d = calloc(1, sizeof(*d));
	struct ena_config cfg = {
		.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, .mtu = 9001,
		.queue_pairs = 2, .keepalive_ms = 20,
	};
	struct ena_stats st;

	d->ram = calloc(1, MEM_SIZE);
	guest_mem_add_region(&d->mem, GPA_BASE, MEM_SIZE, d->ram);
	d->brk = GPA_BASE;
	d->host = (struct dev_host){ .mem = &d->mem, .msix_notify = host_msix,
				     .event = host_event, .opaque = d };
	assert_int_equal(ena_create(&cfg, &d->host, &d->dev), 0);
	d->pci = ena_pci_desc(d->dev);
	d->pci->attach(d->pci->dev, (void *)0x5005);
	probe(d);
	wr(d, ENA_REG_AENQ_HEAD_DB, 16);
	for (int i = 0; i < 200; i++) {
		ena_get_stats(d->dev, &st);
		if (st.aenq_keep_alive >= 2)
			break;
		usleep(10000);
	}
	assert_true(st.aenq_keep_alive >= 2);
	assert_int_equal(g16(hva(d, d->aenq + 64)), ENA_AENQ_KEEP_ALIVE);
	drv_free(d);
}

static void test_malformed_admin(void **state)
{
	struct drv *d = drv_new();
	uint8_t cmd[64] = { 0 }, comp[64], data[8] = { 0 };
	uint16_t idx;
	uint32_t off;
	uint64_t ring;

	probe(d);
	ring = galloc(d, 256 * 16);

	cmd[2] = 0x77;
	assert_int_equal(admin(d, cmd, comp), ENA_AQ_UNSUPPORTED_OPCODE);
	/* CQ outside guest memory, vector out of range, bad entry size,
	 * depth not a power of two */
	assert_int_equal(create_cq(d, 4, 256, 1, 0x7f0000000000ull, &idx, &off), ENA_AQ_MALFORMED_REQUEST);
	assert_int_equal(create_cq(d, 4, 256, 99, ring, &idx, &off), ENA_AQ_ILLEGAL_PARAMETER);
	assert_int_equal(create_cq(d, 3, 256, 1, ring, &idx, &off), ENA_AQ_ILLEGAL_PARAMETER);
	assert_int_equal(create_cq(d, 4, 100, 1, ring, &idx, &off), ENA_AQ_MALFORMED_REQUEST);
	/* A ring running off the end of RAM */
	assert_int_equal(create_cq(d, 4, 1024, 1, GPA_BASE + MEM_SIZE - 4096, &idx, &off),
			 ENA_AQ_MALFORMED_REQUEST);
	/* SQ on a CQ that does not exist, LLQ placement, bad direction */
	assert_int_equal(create_sq(d, ENA_SQ_DIR_TX, 1, 3, 256, ring, &idx, &off), ENA_AQ_ILLEGAL_PARAMETER);
	assert_int_equal(create_cq(d, 4, 256, 1, ring, &idx, &off), ENA_AQ_SUCCESS);
	assert_int_equal(create_sq(d, ENA_SQ_DIR_TX, 3, idx, 256, ring, &idx, &off), ENA_AQ_ILLEGAL_PARAMETER);
	assert_int_equal(create_sq(d, 5, 1, 0, 256, ring, &idx, &off), ENA_AQ_ILLEGAL_PARAMETER);
	assert_int_equal(create_sq(d, ENA_SQ_DIR_RX, 1, 0, 256, 0xdead00000000ull, &idx, &off),
			 ENA_AQ_MALFORMED_REQUEST);
	/* Destroy what is not there; destroy a CQ still in use */
	memset(cmd, 0, sizeof(cmd));
	cmd[2] = ENA_AQ_DESTROY_SQ;
	p16(cmd + 4, 7);
	cmd[6] = ENA_SQ_DIR_TX << 5;
	assert_int_equal(admin(d, cmd, comp), ENA_AQ_ILLEGAL_PARAMETER);
	assert_int_equal(create_sq(d, ENA_SQ_DIR_RX, 1, 0, 256, ring, &idx, &off), ENA_AQ_SUCCESS);
	memset(cmd, 0, sizeof(cmd));
	cmd[2] = ENA_AQ_DESTROY_CQ;
	assert_int_equal(admin(d, cmd, comp), ENA_AQ_RESOURCE_BUSY);
	memset(cmd, 0, sizeof(cmd));
	cmd[2] = ENA_AQ_DESTROY_SQ;
	cmd[6] = ENA_SQ_DIR_RX << 5;
	assert_int_equal(admin(d, cmd, comp), ENA_AQ_SUCCESS);
	memset(cmd, 0, sizeof(cmd));
	cmd[2] = ENA_AQ_DESTROY_CQ;
	assert_int_equal(admin(d, cmd, comp), ENA_AQ_SUCCESS);
	/* MTU above the maximum, unknown feature, unknown AENQ group */
	p32(data, 65000);
	assert_int_equal(set_feature(d, ENA_FEAT_MTU, data, 4), ENA_AQ_ILLEGAL_PARAMETER);
	p32(data, 1500);
	assert_int_equal(set_feature(d, ENA_FEAT_MTU, data, 4), ENA_AQ_SUCCESS);
	assert_int_equal(set_feature(d, 31, data, 4), ENA_AQ_UNSUPPORTED_OPCODE);
	p32(data + 4, 1u << 9);
	assert_int_equal(set_feature(d, ENA_FEAT_AENQ_CONFIG, data + 0, 8), ENA_AQ_ILLEGAL_PARAMETER);
	assert_int_equal(get_feature(d, 200, 0, comp), ENA_AQ_UNSUPPORTED_OPCODE);

	/* A doorbell far beyond what was written is ignored. */
	wr(d, ENA_REG_AQ_DB, d->aq_tail + 1000);
	assert_int_equal(rd(d, ENA_REG_ACQ_TAIL), d->acq_head);
	wr(d, ENA_REG_AQ_DB, d->aq_tail);
	/* The queue still works. */
	assert_int_equal(get_feature(d, ENA_FEAT_MTU, 0, comp), ENA_AQ_SUCCESS);
	assert_int_equal(g32(comp + 8), 1500);
	/* Garbage registers and sizes are harmless. */
	{
		uint64_t v = ~0ull;
		uint8_t b = 0xff;

		d->pci->bars[0].write(d->pci->dev, 0x3ffc, &v, 4);
		d->pci->bars[0].write(d->pci->dev, 0x5d, &b, 1);
		d->pci->bars[0].write(d->pci->dev, 0x1ffc, &v, 8);
		wr(d, ENA_REG_MMIO_RESP_LO, 0xfffffff0);   /* response buffer nowhere */
		wr(d, ENA_REG_MMIO_REG_READ, 0x00580001);
	}
	drv_free(d);
}

static void test_malformed_descriptors(void **state)
{
	struct drv *d = drv_new();
	struct io io = { 0 };
	uint64_t buf;
	struct ena_stats st;
	uint8_t frame[200] = { 0 };
	uint8_t *p;

	probe(d);
	open_dev(d, &io);
	buf = galloc(d, 9000);

	/* Buffer outside guest memory: dropped, completion still given. */
	tx_desc(d, &io, ENA_TX_FIRST | ENA_TX_LAST | ENA_TX_COMP_REQ, 3, 0x7f00000000ull, 100);
	wr(d, io.tx_db, io.tx_tail);
	assert_int_equal(d->be.frames, 0);
	assert_int_equal(g16(hva(d, io.tx_cring)), 3);
	/* Request id beyond the ring: no completion the driver would choke on. */
	tx_desc(d, &io, ENA_TX_FIRST | ENA_TX_LAST | ENA_TX_COMP_REQ, 900, buf, 100);
	wr(d, io.tx_db, io.tx_tail);
	assert_int_equal(d->be.frames, 0);
	assert_int_equal(hva(d, io.tx_cring + 8)[3] & 1, 0);
	/* Oversized: two 8 KiB buffers exceed MTU 9001. */
	tx_desc(d, &io, ENA_TX_FIRST | ENA_TX_COMP_REQ, 4, buf, 8192);
	tx_desc(d, &io, ENA_TX_LAST, 0, buf, 8192);
	wr(d, io.tx_db, io.tx_tail);
	assert_int_equal(d->be.frames, 0);
	assert_int_equal(g16(hva(d, io.tx_cring + 8)), 4);
	/* A chain longer than the device allows. */
	for (unsigned int i = 0; i < 25; i++)
		tx_desc(d, &io, i == 0 ? ENA_TX_FIRST : 0, 5, buf, 10);
	wr(d, io.tx_db, io.tx_tail);
	assert_int_equal(d->be.frames, 0);
	/* A doorbell beyond the ring kills only that queue. */
	wr(d, io.tx_db, io.tx_tail + 5000);
	ena_get_stats(d->dev, &st);
	assert_true(st.tx_drops >= 4);

	/* RX: buffer outside memory, request id beyond the ring, zero length */
	p = hva(d, io.rx_ring);
	p16(p, 2048);
	p[3] = 0x1d;
	p16(p + 4, 1);
	p32(p + 8, 0xfff00000);
	wr(d, io.rx_db, 1);
	assert_int_equal(ena_receive(d->dev, frame, sizeof(frame)), -EINVAL);
	p32(p + 8, (uint32_t)buf);
	p16(p + 4, 4000);
	assert_int_equal(ena_receive(d->dev, frame, sizeof(frame)), -EINVAL);
	p16(p + 4, 1);
	p16(p, 0);
	assert_int_equal(ena_receive(d->dev, frame, sizeof(frame)), -EINVAL);
	assert_int_equal(hva(d, io.rx_cring)[3] & 1, 0);
	/* Frames too large or too small never reach the guest. */
	p16(p, 2048);
	assert_int_equal(ena_receive(d->dev, frame, 10), -EINVAL);
	{
		static uint8_t big[12000];

		assert_int_equal(ena_receive(d->dev, big, sizeof(big)), -EINVAL);
	}
	/* The good descriptor then works. */
	assert_int_equal(ena_receive(d->dev, frame, sizeof(frame)), 0);
	assert_int_equal(hva(d, io.rx_cring)[3] & 1, 1);

	/* A reset tears the queues down. */
	wr(d, ENA_REG_DEV_CTL, ENA_DEV_CTL_RESET);
	wr(d, ENA_REG_DEV_CTL, 0);
	assert_int_equal(ena_receive(d->dev, frame, sizeof(frame)), -ENOSPC);
	assert_int_equal(d->events[VMM_EV_ENA_RESET], 2);
	drv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_identity),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_open_send_receive),
		cmocka_unit_test(test_keepalive_thread),
		cmocka_unit_test(test_malformed_admin),
		cmocka_unit_test(test_malformed_descriptors),
	};

	return cmocka_run_group_tests_name("ena", tests, NULL, NULL);
}
