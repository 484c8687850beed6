/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/util.h"

const char *cli_default_rules_dir(void)
{
	static const char build_root[] = NC_BUILD_ROOT "/";
	const char *env = getenv("NITROCHECK_RULES_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (strncmp(exe, build_root, strlen(build_root)) == 0)
			return NC_SOURCE_RULES_DIR;
	}
	if (access(NC_RULES_DIR, R_OK) == 0)
		return NC_RULES_DIR;
	return NC_SOURCE_RULES_DIR;
}

int cli_finish_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "nitrocheck: error writing output: %s\n", strerror(errno));
		return NC_EXIT_ERROR;
	}
	return code;
}
