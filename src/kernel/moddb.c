/* SPDX-License-Identifier: MIT */
#include "kernel/moddb.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "common/util.h"
#include "kernel/modinfo.h"

struct moddb_alias {
	char *pattern;
	char *module;
	bool builtin;
};

struct moddb_kv {
	char *module;
	char *key;
	char *value;
};

struct moddb {
	struct moddb_module *mods;   /* sorted by name */
	size_t n_mods;
	char **builtin;              /* sorted names */
	size_t n_builtin;
	struct moddb_alias *aliases; /* file order */
	size_t n_aliases;
	struct moddb_kv *kvs;        /* modules.builtin.modinfo */
	size_t n_kvs;
};

int moddb_new(struct moddb **ret)
{
	*ret = calloc(1, sizeof(struct moddb));
	return *ret ? 0 : -ENOMEM;
}

void moddb_free(struct moddb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_mods; i++) {
		free(db->mods[i].name);
		free(db->mods[i].path);
		strv_free(db->mods[i].deps);
	}
	free(db->mods);
	for (size_t i = 0; i < db->n_builtin; i++)
		free(db->builtin[i]);
	free(db->builtin);
	for (size_t i = 0; i < db->n_aliases; i++) {
		free(db->aliases[i].pattern);
		free(db->aliases[i].module);
	}
	free(db->aliases);
	for (size_t i = 0; i < db->n_kvs; i++) {
		free(db->kvs[i].module);
		free(db->kvs[i].key);
		free(db->kvs[i].value);
	}
	free(db->kvs);
	free(db);
}

/*
 * The index files are text: each of their non-blank lines (stripped) goes to
 * add_line, which returns how many records it added or -errno (that stops
 * the load). A NUL byte means it is not text. Returns the record count.
 */
static int load_lines(struct moddb *db, const char *text, size_t len,
		      int (*add_line)(struct moddb *db, char *line))
{
	_cleanup_free_ char *buf = NULL;
	char *cursor, *line;
	int r, count = 0;

	if (len && memchr(text, '\0', len))
		return -EINVAL;
	buf = strndup(len ? text : "", len);
	if (!buf)
		return -ENOMEM;
	cursor = buf;
	while ((line = line_next(&cursor))) {
		line = strstrip(line);
		if (!*line)
			continue;
		r = add_line(db, line);
		if (r < 0)
			return r;
		count += r;
	}
	return count;
}

