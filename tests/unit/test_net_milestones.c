/* SPDX-License-Identifier: MIT */
/*
 * The network milestones replayed from the events and console lines the
 * VMM delivered in real lab runs: a full chain with IMDS paths, a kernel
 * whose ena driver failed to probe, one with no ena module at all, and an
 * image whose eth0-only configuration never opens the renamed ens5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bootcheck/net_milestones.h"

struct replay {
	struct boot_tracker t;
	struct net_watch w;
};

static void ev(struct replay *r, double when, enum vmm_event e, const char *detail)
{
	boot_tracker_event(&r->t, when, e, detail);
	net_watch_event(&r->w, e, detail);
}

static void init(struct replay *r)
{
	boot_tracker_init(&r->t, 20);
	net_watch_init(&r->w);
	ev(r, 4.9, VMM_EV_GUEST_STARTED, NULL);
}

static void fini(struct replay *r)
{
	net_watch_free(&r->w);
	boot_tracker_free(&r->t);
}

static void test_full_chain(void **state)
{
	struct replay r;
	char cause[512];
	json_t *j, *ms;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	init(&r);
	ev(&r, 11.809, VMM_EV_ENA_RESET, "reason 0");
	ev(&r, 11.814, VMM_EV_ENA_PROBED, NULL);
	ev(&r, 12.021, VMM_EV_ENA_LINK_UP, NULL);
	ev(&r, 12.218, VMM_EV_ENA_IO_QUEUES, NULL);
	ev(&r, 12.475, VMM_EV_NET_DHCP_DISCOVER, NULL);
	ev(&r, 12.517, VMM_EV_NET_DHCP_REQUEST, NULL);
	ev(&r, 12.518, VMM_EV_NET_DHCP_ACK, "172.31.16.5");
	ev(&r, 12.928, VMM_EV_NET_IMDS, "GET /latest/meta-data/instance-id");
	ev(&r, 13.0, VMM_EV_NET_IMDS, "GET /latest/meta-data/instance-id");
	ev(&r, 13.1, VMM_EV_NET_IMDS, "GET /latest/meta-data/mac");
	assert_int_equal(net_failed_milestone(&r.t, &r.w, cause, sizeof(cause)), -1);
	assert_int_equal(r.w.n_imds_paths, 2);
	assert_int_equal(r.w.imds_requests, 3);

	j = net_report_json(&r.t, &r.w);
	assert_non_null(j);
	ms = json_object_get(j, "milestones");
	assert_int_equal(json_array_size(ms), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ms, 1), "label")),
			    "interface up");
	assert_true(json_real_value(json_object_get(json_array_get(ms, 1), "at")) > 12.2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ms, 3), "detail")),
			    "172.31.16.5");
	assert_int_equal(json_array_size(json_object_get(j, "imds_paths")), 2);
	assert_true(json_is_null(json_object_get(j, "failed_milestone")));
	json_decref(j);

	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(net_report_text(f, &r.t, &r.w), 0);
	fclose(f);
	assert_non_null(strstr(text, "12.518s  lease acknowledged: 172.31.16.5"));
	assert_non_null(strstr(text, "IMDS GET /latest/meta-data/mac"));
	assert_non_null(strstr(text, "network OK (3 IMDS requests)"));
	free(text);
	fini(&r);
}

static void test_probe_failed(void **state)
{
	struct replay r;
	char cause[512];

	init(&r);
	ev(&r, 6.0, VMM_EV_CONSOLE_LINE, "[    6.263054] ena 0000:00:05.0: Cannot init indirect table");
	ev(&r, 6.1, VMM_EV_ENA_RESET, "reason 0");
	ev(&r, 6.2, VMM_EV_CONSOLE_LINE,
	   "[    6.3] ena: probe of 0000:00:05.0 failed with error -12");
	assert_int_equal(net_failed_milestone(&r.t, &r.w, cause, sizeof(cause)), BOOT_MS_ENA_PROBED);
	assert_non_null(strstr(cause, "failed to probe"));
	assert_non_null(strstr(cause, "failed with error -12"));
	fini(&r);

	/* No ena module: nothing touched the device. */
	init(&r);
	ev(&r, 30.0, VMM_EV_CONSOLE_LINE, "[   20.1] systemd[1]: Reached target multi-user.target");
	assert_int_equal(net_failed_milestone(&r.t, &r.w, cause, sizeof(cause)), BOOT_MS_ENA_PROBED);
	assert_non_null(strstr(cause, "ena module is missing"));
	fini(&r);
}

