/* SPDX-License-Identifier: MIT */
/*
 * Find the boot configurations of a snapshot, parse them, and resolve the
 * entry each boot loader starts by default, saying how (default_how). Also
 * reads fstab, crypttab, /etc/default/grub and nvme io_timeout settings.
 */
#include "boot/boot.h"
#include "boot/internal.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <strings.h>

#include "common/snapfs.h"
#include "common/util.h"
#include "facts/facts.h"

#define CONFIG_MAX (4u << 20)

/* Sorted names in a guest directory matching a glob; empty when absent. */
static int list_dir(const struct nc_snapshot *snap, const char *dir, const char *glob,
		    char ***ret)
{
	int r = snapfs_list_dir(snap->rootfd, dir, glob, ret);

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*ret = calloc(1, sizeof(char *));
		if (!*ret)
			return -ENOMEM;
	}
	return 0;
}

struct collector {
	const struct nc_snapshot *snap;
	struct nc_boot_facts *out;
	bool bls_used;               /* a grub.cfg ran blscfg */
	char **seen;                 /* config texts already parsed (symlinks, copies) */
};

/* True when text was seen before; remembers it otherwise. */
static int seen_before(struct collector *c, const char *text)
{
	int r;

	if (strv_contains(c->seen, text))
		return 1;
	r = strv_extend(&c->seen, text);
	return r < 0 ? r : 0;
}

/* Read an optional file: 0 and *ret NULL when absent or unreadable. */
static int read_opt(struct collector *c, const char *path, char **ret, size_t *ret_size)
{
	int r = snapfs_read_file(c->snap->rootfd, path, CONFIG_MAX, ret, ret_size);

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*ret = NULL;
		if (r != -ENOENT && r != -ENOTDIR)
			return strv_push(&c->out->notes,
					 strdup_printf("%s: cannot read: %s", path, strerror(-r)));
	}
	return 0;
}

/* A boot loader's config, unless absent or parsed already (the same file
 * reached through a symlink or copied for EFI): 1 with *ret set, else 0. */
static int read_config_once(struct collector *c, const char *path, char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r = read_opt(c, path, &text, NULL);

	if (r < 0 || !text)
		return r;
	r = seen_before(c, text);
	if (r != 0)
		return r < 0 ? r : 0;
	*ret = TAKE_PTR(text);
	return 1;
}

/* Takes entries and how, even on failure. fallback: def is a stand-in, the
 * configured default named no entry. */
static int add_loader(struct collector *c, const char *kind, const char *config,
		      struct nc_boot_entry *entries, size_t n, int def, char *how,
		      bool fallback)
{
	struct nc_bootloader *nv, *l;

	nv = realloc(c->out->loaders, (c->out->n_loaders + 1) * sizeof(*nv));
	if (!nv) {
		boot_entries_free(entries, n);
		free(how);
		return -ENOMEM;
	}
	c->out->loaders = nv;
	l = &nv[c->out->n_loaders++];
	memset(l, 0, sizeof(*l));
	l->kind = strdup(kind);
	l->config = strdup(config);
	l->entries = entries;
	l->n_entries = n;
	l->default_entry = def;
	l->default_how = how;
	l->default_fallback = fallback;
	if (!l->kind || !l->config || !how)
		return -ENOMEM;
	return 0;
}

/* ---- BLS ------------------------------------------------------------------ */

static int read_bls(struct collector *c, const char *dir, char *const *env,
		    struct nc_boot_entry **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **names = NULL;
	struct nc_boot_entry *v = NULL;
	size_t n = 0;
	int r;

	r = list_dir(c->snap, dir, "*.conf", &names);
	if (r < 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path = strdup_printf("%s/%s", dir, names[i]);
		_cleanup_free_ char *stem = strndup(names[i], strlen(names[i]) - 5);
		_cleanup_free_ char *text = NULL;
		struct nc_boot_entry e;

		if (!path || !stem) {
			r = -ENOMEM;
			goto fail;
		}
		r = read_opt(c, path, &text, NULL);
		if (r < 0)
			goto fail;
		if (!text)
			continue;
		r = bls_entry_parse(text, path, stem, &e);
		if (r < 0)
			goto fail;
		r = bls_entry_expand(&e, env);
		if (r < 0 || (r = boot_entries_append(&v, &n, &e)) < 0) {
			boot_entry_free(&e);
			goto fail;
		}
	}
	bls_entries_sort(v, n);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	boot_entries_free(v, n);
	return r;
}

