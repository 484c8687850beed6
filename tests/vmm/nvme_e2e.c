/* SPDX-License-Identifier: MIT */
/*
 * nvme_e2e KERNEL INITRD IMAGE [TIMEOUT_S]: boot a kernel whose initramfs
 * loads the real Linux nvme driver (tests/vmm/nvme-guest-init) in the VMM
 * with the EBS-style NVMe controller backed by IMAGE. Prints every device
 * event with its time since start ("EV +1.234s nvme-enabled ...") and the
 * guest's "NC-" lines; exits 0 when the controller was enabled, identified,
 * got IO queues and served a read, and IMAGE is byte for byte unchanged
 * although the guest wrote to the disk. Needs /dev/kvm (tests/kvmlab/run).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/dev/nvme.h"
#include "vmm/vmm.h"

struct seen {
	pthread_mutex_t lock;
	struct timespec start;
	unsigned int count[VMM_EV__MAX];
};

struct attach {
	const char *image;
	struct disk *disk;
	struct nvme_ctrl *ctrl;
};

static void on_event(void *opaque, enum vmm_event ev, const char *detail)
{
	struct seen *s = opaque;
	struct timespec now;
	double t;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (double)(now.tv_sec - s->start.tv_sec) + (double)(now.tv_nsec - s->start.tv_nsec) / 1e9;
	pthread_mutex_lock(&s->lock);
	if ((unsigned int)ev < VMM_EV__MAX)
		s->count[ev]++;
	if (ev == VMM_EV_CONSOLE_LINE) {
		if (detail && !strncmp(detail, "NC-", 3))
			printf("%s\n", detail);
	} else {
		printf("EV +%.3fs %s%s%s\n", t, vmm_event_name(ev), detail ? " " : "",
		       detail ? detail : "");
	}
	fflush(stdout);
	pthread_mutex_unlock(&s->lock);
}

/* What `nitrocheck boot IMAGE` will do: the disk at 00:04.0. */
static int attach_disk(struct vmm *vm, void *opaque, struct nc_err *err)
{
	struct attach *a = opaque;
	struct nvme_config cfg = { .serial = "vol0e2e0e2e0e2e0e2e0", .ebs_name = "/dev/xvda" };
	void *handle = NULL;
	int rc;

	rc = disk_open(a->image, NULL, &a->disk, err);
	if (rc < 0)
		return rc;
	cfg.disk = a->disk;
	rc = nvme_create(&cfg, vmm_dev_host(vm), &a->ctrl);
	if (rc < 0)
		return nc_err_set(err, rc, "nvme: %s", strerror(-rc));
	rc = vmm_pci_register(vm, nvme_pci_desc(a->ctrl), &handle);
	if (rc < 0)
		return nc_err_set(err, rc, "nvme: PCI registration: %s", strerror(-rc));
	nvme_set_pci_handle(a->ctrl, handle);
	return 0;
}

static int file_hash(const char *path, uint64_t *ret)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
	fclose(f);
	*ret = h;
	return 0;
}

int main(int argc, char **argv)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	enum vmm_event need[] = {
		VMM_EV_NVME_ENABLED, VMM_EV_NVME_IDENTIFIED, VMM_EV_NVME_IO_QUEUES,
		VMM_EV_NVME_FIRST_READ,
	};
	struct attach a = { 0 };
	struct vmm_config cfg;
	struct vmm_result res = { 0 };
	struct nc_err err = { 0 };
	struct vmm *vm = NULL;
	uint64_t before, after;
	int rc, missing = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: nvme_e2e KERNEL INITRD IMAGE [TIMEOUT_S]\n");
		return 2;
	}
	a.image = argv[3];
	if (file_hash(a.image, &before) < 0) {
		fprintf(stderr, "nvme_e2e: %s: %s\n", a.image, strerror(errno));
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	vmm_config_init(&cfg);
	cfg.kernel = argv[1];
	cfg.initrd = argv[2];
	cfg.cmdline = "console=ttyS0 panic=-1 quiet";
	cfg.mem_bytes = 512ull << 20;
	cfg.event = on_event;
	cfg.event_opaque = &s;
	cfg.console_fd = getenv("NVME_E2E_CONSOLE") ? STDERR_FILENO : -1;
	cfg.attach_disk = attach_disk;
	cfg.disk_opaque = &a;
	rc = vmm_create(&cfg, &vm, &err);
	if (rc == 0)
		rc = vmm_run(vm, (argc > 4 ? (unsigned int)atoi(argv[4]) : 120) * 1000u, &res, &err);
	vmm_destroy(vm);
	nvme_destroy(a.ctrl);
	disk_close(a.disk);
	if (rc < 0) {
		fprintf(stderr, "nvme_e2e: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		return 2;
	}
	printf("EXIT %s %s\n", vmm_exit_reason_name(res.reason), res.detail);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!s.count[need[i]]) {
			printf("MISSING %s\n", vmm_event_name(need[i]));
			missing++;
		}
	if (file_hash(a.image, &after) < 0 || after != before) {
		printf("IMAGE CHANGED %s\n", a.image);
		missing++;
	} else {
		printf("IMAGE unchanged\n");
	}
	return missing ? 1 : 0;
}
