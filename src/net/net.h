/* SPDX-License-Identifier: MIT */
/* Network configuration of the image and the predicted NIC name on Nitro. */
#ifndef NC_NET_H
#define NC_NET_H

#include <stdbool.h>
#include <stddef.h>

struct nc_net_facts {
	void *priv;
};

#endif
