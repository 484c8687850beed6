/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the network and Xen parsers of image content. The first byte picks
 * the parser, the rest is the file: udev rules, ifupdown, ifcfg, netplan,
 * networkd .network and .link, NetworkManager keyfile, modprobe.d, and the
 * probe classifier (scripts, ELF via libelf, other binaries).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "net/net.h"
#include "xen/xen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void configs_free(struct nc_net_config *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nc_net_config_clear(&v[i]);
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const patterns[] = { "/sys/hypervisor/uuid", "/proc/xen",
						"xenstore-read", NULL };
	struct nc_net_config *cfgs = NULL;
	size_t n = 0;
	char *text;
	uint8_t which;

	if (size < 1)
		return 0;
	which = data[0] % 9;
	data++;
	size--;
	/* The text parsers take C strings, as read_file_*() hands them over. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	switch (which) {
	case 0: {
		struct nc_udev_rule *v = NULL;
		size_t nr = 0;

		udev_rules_parse(text, &v, &nr, NULL);
		for (size_t i = 0; i < nr; i++)
			nc_udev_rule_clear(&v[i]);
		free(v);
		break;
	}
	case 1: {
		struct nc_ifupdown ifu = { 0 };

		if (ifupdown_parse(text, "/etc/network/interfaces", &ifu, NULL) >= 0)
			ifupdown_to_configs(&ifu, &cfgs, &n);
		ifupdown_free(&ifu);
		break;
	}
	case 2:
		ifcfg_parse(text, "/etc/sysconfig/network-scripts/ifcfg-eth0", &cfgs, &n, NULL);
		break;
	case 3:
		netplan_parse(text, size, "/etc/netplan/50.yaml", &cfgs, &n, NULL);
		break;
	case 4:
		networkd_parse(text, "/etc/systemd/network/a.network", &cfgs, &n, NULL);
		break;
	case 5: {
		struct nc_net_link l;

		if (networkd_link_parse(text, "/etc/systemd/network/a.link", &l, NULL) >= 0)
			nc_net_link_clear(&l);
		break;
	}
	case 6:
		nmkeyfile_parse(text, "/etc/NetworkManager/system-connections/a", &cfgs, &n, NULL);
		break;
	case 7: {
		struct nc_xen_facts x = { 0 };

		modprobe_parse(text, "/etc/modprobe.d/a.conf", &x.blocks, &x.n_blocks, NULL);
		xen_facts_free(&x);
		break;
	}
	case 8: {
		struct nc_xen_facts x = { 0 };

		xen_probe_classify("/opt/x", data, size, patterns, &x.probes, &x.n_probes);
		xen_facts_free(&x);
		break;
	}
	}
	for (size_t i = 0; i < n; i++)
		net_config_applies(&cfgs[i], "ens5");
	configs_free(cfgs, n);
	free(text);
	return 0;
}
