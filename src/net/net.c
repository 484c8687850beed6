/* SPDX-License-Identifier: MIT */
/*
 * Network facts of a snapshot: every interface configuration the image
 * carries, the tools that rename NICs, and the name the ENA NIC will get.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "common/snapfs.h"
#include "common/util.h"
#include "facts/facts.h"
#include "net/net-internal.h"

#define NET_FILE_MAX (4u << 20)
#define IFUPDOWN_MAX_DEPTH 8

/* ---- small helpers shared by the parsers ---------------------------------- */

const char *nc_netcfg_kind_name(enum nc_netcfg_kind k)
{
	switch (k) {
	case NC_NETCFG_IFUPDOWN:
		return "ifupdown";
	case NC_NETCFG_IFCFG:
		return "ifcfg";
	case NC_NETCFG_NETPLAN:
		return "netplan";
	case NC_NETCFG_NETWORKD:
		return "systemd-networkd";
	case NC_NETCFG_NM:
		return "NetworkManager";
	}
	return "unknown";
}

void nc_net_config_clear(struct nc_net_config *c)
{
	free(c->file);
	free(c->text);
	free(c->id);
	free(c->match_name);
	free(c->match_mac);
	free(c->mac_text);
	free(c->set_mac);
	free(c->set_mac_text);
	free(c->set_name);
	free(c->static_text);
	memset(c, 0, sizeof(*c));
}

void nc_net_link_clear(struct nc_net_link *l)
{
	free(l->file);
	free(l->text);
	free(l->name_policy);
	free(l->name);
	free(l->match_mac);
	free(l->match_name);
	memset(l, 0, sizeof(*l));
}

int netcfg_push(struct nc_net_config **v, size_t *n, struct nc_net_config *c)
{
	struct nc_net_config *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv) {
		nc_net_config_clear(c);
		return -ENOMEM;
	}
	*v = nv;
	nv[(*n)++] = *c;
	memset(c, 0, sizeof(*c));
	return 0;
}

char *mac_normalize(const char *mac)
{
	char *s = strdup(mac);

	if (s) {
		for (char *p = s; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return s;
}

bool parse_boolean(const char *s, bool def)
{
	static const char *const yes[] = { "yes", "y", "true", "on", "1" };
	static const char *const no[] = { "no", "n", "false", "off", "0" };

	if (!s)
		return def;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(s, yes[i]) == 0)
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return false;
	return def;
}

char *unquote(char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0]) {
		s[len - 1] = '\0';
		return s + 1;
	}
	return s;
}

bool net_name_matches(const char *pattern_list, const char *name)
{
	_cleanup_free_ char *buf = NULL;
	char *save = NULL;
	bool invert = false, hit = false;
	const char *p;

	if (!pattern_list)
		return true;
	p = pattern_list;
	while (isspace((unsigned char)*p))
		p++;
	/* systemd: a leading '!' inverts the whole list. */
	if (*p == '!') {
		invert = true;
		p++;
	}
	buf = strdup(p);
	if (!buf)
		return false;
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		if (fnmatch(w, name, 0) == 0) {
			hit = true;
			break;
		}
	return invert ? !hit : hit;
}

/* The value of the last "key=value" (or bare "key") word of a command line. */
static bool cmdline_last(const char *cmdline, const char *key, char **ret_value)
{
	_cleanup_free_ char *buf = cmdline ? strdup(cmdline) : NULL;
	size_t klen = strlen(key);
	char *save = NULL;
	bool found = false;

	*ret_value = NULL;
	if (!buf)
		return false;
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(w, key, klen) != 0 || (w[klen] != '=' && w[klen] != '\0'))
			continue;
		free(*ret_value);
		*ret_value = strdup(w[klen] == '=' ? w + klen + 1 : "");
		found = true;
	}
	return found;
}

bool net_cmdline_has(const char *cmdline, const char *key, const char *value)
{
	_cleanup_free_ char *v = NULL;

	if (!cmdline_last(cmdline, key, &v))
		return false;
	return !value || (v && streq(v, value));
}

bool net_config_applies(const struct nc_net_config *c, const char *name)
{
	/* The ENA's MAC is new on every instance: a MAC match never hits. */
	if (c->match_mac || c->match_other)
		return false;
	if (!c->match_name)
		return true;
	return net_name_matches(c->match_name, name);
}

