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

/* RHEL 9 / Fedora: what nmcli writes for "System eth0" tied to a MAC. */
static void test_rhel9_keyfile(void **state)
{
	static const char t[] =
		"[connection]\n"
		"id=System eth0\n"
		"uuid=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
		"type=ethernet\n"
		"autoconnect-priority=-999\n"
		"interface-name=eth0\n"
		"\n"
		"[ethernet]\n"
		"mac-address=0A:1B:2C:3D:4E:5F\n"
		"\n"
		"[ipv4]\n"
		"method=auto\n"
		"\n"
		"[ipv6]\n"
		"addr-gen-mode=eui64\n"
		"method=ignore\n"
		"\n"
		"[proxy]\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;

	assert_int_equal(nmkeyfile_parse(t, "/etc/NetworkManager/system-connections/eth0.nmconnection",
					 &c, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].kind, NC_NETCFG_NM);
	assert_string_equal(c[0].id, "System eth0");
	assert_string_equal(c[0].match_name, "eth0");
	assert_string_equal(c[0].match_mac, "0a:1b:2c:3d:4e:5f");
	assert_int_equal(c[0].mac_line, 9);
	assert_string_equal(c[0].mac_text, "mac-address=0A:1B:2C:3D:4E:5F");
	assert_int_equal(c[0].line, 1);
	assert_true(c[0].dhcp4);
	assert_false(c[0].dhcp6);
	assert_true(c[0].at_boot);
	assert_false(net_config_applies(&c[0], "eth0"));
	configs_free(c, n);
}

static void test_any_device_and_static(void **state)
{
	static const char any[] =
		"[connection]\nid=Wired\ntype=802-3-ethernet\n"
		"[match]\ninterface-name=en*;eth*;\n";
	static const char manual[] =
		"[connection]\nid=static\ntype=ethernet\ninterface-name=ens5\nautoconnect=false\n"
		"[ethernet]\ncloned-mac-address=stable\n"
		"[ipv4]\naddress1=10.0.0.5/24,10.0.0.1\nmethod=manual\n";
	static const char wifi[] = "[connection]\nid=home\ntype=wifi\n[wifi]\nssid=x\n";
	struct nc_net_config *c = NULL;
	size_t n = 0;
	struct nc_err e = { 0 };

	assert_int_equal(nmkeyfile_parse(any, "/a", &c, &n, NULL), 0);
	assert_int_equal(nmkeyfile_parse(manual, "/b", &c, &n, NULL), 0);
	assert_int_equal(nmkeyfile_parse(wifi, "/c", &c, &n, NULL), 0);
	assert_int_equal(n, 2);
	/* No [ipv4] section: NetworkManager defaults to DHCP. */
	assert_true(c[0].dhcp4);
	assert_string_equal(c[0].match_name, "en* eth*");
	assert_true(net_config_applies(&c[0], "ens5"));
	assert_false(net_config_applies(&c[0], "wlan0"));
	assert_true(c[1].is_static);
	assert_false(c[1].dhcp4);
	assert_false(c[1].at_boot);
	assert_int_equal(c[1].static_line, 9);
	/* "stable" is a policy, not a MAC. */
	assert_null(c[1].set_mac);
	assert_int_equal(nmkeyfile_parse("[ipv4]\nmethod=auto\n", "/d", &c, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "/d"));
	configs_free(c, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rhel9_keyfile),
		cmocka_unit_test(test_any_device_and_static),
	};

	return cmocka_run_group_tests_name("nmkeyfile", tests, NULL, NULL);
}
