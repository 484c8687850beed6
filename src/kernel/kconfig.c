/* SPDX-License-Identifier: MIT */
#include "kernel/kconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/util.h"

struct kconfig_sym {
	char *name;      /* "CONFIG_BLK_DEV_NVME" */
	char *value;
};

struct kconfig {
	struct kconfig_sym *syms;  /* sorted by name */
	size_t n;
};

void kconfig_free(struct kconfig *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->n; i++) {
		free(kc->syms[i].name);
		free(kc->syms[i].value);
	}
	free(kc->syms);
	free(kc);
}

static bool symbol_valid(const char *s, size_t n)
{
	if (n <= strlen("CONFIG_") || strncmp(s, "CONFIG_", 7) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* "\"a \\\"b\\\"\"" -> "a \"b\""; -EINVAL when the closing quote is missing. */
static int unquote(const char *s, char **ret)
{
	_cleanup_free_ char *out = malloc(strlen(s) + 1);
	char *o = out;

	if (!out)
		return -ENOMEM;
	for (s++; *s != '"'; s++) {
		if (!*s)
			return -EINVAL;
		if (*s == '\\' && s[1])
			s++;
		*o++ = *s;
	}
	if (*strstrip((char *)s + 1))
		return -EINVAL;
	*o = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static int sym_add(struct kconfig *kc, size_t *cap, const char *name, size_t nlen, char *value)
{
	struct kconfig_sym sym = { .name = strndup(name, nlen), .value = value };

	if (!sym.name || !value)
		goto nomem;
	if (kc->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct kconfig_sym *ns = realloc(kc->syms, ncap * sizeof(*ns));

		if (!ns)
			goto nomem;
		kc->syms = ns;
		*cap = ncap;
	}
	kc->syms[kc->n++] = sym;
	return 0;
nomem:
	free(sym.name);
	free(value);
	return -ENOMEM;
}

static int cmp_sym(const void *a, const void *b)
{
	return strcmp(((const struct kconfig_sym *)a)->name,
		      ((const struct kconfig_sym *)b)->name);
}

static int kconfig_parse_line(struct kconfig *kc, size_t *cap, char *line)
{
	const char *unset;
	char *eq, *value;
	int r;

	line = strstrip(line);
	if (!*line)
		return 0;
	if (*line == '#') {
		/* "# CONFIG_FOO is not set" */
		char *sym = strstrip(line + 1);
		size_t n = strcspn(sym, " \t");

		unset = sym + n;
		if (!symbol_valid(sym, n) || !streq(strstrip((char *)unset), "is not set"))
			return 0;
		return sym_add(kc, cap, sym, n, strdup("n"));
	}
	eq = strchr(line, '=');
	if (!eq || !symbol_valid(line, (size_t)(eq - line)))
		return -EINVAL;
	value = strstrip(eq + 1);
	if (*value == '"') {
		char *s;

		r = unquote(value, &s);
		if (r < 0)
			return r;
		return sym_add(kc, cap, line, (size_t)(eq - line), s);
	}
	return sym_add(kc, cap, line, (size_t)(eq - line), strdup(value));
}

int kconfig_parse(const char *text, size_t len, struct kconfig **ret)
{
	_cleanup_free_ char *buf = NULL;
	struct kconfig *kc;
	char *cursor, *line;
	size_t cap = 0;
	int r = 0;

	if (len && memchr(text, '\0', len))
		return -EINVAL;
	buf = strndup(len ? text : "", len);
	kc = calloc(1, sizeof(*kc));
	if (!buf || !kc) {
		free(kc);
		return -ENOMEM;
	}
	cursor = buf;
	while (r >= 0 && (line = line_next(&cursor)))
		r = kconfig_parse_line(kc, &cap, line);
	if (r >= 0 && kc->n == 0)
		r = -EINVAL;
	if (r < 0) {
		kconfig_free(kc);
		return r;
	}
	qsort(kc->syms, kc->n, sizeof(*kc->syms), cmp_sym);
	*ret = kc;
	return 0;
}

const char *kconfig_get(const struct kconfig *kc, const char *symbol)
{
	_cleanup_free_ char *name = NULL;
	struct kconfig_sym key, *s;

	if (!kc)
		return NULL;
	name = startswith(symbol, "CONFIG_") ? strdup(symbol) : strdup_printf("CONFIG_%s", symbol);
	if (!name)
		return NULL;
	key.name = name;
	s = bsearch(&key, kc->syms, kc->n, sizeof(*kc->syms), cmp_sym);
	return s ? s->value : NULL;
}

char kconfig_tristate(const struct kconfig *kc, const char *symbol)
{
	const char *v = kconfig_get(kc, symbol);

	if (v && (streq(v, "y") || streq(v, "m")))
		return v[0];
	return 'n';
}
