/* SPDX-License-Identifier: MIT */
/*
 * GRUB 2: grub.cfg, grubenv and /etc/default/grub.
 *
 * grub.cfg is a script. We run a small subset of it: variable assignments,
 * `if` with the test forms the generators emit (so `set default` picks the
 * right branch for next_entry/saved_entry and RHEL's kernelopts fallback
 * applies only when grubenv has none), load_env, menuentry, submenu and
 * blscfg. Everything else is skipped. Conditions we cannot judge (file
 * tests, other commands) count as true.
 */
#include "boot/boot.h"
#include "boot/internal.h"

#include <ctype.h>
#include <errno.h>

#include "common/util.h"

enum term {
	T_EOF,
	T_NL,     /* newline or ';' */
	T_LBRACE,
	T_RBRACE,
};

struct word {
	char *text;    /* expanded */
	char *raw;     /* as written */
	bool quoted;
};

struct cmd {
	struct word *w;
	size_t n;
	enum term term;
	unsigned int line;
};

struct lexer {
	const char *p;
	unsigned int line;
};

struct ifframe {
	bool active;     /* this branch runs */
	bool taken;      /* some branch already ran */
	bool parent;     /* enclosing code runs */
};

struct level {
	size_t count;            /* items so far at this menu level */
};

struct parser {
	struct lexer lx;
	char **env;
	char *const *grubenv;
	const char *file;
	struct nc_grub_cfg *out;
	struct ifframe *ifs;
	size_t n_ifs;
	/* Menu nesting: titles, ids and indices of the open submenus. */
	char **titles;
	char **ids;
	size_t *indices;
	size_t depth;
	size_t top_count;
	int err;
};

static void cmd_clear(struct cmd *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->w[i].text);
		free(c->w[i].raw);
	}
	free(c->w);
	memset(c, 0, sizeof(*c));
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Expand a variable reference at *pp (after '$'); appends to b. */
static void expand_var(const char **pp, char *const *env, struct sbuf *b)
{
	const char *p = *pp;
	char name[128];
	size_t n = 0;

	if (*p == '{') {
		const char *e = strchr(p + 1, '}');

		if (!e) {
			sbuf_putc(b, '$');
			return;
		}
		n = (size_t)(e - p - 1);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p + 1, n);
		name[n] = '\0';
		*pp = e + 1;
	} else if (is_name_char(*p) || *p == '?' || *p == '#' || *p == '@' || *p == '*') {
		if (is_name_char(*p)) {
			while (is_name_char(p[n]) && n < sizeof(name) - 1) {
				name[n] = p[n];
				n++;
			}
		} else {
			name[n] = p[n];
			n++;
		}
		name[n] = '\0';
		*pp = p + n;
	} else {
		sbuf_putc(b, '$');
		return;
	}
	const char *v = env_get(env, name);
	if (v)
		sbuf_puts(b, v);
}

char *grub_expand_vars(const char *s, char *const *env)
{
	struct sbuf b = {};

	while (*s) {
		if (*s == '$') {
			s++;
			expand_var(&s, env, &b);
		} else {
			sbuf_putc(&b, *s++);
		}
	}
	return sbuf_take(&b);
}

/* Read one word at lx->p (not at a separator). */
static int lex_word(struct lexer *lx, char *const *env, struct word *ret)
{
	struct sbuf b = {};
	const char *start = lx->p, *p = lx->p;
	bool quoted = false;

	while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != ';' && *p != '\r') {
		if (*p == '\'') {
			const char *e = strchr(p + 1, '\'');

			quoted = true;
			if (!e)
				e = p + strlen(p);
			for (const char *q = p + 1; q < e; q++)
				if (*q == '\n')
					lx->line++;
			sbuf_putn(&b, p + 1, (size_t)(e - p - 1));
			p = *e ? e + 1 : e;
		} else if (*p == '"') {
			quoted = true;
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '$')) {
					sbuf_putc(&b, p[1]);
					p += 2;
				} else if (*p == '\\' && p[1] == '\n') {
					lx->line++;
					p += 2;
				} else if (*p == '$') {
					p++;
					expand_var(&p, env, &b);
				} else {
					if (*p == '\n')
						lx->line++;
					sbuf_putc(&b, *p++);
				}
			}
			if (*p == '"')
				p++;
		} else if (*p == '\\') {
			if (p[1] == '\n') {
				lx->line++;
				p += 2;
			} else if (p[1]) {
				sbuf_putc(&b, p[1]);
				p += 2;
			} else {
				p++;
			}
		} else if (*p == '$') {
			p++;
			expand_var(&p, env, &b);
		} else {
			sbuf_putc(&b, *p++);
		}
	}
	lx->p = p;
	ret->quoted = quoted;
	ret->text = sbuf_take(&b);
	ret->raw = strndup(start, (size_t)(p - start));
	if (!ret->text || !ret->raw) {
		free(ret->text);
		free(ret->raw);
		return -ENOMEM;
	}
	return 0;
}

