/* SPDX-License-Identifier: MIT */
/*
 * ena_e2e KERNEL INITRD [TIMEOUT_S]: boot a kernel whose initramfs loads the
 * real Linux ena driver (tests/vmm/ena-guest-init) in the VMM with the ENA
 * NIC, its libslirp network and IMDS attached. Prints every device event
 * with its time since start ("EV +1.234s ena-probed") and the guest's
 * "NC-" lines; exits 0 when the driver probed the device, the link came up,
 * IO queues were created, DHCP was acknowledged with router 172.31.0.1 and
 * the guest read its instance-id from IMDS (through its default route).
 * Needs /dev/kvm (tests/kvmlab/run provides one).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/net/nic.h"
#include "vmm/vmm.h"

struct seen {
	pthread_mutex_t lock;
	struct timespec start;
	unsigned int count[VMM_EV__MAX];
	bool lease_router;      /* NC-LEASE ... router=172.31.0.1 */
	bool imds_instance_id;  /* NC-IMDS-INSTANCE-ID: the configured id */
};

#define E2E_INSTANCE_ID "i-0e2e0e2e0e2e0e2e0"

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
		if (detail && !strncmp(detail, "NC-LEASE:", 9) && strstr(detail, " router=172.31.0.1"))
			s->lease_router = true;
		if (detail && !strcmp(detail, "NC-IMDS-INSTANCE-ID: " E2E_INSTANCE_ID))
			s->imds_instance_id = true;
	} else {
		printf("EV +%.3fs %s%s%s\n", t, vmm_event_name(ev), detail ? " " : "",
		       detail ? detail : "");
	}
	fflush(stdout);
	pthread_mutex_unlock(&s->lock);
}

int main(int argc, char **argv)
{
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct vmm_nic_config ncfg = {
		.mac = { 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f },
		.imds = { .instance_id = E2E_INSTANCE_ID },
	};
	enum vmm_event need[] = {
		VMM_EV_ENA_RESET, VMM_EV_ENA_PROBED, VMM_EV_ENA_IO_QUEUES, VMM_EV_ENA_LINK_UP,
		VMM_EV_NET_DHCP_DISCOVER, VMM_EV_NET_DHCP_REQUEST, VMM_EV_NET_DHCP_ACK,
		VMM_EV_NET_IMDS,
	};
	struct vmm_config cfg;
	struct vmm_result res = { 0 };
	struct nc_err err = { 0 };
	struct vmm_nic *nic = NULL;
	struct vmm *vm = NULL;
	int rc, missing = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: ena_e2e KERNEL INITRD [TIMEOUT_S]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	vmm_config_init(&cfg);
	cfg.kernel = argv[1];
	cfg.initrd = argv[2];
	cfg.cmdline = getenv("ENA_E2E_CONSOLE") ? "console=ttyS0 panic=-1" : "console=ttyS0 panic=-1 quiet";
	cfg.mem_bytes = 512ull << 20;
	cfg.event = on_event;
	cfg.event_opaque = &s;
	cfg.console_fd = getenv("ENA_E2E_CONSOLE") ? STDERR_FILENO : -1;
	if (vmm_nic_new(&ncfg, &nic) < 0)
		return 2;
	cfg.attach_nic = vmm_nic_attach;
	cfg.nic_opaque = nic;
	rc = vmm_create(&cfg, &vm, &err);
	if (rc < 0) {
		fprintf(stderr, "ena_e2e: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		vmm_nic_free(nic);
		return 2;
	}
	rc = vmm_run(vm, (argc > 3 ? (unsigned int)atoi(argv[3]) : 120) * 1000u, &res, &err);
	{
		struct ena_stats st;

		vmm_nic_stats(nic, &st);
		printf("STATS tx %llu pkts %llu bytes %llu drops, rx %llu pkts %llu bytes %llu drops, "
		       "%llu admin (%llu failed), %llu keep-alives\n",
		       (unsigned long long)st.tx_pkts, (unsigned long long)st.tx_bytes,
		       (unsigned long long)st.tx_drops, (unsigned long long)st.rx_pkts,
		       (unsigned long long)st.rx_bytes, (unsigned long long)st.rx_drops,
		       (unsigned long long)st.admin_cmds, (unsigned long long)st.admin_errors,
		       (unsigned long long)st.aenq_keep_alive);
	}
	vmm_nic_free(nic);
	vmm_destroy(vm);
	if (rc < 0) {
		fprintf(stderr, "ena_e2e: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		return 2;
	}
	printf("EXIT %s %s\n", vmm_exit_reason_name(res.reason), res.detail);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!s.count[need[i]]) {
			printf("MISSING %s\n", vmm_event_name(need[i]));
			missing++;
		}
	if (!s.lease_router) {
		printf("MISSING lease with router 172.31.0.1\n");
		missing++;
	}
	if (!s.imds_instance_id) {
		printf("MISSING IMDS answer instance-id %s\n", E2E_INSTANCE_ID);
		missing++;
	}
	return missing ? 1 : 0;
}
