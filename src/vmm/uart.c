/* SPDX-License-Identifier: MIT */
#include "vmm/uart.h"

#include <string.h>

enum {
	REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
	REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RX_TIMEOUT 0x0c
#define IIR_FIFO_ENABLED 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_TRIGGER(v) ((v) >> 6)
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_DCD 0x80

/* 16 bytes with the FIFOs on, the receive buffer register alone without. */
static unsigned int rx_capacity(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) ? UART_RX_FIFO : 1;
}

/* Received-data interrupt level: FCR bits 7:6 give 1, 4, 8 or 14 bytes. */
static unsigned int rx_trigger(const struct uart *u)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };

	return (u->fcr & FCR_ENABLE) ? levels[FCR_TRIGGER(u->fcr)] : 1;
}

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO_ENABLED : 0;

	/* Below the trigger level the 16550 reports a character timeout
	 * once the line has been idle; we have no line timing: at once. */
	if ((u->ier & IER_RDI) && u->rx_count)
		return fifo | (u->rx_count >= rx_trigger(u) ? IIR_RDI : IIR_RX_TIMEOUT);
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	/* On a PC, OUT2 gates the UART's interrupt onto the ISA line. */
	int level = !(uart_iir(u) & IIR_NO_INT) && (u->mcr & MCR_OUT2) ? 1 : 0;

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->irq)
			u->irq(u->opaque, level);
	}
}

void uart_init(struct uart *u, void (*output)(void *, const uint8_t *, size_t),
	       void (*irq)(void *, int), void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = MSR_DCD | MSR_DSR | MSR_CTS;
	u->divisor = 12;                /* 9600 baud */
	u->output = output;
	u->irq = irq;
	u->opaque = opaque;
}

static void rx_notify_space(struct uart *u)
{
	if (u->rx_space && u->rx_count < rx_capacity(u))
		u->rx_space(u->opaque);
}

static void rx_clear(struct uart *u)
{
	u->rx_count = 0;
	u->rx_head = 0;
}

/* A byte from the line (or the loopback); an overrun drops it. */
static void rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_count >= rx_capacity(u))
		return;
	u->rx[(u->rx_head + u->rx_count++) % UART_RX_FIFO] = b;
}

size_t uart_rx_room(const struct uart *u)
{
	/* In loopback the line is disconnected from the outside. */
	if (u->mcr & MCR_LOOP)
		return 0;
	return rx_capacity(u) - u->rx_count;
}

bool uart_rx_listening(const struct uart *u)
{
	/* Linux's 8250 sets IER.RDI before it turns the FIFOs on, and its
	 * probe writes IER 0x0f with the FIFOs off: a byte taken then is
	 * lost when the FIFOs come on. A 16550A driver listens with both. */
	return (u->ier & IER_RDI) && (u->fcr & FCR_ENABLE);
}

bool uart_thr_polled(const struct uart *u)
{
	return !(u->ier & IER_THRI) && !(u->lcr & LCR_DLAB) && !(u->mcr & MCR_LOOP);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0, room = uart_rx_room(u);

	while (n < len && n < room)
		rx_push(u, buf[n++]);
	uart_update_irq(u);
	return n;
}

size_t console_escape_filter(struct console_escape *st, const uint8_t *in, size_t len,
			     uint8_t *out, bool *ret_quit)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t b = in[i];

		if (st->pending) {
			st->pending = false;
			if (b == 'x' || b == 'X') {
				*ret_quit = true;
				return n;
			}
			out[n++] = CONSOLE_ESCAPE_CHAR;
			if (b != CONSOLE_ESCAPE_CHAR)
				out[n++] = b;
			continue;
		}
		if (b == CONSOLE_ESCAPE_CHAR) {
			st->pending = true;
			continue;
		}
		out[n++] = b;
	}
	return n;
}

uint8_t uart_read(struct uart *u, unsigned int off)
{
	uint8_t v = 0xff;

	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return (uint8_t)u->divisor;
		v = 0;
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
			u->rx_count--;
			rx_notify_space(u);
		}
		uart_update_irq(u);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB)
			return (uint8_t)(u->divisor >> 8);
		v = u->ier;
		break;
	case REG_IIR_FCR:
		v = uart_iir(u);
		/* Reading IIR acknowledges a THRE interrupt it reports. */
		if ((v & 0x0f) == IIR_THRI) {
			u->thr_ipending = false;
			uart_update_irq(u);
		}
		break;
	case REG_LCR:
		v = u->lcr;
		break;
	case REG_MCR:
		v = u->mcr;
		break;
	case REG_LSR:
		v = (uint8_t)(LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0));
		break;
	case REG_MSR:
		if (u->mcr & MCR_LOOP) {
			/* Loopback: the modem outputs feed the inputs. */
			v = (uint8_t)((u->mcr & MCR_RTS ? MSR_CTS : 0) |
				      (u->mcr & MCR_DTR ? MSR_DSR : 0) |
				      (u->mcr & MCR_OUT1 ? 0x40 : 0) |
				      (u->mcr & MCR_OUT2 ? MSR_DCD : 0));
		} else {
			v = u->msr;
		}
		break;
	case REG_SCR:
		v = u->scr;
		break;
	}
	return v;
}

void uart_write(struct uart *u, unsigned int off, uint8_t v)
{
	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->divisor = (uint16_t)((u->divisor & 0xff00) | v);
			return;
		}
		if (u->mcr & MCR_LOOP)
			rx_push(u, v);
		else if (u->output)
			u->output(u->opaque, &v, 1);
		/* Sent at once: the holding register is empty again. */
		u->thr_ipending = true;
		uart_update_irq(u);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->divisor = (uint16_t)((u->divisor & 0x00ff) | v << 8);
			return;
		}
		/* Enabling THRI with an empty THR raises the interrupt. */
		if (!(u->ier & IER_THRI) && (v & IER_THRI))
			u->thr_ipending = true;
		u->ier = v & 0x0f;
		uart_update_irq(u);
		/* The owner may hold input until the guest listens for it. */
		rx_notify_space(u);
		break;
	case REG_IIR_FCR:
		/* Turning the FIFOs on or off empties them, as on a 16550A. */
		if ((v & FCR_CLEAR_RX) || ((v ^ u->fcr) & FCR_ENABLE))
			rx_clear(u);
		u->fcr = v & 0xc9;
		uart_update_irq(u);
		rx_notify_space(u);
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & 0x1f;
		uart_update_irq(u);
		rx_notify_space(u);
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:
		break;
	}
}
