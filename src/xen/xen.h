/* SPDX-License-Identifier: MIT */
/* Xen-only dependencies: PV-only kernels, Xen services, EC2-through-Xen probes. */
#ifndef NC_XEN_H
#define NC_XEN_H

#include <stdbool.h>
#include <stddef.h>

struct nc_xen_facts {
	void *priv;
};

#endif
