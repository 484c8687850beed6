/* SPDX-License-Identifier: MIT */
/*
 * udev rules, as far as device naming goes: the match keys that bind a
 * rule to a NIC (ATTR{address}, KERNEL, DRIVERS) and the assignments that
 * name things (NAME, SYMLINK, PROGRAM). One rule per logical line.
 */
#include <ctype.h>
#include <errno.h>

#include "common/util.h"
#include "net/net-internal.h"

void nc_udev_rule_clear(struct nc_udev_rule *r)
{
	free(r->text);
	free(r->subsystem);
	free(r->kernel);
	free(r->driver);
	free(r->mac);
	free(r->name);
	strv_free(r->symlinks);
	free(r->program);
	memset(r, 0, sizeof(*r));
}

/* Replace *slot with a copy of v (the last assignment wins, as in udev). */
static int set_str(char **slot, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

/*
 * Read one KEY[{attr}] OP "value" token at *p. Returns 1 with the parts
 * filled, 0 at the end of the line, -EINVAL on a malformed token.
 */
static int next_token(char **p, char **key, char **attr, char **op, char **value)
{
	char *s = *p, *e;

	while (*s && (isspace((unsigned char)*s) || *s == ','))
		s++;
	if (!*s)
		return 0;
	*key = s;
	while (*s && (isalnum((unsigned char)*s) || *s == '_'))
		s++;
	*attr = NULL;
	if (*s == '{') {
		*s++ = '\0';
		*attr = s;
		e = strchr(s, '}');
		if (!e)
			return -EINVAL;
		*e = '\0';
		s = e + 1;
	}
	/* udev allows blanks around the operator: SYMLINK += "x". */
	e = s;
	while (isspace((unsigned char)*s))
		s++;
	/* Terminate the key before the operator, which we copy out. */
	static const char *const ops[] = { "==", "!=", "+=", "-=", ":=", "=" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (startswith(s, ops[i]))
			break;
	if (i == ARRAY_SIZE(ops) || e == *key)
		return -EINVAL;
	*op = (char *)ops[i];
	*e = '\0';  /* ends the key; the operator was identified above */
	s += strlen(ops[i]);
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '"')
		return -EINVAL;
	*value = ++s;
	for (e = s; *e && *e != '"'; e++)
		if (*e == '\\' && e[1])
			e++;
	if (*e != '"')
		return -EINVAL;
	*e = '\0';
	*p = e + 1;
	return 1;
}

static int rule_parse(char *s, struct nc_udev_rule *r)
{
	char *key, *attr, *op, *value;
	int k;

	while ((k = next_token(&s, &key, &attr, &op, &value)) > 0) {
		bool match = streq(op, "==");
		int ret = 0;

		if ((match || streq(op, "!=")) && !streq(key, "SUBSYSTEM") &&
		    !streq(key, "ACTION") && !streq(key, "KERNEL") && !streq(key, "DRIVERS") &&
		    !streq(key, "DRIVER") && !(streq(key, "NAME") && !*value) &&
		    !((streq(key, "ATTR") || streq(key, "ATTRS")) && attr &&
		      (streq(attr, "address") || streq(attr, "type") || streq(attr, "dev_id"))))
			r->match_other = true;
		if (streq(key, "SUBSYSTEM") && match)
			ret = set_str(&r->subsystem, value);
		else if (streq(key, "KERNEL") && match)
			ret = set_str(&r->kernel, value);
		else if ((streq(key, "DRIVERS") || streq(key, "DRIVER")) && match)
			ret = set_str(&r->driver, value);
		else if ((streq(key, "ATTR") || streq(key, "ATTRS")) && attr &&
			 streq(attr, "address") && match) {
			free(r->mac);
			r->mac = mac_normalize(value);
			ret = r->mac ? 0 : -ENOMEM;
		} else if (streq(key, "NAME") && !match && !streq(op, "!=")) {
			ret = set_str(&r->name, value);
		} else if (streq(key, "SYMLINK") && !match && !streq(op, "!=")) {
			_cleanup_free_ char *words = strdup(value);
			char *save = NULL;

			if (!words)
				return -ENOMEM;
			if (!streq(op, "+=")) {
				strv_free(r->symlinks);
				r->symlinks = NULL;
			}
			for (char *w = strtok_r(words, " \t", &save); w;
			     w = strtok_r(NULL, " \t", &save))
				if ((ret = strv_extend(&r->symlinks, w)) < 0)
					break;
		} else if ((streq(key, "PROGRAM") ||
			    (streq(key, "IMPORT") && attr && streq(attr, "program"))) &&
			   (streq(op, "=") || match)) {
			ret = set_str(&r->program, value);
		}
		if (ret < 0)
			return ret;
	}
	return k;
}

int udev_rules_parse(const char *text, struct nc_udev_rule **rules, size_t *n,
		     struct nc_err *err)
{
	_cleanup_free_ char *buf = strdup(text);
	char *cur = buf, *s;
	unsigned int lineno = 0;
	int bad = 0;

	if (!buf)
		return -ENOMEM;
	while ((s = line_next_content(&cur, &lineno))) {
		_cleanup_free_ char *joined = NULL;
		struct nc_udev_rule r = { .line = lineno };
		struct nc_udev_rule *nv;
		int k;

		if (line_join_continued(s, &cur, &lineno, &joined) < 0)
			return -ENOMEM;
		r.text = strdup(joined);
		if (!r.text)
			return -ENOMEM;
		k = rule_parse(joined, &r);
		if (k == -ENOMEM) {
			nc_udev_rule_clear(&r);
			return k;
		}
		if (k < 0) {
			/* udev skips a bad rule too; remember the first for the caller. */
			if (!bad)
				nc_err_set(err, -EINVAL, "line %u: malformed rule", r.line);
			bad++;
			nc_udev_rule_clear(&r);
			continue;
		}
		nv = realloc(*rules, (*n + 1) * sizeof(*nv));
		if (!nv) {
			nc_udev_rule_clear(&r);
			return -ENOMEM;
		}
		*rules = nv;
		(*rules)[(*n)++] = r;
	}
	return bad;
}
