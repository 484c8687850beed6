/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"
#include "net/net.h"

static void configs_free(struct nc_net_config *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nc_net_config_clear(&v[i]);
	free(v);
}

/* Ubuntu 20.04 cloud image after its first boot on Xen. */
static const char ubuntu_cloud_init[] =
	"# This file is generated from information provided by the datasource.  Changes\n"
	"# to it will not persist across an instance reboot.  To disable cloud-init's\n"
	"# network configuration capabilities, write a file\n"
	"# /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg with the following:\n"
	"# network: {config: disabled}\n"
	"network:\n"
	"    ethernets:\n"
	"        eth0:\n"
	"            dhcp4: true\n"
	"            dhcp6: false\n"
	"            match:\n"
	"                macaddress: 0A:9F:3C:11:22:33\n"
	"            set-name: eth0\n"
	"    version: 2\n";

static void test_ubuntu_mac_match(void **state)
{
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(netplan_parse(ubuntu_cloud_init, strlen(ubuntu_cloud_init),
				       "/etc/netplan/50-cloud-init.yaml", &c, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].kind, NC_NETCFG_NETPLAN);
	assert_string_equal(c[0].id, "eth0");
	assert_int_equal(c[0].line, 8);
	assert_string_equal(c[0].text, "eth0:");
	assert_null(c[0].match_name);
	assert_string_equal(c[0].match_mac, "0a:9f:3c:11:22:33");
	assert_int_equal(c[0].mac_line, 12);
	assert_string_equal(c[0].mac_text, "macaddress: 0A:9F:3C:11:22:33");
	assert_string_equal(c[0].set_name, "eth0");
	assert_true(c[0].dhcp4);
	assert_false(c[0].dhcp6);
	assert_false(net_config_applies(&c[0], "ens5"));
	assert_false(net_config_applies(&c[0], "eth0"));
	configs_free(c, n);
}

static void test_globs_static_and_others(void **state)
{
	static const char t[] =
		"network:\n"
		"  version: 2\n"
		"  renderer: networkd\n"
		"  ethernets:\n"
		"    all-en:\n"
		"      match: {name: \"en*\"}\n"
		"      dhcp4: yes\n"
		"    eth1:\n"
		"      addresses:\n"
		"        - 10.1.2.3/24\n"
		"      macaddress: 02:11:22:33:44:55\n"
		"    byDriver:\n"
		"      match:\n"
		"        driver: virtio_net\n"
		"      dhcp4: true\n"
		"    off0:\n"
		"      dhcp4: true\n"
		"      activation-mode: off\n"
		"  bridges:\n"
		"    br0:\n"
		"      dhcp4: true\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(netplan_parse(t, strlen(t), "/etc/netplan/01-net.yaml", &c, &n, NULL), 0);
	assert_int_equal(n, 4);
	assert_string_equal(c[0].match_name, "en*");
	assert_true(c[0].dhcp4);
	assert_true(net_config_applies(&c[0], "ens5"));
	assert_false(net_config_applies(&c[0], "eth0"));
	/* Without match: the id is the name. */
	assert_string_equal(c[1].match_name, "eth1");
	assert_true(c[1].is_static);
	assert_int_equal(c[1].static_line, 9);
	assert_string_equal(c[1].static_text, "addresses:");
	assert_string_equal(c[1].set_mac, "02:11:22:33:44:55");
	assert_int_equal(c[1].set_mac_line, 11);
	assert_true(c[2].match_other);
	assert_false(net_config_applies(&c[2], "ens5"));
	assert_false(c[3].at_boot);
	configs_free(c, n);
}

static void test_bad_yaml(void **state)
{
	static const char t[] = "network:\n  ethernets:\n    eth0: [\n      dhcp4: true\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;
	struct nc_err e = { 0 };

	assert_int_equal(netplan_parse(t, strlen(t), "/etc/netplan/bad.yaml", &c, &n, &e), -EINVAL);
	assert_true(startswith(e.msg, "/etc/netplan/bad.yaml:"));
	assert_int_equal(n, 0);
	/* Not netplan at all, or empty: nothing, no error. */
	assert_int_equal(netplan_parse("", 0, "/etc/netplan/empty.yaml", &c, &n, NULL), 0);
	assert_int_equal(netplan_parse("- a\n- b\n", 8, "/x.yaml", &c, &n, NULL), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ubuntu_mac_match),
		cmocka_unit_test(test_globs_static_and_others),
		cmocka_unit_test(test_bad_yaml),
	};

	return cmocka_run_group_tests_name("netplan", tests, NULL, NULL);
}
