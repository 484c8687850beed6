/* SPDX-License-Identifier: MIT */
/*
 * A frame port between a NIC model and what lies behind it (libslirp, or a
 * fake in tests). The NIC sends Ethernet frames with net_backend_send(); the
 * backend hands received frames to the callback the NIC attached. The
 * callback may run on the backend's own thread.
 */
#ifndef NC_VMM_NET_BACKEND_H
#define NC_VMM_NET_BACKEND_H

#include <stddef.h>

struct net_backend;

typedef void (*net_backend_rx_fn)(void *opaque, const void *frame, size_t len);

struct net_backend_ops {
	/* 0 or -errno; must not call back into the NIC (it may hold its lock). */
	int (*send)(struct net_backend *nb, const void *frame, size_t len);
	/* rx NULL detaches. */
	void (*attach)(struct net_backend *nb, net_backend_rx_fn rx, void *opaque);
};

/* Embedded as the first member of each backend. */
struct net_backend {
	const struct net_backend_ops *ops;
};

static inline int net_backend_send(struct net_backend *nb, const void *frame, size_t len)
{
	return nb->ops->send(nb, frame, len);
}

static inline void net_backend_attach(struct net_backend *nb, net_backend_rx_fn rx,
				      void *opaque)
{
	nb->ops->attach(nb, rx, opaque);
}

#endif
