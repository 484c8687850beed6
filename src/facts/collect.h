/* SPDX-License-Identifier: MIT */
#ifndef NC_FACTS_COLLECT_H
#define NC_FACTS_COLLECT_H

#include "common/util.h"
#include "facts/facts.h"

/*
 * Run every analyzer over f->snap (already set up, from an image or --root)
 * and fill f. specs are the required drivers (from the rules). Problems of
 * the image become facts; only failures of the tool itself (memory, an
 * unreadable snapshot) are errors.
 */
int nc_facts_collect(struct nc_facts *f, const struct nc_driver_spec *specs, size_t n_specs,
		     struct nc_err *err);

#endif
