/* SPDX-License-Identifier: MIT */
/*
 * JSON report, schema_version 1. Keys are only ever added within a schema
 * version; removing or changing one bumps it.
 */
#include "report/report.h"

#include <errno.h>

const char *nc_verdict_name(enum nc_verdict v)
{
	switch (v) {
	case NC_VERDICT_READY:
		return "ready";
	case NC_VERDICT_NOT_READY:
		return "not-ready";
	case NC_VERDICT_ERROR:
		return "error";
	}
	return "error";
}

int nc_report_format_parse(const char *s, enum nc_report_format *ret)
{
	static const struct {
		const char *name;
		enum nc_report_format fmt;
	} map[] = {
		{ "text", NC_FORMAT_TEXT },
		{ "json", NC_FORMAT_JSON },
		{ "sarif", NC_FORMAT_SARIF },
		{ "junit", NC_FORMAT_JUNIT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (streq(s, map[i].name)) {
			*ret = map[i].fmt;
			return 0;
		}
	return -EINVAL;
}

enum nc_verdict nc_verdict_from_findings(const struct nc_findings *f)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (f->v[i].severity == NC_SEV_ERROR)
			return NC_VERDICT_NOT_READY;
	return NC_VERDICT_READY;
}

/* jansson's json_string(NULL) is NULL, which json_object_set_new drops:
 * we want an explicit null instead. */
static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *module_json(const struct nc_module *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "status", json_string(nc_driver_status_name(m->status)));
	json_object_set_new(o, "path", str_or_null(m->path));
	json_object_set_new(o, "found_by", str_or_null(m->found_by));
	json_object_set_new(o, "vermagic", str_or_null(m->vermagic));
	json_object_set_new(o, "vermagic_ok", json_boolean(m->vermagic_ok));
	json_object_set_new(o, "version", str_or_null(m->version));
	json_object_set_new(o, "depends", strv_json(m->depends));
	json_object_set_new(o, "missing_depends", strv_json(m->missing_depends));
	json_object_set_new(o, "in_initramfs", json_boolean(m->in_initramfs));
	json_object_set_new(o, "initramfs_path", str_or_null(m->initramfs_path));
	if (m->error)
		json_object_set_new(o, "error", json_string(m->error));
	return o;
}

static json_t *driver_json(const struct nc_driver *d)
{
	json_t *o = json_object(), *mods = json_array();

	json_object_set_new(o, "name", json_string(d->spec->name));
	json_object_set_new(o, "role", json_string(d->spec->role));
	json_object_set_new(o, "status", json_string(nc_driver_status_name(d->status)));
	json_object_set_new(o, "in_initramfs", json_boolean(d->in_initramfs));
	json_object_set_new(o, "initramfs_missing", strv_json(d->initramfs_missing));
	for (size_t i = 0; i < d->n_modules; i++)
		json_array_append_new(mods, module_json(&d->modules[i]));
	json_object_set_new(o, "modules", mods);
	return o;
}

static json_t *initramfs_json(const struct nc_initramfs *ir)
{
	json_t *o;

	if (!ir->path)
		return json_null();
	o = json_object();
	json_object_set_new(o, "path", json_string(ir->path));
	json_object_set_new(o, "generator", str_or_null(ir->generator));
	json_object_set_new(o, "segments", strv_json(ir->segments));
	json_object_set_new(o, "files", json_integer((json_int_t)strv_length(ir->files)));
	json_object_set_new(o, "uncompressed_bytes", json_integer((json_int_t)ir->total_size));
	json_object_set_new(o, "has_xen_blkfront", json_boolean(ir->has_xen_blkfront));
	json_object_set_new(o, "error", str_or_null(ir->error ? ir->error_msg : NULL));
	return o;
}

static json_t *kernel_json(const struct nc_kernel *k)
{
	json_t *o = json_object(), *drv = json_array();

	json_object_set_new(o, "version", json_string(k->version));
	json_object_set_new(o, "default", json_boolean(k->is_default));
	json_object_set_new(o, "image", json_string(k->image_path));
	json_object_set_new(o, "version_source", str_or_null(k->version_source));
	json_object_set_new(o, "arch", str_or_null(k->arch));
	json_object_set_new(o, "config", str_or_null(k->config_path));
	json_object_set_new(o, "modules_dir", str_or_null(k->modules_dir));
	json_object_set_new(o, "cmdline", str_or_null(k->cmdline));
	json_object_set_new(o, "initramfs", initramfs_json(&k->initramfs));
	for (size_t i = 0; i < k->n_drivers; i++)
		json_array_append_new(drv, driver_json(&k->drivers[i]));
	json_object_set_new(o, "drivers", drv);
	return o;
}

