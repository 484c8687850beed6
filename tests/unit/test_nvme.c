/* SPDX-License-Identifier: MIT */
/*
 * The NVMe model, driven the way the Linux nvme driver drives it: disable,
 * admin queue, enable, identify, number of queues, IO queues, I/O with
 * PRP1/PRP2/PRP lists; then what a hostile guest might send, each with the
 * status the spec asks for. Guest memory is a malloc'd buffer; a fake
 * dev_host records MSI-X vectors and events. The image file must never
 * change.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "vmm/dev/nvme.h"
#include "common/le.h"

#define RAM_GPA 0x40000000ull
#define RAM_SIZE (4u << 20)
#define IMG_SIZE ((2u << 20) + 1536) /* LBAs, but not whole 4 KiB blocks */
#define NSZE ((uint64_t)IMG_SIZE / 512)
#define PAGE 4096u

/* Guest memory layout (offsets from RAM_GPA) */
#define ASQ_OFF 0x0000
#define ACQ_OFF 0x1000
#define SQ1_OFF 0x2000
#define CQ1_OFF 0x3000
#define LIST_OFF 0x8000   /* PRP list pages */
#define DATA_OFF 0x100000 /* data pages */
#define ADMIN_QSIZE 32
#define IO_QSIZE 64

/* Status values as (SCT << 8 | SC) */
enum {
	ST_OK = 0x000,
	ST_INVALID_OPCODE = 0x001,
	ST_INVALID_FIELD = 0x002,
	ST_DATA_XFER = 0x004,
	ST_INVALID_NS = 0x00b,
	ST_CMD_SEQ = 0x00c,
	ST_PRP_OFFSET = 0x013,
	ST_LBA_RANGE = 0x080,
	ST_CQ_INVALID = 0x100,
	ST_QID_INVALID = 0x101,
	ST_QUEUE_SIZE = 0x102,
	ST_ASYNC_LIMIT = 0x105,
	ST_INVALID_VECTOR = 0x108,
	ST_INVALID_LOG = 0x109,
	ST_QUEUE_DELETION = 0x10c,
	ST_NOT_SAVEABLE = 0x10d,
};

struct queue {
	uint64_t sq, cq; /* gpa */
	uint32_t size, cq_size;
	uint32_t sq_tail, cq_head;
	bool phase;
};

struct tb {
	char dir[64];
	char image[192];
	uint8_t *image_bytes;
	struct stat image_st;
	uint8_t *ram;
	struct guest_mem mem;
	struct dev_host host;
	struct disk *disk;
	struct nvme_ctrl *c;
	const struct pci_dev_desc *desc;
	unsigned int irqs[16];
	unsigned int events[VMM_EV__MAX];
	char detail[VMM_EV__MAX][128];
	void *last_pci_handle;
	struct queue q[9];
	uint16_t cid;
	/* last completion */
	uint32_t dw0;
	uint16_t sqhd, sqid, status_raw;
};

struct cmd {
	uint8_t opcode;
	uint32_t nsid;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13;
	uint32_t dw0_flags; /* FUSE / PSDT bits of CDW0 */
};

static void fake_msix(void *opaque, void *pci_dev, unsigned int vector)
{
	struct tb *t = opaque;

	t->last_pci_handle = pci_dev;
	if (vector < ARRAY_SIZE(t->irqs))
		t->irqs[vector]++;
}

static void fake_event(void *opaque, enum vmm_event ev, const char *detail)
{
	struct tb *t = opaque;

	assert_true((unsigned int)ev < VMM_EV__MAX);
	t->events[ev]++;
	snprintf(t->detail[ev], sizeof(t->detail[ev]), "%s", detail ? detail : "");
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 37 + (i >> 9) * 11 + 1);
}

static uint8_t *gva(struct tb *t, uint64_t gpa)
{
	assert_true(gpa >= RAM_GPA && gpa < RAM_GPA + RAM_SIZE);
	return t->ram + (gpa - RAM_GPA);
}

/* ---- registers ---------------------------------------------------------------- */

static uint32_t rd32(struct tb *t, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	t->desc->bars[0].read(t->desc->dev, off, &v, 4);
	return v;
}

static uint64_t rd64(struct tb *t, uint64_t off)
{
	uint64_t v = 0;

	t->desc->bars[0].read(t->desc->dev, off, &v, 8);
	return v;
}

static void wr32(struct tb *t, uint64_t off, uint32_t v)
{
	t->desc->bars[0].write(t->desc->dev, off, &v, 4);
}

static void wr64(struct tb *t, uint64_t off, uint64_t v)
{
	t->desc->bars[0].write(t->desc->dev, off, &v, 8);
}

#define CC_ENABLE (1u | 6u << 16 | 4u << 20)

/* Linux: nvme_disable_ctrl, set AQA/ASQ/ACQ, nvme_enable_ctrl. */
static void enable_admin(struct tb *t, uint32_t qsize)
{
	wr32(t, 0x14, 0);
	assert_int_equal(rd32(t, 0x1c) & 1, 0);
	wr32(t, 0x24, (qsize - 1) << 16 | (qsize - 1));
	wr64(t, 0x28, RAM_GPA + ASQ_OFF);
	wr64(t, 0x30, RAM_GPA + ACQ_OFF);
	wr32(t, 0x14, CC_ENABLE);
	assert_int_equal(rd32(t, 0x1c), 1); /* RDY, no CFS */
	t->q[0] = (struct queue){ .sq = RAM_GPA + ASQ_OFF, .cq = RAM_GPA + ACQ_OFF,
				  .size = qsize, .cq_size = qsize, .phase = true };
	memset(gva(t, RAM_GPA + ACQ_OFF), 0, qsize * 16);
}

/* ---- commands --------------------------------------------------------------------- */

static uint16_t submit(struct tb *t, unsigned int qid, const struct cmd *c)
{
	struct queue *q = &t->q[qid];
	uint8_t *e = gva(t, q->sq + q->sq_tail * 64ull);
	uint16_t cid = ++t->cid;

	memset(e, 0, 64);
	put_le32(e, c->opcode | c->dw0_flags | (uint32_t)cid << 16);
	put_le32(e + 4, c->nsid);
	put_le64(e + 24, c->prp1);
	put_le64(e + 32, c->prp2);
	put_le32(e + 40, c->cdw10);
	put_le32(e + 44, c->cdw11);
	put_le32(e + 48, c->cdw12);
	put_le32(e + 52, c->cdw13);
	q->sq_tail = (q->sq_tail + 1) % q->size;
	wr32(t, 0x1000 + 8 * qid, q->sq_tail);
	return cid;
}

/* Takes the next completion of qid if there is one; returns its status
 * (SCT << 8 | SC) or -1 when the queue is empty. */
