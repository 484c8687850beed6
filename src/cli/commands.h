/* SPDX-License-Identifier: MIT */
/* Subcommands of nitrocheck: each parses its own options and returns the
 * process exit code (0 ok/ready, 1 not ready/failed, 2 could not run). */
#ifndef NC_CLI_COMMANDS_H
#define NC_CLI_COMMANDS_H

#define NC_EXIT_OK 0
#define NC_EXIT_FAIL 1
#define NC_EXIT_ERROR 2

int cmd_scan(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Where the rules live: --rules-dir, $NITROCHECK_RULES_DIR, the source tree
 * for a binary run from its build directory, else the installed ones. */
const char *cli_default_rules_dir(void);
/* Flush stdout and report a write error (full disk, closed pipe) as exit 2. */
int cli_finish_stdout(int code);

#endif
