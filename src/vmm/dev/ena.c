/* SPDX-License-Identifier: MIT */
/*
 * ENA device model: register BAR, admin queue, AENQ, IO rings. See ena.h for
 * the contract. One mutex guards the whole state: register accesses come
 * from vCPU threads, frames from the network backend thread and keep-alives
 * from the device thread.
 *
 * The guest is hostile: every ring address and length goes through
 * guest_mem_*, every index is masked or checked against the ring depth, every
 * request id against the queue depth, every frame against the MTU.
 */
#include "vmm/dev/ena.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/net/backend.h"
#include "common/le.h"

#define ENA_VERSION_VALUE      0x0000000au   /* 0.10 */
#define ENA_CTRL_VERSION_VALUE 0x01000001u   /* 0.0.1, implementation 1 */
#define ENA_RESET_TIMEOUT      5             /* x 100 ms */
#define ENA_DMA_WIDTH          48
#define ENA_MAX_ADMIN_DEPTH    1024
#define ENA_MAX_AENQ_DEPTH     1024
#define ENA_MAX_TX_HEADER      128
#define ENA_MAX_FRAME_SLACK    22            /* Ethernet + VLAN + FCS room */
#define ENA_LINK_SPEED_MBPS    100000

#define FEATURE_BIT(f) (1u << (f))
#define ENA_SUPPORTED_FEATURES                                                  \
	(FEATURE_BIT(ENA_FEAT_DEVICE_ATTRIBUTES) | FEATURE_BIT(ENA_FEAT_MAX_QUEUES_NUM) | \
	 FEATURE_BIT(ENA_FEAT_HW_HINTS) | FEATURE_BIT(ENA_FEAT_MAX_QUEUES_EXT) |        \
	 FEATURE_BIT(ENA_FEAT_STATELESS_OFFLOAD_CONFIG) | FEATURE_BIT(ENA_FEAT_MTU) |   \
	 FEATURE_BIT(ENA_FEAT_AENQ_CONFIG) | FEATURE_BIT(ENA_FEAT_LINK_CONFIG) |        \
	 FEATURE_BIT(ENA_FEAT_HOST_ATTR_CONFIG))
#define ENA_AENQ_GROUPS 0x1fu

struct ena_cq {
	bool used;
	bool bound;          /* an SQ completes into it */
	bool irq;            /* interrupt mode */
	uint64_t ba;
	uint16_t depth;
	uint8_t entry_size;
	uint16_t vector;
	uint16_t tail;       /* running producer index */
	uint8_t phase;
};

struct ena_sq {
	bool used;
	uint16_t cq;
	uint64_t ba;
	uint16_t depth;
	uint16_t head;       /* running consumer index */
	uint16_t tail;       /* last doorbell */
	uint8_t phase;
	bool broken;         /* a bad doorbell; the queue is dead until destroyed */
};

struct ena_dev {
	pthread_mutex_t lock;
	struct ena_config cfg;
	struct dev_host host;
	struct pci_dev_desc pci;
	void *pci_handle;
	unsigned int n_pairs;
	unsigned int n_vectors;
	uint32_t mtu;         /* current, from SET_FEATURE MTU */
	uint32_t max_mtu;

	/* registers */
	uint32_t aq_base_lo, aq_base_hi, aq_caps;
	uint32_t acq_base_lo, acq_base_hi, acq_caps;
	uint32_t aenq_base_lo, aenq_base_hi, aenq_caps;
	uint32_t aq_db, aenq_head_db, intr_mask, dev_ctl, mmio_reg_read;
	uint32_t mmio_resp_lo, mmio_resp_hi;
	bool reset_in_progress;

	/* admin queue state */
	uint16_t aq_head;
	uint8_t aq_phase;
	uint16_t acq_tail;
	uint8_t acq_phase;

	/* AENQ state */
	uint16_t aenq_tail;
	uint8_t aenq_phase;
	uint32_t aenq_enabled_groups;
	bool link_posted;
	uint16_t link_seq;

	/* milestones already reported since the last reset */
	bool ev_probed, ev_io_queues, ev_link_up;

	struct ena_cq cqs[2 * ENA_MAX_QUEUE_PAIRS];
	struct ena_sq tx_sqs[ENA_MAX_QUEUE_PAIRS];
	struct ena_sq rx_sqs[ENA_MAX_QUEUE_PAIRS];
	bool vec_armed[1 + ENA_MAX_QUEUE_PAIRS];
	bool vec_pending[1 + ENA_MAX_QUEUE_PAIRS];

	struct ena_stats stats;
	uint8_t frame[65536 + 64];

	pthread_t thread;
	bool thread_running;
	bool stopping;
	pthread_cond_t cond;
};

/* ---- little helpers ------------------------------------------------------ */

