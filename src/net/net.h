/* SPDX-License-Identifier: MIT */
/*
 * Network configuration of the image and the predicted NIC name on Nitro.
 *
 * Parsers are pure functions over text (one per configuration system) that
 * append to a vector of struct nc_net_config; net_collect() finds the files
 * in a snapshot and runs them. Guest paths are stored, never host paths.
 */
#ifndef NC_NET_H
#define NC_NET_H

#include <stdbool.h>
#include <stddef.h>

struct nc_err;
struct nc_snapshot;

enum nc_netcfg_kind {
	NC_NETCFG_IFUPDOWN,     /* /etc/network/interfaces(.d) */
	NC_NETCFG_IFCFG,        /* /etc/sysconfig/network(-scripts)/ifcfg-* */
	NC_NETCFG_NETPLAN,      /* /etc/netplan/ *.yaml */
	NC_NETCFG_NETWORKD,     /* systemd-networkd .network */
	NC_NETCFG_NM,           /* NetworkManager keyfile */
};

const char *nc_netcfg_kind_name(enum nc_netcfg_kind k);

/* One configuration of one interface (or a glob of them). */
struct nc_net_config {
	enum nc_netcfg_kind kind;
	char *file;              /* guest path */
	unsigned int line;       /* 1-based line of the stanza/section */
	char *text;              /* that line as written */
	char *id;                /* netplan id, NM id, ifcfg name; may be NULL */
	char *match_name;        /* name or glob list ("en*", "!lo eth*"); NULL = any */
	char *match_mac;         /* lower-case MAC the config is bound to, or NULL */
	unsigned int mac_line;   /* evidence of the MAC binding */
	char *mac_text;
	char *set_mac;           /* MAC the config sets on the NIC (hwaddress, MACADDR=) */
	unsigned int set_mac_line;
	char *set_mac_text;
	bool match_other;        /* further matches we cannot evaluate (Path=, Driver=) */
	char *set_name;          /* name the config renames the NIC to (netplan) */
	bool at_boot;            /* auto/allow-hotplug, ONBOOT, autoconnect */
	bool dhcp4, dhcp6;
	bool is_static;          /* a static IPv4/IPv6 address */
	unsigned int static_line;
	char *static_text;
	bool disabled;           /* loopback, manual, method=disabled, ... */
};

/* A udev rule as far as naming goes (one logical line). */
struct nc_udev_rule {
	unsigned int line;       /* first physical line */
	char *text;              /* continuations joined, trimmed */
	char *subsystem;         /* SUBSYSTEM== */
	char *kernel;            /* KERNEL== */
	char *driver;            /* DRIVERS== / DRIVER== */
	char *mac;               /* ATTR{address}== (lower case) */
	char *name;              /* NAME= / NAME:= */
	char **symlinks;         /* SYMLINK+= / SYMLINK= words */
	char *program;           /* PROGRAM= / IMPORT{program}= */
	bool match_other;        /* matches beyond SUBSYSTEM/ACTION/KERNEL/DRIVERS/ATTR{address} */
};

/* A systemd .link file. */
struct nc_net_link {
	char *file;              /* guest path */
	unsigned int line;       /* NamePolicy= line, or 0 */
	char *text;
	char *name_policy;       /* NULL when not set */
	char *name;              /* Name= */
	char *match_mac;         /* [Match] MACAddress= */
	char *match_name;        /* [Match] OriginalName= */
	bool match_any;          /* no [Match] keys or OriginalName=* */
};

struct nc_net_facts {
	struct nc_net_config *configs;
	size_t n_configs;
	/* Rules that give network interfaces names: NAME= on a net rule. */
	struct nc_udev_rule *name_rules;
	char **name_rule_files;  /* guest path of each name rule, same index */
	size_t n_name_rules;
	struct nc_net_link *links; /* effective .link files, override applied */
	size_t n_links;

