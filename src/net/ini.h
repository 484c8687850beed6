/* SPDX-License-Identifier: MIT */
/* A reader for the ini dialects of systemd units and NetworkManager keyfiles. */
#ifndef NC_NET_INI_H
#define NC_NET_INI_H

/*
 * Calls fn for each "key=value" in text, with the current section (""
 * before the first). Comments start with '#' or ';'; a trailing backslash
 * continues a value on the next line. A non-zero return from fn stops the
 * walk and is returned. raw is the trimmed line as written.
 */
typedef int (*ini_fn)(void *ud, const char *section, const char *key, const char *value,
		      unsigned int line, const char *raw);

int ini_parse(const char *text, ini_fn fn, void *ud);

#endif