/* ENA addresses: u32 low, u16 high (48 bits). */
static uint64_t get_addr48(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le16(p + 4) << 32;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static uint64_t reg64(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

static void emit(struct ena_dev *dev, enum vmm_event ev, const char *detail)
{
	if (dev->host.event)
		dev->host.event(dev->host.opaque, ev, detail);
}

static void notify(struct ena_dev *dev, unsigned int vector)
{
	if (vector < dev->n_vectors && dev->host.msix_notify)
		dev->host.msix_notify(dev->host.opaque, dev->pci_handle, vector);
}

/* Write a ring entry so that the byte holding the phase bit lands last: the
 * driver reads the phase first and only then the rest. */
static int write_entry(struct ena_dev *dev, uint64_t gpa, const uint8_t *e, size_t len,
		       size_t phase_byte)
{
	uint8_t *p = guest_mem_ptr(dev->host.mem, gpa, len);

	if (!p)
		return -EFAULT;
	for (size_t i = 0; i < len; i++)
		if (i != phase_byte)
			p[i] = e[i];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&p[phase_byte], e[phase_byte], __ATOMIC_RELAXED);
	return 0;
}

/* ---- AENQ ----------------------------------------------------------------- */

static bool aenq_configured(struct ena_dev *dev, uint16_t *ret_depth, uint64_t *ret_base)
{
	uint32_t depth = dev->aenq_caps & 0xffff;
	uint32_t esize = dev->aenq_caps >> 16;
	uint64_t base = reg64(dev->aenq_base_lo, dev->aenq_base_hi);

	if (!is_pow2(depth) || depth > ENA_MAX_AENQ_DEPTH || esize != ENA_AENQ_ENTRY_SIZE)
		return false;
	if (!guest_mem_ptr(dev->host.mem, base, (uint64_t)depth * ENA_AENQ_ENTRY_SIZE))
		return false;
	*ret_depth = (uint16_t)depth;
	*ret_base = base;
	return true;
}

/* Post one event if the group is enabled and the driver left room. Returns
 * the sequence number used, or -1. */
static int aenq_post(struct ena_dev *dev, unsigned int group, uint16_t syndrome,
		     const uint8_t *data, size_t data_len)
{
	uint8_t e[ENA_AENQ_ENTRY_SIZE] = { 0 };
	struct timespec ts;
	uint16_t depth, seq;
	uint64_t base, ms;

	if (!(dev->aenq_enabled_groups & (1u << group)) || !aenq_configured(dev, &depth, &base))
		return -1;
	/* The head doorbell counts entries the driver made available. */
	if ((uint16_t)(dev->aenq_head_db - dev->aenq_tail) == 0 ||
	    (uint16_t)(dev->aenq_head_db - dev->aenq_tail) > depth)
		return -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	put_le16(e + 0, (uint16_t)group);
	put_le16(e + 2, syndrome);
	e[4] = dev->aenq_phase & 1;
	put_le32(e + 8, (uint32_t)ms);
	put_le32(e + 12, (uint32_t)(ms >> 32));
	if (data_len > sizeof(e) - 16)
		data_len = sizeof(e) - 16;
	if (data_len)
		memcpy(e + 16, data, data_len);
	if (write_entry(dev, base + (uint64_t)(dev->aenq_tail & (depth - 1)) * sizeof(e), e,
			sizeof(e), 4) < 0)
		return -1;
	seq = dev->aenq_tail++;
	if ((dev->aenq_tail & (depth - 1)) == 0)
		dev->aenq_phase ^= 1;
	notify(dev, 0);
	return seq;
}

static void aenq_post_link(struct ena_dev *dev)
{
	uint8_t data[4];
	int seq;

	if (dev->link_posted)
		return;
	put_le32(data, 1);   /* link up */
	seq = aenq_post(dev, ENA_AENQ_LINK_CHANGE, 0, data, sizeof(data));
	if (seq < 0)
		return;
	dev->link_posted = true;
	dev->link_seq = (uint16_t)seq;
}

static void aenq_head_written(struct ena_dev *dev, uint32_t val)
{
	uint16_t depth;
	uint64_t base;

	dev->aenq_head_db = val & 0xffff;
	if (!aenq_configured(dev, &depth, &base))
		return;
	/* The driver starts its head at the depth; consumed = head - depth. */
	if (dev->link_posted && !dev->ev_link_up &&
	    (int16_t)((uint16_t)(dev->aenq_head_db - depth) - (uint16_t)(dev->link_seq + 1)) >= 0) {
		dev->ev_link_up = true;
		emit(dev, VMM_EV_ENA_LINK_UP, NULL);
	}
	aenq_post_link(dev);
}

/* ---- IO queues: interrupts ---------------------------------------------- */

static void cq_signal(struct ena_dev *dev, const struct ena_cq *cq)
{
	if (!cq->irq || cq->vector >= dev->n_vectors)
		return;
	if (dev->vec_armed[cq->vector]) {
		/* The device masks the vector until the driver unmasks it. */
		dev->vec_armed[cq->vector] = false;
		dev->vec_pending[cq->vector] = false;
		notify(dev, cq->vector);
	} else {
		dev->vec_pending[cq->vector] = true;
	}
}

static void cq_unmask(struct ena_dev *dev, unsigned int cq_idx, uint32_t val)
{
	struct ena_cq *cq;

	if (cq_idx >= 2 * dev->n_pairs || !(val & ENA_INTR_UNMASK))
		return;
	cq = &dev->cqs[cq_idx];
	if (!cq->used || cq->vector >= dev->n_vectors)
		return;
	dev->vec_armed[cq->vector] = true;
	if (dev->vec_pending[cq->vector])
		cq_signal(dev, cq);
}

/* ---- IO queues: TX -------------------------------------------------------- */

static int cq_post(struct ena_dev *dev, struct ena_cq *cq, uint8_t *e, size_t len,
		   size_t phase_byte, uint32_t phase_bit)
{
	uint64_t gpa = cq->ba + (uint64_t)(cq->tail & (cq->depth - 1)) * cq->entry_size;

	if (cq->phase)
		e[phase_byte] |= (uint8_t)phase_bit;
	if (write_entry(dev, gpa, e, len, phase_byte) < 0)
		return -EFAULT;
	cq->tail++;
	if ((cq->tail & (cq->depth - 1)) == 0)
		cq->phase ^= 1;
	return 0;
}

static bool sq_desc(struct ena_dev *dev, const struct ena_sq *sq, uint16_t idx, uint8_t *d)
{
	uint64_t gpa = sq->ba + (uint64_t)(idx & (sq->depth - 1)) * ENA_IO_DESC_SIZE;

	return guest_mem_read(dev->host.mem, gpa, d, ENA_IO_DESC_SIZE) == 0;
}

static uint8_t sq_phase_at(const struct ena_sq *sq, uint16_t idx)
{
	/* The phase flips each time the index wraps the ring. */
	uint16_t wraps_since_head = (uint16_t)(((uint16_t)(idx - sq->head) + (sq->head & (sq->depth - 1))) /
					       sq->depth);

	return (uint8_t)((sq->phase ^ wraps_since_head) & 1);
}

static void sq_consume(struct ena_sq *sq, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		sq->head++;
		if ((sq->head & (sq->depth - 1)) == 0)
			sq->phase ^= 1;
	}
}

