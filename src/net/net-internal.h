/* SPDX-License-Identifier: MIT */
/* Helpers shared by the network configuration parsers. */
#ifndef NC_NET_INTERNAL_H
#define NC_NET_INTERNAL_H

#include "net/net.h"

/* Append *c (ownership moves, *c is zeroed); on failure *c is cleared. */
int netcfg_push(struct nc_net_config **v, size_t *n, struct nc_net_config *c);
/* Lower-case copy of a MAC; NULL on allocation failure. */
char *mac_normalize(const char *mac);
/* Parse yes/no/true/false/1/0/on/off; def when unrecognised. */
bool parse_boolean(const char *s, bool def);
/* Strip one level of matching quotes in place. */
char *unquote(char *s);

#endif
