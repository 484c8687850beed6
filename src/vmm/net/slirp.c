/* SPDX-License-Identifier: MIT */
/*
 * libslirp backend; see slirp.h for the layout and the IMDS routing.
 */
#include "vmm/net/slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define TXQ_MAX   512
#define MAX_FRAME 65536

struct txq_frame {
	size_t len;
	uint8_t *data;
};

struct slirp_timer {
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms;   /* -1: not armed */
	struct slirp_timer *next;
};

struct net_slirp {
	struct net_backend nb;          /* first: net_backend_* casts back */
	struct dev_host host;
	Slirp *slirp;
	char *domain;

	/* frames from the NIC, drained by the poll thread */
	pthread_mutex_t txq_lock;
	struct txq_frame txq[TXQ_MAX];
	unsigned int txq_head, txq_count;
	uint64_t txq_drops;

	/* the NIC's receive callback */
	pthread_mutex_t rx_lock;
	net_backend_rx_fn rx;
	void *rx_opaque;

	int wake_fd;
	pthread_t thread;
	bool running;
	bool stopping;

	struct pollfd *pfds;
	size_t n_pfds, cap_pfds;
	struct slirp_timer *timers;

	struct imds *imds;
	struct imds_server *imds_srv;
	char *imds_dir;
	char *imds_sock;
};

static const uint8_t imds_mac[6] = { 0x52, 0x55, 0xa9, 0xfe, 0xa9, 0xfe };

static void emit(struct net_slirp *ns, enum vmm_event ev, const char *detail)
{
	if (ns->host.event)
		ns->host.event(ns->host.opaque, ev, detail);
}

static void tap_dhcp(struct net_slirp *ns, const uint8_t *frame, size_t len)
{
	struct dhcp_info info;
	char detail[64];

	if (frame_dhcp_parse(frame, len, &info) != 1)
		return;
	if (info.from_client && info.type == DHCP_DISCOVER) {
		emit(ns, VMM_EV_NET_DHCP_DISCOVER, NULL);
	} else if (info.from_client && info.type == DHCP_REQUEST) {
		emit(ns, VMM_EV_NET_DHCP_REQUEST, NULL);
	} else if (!info.from_client && info.type == DHCP_ACK) {
		snprintf(detail, sizeof(detail), "%u.%u.%u.%u", info.yiaddr >> 24,
			 (info.yiaddr >> 16) & 0xff, (info.yiaddr >> 8) & 0xff, info.yiaddr & 0xff);
		emit(ns, VMM_EV_NET_DHCP_ACK, detail);
	}
}

static void deliver(struct net_slirp *ns, const uint8_t *frame, size_t len)
{
	pthread_mutex_lock(&ns->rx_lock);
	if (ns->rx)
		ns->rx(ns->rx_opaque, frame, len);
	pthread_mutex_unlock(&ns->rx_lock);
}

/* ---- slirp callbacks (poll thread) ---------------------------------------- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *ns = opaque;
	uint8_t frame[MAX_FRAME];
	size_t sent = len;
	int r;

	if (len > sizeof(frame))
		return (ssize_t)len;   /* slirp never builds these; drop */
	memcpy(frame, buf, len);
	r = frame_dhcp_add_router(frame, len, sizeof(frame), NET_SLIRP_GATEWAY);
	if (r > 0)
		len = (size_t)r;
	if (ns->imds_srv)
		frame_rewrite_tcp4(frame, len, false, NET_SLIRP_IMDS_PROXY, NET_SLIRP_IMDS, 80);
	tap_dhcp(ns, frame, len);
	deliver(ns, frame, len);
	return (ssize_t)sent;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	/* Guest misbehaviour is the guest's business; nothing to report. */
}

static int64_t cb_clock_get_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_slirp *ns = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = ns->timers;
	ns->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_slirp *ns = opaque;

	for (struct slirp_timer **p = &ns->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
}

