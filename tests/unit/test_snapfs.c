/* SPDX-License-Identifier: MIT */
/*
 * The snapshot reader (common/snapfs): a tree with symlinks that try to
 * leave the root (relative, absolute, ".."), absolute symlinks meant for
 * inside it, size caps, directories and a FIFO where files are wanted.
 * Every test runs twice: with openat2, then with openat2 refused by a
 * seccomp filter (ENOSYS, as on Linux < 5.6), so the user-space walk is
 * held to the same answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "common/snapfs.h"
#include "common/util.h"

#define BIG_SIZE 10000u

struct tree {
	char tmp[64];   /* tmp/root is the snapshot, tmp/secret lies outside */
	char *root;
	int rootfd;
};

static void put(const char *dir, const char *path, const char *text)
{
	_cleanup_free_ char *p = path_join(dir, path);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void dir(const char *root, const char *path)
{
	_cleanup_free_ char *p = path_join(root, path);

	assert_int_equal(mkdir(p, 0755), 0);
}

static void link_to(const char *root, const char *path, const char *target)
{
	_cleanup_free_ char *p = path_join(root, path);

	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	_cleanup_free_ char *host_secret = NULL, *big = NULL, *fifo = NULL;

	assert_non_null(t);
	strcpy(t->tmp, "/tmp/nc-snapfs-XXXXXX");
	assert_non_null(mkdtemp(t->tmp));
	t->root = path_join(t->tmp, "root");
	assert_non_null(t->root);
	assert_int_equal(mkdir(t->root, 0755), 0);

	/* Outside the root: what no path inside may reach. */
	put(t->tmp, "secret", "outside\n");
	host_secret = path_join(t->tmp, "secret");
	/* Its namesake inside, where ".." must stop. */
	put(t->root, "secret", "inside\n");

	dir(t->root, "etc");
	put(t->root, "etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
	put(t->root, "etc/.hidden.conf", "x\n");
	put(t->root, "etc/b.conf", "b\n");
	put(t->root, "etc/a.conf", "a\n");
	dir(t->root, "boot");
	put(t->root, "boot/vmlinuz-1", "kernel one\n");
	dir(t->root, "usr");
	dir(t->root, "usr/lib");
	dir(t->root, "usr/lib/modules");
	put(t->root, "usr/lib/modules/dep", "deps\n");

	/* Meant for inside: absolute targets are the guest's paths. */
	link_to(t->root, "vmlinuz", "/boot/vmlinuz-1");
	link_to(t->root, "lib", "/usr/lib");
	link_to(t->root, "etc/dirlink", "/usr/lib");
	/* Trying to leave: relative climbs and the host path of the secret. */
	link_to(t->root, "etc/climb", "../../../../secret");
	link_to(t->root, "etc/host-secret", host_secret);
	link_to(t->root, "etc/climb-missing", "../../../../../tmp");
	link_to(t->root, "loop-a", "loop-b");
	link_to(t->root, "loop-b", "/loop-a");

	big = malloc(BIG_SIZE + 1);
	assert_non_null(big);
	memset(big, 'k', BIG_SIZE);
	big[BIG_SIZE] = '\0';
	put(t->root, "boot/big", big);

	dir(t->root, "run");
	fifo = path_join(t->root, "run/fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);

	t->rootfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->rootfd >= 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	_cleanup_free_ char *cmd = strdup_printf("rm -rf '%s'", t->tmp);

	close(t->rootfd);
	assert_int_equal(system(cmd), 0);
	free(t->root);
	free(t);
	return 0;
}

static void assert_reads(int rootfd, const char *path, const char *want)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	assert_int_equal(snapfs_read_file(rootfd, path, 1 << 20, &buf, &len), 0);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
}

static void assert_read_fails(int rootfd, const char *path, size_t max, int want)
{
	char *buf = (char *)1;

	assert_int_equal(snapfs_read_file(rootfd, path, max, &buf, NULL), want);
	/* Nothing handed out on failure. */
	assert_ptr_equal(buf, (char *)1);
}

static void test_plain_and_leading_slash(void **state)
{
	struct tree *t = *state;

	assert_reads(t->rootfd, "/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
	assert_reads(t->rootfd, "etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
	assert_reads(t->rootfd, "//etc/./fstab", "UUID=1 / ext4 defaults 0 1\n");
}

static void test_absolute_symlinks_resolve_inside(void **state)
{
	struct tree *t = *state;

	assert_reads(t->rootfd, "/vmlinuz", "kernel one\n");
	/* An absolute symlink in the middle of the path (usrmerge /lib). */
	assert_reads(t->rootfd, "/lib/modules/dep", "deps\n");
	assert_reads(t->rootfd, "/etc/dirlink/modules/dep", "deps\n");
	/* The host's path of a file outside: not there inside the root. */
	assert_read_fails(t->rootfd, "/etc/host-secret", 1 << 20, -ENOENT);
}

static void test_dotdot_stops_at_root(void **state)
{
	struct tree *t = *state;

	/* Both climb far above the root and land on its own /secret. */
	assert_reads(t->rootfd, "/../../../secret", "inside\n");
	assert_reads(t->rootfd, "/etc/climb", "inside\n");
	assert_reads(t->rootfd, "/boot/../../etc/../../secret", "inside\n");
	/* /tmp of the host exists; inside the root there is none. */
	assert_read_fails(t->rootfd, "/etc/climb-missing", 1 << 20, -ENOENT);
	assert_false(snapfs_exists(t->rootfd, "/etc/climb-missing"));
	assert_false(snapfs_exists(t->rootfd, "/etc/host-secret"));
}

static void test_missing(void **state)
{
	struct tree *t = *state;

	assert_read_fails(t->rootfd, "/etc/nothing", 1 << 20, -ENOENT);
	assert_read_fails(t->rootfd, "/nowhere/fstab", 1 << 20, -ENOENT);
	/* A file where a directory is needed. */
	assert_read_fails(t->rootfd, "/etc/fstab/x", 1 << 20, -ENOTDIR);
	assert_int_equal(snapfs_open(t->rootfd, "/etc/nothing", O_RDONLY), -ENOENT);
	assert_read_fails(t->rootfd, "/loop-a", 1 << 20, -ELOOP);
}

static void test_size_cap(void **state)
{
	struct tree *t = *state;
	_cleanup_free_ char *buf = NULL, *head = NULL, *whole = NULL;
	size_t len = 0;

	assert_read_fails(t->rootfd, "/boot/big", BIG_SIZE - 1, -EFBIG);
	assert_read_fails(t->rootfd, "/boot/big", 0, -EFBIG);
	assert_int_equal(snapfs_read_file(t->rootfd, "/boot/big", BIG_SIZE, &buf, &len), 0);
	assert_int_equal(len, BIG_SIZE);
	assert_int_equal(strlen(buf), BIG_SIZE);

	/* A head is cut at n, without reading (or allocating) the rest. */
	assert_int_equal(snapfs_read_head(t->rootfd, "/boot/big", 4096, &head, &len), 0);
	assert_int_equal(len, 4096);
	assert_int_equal(strlen(head), 4096);
	assert_int_equal(snapfs_read_head(t->rootfd, "/vmlinuz", 4096, &whole, &len), 0);
	assert_string_equal(whole, "kernel one\n");
	assert_int_equal(len, strlen("kernel one\n"));
}

static void test_directory_and_fifo_are_not_files(void **state)
{
	struct tree *t = *state;
	char *buf = (char *)1;
	time_t start = time(NULL);

	assert_read_fails(t->rootfd, "/etc", 1 << 20, -EISDIR);
	assert_read_fails(t->rootfd, "/", 1 << 20, -EISDIR);
	assert_read_fails(t->rootfd, "/lib", 1 << 20, -EISDIR);
	assert_int_equal(snapfs_read_head(t->rootfd, "/etc", 16, &buf, NULL), -EISDIR);
	/* A FIFO with no writer: refused at once, not waited on. */
	assert_read_fails(t->rootfd, "/run/fifo", 1 << 20, -EBADF);
	assert_int_equal(snapfs_read_head(t->rootfd, "/run/fifo", 16, &buf, NULL), -EBADF);
	assert_true(time(NULL) - start < 5);
}

static void test_types(void **state)
{
	struct tree *t = *state;
	static const char *const candidates[] = { "/etc/none", "/vmlinuz", "/etc/fstab", NULL };
	static const char *const none[] = { "/etc/none", "/etc/climb-missing", NULL };
	struct stat st;

	/* The target's, not the symlink's. */
	assert_int_equal(snapfs_stat(t->rootfd, "/vmlinuz", &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, strlen("kernel one\n"));
	assert_int_equal(snapfs_stat(t->rootfd, "/etc/host-secret", &st), -ENOENT);
	assert_true(snapfs_is_file(t->rootfd, "/vmlinuz"));
	assert_false(snapfs_is_file(t->rootfd, "/lib"));
	assert_false(snapfs_is_file(t->rootfd, "/run/fifo"));
	assert_true(snapfs_is_dir(t->rootfd, "/lib"));
	assert_true(snapfs_is_dir(t->rootfd, "/"));
	assert_false(snapfs_is_dir(t->rootfd, "/etc/fstab"));
	assert_true(snapfs_exists(t->rootfd, "/run/fifo"));
	assert_string_equal(snapfs_first_existing(t->rootfd, candidates), "/vmlinuz");
	assert_null(snapfs_first_existing(t->rootfd, none));
}

static void test_list_dir(void **state)
{
	struct tree *t = *state;
	_cleanup_strv_free_ char **all = NULL, **conf = NULL, **hidden = NULL, **lib = NULL;
	char **none = (char **)1;

	assert_int_equal(snapfs_list_dir(t->rootfd, "/etc", NULL, &all), 0);
	assert_int_equal(strv_length(all), 8);
	assert_string_equal(all[0], ".hidden.conf");
	assert_string_equal(all[1], "a.conf");
	assert_string_equal(all[7], "host-secret");
	assert_int_equal(snapfs_list_dir(t->rootfd, "/etc", "*.conf", &conf), 0);
	assert_int_equal(strv_length(conf), 2);
	assert_string_equal(conf[0], "a.conf");
	assert_string_equal(conf[1], "b.conf");
	assert_int_equal(snapfs_list_dir(t->rootfd, "/etc", ".*", &hidden), 0);
	assert_int_equal(strv_length(hidden), 1);
	/* Through an absolute symlink: the root's /usr/lib. */
	assert_int_equal(snapfs_list_dir(t->rootfd, "/lib", NULL, &lib), 0);
	assert_int_equal(strv_length(lib), 1);
	assert_string_equal(lib[0], "modules");
	assert_int_equal(snapfs_list_dir(t->rootfd, "/etc/none", NULL, &none), -ENOENT);
	assert_int_equal(snapfs_list_dir(t->rootfd, "/etc/fstab", NULL, &none), -ENOTDIR);
	assert_ptr_equal(none, (char **)1);
}

/* The host reader under it: a file that reports no size (procfs) is read
 * whole, not cut at the size fstat gave. */
static void test_sizeless_file(void **state)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	struct stat st;

	assert_int_equal(stat("/proc/self/status", &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(read_file_full("/proc/self/status", 1 << 20, &buf, &len), 0);
	assert_true(len > 100);
	assert_non_null(strstr(buf, "Name:"));
	assert_int_equal(strlen(buf), len);
}

/* Refuse openat2 with ENOSYS from here on, as an old kernel would. */
static void refuse_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		fprintf(stderr, "seccomp: %s\n", strerror(errno));
		exit(1);
	}
}

static void test_openat2_refused(void **state)
{
	struct tree *t = *state;

	assert_int_equal(syscall(SYS_openat2, t->rootfd, ".", NULL, 0), -1);
	assert_int_equal(errno, ENOSYS);
}

#define SNAPFS_TESTS                                                        \
	cmocka_unit_test(test_plain_and_leading_slash),                     \
	cmocka_unit_test(test_absolute_symlinks_resolve_inside),            \
	cmocka_unit_test(test_dotdot_stops_at_root),                        \
	cmocka_unit_test(test_missing),                                     \
	cmocka_unit_test(test_size_cap),                                    \
	cmocka_unit_test(test_directory_and_fifo_are_not_files),            \
	cmocka_unit_test(test_types),                                       \
	cmocka_unit_test(test_list_dir)

int main(void)
{
	const struct CMUnitTest with_openat2[] = {
		SNAPFS_TESTS,
		cmocka_unit_test(test_sizeless_file),
	};
	const struct CMUnitTest with_walk[] = {
		cmocka_unit_test(test_openat2_refused),
		SNAPFS_TESTS,
	};
	int failed = cmocka_run_group_tests_name("snapfs openat2", with_openat2, setup, teardown);

	refuse_openat2();
	failed += cmocka_run_group_tests_name("snapfs walk", with_walk, setup, teardown);
	return failed;
}
