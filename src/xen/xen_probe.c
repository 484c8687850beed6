/* SPDX-License-Identifier: MIT */
/*
 * Software that detects EC2 through Xen: files that read
 * /sys/hypervisor/uuid, /proc/xen or call xenstore-read. On Nitro those
 * are gone, and such software decides it is not on EC2. Scripts are
 * reported by line, ELF files by section and string (libelf).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/snapfs.h"
#include "common/util.h"
#include "xen/xen.h"

#define PROBE_FILE_MAX (64ull << 20)
#define PROBE_MAX_DEPTH 40
#define PROBE_MAX_FILES 500000
#define PROBE_MAX_LINES 16    /* per file and pattern */
#define PROBE_TEXT_MAX 240

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ELFDATA ELFDATA2LSB
#else
#define NATIVE_ELFDATA ELFDATA2MSB
#endif

const char *const nc_xen_probe_patterns[] = {
	"/sys/hypervisor/uuid", "/proc/xen", "xenstore-read", NULL,
};

const char *const nc_xen_probe_dirs[] = {
	"/etc", "/usr/local", "/opt", "/home", "/root", "/srv", NULL,
};

void nc_xen_probe_clear(struct nc_xen_probe *p)
{
	free(p->file);
	free(p->kind);
	free(p->pattern);
	free(p->section);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

static int push_probe(struct nc_xen_probe **v, size_t *n, const char *file, const char *kind,
		      const char *pattern, unsigned int line, const char *section,
		      const char *text, size_t text_len, unsigned long long offset)
{
	struct nc_xen_probe *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	struct nc_xen_probe *p;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	p = &nv[(*n)++];
	memset(p, 0, sizeof(*p));
	p->file = strdup(file);
	p->kind = strdup(kind);
	p->pattern = strdup(pattern);
	p->line = line;
	p->section = section ? strdup(section) : NULL;
	p->text = strndup(text, text_len > PROBE_TEXT_MAX ? PROBE_TEXT_MAX : text_len);
	p->offset = offset;
	if (!p->file || !p->kind || !p->pattern || !p->text || (section && !p->section))
		return -ENOMEM;
	return 0;
}

static bool any_pattern(const void *data, size_t size, const char *const *patterns)
{
	for (size_t i = 0; patterns[i]; i++)
		if (memmem(data, size, patterns[i], strlen(patterns[i])))
			return true;
	return false;
}

/* A script or unit: every line holding a pattern (bounded). */
static int classify_text(const char *file, const char *data, size_t size,
			 const char *const *patterns, struct nc_xen_probe **v, size_t *n)
{
	for (size_t i = 0; patterns[i]; i++) {
		size_t plen = strlen(patterns[i]);
		const char *p = data, *end = data + size;
		unsigned int lines = 0;

		while (p < end && lines < PROBE_MAX_LINES) {
			const char *hit = memmem(p, (size_t)(end - p), patterns[i], plen);
			const char *bol, *eol;
			unsigned int lineno = 1;
			_cleanup_free_ char *t = NULL;
			int r;

			if (!hit)
				break;
			for (bol = hit; bol > data && bol[-1] != '\n'; bol--)
				;
			for (const char *q = data; q < bol; q++)
				lineno += *q == '\n';
			eol = memchr(hit, '\n', (size_t)(end - hit));
			if (!eol)
				eol = end;
			t = strndup(bol, (size_t)(eol - bol));
			if (!t)
				return -ENOMEM;
			r = push_probe(v, n, file, "script", patterns[i], lineno, NULL,
				       strstrip(t), strlen(strstrip(t)), (unsigned long long)(hit - data));
			if (r < 0)
				return r;
			lines++;
			p = eol;
		}
	}
	return 0;
}

/* The NUL-delimited string around a hit, as a C program wrote it. */
static void string_around(const char *base, size_t size, size_t hit, size_t *ret_start,
			  size_t *ret_len)
{
	size_t s = hit, e = hit;

	while (s > 0 && base[s - 1] != '\0' && hit - s < PROBE_TEXT_MAX)
		s--;
	while (e < size && base[e] != '\0' && e - s < PROBE_TEXT_MAX)
		e++;
	*ret_start = s;
	*ret_len = e - s;
}

static int classify_binary(const char *file, const char *kind, const char *data, size_t size,
			   const char *const *patterns, struct nc_xen_probe **v, size_t *n)
{
	for (size_t i = 0; patterns[i]; i++) {
		const char *hit = memmem(data, size, patterns[i], strlen(patterns[i]));
		size_t s, len;

		if (!hit)
			continue;
		string_around(data, size, (size_t)(hit - data), &s, &len);
		int r = push_probe(v, n, file, kind, patterns[i], 0, NULL, data + s, len,
				   (unsigned long long)(hit - data));
		if (r < 0)
			return r;
	}
	return 0;
}

static int classify_elf(const char *file, void *data, size_t size, const char *const *patterns,
			struct nc_xen_probe **v, size_t *n)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	size_t before = *n;
	int r = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_memory(data, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) {
		if (elf)
			elf_end(elf);
		return classify_binary(file, "elf", data, size, patterns, v, n);
	}
	while (r >= 0 && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *d;
		const char *name;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
			continue;
		d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size == 0)
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		for (size_t i = 0; patterns[i] && r >= 0; i++) {
			const char *base = d->d_buf;
			const char *hit = memmem(base, d->d_size, patterns[i], strlen(patterns[i]));
			size_t s, len;

			if (!hit)
				continue;
			string_around(base, d->d_size, (size_t)(hit - base), &s, &len);
			r = push_probe(v, n, file, "elf", patterns[i], 0, name ? name : "?",
				       base + s, len,
				       (unsigned long long)shdr.sh_offset + (unsigned long long)(hit - base));
		}
	}
	elf_end(elf);
	/* Stripped of section headers: still say where the bytes are. */
	if (r >= 0 && *n == before)
		r = classify_binary(file, "elf", data, size, patterns, v, n);
	return r;
}

