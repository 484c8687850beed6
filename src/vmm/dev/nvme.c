/* SPDX-License-Identifier: MIT */
/*
 * EBS-style NVMe controller (NVMe 1.4 base, NVM command set).
 *
 * Model: BAR0 holds the registers (0x0), the doorbells (0x1000, stride 4)
 * and the MSI-X table (0x2000) and PBA (0x3000) the PCI core emulates. A
 * doorbell write runs the queue on the writer's thread: fetch, execute,
 * post the completion, raise the CQ's vector. Every command completes
 * before the doorbell write returns, except Asynchronous Event Requests,
 * which are held until there is an event to report.
 */
#include "vmm/dev/nvme.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <time.h>

/* ---- Spec constants ---------------------------------------------------------- */

enum {
	REG_CAP = 0x00,
	REG_VS = 0x08,
	REG_INTMS = 0x0c,
	REG_INTMC = 0x10,
	REG_CC = 0x14,
	REG_CSTS = 0x1c,
	REG_NSSR = 0x20,
	REG_AQA = 0x24,
	REG_ASQ = 0x28,
	REG_ACQ = 0x30,
	REG_DBS = 0x1000,
};

#define CC_EN (1u << 0)
#define CC_CSS(cc) (((cc) >> 4) & 7)
#define CC_MPS(cc) (((cc) >> 7) & 0xf)
#define CC_AMS(cc) (((cc) >> 11) & 7)
#define CC_SHN(cc) (((cc) >> 14) & 3)
#define CC_IOSQES(cc) (((cc) >> 16) & 0xf)
#define CC_IOCQES(cc) (((cc) >> 20) & 0xf)
#define CC_SHN_MASK (3u << 14)
#define CC_QES_MASK (0xffu << 16)

#define CSTS_RDY (1u << 0)
#define CSTS_CFS (1u << 1)
#define CSTS_SHST_COMPLETE (2u << 2)
#define CSTS_SHST_MASK (3u << 2)

#define NVME_VS_1_4 0x00010400u
#define MPSMAX 4 /* 64 KiB pages */
#define CAP_TO 20 /* 10 s, in 500 ms units */

#define SQES 6 /* 64-byte submission entries */
#define CQES 4 /* 16-byte completion entries */
#define LBA_SHIFT 9
#define MAX_XFER ((size_t)4096 << NVME_MDTS)
/* a transfer of MAX_XFER bytes at an unaligned start spans one page more */
#define MAX_SEGS ((MAX_XFER >> 12) + 1)
#define AERL 3 /* 4 outstanding Asynchronous Event Requests */
#define NSID_ALL 0xffffffffu

enum {
	ADM_DELETE_SQ = 0x00,
	ADM_CREATE_SQ = 0x01,
	ADM_GET_LOG_PAGE = 0x02,
	ADM_DELETE_CQ = 0x04,
	ADM_CREATE_CQ = 0x05,
	ADM_IDENTIFY = 0x06,
	ADM_ABORT = 0x08,
	ADM_SET_FEATURES = 0x09,
	ADM_GET_FEATURES = 0x0a,
	ADM_ASYNC_EVENT = 0x0c,
	ADM_KEEP_ALIVE = 0x18,
};

enum {
	IO_FLUSH = 0x00,
	IO_WRITE = 0x01,
	IO_READ = 0x02,
	IO_WRITE_ZEROES = 0x08,
	IO_DSM = 0x09,
};

/* Status: SCT in bits 10:8, SC in 7:0, as the CQE's status field >> 1. */
enum {
	SC_SUCCESS = 0x00,
	SC_INVALID_OPCODE = 0x01,
	SC_INVALID_FIELD = 0x02,
	SC_DATA_XFER_ERROR = 0x04,
	SC_INTERNAL = 0x06,
	SC_INVALID_NS = 0x0b,
	SC_CMD_SEQ_ERROR = 0x0c,
	SC_PRP_OFFSET_INVALID = 0x13,
	SC_LBA_RANGE = 0x80,
	SC_CQ_INVALID = 0x100,
	SC_QID_INVALID = 0x101,
	SC_QUEUE_SIZE = 0x102,
	SC_ASYNC_LIMIT = 0x105,
	SC_INVALID_VECTOR = 0x108,
	SC_INVALID_LOG_PAGE = 0x109,
	SC_INVALID_QUEUE_DELETION = 0x10c,
	SC_FEATURE_NOT_SAVEABLE = 0x10d,
	SC_WRITE_FAULT = 0x280,
	SC_UNRECOVERED_READ = 0x281,
	SC_DNR = 0x4000,
	/* internal: the command stays outstanding (AER) */
	SC_HELD = 0xffff,
};

enum {
	FEAT_ARBITRATION = 0x01,
	FEAT_POWER_MGMT = 0x02,
	FEAT_TEMP_THRESH = 0x04,
	FEAT_ERR_RECOVERY = 0x05,
	FEAT_VOLATILE_WC = 0x06,
	FEAT_NUM_QUEUES = 0x07,
	FEAT_IRQ_COALESCE = 0x08,
	FEAT_IRQ_CONFIG = 0x09,
	FEAT_WRITE_ATOMIC = 0x0a,
	FEAT_ASYNC_EVENT = 0x0b,
	FEAT_TIMESTAMP = 0x0e,
	FEAT_KATO = 0x0f,
};

/* Asynchronous event types and the Error-type information codes. */
enum {
	AEN_TYPE_ERROR = 0,
	AEN_INFO_INVALID_DB_REG = 0x00,
	AEN_INFO_INVALID_DB_VALUE = 0x01,
	LOG_ERROR = 0x01,
	LOG_SMART = 0x02,
	LOG_FW_SLOT = 0x03,
};

/* ---- State ------------------------------------------------------------------- */

struct nvme_sq {
	bool valid;
	uint64_t base;
	uint32_t size; /* entries */
	uint32_t head, tail;
	uint16_t cqid;
};

struct nvme_cq {
	bool valid;
	bool phase;
	bool ien;
	uint64_t base;
	uint32_t size;
	uint32_t head, tail;
	uint16_t iv;
	unsigned int n_sqs;
};

struct nvme_features {
	uint32_t arbitration;
	uint32_t power_mgmt;
	uint16_t temp_over, temp_under;
	uint32_t err_recovery;
	uint32_t vwc;
	uint32_t irq_coalesce;
	uint32_t irq_config[NVME_MAX_IO_QUEUES + 1];
	uint32_t write_atomic;
	uint32_t async_event;
	uint32_t kato;
};

struct prp_seg {
	uint64_t gpa;
	uint32_t len;
};

