/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the kernel parsers. The first byte picks the parser, the rest is the
 * file: a kernel image head (version banner and architecture), a module
 * (.ko, or .ko.xz/.zst/.gz decompressed through libarchive), the module
 * database files (modules.dep, .builtin, .alias, .builtin.modinfo) with the
 * lookups over what they loaded, and a kernel .config.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/util.h"
#include "kernel/bzimage.h"
#include "kernel/kconfig.h"
#include "kernel/moddb.h"
#include "kernel/modinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ena_alias = "pci:v00001D0Fd0000EC20sv00001D0Fsd0000EC20bc02sc00i00";
static const char *const nvme_alias = "pci:v00001D0Fd00008061sv00001D0Fsd00008061bc01sc08i02";

static void run_image(const uint8_t *data, size_t size)
{
	char *version = NULL, *banner = NULL;
	const char *arch = NULL;

	if (bzimage_read_version(data, size, &version, &banner) == 0 && (!version || !banner))
		__builtin_trap();
	free(version);
	free(banner);
	if (kernel_image_arch(data, size, &arch) == 0 && !arch)
		__builtin_trap();
}

static void run_module(const uint8_t *data, size_t size)
{
	struct nc_modinfo mi = { 0 };

	/* A small cap: the cap itself is part of what is tested. */
	if (modinfo_parse(data, size, 8u << 20, &mi) == 0) {
		modinfo_parmtype(&mi, "io_timeout");
		modinfo_parmtype(&mi, "");
	}
	modinfo_clear(&mi);
}

static void lookup(const struct moddb *db, const char *modalias)
{
	char **mods = NULL, **pats = NULL;

	if (moddb_match_alias(db, modalias, &mods, &pats) > 0 && (!mods || !pats))
		__builtin_trap();
	strv_free(mods);
	strv_free(pats);
}

/* The same bytes through one loader, then every lookup. */
static void run_moddb(int which, const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct moddb *db = NULL;
	char **values = NULL;

	if (moddb_new(&db) < 0)
		return;
	switch (which) {
	case 0:
		moddb_load_dep(db, text, size);
		break;
	case 1:
		moddb_load_builtin(db, text, size);
		break;
	case 2:
		moddb_load_alias(db, text, size);
		break;
	case 3:
		moddb_load_builtin_modinfo(db, text, size);
		break;
	}
	moddb_find(db, "nvme");
	moddb_find(db, "ena");
	moddb_is_builtin(db, "nvme_core");
	moddb_n_modules(db);
	lookup(db, ena_alias);
	lookup(db, nvme_alias);
	lookup(db, "");
	moddb_builtin_modinfo_get(db, "nvme-core", "parmtype", &values);
	strv_free(values);
	moddb_free(db);
}

static void run_kconfig(const uint8_t *data, size_t size)
{
	struct kconfig *kc = NULL;

	if (kconfig_parse((const char *)data, size, &kc) < 0)
		return;
	kconfig_get(kc, "CONFIG_BLK_DEV_NVME");
	kconfig_tristate(kc, "CONFIG_ENA_ETHERNET");
	kconfig_tristate(kc, "");
	kconfig_free(kc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t which;

	if (size < 1)
		return 0;
	which = data[0] % 7;
	data++;
	size--;
	switch (which) {
	case 0:
		run_image(data, size);
		break;
	case 1:
		run_module(data, size);
		break;
	case 2: case 3: case 4: case 5:
		run_moddb(which - 2, data, size);
		break;
	case 6:
		run_kconfig(data, size);
		break;
	}
	return 0;
}
