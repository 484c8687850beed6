/* SPDX-License-Identifier: MIT */
/* KVM's coalesced PIO ring as the VMM drains it (oldest first, across the
 * wrap, freeing each slot after reading it), replayed into the UART ahead
 * of the write that exits, and when the UART lets THR writes be batched. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "vmm/pio_ring.h"
#include "vmm/uart.h"

enum { THR = 0, IER = 1, LCR = 3, MCR = 4, LSR = 5 };

#define PAGE 4096

struct sink {
	char out[64];
	size_t n;
};

static void sink_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	for (size_t i = 0; i < len && s->n < sizeof(s->out) - 1; i++)
		s->out[s->n++] = (char)buf[i];
}

static void replay_to_uart(void *opaque, const struct kvm_coalesced_mmio *e)
{
	struct uart *u = opaque;

	assert_true(e->pio);
	assert_int_equal(e->phys_addr, UART_COM1_BASE);
	uart_write(u, THR, e->data[0]);
}

/* What KVM does for a coalesced OUT: fill the slot at last, advance. */
static void ring_push(struct kvm_coalesced_mmio_ring *r, uint32_t cap, uint16_t port,
		      uint8_t byte)
{
	struct kvm_coalesced_mmio *e = &r->coalesced_mmio[r->last];

	memset(e, 0, sizeof(*e));
	e->phys_addr = port;
	e->len = 1;
	e->pio = 1;
	e->data[0] = byte;
	r->last = (r->last + 1) % cap;
}

static void test_capacity(void **state)
{
	(void)state;
	/* (4096 - 8) / 24: what KVM_COALESCED_MMIO_MAX is on x86. */
	assert_int_equal(pio_ring_capacity(PAGE), 170);
}

static void test_drain_order_and_wrap(void **state)
{
	struct kvm_coalesced_mmio_ring *r = calloc(1, PAGE);
	uint32_t cap = pio_ring_capacity(PAGE);
	struct uart u;
	struct sink s = { 0 };

	(void)state;
	assert_non_null(r);
	uart_init(&u, sink_output, NULL, &s);
	assert_false(pio_ring_pending(r));
	assert_int_equal(pio_ring_drain(r, cap, replay_to_uart, &u), 0);
	/* Start two slots before the end so the batch wraps. */
	r->first = r->last = cap - 2;
	for (const char *p = "boot"; *p; p++)
		ring_push(r, cap, UART_COM1_BASE, (uint8_t)*p);
	assert_int_equal(r->last, 2);
	assert_true(pio_ring_pending(r));
	/* The exit that follows (here a THR write that did exit, e.g. with
	 * the ring full) is handled after the drain: order is kept. */
	assert_int_equal(pio_ring_drain(r, cap, replay_to_uart, &u), 4);
	uart_write(&u, THR, '!');
	assert_string_equal(s.out, "boot!");
	assert_int_equal(r->first, 2);
	assert_false(pio_ring_pending(r));
	free(r);
}

static void test_full_ring(void **state)
{
	struct kvm_coalesced_mmio_ring *r = calloc(1, PAGE);
	uint32_t cap = pio_ring_capacity(PAGE);
	struct uart u;
	struct sink s = { 0 };

	(void)state;
	assert_non_null(r);
	uart_init(&u, sink_output, NULL, &s);
	/* KVM keeps one slot free: cap - 1 entries fill the ring. */
	for (uint32_t i = 0; i < cap - 1; i++)
		ring_push(r, cap, UART_COM1_BASE, (uint8_t)('a' + i % 26));
	assert_int_equal(pio_ring_drain(r, cap, replay_to_uart, &u), cap - 1);
	assert_int_equal(s.n, sizeof(s.out) - 1);
	assert_memory_equal(s.out, "abcdefghijklmnopqrstuvwxyzabc", 29);
	free(r);
}

static void test_thr_polled(void **state)
{
	struct uart u;
	struct sink s = { 0 };

	(void)state;
	uart_init(&u, sink_output, NULL, &s);
	/* After reset: the console write's polled mode. */
	assert_true(uart_thr_polled(&u));
	/* The interrupt-driven tty wants a THRE interrupt per write. */
	uart_write(&u, IER, 0x02);
	assert_false(uart_thr_polled(&u));
	uart_write(&u, IER, 0x05);      /* RDI | RLSI, as an idle open tty */
	assert_true(uart_thr_polled(&u));
	/* THR is the divisor latch's low byte under DLAB. */
	uart_write(&u, LCR, 0x83);
	assert_false(uart_thr_polled(&u));
	uart_write(&u, LCR, 0x03);
	assert_true(uart_thr_polled(&u));
	/* Loopback: the byte comes back as input. */
	uart_write(&u, MCR, 0x10);
	assert_false(uart_thr_polled(&u));
	uart_write(&u, MCR, 0x0b);
	assert_true(uart_thr_polled(&u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_drain_order_and_wrap),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_thr_polled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
