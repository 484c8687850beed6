/* SPDX-License-Identifier: MIT */
/* GRUB legacy menu.lst / grub.conf (Amazon Linux 1, RHEL 5/6). */
#include "boot/boot.h"
#include "boot/internal.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "common/util.h"

/* Split "keyword rest" where the separator is spaces, tabs or '='. */
static char *split_keyword(char *l, char **ret_rest)
{
	char *k = l;

	while (*l && !isspace((unsigned char)*l) && *l != '=')
		l++;
	if (*l) {
		*l++ = '\0';
		while (*l && (isspace((unsigned char)*l) || *l == '='))
			l++;
	}
	*ret_rest = l;
	return k;
}

static int kernel_line(struct nc_boot_entry *e, char *rest, unsigned int line, bool *xen)
{
	char *path = rest, *args;

	while (*rest && !isspace((unsigned char)*rest))
		rest++;
	if (*rest)
		*rest++ = '\0';
	args = strstrip(rest);
	free(e->kernel);
	free(e->cmdline);
	e->kernel = strdup(path);
	e->cmdline = strdup(args);
	e->kernel_line = line;
	if (!e->kernel || !e->cmdline)
		return -ENOMEM;
	/* RHEL 5 kernel-xen: the hypervisor, then the kernel as a module. */
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	*xen = startswith(base, "xen") != NULL;
	return 0;
}

static int finish(struct nc_menulst *m, struct nc_boot_entry *e, bool *open)
{
	int r = 0;

	if (*open)
		r = boot_entries_append(&m->entries, &m->n_entries, e);
	*open = false;
	return r;
}

int menulst_parse(const char *text, const char *file, struct nc_menulst *ret)
{
	_cleanup_free_ char *copy = NULL;
	struct nc_boot_entry e = {};
	bool open = false, xen = false, xen_linux = false;
	unsigned int line = 0;
	char *cur, *l;
	int r = 0;

	if (!text || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((l = line_next_content(&cur, &line))) {
		char *k, *rest;

		k = split_keyword(l, &rest);
		rest = strstrip(rest);
		if (strcasecmp(k, "title") == 0) {
			r = finish(ret, &e, &open);
			if (r >= 0)
				r = boot_entry_start(&e, file, line, rest, NULL);
			open = true;
			xen = xen_linux = false;
		} else if (!open) {
			if (strcasecmp(k, "default") == 0) {
				free(ret->default_raw);
				ret->default_raw = strdup(rest);
				ret->default_line = line;
				if (!ret->default_raw) {
					r = -ENOMEM;
					goto fail;
				}
			} else if (strcasecmp(k, "savedefault") == 0) {
				ret->savedefault = true;
			}
		} else if (strcasecmp(k, "kernel") == 0) {
			r = kernel_line(&e, rest, line, &xen);
		} else if (strcasecmp(k, "module") == 0 && xen) {
			if (!xen_linux) {
				/* First module: the Linux kernel and its options. */
				bool ignored;

				r = kernel_line(&e, rest, line, &ignored);
				xen_linux = true;
			} else {
				r = entry_add_initrd(&e, rest);
			}
		} else if (strcasecmp(k, "initrd") == 0) {
			char *sp = rest;

			while (*sp && !isspace((unsigned char)*sp))
				sp++;
			*sp = '\0';
			r = entry_add_initrd(&e, rest);
		} else if (strcasecmp(k, "savedefault") == 0) {
			ret->savedefault = true;
		}
		if (r < 0)
			goto fail;
	}
	r = finish(ret, &e, &open);
	if (r < 0)
		goto fail;
	return 0;
fail:
	boot_entry_free(&e);
	menulst_free(ret);
	return r;
}

void menulst_free(struct nc_menulst *m)
{
	if (!m)
		return;
	boot_entries_free(m->entries, m->n_entries);
	free(m->default_raw);
	memset(m, 0, sizeof(*m));
}
