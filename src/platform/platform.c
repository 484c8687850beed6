/* SPDX-License-Identifier: MIT */
/*
 * Platform facts: boot mode from the partition table and the ESP's
 * contents, architecture from the ELF header of init (libelf), and the
 * pieces that turn an ACPI power button press into a clean shutdown.
 */
#include "platform/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <strings.h>

#include "common/snapfs.h"
#include "common/util.h"
#include "facts/facts.h"

#define GUID_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GUID_BIOS_BOOT "21686148-6449-6E6F-744E-656564454649"

const char *platform_arch_name(unsigned int machine)
{
	switch (machine) {
	case EM_X86_64:
		return "x86_64";
	case EM_AARCH64:
		return "aarch64";
	case EM_386:
		return "i386";
	case EM_ARM:
		return "arm";
	case EM_PPC64:
		return "ppc64";
	case EM_S390:
		return "s390x";
	case EM_RISCV:
		return "riscv64";
	}
	return NULL;
}

static int elf_machine_of(Elf *elf, unsigned int *ret_machine)
{
	GElf_Ehdr ehdr;

	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr))
		return -ENOEXEC;
	*ret_machine = ehdr.e_machine;
	return 0;
}

int platform_elf_machine(const void *data, size_t size, unsigned int *ret_machine)
{
	_cleanup_free_ char *copy = NULL;
	Elf *elf;
	int r;

	if (size < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	/* libelf wants a writable image; the header is all we need. */
	copy = malloc(size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, size);
	elf = elf_memory(copy, size);
	r = elf_machine_of(elf, ret_machine);
	if (elf)
		elf_end(elf);
	return r;
}

static bool guid_eq(const char *a, const char *b)
{
	return a && strcasecmp(a, b) == 0;
}

static bool part_is_esp(const struct nc_partition *p)
{
	return p->is_esp || guid_eq(p->part_type, GUID_ESP) ||
	       (p->part_type && strcasecmp(p->part_type, "0xef") == 0);
}

static bool part_is_bios_boot(const struct nc_partition *p)
{
	return p->is_bios_boot || guid_eq(p->part_type, GUID_BIOS_BOOT);
}

int platform_boot_mode(const struct nc_block_layout *layout, char *const *efi_loaders,
		       bool has_grub_pc, struct nc_platform_facts *out)
{
	bool uefi, bios, dos = false;
	const char *bios_why = NULL;
	_cleanup_free_ char *uefi_why = NULL;

	out->has_grub_pc = has_grub_pc;
	if (layout) {
		dos = layout->pttype && streq(layout->pttype, "dos");
		out->from_layout = true;
		for (size_t i = 0; i < layout->n_parts; i++) {
			const struct nc_partition *p = &layout->parts[i];

			if (part_is_esp(p) && !out->has_esp) {
				out->has_esp = true;
				out->esp_device = p->device ? strdup(p->device)
							    : strdup_printf("partition %d", p->number);
				if (!out->esp_device)
					return -ENOMEM;
			}
			if (part_is_bios_boot(p))
				out->has_bios_boot = true;
			if (dos && p->bootable)
				out->mbr_bootable = true;
		}
	}
	/* UEFI needs an ESP (or, without a layout, a mounted one) holding a loader. */
	if (layout)
		uefi = out->has_esp && efi_loaders && efi_loaders[0];
	else
		uefi = efi_loaders && efi_loaders[0];
	if (uefi)
		uefi_why = strdup_printf("%s%s holds %s", layout ? "ESP " : "",
					 layout ? out->esp_device : "the ESP", efi_loaders[0]);
	else if (out->has_esp)
		uefi_why = strdup_printf("ESP %s holds no EFI loader", out->esp_device);
	if ((uefi || out->has_esp) && !uefi_why)
		return -ENOMEM;

	if (out->has_bios_boot)
		bios_why = "a BIOS boot partition";
	else if (out->mbr_bootable)
		bios_why = "an MBR partition marked bootable";
	else if (dos && has_grub_pc)
		bios_why = "an MBR table and BIOS GRUB (/boot/grub/i386-pc)";
	else if (!layout && has_grub_pc)
		bios_why = "BIOS GRUB (/boot/grub/i386-pc)";
	bios = bios_why != NULL;

	free(out->boot_mode);
	free(out->boot_mode_why);
	out->boot_mode = strdup(uefi && bios ? "uefi-preferred" : uefi ? "uefi"
				: bios ? "bios" : "unknown");
	if (uefi && bios)
		out->boot_mode_why = strdup_printf("%s, and %s", uefi_why, bios_why);
	else if (uefi)
		out->boot_mode_why = strdup(uefi_why);
	else if (bios)
		out->boot_mode_why = strdup_printf("%s%s%s", bios_why,
						   uefi_why ? "; " : "", uefi_why ? uefi_why : "");
	else
		out->boot_mode_why = strdup_printf(
			"%s%s%s", uefi_why ? uefi_why : "",
			uefi_why ? "; no BIOS boot partition or bootable MBR partition" : "",
			uefi_why ? "" : layout ? "no ESP with a loader, no BIOS boot partition, no "
						 "bootable MBR partition"
					       : "no boot loader files");
	if (!layout && out->boot_mode_why) {
		char *s = strdup_printf("%s (from files only: no block layout)",
					out->boot_mode_why);

		free(out->boot_mode_why);
		out->boot_mode_why = s;
	}
	return out->boot_mode && out->boot_mode_why ? 0 : -ENOMEM;
}

/* /boot/efi/EFI/<vendor>/<x>.efi, any case (FAT ignores it). */
static int find_efi_loaders(int rootfd, char ***ret)
{
	static const char *const mounts[] = { "/boot/efi/EFI", "/efi/EFI", "/boot/EFI", NULL };
	_cleanup_strv_free_ char **v = NULL;

	for (size_t m = 0; mounts[m]; m++) {
		_cleanup_strv_free_ char **vendors = NULL;
		int r = snapfs_list_dir(rootfd, mounts[m], "*", &vendors);

		if (r == -ENOMEM)
			return r;
		for (size_t i = 0; r >= 0 && vendors[i]; i++) {
			_cleanup_free_ char *vdir = path_join(mounts[m], vendors[i]);
			_cleanup_strv_free_ char **files = NULL;
			int rv = vdir ? snapfs_list_dir(rootfd, vdir, NULL, &files) : -ENOMEM;

			if (rv == -ENOMEM)
				return rv;
			for (size_t j = 0; rv >= 0 && files[j]; j++)
				if (fnmatch("*.efi", files[j], FNM_CASEFOLD) == 0 &&
				    strv_push(&v, path_join(vdir, files[j])) < 0)
					return -ENOMEM;
		}
	}
	strv_sort(v);
	*ret = TAKE_PTR(v);
	return 0;
}

/* Architecture from the first init-like ELF file (symlinks resolved in the root). */
static int collect_arch(int rootfd, struct nc_platform_facts *out)
{
	static const char *const inits[] = {
		"/sbin/init", "/lib/systemd/systemd", "/usr/lib/systemd/systemd",
		"/usr/sbin/init", "/bin/sh", "/usr/bin/sh", NULL,
	};

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	for (size_t i = 0; inits[i]; i++) {
		_cleanup_close_ int fd = snapfs_open(rootfd, inits[i], O_RDONLY);
		unsigned int machine;
		Elf *elf;
		int r;

		if (fd < 0)
			continue;
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		r = elf_machine_of(elf, &machine);
		if (elf)
			elf_end(elf);
		if (r < 0)
			continue;  /* a script (busybox wrappers) or unreadable */
		out->elf_machine = machine;
		out->arch_file = strdup(inits[i]);
		out->arch = strdup(platform_arch_name(machine) ? platform_arch_name(machine)
							       : "unknown");
		return out->arch_file && out->arch ? 0 : -ENOMEM;
	}
	return 0;
}

/* logind handles the power key unless logind.conf says HandlePowerKey=ignore. */
static bool logind_ignores_power_key(int rootfd)
{
	_cleanup_free_ char *text = NULL;
	char *cur, *l;
	bool ignore = false;

	if (snapfs_read_file(rootfd, "/etc/systemd/logind.conf", 1 << 20, &text, NULL) < 0)
		return false;
	cur = text;
	while ((l = line_next(&cur))) {
		const char *v = startswith(strstrip(l), "HandlePowerKey=");

		if (v)
			ignore = streq(v, "ignore");
	}
	return ignore;
}

static int collect_shutdown(int rootfd, struct nc_platform_facts *out)
{
	static const char *const acpid[] = { "/usr/sbin/acpid", "/sbin/acpid", NULL };
	static const char *const logind[] = { "/usr/lib/systemd/systemd-logind",
					      "/lib/systemd/systemd-logind", NULL };
	const char *a = snapfs_first_existing(rootfd, acpid), *l = snapfs_first_existing(rootfd, logind);
	bool ignored = l && logind_ignores_power_key(rootfd);

	out->have_acpid = a != NULL;
	out->have_logind = l != NULL && !ignored;
	if ((a && !(out->acpid_path = strdup(a))) || (l && !(out->logind_path = strdup(l))))
		return -ENOMEM;
	if (a)
		out->shutdown_why = strdup_printf("%s handles the ACPI power button", a);
	else if (out->have_logind)
		out->shutdown_why = strdup_printf("%s handles the ACPI power button", l);
	else if (ignored)
		out->shutdown_why = strdup("/etc/systemd/logind.conf sets HandlePowerKey=ignore "
					   "and there is no acpid");
	else
		out->shutdown_why = strdup("neither acpid nor systemd-logind is installed");
	return out->shutdown_why ? 0 : -ENOMEM;
}

int platform_collect(const struct nc_snapshot *snap, const struct nc_block_layout *layout,
		     bool have_layout, struct nc_platform_facts *out, struct nc_err *err)
{
	_cleanup_strv_free_ char **loaders = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = find_efi_loaders(snap->rootfd, &loaders);
	if (r >= 0)
		r = platform_boot_mode(have_layout ? layout : NULL, loaders,
				       snapfs_exists(snap->rootfd, "/boot/grub/i386-pc") ||
					       snapfs_exists(snap->rootfd, "/boot/grub2/i386-pc"),
				       out);
	if (r >= 0) {
		out->efi_loaders = TAKE_PTR(loaders);
		r = collect_arch(snap->rootfd, out);
	}
	if (r >= 0)
		r = collect_shutdown(snap->rootfd, out);
	if (r < 0) {
		platform_facts_free(out);
		return nc_err_set(err, r, "%s: collecting platform facts: %s", snap->root,
				  strerror(-r));
	}
	return 0;
}

void platform_facts_free(struct nc_platform_facts *p)
{
	free(p->boot_mode);
	free(p->boot_mode_why);
	free(p->esp_device);
	strv_free(p->efi_loaders);
	free(p->arch);
	free(p->arch_file);
	free(p->acpid_path);
	free(p->logind_path);
	free(p->shutdown_why);
	memset(p, 0, sizeof(*p));
}
