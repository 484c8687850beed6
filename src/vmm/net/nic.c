/* SPDX-License-Identifier: MIT */
#include "vmm/net/nic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/ena.h"
#include "vmm/net/slirp.h"
#include "vmm/vmm.h"

struct vmm_nic {
	struct vmm_nic_config cfg;
	struct net_slirp *net;
	struct ena_dev *ena;
};

int vmm_nic_new(const struct vmm_nic_config *cfg, struct vmm_nic **ret)
{
	static const uint8_t zero[6], def_mac[6] = { 0x02, 0x00, 0xac, 0x1f, 0x10, 0x05 };
	struct vmm_nic *nic;

	if (!cfg || !ret)
		return -EINVAL;
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	nic->cfg = *cfg;
	if (!memcmp(nic->cfg.mac, zero, 6))
		memcpy(nic->cfg.mac, def_mac, 6);
	memcpy(nic->cfg.imds.mac, nic->cfg.mac, 6);
	*ret = nic;
	return 0;
}

int vmm_nic_attach(struct vmm *vm, void *opaque, struct nc_err *err)
{
	struct vmm_nic *nic = opaque;
	const struct dev_host *host = vmm_dev_host(vm);
	struct net_slirp_config ncfg = {
		.imds = nic->cfg.no_imds ? NULL : &nic->cfg.imds,
		.bench_exec = nic->cfg.bench_exec,
	};
	struct ena_config ecfg = {
		.mtu = nic->cfg.mtu,
		.queue_pairs = nic->cfg.queue_pairs,
	};
	void *handle;
	int r;

	memcpy(ecfg.mac, nic->cfg.mac, 6);
	r = net_slirp_create(&ncfg, host, &nic->net);
	if (r < 0)
		return nc_err_set(err, r, "network backend (libslirp%s%s): %s",
				  ncfg.imds ? " + IMDS" : "",
				  ncfg.bench_exec ? " + benchmark exec forwards" : "", strerror(-r));
	ecfg.backend = net_slirp_backend(nic->net);
	r = ena_create(&ecfg, host, &nic->ena);
	if (r < 0)
		return nc_err_set(err, r, "ENA device: %s", strerror(-r));
	r = vmm_pci_register(vm, ena_pci_desc(nic->ena), &handle);
	if (r < 0)
		return nc_err_set(err, r, "ENA device at slot %u: %s", ena_pci_desc(nic->ena)->slot,
				  strerror(-r));
	r = net_slirp_start(nic->net);
	if (r < 0)
		return nc_err_set(err, r, "network thread: %s", strerror(-r));
	return 0;
}

void vmm_nic_stats(struct vmm_nic *nic, struct ena_stats *ret)
{
	*ret = (struct ena_stats){ 0 };
	if (nic->ena)
		ena_get_stats(nic->ena, ret);
}

void vmm_nic_detach(void *opaque)
{
	struct vmm_nic *nic = opaque;

	if (!nic)
		return;
	/* The device first: it detaches from the backend. */
	ena_destroy(nic->ena);
	nic->ena = NULL;
	net_slirp_destroy(nic->net);
	nic->net = NULL;
}

void vmm_nic_free(struct vmm_nic *nic)
{
	if (!nic)
		return;
	vmm_nic_detach(nic);
	free(nic);
}