static int reap(struct tb *t, unsigned int qid, uint16_t *ret_cid)
{
	struct queue *q = &t->q[qid];
	uint8_t *e = gva(t, q->cq + q->cq_head * 16ull);
	uint32_t dw3 = get_le32(e + 12);
	uint16_t status;

	if (((dw3 >> 16) & 1) != q->phase)
		return -1;
	t->dw0 = get_le32(e);
	t->sqhd = (uint16_t)get_le32(e + 8);
	t->sqid = (uint16_t)(get_le32(e + 8) >> 16);
	status = (uint16_t)(dw3 >> 17);
	t->status_raw = status;
	*ret_cid = (uint16_t)dw3;
	if (++q->cq_head == q->cq_size) {
		q->cq_head = 0;
		q->phase = !q->phase;
	}
	wr32(t, 0x1000 + 8 * qid + 4, q->cq_head);
	/* errors carry Do Not Retry: retrying would not help */
	if (status & 0x7ff)
		assert_true(status & 0x4000);
	return status & 0x7ff;
}

static int run_cmd(struct tb *t, unsigned int qid, const struct cmd *c)
{
	uint16_t cid = submit(t, qid, c), got = 0;
	int st = reap(t, qid, &got);

	assert_int_not_equal(st, -1);
	assert_int_equal(got, cid);
	assert_int_equal(t->sqid, qid);
	assert_int_equal(t->sqhd, t->q[qid].sq_tail);
	return st;
}

static int identify(struct tb *t, uint8_t cns, uint32_t nsid, uint64_t buf)
{
	struct cmd c = { .opcode = 0x06, .nsid = nsid, .prp1 = buf, .cdw10 = cns };

	return run_cmd(t, 0, &c);
}

static int set_features(struct tb *t, uint8_t fid, uint32_t v)
{
	struct cmd c = { .opcode = 0x09, .cdw10 = fid, .cdw11 = v };

	return run_cmd(t, 0, &c);
}

static int create_cq(struct tb *t, uint16_t qid, uint64_t base, uint32_t size, uint16_t iv)
{
	struct cmd c = { .opcode = 0x05, .prp1 = base, .cdw10 = (size - 1) << 16 | qid,
			 .cdw11 = (uint32_t)iv << 16 | 3 };
	int st = run_cmd(t, 0, &c);

	if (st == ST_OK) {
		t->q[qid].cq = base;
		t->q[qid].cq_size = size;
		t->q[qid].phase = true;
		t->q[qid].cq_head = 0;
		memset(gva(t, base), 0, size * 16);
	}
	return st;
}

static int create_sq(struct tb *t, uint16_t qid, uint64_t base, uint32_t size, uint16_t cqid)
{
	struct cmd c = { .opcode = 0x01, .prp1 = base, .cdw10 = (size - 1) << 16 | qid,
			 .cdw11 = (uint32_t)cqid << 16 | 1 };
	int st = run_cmd(t, 0, &c);

	if (st == ST_OK) {
		t->q[qid].sq = base;
		t->q[qid].size = size;
		t->q[qid].sq_tail = 0;
	}
	return st;
}

/* The driver's bring-up up to one IO queue pair on vector 1. */
static void bring_up(struct tb *t)
{
	enable_admin(t, ADMIN_QSIZE);
	assert_int_equal(identify(t, 1, 0, RAM_GPA + DATA_OFF), ST_OK);
	assert_int_equal(set_features(t, 0x07, 3u << 16 | 3u), ST_OK);
	assert_int_equal(create_cq(t, 1, RAM_GPA + CQ1_OFF, IO_QSIZE, 1), ST_OK);
	assert_int_equal(create_sq(t, 1, RAM_GPA + SQ1_OFF, IO_QSIZE, 1), ST_OK);
}

static int rw(struct tb *t, uint8_t opcode, uint64_t slba, uint32_t nlb, uint64_t prp1,
	      uint64_t prp2)
{
	struct cmd c = { .opcode = opcode, .nsid = 1, .prp1 = prp1, .prp2 = prp2,
			 .cdw10 = (uint32_t)slba, .cdw11 = (uint32_t)(slba >> 32),
			 .cdw12 = nlb - 1 };

	return run_cmd(t, 1, &c);
}

/* ---- fixture ---------------------------------------------------------------------- */

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int tb_setup(void **state, bool qcow2)
{
	struct tb *t = calloc(1, sizeof(*t));
	struct nvme_config cfg = { .serial = NULL, .ebs_name = "/dev/xvda" };
	struct nc_err err = { 0 };
	char raw[160], cmd[512];

	snprintf(t->dir, sizeof(t->dir), "/tmp/nc-nvme-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	t->image_bytes = malloc(IMG_SIZE);
	for (size_t i = 0; i < IMG_SIZE; i++)
		t->image_bytes[i] = pattern(i);
	snprintf(raw, sizeof(raw), "%s/disk.raw", t->dir);
	write_file(raw, t->image_bytes, IMG_SIZE);
	if (qcow2) {
		snprintf(t->image, sizeof(t->image), "%s/disk.qcow2", t->dir);
		snprintf(cmd, sizeof(cmd), "qemu-img convert -q -f raw -O qcow2 '%s' '%s'", raw,
			 t->image);
		assert_int_equal(system(cmd), 0);
		free(t->image_bytes);
		assert_int_equal(read_file_full(t->image, 64u << 20, (char **)&t->image_bytes,
						&(size_t){ 0 }), 0);
	} else {
		snprintf(t->image, sizeof(t->image), "%s", raw);
	}
	assert_int_equal(stat(t->image, &t->image_st), 0);

	t->ram = aligned_alloc(PAGE, RAM_SIZE);
	memset(t->ram, 0, RAM_SIZE);
	assert_int_equal(guest_mem_add_region(&t->mem, RAM_GPA, RAM_SIZE, t->ram), 0);
	t->host = (struct dev_host){ .mem = &t->mem, .msix_notify = fake_msix,
				     .event = fake_event, .opaque = t };
	if (disk_open(t->image, NULL, &t->disk, &err) < 0)
		fail_msg("%s", err.msg);
	cfg.disk = t->disk;
	assert_int_equal(nvme_create(&cfg, &t->host, &t->c), 0);
	t->desc = nvme_pci_desc(t->c);
	nvme_set_pci_handle(t->c, t);
	*state = t;
	return 0;
}

static int setup_raw(void **state)
{
	return tb_setup(state, false);
}

static int setup_qcow2(void **state)
{
	return tb_setup(state, true);
}

static int teardown(void **state)
{
	struct tb *t = *state;
	char cmd[128];
	char *now = NULL;
	size_t len = 0;
	struct stat st;
	uint64_t size = (uint64_t)t->image_st.st_size;

	nvme_destroy(t->c);
	disk_close(t->disk);
	/* the image: same bytes, same mtime */
	assert_int_equal(read_file_full(t->image, 64u << 20, &now, &len), 0);
	assert_int_equal(len, size);
	assert_memory_equal(now, t->image_bytes, len);
	assert_int_equal(stat(t->image, &st), 0);
	assert_int_equal(st.st_mtim.tv_nsec, t->image_st.st_mtim.tv_nsec);
	free(now);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t->ram);
	free(t->image_bytes);
	free(t);
	return 0;
}

