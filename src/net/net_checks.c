/* SPDX-License-Identifier: MIT */
/*
 * Network checks: will the ENA NIC get the name the image configures, and
 * will that configuration bring it up with DHCP? On Nitro the NIC is ENA
 * at PCI slot 5 with a MAC the image has never seen.
 */
#include <errno.h>
#include <fnmatch.h>

#include "common/util.h"
#include "net/net.h"
#include "rules/rules.h"

static const char *default_cmdline(const struct nc_facts *f)
{
	if (f->default_kernel >= 0 && (size_t)f->default_kernel < f->n_kernels)
		return f->kernels[f->default_kernel].cmdline;
	return NULL;
}

static int predicted_name(const struct nc_facts *f, char **ret_name, char **ret_why)
{
	return net_predict_primary_name(&f->net, default_cmdline(f), ret_name, ret_why);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* cloud-init rewrites its own files on an instance's first boot. */
static bool rewritten_by_cloud_init(const struct nc_rule *rule, const struct nc_facts *f,
				    const char *file)
{
	_cleanup_strv_free_ char **globs = nc_param_strv(rule, "cloud_init_files");

	if (!f->net.cloud_init_network || !file)
		return false;
	for (size_t i = 0; globs && globs[i]; i++)
		if (fnmatch(globs[i], base_name(file), 0) == 0)
			return true;
	return false;
}

static int check_predicted_name(const struct nc_rule *rule, const struct nc_facts *f,
				struct nc_findings *out)
{
	_cleanup_free_ char *name = NULL, *why = NULL;
	const char *vars[] = { "name", NULL, NULL };
	int r = predicted_name(f, &name, &why);

	if (r < 0)
		return r;
	vars[1] = name;
	return nc_finding_add(out, rule, f, rule->severity, NULL, vars,
			      "on Nitro the ENA NIC will be named %s: %s", name, why);
}

static int check_udev_mac_names(const struct nc_rule *rule, const struct nc_facts *f,
				struct nc_findings *out)
{
	_cleanup_free_ char *name = NULL, *why = NULL;
	int r = predicted_name(f, &name, &why);

	if (r < 0)
		return r;
	for (size_t i = 0; i < f->net.n_name_rules; i++) {
		const struct nc_udev_rule *u = &f->net.name_rules[i];
		struct nc_where w = { .file = f->net.name_rule_files[i], .line = u->line,
				      .text = u->text };
		const char *vars[] = { "name", u->name, NULL };
		/* Holding the kernel's name for an absent MAC pushes ENA to eth1. */
		bool takes_name = streq(u->name, "eth0") || streq(u->name, name);

		if (!u->mac)
			continue;
		r = nc_finding_add(out, rule, f, takes_name ? NC_SEV_ERROR : rule->severity, &w,
				   vars,
				   "udev names the NIC with MAC %s \"%s\"; the ENA NIC has a new MAC%s",
				   u->mac, u->name,
				   takes_name ? ", so it cannot take that name and the "
						"configuration for it does not apply"
					      : "");
		if (r < 0)
			return r;
	}
	return 0;
}

static bool brings_up(const struct nc_net_config *c, const char *name)
{
	return !c->disabled && c->at_boot && c->dhcp4 && net_config_applies(c, name);
}

static int check_primary_dhcp(const struct nc_rule *rule, const struct nc_facts *f,
			      struct nc_findings *out)
{
	_cleanup_free_ char *name = NULL, *why = NULL, *others = NULL;
	const struct nc_net_config *first_other = NULL;
	const char *vars[] = { "name", NULL, NULL };
	struct nc_where w = { 0 };
	size_t len = 0;
	FILE *list;
	int r = predicted_name(f, &name, &why);

	if (r < 0)
		return r;
	vars[1] = name;
	for (size_t i = 0; i < f->net.n_configs; i++)
		if (brings_up(&f->net.configs[i], name) &&
		    !rewritten_by_cloud_init(rule, f, f->net.configs[i].file))
			return 0;
	if (f->net.nm_enabled && f->net.nm_auto_default)
		return 0;  /* NetworkManager's automatic "Wired connection" does DHCP */

	list = open_memstream(&others, &len);
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < f->net.n_configs; i++) {
		const struct nc_net_config *c = &f->net.configs[i];

		if (c->disabled || (c->match_name && streq(c->match_name, "lo")))
			continue;
		fprintf(list, "%s%s %s:%u", first_other ? ", " : "",
			c->match_name ? c->match_name : c->match_mac ? c->match_mac : "any",
			c->file, c->line);
		if (!first_other)
			first_other = c;
	}
	if (fclose(list) != 0)
		return -ENOMEM;
	if (first_other) {
		w.file = first_other->file;
		w.line = first_other->line;
		w.text = first_other->text;
	}
	if (f->net.cloud_init_network)
		return nc_finding_add(out, rule, f, NC_SEV_INFO, first_other ? &w : NULL, vars,
				      "no configuration brings up %s with DHCP (%s); cloud-init "
				      "will write one on first boot", name, why);
	return nc_finding_add(out, rule, f, rule->severity, first_other ? &w : NULL, vars,
			      "no configuration brings up %s with DHCP (%s)%s%s", name, why,
			      first_other ? "; configured: " : "; no interface is configured",
			      first_other ? others : "");
}

