/* SPDX-License-Identifier: MIT */
/* MSI-X by irqfd: the routing bookkeeping behind the PCI core, driven as
 * the Linux driver programs the MSI-X table, with KVM's calls recorded by
 * fake ops (the eventfds are real: a delivery is read back from them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/util.h"
#include "pci_test_util.h"
#include "vmm/msiroute.h"

#define CAP 0x40
#define MAX_BOUND 16

struct fake_kvm {
	/* The last routing table set. */
	struct kvm_irq_routing_entry table[MSI_ROUTER_DEFAULT_ENTRIES + 64];
	unsigned int table_n;
	unsigned int routing_calls, irqfd_calls, deassigns;
	int fail_routing, fail_irqfd;           /* -errno to return */
	int fds[MAX_BOUND];                     /* bound eventfds by GSI - 24 */
	unsigned int signals;
	uint64_t signal_addr;
	uint32_t signal_data;
};

static int fake_set_gsi_routing(void *opaque, const struct kvm_irq_routing *t)
{
	struct fake_kvm *k = opaque;

	k->routing_calls++;
	if (k->fail_routing)
		return k->fail_routing;
	assert_true(t->nr <= ARRAY_SIZE(k->table));
	memcpy(k->table, t->entries, t->nr * sizeof(t->entries[0]));
	k->table_n = t->nr;
	return 0;
}

static int fake_irqfd(void *opaque, int fd, uint32_t gsi, bool deassign)
{
	struct fake_kvm *k = opaque;

	if (deassign) {
		k->deassigns++;
		assert_int_equal(k->fds[gsi - MSI_ROUTER_FIRST_GSI], fd);
		return 0;
	}
	k->irqfd_calls++;
	if (k->fail_irqfd)
		return k->fail_irqfd;
	assert_true(gsi >= MSI_ROUTER_FIRST_GSI && gsi < MSI_ROUTER_FIRST_GSI + MAX_BOUND);
	k->fds[gsi - MSI_ROUTER_FIRST_GSI] = fd;
	return 0;
}

static int fake_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct fake_kvm *k = opaque;

	k->signals++;
	k->signal_addr = addr;
	k->signal_data = data;
	return 0;
}

static const struct msi_router_ops fake_ops = {
	.set_gsi_routing = fake_set_gsi_routing,
	.irqfd = fake_irqfd,
	.signal_msi = fake_signal_msi,
};

static const struct pci_msi_ops router_pci_ops = {
	.route = msi_router_route,
	.send = msi_router_send,
};

struct ctx {
	struct fake_kvm kvm;
	struct msi_log log;
	struct fake_dev f;
	struct pci_bus *bus;
	struct msi_router *r;
	void *h;
	uint64_t bar;
};

static void setup_ctx(struct ctx *c)
{
	struct pci_dev_desc d;

	memset(c, 0, sizeof(*c));
	for (unsigned int i = 0; i < MAX_BOUND; i++)
		c->kvm.fds[i] = -1;
	assert_int_equal(pci_bus_new(0xc0000000u, 0xdfffffffu, 0xc000, 0xffff, msi_record,
				     &c->log, &c->bus),
			 0);
	assert_int_equal(msi_router_new(&fake_ops, &c->kvm, &c->r), 0);
	pci_bus_set_msi_ops(c->bus, &router_pci_ops, c->r);
	d = fake_desc(&c->f, 4);
	assert_int_equal(pci_bus_register(c->bus, &d, &c->h), 0);
	c->bar = pci_bar_address(c->bus, 4, 0);
	cfg_write_port(c->bus, 4, 0x04, 2, 0x0006);
}

static int setup(void **state)
{
	struct ctx *c = malloc(sizeof(*c));

	setup_ctx(c);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	pci_bus_free(c->bus);
	msi_router_free(c->r);
	free(c);
	return 0;
}

static void entry_write(struct ctx *c, unsigned int v, unsigned int field, uint32_t val)
{
	assert_true(pci_bus_mmio(c->bus, c->bar + 0x2000 + 16 * v + field, &val, 4, true));
}

static uint64_t pba(struct ctx *c)
{
	uint64_t v = 0;

	assert_true(pci_bus_mmio(c->bus, c->bar + 0x3000, &v, 8, false));
	return v;
}

