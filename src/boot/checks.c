/* SPDX-License-Identifier: MIT */
/*
 * Boot configuration checks: block device names and filesystem references
 * (fstab, crypttab, root=, resume=, /etc/default/grub) and the kernel
 * command line (serial console, Xen-only parameters, nvme io_timeout).
 */
#include <errno.h>
#include <limits.h>
#include <strings.h>

#include "boot/boot.h"
#include "common/util.h"
#include "rules/rules.h"

/* ---- device references ------------------------------------------------------ */

enum ref_source {
	SRC_FSTAB,
	SRC_CRYPTTAB,
	SRC_CMDLINE,
	SRC_DEFAULT_GRUB,
};

static const char *const source_names[] = {
	[SRC_FSTAB] = "fstab",
	[SRC_CRYPTTAB] = "crypttab",
	[SRC_CMDLINE] = "cmdline",
	[SRC_DEFAULT_GRUB] = "default-grub",
};

struct devref {
	enum ref_source source;
	const char *spec;        /* "/dev/xvda1", "UUID=..." */
	const char *what;        /* "mounts /data", "root=", ... */
	bool critical;           /* /, /boot, /usr, root= */
	bool nofail;             /* nofail or noauto: boot goes on without it */
	struct nc_where where;
};

struct reflist {
	struct devref *v;
	size_t n;
	char **owned;            /* strings the refs point into */
	struct nc_cmdline cmdlines[3];
};

static void reflist_free(struct reflist *l)
{
	free(l->v);
	strv_free(l->owned);
	for (size_t i = 0; i < ARRAY_SIZE(l->cmdlines); i++)
		cmdline_free(&l->cmdlines[i]);
}

static int ref_add(struct reflist *l, const struct devref *r)
{
	struct devref *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->v[l->n++] = *r;
	return 0;
}

static const char *own(struct reflist *l, char *s)
{
	if (!s || strv_push(&l->owned, s) < 0)
		return NULL;
	return s;
}

/* The entry that boots the default kernel, NULL when unknown. */
static const struct nc_boot_entry *default_entry(const struct nc_facts *f)
{
	if (f->default_kernel >= 0 && (size_t)f->default_kernel < f->n_kernels &&
	    f->kernels[f->default_kernel].entry)
		return f->kernels[f->default_kernel].entry;
	return f->boot.default_entry;
}

static const char *default_kernel_version(const struct nc_facts *f)
{
	if (f->default_kernel >= 0 && (size_t)f->default_kernel < f->n_kernels)
		return f->kernels[f->default_kernel].version;
	return NULL;
}

/*
 * Where a parameter of the default entry's command line is written: the
 * entry's kernel line, or grubenv when it came from $kernelopts (RHEL 8).
 */
static struct nc_where param_where(const struct nc_facts *f, const struct nc_boot_entry *e,
				   const struct nc_cmdline_param *p)
{
	struct nc_where w = { .kernel = default_kernel_version(f), .text = p->text };

	if (e->cmdline_raw && !strstr(e->cmdline_raw, p->text) && f->boot.grubenv_path &&
	    strchr(e->cmdline_raw, '$')) {
		w.file = f->boot.grubenv_path;
		return w;
	}
	w.file = e->file;
	w.line = e->kernel_line ? e->kernel_line : e->line;
	return w;
}

static bool is_critical_mount(const char *m)
{
	return streq(m, "/") || streq(m, "/boot") || streq(m, "/usr");
}

/* Entries that name no block device: virtual, network and bind mounts. */
static bool fstab_is_blockdev(const struct nc_fstab_entry *e)
{
	static const char *const netfs[] = {
		"nfs", "nfs4", "cifs", "smb3", "smbfs", "glusterfs", "ceph", "fuse.sshfs",
		"sshfs", "9p", "virtiofs", "efs", "lustre",
	};

	if (fstab_has_opt(e->opts, "bind", NULL) || fstab_has_opt(e->opts, "rbind", NULL) ||
	    fstab_has_opt(e->opts, "_netdev", NULL))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(netfs); i++)
		if (streq(e->vfstype, netfs[i]))
			return false;
	return strchr(e->spec, '=') || startswith(e->spec, "/dev/");
}

