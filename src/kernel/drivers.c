/* SPDX-License-Identifier: MIT */
#include "kernel/kernel.h"

#include <errno.h>
#include <string.h>

#include "common/snapfs.h"
#include "kernel/kconfig.h"
#include "kernel/moddb.h"
#include "kernel/modinfo.h"

/* Caps on what we read from an image: modules.alias of a distribution
 * kernel is ~1.5 MiB, a compressed module a few MiB. */
#define MODDB_FILE_MAX (64u * 1024 * 1024)
#define MODULE_FILE_MAX (64u * 1024 * 1024)
#define KCONFIG_MAX (16u * 1024 * 1024)
/* Deeper dependency chains than this are treated as a loop. */
#define DEPENDS_MAX_DEPTH 32

enum avail {
	AVAIL_UNKNOWN,
	AVAIL_CHECKING,   /* on the stack: a cycle counts as available */
	AVAIL_YES,
	AVAIL_NO,
};

/* One module file read for this kernel. */
struct modcache {
	char *name;
	char *path;           /* guest path */
	int r;                /* modinfo_parse() result, -ENOENT when absent */
	struct nc_modinfo mi;
	enum avail avail;
};

struct resolve_ctx {
	int rootfd;
	const struct nc_kernel *k;
	struct moddb *db;       /* NULL without a usable modules directory */
	char *db_problem;       /* why db is NULL or partial */
	struct kconfig *kc;
	struct modcache **cache;   /* entries stay put while callers hold them */
	size_t n_cache;
};

static void resolve_ctx_done(struct resolve_ctx *c)
{
	moddb_free(c->db);
	free(c->db_problem);
	kconfig_free(c->kc);
	for (size_t i = 0; i < c->n_cache; i++) {
		free(c->cache[i]->name);
		free(c->cache[i]->path);
		modinfo_clear(&c->cache[i]->mi);
		free(c->cache[i]);
	}
	free(c->cache);
}

const char *kernel_driver_status_str(enum nc_driver_status s)
{
	switch (s) {
	case NC_DRV_BUILTIN:
		return "builtin";
	case NC_DRV_MODULE:
		return "module";
	case NC_DRV_UNUSABLE:
		return "unusable";
	case NC_DRV_MISSING:
		break;
	}
	return "missing";
}

/* Larger is worse: a driver is as good as its worst module. */
static int status_badness(enum nc_driver_status s)
{
	switch (s) {
	case NC_DRV_BUILTIN:
		return 0;
	case NC_DRV_MODULE:
		return 1;
	case NC_DRV_UNUSABLE:
		return 2;
	case NC_DRV_MISSING:
		break;
	}
	return 3;
}

typedef int (*moddb_loader)(struct moddb *db, const char *text, size_t len);

/* Load one index file; a missing one is fine, a corrupt one is noted. */
static int load_index(struct resolve_ctx *c, const char *file, moddb_loader load, bool *ret_found)
{
	_cleanup_free_ char *path = path_join(c->k->modules_dir, file), *text = NULL;
	size_t len;
	int r;

	*ret_found = false;
	if (!path)
		return -ENOMEM;
	r = snapfs_read_file(c->rootfd, path, MODDB_FILE_MAX, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r >= 0)
		r = load(c->db, text, len);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		if (!c->db_problem)
			c->db_problem = strdup_printf("%s: %s", path,
						      r == -EINVAL ? "not in the depmod format" :
						      strerror(-r));
		return 0;
	}
	*ret_found = true;
	return 0;
}

