/* SPDX-License-Identifier: MIT */
/*
 * MSI-X delivery through KVM irqfds: each MSI-X vector the guest unmasks
 * gets a GSI with an MSI route (KVM_SET_GSI_ROUTING, which replaces the
 * whole table, so KVM's default IOAPIC/PIC routes for GSIs 0-23 are kept in
 * it) and an eventfd bound to that GSI (KVM_IRQFD). Delivering the vector
 * is then one eventfd write from the device's thread instead of a
 * KVM_SIGNAL_MSI ioctl. A route is rewritten when the guest changes the
 * vector's message; a delivery whose message differs from the route's (a
 * change in flight), or any vector whose route or irqfd could not be set
 * up, goes by KVM_SIGNAL_MSI.
 *
 * The KVM calls go through struct msi_router_ops, so the bookkeeping is
 * tested without KVM. Its route/send functions fit struct pci_msi_ops;
 * the PCI core keeps masking and pending bits. Thread-safe.
 */
#ifndef NC_VMM_MSIROUTE_H
#define NC_VMM_MSIROUTE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/pci.h"

#define MSI_ROUTER_FIRST_GSI 24         /* after the IOAPIC's 24 pins */
#define MSI_ROUTER_MAX_ROUTES 1024
/* KVM's default routing: GSIs 0-15 on the IOAPIC and the PICs, 16-23 on
 * the IOAPIC only. */
#define MSI_ROUTER_DEFAULT_ENTRIES (16 * 2 + 8)

struct msi_router_ops {
	/* KVM_SET_GSI_ROUTING; 0 or -errno. */
	int (*set_gsi_routing)(void *opaque, const struct kvm_irq_routing *table);
	/* KVM_IRQFD, assign or deassign; 0 or -errno. */
	int (*irqfd)(void *opaque, int fd, uint32_t gsi, bool deassign);
	/* KVM_SIGNAL_MSI; 0 or -errno. */
	int (*signal_msi)(void *opaque, uint64_t addr, uint32_t data);
};

struct msi_router_stats {
	unsigned int routes;            /* vectors with a GSI */
	unsigned int irqfds;            /* of them, with a working irqfd */
	unsigned int table_updates;     /* successful KVM_SET_GSI_ROUTING calls */
	uint64_t irqfd_sends;           /* deliveries by eventfd write */
	uint64_t signal_sends;          /* deliveries by KVM_SIGNAL_MSI */
	bool disabled;                  /* routing failed once: all by signal */
};

struct msi_router;

/* ops is copied. */
int msi_router_new(const struct msi_router_ops *ops, void *opaque, struct msi_router **ret);
/* Unbinds and closes the eventfds (the VM fd must still be open). */
void msi_router_free(struct msi_router *r);

/* struct pci_msi_ops.route: (re)routes these vectors of slot with one
 * table update for the lot. Failures only mean delivery by signal. */
void msi_router_route(void *router, unsigned int slot, const struct pci_msix_msg *msgs,
		      unsigned int n);
/* struct pci_msi_ops.send: delivers one vector's message. */
void msi_router_send(void *router, unsigned int slot, const struct pci_msix_msg *msg);

void msi_router_get_stats(struct msi_router *r, struct msi_router_stats *ret);

/* KVM's default routing table entries (MSI_ROUTER_DEFAULT_ENTRIES). */
void msi_router_default_routes(struct kvm_irq_routing_entry *ret);

#endif