static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	((struct slirp_timer *)timer)->expire_ms = expire_time;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
	struct net_slirp *ns = opaque;
	uint64_t one = 1;

	if (write(ns->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the thread is awake anyway */
	}
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
};

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *ns = opaque;
	short pev = 0;

	if (ns->n_pfds == ns->cap_pfds) {
		size_t cap = ns->cap_pfds ? 2 * ns->cap_pfds : 64;
		struct pollfd *p = realloc(ns->pfds, cap * sizeof(*p));

		if (!p)
			return -1;
		ns->pfds = p;
		ns->cap_pfds = cap;
	}
	if (events & SLIRP_POLL_IN)
		pev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		pev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		pev |= POLLPRI;
	ns->pfds[ns->n_pfds] = (struct pollfd){ .fd = fd, .events = pev };
	return (int)ns->n_pfds++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct net_slirp *ns = opaque;
	short r;
	int ev = 0;

	if (idx < 0 || (size_t)idx >= ns->n_pfds)
		return 0;
	r = ns->pfds[idx].revents;
	if (r & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (r & (POLLERR | POLLNVAL))
		ev |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* ---- frames from the NIC ------------------------------------------------- */

static void guest_frame(struct net_slirp *ns, uint8_t *frame, size_t len)
{
	uint8_t reply[42];

	tap_dhcp(ns, frame, len);
	if (ns->imds_srv) {
		if (frame_arp_reply(frame, len, NET_SLIRP_IMDS, imds_mac, reply)) {
			deliver(ns, reply, sizeof(reply));
			return;
		}
		frame_rewrite_tcp4(frame, len, true, NET_SLIRP_IMDS, NET_SLIRP_IMDS_PROXY, 80);
	}
	slirp_input(ns->slirp, frame, (int)len);
}

static void drain_txq(struct net_slirp *ns)
{
	for (;;) {
		struct txq_frame f;

		pthread_mutex_lock(&ns->txq_lock);
		if (!ns->txq_count) {
			pthread_mutex_unlock(&ns->txq_lock);
			return;
		}
		f = ns->txq[ns->txq_head];
		ns->txq_head = (ns->txq_head + 1) % TXQ_MAX;
		ns->txq_count--;
		pthread_mutex_unlock(&ns->txq_lock);
		guest_frame(ns, f.data, f.len);
		free(f.data);
	}
}

static int nb_send(struct net_backend *nb, const void *frame, size_t len)
{
	struct net_slirp *ns = (struct net_slirp *)nb;
	uint64_t one = 1;
	uint8_t *copy;

	if (len < 14 || len > MAX_FRAME)
		return -EINVAL;
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, frame, len);
	pthread_mutex_lock(&ns->txq_lock);
	if (ns->txq_count == TXQ_MAX) {
		ns->txq_drops++;
		pthread_mutex_unlock(&ns->txq_lock);
		free(copy);
		return -ENOBUFS;
	}
	ns->txq[(ns->txq_head + ns->txq_count) % TXQ_MAX] = (struct txq_frame){ len, copy };
	ns->txq_count++;
	pthread_mutex_unlock(&ns->txq_lock);
	if (write(ns->wake_fd, &one, sizeof(one)) < 0) {
		/* saturated counter: the thread is awake */
	}
	return 0;
}

static void nb_attach(struct net_backend *nb, net_backend_rx_fn rx, void *opaque)
{
	struct net_slirp *ns = (struct net_slirp *)nb;

	pthread_mutex_lock(&ns->rx_lock);
	ns->rx = rx;
	ns->rx_opaque = opaque;
	pthread_mutex_unlock(&ns->rx_lock);
}

static const struct net_backend_ops slirp_backend_ops = {
	.send = nb_send,
	.attach = nb_attach,
};

/* ---- poll thread ----------------------------------------------------------- */

static void run_timers(struct net_slirp *ns, int64_t now_ms)
{
	bool again = true;

	/* A callback may re-arm or free timers: rescan after each one. */
	while (again) {
		again = false;
		for (struct slirp_timer *t = ns->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now_ms) {
				t->expire_ms = -1;
				t->cb(t->cb_opaque);
				again = true;
				break;
			}
		}
	}
}

