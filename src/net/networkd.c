/* SPDX-License-Identifier: MIT */
/*
 * systemd-networkd .network files ([Match] Name=/MACAddress=, [Network]
 * DHCP=/Address=) and .link files ([Link] NamePolicy=, the knob that turns
 * predictable interface names on or off).
 */
#include <errno.h>
#include <strings.h>

#include "common/util.h"
#include "net/ini.h"
#include "net/net-internal.h"

/* Append word list v to *slot ("a b" + "c" = "a b c"); an empty v resets. */
static int list_append(char **slot, const char *v)
{
	char *n;

	if (!*v) {
		free(*slot);
		*slot = NULL;
		return 0;
	}
	n = *slot ? strdup_printf("%s %s", *slot, v) : strdup(v);
	if (!n)
		return -ENOMEM;
	free(*slot);
	*slot = n;
	return 0;
}

static int set_evidence(char **text, unsigned int *line, const char *raw, unsigned int l)
{
	if (*text)
		return 0;  /* the first occurrence is the evidence */
	*text = strdup(raw);
	*line = l;
	return *text ? 0 : -ENOMEM;
}

static int network_key(void *ud, const char *section, const char *key, const char *value,
		       unsigned int line, const char *raw)
{
	struct nc_net_config *c = ud;
	int r = 0;

	if (streq(section, "Match")) {
		if (streq(key, "Name")) {
			r = list_append(&c->match_name, value);
		} else if (streq(key, "MACAddress") || streq(key, "PermanentMACAddress")) {
			_cleanup_free_ char *mac = mac_normalize(value);

			if (!mac)
				return -ENOMEM;
			r = list_append(&c->match_mac, mac);
			if (r >= 0)
				r = set_evidence(&c->mac_text, &c->mac_line, raw, line);
		} else if (streq(key, "Driver")) {
			if (!net_name_matches(value, "ena"))
				c->match_other = true;
		} else if (streq(key, "Type")) {
			if (!net_name_matches(value, "ether"))
				c->match_other = true;
		} else if (!streq(key, "Virtualization") && !streq(key, "Architecture")) {
			/* Path=, Host=, KernelCommandLine=, Property=, SSID= ... */
			c->match_other = true;
		}
	} else if (streq(section, "Network")) {
		if (streq(key, "DHCP")) {
			bool b = parse_boolean(value, false);

			c->dhcp4 = b || streq(value, "ipv4") || streq(value, "both");
			c->dhcp6 = b || streq(value, "ipv6") || streq(value, "both");
		} else if (streq(key, "Address") && *value) {
			c->is_static = true;
			r = set_evidence(&c->static_text, &c->static_line, raw, line);
		}
	} else if (streq(section, "Address") && streq(key, "Address") && *value) {
		c->is_static = true;
		r = set_evidence(&c->static_text, &c->static_line, raw, line);
	} else if (streq(section, "Link")) {
		if (streq(key, "MACAddress") && *value) {
			free(c->set_mac);
			free(c->set_mac_text);
			c->set_mac_text = NULL;
			c->set_mac = mac_normalize(value);
			r = c->set_mac ? set_evidence(&c->set_mac_text, &c->set_mac_line, raw, line)
				       : -ENOMEM;
		} else if (streq(key, "Unmanaged") && parse_boolean(value, false)) {
			c->disabled = true;
		} else if (streq(key, "ActivationPolicy") &&
			   (streq(value, "manual") || streq(value, "down") ||
			    streq(value, "always-down"))) {
			c->at_boot = false;
		}
	}
	return r;
}

static char *first_line(const char *text)
{
	const char *e = strchrnul(text, '\n');

	return strndup(text, (size_t)(e - text));
}

int networkd_parse(const char *text, const char *file, struct nc_net_config **cfgs,
		   size_t *n, struct nc_err *err)
{
	struct nc_net_config c = { .kind = NC_NETCFG_NETWORKD, .at_boot = true };
	const char *m = strstr(text, "[Match]");
	int r;

	c.file = strdup(file ? file : "");
	if (!c.file)
		return -ENOMEM;
	r = ini_parse(text, network_key, &c);
	if (r < 0) {
		nc_net_config_clear(&c);
		return r;
	}
	/* The evidence is the [Match] section header (or the first line). */
	c.line = 1;
	if (m) {
		for (const char *p = text; p < m; p++)
			if (*p == '\n')
				c.line++;
		c.text = strdup("[Match]");
	} else {
		c.text = first_line(text);
	}
	if (!c.text) {
		nc_net_config_clear(&c);
		return -ENOMEM;
	}
	return netcfg_push(cfgs, n, &c);
}

static int link_key(void *ud, const char *section, const char *key, const char *value,
		    unsigned int line, const char *raw)
{
	struct nc_net_link *l = ud;
	int r = 0;

	if (streq(section, "Match")) {
		if (streq(key, "OriginalName")) {
			r = list_append(&l->match_name, value);
		} else if (streq(key, "MACAddress") || streq(key, "PermanentMACAddress")) {
			_cleanup_free_ char *mac = mac_normalize(value);

			r = mac ? list_append(&l->match_mac, mac) : -ENOMEM;
		}
		/* Any key makes the file specific; see match_any below. */
		l->match_any = false;
	} else if (streq(section, "Link")) {
		if (streq(key, "NamePolicy")) {
			free(l->name_policy);
			free(l->text);
			l->name_policy = strdup(value);
			l->text = strdup(raw);
			l->line = line;
			if (!l->name_policy || !l->text)
				r = -ENOMEM;
		} else if (streq(key, "Name")) {
			free(l->name);
			l->name = strdup(value);
			r = l->name ? 0 : -ENOMEM;
		}
	}
	return r;
}

int networkd_link_parse(const char *text, const char *file, struct nc_net_link *ret,
			struct nc_err *err)
{
	struct nc_net_link l = { .match_any = true };
	int r;

	l.file = strdup(file ? file : "");
	if (!l.file)
		return -ENOMEM;
	r = ini_parse(text, link_key, &l);
	if (r < 0) {
		nc_net_link_clear(&l);
		return r;
	}
	/* 99-default.link matches "OriginalName=*": that is any NIC too. */
	if (!l.match_any && !l.match_mac && l.match_name && streq(l.match_name, "*")) {
		bool only_name = true;
		const char *m = strstr(text, "[Match]");

		/* Count the keys of [Match]: only OriginalName=* keeps it generic. */
		if (m) {
			const char *p = strchr(m, '\n');

			while (p && *++p && *p != '[') {
				const char *e = strchrnul(p, '\n');
				const char *q = p;

				while (q < e && (*q == ' ' || *q == '\t'))
					q++;
				if (q < e && *q != '#' && *q != ';' &&
				    strncmp(q, "OriginalName", 12) != 0)
					only_name = false;
				p = *e ? e : NULL;
			}
		}
		l.match_any = only_name;
	}
	*ret = l;
	return 0;
}
