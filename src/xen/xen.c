/* SPDX-License-Identifier: MIT */
/*
 * Xen facts of a snapshot: services enabled at boot, modprobe.d lines that
 * keep modules out, udev rules that make xvd* names. The lists are complete
 * (every enabled service, every blocked module); the rules pick the names
 * that matter, so the knowledge stays in rules/xen.json.
 */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "common/snapfs.h"
#include "common/util.h"
#include "facts/facts.h"
#include "net/net.h"
#include "xen/xen.h"

#define XEN_FILE_MAX (4u << 20)

/* Sorted entry names of a snapshot directory (all types, not the hidden
 * ones); empty (NULL) if it cannot be listed. */
static int list_dir(int rootfd, const char *path, char ***ret)
{
	int r = snapfs_list_dir(rootfd, path, "*", ret);

	if (r < 0)
		*ret = NULL;
	return r == -ENOMEM ? r : 0;
}

static int push_service(struct nc_xen_facts *x, const char *name, const char *file,
			const char *how)
{
	struct nc_enabled_service *nv = realloc(x->services, (x->n_services + 1) * sizeof(*nv));
	struct nc_enabled_service *s;

	if (!nv)
		return -ENOMEM;
	x->services = nv;
	s = &nv[x->n_services++];
	s->name = strdup(name);
	s->file = strdup(file);
	s->how = strdup(how);
	return s->name && s->file && s->how ? 0 : -ENOMEM;
}

static int collect_systemd_services(int rootfd, struct nc_xen_facts *x)
{
	static const char *const base = "/etc/systemd/system";
	_cleanup_strv_free_ char **dirs = NULL;
	int r = list_dir(rootfd, base, &dirs);

	for (size_t i = 0; r >= 0 && dirs && dirs[i]; i++) {
		_cleanup_strv_free_ char **units = NULL;
		_cleanup_free_ char *dir = NULL;

		if (!endswith(dirs[i], ".wants") && !endswith(dirs[i], ".requires"))
			continue;
		dir = path_join(base, dirs[i]);
		if (!dir)
			return -ENOMEM;
		r = list_dir(rootfd, dir, &units);
		for (size_t k = 0; r >= 0 && units && units[k]; k++) {
			_cleanup_free_ char *file = path_join(dir, units[k]);

			r = file ? push_service(x, units[k], file, dirs[i]) : -ENOMEM;
		}
	}
	return r;
}

/* SysV: S<NN>name links in rcS and rc2..5 (Debian /etc/rcN.d, RHEL /etc/rc.d/rcN.d). */
static int collect_sysv_services(int rootfd, struct nc_xen_facts *x)
{
	static const char *const bases[] = { "/etc", "/etc/rc.d", NULL };
	int r = 0;

	for (size_t b = 0; bases[b] && r >= 0; b++) {
		for (const char *lvls = "S2345", *lp = lvls; *lp && r >= 0; lp++) {
			char lvl = *lp;
			_cleanup_strv_free_ char **links = NULL;
			_cleanup_free_ char *dir = strdup_printf("%s/rc%c.d", bases[b], lvl);

			if (!dir)
				return -ENOMEM;
			r = list_dir(rootfd, dir, &links);
			for (size_t k = 0; r >= 0 && links && links[k]; k++) {
				const char *l = links[k], *name = l + 1;
				_cleanup_free_ char *file = NULL, *how = NULL;

				if (l[0] != 'S')
					continue;
				while (isdigit((unsigned char)*name))
					name++;
				file = path_join(dir, l);
				how = strdup_printf("rc%c.d %.*s", lvl, (int)(name - l), l);
				r = file && how ? push_service(x, name, file, how) : -ENOMEM;
			}
		}
	}
	/* OpenRC (Alpine, Gentoo). */
	if (r >= 0) {
		_cleanup_strv_free_ char **links = NULL;

		r = list_dir(rootfd, "/etc/runlevels/default", &links);
		for (size_t k = 0; r >= 0 && links && links[k]; k++) {
			_cleanup_free_ char *file = path_join("/etc/runlevels/default", links[k]);

			r = file ? push_service(x, links[k], file, "runlevel default") : -ENOMEM;
		}
	}
	return r;
}

