/* SPDX-License-Identifier: MIT */
#include "cli/boot_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int boot_net_parse_mac(const char *s, uint8_t ret_mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (unsigned int i = 0; i < 6; i++)
		ret_mac[i] = (uint8_t)b[i];
	/* A multicast address cannot be a NIC's. */
	if (ret_mac[0] & 1)
		return -EINVAL;
	return 0;
}

static void on_event(void *opaque, enum vmm_event ev, const char *detail)
{
	struct boot_net *bn = opaque;

	net_watch_event(&bn->watch, ev, detail);
	if (bn->chain)
		bn->chain(bn->chain_opaque, ev, detail);
}

int boot_net_setup(struct boot_net *bn, const uint8_t *mac, const char *user_data,
		   struct vmm_config *cfg, struct nc_err *err)
{
	int r;

	memset(bn, 0, sizeof(*bn));
	net_watch_init(&bn->watch);
	if (mac) {
		memcpy(bn->ncfg.mac, mac, 6);
	} else {
		if (getrandom(bn->ncfg.mac, 6, 0) != 6)
			return nc_err_set(err, -EIO, "random MAC address: %s", strerror(errno));
		bn->ncfg.mac[0] = (uint8_t)((bn->ncfg.mac[0] & 0xfc) | 0x02);
	}
	if (user_data && access(user_data, R_OK) < 0)
		return nc_err_set(err, -errno, "--user-data %s: %s", user_data, strerror(errno));
	bn->ncfg.imds.user_data_path = user_data;
	bn->ncfg.imds.instance_type = cfg->instance_type;
	/* For bench/ena_throughput.sh only: "PORT=COMMAND;..." host commands
	 * the guest reaches at 172.31.0.100:PORT (see net_slirp_config). */
	bn->ncfg.bench_exec = getenv("NITROCHECK_VMM_BENCH_EXEC");
	r = vmm_nic_new(&bn->ncfg, &bn->nic);
	if (r < 0)
		return nc_err_set(err, r, "ENA NIC: %s", strerror(-r));
	cfg->attach_nic = vmm_nic_attach;
	cfg->detach_nic = vmm_nic_detach;
	cfg->nic_opaque = bn->nic;
	bn->chain = cfg->event;
	bn->chain_opaque = cfg->event_opaque;
	cfg->event = on_event;
	cfg->event_opaque = bn;
	return 0;
}

void boot_net_free(struct boot_net *bn)
{
	vmm_nic_free(bn->nic);
	bn->nic = NULL;
	net_watch_free(&bn->watch);
}
