/* SPDX-License-Identifier: MIT */
/*
 * One appliance launch per image: add the image read-only, find the Linux
 * root without guestfs_inspect_os (it costs ~40% of a scan under TCG and we
 * need only "which filesystem holds /etc/fstab"), mount the fstab's local
 * filesystems read-only, shortest mount point first, and copy out what the
 * rules' snapshot spec names.
 */
#include "image/image.h"
#include "image/modules_copy.h"
#include "boot/boot.h"

#include <errno.h>
#include <guestfs.h>
#include <sys/stat.h>

struct appliance {
	guestfs_h *g;
	const char *image;
	struct nc_err *err;
	const char *disk;     /* this image's appliance device: /dev/sdX */
	char **members;       /* its partitions and logical volumes */
	char **toplinks;      /* "lib", "usr/lib", ...: the guest's top-level links */
};

static int gfs_fail(struct appliance *a, const char *what)
{
	const char *msg = guestfs_last_error(a->g);

	return nc_err_set(a->err, -EIO, "%s: %s: %s", a->image, what, msg ? msg : "failed");
}

static void gfs_free_strv(char ***p)
{
	if (*p) {
		for (char **s = *p; *s; s++)
			free(*s);
		free(*p);
	}
}
#define _cleanup_gstrv_ _cleanup_(gfs_free_strv)

static bool fs_is_linux_root_candidate(const char *type)
{
	static const char *const types[] = { "ext2", "ext3", "ext4", "xfs", "btrfs",
					     "jfs", "reiserfs", "f2fs", NULL };

	for (size_t i = 0; types[i]; i++)
		if (streq(type, types[i]))
			return true;
	return false;
}

/* Mount read-only; a btrfs subvolume (subvol= in fstab) with its option. */
static int mount_ro_subvol(guestfs_h *g, const char *dev, const char *subvol, const char *mp)
{
	_cleanup_free_ char *opts = NULL;

	if (!subvol)
		return guestfs_mount_ro(g, dev, mp);
	opts = strdup_printf("ro,subvol=%s", subvol);
	return opts ? guestfs_mount_options(g, opts, dev, mp) : -1;
}

/* Is the filesystem mounted at / a Linux root? */
static bool mounted_is_root(struct appliance *a)
{
	return guestfs_is_file_opts(a->g, "/etc/fstab", GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1,
				    -1) > 0 ||
	       guestfs_exists(a->g, "/etc/os-release") > 0;
}

/* A btrfs root usually lives in a subvolume ("@", "root"): mount the top
 * level, list its subvolumes, try each. */
static int try_btrfs_root(struct appliance *a, const char *dev)
{
	struct guestfs_btrfssubvolume_list *subs;
	int found = 0;

	if (guestfs_mount_ro(a->g, dev, "/") < 0)
		return 0;
	if (mounted_is_root(a))
		return 1;
	subs = guestfs_btrfs_subvolume_list(a->g, "/");
	guestfs_umount_all(a->g);
	for (size_t i = 0; subs && i < subs->len && !found; i++) {
		_cleanup_free_ char *opts = strdup_printf("ro,subvol=%s",
							  subs->val[i].btrfssubvolume_path);

		if (!opts || guestfs_mount_options(a->g, opts, dev, "/") < 0)
			continue;
		if (mounted_is_root(a))
			found = 1;
		else
			guestfs_umount_all(a->g);
	}
	if (subs)
		guestfs_free_btrfssubvolume_list(subs);
	return found;
}

/*
 * Find the root: the first Linux filesystem holding /etc/fstab or
 * /etc/os-release. The candidates come from the block layout we already
 * have (guestfs_list_filesystems would probe every device again: ~10 s
 * under TCG). Windows and LUKS get their own clear errors.
 */
