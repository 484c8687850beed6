/* SPDX-License-Identifier: MIT */
#include "vmm/pio_ring.h"

uint32_t pio_ring_capacity(size_t page_size)
{
	return (uint32_t)((page_size - sizeof(struct kvm_coalesced_mmio_ring)) /
			  sizeof(struct kvm_coalesced_mmio));
}

bool pio_ring_pending(const struct kvm_coalesced_mmio_ring *ring)
{
	return __atomic_load_n(&ring->first, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
}

size_t pio_ring_drain(struct kvm_coalesced_mmio_ring *ring, uint32_t capacity,
		      void (*write)(void *opaque, const struct kvm_coalesced_mmio *e),
		      void *opaque)
{
	uint32_t first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
	size_t n = 0;

	/* KVM publishes an entry before it advances last (release); we free
	 * a slot only after reading it. */
	while (first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio e = ring->coalesced_mmio[first % capacity];

		write(opaque, &e);
		first = (first + 1) % capacity;
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
		n++;
	}
	return n;
}
