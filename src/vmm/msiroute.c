/* SPDX-License-Identifier: MIT */
#include "vmm/msiroute.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"

struct msi_route {
	bool valid;                     /* has a GSI and a message */
	bool irqfd;                     /* fd is bound to gsi */
	bool irqfd_failed;              /* do not try again */
	uint32_t gsi;
	int fd;
	uint64_t addr;
	uint32_t data;
};

struct msi_router {
	pthread_mutex_t lock;
	struct msi_router_ops ops;
	void *opaque;
	/* Per slot, indexed by vector; grown as vectors are routed. */
	struct msi_route *routes[PCI_MAX_DEVICES];
	unsigned int n_vectors[PCI_MAX_DEVICES];
	unsigned int n_routes;
	uint32_t next_gsi;
	unsigned int table_updates;
	bool disabled;
	atomic_uint_fast64_t irqfd_sends, signal_sends;
};

void msi_router_default_routes(struct kvm_irq_routing_entry *ret)
{
	unsigned int n = 0;

	memset(ret, 0, MSI_ROUTER_DEFAULT_ENTRIES * sizeof(*ret));
	for (uint32_t gsi = 0; gsi < 24; gsi++) {
		ret[n].gsi = gsi;
		ret[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ret[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		ret[n].u.irqchip.pin = gsi;
		n++;
		if (gsi >= 16)
			continue;
		ret[n].gsi = gsi;
		ret[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ret[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		ret[n].u.irqchip.pin = gsi % 8;
		n++;
	}
}

int msi_router_new(const struct msi_router_ops *ops, void *opaque, struct msi_router **ret)
{
	struct msi_router *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->ops = *ops;
	r->opaque = opaque;
	r->next_gsi = MSI_ROUTER_FIRST_GSI;
	atomic_init(&r->irqfd_sends, 0);
	atomic_init(&r->signal_sends, 0);
	*ret = r;
	return 0;
}

void msi_router_free(struct msi_router *r)
{
	if (!r)
		return;
	for (unsigned int s = 0; s < PCI_MAX_DEVICES; s++) {
		for (unsigned int v = 0; v < r->n_vectors[s]; v++) {
			struct msi_route *rt = &r->routes[s][v];

			if (rt->irqfd)
				r->ops.irqfd(r->opaque, rt->fd, rt->gsi, true);
			if (rt->valid && rt->fd >= 0)
				close(rt->fd);
		}
		free(r->routes[s]);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* The route of (slot, vector), growing the slot's array; NULL without
 * memory. Lock held. */
static struct msi_route *route_slot(struct msi_router *r, unsigned int slot, unsigned int vector)
{
	if (slot >= PCI_MAX_DEVICES || vector >= PCI_MSIX_MAX_VECTORS)
		return NULL;
	if (vector >= r->n_vectors[slot]) {
		unsigned int n = vector + 1 > 2 * r->n_vectors[slot] ? vector + 1 :
								      2 * r->n_vectors[slot];
		struct msi_route *a = realloc(r->routes[slot], n * sizeof(*a));

		if (!a)
			return NULL;
		memset(a + r->n_vectors[slot], 0, (n - r->n_vectors[slot]) * sizeof(*a));
		for (unsigned int v = r->n_vectors[slot]; v < n; v++)
			a[v].fd = -1;
		r->routes[slot] = a;
		r->n_vectors[slot] = n;
	}
	return &r->routes[slot][vector];
}

/* The whole table: KVM's defaults, then one MSI route per vector. */
static int push_table(struct msi_router *r)
{
	_cleanup_free_ struct kvm_irq_routing *t = NULL;
	unsigned int n = MSI_ROUTER_DEFAULT_ENTRIES;
	int rc;

	t = calloc(1, sizeof(*t) + (MSI_ROUTER_DEFAULT_ENTRIES + r->n_routes) *
					   sizeof(struct kvm_irq_routing_entry));
	if (!t)
		return -ENOMEM;
	msi_router_default_routes(t->entries);
	for (unsigned int s = 0; s < PCI_MAX_DEVICES; s++)
		for (unsigned int v = 0; v < r->n_vectors[s]; v++) {
			const struct msi_route *rt = &r->routes[s][v];
			struct kvm_irq_routing_entry *e = &t->entries[n];

			if (!rt->valid)
				continue;
			e->gsi = rt->gsi;
			e->type = KVM_IRQ_ROUTING_MSI;
			e->u.msi.address_lo = (uint32_t)rt->addr;
			e->u.msi.address_hi = (uint32_t)(rt->addr >> 32);
			e->u.msi.data = rt->data;
			n++;
		}
	t->nr = n;
	rc = r->ops.set_gsi_routing(r->opaque, t);
	if (rc == 0)
		r->table_updates++;
	return rc;
}

static void bind_irqfd(struct msi_router *r, struct msi_route *rt)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0) {
		rt->irqfd_failed = true;
		return;
	}
	if (r->ops.irqfd(r->opaque, fd, rt->gsi, false) < 0) {
		close(fd);
		rt->irqfd_failed = true;
		return;
	}
	rt->fd = fd;
	rt->irqfd = true;
}

void msi_router_route(void *router, unsigned int slot, const struct pci_msix_msg *msgs,
		      unsigned int n)
{
	struct msi_router *r = router;
	bool changed = false;

	pthread_mutex_lock(&r->lock);
	if (r->disabled)
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		struct msi_route *rt = route_slot(r, slot, msgs[i].vector);

		if (!rt)
			continue;
		if (!rt->valid) {
			if (r->n_routes >= MSI_ROUTER_MAX_ROUTES)
				continue;       /* delivered by signal */
			rt->valid = true;
			rt->gsi = r->next_gsi++;
			r->n_routes++;
		} else if (rt->addr == msgs[i].addr && rt->data == msgs[i].data) {
			continue;
		}
		rt->addr = msgs[i].addr;
		rt->data = msgs[i].data;
		changed = true;
	}
	if (changed && push_table(r) < 0) {
		/* Without a table KVM would not know our GSIs: signal all. */
		r->disabled = true;
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct msi_route *rt = route_slot(r, slot, msgs[i].vector);

		if (rt && rt->valid && !rt->irqfd && !rt->irqfd_failed)
			bind_irqfd(r, rt);
	}
out:
	pthread_mutex_unlock(&r->lock);
}

void msi_router_send(void *router, unsigned int slot, const struct pci_msix_msg *msg)
{
	struct msi_router *r = router;
	int fd = -1;

	pthread_mutex_lock(&r->lock);
	if (!r->disabled && slot < PCI_MAX_DEVICES && msg->vector < r->n_vectors[slot]) {
		const struct msi_route *rt = &r->routes[slot][msg->vector];

		/* Only when KVM's route says what the PCI core just read. */
		if (rt->irqfd && rt->addr == msg->addr && rt->data == msg->data)
			fd = rt->fd;
	}
	pthread_mutex_unlock(&r->lock);
	if (fd >= 0) {
		uint64_t one = 1;

		if (write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one)) {
			atomic_fetch_add(&r->irqfd_sends, 1);
			return;
		}
	}
	atomic_fetch_add(&r->signal_sends, 1);
	r->ops.signal_msi(r->opaque, msg->addr, msg->data);
}

void msi_router_get_stats(struct msi_router *r, struct msi_router_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	pthread_mutex_lock(&r->lock);
	ret->routes = r->n_routes;
	for (unsigned int s = 0; s < PCI_MAX_DEVICES; s++)
		for (unsigned int v = 0; v < r->n_vectors[s]; v++)
			ret->irqfds += r->routes[s][v].irqfd;
	ret->table_updates = r->table_updates;
	ret->disabled = r->disabled;
	pthread_mutex_unlock(&r->lock);
	ret->irqfd_sends = atomic_load(&r->irqfd_sends);
	ret->signal_sends = atomic_load(&r->signal_sends);
}
