/* SPDX-License-Identifier: MIT */
#include "kernel/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/snapfs.h"
#include "kernel/bzimage.h"
#include "kernel/kconfig.h"

/* Kernel configs are ~250 KiB; refuse anything absurd. */
#define KCONFIG_MAX (16u * 1024 * 1024)

/* Image name prefixes, most usual first: a version seen under an earlier
 * prefix is not listed again (SUSE ships vmlinux-<v> beside vmlinuz-<v>). */
static const char *const image_prefixes[] = { "vmlinuz-", "vmlinux-", "Image-", "kernel-" };

/* Files beside kernels that are not kernels. */
static const char *const image_excluded_suffixes[] = {
	".sig", ".hmac", ".asc", ".sha256", ".gz", ".xz", ".zst", ".bz2", ".old", ".bak",
	".dpkg-old", ".dpkg-new", ".dpkg-tmp", ".rpmnew", ".rpmsave",
};

/* Names around a version: { before, after }. */
struct name_pattern {
	const char *prefix, *suffix;
};

static const struct name_pattern initrd_patterns[] = {
	{ "initrd.img-", "" }, { "initramfs-", ".img" }, { "initrd-", "" },
	{ "initrd-", ".img" }, { "initramfs-", "" },
};

static bool image_name_excluded(const char *suffix)
{
	if (!*suffix || strstr(suffix, "kdump"))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(image_excluded_suffixes); i++)
		if (endswith(suffix, image_excluded_suffixes[i]))
			return true;
	return false;
}

/* Old bzImages (boot protocol < 2.12) do not say; their versions mostly do. */
static const char *arch_from_version(const char *v)
{
	if (strstr(v, "x86_64") || strstr(v, "amd64"))
		return "x86_64";
	if (strstr(v, "aarch64") || strstr(v, "arm64"))
		return "aarch64";
	if (strstr(v, "i686") || strstr(v, "i586") || strstr(v, "i386") || strstr(v, "-686"))
		return "i386";
	return NULL;
}

/* The first "/boot/<prefix><key><suffix>" that is a file, or NULL; keys in
 * order of preference. */
static char *find_boot_file(int rootfd, const struct name_pattern *pats, size_t n_pats,
			    const char *const *keys, size_t n_keys)
{
	for (size_t j = 0; j < n_keys; j++)
		for (size_t i = 0; i < n_pats && keys[j]; i++) {
			_cleanup_free_ char *path = NULL;

			path = strdup_printf("/boot/%s%s%s", pats[i].prefix, keys[j], pats[i].suffix);
			if (!path || strstr(path, "kdump"))
				continue;
			if (path && snapfs_is_file(rootfd, path))
				return TAKE_PTR(path);
		}
	return NULL;
}

static int kernel_read_config(int rootfd, struct nc_kernel *k)
{
	_cleanup_free_ char *text = NULL;
	struct kconfig *kc = NULL;
	size_t len;
	int r;

	r = snapfs_read_file(rootfd, k->config_path, KCONFIG_MAX, &text, &len);
	if (r < 0)
		return r;
	r = kconfig_parse(text, len, &kc);
	if (r < 0)
		return r;
	/* XenLinux (the 2.6.18 Xen fork) runs only as a PV guest. */
	k->xenlinux_pv_only = kconfig_tristate(kc, "X86_XEN") == 'y' ||
			      kconfig_tristate(kc, "X86_64_XEN") == 'y';
	k->config_xen_pv = kconfig_tristate(kc, "XEN_PV") == 'y';
	kconfig_free(kc);
	return 0;
}

static int kernel_identify(int rootfd, struct nc_kernel *k, const char *suffix)
{
	_cleanup_free_ char *head = NULL, *version = NULL, *banner = NULL;
	const char *arch = NULL;
	size_t len = 0;
	int r;

	if (snapfs_read_head(rootfd, k->image_path, KERNEL_IMAGE_HEAD_SIZE, &head, &len) >= 0) {
		r = bzimage_read_version(head, len, &version, &banner);
		if (r >= 0)
			k->version_source = strdup(memcmp(head, "\177ELF", 4) == 0 ?
						   "ELF" : "bzImage header");
		if (kernel_image_arch(head, len, &arch) < 0)
			arch = NULL;
	}
	if (!version) {
		version = strdup(suffix);
		k->version_source = strdup("file name");
	}
	if (!version || !k->version_source)
		return -ENOMEM;
	if (!arch)
		arch = arch_from_version(version);
	if (arch) {
		k->arch = strdup(arch);
		if (!k->arch)
			return -ENOMEM;
	}
	k->version = TAKE_PTR(version);
	k->banner = TAKE_PTR(banner);
	return 0;
}

