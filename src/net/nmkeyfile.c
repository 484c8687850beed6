/* SPDX-License-Identifier: MIT */
/*
 * NetworkManager keyfiles (system-connections/ *.nmconnection): ethernet
 * connections with [connection] interface-name, [ethernet] mac-address and
 * [ipv4]/[ipv6] method.
 */
#include <errno.h>

#include "common/util.h"
#include "net/ini.h"
#include "net/net-internal.h"

struct nm {
	struct nc_net_config *c;
	char *type;
	char *method4, *method6;
	unsigned int conn_line;
	bool have_autoconnect;
};

static int nm_set(char **slot, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

/* Keyfile lists are ';'-separated: "eth*;en*;" → "eth* en*". */
static char *list_to_words(const char *v)
{
	char *s = strdup(v);
	size_t len;

	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == ';' || *p == ',')
			*p = ' ';
	len = strlen(s);
	while (len && s[len - 1] == ' ')
		s[--len] = '\0';
	return s;
}

static int nm_key(void *ud, const char *section, const char *key, const char *value,
		  unsigned int line, const char *raw)
{
	struct nm *nm = ud;
	struct nc_net_config *c = nm->c;
	bool eth = streq(section, "ethernet") || streq(section, "802-3-ethernet");
	int r = 0;

	if (streq(section, "connection")) {
		if (streq(key, "id"))
			r = nm_set(&c->id, value);
		else if (streq(key, "type"))
			r = nm_set(&nm->type, value);
		else if (streq(key, "interface-name") && *value)
			r = nm_set(&c->match_name, value);
		else if (streq(key, "autoconnect"))
			c->at_boot = parse_boolean(value, true);
	} else if (eth && streq(key, "mac-address") && *value) {
		free(c->mac_text);
		free(c->match_mac);
		c->match_mac = mac_normalize(value);
		c->mac_text = strdup(raw);
		c->mac_line = line;
		if (!c->match_mac || !c->mac_text)
			r = -ENOMEM;
	} else if (eth && streq(key, "cloned-mac-address") && strchr(value, ':')) {
		/* "preserve", "random", "stable" are policies, not a MAC. */
		free(c->set_mac_text);
		free(c->set_mac);
		c->set_mac = mac_normalize(value);
		c->set_mac_text = strdup(raw);
		c->set_mac_line = line;
		if (!c->set_mac || !c->set_mac_text)
			r = -ENOMEM;
	} else if (streq(section, "match") && streq(key, "interface-name")) {
		_cleanup_free_ char *w = list_to_words(value);

		if (!w)
			return -ENOMEM;
		if (*w) {
			char *n = c->match_name ? strdup_printf("%s %s", c->match_name, w)
						: strdup(w);

			if (!n)
				return -ENOMEM;
			free(c->match_name);
			c->match_name = n;
		}
	} else if (streq(section, "match")) {
		c->match_other = true;  /* driver=, path=, kernel-command-line= */
	} else if (streq(section, "ipv4") || streq(section, "ipv6")) {
		bool v4 = streq(section, "ipv4");

		if (streq(key, "method"))
			r = nm_set(v4 ? &nm->method4 : &nm->method6, value);
		else if (startswith(key, "address") && *value && !c->static_text) {
			c->static_text = strdup(raw);
			c->static_line = line;
			r = c->static_text ? 0 : -ENOMEM;
		}
	}
	return r;
}

int nmkeyfile_parse(const char *text, const char *file, struct nc_net_config **cfgs,
		    size_t *n, struct nc_err *err)
{
	struct nc_net_config c = { .kind = NC_NETCFG_NM, .at_boot = true };
	struct nm nm = { .c = &c };
	const char *sec = strstr(text, "[connection]");
	int r;

	c.file = strdup(file ? file : "");
	if (!c.file)
		return -ENOMEM;
	r = ini_parse(text, nm_key, &nm);
	if (r < 0)
		goto out;
	if (!nm.type) {
		r = nc_err_set(err, -EINVAL, "%s: no [connection] type=", c.file);
		goto out;
	}
	if (!streq(nm.type, "ethernet") && !streq(nm.type, "802-3-ethernet")) {
		r = 0;  /* wifi, bond, bridge, vpn: not the ENA's own config */
		goto out;
	}
	/* NM's default for ethernet is method=auto in both families. */
	c.dhcp4 = !nm.method4 || streq(nm.method4, "auto");
	c.dhcp6 = !nm.method6 || streq(nm.method6, "auto") || streq(nm.method6, "dhcp");
	c.is_static = nm.method4 && streq(nm.method4, "manual");
	if (!c.is_static) {
		free(c.static_text);
		c.static_text = NULL;
		c.static_line = 0;
	}
	c.disabled = nm.method4 && streq(nm.method4, "disabled") && !c.dhcp6;
	c.line = 1;
	if (sec)
		for (const char *p = text; p < sec; p++)
			if (*p == '\n')
				c.line++;
	c.text = strdup(sec ? "[connection]" : "");
	if (!c.text) {
		r = -ENOMEM;
		goto out;
	}
	r = netcfg_push(cfgs, n, &c);
out:
	free(nm.type);
	free(nm.method4);
	free(nm.method6);
	nc_net_config_clear(&c);
	return r;
}