struct nvme_ctrl {
	pthread_mutex_t lock;
	struct dev_host host;
	void *pci_handle;
	struct pci_dev_desc desc;
	struct disk *disk;
	uint64_t nsze; /* LBAs */
	char serial[21];
	char ebs_name[33];
	char firmware[9];
	unsigned int max_io_queues;
	unsigned int n_vectors;

	uint64_t cap;
	uint32_t cc, csts, aqa, intms;
	uint64_t asq, acq;
	unsigned int page_shift;

	struct nvme_sq sq[NVME_MAX_IO_QUEUES + 1];
	struct nvme_cq cq[NVME_MAX_IO_QUEUES + 1];
	unsigned int nsqa, ncqa; /* IO queues granted by Number of Queues */
	bool io_queues_created;

	struct nvme_features feat, feat_default;
	uint64_t timestamp_ms;      /* host's value at timestamp_set */
	struct timespec timestamp_set;
	bool timestamp_valid;

	uint16_t aer_cids[AERL + 1];
	unsigned int n_aer;
	uint32_t aen_pending[8];
	unsigned int n_aen;
	bool aen_error_masked; /* until the host reads the Error log */

	/* SMART counters */
	uint64_t lbas_read, lbas_written, read_cmds, write_cmds;

	bool ev_identified, ev_io_queues, ev_first_read;

	struct prp_seg segs[MAX_SEGS];
	uint8_t *bounce; /* MAX_XFER bytes */
};

/* ---- Little helpers ------------------------------------------------------------ */

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* ASCII field padded with spaces, as Identify strings are. */
static void put_ascii(uint8_t *p, size_t size, const char *s)
{
	size_t n = strlen(s);

	memset(p, ' ', size);
	memcpy(p, s, n < size ? n : size);
}

