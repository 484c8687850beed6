/* SPDX-License-Identifier: MIT */
/*
 * The guest's network: libslirp in restricted mode (the guest reaches
 * nothing on the host or beyond, only what we serve), laid out like a
 * default VPC: 172.31.0.0/16, router 172.31.0.1, DNS 172.31.0.2, the guest
 * leased 172.31.16.5 by DHCP, and the instance metadata service at
 * 169.254.169.254:80.
 *
 * IMDS: libslirp only forwards addresses inside its own network, so TCP to
 * 169.254.169.254:80 is rewritten on the way in to 172.31.0.254:80, a
 * slirp_add_unix() forward whose Unix socket our IMDS server listens on, and
 * the replies' source back to 169.254.169.254 (IP and TCP checksums fixed
 * incrementally). ARP for 169.254.169.254 (guests with a link-local route)
 * is answered here. libslirp thus terminates TCP itself, per connection;
 * we never write a TCP stack.
 *
 * Threads: one poll thread owns the Slirp instance. Frames from the NIC are
 * queued and the thread woken (net_backend_send never blocks on slirp);
 * frames to the NIC are handed to the attached callback from that thread.
 */
#ifndef NC_VMM_NET_SLIRP_H
#define NC_VMM_NET_SLIRP_H

#include "vmm/bus.h"
#include "vmm/net/backend.h"
#include "vmm/net/frame.h"
#include "vmm/net/imds.h"

#define NET_SLIRP_NETWORK    FRAME_IPV4(172, 31, 0, 0)
#define NET_SLIRP_NETMASK    FRAME_IPV4(255, 255, 0, 0)
#define NET_SLIRP_GATEWAY    FRAME_IPV4(172, 31, 0, 1)
#define NET_SLIRP_DNS        FRAME_IPV4(172, 31, 0, 2)
#define NET_SLIRP_GUEST      FRAME_IPV4(172, 31, 16, 5)
#define NET_SLIRP_IMDS_PROXY FRAME_IPV4(172, 31, 0, 254)
#define NET_SLIRP_IMDS       FRAME_IPV4(169, 254, 169, 254)
#define NET_SLIRP_BENCH      FRAME_IPV4(172, 31, 0, 100)

struct net_slirp_config {
	const struct imds_config *imds; /* NULL: no metadata service */
	const char *domain;             /* DHCP domain; NULL: ec2.internal */
	const char *runtime_dir;        /* for the IMDS socket dir; NULL: $TMPDIR or /tmp */
	/*
	 * Benchmarking only (bench/ena_throughput.sh), NULL normally:
	 * "PORT=COMMAND[;PORT=COMMAND...]". A guest TCP connection to
	 * NET_SLIRP_BENCH:PORT runs COMMAND on the host (libslirp's
	 * slirp_add_exec: argv split as by a shell, no shell run) with the
	 * connection as its stdin, stdout and stderr, as QEMU's
	 * guestfwd=tcp:ADDR:PORT-cmd:COMMAND does (through a TCP socket pair
	 * on 127.0.0.1: the host's loopback must be up). It opens exactly
	 * these ports; the network stays restricted otherwise.
	 */
	const char *bench_exec;
};

struct net_slirp;

/* host: events (DHCP, IMDS); host->mem is not used. -EINVAL: a malformed
 * cfg->bench_exec. */
int net_slirp_create(const struct net_slirp_config *cfg, const struct dev_host *host,
		     struct net_slirp **ret);
struct net_backend *net_slirp_backend(struct net_slirp *ns);
/* Start the poll thread (after the NIC attached). */
int net_slirp_start(struct net_slirp *ns);
void net_slirp_destroy(struct net_slirp *ns);

#endif