/* Read words up to a separator. */
static int lex_cmd(struct lexer *lx, char *const *env, struct cmd *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (;;) {
		const char *p = lx->p;

		while (*p == ' ' || *p == '\t' || *p == '\r' ||
		       (*p == '\\' && p[1] == '\n')) {
			if (*p == '\\') {
				lx->line++;
				p++;
			}
			p++;
		}
		lx->p = p;
		if (!ret->line)
			ret->line = lx->line;
		if (!*p) {
			ret->term = T_EOF;
			return 0;
		}
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			lx->p = p;
			continue;
		}
		if (*p == '\n' || *p == ';') {
			if (*p == '\n')
				lx->line++;
			lx->p = p + 1;
			ret->term = T_NL;
			return 0;
		}
		if ((*p == '{' || *p == '}') &&
		    (!p[1] || strchr(" \t\r\n;", p[1]))) {
			lx->p = p + 1;
			ret->term = *p == '{' ? T_LBRACE : T_RBRACE;
			return 0;
		}

		struct word w;
		int r = lex_word(lx, env, &w);
		struct word *nw;

		if (r < 0)
			return r;
		/* An unquoted expansion to nothing is no word at all. */
		if (!w.quoted && !*w.text && *w.raw) {
			free(w.text);
			free(w.raw);
			continue;
		}
		nw = vec_reserve(ret->w, ret->n, sizeof(*nw));
		if (!nw) {
			free(w.text);
			free(w.raw);
			return -ENOMEM;
		}
		ret->w = nw;
		ret->w[ret->n++] = w;
	}
}

static bool cur_active(const struct parser *ps)
{
	return ps->n_ifs == 0 || ps->ifs[ps->n_ifs - 1].active;
}

/* Evaluate `[ ... ]` / `test ...` the way the generated configs use them. */
static bool eval_test(char **a, size_t n)
{
	if (n == 0)
		return false;
	if (n == 1)
		return a[0][0] != '\0';
	if (n == 2) {
		if (streq(a[0], "-z"))
			return a[1][0] == '\0';
		if (streq(a[0], "-n"))
			return a[1][0] != '\0';
		if (streq(a[0], "!"))
			return !eval_test(a + 1, 1);
		/* -f, -s, -e, -d: we cannot see the boot partition; assume yes. */
		return true;
	}
	if (n == 3) {
		if (streq(a[1], "=") || streq(a[1], "=="))
			return streq(a[0], a[2]);
		if (streq(a[1], "!="))
			return !streq(a[0], a[2]);
		long x = strtol(a[0], NULL, 10), y = strtol(a[2], NULL, 10);

		if (streq(a[1], "-eq"))
			return x == y;
		if (streq(a[1], "-ne"))
			return x != y;
		if (streq(a[1], "-lt"))
			return x < y;
		if (streq(a[1], "-gt"))
			return x > y;
		if (streq(a[1], "-le"))
			return x <= y;
		if (streq(a[1], "-ge"))
			return x >= y;
		return true;
	}
	if (streq(a[0], "!"))
		return !eval_test(a + 1, n - 1);
	return true;
}

