/* SPDX-License-Identifier: MIT */
/*
 * Platform facts: how the image boots (UEFI, legacy BIOS or both), its
 * architecture (from the ELF header of init) and whether it can shut down
 * cleanly when the hypervisor asks (ACPI power button: acpid or logind).
 */
#ifndef NC_PLATFORM_H
#define NC_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nc_err;
struct nc_snapshot;
struct nc_block_layout;

struct nc_platform_facts {
	char *boot_mode;         /* "uefi", "bios", "uefi-preferred", "unknown" */
	char *boot_mode_why;     /* the evidence, one sentence */
	bool from_layout;        /* decided from the partition table */
	bool has_esp, has_bios_boot, mbr_bootable;
	char *esp_device;        /* the ESP partition, if any */
	char **efi_loaders;      /* guest paths of *.efi under the ESP mount */
	bool has_grub_pc;        /* /boot/grub/i386-pc (BIOS GRUB modules) */

	char *arch;              /* "x86_64", "aarch64", ..., NULL if unknown */
	char *arch_file;         /* guest path of the ELF file it came from */
	unsigned int elf_machine; /* EM_* */

	bool have_acpid, have_logind;
	char *acpid_path, *logind_path;
	char *shutdown_why;
};

/* The architecture name for an ELF e_machine (NULL when unknown). */
const char *platform_arch_name(unsigned int machine);

/* ELF header of a file image: the e_machine of an ELF executable. */
int platform_elf_machine(const void *data, size_t size, unsigned int *ret_machine);

/*
 * Boot mode from a block layout and the EFI loaders / GRUB directories of
 * the snapshot (pure: tests build layouts by hand). layout may be NULL.
 */
int platform_boot_mode(const struct nc_block_layout *layout, char *const *efi_loaders,
		       bool has_grub_pc, struct nc_platform_facts *out);

int platform_collect(const struct nc_snapshot *snap, const struct nc_block_layout *layout,
		     bool have_layout, struct nc_platform_facts *out, struct nc_err *err);
void platform_facts_free(struct nc_platform_facts *p);

#endif
