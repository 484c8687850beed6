/* SPDX-License-Identifier: MIT */
#include "vmm/bus.h"

#include <errno.h>
#include <string.h>

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0 || gpa + len < gpa)
		return NULL;
	for (unsigned int i = 0; i < mem->n_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int guest_mem_add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva)
{
	if (mem->n_regions >= GUEST_MEM_MAX_REGIONS || size == 0 || gpa + size < gpa)
		return -EINVAL;
	mem->regions[mem->n_regions++] = (struct guest_mem_region){ gpa, size, hva };
	return 0;
}

const char *vmm_event_name(enum vmm_event ev)
{
	static const char *const names[VMM_EV__MAX] = {
		[VMM_EV_NVME_ENABLED] = "nvme-enabled",
		[VMM_EV_NVME_IDENTIFIED] = "nvme-identified",
		[VMM_EV_NVME_IO_QUEUES] = "nvme-io-queues",
		[VMM_EV_NVME_FIRST_READ] = "nvme-first-read",
		[VMM_EV_ENA_RESET] = "ena-reset",
		[VMM_EV_ENA_PROBED] = "ena-probed",
		[VMM_EV_ENA_IO_QUEUES] = "ena-io-queues",
		[VMM_EV_ENA_LINK_UP] = "ena-link-up",
		[VMM_EV_NET_DHCP_DISCOVER] = "dhcp-discover",
		[VMM_EV_NET_DHCP_REQUEST] = "dhcp-request",
		[VMM_EV_NET_DHCP_ACK] = "dhcp-ack",
		[VMM_EV_NET_IMDS] = "imds",
		[VMM_EV_CONSOLE_LINE] = "console-line",
		[VMM_EV_GUEST_POWEROFF] = "guest-poweroff",
		[VMM_EV_GUEST_RESET] = "guest-reset",
		[VMM_EV_GUEST_STARTED] = "guest-started",
		[VMM_EV_GUEST_ERROR] = "guest-error",
	};

	return (unsigned int)ev < VMM_EV__MAX && names[ev] ? names[ev] : "unknown";
}
