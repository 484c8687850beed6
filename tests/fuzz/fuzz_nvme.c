/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the NVMe model: the input is a little program of register
 * accesses, guest-memory writes and submission entries, played against a
 * controller over a small guest memory (two regions). Sanitizers catch
 * memory errors and undefined behaviour; the harness aborts on what it can
 * see: an MSI-X vector the device does not have, a bad event. Every op
 * consumes input, and every doorbell write must return.
 *
 * Built with -fsanitize=fuzzer it is a libFuzzer target; linked with
 * replay_main.c (fuzz_nvme_replay) it replays a corpus without libFuzzer.
 * Seeds in corpus/nvme/ are made by nvme_seeds.py.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/dev/nvme.h"

#define RAM_SIZE (256u << 10)
#define HIGH_GPA 0x100000000ull
#define HIGH_SIZE (16u << 10)
#define DISK_SIZE (1u << 20)

/* Where the harness' driver puts its queues (offsets in low RAM). */
#define ASQ 0x0000
#define ACQ 0x1000
#define IOSQ(q) (0x2000 + ((q) - 1) * 0x2000)
#define IOCQ(q) (0x3000 + ((q) - 1) * 0x2000)
#define QSIZE 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct harness {
	struct disk *disk;
	uint8_t *ram, *high;
	struct guest_mem mem;
	struct dev_host host;
	unsigned int notifications;
};

struct input {
	const uint8_t *p;
	size_t left;
};

static void on_msix(void *opaque, void *pci_dev, unsigned int vector)
{
	struct harness *h = opaque;

	if (vector > NVME_MAX_IO_QUEUES)
		abort(); /* a vector the device does not have */
	h->notifications++;
}

static void on_event(void *opaque, enum vmm_event ev, const char *detail)
{
	if ((unsigned int)ev >= VMM_EV__MAX || (detail && strlen(detail) > 256))
		abort();
}

/* One disk for the process: opening it per input would only fuzz mkstemp. */
static struct harness *harness_get(void)
{
	static struct harness h;
	char path[] = "/tmp/nc-fuzz-nvme-XXXXXX";
	struct nc_err err = { 0 };
	uint8_t block[4096];
	int fd;