/* Send one packet made of descriptors [head, head+n). */
static void tx_packet(struct ena_dev *dev, struct ena_sq *sq, uint16_t n)
{
	size_t max_frame = (size_t)dev->max_mtu + ENA_MAX_FRAME_SLACK;
	size_t len = 0;
	bool ok = true, have_req_id = false;
	uint16_t req_id = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint8_t d[ENA_IO_DESC_SIZE];
		uint32_t len_ctrl, meta_ctrl, blen;
		uint64_t addr;

		if (!sq_desc(dev, sq, (uint16_t)(sq->head + i), d)) {
			ok = false;
			continue;
		}
		len_ctrl = get_le32(d);
		if (len_ctrl & ENA_TX_META)
			continue;
		meta_ctrl = get_le32(d + 4);
		if (!have_req_id) {
			req_id = (uint16_t)((meta_ctrl >> ENA_TX_REQ_ID_LO_SHIFT) |
					    ((len_ctrl >> ENA_TX_REQ_ID_HI_SHIFT) & 0x3f) << 10);
			have_req_id = true;
		}
		blen = len_ctrl & ENA_TX_LEN_MASK;
		addr = (uint64_t)get_le32(d + 8) | (uint64_t)(get_le32(d + 12) & 0xffff) << 32;
		if (!ok || blen == 0)
			continue;
		if (len + blen > max_frame ||
		    guest_mem_read(dev->host.mem, addr, dev->frame + len, blen) < 0) {
			ok = false;
			continue;
		}
		len += blen;
	}
	if (!have_req_id || req_id >= sq->depth)
		ok = false;
	if (ok && len >= 14 && dev->cfg.backend && net_backend_send(dev->cfg.backend, dev->frame, len) == 0) {
		dev->stats.tx_pkts++;
		dev->stats.tx_bytes += len;
	} else {
		dev->stats.tx_drops++;
	}
	sq_consume(sq, n);

	/* One completion per packet, carrying the first buffer's request id.
	 * A request id outside the ring would make the driver reset us; a
	 * hostile one gets no completion at all. */
	if (have_req_id && req_id < sq->depth) {
		struct ena_cq *cq = &dev->cqs[sq->cq];
		uint8_t c[ENA_TX_CDESC_SIZE] = { 0 };

		put_le16(c + 0, req_id);
		put_le16(c + 6, sq->head);
		if (cq_post(dev, cq, c, sizeof(c), 3, 0x1) == 0)
			cq_signal(dev, cq);
	}
}

static void tx_doorbell(struct ena_dev *dev, unsigned int qidx, uint32_t val)
{
	struct ena_sq *sq;
	uint16_t avail;

	if (qidx >= dev->n_pairs)
		return;
	sq = &dev->tx_sqs[qidx];
	if (!sq->used || sq->broken)
		return;
	avail = (uint16_t)((uint16_t)val - sq->head);
	if (avail > sq->depth) {
		sq->broken = true;
		return;
	}
	sq->tail = (uint16_t)val;

	/* Take whole packets: from a descriptor with FIRST to one with LAST. A
	 * packet still being written (no LAST yet) waits for the next doorbell. */
	while ((uint16_t)(sq->tail - sq->head) > 0) {
		uint16_t left = (uint16_t)(sq->tail - sq->head);
		uint16_t n = 0;
		bool complete = false, bad = false;

		while (n < left) {
			uint8_t d[ENA_IO_DESC_SIZE];
			uint32_t len_ctrl;
			uint16_t idx = (uint16_t)(sq->head + n);

			if (!sq_desc(dev, sq, idx, d)) {
				bad = true;
				n++;
				break;
			}
			len_ctrl = get_le32(d);
			if (((len_ctrl & ENA_TX_PHASE) ? 1 : 0) != sq_phase_at(sq, idx) ||
			    (n == 0 && !(len_ctrl & ENA_TX_FIRST)) || (n > 0 && (len_ctrl & ENA_TX_FIRST))) {
				bad = true;
				n++;
				break;
			}
			n++;
			if (len_ctrl & ENA_TX_LAST) {
				complete = true;
				break;
			}
			if (n >= ENA_MAX_PKT_DESCS + 1) {
				bad = true;
				break;
			}
		}
		if (bad) {
			/* Malformed chain: drop it without a completion. */
			dev->stats.tx_drops++;
			sq_consume(sq, n);
			continue;
		}
		if (!complete)
			break;
		tx_packet(dev, sq, n);
	}
}

/* ---- IO queues: RX -------------------------------------------------------- */

static void rx_doorbell(struct ena_dev *dev, unsigned int qidx, uint32_t val)
{
	struct ena_sq *sq;

	if (qidx >= dev->n_pairs)
		return;
	sq = &dev->rx_sqs[qidx];
	if (!sq->used || sq->broken)
		return;
	if ((uint16_t)((uint16_t)val - sq->head) > sq->depth) {
		sq->broken = true;
		return;
	}
	sq->tail = (uint16_t)val;
}