static int add_note(struct nc_xen_facts *x, const char *path, const char *msg)
{
	return strv_push(&x->notes, strdup_printf("%s: %s", path, msg));
}

/* Files of dirs by base name, earlier directories overriding later ones. */
static int effective_files(int rootfd, const char *const *dirs, const char *pattern,
			   char ***ret_paths)
{
	_cleanup_strv_free_ char **seen = NULL;
	char **paths = NULL;
	int r = 0;

	for (size_t d = 0; dirs[d] && r >= 0; d++) {
		_cleanup_strv_free_ char **names = NULL;

		r = list_dir(rootfd, dirs[d], &names);
		for (size_t i = 0; r >= 0 && names && names[i]; i++) {
			if (fnmatch(pattern, names[i], 0) != 0 || strv_contains(seen, names[i]))
				continue;
			r = strv_extend(&seen, names[i]);
			if (r >= 0)
				r = strv_push(&paths, path_join(dirs[d], names[i]));
		}
	}
	if (r < 0) {
		strv_free(paths);
		return r;
	}
	/* Apply in base-name order, as kmod and udev do. */
	for (size_t i = 0; paths && paths[i]; i++)
		for (size_t k = i + 1; paths[k]; k++) {
			const char *a = strrchr(paths[i], '/') + 1, *b = strrchr(paths[k], '/') + 1;

			if (strcmp(a, b) > 0) {
				char *t = paths[i];

				paths[i] = paths[k];
				paths[k] = t;
			}
		}
	*ret_paths = paths;
	return 0;
}

static int collect_modprobe(int rootfd, struct nc_xen_facts *x)
{
	static const char *const dirs[] = { "/etc/modprobe.d", "/run/modprobe.d",
					    "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
					    "/lib/modprobe.d", NULL };
	_cleanup_strv_free_ char **paths = NULL;
	int r = effective_files(rootfd, dirs, "*.conf", &paths);

	if (r >= 0 && snapfs_exists(rootfd, "/etc/modprobe.conf"))
		r = strv_extend(&paths, "/etc/modprobe.conf");
	for (size_t i = 0; r >= 0 && paths && paths[i]; i++) {
		_cleanup_free_ char *text = NULL;
		struct nc_err e = { 0 };

		r = snapfs_read_file(rootfd, paths[i], XEN_FILE_MAX, &text, NULL);
		if (r < 0) {
			/* A /dev/null mask or a dangling link: nothing to apply. */
			r = r == -ENOMEM ? r : 0;
			continue;
		}
		r = modprobe_parse(text, paths[i], &x->blocks, &x->n_blocks, &e);
		if (r < 0 && r != -ENOMEM)
			r = add_note(x, paths[i], e.msg);
	}
	return r;
}

static bool program_is_ec2_utils(const char *program)
{
	return program && (strstr(program, "ebsnvme-id") || strstr(program, "ec2nvme-nsid"));
}

static bool makes_xvd(const struct nc_udev_rule *u)
{
	if (u->name && strstr(u->name, "xvd"))
		return true;
	for (size_t i = 0; u->symlinks && u->symlinks[i]; i++)
		if (strstr(u->symlinks[i], "xvd"))
			return true;
	/* ebsnvme-id prints the xvd/sd name the EBS volume was attached as. */
	return program_is_ec2_utils(u->program) && (u->symlinks || u->name);
}

/* Does the program a rule runs exist? Relative names are in /lib/udev. */
static bool program_present(int rootfd, const char *program)
{
	char first[PATH_MAX];
	size_t len = strcspn(program, " \t");
	static const char *const udevdirs[] = { "/usr/lib/udev/", "/lib/udev/", NULL };

	if (len == 0 || len >= sizeof(first) - 16)
		return true;
	memcpy(first, program, len);
	first[len] = '\0';
	if (first[0] == '/')
		return snapfs_exists(rootfd, first);
	for (size_t i = 0; udevdirs[i]; i++) {
		_cleanup_free_ char *p = path_join(udevdirs[i], first);

		if (p && snapfs_exists(rootfd, p))
			return true;
	}
	return false;
}