/* ---- snapshot access -------------------------------------------------------- */

/* Is dir/name in the snapshot a symlink to /dev/null (systemd's mask)? */
static bool is_masked(int dirfd, const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

	if (n < 0)
		return false;
	target[n] = '\0';
	return streq(target, "/dev/null");
}

struct found_file {
	char *path;      /* guest path */
	char *base;
	bool masked;
};

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const struct found_file *)a)->base, ((const struct found_file *)b)->base);
}

static void found_free(struct found_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].base);
	}
	free(v);
}

static bool is_backup_name(const char *n)
{
	return n[0] == '.' || endswith(n, "~") || endswith(n, ".bak") || endswith(n, ".orig") ||
	       endswith(n, ".rpmnew") || endswith(n, ".rpmsave") || endswith(n, ".dpkg-old") ||
	       endswith(n, ".dpkg-dist") || endswith(n, ".dpkg-new") || endswith(n, ".swp");
}

/*
 * Files of the first directories that have them, one per base name (an
 * earlier directory overrides a later one, as systemd and udev do),
 * sorted by base name. fnmatch pattern on the base name.
 */
static int list_effective(int rootfd, const char *const *dirs, const char *pattern,
			  struct found_file **ret, size_t *ret_n)
{
	struct found_file *v = NULL;
	size_t n = 0;

	for (size_t d = 0; dirs[d]; d++) {
		int fd = snapfs_open(rootfd, dirs[d], O_RDONLY | O_DIRECTORY);
		DIR *dir;
		struct dirent *de;

		if (fd < 0)
			continue;
		dir = fdopendir(fd);
		if (!dir) {
			close(fd);
			continue;
		}
		while ((de = readdir(dir))) {
			struct found_file *nv;
			bool dup = false;

			if (is_backup_name(de->d_name) || fnmatch(pattern, de->d_name, 0) != 0)
				continue;
			if (de->d_type == DT_DIR)
				continue;
			for (size_t i = 0; i < n && !dup; i++)
				dup = streq(v[i].base, de->d_name);
			if (dup)
				continue;
			nv = realloc(v, (n + 1) * sizeof(*nv));
			if (!nv)
				goto oom;
			v = nv;
			v[n].base = strdup(de->d_name);
			v[n].path = path_join(dirs[d], de->d_name);
			v[n].masked = is_masked(dirfd(dir), de->d_name);
			n++;
			if (!v[n - 1].base || !v[n - 1].path)
				goto oom;
			continue;
oom:
			closedir(dir);
			found_free(v, n);
			return -ENOMEM;
		}
		closedir(dir);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_found);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int add_note(struct nc_net_facts *out, const char *fmt, ...) NC_PRINTF(2, 3);
static int add_note(struct nc_net_facts *out, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return strv_push(&out->notes, s);
}

/* A parse error is a note, not a failure: the rest of the image still counts. */
static int note_parse(struct nc_net_facts *out, const char *path, int r,
		      const struct nc_err *e)
{
	if (r == -ENOMEM)
		return r;
	return add_note(out, "%s: %s", path, e->msg[0] ? e->msg : strerror(-r));
}

/* ---- ifupdown with its source directives ------------------------------------ */

static bool run_parts_name(const char *n)
{
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '_' && *n != '-')
			return false;
	return true;
}

static int ifupdown_load(int rootfd, const char *path, struct nc_ifupdown *ifu,
			 struct nc_net_facts *out, int depth);

static int ifupdown_source(int rootfd, const char *pattern, bool directory,
			   struct nc_ifupdown *ifu, struct nc_net_facts *out, int depth)
{
	_cleanup_free_ char *abs = NULL, *dir = NULL;
	const char *const dirs[2] = { NULL, NULL };
	const char *base;
	struct found_file *files = NULL;
	size_t n = 0;
	int r;