static int rx_deliver(struct ena_dev *dev, const uint8_t *frame, size_t len)
{
	struct ena_sq *sq = NULL;
	struct ena_cq *cq;
	struct {
		uint64_t addr;
		uint16_t len, req_id;
	} bufs[ENA_MAX_PKT_DESCS];
	unsigned int n = 0;
	size_t room = 0, off = 0;
	uint16_t avail;

	if (len < 14 || len > (size_t)dev->mtu + ENA_MAX_FRAME_SLACK)
		return -EINVAL;
	for (unsigned int i = 0; i < dev->n_pairs; i++) {
		if (dev->rx_sqs[i].used && !dev->rx_sqs[i].broken) {
			sq = &dev->rx_sqs[i];
			break;
		}
	}
	if (!sq)
		return -ENOSPC;
	avail = (uint16_t)(sq->tail - sq->head);

	/* Gather enough buffers, validating each before touching any. */
	while (room < len) {
		uint8_t d[ENA_IO_DESC_SIZE];
		uint16_t idx = (uint16_t)(sq->head + n);

		if (n >= avail || n >= ENA_MAX_PKT_DESCS)
			return -ENOSPC;
		if (!sq_desc(dev, sq, idx, d))
			return -EINVAL;
		if ((d[3] & ENA_RX_CTRL_PHASE) != sq_phase_at(sq, idx))
			return -ENOSPC;   /* not yet posted */
		bufs[n].len = get_le16(d);
		bufs[n].req_id = get_le16(d + 4);
		bufs[n].addr = (uint64_t)get_le32(d + 8) | (uint64_t)get_le16(d + 12) << 32;
		if (bufs[n].len == 0 || bufs[n].req_id >= sq->depth ||
		    !guest_mem_ptr(dev->host.mem, bufs[n].addr, bufs[n].len))
			return -EINVAL;
		room += bufs[n].len;
		n++;
	}

	cq = &dev->cqs[sq->cq];
	for (unsigned int i = 0; i < n; i++) {
		size_t chunk = len - off < bufs[i].len ? len - off : bufs[i].len;
		uint8_t c[ENA_RX_CDESC_SIZE] = { 0 };
		uint32_t status = 0;

		guest_mem_write(dev->host.mem, bufs[i].addr, frame + off, chunk);
		off += chunk;
		if (i == 0)
			status |= ENA_RX_CDESC_FIRST;
		if (i == n - 1)
			status |= ENA_RX_CDESC_LAST;
		put_le32(c + 0, status);
		put_le16(c + 4, (uint16_t)chunk);
		put_le16(c + 6, bufs[i].req_id);
		put_le16(c + 12, (uint16_t)(sq - dev->rx_sqs));
		/* phase is bit 24 of status: byte 3, bit 0 */
		if (cq_post(dev, cq, c, cq->entry_size < sizeof(c) ? cq->entry_size : sizeof(c), 3, 0x1) < 0)
			return -EFAULT;
	}
	sq_consume(sq, (uint16_t)n);
	cq_signal(dev, cq);
	return 0;
}

int ena_receive(struct ena_dev *dev, const void *frame, size_t len)
{
	int r;

	pthread_mutex_lock(&dev->lock);
	r = rx_deliver(dev, frame, len);
	if (r < 0) {
		dev->stats.rx_drops++;
	} else {
		dev->stats.rx_pkts++;
		dev->stats.rx_bytes += len;
	}
	pthread_mutex_unlock(&dev->lock);
	return r;
}

static void backend_rx(void *opaque, const void *frame, size_t len)
{
	ena_receive(opaque, frame, len);
}

/* ---- Admin commands ------------------------------------------------------ */

static bool ring_ok(struct ena_dev *dev, uint64_t ba, uint32_t depth, uint32_t esize)
{
	return is_pow2(depth) && depth <= ENA_MAX_QUEUE_DEPTH &&
	       guest_mem_ptr(dev->host.mem, ba, (uint64_t)depth * esize) != NULL;
}

static uint8_t cmd_create_cq(struct ena_dev *dev, const uint8_t *cmd, uint8_t *resp)
{
	uint8_t words = cmd[5] & 0x1f;
	uint16_t depth = get_le16(cmd + 6);
	uint32_t vector = get_le32(cmd + 8);
	uint64_t ba = get_addr48(cmd + 12);
	unsigned int i;

	if ((words != 2 && words != 4 && words != 8) || vector >= dev->n_vectors)
		return ENA_AQ_ILLEGAL_PARAMETER;
	if (!ring_ok(dev, ba, depth, words * 4u))
		return ENA_AQ_MALFORMED_REQUEST;
	for (i = 0; i < 2 * dev->n_pairs; i++)
		if (!dev->cqs[i].used)
			break;
	if (i == 2 * dev->n_pairs)
		return ENA_AQ_RESOURCE_ALLOCATION_FAILURE;
	dev->cqs[i] = (struct ena_cq){
		.used = true,
		.irq = cmd[4] & 0x20,
		.ba = ba,
		.depth = depth,
		.entry_size = (uint8_t)(words * 4),
		.vector = (uint16_t)vector,
		.phase = 1,
	};
	put_le16(resp + 8, (uint16_t)i);
	put_le16(resp + 10, depth);
	put_le32(resp + 12, 0);   /* no NUMA register */
	put_le32(resp + 16, 0);   /* no CQ head doorbell */
	put_le32(resp + 20, ENA_REG_CQ_UNMASK(i));
	return ENA_AQ_SUCCESS;
}

static uint8_t cmd_create_sq(struct ena_dev *dev, const uint8_t *cmd, uint8_t *resp)
{
	unsigned int dir = cmd[4] >> 5;
	unsigned int placement = cmd[6] & 0x0f;
	unsigned int policy = (cmd[6] >> 4) & 0x7;
	uint16_t cq_idx = get_le16(cmd + 8);
	uint16_t depth = get_le16(cmd + 10);
	uint64_t ba = get_addr48(cmd + 12);
	struct ena_sq *sqs;
	struct ena_cq *cq;
	unsigned int i;

	if ((dir != ENA_SQ_DIR_TX && dir != ENA_SQ_DIR_RX) || placement != ENA_PLACEMENT_HOST ||
	    policy != 0 || cq_idx >= 2 * dev->n_pairs)
		return ENA_AQ_ILLEGAL_PARAMETER;
	cq = &dev->cqs[cq_idx];
	if (!cq->used || cq->bound)
		return ENA_AQ_ILLEGAL_PARAMETER;
	if (cq->entry_size < (dir == ENA_SQ_DIR_TX ? ENA_TX_CDESC_SIZE : ENA_RX_CDESC_SIZE))
		return ENA_AQ_ILLEGAL_PARAMETER;
	if (!ring_ok(dev, ba, depth, ENA_IO_DESC_SIZE))
		return ENA_AQ_MALFORMED_REQUEST;
	sqs = dir == ENA_SQ_DIR_TX ? dev->tx_sqs : dev->rx_sqs;
	for (i = 0; i < dev->n_pairs; i++)
		if (!sqs[i].used)
			break;
	if (i == dev->n_pairs)
		return ENA_AQ_RESOURCE_ALLOCATION_FAILURE;
	sqs[i] = (struct ena_sq){
		.used = true, .cq = cq_idx, .ba = ba, .depth = depth, .phase = 1,
	};
	cq->bound = true;
	put_le16(resp + 8, (uint16_t)i);
	put_le32(resp + 12, dir == ENA_SQ_DIR_TX ? ENA_REG_TX_SQ_DB(i) : ENA_REG_RX_SQ_DB(i));
	if (!dev->ev_io_queues) {
		dev->ev_io_queues = true;
		emit(dev, VMM_EV_ENA_IO_QUEUES, NULL);
	}
	return ENA_AQ_SUCCESS;
}