struct nvme_cmd {
	uint8_t opcode;
	uint8_t fuse;
	uint8_t psdt;
	uint16_t cid;
	uint32_t nsid;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

static void cmd_decode(const uint8_t *e, struct nvme_cmd *cmd)
{
	uint32_t dw0 = get_le32(e);

	cmd->opcode = (uint8_t)dw0;
	cmd->fuse = (dw0 >> 8) & 3;
	cmd->psdt = (dw0 >> 14) & 3;
	cmd->cid = (uint16_t)(dw0 >> 16);
	cmd->nsid = get_le32(e + 4);
	cmd->prp1 = get_le64(e + 24);
	cmd->prp2 = get_le64(e + 32);
	cmd->cdw10 = get_le32(e + 40);
	cmd->cdw11 = get_le32(e + 44);
	cmd->cdw12 = get_le32(e + 48);
	cmd->cdw13 = get_le32(e + 52);
	cmd->cdw14 = get_le32(e + 56);
	cmd->cdw15 = get_le32(e + 60);
}

static void emit(struct nvme_ctrl *c, enum vmm_event ev, const char *detail)
{
	if (c->host.event)
		c->host.event(c->host.opaque, ev, detail);
}

static void notify(struct nvme_ctrl *c, const struct nvme_cq *cq)
{
	if (cq->ien && c->host.msix_notify)
		c->host.msix_notify(c->host.opaque, c->pci_handle, cq->iv);
}

static void fatal(struct nvme_ctrl *c)
{
	c->csts |= CSTS_CFS;
}

/* ---- PRPs ------------------------------------------------------------------ */

/* Turns PRP1/PRP2 for a transfer of len bytes (0 < len <= MAX_XFER) into
 * checked guest segments; returns a status. */
static uint16_t prp_map(struct nvme_ctrl *c, uint64_t prp1, uint64_t prp2, size_t len,
			unsigned int *ret_n)
{
	const struct guest_mem *mem = c->host.mem;
	uint64_t page = 1ull << c->page_shift, mask = page - 1;
	unsigned int n = 0;
	uint64_t list, first;
	size_t rem;

	if (prp1 & 3)
		return SC_PRP_OFFSET_INVALID;
	first = page - (prp1 & mask);
	if (first > len)
		first = len;
	if (!guest_mem_ptr(mem, prp1, first))
		return SC_DATA_XFER_ERROR;
	c->segs[n++] = (struct prp_seg){ prp1, (uint32_t)first };
	rem = len - first;
	if (rem == 0)
		goto done;
	if (rem <= page) {
		/* PRP2 is the second and last page */
		if (prp2 & mask)
			return SC_PRP_OFFSET_INVALID;
		if (!guest_mem_ptr(mem, prp2, rem))
			return SC_DATA_XFER_ERROR;
		c->segs[n++] = (struct prp_seg){ prp2, (uint32_t)rem };
		goto done;
	}
	/* PRP2 points to a list; the last entry of a full list page points
	 * to the next list page. Each step either maps a page or follows a
	 * link, and a link is only taken with data left, so bound the links
	 * too: a list linking to itself must not spin. */
	if (prp2 & 7)
		return SC_PRP_OFFSET_INVALID;
	list = prp2;
	for (unsigned int links = 0; rem > 0;) {
		uint8_t raw[8];
		uint64_t entry, chunk;

		if (guest_mem_read(mem, list, raw, sizeof(raw)) < 0)
			return SC_DATA_XFER_ERROR;
		entry = get_le64(raw);
		if ((list & mask) == page - 8 && rem > page) {
			if (++links > MAX_SEGS || (entry & 7))
				return entry & 7 ? SC_PRP_OFFSET_INVALID : SC_DATA_XFER_ERROR;
			list = entry;
			continue;
		}
		if (entry & mask)
			return SC_PRP_OFFSET_INVALID;
		chunk = rem < page ? rem : page;
		if (n >= MAX_SEGS || !guest_mem_ptr(mem, entry, chunk))
			return SC_DATA_XFER_ERROR;
		c->segs[n++] = (struct prp_seg){ entry, (uint32_t)chunk };
		rem -= chunk;
		list += 8;
	}
done:
	*ret_n = n;
	return SC_SUCCESS;
}

/* Copies buf to the n segments prp_map found. */
static uint16_t segs_write(struct nvme_ctrl *c, unsigned int n, const uint8_t *buf)
{
	for (unsigned int i = 0; i < n; i++) {
		if (guest_mem_write(c->host.mem, c->segs[i].gpa, buf, c->segs[i].len) < 0)
			return SC_DATA_XFER_ERROR;
		buf += c->segs[i].len;
	}
	return SC_SUCCESS;
}

static uint16_t xfer_to_guest(struct nvme_ctrl *c, const struct nvme_cmd *cmd,
			      const uint8_t *buf, size_t len)
{
	unsigned int n;
	uint16_t sc = prp_map(c, cmd->prp1, cmd->prp2, len, &n);

	return sc ? sc : segs_write(c, n, buf);
}

static uint16_t xfer_from_guest(struct nvme_ctrl *c, const struct nvme_cmd *cmd,
				uint8_t *buf, size_t len)
{
	unsigned int n;
	uint16_t sc = prp_map(c, cmd->prp1, cmd->prp2, len, &n);

	if (sc)
		return sc;
	for (unsigned int i = 0; i < n; i++) {
		if (guest_mem_read(c->host.mem, c->segs[i].gpa, buf, c->segs[i].len) < 0)
			return SC_DATA_XFER_ERROR;
		buf += c->segs[i].len;
	}
	return SC_SUCCESS;
}

/* ---- Completion queues and asynchronous events ------------------------------- */

static bool cq_full(const struct nvme_cq *cq)
{
	return (cq->tail + 1) % cq->size == cq->head;
}

/* Posts one completion; false when the controller hit a fatal error. */
static bool cq_post(struct nvme_ctrl *c, struct nvme_cq *cq, uint32_t dw0, uint16_t sqhd,
		    uint16_t sqid, uint16_t cid, uint16_t status)
{
	uint64_t gpa = cq->base + (uint64_t)cq->tail * 16;
	uint8_t e[16];

	if (status)
		status |= SC_DNR;
	put_le32(e, dw0);
	put_le32(e + 4, 0);
	put_le16(e + 8, sqhd);
	put_le16(e + 10, sqid);
	put_le16(e + 12, cid);
	put_le16(e + 14, (uint16_t)(status << 1 | (cq->phase ? 1 : 0)));
	/* the phase tag goes last: a driver polling it must see a whole entry */
	if (guest_mem_write(c->host.mem, gpa, e, 12) < 0) {
		fatal(c);
		return false;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (guest_mem_write(c->host.mem, gpa + 12, e + 12, 4) < 0) {
		fatal(c);
		return false;
	}
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase = !cq->phase;
	}
	return true;
}

/* Completes held AERs with pending events while the admin CQ has room. */
static void aen_deliver(struct nvme_ctrl *c)
{
	struct nvme_cq *cq = &c->cq[0];
	bool posted = false;

	while (c->n_aer > 0 && c->n_aen > 0 && cq->valid && !cq_full(cq)) {
		uint32_t ev = c->aen_pending[0];

		memmove(c->aen_pending, c->aen_pending + 1, (c->n_aen - 1) * sizeof(uint32_t));
		c->n_aen--;
		if (!cq_post(c, cq, ev, (uint16_t)c->sq[0].head, 0, c->aer_cids[--c->n_aer], 0))
			return;
		posted = true;
	}
	if (posted)
		notify(c, cq);
}

static void aen_raise(struct nvme_ctrl *c, uint8_t type, uint8_t info, uint8_t log)
{
	if (type == AEN_TYPE_ERROR) {
		/* one Error event until the host reads the Error log */
		if (c->aen_error_masked)
			return;
		c->aen_error_masked = true;
	}
	if (c->n_aen >= ARRAY_SIZE(c->aen_pending))
		return;
	c->aen_pending[c->n_aen++] = type | (uint32_t)info << 8 | (uint32_t)log << 16;
	aen_deliver(c);
}

/* ---- Admin: Identify --------------------------------------------------------- */

static void identify_ctrl(struct nvme_ctrl *c, uint8_t *id)
{
	char subnqn[256];

	put_le16(id + 0, NVME_PCI_VENDOR_AMAZON);              /* VID */
	put_le16(id + 2, NVME_PCI_VENDOR_AMAZON);              /* SSVID */
	put_ascii(id + 4, 20, c->serial);                      /* SN */
	put_ascii(id + 24, 40, "Amazon Elastic Block Store");  /* MN */
	put_ascii(id + 64, 8, c->firmware);                    /* FR */
	id[72] = 32;                                           /* RAB */
	id[77] = NVME_MDTS;                                    /* MDTS */
	put_le16(id + 78, 0);                                  /* CNTLID */
	put_le32(id + 80, NVME_VS_1_4);                        /* VER */
	id[111] = 1;                                           /* CNTRLTYPE: I/O */
	put_le16(id + 256, 0);                                 /* OACS: none */
	id[258] = 3;                                           /* ACL */
	id[259] = AERL;                                        /* AERL */
	id[260] = 0x03;                                        /* FRMW: 1 slot, read-only */
	id[261] = 0x04;                                        /* LPA: extended data */
	id[262] = 0;                                           /* ELPE: 1 entry */
	id[263] = 0;                                           /* NPSS: 1 state */
	put_le16(id + 266, 343);                               /* WCTEMP (K) */
	put_le16(id + 268, 373);                               /* CCTEMP */
	id[512] = SQES << 4 | SQES;                            /* SQES */
	id[513] = CQES << 4 | CQES;                            /* CQES */
	put_le32(id + 516, 1);                                 /* NN */
	put_le16(id + 520, 1u << 2 | 1u << 3 | 1u << 6);       /* ONCS: DSM, WZ, TS */
	id[525] = 1;                                           /* VWC present */
	/* the name Linux would make up, so it does not warn */
	snprintf(subnqn, sizeof(subnqn), "nqn.2014.08.org.nvmexpress:%04x%04x%s%s",
		 NVME_PCI_VENDOR_AMAZON, NVME_PCI_VENDOR_AMAZON, c->serial,
		 "Amazon Elastic Block Store");
	memcpy(id + 768, subnqn, strlen(subnqn));
	put_le16(id + 2048, 2500);                             /* PSD0: 25 W */
	/* Vendor specific: the EBS device name ebsnvme-id reads (bdev[32]) */
	put_ascii(id + 3072, 32, c->ebs_name);
}

static void identify_ns(struct nvme_ctrl *c, uint8_t *id)
{
	put_le64(id + 0, c->nsze);  /* NSZE */
	put_le64(id + 8, c->nsze);  /* NCAP */
	put_le64(id + 16, c->nsze); /* NUSE */
	id[25] = 0;                 /* NLBAF: one format */
	id[26] = 0;                 /* FLBAS */
	id[130] = LBA_SHIFT;        /* LBAF0.LBADS */
}

static uint16_t adm_identify(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint8_t cns = cmd->cdw10 & 0xff;
	uint8_t csi = cmd->cdw11 >> 24;
	uint8_t *id = c->bounce;
	char detail[64];
	uint16_t sc;

	memset(id, 0, 4096);
	switch (cns) {
	case 0x00: /* namespace */
		if (cmd->nsid != 1)
			return SC_INVALID_NS;
		identify_ns(c, id);
		break;
	case 0x01: /* controller */
		identify_ctrl(c, id);
		break;
	case 0x02: /* active namespace list, ids above nsid */
		if (cmd->nsid >= 0xfffffffe)
			return SC_INVALID_NS;
		if (cmd->nsid < 1)
			put_le32(id, 1);
		break;
	case 0x03: /* namespace identification descriptors: EBS has none */
		if (cmd->nsid != 1)
			return SC_INVALID_NS;
		break;
	case 0x05: /* I/O command set specific namespace: NVM has nothing */
		if (cmd->nsid != 1)
			return SC_INVALID_NS;
		if (csi != 0)
			return SC_INVALID_FIELD;
		break;
	case 0x06: /* I/O command set specific controller */
		if (csi != 0)
			return SC_INVALID_FIELD;
		break;
	default:
		return SC_INVALID_FIELD;
	}
	sc = xfer_to_guest(c, cmd, id, 4096);
	if (sc == SC_SUCCESS && cns == 0x00 && !c->ev_identified) {
		c->ev_identified = true;
		snprintf(detail, sizeof(detail), "nsid 1, %" PRIu64 " sectors", c->nsze);
		emit(c, VMM_EV_NVME_IDENTIFIED, detail);
	}
	return sc;
}

/* ---- Admin: queues ------------------------------------------------------------ */

static bool queue_in_memory(struct nvme_ctrl *c, uint64_t base, uint64_t bytes)
{
	return guest_mem_ptr(c->host.mem, base, bytes) != NULL;
}

static uint16_t adm_create_cq(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint16_t qid = cmd->cdw10 & 0xffff;
	uint32_t size = (cmd->cdw10 >> 16) + 1;
	bool pc = cmd->cdw11 & 1, ien = cmd->cdw11 & 2;
	uint16_t iv = cmd->cdw11 >> 16;
	struct nvme_cq *cq;

	if (qid == 0 || qid > c->ncqa || c->cq[qid].valid)
		return SC_QID_INVALID;
	if (size < 2 || size > NVME_MQES + 1)
		return SC_QUEUE_SIZE;
	if (ien && iv >= c->n_vectors)
		return SC_INVALID_VECTOR;
	if (!pc || CC_IOCQES(c->cc) != CQES)
		return SC_INVALID_FIELD;
	if (cmd->prp1 & ((1ull << c->page_shift) - 1))
		return SC_PRP_OFFSET_INVALID;
	if (!queue_in_memory(c, cmd->prp1, (uint64_t)size << CQES))
		return SC_INVALID_FIELD;
	cq = &c->cq[qid];
	*cq = (struct nvme_cq){ .valid = true, .phase = true, .ien = ien, .base = cmd->prp1,
				.size = size, .iv = iv };
	return SC_SUCCESS;
}

static uint16_t adm_create_sq(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint16_t qid = cmd->cdw10 & 0xffff;
	uint32_t size = (cmd->cdw10 >> 16) + 1;
	bool pc = cmd->cdw11 & 1;
	uint16_t cqid = cmd->cdw11 >> 16;
	char detail[32];

	if (qid == 0 || qid > c->nsqa || c->sq[qid].valid)
		return SC_QID_INVALID;
	if (size < 2 || size > NVME_MQES + 1)
		return SC_QUEUE_SIZE;
	if (cqid == 0 || cqid > c->max_io_queues || !c->cq[cqid].valid)
		return SC_CQ_INVALID;
	if (!pc || CC_IOSQES(c->cc) != SQES)
		return SC_INVALID_FIELD;
	if (cmd->prp1 & ((1ull << c->page_shift) - 1))
		return SC_PRP_OFFSET_INVALID;
	if (!queue_in_memory(c, cmd->prp1, (uint64_t)size << SQES))
		return SC_INVALID_FIELD;
	c->sq[qid] = (struct nvme_sq){ .valid = true, .base = cmd->prp1, .size = size,
				       .cqid = cqid };
	c->cq[cqid].n_sqs++;
	c->io_queues_created = true;
	if (!c->ev_io_queues) {
		c->ev_io_queues = true;
		snprintf(detail, sizeof(detail), "sq %u cq %u", qid, cqid);
		emit(c, VMM_EV_NVME_IO_QUEUES, detail);
	}
	return SC_SUCCESS;
}

static uint16_t adm_delete_sq(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint16_t qid = cmd->cdw10 & 0xffff;

	if (qid == 0 || qid > c->max_io_queues || !c->sq[qid].valid)
		return SC_QID_INVALID;
	c->cq[c->sq[qid].cqid].n_sqs--;
	c->sq[qid] = (struct nvme_sq){ 0 };
	return SC_SUCCESS;
}

static uint16_t adm_delete_cq(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint16_t qid = cmd->cdw10 & 0xffff;

	if (qid == 0 || qid > c->max_io_queues || !c->cq[qid].valid)
		return SC_QID_INVALID;
	if (c->cq[qid].n_sqs > 0)
		return SC_INVALID_QUEUE_DELETION;
	c->cq[qid] = (struct nvme_cq){ 0 };
	return SC_SUCCESS;
}

/* ---- Admin: features ---------------------------------------------------------- */

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint16_t feat_timestamp_get(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint8_t data[8] = { 0 };
	uint64_t ms = 0;

	if (c->timestamp_valid) {
		uint64_t set = (uint64_t)c->timestamp_set.tv_sec * 1000 +
			       (uint64_t)c->timestamp_set.tv_nsec / 1000000;

		ms = c->timestamp_ms + (monotonic_ms() - set);
	}
	put_le64(data, ms & 0xffffffffffffull);
	/* byte 6: Synch 0, Timestamp Origin 1 (set by the host) or 0 */
	data[6] = c->timestamp_valid ? 1u << 1 : 0;
	return xfer_to_guest(c, cmd, data, sizeof(data));
}

static uint16_t feat_timestamp_set(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint8_t data[8];
	uint16_t sc = xfer_from_guest(c, cmd, data, sizeof(data));

	if (sc)
		return sc;
	c->timestamp_ms = get_le64(data) & 0xffffffffffffull;
	clock_gettime(CLOCK_MONOTONIC, &c->timestamp_set);
	c->timestamp_valid = true;
	return SC_SUCCESS;
}

static uint16_t adm_set_features(struct nvme_ctrl *c, const struct nvme_cmd *cmd,
				 uint32_t *ret_dw0)
{
	uint8_t fid = cmd->cdw10 & 0xff;
	uint32_t v = cmd->cdw11;
	struct nvme_features *f = &c->feat;

	if (cmd->cdw10 & (1u << 31))
		return SC_FEATURE_NOT_SAVEABLE;
	switch (fid) {
	case FEAT_ARBITRATION:
		f->arbitration = v;
		break;
	case FEAT_POWER_MGMT:
		if ((v & 0x1f) != 0) /* only power state 0 exists */
			return SC_INVALID_FIELD;
		f->power_mgmt = v & 0xff;
		break;
	case FEAT_TEMP_THRESH: {
		unsigned int tmpsel = (v >> 16) & 0xf, thsel = (v >> 20) & 3;

		if (tmpsel != 0 || thsel > 1)
			return SC_INVALID_FIELD;
		if (thsel == 0)
			f->temp_over = v & 0xffff;
		else
			f->temp_under = v & 0xffff;
		break;
	}
	case FEAT_ERR_RECOVERY:
		if (v & (1u << 16)) /* DULBE needs deallocation reporting */
			return SC_INVALID_FIELD;
		f->err_recovery = v & 0xffff;
		break;
	case FEAT_VOLATILE_WC:
		f->vwc = v & 1;
		break;
	case FEAT_NUM_QUEUES: {
		uint32_t nsqr = v & 0xffff, ncqr = v >> 16;

		if (nsqr == 0xffff || ncqr == 0xffff)
			return SC_INVALID_FIELD;
		if (c->io_queues_created)
			return SC_CMD_SEQ_ERROR;
		c->nsqa = nsqr + 1 < c->max_io_queues ? nsqr + 1 : c->max_io_queues;
		c->ncqa = ncqr + 1 < c->max_io_queues ? ncqr + 1 : c->max_io_queues;
		*ret_dw0 = (c->nsqa - 1) | (c->ncqa - 1) << 16;
		break;
	}
	case FEAT_IRQ_COALESCE:
		f->irq_coalesce = v & 0xffff;
		break;
	case FEAT_IRQ_CONFIG:
		if ((v & 0xffff) >= c->n_vectors)
			return SC_INVALID_FIELD;
		f->irq_config[v & 0xffff] = v & 0x1ffff;
		break;
	case FEAT_WRITE_ATOMIC:
		f->write_atomic = v & 1;
		break;
	case FEAT_ASYNC_EVENT:
		f->async_event = v;
		break;
	case FEAT_TIMESTAMP:
		return feat_timestamp_set(c, cmd);
	case FEAT_KATO:
		f->kato = v;
		break;
	default:
		return SC_INVALID_FIELD;
	}
	return SC_SUCCESS;
}

static uint16_t adm_get_features(struct nvme_ctrl *c, const struct nvme_cmd *cmd,
				 uint32_t *ret_dw0)
{
	uint8_t fid = cmd->cdw10 & 0xff;
	unsigned int sel = (cmd->cdw10 >> 8) & 7;
	const struct nvme_features *f = sel == 0 ? &c->feat : &c->feat_default;
	uint32_t v = cmd->cdw11;

	if (sel > 3)
		return SC_INVALID_FIELD;
	switch (fid) {
	case FEAT_ARBITRATION:
	case FEAT_POWER_MGMT:
	case FEAT_TEMP_THRESH:
	case FEAT_ERR_RECOVERY:
	case FEAT_VOLATILE_WC:
	case FEAT_NUM_QUEUES:
	case FEAT_IRQ_COALESCE:
	case FEAT_IRQ_CONFIG:
	case FEAT_WRITE_ATOMIC:
	case FEAT_ASYNC_EVENT:
	case FEAT_TIMESTAMP:
	case FEAT_KATO:
		break;
	default:
		return SC_INVALID_FIELD;
	}
	if (sel == 3) {
		/* capabilities: changeable, not saveable, not per namespace */
		*ret_dw0 = 1u << 2;
		return SC_SUCCESS;
	}
	switch (fid) {
	case FEAT_ARBITRATION:
		*ret_dw0 = f->arbitration;
		break;
	case FEAT_POWER_MGMT:
		*ret_dw0 = f->power_mgmt;
		break;
	case FEAT_TEMP_THRESH: {
		unsigned int tmpsel = (v >> 16) & 0xf, thsel = (v >> 20) & 3;

		if (tmpsel != 0 || thsel > 1)
			return SC_INVALID_FIELD;
		*ret_dw0 = thsel == 0 ? f->temp_over : f->temp_under;
		break;
	}
	case FEAT_ERR_RECOVERY:
		*ret_dw0 = f->err_recovery;
		break;
	case FEAT_VOLATILE_WC:
		*ret_dw0 = f->vwc;
		break;
	case FEAT_NUM_QUEUES:
		if (sel == 0)
			*ret_dw0 = (c->nsqa - 1) | (c->ncqa - 1) << 16;
		else
			*ret_dw0 = (c->max_io_queues - 1) | (c->max_io_queues - 1) << 16;
		break;
	case FEAT_IRQ_COALESCE:
		*ret_dw0 = f->irq_coalesce;
		break;
	case FEAT_IRQ_CONFIG:
		if ((v & 0xffff) >= c->n_vectors)
			return SC_INVALID_FIELD;
		*ret_dw0 = f->irq_config[v & 0xffff];
		break;
	case FEAT_WRITE_ATOMIC:
		*ret_dw0 = f->write_atomic;
		break;
	case FEAT_ASYNC_EVENT:
		*ret_dw0 = f->async_event;
		break;
	case FEAT_TIMESTAMP:
		return feat_timestamp_get(c, cmd);
	case FEAT_KATO:
		*ret_dw0 = f->kato;
		break;
	}
	return SC_SUCCESS;
}

/* ---- Admin: log pages ------------------------------------------------------- */

/* SMART counters count units of 1000 LBAs of 512 bytes, rounded up. */
static void put_units(uint8_t *p, uint64_t lbas)
{
	put_le64(p, (lbas + 999) / 1000);
}

static uint16_t adm_get_log_page(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint8_t lid = cmd->cdw10 & 0xff;
	bool rae = cmd->cdw10 & (1u << 15);
	uint64_t numd = ((uint64_t)(cmd->cdw11 & 0xffff) << 16 | (cmd->cdw10 >> 16)) + 1;
	uint64_t off = (uint64_t)cmd->cdw13 << 32 | cmd->cdw12;
	uint64_t len = numd * 4;
	uint8_t log[512] = { 0 };
	size_t log_len;

	if (cmd->nsid != 0 && cmd->nsid != 1 && cmd->nsid != NSID_ALL)
		return SC_INVALID_NS;
	switch (lid) {
	case LOG_ERROR:
		log_len = 64; /* ELPE+1 entries, none recorded */
		break;
	case LOG_SMART:
		log_len = 512;
		put_le16(log + 1, 310); /* composite temperature, K */
		log[3] = 100;           /* available spare % */
		log[4] = 10;            /* spare threshold */
		put_units(log + 32, c->lbas_read);
		put_units(log + 48, c->lbas_written);
		put_le64(log + 64, c->read_cmds);
		put_le64(log + 80, c->write_cmds);
		put_le64(log + 112, 1); /* power cycles */
		break;
	case LOG_FW_SLOT:
		log_len = 512;
		log[0] = 1; /* slot 1 active */
		put_ascii(log + 8, 8, c->firmware);
		break;
	default:
		return SC_INVALID_LOG_PAGE;
	}
	if ((off & 3) || off > log_len || len > MAX_XFER)
		return SC_INVALID_FIELD;
	memset(c->bounce, 0, (size_t)len);
	memcpy(c->bounce, log + off, (size_t)(log_len - off < len ? log_len - off : len));
	/* reading the Error log (unless Retain) unmasks Error events */
	if (lid == LOG_ERROR && !rae)
		c->aen_error_masked = false;
	return xfer_to_guest(c, cmd, c->bounce, (size_t)len);
}

/* ---- Admin dispatch ---------------------------------------------------------- */

static uint16_t admin_execute(struct nvme_ctrl *c, const struct nvme_cmd *cmd, uint32_t *ret_dw0)
{
	if (cmd->fuse || cmd->psdt)
		return SC_INVALID_FIELD;
	switch (cmd->opcode) {
	case ADM_DELETE_SQ:
		return adm_delete_sq(c, cmd);
	case ADM_CREATE_SQ:
		return adm_create_sq(c, cmd);
	case ADM_GET_LOG_PAGE:
		return adm_get_log_page(c, cmd);
	case ADM_DELETE_CQ:
		return adm_delete_cq(c, cmd);
	case ADM_CREATE_CQ:
		return adm_create_cq(c, cmd);
	case ADM_IDENTIFY:
		return adm_identify(c, cmd);
	case ADM_ABORT:
		*ret_dw0 = 1; /* nothing is outstanding long enough to abort */
		return SC_SUCCESS;
	case ADM_SET_FEATURES:
		return adm_set_features(c, cmd, ret_dw0);
	case ADM_GET_FEATURES:
		return adm_get_features(c, cmd, ret_dw0);
	case ADM_ASYNC_EVENT:
		if (c->n_aer > AERL)
			return SC_ASYNC_LIMIT;
		c->aer_cids[c->n_aer++] = cmd->cid;
		return SC_HELD;
	case ADM_KEEP_ALIVE:
		return SC_SUCCESS;
	default:
		return SC_INVALID_OPCODE;
	}
}

/* ---- I/O commands ------------------------------------------------------------ */

static uint16_t lba_check(struct nvme_ctrl *c, uint64_t slba, uint64_t nlb)
{
	if (slba > c->nsze || nlb > c->nsze - slba)
		return SC_LBA_RANGE;
	return SC_SUCCESS;
}

static uint16_t io_rw(struct nvme_ctrl *c, const struct nvme_cmd *cmd, bool write)
{
	uint64_t slba = (uint64_t)cmd->cdw11 << 32 | cmd->cdw10;
	uint64_t nlb = (cmd->cdw12 & 0xffff) + 1;
	size_t len = (size_t)nlb << LBA_SHIFT;
	unsigned int n;
	uint16_t sc;

	if (len > MAX_XFER)
		return SC_INVALID_FIELD;
	sc = lba_check(c, slba, nlb);
	if (sc)
		return sc;
	if (write) {
		sc = xfer_from_guest(c, cmd, c->bounce, len);
		if (sc)
			return sc;
		if (disk_write(c->disk, slba << LBA_SHIFT, c->bounce, len) < 0)
			return SC_WRITE_FAULT;
		c->lbas_written += nlb;
		c->write_cmds++;
		return SC_SUCCESS;
	}
	/* map first: a bad PRP costs no disk read */
	sc = prp_map(c, cmd->prp1, cmd->prp2, len, &n);
	if (sc)
		return sc;
	if (disk_read(c->disk, slba << LBA_SHIFT, c->bounce, len) < 0)
		return SC_UNRECOVERED_READ;
	sc = segs_write(c, n, c->bounce);
	if (sc)
		return sc;
	c->lbas_read += nlb;
	c->read_cmds++;
	if (!c->ev_first_read) {
		char detail[48];

		c->ev_first_read = true;
		snprintf(detail, sizeof(detail), "lba %" PRIu64 ", %" PRIu64 " sectors", slba, nlb);
		emit(c, VMM_EV_NVME_FIRST_READ, detail);
	}
	return SC_SUCCESS;
}

static uint16_t io_write_zeroes(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	uint64_t slba = (uint64_t)cmd->cdw11 << 32 | cmd->cdw10;
	uint64_t nlb = (cmd->cdw12 & 0xffff) + 1;
	uint16_t sc = lba_check(c, slba, nlb);

	if (sc)
		return sc;
	if (disk_write_zeroes(c->disk, slba << LBA_SHIFT, nlb << LBA_SHIFT) < 0)
		return SC_WRITE_FAULT;
	return SC_SUCCESS;
}

/* Dataset Management: ranges are checked; deallocation is advisory and we
 * keep the data (DLFEAT says reads of deallocated blocks are unspecified). */
static uint16_t io_dsm(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	size_t nr = (cmd->cdw10 & 0xff) + 1;
	uint8_t *ranges = c->bounce;
	uint16_t sc = xfer_from_guest(c, cmd, ranges, nr * 16);

	if (sc)
		return sc;
	for (size_t i = 0; i < nr; i++) {
		uint64_t nlb = get_le32(ranges + i * 16 + 4);
		uint64_t slba = get_le64(ranges + i * 16 + 8);

		sc = lba_check(c, slba, nlb);
		if (sc)
			return sc;
	}
	return SC_SUCCESS;
}

static uint16_t io_execute(struct nvme_ctrl *c, const struct nvme_cmd *cmd)
{
	if (cmd->fuse || cmd->psdt)
		return SC_INVALID_FIELD;
	switch (cmd->opcode) {
	case IO_FLUSH:
		if (cmd->nsid != 1 && cmd->nsid != NSID_ALL)
			return SC_INVALID_NS;
		return disk_flush(c->disk) < 0 ? SC_WRITE_FAULT : SC_SUCCESS;
	case IO_WRITE:
	case IO_READ:
	case IO_WRITE_ZEROES:
	case IO_DSM:
		if (cmd->nsid != 1)
			return SC_INVALID_NS;
		if (cmd->opcode == IO_WRITE_ZEROES)
			return io_write_zeroes(c, cmd);
		if (cmd->opcode == IO_DSM)
			return io_dsm(c, cmd);
		return io_rw(c, cmd, cmd->opcode == IO_WRITE);
	default:
		return SC_INVALID_OPCODE;
	}
}

/* ---- Queue processing --------------------------------------------------------- */

/* Runs submission queue qid until empty or its CQ is full; at most one
 * queue's worth of entries per call. */
static void sq_run(struct nvme_ctrl *c, unsigned int qid)
{
	struct nvme_sq *sq = &c->sq[qid];
	struct nvme_cq *cq = &c->cq[sq->cqid];
	bool posted = false;

	for (uint32_t budget = sq->size; budget > 0 && sq->valid && sq->head != sq->tail;
	     budget--) {
		uint8_t e[64];
		struct nvme_cmd cmd;
		uint32_t dw0 = 0;
		uint16_t sc;

		if (!cq->valid || cq_full(cq) || (c->csts & CSTS_CFS))
			break;
		if (guest_mem_read(c->host.mem, sq->base + ((uint64_t)sq->head << SQES), e,
				   sizeof(e)) < 0) {
			fatal(c);
			break;
		}
		sq->head = (sq->head + 1) % sq->size;
		cmd_decode(e, &cmd);
		sc = qid == 0 ? admin_execute(c, &cmd, &dw0) : io_execute(c, &cmd);
		if (sc == SC_HELD)
			continue;
		if (!cq_post(c, cq, dw0, (uint16_t)sq->head, (uint16_t)qid, cmd.cid, sc))
			break;
		posted = true;
	}
	if (posted)
		notify(c, cq);
	if (qid == 0)
		aen_deliver(c);
}

static void doorbell_write(struct nvme_ctrl *c, uint64_t off, uint32_t val)
{
	uint64_t idx = (off - REG_DBS) / 4;
	uint64_t qid = idx / 2;
	bool is_cq = idx & 1;

	if (!(c->csts & CSTS_RDY) || (c->csts & CSTS_CFS))
		return;
	if (qid > c->max_io_queues || (is_cq ? !c->cq[qid].valid : !c->sq[qid].valid)) {
		aen_raise(c, AEN_TYPE_ERROR, AEN_INFO_INVALID_DB_REG, LOG_ERROR);
		return;
	}
	if (is_cq) {
		struct nvme_cq *cq = &c->cq[qid];
		uint32_t used = (cq->tail + cq->size - cq->head) % cq->size;

		/* the head may not pass entries we have not posted */
		if (val >= cq->size || (val + cq->size - cq->head) % cq->size > used) {
			aen_raise(c, AEN_TYPE_ERROR, AEN_INFO_INVALID_DB_VALUE, LOG_ERROR);
			return;
		}
		cq->head = val;
		/* room again: resume the SQs that wait on it */
		for (unsigned int q = 0; q <= c->max_io_queues; q++)
			if (c->sq[q].valid && c->sq[q].cqid == qid && c->sq[q].head != c->sq[q].tail)
				sq_run(c, q);
		if (qid == 0)
			aen_deliver(c);
	} else {
		struct nvme_sq *sq = &c->sq[qid];

		if (val >= sq->size) {
			aen_raise(c, AEN_TYPE_ERROR, AEN_INFO_INVALID_DB_VALUE, LOG_ERROR);
			return;
		}
		sq->tail = val;
		sq_run(c, (unsigned int)qid);
	}
}

/* ---- Controller state ---------------------------------------------------------- */

static void features_default(struct nvme_ctrl *c)
{
	struct nvme_features *f = &c->feat_default;

	*f = (struct nvme_features){ 0 };
	f->temp_over = 343;
	f->vwc = 1;
	for (unsigned int v = 0; v < c->n_vectors; v++)
		f->irq_config[v] = v;
	c->feat = *f;
}

/* Controller reset (CC.EN 1->0): queues, held AERs and features go. */
static void ctrl_reset(struct nvme_ctrl *c)
{
	memset(c->sq, 0, sizeof(c->sq));
	memset(c->cq, 0, sizeof(c->cq));
	c->n_aer = 0;
	c->n_aen = 0;
	c->aen_error_masked = false;
	c->io_queues_created = false;
	c->nsqa = c->ncqa = c->max_io_queues;
	c->timestamp_valid = false;
	features_default(c);
	c->csts = 0;
}

static bool ctrl_enable(struct nvme_ctrl *c)
{
	uint32_t asqs = (c->aqa & 0xfff) + 1, acqs = ((c->aqa >> 16) & 0xfff) + 1;
	uint64_t page_mask;
	char detail[64];

	if (CC_CSS(c->cc) != 0 || CC_AMS(c->cc) != 0 || CC_MPS(c->cc) > MPSMAX)
		return false;
	if ((CC_IOSQES(c->cc) && CC_IOSQES(c->cc) != SQES) ||
	    (CC_IOCQES(c->cc) && CC_IOCQES(c->cc) != CQES))
		return false;
	c->page_shift = 12 + CC_MPS(c->cc);
	page_mask = (1ull << c->page_shift) - 1;
	if (asqs < 2 || acqs < 2 || (c->asq & page_mask) || (c->acq & page_mask))
		return false;
	if (!queue_in_memory(c, c->asq, (uint64_t)asqs << SQES) ||
	    !queue_in_memory(c, c->acq, (uint64_t)acqs << CQES))
		return false;
	c->sq[0] = (struct nvme_sq){ .valid = true, .base = c->asq, .size = asqs, .cqid = 0 };
	c->cq[0] = (struct nvme_cq){ .valid = true, .phase = true, .ien = true, .base = c->acq,
				     .size = acqs, .iv = 0, .n_sqs = 1 };
	c->csts = CSTS_RDY;
	c->ev_identified = c->ev_io_queues = c->ev_first_read = false;
	snprintf(detail, sizeof(detail), "admin queues %u/%u, page %u", asqs, acqs,
		 1u << c->page_shift);
	emit(c, VMM_EV_NVME_ENABLED, detail);
	return true;
}

static void cc_write(struct nvme_ctrl *c, uint32_t val)
{
	uint32_t old = c->cc;

	if (!(old & CC_EN)) {
		c->cc = val;
		if (val & CC_EN) {
			if (!ctrl_enable(c))
				fatal(c); /* stays not ready; the host must reset */
		} else {
			c->csts &= ~CSTS_CFS;
		}
	} else if (!(val & CC_EN)) {
		c->cc = val;
		ctrl_reset(c);
	} else {
		/* enabled: only shutdown and the IO entry sizes may change */
		c->cc = (old & ~(CC_SHN_MASK | CC_QES_MASK)) | (val & (CC_SHN_MASK | CC_QES_MASK));
	}
	if (CC_SHN(c->cc) && !(CC_SHN(old))) {
		/* nothing is in flight between doorbells: done at once */
		disk_flush(c->disk);
		c->csts = (c->csts & ~CSTS_SHST_MASK) | CSTS_SHST_COMPLETE;
	}
}

/* ---- BAR0 ------------------------------------------------------------------ */

static uint32_t reg_read32(struct nvme_ctrl *c, uint64_t off)
{
	switch (off) {
	case REG_CAP:
		return (uint32_t)c->cap;
	case REG_CAP + 4:
		return (uint32_t)(c->cap >> 32);
	case REG_VS:
		return NVME_VS_1_4;
	case REG_INTMS:
	case REG_INTMC:
		return c->intms;
	case REG_CC:
		return c->cc;
	case REG_CSTS:
		return c->csts;
	case REG_AQA:
		return c->aqa;
	case REG_ASQ:
		return (uint32_t)c->asq;
	case REG_ASQ + 4:
		return (uint32_t)(c->asq >> 32);
	case REG_ACQ:
		return (uint32_t)c->acq;
	case REG_ACQ + 4:
		return (uint32_t)(c->acq >> 32);
	default:
		/* CMB, boot partitions, PMR, doorbells: read as zero */
		return 0;
	}
}

static void reg_write32(struct nvme_ctrl *c, uint64_t off, uint32_t val)
{
	bool enabled = c->cc & CC_EN;

	if (off >= REG_DBS && off < NVME_MSIX_TABLE_OFFSET) {
		doorbell_write(c, off, val);
		return;
	}
	switch (off) {
	case REG_INTMS:
		c->intms |= val;
		break;
	case REG_INTMC:
		c->intms &= ~val;
		break;
	case REG_CC:
		cc_write(c, val);
		break;
	case REG_AQA:
		if (!enabled)
			c->aqa = val & 0x0fff0fff;
		break;
	case REG_ASQ:
		if (!enabled)
			c->asq = (c->asq & ~0xffffffffull) | (val & ~0xfffu);
		break;
	case REG_ASQ + 4:
		if (!enabled)
			c->asq = (c->asq & 0xffffffffull) | (uint64_t)val << 32;
		break;
	case REG_ACQ:
		if (!enabled)
			c->acq = (c->acq & ~0xffffffffull) | (val & ~0xfffu);
		break;
	case REG_ACQ + 4:
		if (!enabled)
			c->acq = (c->acq & 0xffffffffull) | (uint64_t)val << 32;
		break;
	default:
		/* NSSR (subsystem reset unsupported), read-only registers */
		break;
	}
}

static void bar0_read(void *dev, uint64_t off, void *data, unsigned int len)
{
	struct nvme_ctrl *c = dev;
	uint8_t *out = data;

	if (len > 8)
		return;
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < len; i++) {
		uint64_t o = off + i;

		out[i] = (uint8_t)(reg_read32(c, o & ~3ull) >> ((o & 3) * 8));
	}
	pthread_mutex_unlock(&c->lock);
}

