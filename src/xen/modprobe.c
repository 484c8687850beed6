/* SPDX-License-Identifier: MIT */
/*
 * modprobe.d: the directives that stop a module loading. "blacklist X"
 * stops loading by alias (how nvme and ena load); "install X /bin/true"
 * and "alias X off" stop it for good.
 */
#include <ctype.h>
#include <errno.h>

#include "common/util.h"
#include "xen/xen.h"

static char *module_normalize(const char *m)
{
	char *s = strdup(m);

	for (char *p = s; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/* Commands that do nothing: the usual way to disable a module. */
static bool is_noop_command(const char *cmd)
{
	static const char *const noop[] = {
		"/bin/true", "/usr/bin/true", "true", "/bin/false", "/usr/bin/false",
		"false", "exit", ":", "/bin/echo", "echo",
	};
	char first[64];
	size_t n = strcspn(cmd, " \t;");

	if (n >= sizeof(first))
		return false;
	memcpy(first, cmd, n);
	first[n] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(noop); i++)
		if (streq(first, noop[i]))
			return true;
	return false;
}

static int push_block(struct nc_modprobe_block **v, size_t *n, const char *module,
		      const char *kind, const char *file, unsigned int line, const char *text)
{
	struct nc_modprobe_block *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	struct nc_modprobe_block *b;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	b = &nv[*n];
	b->module = module_normalize(module);
	b->kind = strdup(kind);
	b->file = strdup(file ? file : "");
	b->line = line;
	b->text = strdup(text);
	(*n)++;
	if (!b->module || !b->kind || !b->file || !b->text)
		return -ENOMEM;
	return 0;
}

int modprobe_parse(const char *text, const char *file, struct nc_modprobe_block **v,
		   size_t *n, struct nc_err *err)
{
	_cleanup_free_ char *buf = strdup(text);
	char *cur = buf, *s;
	unsigned int lineno = 0;

	if (!buf)
		return -ENOMEM;
	while ((s = line_next_content(&cur, &lineno))) {
		_cleanup_free_ char *joined = NULL, *raw = NULL;
		unsigned int first = lineno;
		char *cmd, *mod, *rest, *save = NULL;
		int r = 0;

		if (line_join_continued(s, &cur, &lineno, &joined) < 0)
			return -ENOMEM;
		raw = strdup(joined);
		if (!raw)
			return -ENOMEM;
		cmd = strtok_r(joined, " \t", &save);
		mod = strtok_r(NULL, " \t", &save);
		rest = save ? strstrip(save) : NULL;
		if (!cmd || !mod)
			continue;
		if (streq(cmd, "blacklist"))
			r = push_block(v, n, mod, "blacklist", file, first, raw);
		else if (streq(cmd, "install") && rest && is_noop_command(rest))
			r = push_block(v, n, mod, "install", file, first, raw);
		else if (streq(cmd, "alias") && rest && streq(rest, "off"))
			r = push_block(v, n, mod, "alias-off", file, first, raw);
		if (r < 0)
			return r;
	}
	return 0;
}
