/* SPDX-License-Identifier: MIT */
/* Console input: bytes written to a pipe reach the guest through the UART
 * in order and complete, however slowly the guest reads (backpressure),
 * only once a driver listens, and Ctrl-A x ends the VM. The test thread
 * plays the guest's 8250 driver. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/console.h"

enum { RBR = 0, IER = 1, FCR = 2, MCR = 4, LSR = 5 };

struct guest {
	pthread_mutex_t lock;
	struct uart u;
	struct console_input *ci;
	int level;
	unsigned int quits;
};

static void no_output(void *opaque, const uint8_t *buf, size_t len)
{
}

static void irq(void *opaque, int level)
{
	((struct guest *)opaque)->level = level;
}

static void rx_space(void *opaque)
{
	console_input_rx_space(((struct guest *)opaque)->ci);
}

static void quit(void *opaque)
{
	((struct guest *)opaque)->quits++;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* The guest's driver opens the port: FIFOs on (trigger 14), OUT2, RDI. */
static void guest_open(struct guest *g)
{
	pthread_mutex_lock(&g->lock);
	uart_write(&g->u, FCR, 0xc7);
	uart_write(&g->u, MCR, 0x0b);
	uart_write(&g->u, IER, 0x01);
	pthread_mutex_unlock(&g->lock);
}

/* Reads what is in the FIFO, at most max bytes; returns the count. */
static size_t guest_read(struct guest *g, uint8_t *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&g->lock);
	while (n < max && (uart_read(&g->u, LSR) & 0x01))
		out[n++] = uart_read(&g->u, RBR);
	pthread_mutex_unlock(&g->lock);
	return n;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Reads until want bytes came or 20 s passed; at most chunk per pass. */
static size_t guest_read_all(struct guest *g, uint8_t *out, size_t want, size_t chunk)
{
	double end = now_s() + 20;
	size_t got = 0;

	while (got < want && now_s() < end) {
		size_t n = guest_read(g, out + got, want - got < chunk ? want - got : chunk);

		got += n;
		if (!n)
			nanosleep(&(struct timespec){ 0, 50 * 1000 }, NULL);
	}
	return got;
}

struct writer {
	int fd;
	const uint8_t *buf;
	size_t len;
	bool ok;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n <= 0)
			return NULL;
		off += (size_t)n;
	}
	w->ok = true;
	return NULL;
}

static void guest_init(struct guest *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	uart_init(&g->u, no_output, irq, g);
	g->u.rx_space = rx_space;
}

static void start(struct guest *g, int fd, bool escape)
{
	struct console_input *ci = NULL;

	assert_int_equal(console_input_start(fd, escape, &g->u, &g->lock, quit, g, &ci), 0);
	pthread_mutex_lock(&g->lock);
	g->ci = ci;
	pthread_mutex_unlock(&g->lock);
}

static void stop(struct guest *g)
{
	struct console_input *ci = g->ci;

	pthread_mutex_lock(&g->lock);
	g->ci = NULL;
	pthread_mutex_unlock(&g->lock);
	console_input_stop(ci);
	pthread_mutex_destroy(&g->lock);
}

static void test_backpressure_loses_nothing(void **state)
{
	struct guest g;
	static uint8_t in[80000], out[80000];
	int p[2];
	size_t got;

	guest_init(&g);
	assert_int_equal(pipe(p), 0);
	start(&g, p[0], false);
	/* More than the pipe's 64 KiB and the pump's buffer together: the
	 * writer blocks until the guest reads, nothing is dropped. */
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + i / 251);
	/* Before the driver listens, nothing reaches the FIFO. */
	assert_int_equal(write(p[1], in, 1000), 1000);
	sleep_ms(50);
	pthread_mutex_lock(&g.lock);
	assert_int_equal(uart_read(&g.u, LSR) & 0x01, 0);
	pthread_mutex_unlock(&g.lock);
	guest_open(&g);
	{
		struct writer w = { .fd = p[1], .buf = in + 1000, .len = sizeof(in) - 1000 };
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, writer_thread, &w), 0);
		/* A slow guest: a few bytes at a time. */
		got = guest_read_all(&g, out, sizeof(out), 3);
		pthread_join(t, NULL);
		assert_true(w.ok);
		assert_int_equal(got, sizeof(in));
		assert_memory_equal(out, in, sizeof(in));
	}
	/* The interrupt went down with the FIFO empty. */
	assert_int_equal(g.level, 0);
	close(p[1]);
	stop(&g);
	close(p[0]);
	assert_int_equal(g.quits, 0);
}

static void test_interrupt_and_eof(void **state)
{
	struct guest g;
	uint8_t out[8];
	int p[2];

	guest_init(&g);
	assert_int_equal(pipe(p), 0);
	guest_open(&g);
	start(&g, p[0], false);
	assert_int_equal(write(p[1], "hi\n", 3), 3);
	close(p[1]);                    /* EOF: input ends, the guest does not */
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&g.lock);
		bool ready = (uart_read(&g.u, LSR) & 0x01) && g.level;
		pthread_mutex_unlock(&g.lock);
		if (ready)
			break;
		sleep_ms(1);
	}
	assert_int_equal(g.level, 1);   /* IRQ 4 raised for the guest */
	assert_int_equal(guest_read_all(&g, out, 3, 8), 3);
	assert_memory_equal(out, "hi\n", 3);
	assert_int_equal(g.level, 0);
	stop(&g);
	close(p[0]);
	assert_int_equal(g.quits, 0);
}

static void test_ctrl_a_x_quits(void **state)
{
	struct guest g;
	uint8_t out[8];
	int p[2];

	guest_init(&g);
	assert_int_equal(pipe(p), 0);
	guest_open(&g);
	start(&g, p[0], true);
	/* Ctrl-A Ctrl-A is one Ctrl-A for the guest, then Ctrl-A x quits even
	 * though more input follows. */
	assert_int_equal(write(p[1], "a\x01\x01" "b\x01xzz", 8), 8);
	for (int i = 0; i < 20000 && !g.quits; i++)
		sleep_ms(1);
	assert_int_equal(g.quits, 1);
	assert_int_equal(guest_read_all(&g, out, 3, 8), 3);
	assert_memory_equal(out, "a\x01" "b", 3);
	sleep_ms(20);
	assert_int_equal(guest_read(&g, out, 8), 0);
	close(p[1]);
	stop(&g);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backpressure_loses_nothing),
		cmocka_unit_test(test_interrupt_and_eof),
		cmocka_unit_test(test_ctrl_a_x_quits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