static void test_renamed_never_up(void **state)
{
	struct replay r;
	char cause[512];
	json_t *j;

	init(&r);
	ev(&r, 8.0, VMM_EV_ENA_RESET, "reason 0");
	ev(&r, 8.1, VMM_EV_ENA_PROBED, NULL);
	ev(&r, 8.4, VMM_EV_CONSOLE_LINE, "[    5.9] ena 0000:00:05.0 ens5: renamed from eth0");
	assert_int_equal(net_failed_milestone(&r.t, &r.w, cause, sizeof(cause)),
			 BOOT_MS_ENA_IO_QUEUES);
	assert_string_equal(r.w.ifname, "ens5");
	assert_string_equal(r.w.ifname_old, "eth0");
	assert_non_null(strstr(cause, "interface never configured"));
	assert_non_null(strstr(cause, "named it ens5 (renamed from eth0)"));
	j = net_report_json(&r.t, &r.w);
	assert_string_equal(json_string_value(json_object_get(j, "failed_milestone")),
			    "ena-io-queues");
	assert_string_equal(json_string_value(json_object_get(j, "interface")), "ens5");
	json_decref(j);
	fini(&r);

	/* A rename that is not the ENA's does not count. */
	init(&r);
	ev(&r, 8.4, VMM_EV_CONSOLE_LINE, "[    5.9] virtio_net virtio0 enp0s3: renamed from eth0");
	assert_string_equal(r.w.ifname, "");
	fini(&r);
}

/* An image boot with the NIC: the network counts in the verdict up to the
 * lease; no IMDS client is not a failure. */
static void image_boot(struct replay *r)
{
	init(r);
	r->t.want_multi_user = true;
	ev(r, 6.0, VMM_EV_NVME_ENABLED, "admin queues 32/32");
	ev(r, 6.1, VMM_EV_NVME_IDENTIFIED, "nsid 1");
	ev(r, 9.0, VMM_EV_CONSOLE_LINE,
	   "[    9.0] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode.");
	ev(r, 30.0, VMM_EV_CONSOLE_LINE, "nitrocheck-debian12-generic login: ");
}

static void test_image_outcome(void **state)
{
	struct boot_run_info info = { .kernel = "/boot/vmlinuz" };
	struct boot_outcome oc;
	struct replay r;
	json_t *j;

	/* Multi-user, but no ena module: the image fails at "ENA probed". */
	image_boot(&r);
	info.net = &r.w;
	boot_run_outcome(&r.t, &info, &oc);
	assert_int_equal(oc.verdict, BOOT_VERDICT_FAIL);
	assert_int_equal(oc.failed, BOOT_MS_ENA_PROBED);
	assert_non_null(strstr(oc.cause, "ena module is missing"));
	j = boot_report_json(&r.t, &info);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "fail");
	assert_string_equal(json_string_value(json_object_get(j, "failed_milestone")),
			    "ena-probed");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(j, "network"), "failed_milestone")),
			    "ena-probed");
	json_decref(j);
	/* Without the NIC the same boot passes. */
	info.net = NULL;
	boot_run_outcome(&r.t, &info, &oc);
	assert_int_equal(oc.verdict, BOOT_VERDICT_PASS);
	assert_int_equal(oc.failed, -1);
	fini(&r);

	/* A lease but nothing asked IMDS: pass, and the reason says so. */
	image_boot(&r);
	info.net = &r.w;
	ev(&r, 31.0, VMM_EV_ENA_PROBED, NULL);
	ev(&r, 32.0, VMM_EV_ENA_IO_QUEUES, NULL);
	ev(&r, 33.0, VMM_EV_NET_DHCP_REQUEST, NULL);
	ev(&r, 33.1, VMM_EV_NET_DHCP_ACK, "172.31.16.5");
	boot_run_outcome(&r.t, &info, &oc);
	assert_int_equal(oc.verdict, BOOT_VERDICT_PASS);
	assert_non_null(strstr(oc.reason, "nothing contacted IMDS"));
	ev(&r, 34.0, VMM_EV_NET_IMDS, "PUT /latest/api/token");
	boot_run_outcome(&r.t, &info, &oc);
	assert_non_null(strstr(oc.reason, "contacted IMDS"));
	assert_null(strstr(oc.reason, "nothing"));
	fini(&r);

	/* The image chain fails first: its milestone is the one reported. */
	init(&r);
	r.t.want_multi_user = true;
	boot_run_outcome(&r.t, &info, &oc);
	assert_int_equal(oc.failed, BOOT_MS_NVME_ENABLED);
	assert_non_null(strstr(oc.cause, "no NVMe driver"));
	fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_chain),
		cmocka_unit_test(test_probe_failed),
		cmocka_unit_test(test_renamed_never_up),
		cmocka_unit_test(test_image_outcome),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
