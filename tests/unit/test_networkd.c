/* SPDX-License-Identifier: MIT */
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

/* An Arch/Debian networkd setup: every en* NIC by DHCP. */
static void test_name_glob_dhcp(void **state)
{
	static const char t[] =
		"# /etc/systemd/network/20-wired.network\n"
		"[Match]\n"
		"Name=en*\n"
		"Name=eth*\n"
		"\n"
		"[Network]\n"
		"DHCP=ipv4\n"
		"IPv6AcceptRA=yes\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(networkd_parse(t, "/etc/systemd/network/20-wired.network", &c, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].kind, NC_NETCFG_NETWORKD);
	assert_string_equal(c[0].match_name, "en* eth*");
	assert_int_equal(c[0].line, 2);
	assert_string_equal(c[0].text, "[Match]");
	assert_true(c[0].dhcp4);
	assert_false(c[0].dhcp6);
	assert_true(c[0].at_boot);
	assert_true(net_config_applies(&c[0], "ens5"));
	assert_true(net_config_applies(&c[0], "eth0"));
	assert_false(net_config_applies(&c[0], "wlan0"));
	configs_free(c, n);
}

static void test_mac_and_static(void **state)
{
	static const char t[] =
		"[Match]\n"
		"MACAddress=0A:BB:CC:DD:EE:01 \\\n"
		"           0a:bb:cc:dd:ee:02\n"
		"[Network]\n"
		"Address=172.31.5.10/20\n"
		"Gateway=172.31.0.1\n"
		"DHCP=no\n"
		"[Link]\n"
		"MACAddress=02:00:00:00:00:99\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(networkd_parse(t, "/etc/systemd/network/10-eth.network", &c, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_null(c[0].match_name);
	assert_string_equal(c[0].match_mac, "0a:bb:cc:dd:ee:01  0a:bb:cc:dd:ee:02");
	assert_int_equal(c[0].mac_line, 2);
	assert_true(c[0].is_static);
	assert_int_equal(c[0].static_line, 5);
	assert_string_equal(c[0].static_text, "Address=172.31.5.10/20");
	assert_false(c[0].dhcp4);
	assert_string_equal(c[0].set_mac, "02:00:00:00:00:99");
	assert_false(net_config_applies(&c[0], "ens5"));
	configs_free(c, n);
}

static void test_inverted_and_other_matches(void **state)
{
	static const char t1[] = "[Match]\nName=!lo\n[Network]\nDHCP=yes\n";
	static const char t2[] = "[Match]\nName=*\nPath=pci-0000:00:03.0\n[Network]\nDHCP=both\n";
	static const char t3[] = "[Match]\nType=ether\nDriver=ena ixgbevf\n[Network]\nDHCP=true\n"
				 "[Link]\nActivationPolicy=manual\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(networkd_parse(t1, "/a.network", &c, &n, NULL), 0);
	assert_int_equal(networkd_parse(t2, "/b.network", &c, &n, NULL), 0);
	assert_int_equal(networkd_parse(t3, "/c.network", &c, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_true(net_config_applies(&c[0], "ens5"));
	assert_false(net_config_applies(&c[0], "lo"));
	assert_true(c[0].dhcp4 && c[0].dhcp6);
	assert_true(c[1].match_other);
	assert_false(net_config_applies(&c[1], "ens5"));
	/* Type=ether and Driver=ena do match an ENA NIC. */
	assert_false(c[2].match_other);
	assert_true(net_config_applies(&c[2], "ens5"));
	assert_false(c[2].at_boot);
	configs_free(c, n);
}

static void test_link_files(void **state)
{
	static const char def[] =
		"#  SPDX-License-Identifier: MIT-0\n"
		"[Match]\n"
		"OriginalName=*\n"
		"\n"
		"[Link]\n"
		"NamePolicy=keep kernel database onboard slot path\n"
		"AlternativeNamesPolicy=database onboard slot path\n"
		"MACAddressPolicy=persistent\n";
	static const char usb[] =
		"[Match]\n"
		"Type=ether\n"
		"Property=ID_BUS=usb\n"
		"[Link]\n"
		"NamePolicy=mac\n";
	static const char named[] = "[Match]\nMACAddress=00:11:22:33:44:55\n[Link]\nName=lan0\n";
	struct nc_net_link l;

	assert_int_equal(networkd_link_parse(def, "/usr/lib/systemd/network/99-default.link", &l,
					     NULL), 0);
	assert_true(l.match_any);
	assert_string_equal(l.name_policy, "keep kernel database onboard slot path");
	assert_int_equal(l.line, 6);
	assert_string_equal(l.text, "NamePolicy=keep kernel database onboard slot path");
	nc_net_link_clear(&l);

	assert_int_equal(networkd_link_parse(usb, "/lib/systemd/network/73-usb-net-by-mac.link", &l,
					     NULL), 0);
	assert_false(l.match_any);
	assert_string_equal(l.name_policy, "mac");
	nc_net_link_clear(&l);

	assert_int_equal(networkd_link_parse(named, "/etc/systemd/network/10-lan.link", &l, NULL), 0);
	assert_false(l.match_any);
	assert_string_equal(l.match_mac, "00:11:22:33:44:55");
	assert_string_equal(l.name, "lan0");
	assert_null(l.name_policy);
	nc_net_link_clear(&l);
}

/* The host's own 99-default.link, if systemd is installed here. */
static void test_real_default_link(void **state)
{
	static const char *const paths[] = { "/usr/lib/systemd/network/99-default.link",
					     "/lib/systemd/network/99-default.link" };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		_cleanup_free_ char *text = NULL;
		struct nc_net_link l;

		if (read_file_full(paths[i], 1 << 20, &text, NULL) < 0)
			continue;
		assert_int_equal(networkd_link_parse(text, paths[i], &l, NULL), 0);
		assert_true(l.match_any);
		assert_non_null(strstr(l.name_policy, "slot"));
		nc_net_link_clear(&l);
		return;
	}
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_glob_dhcp),
		cmocka_unit_test(test_mac_and_static),
		cmocka_unit_test(test_inverted_and_other_matches),
		cmocka_unit_test(test_link_files),
		cmocka_unit_test(test_real_default_link),
	};

	return cmocka_run_group_tests_name("networkd", tests, NULL, NULL);
}
