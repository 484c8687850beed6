/* SPDX-License-Identifier: MIT */
/*
 * Elastic Network Adapter model (PCI 1d0f:ec20 at 00:05.0, as on Nitro).
 *
 * What the Linux ena driver expects, learned from its sources and restated
 * here in our own words: a 16 KiB register BAR0 with "readless" register
 * reads (the device DMAs the value to a driver buffer), an admin submission/
 * completion queue pair and an asynchronous event queue (AENQ) in guest
 * memory with phase bits, MSI-X vector 0 for admin + AENQ and one vector per
 * IO queue pair, and host-memory TX/RX descriptor rings with completion
 * queues. LLQ (descriptors in device memory) and RSS are not offered, so the
 * driver uses host-memory queues and a single RX queue receives everything.
 *
 * All structures are little endian and accessed by byte offset, so the
 * offsets below are the whole contract.
 */
#ifndef NC_VMM_DEV_ENA_H
#define NC_VMM_DEV_ENA_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"

struct net_backend;

/* ---- BAR0 layout --------------------------------------------------------- */
#define ENA_BAR0_SIZE                 0x4000
#define ENA_REG_VERSION               0x00
#define ENA_REG_CONTROLLER_VERSION    0x04
#define ENA_REG_CAPS                  0x08
#define ENA_REG_CAPS_EXT              0x0c
#define ENA_REG_AQ_BASE_LO            0x10
#define ENA_REG_AQ_BASE_HI            0x14
#define ENA_REG_AQ_CAPS               0x18
#define ENA_REG_ACQ_BASE_LO           0x20
#define ENA_REG_ACQ_BASE_HI           0x24
#define ENA_REG_ACQ_CAPS              0x28
#define ENA_REG_AQ_DB                 0x2c
#define ENA_REG_ACQ_TAIL              0x30
#define ENA_REG_AENQ_CAPS             0x34
#define ENA_REG_AENQ_BASE_LO          0x38
#define ENA_REG_AENQ_BASE_HI          0x3c
#define ENA_REG_AENQ_HEAD_DB          0x40
#define ENA_REG_AENQ_TAIL             0x44
#define ENA_REG_INTR_MASK             0x4c
#define ENA_REG_DEV_CTL               0x54
#define ENA_REG_DEV_STS               0x58
#define ENA_REG_MMIO_REG_READ         0x5c
#define ENA_REG_MMIO_RESP_LO          0x60
#define ENA_REG_MMIO_RESP_HI          0x64
#define ENA_REG_RSS_IND_ENTRY_UPDATE  0x68
/* Per-queue registers we hand out in CREATE_SQ/CREATE_CQ completions. */
#define ENA_REG_TX_SQ_DB(i)           (0x1000 + 4 * (i))
#define ENA_REG_RX_SQ_DB(i)           (0x1400 + 4 * (i))
#define ENA_REG_CQ_UNMASK(i)          (0x1800 + 4 * (i))
#define ENA_MSIX_TABLE_OFFSET         0x2000
#define ENA_MSIX_PBA_OFFSET           0x3000

#define ENA_CAPS_RESET_TIMEOUT_SHIFT  1   /* 5 bits, 100 ms units */
#define ENA_CAPS_DMA_WIDTH_SHIFT      8
#define ENA_DEV_CTL_RESET             0x1u
#define ENA_DEV_CTL_REASON_SHIFT      28
#define ENA_DEV_STS_READY             0x1u
#define ENA_DEV_STS_RESET_IN_PROGRESS 0x8u
#define ENA_DEV_STS_FATAL_ERROR       0x20u
#define ENA_INTR_MASK_ADMIN           0x1u
#define ENA_INTR_UNMASK               (1u << 30)

/* ---- Admin queue -------------------------------------------------------- */
#define ENA_AQ_ENTRY_SIZE   64
#define ENA_ACQ_ENTRY_SIZE  64
#define ENA_AENQ_ENTRY_SIZE 64

enum ena_aq_opcode {
	ENA_AQ_CREATE_SQ = 1,
	ENA_AQ_DESTROY_SQ = 2,
	ENA_AQ_CREATE_CQ = 3,
	ENA_AQ_DESTROY_CQ = 4,
	ENA_AQ_GET_FEATURE = 8,
	ENA_AQ_SET_FEATURE = 9,
	ENA_AQ_GET_STATS = 11,
};

enum ena_aq_status {
	ENA_AQ_SUCCESS = 0,
	ENA_AQ_RESOURCE_ALLOCATION_FAILURE = 1,
	ENA_AQ_BAD_OPCODE = 2,
	ENA_AQ_UNSUPPORTED_OPCODE = 3,
	ENA_AQ_MALFORMED_REQUEST = 4,
	ENA_AQ_ILLEGAL_PARAMETER = 5,
	ENA_AQ_UNKNOWN_ERROR = 6,
	ENA_AQ_RESOURCE_BUSY = 7,
};

