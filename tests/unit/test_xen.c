/* SPDX-License-Identifier: MIT */
/*
 * Xen facts and checks: modprobe.d parsing, services, xvd udev rules, and
 * the probe walker on a tree holding a script and real compiled binaries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"
#include "rules/rules.h"
#include "tree_test_util.h"
#include "xen/xen.h"

/* Until the boot layer exports its table; the real one wins when linked. */
__attribute__((weak)) const struct nc_check nc_boot_checks[] = { { NULL } };

static void blocks_free(struct nc_modprobe_block *v, size_t n)
{
	struct nc_xen_facts x = { .blocks = v, .n_blocks = n };

	xen_facts_free(&x);
}

static void test_modprobe_parse(void **state)
{
	static const char t[] =
		"# Xen HVM images keep emulated disks away\n"
		"blacklist nvme\n"
		"blacklist\tnvme-core   # trailing\n"
		"install ena /bin/true\n"
		"install nvme_core /bin/false\n"
		"install nvme /sbin/modprobe --ignore-install nvme $CMDLINE_OPTS\n"
		"options nvme_core io_timeout=4294967295\n"
		"alias ena off\n"
		"install \\\n"
		"   xen_netfront /bin/true\n"
		"blacklist\n";
	struct nc_modprobe_block *v = NULL;
	size_t n = 0;

	assert_int_equal(modprobe_parse(t, "/etc/modprobe.d/xen.conf", &v, &n, NULL), 0);
	assert_int_equal(n, 6);
	assert_string_equal(v[0].module, "nvme");
	assert_string_equal(v[0].kind, "blacklist");
	assert_int_equal(v[0].line, 2);
	assert_string_equal(v[0].file, "/etc/modprobe.d/xen.conf");
	/* '-' and '_' are the same in module names. */
	assert_string_equal(v[1].module, "nvme_core");
	assert_string_equal(v[2].module, "ena");
	assert_string_equal(v[2].kind, "install");
	assert_string_equal(v[2].text, "install ena /bin/true");
	assert_string_equal(v[3].kind, "install");
	assert_string_equal(v[4].kind, "alias-off");
	assert_int_equal(v[4].line, 8);
	assert_string_equal(v[5].module, "xen_netfront");
	assert_int_equal(v[5].line, 9);
	blocks_free(v, n);
}

struct env {
	char *root;
	struct nc_facts f;
	struct nc_ruleset rs;
	struct nc_findings out;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	_cleanup_free_ char *rules = NULL;
	const char *src = getenv("NC_SOURCE_ROOT");

