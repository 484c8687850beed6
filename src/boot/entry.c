/* SPDX-License-Identifier: MIT */
/* Shared pieces of the boot layer: freeing entries, key=value vectors. */
#include "boot/boot.h"
#include "boot/internal.h"

#include <errno.h>

#include "common/util.h"

void boot_entry_free(struct nc_boot_entry *e)
{
	if (!e)
		return;
	free(e->title);
	free(e->id);
	free(e->kernel);
	free(e->initrd);
	strv_free(e->initrds);
	free(e->cmdline);
	free(e->file);
	free(e->cmdline_raw);
	strv_free(e->title_path);
	strv_free(e->id_path);
	free(e->index_path);
	free(e->version);
	free(e->sort_key);
	free(e->machine_id);
	memset(e, 0, sizeof(*e));
}

void boot_entries_free(struct nc_boot_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		boot_entry_free(&v[i]);
	free(v);
}

void *vec_reserve(void *v, size_t n, size_t elem)
{
	size_t cap;

	if (n >= 4 && (n & (n - 1)) != 0)
		return v;
	if (n > 0 && n < 4)
		return v;
	cap = n ? n * 2 : 4;
	if (cap > SIZE_MAX / elem)
		return NULL;
	return realloc(v, cap * elem);
}

int boot_entry_start(struct nc_boot_entry *e, const char *file, unsigned int line,
		     const char *title, const char *id)
{
	e->line = line;
	e->file = file ? strdup(file) : NULL;
	e->title = title ? strdup(title) : NULL;
	e->id = id ? strdup(id) : NULL;
	if ((file && !e->file) || (title && !e->title) || (id && !e->id))
		return -ENOMEM;
	return 0;
}

int boot_entries_append(struct nc_boot_entry **v, size_t *n, struct nc_boot_entry *e)
{
	struct nc_boot_entry *nv = vec_reserve(*v, *n, sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[*n] = *e;
	memset(e, 0, sizeof(*e));
	*v = nv;
	(*n)++;
	return 0;
}

void boot_table_free(void *v, size_t n, size_t elem, void (*clear)(void *entry))
{
	for (size_t i = 0; i < n; i++)
		clear((char *)v + i * elem);
	free(v);
}

int boot_table_parse(const char *text, size_t elem,
		     int (*parse_line)(char *s, unsigned int line, void *entry),
		     void (*clear)(void *entry), void **ret_v, size_t *ret_n)
{
	_cleanup_free_ char *copy = text ? strdup(text) : NULL;
	_cleanup_free_ void *entry = calloc(1, elem);
	char *v = NULL, *cur = copy, *s;
	unsigned int line = 0;
	size_t n = 0;
	int r = 0;

	if (!text)
		return -EINVAL;
	if (!copy || !entry)
		return -ENOMEM;
	while ((s = line_next_content(&cur, &line))) {
		char *nv = NULL;

		memset(entry, 0, elem);
		r = parse_line(s, line, entry);
		if (r > 0) {
			nv = vec_reserve(v, n, elem);
			r = nv ? 1 : -ENOMEM;
		}
		if (r <= 0) {
			clear(entry);
			if (r < 0)
				break;
			continue;
		}
		v = nv;
		memcpy(v + n++ * elem, entry, elem);
	}
	if (r < 0) {
		boot_table_free(v, n, elem, clear);
		return r;
	}
	*ret_v = v;
	*ret_n = n;
	return 0;
}

const char *env_get(char *const *env, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
			return env[i] + kl + 1;
	return NULL;
}

int env_set(char ***env, const char *key, const char *value)
{
	size_t kl = strlen(key);
	char *s = strdup_printf("%s=%s", key, value);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; *env && (*env)[i]; i++)
		if (strncmp((*env)[i], key, kl) == 0 && (*env)[i][kl] == '=') {
			free((*env)[i]);
			(*env)[i] = s;
			return 0;
		}
	return strv_push(env, s);
}

void env_unset(char **env, const char *key)
{
	size_t kl = strlen(key), j = 0;

	for (size_t i = 0; env && env[i]; i++) {
		if (strncmp(env[i], key, kl) == 0 && env[i][kl] == '=')
			free(env[i]);
		else
			env[j++] = env[i];
	}
	if (env)
		env[j] = NULL;
}

char **strv_copy(char *const *v)
{
	size_t n = strv_length(v);
	char **c = calloc(n + 1, sizeof(char *));

	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(v[i]);
		if (!c[i]) {
			strv_free(c);
			return NULL;
		}
	}
	return c;
}

bool initrd_is_microcode(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strstr(base, "ucode") || strstr(base, "microcode");
}

int entry_add_initrd(struct nc_boot_entry *e, const char *path)
{
	int r = strv_extend(&e->initrds, path);

	if (r < 0)
		return r;
	if (!e->initrd && !initrd_is_microcode(path)) {
		e->initrd = strdup(path);
		if (!e->initrd)
			return -ENOMEM;
	}
	return 0;
}

int entry_add_initrds(struct nc_boot_entry *e, const char *list, const char *seps)
{
	_cleanup_free_ char *c = strdup(list);
	char *save = NULL;

	if (!c)
		return -ENOMEM;
	for (char *t = strtok_r(c, seps, &save); t; t = strtok_r(NULL, seps, &save)) {
		int r = entry_add_initrd(e, t);

		if (r < 0)
			return r;
	}
	return 0;
}

void kv_free(struct nc_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
		free(v[i].text);
	}
	free(v);
}

const struct nc_kv *kv_find(const struct nc_kv *v, size_t n, const char *key)
{
	const struct nc_kv *found = NULL;

	/* The shell keeps the last assignment. */
	for (size_t i = 0; i < n; i++)
		if (streq(v[i].key, key))
			found = &v[i];
	return found;
}

static bool sbuf_grow(struct sbuf *b, size_t add)
{
	size_t ncap;
	char *ns;

	if (b->oom)
		return false;
	if (b->len + add + 1 <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + add + 1)
		ncap *= 2;
	ns = realloc(b->s, ncap);
	if (!ns) {
		b->oom = true;
		return false;
	}
	b->s = ns;
	b->cap = ncap;
	return true;
}

void sbuf_putn(struct sbuf *b, const char *s, size_t n)
{
	if (!sbuf_grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sbuf_putc(struct sbuf *b, char c)
{
	sbuf_putn(b, &c, 1);
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_putn(b, s, strlen(s));
}

char *sbuf_take(struct sbuf *b)
{
	char *s;

	if (b->oom) {
		sbuf_reset(b);
		return NULL;
	}
	s = b->s ? b->s : strdup("");
	memset(b, 0, sizeof(*b));
	return s;
}

void sbuf_reset(struct sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}
