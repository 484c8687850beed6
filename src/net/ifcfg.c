/* SPDX-License-Identifier: MIT */
/*
 * RHEL/SUSE ifcfg files: shell variable assignments. DEVICE names the
 * interface (else the file name after "ifcfg-"); HWADDR binds the config
 * to a MAC, MACADDR sets one; BOOTPROTO and ONBOOT decide what happens.
 */
#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "common/util.h"
#include "net/net-internal.h"

struct ifcfg_var {
	char *value;
	unsigned int line;
	char *text;
};

enum { V_DEVICE, V_NAME, V_HWADDR, V_MACADDR, V_BOOTPROTO, V_ONBOOT, V_STARTMODE,
       V_IPADDR, V_TYPE, V_IPV6INIT, V_DHCPV6C, V_IPV6_AUTOCONF, V_IPV6ADDR, V__MAX };

static const char *const var_names[V__MAX] = {
	[V_DEVICE] = "DEVICE",         [V_NAME] = "NAME",
	[V_HWADDR] = "HWADDR",         [V_MACADDR] = "MACADDR",
	[V_BOOTPROTO] = "BOOTPROTO",   [V_ONBOOT] = "ONBOOT",
	[V_STARTMODE] = "STARTMODE",   [V_IPADDR] = "IPADDR",
	[V_TYPE] = "TYPE",             [V_IPV6INIT] = "IPV6INIT",
	[V_DHCPV6C] = "DHCPV6C",       [V_IPV6_AUTOCONF] = "IPV6_AUTOCONF",
	[V_IPV6ADDR] = "IPV6ADDR",
};

static int var_index(const char *key)
{
	for (int i = 0; i < V__MAX; i++)
		if (streq(key, var_names[i]))
			return i;
	/* IPADDR0, IPADDR1 ... count as IPADDR. */
	if (startswith(key, "IPADDR") && isdigit((unsigned char)key[6]))
		return V_IPADDR;
	return -1;
}

/* The interface name a file of that guest path implies: ifcfg-eth0 → eth0. */
static const char *name_from_path(const char *file)
{
	const char *base = file ? strrchr(file, '/') : NULL;
	const char *n;

	base = base ? base + 1 : file;
	n = base ? startswith(base, "ifcfg-") : NULL;
	return n && *n ? n : NULL;
}

static bool is_yes(const char *s)
{
	return parse_boolean(s, false);
}

int ifcfg_parse(const char *text, const char *file, struct nc_net_config **cfgs,
		size_t *n, struct nc_err *err)
{
	_cleanup_free_ char *buf = strdup(text);
	struct ifcfg_var v[V__MAX] = { 0 };
	struct nc_net_config c = { .kind = NC_NETCFG_IFCFG };
	const char *name, *proto;
	char *cur = buf, *l;
	unsigned int lineno = 0;
	int r = -ENOMEM;

	if (!buf)
		return -ENOMEM;
	while ((l = line_next(&cur))) {
		char *s = strstrip(l), *eq;
		int idx;

		lineno++;
		if (!*s || *s == '#')
			continue;
		if (startswith(s, "export "))
			s = strstrip(s + 7);
		eq = strchr(s, '=');
		if (!eq)
			continue;
		*eq = '\0';
		idx = var_index(s);
		if (idx < 0)
			continue;
		/* The shell keeps the last assignment; so do we. */
		free(v[idx].value);
		free(v[idx].text);
		*eq = '=';
		v[idx].text = strdup(s);
		v[idx].value = strdup(unquote(strstrip(eq + 1)));
		v[idx].line = lineno;
		if (!v[idx].text || !v[idx].value)
			goto out;
	}

	name = v[V_DEVICE].value && *v[V_DEVICE].value ? v[V_DEVICE].value : name_from_path(file);
	c.file = strdup(file ? file : "");
	c.line = v[V_DEVICE].line ? v[V_DEVICE].line : 1;
	c.text = strdup(v[V_DEVICE].text ? v[V_DEVICE].text : "");
	c.id = strdup(v[V_NAME].value ? v[V_NAME].value : name ? name : "");
	if (!c.file || !c.text || !c.id)
		goto out;
	if (name && !(c.match_name = strdup(name)))
		goto out;
	if (!name && !v[V_HWADDR].value) {
		r = nc_err_set(err, -EINVAL, "%s: neither DEVICE nor HWADDR names an interface",
			       file ? file : "");
		goto out;
	}
	if (v[V_HWADDR].value && *v[V_HWADDR].value) {
		c.match_mac = mac_normalize(v[V_HWADDR].value);
		c.mac_text = strdup(v[V_HWADDR].text);
		c.mac_line = v[V_HWADDR].line;
		if (!c.match_mac || !c.mac_text)
			goto out;
	}
	if (v[V_MACADDR].value && *v[V_MACADDR].value) {
		c.set_mac = mac_normalize(v[V_MACADDR].value);
		c.set_mac_text = strdup(v[V_MACADDR].text);
		c.set_mac_line = v[V_MACADDR].line;
		if (!c.set_mac || !c.set_mac_text)
			goto out;
	}
	/* ONBOOT defaults to yes; SUSE says STARTMODE=auto|hotplug|onboot. */
	c.at_boot = v[V_ONBOOT].value ? is_yes(v[V_ONBOOT].value) : true;
	if (v[V_STARTMODE].value)
		c.at_boot = streq(v[V_STARTMODE].value, "auto") ||
			    streq(v[V_STARTMODE].value, "onboot") ||
			    streq(v[V_STARTMODE].value, "hotplug");
	proto = v[V_BOOTPROTO].value ? v[V_BOOTPROTO].value : "none";
	if (streq(proto, "dhcp") || streq(proto, "dhcp4") || streq(proto, "bootp") ||
	    startswith(proto, "dhcp+"))
		c.dhcp4 = true;
	if (streq(proto, "dhcp") && v[V_STARTMODE].value)
		c.dhcp6 = true;  /* SUSE "dhcp" means both families */
	if (streq(proto, "dhcp6"))
		c.dhcp6 = true;
	if (v[V_DHCPV6C].value && is_yes(v[V_DHCPV6C].value))
		c.dhcp6 = true;
	if (v[V_IPV6INIT].value && is_yes(v[V_IPV6INIT].value) &&
	    (!v[V_IPV6_AUTOCONF].value || is_yes(v[V_IPV6_AUTOCONF].value)))
		c.dhcp6 = true;
	if (!c.dhcp4 && (v[V_IPADDR].value || streq(proto, "static"))) {
		int src = v[V_IPADDR].value ? V_IPADDR : V_BOOTPROTO;

		c.is_static = true;
		c.static_line = v[src].line;
		c.static_text = strdup(v[src].text);
		if (!c.static_text)
			goto out;
	}
	if ((name && streq(name, "lo")) ||
	    (v[V_TYPE].value && strcasecmp(v[V_TYPE].value, "loopback") == 0))
		c.disabled = true;
	r = netcfg_push(cfgs, n, &c);
out:
	for (int i = 0; i < V__MAX; i++) {
		free(v[i].value);
		free(v[i].text);
	}
	nc_net_config_clear(&c);
	return r;
}
