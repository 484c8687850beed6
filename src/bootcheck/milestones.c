/* SPDX-License-Identifier: MIT */
#include "bootcheck/milestones.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootcheck/net_milestones.h"
#include "common/util.h"

static const struct {
	const char *name;
	const char *label;
} milestone_names[BOOT_MS__MAX] = {
	[BOOT_MS_KERNEL_STARTED] = { "kernel-started", "kernel started" },
	[BOOT_MS_ROOT_MOUNTED] = { "root-mounted", "root file system mounted" },
	[BOOT_MS_INIT_STARTED] = { "init-started", "init started" },
	[BOOT_MS_NVME_ENABLED] = { "nvme-enabled", "NVMe controller enabled" },
	[BOOT_MS_NVME_IDENTIFIED] = { "nvme-identified", "NVMe identified" },
	[BOOT_MS_NVME_IO_QUEUES] = { "nvme-io-queues", "NVMe I/O queues created" },
	[BOOT_MS_NVME_FIRST_READ] = { "nvme-first-read", "first NVMe read" },
	[BOOT_MS_ENA_RESET] = { "ena-reset", "ENA reset" },
	[BOOT_MS_ENA_PROBED] = { "ena-probed", "ENA probed" },
	[BOOT_MS_ENA_IO_QUEUES] = { "ena-io-queues", "ENA I/O queues created" },
	[BOOT_MS_ENA_LINK_UP] = { "ena-link-up", "ENA link up" },
	[BOOT_MS_DHCP_DISCOVER] = { "dhcp-discover", "DHCP discover" },
	[BOOT_MS_DHCP_REQUEST] = { "dhcp-request", "DHCP request" },
	[BOOT_MS_DHCP_ACK] = { "dhcp-ack", "DHCP lease" },
	[BOOT_MS_IMDS] = { "imds", "instance metadata queried" },
	[BOOT_MS_LOGIN_PROMPT] = { "login-prompt", "login prompt" },
	[BOOT_MS_PANICKED] = { "panicked", "kernel panicked" },
	[BOOT_MS_POWERED_OFF] = { "powered-off", "guest powered off" },
	[BOOT_MS_RESET] = { "reset", "guest reset" },
	[BOOT_MS_ERROR] = { "machine-error", "machine failed" },
	[BOOT_MS_TIMED_OUT] = { "timed-out", "timed out" },
	[BOOT_MS_MULTI_USER] = { "multi-user", "multi-user reached" },
};

const enum boot_milestone boot_image_chain[5] = {
	BOOT_MS_KERNEL_STARTED, BOOT_MS_NVME_ENABLED, BOOT_MS_NVME_IDENTIFIED,
	BOOT_MS_ROOT_MOUNTED, BOOT_MS_MULTI_USER,
};

/* A file system on an NVMe namespace mounted: "EXT4-fs (nvme0n1p1): mounted
 * filesystem", "XFS (nvme0n1p1): Ending clean mount", "BTRFS info (device
 * nvme0n1p2): ..." with "enabling"/"has skinny extents" would be too loose,
 * so btrfs counts on "first mount of filesystem". */
static bool nvme_fs_mounted(const char *line)
{
	const char *dev = strstr(line, "(nvme");

	if (!dev)
		dev = strstr(line, "(device nvme");
	if (!dev)
		return false;
	return strstr(dev, "): mounted filesystem") || strstr(dev, "): Ending clean mount") ||
	       strstr(dev, "): Mounting V") || strstr(line, "first mount of filesystem");
}

const char *boot_milestone_name(enum boot_milestone m)
{
	return (unsigned int)m < BOOT_MS__MAX ? milestone_names[m].name : "unknown";
}

const char *boot_milestone_label(enum boot_milestone m)
{
	return (unsigned int)m < BOOT_MS__MAX ? milestone_names[m].label : "unknown";
}