static void *poll_thread(void *opaque)
{
	struct net_slirp *ns = opaque;

	for (;;) {
		uint32_t timeout = 1000;
		int64_t now_ms;
		uint64_t v;
		int n;

		pthread_mutex_lock(&ns->txq_lock);
		if (ns->stopping) {
			pthread_mutex_unlock(&ns->txq_lock);
			break;
		}
		pthread_mutex_unlock(&ns->txq_lock);

		drain_txq(ns);
		ns->n_pfds = 0;
		cb_add_poll(ns->wake_fd, SLIRP_POLL_IN, ns);
		slirp_pollfds_fill(ns->slirp, &timeout, cb_add_poll, ns);
		now_ms = cb_clock_get_ns(ns) / 1000000;
		for (struct slirp_timer *t = ns->timers; t; t = t->next) {
			int64_t due = t->expire_ms - now_ms;

			if (t->expire_ms < 0)
				continue;
			if (due < 0)
				due = 0;
			if ((uint64_t)due < timeout)
				timeout = (uint32_t)due;
		}
		n = poll(ns->pfds, ns->n_pfds, (int)(timeout > 1000 ? 1000 : timeout));
		if (n > 0 && (ns->pfds[0].revents & POLLIN)) {
			if (read(ns->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another wake-up got there first */
			}
		}
		slirp_pollfds_poll(ns->slirp, n < 0 && errno != EINTR, cb_get_revents, ns);
		run_timers(ns, cb_clock_get_ns(ns) / 1000000);
	}
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------- */

static struct in_addr in4(uint32_t host_order)
{
	return (struct in_addr){ .s_addr = htonl(host_order) };
}

static int imds_setup(struct net_slirp *ns, const struct net_slirp_config *cfg)
{
	const char *tmp = cfg->runtime_dir ? cfg->runtime_dir : getenv("TMPDIR");
	struct in_addr proxy = in4(NET_SLIRP_IMDS_PROXY);
	int fd, r;

	r = imds_new(cfg->imds, &ns->host, &ns->imds);
	if (r < 0)
		return r;
	ns->imds_dir = strdup_printf("%s/nitrocheck-imds-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!ns->imds_dir)
		return -ENOMEM;
	if (!mkdtemp(ns->imds_dir)) {
		r = -errno;
		free(ns->imds_dir);
		ns->imds_dir = NULL;
		return r;
	}
	ns->imds_sock = path_join(ns->imds_dir, "imds.sock");
	if (!ns->imds_sock)
		return -ENOMEM;
	r = imds_listen_unix(ns->imds_sock, &fd);
	if (r < 0)
		return r;
	r = imds_server_start(ns->imds, fd, &ns->imds_srv);
	if (r < 0)
		return r;
	if (slirp_add_unix(ns->slirp, ns->imds_sock, &proxy, 80) < 0)
		return -EADDRINUSE;
	return 0;
}

/*
 * The benchmarking knob (see slirp.h): "PORT=COMMAND[;PORT=COMMAND...]",
 * each a slirp_add_exec forward at NET_SLIRP_BENCH:PORT. All or nothing:
 * a malformed entry is -EINVAL before any forward is added.
 */
static int bench_exec_parse(char *spec, bool add, struct net_slirp *ns)
{
	struct in_addr addr = in4(NET_SLIRP_BENCH);
	char *save = NULL;

	for (char *e = strtok_r(spec, ";", &save); e; e = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(e, '='), *end;
		unsigned long port;

		if (!eq || eq == e || !eq[1])
			return -EINVAL;
		errno = 0;
		port = strtoul(e, &end, 10);
		if (errno || end != eq || port == 0 || port > 65535)
			return -EINVAL;
		if (add && slirp_add_exec(ns->slirp, eq + 1, &addr, (int)port) < 0)
			return -EADDRINUSE;
	}
	return 0;
}

static int bench_exec_setup(struct net_slirp *ns, const char *spec)
{
	_cleanup_free_ char *check = strdup(spec);
	_cleanup_free_ char *add = strdup(spec);
	int r;

	if (!check || !add)
		return -ENOMEM;
	r = bench_exec_parse(check, false, ns);
	if (r < 0)
		return r;
	return bench_exec_parse(add, true, ns);
}

int net_slirp_create(const struct net_slirp_config *cfg, const struct dev_host *host,
		     struct net_slirp **ret)
{
	struct net_slirp *ns;
	SlirpConfig sc = { 0 };
	int r;

	if (!cfg || !ret)
		return -EINVAL;
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	ns->nb.ops = &slirp_backend_ops;
	if (host)
		ns->host = *host;
	pthread_mutex_init(&ns->txq_lock, NULL);
	pthread_mutex_init(&ns->rx_lock, NULL);
	ns->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ns->domain = strdup(cfg->domain ? cfg->domain : "ec2.internal");
	if (ns->wake_fd < 0 || !ns->domain) {
		r = ns->wake_fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}

	sc.version = 3;
	sc.restricted = 1;      /* nothing beyond what we serve */
	sc.in_enabled = true;
	sc.vnetwork = in4(NET_SLIRP_NETWORK);
	sc.vnetmask = in4(NET_SLIRP_NETMASK);
	sc.vhost = in4(NET_SLIRP_GATEWAY);
	sc.in6_enabled = false;
	sc.vdhcp_start = in4(NET_SLIRP_GUEST);
	sc.vnameserver = in4(NET_SLIRP_DNS);
	sc.vdomainname = ns->domain;
	sc.disable_host_loopback = true;
	sc.enable_emu = false;
	ns->slirp = slirp_new(&sc, &slirp_callbacks, ns);
	if (!ns->slirp) {
		r = -ENOMEM;
		goto fail;
	}
	if (cfg->imds) {
		r = imds_setup(ns, cfg);
		if (r < 0)
			goto fail;
	}
	if (cfg->bench_exec) {
		r = bench_exec_setup(ns, cfg->bench_exec);
		if (r < 0)
			goto fail;
	}
	*ret = ns;
	return 0;
fail:
	net_slirp_destroy(ns);
	return r;
}

struct net_backend *net_slirp_backend(struct net_slirp *ns)
{
	return &ns->nb;
}

int net_slirp_start(struct net_slirp *ns)
{
	int r;

	if (ns->running)
		return -EALREADY;
	r = pthread_create(&ns->thread, NULL, poll_thread, ns);
	if (r)
		return -r;
	ns->running = true;
	return 0;
}

void net_slirp_destroy(struct net_slirp *ns)
{
	if (!ns)
		return;
	if (ns->running) {
		uint64_t one = 1;

		pthread_mutex_lock(&ns->txq_lock);
		ns->stopping = true;
		pthread_mutex_unlock(&ns->txq_lock);
		if (write(ns->wake_fd, &one, sizeof(one)) < 0) {
			/* the poll times out within a second anyway */
		}
		pthread_join(ns->thread, NULL);
	}
	if (ns->slirp)
		slirp_cleanup(ns->slirp);
	while (ns->timers)
		cb_timer_free(ns->timers, ns);
	imds_server_stop(ns->imds_srv);
	imds_free(ns->imds);
	if (ns->imds_sock)
		unlink(ns->imds_sock);
	if (ns->imds_dir)
		rmdir(ns->imds_dir);
	free(ns->imds_sock);
	free(ns->imds_dir);
	for (unsigned int i = 0; i < ns->txq_count; i++)
		free(ns->txq[(ns->txq_head + i) % TXQ_MAX].data);
	if (ns->wake_fd >= 0)
		close(ns->wake_fd);
	free(ns->pfds);
	free(ns->domain);
	pthread_mutex_destroy(&ns->txq_lock);
	pthread_mutex_destroy(&ns->rx_lock);
	free(ns);
}