	if (h.disk)
		return &h;
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	for (unsigned int off = 0; off < DISK_SIZE; off += sizeof(block)) {
		for (unsigned int i = 0; i < sizeof(block); i++)
			block[i] = (uint8_t)((off + i) * 31 + 7);
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			abort();
	}
	close(fd);
	if (disk_open(path, "raw", &h.disk, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	unlink(path);
	h.ram = aligned_alloc(4096, RAM_SIZE);
	h.high = aligned_alloc(4096, HIGH_SIZE);
	if (!h.ram || !h.high)
		abort();
	guest_mem_add_region(&h.mem, 0, RAM_SIZE, h.ram);
	guest_mem_add_region(&h.mem, HIGH_GPA, HIGH_SIZE, h.high);
	h.host = (struct dev_host){ .mem = &h.mem, .msix_notify = on_msix, .event = on_event,
				    .opaque = &h };
	return &h;
}

static bool take(struct input *in, void *dst, size_t n)
{
	if (in->left < n) {
		memset(dst, 0, n);
		in->left = 0;
		return false;
	}
	memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

static uint8_t take8(struct input *in)
{
	uint8_t v;

	take(in, &v, 1);
	return v;
}

static uint16_t take16(struct input *in)
{
	uint16_t v;

	take(in, &v, 2);
	return v;
}

static uint32_t take32(struct input *in)
{
	uint32_t v;

	take(in, &v, 4);
	return v;
}

static void wr32(const struct pci_dev_desc *d, uint64_t off, uint32_t v)
{
	d->bars[0].write(d->dev, off, &v, 4);
}

static void wr64(const struct pci_dev_desc *d, uint64_t off, uint64_t v)
{
	d->bars[0].write(d->dev, off, &v, 8);
}

static void put_sqe(uint8_t *e, uint8_t opcode, uint16_t cid, uint64_t prp1, uint32_t cdw10,
		    uint32_t cdw11)
{
	memset(e, 0, 64);
	e[0] = opcode;
	memcpy(e + 2, &cid, 2);
	memcpy(e + 24, &prp1, 8);
	memcpy(e + 40, &cdw10, 4);
	memcpy(e + 44, &cdw11, 4);
}

/* The driver's bring-up with the harness layout: admin queue, two IO
 * queue pairs. Lets the fuzzer start from a live controller. */
static void bring_up(struct harness *h, const struct pci_dev_desc *d, uint32_t *sq_tail)
{
	wr32(d, 0x14, 0);
	wr32(d, 0x24, (QSIZE - 1) << 16 | (QSIZE - 1));
	wr64(d, 0x28, ASQ);
	wr64(d, 0x30, ACQ);
	wr32(d, 0x14, 1 | 6u << 16 | 4u << 20);
	sq_tail[0] = 0;
	for (unsigned int q = 1; q <= 2; q++) {
		put_sqe(h->ram + ASQ + sq_tail[0] * 64, 0x05, (uint16_t)(100 + q), IOCQ(q),
			(QSIZE - 1) << 16 | q, q << 16 | 3);
		sq_tail[0] = (sq_tail[0] + 1) % QSIZE;
		put_sqe(h->ram + ASQ + sq_tail[0] * 64, 0x01, (uint16_t)(110 + q), IOSQ(q),
			(QSIZE - 1) << 16 | q, q << 16 | 1);
		sq_tail[0] = (sq_tail[0] + 1) % QSIZE;
		sq_tail[q] = 0;
	}
	wr32(d, 0x1000, sq_tail[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness *h = harness_get();
	struct nvme_config cfg = { .disk = h->disk };
	struct input in = { data, size };
	struct nvme_ctrl *c = NULL;
	const struct pci_dev_desc *d;
	uint32_t sq_tail[NVME_MAX_IO_QUEUES + 1] = { 0 };
	uint8_t buf[256];

	memset(h->ram, 0, RAM_SIZE);
	memset(h->high, 0, HIGH_SIZE);
	if (nvme_create(&cfg, &h->host, &c) < 0)
		abort();
	d = nvme_pci_desc(c);
	nvme_set_pci_handle(c, h);

	/* bounded: every op consumes at least one byte */
	while (in.left > 0) {
		uint8_t op = take8(&in);

		switch (op % 9) {
		case 0: /* register write, dword */
			wr32(d, take16(&in) & (NVME_BAR0_SIZE - 1), take32(&in));
			break;
		case 1: { /* register write, qword */
			uint16_t off = take16(&in) & (NVME_BAR0_SIZE - 1);
			uint64_t v = take32(&in) | (uint64_t)take32(&in) << 32;

			wr64(d, off, v);
			break;
		}
		case 2: { /* register read of 1, 2, 4 or 8 bytes */
			uint64_t v;

			d->bars[0].read(d->dev, take16(&in) & (NVME_BAR0_SIZE - 1), &v,
					1u << (take8(&in) & 3));
			break;
		}
		case 3: { /* guest memory write: PRP lists, data, stray bytes */
			uint32_t addr = take32(&in) % RAM_SIZE;
			size_t n = take8(&in);

			if (n > RAM_SIZE - addr)
				n = RAM_SIZE - addr;
			take(&in, buf, n);
			memcpy(h->ram + addr, buf, n);
			break;
		}
		case 4: /* admin command at the harness' admin tail */
		case 5: { /* IO command on queue 1 or 2 */
			unsigned int q = op % 9 == 4 ? 0 : 1 + (take8(&in) & 1);
			uint64_t base = q == 0 ? ASQ : IOSQ(q);

			take(&in, buf, 64);
			memcpy(h->ram + base + sq_tail[q] * 64, buf, 64);
			sq_tail[q] = (sq_tail[q] + 1) % QSIZE;
			wr32(d, 0x1000 + 8 * q, sq_tail[q]);
			break;
		}
		case 6:
			bring_up(h, d, sq_tail);
			break;
		case 7: /* completion queue head doorbell, any value */
			wr32(d, 0x1000 + 8 * (take8(&in) % (NVME_MAX_IO_QUEUES + 2)) + 4,
			     take16(&in));
			break;
		case 8: /* function-level reset */
			if ((take8(&in) & 0xf) == 0)
				d->reset(d->dev);
			break;
		}
	}
	nvme_destroy(c);
	return 0;
}