static int resolve_ctx_init(struct resolve_ctx *c, const struct nc_snapshot *snap,
			    const struct nc_kernel *k)
{
	static const struct {
		const char *file;
		moddb_loader load;
	} indexes[] = {
		{ "modules.dep", moddb_load_dep },
		{ "modules.builtin", moddb_load_builtin },
		{ "modules.alias", moddb_load_alias },
		{ "modules.builtin.modinfo", moddb_load_builtin_modinfo },
	};
	bool found;
	int r;

	c->rootfd = snap->rootfd;
	c->k = k;
	if (k->config_path) {
		_cleanup_free_ char *text = NULL;
		size_t len;

		if (snapfs_read_file(c->rootfd, k->config_path, KCONFIG_MAX, &text, &len) >= 0 &&
		    kconfig_parse(text, len, &c->kc) < 0)
			c->kc = NULL;
	}
	if (!k->modules_dir) {
		c->db_problem = strdup_printf("no /lib/modules/%s", k->version);
		return c->db_problem ? 0 : -ENOMEM;
	}
	r = moddb_new(&c->db);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(indexes); i++) {
		r = load_index(c, indexes[i].file, indexes[i].load, &found);
		if (r < 0)
			return r;
		if (i == 0 && !found && !c->db_problem)
			c->db_problem = strdup_printf("no %s/modules.dep (depmod not run)",
						      k->modules_dir);
	}
	return 0;
}

static struct modcache *modcache_get(struct resolve_ctx *c, const struct moddb_module *m)
{
	_cleanup_free_ char *text = NULL;
	struct modcache *e, **nc;
	size_t len;

	for (size_t i = 0; i < c->n_cache; i++)
		if (streq(c->cache[i]->name, m->name))
			return c->cache[i];
	nc = realloc(c->cache, (c->n_cache + 1) * sizeof(*nc));
	if (!nc)
		return NULL;
	c->cache = nc;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->name = strdup(m->name);
	/* Old depmod wrote absolute paths. */
	e->path = m->path[0] == '/' ? strdup(m->path) : path_join(c->k->modules_dir, m->path);
	if (!e->name || !e->path) {
		free(e->name);
		free(e->path);
		free(e);
		return NULL;
	}
	c->cache[c->n_cache++] = e;
	e->r = snapfs_read_file(c->rootfd, e->path, MODULE_FILE_MAX, &text, &len);
	if (e->r >= 0)
		e->r = modinfo_parse(text, len, 0, &e->mi);
	return e;
}

static bool vermagic_matches(const char *vermagic, const char *version)
{
	size_t n = strcspn(vermagic, " \t");

	return n == strlen(version) && strncmp(vermagic, version, n) == 0;
}

static int module_available(struct resolve_ctx *c, const char *name, unsigned int depth);

/* Whether every entry of depends is available; the unavailable ones go to
 * *ret_missing when it is not NULL. */
static int depends_available(struct resolve_ctx *c, char **depends, unsigned int depth,
			     char ***ret_missing)
{
	bool all = true;
	int r;

	for (size_t i = 0; depends && depends[i]; i++) {
		r = module_available(c, depends[i], depth + 1);
		if (r < 0)
			return r;
		if (r)
			continue;
		all = false;
		if (!ret_missing)
			break;
		r = strv_extend(ret_missing, depends[i]);
		if (r < 0)
			return r;
	}
	return all;
}

/* 1 when name is built in, or a module whose file exists, whose vermagic
 * matches and whose own depends are available; 0 otherwise. */
static int module_available(struct resolve_ctx *c, const char *name, unsigned int depth)
{
	const struct moddb_module *m;
	struct modcache *e;
	int r;

	if (!c->db)
		return 0;
	if (moddb_is_builtin(c->db, name))
		return 1;
	m = moddb_find(c->db, name);
	if (!m)
		return 0;
	if (depth > DEPENDS_MAX_DEPTH)
		return 0;
	e = modcache_get(c, m);
	if (!e)
		return -ENOMEM;
	if (e->avail == AVAIL_CHECKING)
		return 1;
	if (e->avail != AVAIL_UNKNOWN)
		return e->avail == AVAIL_YES;
	if (e->r < 0 || !e->mi.vermagic || !vermagic_matches(e->mi.vermagic, c->k->version)) {
		e->avail = AVAIL_NO;
		return 0;
	}
	e->avail = AVAIL_CHECKING;
	r = depends_available(c, e->mi.depends, depth, NULL);
	if (r < 0)
		return r;
	e->avail = r ? AVAIL_YES : AVAIL_NO;
	return r;
}