	if (!e)
		return -1;
	e->root = tree_new();
	e->f.default_kernel = -1;
	e->f.snap.rootfd = -1;
	rules = path_join(src ? src : NC_SOURCE_RULES_DIR "/..", "rules/xen.json");
	if (!e->root || nc_ruleset_load_file(&e->rs, rules, NULL) < 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	xen_facts_free(&e->f.xen);
	nc_findings_free(&e->out);
	nc_ruleset_free(&e->rs);
	if (e->f.snap.rootfd >= 0)
		close(e->f.snap.rootfd);
	tree_free(e->root);
	free(e);
	return 0;
}

static void collect_and_check(struct env *e)
{
	assert_int_equal(snap_open(e->root, &e->f.snap), 0);
	assert_int_equal(xen_collect(&e->f.snap, &e->f.xen, NULL), 0);
	assert_int_equal(nc_rules_evaluate(&e->rs, &e->f, &e->out, NULL), 0);
}

static size_t count(const struct env *e, const char *id)
{
	size_t n = 0;

	for (size_t i = 0; i < e->out.n; i++)
		n += streq(e->out.v[i].rule_id, id);
	return n;
}

static const struct nc_finding *find(const struct env *e, const char *id, const char *file)
{
	for (size_t i = 0; i < e->out.n; i++)
		if (streq(e->out.v[i].rule_id, id) && (!file || streq_ptr(e->out.v[i].file, file)))
			return &e->out.v[i];
	return NULL;
}

static void test_services_modprobe_udev(void **state)
{
	struct env *e = *state;
	const struct nc_finding *f;
	const char *r = e->root;

	assert_int_equal(tree_symlink(r, "/etc/systemd/system/multi-user.target.wants/xe-linux-distribution.service",
				      "/lib/systemd/system/xe-linux-distribution.service"), 0);
	assert_int_equal(tree_symlink(r, "/etc/systemd/system/multi-user.target.wants/ssh.service",
				      "/lib/systemd/system/ssh.service"), 0);
	assert_int_equal(tree_symlink(r, "/etc/rc3.d/S14xe-daemon", "../init.d/xe-daemon"), 0);
	assert_int_equal(tree_symlink(r, "/etc/rc3.d/K01xenstored", "../init.d/xenstored"), 0);
	/* /etc overrides /lib's file of the same name; the other /lib file counts. */
	assert_int_equal(tree_write(r, "/lib/modprobe.d/nvme.conf", "blacklist nvme\n"), 0);
	assert_int_equal(tree_write(r, "/etc/modprobe.d/nvme.conf", "# nothing\n"), 0);
	assert_int_equal(tree_write(r, "/lib/modprobe.d/ena.conf", "\ninstall ena /bin/true\n"), 0);
	assert_int_equal(tree_write(r, "/etc/modprobe.d/other.conf", "blacklist floppy\n"), 0);
	assert_int_equal(tree_write(r, "/etc/udev/rules.d/99-xvd.rules",
				    "KERNEL==\"sd*\", SUBSYSTEM==\"block\", SYMLINK+=\"xvd%n\"\n"), 0);
	assert_int_equal(tree_write(r, "/usr/lib/udev/rules.d/70-ec2-nvme-devices.rules",
				    "KERNEL==\"nvme[0-9]*n[0-9]*\", ATTRS{model}==\"Amazon Elastic Block Store\", "
				    "PROGRAM=\"/usr/sbin/ebsnvme-id -u /dev/%k\", SYMLINK+=\"%c\"\n"), 0);
	collect_and_check(e);

	assert_false(e->f.xen.have_ec2_utils == false);  /* the rules file is there */
	assert_int_equal(e->f.xen.n_services, 3);
	assert_int_equal(count(e, "xen-guest-services"), 2);
	f = find(e, "xen-guest-services", "/etc/rc3.d/S14xe-daemon");
	assert_non_null(f);
	assert_string_equal(f->text, "rc3.d S14");
	assert_non_null(find(e, "xen-guest-services",
			     "/etc/systemd/system/multi-user.target.wants/xe-linux-distribution.service"));

	assert_int_equal(count(e, "xen-nvme-ena-blocked"), 1);
	f = find(e, "xen-nvme-ena-blocked", NULL);
	assert_string_equal(f->file, "/lib/modprobe.d/ena.conf");
	assert_int_equal(f->line, 2);
	assert_int_equal(f->severity, NC_SEV_ERROR);
	assert_string_equal(f->text, "install ena /bin/true");

	/* The hand-made rule, and ec2-utils' rule whose helper is missing. */
	assert_int_equal(e->f.xen.n_xvd_rules, 2);
	assert_int_equal(count(e, "xen-xvd-udev-rules"), 2);
	f = find(e, "xen-xvd-udev-rules", "/etc/udev/rules.d/99-xvd.rules");
	assert_non_null(f);
	assert_int_equal(f->line, 1);
	assert_non_null(strstr(f->message, "outside amazon-ec2-utils"));
	f = find(e, "xen-xvd-udev-rules", "/usr/lib/udev/rules.d/70-ec2-nvme-devices.rules");
	assert_non_null(strstr(f->message, "helper"));
}

static void test_ec2_utils_with_helper_is_fine(void **state)
{
	struct env *e = *state;

	assert_int_equal(tree_write(e->root, "/usr/lib/udev/rules.d/70-ec2-nvme-devices.rules",
				    "KERNEL==\"nvme[0-9]*n[0-9]*\", PROGRAM=\"/usr/sbin/ebsnvme-id -u /dev/%k\", "
				    "SYMLINK+=\"%c\"\n"), 0);
	assert_int_equal(tree_write(e->root, "/usr/sbin/ebsnvme-id", "#!/usr/bin/python3\n"), 0);
	collect_and_check(e);
	assert_int_equal(e->f.xen.n_xvd_rules, 1);
	assert_true(e->f.xen.xvd_rules[0].from_ec2_utils);
	assert_false(e->f.xen.xvd_rules[0].helper_missing);
	assert_int_equal(count(e, "xen-xvd-udev-rules"), 0);
}

/* Compile src into the tree at path with the host's cc; false if no compiler. */
static bool compile(const char *root, const char *path, const char *src)
{
	_cleanup_free_ char *c = path_join(root, "/build.c"), *out = path_join(root, path);
	_cleanup_free_ char *cmd = NULL;
	bool ok;

	if (tree_write(root, "/build.c", src) < 0 || tree_mkdirs(root, path) < 0)
		return false;
	cmd = strdup_printf("cc -O2 -o '%s' '%s' 2>/dev/null", out, c);
	ok = cmd && system(cmd) == 0;
	unlink(c);
	return ok;
}

static void test_probe_walker(void **state)
{
	struct env *e = *state;
	const char *r = e->root;
	const struct nc_xen_probe *script = NULL, *elf = NULL, *unit = NULL;
	struct nc_xen_probe *v = NULL;
	size_t n = 0;
	_cleanup_free_ char *outside = NULL, *big = NULL;
	const struct nc_finding *f;
	int fd, files;

	assert_int_equal(tree_write(r, "/usr/local/bin/on-ec2.sh",
				    "#!/bin/sh\n"
				    "# decide whether we run on EC2\n"
				    "if [ -f /sys/hypervisor/uuid ] && \\\n"
				    "   grep -q ^ec2 /sys/hypervisor/uuid; then\n"
				    "\techo ec2\n"
				    "fi\n"), 0);
	assert_int_equal(tree_write(r, "/etc/systemd/system/agent.service",
				    "[Service]\nExecStartPre=/usr/bin/xenstore-read name\n"), 0);
	assert_int_equal(tree_write(r, "/etc/hostname", "clean\n"), 0);
	if (!compile(r, "/opt/vendor/bin/detect",
		     "#include <stdio.h>\n"
		     "static const char uuid[] = \"/sys/hypervisor/uuid\";\n"
		     "int main(void) { FILE *f = fopen(uuid, \"r\"); char b[4] = \"\";\n"
		     "  if (f && fgets(b, sizeof(b), f)) puts(b); return f ? 0 : 1; }\n") ||
	    !compile(r, "/opt/vendor/bin/clean",
		     "#include <stdio.h>\nint main(void) { puts(\"/sys/class/dmi/id\"); return 0; }\n"))
		skip();
	/* A symlink out of the tree and a file over 64 MiB must not be read. */
	outside = strdup_printf("%s.outside", r);
	assert_int_equal(tree_write("/", outside + 1, "cat /proc/xen/capabilities\n"), 0);
	assert_int_equal(tree_symlink(r, "/opt/escape", outside), 0);
	assert_int_equal(tree_symlink(r, "/home/user/escape.sh", "/etc/../../..//opt/escape"), 0);
	assert_int_equal(tree_mkdir(r, "/srv"), 0);
	big = path_join(r, "/srv/huge.img");
	fd = open(big, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "/proc/xen", 9, (65ll << 20)), 9);
	close(fd);

