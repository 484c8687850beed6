/* SPDX-License-Identifier: MIT */
/* Platform checks: boot mode, architecture, clean shutdown. */
#include <errno.h>

#include "common/util.h"
#include "platform/platform.h"
#include "rules/rules.h"

static bool boots_uefi(const struct nc_platform_facts *p)
{
	return p->boot_mode && (streq(p->boot_mode, "uefi") || streq(p->boot_mode, "uefi-preferred"));
}

static int check_boot_mode(const struct nc_rule *rule, const struct nc_facts *f,
			   struct nc_findings *out)
{
	const struct nc_platform_facts *p = &f->platform;
	const char *mode = p->boot_mode ? p->boot_mode : "unknown";
	const char *vars[] = { "boot_mode", mode, NULL };

	if (!streq(mode, "unknown"))
		return 0;
	return nc_finding_add(out, rule, f, rule->severity, NULL, vars,
			      "the boot mode could not be determined: %s",
			      p->boot_mode_why ? p->boot_mode_why : "no evidence");
}

static int check_uefi_only(const struct nc_rule *rule, const struct nc_facts *f,
			   struct nc_findings *out)
{
	const struct nc_platform_facts *p = &f->platform;
	struct nc_where w = { .file = p->efi_loaders ? p->efi_loaders[0] : NULL };

	if (!p->boot_mode || !streq(p->boot_mode, "uefi"))
		return 0;
	return nc_finding_add(out, rule, f, rule->severity, &w, NULL,
			      "the image boots only with UEFI (%s)", p->boot_mode_why);
}

static int check_arch(const struct nc_rule *rule, const struct nc_facts *f,
		      struct nc_findings *out)
{
	_cleanup_strv_free_ char **ok = nc_param_strv(rule, "supported");
	const struct nc_platform_facts *p = &f->platform;
	struct nc_where w = { .file = p->arch_file };
	const char *vars[] = { "arch", p->arch, NULL };

	if (!p->arch)
		return nc_finding_add(out, rule, f, NC_SEV_WARNING, NULL, NULL,
				      "the architecture could not be read: no ELF init "
				      "(/sbin/init, systemd) in the image");
	if (strv_contains(ok, p->arch))
		return 0;
	return nc_finding_add(out, rule, f, rule->severity, &w, vars,
			      "%s is built for %s (ELF e_machine %u); Nitro instances are "
			      "x86_64 or aarch64", p->arch_file, p->arch, p->elf_machine);
}

static int check_arm_uefi(const struct nc_rule *rule, const struct nc_facts *f,
			  struct nc_findings *out)
{
	const struct nc_platform_facts *p = &f->platform;
	struct nc_where w = { .file = p->arch_file };

	if (!p->arch || !streq(p->arch, "aarch64") || boots_uefi(p))
		return 0;
	return nc_finding_add(out, rule, f, rule->severity, &w, NULL,
			      "aarch64 image without a UEFI boot path (%s): Graviton boots "
			      "only UEFI", p->boot_mode_why ? p->boot_mode_why : "unknown");
}

static int check_shutdown(const struct nc_rule *rule, const struct nc_facts *f,
			  struct nc_findings *out)
{
	const struct nc_platform_facts *p = &f->platform;

	if (p->have_acpid || p->have_logind)
		return 0;
	return nc_finding_add(out, rule, f, rule->severity, NULL, NULL,
			      "%s: stop and reboot requests (ACPI power button) are ignored "
			      "until the hard stop", p->shutdown_why ? p->shutdown_why
								     : "no ACPI handler");
}

const struct nc_check nc_platform_checks[] = {
	{ "platform-boot-mode", check_boot_mode,
	  "the boot mode (UEFI/BIOS) could not be determined from the layout and files" },
	{ "platform-uefi-only", check_uefi_only,
	  "the image boots only with UEFI: the AMI must be registered with --boot-mode uefi" },
	{ "platform-arch", check_arch,
	  "param supported: the architecture of init's ELF header is not among them" },
	{ "platform-arm-uefi", check_arm_uefi,
	  "an aarch64 image without a UEFI boot path" },
	{ "platform-shutdown", check_shutdown,
	  "neither acpid nor systemd-logind handles the ACPI power button" },
	{ NULL },
};