static int set_str(char **field, char *value)
{
	free(*field);
	*field = value;
	return value ? 0 : -ENOMEM;
}

/* A module found in modules.dep: read its .modinfo and judge it. */
static int module_check(struct resolve_ctx *c, const struct moddb_module *m,
			struct nc_module *mod, const char *found_by)
{
	struct modcache *e = modcache_get(c, m);
	char **missing = NULL;
	int r;

	if (!e)
		return -ENOMEM;
	r = set_str(&mod->path, strdup(e->path));
	if (r < 0)
		return r;
	if (e->r == -ENOENT) {
		mod->status = NC_DRV_MISSING;
		r = set_str(&mod->found_by, strdup(found_by));
		if (r >= 0)
			r = set_str(&mod->error, strdup_printf("modules.dep lists %s but the file is absent",
							       e->path));
		return r;
	}
	if (e->r < 0) {
		mod->status = NC_DRV_UNUSABLE;
		r = set_str(&mod->found_by, strdup(found_by));
		if (r >= 0)
			r = set_str(&mod->error, strdup_printf("%s: cannot read its .modinfo: %s",
							       e->path,
							       e->r == -ENOEXEC ? "not a kernel module" :
							       strerror(-e->r)));
		return r;
	}

	if (e->mi.intree && !e->mi.version)
		r = set_str(&mod->found_by,
			    strdup_printf("%s (in-tree, no version field: judged by its kernel %s)",
					  found_by, c->k->version));
	else
		r = set_str(&mod->found_by, strdup(found_by));
	if (r < 0)
		return r;
	if (e->mi.vermagic) {
		r = set_str(&mod->vermagic, strdup(e->mi.vermagic));
		if (r < 0)
			return r;
		mod->vermagic_ok = vermagic_matches(e->mi.vermagic, c->k->version);
	}
	if (e->mi.version) {
		r = set_str(&mod->version, strdup(e->mi.version));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; e->mi.depends && e->mi.depends[i]; i++) {
		r = strv_extend(&mod->depends, e->mi.depends[i]);
		if (r < 0)
			return r;
	}

	mod->status = NC_DRV_MODULE;
	if (!mod->vermagic_ok) {
		mod->status = NC_DRV_UNUSABLE;
		return set_str(&mod->error,
			       e->mi.vermagic ?
			       strdup_printf("%s: vermagic \"%s\" does not match kernel %s",
					     e->path, strstrip(e->mi.vermagic), c->k->version) :
			       strdup_printf("%s: no vermagic", e->path));
	}
	e->avail = AVAIL_CHECKING;
	r = depends_available(c, e->mi.depends, 0, &missing);
	if (r < 0) {
		strv_free(missing);
		return r;
	}
	e->avail = r ? AVAIL_YES : AVAIL_NO;
	if (r)
		return 0;
	mod->missing_depends = missing;
	mod->status = NC_DRV_UNUSABLE;
	{
		_cleanup_free_ char *list = NULL;
		size_t len = 0;

		for (size_t i = 0; missing[i]; i++)
			len += strlen(missing[i]) + 2;
		list = calloc(1, len + 1);
		if (!list)
			return -ENOMEM;
		for (size_t i = 0; missing[i]; i++) {
			if (i)
				strcat(list, ", ");
			strcat(list, missing[i]);
		}
		return set_str(&mod->error,
			       strdup_printf("%s depends on %s, not available for kernel %s",
					     e->path, list, c->k->version));
	}
}

