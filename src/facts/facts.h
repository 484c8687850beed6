/* SPDX-License-Identifier: MIT */
/*
 * Facts: everything the analyzers learned about one image, in one plain
 * struct. Analyzers fill it from the snapshot directory; rules read it;
 * reports never see it (they render findings and the kernel summary).
 *
 * Paths stored here are guest paths ("/boot/vmlinuz-6.1.0-18-amd64"); the
 * snapshot maps them to host files under snap->root.
 */
#ifndef NC_FACTS_H
#define NC_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"
#include "net/net.h"
#include "platform/platform.h"
#include "xen/xen.h"

/* ---- The snapshot: a sparse host-side mirror of the guest ---------------- */
struct nc_snapshot {
	char *root;     /* host directory; guest "/" */
	int rootfd;     /* O_PATH|O_DIRECTORY fd of root */
	bool owned;     /* a temporary directory we remove at the end */
};

/* ---- Block layout (libblkid, on the host or in the appliance) ------------ */
struct nc_partition {
	int number;              /* 1-based, 0 for a whole-disk filesystem */
	char *device;            /* as the appliance or host named it */
	uint64_t start, size;    /* bytes */
	char *part_type;         /* GPT type GUID or MBR type "0x83" */
	char *partuuid, *partlabel;
	char *fstype, *uuid, *label;
	bool is_esp, is_bios_boot, bootable;
};

struct nc_block_layout {
	char *pttype;            /* "gpt", "dos", NULL when no table */
	char *disk_id;           /* GPT disk GUID / MBR signature */
	struct nc_partition *parts;
	size_t n_parts;
	/* Filesystems not on a partition of the disk: LVM LVs, md, ... */
	struct nc_partition *volumes;
	size_t n_volumes;
};

/* ---- OS ------------------------------------------------------------------ */
enum nc_os_family {
	NC_FAMILY_UNKNOWN,
	NC_FAMILY_DEBIAN,   /* Debian, Ubuntu */
	NC_FAMILY_RHEL,     /* RHEL, CentOS, Rocky, Alma, Fedora, Amazon Linux */
	NC_FAMILY_SUSE,
	NC_FAMILY_ARCH,
	NC_FAMILY_ALPINE,
};

struct nc_os_info {
	char *id, *id_like, *version_id, *pretty_name;
	enum nc_os_family family;
	char *arch;              /* "x86_64", "aarch64" (from /sbin/init ELF) */
};

const char *nc_os_family_name(enum nc_os_family f);

/* ---- Drivers ------------------------------------------------------------- */
enum nc_driver_status {
	NC_DRV_MISSING,
	NC_DRV_BUILTIN,
	NC_DRV_MODULE,
	NC_DRV_UNUSABLE,    /* a module exists but cannot load: vermagic, deps */
};

const char *nc_driver_status_name(enum nc_driver_status s);

/* One required driver as the rules describe it (rules/drivers.json). */
struct nc_driver_spec {
	char *name;             /* "nvme", "ena" */
	char *role;             /* "storage", "network" */
	char **modules;         /* module names that must all be available */
	char **config;          /* CONFIG_ symbols meaning "built in" */
	char **aliases;         /* modalias patterns, e.g. "pci:v00001D0Fd0000EC20*" */
	char *min_version_warn; /* "2.2.9" or NULL */
	char *min_version_error;
};

/* One module of a driver, as found for one kernel. */
struct nc_module {
	char *name;             /* "nvme_core" normalised with '_' */
	enum nc_driver_status status;
	char *path;             /* guest path of the .ko* file, NULL if builtin/missing */
	char *found_by;         /* "modules.builtin", "modules.dep", "modules.alias pci:v...", "CONFIG_BLK_DEV_NVME=y" */
	char *vermagic;         /* NULL if unread */
	bool vermagic_ok;
	char *version;          /* modinfo version, NULL when absent (in-tree) */
	char **depends;         /* modinfo depends */
	char **missing_depends; /* depends that are themselves unavailable */
	char *error;            /* why unusable / unreadable */
	bool in_initramfs;
	char *initramfs_path;   /* path of the file inside the initramfs */
};

struct nc_driver {
	const struct nc_driver_spec *spec;
	enum nc_driver_status status;   /* worst of its modules */
	struct nc_module *modules;
	size_t n_modules;
	bool in_initramfs;              /* all modules (and deps) present */
	char **initramfs_missing;       /* module files missing from the initramfs */
};

/* ---- initramfs ----------------------------------------------------------- */
struct nc_initramfs {
	char *path;              /* guest path */
	int error;               /* 0, or -errno when it could not be read */
	char *error_msg;
	char *generator;         /* "dracut", "initramfs-tools", "mkinitcpio", "unknown" */
	char **segments;         /* one per archive: "cpio", "cpio+gzip", "cpio+zstd" */
	char **files;            /* sorted, normalised: "usr/lib/modules/.../nvme.ko.xz" */
	uint64_t total_size;     /* uncompressed bytes of regular files */
	bool has_xen_blkfront;
};

/* ---- Kernels ------------------------------------------------------------- */
struct nc_kernel {
	char *version;           /* "6.1.0-18-amd64" */
	char *version_source;    /* "bzImage header", "file name", "ELF" */
	char *banner;            /* full kernel_version string from the header */
	char *image_path;        /* guest path of vmlinuz */
	char *arch;
	char *config_path, *sysmap_path, *modules_dir, *initrd_path;
	bool is_default;
	bool is_kdump;
	char *cmdline;           /* from the boot entry that boots it, if any */
	const struct nc_boot_entry *entry;
	struct nc_initramfs initramfs; /* path NULL when the kernel has none */
	struct nc_driver *drivers;     /* one per spec, same order */
	size_t n_drivers;
	bool xenlinux_pv_only;   /* CONFIG_X86_XEN / CONFIG_X86_64_XEN */
	bool config_xen_pv;      /* CONFIG_XEN_PV=y: pv_ops, fine anywhere */
	char *nvme_io_timeout_type; /* "uint", "byte", ... from modinfo parm */
};

struct nc_facts {
	char *image;             /* what the user named: file or --root DIR */
	struct nc_snapshot snap;
	struct nc_os_info os;
	bool is_windows;
	bool have_layout;        /* false with --root */
	struct nc_block_layout layout;

	struct nc_driver_spec *driver_specs;
	size_t n_driver_specs;

	struct nc_kernel *kernels;   /* sorted: default first, then newest */
	size_t n_kernels;
	int default_kernel;          /* index, -1 when there is no kernel */
	char *default_reason;        /* how the default was found, or why not */
	bool default_unresolved;     /* the newest kernel was assumed */

	struct nc_boot_facts boot;   /* bootloader, entries, fstab, crypttab, cmdline */
	struct nc_net_facts net;     /* network config, NIC naming */
	struct nc_xen_facts xen;     /* Xen-only dependencies */

	/* Notes from the collection that are not errors but the report must
	 * show (e.g. "no block layout with --root"). */
	char **notes;
	struct nc_platform_facts platform; /* boot mode, arch, clean shutdown */
};

void nc_facts_free(struct nc_facts *f);
void nc_block_layout_free(struct nc_block_layout *l);
void nc_partition_clear(struct nc_partition *p);

#endif
