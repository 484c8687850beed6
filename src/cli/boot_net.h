/* SPDX-License-Identifier: MIT */
/*
 * `nitrocheck boot`'s network: the ENA NIC (vmm_nic) with its MAC, IMDS
 * user-data and instance type, and the network milestones it witnesses.
 */
#ifndef NC_CLI_BOOT_NET_H
#define NC_CLI_BOOT_NET_H

#include <stdbool.h>

#include "bootcheck/net_milestones.h"
#include "vmm/net/nic.h"
#include "vmm/vmm.h"

struct boot_net {
	struct vmm_nic_config ncfg;
	struct vmm_nic *nic;
	struct net_watch watch;
	/* the event callback the NIC's chain passes events on to */
	void (*chain)(void *opaque, enum vmm_event ev, const char *detail);
	void *chain_opaque;
};

/* "0a:1b:2c:3d:4e:5f" -> ret_mac; -EINVAL otherwise. */
int boot_net_parse_mac(const char *s, uint8_t ret_mac[6]);

/* mac NULL: a random locally administered unicast address. user_data may
 * be NULL. Sets cfg->attach_nic/detach_nic/nic_opaque and routes cfg->event
 * through the network milestones (instance type from cfg->instance_type).
 * Call boot_net_free after the run in every case. */
int boot_net_setup(struct boot_net *bn, const uint8_t *mac, const char *user_data,
		   struct vmm_config *cfg, struct nc_err *err);
void boot_net_free(struct boot_net *bn);

#endif
