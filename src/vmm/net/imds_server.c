/* SPDX-License-Identifier: MIT */
/*
 * IMDS transport: one thread, poll() over the listening socket, a wake-up
 * pipe and up to IMDS_MAX_CONNS HTTP/1.1 connections. Requests are answered
 * by the pure core (imds_process); keep-alive and pipelining work because
 * the core consumes one request at a time from the connection's buffer.
 */
#include "vmm/net/imds.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define IMDS_MAX_CONNS 32

struct imds_conn {
	int fd;
	char in[IMDS_MAX_REQUEST + 1];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool close_after;
};

struct imds_server {
	struct imds *imds;
	int listen_fd;
	int wake[2];
	pthread_t thread;
	struct imds_conn conns[IMDS_MAX_CONNS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conn_close(struct imds_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->in_len = c->out_len = c->out_off = 0;
	c->close_after = false;
}

/* Answer what is buffered, as long as nothing is waiting to be written. */
static int conn_run(struct imds_server *srv, struct imds_conn *c)
{
	while (!c->out && c->in_len && !c->close_after) {
		size_t used = 0, olen = 0;
		char *out = NULL;
		bool close_it = false;
		int r;

		r = imds_process(srv->imds, c->in, c->in_len, now_ms(), &used, &out, &olen, &close_it);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		c->out = out;
		c->out_len = olen;
		c->out_off = 0;
		c->close_after = close_it;
	}
	return 0;
}

static int conn_write(struct imds_conn *c)
{
	while (c->out && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return c->close_after ? -ECONNRESET : 1;
}

static int conn_read(struct imds_conn *c)
{
	ssize_t n;

	if (c->in_len >= IMDS_MAX_REQUEST)
		return 0;   /* the core turns a full buffer into a 400 */
	n = recv(c->fd, c->in + c->in_len, IMDS_MAX_REQUEST - c->in_len, 0);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	c->in_len += (size_t)n;
	return 0;
}

static void *server_thread(void *opaque)
{
	struct imds_server *srv = opaque;

	for (;;) {
		struct pollfd pfd[2 + IMDS_MAX_CONNS];
		int map[2 + IMDS_MAX_CONNS];
		nfds_t n = 0;

		pfd[n] = (struct pollfd){ .fd = srv->wake[0], .events = POLLIN };
		map[n++] = -1;
		pfd[n] = (struct pollfd){ .fd = srv->listen_fd, .events = POLLIN };
		map[n++] = -2;
		for (int i = 0; i < IMDS_MAX_CONNS; i++) {
			struct imds_conn *c = &srv->conns[i];

			if (c->fd < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
			map[n++] = i;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN) {
			int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			int slot = -1;

			for (int i = 0; fd >= 0 && i < IMDS_MAX_CONNS; i++)
				if (srv->conns[i].fd < 0) {
					slot = i;
					break;
				}
			if (fd >= 0 && slot < 0)
				close(fd);   /* too many: the client retries */
			else if (fd >= 0)
				srv->conns[slot].fd = fd;
		}
		for (nfds_t k = 2; k < n; k++) {
			struct imds_conn *c = &srv->conns[map[k]];
			int r = 0;

			if (!pfd[k].revents)
				continue;
			if (pfd[k].revents & (POLLERR | POLLNVAL)) {
				conn_close(c);
				continue;
			}
			if (c->out)
				r = conn_write(c);
			else if (pfd[k].revents & (POLLIN | POLLHUP))
				r = conn_read(c);
			/* Answer and write as far as the socket takes it. */
			while (r >= 0 && conn_run(srv, c) == 0 && c->out) {
				r = conn_write(c);
				if (r == 0)
					break;   /* socket full: wait for POLLOUT */
			}
			if (r < 0)
				conn_close(c);
		}
	}
	return NULL;
}

int imds_server_start(struct imds *imds, int listen_fd, struct imds_server **ret)
{
	struct imds_server *srv;
	int r;

	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		close(listen_fd);
		return -ENOMEM;
	}
	srv->imds = imds;
	srv->listen_fd = listen_fd;
	for (int i = 0; i < IMDS_MAX_CONNS; i++)
		srv->conns[i].fd = -1;
	if (pipe2(srv->wake, O_CLOEXEC) < 0) {
		r = -errno;
		close(listen_fd);
		free(srv);
		return r;
	}
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	r = pthread_create(&srv->thread, NULL, server_thread, srv);
	if (r) {
		close(srv->wake[0]);
		close(srv->wake[1]);
		close(listen_fd);
		free(srv);
		return -r;
	}
	*ret = srv;
	return 0;
}

void imds_server_stop(struct imds_server *srv)
{
	if (!srv)
		return;
	if (write(srv->wake[1], "x", 1) < 0) {
		/* the thread only stops on the pipe; nothing else to try */
	}
	pthread_join(srv->thread, NULL);
	for (int i = 0; i < IMDS_MAX_CONNS; i++)
		conn_close(&srv->conns[i]);
	close(srv->wake[0]);
	close(srv->wake[1]);
	close(srv->listen_fd);
	free(srv);
}

int imds_listen_tcp_loopback(uint16_t port, int *ret_fd, uint16_t *ret_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	if (ret_port)
		*ret_port = ntohs(sa.sin_port);
	*ret_fd = fd;
	fd = -1;
	return 0;
}

int imds_listen_unix(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
		return -errno;
	*ret_fd = fd;
	fd = -1;
	return 0;
}
