/* SPDX-License-Identifier: MIT */
/*
 * The milestone tracker of a boot: what the machine and the guest's console
 * witnessed, when (seconds since the machine started), and the verdict.
 * Pure apart from its mutex: events come in with their time, so unit tests
 * replay a boot without KVM.
 */
#ifndef NC_BOOTCHECK_MILESTONES_H
#define NC_BOOTCHECK_MILESTONES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "vmm/bus.h"

struct net_watch;

enum boot_milestone {
	BOOT_MS_KERNEL_STARTED,         /* first console line or first exit */
	BOOT_MS_ROOT_MOUNTED,           /* "VFS: Mounted root" */
	BOOT_MS_INIT_STARTED,           /* "Run /init as init process" */
	BOOT_MS_NVME_ENABLED,
	BOOT_MS_NVME_IDENTIFIED,
	BOOT_MS_NVME_IO_QUEUES,
	BOOT_MS_NVME_FIRST_READ,
	BOOT_MS_ENA_RESET,
	BOOT_MS_ENA_PROBED,
	BOOT_MS_ENA_IO_QUEUES,
	BOOT_MS_ENA_LINK_UP,
	BOOT_MS_DHCP_DISCOVER,
	BOOT_MS_DHCP_REQUEST,
	BOOT_MS_DHCP_ACK,
	BOOT_MS_IMDS,
	BOOT_MS_LOGIN_PROMPT,           /* "login:" on the console */
	BOOT_MS_PANICKED,               /* "Kernel panic - not syncing" */
	BOOT_MS_POWERED_OFF,
	BOOT_MS_RESET,
	BOOT_MS_ERROR,                  /* the machine failed */
	BOOT_MS_TIMED_OUT,
	BOOT_MS_MULTI_USER,             /* "Reached target Multi-User" or login: */
	BOOT_MS__MAX,
};

/* "kernel-started", "init-started", ... */
const char *boot_milestone_name(enum boot_milestone m);
/* Human words: "kernel started". */
const char *boot_milestone_label(enum boot_milestone m);

/* The milestone a console line announces, or -1. */
int boot_console_milestone(const char *line);

#define BOOT_TAIL_MAX 100

struct boot_tracker {
	pthread_mutex_t lock;
	double at[BOOT_MS__MAX];        /* seconds; < 0: not reached */
	char detail[BOOT_MS__MAX][160];
	char *tail[BOOT_TAIL_MAX];      /* ring of the last console lines */
	unsigned int tail_next, tail_count, tail_keep;
	unsigned long console_lines;
	double last_console;            /* when the last console line came */
	bool finished;
	double end;                     /* when the run ended */
	/* Image boots (`boot IMAGE`): the goal is multi-user with the root
	 * file system on the NVMe disk, not a powered-off guest. */
	bool want_multi_user;
	char cause[200];                /* first console line naming a root failure */
};

/* keep: console lines to remember (<= BOOT_TAIL_MAX). */
void boot_tracker_init(struct boot_tracker *t, unsigned int keep);
void boot_tracker_free(struct boot_tracker *t);

/* Records an event at `when` seconds; thread-safe. The first occurrence of
 * a milestone counts. */
void boot_tracker_event(struct boot_tracker *t, double when, enum vmm_event ev,
			const char *detail);
/* Marks a milestone directly (timeouts, errors). */
void boot_tracker_mark(struct boot_tracker *t, double when, enum boot_milestone m,
		       const char *detail);
void boot_tracker_finish(struct boot_tracker *t, double when);

bool boot_tracker_reached(const struct boot_tracker *t, enum boot_milestone m);

enum boot_verdict {
	BOOT_VERDICT_PASS,              /* init reached, clean poweroff */
	BOOT_VERDICT_FAIL,
};

/* The verdict and one sentence saying why. */
enum boot_verdict boot_tracker_verdict(const struct boot_tracker *t, const char **ret_reason);

/* The milestones an image boot must pass, in order. */
extern const enum boot_milestone boot_image_chain[5];

/* The root-device failure a console line names ("Gave up waiting for root
 * file system device"), or NULL. */
const char *boot_console_root_cause(const char *line);

/* Image boots: the first milestone of boot_image_chain not reached (-1: all
 * were) and the likely cause in words (NULL when all were reached). */
int boot_tracker_failed_milestone(const struct boot_tracker *t, const char **ret_cause);

/* What the report says about the run besides milestones. */
struct boot_run_info {
	const char *kernel;
	const char *initrd;
	const char *cmdline;            /* the kernel command line used */
	double plan_s;                  /* IMAGE: seconds spent reading the image's
					 * /boot before the machine started; < 0: none */
	char *const *argv;              /* the nitrocheck invocation; may be NULL */
	unsigned int cpus;
	unsigned long long mem_mib;
	const char *instance_type;
	const char *uuid;
	const char *exit_reason;        /* vmm_exit_reason_name() */
	const char *exit_detail;
	unsigned long long exits;
	unsigned long long rss_kib, guest_rss_kib;     /* 0: unknown */
	unsigned long long anon_kib, guest_anon_kib;
	/* The ENA NIC's milestones, NULL without a NIC: reported in both
	 * kinds of boot; in image boots the network chain counts in the
	 * verdict (up to the lease; IMDS contact is reported, not required). */
	const struct net_watch *net;
};

/* What the reports say and the exit status is made of. */
struct boot_outcome {
	enum boot_verdict verdict;
	const char *reason;             /* one sentence */
	int failed;                     /* the milestone not reached, -1: none */
	char cause[512];                /* its likely cause; "" when failed < 0 */
};

/* The outcome of a run: for image boots the image chain, then (info->net)
 * the network chain; otherwise init started and a clean poweroff. */
void boot_run_outcome(const struct boot_tracker *t, const struct boot_run_info *info,
		      struct boot_outcome *ret);

#define BOOT_REPORT_SCHEMA_VERSION 1

/* JSON object of the run; NULL on allocation failure. */
json_t *boot_report_json(const struct boot_tracker *t, const struct boot_run_info *info);
int boot_report_text(FILE *out, const struct boot_tracker *t, const struct boot_run_info *info);

#endif
