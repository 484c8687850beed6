/* SPDX-License-Identifier: MIT */
/*
 * A kernel .config (/boot/config-<v>), parsed from a text buffer.
 */
#ifndef NC_KERNEL_KCONFIG_H
#define NC_KERNEL_KCONFIG_H

#include <stddef.h>

struct kconfig;

/* -EINVAL for text that is not a kernel config (no CONFIG_ line at all,
 * a malformed assignment, an embedded NUL). */
int kconfig_parse(const char *text, size_t len, struct kconfig **ret);
void kconfig_free(struct kconfig *kc);

/*
 * The value of a symbol, with or without its "CONFIG_" prefix: "y", "m",
 * a number, or a string without its quotes. "n" for "# CONFIG_X is not
 * set"; NULL when the config does not mention it.
 */
const char *kconfig_get(const struct kconfig *kc, const char *symbol);

/* 'y', 'm' or 'n' (unset, absent, or a non-tristate value). */
char kconfig_tristate(const struct kconfig *kc, const char *symbol);

#endif