static int kernel_find_companions(int rootfd, struct nc_kernel *k, const char *suffix)
{
	static const struct name_pattern config_pat[] = { { "config-", "" } };
	static const struct name_pattern sysmap_pat[] = { { "System.map-", "" } };
	/* The file name's suffix first: a rescue image's initramfs carries it. */
	const char *keys[] = { suffix, streq(suffix, k->version) ? NULL : k->version };
	static const char *const moddirs[] = { "/lib/modules", "/usr/lib/modules" };

	for (size_t i = 0; i < ARRAY_SIZE(moddirs) && !k->modules_dir; i++) {
		_cleanup_free_ char *dir = strdup_printf("%s/%s", moddirs[i], k->version);

		if (!dir)
			return -ENOMEM;
		if (snapfs_is_dir(rootfd, dir))
			k->modules_dir = TAKE_PTR(dir);
	}
	k->config_path = find_boot_file(rootfd, config_pat, 1, keys, ARRAY_SIZE(keys));
	if (!k->config_path && k->modules_dir) {
		/* Fedora and Arch keep it beside the modules. */
		_cleanup_free_ char *p = path_join(k->modules_dir, "config");

		if (p && snapfs_is_file(rootfd, p))
			k->config_path = TAKE_PTR(p);
	}
	k->sysmap_path = find_boot_file(rootfd, sysmap_pat, 1, keys, ARRAY_SIZE(keys));
	k->initrd_path = find_boot_file(rootfd, initrd_patterns, ARRAY_SIZE(initrd_patterns),
					keys, ARRAY_SIZE(keys));
	if (k->config_path)
		/* An unreadable config only leaves the Xen facts false. */
		(void)kernel_read_config(rootfd, k);
	return 0;
}

/* The same version already found under an earlier prefix (vmlinuz-X beside
 * vmlinux-X). Images of one prefix are all kept: the RHEL rescue image
 * vmlinuz-0-rescue-<id> shares its version with a regular kernel. */
static bool version_seen(const struct nc_kernel *v, size_t n, const char *version,
			 const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i].version, version) &&
		    !startswith(v[i].image_path + strlen("/boot/"), prefix))
			return true;
	return false;
}

struct image_id {
	dev_t dev;
	ino_t ino;
};

/* Two names of one file (a symlink beside its target) are one kernel: the
 * name that carries the version wins. Returns the index of the earlier
 * name of the same file, or -1. */
static ssize_t image_seen(const struct image_id *ids, size_t n, const struct image_id *id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].dev == id->dev && ids[i].ino == id->ino)
			return (ssize_t)i;
	return -1;
}

static int image_identity(int rootfd, const char *path, struct image_id *ret)
{
	struct stat st;
	int r = snapfs_stat(rootfd, path, &st);

	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	return 0;
}

static bool image_named_by_version(const struct nc_kernel *k)
{
	const char *dash = strchr(k->image_path + strlen("/boot/"), '-');

	return dash && streq(dash + 1, k->version);
}

static int cmp_kernel_newest_first(const void *a, const void *b)
{
	const struct nc_kernel *ka = a, *kb = b;
	int c = strverscmp(kb->version, ka->version);

	return c ? c : strcmp(ka->image_path, kb->image_path);
}

int kernel_discover(const struct nc_snapshot *snap, struct nc_kernel **ret, size_t *ret_n,
		    struct nc_err *err)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ struct image_id *ids = NULL;
	struct nc_kernel *v = NULL;
	size_t n = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = snapfs_list_dir(snap->rootfd, "/boot", NULL, &names);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return nc_err_set(err, r, "%s/boot: %s", snap->root ? snap->root : "", strerror(-r));

	for (size_t p = 0; p < ARRAY_SIZE(image_prefixes); p++)
		for (size_t i = 0; names[i]; i++) {
			struct nc_kernel k = { 0 }, *nv;
			const char *suffix = startswith(names[i], image_prefixes[p]);
			struct image_id id, *nids;
			ssize_t same;

			if (!suffix || image_name_excluded(suffix))
				continue;
			k.image_path = strdup_printf("/boot/%s", names[i]);
			if (!k.image_path)
				goto nomem;
			if (image_identity(snap->rootfd, k.image_path, &id) < 0) {
				free(k.image_path);
				continue;
			}
			r = kernel_identify(snap->rootfd, &k, suffix);
			same = image_seen(ids, n, &id);
			if (r >= 0 && (version_seen(v, n, k.version, image_prefixes[p]) ||
				       (same >= 0 && (image_named_by_version(&v[same]) ||
						      !image_named_by_version(&k))))) {
				kernel_clear(&k);
				continue;
			}
			if (r >= 0)
				r = kernel_find_companions(snap->rootfd, &k, suffix);
			if (r < 0) {
				kernel_clear(&k);
				goto nomem;
			}
			if (same >= 0) {
				/* This name carries the version; the earlier did not. */
				kernel_clear(&v[same]);
				v[same] = k;
				continue;
			}
			nv = realloc(v, (n + 1) * sizeof(*v));
			nids = realloc(ids, (n + 1) * sizeof(*ids));
			if (nids)
				ids = nids;
			if (!nv || !nids) {
				if (nv)
					v = nv;
				kernel_clear(&k);
				goto nomem;
			}
			v = nv;
			ids[n] = id;
			v[n++] = k;
		}
	if (n)
		qsort(v, n, sizeof(*v), cmp_kernel_newest_first);
	*ret = v;
	*ret_n = n;
	return (int)n;
nomem:
	kernels_free(v, n);
	return nc_err_set(err, -ENOMEM, "kernel discovery: out of memory");
}
