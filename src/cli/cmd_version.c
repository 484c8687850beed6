/* SPDX-License-Identifier: MIT */
#include <archive.h>
#include <jansson.h>
#include <libslirp.h>
#include <stdio.h>

#include "cli/commands.h"
#include "common/util.h"

int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
		puts("Usage: nitrocheck version\n\nPrint the version of nitrocheck and of the "
		     "libraries it uses.");
		return cli_finish_stdout(NC_EXIT_OK);
	}
	if (argc > 1) {
		fprintf(stderr, "nitrocheck version: takes no arguments\n"
				"Try 'nitrocheck version --help'.\n");
		return NC_EXIT_ERROR;
	}
	printf("nitrocheck %s\n", NC_VERSION);
	printf("rules      %s\n", cli_default_rules_dir());
	printf("libarchive %s\n", archive_version_details());
	printf("jansson    %s\n", jansson_version_str());
	printf("libslirp   %s\n", slirp_version_string());
	return cli_finish_stdout(NC_EXIT_OK);
}
