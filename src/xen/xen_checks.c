/* SPDX-License-Identifier: MIT */
#include "rules/rules.h"

const struct nc_check nc_xen_checks[] = {
	{ NULL },
};