	/* Relative sources are relative to /etc/network. */
	abs = pattern[0] == '/' ? strdup(pattern) : path_join("/etc/network", pattern);
	if (!abs)
		return -ENOMEM;
	if (directory) {
		dir = strdup(abs);
		base = "*";
	} else {
		char *slash = strrchr(abs, '/');

		dir = strndup(abs, (size_t)(slash - abs));
		base = slash + 1;
		if (dir && !*dir) {
			free(dir);
			dir = strdup("/");
		}
	}
	if (!dir)
		return -ENOMEM;
	((const char **)dirs)[0] = dir;
	r = list_effective(rootfd, dirs, base, &files, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && r >= 0; i++)
		if (!directory || run_parts_name(files[i].base))
			r = ifupdown_load(rootfd, files[i].path, ifu, out, depth + 1);
	found_free(files, n);
	return r;
}

static int ifupdown_load(int rootfd, const char *path, struct nc_ifupdown *ifu,
			 struct nc_net_facts *out, int depth)
{
	_cleanup_free_ char *text = NULL;
	struct nc_err e = { 0 };
	size_t first_source = ifu->n_sources, end;
	int r;

	if (depth > IFUPDOWN_MAX_DEPTH)
		return add_note(out, "%s: source nesting deeper than %d", path,
				IFUPDOWN_MAX_DEPTH);
	r = snapfs_read_file(rootfd, path, NET_FILE_MAX, &text, NULL);
	if (r == -ENOENT || r == -EISDIR)
		return 0;
	if (r < 0)
		return note_parse(out, path, r, &e);
	r = ifupdown_parse(text, path, ifu, &e);
	if (r < 0)
		return note_parse(out, path, r, &e);
	if (e.msg[0] && (r = add_note(out, "%s", e.msg)) < 0)
		return r;
	end = ifu->n_sources;
	for (size_t i = first_source; i < end; i++) {
		/* ifu->sources may move while we recurse: copy what we need. */
		_cleanup_free_ char *pat = strdup(ifu->sources[i].pattern);
		bool dir = ifu->sources[i].directory;

		if (!pat)
			return -ENOMEM;
		r = ifupdown_source(rootfd, pat, dir, ifu, out, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- per-system collectors ---------------------------------------------------- */

typedef int (*text_parser)(const char *text, size_t len, const char *file,
			   struct nc_net_config **cfgs, size_t *n, struct nc_err *err);

static int parse_ifcfg(const char *t, size_t len, const char *f, struct nc_net_config **c,
		       size_t *n, struct nc_err *e)
{
	return ifcfg_parse(t, f, c, n, e);
}

static int parse_networkd(const char *t, size_t len, const char *f, struct nc_net_config **c,
			  size_t *n, struct nc_err *e)
{
	return networkd_parse(t, f, c, n, e);
}

static int parse_nm(const char *t, size_t len, const char *f, struct nc_net_config **c,
		    size_t *n, struct nc_err *e)
{
	return nmkeyfile_parse(t, f, c, n, e);
}

static int collect_files(int rootfd, const char *const *dirs, const char *pattern,
			 text_parser parse, struct nc_net_facts *out)
{
	struct found_file *files = NULL;
	size_t n = 0;
	int r = list_effective(rootfd, dirs, pattern, &files, &n);

	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *text = NULL;
		struct nc_err e = { 0 };
		size_t len;

		if (files[i].masked)
			continue;
		r = snapfs_read_file(rootfd, files[i].path, NET_FILE_MAX, &text, &len);
		if (r == -ENOENT || r == -EISDIR) {
			r = 0;
			continue;
		}
		if (r >= 0)
			r = parse(text, len, files[i].path, &out->configs, &out->n_configs, &e);
		if (r < 0)
			r = note_parse(out, files[i].path, r, &e);
	}
	found_free(files, n);
	return r;
}

static int collect_ifupdown(int rootfd, struct nc_net_facts *out)
{
	struct nc_ifupdown ifu = { 0 };
	int r = ifupdown_load(rootfd, "/etc/network/interfaces", &ifu, out, 0);

	if (r >= 0)
		r = ifupdown_to_configs(&ifu, &out->configs, &out->n_configs);
	ifupdown_free(&ifu);
	return r;
}

/* Rules that give a NIC a fixed name: 70-persistent-net.rules and friends. */
static int collect_name_rules(int rootfd, struct nc_net_facts *out)
{
	static const char *const dirs[] = { "/etc/udev/rules.d", "/run/udev/rules.d",
					    "/usr/lib/udev/rules.d", "/lib/udev/rules.d", NULL };
	struct found_file *files = NULL;
	size_t n = 0;
	int r = list_effective(rootfd, dirs, "*.rules", &files, &n);

	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *text = NULL;
		struct nc_udev_rule *rules = NULL;
		size_t nr = 0;
		struct nc_err e = { 0 };

		if (files[i].masked)
			continue;
		r = snapfs_read_file(rootfd, files[i].path, NET_FILE_MAX, &text, NULL);
		if (r < 0) {
			r = r == -ENOMEM ? r : 0;
			continue;
		}
		r = udev_rules_parse(text, &rules, &nr, &e);
		if (r > 0)
			r = add_note(out, "%s: %s", files[i].path, e.msg);
		for (size_t k = 0; k < nr; k++) {
			struct nc_udev_rule *u = &rules[k];
			bool net = (u->subsystem && streq(u->subsystem, "net")) || u->mac;
			bool literal = u->name && !strpbrk(u->name, "$%");
			struct nc_udev_rule *nv;

			if (r < 0 || !net || !literal) {
				nc_udev_rule_clear(u);
				continue;
			}
			nv = realloc(out->name_rules, (out->n_name_rules + 1) * sizeof(*nv));
			if (!nv) {
				nc_udev_rule_clear(u);
				r = -ENOMEM;
				continue;
			}
			out->name_rules = nv;
			r = strv_extend(&out->name_rule_files, files[i].path);
			if (r < 0) {
				nc_udev_rule_clear(u);
				continue;
			}
			nv[out->n_name_rules++] = *u;
		}
		free(rules);
	}
	found_free(files, n);
	return r;
}

static int collect_links(int rootfd, struct nc_net_facts *out)
{
	static const char *const dirs[] = { "/etc/systemd/network", "/run/systemd/network",
					    "/usr/lib/systemd/network", "/lib/systemd/network",
					    NULL };
	struct found_file *files = NULL;
	size_t n = 0;
	int r = list_effective(rootfd, dirs, "*.link", &files, &n);

	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *text = NULL;
		struct nc_net_link l = { 0 };
		struct nc_net_link *nv;
		struct nc_err e = { 0 };

		if (files[i].masked) {
			/* A masked 99-default.link leaves NICs with kernel names. */
			l.file = strdup(files[i].path);
			l.text = strdup("-> /dev/null");
			l.match_any = true;
			if (!l.file || !l.text) {
				nc_net_link_clear(&l);
				r = -ENOMEM;
				break;
			}
		} else {
			r = snapfs_read_file(rootfd, files[i].path, NET_FILE_MAX, &text, NULL);
			if (r < 0) {
				r = r == -ENOMEM ? r : 0;
				continue;
			}
			r = networkd_link_parse(text, files[i].path, &l, &e);
			if (r < 0) {
				r = note_parse(out, files[i].path, r, &e);
				continue;
			}
		}
		nv = realloc(out->links, (out->n_links + 1) * sizeof(*nv));
		if (!nv) {
			nc_net_link_clear(&l);
			r = -ENOMEM;
			break;
		}
		out->links = nv;
		nv[out->n_links++] = l;
	}
	found_free(files, n);
	return r;
}

