/* SPDX-License-Identifier: MIT */
/*
 * nitrocheck boot --kernel K [--initrd I] ...: boot a kernel in the
 * Nitro-style VMM with no disk and report the milestones it reached.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bootcheck/bootcheck.h"
#include "bootcheck/bootplan.h"
#include "bootcheck/disk_attach.h"
#include "cli/boot_net.h"
#include "cli/commands.h"
#include "common/util.h"
#include "vmm/vmm.h"

/* Always on the command line, before --append: the console the milestones
 * are read from, and a panic that ends the machine instead of hanging. */
#define BOOT_BASE_CMDLINE "console=ttyS0 panic=-1"
#define BOOT_DEFAULT_TIMEOUT 300
/* boot IMAGE: minutes each milestone may take after the one before. */
#define BOOT_DEFAULT_MILESTONE_TIMEOUT_S (3 * 60)
/* After multi-user, how long the network chain may make no progress. */
#define BOOT_DEFAULT_NET_SETTLE_S 60

static void boot_usage(FILE *f)
{
	fputs("Usage: nitrocheck boot --kernel FILE [OPTIONS]\n"
	      "       nitrocheck boot IMAGE [OPTIONS]\n"
	      "       nitrocheck boot IMAGE --extract DIR [--format json]\n"
	      "\n"
	      "With IMAGE: boot the image's own default kernel, initramfs and command line\n"
	      "(console=ttyS0 added, quiet dropped) with the image as an EBS-style NVMe\n"
	      "root disk (never written) and confirm each milestone: kernel started, NVMe\n"
	      "controller enabled, namespace identified, root file system mounted,\n"
	      "multi-user reached. --kernel/--initrd/--append override the image's.\n"
	      "      --milestone-timeout T how long the guest may show no progress (no\n"
	      "                            console output, no milestone) before the next\n"
	      "                            milestone (IMAGE; minutes, or with an s/m suffix;\n"
	      "                            default 3m, 0: none)\n"
	      "      --net-timeout SECONDS after multi-user, how long the network milestones\n"
	      "                            may make no progress (IMAGE; default 60)\n"
	      "      --cmdline ARGS        the image's kernel command line instead of the one\n"
	      "                            its boot loader names (IMAGE; with --kernel, the\n"
	      "                            image is not scanned at all)\n"
	      "      --extract DIR         do not boot: copy the image's default kernel,\n"
	      "                            initramfs and command line into DIR (" BOOT_PLAN_KERNEL ",\n"
	      "                            " BOOT_PLAN_INITRD ", " BOOT_PLAN_CMDLINE "; no KVM needed) for a later\n"
	      "                            boot IMAGE --kernel DIR/" BOOT_PLAN_KERNEL " --initrd\n"
	      "                            DIR/" BOOT_PLAN_INITRD " --cmdline \"$(cat DIR/" BOOT_PLAN_CMDLINE ")\"\n"
	      "\n"
	      "Boot a kernel (and initramfs) with no disk in nitrocheck's Nitro-style VMM\n"
	      "(KVM, ACPI and SMBIOS as on EC2, COM1 console, PCI with MSI-X) and report\n"
	      "the milestones the guest reached: kernel started, init started, powered off.\n"
	      "\n"
	      "Options:\n"
	      "  -k, --kernel FILE         bzImage to boot (64-bit boot protocol)\n"
	      "  -i, --initrd FILE         initramfs to load\n"
	      "  -a, --append ARGS         kernel arguments, after \"" BOOT_BASE_CMDLINE "\"\n"
	      "  -c, --cpus N              vCPUs (default 2)\n"
	      "  -m, --memory SIZE         guest RAM, MiB or with a K/M/G suffix (default 1G)\n"
	      "  -t, --instance-type TYPE  SMBIOS product name (default m5.large)\n"
	      "      --uuid UUID           SMBIOS UUID and serial (default: random ec2...)\n"
	      "      --console             copy the guest console to stderr; from a terminal or\n"
	      "                            a pipe, stdin goes to the guest's ttyS0 (terminal:\n"
	      "                            raw mode, Ctrl-A x ends the VM, Ctrl-A Ctrl-A sends\n"
	      "                            Ctrl-A)\n"
	      "      --mac MAC             the ENA NIC's MAC (default: random, locally administered)\n"
	      "      --user-data FILE      IMDS user-data (default: none, 404)\n"
	      "      --no-net              no ENA NIC (default: ENA at 00:05.0 with DHCP and IMDS;\n"
	      "                            network milestones: ENA probed, interface up, DHCP\n"
	      "                            request seen, lease acknowledged, IMDS contacted)\n"
	      "      --timeout SECONDS     give up after this long (default 300, 0: never)\n"
	      "  -f, --format text|json    report format (default text)\n"
	      "  -h, --help                show this help\n"
	      "\n"
	      "Exit status: 0 confirmed (IMAGE: root mounted from NVMe, multi-user and,\n"
	      "with the NIC, a DHCP lease; --kernel: init started and a clean poweroff),\n"
	      "1 a milestone failed, 2 the machine could not run (bad options,\n"
	      "unreadable kernel, no /dev/kvm:\n"
	      "without KVM, run it inside the lab: tests/kvmlab/run nitrocheck boot ...).\n",
	      f);
}