static void bar0_write(void *dev, uint64_t off, const void *data, unsigned int len)
{
	struct nvme_ctrl *c = dev;
	const uint8_t *in = data;

	/* registers are dword (or qword) accesses; others are ignored */
	if ((len != 4 && len != 8) || (off & (len - 1)) || off >= NVME_BAR0_SIZE)
		return;
	pthread_mutex_lock(&c->lock);
	reg_write32(c, off, get_le32(in));
	if (len == 8)
		reg_write32(c, off + 4, get_le32(in + 4));
	pthread_mutex_unlock(&c->lock);
}

static void nvme_flr(void *dev)
{
	struct nvme_ctrl *c = dev;

	pthread_mutex_lock(&c->lock);
	ctrl_reset(c);
	c->cc = c->aqa = c->intms = 0;
	c->asq = c->acq = 0;
	pthread_mutex_unlock(&c->lock);
}

/* ---- Public ------------------------------------------------------------------ */

/* "vol" + 17 hex digits, stable for an image path. */
static void serial_from_path(const char *path, char *out, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = path; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001b3ull;
	}
	snprintf(out, size, "vol%01x%016" PRIx64, (unsigned int)(h >> 60) ^ 0xa, h);
}

int nvme_create(const struct nvme_config *cfg, const struct dev_host *host,
		struct nvme_ctrl **ret)
{
	struct nvme_ctrl *c;
	unsigned int nq = cfg->max_io_queues ? cfg->max_io_queues : NVME_MAX_IO_QUEUES;