const char *boot_console_root_cause(const char *line)
{
	if (strstr(line, "Unable to mount root fs"))
		return "the kernel could not mount the root file system";
	if (strstr(line, "Gave up waiting for root"))
		return "the initramfs gave up waiting for the root device";
	if (strstr(line, "ALERT!") && strstr(line, "does not exist"))
		return "the root device named on the command line does not exist";
	if (strstr(line, "dracut-initqueue") && strstr(line, "timeout"))
		return "dracut timed out waiting for the root device";
	if (strstr(line, "Waiting for root device"))
		return "the kernel is waiting for a root device that never appeared";
	return NULL;
}

int boot_tracker_failed_milestone(const struct boot_tracker *t, const char **ret_cause)
{
	const char *cause = NULL;
	int failed = -1;

	for (unsigned int i = 0; i < ARRAY_SIZE(boot_image_chain); i++)
		if (!boot_tracker_reached(t, boot_image_chain[i])) {
			failed = (int)boot_image_chain[i];
			break;
		}
	if (failed < 0)
		goto out;
	if (failed == BOOT_MS_KERNEL_STARTED)
		cause = "the kernel never started";
	else if (failed == BOOT_MS_NVME_ENABLED)
		cause = "the NVMe controller was never enabled: the initramfs has no NVMe driver "
			"(nvme, nvme-core)";
	else if (t->cause[0])
		cause = t->cause;
	else if (boot_tracker_reached(t, BOOT_MS_PANICKED))
		cause = t->detail[BOOT_MS_PANICKED];
	else if (failed == BOOT_MS_NVME_IDENTIFIED)
		cause = "the NVMe driver enabled the controller but never identified it";
	else if (failed == BOOT_MS_ROOT_MOUNTED)
		cause = "no file system on the NVMe disk was mounted as root";
	else
		cause = "the root file system mounted but the system did not reach multi-user";
out:
	if (ret_cause)
		*ret_cause = cause;
	return failed;
}

int boot_console_milestone(const char *line)
{
	const char *run = strstr(line, "Run ");

	/* init/main.c: "Run %s as init process". */
	if (run && strstr(run, " as init process"))
		return BOOT_MS_INIT_STARTED;
	if (strstr(line, "Kernel panic - not syncing"))
		return BOOT_MS_PANICKED;
	if (strstr(line, "VFS: Mounted root") || nvme_fs_mounted(line))
		return BOOT_MS_ROOT_MOUNTED;
	/* systemd's banner once it runs from the real root (not dracut's). */
	if (strstr(line, "Welcome to ") && strstr(line, "!") && !strstr(line, "Initramfs"))
		return BOOT_MS_ROOT_MOUNTED;
	if (strstr(line, "Reached target") && (strstr(line, "Multi-User") ||
					       strstr(line, "multi-user.target")))
		return BOOT_MS_MULTI_USER;
	if (strstr(line, " login: ") || endswith(line, " login:"))
		return BOOT_MS_LOGIN_PROMPT;
	return -1;
}

static int event_milestone(enum vmm_event ev)
{
	switch (ev) {
	case VMM_EV_NVME_ENABLED:
		return BOOT_MS_NVME_ENABLED;
	case VMM_EV_NVME_IDENTIFIED:
		return BOOT_MS_NVME_IDENTIFIED;
	case VMM_EV_NVME_IO_QUEUES:
		return BOOT_MS_NVME_IO_QUEUES;
	case VMM_EV_NVME_FIRST_READ:
		return BOOT_MS_NVME_FIRST_READ;
	case VMM_EV_ENA_RESET:
		return BOOT_MS_ENA_RESET;
	case VMM_EV_ENA_PROBED:
		return BOOT_MS_ENA_PROBED;
	case VMM_EV_ENA_IO_QUEUES:
		return BOOT_MS_ENA_IO_QUEUES;
	case VMM_EV_ENA_LINK_UP:
		return BOOT_MS_ENA_LINK_UP;
	case VMM_EV_NET_DHCP_DISCOVER:
		return BOOT_MS_DHCP_DISCOVER;
	case VMM_EV_NET_DHCP_REQUEST:
		return BOOT_MS_DHCP_REQUEST;
	case VMM_EV_NET_DHCP_ACK:
		return BOOT_MS_DHCP_ACK;
	case VMM_EV_NET_IMDS:
		return BOOT_MS_IMDS;
	case VMM_EV_GUEST_POWEROFF:
		return BOOT_MS_POWERED_OFF;
	case VMM_EV_GUEST_RESET:
		return BOOT_MS_RESET;
	case VMM_EV_GUEST_STARTED:
		return BOOT_MS_KERNEL_STARTED;
	case VMM_EV_GUEST_ERROR:
		return BOOT_MS_ERROR;
	default:
		return -1;
	}
}

