/* SPDX-License-Identifier: MIT */
#include "bootcheck/bootcheck.h"

#include <errno.h>
#include <string.h>
#include <time.h>

double bootcheck_elapsed(const struct bootcheck_run *run)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - run->start.tv_sec) +
	       (double)(now.tv_nsec - run->start.tv_nsec) / 1e9;
}

static void on_event(void *opaque, enum vmm_event ev, const char *detail)
{
	struct bootcheck_run *run = opaque;
	double when = bootcheck_elapsed(run);

	boot_tracker_event(&run->tracker, when, ev, detail);
	/* A panicked kernel may hang (panic=0): no need to wait for it. */
	if (ev == VMM_EV_CONSOLE_LINE && detail &&
	    boot_console_milestone(detail) == BOOT_MS_PANICKED && run->vm)
		vmm_request_stop(run->vm);
	if (run->chain)
		run->chain(run->chain_opaque, ev, detail);
}

int bootcheck_run(const struct vmm_config *cfg, unsigned int timeout_s, struct bootcheck_run *run,
		  struct nc_err *err)
{
	struct vmm_config c = *cfg;
	struct vmm *vm = NULL;
	int rc;

	memset(run, 0, sizeof(*run));
	boot_tracker_init(&run->tracker, BOOT_TAIL_MAX);
	clock_gettime(CLOCK_MONOTONIC, &run->start);
	run->chain = cfg->event;
	run->chain_opaque = cfg->event_opaque;
	c.event = on_event;
	c.event_opaque = run;

	rc = vmm_create(&c, &vm, err);
	if (rc < 0)
		return rc;
	snprintf(run->uuid, sizeof(run->uuid), "%s", vmm_uuid(vm));
	run->vm = vm;
	/* The clock starts when the guest is about to run. */
	clock_gettime(CLOCK_MONOTONIC, &run->start);
	rc = vmm_run(vm, timeout_s * 1000u, &run->result, err);
	if (rc == 0) {
		double end = bootcheck_elapsed(run);

		if (run->result.reason == VMM_EXIT_TIMEOUT)
			boot_tracker_mark(&run->tracker, end, BOOT_MS_TIMED_OUT,
					  run->result.detail);
		else if (run->result.reason == VMM_EXIT_ERROR)
			boot_tracker_mark(&run->tracker, end, BOOT_MS_ERROR, run->result.detail);
		boot_tracker_finish(&run->tracker, end);
		vmm_memory_usage(vm, &run->mem);
	}
	run->vm = NULL;
	vmm_destroy(vm);
	return rc;
}

void bootcheck_run_free(struct bootcheck_run *run)
{
	boot_tracker_free(&run->tracker);
}