static json_t *finding_json(const struct nc_finding *f)
{
	json_t *o = json_object(), *ev = json_object();

	json_object_set_new(o, "id", json_string(f->rule_id));
	json_object_set_new(o, "severity", json_string(nc_severity_name(f->severity)));
	json_object_set_new(o, "title", json_string(f->title));
	json_object_set_new(o, "kernel", str_or_null(f->kernel));
	json_object_set_new(o, "message", json_string(f->message));
	json_object_set_new(ev, "file", str_or_null(f->file));
	json_object_set_new(ev, "line", f->line ? json_integer(f->line) : json_null());
	json_object_set_new(ev, "text", str_or_null(f->text));
	json_object_set_new(o, "evidence", ev);
	json_object_set_new(o, "remediation", json_string(f->remediation));
	return o;
}

json_t *report_image_json(const struct nc_image_report *r)
{
	json_t *o = json_object(), *ks = json_array(), *fs = json_array(), *sum = json_object();
	const struct nc_facts *f = r->facts;
	size_t counts[3] = { 0 };

	json_object_set_new(o, "image", json_string(r->image));
	json_object_set_new(o, "verdict", json_string(nc_verdict_name(r->verdict)));
	json_object_set_new(o, "error", str_or_null(r->error));
	if (f) {
		json_t *os = json_object();

		json_object_set_new(os, "id", str_or_null(f->os.id));
		json_object_set_new(os, "version_id", str_or_null(f->os.version_id));
		json_object_set_new(os, "pretty_name", str_or_null(f->os.pretty_name));
		json_object_set_new(os, "family", json_string(nc_os_family_name(f->os.family)));
		json_object_set_new(os, "arch", str_or_null(f->os.arch));
		json_object_set_new(o, "os", os);
		json_object_set_new(o, "default_kernel",
				    f->default_kernel >= 0
					    ? json_string(f->kernels[f->default_kernel].version)
					    : json_null());
		json_object_set_new(o, "default_kernel_reason", str_or_null(f->default_reason));
		for (size_t i = 0; i < f->n_kernels; i++)
			json_array_append_new(ks, kernel_json(&f->kernels[i]));
		json_object_set_new(o, "notes", strv_json(f->notes));
	}
	json_object_set_new(o, "kernels", ks);
	for (size_t i = 0; r->findings && i < r->findings->n; i++) {
		json_array_append_new(fs, finding_json(&r->findings->v[i]));
		counts[r->findings->v[i].severity]++;
	}
	json_object_set_new(o, "findings", fs);
	json_object_set_new(sum, "errors", json_integer((json_int_t)counts[NC_SEV_ERROR]));
	json_object_set_new(sum, "warnings", json_integer((json_int_t)counts[NC_SEV_WARNING]));
	json_object_set_new(sum, "info", json_integer((json_int_t)counts[NC_SEV_INFO]));
	json_object_set_new(o, "summary", sum);
	json_object_set_new(o, "seconds", json_real(r->seconds));
	return o;
}

static enum nc_verdict overall_verdict(const struct nc_image_report *imgs, size_t n)
{
	enum nc_verdict v = NC_VERDICT_READY;

	for (size_t i = 0; i < n; i++)
		if (imgs[i].verdict > v)
			v = imgs[i].verdict;
	return v;
}

static int dump(FILE *out, json_t *root)
{
	int r = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(root);
	if (r < 0)
		return -EIO;
	fputc('\n', out);
	return 0;
}

int report_write_json(FILE *out, const struct nc_image_report *imgs, size_t n,
		      const struct nc_report_opts *o)
{
	json_t *root = json_object(), *tool = json_object();

	(void)o;
	json_object_set_new(tool, "name", json_string("nitrocheck"));
	json_object_set_new(tool, "version", json_string(NC_VERSION));
	json_object_set_new(root, "schema_version", json_integer(NC_SCAN_SCHEMA_VERSION));
	json_object_set_new(root, "tool", tool);
	if (n == 1) {
		/* One image: its object is the document, so `jq .verdict` works. */
		json_t *img = report_image_json(&imgs[0]);

		json_object_update(root, img);
		json_decref(img);
	} else {
		json_t *arr = json_array();

		json_object_set_new(root, "verdict",
				    json_string(nc_verdict_name(overall_verdict(imgs, n))));
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, report_image_json(&imgs[i]));
		json_object_set_new(root, "images", arr);
	}
	return dump(out, root);
}

static const char *sarif_level(enum nc_severity s)
{
	return s == NC_SEV_ERROR ? "error" : s == NC_SEV_WARNING ? "warning" : "note";
}

/* SARIF's message and multiformatMessageString objects: {"text": s}. */
static json_t *sarif_text(const char *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "text", json_string(s));
	return o;
}

