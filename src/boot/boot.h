/* SPDX-License-Identifier: MIT */
/*
 * Boot configuration: bootloader entries and the default one (GRUB 2, BLS,
 * GRUB legacy, extlinux), /etc/fstab, /etc/crypttab, the kernel command line.
 * Parsers are pure functions over text; boot_collect() reads a snapshot.
 *
 * Every parser accepts arbitrary bytes: garbage yields fewer entries, never
 * a crash. They return 0 or -ENOMEM (or -EINVAL for NULL text).
 */
#ifndef NC_BOOT_H
#define NC_BOOT_H

#include <stdbool.h>
#include <stddef.h>

struct nc_err;
struct nc_snapshot;

struct nc_boot_entry {
	char *title;
	char *id;            /* menuentry id / BLS file stem, may be NULL */
	char *kernel;        /* as written: "/vmlinuz-6.1.0-18-amd64" or "/boot/..." */
	char *initrd;        /* first initrd (after early microcode ones), may be NULL */
	char **initrds;      /* all initrds as listed */
	char *cmdline;       /* options after the kernel path, variables expanded */
	char *file;          /* guest path of the config it came from */
	unsigned int line;   /* 1-based line of the entry */
	/* Where the kernel line is (file may differ from the entry's for BLS
	 * options taken from grubenv $kernelopts). */
	unsigned int kernel_line;
	char *cmdline_raw;   /* options as written ("$kernelopts"), may be NULL */
	/* GRUB menu position: one element per submenu level then the entry. */
	char **title_path;   /* titles, may be NULL for non-GRUB entries */
	char **id_path;      /* ids ("" when none) */
	char *index_path;    /* "1>0" */
	char *version;       /* BLS version, may be NULL */
	char *sort_key;      /* BLS sort-key, may be NULL */
	char *machine_id;    /* BLS machine-id, may be NULL */
};

void boot_entry_free(struct nc_boot_entry *e);
void boot_entries_free(struct nc_boot_entry *v, size_t n);

struct nc_bootloader {
	char *kind;          /* "grub2", "bls", "grub-legacy", "extlinux" */
	char *config;        /* guest path */
	struct nc_boot_entry *entries;
	size_t n_entries;
	int default_entry;   /* index into entries, -1 unresolved */
	char *default_how;   /* "grubenv saved_entry=...", "set default=\"0\"", ... */
	/* The configured default names no entry and the loader falls back
	 * (GRUB: to entry 0); default_entry is that fallback. */
	bool default_fallback;
};

/* A KEY=value assignment of a shell-style file (/etc/default/grub). */
struct nc_kv {
	char *key;
	char *value;         /* unquoted */
	unsigned int line;
	char *text;          /* the line as written */
};

struct nc_fstab_entry {
	char *spec;          /* first field, octal escapes decoded */
	char *file;          /* mount point ("none", "swap" kept as written) */
	char *vfstype;
	char *options;       /* as written ("defaults" when absent) */
	char **opts;         /* options split on ',' */
	int freq, passno;
	unsigned int line;
	char *text;          /* the line as written */
};

struct nc_fstab {
	struct nc_fstab_entry *v;
	size_t n;
};

struct nc_crypttab_entry {
	char *name;
	char *device;
	char *keyfile;       /* NULL when absent, "none" kept */
	char *options;
	char **opts;
	unsigned int line;
	char *text;
};

struct nc_crypttab {
	struct nc_crypttab_entry *v;
	size_t n;
};

/* An `options nvme_core io_timeout=N` line (modprobe.d) or udev rule. */
struct nc_io_timeout_source {
	char *file;
	unsigned int line;
	char *text;
	char *module;        /* "nvme_core", "nvme", or "udev" */
	char *value;
};

struct nc_boot_facts {
	struct nc_bootloader *loaders;
	size_t n_loaders;
	int primary;                 /* loader deciding the default, -1 none */

	/* The default entry of the primary loader, NULL when unresolved. */
	const struct nc_boot_entry *default_entry;

	struct nc_fstab fstab;       /* /etc/fstab */
	bool have_fstab;
	struct nc_crypttab crypttab; /* /etc/crypttab */
	bool have_crypttab;

	struct nc_kv *default_grub;  /* /etc/default/grub */
	size_t n_default_grub;
	bool have_default_grub;

	char **grubenv;              /* "key=value" from the grubenv in use */
	char *grubenv_path;

	struct nc_io_timeout_source *io_timeouts;
	size_t n_io_timeouts;

	/* Why a config could not be read or parsed (not fatal). */
	char **notes;
};

void boot_facts_free(struct nc_boot_facts *f);

/* ---- grub.c: GRUB 2 ------------------------------------------------------ */

struct nc_grub_cfg {
	struct nc_boot_entry *entries;   /* menuentries in menu order (flattened) */
	size_t n_entries;
	char *default_raw;       /* value of the last executed `set default=`, as written */
	char *default_value;     /* the same, variables expanded */
	unsigned int default_line;
	char *root;              /* top-level `set root=` */
	bool blscfg;             /* `blscfg` command: BLS entries are inserted */
	size_t blscfg_pos;       /* top-level menu position of the BLS entries */
	size_t blscfg_entry;     /* index in entries where they go */
	bool configfile;         /* stub that chains to another config */
	char **vars;             /* "key=value": top-level variables at the end */
};