/* ---- Console input -------------------------------------------------------- */

/* The terminal as it was before the guest got the keyboard. Static: the
 * signal handlers that put it back can reach nothing else. */
static struct termios console_saved_tty;
static volatile sig_atomic_t console_tty_raw;

static void console_restore_tty(void)
{
	if (console_tty_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &console_saved_tty);
		console_tty_raw = 0;
	}
}

/* A signal that ends us must not leave the terminal raw. */
static void console_fatal_signal(int sig)
{
	console_restore_tty();
	raise(sig);             /* SA_RESETHAND: now the default action */
}

/* Raw mode as QEMU's stdio console sets it: no echo, no line editing, no
 * signals from keys (Ctrl-C is the guest's), output processing kept. */
static int console_make_raw(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS };
	struct sigaction sa = { .sa_handler = console_fatal_signal, .sa_flags = SA_RESETHAND };
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &console_saved_tty) < 0)
		return -errno;
	t = console_saved_tty;
	t.c_iflag &= (tcflag_t)~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= (tcflag_t)~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	atexit(console_restore_tty);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		return -errno;
	console_tty_raw = 1;
	return 0;
}

/* --console: stdin feeds ttyS0 when it is a terminal (raw, with the
 * Ctrl-A escape) or a pipe; anything else (/dev/null, a file) does not. */
static void console_input_setup(struct vmm_config *cfg)
{
	struct stat st;

	if (isatty(STDIN_FILENO)) {
		if (console_make_raw() < 0) {
			console_restore_tty();
			return;
		}
		cfg->console_in_fd = STDIN_FILENO;
		cfg->console_escape = true;
		fputs("nitrocheck boot: console input on ttyS0; Ctrl-A x ends the VM\r\n", stderr);
		return;
	}
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		cfg->console_in_fd = STDIN_FILENO;
}

static int parse_size_mib(const char *s, unsigned long long *ret_mib)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
	case 'M':
	case 'm':
		break;
	case 'G':
	case 'g':
		v *= 1024;
		break;
	case 'K':
	case 'k':
		if (v % 1024)
			return -EINVAL;
		v /= 1024;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && !(streq(end + 1, "iB") || streq(end + 1, "B")))
		return -EINVAL;
	if (v == 0 || v > (1ull << 20))
		return -ERANGE;
	*ret_mib = v;
	return 0;
}

static int parse_uint(const char *s, unsigned int max, unsigned int *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*ret = (unsigned int)v;
	return 0;
}

/* "5" (minutes, as before), "5m" or "90s" into seconds, up to a day. */
static int parse_minutes_or_seconds(const char *s, unsigned int *ret_s)
{
	_cleanup_free_ char *num = strdup(s);
	size_t n = num ? strlen(num) : 0;
	unsigned int unit = 60, v;

	if (!num)
		return -ENOMEM;
	if (n && (num[n - 1] == 's' || num[n - 1] == 'm')) {
		unit = num[n - 1] == 's' ? 1 : 60;
		num[n - 1] = '\0';
	}
	if (parse_uint(num, 24 * 3600 / unit, &v) < 0)
		return -EINVAL;
	*ret_s = v * unit;
	return 0;
}