/* Writes vector v's message as Linux does, leaving it masked. */
static void program_masked(struct ctx *c, unsigned int v, uint32_t data)
{
	entry_write(c, v, 0, 0xfee00000u | v << 12);
	entry_write(c, v, 4, 0);
	entry_write(c, v, 8, data);
}

/* What the eventfd of GSI gsi holds (read and reset); 0 when nothing. */
static uint64_t eventfd_count(struct ctx *c, uint32_t gsi)
{
	uint64_t n = 0;
	int fd = c->kvm.fds[gsi - MSI_ROUTER_FIRST_GSI];

	assert_true(fd >= 0);
	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;               /* EAGAIN: nonblocking and empty */
	return n;
}

/* The MSI route for gsi in the last table; NULL when absent. */
static const struct kvm_irq_routing_entry *msi_route(struct ctx *c, uint32_t gsi)
{
	for (unsigned int i = 0; i < c->kvm.table_n; i++)
		if (c->kvm.table[i].gsi == gsi && c->kvm.table[i].type == KVM_IRQ_ROUTING_MSI)
			return &c->kvm.table[i];
	return NULL;
}

static void test_default_routes(void **state)
{
	struct kvm_irq_routing_entry e[MSI_ROUTER_DEFAULT_ENTRIES];
	unsigned int ioapic = 0, master = 0, slave = 0;

	/* KVM's own default table, kept when ours replaces it: the PIT on
	 * GSI 0 and the UART's IRQ 4 line still reach the irqchips. */
	msi_router_default_routes(e);
	for (unsigned int i = 0; i < MSI_ROUTER_DEFAULT_ENTRIES; i++) {
		assert_int_equal(e[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		switch (e[i].u.irqchip.irqchip) {
		case KVM_IRQCHIP_IOAPIC:
			assert_int_equal(e[i].u.irqchip.pin, e[i].gsi);
			assert_int_equal(e[i].gsi, ioapic);
			ioapic++;
			break;
		case KVM_IRQCHIP_PIC_MASTER:
			assert_true(e[i].gsi < 8);
			assert_int_equal(e[i].u.irqchip.pin, e[i].gsi);
			master++;
			break;
		case KVM_IRQCHIP_PIC_SLAVE:
			assert_true(e[i].gsi >= 8 && e[i].gsi < 16);
			assert_int_equal(e[i].u.irqchip.pin, e[i].gsi - 8);
			slave++;
			break;
		default:
			fail();
		}
	}
	assert_int_equal(ioapic, 24);
	assert_int_equal(master, 8);
	assert_int_equal(slave, 8);
}

static void test_route_on_unmask(void **state)
{
	struct ctx *c = *state;
	const struct kvm_irq_routing_entry *e;
	struct msi_router_stats st;

	/* Linux: enable with the function masked, program the entries
	 * (masked), open the function: nothing is routed yet. */
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0xc000);
	program_masked(c, 0, 0x41);
	program_masked(c, 1, 0x42);
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	assert_int_equal(c->kvm.routing_calls, 0);
	assert_int_equal(c->kvm.irqfd_calls, 0);

	/* request_irq unmasks vector 0: one table update, one irqfd. */
	entry_write(c, 0, 12, 0);
	assert_int_equal(c->kvm.routing_calls, 1);
	assert_int_equal(c->kvm.irqfd_calls, 1);
	assert_int_equal(c->kvm.table_n, MSI_ROUTER_DEFAULT_ENTRIES + 1);
	e = msi_route(c, MSI_ROUTER_FIRST_GSI);
	assert_non_null(e);
	assert_int_equal(e->u.msi.address_lo, 0xfee00000u);
	assert_int_equal(e->u.msi.address_hi, 0);
	assert_int_equal(e->u.msi.data, 0x41);
	/* The defaults are still in the table. */
	assert_int_equal(c->kvm.table[0].type, KVM_IRQ_ROUTING_IRQCHIP);

	/* The device's interrupt is an eventfd write, not an ioctl. */
	assert_int_equal(pci_msix_notify(c->h, 0), 0);
	assert_int_equal(pci_msix_notify(c->h, 0), 0);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 2);
	assert_int_equal(c->kvm.signals, 0);
	assert_int_equal(c->log.n, 0);          /* msi_send is not used */

	/* Vector 1 is still masked: pending, nothing sent. */
	assert_int_equal(pci_msix_notify(c->h, 1), 0);
	assert_int_equal(pba(c), 1u << 1);
	assert_int_equal(c->kvm.signals, 0);
	/* Its unmask routes it (GSI 25) before delivering the pending bit. */
	entry_write(c, 1, 12, 0);
	assert_int_equal(c->kvm.routing_calls, 2);
	assert_int_equal(c->kvm.table_n, MSI_ROUTER_DEFAULT_ENTRIES + 2);
	assert_non_null(msi_route(c, MSI_ROUTER_FIRST_GSI + 1));
	assert_int_equal(msi_route(c, MSI_ROUTER_FIRST_GSI + 1)->u.msi.data, 0x42);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI + 1), 1);
	assert_int_equal(pba(c), 0);
	assert_int_equal(c->kvm.signals, 0);

	msi_router_get_stats(c->r, &st);
	assert_int_equal(st.routes, 2);
	assert_int_equal(st.irqfds, 2);
	assert_int_equal(st.table_updates, 2);
	assert_int_equal(st.irqfd_sends, 3);
	assert_int_equal(st.signal_sends, 0);
	assert_false(st.disabled);
}