static uint8_t cmd_destroy_sq(struct ena_dev *dev, const uint8_t *cmd)
{
	uint16_t idx = get_le16(cmd + 4);
	unsigned int dir = cmd[6] >> 5;
	struct ena_sq *sq;

	if ((dir != ENA_SQ_DIR_TX && dir != ENA_SQ_DIR_RX) || idx >= dev->n_pairs)
		return ENA_AQ_ILLEGAL_PARAMETER;
	sq = dir == ENA_SQ_DIR_TX ? &dev->tx_sqs[idx] : &dev->rx_sqs[idx];
	if (!sq->used)
		return ENA_AQ_ILLEGAL_PARAMETER;
	dev->cqs[sq->cq].bound = false;
	*sq = (struct ena_sq){ 0 };
	return ENA_AQ_SUCCESS;
}

static uint8_t cmd_destroy_cq(struct ena_dev *dev, const uint8_t *cmd)
{
	uint16_t idx = get_le16(cmd + 4);

	if (idx >= 2 * dev->n_pairs || !dev->cqs[idx].used)
		return ENA_AQ_ILLEGAL_PARAMETER;
	if (dev->cqs[idx].bound)
		return ENA_AQ_RESOURCE_BUSY;
	dev->cqs[idx] = (struct ena_cq){ 0 };
	return ENA_AQ_SUCCESS;
}

static uint8_t cmd_get_feature(struct ena_dev *dev, const uint8_t *cmd, uint8_t *resp)
{
	unsigned int feature = cmd[17];
	uint8_t *r = resp + 8;
	unsigned int depth = ENA_MAX_QUEUE_DEPTH;

	switch (feature) {
	case ENA_FEAT_DEVICE_ATTRIBUTES:
		put_le32(r + 0, 1);                        /* implementation id */
		put_le32(r + 4, ENA_VERSION_VALUE);
		put_le32(r + 8, ENA_SUPPORTED_FEATURES);
		put_le32(r + 12, 0);                       /* no ENI stats */
		put_le32(r + 16, ENA_DMA_WIDTH);
		put_le32(r + 20, ENA_DMA_WIDTH);
		memcpy(r + 24, dev->cfg.mac, 6);
		put_le32(r + 32, dev->max_mtu);
		if (!dev->ev_probed) {
			dev->ev_probed = true;
			emit(dev, VMM_EV_ENA_PROBED, NULL);
		}
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_MAX_QUEUES_EXT:
		r[0] = 1;                               /* version */
		for (unsigned int i = 0; i < 4; i++)
			put_le32(r + 4 + 4 * i, dev->n_pairs);  /* tx sq, tx cq, rx sq, rx cq */
		for (unsigned int i = 0; i < 4; i++)
			put_le32(r + 20 + 4 * i, depth);
		put_le32(r + 36, ENA_MAX_TX_HEADER);
		put_le16(r + 40, ENA_MAX_PKT_DESCS);
		put_le16(r + 42, ENA_MAX_PKT_DESCS);
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_MAX_QUEUES_NUM:
		put_le32(r + 0, dev->n_pairs);
		put_le32(r + 4, depth);
		put_le32(r + 8, dev->n_pairs);
		put_le32(r + 12, depth);
		put_le32(r + 24, ENA_MAX_TX_HEADER);
		put_le16(r + 28, ENA_MAX_PKT_DESCS);
		put_le16(r + 30, ENA_MAX_PKT_DESCS);
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_AENQ_CONFIG:
		put_le32(r + 0, ENA_AENQ_GROUPS);
		put_le32(r + 4, dev->aenq_enabled_groups);
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_STATELESS_OFFLOAD_CONFIG:
		/* No checksum offload: the guest computes its own checksums,
		 * and frames pass through untouched. */
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_HW_HINTS:
		/* Zero hints keep the driver's defaults. */
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_MTU:
		put_le32(r + 0, dev->mtu);
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_LINK_CONFIG:
		put_le32(r + 0, ENA_LINK_SPEED_MBPS);
		put_le32(r + 4, 0x80);                     /* 100G */
		put_le32(r + 8, 0x2);                      /* full duplex */
		return ENA_AQ_SUCCESS;
	default:
		/* LLQ, RSS, interrupt moderation: not offered. */
		return ENA_AQ_UNSUPPORTED_OPCODE;
	}
}

static uint8_t cmd_set_feature(struct ena_dev *dev, const uint8_t *cmd)
{
	unsigned int feature = cmd[17];
	const uint8_t *d = cmd + 20;

	switch (feature) {
	case ENA_FEAT_HOST_ATTR_CONFIG:
		/* The OS info and debug areas are the driver's business; we
		 * only check that they are addressable when given. */
		if (get_addr48(d) && !guest_mem_ptr(dev->host.mem, get_addr48(d), 4096))
			return ENA_AQ_MALFORMED_REQUEST;
		return ENA_AQ_SUCCESS;
	case ENA_FEAT_AENQ_CONFIG: {
		uint32_t groups = get_le32(d + 4);

		if (groups & ~ENA_AENQ_GROUPS)
			return ENA_AQ_ILLEGAL_PARAMETER;
		dev->aenq_enabled_groups = groups;
		aenq_post_link(dev);
		return ENA_AQ_SUCCESS;
	}
	case ENA_FEAT_MTU: {
		uint32_t mtu = get_le32(d);

		if (mtu < 68 || mtu > dev->max_mtu)
			return ENA_AQ_ILLEGAL_PARAMETER;
		dev->mtu = mtu;
		return ENA_AQ_SUCCESS;
	}
	default:
		return ENA_AQ_UNSUPPORTED_OPCODE;
	}
}