int xen_probe_classify(const char *file, const void *data, size_t size,
		       const char *const *patterns, struct nc_xen_probe **v, size_t *n)
{
	size_t head = size < 8192 ? size : 8192;

	if (!any_pattern(data, size, patterns))
		return 0;
	if (size > EI_DATA && memcmp(data, ELFMAG, SELFMAG) == 0) {
		_cleanup_free_ void *copy = NULL;

		/* libelf may convert a foreign-endian image in place: give it a copy. */
		if (((const unsigned char *)data)[EI_DATA] != NATIVE_ELFDATA) {
			copy = malloc(size);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, data, size);
			return classify_elf(file, copy, size, patterns, v, n);
		}
		return classify_elf(file, (void *)data, size, patterns, v, n);
	}
	if (memchr(data, '\0', head))
		return classify_binary(file, "binary", data, size, patterns, v, n);
	return classify_text(file, data, size, patterns, v, n);
}

struct walk {
	const char *const *patterns;
	struct nc_xen_probe **v;
	size_t *n;
	size_t files;
	bool truncated;
	struct nc_err *err;
};

static int scan_file(struct walk *w, int dfd, const char *name, const char *path,
		     const struct stat *st)
{
	_cleanup_close_ int fd = -1;
	void *map;
	int r;

	if ((unsigned long long)st->st_size > PROBE_FILE_MAX || st->st_size == 0)
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;  /* unreadable files are not evidence */
	/* Private and writable so libelf's byte-order conversion never hits the file. */
	map = mmap(NULL, (size_t)st->st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return 0;
	r = xen_probe_classify(path, map, (size_t)st->st_size, w->patterns, w->v, w->n);
	munmap(map, (size_t)st->st_size);
	return r;
}

static int walk_dir(struct walk *w, int dfd, const char *path, int depth)
{
	DIR *dir;
	struct dirent *de;
	int r = 0;

	if (depth > PROBE_MAX_DEPTH) {
		close(dfd);
		return 0;
	}
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return 0;
	}
	while (r >= 0 && (de = readdir(dir))) {
		_cleanup_free_ char *child = NULL;
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			continue;  /* symlinks (never followed), devices, fifos */
		if (w->files >= PROBE_MAX_FILES) {
			w->truncated = true;
			break;
		}
		child = strdup_printf("%s/%s", streq(path, "/") ? "" : path, de->d_name);
		if (!child) {
			r = -ENOMEM;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int cfd = openat(dirfd(dir), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (cfd >= 0)
				r = walk_dir(w, cfd, child, depth + 1);
		} else {
			w->files++;
			r = scan_file(w, dirfd(dir), de->d_name, child, &st);
		}
	}
	closedir(dir);
	return r;
}

int xen_find_probes(int rootfd, const char *const *dirs, const char *const *patterns,
		    struct nc_xen_probe **v, size_t *n, struct nc_err *err)
{
	struct walk w = { .patterns = patterns, .v = v, .n = n, .err = err };

	for (size_t i = 0; patterns[i]; i++)
		if (!*patterns[i])
			return nc_err_set(err, -EINVAL, "empty probe pattern");
	for (size_t i = 0; dirs[i]; i++) {
		int fd = snapfs_open(rootfd, dirs[i], O_RDONLY | O_DIRECTORY);
		int r;

		if (fd < 0)
			continue;  /* absent in this image (or this snapshot) */
		r = walk_dir(&w, fd, dirs[i], 0);
		if (r < 0)
			return nc_err_set(err, r, "%s: scanning for Xen probes: %s", dirs[i],
					  strerror(-r));
	}
	if (w.truncated)
		nc_err_set(err, 0, "stopped after %d files", PROBE_MAX_FILES);
	return (int)(w.files > INT32_MAX ? INT32_MAX : w.files);
}
