/* SPDX-License-Identifier: MIT */
/*
 * Boot Loader Specification entries (/boot/loader/entries/<id>.conf) as used
 * by GRUB's blscfg (RHEL 8+, Fedora, Amazon Linux 2023) and systemd-boot.
 */
#include "boot/boot.h"
#include "boot/internal.h"

#include <ctype.h>
#include <errno.h>

#include "common/util.h"

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int append_opts(char **dst, const char *v)
{
	char *s = *dst ? strdup_printf("%s %s", *dst, v) : strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int expand_cmdline(struct nc_boot_entry *e, char *const *env);

static int bls_line(struct nc_boot_entry *e, const char *key, char *value, unsigned int line)
{
	if (streq(key, "title"))
		return set_str(&e->title, value);
	if (streq(key, "version"))
		return set_str(&e->version, value);
	if (streq(key, "machine-id"))
		return set_str(&e->machine_id, value);
	if (streq(key, "sort-key"))
		return set_str(&e->sort_key, value);
	if (streq(key, "linux")) {
		e->kernel_line = line;
		return set_str(&e->kernel, value);
	}
	if (streq(key, "options")) {
		if (!e->kernel_line)
			e->kernel_line = line;
		return append_opts(&e->cmdline_raw, value);
	}
	/* GRUB's blscfg accepts several files on one line. */
	if (streq(key, "initrd"))
		return entry_add_initrds(e, value, " \t");
	return 0;
}

int bls_entry_parse(const char *text, const char *file, const char *stem,
		    struct nc_boot_entry *ret)
{
	_cleanup_free_ char *copy = NULL;
	struct nc_boot_entry e = {};
	char *cur, *l;
	unsigned int line = 0;
	int r = 0;

	if (!text || !ret)
		return -EINVAL;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	e.line = 1;
	while ((l = line_next_content(&cur, &line))) {
		char *key, *value;

		key = l;
		while (*l && !isspace((unsigned char)*l))
			l++;
		if (*l)
			*l++ = '\0';
		value = strstrip(l);
		r = bls_line(&e, key, value, line);
		if (r < 0)
			goto fail;
	}
	if (stem && (r = set_str(&e.id, stem)) < 0)
		goto fail;
	if (!e.title && (r = set_str(&e.title, stem ? stem : "")) < 0)
		goto fail;
	if (file && (r = set_str(&e.file, file)) < 0)
		goto fail;
	r = expand_cmdline(&e, NULL);
	if (r < 0)
		goto fail;
	*ret = e;
	return 0;
fail:
	boot_entry_free(&e);
	return r;
}

static int expand_cmdline(struct nc_boot_entry *e, char *const *env)
{
	_cleanup_free_ char *x = NULL;
	struct sbuf b = {};
	char *save = NULL;

	if (!e->cmdline_raw)
		return 0;
	x = grub_expand_vars(e->cmdline_raw, env);
	if (!x)
		return -ENOMEM;
	/* Unset variables leave double spaces behind: one space between words. */
	for (char *t = strtok_r(x, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (b.len)
			sbuf_putc(&b, ' ');
		sbuf_puts(&b, t);
	}
	free(e->cmdline);
	e->cmdline = sbuf_take(&b);
	return e->cmdline ? 0 : -ENOMEM;
}

/* "initrd /initramfs-X.img $tuned_initrd": unset variables drop out. */
static int expand_initrds(struct nc_boot_entry *e, char *const *env)
{
	_cleanup_strv_free_ char **raw = NULL;
	bool any = false;

	for (size_t i = 0; e->initrds && e->initrds[i]; i++)
		any = any || strchr(e->initrds[i], '$');
	if (!any)
		return 0;
	raw = TAKE_PTR(e->initrds);
	free(e->initrd);
	e->initrd = NULL;
	for (size_t i = 0; raw[i]; i++) {
		_cleanup_free_ char *x = grub_expand_vars(raw[i], env);
		int r = x ? entry_add_initrds(e, x, " \t") : -ENOMEM;

		if (r < 0)
			return r;
	}
	return 0;
}

int bls_entry_expand(struct nc_boot_entry *e, char *const *env)
{
	int r = expand_cmdline(e, env);

	return r < 0 ? r : expand_initrds(e, env);
}

/* rpm's rpmvercmp: alternating numeric and alphabetic segments, '~' older. */
int bls_vercmp(const char *a, const char *b)
{
	if (!a || !b)
		return a ? 1 : (b ? -1 : 0);
	if (streq(a, b))
		return 0;
	while (*a || *b) {
		const char *sa, *sb;
		size_t la, lb;
		bool num;
		int c;

		while (*a && !isalnum((unsigned char)*a) && *a != '~')
			a++;
		while (*b && !isalnum((unsigned char)*b) && *b != '~')
			b++;
		if (*a == '~' || *b == '~') {
			if (*a != '~')
				return 1;
			if (*b != '~')
				return -1;
			a++;
			b++;
			continue;
		}
		if (!*a || !*b)
			break;
		sa = a;
		sb = b;
		num = isdigit((unsigned char)*a);
		if (num) {
			while (isdigit((unsigned char)*a))
				a++;
			while (isdigit((unsigned char)*b))
				b++;
		} else {
			while (isalpha((unsigned char)*a))
				a++;
			while (isalpha((unsigned char)*b))
				b++;
		}
		if (b == sb)
			return num ? 1 : -1;  /* numeric is newer than alpha */
		if (num) {
			while (*sa == '0' && sa + 1 < a)
				sa++;
			while (*sb == '0' && sb + 1 < b)
				sb++;
		}
		la = (size_t)(a - sa);
		lb = (size_t)(b - sb);
		if (num && la != lb)
			return la > lb ? 1 : -1;
		c = strncmp(sa, sb, la < lb ? la : lb);
		if (c)
			return c > 0 ? 1 : -1;
		if (la != lb)
			return la > lb ? 1 : -1;
	}
	if (!*a && !*b)
		return 0;
	return *a ? 1 : -1;
}

static int bls_cmp(const void *x, const void *y)
{
	const struct nc_boot_entry *a = x, *b = y;
	int c;

	/* systemd-boot: sort-key ascending first, entries without one last. */
	if (a->sort_key || b->sort_key) {
		if (!a->sort_key || !b->sort_key)
			return a->sort_key ? -1 : 1;
		c = strcmp(a->sort_key, b->sort_key);
		if (c)
			return c;
		c = strcmp(a->machine_id ? a->machine_id : "", b->machine_id ? b->machine_id : "");
		if (c)
			return c;
	}
	/* Newest version first; the id (file stem) decides when absent. */
	c = bls_vercmp(a->version ? a->version : a->id, b->version ? b->version : b->id);
	if (c)
		return -c;
	return -bls_vercmp(a->id, b->id);
}

void bls_entries_sort(struct nc_boot_entry *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), bls_cmp);
}
