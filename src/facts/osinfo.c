/* SPDX-License-Identifier: MIT */
/* Which distribution: decides the remediation commands we print. */
#include "facts/osinfo.h"

#include <errno.h>

#include "common/snapfs.h"
#include "common/util.h"

/* Unquote an os-release value in place: "..." with \-escapes, '...', bare. */
static char *unquote(char *v)
{
	char q = *v, *s, *d;

	if (q != '"' && q != '\'')
		return v;
	for (s = v + 1, d = v; *s && *s != q; s++) {
		if (q == '"' && *s == '\\' && s[1])
			s++;
		*d++ = *s;
	}
	*d = '\0';
	return v;
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		while (*p == ' ')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p = strchr(p, ' ');
	}
	return false;
}

enum nc_os_family os_family_from_ids(const char *id, const char *id_like)
{
	static const struct {
		const char *id;
		enum nc_os_family family;
	} map[] = {
		{ "debian", NC_FAMILY_DEBIAN }, { "ubuntu", NC_FAMILY_DEBIAN },
		{ "rhel", NC_FAMILY_RHEL },     { "fedora", NC_FAMILY_RHEL },
		{ "centos", NC_FAMILY_RHEL },   { "amzn", NC_FAMILY_RHEL },
		{ "rocky", NC_FAMILY_RHEL },    { "almalinux", NC_FAMILY_RHEL },
		{ "ol", NC_FAMILY_RHEL },       { "suse", NC_FAMILY_SUSE },
		{ "sles", NC_FAMILY_SUSE },     { "opensuse", NC_FAMILY_SUSE },
		{ "opensuse-leap", NC_FAMILY_SUSE }, { "arch", NC_FAMILY_ARCH },
		{ "alpine", NC_FAMILY_ALPINE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (id && streq(id, map[i].id))
			return map[i].family;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (word_in(id_like, map[i].id))
			return map[i].family;
	return NC_FAMILY_UNKNOWN;
}

int os_release_parse(const char *text, struct nc_os_info *ret)
{
	_cleanup_free_ char *buf = strdup(text);
	char *cur = buf, *line;

	if (!buf)
		return -ENOMEM;
	while ((line = line_next(&cur))) {
		char *eq, *key, *val, **slot = NULL;

		line = strstrip(line);
		if (*line == '#' || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		key = strstrip(line);
		val = unquote(strstrip(eq + 1));
		if (streq(key, "ID"))
			slot = &ret->id;
		else if (streq(key, "ID_LIKE"))
			slot = &ret->id_like;
		else if (streq(key, "VERSION_ID"))
			slot = &ret->version_id;
		else if (streq(key, "PRETTY_NAME"))
			slot = &ret->pretty_name;
		if (!slot)
			continue;
		free(*slot);
		*slot = strdup(val);
		if (!*slot)
			return -ENOMEM;
	}
	ret->family = os_family_from_ids(ret->id, ret->id_like);
	return 0;
}

int os_info_collect(const struct nc_snapshot *snap, struct nc_os_info *ret)
{
	static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
	static const struct {
		const char *file, *id;
	} legacy[] = {
		{ "etc/redhat-release", "rhel" },     { "etc/system-release", "amzn" },
		{ "etc/SuSE-release", "sles" },       { "etc/debian_version", "debian" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *text = NULL;

		if (snapfs_read_file(snap->rootfd, files[i], 1 << 20, &text, NULL) == 0)
			return os_release_parse(text, ret);
	}
	for (size_t i = 0; i < ARRAY_SIZE(legacy); i++) {
		_cleanup_free_ char *text = NULL;

		if (snapfs_read_file(snap->rootfd, legacy[i].file, 1 << 16, &text, NULL) == 0) {
			ret->id = strdup(legacy[i].id);
			ret->pretty_name = strdup(strstrip(text));
			ret->family = os_family_from_ids(ret->id, NULL);
			return ret->id ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

void os_info_free(struct nc_os_info *os)
{
	free(os->id);
	free(os->id_like);
	free(os->version_id);
	free(os->pretty_name);
	free(os->arch);
	memset(os, 0, sizeof(*os));
}
