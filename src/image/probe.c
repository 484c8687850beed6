/* SPDX-License-Identifier: MIT */
/*
 * Cheap host-side checks that turn the common mistakes (wrong path, empty
 * file, a truncated download) into one clear line before we pay for an
 * appliance launch.
 */
#include "image/image.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct qcow2_header {
	uint32_t magic;
	uint32_t version;
	uint64_t backing_file_offset;
	uint32_t backing_file_size;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_table_offset;
	uint64_t refcount_table_offset;
	uint32_t refcount_table_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
} __attribute__((packed));

/* A qcow2 whose metadata tables lie past the end of the file was cut short
 * (an interrupted copy): libguestfs would fail much later and less clearly. */
static int qcow2_check(const char *path, const uint8_t *buf, size_t n, uint64_t file_size,
		       struct nc_err *err)
{
	struct qcow2_header h;
	uint64_t cluster, l1_end, rc_end;

	if (n < sizeof(h))
		return nc_err_set(err, -EINVAL, "%s: truncated qcow2 header", path);
	memcpy(&h, buf, sizeof(h));
	h.version = be32toh(h.version);
	h.cluster_bits = be32toh(h.cluster_bits);
	h.size = be64toh(h.size);
	h.crypt_method = be32toh(h.crypt_method);
	h.l1_size = be32toh(h.l1_size);
	h.l1_table_offset = be64toh(h.l1_table_offset);
	h.refcount_table_offset = be64toh(h.refcount_table_offset);
	h.refcount_table_clusters = be32toh(h.refcount_table_clusters);
	h.backing_file_offset = be64toh(h.backing_file_offset);

	if (h.version != 2 && h.version != 3)
		return nc_err_set(err, -EINVAL, "%s: unsupported qcow2 version %u", path,
				  h.version);
	if (h.cluster_bits < 9 || h.cluster_bits > 21)
		return nc_err_set(err, -EINVAL, "%s: corrupt qcow2 header (cluster_bits %u)",
				  path, h.cluster_bits);
	if (h.crypt_method != 0)
		return nc_err_set(err, -EINVAL, "%s: encrypted qcow2 images are not supported",
				  path);
	if (h.backing_file_offset != 0)
		return nc_err_set(err, -EINVAL,
				  "%s: qcow2 image has a backing file; flatten it first "
				  "(qemu-img convert -O qcow2 IN OUT)", path);
	cluster = 1ULL << h.cluster_bits;
	l1_end = h.l1_table_offset + (uint64_t)h.l1_size * 8;
	rc_end = h.refcount_table_offset + (uint64_t)h.refcount_table_clusters * cluster;
	if (h.l1_table_offset > file_size || l1_end > file_size || rc_end > file_size ||
	    l1_end < h.l1_table_offset || rc_end < h.refcount_table_offset)
		return nc_err_set(err, -EINVAL,
				  "%s: truncated or corrupt qcow2 (metadata ends at byte %llu, "
				  "file has %llu bytes)", path,
				  (unsigned long long)(l1_end > rc_end ? l1_end : rc_end),
				  (unsigned long long)file_size);
	if (h.size == 0)
		return nc_err_set(err, -EINVAL, "%s: qcow2 image has a virtual size of 0", path);
	return 0;
}

/* qemu-img check reads only the metadata (a tenth of a second on a
 * multi-GiB image) and catches what a header check cannot: data clusters
 * past the end of a file cut short. Exit 2 means corruption; 0, 3 (leaked
 * clusters, harmless read-only) and 63 (check unsupported) do not stop us. */
static int qemu_img_check(const char *path, const char *fmt, struct nc_err *err)
{
	char *argv[] = { "qemu-img", "check", "-q", "-f", (char *)fmt, (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	int status, r;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -ENOMEM;
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawnp(&pid, "qemu-img", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return 0;   /* no qemu-img: libguestfs will say what is wrong */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		return nc_err_set(err, -EINVAL,
				  "%s: corrupt or truncated %s image (qemu-img check found errors: "
				  "its data lies past the end of the file or its tables disagree)",
				  path, fmt);
	return 0;
}

static const char *probe_magic(const uint8_t *b, size_t n, const uint8_t *tail, size_t tn)
{
	if (n >= 4 && memcmp(b, "QFI\xfb", 4) == 0)
		return "qcow2";
	if (n >= 4 && memcmp(b, "KDMV", 4) == 0)
		return "vmdk";
	if (n >= 21 && memcmp(b, "# Disk DescriptorFile", 21) == 0)
		return "vmdk";
	if (n >= 8 && memcmp(b, "vhdxfile", 8) == 0)
		return "vhdx";
	if (n >= 8 && memcmp(b, "conectix", 8) == 0)
		return "vpc";
	if (tn >= 8 && memcmp(tail, "conectix", 8) == 0)
		return "vpc";   /* fixed VHD: footer only */
	if (n >= 0x44 && b[0x40] == 0x7f && b[0x41] == 0x10 && b[0x42] == 0xda && b[0x43] == 0xbe)
		return "vdi";
	return "raw";
}

int image_probe(const char *path, const char *format, char **ret_format, struct nc_err *err)
{
	_cleanup_close_ int fd = -1;
	uint8_t head[4096], tail[512];
	ssize_t n, tn = 0;
	const char *fmt;
	struct stat st;
	uint64_t size;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return nc_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return nc_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return nc_err_set(err, -EISDIR,
				  "%s: is a directory (to scan an unpacked tree use --root %s)",
				  path, path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return nc_err_set(err, -EINVAL, "%s: not a regular file or block device", path);
	size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);

		size = end > 0 ? (uint64_t)end : 0;
	}
	if (size == 0)
		return nc_err_set(err, -EINVAL, "%s: empty file, not a disk image", path);
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return nc_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (size >= sizeof(tail)) {
		tn = pread(fd, tail, sizeof(tail), (off_t)(size - sizeof(tail)));
		if (tn < 0)
			tn = 0;
	}
	fmt = probe_magic(head, (size_t)n, tail, (size_t)tn);
	if (format && !streq(format, fmt) && !streq(format, "raw"))
		return nc_err_set(err, -EINVAL, "%s: --format %s given but the file looks like %s",
				  path, format, fmt);
	if (format)
		fmt = format;
	if (streq(fmt, "qcow2")) {
		r = qcow2_check(path, head, (size_t)n, size, err);
		if (r < 0)
			return r;
	}
	if (streq(fmt, "qcow2") || streq(fmt, "vhdx") || streq(fmt, "vdi")) {
		r = qemu_img_check(path, fmt, err);
		if (r < 0)
			return r;
	} else if (streq(fmt, "raw") && size < 512) {
		return nc_err_set(err, -EINVAL, "%s: %llu bytes is too small to be a disk image",
				  path, (unsigned long long)size);
	}
	*ret_format = strdup(fmt);
	return *ret_format ? 0 : -ENOMEM;
}
