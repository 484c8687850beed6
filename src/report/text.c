/* SPDX-License-Identifier: MIT */
/* The terminal report: per kernel, default first, then the findings. */
#include "report/report.h"

#include <errno.h>

struct palette {
	const char *red, *yellow, *cyan, *green, *bold, *dim, *reset;
};

static const struct palette colors = { "\033[31m", "\033[33m", "\033[36m", "\033[32m",
				       "\033[1m",  "\033[2m",  "\033[0m" };
static const struct palette plain = { "", "", "", "", "", "", "" };

static const char *sev_color(const struct palette *p, enum nc_severity s)
{
	return s == NC_SEV_ERROR ? p->red : s == NC_SEV_WARNING ? p->yellow : p->cyan;
}

static const char *status_color(const struct palette *p, enum nc_driver_status s)
{
	return s == NC_DRV_MISSING || s == NC_DRV_UNUSABLE ? p->red : p->green;
}

static void print_driver(FILE *out, const struct palette *p, const struct nc_kernel *k,
			 const struct nc_driver *d)
{
	fprintf(out, "  %-10s %s%-8s%s", d->spec->name, status_color(p, d->status),
		nc_driver_status_name(d->status), p->reset);
	if (d->status == NC_DRV_MODULE) {
		if (!k->initramfs.path || k->initramfs.error)
			fputs("  initramfs: -", out);
		else if (d->in_initramfs)
			fprintf(out, "  %sin initramfs%s", p->green, p->reset);
		else
			fprintf(out, "  %sNOT in initramfs%s", p->red, p->reset);
	}
	fputc('\n', out);
	for (size_t i = 0; i < d->n_modules; i++) {
		const struct nc_module *m = &d->modules[i];

		fprintf(out, "  %s  %-9s %s", p->dim, m->name, nc_driver_status_name(m->status));
		if (m->path)
			fprintf(out, " %s", m->path);
		else if (m->found_by)
			fprintf(out, " (%s)", m->found_by);
		if (m->status == NC_DRV_MODULE || m->status == NC_DRV_UNUSABLE) {
			if (m->version)
				fprintf(out, ", version %s", m->version);
			else
				fputs(", in-tree (no version field)", out);
			if (m->vermagic && !m->vermagic_ok)
				fprintf(out, ", vermagic \"%s\" does not match", m->vermagic);
		}
		if (m->error)
			fprintf(out, " — %s", m->error);
		fprintf(out, "%s\n", p->reset);
	}
}

static void print_kernel(FILE *out, const struct palette *p, const struct nc_kernel *k)
{
	const struct nc_initramfs *ir = &k->initramfs;

	fprintf(out, "\n%sKernel %s%s%s\n", p->bold, k->version, k->is_default ? "  [default]" : "",
		p->reset);
	fprintf(out, "  image      %s", k->image_path);
	if (k->version_source)
		fprintf(out, " (version from %s)", k->version_source);
	fputc('\n', out);
	if (k->cmdline)
		fprintf(out, "  cmdline    %s\n", k->cmdline);
	if (!ir->path) {
		fprintf(out, "  initramfs  %snone%s\n", p->yellow, p->reset);
	} else if (ir->error) {
		fprintf(out, "  initramfs  %s %sunreadable: %s%s\n", ir->path, p->red,
			ir->error_msg ? ir->error_msg : strerror(-ir->error), p->reset);
	} else {
		fprintf(out, "  initramfs  %s (%s", ir->path, ir->generator ? ir->generator : "?");
		for (size_t i = 0; ir->segments && ir->segments[i]; i++)
			fprintf(out, "%s%s", i ? " + " : ", ", ir->segments[i]);
		fprintf(out, ", %zu files)\n", strv_length(ir->files));
	}
	for (size_t i = 0; i < k->n_drivers; i++)
		print_driver(out, p, k, &k->drivers[i]);
}

static void print_finding(FILE *out, const struct palette *p, const struct nc_finding *f)
{
	fprintf(out, "  %s%-7s%s %s%s%s", sev_color(p, f->severity),
		nc_severity_name(f->severity), p->reset, p->bold, f->rule_id, p->reset);
	if (f->kernel)
		fprintf(out, " [%s]", f->kernel);
	fprintf(out, "\n          %s\n", f->message);
	if (f->file) {
		fprintf(out, "          %s%s", p->dim, f->file);
		if (f->line)
			fprintf(out, ":%u", f->line);
		if (f->text)
			fprintf(out, ": %s", f->text);
		fprintf(out, "%s\n", p->reset);
	}
	if (f->remediation && *f->remediation)
		fprintf(out, "          fix: %s\n", f->remediation);
}