static int grow(void *pv, size_t n, size_t size)
{
	void **p = pv;
	void *np;

	/* Capacity 16, then doubled whenever n reaches a power of two. */
	if (n != 0 && (n < 16 || (n & (n - 1))))
		return 0;
	np = realloc(*p, (n ? n * 2 : 16) * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	return 0;
}

static int cmp_module(const void *a, const void *b)
{
	return strcmp(((const struct moddb_module *)a)->name,
		      ((const struct moddb_module *)b)->name);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_space(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

/* "kernel/drivers/x.ko: kernel/y.ko ...": a module and all it needs. */
static int add_dep_line(struct moddb *db, char *line)
{
	struct moddb_module m = { 0 };
	char *colon = strchr(line, ':'), *saveptr = NULL, *path;
	int r = -ENOMEM;

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	path = strstrip(line);
	if (!module_path_is_module(path) || has_space(path))
		return -EINVAL;
	m.path = strdup(path);
	m.name = module_name_from_path(path);
	m.deps = calloc(1, sizeof(char *));
	if (!m.path || !m.name || !m.deps)
		goto fail;
	for (char *t = strtok_r(colon + 1, " \t", &saveptr); t;
	     t = strtok_r(NULL, " \t", &saveptr)) {
		char *dep;

		if (!module_path_is_module(t)) {
			r = -EINVAL;
			goto fail;
		}
		dep = module_name_from_path(t);
		if (!dep || strv_push(&m.deps, dep) < 0)
			goto fail;
	}
	if (grow(&db->mods, db->n_mods, sizeof(*db->mods)) < 0)
		goto fail;
	db->mods[db->n_mods++] = m;
	return 1;
fail:
	free(m.path);
	free(m.name);
	strv_free(m.deps);
	return r;
}

int moddb_load_dep(struct moddb *db, const char *text, size_t len)
{
	int r = load_lines(db, text, len, add_dep_line);

	/* depmod writes each name once; a duplicate is found either way. */
	if (r >= 0 && db->n_mods)
		qsort(db->mods, db->n_mods, sizeof(*db->mods), cmp_module);
	return r;
}

static int builtin_add(struct moddb *db, char *name)
{
	if (!name)
		return -ENOMEM;
	if (grow(&db->builtin, db->n_builtin, sizeof(char *)) < 0) {
		free(name);
		return -ENOMEM;
	}
	db->builtin[db->n_builtin++] = name;
	return 0;
}

/* Sort the built-in names for bsearch and drop repeated ones. */
static void builtin_sort_unique(struct moddb *db)
{
	size_t out = 0;

	if (db->n_builtin == 0)
		return;
	qsort(db->builtin, db->n_builtin, sizeof(char *), cmp_strp);
	for (size_t i = 0; i < db->n_builtin; i++) {
		if (out && streq(db->builtin[out - 1], db->builtin[i])) {
			free(db->builtin[i]);
			continue;
		}
		db->builtin[out++] = db->builtin[i];
	}
	db->n_builtin = out;
}

/* "kernel/drivers/x.ko": a module built into the kernel. */
static int add_builtin_line(struct moddb *db, char *line)
{
	int r;

	if (!module_path_is_module(line) || has_space(line))
		return -EINVAL;
	r = builtin_add(db, module_name_from_path(line));
	return r < 0 ? r : 1;
}

int moddb_load_builtin(struct moddb *db, const char *text, size_t len)
{
	int r = load_lines(db, text, len, add_builtin_line);

	if (r >= 0)
		builtin_sort_unique(db);
	return r;
}

static int alias_add(struct moddb *db, const char *pattern, const char *module, bool builtin)
{
	struct moddb_alias a = {
		.pattern = strdup(pattern),
		.module = strdup(module),
		.builtin = builtin,
	};

	if (!a.pattern || !a.module ||
	    grow(&db->aliases, db->n_aliases, sizeof(*db->aliases)) < 0) {
		free(a.pattern);
		free(a.module);
		return -ENOMEM;
	}
	module_name_normalize(a.module);
	db->aliases[db->n_aliases++] = a;
	return 0;
}

/* "alias pci:v00001D0Fd0000EC20sv*sd*bc*sc*i* ena"; '#' starts a comment. */
static int add_alias_line(struct moddb *db, char *line)
{
	char *saveptr = NULL, *kw, *pattern, *module;
	int r;

	if (*line == '#')
		return 0;
	kw = strtok_r(line, " \t", &saveptr);
	pattern = strtok_r(NULL, " \t", &saveptr);
	module = strtok_r(NULL, " \t", &saveptr);
	if (!streq(kw, "alias") || !pattern || !module || strtok_r(NULL, " \t", &saveptr))
		return -EINVAL;
	r = alias_add(db, pattern, module, false);
	return r < 0 ? r : 1;
}

int moddb_load_alias(struct moddb *db, const char *text, size_t len)
{
	return load_lines(db, text, len, add_alias_line);
}

int moddb_load_builtin_modinfo(struct moddb *db, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	int r, count = 0;

	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t slen = nul ? (size_t)(nul - p) : (size_t)(end - p);
		_cleanup_free_ char *rec = NULL;
		struct moddb_kv kv;
		char *dot, *eq;

		if (slen == 0) {
			p++;
			continue;
		}
		rec = strndup(p, slen);
		if (!rec)
			return -ENOMEM;
		p += slen + 1;
		dot = strchr(rec, '.');
		eq = strchr(rec, '=');
		/* "module.key=value": the module name holds no '.' or '='. */
		if (!dot || !eq || eq < dot || dot == rec || dot + 1 == eq)
			return -EINVAL;
		*dot = *eq = '\0';
		module_name_normalize(rec);
		if (streq(dot + 1, "alias")) {
			r = alias_add(db, eq + 1, rec, true);
			if (r < 0)
				return r;
		}
		/* Records of one module are adjacent; duplicates go below. */
		if (db->n_builtin == 0 || !streq(db->builtin[db->n_builtin - 1], rec)) {
			r = builtin_add(db, strdup(rec));
			if (r < 0)
				return r;
		}
		kv.module = strdup(rec);
		kv.key = strdup(dot + 1);
		kv.value = strdup(eq + 1);
		if (!kv.module || !kv.key || !kv.value ||
		    grow(&db->kvs, db->n_kvs, sizeof(*db->kvs)) < 0) {
			free(kv.module);
			free(kv.key);
			free(kv.value);
			return -ENOMEM;
		}
		db->kvs[db->n_kvs++] = kv;
		count++;
	}
	builtin_sort_unique(db);
	return count;
}

const struct moddb_module *moddb_find(const struct moddb *db, const char *name)
{
	_cleanup_free_ char *key = strdup(name);
	struct moddb_module k = { .name = key };

	if (!key || !db->n_mods)
		return NULL;
	module_name_normalize(key);
	return bsearch(&k, db->mods, db->n_mods, sizeof(*db->mods), cmp_module);
}

bool moddb_is_builtin(const struct moddb *db, const char *name)
{
	_cleanup_free_ char *key = strdup(name);

	if (!key || !db->n_builtin)
		return false;
	module_name_normalize(key);
	return bsearch(&key, db->builtin, db->n_builtin, sizeof(char *), cmp_strp) != NULL;
}

size_t moddb_n_modules(const struct moddb *db)
{
	return db->n_mods;
}

static int match_pass(const struct moddb *db, const char *modalias, bool builtin,
		      char ***mods, char ***pats)
{
	int r;

	for (size_t i = 0; i < db->n_aliases; i++) {
		const struct moddb_alias *a = &db->aliases[i];

		if (a->builtin != builtin || strv_contains(*mods, a->module) ||
		    fnmatch(a->pattern, modalias, 0) != 0)
			continue;
		r = strv_extend(mods, a->module);
		if (r < 0)
			return r;
		r = strv_extend(pats, a->pattern);
		if (r < 0)
			return r;
	}
	return 0;
}

int moddb_match_alias(const struct moddb *db, const char *modalias, char ***ret_modules,
		      char ***ret_patterns)
{
	_cleanup_strv_free_ char **mods = NULL, **pats = NULL;
	int r;

	r = match_pass(db, modalias, false, &mods, &pats);
	if (r >= 0)
		r = match_pass(db, modalias, true, &mods, &pats);
	if (r < 0)
		return r;
	r = (int)strv_length(mods);
	if (ret_modules)
		*ret_modules = TAKE_PTR(mods);
	if (ret_patterns)
		*ret_patterns = TAKE_PTR(pats);
	return r;
}

int moddb_builtin_modinfo_get(const struct moddb *db, const char *module, const char *key,
			      char ***ret_values)
{
	_cleanup_strv_free_ char **values = NULL;
	_cleanup_free_ char *name = strdup(module);
	int r;

	if (!name)
		return -ENOMEM;
	module_name_normalize(name);
	for (size_t i = 0; i < db->n_kvs; i++) {
		if (!streq(db->kvs[i].module, name) || !streq(db->kvs[i].key, key))
			continue;
		r = strv_extend(&values, db->kvs[i].value);
		if (r < 0)
			return r;
	}
	r = (int)strv_length(values);
	if (ret_values)
		*ret_values = TAKE_PTR(values);
	return r;
}
