/* SPDX-License-Identifier: MIT */
/*
 * Debian's ifupdown: /etc/network/interfaces and the files it sources.
 * The parser keeps the stanzas and "auto"/"allow-*" lines apart because
 * they may live in different files; ifupdown_to_configs() joins them.
 */
#include <ctype.h>
#include <errno.h>

#include "common/util.h"
#include "net/net-internal.h"

static void iface_clear(struct nc_ifupdown_iface *i)
{
	free(i->name);
	free(i->family);
	free(i->method);
	free(i->text);
	free(i->hwaddress);
	free(i->hw_text);
	free(i->address);
	free(i->addr_text);
}

void ifupdown_free(struct nc_ifupdown *ifu)
{
	for (size_t i = 0; i < ifu->n_ifaces; i++)
		iface_clear(&ifu->ifaces[i]);
	free(ifu->ifaces);
	for (size_t i = 0; i < ifu->n_autos; i++) {
		free(ifu->autos[i].name);
		free(ifu->autos[i].how);
	}
	free(ifu->autos);
	for (size_t i = 0; i < ifu->n_sources; i++)
		free(ifu->sources[i].pattern);
	free(ifu->sources);
	strv_free(ifu->iface_files);
	memset(ifu, 0, sizeof(*ifu));
}

/* Split s at whitespace into at most max words; returns the count. */
static size_t split_words(char *s, char **words, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		words[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static int add_auto(struct nc_ifupdown *ifu, const char *name, const char *how,
		    unsigned int line)
{
	struct nc_ifupdown_auto *nv = realloc(ifu->autos, (ifu->n_autos + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	ifu->autos = nv;
	nv[ifu->n_autos] = (struct nc_ifupdown_auto){
		.name = strdup(name), .how = strdup(how), .line = line,
	};
	ifu->n_autos++;
	return nv[ifu->n_autos - 1].name && nv[ifu->n_autos - 1].how ? 0 : -ENOMEM;
}

static int add_source(struct nc_ifupdown *ifu, const char *pattern, bool dir,
		      unsigned int line)
{
	struct nc_ifupdown_source *nv =
		realloc(ifu->sources, (ifu->n_sources + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	ifu->sources = nv;
	nv[ifu->n_sources++] = (struct nc_ifupdown_source){
		.pattern = strdup(pattern), .directory = dir, .line = line,
	};
	return nv[ifu->n_sources - 1].pattern ? 0 : -ENOMEM;
}

static int add_iface(struct nc_ifupdown *ifu, char **w, size_t nw, const char *raw,
		     const char *file, unsigned int line)
{
	struct nc_ifupdown_iface *nv = realloc(ifu->ifaces, (ifu->n_ifaces + 1) * sizeof(*nv));
	struct nc_ifupdown_iface *i;
	int r;

	if (!nv)
		return -ENOMEM;
	ifu->ifaces = nv;
	i = &nv[ifu->n_ifaces];
	memset(i, 0, sizeof(*i));
	i->name = strdup(w[1]);
	i->family = strdup(nw > 2 ? w[2] : "inet");
	i->method = strdup(nw > 3 ? w[3] : "manual");
	i->text = strdup(raw);
	i->line = line;
	if (!i->name || !i->family || !i->method || !i->text) {
		iface_clear(i);
		return -ENOMEM;
	}
	r = strv_extend(&ifu->iface_files, file ? file : "");
	if (r < 0) {
		iface_clear(i);
		return r;
	}
	ifu->n_ifaces++;
	return 0;
}

/* Options of the current stanza: only those that matter on Nitro. */
static int add_option(struct nc_ifupdown_iface *i, char **w, size_t nw, const char *raw,
		      unsigned int line)
{
	if (streq(w[0], "hwaddress") && nw >= 2 && !i->hwaddress) {
		/* "hwaddress ether XX:.." or "hwaddress XX:.." */
		i->hwaddress = mac_normalize(nw >= 3 && streq(w[1], "ether") ? w[2] : w[1]);
		i->hw_text = strdup(raw);
		i->hw_line = line;
		return i->hwaddress && i->hw_text ? 0 : -ENOMEM;
	}
	if (streq(w[0], "address") && nw >= 2 && !i->address) {
		i->address = strdup(w[1]);
		i->addr_text = strdup(raw);
		i->addr_line = line;
		return i->address && i->addr_text ? 0 : -ENOMEM;
	}
	return 0;
}

int ifupdown_parse(const char *text, const char *file, struct nc_ifupdown *out,
		   struct nc_err *err)
{
	_cleanup_free_ char *buf = strdup(text);
	char *cur = buf, *s;
	unsigned int lineno = 0;
	ssize_t stanza = -1;  /* index of the current iface, -1 outside one */

	if (!buf)
		return -ENOMEM;
	while ((s = line_next_content(&cur, &lineno))) {
		_cleanup_free_ char *joined = NULL, *raw = NULL;
		unsigned int first = lineno;
		char *w[64];
		size_t nw;
		int r = 0;

		if (line_join_continued(s, &cur, &lineno, &joined) < 0)
			return -ENOMEM;
		raw = strdup(joined);
		if (!raw)
			return -ENOMEM;
		nw = split_words(joined, w, ARRAY_SIZE(w));
		if (nw == 0)
			continue;
		if (streq(w[0], "iface")) {
			if (nw < 2) {
				nc_err_set(err, -EINVAL, "%s:%u: iface without a name",
					   file ? file : "", first);
				stanza = -1;
				continue;
			}
			r = add_iface(out, w, nw, raw, file, first);
			stanza = r < 0 ? -1 : (ssize_t)out->n_ifaces - 1;
		} else if (streq(w[0], "auto") || startswith(w[0], "allow-")) {
			stanza = -1;
			for (size_t k = 1; k < nw && r >= 0; k++)
				r = add_auto(out, w[k], w[0], first);
		} else if (streq(w[0], "source") || streq(w[0], "source-directory")) {
			stanza = -1;
			for (size_t k = 1; k < nw && r >= 0; k++)
				r = add_source(out, w[k], streq(w[0], "source-directory"), first);
		} else if (streq(w[0], "mapping") || streq(w[0], "rename") ||
			   streq(w[0], "no-auto-down") || streq(w[0], "no-scripts")) {
			stanza = -1;
		} else if (stanza >= 0) {
			r = add_option(&out->ifaces[stanza], w, nw, raw, first);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static bool is_auto(const struct nc_ifupdown *ifu, const char *name)
{
	for (size_t i = 0; i < ifu->n_autos; i++)
		/* allow-hotplug/allow-auto/auto all bring it up at boot. */
		if (streq(ifu->autos[i].name, name) &&
		    (streq(ifu->autos[i].how, "auto") || streq(ifu->autos[i].how, "allow-hotplug") ||
		     streq(ifu->autos[i].how, "allow-auto")))
			return true;
	return false;
}

int ifupdown_to_configs(const struct nc_ifupdown *ifu, struct nc_net_config **cfgs, size_t *n)
{
	for (size_t k = 0; k < ifu->n_ifaces; k++) {
		const struct nc_ifupdown_iface *i = &ifu->ifaces[k];
		bool inet6 = streq(i->family, "inet6");
		struct nc_net_config c = {
			.kind = NC_NETCFG_IFUPDOWN,
			.line = i->line,
			.at_boot = is_auto(ifu, i->name),
		};
		int r;

		if (!streq(i->family, "inet") && !inet6)
			continue;  /* ipx, can */
		c.file = strdup(ifu->iface_files[k]);
		c.text = strdup(i->text);
		c.id = strdup(i->name);
		c.match_name = strdup(i->name);
		if (!c.file || !c.text || !c.id || !c.match_name) {
			nc_net_config_clear(&c);
			return -ENOMEM;
		}
		if (streq(i->method, "dhcp"))
			c.dhcp4 = !inet6, c.dhcp6 = inet6;
		else if (inet6 && streq(i->method, "auto"))
			c.dhcp6 = true;  /* SLAAC (+ stateless DHCPv6) */
		else if (streq(i->method, "static"))
			c.is_static = true;
		else
			c.disabled = true;  /* loopback, manual, ppp, tunnel ... */
		if (c.is_static) {
			c.static_line = i->addr_line ? i->addr_line : i->line;
			c.static_text = strdup(i->addr_text ? i->addr_text : i->text);
			if (!c.static_text) {
				nc_net_config_clear(&c);
				return -ENOMEM;
			}
		}
		if (i->hwaddress) {
			c.set_mac = strdup(i->hwaddress);
			c.set_mac_text = strdup(i->hw_text);
			c.set_mac_line = i->hw_line;
			if (!c.set_mac || !c.set_mac_text) {
				nc_net_config_clear(&c);
				return -ENOMEM;
			}
		}
		r = netcfg_push(cfgs, n, &c);
		if (r < 0)
			return r;
	}
	return 0;
}