/* Is the predictable-naming rule overridden by an empty or masked copy? */
static int collect_net_setup_link(int rootfd, struct nc_net_facts *out)
{
	static const char *const lib[] = {
		"/usr/lib/udev/rules.d/80-net-setup-link.rules",
		"/lib/udev/rules.d/80-net-setup-link.rules",
		"/usr/lib/udev/rules.d/80-net-name-slot.rules",  /* systemd 197-208 */
		"/lib/udev/rules.d/80-net-name-slot.rules",
		NULL,
	};
	static const char *const names[] = { "80-net-setup-link.rules",
					     "80-net-name-slot.rules", NULL };
	_cleanup_close_ int etc = -1;
	const char *p = snapfs_first_existing(rootfd, lib);

	out->have_net_setup_link = p != NULL;
	if (p && !(out->net_setup_link_path = strdup(p)))
		return -ENOMEM;
	etc = snapfs_open(rootfd, "/etc/udev/rules.d", O_RDONLY | O_DIRECTORY);
	if (etc < 0)
		return 0;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *text = NULL, *path = NULL;
		bool masked = is_masked(etc, names[i]);

		path = path_join("/etc/udev/rules.d", names[i]);
		if (!path)
			return -ENOMEM;
		if (!masked) {
			int r = snapfs_read_file(rootfd, path, NET_FILE_MAX, &text, NULL);

			if (r < 0)
				continue;
			/* An override that names nothing disables the naming. */
			masked = !strstr(text, "NAME");
		}
		if (masked) {
			out->net_setup_link_masked = true;
			out->mask_file = TAKE_PTR(path);
			return 0;
		}
	}
	return 0;
}

