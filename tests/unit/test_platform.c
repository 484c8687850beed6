/* SPDX-License-Identifier: MIT */
/*
 * Platform facts and checks: boot mode from hand-built layouts, the
 * architecture from this machine's own init, shutdown handlers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <elf.h>

#include "common/util.h"
#include "platform/platform.h"
#include "rules/rules.h"
#include "tree_test_util.h"

/* Until the boot layer exports its table; the real one wins when linked. */
__attribute__((weak)) const struct nc_check nc_boot_checks[] = { { NULL } };

#define ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define BIOS_BOOT "21686148-6449-6e6f-744e-656564454649"
#define LINUX_FS "0FC63DAF-8483-4772-8E79-3D69D8477DE4"

static char *loaders[] = { "/boot/efi/EFI/debian/shimx64.efi", NULL };

static void test_gpt_esp_and_bios_boot(void **state)
{
	/* Debian 12 cloud image layout: BIOS boot, ESP, root. */
	struct nc_partition parts[] = {
		{ .number = 14, .device = "/dev/sda14", .part_type = BIOS_BOOT },
		{ .number = 15, .device = "/dev/sda15", .part_type = ESP, .fstype = "vfat" },
		{ .number = 1, .device = "/dev/sda1", .part_type = LINUX_FS, .fstype = "ext4" },
	};
	struct nc_block_layout l = { .pttype = "gpt", .parts = parts, .n_parts = 3 };
	struct nc_platform_facts p = { 0 };

	assert_int_equal(platform_boot_mode(&l, loaders, true, &p), 0);
	assert_string_equal(p.boot_mode, "uefi-preferred");
	assert_true(p.has_esp && p.has_bios_boot && p.from_layout);
	assert_string_equal(p.esp_device, "/dev/sda15");
	assert_non_null(strstr(p.boot_mode_why, "shimx64.efi"));
	assert_non_null(strstr(p.boot_mode_why, "BIOS boot partition"));
	platform_facts_free(&p);

	/* The same disk without the BIOS boot partition: UEFI only. */
	l.parts = parts + 1;
	l.n_parts = 2;
	assert_int_equal(platform_boot_mode(&l, loaders, false, &p), 0);
	assert_string_equal(p.boot_mode, "uefi");
	platform_facts_free(&p);

	/* An ESP with nothing in it does not boot. */
	assert_int_equal(platform_boot_mode(&l, NULL, false, &p), 0);
	assert_string_equal(p.boot_mode, "unknown");
	assert_non_null(strstr(p.boot_mode_why, "no EFI loader"));
	platform_facts_free(&p);
}

static void test_mbr(void **state)
{
	struct nc_partition parts[] = {
		{ .number = 1, .device = "/dev/sda1", .part_type = "0x83", .fstype = "ext4",
		  .bootable = true },
	};
	struct nc_partition plain[] = {
		{ .number = 1, .device = "/dev/sda1", .part_type = "0x83", .fstype = "ext4" },
	};
	struct nc_partition efi_on_mbr[] = {
		{ .number = 1, .device = "/dev/vda1", .part_type = "0xef", .fstype = "vfat" },
		{ .number = 2, .device = "/dev/vda2", .part_type = "0x83", .bootable = true },
	};
	struct nc_block_layout l = { .pttype = "dos", .parts = parts, .n_parts = 1 };
	struct nc_platform_facts p = { 0 };

	assert_int_equal(platform_boot_mode(&l, NULL, false, &p), 0);
	assert_string_equal(p.boot_mode, "bios");
	assert_true(p.mbr_bootable);
	platform_facts_free(&p);

	/* No active flag: GRUB's i386-pc modules show boot code in the MBR. */
	l.parts = plain;
	assert_int_equal(platform_boot_mode(&l, NULL, true, &p), 0);
	assert_string_equal(p.boot_mode, "bios");
	platform_facts_free(&p);
	assert_int_equal(platform_boot_mode(&l, NULL, false, &p), 0);
	assert_string_equal(p.boot_mode, "unknown");
	platform_facts_free(&p);

	l.parts = efi_on_mbr;
	l.n_parts = 2;
	assert_int_equal(platform_boot_mode(&l, loaders, false, &p), 0);
	assert_string_equal(p.boot_mode, "uefi-preferred");
	assert_string_equal(p.esp_device, "/dev/vda1");
	platform_facts_free(&p);

	/* --root: no layout, the files decide and say so. */
	assert_int_equal(platform_boot_mode(NULL, loaders, false, &p), 0);
	assert_string_equal(p.boot_mode, "uefi");
	assert_false(p.from_layout);
	assert_non_null(strstr(p.boot_mode_why, "no block layout"));
	platform_facts_free(&p);
}