void boot_tracker_init(struct boot_tracker *t, unsigned int keep)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	for (unsigned int i = 0; i < BOOT_MS__MAX; i++)
		t->at[i] = -1;
	t->tail_keep = keep > BOOT_TAIL_MAX ? BOOT_TAIL_MAX : keep;
	t->end = -1;
}

void boot_tracker_free(struct boot_tracker *t)
{
	for (unsigned int i = 0; i < BOOT_TAIL_MAX; i++) {
		free(t->tail[i]);
		t->tail[i] = NULL;
	}
	pthread_mutex_destroy(&t->lock);
}

/* Copies src without terminal escape sequences (systemd colours its status
 * lines: "ESC[0;1;39mmulti-user.target ESC[0m") or other control bytes. */
static void copy_plain_text(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p && n + 1 < size; p++) {
		if (*p == 0x1b && p[1] == '[') {
			/* CSI: parameters and intermediates, then one final byte */
			for (p += 2; *p && (*p < 0x40 || *p > 0x7e); p++)
				;
			if (!*p)
				break;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			continue;
		dst[n++] = (char)*p;
	}
	dst[n] = '\0';
}

static void mark_locked(struct boot_tracker *t, double when, int m, const char *detail)
{
	if (m < 0 || m >= BOOT_MS__MAX || t->at[m] >= 0)
		return;
	t->at[m] = when;
	copy_plain_text(t->detail[m], sizeof(t->detail[m]), detail ? detail : "");
}

void boot_tracker_mark(struct boot_tracker *t, double when, enum boot_milestone m,
		       const char *detail)
{
	pthread_mutex_lock(&t->lock);
	mark_locked(t, when, (int)m, detail);
	pthread_mutex_unlock(&t->lock);
}

/* A console line without the kernel's "[    1.234567] " time prefix. */
static const char *strip_printk_time(const char *line)
{
	const char *p = line;

	if (*p != '[')
		return line;
	p = strchr(p, ']');
	return p ? p + 1 + (p[1] == ' ') : line;
}

void boot_tracker_event(struct boot_tracker *t, double when, enum vmm_event ev,
			const char *detail)
{
	pthread_mutex_lock(&t->lock);
	if (ev == VMM_EV_CONSOLE_LINE && detail) {
		int m = boot_console_milestone(detail);

		mark_locked(t, when, BOOT_MS_KERNEL_STARTED, "first console line");
		if (m >= 0)
			mark_locked(t, when, m, strip_printk_time(detail));
		if (m == BOOT_MS_LOGIN_PROMPT)
			mark_locked(t, when, BOOT_MS_MULTI_USER, strip_printk_time(detail));
		if (!t->cause[0] && boot_console_root_cause(detail))
			snprintf(t->cause, sizeof(t->cause), "%s: \"%s\"",
				 boot_console_root_cause(detail), strip_printk_time(detail));
		t->console_lines++;
		t->last_console = when;
		if (t->tail_keep) {
			char *copy = strdup(detail);

			if (copy) {
				free(t->tail[t->tail_next]);
				t->tail[t->tail_next] = copy;
				t->tail_next = (t->tail_next + 1) % t->tail_keep;
				if (t->tail_count < t->tail_keep)
					t->tail_count++;
			}
		}
	} else {
		mark_locked(t, when, event_milestone(ev),
			    ev == VMM_EV_GUEST_STARTED ? "first exit to the VMM" : detail);
	}
	pthread_mutex_unlock(&t->lock);
}

