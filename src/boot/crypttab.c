/* SPDX-License-Identifier: MIT */
/* /etc/crypttab: name, device, key file, options. */
#include "boot/boot.h"
#include "boot/internal.h"

#include <errno.h>

#include "common/util.h"

static void entry_clear(void *entry)
{
	struct nc_crypttab_entry *e = entry;

	free(e->name);
	free(e->device);
	free(e->keyfile);
	free(e->options);
	strv_free(e->opts);
	free(e->text);
}

static int parse_line(char *s, unsigned int line, void *entry)
{
	struct nc_crypttab_entry *e = entry;
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
	void *v = NULL;
	size_t n = 0;
	int r;

	if (!ret)
		return -EINVAL;
	r = boot_table_parse(text, sizeof(*ret->v), parse_line, entry_clear, &v, &n);
	*ret = (struct nc_crypttab){ .v = v, .n = n };
	return r;
}

void crypttab_free(struct nc_crypttab *c)
{
	if (!c)
		return;
	boot_table_free(c->v, c->n, sizeof(*c->v), entry_clear);
	memset(c, 0, sizeof(*c));
}