/* The bytes the guest should read at an LBA (the raw image's). */
static uint8_t disk_byte(uint64_t off)
{
	return pattern(off);
}

static void assert_disk_bytes(struct tb *t, uint64_t gpa, uint64_t disk_off, size_t len)
{
	const uint8_t *p = gva(t, gpa);

	for (size_t i = 0; i < len; i++)
		if (p[i] != disk_byte(disk_off + i))
			fail_msg("byte %zu of the read (disk offset %" PRIu64 ") is %#x, want %#x", i,
				 disk_off + i, p[i], disk_byte(disk_off + i));
}

/* ---- tests: device description and registers ------------------------------------- */

static void test_pci_desc(void **state)
{
	struct tb *t = *state;
	const struct pci_dev_desc *d = t->desc;

	assert_int_equal(d->vendor_id, 0x1d0f);
	assert_int_equal(d->device_id, 0x8061);
	assert_int_equal(d->subsys_vendor_id, 0x1d0f);
	assert_int_equal(d->subsys_id, 0x8061);
	assert_int_equal(d->class_code, 0x010802);
	assert_int_equal(d->slot, 4);
	assert_int_equal(d->bars[0].size, 16384);
	assert_true(d->bars[0].mem64);
	assert_false(d->bars[0].io);
	assert_int_equal(d->bars[1].size, 0);
	assert_int_equal(d->msix_vectors, 9);
	assert_int_equal(d->msix_bar, 0);
	assert_int_equal(d->msix_table_offset, 0x2000);
	assert_int_equal(d->msix_pba_offset, 0x3000);
	assert_ptr_equal(d->dev, t->c);
}

static void test_registers(void **state)
{
	struct tb *t = *state;
	uint64_t cap = rd64(t, 0);
	uint8_t b;

	assert_int_equal(cap & 0xffff, 1023);            /* MQES */
	assert_true(cap & (1ull << 16));                 /* CQR */
	assert_int_not_equal((cap >> 24) & 0xff, 0);     /* TO */
	assert_int_equal((cap >> 32) & 0xf, 0);          /* DSTRD */
	assert_true(cap & (1ull << 37));                 /* CSS: NVM */
	assert_int_equal((cap >> 48) & 0xf, 0);          /* MPSMIN: 4 KiB */
	assert_int_equal(rd32(t, 0) | (uint64_t)rd32(t, 4) << 32, cap);
	assert_int_equal(rd32(t, 0x08), 0x00010400);     /* VS 1.4 */
	assert_int_equal(rd32(t, 0x1c), 0);              /* not ready */
	/* a byte read of VS's minor version */
	t->desc->bars[0].read(t->desc->dev, 0x09, &b, 1);
	assert_int_equal(b, 4);
	/* INTMS sets, INTMC clears */
	wr32(t, 0x0c, 0x5);
	assert_int_equal(rd32(t, 0x0c), 0x5);
	wr32(t, 0x10, 0x1);
	assert_int_equal(rd32(t, 0x0c), 0x4);
	/* AQA/ASQ/ACQ hold what was written, reserved bits clear */
	wr32(t, 0x24, 0xffffffff);
	assert_int_equal(rd32(t, 0x24), 0x0fff0fff);
	wr64(t, 0x28, 0x123456789abcdeffull);
	assert_int_equal(rd64(t, 0x28), 0x123456789abcd000ull);
	/* byte writes are not register accesses: ignored */
	b = 1;
	t->desc->bars[0].write(t->desc->dev, 0x14, &b, 1);
	assert_int_equal(rd32(t, 0x14), 0);
	/* doorbells while disabled: ignored, no crash */
	wr32(t, 0x1000, 5);
	wr32(t, 0x1ffc, 5);
	assert_int_equal(rd32(t, 0x1c), 0);
}

/* ---- tests: bring-up --------------------------------------------------------------- */

static void test_init_identify(void **state)
{
	struct tb *t = *state;
	uint64_t buf = RAM_GPA + DATA_OFF;
	const uint8_t *id = gva(t, buf);
	char serial[21];

	enable_admin(t, ADMIN_QSIZE);
	assert_int_equal(t->events[VMM_EV_NVME_ENABLED], 1);

	/* Identify controller */
	assert_int_equal(identify(t, 1, 0, buf), ST_OK);
	assert_int_equal(t->irqs[0], 1);
	assert_ptr_equal(t->last_pci_handle, t);
	assert_int_equal(get_le32(id) & 0xffff, 0x1d0f);                 /* VID */
	assert_int_equal(get_le32(id) >> 16, 0x1d0f);                    /* SSVID */
	assert_memory_equal(id + 24, "Amazon Elastic Block Store              ", 40);
	memcpy(serial, id + 4, 20);
	serial[20] = '\0';
	assert_memory_equal(serial, "vol", 3);
	for (int i = 3; i < 20; i++)
		assert_non_null(strchr("0123456789abcdef", serial[i]));
	assert_memory_equal(id + 64, "1.0     ", 8);                 /* FR */
	assert_int_equal(id[77], 6);                                  /* MDTS */
	assert_int_equal(get_le32(id + 80), 0x00010400);                 /* VER */
	assert_int_equal(id[512], 0x66);                              /* SQES */
	assert_int_equal(id[513], 0x44);                              /* CQES */
	assert_int_equal(get_le32(id + 516), 1);                         /* NN */
	/* ebsnvme-id: vs.bdev[32] at 3072 */
	assert_memory_equal(id + 3072, "/dev/xvda                       ", 32);
	assert_memory_equal(id + 768, "nqn.2014.08.org.nvmexpress:1d0f1d0fvol", 38);
	assert_int_equal(t->events[VMM_EV_NVME_IDENTIFIED], 0);

	/* active namespace list */
	memset(gva(t, buf), 0xff, PAGE);
	assert_int_equal(identify(t, 2, 0, buf), ST_OK);
	assert_int_equal(get_le32(id), 1);
	assert_int_equal(get_le32(id + 4), 0);
	assert_int_equal(identify(t, 2, 1, buf), ST_OK);
	assert_int_equal(get_le32(id), 0);

	/* namespace: size from the disk, 512-byte LBAs */
	assert_int_equal(identify(t, 0, 1, buf), ST_OK);
	assert_int_equal(get_le64(id), NSZE);
	assert_int_equal(get_le64(id + 8), NSZE);
	assert_int_equal(id[26] & 0xf, 0);                            /* FLBAS */
	assert_int_equal(id[128 + 2], 9);                             /* LBAF0.LBADS */
	assert_int_equal(t->events[VMM_EV_NVME_IDENTIFIED], 1);
	assert_non_null(strstr(t->detail[VMM_EV_NVME_IDENTIFIED], "4099 sectors"));

	/* descriptors: none, an empty list */
	memset(gva(t, buf), 0xff, PAGE);
	assert_int_equal(identify(t, 3, 1, buf), ST_OK);
	assert_int_equal(get_le32(id), 0);

	/* number of queues: asked 4/4, granted 4/4; more than 8 gives 8 */
	assert_int_equal(set_features(t, 0x07, 3u << 16 | 3u), ST_OK);
	assert_int_equal(t->dw0, 3u << 16 | 3u);
	assert_int_equal(set_features(t, 0x07, 63u << 16 | 63u), ST_OK);
	assert_int_equal(t->dw0, 7u << 16 | 7u);

	assert_int_equal(create_cq(t, 1, RAM_GPA + CQ1_OFF, IO_QSIZE, 1), ST_OK);
	assert_int_equal(t->events[VMM_EV_NVME_IO_QUEUES], 0);
	assert_int_equal(create_sq(t, 1, RAM_GPA + SQ1_OFF, IO_QSIZE, 1), ST_OK);
	assert_int_equal(t->events[VMM_EV_NVME_IO_QUEUES], 1);
	assert_int_equal(t->irqs[0], 9);
	assert_int_equal(t->irqs[1], 0);
}

