/* SPDX-License-Identifier: MIT */
#include "net/ini.h"

#include <errno.h>

#include "common/util.h"

int ini_parse(const char *text, ini_fn fn, void *ud)
{
	_cleanup_free_ char *buf = strdup(text);
	_cleanup_free_ char *section = strdup("");
	char *cur = buf, *l;
	unsigned int lineno = 0;

	if (!buf || !section)
		return -ENOMEM;
	while ((l = line_next(&cur))) {
		_cleanup_free_ char *joined = NULL;
		unsigned int first = ++lineno;
		char *s = strstrip(l), *eq, *key, *val;
		int r;

		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end)
				continue;
			free(section);
			section = strndup(s + 1, (size_t)(end - s - 1));
			if (!section)
				return -ENOMEM;
			continue;
		}
		/* systemd: a backslash at the end joins the next line. */
		if (line_join_continued(s, &cur, &lineno, &joined) < 0)
			return -ENOMEM;
		eq = strchr(joined, '=');
		if (!eq)
			continue;
		*eq = '\0';
		key = strstrip(joined);
		val = strstrip(eq + 1);
		r = fn(ud, section, key, val, first, s);
		if (r)
			return r;
	}
	return 0;
}