static void test_mask_pending_and_reroute(void **state)
{
	struct ctx *c = *state;
	const struct kvm_irq_routing_entry *e;

	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	program_masked(c, 3, 0x43);
	entry_write(c, 3, 12, 0);
	assert_int_equal(c->kvm.routing_calls, 1);

	/* Masked: pending, not delivered; unmasked again with the same
	 * message: delivered through the irqfd, no table update. */
	entry_write(c, 3, 12, 1);
	assert_int_equal(pci_msix_notify(c->h, 3), 0);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 0);
	assert_int_equal(pba(c), 1u << 3);
	entry_write(c, 3, 12, 0);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 1);
	assert_int_equal(pba(c), 0);
	assert_int_equal(c->kvm.routing_calls, 1);

	/* The guest moves the vector (new CPU, new vector) while masked:
	 * the unmask rewrites the same GSI's route; the irqfd stays. */
	entry_write(c, 3, 12, 1);
	entry_write(c, 3, 0, 0xfee01000u);
	entry_write(c, 3, 8, 0x63);
	assert_int_equal(c->kvm.routing_calls, 1);
	entry_write(c, 3, 12, 0);
	assert_int_equal(c->kvm.routing_calls, 2);
	assert_int_equal(c->kvm.irqfd_calls, 1);
	e = msi_route(c, MSI_ROUTER_FIRST_GSI);
	assert_non_null(e);
	assert_int_equal(e->u.msi.address_lo, 0xfee01000u);
	assert_int_equal(e->u.msi.data, 0x63);
	assert_int_equal(c->kvm.table_n, MSI_ROUTER_DEFAULT_ENTRIES + 1);
	assert_int_equal(pci_msix_notify(c->h, 3), 0);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 1);

	/* Function mask: pending; clearing it delivers through the irqfd. */
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0xc000);
	assert_int_equal(pci_msix_notify(c->h, 3), 0);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 0);
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 1);
	assert_int_equal(c->kvm.routing_calls, 2);

	/* MSI-X off: dropped (the device is told), nothing delivered. */
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x0000);
	assert_int_equal(pci_msix_notify(c->h, 3), -EAGAIN);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 0);
	assert_int_equal(c->kvm.signals, 0);
}

static void test_enable_routes_unmasked(void **state)
{
	struct ctx *c = *state;

	/* Entries unmasked before MSI-X is enabled (allowed): enabling routes
	 * them all in one table update. */
	for (unsigned int v = 0; v < 4; v++) {
		program_masked(c, v, 0x50 + v);
		entry_write(c, v, 12, 0);
	}
	assert_int_equal(c->kvm.routing_calls, 0);
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	assert_int_equal(c->kvm.routing_calls, 1);
	assert_int_equal(c->kvm.irqfd_calls, 4);
	assert_int_equal(c->kvm.table_n, MSI_ROUTER_DEFAULT_ENTRIES + 4);
	for (unsigned int v = 0; v < 4; v++) {
		const struct kvm_irq_routing_entry *e = msi_route(c, MSI_ROUTER_FIRST_GSI + v);

		assert_non_null(e);
		assert_int_equal(e->u.msi.data, 0x50 + v);
		assert_int_equal(pci_msix_notify(c->h, v), 0);
		assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI + v), 1);
	}
	/* Writing the control word again changes nothing. */
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	assert_int_equal(c->kvm.routing_calls, 1);
}

