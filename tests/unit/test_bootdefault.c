/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "boot/boot.h"
#include "common/util.h"
#include "facts/facts.h"
#include "boot_test_util.h"
#include "boot_check_util.h"

#define U "2b6d4c1e-8a3f-4f0e-9d7a-5c1b2e3f4a5b"
#define MID "8d5e3f1b2c4a4e6f9a0b1c2d3e4f5a6b"

struct tree {
	char root[64];
	struct nc_snapshot snap;
};

static void tree_new(struct tree *t)
{
	strcpy(t->root, "/tmp/nc-boot-test-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	t->snap.root = t->root;
	t->snap.rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->snap.rootfd >= 0);
}

static void put(struct tree *t, const char *rel, const char *text)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", t->root, rel);
	FILE *f;

	for (char *p = path + strlen(t->root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void tree_free(struct tree *t)
{
	close(t->snap.rootfd);
	nftw(t->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Open a fixture directory directly as the snapshot. */
static void fixture_snap(const char *name, struct nc_snapshot *s)
{
	s->root = fixture_path(name);
	s->rootfd = open(s->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(s->rootfd >= 0);
}

static void fixture_snap_free(struct nc_snapshot *s)
{
	close(s->rootfd);
	free(s->root);
}

static void test_debian12(void **state)
{
	struct nc_snapshot s;
	struct nc_boot_facts b;
	struct nc_err err = {};

	fixture_snap("debian12", &s);
	assert_int_equal(boot_collect(&s, &b, &err), 0);
	assert_int_equal(b.n_loaders, 1);
	assert_string_equal(b.loaders[0].kind, "grub2");
	assert_string_equal(b.loaders[0].config, "/boot/grub/grub.cfg");
	assert_int_equal(b.loaders[0].n_entries, 5);
	assert_int_equal(b.loaders[0].default_entry, 0);
	assert_string_equal(b.loaders[0].default_how, "/boot/grub/grub.cfg:19 set default=\"0\"");
	assert_int_equal(b.primary, 0);
	assert_ptr_equal(b.default_entry, &b.loaders[0].entries[0]);
	assert_true(boot_entry_match_kernel(b.default_entry, "/boot/vmlinuz-6.1.0-18-amd64"));
	assert_false(boot_entry_match_kernel(b.default_entry, "/boot/vmlinuz-6.1.0-17-amd64"));
	assert_true(b.have_default_grub);
	assert_string_equal(kv_find(b.default_grub, b.n_default_grub, "GRUB_DEFAULT")->value, "0");
	assert_false(b.have_fstab);
	assert_null(b.grubenv);
	boot_facts_free(&b);
	fixture_snap_free(&s);
}

static void test_debian12_saved(void **state)
{
	_cleanup_free_ char *cfg = fixture_read("debian12/boot/grub/grub.cfg", NULL);
	_cleanup_free_ char *env_id = grubenv_block(
		"saved_entry=gnulinux-advanced-" U ">gnulinux-6.1.0-17-amd64-advanced-" U "\n");
	_cleanup_free_ char *env_gone = grubenv_block(
		"saved_entry=gnulinux-advanced-" U ">gnulinux-6.1.0-13-amd64-advanced-" U "\n");
	char *p = strstr(cfg, "set default=\"0\"");
	struct nc_boot_facts b;
	struct tree t;

	assert_non_null(p);
	/* What grub-mkconfig writes for GRUB_DEFAULT=saved. */
	_cleanup_free_ char *saved = strdup_printf("%.*sset default=\"${saved_entry}\"%s",
		(int)(p - cfg), cfg, p + strlen("set default=\"0\""));

	tree_new(&t);
	put(&t, "boot/grub/grub.cfg", saved);
	put(&t, "boot/grub/grubenv", env_id);
	put(&t, "etc/default/grub", "GRUB_DEFAULT=saved\nGRUB_SAVEDEFAULT=true\n");
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_int_equal(b.loaders[0].default_entry, 3);
	assert_string_equal(b.loaders[0].default_how,
		"/boot/grub/grubenv saved_entry='gnulinux-advanced-" U ">gnulinux-6.1.0-17-amd64-advanced-" U "'");
	assert_string_equal(b.default_entry->kernel, "/boot/vmlinuz-6.1.0-17-amd64");
	assert_string_equal(b.grubenv_path, "/boot/grub/grubenv");
	assert_false(b.loaders[0].default_fallback);
	boot_facts_free(&b);

	/* The saved kernel was removed since: GRUB boots entry 0. */
	put(&t, "boot/grub/grubenv", env_gone);
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_int_equal(b.loaders[0].default_entry, 0);
	assert_non_null(strstr(b.loaders[0].default_how, "matches no menu entry: GRUB boots the first entry"));
	assert_true(b.loaders[0].default_fallback);

	/* ... and the rule says so, pointing at grub.cfg. */
	struct nc_facts f = { .default_kernel = -1, .boot = b };
	struct nc_findings out;
	const struct nc_finding *x;

	run_boot_rules(&f, &out);
	assert_int_equal(finding_count(&out, "boot-default-fallback"), 1);
	x = finding_nth(&out, "boot-default-fallback", 0);
	assert_int_equal(x->severity, NC_SEV_WARNING);
	assert_string_equal(x->file, "/boot/grub/grub.cfg");
	assert_non_null(strstr(x->message, "gnulinux-6.1.0-13-amd64-advanced"));
	assert_non_null(strstr(x->message, "/boot/vmlinuz-6.1.0-18-amd64"));
	nc_findings_free(&out);
	boot_facts_free(&b);
	tree_free(&t);
}

static void test_rhel8_bls(void **state)
{
	struct nc_snapshot s;
	struct nc_boot_facts b;
	const struct nc_boot_entry *e;

	fixture_snap("rhel8", &s);
	assert_int_equal(boot_collect(&s, &b, NULL), 0);
	assert_int_equal(b.n_loaders, 1);
	assert_string_equal(b.loaders[0].kind, "grub2");
	assert_string_equal(b.loaders[0].config, "/boot/grub2/grub.cfg");
	assert_int_equal(b.loaders[0].n_entries, 3);
	assert_string_equal(b.loaders[0].entries[0].version, "4.18.0-513.5.1.el8_9.x86_64");
	assert_string_equal(b.loaders[0].entries[2].id, MID "-0-rescue");
	assert_int_equal(b.loaders[0].default_entry, 1);
	assert_string_equal(b.loaders[0].default_how,
		"/boot/grub2/grubenv saved_entry='" MID "-4.18.0-477.10.1.el8_8.x86_64'");
	e = b.default_entry;
	assert_string_equal(e->file, "/boot/loader/entries/" MID "-4.18.0-477.10.1.el8_8.x86_64.conf");
	assert_string_equal(e->cmdline,
		"root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap console=ttyS0,115200n8 console=tty0 net.ifnames=0 nvme_core.io_timeout=4294967295");
	assert_string_equal(e->initrd, "/initramfs-4.18.0-477.10.1.el8_8.x86_64.img");
	assert_int_equal(strv_length(e->initrds), 1);
	/* /boot is its own xfs: the entry says /vmlinuz-... */
	assert_true(boot_entry_match_kernel(e, "/boot/vmlinuz-4.18.0-477.10.1.el8_8.x86_64"));
	assert_false(boot_entry_match_kernel(e, "/boot/vmlinuz-4.18.0-513.5.1.el8_9.x86_64"));
	assert_string_equal(b.loaders[0].entries[1].index_path, "1");
	assert_true(b.have_fstab);
	assert_int_equal(b.fstab.n, 3);
	assert_string_equal(env_get(b.grubenv, "boot_success"), "0");
	boot_facts_free(&b);
	fixture_snap_free(&s);
}

static void test_rhel8_efi_symlinked_grubenv(void **state)
{
	_cleanup_free_ char *cfg = fixture_read("rhel8/boot/grub2/grub.cfg", NULL);
	_cleanup_free_ char *env = fixture_read("rhel8/boot/grub2/grubenv", NULL);
	_cleanup_free_ char *entry = fixture_read(
		"rhel8/boot/loader/entries/" MID "-4.18.0-477.10.1.el8_8.x86_64.conf", NULL);
	_cleanup_free_ char *link = NULL;
	struct nc_boot_facts b;
	struct tree t;

	tree_new(&t);
	put(&t, "boot/efi/EFI/redhat/grub.cfg", cfg);
	put(&t, "boot/grub2/grubenv", env);
	put(&t, "boot/loader/entries/" MID "-4.18.0-477.10.1.el8_8.x86_64.conf", entry);
	/* As on RHEL 8 UEFI installs: a relative symlink to the real grubenv. */
	link = strdup_printf("%s/boot/efi/EFI/redhat/grubenv", t.root);
	assert_int_equal(symlink("../../../grub2/grubenv", link), 0);
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_int_equal(b.n_loaders, 1);
	assert_string_equal(b.loaders[0].config, "/boot/efi/EFI/redhat/grub.cfg");
	assert_int_equal(b.loaders[0].default_entry, 0);
	assert_non_null(strstr(b.default_entry->cmdline, "nvme_core.io_timeout=4294967295"));
	boot_facts_free(&b);

	/* An absolute symlink stays inside the snapshot. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("/boot/grub2/grubenv", link), 0);
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_non_null(strstr(b.default_entry->cmdline, "nvme_core.io_timeout=4294967295"));
	boot_facts_free(&b);
	tree_free(&t);
}

static void test_amazon_linux_1(void **state)
{
	struct nc_snapshot s;
	struct nc_boot_facts b;

	fixture_snap("al1", &s);
	assert_int_equal(boot_collect(&s, &b, NULL), 0);
	assert_int_equal(b.n_loaders, 1);
	assert_string_equal(b.loaders[0].kind, "grub-legacy");
	assert_int_equal(b.loaders[0].default_entry, 0);
	assert_string_equal(b.loaders[0].default_how, "/boot/grub/menu.lst:2 default 0");
	assert_true(boot_entry_match_kernel(b.default_entry,
		"/boot/vmlinuz-4.14.355-197.544.amzn1.x86_64"));
	boot_facts_free(&b);
	fixture_snap_free(&s);
}

static void test_legacy_saved_and_range(void **state)
{
	_cleanup_free_ char *menu = fixture_read("al1/boot/grub/menu.lst", NULL);
	char *p = strstr(menu, "default=0");
	struct nc_boot_facts b;
	struct tree t;

	assert_non_null(p);
	tree_new(&t);
	memcpy(p, "default=9", 9);
	put(&t, "boot/grub/grub.conf", menu);
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_int_equal(b.loaders[0].default_entry, 0);
	assert_non_null(strstr(b.loaders[0].default_how, "beyond the 2 entries"));
	assert_true(b.loaders[0].default_fallback);
	boot_facts_free(&b);

	_cleanup_free_ char *saved = strdup_printf("default saved\n%s", p + 10);
	put(&t, "boot/grub/grub.conf", saved);
	put(&t, "boot/grub/default", "1\n");
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_int_equal(b.loaders[0].default_entry, 1);
	assert_true(boot_entry_match_kernel(b.default_entry,
		"/boot/vmlinuz-4.14.355-196.543.amzn1.x86_64"));
	boot_facts_free(&b);
	tree_free(&t);
}

static void test_alpine_extlinux(void **state)
{
	struct nc_snapshot s;
	struct nc_boot_facts b;

	fixture_snap("alpine", &s);
	assert_int_equal(boot_collect(&s, &b, NULL), 0);
	assert_int_equal(b.n_loaders, 1);
	assert_string_equal(b.loaders[0].kind, "extlinux");
	assert_int_equal(b.loaders[0].default_entry, 1);
	assert_string_equal(b.loaders[0].default_how, "/boot/extlinux.conf:14 MENU DEFAULT (label virt)");
	assert_false(b.loaders[0].default_fallback);
	assert_true(boot_entry_match_kernel(b.default_entry, "/boot/vmlinuz-virt"));
	assert_false(boot_entry_match_kernel(b.default_entry, "/boot/vmlinuz-lts"));
	assert_int_equal(b.fstab.n, 5);
	boot_facts_free(&b);
	fixture_snap_free(&s);
}

static void test_sdboot_and_io_timeouts(void **state)
{
	struct nc_boot_facts b;
	struct tree t;

	tree_new(&t);
	put(&t, "boot/loader/loader.conf", "timeout 3\ndefault fedora-6.5*\n");
	put(&t, "boot/loader/entries/fedora-6.5.6.conf",
	    "title Fedora 6.5.6\nversion 6.5.6\nlinux /" MID "/6.5.6/linux\noptions root=/dev/sda1\n");
	put(&t, "boot/loader/entries/fedora-6.6.1.conf",
	    "title Fedora 6.6.1\nversion 6.6.1\nlinux /" MID "/6.6.1/linux\noptions root=/dev/sda1\n");
	put(&t, "etc/modprobe.d/nvme.conf",
	    "# EBS\noptions nvme_core io_timeout=4294967295 max_retries=10\noptions ena rx_queue_size=8192\n");
	put(&t, "usr/lib/udev/rules.d/70-ec2-nvme-devices.rules",
	    "# comment io_timeout}=\"1\"\n"
	    "KERNEL==\"nvme[0-9]*n[0-9]*\", ENV{DEVTYPE}==\"disk\", ATTRS{model}==\"Amazon Elastic Block Store\", ATTR{queue/io_timeout}=\"4294967000\"\n");
	put(&t, "etc/crypttab", "data UUID=aa none luks\n");
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_int_equal(b.n_loaders, 1);
	assert_string_equal(b.loaders[0].kind, "bls");
	assert_string_equal(b.loaders[0].entries[0].version, "6.6.1");
	assert_int_equal(b.loaders[0].default_entry, 1);
	assert_true(boot_entry_match_kernel(b.default_entry, "/boot/vmlinuz-6.5.6"));
	assert_int_equal(b.n_io_timeouts, 2);
	assert_string_equal(b.io_timeouts[0].file, "/etc/modprobe.d/nvme.conf");
	assert_int_equal(b.io_timeouts[0].line, 2);
	assert_string_equal(b.io_timeouts[0].module, "nvme_core");
	assert_string_equal(b.io_timeouts[0].value, "4294967295");
	assert_string_equal(b.io_timeouts[1].module, "udev");
	assert_string_equal(b.io_timeouts[1].value, "4294967000");
	assert_int_equal(b.io_timeouts[1].line, 2);
	assert_true(b.have_crypttab);
	boot_facts_free(&b);
	tree_free(&t);
}

static void test_empty_and_garbage(void **state)
{
	struct nc_boot_facts b;
	struct tree t;

	tree_new(&t);
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	assert_int_equal(b.n_loaders, 0);
	assert_int_equal(b.primary, -1);
	assert_null(b.default_entry);
	boot_facts_free(&b);

	put(&t, "boot/grub/grub.cfg", "\x01\x02 menuentry {{{ }}} set default=\"");
	put(&t, "boot/grub/menu.lst", "title\nkernel\n");
	put(&t, "etc/fstab", "\\\\\\ \n\n#");
	put(&t, "boot/loader/entries/x.conf", "");
	assert_int_equal(boot_collect(&t.snap, &b, NULL), 0);
	boot_facts_free(&b);
	tree_free(&t);
}

static void test_match_kernel(void **state)
{
	struct nc_boot_entry e = {};

	e.kernel = "/boot/vmlinuz-6.1.0-18-amd64";
	assert_true(boot_entry_match_kernel(&e, "/boot/vmlinuz-6.1.0-18-amd64"));
	assert_false(boot_entry_match_kernel(&e, "/boot/vmlinuz-6.1.0-18-amd64.old"));
	e.kernel = "/vmlinuz-6.1.0-18-amd64";
	assert_true(boot_entry_match_kernel(&e, "/boot/vmlinuz-6.1.0-18-amd64"));
	assert_false(boot_entry_match_kernel(&e, "/vmlinuz-6.1.0-17-amd64"));
	e.kernel = "(hd0,gpt2)//boot/vmlinuz-5.15.0-91-generic.efi.signed";
	assert_true(boot_entry_match_kernel(&e, "/boot/vmlinuz-5.15.0-91-generic"));
	e.kernel = "($root)/vmlinuz-5.10";
	assert_true(boot_entry_match_kernel(&e, "/boot/vmlinuz-5.10"));
	e.kernel = "(unterminated/vmlinuz";
	assert_false(boot_entry_match_kernel(&e, "/boot/vmlinuz"));
	e.kernel = "vmlinuz-virt";
	assert_true(boot_entry_match_kernel(&e, "/boot/vmlinuz-virt"));
	e.kernel = NULL;
	assert_false(boot_entry_match_kernel(&e, "/boot/vmlinuz-virt"));
	assert_false(boot_entry_match_kernel(NULL, "/boot/vmlinuz-virt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian12),
		cmocka_unit_test(test_debian12_saved),
		cmocka_unit_test(test_rhel8_bls),
		cmocka_unit_test(test_rhel8_efi_symlinked_grubenv),
		cmocka_unit_test(test_amazon_linux_1),
		cmocka_unit_test(test_legacy_saved_and_range),
		cmocka_unit_test(test_alpine_extlinux),
		cmocka_unit_test(test_sdboot_and_io_timeouts),
		cmocka_unit_test(test_empty_and_garbage),
		cmocka_unit_test(test_match_kernel),
	};

	return cmocka_run_group_tests_name("bootdefault", tests, NULL, NULL);
}