static bool unit_enabled(int rootfd, const char *unit)
{
	static const char *const wants[] = {
		"/etc/systemd/system/multi-user.target.wants",
		"/etc/systemd/system/network-online.target.wants",
		"/etc/systemd/system/sockets.target.wants",
		"/etc/systemd/system/sysinit.target.wants",
		"/etc/systemd/system/graphical.target.wants",
		NULL,
	};

	for (size_t i = 0; wants[i]; i++) {
		_cleanup_close_ int fd = snapfs_open(rootfd, wants[i], O_RDONLY | O_DIRECTORY);
		struct stat st;

		if (fd >= 0 && fstatat(fd, unit, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return true;
	}
	return false;
}

static bool nm_conf_disables_auto_default(int rootfd)
{
	static const char *const dirs[] = { "/etc/NetworkManager/conf.d",
					    "/usr/lib/NetworkManager/conf.d", NULL };
	struct found_file *files = NULL;
	size_t n = 0;
	bool off = false;
	_cleanup_free_ char *main_conf = NULL;

	if (snapfs_read_file(rootfd, "/etc/NetworkManager/NetworkManager.conf", NET_FILE_MAX,
			     &main_conf, NULL) >= 0 && strstr(main_conf, "no-auto-default=*"))
		off = true;
	if (list_effective(rootfd, dirs, "*.conf", &files, &n) < 0)
		return off;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *t = NULL;

		if (!files[i].masked &&
		    snapfs_read_file(rootfd, files[i].path, NET_FILE_MAX, &t, NULL) >= 0 &&
		    strstr(t, "no-auto-default=*"))
			off = true;
	}
	found_free(files, n);
	return off;
}

static bool cloud_init_renders_network(int rootfd)
{
	static const char *const dirs[] = { "/etc/cloud/cloud.cfg.d", NULL };
	struct found_file *files = NULL;
	size_t n = 0;
	bool disabled = false;
	_cleanup_free_ char *main_cfg = NULL;

	/* "network: {config: disabled}" in cloud.cfg or cloud.cfg.d/ *.cfg */
	if (snapfs_read_file(rootfd, "/etc/cloud/cloud.cfg", NET_FILE_MAX, &main_cfg,
			     NULL) >= 0 && strstr(main_cfg, "config: disabled"))
		disabled = true;
	if (list_effective(rootfd, dirs, "*.cfg", &files, &n) < 0)
		return !disabled;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *t = NULL;

		if (snapfs_read_file(rootfd, files[i].path, NET_FILE_MAX, &t, NULL) >= 0 &&
		    strstr(t, "config: disabled"))
			disabled = true;
	}
	found_free(files, n);
	return !disabled;
}

int net_collect(const struct nc_snapshot *snap, struct nc_net_facts *out,
		struct nc_err *err)
{
	static const char *const udevd[] = {
		"/usr/lib/systemd/systemd-udevd", "/lib/systemd/systemd-udevd",
		"/sbin/udevd", "/usr/sbin/udevd", "/sbin/udevadm", "/usr/bin/udevadm",
		"/bin/udevadm", NULL,
	};
	static const char *const biosdevname[] = { "/sbin/biosdevname",
						   "/usr/sbin/biosdevname", NULL };
	static const char *const nm[] = { "/usr/sbin/NetworkManager", "/usr/bin/NetworkManager",
					  NULL };
	static const char *const networkd[] = { "/usr/lib/systemd/systemd-networkd",
						"/lib/systemd/systemd-networkd", NULL };
	static const char *const netplan[] = { "/usr/sbin/netplan", "/usr/libexec/netplan/generate",
					       "/lib/netplan/generate", NULL };
	static const char *const ifup[] = { "/sbin/ifup", "/usr/sbin/ifup", NULL };
	static const char *const cloudinit[] = { "/usr/bin/cloud-init", "/bin/cloud-init", NULL };
	static const char *const ifcfg_dirs[] = { "/etc/sysconfig/network-scripts",
						  "/etc/sysconfig/network", NULL };
	static const char *const netplan_dirs[] = { "/etc/netplan", "/run/netplan",
						    "/lib/netplan", "/usr/lib/netplan", NULL };
	static const char *const networkd_etc[] = { "/etc/systemd/network", NULL };
	static const char *const networkd_all[] = { "/etc/systemd/network",
						    "/usr/lib/systemd/network",
						    "/lib/systemd/network", NULL };
	static const char *const nm_dirs[] = { "/etc/NetworkManager/system-connections", NULL };
	int rootfd = snap->rootfd;
	const char *p;
	int r;

