/* SPDX-License-Identifier: MIT */
/*
 * Disk backend: read-only image + discarded copy-on-write overlay.
 *
 * Why qemu-nbd + libnbd for non-raw formats: qcow2 alone has compression,
 * external data files, backing chains, subclusters and extended L2 entries;
 * vmdk/vhdx/vpc have their own layouts. qemu's block layer already reads all
 * of them correctly, qemu-nbd exposes it read-only over NBD, and libnbd is the
 * well-kept client. We spawn qemu-nbd ourselves with systemd socket
 * activation on a listening socket we already connected to, so there is no
 * socket path to poll for and no race, and we capture its stderr in a memfd
 * so a failure names the problem in qemu's own words. libnbd's
 * nbd_connect_systemd_socket_activation would do the spawn but lets the
 * child write to our stderr.
 */
#include "vmm/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libnbd.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

extern char **environ;

/* Largest single NBD request; qemu-nbd accepts up to 32 MiB. */
#define NBD_CHUNK (8u << 20)

struct disk {
	char *path;
	char *format;
	uint64_t size;
	int fd;             /* raw image, O_RDONLY; -1 for NBD */
	struct nbd_handle *nbd;
	pid_t nbd_pid;
	int overlay_fd;
	uint64_t *bitmap;   /* one bit per DISK_BLOCK_SIZE block */
	uint64_t n_blocks;
	uint64_t n_written;
	pthread_mutex_t lock;
};

static bool has_magic(const void *buf, size_t len, size_t off, const char *magic, size_t n)
{
	return len >= off + n && memcmp((const uint8_t *)buf + off, magic, n) == 0;
}

