/* SPDX-License-Identifier: MIT */
/* nitrocheck scan: image(s) → snapshot → facts → findings → report. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/util.h"
#include "facts/collect.h"
#include "image/image.h"
#include "report/report.h"
#include "rules/rules.h"

struct scan_opts {
	enum nc_report_format format;
	const char *output;
	const char *rules_dir;
	char **extra_rules;
	char **disabled;
	char **roots;
	const char *image_format;
	const char *keep_snapshot;
	int color;            /* -1 auto, 0 never, 1 always */
	bool verbose;
	bool list_rules, list_checks;
};

/* Everything one image's scan owns. */
struct scan_result {
	struct nc_facts facts;
	struct nc_findings findings;
	struct nc_err err;
	struct nc_image_report report;
};

static void scan_usage(FILE *out)
{
	fputs("Usage: nitrocheck scan [OPTIONS] IMAGE...\n"
	      "       nitrocheck scan [OPTIONS] --root DIR\n\n"
	      "Check disk images offline: will they boot and network on AWS Nitro?\n"
	      "Every kernel, its initramfs and modules, the boot configuration and the\n"
	      "userland are inspected; images are opened read-only.\n\n"
	      "Options:\n"
	      "  -f, --format FMT       text (default), json, sarif or junit\n"
	      "  -o, --output FILE      write the report to FILE instead of stdout\n"
	      "      --root DIR         scan an unpacked tree (chroot, build tree) instead\n"
	      "                         of an image; may be repeated\n"
	      "      --image-format FMT raw, qcow2, vmdk, vhdx, vpc (default: probe)\n"
	      "      --rules-dir DIR    read the rules from DIR instead of the built-in ones\n"
	      "      --rules FILE       add the rules of FILE (same id: replaces)\n"
	      "      --disable ID       disable rules by id or glob (repeatable)\n"
	      "      --list-rules       list the rules and exit\n"
	      "      --list-checks      list the checks rules can use and exit\n"
	      "      --keep-snapshot DIR  keep the files copied out of the image in DIR\n"
	      "      --color WHEN       auto (default), always or never; NO_COLOR is honoured\n"
	      "  -v, --verbose          show notes and libguestfs activity\n"
	      "  -h, --help             show this help\n\n"
	      "Exit status: 0 ready, 1 not ready, 2 could not complete.\n", out);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_scan_opts(int argc, char **argv, struct scan_opts *o)
{
	enum { OPT_ROOT = 256, OPT_RULES_DIR, OPT_RULES, OPT_DISABLE, OPT_LIST_RULES,
	       OPT_LIST_CHECKS, OPT_KEEP, OPT_COLOR, OPT_NO_COLOR, OPT_IMAGE_FORMAT };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "image-format", required_argument, NULL, OPT_IMAGE_FORMAT },
		{ "rules-dir", required_argument, NULL, OPT_RULES_DIR },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "disable", required_argument, NULL, OPT_DISABLE },
		{ "list-rules", no_argument, NULL, OPT_LIST_RULES },
		{ "list-checks", no_argument, NULL, OPT_LIST_CHECKS },
		{ "keep-snapshot", required_argument, NULL, OPT_KEEP },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->color = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (nc_report_format_parse(optarg, &o->format) < 0) {
				fprintf(stderr, "nitrocheck scan: unknown format '%s' "
						"(text, json, sarif, junit)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_ROOT:
			if (strv_extend(&o->roots, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_IMAGE_FORMAT:
			o->image_format = optarg;
			break;
		case OPT_RULES_DIR:
			o->rules_dir = optarg;
			break;
		case OPT_RULES:
			if (strv_extend(&o->extra_rules, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_DISABLE:
			if (strv_extend(&o->disabled, optarg) < 0)
				return -ENOMEM;
			break;
		case OPT_LIST_RULES:
			o->list_rules = true;
			break;
		case OPT_LIST_CHECKS:
			o->list_checks = true;
			break;
		case OPT_KEEP:
			o->keep_snapshot = optarg;
			break;
		case OPT_COLOR:
			if (streq(optarg, "auto"))
				o->color = -1;
			else if (streq(optarg, "always"))
				o->color = 1;
			else if (streq(optarg, "never"))
				o->color = 0;
			else {
				fprintf(stderr, "nitrocheck scan: --color takes auto, always or never\n");
				return -EINVAL;
			}
			break;
		case OPT_NO_COLOR:
			o->color = 0;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			scan_usage(stdout);
			return 1;
		default:
			fputs("Try 'nitrocheck scan --help'.\n", stderr);
			return -EINVAL;
		}
	}
	return 0;
}

static int load_rules(const struct scan_opts *o, struct nc_ruleset *rs)
{
	const char *dir = o->rules_dir ? o->rules_dir : cli_default_rules_dir();
	struct nc_err err = { 0 };
	int r;

	r = nc_ruleset_load_dir(rs, dir, &err);
	for (size_t i = 0; r >= 0 && o->extra_rules && o->extra_rules[i]; i++)
		r = nc_ruleset_load_file(rs, o->extra_rules[i], &err);
	if (r < 0) {
		fprintf(stderr, "nitrocheck: %s\n", err.msg[0] ? err.msg : strerror(-r));
		return r;
	}
	for (size_t i = 0; o->disabled && o->disabled[i]; i++)
		if (nc_ruleset_disable(rs, o->disabled[i]) < 0) {
			fprintf(stderr, "nitrocheck: --disable %s: no rule has that id\n",
				o->disabled[i]);
			return -ENOENT;
		}
	if (!rs->snapshot.max_file_size)
		rs->snapshot.max_file_size = 64u << 20;
	return 0;
}

static void list_rules(const struct nc_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct nc_rule *r = &rs->rules[i];

		printf("%-36s %-7s %-8s %s\n", r->id, nc_severity_name(r->severity),
		       r->enabled ? "enabled" : "disabled", r->title);
	}
}

static void print_check(const struct nc_check *c, void *ud)
{
	(void)ud;
	printf("%-24s %s\n", c->name, c->doc ? c->doc : "");
}

/* After the snapshot: facts, then findings; errors become an ERROR verdict. */
static void scan_finish(const char *target, int r, const struct nc_ruleset *rs, double t0,
			struct scan_result *res)
{
	res->report.image = target;
	if (r >= 0) {
		r = nc_facts_collect(&res->facts, rs->drivers, rs->n_drivers, &res->err);
		if (r < 0 && !res->err.msg[0])
			nc_err_set(&res->err, r, "%s: %s", target, strerror(-r));
	}
	if (r >= 0) {
		r = nc_rules_evaluate(rs, &res->facts, &res->findings, &res->err);
		if (r < 0 && !res->err.msg[0])
			nc_err_set(&res->err, r, "%s: %s", target, strerror(-r));
	}
	res->report.seconds = now_seconds() - t0;
	if (r < 0) {
		if (!res->err.msg[0])
			nc_err_set(&res->err, r, "%s: %s", target, strerror(-r));
		res->report.verdict = NC_VERDICT_ERROR;
		res->report.error = res->err.msg;
		return;
	}
	res->report.facts = &res->facts;
	res->report.findings = &res->findings;
	res->report.verdict = nc_verdict_from_findings(&res->findings);
}

/* All images in one appliance launch, then the --root trees. */
static int scan_all(char *const *images, size_t n_images, char *const *roots, size_t n_roots,
		    const struct scan_opts *o, const struct nc_ruleset *rs,
		    struct scan_result *results)
{
	struct nc_image_opts io = {
		.format = o->image_format,
		.keep_snapshot = o->keep_snapshot,
		.spec = &rs->snapshot,
		.drivers = rs->drivers,
		.n_drivers = rs->n_drivers,
		.verbose = o->verbose,
	};
	size_t n = n_images + n_roots;
	struct nc_err *errs = calloc(n, sizeof(*errs));
	int *rets = calloc(n, sizeof(int));
	double t0 = now_seconds();
	int r = 0;

	if (!errs || !rets) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		results[i].facts.default_kernel = -1;
		results[i].facts.snap.rootfd = -1;
	}
	if (n_images) {
		struct nc_facts *facts = calloc(n_images, sizeof(*facts));

		if (!facts) {
			r = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n_images; i++) {
			facts[i].default_kernel = -1;
			facts[i].snap.rootfd = -1;
		}
		r = image_snapshot_batch(images, n_images, &io, facts, errs, rets);
		for (size_t i = 0; i < n_images; i++) {
			results[i].facts = facts[i];
			results[i].err = errs[i];
		}
		free(facts);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < n_images; i++)
		/* the launch is shared: each image is charged the batch's time */
		scan_finish(images[i], rets[i], rs, t0, &results[i]);
	for (size_t i = 0; i < n_roots; i++) {
		struct scan_result *res = &results[n_images + i];
		double t1 = now_seconds();
		int rr = snapshot_open_dir(&res->facts.snap, roots[i], &res->err);

		scan_finish(roots[i], rr, rs, t1, res);
	}
out:
	free(errs);
	free(rets);
	return r;
}

static void scan_result_free(struct scan_result *res)
{
	snapshot_destroy(&res->facts.snap);
	nc_facts_free(&res->facts);
	nc_findings_free(&res->findings);
}

static bool want_color(const struct scan_opts *o, FILE *out)
{
	const char *nc = getenv("NO_COLOR");

	if (o->color >= 0)
		return o->color;
	if (nc && *nc)
		return false;
	return isatty(fileno(out));
}

int cmd_scan(int argc, char **argv)
{
	struct scan_opts o = { 0 };
	struct nc_ruleset rs = { 0 };
	struct scan_result *results = NULL;
	struct nc_image_report *reports = NULL;
	struct nc_report_opts ro = { 0 };
	FILE *out = stdout;
	size_t n_images, n_roots, n;
	int r, code = NC_EXIT_OK;

	r = parse_scan_opts(argc, argv, &o);
	if (r != 0) {
		code = r > 0 ? cli_finish_stdout(NC_EXIT_OK) : NC_EXIT_ERROR;
		goto out;
	}
	n_images = (size_t)(argc - optind);
	n_roots = strv_length(o.roots);
	n = n_images + n_roots;
	if (n == 0 && !o.list_rules && !o.list_checks) {
		fputs("nitrocheck scan: no image given\nTry 'nitrocheck scan --help'.\n", stderr);
		code = NC_EXIT_ERROR;
		goto out;
	}
	if (load_rules(&o, &rs) < 0) {
		code = NC_EXIT_ERROR;
		goto out;
	}
	if (o.list_rules || o.list_checks) {
		if (o.list_rules)
			list_rules(&rs);
		if (o.list_checks)
			nc_check_foreach(print_check, NULL);
		code = cli_finish_stdout(NC_EXIT_OK);
		goto out;
	}
	if (o.keep_snapshot && n > 1) {
		fputs("nitrocheck scan: --keep-snapshot takes one image\n", stderr);
		code = NC_EXIT_ERROR;
		goto out;
	}
	if (o.output) {
		out = fopen(o.output, "we");
		if (!out) {
			fprintf(stderr, "nitrocheck: %s: %s\n", o.output, strerror(errno));
			out = stdout;
			code = NC_EXIT_ERROR;
			goto out;
		}
	}
	results = calloc(n, sizeof(*results));
	reports = calloc(n, sizeof(*reports));
	if (!results || !reports) {
		fputs("nitrocheck: out of memory\n", stderr);
		code = NC_EXIT_ERROR;
		goto out;
	}
	r = scan_all(argv + optind, n_images, o.roots, n_roots, &o, &rs, results);
	if (r < 0) {
		fprintf(stderr, "nitrocheck: %s\n", strerror(-r));
		code = NC_EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		reports[i] = results[i].report;
		/* errors also go to stderr, one line each, whatever the format */
		if (reports[i].verdict == NC_VERDICT_ERROR)
			fprintf(stderr, "nitrocheck: %s\n", reports[i].error);
		if (reports[i].verdict == NC_VERDICT_ERROR)
			code = NC_EXIT_ERROR;
		else if (reports[i].verdict == NC_VERDICT_NOT_READY && code == NC_EXIT_OK)
			code = NC_EXIT_FAIL;
	}
	ro.color = want_color(&o, out);
	ro.verbose = o.verbose;
	ro.rules = &rs;
	/* a lone failed image in text mode: the stderr line says it all */
	if (!(n == 1 && reports[0].verdict == NC_VERDICT_ERROR && o.format == NC_FORMAT_TEXT)) {
		r = report_write(out, o.format, reports, n, &ro);
		if (r < 0) {
			fprintf(stderr, "nitrocheck: writing the report: %s\n", strerror(-r));
			code = NC_EXIT_ERROR;
		}
	}
out:
	for (size_t i = 0; results && i < n; i++)
		scan_result_free(&results[i]);
	free(results);
	free(reports);
	nc_ruleset_free(&rs);
	strv_free(o.extra_rules);
	strv_free(o.disabled);
	strv_free(o.roots);
	if (out != stdout) {
		if (fclose(out) != 0) {
			fprintf(stderr, "nitrocheck: %s: %s\n", o.output, strerror(errno));
			code = NC_EXIT_ERROR;
		}
		return code;
	}
	return cli_finish_stdout(code);
}