/* systemd's own container and tunnel networks (/usr/lib/systemd/network/
 * 80-container-ve.network, ...) carry static addresses for interfaces an
 * instance never has: vendor files count only when they would configure
 * the ENA NIC. The image's own files (/etc) always count. */
static int check_static_address(const struct nc_rule *rule, const struct nc_facts *f,
				struct nc_findings *out)
{
	_cleanup_free_ char *name = NULL, *why = NULL;
	int pr = predicted_name(f, &name, &why);

	if (pr < 0)
		return pr;
	for (size_t i = 0; i < f->net.n_configs; i++) {
		const struct nc_net_config *c = &f->net.configs[i];
		struct nc_where w = { .file = c->file, .line = c->static_line,
				      .text = c->static_text };
		const char *vars[] = { "name", c->match_name ? c->match_name : "", NULL };
		int r;

		if (!c->is_static || c->disabled || (c->match_name && streq(c->match_name, "lo")))
			continue;
		if ((startswith(c->file, "/usr/lib/") || startswith(c->file, "/lib/")) &&
		    !net_config_applies(c, name))
			continue;
		r = nc_finding_add(out, rule, f, rule->severity, &w, vars,
				   "%s configures a static address for %s; the VPC assigns the "
				   "address by DHCP", nc_netcfg_kind_name(c->kind),
				   c->match_name ? c->match_name : c->id ? c->id : "a NIC");
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_mac_bound(const struct nc_rule *rule, const struct nc_facts *f,
			   struct nc_findings *out)
{
	for (size_t i = 0; i < f->net.n_configs; i++) {
		const struct nc_net_config *c = &f->net.configs[i];
		struct nc_where w = { .file = c->file, .line = c->mac_line, .text = c->mac_text };
		const char *vars[] = { "name", c->match_name ? c->match_name : "", "mac",
				       c->match_mac, NULL };
		bool cloud = rewritten_by_cloud_init(rule, f, c->file);
		int r;

		if (!c->match_mac || c->disabled)
			continue;
		r = nc_finding_add(out, rule, f, cloud ? NC_SEV_INFO : rule->severity, &w, vars,
				   "%s configuration%s%s applies only to MAC %s; the ENA NIC has "
				   "another%s", nc_netcfg_kind_name(c->kind), c->id ? " " : "",
				   c->id ? c->id : "", c->match_mac,
				   cloud ? " (cloud-init rewrites this file on first boot)" : "");
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_mac_set(const struct nc_rule *rule, const struct nc_facts *f,
			 struct nc_findings *out)
{
	for (size_t i = 0; i < f->net.n_configs; i++) {
		const struct nc_net_config *c = &f->net.configs[i];
		struct nc_where w = { .file = c->file, .line = c->set_mac_line,
				      .text = c->set_mac_text };
		const char *vars[] = { "name", c->match_name ? c->match_name : "", NULL };
		int r;

		if (!c->set_mac || c->disabled)
			continue;
		r = nc_finding_add(out, rule, f, rule->severity, &w, vars,
				   "%s sets MAC %s on %s; the VPC passes only the ENI's own MAC",
				   nc_netcfg_kind_name(c->kind), c->set_mac,
				   c->match_name ? c->match_name : "the NIC");
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_notes(const struct nc_rule *rule, const struct nc_facts *f,
		       struct nc_findings *out)
{
	return nc_findings_add_notes(out, rule, f, f->net.notes);
}

const struct nc_check nc_net_checks[] = {
	{ "net-predicted-name", check_predicted_name,
	  "the name the ENA NIC gets on Nitro and why (ens5, eth0, ...)" },
	{ "net-udev-mac-names", check_udev_mac_names,
	  "udev rules naming a NIC by MAC (70-persistent-net.rules); error when they hold the ENA's name" },
	{ "net-primary-dhcp", check_primary_dhcp,
	  "no configuration brings the predicted NIC name up with DHCP; param cloud_init_files" },
	{ "net-static-address", check_static_address,
	  "a configuration with a static address" },
	{ "net-mac-bound", check_mac_bound,
	  "a configuration bound to a MAC (HWADDR, match: macaddress, MACAddress=); param cloud_init_files" },
	{ "net-mac-set", check_mac_set,
	  "a configuration that sets a MAC (hwaddress, MACADDR=, macaddress:)" },
	{ "net-parse-notes", check_notes,
	  "network configuration files that could not be read or parsed" },
	{ NULL },
};