static int find_root(struct appliance *a, struct nc_facts *facts, char **ret_root)
{
	_cleanup_free_ char *seen = NULL;
	size_t seen_len = 0;
	FILE *seenf;
	bool luks = false, windows = false;

	seenf = open_memstream(&seen, &seen_len);
	if (!seenf)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		/* logical volumes first: a root on LVM beats a /boot partition */
		const struct nc_partition *arr = pass ? facts->layout.parts : facts->layout.volumes;
		size_t n = pass ? facts->layout.n_parts : facts->layout.n_volumes;

		for (size_t i = 0; i < n; i++) {
			const char *dev = arr[i].device, *type = arr[i].fstype;
			int ok;

			if (!type)
				continue;
			fprintf(seenf, "%s%s %s", ftell(seenf) ? ", " : "", dev, type);
			if (streq(type, "crypto_LUKS"))
				luks = true;
			if (streq(type, "ntfs")) {
				if (guestfs_mount_ro(a->g, dev, "/") == 0) {
					if (guestfs_is_dir(a->g, "/Windows/System32") > 0)
						windows = true;
					guestfs_umount_all(a->g);
				}
				continue;
			}
			if (!fs_is_linux_root_candidate(type))
				continue;
			if (streq(type, "btrfs"))
				ok = try_btrfs_root(a, dev);
			else
				ok = guestfs_mount_ro(a->g, dev, "/") == 0 && mounted_is_root(a);
			if (ok) {
				fclose(seenf);
				*ret_root = strdup(dev);
				return *ret_root ? 0 : -ENOMEM;
			}
			guestfs_umount_all(a->g);
		}
	}
	fclose(seenf);
	if (windows) {
		facts->is_windows = true;
		return nc_err_set(a->err, -EMEDIUMTYPE, "%s: Windows: not checked yet", a->image);
	}
	if (luks)
		return nc_err_set(a->err, -ENOKEY,
				  "%s: the root filesystem is encrypted (LUKS): it cannot be "
				  "checked offline without its key", a->image);
	return nc_err_set(a->err, -ENODATA, "%s: no Linux operating system found (filesystems: %s)",
			  a->image, seen && *seen ? seen : "none");
}

struct fs_ref {
	char *dev;       /* appliance device */
	char *uuid, *label, *partuuid, *partlabel;
};

/* Resolve an fstab spec to an appliance device through the layout. */
static const char *resolve_spec(const struct nc_block_layout *l, const char *spec)
{
	const char *v;

	for (int pass = 0; pass < 2; pass++) {
		const struct nc_partition *arr = pass ? l->volumes : l->parts;
		size_t n = pass ? l->n_volumes : l->n_parts;

		for (size_t i = 0; i < n; i++) {
			const struct nc_partition *p = &arr[i];

			if ((v = startswith(spec, "UUID=")) && p->uuid && strcasecmp(v, p->uuid) == 0)
				return p->device;
			if ((v = startswith(spec, "LABEL=")) && p->label && streq(v, p->label))
				return p->device;
			if ((v = startswith(spec, "PARTUUID=")) && p->partuuid &&
			    strcasecmp(v, p->partuuid) == 0)
				return p->device;
			if ((v = startswith(spec, "PARTLABEL=")) && p->partlabel &&
			    streq(v, p->partlabel))
				return p->device;
			if ((v = startswith(spec, "/dev/disk/by-uuid/")) && p->uuid &&
			    strcasecmp(v, p->uuid) == 0)
				return p->device;
			if ((v = startswith(spec, "/dev/disk/by-label/")) && p->label &&
			    streq(v, p->label))
				return p->device;
			if (streq(spec, p->device))
				return p->device;
		}
	}
	return NULL;
}

struct mount_req {
	char *mp;
	const char *dev;
	const char *subvol;
};

static int cmp_mount_req(const void *a, const void *b)
{
	const struct mount_req *x = a, *y = b;
	size_t lx = strlen(x->mp), ly = strlen(y->mp);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->mp, y->mp);
}

/* Mount the guest's other local filesystems read-only, shortest first.
 * Failures are notes, not errors: a scan of / alone is still worth having. */
