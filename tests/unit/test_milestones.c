/* SPDX-License-Identifier: MIT */
/* The milestone tracker: console lines and machine events in, milestones,
 * verdict and reports out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bootcheck/milestones.h"
#include "common/util.h"

/* Lines as a Debian 6.1 kernel and a busybox init print them. */
static const char *const boot_log[] = {
	"[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)",
	"[    0.000000] Command line: console=ttyS0 panic=-1",
	"[    9.420713] printk: console [ttyS0] enabled",
	"[   16.659689] Freeing unused kernel image (initmem) memory: 2824K",
	"[   16.659689] Run /init as init process",
	"NC-DMI-sys_vendor: Amazon EC2",
	"NC-DONE",
	"[   17.100000] reboot: Power down",
};

static void feed(struct boot_tracker *t, double t0, double step)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(boot_log); i++)
		boot_tracker_event(t, t0 + step * i, VMM_EV_CONSOLE_LINE, boot_log[i]);
}

static void test_console_patterns(void **state)
{
	assert_int_equal(boot_console_milestone("[    1.234] Run /init as init process"),
			 BOOT_MS_INIT_STARTED);
	assert_int_equal(boot_console_milestone("[    1.234] Run /sbin/init as init process"),
			 BOOT_MS_INIT_STARTED);
	assert_int_equal(boot_console_milestone("Run /init as init process"),
			 BOOT_MS_INIT_STARTED);
	assert_int_equal(boot_console_milestone(
				 "[    2.0] Kernel panic - not syncing: VFS: Unable to mount root fs"),
			 BOOT_MS_PANICKED);
	assert_int_equal(boot_console_milestone("[    3.1] VFS: Mounted root (ext4 filesystem) readonly on device 259:1."),
			 BOOT_MS_ROOT_MOUNTED);
	assert_int_equal(boot_console_milestone("ip-10-0-0-1 login: "), BOOT_MS_LOGIN_PROMPT);
	assert_int_equal(boot_console_milestone("[    0.5] Run-time PM enabled"), -1);
	assert_int_equal(boot_console_milestone("Starting init: /sbin/init exists but couldn't execute it"), -1);
	assert_int_equal(boot_console_milestone(""), -1);
}

static void test_clean_boot(void **state)
{
	struct boot_tracker t;
	const char *why = NULL;

	boot_tracker_init(&t, 5);
	boot_tracker_event(&t, 0.5, VMM_EV_GUEST_STARTED, NULL);
	feed(&t, 1.0, 1.0);
	boot_tracker_event(&t, 9.0, VMM_EV_GUEST_POWEROFF, "acpi s5");
	boot_tracker_finish(&t, 9.1);

	/* The first exit came before the first line: it marks the start. */
	assert_true(boot_tracker_reached(&t, BOOT_MS_KERNEL_STARTED));
	assert_true(t.at[BOOT_MS_KERNEL_STARTED] == 0.5);
	assert_string_equal(t.detail[BOOT_MS_KERNEL_STARTED], "first exit to the VMM");
	assert_true(t.at[BOOT_MS_INIT_STARTED] == 5.0);
	/* The detail is the line without its printk time. */
	assert_string_equal(t.detail[BOOT_MS_INIT_STARTED], "Run /init as init process");
	assert_true(t.at[BOOT_MS_POWERED_OFF] == 9.0);
	assert_false(boot_tracker_reached(&t, BOOT_MS_PANICKED));
	assert_int_equal(boot_tracker_verdict(&t, &why), BOOT_VERDICT_PASS);
	assert_non_null(strstr(why, "powered off"));
	/* The tail keeps the last 5 lines, oldest first. */
	assert_int_equal(t.tail_count, 5);
	assert_int_equal(t.console_lines, ARRAY_SIZE(boot_log));
	boot_tracker_free(&t);
}

static void test_first_line_starts_kernel(void **state)
{
	struct boot_tracker t;

	boot_tracker_init(&t, 10);
	feed(&t, 2.0, 0.5);
	boot_tracker_event(&t, 3.0, VMM_EV_GUEST_STARTED, NULL);
	assert_true(t.at[BOOT_MS_KERNEL_STARTED] == 2.0);
	assert_string_equal(t.detail[BOOT_MS_KERNEL_STARTED], "first console line");
	boot_tracker_free(&t);
}

static void test_failures(void **state)
{
	struct boot_tracker t;
	const char *why;

	/* Nothing at all. */
	boot_tracker_init(&t, 10);
	boot_tracker_mark(&t, 60, BOOT_MS_TIMED_OUT, "no shutdown after 60000 ms");
	boot_tracker_finish(&t, 60);
	assert_int_equal(boot_tracker_verdict(&t, &why), BOOT_VERDICT_FAIL);
	assert_non_null(strstr(why, "never started"));
	boot_tracker_free(&t);

	/* A panic before init, then the panic=-1 reset. */
	boot_tracker_init(&t, 10);
	boot_tracker_event(&t, 1, VMM_EV_CONSOLE_LINE, "[    0.1] Linux version 6.1.0");
	boot_tracker_event(&t, 2, VMM_EV_CONSOLE_LINE,
			   "[    1.9] Kernel panic - not syncing: No working init found.");
	boot_tracker_event(&t, 2.1, VMM_EV_GUEST_RESET, "triple fault");
	assert_int_equal(boot_tracker_verdict(&t, &why), BOOT_VERDICT_FAIL);
	assert_string_equal(why, "the kernel panicked");
	assert_true(boot_tracker_reached(&t, BOOT_MS_RESET));
	boot_tracker_free(&t);

	/* Init reached, but the guest rebooted instead of powering off. */
	boot_tracker_init(&t, 10);
	feed(&t, 0, 1);
	boot_tracker_event(&t, 10, VMM_EV_GUEST_RESET, "i8042 reset");
	assert_int_equal(boot_tracker_verdict(&t, &why), BOOT_VERDICT_FAIL);
	assert_non_null(strstr(why, "reset"));
	boot_tracker_free(&t);

	/* Init reached, then the time ran out. */
	boot_tracker_init(&t, 10);
	feed(&t, 0, 1);
	boot_tracker_mark(&t, 300, BOOT_MS_TIMED_OUT, NULL);
	assert_int_equal(boot_tracker_verdict(&t, &why), BOOT_VERDICT_FAIL);
	assert_non_null(strstr(why, "in time"));
	boot_tracker_free(&t);

	/* Stopped before init: no false pass from a late poweroff event. */
	boot_tracker_init(&t, 10);
	boot_tracker_event(&t, 1, VMM_EV_CONSOLE_LINE, "[    0.1] Linux version 6.1.0");
	boot_tracker_event(&t, 2, VMM_EV_GUEST_POWEROFF, NULL);
	assert_int_equal(boot_tracker_verdict(&t, &why), BOOT_VERDICT_FAIL);
	assert_non_null(strstr(why, "before init"));
	boot_tracker_free(&t);
}

