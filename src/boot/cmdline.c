/* SPDX-License-Identifier: MIT */
/* Kernel command line split as the kernel's next_arg() does it. */
#include "boot/boot.h"
#include "boot/internal.h"

#include <ctype.h>
#include <errno.h>

#include "common/util.h"

static int push_param(struct nc_cmdline *c, const char *word, size_t len)
{
	struct nc_cmdline_param *nv, p = {};
	bool quoted = false, in_quote = false;
	size_t equals = 0, i = 0;
	const char *s = word;

	p.text = strndup(word, len);
	if (!p.text)
		return -ENOMEM;
	if (*s == '"') {
		s++;
		len--;
		quoted = in_quote = true;
	}
	for (i = 0; i < len; i++) {
		if (!equals && s[i] == '=')
			equals = i;
		if (s[i] == '"')
			in_quote = !in_quote;
	}
	/* A leading '"' closed at the end is not part of the word. */
	if (quoted && len > 0 && s[len - 1] == '"')
		len--;
	if (!equals) {
		p.key = strndup(s, len);
	} else {
		const char *v = s + equals + 1;
		size_t vl = len - equals - 1;

		p.key = strndup(s, equals);
		if (vl > 0 && *v == '"') {
			v++;
			vl--;
			if (vl > 0 && v[vl - 1] == '"' && !quoted)
				vl--;
		}
		p.value = strndup(v, vl);
	}
	nv = vec_reserve(c->v, c->n, sizeof(*nv));
	if (!p.key || (equals && !p.value) || !nv) {
		free(p.text);
		free(p.key);
		free(p.value);
		if (nv)
			c->v = nv;
		return -ENOMEM;
	}
	c->v = nv;
	c->v[c->n++] = p;
	return 0;
}

int cmdline_parse(const char *s, struct nc_cmdline *ret)
{
	if (!s || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	for (;;) {
		const char *w;
		bool in_quote = false;
		int r;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s)
			return 0;
		w = s;
		while (*s && (in_quote || !isspace((unsigned char)*s))) {
			if (*s == '"')
				in_quote = !in_quote;
			s++;
		}
		/* "--" hands the rest to init. */
		if (s - w == 2 && w[0] == '-' && w[1] == '-')
			return 0;
		r = push_param(ret, w, (size_t)(s - w));
		if (r < 0) {
			cmdline_free(ret);
			return r;
		}
	}
}

void cmdline_free(struct nc_cmdline *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
		free(c->v[i].text);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

bool cmdline_key_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

const struct nc_cmdline_param *cmdline_find(const struct nc_cmdline *c, const char *key)
{
	const struct nc_cmdline_param *found = NULL;

	for (size_t i = 0; c && i < c->n; i++)
		if (cmdline_key_eq(c->v[i].key, key))
			found = &c->v[i];
	return found;
}

char **cmdline_get_all(const struct nc_cmdline *c, const char *key)
{
	char **v = calloc(1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0; c && i < c->n; i++)
		if (cmdline_key_eq(c->v[i].key, key) && c->v[i].value &&
		    strv_extend(&v, c->v[i].value) < 0) {
			strv_free(v);
			return NULL;
		}
	return v;
}

size_t cmdline_count_prefix(const struct nc_cmdline *c, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);

	for (size_t i = 0; c && i < c->n; i++) {
		const char *k = c->v[i].key;
		size_t j;

		for (j = 0; j < pl && k[j]; j++) {
			char x = k[j] == '-' ? '_' : k[j], y = prefix[j] == '-' ? '_' : prefix[j];

			if (x != y)
				break;
		}
		if (j == pl)
			n++;
	}
	return n;
}