static bool eval_cond(const struct cmd *c, size_t from)
{
	char *a[16];
	size_t n = 0;
	bool neg = false;

	if (from < c->n && streq(c->w[from].text, "!")) {
		neg = true;
		from++;
	}
	if (from >= c->n)
		return !neg;
	if (streq(c->w[from].text, "[") || streq(c->w[from].text, "test")) {
		bool bracket = streq(c->w[from].text, "[");

		for (size_t i = from + 1; i < c->n && n < ARRAY_SIZE(a); i++) {
			if (bracket && i == c->n - 1 && streq(c->w[i].text, "]"))
				break;
			a[n++] = c->w[i].text;
		}
		return eval_test(a, n) != neg;
	}
	/* Any other command (keystatus, search, loadfont...): assume success. */
	return !neg;
}

static int push_if(struct parser *ps, bool cond)
{
	bool parent = cur_active(ps);
	struct ifframe *n = realloc(ps->ifs, (ps->n_ifs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	ps->ifs = n;
	ps->ifs[ps->n_ifs].parent = parent;
	ps->ifs[ps->n_ifs].active = parent && cond;
	ps->ifs[ps->n_ifs].taken = cond;
	ps->n_ifs++;
	return 0;
}

static bool is_assignment(const struct word *w, size_t *ret_eq)
{
	const char *eq = strchr(w->text, '=');
	const char *raw_eq = strchr(w->raw, '=');

	if (!eq || eq == w->text || !raw_eq)
		return false;
	for (const char *p = w->raw; p < raw_eq; p++)
		if (!is_name_char(*p))
			return false;
	*ret_eq = (size_t)(eq - w->text);
	return true;
}

/* The value of `name=value` as written, quotes removed: "${saved_entry}". */
static char *raw_value(const char *raw)
{
	const char *v = strchr(raw, '=');
	struct sbuf b = {};

	for (v = v ? v + 1 : raw; *v; v++)
		if (*v != '"' && *v != '\'')
			sbuf_putc(&b, *v);
	return sbuf_take(&b);
}

static int do_assign(struct parser *ps, const struct word *w, size_t eq, unsigned int line)
{
	_cleanup_free_ char *key = strndup(w->text, eq);
	int r;

	if (!key)
		return -ENOMEM;
	r = env_set(&ps->env, key, w->text + eq + 1);
	if (r < 0)
		return r;
	if (ps->depth == 0 && streq(key, "default")) {
		free(ps->out->default_raw);
		free(ps->out->default_value);
		ps->out->default_raw = raw_value(w->raw);
		ps->out->default_value = strdup(w->text + eq + 1);
		ps->out->default_line = line;
		if (!ps->out->default_raw || !ps->out->default_value)
			return -ENOMEM;
	}
	if (ps->depth == 0 && streq(key, "root")) {
		free(ps->out->root);
		ps->out->root = strdup(w->text + eq + 1);
		if (!ps->out->root)
			return -ENOMEM;
	}
	return 0;
}

static int do_load_env(struct parser *ps, const struct cmd *c)
{
	size_t first_var = c->n;
	int r;

	for (size_t i = 1; i < c->n; i++) {
		const char *a = c->w[i].text;

		if (streq(a, "-f") || streq(a, "--file")) {
			i++;
			continue;
		}
		if (a[0] == '-')
			continue;
		first_var = i;
		break;
	}
	for (size_t i = 0; ps->grubenv && ps->grubenv[i]; i++) {
		const char *kv = ps->grubenv[i], *eq = strchr(kv, '=');
		_cleanup_free_ char *key = NULL;
		bool wanted = first_var == c->n;

		if (!eq)
			continue;
		key = strndup(kv, (size_t)(eq - kv));
		if (!key)
			return -ENOMEM;
		for (size_t j = first_var; j < c->n; j++)
			if (streq(c->w[j].text, key))
				wanted = true;
		if (!wanted)
			continue;
		r = env_set(&ps->env, key, eq + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Skip a { ... } body we do not run (function bodies). */
static int skip_block(struct parser *ps)
{
	int nest = 1;

	while (nest > 0) {
		struct cmd c;
		int r = lex_cmd(&ps->lx, NULL, &c);

		if (r < 0)
			return r;
		if (c.term == T_LBRACE)
			nest++;
		else if (c.term == T_RBRACE)
			nest--;
		else if (c.term == T_EOF)
			nest = 0;
		cmd_clear(&c);
	}
	return 0;
}

struct menu_args {
	const char *title;
	const char *id;
};

static void parse_menu_args(const struct cmd *c, struct menu_args *ret)
{
	bool opts = true;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 1; i < c->n; i++) {
		const char *a = c->w[i].text;

		if (opts && !c->w[i].quoted && a[0] == '-' && a[1] == '-') {
			if (streq(a, "--")) {
				opts = false;
			} else if (streq(a, "--id")) {
				if (i + 1 < c->n)
					ret->id = c->w[++i].text;
			} else if (startswith(a, "--id=")) {
				ret->id = a + 5;
			} else if (streq(a, "--class") || streq(a, "--users") ||
				   streq(a, "--hotkey")) {
				i++;
			}
			continue;
		}
		if (!ret->title)
			ret->title = a;
	}
}

static int run_block(struct parser *ps, struct nc_boot_entry *entry, size_t *counter);

static int entry_cmd(struct parser *ps, struct nc_boot_entry *e, const struct cmd *c,
		     bool *multiboot)
{
	const char *name = c->w[0].text;
	int r;

	if (streq(name, "multiboot") || streq(name, "multiboot2")) {
		*multiboot = true;
		return 0;
	}
	if (streq(name, "linux") || streq(name, "linuxefi") || streq(name, "linux16") ||
	    (*multiboot && !e->kernel && (streq(name, "module") || streq(name, "module2")))) {
		struct sbuf b = {}, raw = {};
		size_t i = 1;

		while (i < c->n && startswith(c->w[i].text, "--"))
			i++;
		if (i >= c->n)
			return 0;
		free(e->kernel);
		e->kernel = strdup(c->w[i].text);
		if (!e->kernel)
			return -ENOMEM;
		e->kernel_line = c->line;
		for (i++; i < c->n; i++) {
			if (b.len)
				sbuf_putc(&b, ' ');
			sbuf_puts(&b, c->w[i].text);
			if (raw.len)
				sbuf_putc(&raw, ' ');
			sbuf_puts(&raw, c->w[i].raw);
		}
		free(e->cmdline);
		free(e->cmdline_raw);
		e->cmdline = sbuf_take(&b);
		e->cmdline_raw = sbuf_take(&raw);
		if (!e->cmdline || !e->cmdline_raw)
			return -ENOMEM;
		return 0;
	}
	if (streq(name, "initrd") || streq(name, "initrdefi") || streq(name, "initrd16") ||
	    (*multiboot && (streq(name, "module") || streq(name, "module2")))) {
		for (size_t i = 1; i < c->n; i++) {
			if (startswith(c->w[i].text, "--"))
				continue;
			r = entry_add_initrd(e, c->w[i].text);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static char *index_path_of(const struct parser *ps, size_t own)
{
	struct sbuf b = {};
	char num[32];

	for (size_t i = 0; i < ps->depth; i++) {
		snprintf(num, sizeof(num), "%zu>", ps->indices[i]);
		sbuf_puts(&b, num);
	}
	snprintf(num, sizeof(num), "%zu", own);
	sbuf_puts(&b, num);
	return sbuf_take(&b);
}

static char *join_path(char **v, size_t n, const char *last)
{
	struct sbuf b = {};

	for (size_t i = 0; i < n; i++) {
		sbuf_puts(&b, v[i]);
		sbuf_putc(&b, '>');
	}
	sbuf_puts(&b, last);
	return sbuf_take(&b);
}

static int do_menuentry(struct parser *ps, const struct cmd *c, size_t *counter)
{
	struct menu_args a;
	struct nc_boot_entry e = {};
	_cleanup_strv_free_ char **saved_env = NULL;
	int r;

	parse_menu_args(c, &a);
	if (!a.title)
		a.title = "";
	e.title = join_path(ps->titles, ps->depth, a.title);
	e.id = a.id ? join_path(ps->ids, ps->depth, a.id) : NULL;
	e.file = ps->file ? strdup(ps->file) : NULL;
	e.index_path = index_path_of(ps, *counter);
	e.line = c->line;
	if (!e.title || (a.id && !e.id) || (ps->file && !e.file) || !e.index_path) {
		boot_entry_free(&e);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ps->depth; i++) {
		if (strv_extend(&e.title_path, ps->titles[i]) < 0 ||
		    strv_extend(&e.id_path, ps->ids[i]) < 0) {
			boot_entry_free(&e);
			return -ENOMEM;
		}
	}
	if (strv_extend(&e.title_path, a.title) < 0 ||
	    strv_extend(&e.id_path, a.id ? a.id : "") < 0) {
		boot_entry_free(&e);
		return -ENOMEM;
	}
	(*counter)++;

	/* The body runs in its own scope at boot time. */
	saved_env = strv_copy(ps->env);
	if (!saved_env && ps->env) {
		boot_entry_free(&e);
		return -ENOMEM;
	}
	ps->depth++;
	r = run_block(ps, &e, NULL);
	ps->depth--;
	strv_free(ps->env);
	ps->env = TAKE_PTR(saved_env);
	if (r < 0) {
		boot_entry_free(&e);
		return r;
	}
	return boot_entries_append(&ps->out->entries, &ps->out->n_entries, &e);
}

static int do_submenu(struct parser *ps, const struct cmd *c, size_t *counter)
{
	struct menu_args a;
	_cleanup_strv_free_ char **saved_env = NULL;
	size_t count = 0, *ni;
	char **nt, **nd;
	int r;

	parse_menu_args(c, &a);
	nt = realloc(ps->titles, (ps->depth + 1) * sizeof(char *));
	if (!nt)
		return -ENOMEM;
	ps->titles = nt;
	nd = realloc(ps->ids, (ps->depth + 1) * sizeof(char *));
	if (!nd)
		return -ENOMEM;
	ps->ids = nd;
	ni = realloc(ps->indices, (ps->depth + 1) * sizeof(size_t));
	if (!ni)
		return -ENOMEM;
	ps->indices = ni;
	ps->titles[ps->depth] = strdup(a.title ? a.title : "");
	ps->ids[ps->depth] = strdup(a.id ? a.id : "");
	ps->indices[ps->depth] = *counter;
	if (!ps->titles[ps->depth] || !ps->ids[ps->depth]) {
		free(ps->titles[ps->depth]);
		free(ps->ids[ps->depth]);
		return -ENOMEM;
	}
	(*counter)++;
	saved_env = strv_copy(ps->env);
	if (!saved_env && ps->env)
		return -ENOMEM;
	ps->depth++;
	r = run_block(ps, NULL, &count);
	ps->depth--;
	free(ps->titles[ps->depth]);
	free(ps->ids[ps->depth]);
	strv_free(ps->env);
	ps->env = TAKE_PTR(saved_env);
	return r;
}

static void cmd_shift(struct cmd *c)
{
	if (c->n == 0)
		return;
	free(c->w[0].text);
	free(c->w[0].raw);
	memmove(c->w, c->w + 1, (c->n - 1) * sizeof(*c->w));
	c->n--;
}

/* Keywords that steer the if-stack; returns true when c is consumed. */
static int do_keywords(struct parser *ps, struct cmd *c, bool *ret_consumed)
{
	*ret_consumed = false;
	for (;;) {
		const char *k;

		if (c->n == 0 || c->w[0].quoted) {
			*ret_consumed = c->n == 0;
			return 0;
		}
		k = c->w[0].text;
		if (streq(k, "if")) {
			*ret_consumed = true;
			return push_if(ps, eval_cond(c, 1));
		}
		if (streq(k, "for") || streq(k, "while") || streq(k, "until")) {
			/* Loops are not needed to find entries: skip the body. */
			*ret_consumed = true;
			return push_if(ps, false);
		}
		if (streq(k, "elif") && ps->n_ifs) {
			struct ifframe *f = &ps->ifs[ps->n_ifs - 1];
			bool cond = !f->taken && eval_cond(c, 1);

			f->active = f->parent && cond;
			f->taken = f->taken || cond;
			*ret_consumed = true;
			return 0;
		}
		if (streq(k, "else") && ps->n_ifs) {
			struct ifframe *f = &ps->ifs[ps->n_ifs - 1];

			f->active = f->parent && !f->taken;
			f->taken = true;
			cmd_shift(c);
			continue;
		}
		if ((streq(k, "fi") || streq(k, "done")) && ps->n_ifs) {
			ps->n_ifs--;
			cmd_shift(c);
			continue;
		}
		if (streq(k, "then") || streq(k, "do")) {
			cmd_shift(c);
			continue;
		}
		return 0;
	}
}

static int run_cmd(struct parser *ps, struct cmd *c, struct nc_boot_entry *entry,
		   size_t *counter, bool *multiboot)
{
	const char *name = c->w[0].text;
	size_t eq;
	int r;

	if (streq(name, "function")) {
		return c->term == T_LBRACE ? skip_block(ps) : 0;
	}
	if (!cur_active(ps))
		return c->term == T_LBRACE ? skip_block(ps) : 0;
	if (streq(name, "menuentry") && c->term == T_LBRACE) {
		if (!counter)
			return skip_block(ps);
		return do_menuentry(ps, c, counter);
	}
	if (streq(name, "submenu") && c->term == T_LBRACE) {
		if (!counter)
			return skip_block(ps);
		return do_submenu(ps, c, counter);
	}
	if (c->term == T_LBRACE) {
		r = skip_block(ps);
		if (r < 0)
			return r;
	}
	if (entry) {
		r = entry_cmd(ps, entry, c, multiboot);
		if (r < 0)
			return r;
	}
	if (streq(name, "set")) {
		for (size_t i = 1; i < c->n; i++)
			if (is_assignment(&c->w[i], &eq)) {
				r = do_assign(ps, &c->w[i], eq, c->line);
				if (r < 0)
					return r;
			}
		return 0;
	}
	if (is_assignment(&c->w[0], &eq))
		return do_assign(ps, &c->w[0], eq, c->line);
	if (streq(name, "unset")) {
		for (size_t i = 1; i < c->n; i++)
			env_unset(ps->env, c->w[i].text);
		return 0;
	}
	if (streq(name, "load_env"))
		return do_load_env(ps, c);
	if (streq(name, "blscfg") && ps->depth == 0 && !ps->out->blscfg) {
		ps->out->blscfg = true;
		ps->out->blscfg_pos = counter ? *counter : 0;
		ps->out->blscfg_entry = ps->out->n_entries;
		return 0;
	}
	if (streq(name, "configfile") || streq(name, "source") || streq(name, "normal"))
		ps->out->configfile = true;
	return 0;
}

static int run_block(struct parser *ps, struct nc_boot_entry *entry, size_t *counter)
{
	bool multiboot = false;

	for (;;) {
		struct cmd c;
		bool consumed;
		int r = lex_cmd(&ps->lx, ps->env, &c);

		if (r < 0)
			return r;
		r = do_keywords(ps, &c, &consumed);
		if (r >= 0 && !consumed)
			r = run_cmd(ps, &c, entry, counter, &multiboot);
		else if (r >= 0 && c.n == 0 && c.term == T_LBRACE)
			r = skip_block(ps);
		if (r < 0) {
			cmd_clear(&c);
			return r;
		}
		if (c.term == T_EOF || (c.term == T_RBRACE && (entry || ps->depth > 0))) {
			cmd_clear(&c);
			return 0;
		}
		cmd_clear(&c);
	}
}

/* Variables GRUB itself defines before running grub.cfg. */
static const char *const grub_builtin_vars[] = {
	"feature_menuentry_id=y",
	"feature_platform_search_hint=y",
	"feature_default_font_path=y",
	"feature_all_video_module=y",
	"feature_timeout_style=y",
	"feature_chainloader_bpb=y",
	"feature_ntldr=y",
	"grub_cpu=x86_64",
};

int grub_cfg_parse(const char *text, const char *file, char *const *env,
		   struct nc_grub_cfg *ret)
{
	struct parser ps = {};
	int r;

	if (!text || !ret)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ps.lx.p = text;
	ps.lx.line = 1;
	ps.grubenv = env;
	ps.file = file;
	ps.out = ret;
	for (size_t i = 0; i < ARRAY_SIZE(grub_builtin_vars); i++) {
		r = strv_extend(&ps.env, grub_builtin_vars[i]);
		if (r < 0)
			goto out;
	}
	r = run_block(&ps, NULL, &ps.top_count);
	if (r >= 0) {
		/* Only what the config itself set (and loaded) is of interest. */
		for (size_t i = 0; i < ARRAY_SIZE(grub_builtin_vars); i++) {
			_cleanup_free_ char *k = strndup(grub_builtin_vars[i],
				strchr(grub_builtin_vars[i], '=') - grub_builtin_vars[i]);

			if (k)
				env_unset(ps.env, k);
		}
		ret->vars = TAKE_PTR(ps.env);
		r = 0;
	}
out:
	strv_free(ps.env);
	free(ps.ifs);
	for (size_t i = 0; i < ps.depth && ps.titles; i++) {
		free(ps.titles[i]);
		free(ps.ids[i]);
	}
	free(ps.titles);
	free(ps.ids);
	free(ps.indices);
	if (r < 0)
		grub_cfg_free(ret);
	return r;
}

void grub_cfg_free(struct nc_grub_cfg *c)
{
	if (!c)
		return;
	boot_entries_free(c->entries, c->n_entries);
	free(c->default_raw);
	free(c->default_value);
	free(c->root);
	strv_free(c->vars);
	memset(c, 0, sizeof(*c));
}

/*
 * Compare one '>'-separated component of spec with name, '>>' standing for
 * a literal '>'. Returns the rest of spec after the component (past its
 * separator, or at the NUL) when equal, NULL otherwise.
 */
static const char *component_eq(const char *name, const char *spec)
{
	for (;;) {
		if (*spec == '>' && spec[1] != '>')
			return *name ? NULL : spec + 1;
		if (*spec == '\0')
			return *name ? NULL : spec;
		if (*spec == '>')
			spec++;
		if (*name != *spec)
			return NULL;
		name++;
		spec++;
	}
}

/* Entries at `level` below the item path prefix[0..level). */
static bool prefix_matches(const struct nc_boot_entry *e, const unsigned long *prefix,
			   size_t level)
{
	const char *p = e->index_path;

	for (size_t i = 0; i < level; i++) {
		char *end;
		unsigned long v;

		if (!p || !isdigit((unsigned char)*p))
			return false;
		v = strtoul(p, &end, 10);
		if (v != prefix[i] || (*end != '>' && *end != '\0'))
			return false;
		p = *end ? end + 1 : NULL;
	}
	return true;
}

static bool index_at(const struct nc_boot_entry *e, size_t level, unsigned long *ret)
{
	const char *p = e->index_path;

	for (size_t i = 0; p && i < level; i++) {
		p = strchr(p, '>');
		if (p)
			p++;
	}
	if (!p || !isdigit((unsigned char)*p))
		return false;
	*ret = strtoul(p, NULL, 10);
	return true;
}

int grub_default_resolve(const struct nc_boot_entry *entries, size_t n, const char *value)
{
	unsigned long prefix[32];
	const char *spec = value;

	if (!value)
		return -1;
	for (size_t level = 0; level < ARRAY_SIZE(prefix); level++) {
		const char *rest = NULL;
		bool found = false;

		char *end = NULL;
		unsigned long num = isdigit((unsigned char)*spec) ? strtoul(spec, &end, 10) : 0;

		/* A number alone (or before '>') is an index; "8d5e...-4.18" is an id. */
		if (end && (*end == '\0' || *end == '>')) {
			prefix[level] = num;
			rest = *end ? end + 1 : end;
			found = true;
		} else {
			for (size_t i = 0; i < n && !found; i++) {
				const struct nc_boot_entry *e = &entries[i];
				size_t depth = strv_length(e->title_path);

				if (level >= depth || !prefix_matches(e, prefix, level))
					continue;
				rest = component_eq(e->title_path[level], spec);
				if (!rest && e->id_path && level < strv_length(e->id_path) &&
				    e->id_path[level][0])
					rest = component_eq(e->id_path[level], spec);
				if (rest && index_at(e, level, &prefix[level]))
					found = true;
			}
		}
		if (!found)
			return -1;
		/* Find the item: an entry at this depth, else a submenu (where
		 * first_inside is the first entry below it). */
		int item = -1, first_inside = -1;

		for (size_t i = 0; i < n && item < 0; i++) {
			size_t depth = strv_length(entries[i].title_path);

			if (depth <= level || !prefix_matches(&entries[i], prefix, level + 1))
				continue;
			if (depth == level + 1)
				item = (int)i;
			else if (first_inside < 0)
				first_inside = (int)i;
		}
		if (item >= 0 || first_inside < 0)
			return item;
		/* A submenu chosen without a path inside: its first entry. */
		if (!*rest)
			return first_inside;
		spec = rest;
	}
	return -1;
}

/* ---- grubenv ------------------------------------------------------------ */

int grubenv_parse(const char *text, size_t size, char ***ret_env)
{
	_cleanup_strv_free_ char **env = NULL;
	const char *p = text, *end = text + size;

	if (!text || !ret_env)
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));

		if (*p != '#' && eq && eq > p && !memchr(p, '\0', (size_t)(le - p))) {
			struct sbuf b = {};
			int r;

			/* save_env escapes '\\' and '\n' with a backslash. */
			sbuf_putn(&b, p, (size_t)(eq - p + 1));
			for (const char *q = eq + 1; q < le; q++) {
				if (*q == '\\' && q + 1 < le)
					q++;
				sbuf_putc(&b, *q);
			}
			r = strv_push(&env, sbuf_take(&b));
			if (r < 0)
				return r;
		}
		p = le + 1;
	}
	if (!env) {
		env = calloc(1, sizeof(char *));
		if (!env)
			return -ENOMEM;
	}
	*ret_env = TAKE_PTR(env);
	return 0;
}

/* ---- /etc/default/grub ---------------------------------------------------- */

/* Unquote a shell word at *pp (stops at unquoted space, ';', '#', NL). */
static char *shell_word(const char **pp, unsigned int *line)
{
	struct sbuf b = {};
	const char *p = *pp;

	while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != ';') {
		if (*p == '\'') {
			p++;
			while (*p && *p != '\'') {
				if (*p == '\n')
					(*line)++;
				sbuf_putc(&b, *p++);
			}
			if (*p)
				p++;
		} else if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
					if (p[1] == '\n')
						(*line)++;
					else
						sbuf_putc(&b, p[1]);
					p += 2;
					continue;
				}
				if (*p == '\n')
					(*line)++;
				sbuf_putc(&b, *p++);
			}
			if (*p)
				p++;
		} else if (*p == '\\' && p[1]) {
			if (p[1] == '\n')
				(*line)++;
			else
				sbuf_putc(&b, p[1]);
			p += 2;
		} else {
			sbuf_putc(&b, *p++);
		}
	}
	*pp = p;
	return sbuf_take(&b);
}

