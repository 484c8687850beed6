/* SPDX-License-Identifier: MIT */
/* Findings: what a check emits, with the rule's words resolved for the image. */
#include "rules/rules.h"

#include <errno.h>

/* Remediation text for the image's family: the family key, else "default". */
static const char *remediation_for(const struct nc_rule *r, const struct nc_facts *facts)
{
	json_t *v;

	if (json_is_string(r->remediation))
		return json_string_value(r->remediation);
	v = json_object_get(r->remediation, nc_os_family_name(facts ? facts->os.family
								    : NC_FAMILY_UNKNOWN));
	if (!json_is_string(v))
		v = json_object_get(r->remediation, "default");
	return json_is_string(v) ? json_string_value(v) : "";
}

static const char *lookup_var(const char *name, size_t len, const struct nc_where *w,
			      const char *const *vars)
{
	for (size_t i = 0; vars && vars[i] && vars[i + 1]; i += 2)
		if (strlen(vars[i]) == len && strncmp(vars[i], name, len) == 0)
			return vars[i + 1];
	if (w && len == 6 && strncmp(name, "kernel", 6) == 0)
		return w->kernel;
	if (w && len == 4 && strncmp(name, "file", 4) == 0)
		return w->file;
	return NULL;
}

/* Replace ${name}; unknown names are left as they are, so a typo in a
 * user's rule shows rather than vanishes. */
static char *expand_vars(const char *tmpl, const struct nc_where *w, const char *const *vars)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (const char *p = tmpl; *p;) {
		const char *end, *val;

		if (p[0] == '$' && p[1] == '{' && (end = strchr(p + 2, '}'))) {
			val = lookup_var(p + 2, (size_t)(end - p - 2), w, vars);
			if (val) {
				fputs(val, f);
				p = end + 1;
				continue;
			}
		}
		fputc(*p++, f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int nc_finding_add(struct nc_findings *out, const struct nc_rule *r,
		   const struct nc_facts *facts, enum nc_severity sev,
		   const struct nc_where *where, const char *const *vars,
		   const char *fmt, ...)
{
	struct nc_finding *nv, *f;
	va_list ap;
	int n;

	nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	out->v = nv;
	f = &out->v[out->n];
	memset(f, 0, sizeof(*f));
	f->rule_id = strdup(r->id);
	f->severity = sev;
	f->title = strdup(r->title);
	va_start(ap, fmt);
	n = vasprintf(&f->message, fmt, ap);
	va_end(ap);
	if (n < 0)
		f->message = NULL;
	if (where) {
		f->kernel = strdup_or_null(where->kernel);
		f->file = strdup_or_null(where->file);
		f->line = where->line;
		f->text = strdup_or_null(where->text);
	}
	f->remediation = expand_vars(remediation_for(r, facts), where, vars);
	out->n++;
	if (!f->rule_id || !f->title || !f->message || !f->remediation ||
	    (where && ((where->kernel && !f->kernel) || (where->file && !f->file) ||
		       (where->text && !f->text))))
		return -ENOMEM;
	return 0;
}

int nc_findings_add_notes(struct nc_findings *out, const struct nc_rule *r,
			  const struct nc_facts *facts, char *const *notes)
{
	for (size_t i = 0; notes && notes[i]; i++) {
		int rc = nc_finding_add(out, r, facts, r->severity, NULL, NULL, "%s", notes[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void nc_findings_free(struct nc_findings *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct nc_finding *f = &fs->v[i];

		free(f->rule_id);
		free(f->title);
		free(f->kernel);
		free(f->message);
		free(f->file);
		free(f->text);
		free(f->remediation);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}

static int cmp_nullable(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_finding(const void *pa, const void *pb)
{
	const struct nc_finding *a = pa, *b = pb;
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if ((c = strcmp(a->rule_id, b->rule_id)))
		return c;
	if ((c = cmp_nullable(a->kernel, b->kernel)))
		return c;
	if ((c = cmp_nullable(a->file, b->file)))
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return cmp_nullable(a->message, b->message);
}

void nc_findings_sort(struct nc_findings *f)
{
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_finding);
}