const char *disk_probe_format(const void *head, size_t head_len, const void *tail,
			      size_t tail_len)
{
	const uint8_t *h = head;

	if (has_magic(head, head_len, 0, "QFI\xfb", 4)) {
		/* version is big-endian at offset 4; 1 is the old qcow */
		if (head_len >= 8 && h[4] == 0 && h[5] == 0 && h[6] == 0 && h[7] == 1)
			return "qcow";
		return "qcow2";
	}
	if (has_magic(head, head_len, 0, "KDMV", 4) ||
	    has_magic(head, head_len, 0, "# Disk DescriptorFile", 21))
		return "vmdk";
	if (has_magic(head, head_len, 0, "vhdxfile", 8))
		return "vhdx";
	if (has_magic(head, head_len, 0, "conectix", 8))
		return "vpc";
	if (has_magic(head, head_len, 0, "QED\0", 4))
		return "qed";
	/* VDI: signature 0xbeda107f little-endian at 0x40 */
	if (has_magic(head, head_len, 0x40, "\x7f\x10\xda\xbe", 4))
		return "vdi";
	/* Fixed-size VHD: raw data followed by a 512-byte footer */
	if (tail && has_magic(tail, tail_len, 0, "conectix", 8))
		return "vpc";
	return "raw";
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			/* the file shrank under us: what is gone reads as zeroes */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static uint64_t get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* qemu opens a qcow2 whose tables lie past the end of the file and reads
 * zeroes there: a truncated download would boot as an empty disk. Say so. */
static int qcow2_check_truncated(const struct disk *d, const uint8_t *h, size_t len,
				 struct nc_err *err)
{
	uint64_t cluster_bits, l1_size, l1_off, rt_off, rt_clusters;

	if (len < 64)
		return 0; /* qemu names a short header itself */
	cluster_bits = get_be(h + 20, 4);
	l1_size = get_be(h + 36, 4);
	l1_off = get_be(h + 40, 8);
	rt_off = get_be(h + 48, 8);
	rt_clusters = get_be(h + 56, 4);
	if (cluster_bits < 9 || cluster_bits > 21)
		return 0;
	if (l1_size && (l1_off > d->size || l1_size * 8 > d->size - l1_off))
		return nc_err_set(err, -EIO,
				  "%s: truncated qcow2: its L1 table at offset %" PRIu64
				  " ends past the end of the file (%" PRIu64 " bytes)",
				  d->path, l1_off, d->size);
	if (rt_off > d->size || (rt_clusters << cluster_bits) > d->size - rt_off)
		return nc_err_set(err, -EIO,
				  "%s: truncated qcow2: its refcount table at offset %" PRIu64
				  " ends past the end of the file (%" PRIu64 " bytes)",
				  d->path, rt_off, d->size);
	return 0;
}

/* ---- qemu-nbd child ------------------------------------------------------- */

static char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/bin:/bin");
	char *save = NULL;

	if (!copy)
		return NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *full = path_join(dir, name);

		if (full && access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

/* Async-signal-safe decimal formatting for the forked child. */
static void format_uint(char *dst, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(tmp));
	while (n > 0)
		*dst++ = tmp[--n];
	*dst = '\0';
}

/* Reads what the child wrote to its stderr, last line first if several. */
static void child_message(int memfd, char *buf, size_t size)
{
	ssize_t n = pread(memfd, buf, size - 1, 0);
	char *last;

	buf[n > 0 ? n : 0] = '\0';
	while ((last = strrchr(buf, '\n')) && last[1] == '\0')
		*last = '\0';
	/* keep the last line: qemu prints the root cause there */
	last = strrchr(buf, '\n');
	if (last)
		memmove(buf, last + 1, strlen(last + 1) + 1);
}

static void reap_child(pid_t pid, bool terminate)
{
	int status;

	if (pid <= 0)
		return;
	if (terminate)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* Runs argv (argv[0] a full path) with stdout and stderr in a memfd;
 * returns the exit status or -errno, *ret_out the output (NUL-terminated). */
static int run_capture(char *const argv[], char **ret_out)
{
	_cleanup_close_ int outfd = memfd_create("nc-capture", MFD_CLOEXEC);
	_cleanup_close_ int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *out;
	int status;
	pid_t pid;

	if (outfd < 0 || nullfd < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (dup2(nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
			_exit(127);
		close_range(3, ~0u, 0);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (fstat(outfd, &st) < 0 || st.st_size > (1 << 20))
		return -EIO;
	out = calloc(1, (size_t)st.st_size + 1);
	if (!out)
		return -ENOMEM;
	if (st.st_size > 0 && pread(outfd, out, (size_t)st.st_size, 0) != st.st_size) {
		free(out);
		return -EIO;
	}
	*ret_out = out;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* An image may name other host files: a backing file, a qcow2 external
 * data file, vmdk extents. The guest would read them, and a hostile image
 * could name any file we can read (or a URL). Refuse such images: the
 * input is one file. qemu-img info reads the headers without opening what
 * they name. */
static int check_references(struct disk *d, struct nc_err *err)
{
	_cleanup_free_ char *qemu_img = find_in_path("qemu-img");
	_cleanup_free_ char *format_arg = NULL, *out = NULL;
	json_t *info, *data, *extents, *v;
	json_error_t jerr;
	size_t i;
	int r;

	if (!qemu_img)
		return nc_err_set(err, -ENOENT,
				  "%s: %s image needs qemu-img (package qemu-utils), not found in PATH",
				  d->path, d->format);
	format_arg = strdup(d->format);
	if (!format_arg)
		return -ENOMEM;
	char *argv[] = { qemu_img, "info", "--output=json", "-f", format_arg, "--", d->path, NULL };

	r = run_capture(argv, &out);
	if (r < 0)
		return nc_err_set(err, r, "%s: cannot run qemu-img: %s", d->path, strerror(-r));
	if (r != 0) {
		char *nl;

		while ((nl = strrchr(out, '\n')) && nl[1] == '\0')
			*nl = '\0';
		nl = strrchr(out, '\n');
		return nc_err_set(err, -EIO, "%s: cannot read as %s: %s", d->path, d->format,
				  nl ? nl + 1 : out);
	}
	info = json_loads(out, 0, &jerr);
	if (!info)
		return nc_err_set(err, -EIO, "%s: cannot parse qemu-img info: %s", d->path, jerr.text);
	r = 0;
	v = json_object_get(info, "backing-filename");
	if (json_is_string(v)) {
		r = nc_err_set(err, -EPERM,
			       "%s: has a backing file (%s) the guest could read; boot a single-file "
			       "image: qemu-img convert -O qcow2 %s FLAT.qcow2",
			       d->path, json_string_value(v), d->path);
		goto out;
	}
	data = json_object_get(json_object_get(info, "format-specific"), "data");
	v = json_object_get(data, "data-file");
	if (json_is_string(v)) {
		r = nc_err_set(err, -EPERM,
			       "%s: keeps its data in another file (%s); boot a single-file image: "
			       "qemu-img convert -O qcow2 %s FLAT.qcow2",
			       d->path, json_string_value(v), d->path);
		goto out;
	}
	extents = json_object_get(data, "extents");
	json_array_foreach(extents, i, v) {
		const char *f = json_string_value(json_object_get(v, "filename"));

		if (f && !streq(f, d->path)) {
			r = nc_err_set(err, -EPERM,
				       "%s: its data is in another file (%s); boot a single-file "
				       "image: qemu-img convert -O vmdk %s FLAT.vmdk",
				       d->path, f, d->path);
			goto out;
		}
	}
out:
	json_decref(info);
	return r;
}

static int nbd_backend_open(struct disk *d, struct nc_err *err)
{
	_cleanup_free_ char *qemu_nbd = find_in_path("qemu-nbd");
	_cleanup_free_ char *format_arg = NULL;
	_cleanup_free_ char **envp = NULL;
	_cleanup_close_ int lfd = -1, cfd = -1, errfd = -1, nullfd = -1;
	char listen_pid[32] = "LISTEN_PID=";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen = sizeof(sa_family_t);
	size_t n_env = 0, i = 0;
	char msg[512];
	int64_t size;
	pid_t pid;
	int r;

	if (!qemu_nbd)
		return nc_err_set(err, -ENOENT,
				  "%s: %s image needs qemu-nbd (package qemu-utils), not found in PATH",
				  d->path, d->format);

	format_arg = strdup_printf("--format=%s", d->format);
	if (!format_arg)
		return -ENOMEM;
	char *argv[] = { qemu_nbd, "--read-only", "--shared=1", format_arg, "--", d->path, NULL };

	/* A listening socket on an autobound abstract address, and a client
	 * already queued on it: qemu-nbd accepts it as soon as it is up. */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, salen) < 0 || listen(lfd, 1) < 0)
		return nc_err_set(err, -errno, "%s: cannot create the NBD socket: %m", d->path);
	salen = sizeof(sa);
	if (getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0)
		return nc_err_set(err, -errno, "%s: cannot create the NBD socket: %m", d->path);
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, salen) < 0)
		return nc_err_set(err, -errno, "%s: cannot connect the NBD socket: %m", d->path);
	errfd = memfd_create("qemu-nbd-stderr", MFD_CLOEXEC);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (errfd < 0 || nullfd < 0)
		return nc_err_set(err, -errno, "%s: cannot prepare qemu-nbd: %m", d->path);

	/* Environment for the child, built before fork: ours without
	 * LISTEN_*, plus the socket-activation variables. */
	while (environ && environ[n_env])
		n_env++;
	envp = calloc(n_env + 3, sizeof(char *));
	if (!envp)
		return -ENOMEM;
	for (size_t j = 0; j < n_env; j++)
		if (!startswith(environ[j], "LISTEN_"))
			envp[i++] = environ[j];
	envp[i++] = "LISTEN_FDS=1";
	envp[i++] = listen_pid;

	pid = fork();
	if (pid < 0)
		return nc_err_set(err, -errno, "%s: cannot start qemu-nbd: %m", d->path);
	if (pid == 0) {
		sigset_t none;

		/* Only async-signal-safe calls until execve. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (dup2(nullfd, 0) < 0 || dup2(nullfd, 1) < 0 || dup2(errfd, 2) < 0)
			_exit(127);
		if (lfd == 3) {
			if (fcntl(3, F_SETFD, 0) < 0)
				_exit(127);
		} else if (dup2(lfd, 3) < 0) {
			_exit(127);
		}
		close_range(4, ~0u, 0);
		format_uint(listen_pid + strlen("LISTEN_PID="), (unsigned long)getpid());
		execve(qemu_nbd, argv, envp);
		_exit(127);
	}
	/* The child holds the only listening fd now: if it dies, our queued
	 * connection is reset instead of hanging. */
	close(lfd);
	lfd = -1;

	d->nbd = nbd_create();
	if (!d->nbd) {
		reap_child(pid, true);
		return nc_err_set(err, -ENOMEM, "%s: %s", d->path, nbd_get_error());
	}
	r = nbd_connect_socket(d->nbd, cfd);
	cfd = -1; /* libnbd owns it, even on failure */
	if (r < 0) {
		int status = 0;

		/* give qemu-nbd a moment to have said why */
		for (int tries = 0; tries < 200; tries++) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				pid = 0;
				break;
			}
			usleep(10000);
		}
		reap_child(pid, true);
		child_message(errfd, msg, sizeof(msg));
		nbd_close(d->nbd);
		d->nbd = NULL;
		if (msg[0])
			return nc_err_set(err, -EIO, "%s: cannot read as %s: %s", d->path,
					  d->format, msg);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			return nc_err_set(err, -EIO, "%s: cannot execute %s", d->path, qemu_nbd);
		return nc_err_set(err, -EIO, "%s: cannot read as %s: NBD handshake failed",
				  d->path, d->format);
	}
	d->nbd_pid = pid;
	size = nbd_get_size(d->nbd);
	if (size < 0)
		return nc_err_set(err, -EIO, "%s: NBD export has no size: %s", d->path,
				  nbd_get_error());
	d->size = (uint64_t)size;
	return 0;
}

/* ---- overlay ---------------------------------------------------------------- */

/* An unlinked file in dir, or -errno. */
static int tmpfile_in(const char *dir)
{
	_cleanup_free_ char *tmpl = NULL;
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* filesystems without O_TMPFILE: create and unlink at once */
	tmpl = path_join(dir, "nitrocheck-overlay-XXXXXX");
	if (!tmpl)
		return -ENOMEM;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(tmpl);
	return fd;
}

static int overlay_open(struct disk *d, struct nc_err *err)
{
	/* $TMPDIR, else disk-backed /var/tmp, else /tmp (read-only roots) */
	const char *env = getenv("TMPDIR");
	const char *dirs[] = { env && *env ? env : "/var/tmp", "/var/tmp", "/tmp" };
	int fd = -EINVAL;

	for (size_t i = 0; i < ARRAY_SIZE(dirs) && fd < 0; i++)
		fd = tmpfile_in(dirs[i]);
	if (fd < 0)
		return nc_err_set(err, fd, "%s: cannot create the write overlay in %s: %s",
				  d->path, dirs[0], strerror(-fd));
	d->overlay_fd = fd;
	if (ftruncate(fd, (off_t)d->size) < 0)
		return nc_err_set(err, -errno, "%s: cannot size the write overlay: %m", d->path);
	d->n_blocks = (d->size + DISK_BLOCK_SIZE - 1) / DISK_BLOCK_SIZE;
	/* calloc of a large bitmap is mmap'd: untouched parts cost no memory */
	d->bitmap = calloc((d->n_blocks + 63) / 64, sizeof(uint64_t));
	if (!d->bitmap)
		return -ENOMEM;
	return 0;
}

static bool block_written(const struct disk *d, uint64_t blk)
{
	return d->bitmap[blk / 64] & (1ull << (blk % 64));
}

static void block_mark(struct disk *d, uint64_t blk)
{
	if (!block_written(d, blk)) {
		d->bitmap[blk / 64] |= 1ull << (blk % 64);
		d->n_written++;
	}
}

/* ---- open/close ------------------------------------------------------------- */

static int raw_size(int fd, const struct stat *st, uint64_t *ret_size)
{
	uint64_t size;

	if (S_ISBLK(st->st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			return -errno;
	} else {
		size = (uint64_t)st->st_size;
	}
	*ret_size = size;
	return 0;
}

int disk_open(const char *path, const char *format, struct disk **ret, struct nc_err *err)
{
	_cleanup_disk_ struct disk *d = NULL;
	uint8_t head[4096], tail[512];
	size_t head_len = 0, tail_len = 0;
	struct stat st;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd = -1;
	d->overlay_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;

	d->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (d->fd < 0)
		return nc_err_set(err, -errno, "%s: cannot open: %m", path);
	if (fstat(d->fd, &st) < 0)
		return nc_err_set(err, -errno, "%s: cannot stat: %m", path);
	if (S_ISDIR(st.st_mode))
		return nc_err_set(err, -EISDIR, "%s: is a directory, not a disk image", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return nc_err_set(err, -EINVAL, "%s: not a regular file or block device", path);
	r = raw_size(d->fd, &st, &d->size);
	if (r < 0)
		return nc_err_set(err, r, "%s: cannot get the size: %s", path, strerror(-r));
	if (d->size == 0)
		return nc_err_set(err, -EINVAL, "%s: empty file, not a disk image", path);

	head_len = d->size < sizeof(head) ? (size_t)d->size : sizeof(head);
	r = pread_full(d->fd, head, head_len, 0);
	if (r < 0)
		return nc_err_set(err, r, "%s: cannot read: %s", path, strerror(-r));
	if (d->size >= sizeof(tail)) {
		tail_len = sizeof(tail);
		r = pread_full(d->fd, tail, tail_len, d->size - tail_len);
		if (r < 0)
			return nc_err_set(err, r, "%s: cannot read: %s", path, strerror(-r));
	}
	if (!format)
		format = disk_probe_format(head, head_len, tail_len ? tail : NULL, tail_len);
	d->format = strdup(format);
	if (!d->format)
		return -ENOMEM;

	if (streq(format, "qcow2") && S_ISREG(st.st_mode)) {
		r = qcow2_check_truncated(d, head, head_len, err);
		if (r < 0)
			return r;
	}
	if (!streq(format, "raw")) {
		/* qemu-nbd opens the file itself; a qcow2 header cut short is
		 * its to report, in its words. */
		close(d->fd);
		d->fd = -1;
		r = check_references(d, err);
		if (r < 0)
			return r;
		r = nbd_backend_open(d, err);
		if (r < 0)
			return r;
	}
	if (d->size < 512)
		return nc_err_set(err, -EINVAL, "%s: %" PRIu64 " bytes, smaller than one 512-byte sector",
				  path, d->size);

	r = overlay_open(d, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(d);
	return 0;
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	if (d->nbd) {
		nbd_shutdown(d->nbd, 0);
		nbd_close(d->nbd);
	}
	/* without --persistent qemu-nbd exits when we hang up; SIGTERM in
	 * case it did not notice yet */
	reap_child(d->nbd_pid, true);
	if (d->fd >= 0)
		close(d->fd);
	if (d->overlay_fd >= 0)
		close(d->overlay_fd);
	pthread_mutex_destroy(&d->lock);
	free(d->bitmap);
	free(d->format);
	free(d->path);
	free(d);
}

/* ---- I/O -------------------------------------------------------------------- */

static bool range_ok(const struct disk *d, uint64_t off, uint64_t len)
{
	return off <= d->size && len <= d->size - off;
}

static int base_read(struct disk *d, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	if (d->fd >= 0)
		return pread_full(d->fd, buf, len, off) < 0 ? -EIO : 0;
	while (len > 0) {
		size_t n = len < NBD_CHUNK ? len : NBD_CHUNK;

		if (nbd_pread(d->nbd, p, n, off, 0) < 0)
			return -EIO;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Reads [off, off+len) run by run: overlay blocks from the overlay, the
 * rest from the image. Caller holds the lock. */
static int read_locked(struct disk *d, uint64_t off, uint8_t *buf, size_t len)
{
	while (len > 0) {
		uint64_t blk = off / DISK_BLOCK_SIZE;
		bool in_overlay = block_written(d, blk);
		uint64_t end = (blk + 1) * DISK_BLOCK_SIZE;
		size_t n;
		int r;

		/* extend the run while blocks stay on the same side */
		while (end < off + len && block_written(d, end / DISK_BLOCK_SIZE) == in_overlay)
			end += DISK_BLOCK_SIZE;
		n = (size_t)((end < off + len ? end : off + len) - off);
		if (in_overlay)
			r = pread_full(d->overlay_fd, buf, n, off) < 0 ? -EIO : 0;
		else
			r = base_read(d, off, buf, n);
		if (r < 0)
			return r;
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len)
{
	int r;

	if (!range_ok(d, off, len))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	r = read_locked(d, off, buf, len);
	pthread_mutex_unlock(&d->lock);
	return r;
}

/* Writes into the overlay; data NULL writes zeroes. A block only partly
 * covered and not yet in the overlay is first copied from the image. */
static int write_locked(struct disk *d, uint64_t off, const uint8_t *data, uint64_t len)
{
	static const uint8_t zero[DISK_BLOCK_SIZE];
	uint8_t block[DISK_BLOCK_SIZE];

	while (len > 0) {
		uint64_t blk = off / DISK_BLOCK_SIZE;
		uint64_t bstart = blk * DISK_BLOCK_SIZE;
		uint64_t blen = d->size - bstart < DISK_BLOCK_SIZE ? d->size - bstart : DISK_BLOCK_SIZE;
		uint64_t in = off - bstart;
		uint64_t n = blen - in < len ? blen - in : len;
		int r;

		if (n < blen && !block_written(d, blk)) {
			r = base_read(d, bstart, block, (size_t)blen);
			if (r < 0)
				return r;
			memcpy(block + in, data ? data : zero, (size_t)n);
			r = pwrite_full(d->overlay_fd, block, (size_t)blen, bstart);
		} else {
			r = pwrite_full(d->overlay_fd, data ? data : zero, (size_t)n, off);
		}
		if (r < 0)
			return -EIO;
		block_mark(d, blk);
		if (data)
			data += n;
		off += n;
		len -= n;
	}
	return 0;
}

int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len)
{
	int r;

	if (!range_ok(d, off, len))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	r = write_locked(d, off, buf, len);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len)
{
	int r;

	if (!range_ok(d, off, len))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	r = write_locked(d, off, NULL, len);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int disk_flush(struct disk *d)
{
	int r = 0;

	pthread_mutex_lock(&d->lock);
	if (d->nbd && !nbd_aio_is_ready(d->nbd))
		r = -EIO;
	pthread_mutex_unlock(&d->lock);
	return r;
}

uint64_t disk_size(const struct disk *d)
{
	return d->size;
}

const char *disk_format(const struct disk *d)
{
	return d->format;
}

const char *disk_path(const struct disk *d)
{
	return d->path;
}

uint64_t disk_overlay_blocks(struct disk *d)
{
	uint64_t n;

	pthread_mutex_lock(&d->lock);
	n = d->n_written;
	pthread_mutex_unlock(&d->lock);
	return n;
}