enum ena_feature {
	ENA_FEAT_DEVICE_ATTRIBUTES = 1,
	ENA_FEAT_MAX_QUEUES_NUM = 2,
	ENA_FEAT_HW_HINTS = 3,
	ENA_FEAT_LLQ = 4,
	ENA_FEAT_MAX_QUEUES_EXT = 7,
	ENA_FEAT_RSS_HASH_FUNCTION = 10,
	ENA_FEAT_STATELESS_OFFLOAD_CONFIG = 11,
	ENA_FEAT_RSS_INDIRECTION_TABLE = 12,
	ENA_FEAT_MTU = 14,
	ENA_FEAT_RSS_HASH_INPUT = 18,
	ENA_FEAT_INTERRUPT_MODERATION = 20,
	ENA_FEAT_AENQ_CONFIG = 26,
	ENA_FEAT_LINK_CONFIG = 27,
	ENA_FEAT_HOST_ATTR_CONFIG = 28,
};

enum ena_aenq_group {
	ENA_AENQ_LINK_CHANGE = 0,
	ENA_AENQ_FATAL_ERROR = 1,
	ENA_AENQ_WARNING = 2,
	ENA_AENQ_NOTIFICATION = 3,
	ENA_AENQ_KEEP_ALIVE = 4,
};

/* Admin command bytes: 0 u16 command id (11:0), 2 u8 opcode, 3 u8 flags
 * (bit 0 phase, bit 1 control buffer, bit 2 indirect). GET/SET_FEATURE: 17
 * feature id, 18 feature version, 20.. feature data. Completion bytes: 0 u16
 * command id, 2 u8 status, 3 u8 flags (bit 0 phase), 4 u16 extended status,
 * 6 u16 sq head, 8.. response data. */
#define ENA_AQ_FLAG_PHASE 0x1u

/* ---- IO rings ----------------------------------------------------------- */
#define ENA_IO_DESC_SIZE      16   /* TX and RX submission descriptors */
#define ENA_TX_CDESC_SIZE     8
#define ENA_RX_CDESC_SIZE     16
#define ENA_SQ_DIR_TX         1
#define ENA_SQ_DIR_RX         2
#define ENA_PLACEMENT_HOST    1

/* TX descriptor word 0 (len_ctrl). */
#define ENA_TX_LEN_MASK       0xffffu
#define ENA_TX_REQ_ID_HI_SHIFT 16     /* 6 bits: req_id 15:10 */
#define ENA_TX_META           (1u << 23)
#define ENA_TX_PHASE          (1u << 24)
#define ENA_TX_FIRST          (1u << 26)
#define ENA_TX_LAST           (1u << 27)
#define ENA_TX_COMP_REQ       (1u << 28)
/* TX descriptor word 1 (meta_ctrl): req_id 9:0 at 31:22. */
#define ENA_TX_REQ_ID_LO_SHIFT 22
/* RX descriptor byte 3 (ctrl). */
#define ENA_RX_CTRL_PHASE     0x01u
#define ENA_RX_CTRL_FIRST     0x04u
#define ENA_RX_CTRL_LAST      0x08u
#define ENA_RX_CTRL_COMP_REQ  0x10u
/* RX completion word 0 (status). */
#define ENA_RX_CDESC_PHASE    (1u << 24)
#define ENA_RX_CDESC_FIRST    (1u << 26)
#define ENA_RX_CDESC_LAST     (1u << 27)

#define ENA_MAX_QUEUE_PAIRS   8
#define ENA_MAX_QUEUE_DEPTH   1024
#define ENA_MAX_PKT_DESCS     19

/* ---- The model ---------------------------------------------------------- */
struct ena_config {
	uint8_t mac[6];
	uint32_t mtu;               /* max MTU offered; 0: 9001 */
	unsigned int queue_pairs;   /* 1..ENA_MAX_QUEUE_PAIRS; 0: 2 */
	/* Keep-alive period. 0: 1000 ms from a device thread; negative: no
	 * thread, the caller drives ena_tick() (tests, fuzzing). */
	int keepalive_ms;
	struct net_backend *backend; /* may be NULL: frames are dropped */
};

struct ena_stats {
	uint64_t tx_pkts, tx_bytes, tx_drops;
	uint64_t rx_pkts, rx_bytes, rx_drops;
	uint64_t aenq_keep_alive, admin_cmds, admin_errors;
};

struct ena_dev;

int ena_create(const struct ena_config *cfg, const struct dev_host *host, struct ena_dev **ret);
void ena_destroy(struct ena_dev *dev);
/* Filled in ena_create(); the PCI core registers it and calls its attach
 * hook with the handle the device then passes to msix_notify. */
const struct pci_dev_desc *ena_pci_desc(struct ena_dev *dev);
/* A frame from the network: DMA it into the first RX queue. 0, or -ENOSPC
 * (no RX buffers: dropped), -EINVAL (bad descriptors or size: dropped). */
int ena_receive(struct ena_dev *dev, const void *frame, size_t len);
/* One keep-alive period elapsed. */
void ena_tick(struct ena_dev *dev);
void ena_get_stats(struct ena_dev *dev, struct ena_stats *ret);

#endif
