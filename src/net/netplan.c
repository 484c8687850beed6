/* SPDX-License-Identifier: MIT */
/*
 * netplan YAML (read with libyaml): network.ethernets.<id> with match
 * (macaddress, name glob, driver), set-name, dhcp4/dhcp6, addresses and
 * macaddress (which sets the MAC). Without match:, the id is the name.
 */
#include <errno.h>
#include <yaml.h>

#include "common/util.h"
#include "net/net-internal.h"

struct np {
	yaml_document_t *doc;
	const char *text;
	const char *file;
};

/* The 1-based line n of the text, trimmed, as a new string. */
static char *line_text(const char *text, unsigned int n)
{
	const char *s = text, *e;
	_cleanup_free_ char *l = NULL;

	for (unsigned int i = 1; i < n && s; i++) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s)
		return strdup("");
	e = strchrnul(s, '\n');
	l = strndup(s, (size_t)(e - s));
	return l ? strdup(strstrip(l)) : NULL;
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key,
			    yaml_node_t **ret_key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    streq((const char *)k->data.scalar.value, key)) {
			if (ret_key)
				*ret_key = k;
			return yaml_document_get_node(doc, p->value);
		}
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static unsigned int node_line(yaml_node_t *n)
{
	return (unsigned int)n->start_mark.line + 1;
}

static int ethernet_parse(struct np *np, const char *id, yaml_node_t *key, yaml_node_t *def,
			  struct nc_net_config **cfgs, size_t *n)
{
	yaml_document_t *doc = np->doc;
	struct nc_net_config c = { .kind = NC_NETCFG_NETPLAN, .at_boot = true };
	yaml_node_t *match = map_get(doc, def, "match", NULL), *v, *k;
	const char *s;

	c.file = strdup(np->file);
	c.line = node_line(key);
	c.text = line_text(np->text, c.line);
	c.id = strdup(id);
	if (!c.file || !c.text || !c.id)
		goto oom;
	if (match) {
		if ((s = scalar(map_get(doc, match, "name", NULL))) &&
		    !(c.match_name = strdup(s)))
			goto oom;
		if ((s = scalar(v = map_get(doc, match, "macaddress", &k)))) {
			c.match_mac = mac_normalize(s);
			c.mac_line = node_line(k);
			c.mac_text = line_text(np->text, c.mac_line);
			if (!c.match_mac || !c.mac_text)
				goto oom;
		}
		if (map_get(doc, match, "driver", NULL))
			c.match_other = true;
	} else if (!(c.match_name = strdup(id))) {
		goto oom;
	}
	if ((s = scalar(map_get(doc, def, "set-name", NULL))) && !(c.set_name = strdup(s)))
		goto oom;
	if ((s = scalar(v = map_get(doc, def, "macaddress", &k)))) {
		c.set_mac = mac_normalize(s);
		c.set_mac_line = node_line(k);
		c.set_mac_text = line_text(np->text, c.set_mac_line);
		if (!c.set_mac || !c.set_mac_text)
			goto oom;
	}
	c.dhcp4 = parse_boolean(scalar(map_get(doc, def, "dhcp4", NULL)), false);
	c.dhcp6 = parse_boolean(scalar(map_get(doc, def, "dhcp6", NULL)), false);
	v = map_get(doc, def, "addresses", &k);
	if (v && v->type == YAML_SEQUENCE_NODE &&
	    v->data.sequence.items.top > v->data.sequence.items.start) {
		c.is_static = true;
		c.static_line = node_line(k);
		c.static_text = line_text(np->text, c.static_line);
		if (!c.static_text)
			goto oom;
	}
	/* "optional: true" only stops boot waiting; activation-mode: off disables. */
	if ((s = scalar(map_get(doc, def, "activation-mode", NULL))) && streq(s, "off"))
		c.at_boot = false;
	return netcfg_push(cfgs, n, &c);
oom:
	nc_net_config_clear(&c);
	return -ENOMEM;
}

int netplan_parse(const char *text, size_t len, const char *file,
		  struct nc_net_config **cfgs, size_t *n, struct nc_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *eths;
	struct np np = { .doc = &doc, .text = text, .file = file ? file : "" };
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = nc_err_set(err, -EINVAL, "%s:%zu: %s", np.file,
			       parser.problem_mark.line + 1,
			       parser.problem ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	eths = map_get(&doc, map_get(&doc, root, "network", NULL), "ethernets", NULL);
	if (eths && eths->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = eths->data.mapping.pairs.start;
		     p < eths->data.mapping.pairs.top && r >= 0; p++) {
			yaml_node_t *k = yaml_document_get_node(&doc, p->key);
			yaml_node_t *v = yaml_document_get_node(&doc, p->value);

			if (!scalar(k) || !v || v->type != YAML_MAPPING_NODE)
				continue;
			r = ethernet_parse(&np, scalar(k), k, v, cfgs, n);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}