void boot_tracker_finish(struct boot_tracker *t, double when)
{
	pthread_mutex_lock(&t->lock);
	t->finished = true;
	t->end = when;
	pthread_mutex_unlock(&t->lock);
}

bool boot_tracker_reached(const struct boot_tracker *t, enum boot_milestone m)
{
	return (unsigned int)m < BOOT_MS__MAX && t->at[m] >= 0;
}

enum boot_verdict boot_tracker_verdict(const struct boot_tracker *t, const char **ret_reason)
{
	const char *why;
	bool pass = false;

	if (t->want_multi_user) {
		pass = boot_tracker_failed_milestone(t, &why) < 0;
		if (pass)
			why = "the root file system mounted from NVMe and the guest reached multi-user";
		goto out;
	}
	if (!boot_tracker_reached(t, BOOT_MS_KERNEL_STARTED))
		why = "the kernel never started (no console output, no exit to the VMM)";
	else if (boot_tracker_reached(t, BOOT_MS_PANICKED))
		why = "the kernel panicked";
	else if (boot_tracker_reached(t, BOOT_MS_ERROR))
		why = "the machine failed";
	else if (!boot_tracker_reached(t, BOOT_MS_INIT_STARTED))
		why = boot_tracker_reached(t, BOOT_MS_TIMED_OUT) ?
			      "timed out before init started" :
			      "the guest stopped before init started";
	else if (boot_tracker_reached(t, BOOT_MS_POWERED_OFF))
		why = "init started and the guest powered off", pass = true;
	else if (boot_tracker_reached(t, BOOT_MS_RESET))
		why = "init started but the guest reset instead of powering off";
	else if (boot_tracker_reached(t, BOOT_MS_TIMED_OUT))
		why = "init started but the guest did not power off in time";
	else
		why = "init started but the guest did not power off";
out:
	if (ret_reason)
		*ret_reason = why;
	return pass ? BOOT_VERDICT_PASS : BOOT_VERDICT_FAIL;
}

void boot_run_outcome(const struct boot_tracker *t, const struct boot_run_info *info,
		      struct boot_outcome *ret)
{
	const char *cause = NULL;

	ret->verdict = boot_tracker_verdict(t, &ret->reason);
	ret->failed = -1;
	ret->cause[0] = '\0';
	if (!t->want_multi_user)
		return;
	ret->failed = boot_tracker_failed_milestone(t, &cause);
	if (ret->failed >= 0) {
		snprintf(ret->cause, sizeof(ret->cause), "%s", cause ? cause : "");
		return;
	}
	if (!info || !info->net)
		return;
	ret->failed = net_failed_milestone(t, info->net, ret->cause, sizeof(ret->cause));
	if (ret->failed == BOOT_MS_IMDS) {
		/* An image with no metadata client still networks on Nitro. */
		ret->failed = -1;
		ret->cause[0] = '\0';
		ret->reason = "the root file system mounted from NVMe, the guest reached multi-user "
			      "and its ENA interface got a DHCP lease (nothing contacted IMDS)";
	} else if (ret->failed >= 0) {
		ret->verdict = BOOT_VERDICT_FAIL;
		ret->reason = "the guest reached multi-user with its root on NVMe, but its ENA "
			      "interface did not come up";
	} else {
		ret->reason = "the root file system mounted from NVMe, the guest reached multi-user, "
			      "its ENA interface got a DHCP lease and it contacted IMDS";
	}
}

