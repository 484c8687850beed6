/* SPDX-License-Identifier: MIT */
/*
 * The name ENA gets on Nitro and the network checks, on small guest trees
 * built from this machine's own udev and systemd files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"
#include "net/net.h"
#include "rules/rules.h"
#include "tree_test_util.h"

/* Until the boot layer exports its table; the real one wins when linked. */
__attribute__((weak)) const struct nc_check nc_boot_checks[] = { { NULL } };

struct env {
	char *root;
	struct nc_facts f;
	struct nc_kernel kernel;
	struct nc_ruleset rs;
	struct nc_findings out;
};

static const char debian_eth0[] =
	"source /etc/network/interfaces.d/*\n"
	"auto lo\n"
	"iface lo inet loopback\n"
	"allow-hotplug eth0\n"
	"iface eth0 inet dhcp\n";

/* A systemd/udev system as Debian 12 ships it. */
static void make_debian(const char *root)
{
	static const char def_link[] = "[Match]\nOriginalName=*\n[Link]\n"
				       "NamePolicy=keep kernel database onboard slot path\n";
	_cleanup_free_ char *rules = NULL;

	assert_int_equal(tree_write(root, "/lib/systemd/systemd-udevd", "ELF"), 0);
	if (read_file_full("/lib/udev/rules.d/80-net-setup-link.rules", 1 << 20, &rules, NULL) < 0)
		rules = strdup("SUBSYSTEM==\"net\", ACTION==\"add\", "
			       "IMPORT{builtin}=\"net_setup_link\"\n"
			       "NAME==\"\", ENV{ID_NET_NAME}!=\"\", NAME=\"$env{ID_NET_NAME}\"\n");
	assert_int_equal(tree_write(root, "/lib/udev/rules.d/80-net-setup-link.rules", rules), 0);
	assert_int_equal(tree_write(root, "/usr/lib/systemd/network/99-default.link", def_link), 0);
	assert_int_equal(tree_write(root, "/etc/network/interfaces", debian_eth0), 0);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	_cleanup_free_ char *rules = NULL;
	const char *src = getenv("NC_SOURCE_ROOT");

	if (!e)
		return -1;
	e->root = tree_new();
	e->f.default_kernel = -1;
	rules = path_join(src ? src : NC_SOURCE_RULES_DIR "/..", "rules/net.json");
	if (!e->root || nc_ruleset_load_file(&e->rs, rules, NULL) < 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	net_facts_free(&e->f.net);
	nc_findings_free(&e->out);
	nc_ruleset_free(&e->rs);
	if (e->f.snap.rootfd > 0)
		close(e->f.snap.rootfd);
	tree_free(e->root);
	free(e);
	return 0;
}

/* Collect, predict with cmdline, and run the net rules. */
static void run(struct env *e, const char *cmdline, char **ret_name, char **ret_why)
{
	assert_int_equal(snap_open(e->root, &e->f.snap), 0);
	assert_int_equal(net_collect(&e->f.snap, &e->f.net, NULL), 0);
	if (cmdline) {
		e->kernel.cmdline = (char *)cmdline;
		e->f.kernels = &e->kernel;
		e->f.n_kernels = 1;
		e->f.default_kernel = 0;
	}
	assert_int_equal(net_predict_primary_name(&e->f.net, cmdline, ret_name, ret_why), 0);
	assert_int_equal(nc_rules_evaluate(&e->rs, &e->f, &e->out, NULL), 0);
}

static const struct nc_finding *finding(const struct env *e, const char *id)
{
	for (size_t i = 0; i < e->out.n; i++)
		if (streq(e->out.v[i].rule_id, id))
			return &e->out.v[i];
	return NULL;
}

static size_t count(const struct env *e, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < e->out.n; i++)
		n += streq(e->out.v[i].rule_id, id);
	return n;
}

static void test_debian_eth0_only_is_an_error(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;
	const struct nc_finding *f;

	make_debian(e->root);
	e->f.os.family = NC_FAMILY_DEBIAN;
	run(e, "BOOT_IMAGE=/vmlinuz root=UUID=x ro quiet", &name, &why);
	assert_string_equal(name, "ens5");
	assert_non_null(strstr(why, "slot"));
	assert_true(e->f.net.have_udev && e->f.net.have_net_setup_link);
	f = finding(e, "net-no-dhcp-primary");
	assert_non_null(f);
	assert_int_equal(f->severity, NC_SEV_ERROR);
	assert_string_equal(f->file, "/etc/network/interfaces");
	assert_int_equal(f->line, 5);
	assert_string_equal(f->text, "iface eth0 inet dhcp");
	assert_non_null(strstr(f->message, "ens5"));
	assert_non_null(strstr(f->message, "eth0 /etc/network/interfaces:5"));
	assert_non_null(strstr(f->remediation, "iface ens5 inet dhcp"));
	f = finding(e, "net-predicted-name");
	assert_non_null(f);
	assert_int_equal(f->severity, NC_SEV_INFO);
}

