/* SPDX-License-Identifier: MIT */
/*
 * A small AML (ACPI Machine Language) byte-code builder: just what our DSDT
 * needs (names, integers, strings, packages, buffers, scopes, devices).
 * Errors are sticky: check aml->err once at the end.
 */
#ifndef NC_VMM_AML_H
#define NC_VMM_AML_H

#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 16

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	int err;                        /* 0 or -errno, sticky */
	size_t open[AML_MAX_DEPTH];     /* offsets of PkgLength placeholders */
	unsigned int depth;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* A NameString: "\\_SB_.PCI0", "_HID", "S04"; segments shorter than four
 * characters are padded with '_'. */
void aml_name(struct aml *a, const char *path);
/* Smallest encoding: ZeroOp, OneOp, Byte/Word/DWord/QWordPrefix. */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EISA id ("PNP0A03") compressed to a DWord. */
void aml_eisaid(struct aml *a, const char *id);
/* Name(path, <value emitted next by the caller>) */
void aml_name_decl(struct aml *a, const char *path);

/* Constructs with a PkgLength: open, emit the body, close. */
void aml_scope_open(struct aml *a, const char *path);
void aml_device_open(struct aml *a, const char *path);
void aml_package_open(struct aml *a, uint8_t n_elements);
/* A Buffer whose size is its body's length. */
void aml_buffer_open(struct aml *a);
void aml_close(struct aml *a);

/* Resource template descriptors, emitted inside aml_buffer_open. */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max);
/* Memory32Fixed (ReadWrite, base, length). */
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml_res_irq_noflags(struct aml *a, unsigned int irq);
void aml_res_end(struct aml *a);

#endif