/* Milestones reached, in time order (stable for equal times). */
static unsigned int reached_sorted(const struct boot_tracker *t, int order[BOOT_MS__MAX])
{
	unsigned int n = 0;

	for (int m = 0; m < BOOT_MS__MAX; m++) {
		unsigned int i;

		if (t->at[m] < 0)
			continue;
		for (i = n; i > 0 && t->at[order[i - 1]] > t->at[m]; i--)
			order[i] = order[i - 1];
		order[i] = m;
		n++;
	}
	return n;
}

static const char *tail_line(const struct boot_tracker *t, unsigned int i)
{
	unsigned int first = (t->tail_next + t->tail_keep - t->tail_count) % (t->tail_keep ?: 1);

	return t->tail[(first + i) % t->tail_keep];
}

static int json_set_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, v ? json_string(v) : json_null());
}

json_t *boot_report_json(const struct boot_tracker *t, const struct boot_run_info *info)
{
	json_t *o = json_object(), *ms = json_array(), *tail = json_array(), *inv = NULL;
	int order[BOOT_MS__MAX];
	unsigned int n = reached_sorted(t, order);
	struct boot_outcome out;
	int rc = 0;

	if (!o || !ms || !tail)
		goto fail;
	rc |= json_object_set_new(o, "schema_version", json_integer(BOOT_REPORT_SCHEMA_VERSION));
	rc |= json_set_str(o, "tool", "nitrocheck boot");
	rc |= json_set_str(o, "version", NC_VERSION);
	if (info->argv) {
		inv = json_array();
		for (char *const *a = info->argv; inv && *a; a++)
			rc |= json_array_append_new(inv, json_string(*a));
		rc |= json_object_set_new(o, "invocation", inv ? inv : json_null());
	}
	rc |= json_set_str(o, "kernel", info->kernel);
	rc |= json_set_str(o, "initrd", info->initrd);
	rc |= json_set_str(o, "command_line", info->cmdline);
	rc |= json_object_set_new(o, "cpus", json_integer(info->cpus));
	rc |= json_object_set_new(o, "memory_mib", json_integer((json_int_t)info->mem_mib));
	rc |= json_set_str(o, "instance_type", info->instance_type);
	rc |= json_set_str(o, "uuid", info->uuid);
	if (info->plan_s >= 0 && t->want_multi_user)
		rc |= json_object_set_new(o, "image_read_s", json_real(info->plan_s));
	boot_run_outcome(t, info, &out);
	rc |= json_set_str(o, "verdict", out.verdict == BOOT_VERDICT_PASS ? "pass" : "fail");
	rc |= json_set_str(o, "reason", out.reason);
	if (t->want_multi_user) {
		rc |= json_set_str(o, "failed_milestone",
				   out.failed < 0 ? NULL : boot_milestone_name(out.failed));
		rc |= json_set_str(o, "cause", out.failed < 0 ? NULL : out.cause);
	}
	for (unsigned int i = 0; i < n; i++) {
		json_t *m = json_pack("{s:s, s:s, s:f}", "name", boot_milestone_name(order[i]),
				      "label", boot_milestone_label(order[i]), "time_s",
				      t->at[order[i]]);

		if (!m)
			goto fail;
		if (t->detail[order[i]][0])
			rc |= json_set_str(m, "detail", t->detail[order[i]]);
		rc |= json_array_append_new(ms, m);
	}
	rc |= json_object_set_new(o, "milestones", ms);
	ms = NULL;
	if (info->net) {
		json_t *net = net_report_json(t, info->net);

		rc |= net ? json_object_set_new(o, "network", net) : -1;
	}
	rc |= json_object_set_new(o, "exit", json_pack("{s:s?, s:s?, s:f, s:I}", "reason",
						       info->exit_reason, "detail",
						       info->exit_detail, "time_s",
						       t->end < 0 ? 0.0 : t->end, "vmm_exits",
						       (json_int_t)info->exits));
	for (unsigned int i = 0; i < t->tail_count; i++)
		rc |= json_array_append_new(tail, json_string(tail_line(t, i)));
	rc |= json_object_set_new(o, "console_lines", json_integer((json_int_t)t->console_lines));
	rc |= json_object_set_new(o, "console_tail", tail);
	tail = NULL;
	if (info->rss_kib)
		rc |= json_object_set_new(
			o, "memory",
			json_pack("{s:I, s:I, s:I, s:I}", "rss_kib", (json_int_t)info->rss_kib,
				  "guest_rss_kib", (json_int_t)info->guest_rss_kib,
				  "vmm_overhead_kib",
				  (json_int_t)(info->rss_kib - info->guest_rss_kib),
				  "vmm_anon_overhead_kib",
				  (json_int_t)(info->anon_kib - info->guest_anon_kib)));
	if (rc)
		goto fail;
	return o;
fail:
	json_decref(o);
	json_decref(ms);
	json_decref(tail);
	return NULL;
}