/* This machine's init, read as bytes and through a guest tree. */
static void test_arch_of_real_init(void **state)
{
	_cleanup_free_ char *data = NULL;
	size_t size;
	unsigned int machine = 0;
	char *root;
	struct nc_snapshot snap;
	struct nc_platform_facts p;

	if (read_file_full("/sbin/init", 128u << 20, &data, &size) < 0)
		skip();
	assert_int_equal(platform_elf_machine(data, size, &machine), 0);
#if defined(__x86_64__)
	assert_int_equal(machine, EM_X86_64);
	assert_string_equal(platform_arch_name(machine), "x86_64");
#elif defined(__aarch64__)
	assert_int_equal(machine, EM_AARCH64);
#endif
	assert_int_equal(platform_elf_machine("#!/bin/sh\n", 10, &machine), -ENOEXEC);

	/* merged /usr: /sbin/init -> /lib/systemd/systemd, /lib -> usr/lib. */
	root = tree_new();
	assert_int_equal(tree_copy(root, "/usr/lib/systemd/systemd", "/sbin/init"), 0);
	assert_int_equal(tree_symlink(root, "/lib", "usr/lib"), 0);
	assert_int_equal(tree_symlink(root, "/sbin/init", "/lib/systemd/systemd"), 0);
	assert_int_equal(tree_write(root, "/usr/lib/systemd/systemd-logind", "ELF"), 0);
	assert_int_equal(tree_write(root, "/boot/efi/EFI/debian/GRUBX64.EFI", "MZ"), 0);
	assert_int_equal(snap_open(root, &snap), 0);
	assert_int_equal(platform_collect(&snap, NULL, false, &p, NULL), 0);
	assert_string_equal(p.arch, platform_arch_name(machine));
	assert_string_equal(p.arch_file, "/sbin/init");
	assert_int_equal(p.elf_machine, machine);
	assert_true(p.have_logind);
	assert_false(p.have_acpid);
	assert_string_equal(p.boot_mode, "uefi");
	assert_string_equal(p.efi_loaders[0], "/boot/efi/EFI/debian/GRUBX64.EFI");
	platform_facts_free(&p);
	close(snap.rootfd);
	tree_free(root);
}

/* An absolute symlink must resolve inside the snapshot, never on the host. */
static void test_symlink_stays_in_root(void **state)
{
	char *root = tree_new();
	struct nc_snapshot snap;
	struct nc_platform_facts p;

	assert_int_equal(tree_symlink(root, "/sbin/init", "/../../../../usr/lib/systemd/systemd"), 0);
	assert_int_equal(tree_symlink(root, "/bin/sh", "/bin/dash"), 0);
	assert_int_equal(snap_open(root, &snap), 0);
	assert_int_equal(platform_collect(&snap, NULL, false, &p, NULL), 0);
	assert_null(p.arch);
	assert_string_equal(p.boot_mode, "unknown");
	assert_non_null(strstr(p.shutdown_why, "neither acpid nor systemd-logind"));
	platform_facts_free(&p);
	close(snap.rootfd);
	tree_free(root);
}

struct env {
	struct nc_facts f;
	struct nc_ruleset rs;
	struct nc_findings out;
};

static void evaluate(struct env *e)
{
	_cleanup_free_ char *rules = NULL;
	const char *src = getenv("NC_SOURCE_ROOT");

	rules = path_join(src ? src : NC_SOURCE_RULES_DIR "/..", "rules/platform.json");
	assert_int_equal(nc_ruleset_load_file(&e->rs, rules, NULL), 0);
	assert_int_equal(nc_rules_evaluate(&e->rs, &e->f, &e->out, NULL), 0);
}

static const struct nc_finding *find(const struct env *e, const char *id)
{
	for (size_t i = 0; i < e->out.n; i++)
		if (streq(e->out.v[i].rule_id, id))
			return &e->out.v[i];
	return NULL;
}

static void env_free(struct env *e)
{
	nc_findings_free(&e->out);
	nc_ruleset_free(&e->rs);
}

static void test_checks(void **state)
{
	struct env arm_bios = { .f = { .default_kernel = -1, .platform = {
		.arch = "aarch64", .arch_file = "/sbin/init", .elf_machine = EM_AARCH64,
		.boot_mode = "bios", .boot_mode_why = "a BIOS boot partition",
		.have_acpid = true } } };
	struct env i386 = { .f = { .default_kernel = -1, .platform = {
		.arch = "i386", .arch_file = "/sbin/init", .elf_machine = EM_386,
		.boot_mode = "unknown", .boot_mode_why = "nothing" } } };
	struct env good = { .f = { .default_kernel = -1, .platform = {
		.arch = "x86_64", .arch_file = "/sbin/init", .elf_machine = EM_X86_64,
		.boot_mode = "uefi-preferred", .boot_mode_why = "x", .have_logind = true } } };
	const struct nc_finding *f;

	evaluate(&arm_bios);
	assert_int_equal(arm_bios.out.n, 1);
	f = find(&arm_bios, "platform-aarch64-needs-uefi");
	assert_non_null(f);
	assert_int_equal(f->severity, NC_SEV_ERROR);
	assert_string_equal(f->file, "/sbin/init");
	env_free(&arm_bios);

	evaluate(&i386);
	assert_non_null(find(&i386, "platform-arch-unsupported"));
	assert_non_null(find(&i386, "platform-boot-mode-unknown"));
	assert_non_null(find(&i386, "platform-no-clean-shutdown"));
	assert_int_equal(i386.out.n, 3);
	assert_int_equal(i386.out.v[0].severity, NC_SEV_ERROR);
	env_free(&i386);

	evaluate(&good);
	assert_int_equal(good.out.n, 0);
	env_free(&good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpt_esp_and_bios_boot),
		cmocka_unit_test(test_mbr),
		cmocka_unit_test(test_arch_of_real_init),
		cmocka_unit_test(test_symlink_stays_in_root),
		cmocka_unit_test(test_checks),
	};

	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
