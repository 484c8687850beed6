/* SPDX-License-Identifier: MIT */
/*
 * What `nitrocheck boot IMAGE` boots: the scanner's own answer to "which
 * kernel, initramfs and command line does this image's boot loader start".
 * One appliance launch copies /boot and /etc out of the image (read-only),
 * the scanner's analyzers resolve the default kernel, and the plan names
 * host files inside that snapshot.
 */
#ifndef NC_BOOTCHECK_BOOTPLAN_H
#define NC_BOOTCHECK_BOOTPLAN_H

#include "common/util.h"
#include "facts/facts.h"

struct nc_ruleset;

struct nc_boot_plan {
	struct nc_facts facts;     /* the snapshot and what the scan knows */
	struct nc_ruleset *rules;  /* the driver specs the facts point into */
	char *kernel;              /* host path of the default kernel's image */
	char *initrd;              /* host path of its initramfs, NULL if none */
	char *cmdline;             /* its boot entry's command line ("" if none) */
	const char *version;       /* kernel version (in facts) */
	const char *how;           /* how the default was chosen (in facts) */
};

/*
 * rules_dir: the rules to read (driver specs, snapshot spec); NULL for the
 * default. Errors name the image and the problem: not an image, no Linux,
 * no kernel in /boot.
 */
int boot_plan_from_image(const char *image, const char *rules_dir, struct nc_boot_plan *plan,
			 struct nc_err *err);
void boot_plan_free(struct nc_boot_plan *plan);

/* File names boot_plan_save writes inside its directory. */
#define BOOT_PLAN_KERNEL "vmlinuz"
#define BOOT_PLAN_INITRD "initrd.img"
#define BOOT_PLAN_CMDLINE "cmdline"

/*
 * Copies the plan's kernel and initramfs into dir (created if missing) as
 * BOOT_PLAN_KERNEL and BOOT_PLAN_INITRD, and its command line into
 * BOOT_PLAN_CMDLINE (one line), so a machine that cannot read the image
 * (e.g. the KVM lab, whose nested libguestfs appliance is unreliable) boots
 * exactly what the image's boot loader would. A stale initrd.img is removed
 * when the plan has none. Errors name the file.
 */
int boot_plan_save(const struct nc_boot_plan *plan, const char *dir, struct nc_err *err);

#endif