/* The first CONFIG_ symbol of the spec that is =y, or NULL. */
static const char *spec_config_builtin(const struct resolve_ctx *c,
				       const struct nc_driver_spec *spec)
{
	for (size_t i = 0; c->kc && spec->config && spec->config[i]; i++)
		if (kconfig_tristate(c->kc, spec->config[i]) == 'y')
			return spec->config[i];
	return NULL;
}

/* The device's driver found through its modalias: a module of another name
 * (an out-of-tree build in updates/ or extra/), or a built-in one. */
static int module_by_alias(struct resolve_ctx *c, const struct nc_driver_spec *spec,
			   struct nc_module *mod, bool *ret_found)
{
	*ret_found = false;
	for (size_t i = 0; c->db && spec->aliases && spec->aliases[i]; i++) {
		_cleanup_strv_free_ char **mods = NULL, **pats = NULL;
		int n = moddb_match_alias(c->db, spec->aliases[i], &mods, &pats);

		if (n < 0)
			return n;
		for (int j = 0; j < n; j++) {
			const struct moddb_module *m = moddb_find(c->db, mods[j]);
			_cleanup_free_ char *how = strdup_printf("modules.alias %s", pats[j]);
			int r;

			if (!how)
				return -ENOMEM;
			if (moddb_is_builtin(c->db, mods[j])) {
				*ret_found = true;
				mod->status = NC_DRV_BUILTIN;
				r = set_str(&mod->name, strdup(mods[j]));
				if (r >= 0)
					r = set_str(&mod->found_by,
						    strdup_printf("%s (built in)", how));
				return r;
			}
			if (!m)
				continue;
			*ret_found = true;
			r = set_str(&mod->name, strdup(m->name));
			if (r < 0)
				return r;
			return module_check(c, m, mod, how);
		}
	}
	return 0;
}

static int module_resolve(struct resolve_ctx *c, const struct nc_driver_spec *spec,
			  size_t idx, struct nc_module *mod)
{
	const struct moddb_module *m = NULL;
	const char *sym;
	bool found;
	int r;

	mod->name = strdup(spec->modules[idx]);
	if (!mod->name)
		return -ENOMEM;
	module_name_normalize(mod->name);
	if (c->db && moddb_is_builtin(c->db, mod->name)) {
		mod->status = NC_DRV_BUILTIN;
		return set_str(&mod->found_by, strdup("modules.builtin"));
	}
	sym = spec_config_builtin(c, spec);
	if (sym) {
		mod->status = NC_DRV_BUILTIN;
		return set_str(&mod->found_by, strdup_printf("%s=y", sym));
	}
	if (c->db)
		m = moddb_find(c->db, mod->name);
	if (m)
		return module_check(c, m, mod, "modules.dep");
	/* Only the device driver itself binds by modalias; the others are
	 * its libraries and must be found by name. */
	if (idx == 0) {
		r = module_by_alias(c, spec, mod, &found);
		if (r < 0 || found)
			return r;
	}
	mod->status = NC_DRV_MISSING;
	if (c->db_problem)
		return set_str(&mod->error, strdup(c->db_problem));
	return set_str(&mod->error,
		       strdup_printf("%s is neither built in nor a module in %s", mod->name,
				     c->k->modules_dir));
}

static int driver_resolve(struct resolve_ctx *c, const struct nc_driver_spec *spec,
			  struct nc_driver *drv)
{
	size_t n = strv_length(spec->modules);
	int r;

	drv->spec = spec;
	drv->status = NC_DRV_BUILTIN;
	drv->modules = calloc(n ? n : 1, sizeof(*drv->modules));
	if (!drv->modules)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = module_resolve(c, spec, i, &drv->modules[i]);
		drv->n_modules++;
		if (r < 0)
			return r;
		if (status_badness(drv->modules[i].status) > status_badness(drv->status))
			drv->status = drv->modules[i].status;
	}
	if (n == 0)
		drv->status = NC_DRV_MISSING;
	return 0;
}