static int add_cmdline_refs(struct reflist *l, struct nc_cmdline *c, enum ref_source src,
			    const struct nc_where *base, const struct nc_facts *f,
			    const struct nc_boot_entry *e)
{
	static const char *const keys[] = { "root", "resume" };

	for (size_t i = 0; i < c->n; i++) {
		const struct nc_cmdline_param *p = &c->v[i];

		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			struct devref r = {
				.source = src,
				.spec = p->value,
				.what = k == 0 ? "root=" : "resume=",
				.critical = k == 0,
			};
			int rc;

			if (!p->value || !cmdline_key_eq(p->key, keys[k]))
				continue;
			r.where = e ? param_where(f, e, p) : *base;
			if (!e)
				r.where.text = base->text;
			rc = ref_add(l, &r);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int collect_refs(const struct nc_facts *f, struct reflist *l)
{
	const struct nc_boot_facts *b = &f->boot;
	const struct nc_boot_entry *e = default_entry(f);
	static const char *const grub_keys[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT" };
	int r;

	for (size_t i = 0; b->have_fstab && i < b->fstab.n; i++) {
		const struct nc_fstab_entry *fe = &b->fstab.v[i];
		struct devref d = {
			.source = SRC_FSTAB,
			.spec = fe->spec,
			.critical = is_critical_mount(fe->file),
			.nofail = fstab_has_opt(fe->opts, "nofail", NULL) ||
				  fstab_has_opt(fe->opts, "noauto", NULL),
			.where = { .file = "/etc/fstab", .line = fe->line, .text = fe->text },
		};

		if (!fstab_is_blockdev(fe))
			continue;
		d.what = own(l, streq(fe->vfstype, "swap") ? strdup("swap")
							  : strdup_printf("mount %s", fe->file));
		if (!d.what)
			return -ENOMEM;
		r = ref_add(l, &d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; b->have_crypttab && i < b->crypttab.n; i++) {
		const struct nc_crypttab_entry *ce = &b->crypttab.v[i];
		struct devref d = {
			.source = SRC_CRYPTTAB,
			.spec = ce->device,
			.nofail = fstab_has_opt(ce->opts, "nofail", NULL) ||
				  fstab_has_opt(ce->opts, "noauto", NULL),
			.where = { .file = "/etc/crypttab", .line = ce->line, .text = ce->text },
		};

		d.what = own(l, strdup_printf("encrypted volume %s", ce->name));
		if (!d.what)
			return -ENOMEM;
		r = ref_add(l, &d);
		if (r < 0)
			return r;
	}
	if (e && e->cmdline) {
		r = cmdline_parse(e->cmdline, &l->cmdlines[0]);
		if (r >= 0)
			r = add_cmdline_refs(l, &l->cmdlines[0], SRC_CMDLINE, NULL, f, e);
		if (r < 0)
			return r;
	}
	for (size_t k = 0; k < ARRAY_SIZE(grub_keys); k++) {
		const struct nc_kv *kv = kv_find(b->default_grub, b->n_default_grub, grub_keys[k]);
		struct nc_where w;

		if (!kv)
			continue;
		w = (struct nc_where){ .file = "/etc/default/grub", .line = kv->line, .text = kv->text };
		r = cmdline_parse(kv->value, &l->cmdlines[1 + k]);
		if (r >= 0)
			r = add_cmdline_refs(l, &l->cmdlines[1 + k], SRC_DEFAULT_GRUB, &w, f, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool source_wanted(const struct nc_rule *rule, enum ref_source s)
{
	_cleanup_strv_free_ char **want = nc_param_strv(rule, "sources");

	return strv_length(want) == 0 || strv_contains(want, source_names[s]);
}

/* Xen-era names: /dev/xvdX, /dev/sdX, /dev/hdX, /dev/vdX. */
static bool is_unstable_name(const char *spec)
{
	static const char *const prefixes[] = { "/dev/xvd", "/dev/sd", "/dev/hd", "/dev/vd" };

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		const char *rest = startswith(spec, prefixes[i]);

		if (rest && *rest >= 'a' && *rest <= 'z')
			return true;
	}
	return false;
}

static int check_device_names(const struct nc_rule *rule, const struct nc_facts *f,
			      struct nc_findings *out)
{
	struct reflist l = {};
	int r = collect_refs(f, &l);

	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		const struct devref *d = &l.v[i];
		bool fatal = d->critical || !d->nofail;
		const char *vars[] = { "device", d->spec, NULL };

		if (!source_wanted(rule, d->source) || !is_unstable_name(d->spec))
			continue;
		r = nc_finding_add(out, rule, f, fatal ? NC_SEV_ERROR : NC_SEV_WARNING, &d->where,
				   vars, "%s names %s (%s); on Nitro EBS volumes are NVMe devices "
				   "(/dev/nvme0n1p1, ...), so %s%s",
				   d->where.file, d->spec, d->what,
				   d->critical ? "the system cannot find it at boot"
					       : "it will not be found",
				   !d->critical && d->nofail ? " (nofail: boot continues without it)"
							     : "");
	}
	reflist_free(&l);
	return r < 0 ? r : 0;
}

/* "UUID=x" or "/dev/disk/by-uuid/x" → kind and value (udev \x escapes decoded). */
static char *ref_parse(const char *spec, const char **ret_kind)
{
	static const struct {
		const char *prefix, *kind;
	} forms[] = {
		{ "UUID=", "UUID" }, { "LABEL=", "LABEL" }, { "PARTUUID=", "PARTUUID" },
		{ "PARTLABEL=", "PARTLABEL" }, { "/dev/disk/by-uuid/", "UUID" },
		{ "/dev/disk/by-label/", "LABEL" }, { "/dev/disk/by-partuuid/", "PARTUUID" },
		{ "/dev/disk/by-partlabel/", "PARTLABEL" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		const char *v = startswith(spec, forms[i].prefix);
		char *out, *w;

		if (!v)
			continue;
		*ret_kind = forms[i].kind;
		out = strdup(v);
		if (!out)
			return NULL;
		w = out;
		for (const char *p = out; *p; p++) {
			unsigned int c;

			if (*p == '"' || *p == '\'')
				continue;
			if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &c) == 1 && c) {
				*w++ = (char)c;
				p += 3;
				continue;
			}
			*w++ = *p;
		}
		*w = '\0';
		return out;
	}
	*ret_kind = NULL;
	return NULL;
}

static bool part_has(const struct nc_partition *p, const char *kind, const char *value)
{
	if (streq(kind, "UUID"))
		return p->uuid && strcasecmp(p->uuid, value) == 0;
	if (streq(kind, "PARTUUID"))
		return p->partuuid && strcasecmp(p->partuuid, value) == 0;
	if (streq(kind, "LABEL"))
		return p->label && streq(p->label, value);
	return p->partlabel && streq(p->partlabel, value);
}

static size_t layout_count(const struct nc_block_layout *lay, const char *kind, const char *value)
{
	size_t n = 0;

	for (size_t i = 0; i < lay->n_parts; i++)
		n += part_has(&lay->parts[i], kind, value);
	for (size_t i = 0; i < lay->n_volumes; i++)
		n += part_has(&lay->volumes[i], kind, value);
	return n;
}

static int check_fs_refs(const struct nc_rule *rule, const struct nc_facts *f,
			 struct nc_findings *out)
{
	const char *mode = nc_param_str(rule, "mode", "missing");
	struct reflist l = {};
	size_t unverified = 0;
	const struct devref *first = NULL;
	int r = collect_refs(f, &l);

	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		const struct devref *d = &l.v[i];
		_cleanup_free_ char *value = NULL;
		const char *kind;
		size_t n;

		if (!source_wanted(rule, d->source))
			continue;
		value = ref_parse(d->spec, &kind);
		if (!kind)
			continue;
		if (!value) {
			r = -ENOMEM;
			break;
		}
		if (!f->have_layout) {
			if (!unverified++)
				first = d;
			continue;
		}
		n = layout_count(&f->layout, kind, value);
		const char *vars[] = { "device", d->spec, NULL };

		if (streq(mode, "missing") && n == 0)
			r = nc_finding_add(out, rule, f, rule->severity, &d->where, vars,
					   "%s names %s (%s), but no filesystem or partition in the "
					   "image has %s %s: it will not be found at boot",
					   d->where.file, d->spec, d->what, kind, value);
		else if (streq(mode, "duplicate") && n > 1)
			r = nc_finding_add(out, rule, f, rule->severity, &d->where, vars,
					   "%s names %s (%s), and %zu filesystems or partitions in the "
					   "image have %s %s: which one is used is a matter of chance",
					   d->where.file, d->spec, d->what, n, kind, value);
	}
	if (r >= 0 && streq(mode, "unverified") && unverified > 0)
		r = nc_finding_add(out, rule, f, rule->severity, &first->where, NULL,
				   "%zu device reference%s (UUID=, LABEL=, PARTUUID=, PARTLABEL=, "
				   "/dev/disk/by-*) could not be checked: no block layout is known "
				   "when scanning a directory", unverified, unverified == 1 ? "" : "s");
	reflist_free(&l);
	return r < 0 ? r : 0;
}

/* ---- kernel command line ------------------------------------------------------ */

struct cmdline_ctx {
	const struct nc_boot_entry *entry;
	struct nc_cmdline c;
};

static int default_cmdline(const struct nc_facts *f, struct cmdline_ctx *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->entry = default_entry(f);
	if (!ret->entry || !ret->entry->cmdline)
		return 0;
	return cmdline_parse(ret->entry->cmdline, &ret->c);
}

static bool console_is(const char *v, const char *name)
{
	size_t n = strlen(name);

	return strncmp(v, name, n) == 0 && (v[n] == '\0' || v[n] == ',');
}

static int check_console(const struct nc_rule *rule, const struct nc_facts *f,
			 struct nc_findings *out)
{
	struct cmdline_ctx cc;
	const struct nc_cmdline_param *xen = NULL;
	bool serial = false;
	int r = default_cmdline(f, &cc);

	for (size_t i = 0; r >= 0 && i < cc.c.n; i++) {
		const struct nc_cmdline_param *p = &cc.c.v[i];

		if (!cmdline_key_eq(p->key, "console") || !p->value)
			continue;
		if (console_is(p->value, "ttyS0"))
			serial = true;
		else if (!xen && (console_is(p->value, "hvc0") || console_is(p->value, "xvc0")))
			xen = p;
	}
	if (r >= 0 && xen && !serial) {
		struct nc_where w = param_where(f, cc.entry, xen);

		r = nc_finding_add(out, rule, f, rule->severity, &w, NULL,
				   "the default kernel's console is %s (Xen's console) and there is "
				   "no console=ttyS0: Nitro has no Xen console, so the serial "
				   "console and its log will stay empty", xen->text);
	}
	cmdline_free(&cc.c);
	return r < 0 ? r : 0;
}

static bool key_has_prefix(const char *key, const char *prefix)
{
	for (; *prefix; key++, prefix++) {
		char a = *key == '-' ? '_' : *key, b = *prefix == '-' ? '_' : *prefix;

		if (!*key || a != b)
			return false;
	}
	return true;
}

/* xen_blkfront.*, xen_emul_unplug, xen_pv*: meaningless or harmful off Xen. */
static bool is_xen_param(const char *key)
{
	return key_has_prefix(key, "xen_blkfront.") || cmdline_key_eq(key, "xen_emul_unplug") ||
	       key_has_prefix(key, "xen_pv");
}

static int check_xen_params(const struct nc_rule *rule, const struct nc_facts *f,
			    struct nc_findings *out)
{
	static const char *const grub_keys[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT" };
	struct cmdline_ctx cc;
	int r = default_cmdline(f, &cc);

	for (size_t i = 0; r >= 0 && i < cc.c.n; i++) {
		const struct nc_cmdline_param *p = &cc.c.v[i];
		struct nc_where w;

		if (!is_xen_param(p->key))
			continue;
		w = param_where(f, cc.entry, p);
		r = nc_finding_add(out, rule, f, rule->severity, &w, NULL,
				   "the default kernel's command line has the Xen-only parameter %s",
				   p->text);
	}
	cmdline_free(&cc.c);
	/* /etc/default/grub: the next update-grub brings them back. */
	for (size_t k = 0; r >= 0 && k < ARRAY_SIZE(grub_keys); k++) {
		const struct nc_kv *kv = kv_find(f->boot.default_grub, f->boot.n_default_grub,
						 grub_keys[k]);
		struct nc_cmdline c;

		if (!kv)
			continue;
		r = cmdline_parse(kv->value, &c);
		for (size_t i = 0; r >= 0 && i < c.n; i++) {
			struct nc_where w = { .file = "/etc/default/grub", .line = kv->line,
					      .text = kv->text };

			if (!is_xen_param(c.v[i].key))
				continue;
			r = nc_finding_add(out, rule, f, rule->severity, &w, NULL,
					   "%s has the Xen-only parameter %s", kv->key, c.v[i].text);
		}
		cmdline_free(&c);
	}
	return r < 0 ? r : 0;
}

/* ---- nvme io_timeout ---------------------------------------------------------- */

/* Kernel version as major*1000+minor, 0 when unknown. */
static unsigned int kernel_mm(const char *v)
{
	unsigned int major = 0, minor = 0;

	if (!v || sscanf(v, "%u.%u", &major, &minor) != 2)
		return 0;
	return major * 1000 + minor;
}

/* Largest value the parameter type takes, 0 for types we do not know. */
static unsigned long long type_max(const char *type)
{
	if (streq(type, "uint") || streq(type, "ulong"))
		return streq(type, "uint") ? UINT_MAX : ULLONG_MAX;
	if (streq(type, "byte"))
		return UCHAR_MAX;
	if (streq(type, "ushort"))
		return USHRT_MAX;
	if (streq(type, "int"))
		return INT_MAX;
	return 0;
}

struct timeout_setting {
	const char *value;
	const char *how;         /* "nvme_core.io_timeout=..." */
	struct nc_where where;
	bool effective;
	const char *why_not;     /* when not effective */
};

/* The io_timeout setting that applies to the default kernel, if any. */
static void find_timeout(const struct nc_facts *f, const struct cmdline_ctx *cc,
			 unsigned int mm, bool nvme_builtin, struct timeout_setting *ret,
			 struct timeout_setting *ret_ignored)
{
	const struct nc_cmdline_param *core = cmdline_find(&cc->c, "nvme_core.io_timeout");
	const struct nc_cmdline_param *old = cmdline_find(&cc->c, "nvme.io_timeout");
	/* nvme_core exists since 4.6; before, the parameter was nvme's. */
	bool split = mm == 0 || mm >= 4006;
	const struct nc_cmdline_param *p = split ? core : old;
	const struct nc_cmdline_param *wrong = split ? old : core;

	memset(ret, 0, sizeof(*ret));
	memset(ret_ignored, 0, sizeof(*ret_ignored));
	if (wrong && wrong->value) {
		ret_ignored->value = wrong->value;
		ret_ignored->where = param_where(f, cc->entry, wrong);
		ret_ignored->why_not = split ? "this kernel's parameter is nvme_core.io_timeout"
					     : "kernels before 4.6 take nvme.io_timeout";
	}
	if (p && p->value) {
		ret->value = p->value;
		ret->where = param_where(f, cc->entry, p);
		ret->effective = true;
		return;
	}
	for (size_t i = 0; i < f->boot.n_io_timeouts; i++) {
		const struct nc_io_timeout_source *s = &f->boot.io_timeouts[i];
		bool right_module = streq(s->module, split ? "nvme_core" : "nvme");

		if (streq(s->module, "udev") || !right_module)
			continue;
		ret->value = s->value;
		ret->where = (struct nc_where){ .file = s->file, .line = s->line, .text = s->text };
		/* modprobe.d options do not reach a built-in driver. */
		ret->effective = !nvme_builtin;
		ret->why_not = nvme_builtin ? "nvme is built into the kernel, so modprobe.d "
					      "options do not apply" : NULL;
		return;
	}
}

static bool nvme_is_builtin(const struct nc_kernel *k)
{
	for (size_t d = 0; k && d < k->n_drivers; d++)
		for (size_t m = 0; m < k->drivers[d].n_modules; m++) {
			const struct nc_module *mod = &k->drivers[d].modules[m];

			if ((streq(mod->name, "nvme_core") || streq(mod->name, "nvme")) &&
			    mod->status == NC_DRV_BUILTIN)
				return true;
		}
	return false;
}

static int check_io_timeout(const struct nc_rule *rule, const struct nc_facts *f,
			    struct nc_findings *out)
{
	const char *mode = nc_param_str(rule, "mode", "invalid");
	const struct nc_kernel *k = f->default_kernel >= 0 && (size_t)f->default_kernel < f->n_kernels
					    ? &f->kernels[f->default_kernel] : NULL;
	unsigned int mm = kernel_mm(k ? k->version : NULL);
	const char *type = k && k->nvme_io_timeout_type ? k->nvme_io_timeout_type
			 : mm && mm < 4015 ? "byte" : "uint";
	unsigned long long max = type_max(type), v;
	const char *recommend = streq(type, "uint") ? "4294967295" : "255";
	const char *vars[] = { "value", recommend, NULL };
	struct timeout_setting s, ignored;
	struct cmdline_ctx cc;
	char *end;
	int r = default_cmdline(f, &cc);

	if (r < 0)
		return r;
	if (!cc.entry && f->n_kernels == 0) {
		cmdline_free(&cc.c);
		return 0;
	}
	find_timeout(f, &cc, mm, nvme_is_builtin(k), &s, &ignored);
	if (streq(mode, "missing") && !s.value) {
		bool udev = false;

		for (size_t i = 0; i < f->boot.n_io_timeouts; i++)
			udev = udev || streq(f->boot.io_timeouts[i].module, "udev");
		if (!udev)
			r = nc_finding_add(out, rule, f, rule->severity,
					   ignored.value ? &ignored.where
							 : &(struct nc_where){ .kernel = k ? k->version : NULL },
					   vars, "no nvme io_timeout is set for the default kernel%s%s%s; "
					   "EBS volumes can stall longer than the default 30 s and the "
					   "kernel then fails the I/O: set %s.io_timeout=%s",
					   ignored.value ? " (" : "", ignored.value ? ignored.why_not : "",
					   ignored.value ? ")" : "", mm && mm < 4006 ? "nvme" : "nvme_core",
					   recommend);
	} else if (streq(mode, "missing") && !s.effective) {
		r = nc_finding_add(out, rule, f, rule->severity, &s.where, vars,
				   "%s sets io_timeout=%s, but %s", s.where.file, s.value, s.why_not);
	} else if (s.value && (streq(mode, "invalid") || streq(mode, "low"))) {
		errno = 0;
		v = strtoull(s.value, &end, 0);
		bool bad = errno || end == s.value || *end || s.value[0] == '-' || (max && v > max);

		if (streq(mode, "invalid") && bad && s.effective)
			r = nc_finding_add(out, rule, f, rule->severity, &s.where, vars,
					   "io_timeout=%s is more than this kernel's %s parameter "
					   "takes (at most %llu): the kernel rejects it and keeps 30 s",
					   s.value, type, max);
		else if (streq(mode, "low") && !bad && s.effective && max && v < max)
			r = nc_finding_add(out, rule, f, rule->severity, &s.where, vars,
					   "io_timeout=%s; AWS recommends the maximum, %s, for this "
					   "kernel (its io_timeout is a %s)", s.value, recommend, type);
	}
	cmdline_free(&cc.c);
	return r < 0 ? r : 0;
}

/* ---- boot loader ------------------------------------------------------------ */

static int check_default_fallback(const struct nc_rule *rule, const struct nc_facts *f,
				  struct nc_findings *out)
{
	const struct nc_bootloader *l;
	const struct nc_boot_entry *e;

	if (f->boot.primary < 0 || (size_t)f->boot.primary >= f->boot.n_loaders)
		return 0;
	l = &f->boot.loaders[f->boot.primary];
	if (!l->default_fallback || l->default_entry < 0)
		return 0;
	e = &l->entries[l->default_entry];
	return nc_finding_add(out, rule, f, rule->severity,
			      &(struct nc_where){ .kernel = default_kernel_version(f),
						  .file = l->config },
			      NULL, "%s; it boots \"%s\" (%s), which may not be the kernel "
			      "that was meant", l->default_how, e->title ? e->title : "",
			      e->kernel ? e->kernel : "no kernel");
}

static int check_config_notes(const struct nc_rule *rule, const struct nc_facts *f,
			      struct nc_findings *out)
{
	return nc_findings_add_notes(out, rule, f, f->boot.notes);
}

const struct nc_check nc_boot_checks[] = {
	{ "boot-default-fallback", check_default_fallback,
	  "the boot loader's configured default names no entry, so it boots its first one" },
	{ "boot-config-notes", check_config_notes,
	  "one finding per boot configuration file that could not be read" },
	{ "boot-device-names", check_device_names,
	  "Xen-era device names (/dev/xvd*, sd*, hd*, vd*) in fstab, crypttab, root=, resume= and "
	  "GRUB_CMDLINE_LINUX*; params: sources (fstab, crypttab, cmdline, default-grub)" },
	{ "boot-fs-refs", check_fs_refs,
	  "UUID=/LABEL=/PARTUUID=/PARTLABEL=/by-* references checked against the block layout; "
	  "params: mode (missing, duplicate, unverified), sources" },
	{ "cmdline-console", check_console,
	  "console=hvc0 or xvc0 without console=ttyS0 on the default kernel's command line" },
	{ "cmdline-xen-params", check_xen_params,
	  "xen_blkfront.*, xen_emul_unplug, xen_pv* on the default command line or in "
	  "/etc/default/grub" },
	{ "cmdline-nvme-io-timeout", check_io_timeout,
	  "nvme_core.io_timeout (nvme.io_timeout before 4.6, modprobe.d, udev) against the "
	  "default kernel's parameter type; params: mode (invalid, missing, low)" },
	{ NULL, NULL, NULL },
};
