/* SPDX-License-Identifier: MIT */
/*
 * The snapshot directory: a sparse host mirror of the guest. What we extract
 * into it comes from an untrusted image, so extraction refuses absolute
 * paths, ".." and writes through symlinks (libarchive's secure flags).
 */
#define _XOPEN_SOURCE 700
#include "image/image.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

static int open_root(struct nc_snapshot *snap, struct nc_err *err)
{
	snap->rootfd = open(snap->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (snap->rootfd < 0)
		return nc_err_set(err, -errno, "%s: %s", snap->root, strerror(errno));
	return 0;
}

int snapshot_create(struct nc_snapshot *snap, const char *keep_dir, struct nc_err *err)
{
	memset(snap, 0, sizeof(*snap));
	snap->rootfd = -1;
	if (keep_dir) {
		if (mkdir(keep_dir, 0700) < 0 && errno != EEXIST)
			return nc_err_set(err, -errno, "%s: %s", keep_dir, strerror(errno));
		snap->root = realpath(keep_dir, NULL);
		if (!snap->root)
			return nc_err_set(err, -errno, "%s: %s", keep_dir, strerror(errno));
	} else {
		const char *tmp = getenv("TMPDIR");
		_cleanup_free_ char *tmpl = strdup_printf("%s/nitrocheck-XXXXXX",
							  tmp && *tmp ? tmp : "/tmp");

		if (!tmpl)
			return -ENOMEM;
		if (!mkdtemp(tmpl))
			return nc_err_set(err, -errno, "%s: cannot create a temporary directory: %s",
					  tmpl, strerror(errno));
		snap->root = TAKE_PTR(tmpl);
		snap->owned = true;
	}
	return open_root(snap, err);
}

int snapshot_open_dir(struct nc_snapshot *snap, const char *dir, struct nc_err *err)
{
	struct stat st;

	memset(snap, 0, sizeof(*snap));
	snap->rootfd = -1;
	if (stat(dir, &st) < 0)
		return nc_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return nc_err_set(err, -ENOTDIR, "%s: --root needs a directory", dir);
	snap->root = realpath(dir, NULL);
	if (!snap->root)
		return nc_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	return open_root(snap, err);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void snapshot_destroy(struct nc_snapshot *snap)
{
	if (snap->rootfd >= 0)
		close(snap->rootfd);
	if (snap->owned && snap->root)
		nftw(snap->root, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(snap->root);
	memset(snap, 0, sizeof(*snap));
	snap->rootfd = -1;
}

int snapshot_mkdirs(const struct nc_snapshot *snap, const char *guest_path)
{
	_cleanup_free_ char *p = strdup(guest_path);
	char *s;

	if (!p)
		return -ENOMEM;
	s = p;
	while (*s == '/')
		s++;
	for (char *slash = strchr(s, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		{
			_cleanup_free_ char *full = path_join(snap->root, s);

			if (!full)
				return -ENOMEM;
			if (mkdir(full, 0755) < 0 && errno != EEXIST)
				return -errno;
		}
		*slash = '/';
	}
	return 0;
}

/* Extract from a file (tarfile) or, with tarfile NULL, from memory. */
static int extract_archive(const struct nc_snapshot *snap, const char *tarfile,
			   const void *mem, size_t mem_len, const char *at, struct nc_err *err)
{
	/* Names are rebased under dest (absolute), so absolute names in the
	 * archive itself are refused by hand below. */
	const int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			  ARCHIVE_EXTRACT_SECURE_NODOTDOT;
	_cleanup_free_ char *dest = path_join(snap->root, at);
	_cleanup_free_ char *inner = path_join(at, "x");
	struct archive *a = NULL, *ext = NULL;
	struct archive_entry *e;
	int r = 0, ar;

	if (!dest || !inner)
		return -ENOMEM;
	r = snapshot_mkdirs(snap, inner);
	if (r < 0)
		return nc_err_set(err, r, "%s: %s", dest, strerror(-r));
	a = archive_read_new();
	ext = archive_write_disk_new();
	if (!a || !ext) {
		r = -ENOMEM;
		goto out;
	}
	archive_read_support_format_tar(a);
	/* the appliance's batched copies come as gzip'd tar in base64 (uu) */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_uu(a);
	archive_write_disk_set_options(ext, flags);
	if ((tarfile ? archive_read_open_filename(a, tarfile, 1 << 16)
		     : archive_read_open_memory(a, mem, mem_len)) != ARCHIVE_OK) {
		r = nc_err_set(err, -EIO, "%s: %s", tarfile ? tarfile : "appliance archive",
			       archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		_cleanup_free_ char *full = NULL;
		const char *hl;

		while (name && (name[0] == '.' && name[1] == '/'))
			name += 2;
		if (!name || !*name || streq(name, ".") || name[0] == '/')
			continue;
		full = path_join(dest, name);
		if (!full) {
			r = -ENOMEM;
			goto out;
		}
		archive_entry_set_pathname(e, full);
		/* Hard links point inside the archive: rebase them too. */
		hl = archive_entry_hardlink(e);
		if (hl) {
			_cleanup_free_ char *hfull = NULL;

			while (hl[0] == '.' && hl[1] == '/')
				hl += 2;
			hfull = path_join(dest, hl);
			if (!hfull) {
				r = -ENOMEM;
				goto out;
			}
			archive_entry_set_hardlink(e, hfull);
		}
		/* Device nodes and fifos carry no content we read. */
		if (archive_entry_filetype(e) != AE_IFREG && archive_entry_filetype(e) != AE_IFDIR &&
		    archive_entry_filetype(e) != AE_IFLNK)
			continue;
		archive_entry_set_uid(e, getuid());
		archive_entry_set_gid(e, getgid());
		archive_entry_set_perm(e, archive_entry_perm(e) | 0600);
		if (archive_entry_filetype(e) == AE_IFDIR)
			archive_entry_set_perm(e, archive_entry_perm(e) | 0700);
		if (archive_write_header(ext, e) != ARCHIVE_OK)
			continue;   /* refused (e.g. through a symlink): skip, never follow */
		if (archive_entry_size(e) > 0) {
			const void *buf;
			size_t size;
			la_int64_t off;

			while ((ar = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
				if (archive_write_data_block(ext, buf, size, off) != ARCHIVE_OK)
					break;
			if (ar != ARCHIVE_OK && ar != ARCHIVE_EOF) {
				r = nc_err_set(err, -EIO, "%s: %s", tarfile ? tarfile : "appliance archive",
					       archive_error_string(a));
				goto out;
			}
		}
		archive_write_finish_entry(ext);
	}
	if (ar != ARCHIVE_EOF)
		r = nc_err_set(err, -EIO, "%s: %s", tarfile ? tarfile : "appliance archive",
			       archive_error_string(a));
out:
	if (a)
		archive_read_free(a);
	if (ext)
		archive_write_free(ext);
	return r;
}

int snapshot_extract_tar(const struct nc_snapshot *snap, const char *tarfile, const char *at,
			 struct nc_err *err)
{
	return extract_archive(snap, tarfile, NULL, 0, at, err);
}

int snapshot_extract_mem(const struct nc_snapshot *snap, const void *buf, size_t len,
			 const char *at, struct nc_err *err)
{
	return extract_archive(snap, NULL, buf, len, at, err);
}
