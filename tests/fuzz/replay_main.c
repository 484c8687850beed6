/* SPDX-License-Identifier: MIT */
/*
 * Standalone driver for the fuzz targets when libFuzzer is not available
 * (gcc, or clang without -fsanitize=fuzzer): runs LLVMFuzzerTestOneInput
 * once over each file named on the command line, or over each regular file
 * in a named directory. With no arguments it runs the empty input.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb = realloc(buf, cap ? 2 * cap : 65536);

			if (!nb) {
				fclose(f);
				free(buf);
				return 1;
			}
			buf = nb;
			cap = cap ? 2 * cap : 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0, runs = 0;

	if (argc < 2) {
		LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;

			while (d && (de = readdir(d))) {
				char p[4096];

				if (de->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
				failed |= run_file(p);
				runs++;
			}
			if (d)
				closedir(d);
		} else {
			failed |= run_file(argv[i]);
			runs++;
		}
	}
	printf("replayed %d input(s)\n", runs);
	return failed;
}