/* ---- tests: I/O ---------------------------------------------------------------------- */

static void test_io(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF, list = RAM_GPA + LIST_OFF;
	uint8_t *l;

	bring_up(t);

	/* PRP1 only: one page */
	assert_int_equal(rw(t, 0x02, 0, 8, data, 0), ST_OK);
	assert_disk_bytes(t, data, 0, 4096);
	assert_int_equal(t->irqs[1], 1);
	assert_int_equal(t->events[VMM_EV_NVME_FIRST_READ], 1);
	/* PRP1 only, at an offset inside the page */
	assert_int_equal(rw(t, 0x02, 77, 1, data + 0x600, 0), ST_OK);
	assert_disk_bytes(t, data + 0x600, 77 * 512, 512);
	/* the last whole LBA */
	assert_int_equal(rw(t, 0x02, NSZE - 1, 1, data, 0), ST_OK);
	assert_disk_bytes(t, data, (NSZE - 1) * 512, 512);

	/* PRP1 + PRP2: two pages, the second far from the first */
	assert_int_equal(rw(t, 0x02, 16, 16, data + 5 * PAGE, data + 9 * PAGE), ST_OK);
	assert_disk_bytes(t, data + 5 * PAGE, 16 * 512, PAGE);
	assert_disk_bytes(t, data + 9 * PAGE, 16 * 512 + PAGE, PAGE);
	/* PRP1 at an offset + PRP2: 0x800 + 0x800 bytes across two pages */
	assert_int_equal(rw(t, 0x02, 3, 8, data + 0x800, data + 3 * PAGE), ST_OK);
	assert_disk_bytes(t, data + 0x800, 3 * 512, 0x800);
	assert_disk_bytes(t, data + 3 * PAGE, 3 * 512 + 0x800, 0x800);

	/* PRP list: 64 KiB from an offset in the first page, data pages in
	 * reverse order */
	l = gva(t, list);
	for (int i = 0; i < 16; i++)
		put_le64(l + i * 8, data + (uint64_t)(40 - i) * PAGE);
	assert_int_equal(rw(t, 0x02, 200, 128, data + 0xa00, list), ST_OK);
	assert_disk_bytes(t, data + 0xa00, 200 * 512, PAGE - 0xa00);
	for (int i = 0; i < 16; i++) {
		size_t done = PAGE - 0xa00 + (size_t)i * PAGE, n = 65536 - done < PAGE ? 65536 - done : PAGE;

		assert_disk_bytes(t, data + (uint64_t)(40 - i) * PAGE, 200 * 512 + done, n);
	}

	/* PRP list crossing list pages: 256 KiB (MDTS), the list starts 4
	 * entries before the end of its page; the 4th is the link */
	{
		uint64_t l1 = list + PAGE - 32, l2 = list + 5 * PAGE;
		uint64_t pages[64];

		for (int i = 0; i < 64; i++)
			pages[i] = data + (uint64_t)(100 + 2 * i) * PAGE; /* every other page */
		for (int i = 0; i < 3; i++)
			put_le64(gva(t, l1 + i * 8), pages[1 + i]);
		put_le64(gva(t, l1 + 24), l2);
		for (int i = 4; i < 64; i++)
			put_le64(gva(t, l2 + (i - 4) * 8ull), pages[i]);
		assert_int_equal(rw(t, 0x02, 1000, 512, pages[0], l1), ST_OK);
		for (int i = 0; i < 64; i++)
			assert_disk_bytes(t, pages[i], 1000 * 512 + (uint64_t)i * PAGE, PAGE);
	}
	assert_int_equal(t->irqs[1], 7);
}