/* boot IMAGE: what the image's options add to the --kernel ones. */
struct boot_image {
	unsigned int milestone_timeout_s;
	unsigned int net_settle_s;      /* 0: no NIC */
	const char *cmdline;            /* --cmdline, NULL: the boot loader's */
};

/* The image's command line as booted: "quiet" dropped (the console is what
 * the milestones are read from), console=ttyS0 added when missing, then
 * --append. */
static char *image_cmdline(const char *image_args, const char *append)
{
	_cleanup_free_ char *copy = strdup(image_args ? image_args : "");
	char *out = strdup(""), *save = NULL;
	bool has_console = false;

	if (!copy || !out)
		goto fail;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char *next;

		if (streq(w, "quiet"))
			continue;
		if (streq(w, "console=ttyS0") || startswith(w, "console=ttyS0,"))
			has_console = true;
		next = strdup_printf("%s%s%s", out, *out ? " " : "", w);
		if (!next)
			goto fail;
		free(out);
		out = next;
	}
	if (!has_console || (append && *append)) {
		char *next = strdup_printf("%s%s%s%s%s", out, *out ? " " : "",
					   has_console ? "" : "console=ttyS0",
					   append && *append && !has_console ? " " : "",
					   append ? append : "");

		if (!next)
			goto fail;
		free(out);
		out = next;
	}
	return out;
fail:
	free(out);
	return NULL;
}

/* Prints the report of a finished run (IMAGE: path, with the image's
 * fields) and returns the exit status it stands for. */
static int boot_report(const struct bootcheck_run *run, const struct vmm_config *cfg,
		       const char *cmdline, unsigned long long mem_mib, char **argv,
		       const struct boot_net *net, double plan_s, const char *path,
		       const char *format)
{
	const struct boot_run_info info = {
		.kernel = cfg->kernel,
		.initrd = cfg->initrd,
		.cmdline = cmdline,
		.plan_s = plan_s,
		.argv = argv,
		.cpus = cfg->cpus,
		.mem_mib = mem_mib,
		.instance_type = cfg->instance_type,
		.uuid = run->uuid,
		.exit_reason = vmm_exit_reason_name(run->result.reason),
		.exit_detail = run->result.detail,
		.exits = run->result.exits,
		.rss_kib = run->mem.rss_kib,
		.guest_rss_kib = run->mem.guest_rss_kib,
		.anon_kib = run->mem.anon_kib,
		.guest_anon_kib = run->mem.guest_anon_kib,
		.net = net ? &net->watch : NULL,
	};
	struct boot_outcome outcome;
	int code;

	boot_run_outcome(&run->tracker, &info, &outcome);
	code = outcome.verdict == BOOT_VERDICT_PASS ? NC_EXIT_OK : NC_EXIT_FAIL;
	if (streq(format, "json")) {
		json_t *j = boot_report_json(&run->tracker, &info);

		if (!j || (path && json_object_set_new(j, "image", json_string(path)) < 0) ||
		    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
			code = NC_EXIT_ERROR;
		else
			fputc('\n', stdout);
		json_decref(j);
	} else {
		if (path)
			printf("image: %s (NVMe root disk, EBS name /dev/xvda; never written)\n",
			       path);
		boot_report_text(stdout, &run->tracker, &info);
	}
	return code;
}

/* boot IMAGE --extract DIR: the plan, saved and reported, no machine. */
static int boot_extract_main(const char *path, const char *dir, const char *format)
{
	struct nc_boot_plan plan = { 0 };
	struct nc_err err = { 0 };
	const struct nc_kernel *k;
	int rc, code = NC_EXIT_ERROR;

	/* A directory we cannot write is known before the image is read. */
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || access(dir, W_OK | X_OK) < 0) {
		fprintf(stderr, "nitrocheck boot: --extract %s: %s\n", dir, strerror(errno));
		return NC_EXIT_ERROR;
	}
	rc = boot_plan_from_image(path, cli_default_rules_dir(), &plan, &err);
	if (rc == 0)
		rc = boot_plan_save(&plan, dir, &err);
	if (rc < 0) {
		fprintf(stderr, "nitrocheck boot: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		goto out;
	}
	k = &plan.facts.kernels[plan.facts.default_kernel];
	if (streq(format, "json")) {
		json_t *j = json_pack("{s:i, s:s, s:s?, s:s?, s:s, s:s?, s:s, s:s}",
				      "schema_version", 1, "image", path,
				      "kernel_version", plan.version, "chosen_by", plan.how,
				      "kernel", k->image_path, "initrd", k->initrd_path,
				      "cmdline", plan.cmdline, "directory", dir);

		if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
			json_decref(j);
			goto out;
		}
		fputc('\n', stdout);
		json_decref(j);
	} else {
		printf("image: %s\n"
		       "kernel: %s (%s)\n"
		       "chosen by: %s\n"
		       "initramfs: %s\n"
		       "command line: %s\n"
		       "saved in %s: " BOOT_PLAN_KERNEL ", %s" BOOT_PLAN_CMDLINE "\n",
		       path, k->image_path, plan.version ? plan.version : "version unknown",
		       plan.how ? plan.how : "-", k->initrd_path ? k->initrd_path : "none",
		       plan.cmdline, dir, plan.initrd ? BOOT_PLAN_INITRD ", " : "");
	}
	code = NC_EXIT_OK;
out:
	boot_plan_free(&plan);
	return cli_finish_stdout(code);
}

