/* SPDX-License-Identifier: MIT */
/*
 * The rule engine. Rules are data (the JSON files of rules/): id, title, severity,
 * rationale, remediation per distribution family, references, the name of
 * a check (a predicate implemented in C) and its parameters. The checks are
 * a small, documented set (rules/README.md); each lives beside the analyzer
 * whose facts it reads and is exported in a table (struct nc_check).
 *
 * A rules file is a JSON object, every key optional:
 *   { "snapshot": { "trees": [...], "files": [...], "search_dirs": [...],
 *                   "search_strings": [...], "max_file_size": N },
 *     "drivers": [ driver specs ... ],
 *     "rules":   [ rules ... ] }
 * Lists in "snapshot" add up across files.
 */
#ifndef NC_RULES_H
#define NC_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"
#include "facts/facts.h"

enum nc_severity {
	NC_SEV_INFO,
	NC_SEV_WARNING,
	NC_SEV_ERROR,
};

const char *nc_severity_name(enum nc_severity s);
int nc_severity_parse(const char *s, enum nc_severity *ret);

struct nc_rule {
	char *id;             /* stable: "kernel-nvme-missing" */
	char *title;
	enum nc_severity severity;
	char *rationale;
	json_t *remediation;  /* string, or object keyed by family + "default" */
	char **references;
	char *check;          /* predicate name */
	json_t *params;       /* predicate parameters (object, may be empty) */
	bool enabled;
	char *file;           /* rules file it came from */
};

/* What the image layer copies out of an image (the "snapshot" section). */
struct nc_snapshot_spec {
	char **trees;          /* whole directories: "/boot", "/etc" */
	char **files;          /* glob patterns of single files */
	char **heads;          /* glob patterns of files of which the start suffices */
	char **excludes;       /* globs of files under trees not to copy */
	uint64_t head_size;
	char **search_dirs;    /* where to look for search_strings */
	char **search_strings; /* fixed strings; files holding one are copied out */
	uint64_t max_file_size;
};

struct nc_ruleset {
	struct nc_snapshot_spec snapshot;
	struct nc_rule *rules;
	size_t n_rules;
	struct nc_driver_spec *drivers;
	size_t n_drivers;
};

struct nc_finding {
	char *rule_id;
	enum nc_severity severity;
	char *title;
	char *kernel;         /* kernel version the finding is about, or NULL */
	char *message;        /* one sentence of evidence */
	char *file;           /* guest path, or NULL */
	unsigned int line;    /* 1-based, 0 = none */
	char *text;           /* the offending line or string, or NULL */
	char *remediation;    /* resolved for the image's family, ${vars} filled */
};

struct nc_findings {
	struct nc_finding *v;
	size_t n;
};

/* Where a finding points; all fields optional. */
struct nc_where {
	const char *kernel;
	const char *file;
	unsigned int line;
	const char *text;
};

/*
 * Add a finding for rule r with severity sev (checks lower the rule's
 * severity to a warning for non-default kernels). The remediation is taken
 * from the rule for facts->os.family, with ${kernel}, ${initramfs},
 * ${file} and ${driver} substituted from `where` and `vars`
 * (NULL-terminated key, value pairs; may be NULL).
 */
int nc_finding_add(struct nc_findings *out, const struct nc_rule *r,
		   const struct nc_facts *facts, enum nc_severity sev,
		   const struct nc_where *where, const char *const *vars,
		   const char *fmt, ...) NC_PRINTF(7, 8);

/* One finding of rule r, at its severity, per string of notes (the notes
 * checks of each layer: files that could not be read, ...). */
int nc_findings_add_notes(struct nc_findings *out, const struct nc_rule *r,
			  const struct nc_facts *facts, char *const *notes);

void nc_findings_free(struct nc_findings *f);
/* Sort: error first, then by rule id, kernel, file, line. */
void nc_findings_sort(struct nc_findings *f);

typedef int (*nc_check_fn)(const struct nc_rule *rule, const struct nc_facts *facts,
			   struct nc_findings *out);

struct nc_check {
	const char *name;
	nc_check_fn fn;
	const char *doc;      /* one line for rules/README.md and --list-checks */
};

/* Per-domain tables, each terminated by { NULL }. */
extern const struct nc_check nc_scan_checks[];
extern const struct nc_check nc_kernel_checks[];
extern const struct nc_check nc_initramfs_checks[];
extern const struct nc_check nc_boot_checks[];
extern const struct nc_check nc_net_checks[];
extern const struct nc_check nc_xen_checks[];
extern const struct nc_check nc_platform_checks[];

const struct nc_check *nc_check_find(const char *name);
void nc_check_foreach(void (*fn)(const struct nc_check *c, void *ud), void *ud);

/*
 * Load every *.json file of dir in name order (a later rule with the same
 * id replaces an earlier one, so a user's directory can override ours).
 * Unknown checks, bad severities and missing fields are errors naming the
 * file and the rule.
 */
int nc_ruleset_load_dir(struct nc_ruleset *rs, const char *dir, struct nc_err *err);
int nc_ruleset_load_file(struct nc_ruleset *rs, const char *path, struct nc_err *err);
/* Disable rules by id (exact) or prefix ending in '*'; -ENOENT if none matched. */
int nc_ruleset_disable(struct nc_ruleset *rs, const char *pattern);
void nc_ruleset_free(struct nc_ruleset *rs);

/* Run every enabled rule over the facts. */
int nc_rules_evaluate(const struct nc_ruleset *rs, const struct nc_facts *facts,
		      struct nc_findings *out, struct nc_err *err);

/* Param helpers for checks: NULL / default when absent or of the wrong type. */
const char *nc_param_str(const struct nc_rule *r, const char *key, const char *def);
long long nc_param_int(const struct nc_rule *r, const char *key, long long def);
bool nc_param_bool(const struct nc_rule *r, const char *key, bool def);
/* A string array parameter as a new strv (empty strv when absent). */
char **nc_param_strv(const struct nc_rule *r, const char *key);

#endif
