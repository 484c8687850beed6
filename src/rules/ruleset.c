/* SPDX-License-Identifier: MIT */
/*
 * Loading rules files: JSON objects with "drivers" (knowledge the analyzers
 * need before any rule runs) and "rules". Every problem names the file and
 * the rule, because users write these files.
 */
#include "rules/rules.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>

static const struct nc_check *const nc_check_tables[] = {
	nc_scan_checks,   nc_kernel_checks, nc_initramfs_checks, nc_boot_checks,
	nc_net_checks,    nc_xen_checks,       nc_platform_checks,
};

const struct nc_check *nc_check_find(const char *name)
{
	for (size_t t = 0; t < ARRAY_SIZE(nc_check_tables); t++)
		for (const struct nc_check *c = nc_check_tables[t]; c->name; c++)
			if (streq(c->name, name))
				return c;
	return NULL;
}

void nc_check_foreach(void (*fn)(const struct nc_check *c, void *ud), void *ud)
{
	for (size_t t = 0; t < ARRAY_SIZE(nc_check_tables); t++)
		for (const struct nc_check *c = nc_check_tables[t]; c->name; c++)
			fn(c, ud);
}

const char *nc_severity_name(enum nc_severity s)
{
	switch (s) {
	case NC_SEV_INFO:
		return "info";
	case NC_SEV_WARNING:
		return "warning";
	case NC_SEV_ERROR:
		return "error";
	}
	return "unknown";
}

int nc_severity_parse(const char *s, enum nc_severity *ret)
{
	if (streq(s, "info"))
		*ret = NC_SEV_INFO;
	else if (streq(s, "warning"))
		*ret = NC_SEV_WARNING;
	else if (streq(s, "error"))
		*ret = NC_SEV_ERROR;
	else
		return -EINVAL;
	return 0;
}

