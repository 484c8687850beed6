/* SPDX-License-Identifier: MIT */
/*
 * Console input: a thread that reads a file descriptor (the user's
 * terminal or a pipe) and feeds the bytes to the UART's receive FIFO, with
 * backpressure: bytes wait in a small buffer while the FIFO is full or the
 * guest has no driver listening (uart_rx_listening), and the descriptor is
 * not read while that buffer is full, so nothing is lost. With the escape
 * on (a terminal), Ctrl-A x calls quit. End of input stops the reading,
 * not the guest.
 */
#ifndef NC_VMM_CONSOLE_H
#define NC_VMM_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>

#include "vmm/uart.h"

struct console_input;

/* Starts the thread. The UART is touched only with *lock held (the lock
 * its register accesses take). quit is called once, from the thread, on
 * Ctrl-A x. */
int console_input_start(int fd, bool escape, struct uart *u, pthread_mutex_t *lock,
			void (*quit)(void *opaque), void *opaque, struct console_input **ret);

/* For the UART's rx_space callback (lock held): room again, wake up. */
void console_input_rx_space(struct console_input *ci);

/* Stops and joins the thread; frees. NULL is fine. */
void console_input_stop(struct console_input *ci);

#endif
