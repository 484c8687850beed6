/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "scan", cmd_scan, "check disk images offline for Nitro readiness" },
	{ "boot", cmd_boot, "boot an image in the Nitro-style VMM and confirm it comes up" },
	{ "version", cmd_version, "print the version and the libraries in use" },
};

static void usage(FILE *out)
{
	fputs("Usage: nitrocheck COMMAND [OPTIONS]...\n\n"
	      "Will this disk image boot and network on AWS Nitro instances?\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'nitrocheck COMMAND --help' for a command's options; "
	      "see nitrocheck(1).\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return NC_EXIT_ERROR;
	}
	if (streq(argv[1], "-h") || streq(argv[1], "--help") || streq(argv[1], "help")) {
		usage(stdout);
		return cli_finish_stdout(NC_EXIT_OK);
	}
	if (streq(argv[1], "--version") || streq(argv[1], "-V"))
		return cmd_version(1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "nitrocheck: unknown command '%s'\nTry 'nitrocheck --help'.\n", argv[1]);
	return NC_EXIT_ERROR;
}
