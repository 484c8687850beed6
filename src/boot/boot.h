/* SPDX-License-Identifier: MIT */
/*
 * Boot configuration: bootloader entries and the default one (GRUB 2, BLS,
 * GRUB legacy, extlinux), /etc/fstab, /etc/crypttab, the kernel command line.
 * Parsers are pure functions over text; boot_collect() reads a snapshot.
 */
#ifndef NC_BOOT_H
#define NC_BOOT_H

#include <stdbool.h>
#include <stddef.h>

struct nc_boot_entry {
	char *title;
	char *id;            /* menuentry id / BLS file stem, may be NULL */
	char *kernel;        /* as written: "/vmlinuz-6.1.0-18-amd64" or "/boot/..." */
	char *initrd;        /* first initrd (after early microcode ones), may be NULL */
	char **initrds;      /* all initrds as listed */
	char *cmdline;       /* options after the kernel path */
	char *file;          /* guest path of the config it came from */
	unsigned int line;   /* 1-based line of the entry */
};

struct nc_bootloader {
	char *kind;          /* "grub2", "bls", "grub-legacy", "extlinux" */
	char *config;        /* guest path */
	struct nc_boot_entry *entries;
	size_t n_entries;
	int default_entry;   /* index into entries, -1 unresolved */
	char *default_how;   /* "grubenv saved_entry=...", "set default=\"0\"", ... */
};

struct nc_boot_facts {
	struct nc_bootloader *loaders;
	size_t n_loaders;
	/* filled by the helpers of the boot layer (fstab, crypttab, cmdline) */
	void *priv;
};

#endif
