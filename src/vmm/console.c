/* SPDX-License-Identifier: MIT */
#include "vmm/console.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define PEND_MAX 4096
#define READ_MAX 256

struct console_input {
	int fd;
	bool escape;
	struct uart *uart;
	pthread_mutex_t *lock;
	void (*quit)(void *opaque);
	void *opaque;
	int wake_fd;                    /* eventfd: room in the FIFO, or stop */
	atomic_bool stopping;
	atomic_bool waiting;            /* bytes pending that did not fit */
	pthread_t thread;
	struct console_escape esc;
	uint8_t pend[PEND_MAX];
	size_t pend_len;
};

static void wake(struct console_input *ci)
{
	uint64_t one = 1;
	ssize_t w = write(ci->wake_fd, &one, sizeof(one));

	(void)w;        /* EAGAIN: a wake-up is already pending */
}

void console_input_rx_space(struct console_input *ci)
{
	/* Called on every byte the guest reads: only a waiting pump cares. */
	if (ci && atomic_load(&ci->waiting))
		wake(ci);
}

/* Hands pending bytes to the UART as far as the guest takes them. */
static void feed(struct console_input *ci)
{
	size_t n = 0;

	if (!ci->pend_len)
		return;
	pthread_mutex_lock(ci->lock);
	if (uart_rx_listening(ci->uart))
		n = uart_receive(ci->uart, ci->pend, ci->pend_len);
	/* Set under the lock: an rx_space after this sees it. */
	atomic_store(&ci->waiting, n < ci->pend_len);
	pthread_mutex_unlock(ci->lock);
	memmove(ci->pend, ci->pend + n, ci->pend_len - n);
	ci->pend_len -= n;
}

static void *console_input_thread(void *arg)
{
	struct console_input *ci = arg;
	bool eof = false;

	while (!atomic_load(&ci->stopping)) {
		struct pollfd p[2] = {
			{ .fd = ci->wake_fd, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
		};
		/* Escapes can double a byte: keep room for twice the read. */
		size_t want = (PEND_MAX - ci->pend_len) / 2;

		feed(ci);
		if (eof && !ci->pend_len)
			break;
		if (!eof && want)
			p[1].fd = ci->fd;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			uint64_t v;
			ssize_t r = read(ci->wake_fd, &v, sizeof(v));

			(void)r;
		}
		if (p[1].fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			uint8_t in[READ_MAX];
			ssize_t n = read(ci->fd, in, want < sizeof(in) ? want : sizeof(in));
			bool quit = false;

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				eof = true;     /* the guest runs on without input */
				continue;
			}
			if (ci->escape) {
				ci->pend_len += console_escape_filter(&ci->esc, in, (size_t)n,
								      ci->pend + ci->pend_len, &quit);
			} else {
				memcpy(ci->pend + ci->pend_len, in, (size_t)n);
				ci->pend_len += (size_t)n;
			}
			if (quit) {
				feed(ci);
				ci->quit(ci->opaque);
				break;
			}
		}
	}
	return NULL;
}

int console_input_start(int fd, bool escape, struct uart *u, pthread_mutex_t *lock,
			void (*quit)(void *opaque), void *opaque, struct console_input **ret)
{
	struct console_input *ci = calloc(1, sizeof(*ci));
	int rc;

	if (!ci)
		return -ENOMEM;
	ci->fd = fd;
	ci->escape = escape;
	ci->uart = u;
	ci->lock = lock;
	ci->quit = quit;
	ci->opaque = opaque;
	atomic_init(&ci->stopping, false);
	atomic_init(&ci->waiting, false);
	ci->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ci->wake_fd < 0) {
		rc = -errno;
		free(ci);
		return rc;
	}
	rc = -pthread_create(&ci->thread, NULL, console_input_thread, ci);
	if (rc < 0) {
		close(ci->wake_fd);
		free(ci);
		return rc;
	}
	*ret = ci;
	return 0;
}

void console_input_stop(struct console_input *ci)
{
	if (!ci)
		return;
	atomic_store(&ci->stopping, true);
	wake(ci);
	pthread_join(ci->thread, NULL);
	close(ci->wake_fd);
	free(ci);
}
