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

/* Debian 9-12 as debootstrap + a typical installer leave it: eth0 only. */
static const char debian_eth0[] =
	"# This file describes the network interfaces available on your system\n"
	"# and how to activate them. For more information, see interfaces(5).\n"
	"\n"
	"source /etc/network/interfaces.d/*\n"
	"\n"
	"# The loopback network interface\n"
	"auto lo\n"
	"iface lo inet loopback\n"
	"\n"
	"# The primary network interface\n"
	"allow-hotplug eth0\n"
	"iface eth0 inet dhcp\n"
	"iface eth0 inet6 auto\n";

static void test_debian_eth0(void **state)
{
	struct nc_ifupdown ifu = { 0 };
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(ifupdown_parse(debian_eth0, "/etc/network/interfaces", &ifu, NULL), 0);
	assert_int_equal(ifu.n_sources, 1);
	assert_string_equal(ifu.sources[0].pattern, "/etc/network/interfaces.d/*");
	assert_false(ifu.sources[0].directory);
	assert_int_equal(ifu.sources[0].line, 4);
	assert_int_equal(ifu.n_autos, 2);
	assert_string_equal(ifu.autos[1].how, "allow-hotplug");
	assert_int_equal(ifu.n_ifaces, 3);

	assert_int_equal(ifupdown_to_configs(&ifu, &c, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].match_name, "lo");
	assert_true(c[0].disabled);
	assert_string_equal(c[1].match_name, "eth0");
	assert_string_equal(c[1].file, "/etc/network/interfaces");
	assert_int_equal(c[1].line, 12);
	assert_string_equal(c[1].text, "iface eth0 inet dhcp");
	assert_true(c[1].at_boot);
	assert_true(c[1].dhcp4);
	assert_false(c[1].is_static);
	assert_true(c[2].dhcp6);
	assert_false(c[2].dhcp4);
	/* Bound by name, not MAC: applies to eth0 only. */
	assert_true(net_config_applies(&c[1], "eth0"));
	assert_false(net_config_applies(&c[1], "ens5"));
	configs_free(c, n);
	ifupdown_free(&ifu);
}

static void test_static_hwaddress_continuation(void **state)
{
	static const char t[] =
		"auto ens5 \\\n"
		"     eth1\n"
		"iface ens5 inet static\n"
		"    address 10.0.0.12/24\n"
		"    gateway 10.0.0.1\n"
		"    hwaddress ether 02:AB:CD:00:00:01\n"
		"    dns-nameservers 10.0.0.2\n"
		"mapping eth1\n"
		"    script /usr/local/sbin/map\n"
		"    address 1.2.3.4\n"
		"iface eth1 inet manual\n"
		"source-directory interfaces.d\n";
	struct nc_ifupdown ifu = { 0 };
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(ifupdown_parse(t, "/etc/network/interfaces", &ifu, NULL), 0);
	assert_int_equal(ifu.n_autos, 2);
	assert_string_equal(ifu.autos[1].name, "eth1");
	assert_int_equal(ifu.autos[1].line, 1);
	assert_int_equal(ifu.n_ifaces, 2);
	/* "address" under mapping belongs to no iface. */
	assert_string_equal(ifu.ifaces[0].address, "10.0.0.12/24");
	assert_null(ifu.ifaces[1].address);
	assert_true(ifu.sources[0].directory);
	assert_int_equal(ifupdown_to_configs(&ifu, &c, &n), 0);
	assert_int_equal(n, 2);
	assert_true(c[0].is_static);
	assert_int_equal(c[0].static_line, 4);
	assert_string_equal(c[0].static_text, "address 10.0.0.12/24");
	assert_string_equal(c[0].set_mac, "02:ab:cd:00:00:01");
	assert_int_equal(c[0].set_mac_line, 6);
	assert_null(c[0].match_mac);
	assert_true(c[1].disabled);
	configs_free(c, n);
	ifupdown_free(&ifu);
}

/* The collector follows source and source-directory (run-parts names only). */
static void test_collect_sources(void **state)
{
	char *root = tree_new();
	struct nc_snapshot snap;
	struct nc_net_facts nf;
	size_t dhcp_ens5 = 0, seen_bak = 0;

	assert_non_null(root);
	assert_int_equal(tree_write(root, "/etc/network/interfaces",
				    "auto lo\niface lo inet loopback\n"
				    "source interfaces.d/*.cfg\n"
				    "source-directory /etc/network/more.d\n"), 0);
	assert_int_equal(tree_write(root, "/etc/network/interfaces.d/ens5.cfg",
				    "auto ens5\niface ens5 inet dhcp\n"), 0);
	assert_int_equal(tree_write(root, "/etc/network/interfaces.d/ignored",
				    "iface bogus0 inet dhcp\n"), 0);
	assert_int_equal(tree_write(root, "/etc/network/more.d/eth9",
				    "iface eth9 inet static\n address 192.0.2.9/24\n"), 0);
	assert_int_equal(tree_write(root, "/etc/network/more.d/eth8.bak",
				    "iface eth8 inet dhcp\n"), 0);
	assert_int_equal(snap_open(root, &snap), 0);
	assert_int_equal(net_collect(&snap, &nf, NULL), 0);
	for (size_t i = 0; i < nf.n_configs; i++) {
		const struct nc_net_config *c = &nf.configs[i];

		assert_int_equal(c->kind, NC_NETCFG_IFUPDOWN);
		if (streq(c->match_name, "ens5")) {
			assert_string_equal(c->file, "/etc/network/interfaces.d/ens5.cfg");
			assert_int_equal(c->line, 2);
			assert_true(c->at_boot && c->dhcp4);
			dhcp_ens5++;
		}
		if (streq(c->match_name, "eth9")) {
			assert_string_equal(c->file, "/etc/network/more.d/eth9");
			assert_false(c->at_boot);
		}
		seen_bak += streq(c->match_name, "eth8") || streq(c->match_name, "bogus0");
	}
	assert_int_equal(nf.n_configs, 3);
	assert_int_equal(dhcp_ens5, 1);
	assert_int_equal(seen_bak, 0);
	net_facts_free(&nf);
	close(snap.rootfd);
	tree_free(root);
}

/* source loops are bounded, not infinite. */
static void test_source_loop(void **state)
{
	char *root = tree_new();
	struct nc_snapshot snap;
	struct nc_net_facts nf;

	assert_int_equal(tree_write(root, "/etc/network/interfaces",
				    "source /etc/network/interfaces\niface eth0 inet dhcp\n"), 0);
	assert_int_equal(snap_open(root, &snap), 0);
	assert_int_equal(net_collect(&snap, &nf, NULL), 0);
	assert_non_null(nf.notes);
	assert_non_null(strstr(nf.notes[0], "nesting deeper"));
	assert_true(nf.n_configs > 1);
	net_facts_free(&nf);
	close(snap.rootfd);
	tree_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_eth0),
		cmocka_unit_test(test_static_hwaddress_continuation),
		cmocka_unit_test(test_collect_sources),
		cmocka_unit_test(test_source_loop),
	};

	return cmocka_run_group_tests_name("ifupdown", tests, NULL, NULL);
}
