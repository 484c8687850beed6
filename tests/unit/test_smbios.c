/* SPDX-License-Identifier: MIT */
/* SMBIOS tables, validated with dmidecode --from-dump. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "common/util.h"
#include "vmm/smbios.h"

#define UUID "ec2a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"

static struct smbios_config test_config(void)
{
	struct smbios_config c = {
		.product = "m5.large",
		.cpus = 2,
		.mem_bytes = 1ull << 30,
		.cpuid_1_eax = 0x50654,
		/* dmidecode --dump-bin files hold the table at offset 32. */
		.table_gpa = 32,
	};

	assert_int_equal(smbios_uuid_parse(UUID, c.uuid), 0);
	return c;
}

static void test_uuid(void **state)
{
	uint8_t u[16];
	char s[37];

	assert_int_equal(smbios_uuid_parse(UUID, u), 0);
	assert_int_equal(u[0], 0xec);
	assert_int_equal(u[15], 0x2b);
	smbios_uuid_format(u, s);
	assert_string_equal(s, UUID);
	assert_int_equal(smbios_uuid_parse("EC2A1B2C-3D4E-4F50-8A6B-7C8D9E0F1A2B", u), 0);
	smbios_uuid_format(u, s);
	assert_string_equal(s, UUID);
	assert_int_equal(smbios_uuid_parse("ec2a1b2c3d4e-4f50-8a6b-7c8d9e0f1a2b", u), -EINVAL);
	assert_int_equal(smbios_uuid_parse("ec2a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2g", u), -EINVAL);

	for (int i = 0; i < 32; i++) {
		assert_int_equal(smbios_uuid_generate_ec2(u), 0);
		smbios_uuid_format(u, s);
		assert_true(startswith(s, "ec2"));
		assert_int_equal(s[14], '4');   /* version 4 */
		assert_true(strchr("89ab", s[19]) != NULL);
	}
}

static void test_raw(void **state)
{
	struct smbios_config c = test_config();
	uint8_t ep[31], table[4096], sum = 0;
	size_t len;
	const uint8_t *t1;

	assert_int_equal(smbios_build(&c, ep, table, sizeof(table), &len), 0);
	assert_memory_equal(ep, "_SM_", 4);
	assert_memory_equal(ep + 16, "_DMI_", 5);
	for (int i = 0; i < 31; i++)
		sum = (uint8_t)(sum + ep[i]);
	assert_int_equal(sum, 0);
	assert_int_equal(ep[6], 2);
	assert_int_equal(ep[7], 7);
	assert_int_equal(ep[22] | ep[23] << 8, len);
	/* Type 1's UUID: the first three fields little-endian (SMBIOS 2.6+),
	 * so the kernel, reading it as such, prints "ec2a1b2c-...". */
	t1 = table;
	while (t1[0] != 1) {
		const uint8_t *p = t1 + t1[1];

		while (p[0] || p[1])
			p++;
		t1 = p + 2;
	}
	assert_int_equal(t1[8], 0x2c);
	assert_int_equal(t1[9], 0x1b);
	assert_int_equal(t1[10], 0x2a);
	assert_int_equal(t1[11], 0xec);
	assert_int_equal(t1[12], 0x4e);
	assert_int_equal(t1[13], 0x3d);
	assert_int_equal(t1[16], 0x8a);

	assert_int_equal(smbios_build(&c, ep, table, 64, &len), -ENOSPC);
	c.product = "";
	assert_int_equal(smbios_build(&c, ep, table, sizeof(table), &len), -EINVAL);
}

/* Runs dmidecode on a dump of the tables; returns its output. */
static char *dmidecode(const struct smbios_config *c, const char *args)
{
	static uint8_t dump[8192];
	char path[] = "/tmp/nc-smbios-XXXXXX";
	_cleanup_free_ char *cmd = NULL, *out_path = NULL;
	char *out = NULL;
	size_t len, n;
	int fd;

	memset(dump, 0, sizeof(dump));
	assert_int_equal(smbios_build(c, dump, dump + 32, sizeof(dump) - 32, &len), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, dump, 32 + len), (ssize_t)(32 + len));
	close(fd);
	out_path = strdup_printf("%s.out", path);
	cmd = strdup_printf("dmidecode --from-dump %s %s >%s 2>&1", path, args, out_path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(read_file_full(out_path, 1 << 20, &out, &n), 0);
	unlink(path);
	unlink(out_path);
	return out;
}

static void test_dmidecode(void **state)
{
	struct smbios_config c = test_config();
	_cleanup_free_ char *all = NULL, *uuid = NULL, *serial = NULL, *big = NULL;

	if (system("command -v dmidecode >/dev/null 2>&1") != 0) {
		print_message("skipping: dmidecode not installed\n");
		skip();
	}
	all = dmidecode(&c, "");
	assert_non_null(strstr(all, "SMBIOS 2.7 present."));
	assert_non_null(strstr(all, "8 structures occupying"));
	assert_null(strstr(all, "Invalid"));
	assert_null(strstr(all, "Wrong DMI structures"));
	assert_non_null(strstr(all, "BIOS Information\n\tVendor: Amazon EC2"));
	assert_non_null(strstr(all, "System is a virtual machine"));
	assert_non_null(strstr(all, "System Information\n\tManufacturer: Amazon EC2\n"
				    "\tProduct Name: m5.large"));
	assert_non_null(strstr(all, "\tSerial Number: " UUID "\n\tUUID: " UUID "\n"));
	assert_non_null(strstr(all, "Chassis Information\n\tManufacturer: Amazon EC2"));
	assert_non_null(strstr(all, "Core Count: 2"));
	assert_non_null(strstr(all, "Maximum Capacity: 1 GB"));
	assert_non_null(strstr(all, "Memory Device"));
	assert_non_null(strstr(all, "\tSize: 1 GB"));
	assert_non_null(strstr(all, "System Boot Information\n\tStatus: No errors detected"));
	assert_non_null(strstr(all, "End Of Table"));

	/* What ds-identify and systemd-detect-virt read. */
	uuid = dmidecode(&c, "-s system-uuid");
	assert_string_equal(uuid, UUID "\n");
	serial = dmidecode(&c, "-s system-serial-number");
	assert_string_equal(serial, uuid);

	/* A big machine: sizes beyond the 16-bit fields. */
	c.product = "m5.24xlarge";
	c.mem_bytes = 384ull << 30;
	c.cpus = 96;
	big = dmidecode(&c, "-t 1,4,16,17");
	assert_non_null(strstr(big, "Product Name: m5.24xlarge"));
	assert_non_null(strstr(big, "Core Count: 96"));
	assert_non_null(strstr(big, "Maximum Capacity: 384 GB"));
	assert_non_null(strstr(big, "\tSize: 384 GB"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_dmidecode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
