/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"
#include "net/net.h"
#include "tree_test_util.h"

static void configs_free(struct nc_net_config *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nc_net_config_clear(&v[i]);
	free(v);
}

/* RHEL 7 after an install on a Xen host: bound to the vif's MAC. */
static void test_rhel_hwaddr(void **state)
{
	static const char t[] =
		"TYPE=Ethernet\n"
		"PROXY_METHOD=none\n"
		"BROWSER_ONLY=no\n"
		"BOOTPROTO=dhcp\n"
		"DEFROUTE=yes\n"
		"IPV4_FAILURE_FATAL=no\n"
		"IPV6INIT=no\n"
		"NAME=\"System eth0\"\n"
		"UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
		"DEVICE=eth0\n"
		"HWADDR=\"0A:12:34:56:78:9A\"\n"
		"ONBOOT=yes\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(ifcfg_parse(t, "/etc/sysconfig/network-scripts/ifcfg-eth0", &c, &n,
				     NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].kind, NC_NETCFG_IFCFG);
	assert_string_equal(c[0].match_name, "eth0");
	assert_string_equal(c[0].id, "System eth0");
	assert_int_equal(c[0].line, 10);
	assert_string_equal(c[0].text, "DEVICE=eth0");
	assert_string_equal(c[0].match_mac, "0a:12:34:56:78:9a");
	assert_int_equal(c[0].mac_line, 11);
	assert_string_equal(c[0].mac_text, "HWADDR=\"0A:12:34:56:78:9A\"");
	assert_true(c[0].dhcp4);
	assert_false(c[0].dhcp6);
	assert_true(c[0].at_boot);
	assert_false(c[0].is_static);
	/* Bound to a MAC: does not apply to eth0 on a new instance. */
	assert_false(net_config_applies(&c[0], "eth0"));
	configs_free(c, n);
}

static void test_static_without_device(void **state)
{
	static const char t[] =
		"# written by hand\n"
		"BOOTPROTO=none\n"
		"IPADDR0='192.168.10.5'\n"
		"PREFIX0=24\n"
		"export ONBOOT=no\n"
		"MACADDR=02:00:00:00:00:05\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(ifcfg_parse(t, "/etc/sysconfig/network-scripts/ifcfg-ens5", &c, &n,
				     NULL), 0);
	assert_int_equal(n, 1);
	/* No DEVICE=: the file name names the interface. */
	assert_string_equal(c[0].match_name, "ens5");
	assert_true(c[0].is_static);
	assert_int_equal(c[0].static_line, 3);
	assert_string_equal(c[0].static_text, "IPADDR0='192.168.10.5'");
	assert_false(c[0].dhcp4);
	assert_false(c[0].at_boot);
	assert_string_equal(c[0].set_mac, "02:00:00:00:00:05");
	assert_true(net_config_applies(&c[0], "ens5"));
	configs_free(c, n);
}

static void test_suse_and_loopback(void **state)
{
	static const char suse[] = "BOOTPROTO='dhcp'\nSTARTMODE='auto'\n";
	static const char lo[] = "DEVICE=lo\nIPADDR=127.0.0.1\nNETMASK=255.0.0.0\nONBOOT=yes\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;
	struct nc_err e = { 0 };

	assert_int_equal(ifcfg_parse(suse, "/etc/sysconfig/network/ifcfg-eth0", &c, &n, NULL), 0);
	assert_int_equal(ifcfg_parse(lo, "/etc/sysconfig/network-scripts/ifcfg-lo", &c, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_true(c[0].dhcp4 && c[0].dhcp6 && c[0].at_boot);
	assert_string_equal(c[0].match_name, "eth0");
	assert_true(c[1].disabled);
	/* Neither DEVICE nor a file name nor HWADDR: an error naming the file. */
	assert_int_equal(ifcfg_parse("BOOTPROTO=dhcp\n", "/tmp/x", &c, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "/tmp/x"));
	assert_int_equal(n, 2);
	configs_free(c, n);
}

static void test_collect_rhel_tree(void **state)
{
	char *root = tree_new();
	struct nc_snapshot snap;
	struct nc_net_facts nf;

	assert_int_equal(tree_write(root, "/etc/sysconfig/network-scripts/ifcfg-eth0",
				    "DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n"), 0);
	assert_int_equal(tree_write(root, "/etc/sysconfig/network-scripts/ifcfg-eth0.bak",
				    "DEVICE=eth7\n"), 0);
	assert_int_equal(tree_write(root, "/etc/sysconfig/network-scripts/ifup-eth", "#!/bin/sh\n"), 0);
	assert_int_equal(snap_open(root, &snap), 0);
	assert_int_equal(net_collect(&snap, &nf, NULL), 0);
	assert_int_equal(nf.n_configs, 1);
	assert_string_equal(nf.configs[0].file, "/etc/sysconfig/network-scripts/ifcfg-eth0");
	assert_false(nf.have_udev);
	net_facts_free(&nf);
	close(snap.rootfd);
	tree_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rhel_hwaddr),
		cmocka_unit_test(test_static_without_device),
		cmocka_unit_test(test_suse_and_loopback),
		cmocka_unit_test(test_collect_rhel_tree),
	};

	return cmocka_run_group_tests_name("ifcfg", tests, NULL, NULL);
}