int default_grub_parse(const char *text, struct nc_kv **ret, size_t *ret_n)
{
	struct nc_kv *v = NULL;
	size_t n = 0;
	unsigned int line = 1;
	const char *p = text;

	if (!text || !ret || !ret_n)
		return -EINVAL;
	while (*p) {
		const char *ls = p, *name;
		unsigned int start_line = line;
		size_t nl;

		while (*p == ' ' || *p == '\t')
			p++;
		if (startswith(p, "export ") || startswith(p, "export\t"))
			p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		name = p;
		while (is_name_char(*p))
			p++;
		nl = (size_t)(p - name);
		if (nl && *p == '=' && !isdigit((unsigned char)*name)) {
			struct nc_kv *nv;
			const char *vs = ++p;
			char *value = shell_word(&p, &line);
			const char *le = strchr(p, '\n');

			(void)vs;
			nv = realloc(v, (n + 1) * sizeof(*v));
			if (!value || !nv) {
				free(value);
				if (nv)
					v = nv;
				kv_free(v, n);
				return -ENOMEM;
			}
			v = nv;
			v[n].key = strndup(name, nl);
			v[n].value = value;
			v[n].line = start_line;
			v[n].text = strndup(ls, le ? (size_t)(le - ls) : strlen(ls));
			if (!v[n].key || !v[n].text) {
				kv_free(v, n + 1);
				return -ENOMEM;
			}
			n++;
		}
		/* Rest of the line (comments, other commands) is ignored. */
		while (*p && *p != '\n')
			p++;
		if (*p == '\n') {
			p++;
			line++;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