static uint8_t cmd_get_stats(struct ena_dev *dev, const uint8_t *cmd, uint8_t *resp)
{
	uint64_t v[6] = {
		dev->stats.tx_bytes, dev->stats.tx_pkts, dev->stats.rx_bytes,
		dev->stats.rx_pkts, dev->stats.rx_drops, dev->stats.tx_drops,
	};

	if (cmd[16] != 0)   /* only basic stats; ENI stats are not advertised */
		return ENA_AQ_UNSUPPORTED_OPCODE;
	for (unsigned int i = 0; i < 6; i++) {
		put_le32(resp + 8 + 8 * i, (uint32_t)v[i]);
		put_le32(resp + 12 + 8 * i, (uint32_t)(v[i] >> 32));
	}
	return ENA_AQ_SUCCESS;
}

static uint8_t admin_exec(struct ena_dev *dev, const uint8_t *cmd, uint8_t *resp)
{
	switch (cmd[2]) {
	case ENA_AQ_CREATE_SQ:
		return cmd_create_sq(dev, cmd, resp);
	case ENA_AQ_DESTROY_SQ:
		return cmd_destroy_sq(dev, cmd);
	case ENA_AQ_CREATE_CQ:
		return cmd_create_cq(dev, cmd, resp);
	case ENA_AQ_DESTROY_CQ:
		return cmd_destroy_cq(dev, cmd);
	case ENA_AQ_GET_FEATURE:
		return cmd_get_feature(dev, cmd, resp);
	case ENA_AQ_SET_FEATURE:
		return cmd_set_feature(dev, cmd);
	case ENA_AQ_GET_STATS:
		return cmd_get_stats(dev, cmd, resp);
	default:
		return ENA_AQ_UNSUPPORTED_OPCODE;
	}
}

static void admin_doorbell(struct ena_dev *dev, uint32_t val)
{
	uint32_t depth = dev->aq_caps & 0xffff, cdepth = dev->acq_caps & 0xffff;
	uint64_t aq = reg64(dev->aq_base_lo, dev->aq_base_hi);
	uint64_t acq = reg64(dev->acq_base_lo, dev->acq_base_hi);
	bool done = false;

	dev->aq_db = val;
	if (dev->reset_in_progress || !is_pow2(depth) || depth > ENA_MAX_ADMIN_DEPTH ||
	    !is_pow2(cdepth) || cdepth > ENA_MAX_ADMIN_DEPTH ||
	    (dev->aq_caps >> 16) != ENA_AQ_ENTRY_SIZE || (dev->acq_caps >> 16) != ENA_ACQ_ENTRY_SIZE ||
	    !guest_mem_ptr(dev->host.mem, aq, depth * ENA_AQ_ENTRY_SIZE) ||
	    !guest_mem_ptr(dev->host.mem, acq, cdepth * ENA_ACQ_ENTRY_SIZE))
		return;
	if ((uint16_t)((uint16_t)val - dev->aq_head) > depth)
		return;   /* a tail from nowhere */

	while (dev->aq_head != (uint16_t)val) {
		uint8_t cmd[ENA_AQ_ENTRY_SIZE], resp[ENA_ACQ_ENTRY_SIZE] = { 0 };
		uint8_t status;

		if (guest_mem_read(dev->host.mem, aq + (dev->aq_head & (depth - 1)) * ENA_AQ_ENTRY_SIZE,
				   cmd, sizeof(cmd)) < 0)
			break;
		if ((cmd[3] & ENA_AQ_FLAG_PHASE) != dev->aq_phase)
			break;   /* not written yet */
		dev->aq_head++;
		if ((dev->aq_head & (depth - 1)) == 0)
			dev->aq_phase ^= 1;

		status = admin_exec(dev, cmd, resp);
		dev->stats.admin_cmds++;
		if (status != ENA_AQ_SUCCESS)
			dev->stats.admin_errors++;
		put_le16(resp + 0, get_le16(cmd) & 0x0fff);
		resp[2] = status;
		resp[3] = dev->acq_phase & 1;
		put_le16(resp + 6, dev->aq_head);
		if (write_entry(dev, acq + (dev->acq_tail & (cdepth - 1)) * ENA_ACQ_ENTRY_SIZE, resp,
				sizeof(resp), 3) < 0)
			break;
		dev->acq_tail++;
		if ((dev->acq_tail & (cdepth - 1)) == 0)
			dev->acq_phase ^= 1;
		done = true;
	}
	if (done && !(dev->intr_mask & ENA_INTR_MASK_ADMIN))
		notify(dev, 0);
}

/* ---- Registers ----------------------------------------------------------- */

static void device_reset(struct ena_dev *dev)
{
	dev->aq_base_lo = dev->aq_base_hi = dev->aq_caps = 0;
	dev->acq_base_lo = dev->acq_base_hi = dev->acq_caps = 0;
	dev->aenq_base_lo = dev->aenq_base_hi = dev->aenq_caps = 0;
	dev->aq_db = dev->aenq_head_db = 0;
	dev->intr_mask = 0;
	dev->aq_head = dev->acq_tail = dev->aenq_tail = 0;
	dev->aq_phase = dev->acq_phase = dev->aenq_phase = 1;
	dev->aenq_enabled_groups = 0;
	dev->link_posted = false;
	dev->ev_probed = dev->ev_io_queues = dev->ev_link_up = false;
	dev->mtu = dev->max_mtu;
	memset(dev->cqs, 0, sizeof(dev->cqs));
	memset(dev->tx_sqs, 0, sizeof(dev->tx_sqs));
	memset(dev->rx_sqs, 0, sizeof(dev->rx_sqs));
	for (unsigned int i = 0; i < sizeof(dev->vec_armed) / sizeof(dev->vec_armed[0]); i++) {
		dev->vec_armed[i] = true;
		dev->vec_pending[i] = false;
	}
}