/* The type of a module's io_timeout parameter, built in or a module. */
static int module_io_timeout_type(struct resolve_ctx *c, const char *name, char **ret)
{
	const struct moddb_module *m;
	const char *type = NULL;

	if (moddb_is_builtin(c->db, name)) {
		_cleanup_strv_free_ char **vals = NULL;
		int n = moddb_builtin_modinfo_get(c->db, name, "parmtype", &vals);

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			if ((type = startswith(vals[i], "io_timeout:")))
				return set_str(ret, strdup(type));
		return 0;
	}
	m = moddb_find(c->db, name);
	if (m) {
		struct modcache *e = modcache_get(c, m);

		if (!e)
			return -ENOMEM;
		if (e->r >= 0)
			type = modinfo_parmtype(&e->mi, "io_timeout");
	}
	return type ? set_str(ret, strdup(type)) : 0;
}

/* NVMe's io_timeout type: nvme_core's "uint" in current kernels, "byte"
 * in older ones (at most 255 s), and nvme's own before 4.6. */
static int nvme_io_timeout_type(struct resolve_ctx *c, char **ret)
{
	int r;

	*ret = NULL;
	if (!c->db)
		return 0;
	r = module_io_timeout_type(c, "nvme_core", ret);
	if (r < 0 || *ret)
		return r;
	return module_io_timeout_type(c, "nvme", ret);
}

int kernel_resolve_drivers(const struct nc_snapshot *snap, struct nc_kernel *k,
			   const struct nc_driver_spec *specs, size_t n_specs, struct nc_err *err)
{
	struct resolve_ctx c = { 0 };
	int r;

	kernel_drivers_free(k->drivers, k->n_drivers);
	k->drivers = NULL;
	k->n_drivers = 0;
	free(k->nvme_io_timeout_type);
	k->nvme_io_timeout_type = NULL;

	r = resolve_ctx_init(&c, snap, k);
	if (r < 0)
		goto out;
	k->drivers = calloc(n_specs ? n_specs : 1, sizeof(*k->drivers));
	if (!k->drivers) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_specs; i++) {
		r = driver_resolve(&c, &specs[i], &k->drivers[i]);
		k->n_drivers++;
		if (r < 0)
			goto out;
	}
	r = nvme_io_timeout_type(&c, &k->nvme_io_timeout_type);
out:
	resolve_ctx_done(&c);
	if (r < 0)
		return nc_err_set(err, r, "kernel %s: resolving drivers: %s", k->version,
				  strerror(-r));
	return 0;
}

static void module_clear(struct nc_module *m)
{
	free(m->name);
	free(m->path);
	free(m->found_by);
	free(m->vermagic);
	free(m->version);
	strv_free(m->depends);
	strv_free(m->missing_depends);
	free(m->error);
	free(m->initramfs_path);
}

void kernel_drivers_free(struct nc_driver *drivers, size_t n)
{
	for (size_t i = 0; drivers && i < n; i++) {
		for (size_t j = 0; j < drivers[i].n_modules; j++)
			module_clear(&drivers[i].modules[j]);
		free(drivers[i].modules);
		strv_free(drivers[i].initramfs_missing);
	}
	free(drivers);
}

void kernel_clear(struct nc_kernel *k)
{
	char **fields[] = {
		&k->version, &k->version_source, &k->banner, &k->image_path, &k->arch,
		&k->config_path, &k->sysmap_path, &k->modules_dir, &k->initrd_path,
		&k->nvme_io_timeout_type,
	};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		free(*fields[i]);
		*fields[i] = NULL;
	}
	kernel_drivers_free(k->drivers, k->n_drivers);
	k->drivers = NULL;
	k->n_drivers = 0;
	k->xenlinux_pv_only = k->config_xen_pv = false;
}

void kernels_free(struct nc_kernel *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		kernel_clear(&v[i]);
	free(v);
}
