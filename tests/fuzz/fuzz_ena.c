/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the ENA model as a hostile guest would: after a regular probe (admin
 * queue, AENQ, one IO queue pair), the input is a script of admin commands,
 * register writes and reads, guest memory pokes, TX and RX descriptors,
 * frames from the network, keep-alive ticks and resets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bus.h"
#include "vmm/dev/ena.h"
#include "vmm/net/backend.h"
#include "common/le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE     0x100000ull
#define MEMSZ    (256u << 10)
#define RESP     (BASE + 0x0000)
#define AQ       (BASE + 0x1000)
#define ACQ      (BASE + 0x2000)
#define AENQ     (BASE + 0x3000)
#define TXCQ     (BASE + 0x4000)
#define TXSQ     (BASE + 0x5000)
#define RXCQ     (BASE + 0x6000)
#define RXSQ     (BASE + 0x7000)
#define QDEPTH   64
#define ADEPTH   8

struct harness {
	struct guest_mem mem;
	uint8_t *ram;
	struct dev_host host;
	struct ena_dev *dev;
	const struct pci_dev_desc *pci;
	struct net_backend nb;
	uint16_t aq_tail, tx_tail, rx_tail;
	uint32_t tx_db, rx_db, tx_unmask;
	const uint8_t *in;
	size_t left;
};

static int sink_send(struct net_backend *nb, const void *frame, size_t len)
{
	/* Touch every byte so a bad length shows up under ASan. */
	volatile uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= ((const uint8_t *)frame)[i];
	(void)x; /* clang: -Wunused-but-set-variable */
	return 0;
}

static void sink_attach(struct net_backend *nb, net_backend_rx_fn rx, void *opaque)
{
}

static const struct net_backend_ops sink_ops = { .send = sink_send, .attach = sink_attach };

static void no_msix(void *o, void *p, unsigned int v)
{
}

static void no_event(void *o, enum vmm_event ev, const char *d)
{
}

static uint8_t *hva(struct harness *h, uint64_t gpa)
{
	return h->ram + (gpa - BASE);
}

static void wr(struct harness *h, uint32_t off, uint32_t v)
{
	h->pci->bars[0].write(h->pci->dev, off, &v, 4);
}

static void admin(struct harness *h, const uint8_t cmd[64], bool fix_phase, uint16_t extra)
{
	uint8_t *slot = hva(h, AQ + (h->aq_tail % ADEPTH) * 64);

	memcpy(slot, cmd, 64);
	if (fix_phase)
		slot[3] = (uint8_t)((slot[3] & ~1u) | (((h->aq_tail / ADEPTH) & 1) ? 0 : 1));
	h->aq_tail++;
	wr(h, ENA_REG_AQ_DB, (uint16_t)(h->aq_tail + extra));
}

