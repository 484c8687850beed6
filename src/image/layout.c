/* SPDX-License-Identifier: MIT */
/*
 * Block layout. Both sources speak blkid's export format (NAME=VALUE with
 * PTTYPE, TYPE, UUID, PART_ENTRY_*): libblkid on the host for raw images,
 * `blkid -p -o export` inside the appliance for the rest, so one function
 * records a partition either way.
 */
#include "image/image.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>

/* GPT partition type GUIDs that decide the boot mode. */
#define GPT_TYPE_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_TYPE_BIOS_BOOT "21686148-6449-6e6f-744e-656564454649"

static const char *kv_get(char *const *kv, const char *key)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
		if (streq(kv[i], key))
			return kv[i + 1];
	return NULL;
}

static char *dup_lower(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	for (char *p = d; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

int layout_add_export(struct nc_block_layout *l, bool volume, const char *device,
		      char *const *kv)
{
	struct nc_partition p = { 0 }, **arr = volume ? &l->volumes : &l->parts;
	size_t *n = volume ? &l->n_volumes : &l->n_parts;
	const char *v;
	struct nc_partition *na;

	p.device = strdup(device);
	if ((v = kv_get(kv, "PART_ENTRY_NUMBER")))
		p.number = atoi(v);
	if ((v = kv_get(kv, "PART_ENTRY_OFFSET")))
		p.start = strtoull(v, NULL, 10) * 512;
	if ((v = kv_get(kv, "PART_ENTRY_SIZE")))
		p.size = strtoull(v, NULL, 10) * 512;
	p.part_type = dup_lower(kv_get(kv, "PART_ENTRY_TYPE"));
	p.partuuid = dup_lower(kv_get(kv, "PART_ENTRY_UUID"));
	if ((v = kv_get(kv, "PART_ENTRY_NAME")))
		p.partlabel = strdup(v);
	if ((v = kv_get(kv, "TYPE")))
		p.fstype = strdup(v);
	if ((v = kv_get(kv, "UUID")))
		p.uuid = strdup(v);
	if ((v = kv_get(kv, "LABEL")))
		p.label = strdup(v);
	if (p.part_type) {
		p.is_esp = streq(p.part_type, GPT_TYPE_ESP) || streq(p.part_type, "0xef");
		p.is_bios_boot = streq(p.part_type, GPT_TYPE_BIOS_BOOT);
	}
	if ((v = kv_get(kv, "PART_ENTRY_FLAGS")))
		p.bootable = strtoull(v, NULL, 0) & 0x80;
	na = realloc(*arr, (*n + 1) * sizeof(*na));
	if (!na || !p.device) {
		nc_partition_clear(&p);
		return -ENOMEM;
	}
	*arr = na;
	na[(*n)++] = p;
	return 0;
}

/* Collect every NAME=VALUE libblkid found in the current probe. */
static int probe_export(blkid_probe pr, char ***ret_kv)
{
	_cleanup_strv_free_ char **kv = NULL;
	int n = blkid_probe_numof_values(pr);

	for (int i = 0; i < n; i++) {
		const char *name, *data;
		size_t len;

		if (blkid_probe_get_value(pr, i, &name, &data, &len) < 0)
			continue;
		if (strv_extend(&kv, name) < 0 || strv_push(&kv, strndup(data, len)) < 0)
			return -ENOMEM;
	}
	*ret_kv = TAKE_PTR(kv);
	return 0;
}

static int probe_superblock_at(const char *path, uint64_t off, uint64_t size, char ***ret_kv)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	blkid_probe pr;
	int r;

	if (fd < 0)
		return -errno;
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	/* our own fd: a probe made from a file name closes its fd on set_device */
	r = blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size);
	if (r == 0) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
							      BLKID_SUBLKS_LABEL);
		r = blkid_do_safeprobe(pr);
		r = r == 0 ? probe_export(pr, ret_kv) : 0;
	} else {
		r = -EIO;
	}
	blkid_free_probe(pr);
	return r;
}

