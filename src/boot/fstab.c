/* SPDX-License-Identifier: MIT */
/* /etc/fstab and /etc/crypttab: whitespace-separated fields, octal escapes. */
#include "boot/boot.h"
#include "boot/internal.h"

#include <ctype.h>
#include <errno.h>

#include "common/util.h"

char *fstab_unescape(const char *s)
{
	struct sbuf b = {};

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			char c = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));

			/* A NUL would cut the string short: keep the escape. */
			if (c)
				sbuf_putc(&b, c);
			else
				sbuf_putn(&b, s, 4);
			s += 4;
		} else {
			sbuf_putc(&b, *s++);
		}
	}
	return sbuf_take(&b);
}

bool fstab_has_opt(char *const *opts, const char *name, const char **ret_value)
{
	size_t nl = strlen(name);

	for (size_t i = 0; opts && opts[i]; i++)
		if (strncmp(opts[i], name, nl) == 0 && (opts[i][nl] == '\0' || opts[i][nl] == '=')) {
			if (ret_value)
				*ret_value = opts[i][nl] == '=' ? opts[i] + nl + 1 : NULL;
			return true;
		}
	return false;
}

static int split_opts(const char *s, char ***ret)
{
	_cleanup_free_ char *c = strdup(s);
	char **v = calloc(1, sizeof(char *));
	char *save = NULL;

	if (!c || !v) {
		free(v);
		return -ENOMEM;
	}
	for (char *t = strtok_r(c, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int r = strv_extend(&v, t);

		if (r < 0) {
			strv_free(v);
			return r;
		}
	}
	*ret = v;
	return 0;
}

/* Split a line into at most max fields (unescaped); returns the count. */
static int split_fields(char *l, char **f, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(l, " \t", &save); t && n < max; t = strtok_r(NULL, " \t", &save)) {
		f[n] = fstab_unescape(t);
		if (!f[n]) {
			while (n > 0)
				free(f[--n]);
			return -ENOMEM;
		}
		n++;
	}
	return n;
}

static void free_fields(char **f, int n)
{
	for (int i = 0; i < n; i++)
		free(f[i]);
}

static void entry_clear(void *entry)
{
	struct nc_fstab_entry *e = entry;

	free(e->spec);
	free(e->file);
	free(e->vfstype);
	free(e->options);
	strv_free(e->opts);
	free(e->text);
}

static int parse_line(char *s, unsigned int line, void *entry)
{
	struct nc_fstab_entry *e = entry;
	char *f[6];
	int n;

	e->text = strdup(s);
	if (!e->text)
		return -ENOMEM;
	n = split_fields(s, f, 6);
	if (n < 0)
		return n;
	if (n < 2) {
		/* Not a mount: libmount rejects it too. */
		free_fields(f, n);
		return 0;
	}
	e->spec = f[0];
	e->file = f[1];
	e->vfstype = n > 2 ? f[2] : strdup("auto");
	e->options = n > 3 ? f[3] : strdup("defaults");
	e->freq = n > 4 ? atoi(f[4]) : 0;
	e->passno = n > 5 ? atoi(f[5]) : 0;
	if (n > 4)
		free_fields(f + 4, n - 4);
	e->line = line;
	if (!e->vfstype || !e->options || split_opts(e->options, &e->opts) < 0)
		return -ENOMEM;
	return 1;
}

int fstab_parse(const char *text, struct nc_fstab *ret)
{
	void *v = NULL;
	size_t n = 0;
	int r;

	if (!ret)
		return -EINVAL;
	r = boot_table_parse(text, sizeof(*ret->v), parse_line, entry_clear, &v, &n);
	*ret = (struct nc_fstab){ .v = v, .n = n };
	return r;
}

void fstab_free(struct nc_fstab *f)
{
	if (!f)
		return;
	boot_table_free(f->v, f->n, sizeof(*f->v), entry_clear);
	memset(f, 0, sizeof(*f));
}