int report_write_sarif(FILE *out, const struct nc_image_report *imgs, size_t n,
		       const struct nc_report_opts *o)
{
	json_t *root = json_object(), *runs = json_array(), *run = json_object();
	json_t *driver = json_object(), *rules = json_array(), *results = json_array();
	json_t *tool = json_object(), *invocations = json_array(), *inv = json_object();
	bool ok = true;

	json_object_set_new(root, "$schema",
			    json_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_set_new(root, "version", json_string("2.1.0"));
	json_object_set_new(driver, "name", json_string("nitrocheck"));
	json_object_set_new(driver, "version", json_string(NC_VERSION));
	json_object_set_new(driver, "informationUri",
			    json_string("https://github.com/nitrocheck/nitrocheck"));
	for (size_t i = 0; o && o->rules && i < o->rules->n_rules; i++) {
		const struct nc_rule *r = &o->rules->rules[i];
		json_t *jr = json_object(), *cfg = json_object();
		const char *rem = json_is_string(r->remediation)
					  ? json_string_value(r->remediation)
					  : json_string_value(json_object_get(r->remediation,
									      "default"));

		json_object_set_new(jr, "id", json_string(r->id));
		json_object_set_new(jr, "shortDescription", sarif_text(r->title));
		json_object_set_new(jr, "fullDescription", sarif_text(r->rationale));
		json_object_set_new(jr, "help", sarif_text(rem ? rem : ""));
		if (r->references && r->references[0])
			json_object_set_new(jr, "helpUri", json_string(r->references[0]));
		json_object_set_new(cfg, "level", json_string(sarif_level(r->severity)));
		json_object_set_new(cfg, "enabled", json_boolean(r->enabled));
		json_object_set_new(jr, "defaultConfiguration", cfg);
		json_array_append_new(rules, jr);
	}
	json_object_set_new(driver, "rules", rules);
	json_object_set_new(tool, "driver", driver);
	json_object_set_new(run, "tool", tool);
	for (size_t i = 0; i < n; i++) {
		const struct nc_findings *fs = imgs[i].findings;

		if (imgs[i].verdict == NC_VERDICT_ERROR)
			ok = false;
		for (size_t j = 0; fs && j < fs->n; j++) {
			const struct nc_finding *f = &fs->v[j];
			json_t *res = json_object(), *locs = json_array();
			json_t *loc = json_object(), *phys = json_object(), *art = json_object();
			json_t *props = json_object();
			_cleanup_free_ char *text = NULL;

			text = strdup_printf("%s%s%s%s Fix: %s", f->kernel ? "[" : "",
					     f->kernel ? f->kernel : "", f->kernel ? "] " : "",
					     f->message, f->remediation);
			json_object_set_new(res, "ruleId", json_string(f->rule_id));
			json_object_set_new(res, "level", json_string(sarif_level(f->severity)));
			json_object_set_new(res, "message", sarif_text(text ? text : f->message));
			/* The artifact is the image; the guest path is a logical location
			 * inside it, kept as a property for tools that show it. */
			json_object_set_new(art, "uri", json_string(imgs[i].image));
			json_object_set_new(phys, "artifactLocation", art);
			if (f->line) {
				json_t *reg = json_object();

				json_object_set_new(reg, "startLine", json_integer(f->line));
				if (f->text)
					json_object_set_new(reg, "snippet", sarif_text(f->text));
				json_object_set_new(phys, "region", reg);
			}
			json_object_set_new(loc, "physicalLocation", phys);
			if (f->file) {
				json_t *ll = json_array(), *l = json_object();

				json_object_set_new(l, "fullyQualifiedName", json_string(f->file));
				json_object_set_new(l, "kind", json_string("resource"));
				json_array_append_new(ll, l);
				json_object_set_new(loc, "logicalLocations", ll);
			}
			json_array_append_new(locs, loc);
			json_object_set_new(res, "locations", locs);
			json_object_set_new(props, "guestPath", str_or_null(f->file));
			json_object_set_new(props, "kernel", str_or_null(f->kernel));
			json_object_set_new(res, "properties", props);
			json_array_append_new(results, res);
		}
	}
	json_object_set_new(run, "results", results);
	json_object_set_new(inv, "executionSuccessful", json_boolean(ok));
	json_array_append_new(invocations, inv);
	json_object_set_new(run, "invocations", invocations);
	json_array_append_new(runs, run);
	json_object_set_new(root, "runs", runs);
	return dump(out, root);
}

int report_write(FILE *out, enum nc_report_format fmt, const struct nc_image_report *imgs,
		 size_t n, const struct nc_report_opts *o)
{
	switch (fmt) {
	case NC_FORMAT_TEXT:
		return report_write_text(out, imgs, n, o);
	case NC_FORMAT_JSON:
		return report_write_json(out, imgs, n, o);
	case NC_FORMAT_SARIF:
		return report_write_sarif(out, imgs, n, o);
	case NC_FORMAT_JUNIT:
		return report_write_junit(out, imgs, n, o);
	}
	return -EINVAL;
}