static uint32_t reg_read(struct ena_dev *dev, uint32_t off)
{
	switch (off) {
	case ENA_REG_VERSION:
		return ENA_VERSION_VALUE;
	case ENA_REG_CONTROLLER_VERSION:
		return ENA_CTRL_VERSION_VALUE;
	case ENA_REG_CAPS:
		return ENA_RESET_TIMEOUT << ENA_CAPS_RESET_TIMEOUT_SHIFT |
		       ENA_DMA_WIDTH << ENA_CAPS_DMA_WIDTH_SHIFT;
	case ENA_REG_AQ_BASE_LO: return dev->aq_base_lo;
	case ENA_REG_AQ_BASE_HI: return dev->aq_base_hi;
	case ENA_REG_AQ_CAPS: return dev->aq_caps;
	case ENA_REG_ACQ_BASE_LO: return dev->acq_base_lo;
	case ENA_REG_ACQ_BASE_HI: return dev->acq_base_hi;
	case ENA_REG_ACQ_CAPS: return dev->acq_caps;
	case ENA_REG_AQ_DB: return dev->aq_db;
	case ENA_REG_ACQ_TAIL: return dev->acq_tail;
	case ENA_REG_AENQ_CAPS: return dev->aenq_caps;
	case ENA_REG_AENQ_BASE_LO: return dev->aenq_base_lo;
	case ENA_REG_AENQ_BASE_HI: return dev->aenq_base_hi;
	case ENA_REG_AENQ_HEAD_DB: return dev->aenq_head_db;
	case ENA_REG_AENQ_TAIL: return dev->aenq_tail;
	case ENA_REG_INTR_MASK: return dev->intr_mask;
	case ENA_REG_DEV_CTL: return dev->dev_ctl;
	case ENA_REG_DEV_STS:
		return ENA_DEV_STS_READY | (dev->reset_in_progress ? ENA_DEV_STS_RESET_IN_PROGRESS : 0);
	case ENA_REG_MMIO_REG_READ: return dev->mmio_reg_read;
	case ENA_REG_MMIO_RESP_LO: return dev->mmio_resp_lo;
	case ENA_REG_MMIO_RESP_HI: return dev->mmio_resp_hi;
	default:
		return 0;
	}
}

/* Readless read: answer by DMA into the driver's response buffer, value and
 * offset first, then the request id the driver polls for. */
static void mmio_read_request(struct ena_dev *dev, uint32_t val)
{
	uint64_t gpa = reg64(dev->mmio_resp_lo, dev->mmio_resp_hi);
	uint16_t req_id = (uint16_t)val, off = (uint16_t)(val >> 16);
	uint8_t *p = guest_mem_ptr(dev->host.mem, gpa, 8);
	uint8_t r[8];

	dev->mmio_reg_read = val;
	if (!p)
		return;
	put_le16(r, req_id);
	put_le16(r + 2, off);
	put_le32(r + 4, (off & 3) ? 0 : reg_read(dev, off));
	memcpy(p + 2, r + 2, 6);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(p, r, 2);
}

static void reg_write(struct ena_dev *dev, uint32_t off, uint32_t val)
{
	switch (off) {
	case ENA_REG_AQ_BASE_LO: dev->aq_base_lo = val; return;
	case ENA_REG_AQ_BASE_HI: dev->aq_base_hi = val; return;
	case ENA_REG_AQ_CAPS:
		dev->aq_caps = val;
		dev->aq_head = 0;
		dev->aq_phase = 1;
		return;
	case ENA_REG_ACQ_BASE_LO: dev->acq_base_lo = val; return;
	case ENA_REG_ACQ_BASE_HI: dev->acq_base_hi = val; return;
	case ENA_REG_ACQ_CAPS:
		dev->acq_caps = val;
		dev->acq_tail = 0;
		dev->acq_phase = 1;
		return;
	case ENA_REG_AQ_DB:
		admin_doorbell(dev, val);
		return;
	case ENA_REG_AENQ_CAPS:
		dev->aenq_caps = val;
		dev->aenq_tail = 0;
		dev->aenq_phase = 1;
		dev->aenq_head_db = 0;
		dev->link_posted = false;
		return;
	case ENA_REG_AENQ_BASE_LO: dev->aenq_base_lo = val; return;
	case ENA_REG_AENQ_BASE_HI: dev->aenq_base_hi = val; return;
	case ENA_REG_AENQ_HEAD_DB:
		aenq_head_written(dev, val);
		return;
	case ENA_REG_INTR_MASK:
		dev->intr_mask = val;
		return;
	case ENA_REG_DEV_CTL:
		dev->dev_ctl = val;
		if ((val & ENA_DEV_CTL_RESET) && !dev->reset_in_progress) {
			char detail[32];

			device_reset(dev);
			dev->reset_in_progress = true;
			snprintf(detail, sizeof(detail), "reason %u", val >> ENA_DEV_CTL_REASON_SHIFT);
			emit(dev, VMM_EV_ENA_RESET, detail);
		} else if (!(val & ENA_DEV_CTL_RESET)) {
			dev->reset_in_progress = false;
		}
		return;
	case ENA_REG_MMIO_REG_READ:
		mmio_read_request(dev, val);
		return;
	case ENA_REG_MMIO_RESP_LO: dev->mmio_resp_lo = val; return;
	case ENA_REG_MMIO_RESP_HI: dev->mmio_resp_hi = val; return;
	default:
		break;
	}
	if (off >= ENA_REG_TX_SQ_DB(0) && off < ENA_REG_RX_SQ_DB(0))
		tx_doorbell(dev, (off - ENA_REG_TX_SQ_DB(0)) / 4, val);
	else if (off >= ENA_REG_RX_SQ_DB(0) && off < ENA_REG_CQ_UNMASK(0))
		rx_doorbell(dev, (off - ENA_REG_RX_SQ_DB(0)) / 4, val);
	else if (off >= ENA_REG_CQ_UNMASK(0) && off < ENA_MSIX_TABLE_OFFSET)
		cq_unmask(dev, (off - ENA_REG_CQ_UNMASK(0)) / 4, val);
}

static void bar0_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct ena_dev *dev = opaque;
	uint32_t v[2] = { 0, 0 };

	memset(data, 0, len);
	if ((len != 4 && len != 8) || (off & 3) || off + len > ENA_BAR0_SIZE)
		return;
	pthread_mutex_lock(&dev->lock);
	v[0] = reg_read(dev, (uint32_t)off);
	if (len == 8)
		v[1] = reg_read(dev, (uint32_t)off + 4);
	pthread_mutex_unlock(&dev->lock);
	memcpy(data, v, len);
}