static void test_device_events_and_first_wins(void **state)
{
	struct boot_tracker t;

	boot_tracker_init(&t, 10);
	boot_tracker_event(&t, 3, VMM_EV_NVME_ENABLED, NULL);
	boot_tracker_event(&t, 4, VMM_EV_NVME_ENABLED, NULL);
	boot_tracker_event(&t, 5, VMM_EV_NET_IMDS, "GET /latest/meta-data/");
	assert_true(t.at[BOOT_MS_NVME_ENABLED] == 3);
	assert_string_equal(t.detail[BOOT_MS_IMDS], "GET /latest/meta-data/");
	assert_string_equal(boot_milestone_name(BOOT_MS_IMDS), "imds");
	/* systemd's colours do not reach the report (a line from a real boot). */
	boot_tracker_event(&t, 6, VMM_EV_CONSOLE_LINE,
			   "[  OK  ] Reached target \x1b[0;1;39mmulti-user.target\x1b[0m - "
			   "Multi-User System.");
	assert_true(t.at[BOOT_MS_MULTI_USER] == 6);
	assert_string_equal(t.detail[BOOT_MS_MULTI_USER],
			    "Reached target multi-user.target - Multi-User System.");
	boot_tracker_free(&t);
}

static const struct boot_run_info run_info = {
	.kernel = "/boot/vmlinuz-6.1.0-56-amd64",
	.initrd = "/tmp/initrd.gz",
	.cmdline = "console=ttyS0 panic=-1",
	.cpus = 2,
	.mem_mib = 1024,
	.instance_type = "m5.large",
	.uuid = "ec2a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
	.exit_reason = "poweroff",
	.exit_detail = "ACPI S5 (PM1a SLP_EN)",
	.exits = 1234,
	.rss_kib = 140000,
	.guest_rss_kib = 132000,
};

static void test_json(void **state)
{
	struct boot_tracker t;
	json_t *j, *ms, *tail;
	double prev = -1;

	boot_tracker_init(&t, 3);
	boot_tracker_event(&t, 0.5, VMM_EV_GUEST_STARTED, NULL);
	feed(&t, 1.0, 1.0);
	boot_tracker_event(&t, 9.0, VMM_EV_GUEST_POWEROFF, "acpi s5");
	boot_tracker_finish(&t, 9.25);
	j = boot_report_json(&t, &run_info);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "schema_version")),
			 BOOT_REPORT_SCHEMA_VERSION);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "pass");
	assert_string_equal(json_string_value(json_object_get(j, "command_line")),
			    "console=ttyS0 panic=-1");
	ms = json_object_get(j, "milestones");
	assert_int_equal(json_array_size(ms), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ms, 0), "name")),
			    "kernel-started");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ms, 1), "name")),
			    "init-started");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ms, 2), "name")),
			    "powered-off");
	for (size_t i = 0; i < json_array_size(ms); i++) {
		double v = json_real_value(json_object_get(json_array_get(ms, i), "time_s"));

		assert_true(v >= prev);
		prev = v;
	}
	assert_true(json_real_value(json_object_get(json_object_get(j, "exit"), "time_s")) == 9.25);
	tail = json_object_get(j, "console_tail");
	assert_int_equal(json_array_size(tail), 3);
	assert_string_equal(json_string_value(json_array_get(tail, 0)), "NC-DMI-sys_vendor: Amazon EC2");
	assert_string_equal(json_string_value(json_array_get(tail, 2)),
			    "[   17.100000] reboot: Power down");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "memory"),
							    "vmm_overhead_kib")),
			 8000);
	json_decref(j);
	boot_tracker_free(&t);
}

static void test_text(void **state)
{
	struct boot_tracker t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	boot_tracker_init(&t, 10);
	feed(&t, 1.0, 1.0);
	boot_tracker_mark(&t, 30, BOOT_MS_TIMED_OUT, NULL);
	boot_tracker_finish(&t, 30);
	assert_int_equal(boot_report_text(f, &t, &run_info), 0);
	fclose(f);
	assert_non_null(strstr(buf, "5.000 s  init started"));
	assert_non_null(strstr(buf, "timed out"));
	assert_non_null(strstr(buf, "  | NC-DONE\n"));
	assert_non_null(strstr(buf, "verdict: FAIL: init started but the guest did not power off in time"));
	free(buf);
	boot_tracker_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console_patterns),
		cmocka_unit_test(test_clean_boot),
		cmocka_unit_test(test_first_line_starts_kernel),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_device_events_and_first_wins),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