/*
 * Parse grub.cfg text. env: "key=value" pairs of grubenv, applied where the
 * config runs load_env (may be NULL). file names the config in entries.
 */
int grub_cfg_parse(const char *text, const char *file, char *const *env,
		   struct nc_grub_cfg *ret);
void grub_cfg_free(struct nc_grub_cfg *c);

/*
 * Resolve a GRUB default ("2", "1>0", a title, an id, "title>title") to an
 * entry index like GRUB's menu code; -1 when it names nothing (GRUB then
 * boots entry 0).
 */
int grub_default_resolve(const struct nc_boot_entry *entries, size_t n,
			 const char *value);

/* Expand $var and ${var} of s with env ("key=value" pairs). */
char *grub_expand_vars(const char *s, char *const *env);

/* grubenv: "# GRUB Environment Block" then key=value lines, '#' padding. */
int grubenv_parse(const char *text, size_t size, char ***ret_env);
/* Look a key up in a "key=value" vector; NULL when absent. */
const char *env_get(char *const *env, const char *key);

/* /etc/default/grub: shell assignments with quoting, `export` allowed. */
int default_grub_parse(const char *text, struct nc_kv **ret, size_t *ret_n);
const struct nc_kv *kv_find(const struct nc_kv *v, size_t n, const char *key);
void kv_free(struct nc_kv *v, size_t n);

/* ---- bls.c: Boot Loader Specification entries ---------------------------- */

/* Parse one /boot/loader/entries/<stem>.conf. */
int bls_entry_parse(const char *text, const char *file, const char *stem,
		    struct nc_boot_entry *ret);
/* Sort newest first as GRUB's blscfg and systemd-boot do. */
void bls_entries_sort(struct nc_boot_entry *v, size_t n);
/* rpm-style version comparison (<0, 0, >0). */
int bls_vercmp(const char *a, const char *b);
/* Fill entry->cmdline from cmdline_raw, expanding $vars from env. */
int bls_entry_expand(struct nc_boot_entry *e, char *const *env);

/* ---- menulst.c: GRUB legacy --------------------------------------------- */

struct nc_menulst {
	struct nc_boot_entry *entries;
	size_t n_entries;
	char *default_raw;       /* "0", "saved", NULL when absent */
	unsigned int default_line;
	bool savedefault;
};

int menulst_parse(const char *text, const char *file, struct nc_menulst *ret);
void menulst_free(struct nc_menulst *m);

/* ---- extlinux.c ---------------------------------------------------------- */

struct nc_extlinux {
	struct nc_boot_entry *entries;
	size_t n_entries;
	char *default_label;     /* DEFAULT/ONTIMEOUT value, may be NULL */
	unsigned int default_line;
	int menu_default;        /* entry with MENU DEFAULT, -1 none */
};

int extlinux_parse(const char *text, const char *file, struct nc_extlinux *ret);
void extlinux_free(struct nc_extlinux *x);

/* ---- fstab.c, crypttab.c -------------------------------------------------- */

int fstab_parse(const char *text, struct nc_fstab *ret);
void fstab_free(struct nc_fstab *f);
/* Decode \040-style octal escapes; returns a new string. */
char *fstab_unescape(const char *s);
/* Option lookup: true when present; *ret_value gets "x" of "name=x" (may be NULL). */
bool fstab_has_opt(char *const *opts, const char *name, const char **ret_value);

int crypttab_parse(const char *text, struct nc_crypttab *ret);
void crypttab_free(struct nc_crypttab *c);

/* ---- cmdline.c ----------------------------------------------------------- */

struct nc_cmdline_param {
	char *key;               /* as written */
	char *value;             /* quotes removed; NULL without '=' */
	char *text;              /* the word as written */
};

struct nc_cmdline {
	struct nc_cmdline_param *v;
	size_t n;
};

/* Split like the kernel: spaces separate, double quotes group, "--" ends. */
int cmdline_parse(const char *s, struct nc_cmdline *ret);
void cmdline_free(struct nc_cmdline *c);
/* Keys compare with '-' and '_' equal, as the kernel does. */
bool cmdline_key_eq(const char *a, const char *b);
/* Last value of key (the kernel's last one wins); NULL when absent or bare. */
const struct nc_cmdline_param *cmdline_find(const struct nc_cmdline *c, const char *key);
/* All values of key (console= may repeat), a new strv (empty when none). */
char **cmdline_get_all(const struct nc_cmdline *c, const char *key);
/* Parameters whose key starts with prefix ("xen_blkfront.", "xen_pv"). */
size_t cmdline_count_prefix(const struct nc_cmdline *c, const char *prefix);

/* ---- bootdefault.c ------------------------------------------------------- */

/*
 * Find and parse every boot configuration of the snapshot, resolve the
 * default entry, and read fstab, crypttab, /etc/default/grub and nvme
 * io_timeout settings. Missing files are not errors.
 */
int boot_collect(const struct nc_snapshot *snap, struct nc_boot_facts *out,
		 struct nc_err *err);

/*
 * Does entry e boot the kernel at guest path kernel_guest_path
 * ("/boot/vmlinuz-6.1.0-18-amd64")? Handles a separate /boot ("/vmlinuz-X"),
 * GRUB device prefixes ("(hd0,1)/vmlinuz-X", "($root)/...") and BLS paths.
 * Returns 1 match, 0 no match.
 */
int boot_entry_match_kernel(const struct nc_boot_entry *e, const char *kernel_guest_path);

#endif
