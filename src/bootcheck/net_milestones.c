/* SPDX-License-Identifier: MIT */
#include "bootcheck/net_milestones.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const enum boot_milestone net_chain[5] = {
	BOOT_MS_ENA_PROBED, BOOT_MS_ENA_IO_QUEUES, BOOT_MS_DHCP_REQUEST, BOOT_MS_DHCP_ACK,
	BOOT_MS_IMDS,
};

const char *net_milestone_label(enum boot_milestone m)
{
	switch (m) {
	case BOOT_MS_ENA_PROBED:
		return "ENA probed";
	case BOOT_MS_ENA_IO_QUEUES:
		return "interface up";
	case BOOT_MS_DHCP_REQUEST:
		return "DHCP request seen";
	case BOOT_MS_DHCP_ACK:
		return "lease acknowledged";
	case BOOT_MS_IMDS:
		return "IMDS contacted";
	default:
		return boot_milestone_label(m);
	}
}

void net_watch_init(struct net_watch *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
}

void net_watch_free(struct net_watch *w)
{
	for (unsigned int i = 0; i < w->n_imds_paths; i++)
		free(w->imds_paths[i]);
	w->n_imds_paths = 0;
	pthread_mutex_destroy(&w->lock);
}

static void copy_word(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* A kernel message of the ena driver: "[    5.9] ena 0000:00:05.0 ..." or
 * "ena: ..." ("renamed" contains "ena" too: match the prefix). */
static bool from_ena_driver(const char *line)
{
	if (line[0] == '[') {
		const char *e = strchr(line, ']');

		if (!e)
			return false;
		line = e + 1;
		while (*line == ' ')
			line++;
	}
	return startswith(line, "ena ") || startswith(line, "ena: ");
}

/* "ena 0000:00:05.0 ens5: renamed from eth0": the new and the old name. */
static bool parse_renamed(const char *line, struct net_watch *w)
{
	const char *r = strstr(line, ": renamed from "), *start, *old;

	if (!r || !from_ena_driver(line))
		return false;
	for (start = r; start > line && start[-1] != ' '; start--)
		;
	if (start == r)
		return false;
	old = r + strlen(": renamed from ");
	copy_word(w->ifname, sizeof(w->ifname), start, (size_t)(r - start));
	copy_word(w->ifname_old, sizeof(w->ifname_old), old, strcspn(old, " \r\n"));
	snprintf(w->renamed, sizeof(w->renamed), "%s", line);
	return true;
}

static void add_path(struct net_watch *w, const char *detail)
{
	char *p;

	w->imds_requests++;
	for (unsigned int i = 0; i < w->n_imds_paths; i++)
		if (streq(w->imds_paths[i], detail))
			return;
	if (w->n_imds_paths == NET_IMDS_PATHS_MAX)
		return;
	p = strdup(detail);
	if (p)
		w->imds_paths[w->n_imds_paths++] = p;
}

void net_watch_event(struct net_watch *w, enum vmm_event ev, const char *detail)
{
	if (!detail)
		return;
	pthread_mutex_lock(&w->lock);
	if (ev == VMM_EV_NET_IMDS) {
		add_path(w, detail);
	} else if (ev == VMM_EV_CONSOLE_LINE) {
		/* "ena: probe of 0000:00:05.0 failed with error -12" */
		if (!w->probe_failed[0] && from_ena_driver(detail) && strstr(detail, "probe of") &&
		    strstr(detail, "failed"))
			snprintf(w->probe_failed, sizeof(w->probe_failed), "%s", detail);
		parse_renamed(detail, w);
	}
	pthread_mutex_unlock(&w->lock);
}

static double at(const struct boot_tracker *t, enum boot_milestone m)
{
	return t->at[m];
}

int net_failed_milestone(const struct boot_tracker *t, const struct net_watch *w, char *cause,
			 size_t size)
{
	int failed = -1;

	for (unsigned int i = 0; i < ARRAY_SIZE(net_chain); i++)
		if (at(t, net_chain[i]) < 0) {
			failed = (int)net_chain[i];
			break;
		}
	switch (failed) {
	case -1:
		snprintf(cause, size, "%s", "");
		break;
	case BOOT_MS_ENA_PROBED:
		if (w->probe_failed[0])
			snprintf(cause, size, "the ena driver failed to probe the device (console: \"%s\")",
				 w->probe_failed);
		else if (at(t, BOOT_MS_ENA_RESET) >= 0)
			snprintf(cause, size, "the ena driver reset the device but never finished "
				 "probing it");
		else
			snprintf(cause, size, "no driver touched the ENA device (00:05.0): the ena "
				 "module is missing from the kernel/initramfs or was never loaded");
		break;
	case BOOT_MS_ENA_IO_QUEUES:
		if (w->ifname[0])
			snprintf(cause, size, "interface never configured (IO queues never created): "
				 "the kernel named it %s (renamed from %s); a configuration for %s or "
				 "for another MAC address does not apply (console: \"%s\")",
				 w->ifname, w->ifname_old[0] ? w->ifname_old : "?",
				 w->ifname_old[0] ? w->ifname_old : "the old name", w->renamed);
		else
			snprintf(cause, size, "interface never configured (IO queues never created): "
				 "no network configuration brought the ENA interface up");
		break;
	case BOOT_MS_DHCP_REQUEST:
		snprintf(cause, size, "%s", at(t, BOOT_MS_DHCP_DISCOVER) >= 0 ?
			 "DHCP discover seen but no request: the client did not accept the offer" :
			 "interface up but no DHCP request: static configuration or no DHCP client");
		break;
	case BOOT_MS_DHCP_ACK:
		snprintf(cause, size, "the DHCP request was not acknowledged (the guest asked for "
			 "an address other than 172.31.16.5?)");
		break;
	case BOOT_MS_IMDS:
		snprintf(cause, size, "lease acknowledged but the guest never contacted "
			 "169.254.169.254 (nothing in the image asks: cloud-init/agents absent or "
			 "not reached before the run ended)");
		break;
	}
	return failed;
}

json_t *net_report_json(const struct boot_tracker *t, const struct net_watch *w)
{
	json_t *j = json_object(), *ms = json_array(), *paths = json_array();
	char cause[512];
	int failed;

	if (!j || !ms || !paths)
		goto fail;
	for (unsigned int i = 0; i < ARRAY_SIZE(net_chain); i++) {
		enum boot_milestone m = net_chain[i];
		json_t *o = json_pack("{s:s, s:s, s:b}", "name", boot_milestone_name(m), "label",
				      net_milestone_label(m), "reached", at(t, m) >= 0);

		if (!o || json_array_append_new(ms, o) < 0)
			goto fail;
		if (at(t, m) >= 0 && json_object_set_new(o, "at", json_real(at(t, m))) < 0)
			goto fail;
		if (t->detail[m][0] && json_object_set_new(o, "detail",
							   json_string(t->detail[m])) < 0)
			goto fail;
	}
	for (unsigned int i = 0; i < w->n_imds_paths; i++)
		if (json_array_append_new(paths, json_string(w->imds_paths[i])) < 0)
			goto fail;
	failed = net_failed_milestone(t, w, cause, sizeof(cause));
	if (json_object_set_new(j, "milestones", ms) < 0)
		goto fail_ms;
	if (json_object_set_new(j, "imds_paths", paths) < 0)
		goto fail_paths;
	if (json_object_set_new(j, "imds_requests", json_integer((json_int_t)w->imds_requests)) < 0 ||
	    (w->ifname[0] && json_object_set_new(j, "interface", json_string(w->ifname)) < 0) ||
	    json_object_set_new(j, "failed_milestone", failed < 0 ? json_null() :
				json_string(boot_milestone_name((enum boot_milestone)failed))) < 0 ||
	    json_object_set_new(j, "cause", failed < 0 ? json_null() : json_string(cause)) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
fail:
	json_decref(ms);
fail_ms:
	json_decref(paths);
fail_paths:
	json_decref(j);
	return NULL;
}

int net_report_text(FILE *out, const struct boot_tracker *t, const struct net_watch *w)
{
	char cause[512];
	int failed = net_failed_milestone(t, w, cause, sizeof(cause));

	fprintf(out, "network (ENA at 00:05.0, VPC 172.31.0.0/16, IMDS 169.254.169.254):\n");
	for (unsigned int i = 0; i < ARRAY_SIZE(net_chain); i++) {
		enum boot_milestone m = net_chain[i];

		if (at(t, m) >= 0)
			fprintf(out, "  %8.3fs  %s%s%s\n", at(t, m), net_milestone_label(m),
				t->detail[m][0] ? ": " : "", t->detail[m]);
		else
			fprintf(out, "  %9s  %s: not reached\n", "-", net_milestone_label(m));
	}
	for (unsigned int i = 0; i < w->n_imds_paths; i++)
		fprintf(out, "             IMDS %s\n", w->imds_paths[i]);
	if (w->ifname[0])
		fprintf(out, "  interface: %s\n", w->ifname);
	if (failed >= 0)
		fprintf(out, "  network FAILED at \"%s\": %s\n",
			net_milestone_label((enum boot_milestone)failed), cause);
	else
		fprintf(out, "  network OK (%lu IMDS requests)\n", w->imds_requests);
	return ferror(out) ? -EIO : 0;
}
