/* SPDX-License-Identifier: MIT */
/* The 16550A as the Linux 8250 driver probes and drives it, its receive
 * FIFO and interrupts, and the console's Ctrl-A escape. */
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

static void sink_space(void *opaque)
{
	((struct sink *)opaque)->edges += 1000;         /* counted apart from irq edges */
}

static void test_receive(void **state)
{
	struct uart u;
	struct sink s = { 0 };
	uint8_t big[100];

	uart_init(&u, sink_output, sink_irq, &s);
	uart_write(&u, MCR, 0x08);
	uart_write(&u, IER, 0x01);
	/* FIFOs off: not a configured driver yet (see test_linux_open). */
	assert_false(uart_rx_listening(&u));
	assert_int_equal(s.level, 0);
	/* FIFOs off (16450 mode): the receive buffer holds one byte. */
	assert_int_equal(uart_rx_room(&u), 1);
	assert_int_equal(uart_receive(&u, (const uint8_t *)"ab", 2), 1);
	assert_int_equal(s.level, 1);
	assert_int_equal(uart_read(&u, IIR), 0x04);
	assert_int_equal(uart_read(&u, LSR), 0x61);     /* DR, THRE, TEMT */
	assert_int_equal(uart_read(&u, THR), 'a');
	assert_int_equal(s.level, 0);
	assert_int_equal(uart_read(&u, IIR), 0x01);
	assert_int_equal(uart_read(&u, LSR), 0x60);
	assert_int_equal(uart_receive(&u, (const uint8_t *)"b", 1), 1);
	assert_int_equal(s.level, 1);
	assert_int_equal(uart_read(&u, THR), 'b');
	assert_int_equal(s.level, 0);
	assert_false(uart_read(&u, LSR) & 0x01);
	/* An empty RBR reads 0 and changes nothing. */
	assert_int_equal(uart_read(&u, THR), 0);

	/* FIFOs on, trigger level 14 (what Linux's 8250 sets): 16 bytes fit,
	 * the rest is refused (the caller keeps it: backpressure). */
	uart_write(&u, FCR, 0xc7);
	assert_int_equal(uart_read(&u, IIR) & 0xc0, 0xc0);
	memset(big, 'z', sizeof(big));
	big[0] = '0';
	big[15] = 'F';
	assert_int_equal(uart_rx_room(&u), UART_RX_FIFO);
	assert_int_equal(uart_receive(&u, big, sizeof(big)), 16);
	assert_int_equal(uart_rx_room(&u), 0);
	assert_int_equal(uart_receive(&u, big, sizeof(big)), 0);
	assert_int_equal(s.level, 1);
	/* At or above the trigger: received data available (0x4). */
	assert_int_equal(uart_read(&u, IIR), 0xc4);
	assert_int_equal(uart_read(&u, THR), '0');
	assert_int_equal(uart_rx_room(&u), 1);
	assert_int_equal(uart_receive(&u, (const uint8_t *)"!", 1), 1);
	/* In order, the refused bytes never made it in. */
	for (int i = 1; i < 15; i++)
		assert_int_equal(uart_read(&u, THR), 'z');
	/* Below the trigger (2 left): character timeout (0xc). */
	assert_int_equal(uart_read(&u, IIR), 0xcc);
	assert_int_equal(s.level, 1);
	assert_int_equal(uart_read(&u, THR), 'F');
	assert_int_equal(uart_read(&u, THR), '!');
	assert_int_equal(uart_read(&u, IIR), 0xc1);
	assert_int_equal(s.level, 0);
	assert_int_equal(uart_read(&u, LSR), 0x60);

	/* Receive interrupt off: data waits, LSR says so, no interrupt. */
	uart_write(&u, IER, 0x00);
	assert_false(uart_rx_listening(&u));
	assert_int_equal(uart_receive(&u, (const uint8_t *)"q", 1), 1);
	assert_int_equal(s.level, 0);
	assert_int_equal(uart_read(&u, IIR), 0xc1);
	assert_true(uart_read(&u, LSR) & 0x01);
	/* Enabling it raises the line for what is waiting. */
	uart_write(&u, IER, 0x01);
	assert_int_equal(s.level, 1);
	/* OUT2 gates the line. */
	uart_write(&u, MCR, 0x00);
	assert_int_equal(s.level, 0);
	uart_write(&u, MCR, 0x08);
	assert_int_equal(s.level, 1);

	/* FCR clears the receive FIFO; so does turning the FIFOs off. */
	uart_write(&u, FCR, 0xc3);
	assert_false(uart_read(&u, LSR) & 0x01);
	assert_int_equal(s.level, 0);
	assert_int_equal(uart_receive(&u, big, 5), 5);
	uart_write(&u, FCR, 0x00);
	assert_false(uart_read(&u, LSR) & 0x01);
	assert_int_equal(uart_rx_room(&u), 1);

	/* Loopback disconnects the line: nothing is taken from outside. */
	uart_write(&u, MCR, 0x18);
	assert_int_equal(uart_rx_room(&u), 0);
	assert_int_equal(uart_receive(&u, big, 5), 0);
}

/* The console's side: what it holds, fed whenever the UART listens. */
struct held_input {
	const char *text;
	size_t fed;
};

static void feed_if_listening(struct uart *u, struct held_input *in)
{
	size_t left = strlen(in->text) - in->fed;

	if (left && uart_rx_listening(u))
		in->fed += uart_receive(u, (const uint8_t *)in->text + in->fed, left);
}