static void test_ifnames0_keeps_eth0(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;

	make_debian(e->root);
	run(e, "root=/dev/nvme0n1p1 net.ifnames=1 console=ttyS0 net.ifnames=0", &name, &why);
	assert_string_equal(name, "eth0");
	assert_non_null(strstr(why, "net.ifnames=0"));
	assert_null(finding(e, "net-no-dhcp-primary"));
}

static void test_ens5_configured(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;

	make_debian(e->root);
	assert_int_equal(tree_write(e->root, "/etc/network/interfaces.d/ens5",
				    "auto ens5\niface ens5 inet dhcp\n"), 0);
	run(e, NULL, &name, &why);
	assert_string_equal(name, "ens5");
	assert_null(finding(e, "net-no-dhcp-primary"));
}

static void test_no_udev_and_masks(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *n1 = NULL, *w1 = NULL, *n2 = NULL, *w2 = NULL, *n3 = NULL, *w3 = NULL;

	/* No udev at all: the kernel's name. */
	assert_int_equal(tree_write(e->root, "/etc/network/interfaces", debian_eth0), 0);
	run(e, NULL, &n1, &w1);
	assert_string_equal(n1, "eth0");
	assert_non_null(strstr(w1, "no udev"));
	assert_null(finding(e, "net-no-dhcp-primary"));
	net_facts_free(&e->f.net);
	close(e->f.snap.rootfd);

	/* The naming rule masked in /etc. */
	make_debian(e->root);
	assert_int_equal(tree_symlink(e->root, "/etc/udev/rules.d/80-net-setup-link.rules",
				      "/dev/null"), 0);
	run(e, NULL, &n2, &w2);
	assert_string_equal(n2, "eth0");
	assert_non_null(strstr(w2, "/etc/udev/rules.d/80-net-setup-link.rules"));
	net_facts_free(&e->f.net);
	close(e->f.snap.rootfd);

	/* 99-default.link masked instead. */
	{
		_cleanup_free_ char *p = path_join(e->root, "/etc/udev/rules.d/80-net-setup-link.rules");

		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(tree_symlink(e->root, "/etc/systemd/network/99-default.link", "/dev/null"), 0);
	run(e, NULL, &n3, &w3);
	assert_string_equal(n3, "eth0");
	assert_non_null(strstr(w3, "/etc/systemd/network/99-default.link"));
}

static void test_link_policy_path(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;

	make_debian(e->root);
	assert_int_equal(tree_write(e->root, "/etc/systemd/network/10-path.link",
				    "[Match]\nOriginalName=eth*\n[Link]\nNamePolicy=path\n"), 0);
	run(e, NULL, &name, &why);
	assert_string_equal(name, "enp0s5");
	assert_non_null(strstr(why, "/etc/systemd/network/10-path.link"));
}

static void test_persistent_net_rules(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;
	const struct nc_finding *f;

	make_debian(e->root);
	assert_int_equal(tree_write(e->root, "/etc/udev/rules.d/70-persistent-net.rules",
				    "# generated\n"
				    "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"0a:11:22:33:44:55\", KERNEL==\"eth*\", NAME=\"eth0\"\n"
				    "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"0a:11:22:33:44:66\", KERNEL==\"eth*\", NAME=\"eth7\"\n"), 0);
	run(e, NULL, &name, &why);
	/* MAC-bound rules do not rename ENA: the prediction stands. */
	assert_string_equal(name, "ens5");
	assert_int_equal(count(e, "net-persistent-mac-name"), 2);
	f = finding(e, "net-persistent-mac-name");
	/* Sorted: the error (it holds eth0) first. */
	assert_int_equal(f->severity, NC_SEV_ERROR);
	assert_string_equal(f->file, "/etc/udev/rules.d/70-persistent-net.rules");
	assert_int_equal(f->line, 2);
	assert_non_null(strstr(f->message, "0a:11:22:33:44:55"));
	for (size_t i = 0; i < e->out.n; i++)
		if (streq(e->out.v[i].rule_id, "net-persistent-mac-name") &&
		    e->out.v[i].line == 3)
			assert_int_equal(e->out.v[i].severity, NC_SEV_WARNING);
}

static void test_literal_udev_name(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;

	make_debian(e->root);
	assert_int_equal(tree_write(e->root, "/etc/udev/rules.d/60-lan.rules",
				    "SUBSYSTEM==\"net\", KERNEL==\"eth*\", NAME=\"lan0\"\n"), 0);
	/* A rule with matches nitrocheck cannot evaluate (USB ids) renames nothing. */
	assert_int_equal(tree_write(e->root, "/usr/lib/udev/rules.d/05-special-net-names.rules",
				    "ACTION==\"add\", SUBSYSTEM==\"net\", SUBSYSTEMS==\"usb\", "
				    "ATTRS{idVendor}==\"413c\", ATTRS{idProduct}==\"a102\", NAME=\"idrac\"\n"), 0);
	run(e, NULL, &name, &why);
	assert_string_equal(name, "lan0");
	assert_non_null(strstr(why, "60-lan.rules:1"));
}

static void test_network_manager_auto_default(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;

	make_debian(e->root);
	assert_int_equal(tree_write(e->root, "/usr/sbin/NetworkManager", "ELF"), 0);
	assert_int_equal(tree_symlink(e->root,
				      "/etc/systemd/system/multi-user.target.wants/NetworkManager.service",
				      "/usr/lib/systemd/system/NetworkManager.service"), 0);
	run(e, NULL, &name, &why);
	assert_true(e->f.net.nm_enabled && e->f.net.nm_auto_default);
	assert_null(finding(e, "net-no-dhcp-primary"));
	nc_findings_free(&e->out);
	memset(&e->out, 0, sizeof(e->out));
	net_facts_free(&e->f.net);
	close(e->f.snap.rootfd);

	free(name);
	free(why);
	/* no-auto-default=* turns it off: the error is back. */
	assert_int_equal(tree_write(e->root, "/etc/NetworkManager/conf.d/10-no-auto.conf",
				    "[main]\nno-auto-default=*\n"), 0);
	run(e, NULL, &name, &why);
	assert_false(e->f.net.nm_auto_default);
	assert_non_null(finding(e, "net-no-dhcp-primary"));
}

/* Ubuntu cloud image: netplan bound to a MAC, rewritten by cloud-init. */
static void test_cloud_init_netplan(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *name = NULL, *why = NULL;
	const struct nc_finding *f;

	make_debian(e->root);
	assert_int_equal(tree_write(e->root, "/etc/netplan/50-cloud-init.yaml",
				    "network:\n  version: 2\n  ethernets:\n    eth0:\n"
				    "      match: {macaddress: '0a:9f:3c:11:22:33'}\n"
				    "      set-name: eth0\n      dhcp4: true\n"), 0);
	assert_int_equal(tree_write(e->root, "/etc/netplan/60-static.yaml",
				    "network:\n  ethernets:\n    ens6:\n"
				    "      addresses: [10.0.0.9/24]\n"), 0);
	assert_int_equal(tree_write(e->root, "/usr/bin/cloud-init", "#!/usr/bin/python3\n"), 0);
	run(e, NULL, &name, &why);
	assert_true(e->f.net.cloud_init_network);
	f = finding(e, "net-mac-bound-config");
	assert_non_null(f);
	assert_int_equal(f->severity, NC_SEV_INFO);
	assert_string_equal(f->file, "/etc/netplan/50-cloud-init.yaml");
	assert_int_equal(f->line, 5);
	f = finding(e, "net-no-dhcp-primary");
	assert_non_null(f);
	assert_int_equal(f->severity, NC_SEV_INFO);
	f = finding(e, "net-static-address");
	assert_non_null(f);
	assert_int_equal(f->severity, NC_SEV_WARNING);
	assert_string_equal(f->file, "/etc/netplan/60-static.yaml");
	assert_int_equal(f->line, 4);
	nc_findings_free(&e->out);
	memset(&e->out, 0, sizeof(e->out));
	net_facts_free(&e->f.net);
	close(e->f.snap.rootfd);

	free(name);
	free(why);
	/* With cloud-init's network config disabled, the MAC binding is an error. */
	assert_int_equal(tree_write(e->root, "/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg",
				    "network: {config: disabled}\n"), 0);
	run(e, NULL, &name, &why);
	assert_false(e->f.net.cloud_init_network);
	assert_int_equal(finding(e, "net-mac-bound-config")->severity, NC_SEV_ERROR);
	assert_int_equal(finding(e, "net-no-dhcp-primary")->severity, NC_SEV_ERROR);
}

static void test_cmdline_helper(void **state)
{
	assert_true(net_cmdline_has("a net.ifnames=0 b", "net.ifnames", "0"));
	assert_false(net_cmdline_has("net.ifnames=0 net.ifnames=1", "net.ifnames", "0"));
	assert_false(net_cmdline_has("xnet.ifnames=0", "net.ifnames", "0"));
	assert_true(net_cmdline_has("quiet splash", "quiet", NULL));
	assert_false(net_cmdline_has(NULL, "quiet", NULL));
	assert_true(net_name_matches("!lo", "eth0"));
	assert_false(net_name_matches("!lo eth*", "eth0"));
	assert_true(net_name_matches("en* eth?", "eth1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_debian_eth0_only_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ifnames0_keeps_eth0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ens5_configured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_udev_and_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_policy_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_net_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_udev_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_manager_auto_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cloud_init_netplan, setup, teardown),
		cmocka_unit_test(test_cmdline_helper),
	};

	return cmocka_run_group_tests_name("nicname", tests, NULL, NULL);
}
