/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART (8250 family) as COM1 at 0x3f8/IRQ 4: enough for the Linux
 * 8250 driver's probe (scratch, loopback, FIFO detection), transmit with
 * THRE interrupts and an optional receive FIFO. Pure state machine: the
 * owner serialises calls and supplies the output and interrupt callbacks.
 */
#ifndef NC_VMM_UART_H
#define NC_VMM_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ 4
#define UART_NREGS 8
#define UART_RX_FIFO 64

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
	void *opaque;
};

void uart_init(struct uart *u, void (*output)(void *, const uint8_t *, size_t),
	       void (*irq)(void *, int), void *opaque);
/* Register access at offset 0..7 from the base port. */
uint8_t uart_read(struct uart *u, unsigned int off);
void uart_write(struct uart *u, unsigned int off, uint8_t v);
/* Queues received bytes; returns how many fitted. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);

#endif