/* ---- GRUB 2 ----------------------------------------------------------------- */

/* Move the first index of a GRUB entry's path by delta (BLS entries inserted). */
static int shift_index(struct nc_boot_entry *e, size_t delta)
{
	char *end, *s;
	unsigned long first;

	if (!e->index_path)
		return 0;
	first = strtoul(e->index_path, &end, 10);
	s = strdup_printf("%lu%s", first + delta, end);
	if (!s)
		return -ENOMEM;
	free(e->index_path);
	e->index_path = s;
	return 0;
}

/* Splice BLS entries into the menu where blscfg ran. */
static int splice_bls(struct nc_grub_cfg *g, struct nc_boot_entry *bls, size_t n_bls)
{
	struct nc_boot_entry *v;
	size_t at = g->blscfg_entry, total = g->n_entries + n_bls;
	int r;

	if (n_bls == 0)
		return 0;
	for (size_t i = 0; i < n_bls; i++) {
		bls[i].index_path = strdup_printf("%zu", g->blscfg_pos + i);
		if (!bls[i].index_path ||
		    strv_extend(&bls[i].title_path, bls[i].title) < 0 ||
		    strv_extend(&bls[i].id_path, bls[i].id ? bls[i].id : "") < 0)
			return -ENOMEM;
	}
	for (size_t i = at; i < g->n_entries; i++) {
		r = shift_index(&g->entries[i], n_bls);
		if (r < 0)
			return r;
	}
	v = realloc(g->entries, total * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memmove(&v[at + n_bls], &v[at], (g->n_entries - at) * sizeof(*v));
	memcpy(&v[at], bls, n_bls * sizeof(*v));
	g->entries = v;
	g->n_entries = total;
	return 0;
}

static char *grub_how(const struct nc_grub_cfg *g, const char *cfg_path, int idx,
		      const char *grubenv_path)
{
	const char *raw = g->default_raw, *val = g->default_value;
	_cleanup_free_ char *what = NULL;

	if (!raw)
		what = strdup("no `set default` in the config");
	else if (strstr(raw, "next_entry"))
		what = strdup_printf("%s next_entry='%s' (one-time boot)",
				     grubenv_path ? grubenv_path : "grubenv", val);
	else if (strstr(raw, "saved_entry"))
		what = strdup_printf("%s saved_entry='%s'", grubenv_path ? grubenv_path : "grubenv",
				     val);
	else
		what = strdup_printf("%s:%u set default=\"%s\"", cfg_path, g->default_line, raw);
	if (!what)
		return NULL;
	if (idx >= 0)
		return TAKE_PTR(what);
	if (!val || !*val)
		return strdup_printf("%s, empty: GRUB boots the first entry", what);
	return strdup_printf("%s matches no menu entry: GRUB boots the first entry", what);
}

static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s != path ? strndup(path, (size_t)(s - path)) : strdup("/");
}