static void print_image(FILE *out, const struct palette *p, const struct nc_image_report *r,
			const struct nc_report_opts *o)
{
	const struct nc_facts *f = r->facts;
	size_t counts[3] = { 0 };

	fprintf(out, "%s%s%s\n", p->bold, r->image, p->reset);
	if (r->verdict == NC_VERDICT_ERROR) {
		fprintf(out, "  %serror:%s %s\n", p->red, p->reset, r->error ? r->error : "failed");
		return;
	}
	if (f) {
		fprintf(out, "  OS         %s", f->os.pretty_name ? f->os.pretty_name
							: f->os.id ? f->os.id : "unknown");
		if (f->os.arch)
			fprintf(out, ", %s", f->os.arch);
		fputc('\n', out);
		if (f->default_kernel >= 0)
			fprintf(out, "  default    %s", f->kernels[f->default_kernel].version);
		else
			fprintf(out, "  default    %snone resolved%s", p->yellow, p->reset);
		if (f->default_reason)
			fprintf(out, " (%s)", f->default_reason);
		fputc('\n', out);
		for (size_t i = 0; i < f->n_kernels; i++)
			print_kernel(out, p, &f->kernels[i]);
		if (o && o->verbose)
			for (size_t i = 0; f->notes && f->notes[i]; i++)
				fprintf(out, "  note: %s\n", f->notes[i]);
	}
	if (r->findings && r->findings->n) {
		fprintf(out, "\n%sFindings%s\n", p->bold, p->reset);
		for (size_t i = 0; i < r->findings->n; i++) {
			print_finding(out, p, &r->findings->v[i]);
			counts[r->findings->v[i].severity]++;
		}
	}
	fprintf(out, "\nVerdict: %s%s%s (%zu error%s, %zu warning%s, %zu info) in %.1f s\n",
		r->verdict == NC_VERDICT_READY ? p->green : p->red,
		r->verdict == NC_VERDICT_READY ? "READY for Nitro" : "NOT READY for Nitro", p->reset,
		counts[NC_SEV_ERROR], counts[NC_SEV_ERROR] == 1 ? "" : "s", counts[NC_SEV_WARNING],
		counts[NC_SEV_WARNING] == 1 ? "" : "s", counts[NC_SEV_INFO], r->seconds);
}

int report_write_text(FILE *out, const struct nc_image_report *imgs, size_t n,
		      const struct nc_report_opts *o)
{
	const struct palette *p = o && o->color ? &colors : &plain;

	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc('\n', out);
		print_image(out, p, &imgs[i], o);
	}
	return ferror(out) ? -EIO : 0;
}

/* XML text with the five entities escaped and control bytes dropped. */
static void xml_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
				fputc(*s, out);
		}
	}
}

static void junit_finding(FILE *out, const struct nc_finding *f)
{
	fprintf(out, "%s: ", nc_severity_name(f->severity));
	xml_escape(out, f->kernel ? f->kernel : "");
	fputs(f->kernel ? ": " : "", out);
	xml_escape(out, f->message);
	if (f->file) {
		fputs("\n  ", out);
		xml_escape(out, f->file);
		if (f->line)
			fprintf(out, ":%u", f->line);
		if (f->text) {
			fputs(": ", out);
			xml_escape(out, f->text);
		}
	}
	fputs("\n  fix: ", out);
	xml_escape(out, f->remediation);
	fputc('\n', out);
}

/* One testsuite per image, one testcase per enabled rule: a rule that
 * raised an error fails, warnings and info go to system-out. */
int report_write_junit(FILE *out, const struct nc_image_report *imgs, size_t n,
		       const struct nc_report_opts *o)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nitrocheck\">\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct nc_image_report *r = &imgs[i];
		size_t tests = 0, failures = 0;

		for (size_t j = 0; o && o->rules && j < o->rules->n_rules; j++) {
			const struct nc_rule *rule = &o->rules->rules[j];
			bool failed = false;

			if (!rule->enabled)
				continue;
			tests++;
			for (size_t k = 0; r->findings && k < r->findings->n; k++)
				if (streq(r->findings->v[k].rule_id, rule->id) &&
				    r->findings->v[k].severity == NC_SEV_ERROR)
					failed = true;
			failures += failed;
		}
		fputs("  <testsuite name=\"", out);
		xml_escape(out, r->image);
		fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" time=\"%.3f\">\n",
			r->verdict == NC_VERDICT_ERROR ? 1 : tests, failures,
			r->verdict == NC_VERDICT_ERROR, r->seconds);
		if (r->verdict == NC_VERDICT_ERROR) {
			fputs("    <testcase name=\"scan\" classname=\"nitrocheck\">\n"
			      "      <error message=\"", out);
			xml_escape(out, r->error);
			fputs("\"/>\n    </testcase>\n  </testsuite>\n", out);
			continue;
		}
		for (size_t j = 0; o && o->rules && j < o->rules->n_rules; j++) {
			const struct nc_rule *rule = &o->rules->rules[j];
			bool any = false, failed = false;

			if (!rule->enabled)
				continue;
			for (size_t k = 0; r->findings && k < r->findings->n; k++)
				if (streq(r->findings->v[k].rule_id, rule->id)) {
					any = true;
					failed |= r->findings->v[k].severity == NC_SEV_ERROR;
				}
			fputs("    <testcase name=\"", out);
			xml_escape(out, rule->id);
			fputs("\" classname=\"", out);
			xml_escape(out, r->image);
			fputs(any ? "\">\n" : "\"/>\n", out);
			if (!any)
				continue;
			if (failed) {
				fputs("      <failure message=\"", out);
				xml_escape(out, rule->title);
				fputs("\" type=\"error\">", out);
			} else {
				fputs("      <system-out>", out);
			}
			for (size_t k = 0; r->findings && k < r->findings->n; k++)
				if (streq(r->findings->v[k].rule_id, rule->id))
					junit_finding(out, &r->findings->v[k]);
			fputs(failed ? "</failure>\n" : "</system-out>\n", out);
			fputs("    </testcase>\n", out);
		}
		fputs("  </testsuite>\n", out);
	}
	fputs("</testsuites>\n", out);
	return ferror(out) ? -EIO : 0;
}