	assert_int_equal(snap_open(r, &e->f.snap), 0);
	files = xen_find_probes(e->f.snap.rootfd, nc_xen_probe_dirs, nc_xen_probe_patterns,
				&v, &n, NULL);
	assert_true(files >= 5);
	for (size_t i = 0; i < n; i++) {
		if (streq(v[i].file, "/usr/local/bin/on-ec2.sh") && v[i].line == 3)
			script = &v[i];
		if (streq(v[i].file, "/opt/vendor/bin/detect"))
			elf = &v[i];
		if (streq(v[i].file, "/etc/systemd/system/agent.service"))
			unit = &v[i];
		assert_false(streq(v[i].file, "/opt/vendor/bin/clean"));
		assert_null(strstr(v[i].file, "escape"));
		assert_null(strstr(v[i].file, "huge"));
	}
	/* Two lines of the script, one string of the binary, one unit line. */
	assert_int_equal(n, 4);
	assert_non_null(script);
	assert_string_equal(script->kind, "script");
	assert_string_equal(script->text, "if [ -f /sys/hypervisor/uuid ] && \\");
	assert_non_null(elf);
	assert_string_equal(elf->kind, "elf");
	assert_string_equal(elf->section, ".rodata");
	assert_string_equal(elf->text, "/sys/hypervisor/uuid");
	assert_string_equal(elf->pattern, "/sys/hypervisor/uuid");
	assert_non_null(unit);
	assert_int_equal(unit->line, 2);
	assert_string_equal(unit->pattern, "xenstore-read");
	for (size_t i = 0; i < n; i++)
		nc_xen_probe_clear(&v[i]);
	free(v);

	/* The rule walks the snapshot with its own parameters. */
	assert_int_equal(xen_collect(&e->f.snap, &e->f.xen, NULL), 0);
	assert_int_equal(nc_rules_evaluate(&e->rs, &e->f, &e->out, NULL), 0);
	assert_int_equal(count(e, "xen-ec2-detection"), 4);
	f = find(e, "xen-ec2-detection", "/opt/vendor/bin/detect");
	assert_non_null(f);
	assert_int_equal(f->severity, NC_SEV_WARNING);
	assert_string_equal(f->text, "/sys/hypervisor/uuid");
	assert_non_null(strstr(f->message, ".rodata"));
	f = find(e, "xen-ec2-detection", "/usr/local/bin/on-ec2.sh");
	assert_int_equal(f->line, 3);
	unlink(outside);
}

static void test_classify_bytes(void **state)
{
	static const char *const pats[] = { "/proc/xen", NULL };
	static const char bin[] = "\x01\x02\0prefix /proc/xen/capabilities\0tail";
	struct nc_xen_probe *v = NULL;
	size_t n = 0;

	assert_int_equal(xen_probe_classify("/b", bin, sizeof(bin), pats, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].kind, "binary");
	assert_string_equal(v[0].text, "prefix /proc/xen/capabilities");
	assert_int_equal(v[0].offset, 10);
	/* A truncated ELF header is still reported, as bytes. */
	assert_int_equal(xen_probe_classify("/e", "\177ELF\2\1/proc/xen", 15, pats, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[1].kind, "elf");
	assert_null(v[1].section);
	assert_int_equal(xen_probe_classify("/c", "no match here\n", 14, pats, &v, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		nc_xen_probe_clear(&v[i]);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modprobe_parse),
		cmocka_unit_test_setup_teardown(test_services_modprobe_udev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ec2_utils_with_helper_is_fine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_walker, setup, teardown),
		cmocka_unit_test(test_classify_bytes),
	};

	return cmocka_run_group_tests_name("xen", tests, NULL, NULL);
}
