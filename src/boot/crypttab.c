/* SPDX-License-Identifier: MIT */
/* /etc/crypttab: name, device, key file, options. */
#include "boot/boot.h"
#include "boot/internal.h"

#include <errno.h>

#include "common/util.h"

static void entry_clear(struct nc_crypttab_entry *e)
{
	free(e->name);
	free(e->device);
	free(e->keyfile);
	free(e->options);
	strv_free(e->opts);
	free(e->text);
}

static int parse_line(char *s, unsigned int line, struct nc_crypttab_entry *e)
{
	char *f[4] = {}, *save = NULL;
	int n = 0;

	e->text = strdup(s);
	if (!e->text)
		return -ENOMEM;
	for (char *t = strtok_r(s, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (n < 2)
		return 0;
	e->name = fstab_unescape(f[0]);
	e->device = fstab_unescape(f[1]);
	e->keyfile = n > 2 ? fstab_unescape(f[2]) : NULL;
	e->options = strdup(n > 3 ? f[3] : "");
	e->opts = calloc(1, sizeof(char *));
	e->line = line;
	if (!e->name || !e->device || (n > 2 && !e->keyfile) || !e->options || !e->opts)
		return -ENOMEM;
	save = NULL;
	for (char *t = n > 3 ? strtok_r(f[3], ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save))
		if (strv_extend(&e->opts, t) < 0)
			return -ENOMEM;
	return 1;
}

int crypttab_parse(const char *text, struct nc_crypttab *ret)
{
	_cleanup_free_ char *copy = NULL;
	unsigned int line = 0;
	char *cur, *l;

	if (!text || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((l = line_next(&cur))) {
		struct nc_crypttab_entry e = {}, *nv;
		char *s;
		int r;

		line++;
		s = strstrip(l);
		if (!*s || *s == '#')
			continue;
		r = parse_line(s, line, &e);
		if (r <= 0) {
			entry_clear(&e);
			if (r < 0)
				goto oom;
			continue;
		}
		nv = vec_reserve(ret->v, ret->n, sizeof(*nv));
		if (!nv) {
			entry_clear(&e);
			goto oom;
		}
		ret->v = nv;
		ret->v[ret->n++] = e;
	}
	return 0;
oom:
	crypttab_free(ret);
	return -ENOMEM;
}

void crypttab_free(struct nc_crypttab *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}
