/* SPDX-License-Identifier: MIT */
#ifndef NC_FACTS_OSINFO_H
#define NC_FACTS_OSINFO_H

#include "facts/facts.h"

/* Parse os-release(5) text (shell-like KEY=value, quotes, escapes). */
int os_release_parse(const char *text, struct nc_os_info *ret);
/* /etc/os-release, else /usr/lib/os-release, else the legacy release files. */
int os_info_collect(const struct nc_snapshot *snap, struct nc_os_info *ret);
enum nc_os_family os_family_from_ids(const char *id, const char *id_like);
void os_info_free(struct nc_os_info *os);

#endif
