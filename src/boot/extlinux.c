/* SPDX-License-Identifier: MIT */
/* extlinux.conf / syslinux.cfg: LABEL blocks, keywords case-insensitive. */
#include "boot/boot.h"
#include "boot/internal.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "common/util.h"

static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s && isspace((unsigned char)*s))
		s++;
	w = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static int finish_label(struct nc_extlinux *x, struct nc_boot_entry *e, bool *open,
			const char *global_append)
{
	int r;

	if (!*open)
		return 0;
	*open = false;
	if (!e->cmdline && global_append) {
		e->cmdline = strdup(global_append);
		if (!e->cmdline)
			return -ENOMEM;
	}
	if (e->cmdline && !e->initrds) {
		_cleanup_free_ char *c = strdup(e->cmdline);
		char *p = c, *w;

		if (!c)
			return -ENOMEM;
		/* APPEND may carry initrd=a,b: syslinux loads those as the initrds. */
		while (*(w = next_word(&p))) {
			const char *v = startswith(w, "initrd=");

			if (v && (r = entry_add_initrds(e, v, ",")) < 0)
				return r;
		}
	}
	if (!e->title) {
		e->title = strdup(e->id ? e->id : "");
		if (!e->title)
			return -ENOMEM;
	}
	return boot_entries_append(&x->entries, &x->n_entries, e);
}

int extlinux_parse(const char *text, const char *file, struct nc_extlinux *ret)
{
	_cleanup_free_ char *copy = NULL, *global_append = NULL;
	struct nc_boot_entry e = {};
	bool open = false;
	unsigned int line = 0;
	char *cur, *l;
	int r = 0;

	if (!text || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->menu_default = -1;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((l = line_next_content(&cur, &line))) {
		char *k, *rest;

		k = next_word(&l);
		rest = strstrip(l);
		if (strcasecmp(k, "LABEL") == 0) {
			r = finish_label(ret, &e, &open, global_append);
			if (r >= 0)
				r = boot_entry_start(&e, file, line, NULL, rest);
			open = true;
		} else if (strcasecmp(k, "DEFAULT") == 0 || strcasecmp(k, "ONTIMEOUT") == 0) {
			/* DEFAULT wins over ONTIMEOUT for the label to boot. */
			if (!ret->default_label || strcasecmp(k, "DEFAULT") == 0) {
				free(ret->default_label);
				ret->default_label = strdup(rest);
				ret->default_line = line;
				if (!ret->default_label)
					r = -ENOMEM;
			}
		} else if (strcasecmp(k, "APPEND") == 0) {
			char **dst = open ? &e.cmdline : &global_append;
			/* "APPEND -" means no options at all. */
			const char *v = streq(rest, "-") ? "" : rest;

			free(*dst);
			*dst = strdup(v);
			if (!*dst)
				r = -ENOMEM;
			if (open)
				e.kernel_line = e.kernel_line ? e.kernel_line : line;
		} else if (!open) {
			continue;
		} else if (strcasecmp(k, "KERNEL") == 0 || strcasecmp(k, "LINUX") == 0) {
			free(e.kernel);
			e.kernel = strdup(next_word(&rest));
			e.kernel_line = line;
			if (!e.kernel)
				r = -ENOMEM;
		} else if (strcasecmp(k, "INITRD") == 0) {
			r = entry_add_initrds(&e, next_word(&rest), ",");
		} else if (strcasecmp(k, "MENU") == 0) {
			char *sub = next_word(&rest);

			if (strcasecmp(sub, "LABEL") == 0) {
				free(e.title);
				e.title = strdup(strstrip(rest));
				if (!e.title)
					r = -ENOMEM;
			} else if (strcasecmp(sub, "DEFAULT") == 0) {
				ret->menu_default = (int)ret->n_entries;
			}
		}
		if (r < 0)
			goto fail;
	}
	r = finish_label(ret, &e, &open, global_append);
	if (r < 0)
		goto fail;
	return 0;
fail:
	boot_entry_free(&e);
	extlinux_free(ret);
	return r;
}

void extlinux_free(struct nc_extlinux *x)
{
	if (!x)
		return;
	boot_entries_free(x->entries, x->n_entries);
	free(x->default_label);
	memset(x, 0, sizeof(*x));
	x->menu_default = -1;
}
