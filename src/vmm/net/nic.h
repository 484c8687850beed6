/* SPDX-License-Identifier: MIT */
/*
 * The ENA NIC as the machine sees it, with its network: the ENA model at
 * 00:05.0 on a restricted libslirp backend serving DHCP and the instance
 * metadata service. vmm_nic_attach is the vmm_config.attach_nic hook:
 *
 *	struct vmm_nic *nic;
 *	vmm_nic_new(&nic_cfg, &nic);
 *	cfg.attach_nic = vmm_nic_attach; cfg.nic_opaque = nic;
 *	vmm_create(&cfg, &vm, &err); vmm_run(...);
 *	vmm_nic_free(nic);    after vmm_run, before vmm_destroy: the device
 *	vmm_destroy(vm);      DMAs into guest memory until it is freed
 */
#ifndef NC_VMM_NET_NIC_H
#define NC_VMM_NET_NIC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "vmm/dev/ena.h"
#include "vmm/net/imds.h"

struct vmm;

struct vmm_nic_config {
	uint8_t mac[6];             /* all zero: 02:00:ac:1f:10:05 (locally administered) */
	unsigned int queue_pairs;   /* 0: 2 */
	uint32_t mtu;               /* max MTU offered; 0: 9001 as on EC2 */
	bool no_imds;
	/* Metadata; imds.mac is taken from mac above. */
	struct imds_config imds;
	/* Benchmarking only: net_slirp_config.bench_exec; NULL normally. */
	const char *bench_exec;
};

struct vmm_nic;

int vmm_nic_new(const struct vmm_nic_config *cfg, struct vmm_nic **ret);
/* The attach_nic hook: creates the network and the device, registers it
 * at slot 5 and starts the network thread. */
int vmm_nic_attach(struct vmm *vm, void *opaque, struct nc_err *err);
/* The vmm_config.detach_nic hook: stops the network thread and the device
 * (vmm_destroy calls it before guest memory goes); vmm_nic_free after. */
void vmm_nic_detach(void *opaque);
/* The device's counters (zero before attach and after detach). */
void vmm_nic_stats(struct vmm_nic *nic, struct ena_stats *ret);
void vmm_nic_free(struct vmm_nic *nic);

#endif
