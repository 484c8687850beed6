/* SPDX-License-Identifier: MIT */
/*
 * Reports render what the scan found; they never compute findings. Four
 * formats: text (for a terminal), JSON (documented schema, see
 * man nitrocheck(1) and README), SARIF 2.1.0 (code-scanning UIs) and JUnit
 * XML (CI test reports).
 */
#ifndef NC_REPORT_H
#define NC_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "facts/facts.h"
#include "rules/rules.h"

#define NC_SCAN_SCHEMA_VERSION 1

enum nc_verdict {
	NC_VERDICT_READY,
	NC_VERDICT_NOT_READY,
	NC_VERDICT_ERROR,      /* the tool could not complete */
};

const char *nc_verdict_name(enum nc_verdict v);

struct nc_image_report {
	const char *image;
	enum nc_verdict verdict;
	const char *error;                  /* set when verdict is ERROR */
	const struct nc_facts *facts;       /* NULL when nothing was collected */
	const struct nc_findings *findings; /* may be NULL on error */
	double seconds;
};

enum nc_report_format {
	NC_FORMAT_TEXT,
	NC_FORMAT_JSON,
	NC_FORMAT_SARIF,
	NC_FORMAT_JUNIT,
};

int nc_report_format_parse(const char *s, enum nc_report_format *ret);

struct nc_report_opts {
	bool color;
	bool verbose;
	const struct nc_ruleset *rules;     /* SARIF rule metadata, JUnit cases */
};

/* The verdict a set of findings implies: not ready iff an error fired. */
enum nc_verdict nc_verdict_from_findings(const struct nc_findings *f);

/* One image as a JSON object (the per-image part of the schema). */
json_t *report_image_json(const struct nc_image_report *r);

int report_write_text(FILE *out, const struct nc_image_report *imgs, size_t n,
		      const struct nc_report_opts *o);
int report_write_json(FILE *out, const struct nc_image_report *imgs, size_t n,
		      const struct nc_report_opts *o);
int report_write_sarif(FILE *out, const struct nc_image_report *imgs, size_t n,
		       const struct nc_report_opts *o);
int report_write_junit(FILE *out, const struct nc_image_report *imgs, size_t n,
		       const struct nc_report_opts *o);
int report_write(FILE *out, enum nc_report_format fmt, const struct nc_image_report *imgs,
		 size_t n, const struct nc_report_opts *o);

#endif