static int mount_fstab(struct appliance *a, struct nc_facts *facts)
{
	_cleanup_free_ char *text = NULL;
	struct nc_fstab fstab = { 0 };
	struct mount_req reqs[64];
	size_t n = 0, size;
	int r = 0;

	text = guestfs_read_file(a->g, "/etc/fstab", &size);
	if (!text || fstab_parse(text, &fstab) < 0)
		return 0;   /* the boot checks report a missing or broken fstab */
	for (size_t i = 0; i < fstab.n && n < ARRAY_SIZE(reqs); i++) {
		const struct nc_fstab_entry *e = &fstab.v[i];
		const char *dev;

		if (e->file[0] != '/' || streq(e->file, "/") ||
		    (!fs_is_linux_root_candidate(e->vfstype) && !streq(e->vfstype, "vfat") &&
		     !streq(e->vfstype, "auto")))
			continue;
		dev = resolve_spec(&facts->layout, e->spec);
		if (!dev)
			continue;   /* the boot checks report unresolvable specs */
		reqs[n].mp = strdup(e->file);
		reqs[n].dev = dev;
		reqs[n].subvol = NULL;
		fstab_has_opt(e->opts, "subvol", &reqs[n].subvol);
		if (!reqs[n].mp) {
			r = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(reqs, n, sizeof(reqs[0]), cmp_mount_req);
	for (size_t i = 0; i < n; i++) {
		char *note;

		if (guestfs_is_dir(a->g, reqs[i].mp) > 0 &&
		    mount_ro_subvol(a->g, reqs[i].dev, reqs[i].subvol, reqs[i].mp) == 0)
			continue;
		note = strdup_printf("%s: could not mount %s on %s read-only; its files were "
				     "not checked", a->image, reqs[i].dev, reqs[i].mp);
		r = strv_push(&facts->notes, note);
		if (r < 0)
			goto out;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(reqs[i].mp);
	fstab_free(&fstab);
	return r;
}

/* Parse "blkid -p -o export" output (KEY=VALUE lines) as a flat kv strv. */
static int blkid_kv(struct appliance *a, const char *dev, char ***ret_kv)
{
	_cleanup_gstrv_ char **h = guestfs_blkid(a->g, dev);
	_cleanup_strv_free_ char **kv = NULL;

	*ret_kv = NULL;
	if (!h)
		return 0;   /* nothing recognisable on it */
	for (size_t i = 0; h[i] && h[i + 1]; i += 2)
		if (strv_extend(&kv, h[i]) < 0 || strv_extend(&kv, h[i + 1]) < 0)
			return -ENOMEM;
	*ret_kv = TAKE_PTR(kv);
	return 0;
}

static const char *kv_lookup(char *const *kv, const char *key)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
		if (streq(kv[i], key))
			return kv[i + 1];
	return NULL;
}

/* Block layout from inside the appliance. With host_parts (raw images,
 * read by host libblkid) only the device names are taken from here. */
static int appliance_layout(struct appliance *a, struct nc_facts *facts, bool host_parts)
{
	bool any_part = false;
	int r;

	if (host_parts) {
		/* host names were "partN": use the appliance's /dev/sdXN */
		for (size_t i = 0; i < facts->layout.n_parts; i++) {
			struct nc_partition *p = &facts->layout.parts[i];
			char *d = p->number ? strdup_printf("%s%d", a->disk, p->number)
					    : strdup(a->disk);

			if (!d)
				return -ENOMEM;
			free(p->device);
			p->device = d;
		}
	} else {
		_cleanup_strv_free_ char **kv = NULL;
		const char *v;

		r = blkid_kv(a, a->disk, &kv);
		if (r < 0)
			return r;
		if ((v = kv_lookup(kv, "PTTYPE")))
			facts->layout.pttype = strdup(v);
		if ((v = kv_lookup(kv, "PTUUID")))
			facts->layout.disk_id = strdup(v);
		for (size_t i = 0; a->members && a->members[i]; i++) {
			_cleanup_strv_free_ char **pkv = NULL;

			if (!startswith(a->members[i], a->disk))
				continue;   /* a logical volume: below */
			any_part = true;
			r = blkid_kv(a, a->members[i], &pkv);
			if (r < 0)
				return r;
			r = layout_add_export(&facts->layout, false, a->members[i], pkv);
			if (r < 0)
				return r;
		}
		if (!any_part) {
			/* a whole-disk filesystem */
			r = layout_add_export(&facts->layout, false, a->disk, kv);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; a->members && a->members[i]; i++) {
		_cleanup_strv_free_ char **kv = NULL;

		if (startswith(a->members[i], a->disk))
			continue;
		r = blkid_kv(a, a->members[i], &kv);
		if (r < 0)
			return r;
		r = layout_add_export(&facts->layout, true, a->members[i], kv);
		if (r < 0)
			return r;
	}
	facts->have_layout = true;
	return 0;
}

/* Make /lib, /sbin, ... symlinks of a merged-/usr guest exist in the
 * snapshot, always relative, so lookups stay inside it. */
static int mirror_toplevel_links(struct appliance *a, const struct nc_snapshot *snap)
{
	static const char *const names[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *gp = strdup_printf("/%s", names[i]);
		_cleanup_free_ char *target = NULL;
		const char *t;

		if (!gp)
			return -ENOMEM;
		if (guestfs_is_symlink(a->g, gp) <= 0)
			continue;
		target = guestfs_readlink(a->g, gp);
		if (!target)
			continue;
		t = target;
		while (*t == '/')
			t++;
		if (strstr(t, ".."))
			continue;
		if (strv_extend(&a->toplinks, names[i]) < 0 || strv_extend(&a->toplinks, t) < 0)
			return -ENOMEM;
		if (symlinkat(t, snap->rootfd, names[i]) < 0 && errno != EEXIST) {
			_cleanup_free_ char *full = path_join(snap->root, names[i]);

			if (!full || (symlink(t, full) < 0 && errno != EEXIST))
				return -errno;
		}
	}
	return 0;
}

/* tar-out one directory (one round trip whatever its size), at most once
 * per real path: /lib and /usr/lib are the same on merged-/usr guests. */
static int copy_tree(struct appliance *a, const struct nc_snapshot *snap, const char *tree,
		     char *const *spec_excludes, char ***done)
{
	_cleanup_free_ char *real = guestfs_realpath(a->g, tree);
	_cleanup_free_ char *tarfile = path_join(snap->root, ".nitrocheck-copy.tar");
	_cleanup_strv_free_ char **excludes = NULL;
	int r;

	if (!real || guestfs_is_dir(a->g, real) <= 0 || strv_contains(*done, real))
		return 0;   /* absent in this guest, or copied already */
	if (!tarfile || strv_extend(done, real) < 0)
		return -ENOMEM;
	/* "/boot/vmlinuz-*" under tree "/boot" is tar's "./vmlinuz-*" */
	for (size_t i = 0; spec_excludes && spec_excludes[i]; i++) {
		const char *rest = startswith(spec_excludes[i], tree);

		if (rest && *rest == '/' && strv_push(&excludes, strdup_printf(".%s", rest)) < 0)
			return -ENOMEM;
		if (!rest && spec_excludes[i][0] == '.' &&
		    strv_extend(&excludes, spec_excludes[i]) < 0)
			return -ENOMEM;
	}
	r = excludes ? guestfs_tar_out_opts(a->g, real, tarfile, GUESTFS_TAR_OUT_OPTS_EXCLUDES,
					    excludes, -1)
		     : guestfs_tar_out_opts(a->g, real, tarfile, -1);
	if (r < 0) {
		unlink(tarfile);
		return gfs_fail(a, tree);
	}
	r = snapshot_extract_tar(snap, tarfile, real, a->err);
	unlink(tarfile);
	return r;
}

/* The depmod indexes of every kernel: its modules directory without the
 * module trees themselves (the few .ko files we need come one by one). */
static int copy_module_indexes(struct appliance *a, const struct nc_snapshot *snap,
			       char ***done)
{
	static const char *const bases[] = { "/lib/modules", "/usr/lib/modules" };
	char *excludes[] = { "./kernel", "./updates", "./extra", "./vdso", "./build",
			     "./source", "./misc", "./weak-updates", "./dkms", NULL };
	/* (relative patterns pass through copy_tree unchanged) */

	for (size_t b = 0; b < ARRAY_SIZE(bases); b++) {
		_cleanup_gstrv_ char **vers = NULL;

		if (guestfs_is_dir(a->g, bases[b]) <= 0)
			continue;
		vers = guestfs_ls(a->g, bases[b]);
		for (size_t i = 0; vers && vers[i]; i++) {
			_cleanup_free_ char *dir = strdup_printf("%s/%s", bases[b], vers[i]);
			int r = dir ? copy_tree(a, snap, dir, excludes, done) : -ENOMEM;

			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Copy one guest file (following a final symlink, and recreating that link
 * in the snapshot) unless it is already there. */
int appliance_copy_file(void *appliance, const struct nc_snapshot *snap, const char *path,
			uint64_t max_size)
{
	struct appliance *a = appliance;
	_cleanup_free_ char *real = NULL, *dir = NULL, *local = NULL;
	_cleanup_free_ char *dirpath = strdup(path);
	char *slash;
	int64_t size;
	int r;

	if (!dirpath)
		return -ENOMEM;
	slash = strrchr(dirpath, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	dir = guestfs_realpath(a->g, *dirpath ? dirpath : "/");
	if (!dir)
		return 0;
	/* The final component may itself be a symlink: mirror it. */
	{
		_cleanup_free_ char *lpath = strdup_printf("%s/%s", streq(dir, "/") ? "" : dir,
							   slash + 1);

		if (!lpath)
			return -ENOMEM;
		if (guestfs_is_symlink(a->g, lpath) > 0) {
			_cleanup_free_ char *target = guestfs_readlink(a->g, lpath);
			_cleanup_free_ char *llocal = path_join(snap->root, lpath);

			if (target && llocal && snapshot_mkdirs(snap, lpath) == 0)
				(void)symlink(target, llocal);
		}
	}
	real = guestfs_realpath(a->g, path);
	if (!real || guestfs_is_file(a->g, real) <= 0)
		return 0;
	local = path_join(snap->root, real);
	if (!local)
		return -ENOMEM;
	if (access(local, F_OK) == 0)
		return 0;
	size = guestfs_filesize(a->g, real);
	if (size < 0 || (uint64_t)size > max_size)
		return 0;
	r = snapshot_mkdirs(snap, real);
	if (r < 0)
		return r;
	if (guestfs_download(a->g, real, local) < 0)
		return gfs_fail(a, real);
	return 0;
}

/* Guest path with its top-level link resolved ("/lib/x" → "/usr/lib/x"), so
 * that paths are real both in the appliance and in the snapshot. */
static char *resolve_toplink(const struct appliance *a, const char *path)
{
	for (size_t i = 0; a->toplinks && a->toplinks[i] && a->toplinks[i + 1]; i += 2) {
		const char *rest = startswith(path + 1, a->toplinks[i]);

		if (path[0] == '/' && rest && (*rest == '/' || *rest == '\0'))
			return strdup_printf("/%s%s", a->toplinks[i + 1], rest);
	}
	return strdup(path);
}

static bool shell_safe(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789/._-+*?@,:=";

	return *s == '/' && strspn(s, ok) == strlen(s);
}

/*
 * Many small files in one round trip: the appliance lists them with shell
 * builtins, stages only the heads (first head_size bytes) in its own /tmp,
 * and one tar | gzip | base64 sends everything on stdout, which libarchive
 * reads back (uu + gzip + tar). Processes are what cost in a TCG appliance
 * (~0.1 s per fork/exec), round trips ~0.2 s each: this costs one round
 * trip and a process per head. -E2BIG when a path cannot be passed to the
 * shell; the caller then copies one by one, as it does when the answer
 * exceeds the protocol's message size.
 */
static int copy_batched(struct appliance *a, const struct nc_snapshot *snap, char *const *full,
			char *const *heads, uint64_t head_size)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&cmd, &len);
	char *args[2] = { NULL, NULL };

	if (!f)
		return -ENOMEM;
	fputs("rm -rf /tmp/nc /tmp/nc.list; mkdir -p /tmp/nc && cd /sysroot || exit 1; "
	      ": > /tmp/nc.list; ", f);
	for (int pass = 0; pass < 2; pass++) {
		char *const *list = pass ? heads : full;

		for (size_t i = 0; list && list[i]; i++) {
			_cleanup_free_ char *p = resolve_toplink(a, list[i]);

			if (!p) {
				fclose(f);
				return -ENOMEM;
			}
			if (!shell_safe(p)) {
				fclose(f);
				return -E2BIG;
			}
			/* globs expand relative to /sysroot: no leading slash */
			if (!pass)
				fprintf(f, "for x in %s; do if [ -e \"$x\" ] || [ -L \"$x\" ]; then "
					   "printf '%%s\\n' \"$x\" >> /tmp/nc.list; fi; done; ", p + 1);
			else
				fprintf(f, "for x in %s; do if [ -L \"$x\" ]; then "
					   "printf '%%s\\n' \"$x\" >> /tmp/nc.list; "
					   "elif [ -f \"$x\" ]; then mkdir -p \"/tmp/nc/${x%%/*}\" && "
					   "head -c %llu \"$x\" > \"/tmp/nc/$x\"; fi; done; ",
					p + 1, (unsigned long long)head_size);
		}
	}
	fputs("{ echo 'begin-base64 644 nc'; "
	      "tar -czf - --no-recursion -T /tmp/nc.list --recursion -C /tmp/nc . | base64; echo '===='; }; "
	      "rm -rf /tmp/nc /tmp/nc.list", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	args[0] = cmd;
	out = guestfs_debug(a->g, "sh", args);
	if (!out)
		return -EIO;   /* e.g. over the protocol's message size: one by one */
	return snapshot_extract_mem(snap, out, strlen(out), "/", a->err);
}

static int copy_globs(struct appliance *a, const struct nc_snapshot *snap,
		      const struct nc_snapshot_spec *spec)
{
	int r = copy_batched(a, snap, spec->files, spec->heads,
			     spec->head_size ? spec->head_size : 65536);

	if (r == 0 || r == -ENOMEM)
		return r;
	for (size_t i = 0; spec->heads && spec->heads[i]; i++) {
		_cleanup_gstrv_ char **paths = guestfs_glob_expand(a->g, spec->heads[i]);

		for (size_t j = 0; paths && paths[j]; j++) {
			r = appliance_copy_file(a, snap, paths[j], spec->max_file_size);
			if (r < 0)
				return r;
		}
	}
	for (size_t i = 0; spec->files && spec->files[i]; i++) {
		_cleanup_gstrv_ char **paths = guestfs_glob_expand(a->g, spec->files[i]);

		for (size_t j = 0; paths && paths[j]; j++) {
			r = appliance_copy_file(a, snap, paths[j], spec->max_file_size);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Byte search inside the appliance: copy out only the files that mention
 * one of the strings (ELF binaries included: grep without -I). */
static int copy_search_hits(struct appliance *a, const struct nc_snapshot *snap,
			    const struct nc_snapshot_spec *spec)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	size_t len = 0;
	FILE *f;
	char *cur, *line;

	if (!spec->search_dirs || !spec->search_strings || !spec->search_strings[0])
		return 0;
	f = open_memstream(&cmd, &len);
	if (!f)
		return -ENOMEM;
	fputs("cd /sysroot && find", f);
	for (size_t i = 0; spec->search_dirs[i]; i++) {
		/* only plain path characters reach the shell */
		if (strspn(spec->search_dirs[i], "abcdefghijklmnopqrstuvwxyz"
						 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") !=
		    strlen(spec->search_dirs[i]))
			continue;
		fprintf(f, " .%s", spec->search_dirs[i]);
	}
	fprintf(f, " -type f -size -%lluk -print0 2>/dev/null | xargs -0 -r grep -lsF",
		(unsigned long long)(spec->max_file_size / 1024));
	for (size_t i = 0; spec->search_strings[i]; i++) {
		const char *s = spec->search_strings[i];

		if (strchr(s, '\'') || strchr(s, '\n'))
			continue;
		fprintf(f, " -e '%s'", s);
	}
	fputs(" 2>/dev/null; true", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	{
		char *args[] = { cmd, NULL };

		out = guestfs_debug(a->g, "sh", args);
	}
	if (!out)
		return gfs_fail(a, "searching for Xen-only probes");
	cur = out;
	while ((line = line_next(&cur))) {
		const char *p = line;
		int r;

		if (p[0] == '.' && p[1] == '/')
			p++;
		if (*p != '/')
			continue;
		r = appliance_copy_file(a, snap, p, spec->max_file_size);
		if (r < 0)
			return r;
	}
	return 0;
}

static void gfs_close(guestfs_h **g)
{
	if (*g) {
		guestfs_umount_all(*g);
		guestfs_shutdown(*g);
		guestfs_close(*g);
	}
}

/* Partition device → the disk it is on ("/dev/sdb3" → index of "/dev/sdb"). */
static int disk_of(char *const *disks, const char *dev)
{
	for (int i = 0; disks && disks[i]; i++) {
		const char *rest = startswith(dev, disks[i]);

		if (rest && (*rest == '\0' || (*rest >= '0' && *rest <= '9')))
			return i;
	}
	return -1;
}

/*
 * Which partitions and logical volumes belong to which disk. A volume group
 * whose physical volumes span several disks (two images with the same VG
 * name confuse LVM) marks those disks ambiguous: they are read again alone.
 */
static int assign_members(guestfs_h *g, char *const *disks, size_t n, char ***members,
			  bool *ambiguous)
{
	_cleanup_gstrv_ char **parts = guestfs_list_partitions(g);
	_cleanup_gstrv_ char **pvs = guestfs_pvs(g);
	_cleanup_gstrv_ char **vgs = guestfs_vgs(g);
	_cleanup_strv_free_ char **pv_uuids = NULL;
	int r;

	for (size_t i = 0; parts && parts[i]; i++) {
		int d = disk_of(disks, parts[i]);

		if (d >= 0 && (r = strv_extend(&members[d], parts[i])) < 0)
			return r;
	}
	for (size_t i = 0; pvs && pvs[i]; i++) {
		_cleanup_free_ char *u = guestfs_pvuuid(g, pvs[i]);

		if ((r = strv_extend(&pv_uuids, u ? u : "")) < 0)
			return r;
	}
	for (size_t v = 0; vgs && vgs[v]; v++) {
		_cleanup_gstrv_ char **uuids = guestfs_vgpvuuids(g, vgs[v]);
		_cleanup_gstrv_ char **lvs = guestfs_lvs(g);
		_cleanup_free_ char *prefix = strdup_printf("/dev/%s/", vgs[v]);
		int owner = -2;

		if (!prefix)
			return -ENOMEM;
		for (size_t u = 0; uuids && uuids[u]; u++)
			for (size_t p = 0; pvs && pvs[p]; p++) {
				int d;

				if (strcmp(pv_uuids[p], uuids[u]) != 0)
					continue;
				d = disk_of(disks, pvs[p]);
				if (owner == -2)
					owner = d;
				else if (owner != d && d >= 0) {
					if (owner >= 0)
						ambiguous[owner] = true;
					ambiguous[d] = true;
				}
			}
		if (owner < 0 || (size_t)owner >= n)
			continue;
		for (size_t l = 0; lvs && lvs[l]; l++)
			if (startswith(lvs[l], prefix) &&
			    (r = strv_extend(&members[owner], lvs[l])) < 0)
				return r;
	}
	return 0;
}

static int collect_path(void *ctx, const struct nc_snapshot *snap, const char *path,
			uint64_t max_size)
{
	char ***paths = ctx;

	(void)snap;
	(void)max_size;
	return strv_contains(*paths, path) ? 0 : strv_extend(paths, path);
}

/* Everything for one image of a launched appliance. */
static int snapshot_one(struct appliance *a, const struct nc_image_opts *o, bool host_parts,
			struct nc_facts *facts)
{
	_cleanup_free_ char *root = NULL;
	_cleanup_strv_free_ char **done = NULL, **kos = NULL;
	int r;

	r = appliance_layout(a, facts, host_parts);
	if (r < 0)
		return r;
	r = find_root(a, facts, &root);
	if (r < 0)
		return r;
	r = mount_fstab(a, facts);
	if (r < 0)
		return r;
	r = snapshot_create(&facts->snap, o->keep_snapshot, a->err);
	if (r < 0)
		return r;
	r = mirror_toplevel_links(a, &facts->snap);
	if (r < 0)
		return nc_err_set(a->err, r, "%s: %s", facts->snap.root, strerror(-r));
	for (size_t i = 0; o->spec->trees && o->spec->trees[i]; i++) {
		r = copy_tree(a, &facts->snap, o->spec->trees[i], o->spec->excludes, &done);
		if (r < 0)
			return r;
	}
	r = copy_module_indexes(a, &facts->snap, &done);
	if (r < 0)
		return r;
	r = copy_globs(a, &facts->snap, o->spec);
	if (r < 0)
		return r;
	r = modules_copy_wanted(&kos, collect_path, &facts->snap, o->drivers, o->n_drivers,
				o->spec->max_file_size);
	if (r >= 0 && kos) {
		r = copy_batched(a, &facts->snap, kos, NULL, 0);
		for (size_t i = 0; r < 0 && r != -ENOMEM && kos[i]; i++)
			r = appliance_copy_file(a, &facts->snap, kos[i], o->spec->max_file_size);
	}
	if (r < 0)
		return nc_err_set(a->err, r, "%s: copying kernel modules: %s", a->image,
				  strerror(-r));
	return copy_search_hits(a, &facts->snap, o->spec);
}

static int appliance_start(guestfs_h **ret, const struct nc_image_opts *o, const char *what,
			   struct nc_err *err)
{
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);

	*ret = g;
	if (!g)
		return nc_err_set(err, -ENOMEM, "%s: cannot create a libguestfs handle", what);
	guestfs_set_error_handler(g, NULL, NULL);
	if (guestfs_parse_environment(g) < 0)
		return nc_err_set(err, -EIO, "%s: libguestfs environment: %s", what,
				  guestfs_last_error(g));
	if (!getenv("LIBGUESTFS_BACKEND"))
		guestfs_set_backend(g, "direct");
	if (o->verbose)
		guestfs_set_trace(g, 1);
	return 0;
}

int image_snapshot_batch(char *const *paths, size_t n, const struct nc_image_opts *o,
			 struct nc_facts *facts, struct nc_err *errs, int *rets)
{
	_cleanup_(gfs_close) guestfs_h *g = NULL;
	_cleanup_gstrv_ char **disks = NULL;
	char **formats = calloc(n, sizeof(char *)), ***members = calloc(n, sizeof(char **));
	bool *ambiguous = calloc(n, sizeof(bool));
	size_t *disk_index = calloc(n, sizeof(size_t)), n_added = 0;
	int r = 0;

	if (!formats || !members || !ambiguous || !disk_index) {
		r = -ENOMEM;
		goto out;
	}
	/* Host-side checks first: a bad file fails alone, at no launch cost. */
	for (size_t i = 0; i < n; i++) {
		rets[i] = image_probe(paths[i], o->format, &formats[i], &errs[i]);
		if (rets[i] >= 0 && streq(formats[i], "raw"))
			rets[i] = layout_probe_raw(paths[i], &facts[i].layout, &errs[i]);
	}
	r = appliance_start(&g, o, paths[0], &errs[0]);
	if (r < 0)
		goto fail_all;
	for (size_t i = 0; i < n; i++) {
		if (rets[i] < 0)
			continue;
		if (guestfs_add_drive_opts(g, paths[i], GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
					   GUESTFS_ADD_DRIVE_OPTS_FORMAT, formats[i], -1) < 0) {
			rets[i] = nc_err_set(&errs[i], -EIO, "%s: adding the image: %s", paths[i],
					     guestfs_last_error(g));
			continue;
		}
		disk_index[i] = n_added++;
	}
	if (n_added == 0)
		goto out;
	if (guestfs_launch(g) < 0) {
		const char *msg = guestfs_last_error(g);

		for (size_t i = 0; i < n; i++)
			if (rets[i] >= 0)
				rets[i] = nc_err_set(&errs[i], -EIO,
						     "%s: starting the libguestfs appliance: %s",
						     paths[i], msg ? msg : "failed");
		goto out;
	}
	disks = guestfs_list_devices(g);
	if (!disks) {
		r = -EIO;
		goto fail_all;
	}
	{
		char ***by_disk = calloc(n_added + 1, sizeof(char **));
		bool *amb = calloc(n_added + 1, sizeof(bool));

		if (!by_disk || !amb || assign_members(g, disks, n_added, by_disk, amb) < 0) {
			for (size_t d = 0; by_disk && d < n_added; d++)
				strv_free(by_disk[d]);
			free(by_disk);
			free(amb);
			r = -ENOMEM;
			goto fail_all;
		}
		for (size_t i = 0; i < n; i++)
			if (rets[i] >= 0) {
				members[i] = by_disk[disk_index[i]];
				ambiguous[i] = amb[disk_index[i]];
			}
		free(by_disk);
		free(amb);
	}
	for (size_t i = 0; i < n; i++) {
		struct appliance a = { .g = g, .image = paths[i], .err = &errs[i],
				       .disk = disks[disk_index[i]], .members = members[i] };

		if (rets[i] < 0 || ambiguous[i])
			continue;
		rets[i] = snapshot_one(&a, o, streq(formats[i], "raw"), &facts[i]);
		strv_free(a.toplinks);
		guestfs_umount_all(g);
	}
	/* Images whose LVM clashed with another's: one appliance each. */
	for (size_t i = 0; i < n; i++) {
		if (rets[i] < 0 || !ambiguous[i])
			continue;
		nc_block_layout_free(&facts[i].layout);
		rets[i] = image_snapshot(paths[i], o, &facts[i], &errs[i]);
	}
	goto out;
fail_all:
	{
		char why[sizeof(errs[0].msg)];

		snprintf(why, sizeof(why), "%s", errs[0].msg[0] ? errs[0].msg : strerror(-r));
		for (size_t i = 0; i < n; i++)
			if (rets[i] >= 0)
				rets[i] = nc_err_set(&errs[i], r, "%s", why);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(formats ? formats[i] : NULL);
		strv_free(members ? members[i] : NULL);
	}
	free(formats);
	free(members);
	free(ambiguous);
	free(disk_index);
	return r;
}

int image_snapshot(const char *path, const struct nc_image_opts *o, struct nc_facts *facts,
		   struct nc_err *err)
{
	char *paths[] = { (char *)path, NULL };
	int ret = 0, r;

	r = image_snapshot_batch(paths, 1, o, facts, err, &ret);
	return r < 0 ? r : ret;
}