/* Submit a create command; returns its completion (status at byte 2). */
static const uint8_t *create(struct harness *h, uint8_t op, uint8_t arg, uint16_t cq, uint64_t ba)
{
	uint8_t cmd[64] = { 0 };

	cmd[2] = op;
	if (op == ENA_AQ_CREATE_CQ) {
		cmd[4] = 0x20;
		cmd[5] = arg;           /* entry size in words */
		put_le16(cmd + 6, QDEPTH);
		put_le32(cmd + 8, 1);      /* MSI-X vector */
	} else {
		cmd[4] = (uint8_t)(arg << 5);   /* direction */
		cmd[6] = ENA_PLACEMENT_HOST;
		put_le16(cmd + 8, cq);
		put_le16(cmd + 10, QDEPTH);
	}
	put_le32(cmd + 12, (uint32_t)ba);
	admin(h, cmd, true, 0);
	return hva(h, ACQ + ((uint16_t)(h->aq_tail - 1) % ADEPTH) * 64);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void setup(struct harness *h)
{
	uint8_t cmd[64] = { 0 };
	struct ena_config cfg = {
		.mac = { 0x02, 0, 0, 0, 0, 1 }, .mtu = 9001, .queue_pairs = 1, .keepalive_ms = -1,
	};
	uint16_t txcq, rxcq;
	const uint8_t *c;

	h->ram = calloc(1, MEMSZ);
	guest_mem_add_region(&h->mem, BASE, MEMSZ, h->ram);
	h->nb.ops = &sink_ops;
	cfg.backend = &h->nb;
	h->host = (struct dev_host){ .mem = &h->mem, .msix_notify = no_msix, .event = no_event };
	if (ena_create(&cfg, &h->host, &h->dev) < 0)
		abort();
	h->pci = ena_pci_desc(h->dev);
	wr(h, ENA_REG_MMIO_RESP_LO, (uint32_t)RESP);
	wr(h, ENA_REG_DEV_CTL, ENA_DEV_CTL_RESET);
	wr(h, ENA_REG_DEV_CTL, 0);
	wr(h, ENA_REG_AQ_BASE_LO, (uint32_t)AQ);
	wr(h, ENA_REG_ACQ_BASE_LO, (uint32_t)ACQ);
	wr(h, ENA_REG_AQ_CAPS, ADEPTH | 64 << 16);
	wr(h, ENA_REG_ACQ_CAPS, ADEPTH | 64 << 16);
	wr(h, ENA_REG_AENQ_BASE_LO, (uint32_t)AENQ);
	wr(h, ENA_REG_AENQ_CAPS, ADEPTH | 64 << 16);
	cmd[2] = ENA_AQ_SET_FEATURE;
	cmd[17] = ENA_FEAT_AENQ_CONFIG;
	put_le32(cmd + 24, 0x1f);
	admin(h, cmd, true, 0);
	wr(h, ENA_REG_AENQ_HEAD_DB, ADEPTH);

	c = create(h, ENA_AQ_CREATE_CQ, 2, 0, TXCQ);
	txcq = (uint16_t)(c[8] | c[9] << 8);
	h->tx_unmask = le32(c + 20);
	c = create(h, ENA_AQ_CREATE_CQ, 4, 0, RXCQ);
	rxcq = (uint16_t)(c[8] | c[9] << 8);
	h->tx_db = le32(create(h, ENA_AQ_CREATE_SQ, ENA_SQ_DIR_TX, txcq, TXSQ) + 12);
	h->rx_db = le32(create(h, ENA_AQ_CREATE_SQ, ENA_SQ_DIR_RX, rxcq, RXSQ) + 12);
	if (!h->tx_db || !h->rx_db)
		abort();   /* the regular probe must work */
}

static bool take(struct harness *h, void *dst, size_t n)
{
	if (h->left < n)
		return false;
	memcpy(dst, h->in, n);
	h->in += n;
	h->left -= n;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness h = { 0 };
	uint8_t op;

	setup(&h);
	h.in = data;
	h.left = size;
	while (take(&h, &op, 1)) {
		switch (op % 9) {
		case 0: {   /* admin command */
			uint8_t cmd[64], flags;

			if (!take(&h, cmd, sizeof(cmd)) || !take(&h, &flags, 1))
				goto out;
			admin(&h, cmd, flags & 1, (flags & 2) ? (uint16_t)(flags >> 2) : 0);
			break;
		}
		case 1: {   /* register write */
			uint16_t off;
			uint32_t v;

			if (!take(&h, &off, 2) || !take(&h, &v, 4))
				goto out;
			wr(&h, off & 0x3ffc, v);
			break;
		}
		case 2: {   /* poke guest memory */
			uint32_t addr;
			uint8_t len, buf[255];

			if (!take(&h, &addr, 4) || !take(&h, &len, 1) || !take(&h, buf, len))
				goto out;
			guest_mem_write(&h.mem, BASE + addr % MEMSZ, buf, len);
			break;
		}
		case 3:     /* TX descriptors, then the doorbell */
		case 4: {   /* RX descriptors, then the doorbell */
			bool tx = op % 9 == 3;
			uint8_t n;

			if (!take(&h, &n, 1))
				goto out;
			n %= 8;
			for (uint8_t i = 0; i < n; i++) {
				uint16_t *tail = tx ? &h.tx_tail : &h.rx_tail;
				uint8_t *d = hva(&h, (tx ? TXSQ : RXSQ) + (*tail % QDEPTH) * 16);

				if (!take(&h, d, 16))
					goto out;
				(*tail)++;
			}
			wr(&h, tx ? h.tx_db : h.rx_db, tx ? h.tx_tail : h.rx_tail);
			break;
		}
		case 5: {   /* a frame from the network */
			uint16_t len;
			static uint8_t frame[12000];

			if (!take(&h, &len, 2))
				goto out;
			len %= sizeof(frame);
			for (size_t i = 0; i < len; i++)
				frame[i] = h.left ? h.in[i % h.left] : (uint8_t)i;
			ena_receive(h.dev, frame, len);
			break;
		}
		case 6:
			ena_tick(h.dev);
			break;
		case 7: {   /* register read, plain and readless */
			uint16_t off;
			uint32_t v;

			if (!take(&h, &off, 2))
				goto out;
			h.pci->bars[0].read(h.pci->dev, off & 0x3ffc, &v, 4);
			wr(&h, ENA_REG_MMIO_REG_READ, (uint32_t)off << 16 | 1);
			break;
		}
		case 8:
			h.pci->reset(h.pci->dev);
			break;
		}
	}
out:
	ena_destroy(h.dev);
	free(h.ram);
	return 0;
}