static void test_write_read_back(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF, list = RAM_GPA + LIST_OFF;
	struct cmd flush = { .opcode = 0x00, .nsid = 1 };

	bring_up(t);
	/* 12 KiB at LBA 100 from three scattered pages (PRP1 + list) */
	for (int p = 0; p < 3; p++)
		memset(gva(t, data + (10 + 2 * p) * (uint64_t)PAGE), 0xa0 + p, PAGE);
	put_le64(gva(t, list), data + 12 * PAGE);
	put_le64(gva(t, list + 8), data + 14 * PAGE);
	assert_int_equal(rw(t, 0x01, 100, 24, data + 10 * PAGE, list), ST_OK);
	assert_int_equal(run_cmd(t, 1, &flush), ST_OK);
	flush.nsid = 0xffffffff;
	assert_int_equal(run_cmd(t, 1, &flush), ST_OK);

	/* read back LBA 99..124 into one contiguous run of pages */
	memset(gva(t, data + 30 * PAGE), 0, 4 * PAGE);
	put_le64(gva(t, list + 64), data + 31 * PAGE);
	put_le64(gva(t, list + 72), data + 32 * PAGE);
	put_le64(gva(t, list + 80), data + 33 * PAGE);
	assert_int_equal(rw(t, 0x02, 99, 26, data + 30 * PAGE, list + 64), ST_OK);
	assert_disk_bytes(t, data + 30 * PAGE, 99 * 512, 512);
	for (int p = 0; p < 3; p++) {
		const uint8_t *got = gva(t, data + 30 * PAGE + 512 + p * (uint64_t)PAGE);

		for (int i = 0; i < (int)PAGE; i++)
			assert_int_equal(got[i], 0xa0 + p);
	}
	assert_disk_bytes(t, data + 30 * PAGE + 512 + 3 * PAGE, 124 * 512, 512);

	/* Write Zeroes, then Dataset Management over it */
	{
		struct cmd wz = { .opcode = 0x08, .nsid = 1, .cdw10 = 101, .cdw12 = 3 };
		struct cmd dsm = { .opcode = 0x09, .nsid = 1, .prp1 = list + 512, .cdw11 = 4 };
		uint8_t *r = gva(t, list + 512);

		assert_int_equal(run_cmd(t, 1, &wz), ST_OK);
		assert_int_equal(rw(t, 0x02, 100, 5, data + 40 * PAGE, 0), ST_OK);
		for (int i = 0; i < 512; i++)
			assert_int_equal(*gva(t, data + 40 * PAGE + i), 0xa0);
		for (int i = 512; i < 4 * 512; i++)
			assert_int_equal(*gva(t, data + 40 * PAGE + i), 0);
		memset(r, 0, 32);
		put_le32(r + 4, 8);       /* range 0: 8 LBAs at 0 */
		put_le32(r + 16 + 4, 2);  /* range 1: 2 LBAs at NSZE-2 */
		put_le64(r + 16 + 8, NSZE - 2);
		dsm.cdw10 = 1;
		assert_int_equal(run_cmd(t, 1, &dsm), ST_OK);
		put_le64(r + 16 + 8, NSZE - 1);
		assert_int_equal(run_cmd(t, 1, &dsm), ST_LBA_RANGE);
		wz.cdw10 = (uint32_t)NSZE - 2;
		assert_int_equal(run_cmd(t, 1, &wz), ST_LBA_RANGE);
	}

	/* the SMART log counted it: 2 read commands, 2 write commands */
	{
		struct cmd log = { .opcode = 0x02, .nsid = 0xffffffff, .prp1 = data,
				   .cdw10 = 0x02 | (128u - 1) << 16 };

		assert_int_equal(run_cmd(t, 0, &log), ST_OK);
		assert_int_equal(get_le64(gva(t, data + 64)), 2); /* host read commands */
		assert_int_equal(get_le64(gva(t, data + 80)), 1); /* host write commands */
		assert_int_equal(*gva(t, data + 3), 100);      /* available spare */
	}
	assert_true(disk_overlay_blocks(t->disk) >= 3);
}

/* ---- tests: the hostile guest --------------------------------------------------------- */

static void test_bad_commands(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF, list = RAM_GPA + LIST_OFF;
	struct cmd c;

	bring_up(t);

	/* opcodes */
	c = (struct cmd){ .opcode = 0xff };
	assert_int_equal(run_cmd(t, 0, &c), ST_INVALID_OPCODE);
	c = (struct cmd){ .opcode = 0x7f, .nsid = 1 };
	assert_int_equal(run_cmd(t, 1, &c), ST_INVALID_OPCODE);
	/* SGLs (PSDT) and fused operations are not supported */
	c = (struct cmd){ .opcode = 0x02, .nsid = 1, .prp1 = data, .dw0_flags = 1u << 14 };
	assert_int_equal(run_cmd(t, 1, &c), ST_INVALID_FIELD);
	c = (struct cmd){ .opcode = 0x06, .prp1 = data, .cdw10 = 1, .dw0_flags = 1u << 8 };
	assert_int_equal(run_cmd(t, 0, &c), ST_INVALID_FIELD);

	/* namespaces */
	assert_int_equal(identify(t, 0, 2, data), ST_INVALID_NS);
	assert_int_equal(identify(t, 0, 0, data), ST_INVALID_NS);
	assert_int_equal(identify(t, 0, 0xffffffff, data), ST_INVALID_NS);
	assert_int_equal(identify(t, 0x1f, 0, data), ST_INVALID_FIELD);
	c = (struct cmd){ .opcode = 0x02, .nsid = 2, .prp1 = data };
	assert_int_equal(run_cmd(t, 1, &c), ST_INVALID_NS);
	c.nsid = 0;
	assert_int_equal(run_cmd(t, 1, &c), ST_INVALID_NS);

	/* PRPs */
	assert_int_equal(rw(t, 0x02, 0, 1, 0x1000, 0), ST_DATA_XFER);                /* no RAM */
	assert_int_equal(rw(t, 0x02, 0, 1, RAM_GPA + RAM_SIZE - 256, 0), ST_DATA_XFER); /* runs out */
	assert_int_equal(rw(t, 0x02, 0, 1, UINT64_MAX - 3, 0), ST_DATA_XFER);        /* wraps */
	assert_int_equal(rw(t, 0x02, 0, 1, data + 2, 0), ST_PRP_OFFSET);
	assert_int_equal(rw(t, 0x02, 0, 16, data, data + PAGE + 8), ST_PRP_OFFSET);
	assert_int_equal(rw(t, 0x02, 0, 16, data, 0xdead0000000ull), ST_DATA_XFER);
	put_le64(gva(t, list), data + PAGE);
	put_le64(gva(t, list + 8), data + 2 * PAGE + 0x10);                             /* offset */
	assert_int_equal(rw(t, 0x02, 0, 24, data, list), ST_PRP_OFFSET);
	put_le64(gva(t, list + 8), 0x7000000000ull);                                     /* no RAM */
	assert_int_equal(rw(t, 0x02, 0, 24, data, list), ST_DATA_XFER);
	assert_int_equal(rw(t, 0x02, 0, 24, data, 0x7000000000ull), ST_DATA_XFER);   /* the list */
	assert_int_equal(rw(t, 0x02, 0, 24, data, list + 4), ST_PRP_OFFSET);
	/* a list page whose last entry links to itself: no endless walk */
	put_le64(gva(t, list + PAGE - 8), list + PAGE - 8);
	assert_int_equal(rw(t, 0x02, 0, 64, data, list + PAGE - 8), ST_DATA_XFER);
	/* the same bad PRP on a write: the overlay is not touched */
	assert_int_equal(rw(t, 0x01, 0, 1, 0x1000, 0), ST_DATA_XFER);
	assert_int_equal(disk_overlay_blocks(t->disk), 0);

	/* LBA ranges and transfer size */
	assert_int_equal(rw(t, 0x02, NSZE, 1, data, 0), ST_LBA_RANGE);
	assert_int_equal(rw(t, 0x02, NSZE - 1, 2, data, 0), ST_LBA_RANGE);
	assert_int_equal(rw(t, 0x02, UINT64_MAX, 1, data, 0), ST_LBA_RANGE);
	assert_int_equal(rw(t, 0x01, NSZE, 1, data, 0), ST_LBA_RANGE);
	assert_int_equal(rw(t, 0x02, 0, 513, data, list), ST_INVALID_FIELD);         /* > MDTS */
	assert_int_equal(t->events[VMM_EV_NVME_FIRST_READ], 0);

	/* log pages and features */
	c = (struct cmd){ .opcode = 0x02, .prp1 = data, .cdw10 = 0x7f | 127u << 16 };
	assert_int_equal(run_cmd(t, 0, &c), ST_INVALID_LOG);
	c.cdw10 = 0x02 | 127u << 16;
	c.cdw12 = 1024; /* offset past the SMART log */
	assert_int_equal(run_cmd(t, 0, &c), ST_INVALID_FIELD);
	c.cdw12 = 2; /* not dword aligned */
	assert_int_equal(run_cmd(t, 0, &c), ST_INVALID_FIELD);
	assert_int_equal(set_features(t, 0x07, 0xffff), ST_INVALID_FIELD);
	assert_int_equal(set_features(t, 0x07, 0), ST_CMD_SEQ); /* IO queues exist */
	assert_int_equal(set_features(t, 0x02, 1), ST_INVALID_FIELD); /* no power state 1 */
	assert_int_equal(set_features(t, 0x0c, 1), ST_INVALID_FIELD); /* no APST */
	assert_int_equal(set_features(t, 0x09, 9), ST_INVALID_FIELD); /* vector 9 */
	c = (struct cmd){ .opcode = 0x09, .cdw10 = 0x06 | 1u << 31, .cdw11 = 1 };
	assert_int_equal(run_cmd(t, 0, &c), ST_NOT_SAVEABLE);
	c = (struct cmd){ .opcode = 0x0a, .cdw10 = 0x06 | 4u << 8 };
	assert_int_equal(run_cmd(t, 0, &c), ST_INVALID_FIELD); /* SEL 4 */
}