int boot_report_text(FILE *out, const struct boot_tracker *t, const struct boot_run_info *info)
{
	int order[BOOT_MS__MAX];
	unsigned int n = reached_sorted(t, order);
	struct boot_outcome oc;

	boot_run_outcome(t, info, &oc);
	fprintf(out, "nitrocheck boot: %s%s%s\n", info->kernel, info->initrd ? " + " : "",
		info->initrd ? info->initrd : "");
	fprintf(out, "machine: %s, %u vCPUs, %llu MiB, uuid %s\n", info->instance_type,
		info->cpus, info->mem_mib, info->uuid ? info->uuid : "-");
	if (info->plan_s >= 0 && t->want_multi_user)
		fprintf(out, "image read: %.1f s (kernel, initramfs and boot configuration; the "
			"times below start with the machine)\n", info->plan_s);
	fprintf(out, "command line: %s\n\n", info->cmdline ? info->cmdline : "");
	fprintf(out, "milestones:\n");
	for (unsigned int i = 0; i < n; i++) {
		const char *d = t->detail[order[i]];

		fprintf(out, "  %9.3f s  %-26s%s%s%s\n", t->at[order[i]],
			boot_milestone_label(order[i]), *d ? " (" : "", d, *d ? ")" : "");
	}
	if (t->want_multi_user) {
		if (oc.failed >= 0)
			fprintf(out, "  %11s  %s: not reached\n  %11s  likely cause: %s\n", "-",
				net_milestone_label(oc.failed), "", oc.cause);
	} else if (!boot_tracker_reached(t, BOOT_MS_INIT_STARTED)) {
		fprintf(out, "  %11s  %s: not reached\n", "-", boot_milestone_label(BOOT_MS_INIT_STARTED));
	}
	if (info->net) {
		fputc('\n', out);
		net_report_text(out, t, info->net);
	}
	fprintf(out, "\nended: %s%s%s after %.3f s (%llu exits)\n",
		info->exit_reason ? info->exit_reason : "?",
		info->exit_detail && *info->exit_detail ? ", " : "",
		info->exit_detail ? info->exit_detail : "", t->end < 0 ? 0.0 : t->end,
		info->exits);
	if (info->rss_kib)
		fprintf(out,
			"memory: RSS %llu KiB, guest RAM touched %llu KiB, VMM overhead %llu KiB "
			"(%llu KiB anonymous)\n",
			info->rss_kib, info->guest_rss_kib, info->rss_kib - info->guest_rss_kib,
			info->anon_kib - info->guest_anon_kib);
	if (t->tail_count) {
		fprintf(out, "\nlast console lines:\n");
		for (unsigned int i = t->tail_count > 20 ? t->tail_count - 20 : 0; i < t->tail_count;
		     i++)
			fprintf(out, "  | %s\n", tail_line(t, i));
	}
	fprintf(out, "\nverdict: %s: %s\n", oc.verdict == BOOT_VERDICT_PASS ? "PASS" : "FAIL",
		oc.reason);
	return ferror(out) ? -EIO : 0;
}