	memset(out, 0, sizeof(*out));
	p = snapfs_first_existing(rootfd, udevd);
	out->have_udev = p != NULL;
	if (p && !(out->udev_path = strdup(p)))
		goto oom;
	out->have_biosdevname = snapfs_first_existing(rootfd, biosdevname) != NULL;
	out->have_nm = snapfs_first_existing(rootfd, nm) != NULL;
	out->nm_enabled = out->have_nm && unit_enabled(rootfd, "NetworkManager.service");
	out->nm_auto_default = out->have_nm && !nm_conf_disables_auto_default(rootfd);
	out->have_networkd = snapfs_first_existing(rootfd, networkd) != NULL;
	out->networkd_enabled = out->have_networkd &&
				(unit_enabled(rootfd, "systemd-networkd.service") ||
				 unit_enabled(rootfd, "systemd-networkd.socket"));
	out->have_netplan = snapfs_first_existing(rootfd, netplan) != NULL;
	out->have_ifupdown = snapfs_first_existing(rootfd, ifup) != NULL;
	out->have_cloud_init = snapfs_first_existing(rootfd, cloudinit) != NULL;
	out->cloud_init_network = out->have_cloud_init && cloud_init_renders_network(rootfd);

	if ((r = collect_net_setup_link(rootfd, out)) < 0 ||
	    (r = collect_links(rootfd, out)) < 0 ||
	    (r = collect_name_rules(rootfd, out)) < 0 ||
	    (r = collect_ifupdown(rootfd, out)) < 0 ||
	    (r = collect_files(rootfd, ifcfg_dirs, "ifcfg-*", parse_ifcfg, out)) < 0 ||
	    (r = collect_files(rootfd, netplan_dirs, "*.yaml", netplan_parse, out)) < 0 ||
	    /* Shipped .network files only act when networkd runs (or netplan drives it). */
	    (r = collect_files(rootfd, out->networkd_enabled ? networkd_all : networkd_etc,
			       "*.network", parse_networkd, out)) < 0 ||
	    (r = collect_files(rootfd, nm_dirs, "*", parse_nm, out)) < 0)
		goto fail;
	return 0;
oom:
	r = -ENOMEM;
fail:
	net_facts_free(out);
	return nc_err_set(err, r, "%s: collecting network configuration: %s", snap->root,
			  strerror(-r));
}

void net_facts_free(struct nc_net_facts *n)
{
	for (size_t i = 0; i < n->n_configs; i++)
		nc_net_config_clear(&n->configs[i]);
	free(n->configs);
	for (size_t i = 0; i < n->n_name_rules; i++)
		nc_udev_rule_clear(&n->name_rules[i]);
	free(n->name_rules);
	strv_free(n->name_rule_files);
	for (size_t i = 0; i < n->n_links; i++)
		nc_net_link_clear(&n->links[i]);
	free(n->links);
	free(n->udev_path);
	free(n->net_setup_link_path);
	free(n->mask_file);
	strv_free(n->notes);
	memset(n, 0, sizeof(*n));
}

/* ---- the name ENA gets ------------------------------------------------------- */

/* The kernel calls the first NIC eth0; ENA at 00:05.0 with _SUN=5. */
#define KERNEL_NAME "eth0"
#define DEFAULT_POLICY "kernel database onboard slot path"

