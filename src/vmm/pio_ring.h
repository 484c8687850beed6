/* SPDX-License-Identifier: MIT */
/*
 * KVM's coalesced MMIO/PIO ring: writes to a registered zone do not exit to
 * the VMM; KVM appends them to a ring page shared with the vCPUs' mmap and
 * the VMM replays them later. They must be replayed before any exit that
 * follows them is handled (and at shutdown), so the device sees the
 * accesses in the guest's order. Pure: the ring is plain memory.
 */
#ifndef NC_VMM_PIO_RING_H
#define NC_VMM_PIO_RING_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries a ring in a page of page_size bytes holds. */
uint32_t pio_ring_capacity(size_t page_size);

/* Whether entries are waiting; lock-free, for a check before locking. */
bool pio_ring_pending(const struct kvm_coalesced_mmio_ring *ring);

/* Replays and consumes the entries oldest first, calling write() for each.
 * The caller serialises drains (one consumer). Returns the count. */
size_t pio_ring_drain(struct kvm_coalesced_mmio_ring *ring, uint32_t capacity,
		      void (*write)(void *opaque, const struct kvm_coalesced_mmio *e),
		      void *opaque);

#endif