static void test_bad_queues(void **state)
{
	struct tb *t = *state;
	uint64_t q2 = RAM_GPA + 0x4000, q3 = RAM_GPA + 0x20000;
	struct cmd c;

	enable_admin(t, ADMIN_QSIZE);
	assert_int_equal(set_features(t, 0x07, 1u << 16 | 1u), ST_OK); /* 2 SQs, 2 CQs */

	/* CQ ids, sizes, vectors, memory */
	assert_int_equal(create_cq(t, 0, q2, 16, 1), ST_QID_INVALID);
	assert_int_equal(create_cq(t, 3, q2, 16, 1), ST_QID_INVALID);   /* over the grant */
	assert_int_equal(create_cq(t, 9, q2, 16, 1), ST_QID_INVALID);
	assert_int_equal(create_cq(t, 0xffff, q2, 16, 1), ST_QID_INVALID);
	assert_int_equal(create_cq(t, 1, q2, 1025, 1), ST_QUEUE_SIZE);  /* MQES+2 */
	assert_int_equal(create_cq(t, 1, q2, 1, 1), ST_QUEUE_SIZE);
	assert_int_equal(create_cq(t, 1, q2, 16, 9), ST_INVALID_VECTOR);
	assert_int_equal(create_cq(t, 1, q2 + 0x100, 16, 1), ST_PRP_OFFSET);
	assert_int_equal(create_cq(t, 1, RAM_GPA + RAM_SIZE - PAGE, 1024, 1), ST_INVALID_FIELD);
	assert_int_equal(create_cq(t, 1, 0x10000, 16, 1), ST_INVALID_FIELD);
	c = (struct cmd){ .opcode = 0x05, .prp1 = q2, .cdw10 = 15u << 16 | 1, .cdw11 = 1u << 16 | 2 };
	assert_int_equal(run_cmd(t, 0, &c), ST_INVALID_FIELD);          /* PC=0, CAP.CQR */
	assert_int_equal(create_cq(t, 1, q2, 1024, 1), ST_OK);          /* MQES+1 is fine */
	assert_int_equal(create_cq(t, 1, q2, 16, 1), ST_QID_INVALID);   /* in use */

	/* SQ ids, CQ ids, sizes */
	assert_int_equal(create_sq(t, 0, q3, 16, 1), ST_QID_INVALID);
	assert_int_equal(create_sq(t, 3, q3, 16, 1), ST_QID_INVALID);
	assert_int_equal(create_sq(t, 1, q3, 16, 2), ST_CQ_INVALID);
	assert_int_equal(create_sq(t, 1, q3, 16, 0), ST_CQ_INVALID);
	assert_int_equal(create_sq(t, 1, q3, 16, 200), ST_CQ_INVALID);
	assert_int_equal(create_sq(t, 1, q3, 2000, 1), ST_QUEUE_SIZE);
	assert_int_equal(create_sq(t, 1, RAM_GPA + RAM_SIZE - PAGE, 128, 1), ST_INVALID_FIELD);
	assert_int_equal(t->events[VMM_EV_NVME_IO_QUEUES], 0);
	assert_int_equal(create_sq(t, 1, q3, 16, 1), ST_OK);
	assert_int_equal(create_sq(t, 1, q3, 16, 1), ST_QID_INVALID);

	/* deletion: not the admin queue, not a CQ with an SQ on it */
	c = (struct cmd){ .opcode = 0x04, .cdw10 = 1 };
	assert_int_equal(run_cmd(t, 0, &c), ST_QUEUE_DELETION);
	c.cdw10 = 0;
	assert_int_equal(run_cmd(t, 0, &c), ST_QID_INVALID);
	c = (struct cmd){ .opcode = 0x00, .cdw10 = 2 };
	assert_int_equal(run_cmd(t, 0, &c), ST_QID_INVALID);
	c.cdw10 = 0;
	assert_int_equal(run_cmd(t, 0, &c), ST_QID_INVALID);
	c.cdw10 = 1;
	assert_int_equal(run_cmd(t, 0, &c), ST_OK);
	assert_int_equal(run_cmd(t, 0, &c), ST_QID_INVALID);
	c = (struct cmd){ .opcode = 0x04, .cdw10 = 1 };
	assert_int_equal(run_cmd(t, 0, &c), ST_OK);
	assert_int_equal(run_cmd(t, 0, &c), ST_QID_INVALID);
}

/* Doorbells beyond a queue or for no queue: ignored, reported through an
 * Asynchronous Event Request (Error, log page 1). */
