/* SPDX-License-Identifier: MIT */
/*
 * The boot-confirmation driver: runs a machine (src/vmm/vmm.h) and feeds
 * what it witnesses to a milestone tracker, until the guest powers off,
 * resets, panics or the timeout passes.
 */
#ifndef NC_BOOTCHECK_BOOTCHECK_H
#define NC_BOOTCHECK_BOOTCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "bootcheck/milestones.h"
#include "vmm/vmm.h"

struct bootcheck_run {
	struct boot_tracker tracker;
	struct vmm_result result;
	struct vmm_mem_usage mem;               /* at the end of the run */
	char uuid[37];
	/* private */
	struct timespec start;
	struct vmm *vm;
	void (*chain)(void *opaque, enum vmm_event ev, const char *detail);
	void *chain_opaque;
	unsigned int stage_timeout_s;
	unsigned int net_settle_s;
	bool watch_done;                        /* under tracker.lock */
};

/* Boots cfg (its event callback, if any, still gets every event) with a
 * timeout in seconds (0: none). 0 when the machine ran (whatever the guest
 * did: see run->tracker), -errno with err when it could not run (-ENOENT,
 * -EACCES, -ENODEV: no usable /dev/kvm). Free run with bootcheck_run_free
 * in both cases. */
int bootcheck_run(const struct vmm_config *cfg, unsigned int timeout_s, struct bootcheck_run *run,
		  struct nc_err *err);
void bootcheck_run_free(struct bootcheck_run *run);

/* Like bootcheck_run for a disk image (cfg.attach_disk set): the goal is
 * boot_image_chain, and each milestone of the chain gets stage_timeout_s
 * after the one before (0: no such limit) before the run stops with
 * BOOT_MS_TIMED_OUT. The machine stops once multi-user is reached or the
 * initramfs drops to its emergency shell; with net_settle_s (a NIC is
 * attached), multi-user stops it only once the network chain is complete or
 * has made no progress for net_settle_s. */
int bootcheck_run_image(const struct vmm_config *cfg, unsigned int timeout_s,
			unsigned int stage_timeout_s, unsigned int net_settle_s,
			struct bootcheck_run *run, struct nc_err *err);

/* Seconds since the run started (CLOCK_MONOTONIC). */
double bootcheck_elapsed(const struct bootcheck_run *run);

#endif
