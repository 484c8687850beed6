/* SPDX-License-Identifier: MIT */
/* Helpers shared by the files of src/boot/ only. */
#ifndef NC_BOOT_INTERNAL_H
#define NC_BOOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "boot/boot.h"

/*
 * Make room for element n of a vector grown by doubling: capacity is the
 * next power of two, so it is not stored. Returns the (moved) vector or NULL.
 */
void *vec_reserve(void *v, size_t n, size_t elem);
/* Start the zeroed entry e of file (may be NULL) at line, with a title
 * and/or an id (NULL: none). */
int boot_entry_start(struct nc_boot_entry *e, const char *file, unsigned int line,
		     const char *title, const char *id);
/* Moves *e into the vector (e is zeroed). */
int boot_entries_append(struct nc_boot_entry **v, size_t *n, struct nc_boot_entry *e);
/*
 * The entries of a table file (fstab, crypttab), elem bytes each: every line
 * with content (line_next_content()) goes to parse_line, which fills the
 * zeroed *entry and returns 1 to keep it, 0 to skip the line, or -errno;
 * clear frees what an entry holds. On failure *ret_v and *ret_n are left
 * alone and every entry is cleared.
 */
int boot_table_parse(const char *text, size_t elem,
		     int (*parse_line)(char *s, unsigned int line, void *entry),
		     void (*clear)(void *entry), void **ret_v, size_t *ret_n);
/* Clear the n entries of such a table and free it. */
void boot_table_free(void *v, size_t n, size_t elem, void (*clear)(void *entry));
int env_set(char ***env, const char *key, const char *value);
void env_unset(char **env, const char *key);
char **strv_copy(char *const *v);
/* Early microcode images come first on dracut/Arch entries. */
bool initrd_is_microcode(const char *path);
/* Append to e->initrds and pick e->initrd. */
int entry_add_initrd(struct nc_boot_entry *e, const char *path);
/* entry_add_initrd() for each path of a list separated by any of seps. */
int entry_add_initrds(struct nc_boot_entry *e, const char *list, const char *seps);

/* A growable string buffer. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

void sbuf_putc(struct sbuf *b, char c);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_putn(struct sbuf *b, const char *s, size_t n);
/* Returns the string (never NULL unless out of memory) and resets b. */
char *sbuf_take(struct sbuf *b);
void sbuf_reset(struct sbuf *b);

#endif
