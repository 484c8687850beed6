/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART (8250 family) as COM1 at 0x3f8/IRQ 4: enough for the Linux
 * 8250 driver's probe (scratch, loopback, FIFO detection), transmit with
 * THRE interrupts, and receive: a 16-byte FIFO (one byte, RBR alone, while
 * FCR has the FIFOs off), LSR data ready, the received-data interrupt at
 * the FCR trigger level and the character-timeout interrupt below it
 * (reported at once: there is no line timing to wait for). A full FIFO
 * takes no more bytes: uart_receive says how many it took and the owner
 * keeps the rest until rx_space tells it the guest read some (backpressure,
 * nothing is lost). Pure state machine: the owner serialises calls and
 * supplies the callbacks.
 *
 * The console escape (QEMU's): Ctrl-A x ends the VM, Ctrl-A Ctrl-A sends
 * one Ctrl-A, Ctrl-A followed by anything else sends both bytes.
 */
#ifndef NC_VMM_UART_H
#define NC_VMM_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4
#define UART_NREGS 8
#define UART_RX_FIFO 16

struct uart {
	uint8_t ier, iir_fifo, lcr, mcr, lsr, msr, scr, fcr;
	uint16_t divisor;
	bool thr_ipending;              /* THRE interrupt waiting for an IIR read */
	uint8_t rx[UART_RX_FIFO];
	unsigned int rx_head, rx_count;
	int irq_level;
	/* Bytes the guest transmits (not in loopback mode). */
	void (*output)(void *opaque, const uint8_t *buf, size_t len);
	/* Interrupt line changes; level 0 or 1. */
	void (*irq)(void *opaque, int level);
	/* The guest made room in a full receive FIFO; may be NULL (set it
	 * after uart_init). */
	void (*rx_space)(void *opaque);
	void *opaque;
};

void uart_init(struct uart *u, void (*output)(void *, const uint8_t *, size_t),
	       void (*irq)(void *, int), void *opaque);
/* Register access at offset 0..7 from the base port. */
uint8_t uart_read(struct uart *u, unsigned int off);
void uart_write(struct uart *u, unsigned int off, uint8_t v);
/* Queues received bytes; returns how many fitted (0 in loopback mode,
 * where the line is disconnected). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
/* Bytes the receive FIFO takes now. */
size_t uart_rx_room(const struct uart *u);
/* The guest has the received-data interrupt and the FIFOs on: a driver
 * has the port open and configured. Input fed before that would be lost
 * to the FIFO clears of the driver's probe and startup, so the VMM holds
 * it until then (a driver that never turns the FIFOs on gets none). */
bool uart_rx_listening(const struct uart *u);
/* A THR write now only sends the byte: no THRE interrupt is wanted (IER
 * THRI clear), it is not the divisor latch (LCR DLAB) and not looped back.
 * Then the VMM may batch THR writes (KVM coalesced PIO) and replay them
 * in order later; the console write of the Linux 8250 driver polls LSR. */
bool uart_thr_polled(const struct uart *u);

#define CONSOLE_ESCAPE_CHAR 0x01        /* Ctrl-A */

struct console_escape {
	bool pending;                   /* the last byte was Ctrl-A */
};

/* Copies in to out (room for 2 * len bytes) without the escape sequences;
 * returns the bytes in out. *ret_quit is set on Ctrl-A x, and what follows
 * it is dropped. */
size_t console_escape_filter(struct console_escape *st, const uint8_t *in, size_t len,
			     uint8_t *out, bool *ret_quit);

#endif