static int boot_image_main(const char *path, const struct boot_image *image,
			   struct vmm_config *cfg, const char *append, unsigned int timeout,
			   unsigned long long mem_mib, bool console, const char *format,
			   char **argv, const struct boot_net *net)
{
	struct nc_boot_plan plan = { 0 };
	struct disk_attachment disk;
	struct bootcheck_run run;
	struct nc_err err = { 0 };
	struct timespec t0, t1;
	double plan_s = -1;
	_cleanup_free_ char *cmdline = NULL;
	int rc, code = NC_EXIT_ERROR;

	/* Say it before the scan: without KVM nothing here can run. */
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		fprintf(stderr,
			"nitrocheck boot: /dev/kvm: %s: this machine cannot run the VMM; run it "
			"in the KVM lab: tests/kvmlab/run nitrocheck boot %s\n",
			strerror(errno), path);
		return NC_EXIT_ERROR;
	}
	plan.facts.snap.rootfd = -1;
	/* Everything given: no need to look inside the image. */
	if (!cfg->kernel || !image->cmdline) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = boot_plan_from_image(path, cli_default_rules_dir(), &plan, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		plan_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (rc < 0) {
			fprintf(stderr, "nitrocheck boot: %s\n",
				err.msg[0] ? err.msg : strerror(-rc));
			boot_plan_free(&plan);
			return NC_EXIT_ERROR;
		}
	}
	if (!cfg->kernel) {
		cfg->kernel = plan.kernel;
		if (!cfg->initrd)
			cfg->initrd = plan.initrd;
	}
	cmdline = image_cmdline(image->cmdline ? image->cmdline : plan.cmdline, append);
	if (!cmdline)
		goto out;
	cfg->cmdline = cmdline;
	cfg->mem_bytes = mem_mib << 20;
	cfg->console_fd = console ? STDERR_FILENO : -1;
	disk_attachment_setup(&disk, path, cfg);

	if (console)
		console_input_setup(cfg);
	rc = bootcheck_run_image(cfg, timeout, image->milestone_timeout_s,
				 net ? image->net_settle_s : 0, &run, &err);
	console_restore_tty();
	if (rc < 0) {
		fprintf(stderr, "nitrocheck boot: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		goto out_run;
	}
	code = boot_report(&run, cfg, cmdline, mem_mib, argv, net, plan_s, path, format);
out_run:
	bootcheck_run_free(&run);
	disk_attachment_free(&disk);
out:
	boot_plan_free(&plan);
	return cli_finish_stdout(code);
}