static void test_fallback_when_irqfd_fails(void **state)
{
	struct ctx *c = *state;
	struct msi_router_stats st;

	c->kvm.fail_irqfd = -EINVAL;
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	program_masked(c, 2, 0x72);
	entry_write(c, 2, 12, 0);
	assert_int_equal(c->kvm.routing_calls, 1);
	assert_int_equal(pci_msix_notify(c->h, 2), 0);
	assert_int_equal(c->kvm.signals, 1);
	assert_int_equal(c->kvm.signal_addr, 0xfee02000u);
	assert_int_equal(c->kvm.signal_data, 0x72);
	/* Not retried on every unmask. */
	entry_write(c, 2, 12, 1);
	entry_write(c, 2, 12, 0);
	assert_int_equal(c->kvm.irqfd_calls, 1);
	msi_router_get_stats(c->r, &st);
	assert_int_equal(st.irqfds, 0);
	assert_int_equal(st.signal_sends, 1);
}

static void test_fallback_when_routing_fails(void **state)
{
	struct ctx *c = *state;
	struct msi_router_stats st;

	c->kvm.fail_routing = -ENOSYS;
	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	program_masked(c, 0, 0x41);
	entry_write(c, 0, 12, 0);
	assert_int_equal(c->kvm.irqfd_calls, 0);
	assert_int_equal(pci_msix_notify(c->h, 0), 0);
	assert_int_equal(c->kvm.signals, 1);
	assert_int_equal(c->kvm.signal_data, 0x41);
	/* Once failed, no more table updates: everything is signalled. */
	program_masked(c, 1, 0x42);
	entry_write(c, 1, 12, 0);
	assert_int_equal(c->kvm.routing_calls, 1);
	assert_int_equal(pci_msix_notify(c->h, 1), 0);
	assert_int_equal(c->kvm.signals, 2);
	assert_int_equal(c->kvm.signal_data, 0x42);
	msi_router_get_stats(c->r, &st);
	assert_true(st.disabled);
	assert_int_equal(st.irqfd_sends, 0);
}

static void test_message_in_flight(void **state)
{
	struct ctx *c = *state;
	struct pci_msix_msg stale = { .vector = 0, .addr = 0xfee00000u, .data = 0x99 };
	struct pci_msix_msg other_slot = { .vector = 0, .addr = 0xfee00000u, .data = 0x41 };

	cfg_write_port(c->bus, 4, CAP + 2, 2, 0x8000);
	program_masked(c, 0, 0x41);
	entry_write(c, 0, 12, 0);
	/* A delivery whose message is not the route's (read before a change
	 * reached KVM) is signalled with its own message. */
	msi_router_send(c->r, 4, &stale);
	assert_int_equal(c->kvm.signals, 1);
	assert_int_equal(c->kvm.signal_data, 0x99);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 0);
	/* Unknown slot or vector: signalled too. */
	msi_router_send(c->r, 7, &other_slot);
	other_slot.vector = 5;
	msi_router_send(c->r, 4, &other_slot);
	assert_int_equal(c->kvm.signals, 3);
	assert_int_equal(eventfd_count(c, MSI_ROUTER_FIRST_GSI), 0);
}

static void test_free_unbinds(void **state)
{
	struct ctx c;

	(void)state;
	setup_ctx(&c);
	cfg_write_port(c.bus, 4, CAP + 2, 2, 0x8000);
	for (unsigned int v = 0; v < 3; v++) {
		program_masked(&c, v, 0x40 + v);
		entry_write(&c, v, 12, 0);
	}
	assert_int_equal(c.kvm.irqfd_calls, 3);
	pci_bus_free(c.bus);
	msi_router_free(c.r);
	assert_int_equal(c.kvm.deassigns, 3);
	/* The eventfds are closed. */
	for (unsigned int v = 0; v < 3; v++)
		assert_int_equal(fcntl(c.kvm.fds[v], F_GETFD), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_routes),
		cmocka_unit_test_setup_teardown(test_route_on_unmask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask_pending_and_reroute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_routes_unmasked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_when_irqfd_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_when_routing_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_in_flight, setup, teardown),
		cmocka_unit_test(test_free_unbinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
