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

#include "common/util.h"
#include "kernel/bzimage.h"
#include "kernel/kernel.h"
#include "kernel/snapfs.h"

#define GENERIC "6.1.0-56-amd64"
#define CLOUD "6.1.0-56-cloud-amd64"

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

	strcpy(t->tmp, "/tmp/nc-discover-XXXXXX");
	assert_non_null(mkdtemp(t->tmp));
	t->root = path_join(t->tmp, "root");
	run("set -e; cd %s; mkdir -p root/boot/real root/usr/lib/modules/" GENERIC
	    " root/usr/lib/modules/" CLOUD " outside; ln -s usr/lib root/lib; "
	    "head -c 65536 /boot/vmlinuz-" GENERIC " > root/boot/vmlinuz-" GENERIC "; "
	    "cp /boot/config-" GENERIC " /boot/System.map-" GENERIC " root/boot/; "
	    "echo initrd > root/boot/initrd.img-" GENERIC "; "
	    /* cloud: an absolute symlink, resolved inside the snapshot */
	    "head -c 65536 /boot/vmlinuz-" CLOUD " > root/boot/real/cloud; "
	    "ln -s /boot/real/cloud root/boot/vmlinuz-" CLOUD "; "
	    "cp /boot/config-" CLOUD " root/boot/; "
	    "echo initrd > root/boot/initramfs-" CLOUD ".img; "
	    "echo kdump > root/boot/initramfs-" CLOUD "kdump.img; "
	    "echo sig > root/boot/vmlinuz-" CLOUD ".sig; "
	    "cp root/boot/vmlinuz-" GENERIC " root/boot/vmlinuz-5.10.0-kdump; "
	    /* RHEL rescue image: version from its header, initramfs by name */
	    "cp root/boot/vmlinuz-" GENERIC " root/boot/vmlinuz-0-rescue-abc123; "
	    "echo initrd > root/boot/initramfs-0-rescue-abc123.img; "
	    /* ELF vmlinux of a version already seen: not listed twice */
	    "head -c 65536 /lib/modules/" GENERIC "/kernel/drivers/nvme/host/nvme.ko"
	    " > root/boot/vmlinux-" GENERIC "; "
	    /* symlinks that leave the root on the host */
	    "cp root/boot/vmlinuz-" GENERIC " outside/vmlinuz; "
	    "ln -s ../../outside/vmlinuz root/boot/vmlinuz-7.0.0-escape; "
	    "ln -s %s/outside/vmlinuz root/boot/vmlinuz-7.0.1-absolute; "
	    "ln -s ../../../../../../../../boot/real/cloud root/boot/vmlinuz-7.0.2-dotdot",
	    t->tmp, t->tmp);
	/* A XenLinux kernel: no bzImage header we know. */
	write_text(t, "boot/vmlinuz-2.6.18-xen", "\x1f\x8b garbage, not a bzImage");
	write_text(t, "boot/config-2.6.18-xen", config_xen);
	write_text(t, "boot/initrd-2.6.18-xen.img", "initrd");
	/* An arm64 Image (booting.rst header, no banner). */
	memcpy(arm64 + 0x38, "ARM\x64", 4);
	write_file(t, "boot/Image-6.1.0-56-arm64", arm64, sizeof(arm64));

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

	assert_int_equal(kernel_discover(&t->snap, &k, &n, &err), 5);
	assert_int_equal(n, 5);

	/* Newest first: cloud > arm64 > amd64 (two images) > 2.6.18. */
	assert_string_equal(k[0].version, CLOUD);
	assert_string_equal(k[0].version_source, "bzImage header");
	assert_non_null(startswith(k[0].banner, CLOUD " (debian-kernel@lists.debian.org)"));
	assert_string_equal(k[0].image_path, "/boot/vmlinuz-" CLOUD);
	assert_string_equal(k[0].arch, "x86_64");
	assert_string_equal(k[0].config_path, "/boot/config-" CLOUD);
	assert_null(k[0].sysmap_path);
	assert_string_equal(k[0].modules_dir, "/lib/modules/" CLOUD);
	assert_string_equal(k[0].initrd_path, "/boot/initramfs-" CLOUD ".img");
	assert_true(k[0].config_xen_pv);
	assert_false(k[0].xenlinux_pv_only);

	assert_string_equal(k[1].version, "6.1.0-56-arm64");
	assert_string_equal(k[1].version_source, "file name");
	assert_string_equal(k[1].arch, "aarch64");
	assert_null(k[1].modules_dir);
	assert_null(k[1].initrd_path);
	assert_null(k[1].banner);

	assert_string_equal(k[2].version, GENERIC);
	assert_string_equal(k[2].image_path, "/boot/vmlinuz-0-rescue-abc123");
	assert_string_equal(k[2].initrd_path, "/boot/initramfs-0-rescue-abc123.img");
	assert_string_equal(k[2].modules_dir, "/lib/modules/" GENERIC);

	assert_string_equal(k[3].version, GENERIC);
	assert_string_equal(k[3].version_source, "bzImage header");
	assert_string_equal(k[3].image_path, "/boot/vmlinuz-" GENERIC);
	assert_string_equal(k[3].config_path, "/boot/config-" GENERIC);
	assert_string_equal(k[3].sysmap_path, "/boot/System.map-" GENERIC);
	assert_string_equal(k[3].initrd_path, "/boot/initrd.img-" GENERIC);
	assert_string_equal(k[3].modules_dir, "/lib/modules/" GENERIC);

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

	assert_int_equal(snap_read_head(t->snap.rootfd, "/boot/vmlinuz-7.0.2-dotdot", 4096,
					&buf, &len), 0);
	assert_int_equal(snap_read_head(t->snap.rootfd, "/boot/real/cloud", 4096, &buf2, &len2), 0);
	assert_int_equal(len, 4096);
	assert_memory_equal(buf, buf2, len);
	fd = snap_open(t->snap.rootfd, "/boot/vmlinuz-7.0.0-escape", O_RDONLY);
	assert_int_equal(fd, -ENOENT);
	fd = snap_open(t->snap.rootfd, "/boot/vmlinuz-7.0.1-absolute", O_RDONLY);
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
