/* SPDX-License-Identifier: MIT */
/*
 * Fuzz every boot configuration parser with the same bytes: grub.cfg (then
 * resolving the default and each title), grubenv, /etc/default/grub, a BLS
 * entry, menu.lst, extlinux.conf, fstab, crypttab and a kernel command line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_text(const char *t, const uint8_t *data, size_t size)
{
	struct nc_grub_cfg g;
	struct nc_boot_entry e;
	struct nc_menulst m;
	struct nc_extlinux x;
	struct nc_fstab f;
	struct nc_crypttab c;
	struct nc_cmdline cl;
	struct nc_kv *kv;
	char **env = NULL;
	size_t n;

	if (grubenv_parse((const char *)data, size, &env) < 0)
		env = NULL;
	if (grub_cfg_parse(t, "/boot/grub/grub.cfg", env, &g) == 0) {
		grub_default_resolve(g.entries, g.n_entries, g.default_value);
		for (size_t i = 0; i < g.n_entries; i++) {
			grub_default_resolve(g.entries, g.n_entries, g.entries[i].title);
			grub_default_resolve(g.entries, g.n_entries, g.entries[i].id);
			boot_entry_match_kernel(&g.entries[i], "/boot/vmlinuz-6.1.0-18-amd64");
		}
		grub_cfg_free(&g);
	}
	if (default_grub_parse(t, &kv, &n) == 0)
		kv_free(kv, n);
	if (bls_entry_parse(t, "/boot/loader/entries/x.conf", "x", &e) == 0) {
		bls_entry_expand(&e, env);
		bls_vercmp(e.version, e.title);
		boot_entry_free(&e);
	}
	strv_free(env);
	if (menulst_parse(t, "/boot/grub/menu.lst", &m) == 0)
		menulst_free(&m);
	if (extlinux_parse(t, "/boot/extlinux/extlinux.conf", &x) == 0)
		extlinux_free(&x);
	if (fstab_parse(t, &f) == 0)
		fstab_free(&f);
	if (crypttab_parse(t, &c) == 0)
		crypttab_free(&c);
	if (cmdline_parse(t, &cl) == 0) {
		char **all = cmdline_get_all(&cl, "console");

		strv_free(all);
		cmdline_find(&cl, "root");
		cmdline_count_prefix(&cl, "xen_pv");
		cmdline_free(&cl);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1);

	if (!t)
		return 0;
	memcpy(t, data, size);
	t[size] = '\0';
	run_text(t, data, size);
	free(t);
	return 0;
}
