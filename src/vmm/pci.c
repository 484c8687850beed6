/* SPDX-License-Identifier: MIT */
#include "vmm/pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_MSIX 0x11
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_MASKED 0x1

struct pci_device {
	struct pci_bus *bus;
	struct pci_dev_desc desc;
	uint8_t cfg[256];
	uint8_t wmask[256];             /* bits the guest may change */
	uint8_t *msix_table;            /* msix_vectors * 16 bytes */
	uint64_t *msix_pba;
};

struct pci_bus {
	pthread_mutex_t lock;
	uint32_t config_address;
	uint64_t ecam_base;             /* 0: no ECAM window */
	uint64_t mmio_next, mmio_limit;
	uint32_t io_next, io_limit;
	pci_msi_send_fn msi_send;
	void *opaque;
	struct pci_msi_ops ops;
	void *ops_opaque;
	struct pci_device *devs[PCI_MAX_DEVICES];
};

static uint32_t get_le(const uint8_t *p, unsigned int len)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, unsigned int len, uint64_t v)
{
	for (unsigned int i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static void pci_device_free(struct pci_device *d)
{
	if (!d)
		return;
	free(d->msix_table);
	free(d->msix_pba);
	free(d);
}

static int pci_check_desc(const struct pci_dev_desc *d)
{
	if (d->slot >= PCI_MAX_DEVICES)
		return -EINVAL;
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar_desc *b = &d->bars[i];

		if (!b->size)
			continue;
		if (!is_pow2(b->size) || (b->io && (b->mem64 || b->size > 256)))
			return -EINVAL;
		if (b->mem64 && (i == PCI_NUM_BARS - 1 || d->bars[i + 1].size))
			return -EINVAL;
		if (!b->io && b->size < 16)
			return -EINVAL;
		if (b->mem64)
			i++;
	}
	if (d->msix_vectors) {
		uint64_t bar_size, table_end, pba_end;

		if (d->msix_vectors > PCI_MSIX_MAX_VECTORS || d->msix_bar >= PCI_NUM_BARS)
			return -EINVAL;
		bar_size = d->bars[d->msix_bar].size;
		table_end = d->msix_table_offset + (uint64_t)d->msix_vectors * MSIX_ENTRY_SIZE;
		pba_end = d->msix_pba_offset + ((d->msix_vectors + 63) / 64) * 8;
		if (d->bars[d->msix_bar].io || (d->msix_table_offset & 7) ||
		    (d->msix_pba_offset & 7) || table_end > bar_size || pba_end > bar_size)
			return -EINVAL;
		if (d->msix_table_offset < pba_end && d->msix_pba_offset < table_end)
			return -EINVAL;
	}
	return 0;
}

/* Builds config space: header type 0, BARs, MSI-X capability. */
static void pci_build_config(struct pci_device *pd)
{
	const struct pci_dev_desc *d = &pd->desc;
	uint8_t *c = pd->cfg, *w = pd->wmask;

	put_le(c + 0x00, 2, d->vendor_id);
	put_le(c + 0x02, 2, d->device_id);
	put_le(w + PCI_COMMAND, 2, 0x0547);     /* io, mem, master, parity, serr, intx off */
	c[0x08] = d->revision;
	put_le(c + 0x09, 3, d->class_code);
	w[0x0c] = 0xff;                         /* cache line size */
	w[0x0d] = 0xff;                         /* latency timer */
	c[0x0e] = 0x00;                         /* header type 0, single function */
	put_le(c + 0x2c, 2, d->subsys_vendor_id);
	put_le(c + 0x2e, 2, d->subsys_id);
	w[0x3c] = 0xff;                         /* interrupt line: scratch */
	c[0x3d] = 0;                            /* no INTx pin: MSI-X only */

	if (d->msix_vectors) {
		uint8_t *cap = c + PCI_MSIX_CAP_OFFSET;

		put_le(c + PCI_STATUS, 2, PCI_STATUS_CAP_LIST);
		c[PCI_CAP_PTR] = PCI_MSIX_CAP_OFFSET;
		cap[0] = PCI_CAP_ID_MSIX;
		cap[1] = 0;
		put_le(cap + 2, 2, d->msix_vectors - 1);
		w[PCI_MSIX_CAP_OFFSET + 3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
		put_le(cap + 4, 4, (uint32_t)d->msix_table_offset | d->msix_bar);
		put_le(cap + 8, 4, (uint32_t)d->msix_pba_offset | d->msix_bar);
	}
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Places the BARs; called with the bus lock held. */
static int pci_place_bars(struct pci_bus *bus, struct pci_device *pd)
{
	uint64_t mmio = bus->mmio_next;
	uint32_t io = bus->io_next;

	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar_desc *b = &pd->desc.bars[i];
		uint8_t *reg = pd->cfg + PCI_BAR0 + 4 * i, *wm = pd->wmask + PCI_BAR0 + 4 * i;

		if (!b->size)
			continue;
		if (b->io) {
			uint32_t at = (uint32_t)align_up(io, b->size);

			if (at + b->size - 1 > bus->io_limit)
				return -ENOSPC;
			put_le(reg, 4, at | 0x1);
			put_le(wm, 4, ~(uint32_t)(b->size - 1) & 0xfffffffc);
			io = at + (uint32_t)b->size;
			continue;
		}
		uint64_t at = align_up(mmio, b->size);

		if (at + b->size - 1 > bus->mmio_limit)
			return -ENOSPC;
		put_le(reg, 4, (uint32_t)at | (b->mem64 ? 0x4 : 0) | (b->prefetch ? 0x8 : 0));
		put_le(wm, 4, (uint32_t)~(b->size - 1) & 0xfffffff0);
		if (b->mem64) {
			put_le(reg + 4, 4, (uint32_t)(at >> 32));
			put_le(wm + 4, 4, (uint32_t)(~(b->size - 1) >> 32));
			i++;
		}
		mmio = at + b->size;
	}
	bus->mmio_next = mmio;
	bus->io_next = io;
	return 0;
}

static int pci_add(struct pci_bus *bus, const struct pci_dev_desc *desc, void **ret_handle)
{
	struct pci_device *pd;
	int rc;

	rc = pci_check_desc(desc);
	if (rc < 0)
		return rc;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return -ENOMEM;
	pd->bus = bus;
	pd->desc = *desc;
	if (desc->msix_vectors) {
		pd->msix_table = calloc(desc->msix_vectors, MSIX_ENTRY_SIZE);
		pd->msix_pba = calloc((desc->msix_vectors + 63) / 64, 8);
		if (!pd->msix_table || !pd->msix_pba) {
			pci_device_free(pd);
			return -ENOMEM;
		}
		/* Every vector starts masked (PCI spec 6.8.2.9). */
		for (unsigned int v = 0; v < desc->msix_vectors; v++)
			pd->msix_table[v * MSIX_ENTRY_SIZE + 12] = MSIX_ENTRY_MASKED;
	}
	pci_build_config(pd);

	pthread_mutex_lock(&bus->lock);
	if (bus->devs[desc->slot]) {
		rc = -EEXIST;
	} else {
		rc = pci_place_bars(bus, pd);
		if (rc == 0)
			bus->devs[desc->slot] = pd;
	}
	pthread_mutex_unlock(&bus->lock);
	if (rc < 0) {
		pci_device_free(pd);
		return rc;
	}
	if (ret_handle)
		*ret_handle = pd;
	if (desc->attach)
		desc->attach(desc->dev, pd);
	return 0;
}

int pci_bus_register(struct pci_bus *bus, const struct pci_dev_desc *desc, void **ret_handle)
{
	if (desc->slot == 0)
		return -EINVAL;         /* the host bridge's */
	return pci_add(bus, desc, ret_handle);
}

int pci_bus_new(uint32_t mmio_base, uint32_t mmio_limit, uint16_t io_base, uint16_t io_limit,
		pci_msi_send_fn msi_send, void *opaque, struct pci_bus **ret_bus)
{
	const struct pci_dev_desc host = {
		.name = "host-bridge",
		.vendor_id = PCI_HOST_VENDOR,
		.device_id = PCI_HOST_DEVICE,
		.class_code = 0x060000,
		.revision = 2,
		.slot = 0,
	};
	struct pci_bus *bus;
	int rc;

	if (mmio_limit <= mmio_base || io_limit <= io_base)
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	pthread_mutex_init(&bus->lock, NULL);
	bus->mmio_next = mmio_base;
	bus->mmio_limit = mmio_limit;
	bus->io_next = io_base;
	bus->io_limit = io_limit;
	bus->msi_send = msi_send;
	bus->opaque = opaque;
	rc = pci_add(bus, &host, NULL);
	if (rc < 0) {
		pci_bus_free(bus);
		return rc;
	}
	*ret_bus = bus;
	return 0;
}

void pci_bus_set_msi_ops(struct pci_bus *bus, const struct pci_msi_ops *ops, void *opaque)
{
	pthread_mutex_lock(&bus->lock);
	bus->ops = *ops;
	bus->ops_opaque = opaque;
	pthread_mutex_unlock(&bus->lock);
}

void pci_bus_free(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned int i = 0; i < PCI_MAX_DEVICES; i++)
		pci_device_free(bus->devs[i]);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

/* ---- MSI-X ----------------------------------------------------------------- */

static uint16_t msix_ctrl(const struct pci_device *pd)
{
	return (uint16_t)get_le(pd->cfg + PCI_MSIX_CAP_OFFSET + 2, 2);
}

static bool msix_entry_masked(const struct pci_device *pd, unsigned int v)
{
	return get_le(pd->msix_table + v * MSIX_ENTRY_SIZE + 12, 4) & MSIX_ENTRY_MASKED;
}

/* MSI-X on and the function not masked. Lock held. */
static bool msix_function_open(const struct pci_device *pd)
{
	uint16_t ctrl = msix_ctrl(pd);

	return (ctrl & MSIX_CTRL_ENABLE) && !(ctrl & MSIX_CTRL_MASKALL);
}

static void msix_entry_msg(const struct pci_device *pd, unsigned int v, struct pci_msix_msg *m)
{
	const uint8_t *e = pd->msix_table + v * MSIX_ENTRY_SIZE;

	m->vector = v;
	m->addr = (uint64_t)get_le(e, 4) | (uint64_t)get_le(e + 4, 4) << 32;
	m->data = get_le(e + 8, 4);
}

/* Sends vector v if it may be delivered, else marks it pending. Lock held;
 * returns whether a message is to be sent (m filled). */
static bool msix_fire_locked(struct pci_device *pd, unsigned int v, struct pci_msix_msg *m)
{
	if ((msix_ctrl(pd) & MSIX_CTRL_MASKALL) || msix_entry_masked(pd, v)) {
		pd->msix_pba[v / 64] |= 1ull << (v % 64);
		return false;
	}
	pd->msix_pba[v / 64] &= ~(1ull << (v % 64));
	msix_entry_msg(pd, v, m);
	return true;
}

/* Both without the lock held. */
static void msix_send_all(struct pci_device *pd, const struct pci_msix_msg *msgs,
			  unsigned int n)
{
	struct pci_bus *bus = pd->bus;

	for (unsigned int i = 0; i < n; i++) {
		if (bus->ops.send)
			bus->ops.send(bus->ops_opaque, pd->desc.slot, &msgs[i]);
		else if (bus->msi_send)
			bus->msi_send(bus->opaque, msgs[i].addr, msgs[i].data);
	}
}

static void msix_route_all(struct pci_device *pd, const struct pci_msix_msg *msgs,
			   unsigned int n)
{
	struct pci_bus *bus = pd->bus;

	if (n && bus->ops.route)
		bus->ops.route(bus->ops_opaque, pd->desc.slot, msgs, n);
}

int pci_msix_notify(void *handle, unsigned int vector)
{
	struct pci_device *pd = handle;
	struct pci_bus *bus;
	struct pci_msix_msg m;
	bool send;

	if (!pd || vector >= pd->desc.msix_vectors)
		return -EINVAL;
	bus = pd->bus;
	pthread_mutex_lock(&bus->lock);
	if (!(msix_ctrl(pd) & MSIX_CTRL_ENABLE)) {
		pthread_mutex_unlock(&bus->lock);
		return -EAGAIN;
	}
	send = msix_fire_locked(pd, vector, &m);
	pthread_mutex_unlock(&bus->lock);
	if (send)
		msix_send_all(pd, &m, 1);
	return 0;
}

/* After the function opened (MSI-X enabled or function mask cleared): the
 * routes of every unmasked vector into routes, and what was pending into
 * sends. Lock held; both arrays hold msix_vectors entries. */
static void msix_function_opened(struct pci_device *pd, struct pci_msix_msg *routes,
				 unsigned int *n_routes, struct pci_msix_msg *sends,
				 unsigned int *n_sends)
{
	*n_routes = *n_sends = 0;
	for (unsigned int v = 0; v < pd->desc.msix_vectors; v++) {
		if (msix_entry_masked(pd, v))
			continue;
		msix_entry_msg(pd, v, &routes[(*n_routes)++]);
		if ((pd->msix_pba[v / 64] & (1ull << (v % 64))) &&
		    msix_fire_locked(pd, v, &sends[*n_sends]))
			(*n_sends)++;
	}
}

/* ---- Config space ------------------------------------------------------------ */

static bool cfg_access_ok(unsigned int off, unsigned int len)
{
	return (len == 1 || len == 2 || len == 4) && off < 256 && (off & (len - 1)) == 0;
}

uint32_t pci_config_read(struct pci_bus *bus, unsigned int slot, unsigned int off,
			 unsigned int len)
{
	uint32_t v;

	if (slot >= PCI_MAX_DEVICES || !cfg_access_ok(off, len))
		return 0xffffffff;
	pthread_mutex_lock(&bus->lock);
	if (!bus->devs[slot])
		v = len == 4 ? 0xffffffff : (1u << (8 * len)) - 1;
	else
		v = get_le(bus->devs[slot]->cfg + off, len);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

void pci_config_write(struct pci_bus *bus, unsigned int slot, unsigned int off, unsigned int len,
		      uint32_t val)
{
	_cleanup_free_ struct pci_msix_msg *routes = NULL, *sends = NULL;
	unsigned int n_routes = 0, n_sends = 0;
	struct pci_device *pd;
	void (*reset)(void *) = NULL;
	void *dev = NULL;

	if (slot >= PCI_MAX_DEVICES || !cfg_access_ok(off, len))
		return;
	pthread_mutex_lock(&bus->lock);
	pd = bus->devs[slot];
	if (pd) {
		uint16_t old_cmd = (uint16_t)get_le(pd->cfg + PCI_COMMAND, 2);
		bool was_open = pd->desc.msix_vectors && msix_function_open(pd);
		uint16_t cmd;

		for (unsigned int i = 0; i < len; i++) {
			uint8_t m = pd->wmask[off + i], b = (uint8_t)(val >> (8 * i));

			pd->cfg[off + i] = (uint8_t)((pd->cfg[off + i] & ~m) | (b & m));
		}
		/* Bus master off: the device must stop touching guest memory. */
		cmd = (uint16_t)get_le(pd->cfg + PCI_COMMAND, 2);
		if ((old_cmd & 0x4) && !(cmd & 0x4) && pd->desc.reset) {
			reset = pd->desc.reset;
			dev = pd->desc.dev;
		}
		if (pd->desc.msix_vectors && !was_open && msix_function_open(pd)) {
			routes = calloc(pd->desc.msix_vectors, sizeof(*routes));
			sends = calloc(pd->desc.msix_vectors, sizeof(*sends));
			if (routes && sends)
				msix_function_opened(pd, routes, &n_routes, sends, &n_sends);
		}
	}
	pthread_mutex_unlock(&bus->lock);
	if (pd) {
		msix_route_all(pd, routes, n_routes);
		msix_send_all(pd, sends, n_sends);
	}
	if (reset)
		reset(dev);
}

/* ---- Port and memory dispatch -------------------------------------------------- */

struct bar_hit {
	struct pci_device *pd;
	unsigned int bar;
	uint64_t off;
};

/* Finds the enabled BAR that holds [addr, addr+len). Lock held. */
static bool bar_lookup(struct pci_bus *bus, uint64_t addr, unsigned int len, bool io,
		       struct bar_hit *hit)
{
	for (unsigned int s = 0; s < PCI_MAX_DEVICES; s++) {
		struct pci_device *pd = bus->devs[s];
		uint16_t cmd;

		if (!pd)
			continue;
		cmd = (uint16_t)get_le(pd->cfg + PCI_COMMAND, 2);
		if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
			continue;
		for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
			const struct pci_bar_desc *b = &pd->desc.bars[i];
			uint64_t base;

			if (!b->size || b->io != io)
				continue;
			base = get_le(pd->cfg + PCI_BAR0 + 4 * i, 4) & (io ? ~0x3u : ~0xfu);
			if (b->mem64)
				base |= (uint64_t)get_le(pd->cfg + PCI_BAR0 + 4 * (i + 1), 4) << 32;
			if (base && addr >= base && addr - base < b->size &&
			    len <= b->size - (addr - base)) {
				hit->pd = pd;
				hit->bar = i;
				hit->off = addr - base;
				return true;
			}
			if (b->mem64)
				i++;
		}
	}
	return false;
}

/* MSI-X table or PBA access; returns false when off is outside both. */
static bool msix_mmio(struct pci_device *pd, unsigned int bar, uint64_t off, void *data,
		      unsigned int len, bool is_write)
{
	const struct pci_dev_desc *d = &pd->desc;
	struct pci_bus *bus = pd->bus;
	uint64_t table_len = (uint64_t)d->msix_vectors * MSIX_ENTRY_SIZE;
	uint64_t pba_len = ((d->msix_vectors + 63) / 64) * 8;
	struct pci_msix_msg route, send;
	bool routed = false, fired = false;

	if (!d->msix_vectors || bar != d->msix_bar)
		return false;
	if (off >= d->msix_table_offset && off - d->msix_table_offset < table_len) {
		uint64_t t = off - d->msix_table_offset;
		unsigned int v = (unsigned int)(t / MSIX_ENTRY_SIZE);

		/* Dword or qword accesses within one entry (PCI spec 6.8.2). */
		if ((len != 4 && len != 8) || (t & (len - 1))) {
			if (!is_write)
				memset(data, 0xff, len);
			return true;
		}
		pthread_mutex_lock(&bus->lock);
		if (is_write) {
			bool was_masked = msix_entry_masked(pd, v);

			memcpy(pd->msix_table + t, data, len);
			pd->msix_table[v * 16 + 12] &= MSIX_ENTRY_MASKED;
			memset(pd->msix_table + v * 16 + 13, 0, 3);
			/* Deliverable with a (maybe) new message: route it
			 * first, then deliver what the unmask released. */
			if (msix_function_open(pd) && !msix_entry_masked(pd, v)) {
				msix_entry_msg(pd, v, &route);
				routed = true;
				if (was_masked && (pd->msix_pba[v / 64] & (1ull << (v % 64))))
					fired = msix_fire_locked(pd, v, &send);
			}
		} else {
			memcpy(data, pd->msix_table + t, len);
		}
		pthread_mutex_unlock(&bus->lock);
		if (routed)
			msix_route_all(pd, &route, 1);
		if (fired)
			msix_send_all(pd, &send, 1);
		return true;
	}
	if (off >= d->msix_pba_offset && off - d->msix_pba_offset < pba_len) {
		uint64_t t = off - d->msix_pba_offset;

		if (!is_write) {
			pthread_mutex_lock(&bus->lock);
			if (t + len <= pba_len)
				memcpy(data, (uint8_t *)pd->msix_pba + t, len);
			else
				memset(data, 0, len);
			pthread_mutex_unlock(&bus->lock);
		}
		return true;            /* the PBA is read-only */
	}
	return false;
}

static bool bar_access(struct pci_bus *bus, uint64_t addr, void *data, unsigned int len,
		       bool is_write, bool io)
{
	struct bar_hit hit;
	const struct pci_bar_desc *b;
	bool found;

	pthread_mutex_lock(&bus->lock);
	found = bar_lookup(bus, addr, len, io, &hit);
	pthread_mutex_unlock(&bus->lock);
	if (!found)
		return false;
	if (msix_mmio(hit.pd, hit.bar, hit.off, data, len, is_write))
		return true;
	b = &hit.pd->desc.bars[hit.bar];
	if (is_write) {
		if (b->write)
			b->write(hit.pd->desc.dev, hit.off, data, len);
	} else {
		memset(data, 0, len);
		if (b->read)
			b->read(hit.pd->desc.dev, hit.off, data, len);
	}
	return true;
}

int pci_bus_enable_ecam(struct pci_bus *bus, uint64_t base)
{
	if (!base || (base & (PCI_ECAM_BUS_SIZE - 1)))
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	bus->ecam_base = base;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

/* An access at offset off of bus 0's ECAM window: device in bits 19:15,
 * function in 14:12, register in 11:0. The same config space as CF8/CFC;
 * functions other than 0 and the extended space (256..4095) are absent. */
static void ecam_access(struct pci_bus *bus, uint64_t off, void *data, unsigned int len,
			bool is_write)
{
	unsigned int slot = (unsigned int)(off >> 15) & 0x1f;
	unsigned int fn = (unsigned int)(off >> 12) & 0x7;
	unsigned int reg = (unsigned int)off & 0xfff;

	if (fn || !cfg_access_ok(reg, len)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		pci_config_write(bus, slot, reg, len, get_le(data, len));
	else
		put_le(data, len, pci_config_read(bus, slot, reg, len));
}

bool pci_bus_mmio(struct pci_bus *bus, uint64_t addr, void *data, unsigned int len,
		  bool is_write)
{
	uint64_t ecam;

	pthread_mutex_lock(&bus->lock);
	ecam = bus->ecam_base;
	pthread_mutex_unlock(&bus->lock);
	if (ecam && addr >= ecam && addr - ecam < PCI_ECAM_BUS_SIZE) {
		/* An access straddling the window's end is dropped whole. */
		if (len > PCI_ECAM_BUS_SIZE - (addr - ecam)) {
			if (!is_write)
				memset(data, 0xff, len);
			return true;
		}
		ecam_access(bus, addr - ecam, data, len, is_write);
		return true;
	}
	return bar_access(bus, addr, data, len, is_write, false);
}

bool pci_bus_pio(struct pci_bus *bus, uint16_t port, void *data, unsigned int len, bool is_write)
{
	if (port >= PCI_CONFIG_ADDRESS && port < PCI_CONFIG_ADDRESS + 4) {
		/* Only whole-dword accesses reach the address latch. */
		if (port != PCI_CONFIG_ADDRESS || len != 4) {
			if (!is_write)
				memset(data, 0xff, len);
			return true;
		}
		pthread_mutex_lock(&bus->lock);
		if (is_write)
			bus->config_address = get_le(data, 4) & 0x80fffffc;
		else
			put_le(data, 4, bus->config_address);
		pthread_mutex_unlock(&bus->lock);
		return true;
	}
	if (port >= PCI_CONFIG_DATA && port < PCI_CONFIG_DATA + 4) {
		uint32_t ca, v;
		unsigned int off, slot;

		pthread_mutex_lock(&bus->lock);
		ca = bus->config_address;
		pthread_mutex_unlock(&bus->lock);
		off = (ca & 0xfc) + (port - PCI_CONFIG_DATA);
		slot = (ca >> 11) & 0x1f;
		/* Bus 0, function 0 only; everything else is absent. */
		if (!(ca & 0x80000000u) || ((ca >> 16) & 0xff) || ((ca >> 8) & 0x7) ||
		    !cfg_access_ok(off, len)) {
			if (!is_write)
				memset(data, 0xff, len);
			return true;
		}
		if (is_write) {
			pci_config_write(bus, slot, off, len, get_le(data, len));
		} else {
			v = pci_config_read(bus, slot, off, len);
			put_le(data, len, v);
		}
		return true;
	}
	return bar_access(bus, port, data, len, is_write, true);
}

unsigned int pci_bus_slots(struct pci_bus *bus, uint8_t *ret_slots, unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&bus->lock);
	for (unsigned int s = 1; s < PCI_MAX_DEVICES && n < max; s++)
		if (bus->devs[s])
			ret_slots[n++] = (uint8_t)s;
	pthread_mutex_unlock(&bus->lock);
	return n;
}

uint64_t pci_bar_address(struct pci_bus *bus, unsigned int slot, unsigned int bar)
{
	uint64_t a = 0;

	if (slot >= PCI_MAX_DEVICES || bar >= PCI_NUM_BARS)
		return 0;
	pthread_mutex_lock(&bus->lock);
	if (bus->devs[slot] && bus->devs[slot]->desc.bars[bar].size) {
		const struct pci_device *pd = bus->devs[slot];

		a = get_le(pd->cfg + PCI_BAR0 + 4 * bar, 4);
		a &= pd->desc.bars[bar].io ? ~0x3ull : ~0xfull;
		a &= 0xffffffffull;
		if (pd->desc.bars[bar].mem64)
			a |= (uint64_t)get_le(pd->cfg + PCI_BAR0 + 4 * (bar + 1), 4) << 32;
	}
	pthread_mutex_unlock(&bus->lock);
	return a;
}
