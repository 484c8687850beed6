/* SPDX-License-Identifier: MIT */
#include "image/modules_copy.h"

#include <errno.h>

#include "common/snapfs.h"
#include "common/util.h"
#include "kernel/moddb.h"

static int load_index(int rootfd, const char *dir, const char *file, struct moddb *db,
		      int (*load)(struct moddb *, const char *, size_t))
{
	_cleanup_free_ char *path = path_join(dir, file), *buf = NULL;
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	r = snapfs_read_file(rootfd, path, 64u << 20, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = load(db, buf, len);
	return r < 0 ? r : 0;
}

/* Add name and, recursively, its dependencies to want. */
static int want_module(const struct moddb *db, const char *name, char ***want)
{
	const struct moddb_module *m = moddb_find(db, name);

	if (!m || strv_contains(*want, m->path))
		return 0;
	if (strv_extend(want, m->path) < 0)
		return -ENOMEM;
	/* modules.dep lists the full closure already */
	for (size_t i = 0; m->deps && m->deps[i]; i++) {
		const struct moddb_module *d = moddb_find(db, m->deps[i]);

		if (d && !strv_contains(*want, d->path) && strv_extend(want, d->path) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int copy_for_version(void *ctx, copy_file_fn copy, const struct nc_snapshot *snap,
			    const char *base, const char *version,
			    const struct nc_driver_spec *specs, size_t n_specs, uint64_t max_size)
{
	_cleanup_free_ char *dirpath = strdup_printf("%s/%s", base, version);
	_cleanup_strv_free_ char **want = NULL;
	struct moddb *db = NULL;
	int r;

	if (!dirpath)
		return -ENOMEM;
	if (!snapfs_is_dir(snap->rootfd, dirpath))
		return 0;
	r = moddb_new(&db);
	if (r < 0)
		return r;
	r = load_index(snap->rootfd, dirpath, "modules.dep", db, moddb_load_dep);
	if (r >= 0)
		r = load_index(snap->rootfd, dirpath, "modules.alias", db, moddb_load_alias);
	if (r < 0) {
		/* a corrupt index is the analyzers' to report */
		moddb_free(db);
		return 0;
	}
	for (size_t i = 0; i < n_specs && r >= 0; i++) {
		for (size_t j = 0; specs[i].modules && specs[i].modules[j] && r >= 0; j++)
			r = want_module(db, specs[i].modules[j], &want);
		for (size_t j = 0; specs[i].aliases && specs[i].aliases[j] && r >= 0; j++) {
			_cleanup_strv_free_ char **mods = NULL;
			int n = moddb_match_alias(db, specs[i].aliases[j], &mods, NULL);

			for (int k = 0; k < n && r >= 0; k++)
				r = want_module(db, mods[k], &want);
		}
	}
	/* nvme_core's parm types tell the io_timeout check what the kernel takes */
	if (r >= 0)
		r = want_module(db, "nvme_core", &want);
	moddb_free(db);
	for (size_t i = 0; want && want[i] && r >= 0; i++) {
		_cleanup_free_ char *p = want[i][0] == '/' ? strdup(want[i])
							   : strdup_printf("%s/%s", dirpath, want[i]);

		r = p ? copy(ctx, snap, p, max_size) : -ENOMEM;
	}
	return r;
}

int modules_copy_wanted(void *ctx, copy_file_fn copy, const struct nc_snapshot *snap,
			const struct nc_driver_spec *specs, size_t n_specs, uint64_t max_size)
{
	static const char *const bases[] = { "/lib/modules", "/usr/lib/modules" };
	int r = 0;

	for (size_t b = 0; b < ARRAY_SIZE(bases) && r >= 0; b++) {
		_cleanup_strv_free_ char **versions = NULL;

		/* "*": not the hidden names */
		if (snapfs_list_dir(snap->rootfd, bases[b], "*", &versions) < 0)
			continue;
		for (size_t i = 0; versions[i] && r >= 0; i++)
			r = copy_for_version(ctx, copy, snap, bases[b], versions[i], specs, n_specs,
					     max_size);
	}
	return r;
}