static int collect_grub_cfg(struct collector *c, const char *path)
{
	_cleanup_free_ char *text = NULL, *envtext = NULL, *dir = NULL, *envpath = NULL;
	_cleanup_strv_free_ char **env = NULL;
	struct nc_boot_entry *bls = NULL;
	struct nc_grub_cfg g;
	size_t envsize = 0, n_bls = 0;
	bool fallback;
	int r, idx;
	char *how;

	r = read_config_once(c, path, &text);
	if (r <= 0)
		return r;
	dir = dir_of(path);
	envpath = dir ? strdup_printf("%s/grubenv", dir) : NULL;
	if (!envpath)
		return -ENOMEM;
	r = read_opt(c, envpath, &envtext, &envsize);
	if (r < 0)
		return r;
	if (envtext) {
		r = grubenv_parse(envtext, envsize, &env);
		if (r < 0)
			return r;
		if (!c->out->grubenv) {
			c->out->grubenv = strv_copy(env);
			c->out->grubenv_path = strdup(envpath);
			if (!c->out->grubenv || !c->out->grubenv_path)
				return -ENOMEM;
		}
	}
	r = grub_cfg_parse(text, path, env, &g);
	if (r < 0)
		return r;
	if (g.n_entries == 0 && !g.blscfg) {
		/* An EFI stub that chains to /boot/grub/grub.cfg, or empty. */
		grub_cfg_free(&g);
		return 0;
	}
	if (g.blscfg) {
		c->bls_used = true;
		r = read_bls(c, "/boot/loader/entries", g.vars, &bls, &n_bls);
		if (r >= 0)
			r = splice_bls(&g, bls, n_bls);
		if (r < 0) {
			boot_entries_free(bls, n_bls);
			grub_cfg_free(&g);
			return r;
		}
		free(bls);  /* the entries moved into g */
	}
	idx = grub_default_resolve(g.entries, g.n_entries,
				   g.default_value ? g.default_value : "0");
	how = grub_how(&g, path, idx, envtext ? envpath : NULL);
	fallback = idx < 0 && g.n_entries > 0;
	if (fallback)
		idx = 0;
	r = add_loader(c, "grub2", path, TAKE_PTR(g.entries), g.n_entries, idx, how,
		       fallback);
	g.n_entries = 0;
	grub_cfg_free(&g);
	return r;
}

static int collect_grub2(struct collector *c)
{
	static const char *const fixed[] = { "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg" };
	_cleanup_strv_free_ char **efi = NULL;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		r = collect_grub_cfg(c, fixed[i]);
		if (r < 0)
			return r;
	}
	r = list_dir(c->snap, "/boot/efi/EFI", "*", &efi);
	if (r < 0)
		return r;
	for (size_t i = 0; efi[i]; i++) {
		_cleanup_free_ char *p = strdup_printf("/boot/efi/EFI/%s/grub.cfg", efi[i]);

		if (!p)
			return -ENOMEM;
		r = collect_grub_cfg(c, p);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- systemd-boot (BLS without GRUB) -------------------------------------- */

static int collect_sdboot(struct collector *c, const char *root)
{
	_cleanup_free_ char *dir = strdup_printf("%s/loader/entries", root);
	_cleanup_free_ char *conf = strdup_printf("%s/loader/loader.conf", root);
	_cleanup_free_ char *text = NULL;
	struct nc_boot_entry *v = NULL;
	const char *pattern = NULL;
	bool fallback;
	size_t n = 0;
	int r, idx = -1;
	char *how, *save = NULL;

	if (!dir || !conf)
		return -ENOMEM;
	r = read_bls(c, dir, c->out->grubenv, &v, &n);
	if (r < 0 || n == 0)
		return r;
	r = read_opt(c, conf, &text, NULL);
	if (r < 0) {
		boot_entries_free(v, n);
		return r;
	}
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		l = strstrip(l);
		if (startswith(l, "default") && isspace((unsigned char)l[7]))
			pattern = strstrip(l + 7);
	}
	for (size_t i = 0; pattern && i < n && idx < 0; i++) {
		_cleanup_free_ char *file = strdup_printf("%s.conf", v[i].id ? v[i].id : "");

		if (file && (fnmatch(pattern, file, 0) == 0 ||
			     (v[i].id && fnmatch(pattern, v[i].id, 0) == 0)))
			idx = (int)i;
	}
	if (idx >= 0)
		how = strdup_printf("%s default '%s'", conf, pattern);
	else if (pattern)
		how = strdup_printf("%s default '%s' matches no entry: the first entry in "
				    "version order", conf, pattern);
	else
		how = strdup("no default in loader.conf: the first entry in version order");
	fallback = idx < 0 && pattern;
	if (idx < 0)
		idx = 0;
	return add_loader(c, "bls", dir, v, n, idx, how, fallback);
}

/* ---- GRUB legacy ------------------------------------------------------------ */

