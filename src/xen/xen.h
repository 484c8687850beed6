/* SPDX-License-Identifier: MIT */
/*
 * Xen-only dependencies: Xen guest services, modprobe.d lines that keep
 * nvme/ena from loading, udev rules that make xvd* names, and software that
 * detects EC2 through Xen (/sys/hypervisor/uuid, /proc/xen, xenstore-read).
 * (PV-only kernels are a kernel fact: struct nc_kernel.xenlinux_pv_only.)
 */
#ifndef NC_XEN_H
#define NC_XEN_H

#include <stdbool.h>
#include <stddef.h>

struct nc_err;
struct nc_snapshot;

/* A service enabled at boot (systemd wants link or SysV rc link). */
struct nc_enabled_service {
	char *name;              /* "xe-linux-distribution.service", "xe-daemon" */
	char *file;              /* guest path of the link */
	char *how;               /* "multi-user.target.wants", "rc3.d S14" */
};

/* A modprobe.d directive that stops a module loading. */
struct nc_modprobe_block {
	char *module;            /* normalised with '_' */
	char *kind;              /* "blacklist", "install", "alias-off" */
	char *file;
	unsigned int line;
	char *text;
};

/* A udev rule creating xvd* names. */
struct nc_xvd_rule {
	char *file;
	unsigned int line;
	char *text;
	bool from_ec2_utils;     /* amazon-ec2-utils' own rules (ebsnvme-id) */
	bool helper_missing;     /* its PROGRAM is not in the image */
};

/* A file that reads one of the Xen probe paths. */
struct nc_xen_probe {
	char *file;              /* guest path */
	char *kind;              /* "script", "elf", "binary" */
	char *pattern;           /* which pattern matched */
	unsigned int line;       /* scripts: 1-based line */
	char *section;           /* ELF: ".rodata" */
	char *text;              /* the line, or the string holding the pattern */
	unsigned long long offset; /* binary: byte offset */
};

struct nc_xen_facts {
	struct nc_enabled_service *services;
	size_t n_services;
	struct nc_modprobe_block *blocks;
	size_t n_blocks;
	struct nc_xvd_rule *xvd_rules;
	size_t n_xvd_rules;
	bool have_ec2_utils;     /* ebsnvme-id / 70-ec2-nvme-devices.rules present */
	/* Filled by xen_find_probes() (the patterns are rule parameters). */
	struct nc_xen_probe *probes;
	size_t n_probes;
	bool probes_scanned;
	char **notes;
};

/* modprobe.d text: blacklist, install X /bin/true|/bin/false, alias X off. */
int modprobe_parse(const char *text, const char *file, struct nc_modprobe_block **v,
		   size_t *n, struct nc_err *err);

int xen_collect(const struct nc_snapshot *snap, struct nc_xen_facts *out,
		struct nc_err *err);
void xen_facts_free(struct nc_xen_facts *x);

/* Defaults for the probe walk (the rules normally pass their own). */
extern const char *const nc_xen_probe_patterns[];
extern const char *const nc_xen_probe_dirs[];

/*
 * Walk dirs (guest paths, NULL-terminated) of the snapshot without leaving
 * it and without following symlinks; skip files over 64 MiB. Report each
 * file holding one of patterns: scripts with line and text, ELF files
 * with section and string (libelf), other binaries with the offset.
 * Appends to *v; returns the number of files read or -errno.
 */
int xen_find_probes(int rootfd, const char *const *dirs, const char *const *patterns,
		    struct nc_xen_probe **v, size_t *n, struct nc_err *err);
/* Classify one file's bytes (pure: for tests and fuzzing). */
int xen_probe_classify(const char *file, const void *data, size_t size,
		       const char *const *patterns, struct nc_xen_probe **v, size_t *n);
void nc_xen_probe_clear(struct nc_xen_probe *p);

#endif