	bool have_udev;          /* systemd-udevd or udevd present */
	char *udev_path;
	bool have_net_setup_link; /* the predictable naming rules exist */
	char *net_setup_link_path;
	bool net_setup_link_masked; /* /etc/udev/rules.d/80-net-setup-link.rules overrides */
	char *mask_file;         /* file that disables predictable naming */
	bool have_biosdevname;
	bool have_nm, nm_enabled, nm_auto_default;
	bool have_networkd, networkd_enabled;
	bool have_netplan, have_ifupdown;
	bool have_cloud_init, cloud_init_network;  /* cloud-init renders network config */
	char **notes;            /* files that could not be parsed, ... */
};

/* ---- parsers: text in, configs appended; file is the guest path ----------- */
/* Returns the number of malformed rules skipped (err names the first). */
int udev_rules_parse(const char *text, struct nc_udev_rule **rules, size_t *n,
		     struct nc_err *err);
void nc_udev_rule_clear(struct nc_udev_rule *r);

/* ifupdown: stanzas and the directives that tie them together. */
struct nc_ifupdown_iface {
	char *name, *family, *method;  /* "eth0", "inet", "dhcp" */
	unsigned int line;
	char *text;
	char *hwaddress;
	unsigned int hw_line;
	char *hw_text;
	char *address;
	unsigned int addr_line;
	char *addr_text;
};

struct nc_ifupdown_auto {
	char *name;
	char *how;               /* "auto", "allow-hotplug", "allow-auto" */
	unsigned int line;
};

struct nc_ifupdown_source {
	char *pattern;           /* as written */
	bool directory;          /* source-directory */
	unsigned int line;
};

struct nc_ifupdown {
	struct nc_ifupdown_iface *ifaces;
	size_t n_ifaces;
	struct nc_ifupdown_auto *autos;
	size_t n_autos;
	struct nc_ifupdown_source *sources;
	size_t n_sources;
	char **iface_files;      /* file of each iface, same index */
};

int ifupdown_parse(const char *text, const char *file, struct nc_ifupdown *out,
		   struct nc_err *err);
/* Turn stanzas into configs: at_boot from auto/allow-hotplug lines. */
int ifupdown_to_configs(const struct nc_ifupdown *ifu, struct nc_net_config **cfgs,
			size_t *n);
void ifupdown_free(struct nc_ifupdown *ifu);

int ifcfg_parse(const char *text, const char *file, struct nc_net_config **cfgs,
		size_t *n, struct nc_err *err);
int netplan_parse(const char *text, size_t len, const char *file,
		  struct nc_net_config **cfgs, size_t *n, struct nc_err *err);
int networkd_parse(const char *text, const char *file, struct nc_net_config **cfgs,
		   size_t *n, struct nc_err *err);
int networkd_link_parse(const char *text, const char *file, struct nc_net_link *ret,
			struct nc_err *err);
int nmkeyfile_parse(const char *text, const char *file, struct nc_net_config **cfgs,
		    size_t *n, struct nc_err *err);

void nc_net_config_clear(struct nc_net_config *c);
void nc_net_link_clear(struct nc_net_link *l);

/* Does a name list ("en* eth0", "!lo") match name? fnmatch globs. */
bool net_name_matches(const char *pattern_list, const char *name);
/* Is a kernel command line option present (value ignored when NULL)? */
bool net_cmdline_has(const char *cmdline, const char *key, const char *value);

/* ---- collection over a snapshot ------------------------------------------ */
int net_collect(const struct nc_snapshot *snap, struct nc_net_facts *out,
		struct nc_err *err);
void net_facts_free(struct nc_net_facts *n);

/*
 * The name the ENA NIC (PCI slot 5, _SUN=5 in ACPI) gets on first boot on
 * Nitro: "ens5" with predictable naming, "eth0" under net.ifnames=0 or
 * without udev renaming. ret_why says how it was decided.
 */
int net_predict_primary_name(const struct nc_net_facts *n, const char *default_cmdline,
			     char **ret_name, char **ret_why);

/* Will config c bring up NIC `name` (whose MAC we cannot know)? */
bool net_config_applies(const struct nc_net_config *c, const char *name);

#endif