static void rule_clear(struct nc_rule *r)
{
	free(r->id);
	free(r->title);
	free(r->rationale);
	json_decref(r->remediation);
	strv_free(r->references);
	free(r->check);
	json_decref(r->params);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

static void driver_spec_clear(struct nc_driver_spec *d)
{
	free(d->name);
	free(d->role);
	strv_free(d->modules);
	strv_free(d->config);
	strv_free(d->aliases);
	free(d->min_version_warn);
	free(d->min_version_error);
	memset(d, 0, sizeof(*d));
}

void nc_ruleset_free(struct nc_ruleset *rs)
{
	strv_free(rs->snapshot.trees);
	strv_free(rs->snapshot.files);
	strv_free(rs->snapshot.heads);
	strv_free(rs->snapshot.excludes);
	strv_free(rs->snapshot.search_dirs);
	strv_free(rs->snapshot.search_strings);
	for (size_t i = 0; i < rs->n_rules; i++)
		rule_clear(&rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->n_drivers; i++)
		driver_spec_clear(&rs->drivers[i]);
	free(rs->drivers);
	memset(rs, 0, sizeof(*rs));
}

/* A JSON array of strings as a strv; -EINVAL on anything else. */
static int json_to_strv(json_t *a, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	size_t i;
	json_t *e;
	int r;

	*ret = NULL;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return -EINVAL;
	json_array_foreach(a, i, e) {
		if (!json_is_string(e))
			return -EINVAL;
		r = strv_extend(&v, json_string_value(e));
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static char *json_strdup(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static int parse_driver(json_t *o, const char *path, size_t idx, struct nc_driver_spec *d,
			struct nc_err *err)
{
	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return nc_err_set(err, -EINVAL, "%s: drivers[%zu] is not an object", path, idx);
	d->name = json_strdup(o, "name");
	d->role = json_strdup(o, "role");
	if (!d->name || !d->role)
		goto bad;
	if (json_to_strv(json_object_get(o, "modules"), &d->modules) < 0 ||
	    json_to_strv(json_object_get(o, "config"), &d->config) < 0 ||
	    json_to_strv(json_object_get(o, "aliases"), &d->aliases) < 0)
		goto bad;
	if (!d->modules || !d->modules[0])
		goto bad;
	d->min_version_warn = json_strdup(o, "min_version_warn");
	d->min_version_error = json_strdup(o, "min_version_error");
	return 0;
bad:
	driver_spec_clear(d);
	return nc_err_set(err, -EINVAL,
			  "%s: drivers[%zu]: needs \"name\", \"role\" and a non-empty \"modules\" "
			  "array; \"config\" and \"aliases\" must be string arrays", path, idx);
}

static int parse_rule(json_t *o, const char *path, size_t idx, struct nc_rule *r,
		      struct nc_err *err)
{
	const char *sev;
	json_t *rem, *en;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return nc_err_set(err, -EINVAL, "%s: rules[%zu] is not an object", path, idx);
	r->id = json_strdup(o, "id");
	if (!r->id)
		return nc_err_set(err, -EINVAL, "%s: rules[%zu] has no \"id\"", path, idx);
#define BAD(...) do { nc_err_set(err, -EINVAL, __VA_ARGS__); goto fail; } while (0)
	r->title = json_strdup(o, "title");
	r->rationale = json_strdup(o, "rationale");
	r->check = json_strdup(o, "check");
	r->file = strdup(path);
	if (!r->title || !r->rationale || !r->check)
		BAD("%s: rule %s: \"title\", \"rationale\" and \"check\" are required strings",
		    path, r->id);
	if (!nc_check_find(r->check))
		BAD("%s: rule %s: unknown check \"%s\" (nitrocheck --list-checks lists them)",
		    path, r->id, r->check);
	sev = json_string_value(json_object_get(o, "severity"));
	if (!sev || nc_severity_parse(sev, &r->severity) < 0)
		BAD("%s: rule %s: \"severity\" must be \"error\", \"warning\" or \"info\"",
		    path, r->id);
	rem = json_object_get(o, "remediation");
	if (!json_is_string(rem) && !(json_is_object(rem) && json_object_get(rem, "default")))
		BAD("%s: rule %s: \"remediation\" must be a string or an object with "
		    "a \"default\" key", path, r->id);
	r->remediation = json_incref(rem);
	if (json_to_strv(json_object_get(o, "references"), &r->references) < 0)
		BAD("%s: rule %s: \"references\" must be an array of strings", path, r->id);
	r->params = json_object_get(o, "params");
	if (r->params && !json_is_object(r->params))
		BAD("%s: rule %s: \"params\" must be an object", path, r->id);
	r->params = r->params ? json_incref(r->params) : json_object();
	en = json_object_get(o, "enabled");
	if (en && !json_is_boolean(en))
		BAD("%s: rule %s: \"enabled\" must be true or false", path, r->id);
	r->enabled = en ? json_is_true(en) : true;
	return 0;
#undef BAD
fail:
	rule_clear(r);
	return err ? err->code : -EINVAL;
}

static int strv_append_json(char ***v, json_t *a)
{
	_cleanup_strv_free_ char **add = NULL;
	int r = json_to_strv(a, &add);

	for (size_t i = 0; r >= 0 && add && add[i]; i++)
		if (!strv_contains(*v, add[i]))
			r = strv_extend(v, add[i]);
	return r;
}

static int parse_snapshot(json_t *o, const char *path, struct nc_snapshot_spec *s,
			  struct nc_err *err)
{
	json_t *max;

	if (!json_is_object(o))
		return nc_err_set(err, -EINVAL, "%s: \"snapshot\" must be an object", path);
	if (strv_append_json(&s->trees, json_object_get(o, "trees")) < 0 ||
	    strv_append_json(&s->files, json_object_get(o, "files")) < 0 ||
	    strv_append_json(&s->heads, json_object_get(o, "heads")) < 0 ||
	    strv_append_json(&s->excludes, json_object_get(o, "excludes")) < 0 ||
	    strv_append_json(&s->search_dirs, json_object_get(o, "search_dirs")) < 0 ||
	    strv_append_json(&s->search_strings, json_object_get(o, "search_strings")) < 0)
		return nc_err_set(err, -EINVAL, "%s: snapshot lists must be arrays of strings",
				  path);
	max = json_object_get(o, "max_file_size");
	if (max && (!json_is_integer(max) || json_integer_value(max) <= 0))
		return nc_err_set(err, -EINVAL, "%s: snapshot.max_file_size must be a positive "
				  "integer", path);
	if (max)
		s->max_file_size = (uint64_t)json_integer_value(max);
	max = json_object_get(o, "head_size");
	if (max && (!json_is_integer(max) || json_integer_value(max) <= 0))
		return nc_err_set(err, -EINVAL, "%s: snapshot.head_size must be a positive "
				  "integer", path);
	if (max)
		s->head_size = (uint64_t)json_integer_value(max);
	return 0;
}

static struct nc_rule *ruleset_find(struct nc_ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n_rules; i++)
		if (streq(rs->rules[i].id, id))
			return &rs->rules[i];
	return NULL;
}

static struct nc_driver_spec *ruleset_find_driver(struct nc_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_drivers; i++)
		if (streq(rs->drivers[i].name, name))
			return &rs->drivers[i];
	return NULL;
}

int nc_ruleset_load_file(struct nc_ruleset *rs, const char *path, struct nc_err *err)
{
	json_error_t jerr;
	json_t *root, *arr, *e;
	size_t i;
	int r = 0;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return nc_err_set(err, -EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(root)) {
		r = nc_err_set(err, -EINVAL, "%s: a rules file is a JSON object "
			       "with \"rules\" and/or \"drivers\"", path);
		goto out;
	}
	arr = json_object_get(root, "snapshot");
	if (arr) {
		r = parse_snapshot(arr, path, &rs->snapshot, err);
		if (r < 0)
			goto out;
	}
	arr = json_object_get(root, "drivers");
	if (arr && !json_is_array(arr)) {
		r = nc_err_set(err, -EINVAL, "%s: \"drivers\" must be an array", path);
		goto out;
	}
	json_array_foreach(arr, i, e) {
		struct nc_driver_spec d, *old, *nd;

		r = parse_driver(e, path, i, &d, err);
		if (r < 0)
			goto out;
		old = ruleset_find_driver(rs, d.name);
		if (old) {
			driver_spec_clear(old);
			*old = d;
			continue;
		}
		nd = realloc(rs->drivers, (rs->n_drivers + 1) * sizeof(*nd));
		if (!nd) {
			driver_spec_clear(&d);
			r = -ENOMEM;
			goto out;
		}
		rs->drivers = nd;
		rs->drivers[rs->n_drivers++] = d;
	}
	arr = json_object_get(root, "rules");
	if (arr && !json_is_array(arr)) {
		r = nc_err_set(err, -EINVAL, "%s: \"rules\" must be an array", path);
		goto out;
	}
	json_array_foreach(arr, i, e) {
		struct nc_rule rule, *old, *nr;

		r = parse_rule(e, path, i, &rule, err);
		if (r < 0)
			goto out;
		old = ruleset_find(rs, rule.id);
		if (old) {
			rule_clear(old);
			*old = rule;
			continue;
		}
		nr = realloc(rs->rules, (rs->n_rules + 1) * sizeof(*nr));
		if (!nr) {
			rule_clear(&rule);
			r = -ENOMEM;
			goto out;
		}
		rs->rules = nr;
		rs->rules[rs->n_rules++] = rule;
	}
out:
	json_decref(root);
	return r;
}

static int json_file_filter(const struct dirent *d)
{
	return d->d_name[0] != '.' && endswith(d->d_name, ".json");
}

int nc_ruleset_load_dir(struct nc_ruleset *rs, const char *dir, struct nc_err *err)
{
	struct dirent **names = NULL;
	int n, r = 0;

	n = scandir(dir, &names, json_file_filter, alphasort);
	if (n < 0)
		return nc_err_set(err, -errno, "%s: cannot read rules directory: %s", dir,
				  strerror(errno));
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *p = path_join(dir, names[i]->d_name);

		if (r >= 0)
			r = p ? nc_ruleset_load_file(rs, p, err) : -ENOMEM;
		free(names[i]);
	}
	free(names);
	if (r >= 0 && n == 0)
		r = nc_err_set(err, -ENOENT, "%s: no *.json rules files", dir);
	return r;
}

int nc_ruleset_disable(struct nc_ruleset *rs, const char *pattern)
{
	int n = 0;

	for (size_t i = 0; i < rs->n_rules; i++)
		if (fnmatch(pattern, rs->rules[i].id, 0) == 0) {
			rs->rules[i].enabled = false;
			n++;
		}
	return n ? n : -ENOENT;
}

int nc_rules_evaluate(const struct nc_ruleset *rs, const struct nc_facts *facts,
		      struct nc_findings *out, struct nc_err *err)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct nc_rule *rule = &rs->rules[i];
		const struct nc_check *c;
		int r;

		if (!rule->enabled)
			continue;
		c = nc_check_find(rule->check);
		if (!c)
			return nc_err_set(err, -EINVAL, "%s: rule %s: unknown check %s",
					  rule->file, rule->id, rule->check);
		r = c->fn(rule, facts, out);
		if (r < 0)
			return nc_err_set(err, r, "%s: rule %s (check %s) failed: %s",
					  rule->file, rule->id, rule->check, strerror(-r));
	}
	nc_findings_sort(out);
	return 0;
}

const char *nc_param_str(const struct nc_rule *r, const char *key, const char *def)
{
	json_t *v = json_object_get(r->params, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

long long nc_param_int(const struct nc_rule *r, const char *key, long long def)
{
	json_t *v = json_object_get(r->params, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

bool nc_param_bool(const struct nc_rule *r, const char *key, bool def)
{
	json_t *v = json_object_get(r->params, key);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

char **nc_param_strv(const struct nc_rule *r, const char *key)
{
	char **v = NULL;

	if (json_to_strv(json_object_get(r->params, key), &v) < 0 || !v) {
		strv_free(v);
		v = calloc(1, sizeof(char *));
	}
	return v;
}