int cmd_boot(int argc, char **argv)
{
	enum { OPT_UUID = 0x100, OPT_CONSOLE, OPT_TIMEOUT, OPT_MILESTONE_TIMEOUT,
	       OPT_MAC, OPT_USER_DATA, OPT_NO_NET, OPT_NET_TIMEOUT, OPT_CMDLINE, OPT_EXTRACT };
	static const struct option options[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "instance-type", required_argument, NULL, 't' },
		{ "uuid", required_argument, NULL, OPT_UUID },
		{ "console", no_argument, NULL, OPT_CONSOLE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "milestone-timeout", required_argument, NULL, OPT_MILESTONE_TIMEOUT },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "user-data", required_argument, NULL, OPT_USER_DATA },
		{ "no-net", no_argument, NULL, OPT_NO_NET },
		{ "net-timeout", required_argument, NULL, OPT_NET_TIMEOUT },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "extract", required_argument, NULL, OPT_EXTRACT },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct vmm_config cfg;
	struct bootcheck_run run;
	struct nc_err err = { 0 };
	_cleanup_free_ char *cmdline = NULL;
	const char *append = NULL, *format = "text";
	unsigned long long mem_mib = VMM_DEFAULT_MEM >> 20;
	unsigned int timeout = BOOT_DEFAULT_TIMEOUT;
	bool console = false;
	struct boot_image image = { .milestone_timeout_s = BOOT_DEFAULT_MILESTONE_TIMEOUT_S,
				    .net_settle_s = BOOT_DEFAULT_NET_SETTLE_S };
	struct boot_net net;
	const char *user_data = NULL, *extract = NULL;
	uint8_t mac[6];
	bool have_mac = false, with_net = true;
	int c, rc, code;

	vmm_config_init(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:i:a:c:m:t:f:h", options, NULL)) != -1) {
		switch (c) {
		case 'k':
			cfg.kernel = optarg;
			break;
		case 'i':
			cfg.initrd = optarg;
			break;
		case 'a':
			append = optarg;
			break;
		case 'c':
			if (parse_uint(optarg, VMM_MAX_CPUS, &cfg.cpus) < 0 || cfg.cpus == 0) {
				fprintf(stderr, "nitrocheck boot: --cpus %s: 1 to %d\n", optarg,
					VMM_MAX_CPUS);
				return NC_EXIT_ERROR;
			}
			break;
		case 'm':
			if (parse_size_mib(optarg, &mem_mib) < 0) {
				fprintf(stderr,
					"nitrocheck boot: --memory %s: a size such as 1024, 512M or 2G\n",
					optarg);
				return NC_EXIT_ERROR;
			}
			break;
		case 't':
			cfg.instance_type = optarg;
			break;
		case OPT_UUID:
			cfg.uuid = optarg;
			break;
		case OPT_CONSOLE:
			console = true;
			break;
		case OPT_TIMEOUT:
			if (parse_uint(optarg, 7 * 24 * 3600, &timeout) < 0) {
				fprintf(stderr, "nitrocheck boot: --timeout %s: seconds\n", optarg);
				return NC_EXIT_ERROR;
			}
			break;
		case OPT_MILESTONE_TIMEOUT:
			if (parse_minutes_or_seconds(optarg, &image.milestone_timeout_s) < 0) {
				fprintf(stderr, "nitrocheck boot: --milestone-timeout %s: minutes, "
						"or a number with an s or m suffix\n", optarg);
				return NC_EXIT_ERROR;
			}
			break;
		case OPT_CMDLINE:
			image.cmdline = optarg;
			break;
		case OPT_EXTRACT:
			extract = optarg;
			break;
		case OPT_NET_TIMEOUT:
			if (parse_uint(optarg, 24 * 3600, &image.net_settle_s) < 0 ||
			    !image.net_settle_s) {
				fprintf(stderr, "nitrocheck boot: --net-timeout %s: seconds (> 0)\n",
					optarg);
				return NC_EXIT_ERROR;
			}
			break;
		case OPT_MAC:
			if (boot_net_parse_mac(optarg, mac) < 0) {
				fprintf(stderr, "nitrocheck boot: --mac %s: a unicast MAC such as "
						"0a:1b:2c:3d:4e:5f\n", optarg);
				return NC_EXIT_ERROR;
			}
			have_mac = true;
			break;
		case OPT_USER_DATA:
			user_data = optarg;
			break;
		case OPT_NO_NET:
			with_net = false;
			break;
		case 'f':
			format = optarg;
			if (!streq(format, "text") && !streq(format, "json")) {
				fprintf(stderr, "nitrocheck boot: --format %s: text or json\n",
					optarg);
				return NC_EXIT_ERROR;
			}
			break;
		case 'h':
			boot_usage(stdout);
			return cli_finish_stdout(NC_EXIT_OK);
		default:
			fprintf(stderr, "Try 'nitrocheck boot --help'.\n");
			return NC_EXIT_ERROR;
		}
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "nitrocheck boot: unexpected argument '%s' (one IMAGE)\n"
				"Try 'nitrocheck boot --help'.\n", argv[optind + 1]);
		return NC_EXIT_ERROR;
	}
	if (extract) {
		if (optind >= argc || cfg.kernel || cfg.initrd || image.cmdline || append) {
			fprintf(stderr, "nitrocheck boot: --extract DIR takes one IMAGE and saves its "
					"own kernel, initramfs and command line (no --kernel, "
					"--initrd, --cmdline or --append)\n");
			return NC_EXIT_ERROR;
		}
		return boot_extract_main(argv[optind], extract, format);
	}
	/* For VMM developers: where a boot's time and exits go, on stderr. */
	if (getenv("NITROCHECK_VMM_STATS"))
		cfg.stats_fd = STDERR_FILENO;
	cfg.host_decompress = getenv("NITROCHECK_VMM_HOST_DECOMPRESS") != NULL;
	/* The e2e tests' do-nothing device may take the ENA's slot. */
	if (getenv("NITROCHECK_VMM_TEST_DEVICE_SLOT"))
		with_net = false;
	if (with_net) {
		rc = boot_net_setup(&net, have_mac ? mac : NULL, user_data, &cfg, &err);
		if (rc < 0) {
			fprintf(stderr, "nitrocheck boot: %s\n", err.msg);
			boot_net_free(&net);
			return NC_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		code = boot_image_main(argv[optind], &image, &cfg, append, timeout, mem_mib,
				       console, format, argv, with_net ? &net : NULL);
		if (with_net)
			boot_net_free(&net);
		return code;
	}
	if (!cfg.kernel) {
		fprintf(stderr, "nitrocheck boot: --kernel is required\n"
				"Try 'nitrocheck boot --help'.\n");
		if (with_net)
			boot_net_free(&net);
		return NC_EXIT_ERROR;
	}
	cmdline = append && *append ? strdup_printf("%s %s", BOOT_BASE_CMDLINE, append) :
				      strdup(BOOT_BASE_CMDLINE);
	if (!cmdline) {
		if (with_net)
			boot_net_free(&net);
		return NC_EXIT_ERROR;
	}
	cfg.cmdline = cmdline;
	cfg.mem_bytes = mem_mib << 20;
	cfg.console_fd = console ? STDERR_FILENO : -1;
	/* For VMM developers: every device access on stderr. */
	if (getenv("NITROCHECK_VMM_TRACE"))
		cfg.trace_fd = STDERR_FILENO;
	/* For the end-to-end tests: a do-nothing PCI device in this slot. */
	if (getenv("NITROCHECK_VMM_TEST_DEVICE_SLOT")) {
		unsigned int slot;

		if (parse_uint(getenv("NITROCHECK_VMM_TEST_DEVICE_SLOT"), 31, &slot) == 0)
			cfg.test_device_slot = (uint8_t)slot;
	}

	if (console)
		console_input_setup(&cfg);
	rc = bootcheck_run(&cfg, timeout, &run, &err);
	console_restore_tty();
	if (rc < 0) {
		fprintf(stderr, "nitrocheck boot: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		bootcheck_run_free(&run);
		if (with_net)
			boot_net_free(&net);
		return NC_EXIT_ERROR;
	}

	code = boot_report(&run, &cfg, cmdline, mem_mib, argv, with_net ? &net : NULL, -1, NULL,
			   format);
	bootcheck_run_free(&run);
	if (with_net)
		boot_net_free(&net);
	return cli_finish_stdout(code);
}