static void bar0_write(void *opaque, uint64_t off, const void *data, unsigned int len)
{
	struct ena_dev *dev = opaque;
	uint32_t v[2] = { 0, 0 };

	if ((len != 4 && len != 8) || (off & 3) || off + len > ENA_BAR0_SIZE)
		return;
	memcpy(v, data, len);
	pthread_mutex_lock(&dev->lock);
	reg_write(dev, (uint32_t)off, v[0]);
	if (len == 8)
		reg_write(dev, (uint32_t)off + 4, v[1]);
	pthread_mutex_unlock(&dev->lock);
}

static void pci_reset(void *opaque)
{
	struct ena_dev *dev = opaque;

	pthread_mutex_lock(&dev->lock);
	device_reset(dev);
	dev->reset_in_progress = false;
	dev->mmio_resp_lo = dev->mmio_resp_hi = 0;
	pthread_mutex_unlock(&dev->lock);
}

/* ---- Keep-alive ---------------------------------------------------------- */

static void tick_locked(struct ena_dev *dev)
{
	uint8_t data[16];

	/* Drops since reset, as the keep-alive carries them. */
	put_le32(data + 0, (uint32_t)dev->stats.rx_drops);
	put_le32(data + 4, (uint32_t)(dev->stats.rx_drops >> 32));
	put_le32(data + 8, (uint32_t)dev->stats.tx_drops);
	put_le32(data + 12, (uint32_t)(dev->stats.tx_drops >> 32));
	if (aenq_post(dev, ENA_AENQ_KEEP_ALIVE, 0, data, sizeof(data)) >= 0)
		dev->stats.aenq_keep_alive++;
	aenq_post_link(dev);
}

void ena_tick(struct ena_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	tick_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

static void *keepalive_thread(void *opaque)
{
	struct ena_dev *dev = opaque;
	unsigned int ms = dev->cfg.keepalive_ms > 0 ? (unsigned int)dev->cfg.keepalive_ms : 1000;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&dev->lock);
	while (!dev->stopping) {
		next.tv_sec += ms / 1000;
		next.tv_nsec += (long)(ms % 1000) * 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		while (!dev->stopping && pthread_cond_timedwait(&dev->cond, &dev->lock, &next) != ETIMEDOUT)
			;
		if (!dev->stopping)
			tick_locked(dev);
	}
	pthread_mutex_unlock(&dev->lock);
	return NULL;
}

/* ---- Life cycle ---------------------------------------------------------- */

static void pci_attach(void *opaque, void *pci_dev);

int ena_create(const struct ena_config *cfg, const struct dev_host *host, struct ena_dev **ret)
{
	struct ena_dev *dev;
	pthread_condattr_t ca;
	int r;

	if (!cfg || !host || !host->mem || !ret)
		return -EINVAL;
	if (cfg->queue_pairs > ENA_MAX_QUEUE_PAIRS || (cfg->mtu && (cfg->mtu < 128 || cfg->mtu > 9216)))
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->cfg = *cfg;
	dev->host = *host;
	dev->n_pairs = cfg->queue_pairs ? cfg->queue_pairs : 2;
	dev->n_vectors = 1 + dev->n_pairs;
	dev->max_mtu = cfg->mtu ? cfg->mtu : 9001;
	pthread_mutex_init(&dev->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&dev->cond, &ca);
	pthread_condattr_destroy(&ca);
	device_reset(dev);

	dev->pci = (struct pci_dev_desc){
		.name = "ena",
		.vendor_id = 0x1d0f,
		.device_id = 0xec20,
		/* Nitro shows the ENA VF with its own ids as subsystem. */
		.subsys_vendor_id = 0x1d0f,
		.subsys_id = 0xec20,
		.class_code = 0x020000,
		/* Revision bit 0 would tell the driver readless reads are off. */
		.revision = 0,
		.slot = 5,
		.msix_vectors = dev->n_vectors,
		.msix_bar = 0,
		.msix_table_offset = ENA_MSIX_TABLE_OFFSET,
		.msix_pba_offset = ENA_MSIX_PBA_OFFSET,
		.dev = dev,
		.reset = pci_reset,
		.attach = pci_attach,
	};
	dev->pci.bars[0] = (struct pci_bar_desc){
		.size = ENA_BAR0_SIZE,
		.read = bar0_read,
		.write = bar0_write,
	};

	if (cfg->keepalive_ms >= 0) {
		r = pthread_create(&dev->thread, NULL, keepalive_thread, dev);
		if (r) {
			pthread_cond_destroy(&dev->cond);
			pthread_mutex_destroy(&dev->lock);
			free(dev);
			return -r;
		}
		dev->thread_running = true;
	}
	if (cfg->backend)
		net_backend_attach(cfg->backend, backend_rx, dev);
	*ret = dev;
	return 0;
}

void ena_destroy(struct ena_dev *dev)
{
	if (!dev)
		return;
	if (dev->cfg.backend)
		net_backend_attach(dev->cfg.backend, NULL, NULL);
	if (dev->thread_running) {
		pthread_mutex_lock(&dev->lock);
		dev->stopping = true;
		pthread_cond_broadcast(&dev->cond);
		pthread_mutex_unlock(&dev->lock);
		pthread_join(dev->thread, NULL);
	}
	pthread_cond_destroy(&dev->cond);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

const struct pci_dev_desc *ena_pci_desc(struct ena_dev *dev)
{
	return &dev->pci;
}

static void pci_attach(void *opaque, void *pci_dev)
{
	struct ena_dev *dev = opaque;

	pthread_mutex_lock(&dev->lock);
	dev->pci_handle = pci_dev;
	pthread_mutex_unlock(&dev->lock);
}

void ena_get_stats(struct ena_dev *dev, struct ena_stats *ret)
{
	pthread_mutex_lock(&dev->lock);
	*ret = dev->stats;
	pthread_mutex_unlock(&dev->lock);
}
