/* SPDX-License-Identifier: MIT */
#include "bootcheck/bootcheck.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "bootcheck/net_milestones.h"
#include "common/util.h"

double bootcheck_elapsed(const struct bootcheck_run *run)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - run->start.tv_sec) +
	       (double)(now.tv_nsec - run->start.tv_nsec) / 1e9;
}

static bool net_chain_complete(const struct boot_tracker *t)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(net_chain); i++)
		if (t->at[net_chain[i]] < 0)
			return false;
	return true;
}

/* After multi-user: true once the network chain has made no progress for
 * net_settle_s (the guest will not bring its interface up any more). Lock
 * held. */
static bool net_settled(const struct bootcheck_run *run, double now)
{
	const struct boot_tracker *t = &run->tracker;
	double last = t->at[BOOT_MS_MULTI_USER];

	if (!run->net_settle_s || last < 0)
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(net_chain); i++)
		if (t->at[net_chain[i]] > last)
			last = t->at[net_chain[i]];
	return now - last > run->net_settle_s;
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
	/* An image boot is confirmed at multi-user, once the network chain is
	 * complete too (or, see net_settled, stopped making progress). */
	if (run->tracker.want_multi_user && run->vm &&
	    boot_tracker_reached(&run->tracker, BOOT_MS_MULTI_USER) &&
	    (!run->net_settle_s || net_chain_complete(&run->tracker)))
		vmm_request_stop(run->vm);
	/* The initramfs gave up and sits in its emergency shell. */
	if (run->tracker.want_multi_user && run->vm && ev == VMM_EV_CONSOLE_LINE && detail &&
	    (strstr(detail, "Dropping to a shell") || strstr(detail, "Entering emergency mode")))
		vmm_request_stop(run->vm);
	if (run->chain)
		run->chain(run->chain_opaque, ev, detail);
}

/* Stops the machine when the next milestone of boot_image_chain is late,
 * or when the network chain settled after multi-user. */
static void *stage_watcher(void *opaque)
{
	struct bootcheck_run *run = opaque;
	const struct timespec tick = { 0, 200 * 1000 * 1000 };

	for (;;) {
		struct boot_tracker *t = &run->tracker;
		double now = bootcheck_elapsed(run), since = 0;
		char why[160] = "";
		bool done, settled;

		pthread_mutex_lock(&t->lock);
		done = run->watch_done;
		settled = !done && net_settled(run, now);
		for (unsigned int i = 0; !done && run->stage_timeout_s &&
					 i < ARRAY_SIZE(boot_image_chain); i++) {
			enum boot_milestone m = boot_image_chain[i];

			if (t->at[m] >= 0) {
				since = t->at[m];
				continue;
			}
			/* A guest still printing is still booting, however slowly
			 * (a loaded host, nested KVM): the clock runs from its
			 * last sign of progress. */
			if (t->last_console > since)
				since = t->last_console;
			if (now - since > run->stage_timeout_s)
				snprintf(why, sizeof(why), "no %s within %u s of %s (%s at %.1f s)",
					 boot_milestone_label(m), run->stage_timeout_s,
					 "the last progress",
					 since == t->last_console ? "console output" :
					 i ? boot_milestone_label(boot_image_chain[i - 1]) :
					     "start", since);
			break;
		}
		pthread_mutex_unlock(&t->lock);
		if (done)
			return NULL;
		if (settled) {
			vmm_request_stop(run->vm);
			return NULL;
		}
		if (why[0]) {
			boot_tracker_mark(t, now, BOOT_MS_TIMED_OUT, why);
			vmm_request_stop(run->vm);
			return NULL;
		}
		nanosleep(&tick, NULL);
	}
}

static int run_machine(const struct vmm_config *cfg, unsigned int timeout_s, bool image,
		       unsigned int stage_timeout_s, unsigned int net_settle_s,
		       struct bootcheck_run *run, struct nc_err *err)
{
	struct vmm_config c = *cfg;
	struct vmm *vm = NULL;
	pthread_t watcher;
	bool watching = false;
	int rc;

	memset(run, 0, sizeof(*run));
	boot_tracker_init(&run->tracker, BOOT_TAIL_MAX);
	run->tracker.want_multi_user = image;
	run->stage_timeout_s = stage_timeout_s;
	run->net_settle_s = net_settle_s;
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
	if (image && (stage_timeout_s || net_settle_s))
		watching = pthread_create(&watcher, NULL, stage_watcher, run) == 0;
	rc = vmm_run(vm, timeout_s * 1000u, &run->result, err);
	if (watching) {
		pthread_mutex_lock(&run->tracker.lock);
		run->watch_done = true;
		pthread_mutex_unlock(&run->tracker.lock);
		pthread_join(watcher, NULL);
	}
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

int bootcheck_run(const struct vmm_config *cfg, unsigned int timeout_s, struct bootcheck_run *run,
		  struct nc_err *err)
{
	return run_machine(cfg, timeout_s, false, 0, 0, run, err);
}

int bootcheck_run_image(const struct vmm_config *cfg, unsigned int timeout_s,
			unsigned int stage_timeout_s, unsigned int net_settle_s,
			struct bootcheck_run *run, struct nc_err *err)
{
	return run_machine(cfg, timeout_s, true, stage_timeout_s, net_settle_s, run, err);
}

void bootcheck_run_free(struct bootcheck_run *run)
{
	boot_tracker_free(&run->tracker);
}