static int collect_menulst(struct collector *c, const char *path)
{
	_cleanup_free_ char *text = NULL, *saved = NULL;
	struct nc_menulst m;
	const char *raw;
	char *how, *end;
	bool fallback = false;
	long idx = -1;
	int r;

	r = read_config_once(c, path, &text);
	if (r <= 0)
		return r;
	r = menulst_parse(text, path, &m);
	if (r < 0)
		return r;
	if (m.n_entries == 0) {
		menulst_free(&m);
		return 0;
	}
	raw = m.default_raw;
	if (raw && streq(raw, "saved")) {
		/* grub-set-default writes the entry number to /boot/grub/default. */
		r = read_opt(c, "/boot/grub/default", &saved, NULL);
		if (r < 0) {
			menulst_free(&m);
			return r;
		}
		idx = saved ? strtol(saved, &end, 10) : 0;
		if (saved && end == saved)
			idx = 0;
		how = saved ? strdup_printf("%s:%u default saved, /boot/grub/default says %ld",
					    path, m.default_line, idx)
			    : strdup_printf("%s:%u default saved, no /boot/grub/default: entry 0",
					    path, m.default_line);
	} else if (raw) {
		idx = strtol(raw, &end, 10);
		if (end == raw || idx < 0)
			idx = 0;
		how = strdup_printf("%s:%u default %s", path, m.default_line, raw);
	} else {
		idx = 0;
		how = strdup_printf("%s: no default line: entry 0", path);
	}
	if (how && (size_t)idx >= m.n_entries) {
		char *h2 = strdup_printf("%s, beyond the %zu entries: entry 0", how, m.n_entries);

		free(how);
		how = h2;
		idx = 0;
		fallback = true;
	}
	r = add_loader(c, "grub-legacy", path, TAKE_PTR(m.entries), m.n_entries, (int)idx, how,
		       fallback);
	m.n_entries = 0;
	menulst_free(&m);
	return r;
}

/* ---- extlinux ------------------------------------------------------------- */

static int collect_extlinux(struct collector *c, const char *path)
{
	_cleanup_free_ char *text = NULL;
	struct nc_extlinux x;
	bool fallback = false;
	int r, idx = -1;
	char *how;

	r = read_config_once(c, path, &text);
	if (r <= 0)
		return r;
	r = extlinux_parse(text, path, &x);
	if (r < 0)
		return r;
	if (x.n_entries == 0) {
		extlinux_free(&x);
		return 0;
	}
	if (x.menu_default >= 0 && (size_t)x.menu_default < x.n_entries) {
		idx = x.menu_default;
		how = strdup_printf("%s:%u MENU DEFAULT (label %s)", path, x.entries[idx].line,
				    x.entries[idx].id);
	} else {
		for (size_t i = 0; x.default_label && i < x.n_entries && idx < 0; i++)
			if (streq(x.entries[i].id, x.default_label))
				idx = (int)i;
		for (size_t i = 0; x.default_label && i < x.n_entries && idx < 0; i++)
			if (strcasecmp(x.entries[i].id, x.default_label) == 0)
				idx = (int)i;
		if (idx >= 0)
			how = strdup_printf("%s:%u DEFAULT %s", path, x.default_line, x.default_label);
		else if (x.default_label && (endswith(x.default_label, ".c32") ||
					     strchr(x.default_label, ' ')))
			/* A menu module (menu.c32) or a command line: the first entry. */
			how = strdup_printf("%s:%u DEFAULT %s: the first entry", path,
					    x.default_line, x.default_label);
		else if (x.default_label) {
			how = strdup_printf("%s:%u DEFAULT %s names no LABEL: the first entry",
					    path, x.default_line, x.default_label);
			fallback = true;
		}
		else
			how = strdup_printf("%s: no DEFAULT: the first entry", path);
		if (idx < 0)
			idx = 0;
	}
	r = add_loader(c, "extlinux", path, TAKE_PTR(x.entries), x.n_entries, idx, how,
		       fallback);
	x.n_entries = 0;
	extlinux_free(&x);
	return r;
}

/* ---- fstab, crypttab, /etc/default/grub, io_timeout ------------------------ */

static int collect_etc(struct collector *c)
{
	_cleanup_free_ char *fstab = NULL, *crypttab = NULL, *dg = NULL;
	int r;

	r = read_opt(c, "/etc/fstab", &fstab, NULL);
	if (r >= 0 && fstab) {
		r = fstab_parse(fstab, &c->out->fstab);
		c->out->have_fstab = r >= 0;
	}
	if (r >= 0)
		r = read_opt(c, "/etc/crypttab", &crypttab, NULL);
	if (r >= 0 && crypttab) {
		r = crypttab_parse(crypttab, &c->out->crypttab);
		c->out->have_crypttab = r >= 0;
	}
	if (r >= 0)
		r = read_opt(c, "/etc/default/grub", &dg, NULL);
	if (r >= 0 && dg) {
		r = default_grub_parse(dg, &c->out->default_grub, &c->out->n_default_grub);
		c->out->have_default_grub = r >= 0;
	}
	return r;
}