static int collect_xvd_rules(int rootfd, struct nc_xen_facts *x)
{
	static const char *const dirs[] = { "/etc/udev/rules.d", "/run/udev/rules.d",
					    "/usr/lib/udev/rules.d", "/lib/udev/rules.d", NULL };
	_cleanup_strv_free_ char **paths = NULL;
	int r = effective_files(rootfd, dirs, "*.rules", &paths);

	for (size_t i = 0; r >= 0 && paths && paths[i]; i++) {
		_cleanup_free_ char *text = NULL;
		struct nc_udev_rule *rules = NULL;
		size_t n = 0;
		struct nc_err e = { 0 };
		bool ec2_file = endswith(paths[i], "/70-ec2-nvme-devices.rules");

		r = snapfs_read_file(rootfd, paths[i], XEN_FILE_MAX, &text, NULL);
		if (r < 0) {
			r = r == -ENOMEM ? r : 0;
			continue;
		}
		r = udev_rules_parse(text, &rules, &n, &e);
		if (r > 0)
			r = 0;  /* udev skips malformed rules; so do we */
		for (size_t k = 0; k < n; k++) {
			struct nc_udev_rule *u = &rules[k];

			if (r >= 0 && makes_xvd(u)) {
				struct nc_xvd_rule *nv =
					realloc(x->xvd_rules, (x->n_xvd_rules + 1) * sizeof(*nv));

				if (!nv) {
					r = -ENOMEM;
				} else {
					struct nc_xvd_rule *xr = &nv[x->n_xvd_rules++];

					x->xvd_rules = nv;
					xr->file = strdup(paths[i]);
					xr->line = u->line;
					xr->text = strdup(u->text);
					xr->from_ec2_utils = ec2_file ||
							     program_is_ec2_utils(u->program);
					xr->helper_missing = u->program &&
							     !program_present(rootfd, u->program);
					if (!xr->file || !xr->text)
						r = -ENOMEM;
				}
			}
			nc_udev_rule_clear(u);
		}
		free(rules);
	}
	return r;
}

int xen_collect(const struct nc_snapshot *snap, struct nc_xen_facts *out,
		struct nc_err *err)
{
	static const char *const ec2_utils[] = {
		"/usr/sbin/ebsnvme-id", "/sbin/ebsnvme-id", "/usr/bin/ebsnvme-id",
		"/usr/lib/udev/rules.d/70-ec2-nvme-devices.rules",
		"/lib/udev/rules.d/70-ec2-nvme-devices.rules",
		"/etc/udev/rules.d/70-ec2-nvme-devices.rules", NULL,
	};
	int r;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; ec2_utils[i] && !out->have_ec2_utils; i++)
		out->have_ec2_utils = snapfs_exists(snap->rootfd, ec2_utils[i]);
	if ((r = collect_systemd_services(snap->rootfd, out)) < 0 ||
	    (r = collect_sysv_services(snap->rootfd, out)) < 0 ||
	    (r = collect_modprobe(snap->rootfd, out)) < 0 ||
	    (r = collect_xvd_rules(snap->rootfd, out)) < 0) {
		xen_facts_free(out);
		return nc_err_set(err, r, "%s: collecting Xen facts: %s", snap->root,
				  strerror(-r));
	}
	return 0;
}

void xen_facts_free(struct nc_xen_facts *x)
{
	for (size_t i = 0; i < x->n_services; i++) {
		free(x->services[i].name);
		free(x->services[i].file);
		free(x->services[i].how);
	}
	free(x->services);
	for (size_t i = 0; i < x->n_blocks; i++) {
		free(x->blocks[i].module);
		free(x->blocks[i].kind);
		free(x->blocks[i].file);
		free(x->blocks[i].text);
	}
	free(x->blocks);
	for (size_t i = 0; i < x->n_xvd_rules; i++) {
		free(x->xvd_rules[i].file);
		free(x->xvd_rules[i].text);
	}
	free(x->xvd_rules);
	for (size_t i = 0; i < x->n_probes; i++)
		nc_xen_probe_clear(&x->probes[i]);
	free(x->probes);
	strv_free(x->notes);
	memset(x, 0, sizeof(*x));
}
