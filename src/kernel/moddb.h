/* SPDX-License-Identifier: MIT */
/*
 * The module index depmod(8) writes into /lib/modules/<v>: modules.dep,
 * modules.builtin, modules.alias and modules.builtin.modinfo, parsed from
 * text buffers. Module names compare with '-' and '_' as equal.
 */
#ifndef NC_KERNEL_MODDB_H
#define NC_KERNEL_MODDB_H

#include <stdbool.h>
#include <stddef.h>

struct moddb;

struct moddb_module {
	char *name;          /* normalised: "nvme_core" */
	char *path;          /* as written in modules.dep: "kernel/drivers/nvme/host/nvme-core.ko" */
	char **deps;         /* names of its dependencies (all of them, as depmod lists) */
};

int moddb_new(struct moddb **ret);
void moddb_free(struct moddb *db);

/*
 * Loaders: each takes a text buffer (need not be NUL-terminated) and returns
 * the number of entries added, or -EINVAL for a buffer that is not such a
 * file (a line in the wrong format, an embedded NUL), -ENOMEM.
 */
int moddb_load_dep(struct moddb *db, const char *text, size_t len);
int moddb_load_builtin(struct moddb *db, const char *text, size_t len);
int moddb_load_alias(struct moddb *db, const char *text, size_t len);
/* "module.key=value\0" records; builtin aliases join the alias table. */
int moddb_load_builtin_modinfo(struct moddb *db, const char *buf, size_t len);

/* A module of modules.dep, or NULL. */
const struct moddb_module *moddb_find(const struct moddb *db, const char *name);
/* Listed in modules.builtin (or modules.builtin.modinfo). */
bool moddb_is_builtin(const struct moddb *db, const char *name);
size_t moddb_n_modules(const struct moddb *db);

/*
 * Modules whose alias patterns (fnmatch(3), as kmod does) match modalias,
 * e.g. "pci:v00001D0Fd0000EC20sv00001D0Fsd0000EC20bc02sc00i00". Returns the
 * number of matches; *ret_modules and *ret_patterns (parallel, either may be
 * NULL) list the module names and the patterns that matched, one entry per
 * module, in file order, builtin aliases after modules.alias ones.
 */
int moddb_match_alias(const struct moddb *db, const char *modalias, char ***ret_modules,
		      char ***ret_patterns);

/*
 * The values of key for a built-in module from modules.builtin.modinfo
 * ("parmtype" of "nvme_core" -> "io_timeout:uint", ...). Returns the count.
 */
int moddb_builtin_modinfo_get(const struct moddb *db, const char *module, const char *key,
			      char ***ret_values);

#endif