static int add_io_timeout(struct collector *c, const char *file, unsigned int line,
			  const char *text, const char *module, const char *value)
{
	struct nc_io_timeout_source *nv, *s;

	nv = realloc(c->out->io_timeouts, (c->out->n_io_timeouts + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	c->out->io_timeouts = nv;
	s = &nv[c->out->n_io_timeouts++];
	s->file = strdup(file);
	s->line = line;
	s->text = strdup(text);
	s->module = strdup(module);
	s->value = strdup(value);
	return s->file && s->text && s->module && s->value ? 0 : -ENOMEM;
}

/* `options nvme_core io_timeout=4294967295` in modprobe.d. */
static int scan_modprobe_line(struct collector *c, const char *file, unsigned int line,
			      char *l)
{
	_cleanup_free_ char *orig = strdup(l);
	char *save = NULL, *w, *mod;

	if (!orig)
		return -ENOMEM;
	w = strtok_r(l, " \t", &save);
	if (!w || !streq(w, "options"))
		return 0;
	mod = strtok_r(NULL, " \t", &save);
	if (!mod || !(cmdline_key_eq(mod, "nvme_core") || streq(mod, "nvme")))
		return 0;
	while ((w = strtok_r(NULL, " \t", &save))) {
		const char *v = startswith(w, "io_timeout=");

		if (v)
			return add_io_timeout(c, file, line, orig,
					      streq(mod, "nvme") ? "nvme" : "nvme_core", v);
	}
	return 0;
}

/* amazon-ec2-utils: ATTR{queue/io_timeout}="4294967000" in a udev rule. */
static int scan_udev_line(struct collector *c, const char *file, unsigned int line,
			  char *l)
{
	const char *p = strstr(l, "io_timeout}=");
	_cleanup_free_ char *v = NULL;
	size_t n = 0;

	if (!p || *l == '#')
		return 0;
	p += strlen("io_timeout}=");
	if (*p == '"')
		p++;
	while (isdigit((unsigned char)p[n]))
		n++;
	v = strndup(p, n);
	if (!v)
		return -ENOMEM;
	return add_io_timeout(c, file, line, l, "udev", v);
}

static int scan_dirs(struct collector *c, const char *const *dirs, size_t n_dirs,
		     const char *glob,
		     int (*fn)(struct collector *, const char *, unsigned int, char *))
{
	for (size_t d = 0; d < n_dirs; d++) {
		_cleanup_strv_free_ char **names = NULL;
		int r = list_dir(c->snap, dirs[d], glob, &names);

		if (r < 0)
			return r;
		for (size_t i = 0; names[i]; i++) {
			_cleanup_free_ char *path = strdup_printf("%s/%s", dirs[d], names[i]);
			_cleanup_free_ char *text = NULL;
			unsigned int line = 0;
			char *cur, *l;

			if (!path)
				return -ENOMEM;
			r = read_opt(c, path, &text, NULL);
			if (r < 0)
				return r;
			cur = text;
			while (text && (l = line_next_content(&cur, &line))) {
				r = fn(c, path, line, l);
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static int collect_io_timeouts(struct collector *c)
{
	static const char *const modprobe[] = {
		"/etc/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d",
	};
	static const char *const udev[] = {
		"/etc/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d",
	};
	int r = scan_dirs(c, modprobe, ARRAY_SIZE(modprobe), "*.conf", scan_modprobe_line);

	return r < 0 ? r : scan_dirs(c, udev, ARRAY_SIZE(udev), "*.rules", scan_udev_line);
}

int boot_collect(const struct nc_snapshot *snap, struct nc_boot_facts *out, struct nc_err *err)
{
	static const char *const legacy[] = { "/boot/grub/menu.lst", "/boot/grub/grub.conf" };
	static const char *const extlinux[] = {
		"/boot/extlinux/extlinux.conf", "/boot/extlinux.conf", "/extlinux.conf",
		"/boot/syslinux/syslinux.cfg", "/boot/syslinux.cfg",
	};
	struct collector c = { .snap = snap, .out = out };
	int r;

	memset(out, 0, sizeof(*out));
	out->primary = -1;
	r = collect_etc(&c);
	if (r >= 0)
		r = collect_grub2(&c);
	if (r >= 0 && !c.bls_used)
		r = collect_sdboot(&c, "/boot");
	if (r >= 0 && !c.bls_used)
		r = collect_sdboot(&c, "/boot/efi");
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(legacy); i++)
		r = collect_menulst(&c, legacy[i]);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(extlinux); i++)
		r = collect_extlinux(&c, extlinux[i]);
	if (r >= 0)
		r = collect_io_timeouts(&c);
	strv_free(c.seen);
	if (r < 0) {
		boot_facts_free(out);
		return nc_err_set(err, r, "%s: reading the boot configuration: %s",
				  snap->root ? snap->root : "snapshot", strerror(-r));
	}
	/* Loaders are in order of preference: GRUB 2, systemd-boot, legacy, extlinux. */
	for (size_t i = 0; i < out->n_loaders && out->primary < 0; i++)
		if (out->loaders[i].default_entry >= 0) {
			out->primary = (int)i;
			out->default_entry = &out->loaders[i].entries[out->loaders[i].default_entry];
		}
	return 0;
}

void boot_facts_free(struct nc_boot_facts *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_loaders; i++) {
		struct nc_bootloader *l = &f->loaders[i];

		free(l->kind);
		free(l->config);
		boot_entries_free(l->entries, l->n_entries);
		free(l->default_how);
	}
	free(f->loaders);
	fstab_free(&f->fstab);
	crypttab_free(&f->crypttab);
	kv_free(f->default_grub, f->n_default_grub);
	strv_free(f->grubenv);
	free(f->grubenv_path);
	for (size_t i = 0; i < f->n_io_timeouts; i++) {
		free(f->io_timeouts[i].file);
		free(f->io_timeouts[i].text);
		free(f->io_timeouts[i].module);
		free(f->io_timeouts[i].value);
	}
	free(f->io_timeouts);
	strv_free(f->notes);
	memset(f, 0, sizeof(*f));
	f->primary = -1;
}

/* ---- matching entries to kernels ------------------------------------------- */

int boot_entry_match_kernel(const struct nc_boot_entry *e, const char *kernel_guest_path)
{
	_cleanup_free_ char *norm = NULL;
	const char *p, *guest_base, *base;
	size_t len;

	if (!e || !e->kernel || !kernel_guest_path)
		return 0;
	p = e->kernel;
	/* GRUB device prefix: "(hd0,msdos1)/vmlinuz", "($root)/..." */
	if (*p == '(') {
		const char *close = strchr(p, ')');

		if (!close)
			return 0;
		p = close + 1;
	}
	norm = strdup(p);
	if (!norm)
		return 0;
	/* Ubuntu's signed EFI images name the same kernel. */
	len = strlen(norm);
	if (endswith(norm, ".efi.signed"))
		norm[len - strlen(".efi.signed")] = '\0';
	/* Collapse "//". */
	for (char *r = norm, *w = norm; ; r++) {
		if (!(*r == '/' && r[1] == '/'))
			*w++ = *r;
		if (!*r)
			break;
	}
	guest_base = strrchr(kernel_guest_path, '/');
	guest_base = guest_base ? guest_base + 1 : kernel_guest_path;
	base = strrchr(norm, '/');
	base = base ? base + 1 : norm;

	if (norm[0] != '/')
		/* extlinux: relative to the config's directory. */
		return streq(base, guest_base) ? 1 : 0;
	if (streq(norm, kernel_guest_path))
		return 1;
	/* A separate /boot partition: GRUB sees "/vmlinuz-X". */
	if (startswith(kernel_guest_path, "/boot/") && streq(norm, kernel_guest_path + 5))
		return 1;
	/* systemd-boot layout: /<machine-id>/<version>/linux. */
	if (e->version && streq(base, "linux")) {
		const char *v = startswith(guest_base, "vmlinuz-");

		return v && streq(v, e->version) ? 1 : 0;
	}
	return 0;
}