int layout_probe_raw(const char *path, struct nc_block_layout *ret, struct nc_err *err)
{
	struct nc_block_layout l = { 0 };
	blkid_partlist ls;
	blkid_probe pr;
	int r, n;

	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return nc_err_set(err, -EIO, "%s: libblkid cannot open it", path);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	blkid_probe_enable_superblocks(pr, 1);
	ls = blkid_probe_get_partitions(pr);
	n = ls ? blkid_partlist_numof_partitions(ls) : 0;
	if (ls && n > 0) {
		blkid_parttable tab = blkid_partlist_get_table(ls);

		l.pttype = tab ? dup_lower(blkid_parttable_get_type(tab)) : NULL;
		l.disk_id = tab ? dup_lower(blkid_parttable_get_id(tab)) : NULL;
		for (int i = 0; i < n; i++) {
			blkid_partition par = blkid_partlist_get_partition(ls, i);
			_cleanup_strv_free_ char **kv = NULL;
			char num[16], off[32], sz[32], flags[32], dev[64];
			const char *t;

			if (!par)
				continue;
			r = probe_superblock_at(path, (uint64_t)blkid_partition_get_start(par) * 512,
						(uint64_t)blkid_partition_get_size(par) * 512, &kv);
			if (r < 0)
				goto fail;
			snprintf(num, sizeof(num), "%d", blkid_partition_get_partno(par));
			snprintf(off, sizeof(off), "%lld", (long long)blkid_partition_get_start(par));
			snprintf(sz, sizeof(sz), "%lld", (long long)blkid_partition_get_size(par));
			snprintf(flags, sizeof(flags), "0x%llx", blkid_partition_get_flags(par));
			snprintf(dev, sizeof(dev), "part%d", blkid_partition_get_partno(par));
			if (strv_extend(&kv, "PART_ENTRY_NUMBER") < 0 || strv_extend(&kv, num) < 0 ||
			    strv_extend(&kv, "PART_ENTRY_OFFSET") < 0 || strv_extend(&kv, off) < 0 ||
			    strv_extend(&kv, "PART_ENTRY_SIZE") < 0 || strv_extend(&kv, sz) < 0 ||
			    strv_extend(&kv, "PART_ENTRY_FLAGS") < 0 || strv_extend(&kv, flags) < 0)
				goto nomem;
			t = blkid_partition_get_type_string(par);
			if (t) {
				if (strv_extend(&kv, "PART_ENTRY_TYPE") < 0 || strv_extend(&kv, t) < 0)
					goto nomem;
			} else {
				char mbr[8];

				snprintf(mbr, sizeof(mbr), "0x%x", blkid_partition_get_type(par));
				if (strv_extend(&kv, "PART_ENTRY_TYPE") < 0 || strv_extend(&kv, mbr) < 0)
					goto nomem;
			}
			if ((t = blkid_partition_get_uuid(par)) &&
			    (strv_extend(&kv, "PART_ENTRY_UUID") < 0 || strv_extend(&kv, t) < 0))
				goto nomem;
			if ((t = blkid_partition_get_name(par)) &&
			    (strv_extend(&kv, "PART_ENTRY_NAME") < 0 || strv_extend(&kv, t) < 0))
				goto nomem;
			r = layout_add_export(&l, false, dev, kv);
			if (r < 0)
				goto fail;
		}
	} else {
		/* A bare filesystem image (no table): one "partition" 0. */
		_cleanup_strv_free_ char **kv = NULL;

		r = probe_superblock_at(path, 0, 0, &kv);
		if (r < 0)
			goto fail;
		if (!kv || !kv_get(kv, "TYPE")) {
			blkid_free_probe(pr);
			return nc_err_set(err, -ENODATA,
					  "%s: not a disk image: no partition table or filesystem found",
					  path);
		}
		r = layout_add_export(&l, false, "disk", kv);
		if (r < 0)
			goto fail;
	}
	blkid_free_probe(pr);
	*ret = l;
	return 0;
nomem:
	r = -ENOMEM;
fail:
	blkid_free_probe(pr);
	nc_block_layout_free(&l);
	return nc_err_set(err, r, "%s: reading the partition table failed: %s", path,
			  strerror(-r));
}
