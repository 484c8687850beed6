/* SPDX-License-Identifier: MIT */
/*
 * The network milestones of a boot with the ENA NIC attached: ENA probed ->
 * interface up (the driver created its IO queues, which it does when the
 * interface is opened) -> DHCP request seen -> lease acknowledged -> IMDS
 * contacted. Their times come from the boot tracker; this adds what the
 * tracker does not keep: every IMDS path asked for, and the console lines
 * that explain a failure ("ena: probe of ... failed", "ens5: renamed from
 * eth0"). Pure apart from its mutex: unit tests replay events.
 */
#ifndef NC_BOOTCHECK_NET_MILESTONES_H
#define NC_BOOTCHECK_NET_MILESTONES_H

#include <pthread.h>
#include <stdio.h>

#include <jansson.h>

#include "bootcheck/milestones.h"

#define NET_IMDS_PATHS_MAX 64

struct net_watch {
	pthread_mutex_t lock;
	char *imds_paths[NET_IMDS_PATHS_MAX];   /* "GET /latest/meta-data/..." in order, unique */
	unsigned int n_imds_paths;
	unsigned long imds_requests;
	char probe_failed[200];         /* console line: the ena driver failed to probe */
	char renamed[200];              /* console line: the ena interface was renamed */
	char ifname[32];                /* the name the kernel gave it last, "" unknown */
	char ifname_old[32];            /* the name before, "" unknown */
};

/* The chain, in order. */
extern const enum boot_milestone net_chain[5];
/* "interface up" etc.: the words for a milestone of net_chain. */
const char *net_milestone_label(enum boot_milestone m);

void net_watch_init(struct net_watch *w);
void net_watch_free(struct net_watch *w);
/* Thread-safe; call with every machine event. */
void net_watch_event(struct net_watch *w, enum vmm_event ev, const char *detail);

/* The first milestone of net_chain not reached in t (-1: all were), with
 * the likely cause in words in cause[size]. */
int net_failed_milestone(const struct boot_tracker *t, const struct net_watch *w, char *cause,
			 size_t size);

/* {"milestones": [{"name", "label", "reached", "at"}...], "imds_paths": [],
 * "interface": ..., "failed_milestone": ..., "cause": ...}; NULL on ENOMEM. */
json_t *net_report_json(const struct boot_tracker *t, const struct net_watch *w);
int net_report_text(FILE *out, const struct boot_tracker *t, const struct net_watch *w);

#endif
