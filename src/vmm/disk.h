/* SPDX-License-Identifier: MIT */
/*
 * The backing store of the VMM's disk: an image opened read-only and a
 * copy-on-write overlay that takes the guest's writes and is discarded at
 * close. The image is never written.
 *
 * Raw images are read with pread. Every other format qemu understands
 * (qcow2, vmdk, vhdx, vpc, vdi, qed) is read through a private qemu-nbd
 * child (read-only, socket-activated, reaped at close) with libnbd.
 *
 * The overlay is an unlinked sparse temporary file plus a bitmap of the
 * 4 KiB blocks written so far. All calls are thread-safe.
 */
#ifndef NC_VMM_DISK_H
#define NC_VMM_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define DISK_BLOCK_SIZE 4096u

struct disk;

/* Name of the image format the first bytes (head) and the last 512 bytes of
 * the file (tail, may be NULL) show: "qcow2", "qcow", "vmdk", "vhdx", "vpc",
 * "vdi", "qed", or "raw" when nothing matches. Pure. */
const char *disk_probe_format(const void *head, size_t head_len, const void *tail,
			      size_t tail_len);

/* Opens path read-only. format NULL probes by magic. Errors name the file
 * and the problem in err. For non-raw formats the qemu-nbd child is tied to
 * the calling thread (PR_SET_PDEATHSIG): open from a thread that outlives
 * the disk. */
int disk_open(const char *path, const char *format, struct disk **ret, struct nc_err *err);

/* [off, off+len) must lie within disk_size(): -EINVAL otherwise, -EIO when
 * the backend fails. */
int disk_read(struct disk *d, uint64_t off, void *buf, size_t len);
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len);
int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len);
/* Nothing of the overlay outlives the process: a flush only checks the
 * disk is still usable. */
int disk_flush(struct disk *d);

uint64_t disk_size(const struct disk *d);
const char *disk_format(const struct disk *d);
const char *disk_path(const struct disk *d);
/* Number of 4 KiB blocks the overlay holds. */
uint64_t disk_overlay_blocks(struct disk *d);

/* Discards the overlay, ends the qemu-nbd child. NULL is fine. */
void disk_close(struct disk *d);

static inline void disk_closep(struct disk **d)
{
	disk_close(*d);
}
#define _cleanup_disk_ _cleanup_(disk_closep)

#endif