	if (!cfg->disk || !host || !host->mem || nq > NVME_MAX_IO_QUEUES)
		return -EINVAL;
	if (disk_size(cfg->disk) >> LBA_SHIFT == 0)
		return -EINVAL;
	if ((cfg->serial && strlen(cfg->serial) > 20) ||
	    (cfg->ebs_name && strlen(cfg->ebs_name) > 32) ||
	    (cfg->firmware_rev && strlen(cfg->firmware_rev) > 8))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bounce = malloc(MAX_XFER);
	if (!c->bounce) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->host = *host;
	c->disk = cfg->disk;
	c->nsze = disk_size(cfg->disk) >> LBA_SHIFT;
	c->max_io_queues = nq;
	c->n_vectors = nq + 1;
	if (cfg->serial)
		snprintf(c->serial, sizeof(c->serial), "%s", cfg->serial);
	else
		serial_from_path(disk_path(cfg->disk), c->serial, sizeof(c->serial));
	snprintf(c->ebs_name, sizeof(c->ebs_name), "%s", cfg->ebs_name ? cfg->ebs_name : "/dev/xvda");
	snprintf(c->firmware, sizeof(c->firmware), "%s",
		 cfg->firmware_rev ? cfg->firmware_rev : "1.0");

	/* MQES, CQR, TO, DSTRD 0, CSS NVM, MPSMIN 0 (4 KiB), MPSMAX */
	c->cap = NVME_MQES | 1ull << 16 | (uint64_t)CAP_TO << 24 | 1ull << 37 |
		 (uint64_t)MPSMAX << 52;
	c->page_shift = 12;
	ctrl_reset(c);