/* Input typed before the guest's driver is ready must survive what Linux
 * 6.1's 8250 does to the port (autoconfig, startup, set_termios, in
 * drivers/tty/serial/8250/8250_port.c order), with the console feeding
 * after every register access: all of it arrives, in order. */
static void test_linux_open(void **state)
{
	static const struct { bool write; uint8_t off, v; } linux_seq[] = {
		/* autoconfig: the existence test writes IER 0x0f, FIFOs off */
		{ false, IER }, { true, IER, 0x00 }, { true, IER, 0x0f }, { false, IER },
		{ true, IER, 0x00 },
		/* loopback test, FIFO detection, then FIFOs cleared and off */
		{ true, MCR, 0x1a }, { false, MSR }, { true, MCR, 0x00 },
		{ true, FCR, 0x01 }, { false, IIR }, { true, FCR, 0x01 }, { true, FCR, 0x07 },
		{ true, FCR, 0x00 }, { true, IER, 0x00 },
		/* startup: clear FIFOs, clear registers, THRE test, again "for luck" */
		{ true, FCR, 0x01 }, { true, FCR, 0x07 }, { true, FCR, 0x00 },
		{ false, LSR }, { false, THR }, { false, IIR }, { false, MSR },
		{ true, LCR, 0x03 }, { true, MCR, 0x0b },
		{ true, IER, 0x02 }, { false, IIR }, { true, IER, 0x00 }, { true, IER, 0x02 },
		{ false, IIR }, { true, IER, 0x00 },
		{ false, LSR }, { false, THR }, { false, IIR }, { false, MSR },
		/* set_termios: IER (RDI, RLSI) first, divisor, then the FIFOs on */
		{ true, IER, 0x05 }, { true, LCR, 0x83 }, { true, THR, 0x01 }, { true, IER, 0x00 },
		{ true, LCR, 0x03 }, { true, FCR, 0x01 }, { true, FCR, 0x81 }, { true, MCR, 0x0b },
	};
	struct held_input in = { .text = "hello-from-the-host\n" };
	struct uart u;
	struct sink s = { 0 };
	char got[64] = { 0 };
	size_t n = 0;

	uart_init(&u, sink_output, sink_irq, &s);
	for (size_t i = 0; i < ARRAY_SIZE(linux_seq); i++) {
		feed_if_listening(&u, &in);
		if (linux_seq[i].write)
			uart_write(&u, linux_seq[i].off, linux_seq[i].v);
		else
			uart_read(&u, linux_seq[i].off);
	}
	/* The port is open: the driver reads on each interrupt. */
	for (int guard = 0; guard < 100 && n < sizeof(got) - 1; guard++) {
		feed_if_listening(&u, &in);
		if (!s.level)
			break;
		while ((uart_read(&u, LSR) & 0x01) && n < sizeof(got) - 1)
			got[n++] = (char)uart_read(&u, THR);
	}
	assert_string_equal(got, "hello-from-the-host\n");
}

/* The owner learns when a full FIFO has room again (its input waits). */
static void test_rx_space_notification(void **state)
{
	struct uart u;
	struct sink s = { 0 };
	uint8_t buf[32];

	uart_init(&u, sink_output, sink_irq, &s);
	u.rx_space = sink_space;
	uart_write(&u, MCR, 0x08);
	uart_write(&u, FCR, 0x01);
	s.edges = 0;
	/* The guest starting to listen is worth a notification. */
	uart_write(&u, IER, 0x01);
	assert_true(s.edges >= 1000);
	memset(buf, 'k', sizeof(buf));
	assert_int_equal(uart_receive(&u, buf, sizeof(buf)), 16);
	s.edges = 0;
	assert_int_equal(uart_read(&u, THR), 'k');
	assert_int_equal(s.edges / 1000, 1);
	assert_int_equal(uart_receive(&u, buf, sizeof(buf)), 1);
	/* Reading LSR or IIR makes no room: no notification. */
	s.edges = 0;
	uart_read(&u, LSR);
	uart_read(&u, IIR);
	assert_int_equal(s.edges / 1000, 0);
}

static void test_console_escape(void **state)
{
	struct console_escape st = { 0 };
	uint8_t out[64];
	bool quit = false;
	size_t n;

	/* Plain bytes pass, Ctrl-C included (it is the guest's). */
	n = console_escape_filter(&st, (const uint8_t *)"ls\x03\r", 4, out, &quit);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "ls\x03\r", 4);
	assert_false(quit);
	/* Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A y sends both. */
	n = console_escape_filter(&st, (const uint8_t *)"\x01\x01" "a\x01y", 5, out, &quit);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\x01" "a\x01y", 4);
	assert_false(quit);
	/* Split across reads: Ctrl-A at the end of one, x at the start of the
	 * next; what follows x is dropped. */
	n = console_escape_filter(&st, (const uint8_t *)"ok\x01", 3, out, &quit);
	assert_int_equal(n, 2);
	assert_true(st.pending);
	n = console_escape_filter(&st, (const uint8_t *)"xzz", 3, out, &quit);
	assert_int_equal(n, 0);
	assert_true(quit);
	/* x alone is just x. */
	quit = false;
	n = console_escape_filter(&st, (const uint8_t *)"x", 1, out, &quit);
	assert_int_equal(n, 1);
	assert_false(quit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_transmit_and_thre),
		cmocka_unit_test(test_receive),
		cmocka_unit_test(test_rx_space_notification),
		cmocka_unit_test(test_linux_open),
		cmocka_unit_test(test_console_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
