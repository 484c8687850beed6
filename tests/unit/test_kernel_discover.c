/* SPDX-License-Identifier: MIT */
/*
 * Kernel discovery over a small snapshot tree built from the real Debian
 * kernels: versions from bzImage headers, companions, initramfs names,
 * exclusions, symlinks that must not leave the snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/snapfs.h"
#include "common/util.h"
#include "kernel/bzimage.h"
#include "kernel/kernel.h"
#include "kver_test_util.h"

/* The installed kernels' versions (tests/newest-kver). */
#define GENERIC test_kver()
#define CLOUD test_kver_cloud()

struct tree {
	char tmp[64];      /* holds root/ and outside/ */
	char *root;
	struct nc_snapshot snap;
};

static void run(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const struct tree *t, const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *p = path_join(t->root, path);
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* An arm64 build of the generic kernel's point release ("6.1.0-N-arm64"):
 * it sorts between the installed cloud and generic kernels. */
static char *arm64_version(void)
{
	const char *generic = GENERIC;
	size_t len = strlen(generic);

	assert_true(len > strlen("amd64") && endswith(generic, "-amd64"));
	return test_kver_str("%.*sarm64", (int)(len - strlen("amd64")), generic);
}

static void write_text(const struct tree *t, const char *path, const char *text)
{
	write_file(t, path, text, strlen(text));
}

/*
 * root/boot: the two real kernels (their first 64 KiB: all discovery
 * reads), configs, System.maps and initramfs names of several families.
 */
static int setup(void **state)
{
	static const char config_xen[] = "CONFIG_X86_64_XEN=y\nCONFIG_XEN=y\n";
	struct tree *t = calloc(1, sizeof(*t));
	char arm64[4096] = { 0 };
	_cleanup_free_ char *arm64_image = NULL, *arm64_ver = arm64_version();

	strcpy(t->tmp, "/tmp/nc-discover-XXXXXX");
	assert_non_null(mkdtemp(t->tmp));
	t->root = path_join(t->tmp, "root");
	/* %1$s: the tree, %2$s: the generic kernel, %3$s: the cloud kernel. */
	run("set -e; cd %1$s; mkdir -p root/boot/real root/usr/lib/modules/%2$s"
	    " root/usr/lib/modules/%3$s outside; ln -s usr/lib root/lib; "
	    "head -c 65536 /boot/vmlinuz-%2$s > root/boot/vmlinuz-%2$s; "
	    "cp /boot/config-%2$s /boot/System.map-%2$s root/boot/; "
	    "echo initrd > root/boot/initrd.img-%2$s; "
	    /* cloud: an absolute symlink, resolved inside the snapshot */
	    "head -c 65536 /boot/vmlinuz-%3$s > root/boot/real/cloud; "
	    "ln -s /boot/real/cloud root/boot/vmlinuz-%3$s; "
	    "cp /boot/config-%3$s root/boot/; "
	    "echo initrd > root/boot/initramfs-%3$s.img; "
	    "echo kdump > root/boot/initramfs-%3$skdump.img; "
	    "echo sig > root/boot/vmlinuz-%3$s.sig; "
	    "cp root/boot/vmlinuz-%2$s root/boot/vmlinuz-5.10.0-kdump; "
	    /* RHEL rescue image: version from its header, initramfs by name */
	    "cp root/boot/vmlinuz-%2$s root/boot/vmlinuz-0-rescue-abc123; "
	    "echo initrd > root/boot/initramfs-0-rescue-abc123.img; "
	    /* ELF vmlinux of a version already seen: not listed twice */
	    "head -c 65536 /lib/modules/%2$s/kernel/drivers/nvme/host/nvme.ko"
	    " > root/boot/vmlinux-%2$s; "
	    /* symlinks that leave the root on the host */
	    "cp root/boot/vmlinuz-%2$s outside/vmlinuz; "
	    "ln -s ../../outside/vmlinuz root/boot/vmlinuz-7.0.0-escape; "
	    "ln -s %1$s/outside/vmlinuz root/boot/vmlinuz-7.0.1-absolute; "
	    "ln -s ../../../../../../../../boot/real/cloud root/boot/vmlinuz-7.0.2-dotdot",
	    t->tmp, GENERIC, CLOUD);
	/* A XenLinux kernel: no bzImage header we know. */
	write_text(t, "boot/vmlinuz-2.6.18-xen", "\x1f\x8b garbage, not a bzImage");
	write_text(t, "boot/config-2.6.18-xen", config_xen);
	write_text(t, "boot/initrd-2.6.18-xen.img", "initrd");
	/* An arm64 Image (booting.rst header, no banner). */
	memcpy(arm64 + 0x38, "ARM\x64", 4);
	arm64_image = test_kver_str("boot/Image-%s", arm64_ver);
	write_file(t, arm64_image, arm64, sizeof(arm64));

	t->snap.root = t->root;
	t->snap.rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->snap.rootfd >= 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	close(t->snap.rootfd);
	run("rm -rf %s", t->tmp);
	free(t->root);
	free(t);
	return 0;
}

static void test_discover(void **state)
{
	struct tree *t = *state;
	struct nc_kernel *k = NULL;
	struct nc_err err = { 0 };
	size_t n = 0;
	_cleanup_free_ char *arm64_ver = arm64_version();

	assert_int_equal(kernel_discover(&t->snap, &k, &n, &err), 5);
	assert_int_equal(n, 5);

	/* Newest first: cloud > arm64 > amd64 (two images) > 2.6.18. */
	assert_string_equal(k[0].version, CLOUD);
	assert_string_equal(k[0].version_source, "bzImage header");
	assert_kver_prefix(k[0].banner, "%s (debian-kernel@lists.debian.org)", CLOUD);
	assert_kver_string_equal(k[0].image_path, "/boot/vmlinuz-%s", CLOUD);
	assert_string_equal(k[0].arch, "x86_64");
	assert_kver_string_equal(k[0].config_path, "/boot/config-%s", CLOUD);
	assert_null(k[0].sysmap_path);
	assert_kver_string_equal(k[0].modules_dir, "/lib/modules/%s", CLOUD);
	assert_kver_string_equal(k[0].initrd_path, "/boot/initramfs-%s.img", CLOUD);
	assert_true(k[0].config_xen_pv);
	assert_false(k[0].xenlinux_pv_only);

	assert_string_equal(k[1].version, arm64_ver);
	assert_string_equal(k[1].version_source, "file name");
	assert_string_equal(k[1].arch, "aarch64");
	assert_null(k[1].modules_dir);
	assert_null(k[1].initrd_path);
	assert_null(k[1].banner);

	assert_string_equal(k[2].version, GENERIC);
	assert_string_equal(k[2].image_path, "/boot/vmlinuz-0-rescue-abc123");
	assert_string_equal(k[2].initrd_path, "/boot/initramfs-0-rescue-abc123.img");
	assert_kver_string_equal(k[2].modules_dir, "/lib/modules/%s", GENERIC);

	assert_string_equal(k[3].version, GENERIC);
	assert_string_equal(k[3].version_source, "bzImage header");
	assert_kver_string_equal(k[3].image_path, "/boot/vmlinuz-%s", GENERIC);
	assert_kver_string_equal(k[3].config_path, "/boot/config-%s", GENERIC);
	assert_kver_string_equal(k[3].sysmap_path, "/boot/System.map-%s", GENERIC);
	assert_kver_string_equal(k[3].initrd_path, "/boot/initrd.img-%s", GENERIC);
	assert_kver_string_equal(k[3].modules_dir, "/lib/modules/%s", GENERIC);

	assert_string_equal(k[4].version, "2.6.18-xen");
	assert_string_equal(k[4].version_source, "file name");
	assert_null(k[4].arch);
	assert_true(k[4].xenlinux_pv_only);
	assert_false(k[4].config_xen_pv);
	assert_string_equal(k[4].initrd_path, "/boot/initrd-2.6.18-xen.img");

	/* Excluded or escaping: none of these made it in. */
	for (size_t i = 0; i < n; i++) {
		assert_null(strstr(k[i].image_path, "kdump"));
		assert_null(strstr(k[i].image_path, "escape"));
		assert_null(strstr(k[i].image_path, "absolute"));
		assert_null(strstr(k[i].image_path, "dotdot"));
		assert_null(strstr(k[i].image_path, ".sig"));
		assert_null(strstr(k[i].image_path, "vmlinux-"));
		assert_false(k[i].is_kdump);
	}
	kernels_free(k, n);
}

/* ".." stops at the snapshot root, like in a chroot: vmlinuz-7.0.2-dotdot
 * climbs far above it and lands on /boot/real/cloud of the snapshot. That
 * is the cloud kernel again: listed once, under the name with its version. */
static void test_dotdot_stays_inside(void **state)
{
	struct tree *t = *state;
	_cleanup_free_ char *buf = NULL, *buf2 = NULL;
	size_t len, len2;
	int fd;

	assert_int_equal(snapfs_read_head(t->snap.rootfd, "/boot/vmlinuz-7.0.2-dotdot", 4096,
					&buf, &len), 0);
	assert_int_equal(snapfs_read_head(t->snap.rootfd, "/boot/real/cloud", 4096, &buf2, &len2), 0);
	assert_int_equal(len, 4096);
	assert_memory_equal(buf, buf2, len);
	fd = snapfs_open(t->snap.rootfd, "/boot/vmlinuz-7.0.0-escape", O_RDONLY);
	assert_int_equal(fd, -ENOENT);
	fd = snapfs_open(t->snap.rootfd, "/boot/vmlinuz-7.0.1-absolute", O_RDONLY);
	assert_int_equal(fd, -ENOENT);
}

static void test_no_boot(void **state)
{
	char dir[] = "/tmp/nc-discover-empty-XXXXXX";
	struct nc_snapshot snap = { 0 };
	struct nc_kernel *k = (struct nc_kernel *)1;
	size_t n = 1;

	assert_non_null(mkdtemp(dir));
	snap.root = dir;
	snap.rootfd = open(dir, O_PATH | O_DIRECTORY);
	assert_int_equal(kernel_discover(&snap, &k, &n, NULL), 0);
	assert_null(k);
	assert_int_equal(n, 0);
	close(snap.rootfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover),
		cmocka_unit_test(test_dotdot_stays_inside),
		cmocka_unit_test(test_no_boot),
	};

	return cmocka_run_group_tests_name("kernel_discover", tests, setup, teardown);
}
