/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the os-release parser (/etc/os-release, /usr/lib/os-release) and the
 * family decision over the ID and ID_LIKE it found.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facts/facts.h"
#include "facts/osinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nc_os_info os = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	/* A C string, as read_file_*() hands it over. */
	memcpy(text, data, size);
	text[size] = '\0';
	if (os_release_parse(text, &os) == 0) {
		if (os.family != os_family_from_ids(os.id, os.id_like))
			__builtin_trap();
		nc_os_family_name(os.family);
	}
	os_info_free(&os);
	free(text);
	return 0;
}
