/* SPDX-License-Identifier: MIT */
/* The 16550A as the Linux 8250 driver probes and drives it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"
#include "vmm/uart.h"

enum { THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct sink {
	char out[256];
	size_t n;
	int level;
	unsigned int edges;
};

static void sink_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	for (size_t i = 0; i < len && s->n < sizeof(s->out) - 1; i++)
		s->out[s->n++] = (char)buf[i];
}

static void sink_irq(void *opaque, int level)
{
	struct sink *s = opaque;

	s->level = level;
	s->edges++;
}

static void test_probe(void **state)
{
	struct uart u;
	struct sink s = { 0 };

	uart_init(&u, sink_output, sink_irq, &s);
	/* Scratch register. */
	uart_write(&u, SCR, 0xa5);
	assert_int_equal(uart_read(&u, SCR), 0xa5);
	/* IER: only the low nibble sticks. */
	uart_write(&u, IER, 0xff);
	assert_int_equal(uart_read(&u, IER), 0x0f);
	uart_write(&u, IER, 0);
	/* Loopback test of serial8250's autoconfig: MCR=LOOP|OUT2|RTS must
	 * show CTS|DCD (0x90) in MSR's top nibble. */
	uart_write(&u, MCR, 0x1a);
	assert_int_equal(uart_read(&u, MSR) & 0xf0, 0x90);
	/* Loopback: what is sent comes back, and nothing leaves. */
	uart_write(&u, THR, 'x');
	assert_int_equal(s.n, 0);
	assert_true(uart_read(&u, LSR) & 0x01);
	assert_int_equal(uart_read(&u, THR), 'x');
	uart_write(&u, MCR, 0);
	assert_int_equal(uart_read(&u, MSR) & 0xf0, 0xb0);
	/* FIFO enabled: IIR's top bits say 16550A. */
	uart_write(&u, FCR, 0x07);
	assert_int_equal(uart_read(&u, IIR) & 0xc0, 0xc0);
	uart_write(&u, FCR, 0);
	assert_int_equal(uart_read(&u, IIR), 0x01);
	/* Divisor latch. */
	uart_write(&u, LCR, 0x80);
	uart_write(&u, THR, 0x01);
	uart_write(&u, IER, 0x00);
	assert_int_equal(uart_read(&u, THR), 0x01);
	assert_int_equal(uart_read(&u, IER), 0x00);
	uart_write(&u, LCR, 0x03);
	assert_int_equal(u.divisor, 1);
	assert_int_equal(s.n, 0);
}

static void test_transmit_and_thre(void **state)
{
	struct uart u;
	struct sink s = { 0 };

	uart_init(&u, sink_output, sink_irq, &s);
	uart_write(&u, LCR, 0x03);
	uart_write(&u, MCR, 0x0b);      /* DTR, RTS, OUT2 */
	for (const char *p = "hello\r\n"; *p; p++)
		uart_write(&u, THR, (uint8_t)*p);
	assert_int_equal(s.n, 7);
	assert_memory_equal(s.out, "hello\r\n", 7);
	assert_int_equal(uart_read(&u, LSR) & 0x60, 0x60);
	/* No interrupt while IER is clear. */
	assert_int_equal(s.level, 0);
	/* Enabling THRI with an empty THR raises the line at once ... */
	uart_write(&u, IER, 0x02);
	assert_int_equal(s.level, 1);
	/* ... and reading IIR (which reports THRE) drops it. */
	assert_int_equal(uart_read(&u, IIR) & 0x0f, 0x02);
	assert_int_equal(s.level, 0);
	assert_int_equal(uart_read(&u, IIR) & 0x0f, 0x01);
	/* Each write that empties THR again raises it. */
	uart_write(&u, THR, '!');
	assert_int_equal(s.level, 1);
	uart_write(&u, IER, 0);
	assert_int_equal(s.level, 0);
	/* OUT2 gates the line on a PC. */
	uart_write(&u, MCR, 0x03);
	uart_write(&u, IER, 0x02);
	assert_int_equal(s.level, 0);
	assert_int_equal(uart_read(&u, IIR) & 0x0f, 0x02);
}

static void test_receive(void **state)
{
	struct uart u;
	struct sink s = { 0 };
	uint8_t big[100];

	uart_init(&u, sink_output, sink_irq, &s);
	uart_write(&u, MCR, 0x08);
	uart_write(&u, IER, 0x01);
	assert_int_equal(s.level, 0);
	assert_int_equal(uart_receive(&u, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(s.level, 1);
	assert_int_equal(uart_read(&u, IIR) & 0x0f, 0x04);
	assert_true(uart_read(&u, LSR) & 0x01);
	assert_int_equal(uart_read(&u, THR), 'a');
	assert_int_equal(s.level, 1);
	assert_int_equal(uart_read(&u, THR), 'b');
	assert_int_equal(s.level, 0);
	assert_false(uart_read(&u, LSR) & 0x01);
	/* The FIFO holds 64 bytes; FCR can clear it. */
	memset(big, 'z', sizeof(big));
	assert_int_equal(uart_receive(&u, big, sizeof(big)), UART_RX_FIFO);
	uart_write(&u, FCR, 0x03);
	assert_false(uart_read(&u, LSR) & 0x01);
	assert_int_equal(s.level, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_transmit_and_thre),
		cmocka_unit_test(test_receive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