static const struct nc_net_link *applicable_link(const struct nc_net_facts *n)
{
	for (size_t i = 0; i < n->n_links; i++) {
		const struct nc_net_link *l = &n->links[i];

		if (l->match_mac)
			continue;
		if (l->match_any || (l->match_name && net_name_matches(l->match_name, KERNEL_NAME)))
			return l;
	}
	return NULL;
}

static int predict(char **ret_name, char **ret_why, const char *name, char *why)
{
	char *nm = strdup(name);

	if (!nm || !why) {
		free(nm);
		free(why);
		return -ENOMEM;
	}
	*ret_name = nm;
	*ret_why = why;
	return 0;
}

int net_predict_primary_name(const struct nc_net_facts *n, const char *default_cmdline,
			     char **ret_name, char **ret_why)
{
	const struct nc_net_link *link;
	const char *policy, *src;
	_cleanup_free_ char *words = NULL;
	char *save = NULL;

	if (net_cmdline_has(default_cmdline, "net.ifnames", "0"))
		return predict(ret_name, ret_why, KERNEL_NAME,
			       strdup("net.ifnames=0 on the kernel command line keeps the "
				      "kernel's name"));
	/* A literal NAME= without a MAC match renames any matching NIC. */
	for (size_t i = 0; i < n->n_name_rules; i++) {
		const struct nc_udev_rule *u = &n->name_rules[i];

		if (u->mac || u->match_other ||
		    (u->kernel && fnmatch(u->kernel, KERNEL_NAME, 0) != 0) ||
		    (u->driver && fnmatch(u->driver, "ena", 0) != 0))
			continue;
		return predict(ret_name, ret_why, u->name,
			       strdup_printf("%s:%u names every matching NIC \"%s\"",
					     n->name_rule_files[i], u->line, u->name));
	}
	if (!n->have_udev)
		return predict(ret_name, ret_why, KERNEL_NAME,
			       strdup("no udev in the image: the kernel's name stays"));
	if (!n->have_net_setup_link)
		return predict(ret_name, ret_why, KERNEL_NAME,
			       strdup("udev without the predictable naming rule "
				      "(80-net-setup-link.rules): the kernel's name stays"));
	if (n->net_setup_link_masked)
		return predict(ret_name, ret_why, KERNEL_NAME,
			       strdup_printf("%s disables predictable interface names",
					     n->mask_file));
	link = applicable_link(n);
	if (link && !link->name_policy) {
		if (link->name)
			return predict(ret_name, ret_why, link->name,
				       strdup_printf("%s sets Name=%s", link->file, link->name));
		return predict(ret_name, ret_why, KERNEL_NAME,
			       strdup_printf("%s (%s) sets no NamePolicy=: the kernel's "
					     "name stays", link->file,
					     link->text ? link->text : "no [Link] policy"));
	}
	policy = link ? link->name_policy : DEFAULT_POLICY;
	src = link ? link->file : "systemd's default NamePolicy";
	words = strdup(policy);
	if (!words)
		return -ENOMEM;
	for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		/* kernel, database, onboard: Nitro gives no index or firmware name. */
		if (streq(w, "slot"))
			return predict(ret_name, ret_why, "ens5",
				       strdup_printf("%s \"%s\": ENA in PCI slot 5 (ACPI _SUN=5) "
						     "is named by slot%s", src, policy,
						     net_cmdline_has(default_cmdline, "biosdevname",
								     "1") && n->have_biosdevname
							     ? " (biosdevname declines in VMs)"
							     : ""));
		if (streq(w, "path"))
			return predict(ret_name, ret_why, "enp0s5",
				       strdup_printf("%s \"%s\": ENA at PCI 00:05.0 is named "
						     "by path", src, policy));
		if (streq(w, "mac"))
			return predict(ret_name, ret_why, "enx*",
				       strdup_printf("%s \"%s\": named after its MAC, new on "
						     "each instance", src, policy));
	}
	if (link && link->name)
		return predict(ret_name, ret_why, link->name,
			       strdup_printf("%s sets Name=%s", link->file, link->name));
	return predict(ret_name, ret_why, KERNEL_NAME,
		       strdup_printf("%s \"%s\" gives ENA no name: the kernel's name stays",
				     src, policy));
}