static void test_bad_doorbells(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF;
	struct cmd aer = { .opcode = 0x0c }, log = { .opcode = 0x02, .prp1 = data,
						     .cdw10 = 0x01 | 15u << 16 };
	uint16_t cid, got;

	bring_up(t);
	/* four AERs are held without completion; a fifth is over AERL */
	for (int i = 0; i < 4; i++) {
		submit(t, 0, &aer);
		assert_int_equal(reap(t, 0, &got), -1);
	}
	assert_int_equal(run_cmd(t, 0, &aer), ST_ASYNC_LIMIT);

	/* SQ tail beyond the queue */
	cid = t->cid;
	wr32(t, 0x1008, IO_QSIZE);
	assert_int_equal(reap(t, 0, &got), ST_OK);
	assert_true(got <= cid && got > cid - 5);
	assert_int_equal(t->dw0, 0x010100); /* Error, Invalid Doorbell Write Value, log 1 */
	/* masked until the Error log is read */
	wr32(t, 0x1000 + 8 * 5, 1);
	assert_int_equal(reap(t, 0, &got), -1);
	log.cdw10 |= 1u << 15; /* Retain Asynchronous Event: stays masked */
	assert_int_equal(run_cmd(t, 0, &log), ST_OK);
	wr32(t, 0x1000 + 8 * 5, 1);
	assert_int_equal(reap(t, 0, &got), -1);
	log.cdw10 &= ~(1u << 15);
	assert_int_equal(run_cmd(t, 0, &log), ST_OK);
	/* doorbell of a queue that does not exist */
	wr32(t, 0x1000 + 8 * 5, 1);
	assert_int_equal(reap(t, 0, &got), ST_OK);
	assert_int_equal(t->dw0, 0x010000); /* Error, Invalid Doorbell Register, log 1 */
	assert_int_equal(run_cmd(t, 0, &log), ST_OK);
	/* CQ head past what was posted */
	wr32(t, 0x100c, 10);
	assert_int_equal(reap(t, 0, &got), ST_OK);
	assert_int_equal(t->dw0, 0x010100);
	assert_int_equal(run_cmd(t, 0, &log), ST_OK);
	/* far beyond the doorbells, and sub-dword writes: ignored */
	wr32(t, 0x1ffc, 3);
	assert_int_equal(reap(t, 0, &got), ST_OK);
	assert_int_equal(t->dw0, 0x010000);

	/* the IO queue still works */
	assert_int_equal(rw(t, 0x02, 0, 1, data, 0), ST_OK);
	assert_disk_bytes(t, data, 0, 512);
	assert_int_equal(rd32(t, 0x1c), 1);
}

/* A full CQ stops the SQ until the host frees an entry. */
static void test_cq_full(void **state)
{
	struct tb *t = *state;
	struct cmd ka = { .opcode = 0x18 };
	uint16_t c1, c2, c3, got;

	enable_admin(t, 2); /* the CQ holds one entry */
	c1 = submit(t, 0, &ka);
	c2 = submit(t, 0, &ka);
	/* peek without ringing the CQ doorbell */
	assert_int_equal(get_le32(gva(t, RAM_GPA + ACQ_OFF + 12)) & 0xffff, c1);
	assert_int_equal((get_le32(gva(t, RAM_GPA + ACQ_OFF + 16 + 12)) >> 16) & 1, 0);
	assert_int_equal(reap(t, 0, &got), ST_OK);
	assert_int_equal(got, c1);
	/* freeing the entry let c2 through */
	assert_int_equal(reap(t, 0, &got), ST_OK);
	assert_int_equal(got, c2);
	c3 = submit(t, 0, &ka);
	assert_int_equal(reap(t, 0, &got), ST_OK);
	assert_int_equal(got, c3);
	assert_int_equal(reap(t, 0, &got), -1);
}

/* Register misuse when enabling: CSTS.CFS, never ready, until a reset. */
static void test_fatal_enable(void **state)
{
	struct tb *t = *state;
	static const struct {
		uint32_t aqa;
		uint64_t asq, acq;
		uint32_t cc;
	} bad[] = {
		{ 0x001f001f, 0x1000, RAM_GPA + ACQ_OFF, CC_ENABLE },             /* ASQ not in RAM */
		{ 0x03ff001f, RAM_GPA + ASQ_OFF, RAM_GPA + RAM_SIZE - PAGE, CC_ENABLE }, /* ACQ runs out */
		{ 0x00000000, RAM_GPA + ASQ_OFF, RAM_GPA + ACQ_OFF, CC_ENABLE },  /* 1-entry queues */
		{ 0x001f001f, RAM_GPA + ASQ_OFF, RAM_GPA + ACQ_OFF, CC_ENABLE | 5u << 7 }, /* MPS */
		{ 0x001f001f, RAM_GPA + ASQ_OFF, RAM_GPA + ACQ_OFF, CC_ENABLE | 1u << 4 }, /* CSS */
		{ 0x001f001f, RAM_GPA + ASQ_OFF, RAM_GPA + ACQ_OFF, CC_ENABLE | 1u << 11 }, /* AMS */
		{ 0x001f001f, RAM_GPA + ASQ_OFF, RAM_GPA + ACQ_OFF, 1u | 7u << 16 }, /* IOSQES */
		{ 0x001f001f, RAM_GPA + 0x1000, RAM_GPA + ACQ_OFF, CC_ENABLE | 1u << 7 }, /* 8K page */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		wr32(t, 0x14, 0);
		assert_int_equal(rd32(t, 0x1c), 0);
		wr32(t, 0x24, bad[i].aqa);
		wr64(t, 0x28, bad[i].asq);
		wr64(t, 0x30, bad[i].acq);
		wr32(t, 0x14, bad[i].cc);
		if (rd32(t, 0x1c) != 2)
			fail_msg("case %zu: CSTS %#x, want CFS alone", i, rd32(t, 0x1c));
		/* doorbells of a failed controller do nothing */
		wr32(t, 0x1000, 1);
	}
	assert_int_equal(t->events[VMM_EV_NVME_ENABLED], 0);
	/* reset clears CFS; a good enable works */
	enable_admin(t, ADMIN_QSIZE);
	assert_int_equal(t->events[VMM_EV_NVME_ENABLED], 1);
}

static void test_reset_shutdown(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF;
	uint16_t got;

	bring_up(t);
	assert_int_equal(rw(t, 0x02, 0, 1, data, 0), ST_OK);

	/* normal shutdown: SHST complete */
	wr32(t, 0x14, CC_ENABLE | 1u << 14);
	assert_int_equal(rd32(t, 0x1c) & 0xc, 0x8);
	/* reset: not ready, queues gone */
	wr32(t, 0x14, 0);
	assert_int_equal(rd32(t, 0x1c), 0);
	/* AQA/ASQ are writable again, then enable */
	enable_admin(t, ADMIN_QSIZE);
	assert_int_equal(t->events[VMM_EV_NVME_ENABLED], 2);
	/* the old IO SQ doorbell is a doorbell of no queue now: nothing runs */
	t->q[1].sq_tail = 0;
	wr32(t, 0x1008, 1);
	assert_int_equal(reap(t, 1, &got), -1);
	/* the queues can be made again; the events fire again after enable */
	assert_int_equal(set_features(t, 0x07, 0), ST_OK);
	assert_int_equal(t->dw0, 0);
	assert_int_equal(create_cq(t, 1, RAM_GPA + CQ1_OFF, IO_QSIZE, 1), ST_OK);
	assert_int_equal(create_sq(t, 1, RAM_GPA + SQ1_OFF, IO_QSIZE, 1), ST_OK);
	assert_int_equal(create_sq(t, 2, RAM_GPA + 0x5000, IO_QSIZE, 1), ST_QID_INVALID);
	assert_int_equal(rw(t, 0x02, 5, 1, data, 0), ST_OK);
	assert_disk_bytes(t, data, 5 * 512, 512);
	assert_int_equal(t->events[VMM_EV_NVME_IO_QUEUES], 2);
	assert_int_equal(t->events[VMM_EV_NVME_FIRST_READ], 2);

	/* function-level reset through the PCI core's hook */
	t->desc->reset(t->desc->dev);
	assert_int_equal(rd32(t, 0x14), 0);
	assert_int_equal(rd32(t, 0x1c), 0);
	assert_int_equal(rd32(t, 0x24), 0);
}