	c->desc = (struct pci_dev_desc){
		.name = "nvme",
		.vendor_id = NVME_PCI_VENDOR_AMAZON,
		.device_id = NVME_PCI_DEVICE_EBS,
		.subsys_vendor_id = NVME_PCI_VENDOR_AMAZON,
		.subsys_id = NVME_PCI_DEVICE_EBS,
		.class_code = 0x010802,
		.slot = NVME_PCI_SLOT,
		.bars[0] = { .size = NVME_BAR0_SIZE, .mem64 = true, .read = bar0_read,
			     .write = bar0_write },
		.msix_vectors = c->n_vectors,
		.msix_bar = 0,
		.msix_table_offset = NVME_MSIX_TABLE_OFFSET,
		.msix_pba_offset = NVME_MSIX_PBA_OFFSET,
		.dev = c,
		.reset = nvme_flr,
	};
	*ret = c;
	return 0;
}

const struct pci_dev_desc *nvme_pci_desc(struct nvme_ctrl *c)
{
	return &c->desc;
}

void nvme_set_pci_handle(struct nvme_ctrl *c, void *pci_dev)
{
	pthread_mutex_lock(&c->lock);
	c->pci_handle = pci_dev;
	pthread_mutex_unlock(&c->lock);
}

void nvme_destroy(struct nvme_ctrl *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->bounce);
	free(c);
}
