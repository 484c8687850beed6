/* SPDX-License-Identifier: MIT */
#include "facts/facts.h"

#include "common/util.h"
#include "facts/osinfo.h"
#include "initramfs/initramfs.h"
#include "kernel/kernel.h"
#include "platform/platform.h"

const char *nc_os_family_name(enum nc_os_family f)
{
	switch (f) {
	case NC_FAMILY_DEBIAN:
		return "debian";
	case NC_FAMILY_RHEL:
		return "rhel";
	case NC_FAMILY_SUSE:
		return "suse";
	case NC_FAMILY_ARCH:
		return "arch";
	case NC_FAMILY_ALPINE:
		return "alpine";
	case NC_FAMILY_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *nc_driver_status_name(enum nc_driver_status s)
{
	return kernel_driver_status_str(s);
}

void nc_partition_clear(struct nc_partition *p)
{
	free(p->device);
	free(p->part_type);
	free(p->partuuid);
	free(p->partlabel);
	free(p->fstype);
	free(p->uuid);
	free(p->label);
}

void nc_block_layout_free(struct nc_block_layout *l)
{
	for (size_t i = 0; i < l->n_parts; i++)
		nc_partition_clear(&l->parts[i]);
	for (size_t i = 0; i < l->n_volumes; i++)
		nc_partition_clear(&l->volumes[i]);
	free(l->parts);
	free(l->volumes);
	free(l->pttype);
	free(l->disk_id);
	memset(l, 0, sizeof(*l));
}

void nc_facts_free(struct nc_facts *f)
{
	nc_block_layout_free(&f->layout);
	for (size_t i = 0; i < f->n_kernels; i++) {
		initramfs_clear(&f->kernels[i].initramfs);
		free(f->kernels[i].cmdline);
		f->kernels[i].cmdline = NULL;
	}
	kernels_free(f->kernels, f->n_kernels);
	os_info_free(&f->os);
	boot_facts_free(&f->boot);
	net_facts_free(&f->net);
	xen_facts_free(&f->xen);
	platform_facts_free(&f->platform);
	free(f->default_reason);
	strv_free(f->notes);
	free(f->image);
	memset(f, 0, sizeof(*f));
	f->default_kernel = -1;
}