static void test_features(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF;
	struct cmd get = { .opcode = 0x0a };
	struct cmd ts = { .opcode = 0x09, .prp1 = data, .cdw10 = 0x0e };

	enable_admin(t, ADMIN_QSIZE);
	/* volatile write cache: present, on by default, can be turned off */
	get.cdw10 = 0x06;
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 1);
	assert_int_equal(set_features(t, 0x06, 0), ST_OK);
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 0);
	get.cdw10 = 0x06 | 1u << 8; /* default */
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 1);
	get.cdw10 = 0x06 | 3u << 8; /* capabilities: changeable */
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 4);
	/* interrupt coalescing, arbitration, async event config keep values */
	assert_int_equal(set_features(t, 0x08, 0x0a05), ST_OK);
	get.cdw10 = 0x08;
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 0x0a05);
	assert_int_equal(set_features(t, 0x0b, 0x1ff), ST_OK);
	get.cdw10 = 0x0b;
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 0x1ff);
	assert_int_equal(set_features(t, 0x01, 3), ST_OK);
	assert_int_equal(set_features(t, 0x02, 0), ST_OK);
	/* temperature threshold */
	assert_int_equal(set_features(t, 0x04, 350), ST_OK);
	get.cdw10 = 0x04;
	get.cdw11 = 0;
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 350);
	get.cdw11 = 0;
	/* number of queues before any Set: all 8 */
	get.cdw10 = 0x07;
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_int_equal(t->dw0, 7u << 16 | 7u);
	/* timestamp: what the host set, plus a little */
	put_le64(gva(t, data), 1700000000000ull);
	assert_int_equal(run_cmd(t, 0, &ts), ST_OK);
	memset(gva(t, data), 0, 8);
	get.cdw10 = 0x0e;
	get.prp1 = data;
	assert_int_equal(run_cmd(t, 0, &get), ST_OK);
	assert_true((get_le64(gva(t, data)) & 0xffffffffffffull) - 1700000000000ull < 5000);
	assert_int_equal(*gva(t, data + 6), 2); /* origin: set by the host */
	get.prp1 = 0x1000; /* timestamp into no RAM */
	assert_int_equal(run_cmd(t, 0, &get), ST_DATA_XFER);
	/* abort: nothing to abort; keep alive */
	{
		struct cmd abort = { .opcode = 0x08, .cdw10 = 1u << 16 };
		struct cmd ka = { .opcode = 0x18 };

		assert_int_equal(run_cmd(t, 0, &abort), ST_OK);
		assert_int_equal(t->dw0 & 1, 1);
		assert_int_equal(run_cmd(t, 0, &ka), ST_OK);
	}
	/* firmware slot log */
	{
		struct cmd log = { .opcode = 0x02, .prp1 = data, .cdw10 = 0x03 | 127u << 16 };

		assert_int_equal(run_cmd(t, 0, &log), ST_OK);
		assert_int_equal(*gva(t, data), 1);
		assert_memory_equal(gva(t, data + 8), "1.0     ", 8);
	}
}

/* Identify into a buffer that starts mid-page: PRP1 + PRP2. */
static void test_identify_prp2(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF;
	struct cmd c = { .opcode = 0x06, .prp1 = data + 0xc00, .prp2 = data + 7 * PAGE, .cdw10 = 1 };

	enable_admin(t, ADMIN_QSIZE);
	assert_int_equal(run_cmd(t, 0, &c), ST_OK);
	assert_memory_equal(gva(t, data + 0xc00 + 24), "Amazon Elastic Block Store", 26);
	/* byte 3072 is 0x400 bytes into the second page */
	assert_memory_equal(gva(t, data + 7 * PAGE + 3072 - 0x400), "/dev/xvda", 9);
	c.prp2 = 0;
	assert_int_equal(run_cmd(t, 0, &c), ST_DATA_XFER);
}

/* 8 KiB pages (CC.MPS 1): PRP arithmetic follows the page size. */
static void test_page_8k(void **state)
{
	struct tb *t = *state;
	uint64_t data = RAM_GPA + DATA_OFF;

	wr32(t, 0x14, 0);
	wr32(t, 0x24, 0x001f001f);
	wr64(t, 0x28, RAM_GPA + ASQ_OFF);
	wr64(t, 0x30, RAM_GPA + 0x4000);
	wr32(t, 0x14, CC_ENABLE | 1u << 7);
	assert_int_equal(rd32(t, 0x1c), 1);
	t->q[0] = (struct queue){ .sq = RAM_GPA + ASQ_OFF, .cq = RAM_GPA + 0x4000,
				  .size = 32, .cq_size = 32, .phase = true };
	assert_int_equal(create_cq(t, 1, RAM_GPA + 0x6000, 16, 1), ST_OK);
	assert_int_equal(create_sq(t, 1, RAM_GPA + 0x8000, 16, 1), ST_OK);
	/* 16 KiB: 8 KiB in PRP1's page, 8 KiB in PRP2's */
	assert_int_equal(rw(t, 0x02, 10, 32, data, data + 8 * PAGE), ST_OK);
	assert_disk_bytes(t, data, 10 * 512, 2 * PAGE);
	assert_disk_bytes(t, data + 8 * PAGE, 10 * 512 + 2 * PAGE, 2 * PAGE);
	/* a 4 KiB-aligned PRP2 is not 8 KiB-aligned */
	assert_int_equal(rw(t, 0x02, 10, 32, data, data + 9 * PAGE), ST_PRP_OFFSET);
	/* queues must be page aligned */
	assert_int_equal(create_cq(t, 2, RAM_GPA + 0xa000 + PAGE, 16, 1), ST_PRP_OFFSET);
}

int main(void)
{
	const struct CMUnitTest raw[] = {
		cmocka_unit_test_setup_teardown(test_pci_desc, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_init_identify, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_io, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_back, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_bad_commands, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_bad_queues, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_bad_doorbells, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_cq_full, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_enable, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_reset_shutdown, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_identify_prp2, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_page_8k, setup_raw, teardown),
	};
	const struct CMUnitTest qcow2[] = {
		cmocka_unit_test_setup_teardown(test_init_identify, setup_qcow2, teardown),
		cmocka_unit_test_setup_teardown(test_io, setup_qcow2, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_back, setup_qcow2, teardown),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("nvme_raw", raw, NULL, NULL);
	failed += cmocka_run_group_tests_name("nvme_qcow2", qcow2, NULL, NULL);
	return failed;
}
