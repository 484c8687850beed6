/* SPDX-License-Identifier: MIT */
/*
 * The guest network through the real libslirp: a DHCP DISCOVER built here
 * gets an OFFER of 172.31.16.5, REQUEST gets the ACK, with the DHCP events;
 * ARP for 169.254.169.254 is answered; a TCP connection to
 * 169.254.169.254:80 reaches the IMDS server with correct checksums both
 * ways; the benchmarking exec forwards run their command for a connection
 * to 172.31.0.100:PORT and nothing else. Plus the pure frame helpers.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "vmm/net/frame.h"
#include "vmm/net/slirp.h"

static const uint8_t guest_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

struct rxlog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t frames[64][2048];
	size_t lens[64];
	unsigned int n;
	unsigned int events[VMM_EV__MAX];
	char ack_detail[64];
	char imds_detail[128];
};

static void on_rx(void *opaque, const void *frame, size_t len)
{
	struct rxlog *l = opaque;

	pthread_mutex_lock(&l->lock);
	if (l->n < 64 && len <= sizeof(l->frames[0])) {
		memcpy(l->frames[l->n], frame, len);
		l->lens[l->n++] = len;
	}
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

static void on_event(void *opaque, enum vmm_event ev, const char *detail)
{
	struct rxlog *l = opaque;

	pthread_mutex_lock(&l->lock);
	l->events[ev]++;
	if (ev == VMM_EV_NET_DHCP_ACK && detail)
		snprintf(l->ack_detail, sizeof(l->ack_detail), "%s", detail);
	if (ev == VMM_EV_NET_IMDS && detail)
		snprintf(l->imds_detail, sizeof(l->imds_detail), "%s", detail);
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

typedef bool (*frame_pred)(const uint8_t *f, size_t len, void *arg);

/* Wait up to 3 s for a received frame (from index *from on) matching pred. */
static int wait_frame(struct rxlog *l, unsigned int *from, frame_pred pred, void *arg,
		      uint8_t *out, size_t *out_len)
{
	struct timespec dl;
	int idx = -1;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 3;
	pthread_mutex_lock(&l->lock);
	while (idx < 0) {
		for (; *from < l->n; (*from)++)
			if (pred(l->frames[*from], l->lens[*from], arg)) {
				idx = (int)*from;
				memcpy(out, l->frames[idx], l->lens[idx]);
				*out_len = l->lens[idx];
				(*from)++;
				break;
			}
		if (idx >= 0 || pthread_cond_timedwait(&l->cond, &l->lock, &dl) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&l->lock);
	return idx;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ip_header(uint8_t *ip, size_t total, uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)total);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);   /* DF */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
}

static uint16_t tcp_csum(const uint8_t *ip, const uint8_t *tcp, size_t tcp_len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	put16(ph + 10, (uint16_t)tcp_len);
	return fold(sum16(tcp, tcp_len, sum16(ph, 12, 0)));
}

/* A DHCP client message as dhclient/systemd-networkd send it. */
static size_t dhcp_frame(uint8_t *f, uint8_t type, uint32_t xid, uint32_t req_ip)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8, *o;
	size_t blen = 236 + 312;

	memset(f, 0, 14 + 20 + 8 + blen);
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0800);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	put32(b + 4, xid);
	memcpy(b + 28, guest_mac, 6);
	put32(b + 236, 0x63825363);
	o = b + 240;
	*o++ = 53; *o++ = 1; *o++ = type;
	if (req_ip) {
		*o++ = 50; *o++ = 4; put32(o, req_ip); o += 4;
		*o++ = 54; *o++ = 4; put32(o, NET_SLIRP_GATEWAY); o += 4;
	}
	*o++ = 55; *o++ = 3; *o++ = 1; *o++ = 3; *o++ = 6;
	*o = 255;
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, (uint16_t)(8 + blen));
	ip_header(ip, 20 + 8 + blen, 17, 0, 0xffffffff);
	return 14 + 20 + 8 + blen;
}

/* IP header and UDP checksums of a frame verify, and the lengths agree. */
static void assert_udp_frame_valid(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t ulen = get16(udp + 4);
	uint8_t ph[12];

	assert_int_equal(get16(ip + 2), len - 14);
	assert_int_equal(ulen, len - 14 - 20);
	assert_int_equal(fold(sum16(ip, 20, 0)), 0);
	assert_int_not_equal(get16(udp + 6), 0);   /* slirp fills it; so do we */
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, ulen);
	assert_int_equal(fold(sum16(udp, ulen, sum16(ph, 12, 0))), 0);
}

/* The router option of a server message: 172.31.0.1, once. */
static void assert_router_option(const uint8_t *f, size_t len)
{
	const uint8_t *val;

	assert_int_equal(frame_dhcp_option(f, len, 3, &val), 4);
	assert_int_equal(get32(val), NET_SLIRP_GATEWAY);
	assert_udp_frame_valid(f, len);
}

static bool is_dhcp_type(const uint8_t *f, size_t len, void *arg)
{
	struct dhcp_info info;

	return frame_dhcp_parse(f, len, &info) == 1 && !info.from_client &&
	       info.type == *(enum dhcp_msg_type *)arg;
}

struct slirp_fixture {
	struct rxlog log;
	struct dev_host host;
	struct net_slirp *ns;
	struct net_backend *nb;
	unsigned int cursor;
};

static struct slirp_fixture *start_with(const struct net_slirp_config *cfg)
{
	struct slirp_fixture *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	pthread_mutex_init(&t->log.lock, NULL);
	pthread_cond_init(&t->log.cond, NULL);
	t->host.event = on_event;
	t->host.opaque = &t->log;
	assert_int_equal(net_slirp_create(cfg, &t->host, &t->ns), 0);
	t->nb = net_slirp_backend(t->ns);
	net_backend_attach(t->nb, on_rx, &t->log);
	assert_int_equal(net_slirp_start(t->ns), 0);
	return t;
}

static struct slirp_fixture *start(bool with_imds)
{
	struct imds_config icfg = {
		.instance_id = "i-0slirptest0000001",
		.mac = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
	};
	struct net_slirp_config cfg = { .imds = with_imds ? &icfg : NULL };

	return start_with(&cfg);
}

static void stop(struct slirp_fixture *t)
{
	net_slirp_destroy(t->ns);
	pthread_cond_destroy(&t->log.cond);
	pthread_mutex_destroy(&t->log.lock);
	free(t);
}

static void lease(struct slirp_fixture *t)
{
	uint8_t f[2048];
	size_t len;
	enum dhcp_msg_type want = DHCP_OFFER;
	struct dhcp_info info;

	len = dhcp_frame(f, DHCP_DISCOVER, 0xabcd1234, 0);
	assert_int_equal(net_backend_send(t->nb, f, len), 0);
	assert_true(wait_frame(&t->log, &t->cursor, is_dhcp_type, &want, f, &len) >= 0);
	assert_int_equal(frame_dhcp_parse(f, len, &info), 1);
	assert_int_equal(info.xid, 0xabcd1234);
	assert_int_equal(info.yiaddr >> 16, (172u << 8) | 31u);   /* 172.31.x.x */
	assert_int_equal(info.yiaddr, NET_SLIRP_GUEST);
	assert_memory_equal(info.chaddr, guest_mac, 6);
	assert_router_option(f, len);

	len = dhcp_frame(f, DHCP_REQUEST, 0xabcd1235, info.yiaddr);
	assert_int_equal(net_backend_send(t->nb, f, len), 0);
	want = DHCP_ACK;
	assert_true(wait_frame(&t->log, &t->cursor, is_dhcp_type, &want, f, &len) >= 0);
	assert_int_equal(frame_dhcp_parse(f, len, &info), 1);
	assert_int_equal(info.yiaddr, NET_SLIRP_GUEST);
	assert_router_option(f, len);

	pthread_mutex_lock(&t->log.lock);
	assert_int_equal(t->log.events[VMM_EV_NET_DHCP_DISCOVER], 1);
	assert_int_equal(t->log.events[VMM_EV_NET_DHCP_REQUEST], 1);
	assert_int_equal(t->log.events[VMM_EV_NET_DHCP_ACK], 1);
	assert_string_equal(t->log.ack_detail, "172.31.16.5");
	pthread_mutex_unlock(&t->log.lock);
}

static void test_dhcp(void **state)
{
	struct slirp_fixture *t = start(false);

	lease(t);
	stop(t);
}

struct tcp_match {
	uint8_t flags;   /* all of these set */
	size_t min_payload;
};

static bool is_imds_tcp(const uint8_t *f, size_t len, void *arg)
{
	const struct tcp_match *m = arg;
	const uint8_t *ip = f + 14, *tcp = ip + 20;
	size_t tot;

	if (len < 54 || get16(f + 12) != 0x0800 || ip[9] != 6)
		return false;
	tot = get16(ip + 2);
	return get32(ip + 12) == NET_SLIRP_IMDS && get16(tcp) == 80 &&
	       (tcp[13] & m->flags) == m->flags && tot - 20 - (size_t)(tcp[12] >> 4) * 4 >= m->min_payload;
}

static size_t tcp_frame(uint8_t *f, const uint8_t dst_mac[6], uint32_t seq, uint32_t ack,
			uint8_t flags, const char *payload)
{
	size_t plen = payload ? strlen(payload) : 0;
	uint8_t *ip = f + 14, *tcp = ip + 20;

	memset(f, 0, 14 + 40 + plen);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0800);
	put16(tcp, 40000);
	put16(tcp + 2, 80);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (plen)
		memcpy(tcp + 20, payload, plen);
	ip_header(ip, 40 + plen, 6, NET_SLIRP_GUEST, NET_SLIRP_IMDS);
	put16(tcp + 16, tcp_csum(ip, tcp, 20 + plen));
	return 14 + 40 + plen;
}

static bool is_arp_reply(const uint8_t *f, size_t len, void *arg)
{
	return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2;
}

/* ARP for ip from the leased guest; the answer's hardware address. */
static void arp_resolve(struct slirp_fixture *t, uint32_t ip, uint8_t ret_mac[6])
{
	uint8_t arp[42] = { 0 }, f[2048];
	size_t len;

	memset(arp, 0xff, 6);
	memcpy(arp + 6, guest_mac, 6);
	put16(arp + 12, 0x0806);
	put16(arp + 14, 1);
	put16(arp + 16, 0x0800);
	arp[18] = 6;
	arp[19] = 4;
	put16(arp + 20, 1);
	memcpy(arp + 22, guest_mac, 6);
	put32(arp + 28, NET_SLIRP_GUEST);
	put32(arp + 38, ip);
	assert_int_equal(net_backend_send(t->nb, arp, sizeof(arp)), 0);
	assert_true(wait_frame(&t->log, &t->cursor, is_arp_reply, NULL, f, &len) >= 0);
	assert_int_equal(get32(f + 28), ip);
	assert_memory_equal(f, guest_mac, 6);
	memcpy(ret_mac, f + 22, 6);
}

static void test_imds_through_slirp(void **state)
{
	struct slirp_fixture *t = start(true);
	uint8_t f[2048], mac[6];
	size_t len;
	struct tcp_match synack = { 0x12, 0 }, data = { 0x10, 1 };
	uint32_t srv_seq;
	const uint8_t *ip, *tcp;

	lease(t);

	/* ARP: who has 169.254.169.254? */
	arp_resolve(t, NET_SLIRP_IMDS, mac);

	/* SYN to 169.254.169.254:80; the SYN-ACK comes back from that address
	 * with valid IP and TCP checksums after the rewrite. */
	len = tcp_frame(f, mac, 1000, 0, 0x02, NULL);
	assert_int_equal(net_backend_send(t->nb, f, len), 0);
	assert_true(wait_frame(&t->log, &t->cursor, is_imds_tcp, &synack, f, &len) >= 0);
	ip = f + 14;
	tcp = ip + 20;
	assert_int_equal(fold(sum16(ip, 20, 0)), 0);
	assert_int_equal(get32(ip + 16), NET_SLIRP_GUEST);
	assert_int_equal(get16(tcp + 2), 40000);
	assert_int_equal(get32(tcp + 8), 1001);
	{
		size_t tl = get16(ip + 2) - 20u;
		uint8_t copy[2048];

		memcpy(copy, f, len);
		put16(copy + 14 + 20 + 16, 0);
		assert_int_equal(tcp_csum(copy + 14, copy + 34, tl), get16(tcp + 16));
	}
	srv_seq = get32(tcp + 4);

	len = tcp_frame(f, mac, 1001, srv_seq + 1, 0x18,
			"GET /latest/meta-data/instance-id HTTP/1.0\r\n\r\n");
	assert_int_equal(net_backend_send(t->nb, f, len), 0);
	assert_true(wait_frame(&t->log, &t->cursor, is_imds_tcp, &data, f, &len) >= 0);
	ip = f + 14;
	tcp = ip + 20 + 0;
	{
		size_t hl = (size_t)(tcp[12] >> 4) * 4, pl = get16(ip + 2) - 20u - hl;
		char body[2048];

		assert_true(pl < sizeof(body));
		memcpy(body, tcp + hl, pl);
		body[pl] = '\0';
		assert_non_null(strstr(body, "HTTP/1.1 200 OK"));
		/* the body may come in the same or a later segment */
		if (!strstr(body, "i-0slirptest0000001")) {
			data.min_payload = 1;
			assert_true(wait_frame(&t->log, &t->cursor, is_imds_tcp, &data, f, &len) >= 0);
			hl = (size_t)(f[14 + 20 + 12] >> 4) * 4;
			pl = get16(f + 16) - 20u - hl;
			memcpy(body, f + 34 + hl, pl);
			body[pl] = '\0';
			assert_non_null(strstr(body, "i-0slirptest0000001"));
		}
	}
	pthread_mutex_lock(&t->log.lock);
	assert_string_equal(t->log.imds_detail, "GET /latest/meta-data/instance-id");
	pthread_mutex_unlock(&t->log.lock);
	stop(t);
}

/* ---- the benchmarking exec forwards (net_slirp_config.bench_exec) ---- */

static void test_bench_exec_spec(void **state)
{
	static const char *const bad[] = {
		"5001", "=echo", "5001=", "0=echo", "65536=echo", "x=echo", "50o1=echo",
		"5001=echo a;5002", "5001=echo a;;5002=",
	};
	struct net_slirp *ns;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct net_slirp_config cfg = { .bench_exec = bad[i] };

		assert_int_equal(net_slirp_create(&cfg, NULL, &ns), -EINVAL);
	}
	{
		struct net_slirp_config cfg = { .bench_exec = "5001=head -c 1M /dev/zero;5002=wc -c" };

		assert_int_equal(net_slirp_create(&cfg, NULL, &ns), 0);
		net_slirp_destroy(ns);
	}
}

struct tcp_from {
	uint32_t ip;
	uint16_t port;
	uint8_t flags;   /* all of these set */
	size_t min_payload;
};

static bool is_tcp_from(const uint8_t *f, size_t len, void *arg)
{
	const struct tcp_from *m = arg;
	const uint8_t *ip = f + 14, *tcp = ip + 20;

	if (len < 54 || get16(f + 12) != 0x0800 || ip[9] != 6)
		return false;
	return get32(ip + 12) == m->ip && get16(tcp) == m->port &&
	       (tcp[13] & m->flags) == m->flags &&
	       get16(ip + 2) - 20u - (size_t)(tcp[12] >> 4) * 4 >= m->min_payload;
}

static size_t tcp_frame_to(uint8_t *f, const uint8_t dst_mac[6], uint32_t dst, uint16_t dport,
			   uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;

	memset(f, 0, 14 + 40);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0800);
	put16(tcp, 40001);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	ip_header(ip, 40, 6, NET_SLIRP_GUEST, dst);
	put16(tcp + 16, tcp_csum(ip, tcp, 20));
	return 14 + 40;
}

/* A guest connection to 172.31.0.100:5001 runs the forward's command with
 * the connection as its stdout; a port without a forward is refused. */
static void test_bench_exec_through_slirp(void **state)
{
	struct imds_config icfg = { .instance_id = "i-0slirptest0000002" };
	struct net_slirp_config cfg = { .imds = &icfg,
					.bench_exec = "5001=echo nc-bench-exec-ok" };
	struct slirp_fixture *t = start_with(&cfg);
	struct tcp_from synack = { NET_SLIRP_BENCH, 5001, 0x12, 0 };
	struct tcp_from data = { NET_SLIRP_BENCH, 5001, 0x10, 1 };
	struct tcp_from rst = { NET_SLIRP_BENCH, 5003, 0x04, 0 };
	uint8_t f[2048], mac[6];
	char body[64];
	size_t len, hl, pl;
	uint32_t srv_seq;

	lease(t);

	/* ARP: slirp answers for a forward's address inside its network. */
	arp_resolve(t, NET_SLIRP_BENCH, mac);

	len = tcp_frame_to(f, mac, NET_SLIRP_BENCH, 5001, 2000, 0, 0x02);
	assert_int_equal(net_backend_send(t->nb, f, len), 0);
	assert_true(wait_frame(&t->log, &t->cursor, is_tcp_from, &synack, f, &len) >= 0);
	assert_int_equal(get32(f + 14 + 20 + 8), 2001);
	srv_seq = get32(f + 14 + 20 + 4);
	len = tcp_frame_to(f, mac, NET_SLIRP_BENCH, 5001, 2001, srv_seq + 1, 0x10);
	assert_int_equal(net_backend_send(t->nb, f, len), 0);
	assert_true(wait_frame(&t->log, &t->cursor, is_tcp_from, &data, f, &len) >= 0);
	hl = (size_t)(f[14 + 20 + 12] >> 4) * 4;
	pl = get16(f + 16) - 20u - hl;
	assert_true(pl < sizeof(body));
	memcpy(body, f + 34 + hl, pl);
	body[pl] = '\0';
	assert_string_equal(body, "nc-bench-exec-ok\n");

	len = tcp_frame_to(f, mac, NET_SLIRP_BENCH, 5003, 3000, 0, 0x02);
	assert_int_equal(net_backend_send(t->nb, f, len), 0);
	assert_true(wait_frame(&t->log, &t->cursor, is_tcp_from, &rst, f, &len) >= 0);
	stop(t);
}

static void test_frame_helpers(void **state)
{
	uint8_t f[2048], before[2048];
	size_t len = tcp_frame(f, guest_mac, 5, 0, 0x02, "hello");
	struct dhcp_info info;
	uint8_t reply[42];

	/* Rewrite keeps both checksums valid and is undone exactly. */
	memcpy(before, f, len);
	assert_true(frame_rewrite_tcp4(f, len, true, NET_SLIRP_IMDS, NET_SLIRP_IMDS_PROXY, 80));
	assert_int_equal(get32(f + 30), NET_SLIRP_IMDS_PROXY);
	assert_int_equal(fold(sum16(f + 14, 20, 0)), 0);
	{
		uint16_t got = get16(f + 34 + 16);

		put16(f + 34 + 16, 0);
		assert_int_equal(tcp_csum(f + 14, f + 34, 25), got);
		put16(f + 34 + 16, got);
	}
	assert_false(frame_rewrite_tcp4(f, len, true, NET_SLIRP_IMDS, NET_SLIRP_IMDS_PROXY, 80));
	assert_true(frame_rewrite_tcp4(f, len, true, NET_SLIRP_IMDS_PROXY, NET_SLIRP_IMDS, 80));
	assert_memory_equal(f, before, len);
	/* Wrong port, truncated frames, lying IP length: untouched */
	assert_false(frame_rewrite_tcp4(f, len, true, NET_SLIRP_IMDS, 1, 443));
	for (size_t l = 0; l < len; l++)
		assert_false(frame_rewrite_tcp4(f, l, true, NET_SLIRP_IMDS, 1, 80));
	put16(f + 16, 4000);
	assert_false(frame_rewrite_tcp4(f, len, true, NET_SLIRP_IMDS, 1, 80));

	/* DHCP parsing */
	len = dhcp_frame(f, DHCP_REQUEST, 77, NET_SLIRP_GUEST);
	assert_int_equal(frame_dhcp_parse(f, len, &info), 1);
	assert_int_equal(info.type, DHCP_REQUEST);
	assert_true(info.from_client);
	assert_int_equal(info.xid, 77);
	for (size_t l = 0; l < 14 + 20 + 8 + 240; l++)
		assert_int_equal(frame_dhcp_parse(f, l, &info), 0);
	f[14 + 20 + 8 + 240] = 0;   /* option 53 becomes padding: no type */
	f[14 + 20 + 8 + 241] = 0;
	f[14 + 20 + 8 + 242] = 0;
	assert_int_equal(frame_dhcp_parse(f, len, &info), 0);

	/* ARP only for the asked address */
	memset(f, 0, 60);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	put32(f + 38, NET_SLIRP_GATEWAY);
	assert_false(frame_arp_reply(f, 60, NET_SLIRP_IMDS, guest_mac, reply));
	put32(f + 38, NET_SLIRP_IMDS);
	assert_true(frame_arp_reply(f, 60, NET_SLIRP_IMDS, guest_mac, reply));
	assert_false(frame_arp_reply(f, 41, NET_SLIRP_IMDS, guest_mac, reply));
}

/* A server message (67 -> 68) of `type` whose options end `tail` bytes of
 * zero padding after the end option. */
static size_t dhcp_server_frame(uint8_t *f, uint8_t type, size_t tail)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;
	size_t blen = 240 + 3 + 5 + 1 + tail;   /* 53, 55, end */

	dhcp_frame(f, type, 99, 0);
	put16(udp, 67);
	put16(udp + 2, 68);
	put16(udp + 4, (uint16_t)(8 + blen));
	put16(udp + 6, 0x1111);
	ip_header(ip, 20 + 8 + blen, 17, NET_SLIRP_GATEWAY, 0xffffffff);
	assert_int_equal(b[248], 255);
	return 14 + 20 + 8 + blen;
}

static void test_dhcp_router_option(void **state)
{
	uint8_t f[2048], before[2048];
	const uint8_t *val;
	struct dhcp_info info;
	size_t len;
	int r;

	/* No padding: the frame grows by the option's 6 bytes. */
	len = dhcp_server_frame(f, DHCP_OFFER, 0);
	assert_int_equal(frame_dhcp_option(f, len, 3, &val), -ENOENT);
	assert_int_equal(frame_dhcp_option(f, len, 53, &val), 1);
	r = frame_dhcp_add_router(f, len, sizeof(f), NET_SLIRP_GATEWAY);
	assert_int_equal(r, len + 6);
	assert_router_option(f, (size_t)r);
	assert_int_equal(frame_dhcp_parse(f, (size_t)r, &info), 1);
	assert_int_equal(info.type, DHCP_OFFER);
	assert_int_equal(frame_dhcp_option(f, (size_t)r, 53, &val), 1);
	assert_int_equal(val[0], DHCP_OFFER);
	/* Already there: nothing to do. */
	memcpy(before, f, (size_t)r);
	assert_int_equal(frame_dhcp_add_router(f, (size_t)r, sizeof(f), 1), r);
	assert_memory_equal(f, before, (size_t)r);

	/* Two bytes of padding: grows by 4. */
	len = dhcp_server_frame(f, DHCP_ACK, 2);
	r = frame_dhcp_add_router(f, len, sizeof(f), NET_SLIRP_GATEWAY);
	assert_int_equal(r, len + 4);
	assert_router_option(f, (size_t)r);

	/* Enough padding (as libslirp sends): same length. */
	len = dhcp_server_frame(f, DHCP_ACK, 64);
	r = frame_dhcp_add_router(f, len, sizeof(f), NET_SLIRP_GATEWAY);
	assert_int_equal(r, len);
	assert_router_option(f, (size_t)r);

	/* No room to grow */
	len = dhcp_server_frame(f, DHCP_OFFER, 0);
	assert_int_equal(frame_dhcp_add_router(f, len, len + 5, NET_SLIRP_GATEWAY), -ENOSPC);

	/* Client messages, NAKs and non-DHCP frames stay as they are. */
	len = dhcp_frame(f, DHCP_REQUEST, 5, NET_SLIRP_GUEST);
	memcpy(before, f, len);
	assert_int_equal(frame_dhcp_add_router(f, len, sizeof(f), NET_SLIRP_GATEWAY), len);
	assert_memory_equal(f, before, len);
	len = dhcp_server_frame(f, DHCP_NAK, 0);
	assert_int_equal(frame_dhcp_add_router(f, len, sizeof(f), NET_SLIRP_GATEWAY), len);
	assert_int_equal(frame_dhcp_option(f, len, 3, &val), -ENOENT);
	for (size_t l = 0; l < 14 + 20 + 8 + 240; l++)
		assert_int_equal(frame_dhcp_add_router(f, l, sizeof(f), NET_SLIRP_GATEWAY), l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_helpers),
		cmocka_unit_test(test_dhcp_router_option),
		cmocka_unit_test(test_dhcp),
		cmocka_unit_test(test_imds_through_slirp),
		cmocka_unit_test(test_bench_exec_spec),
		cmocka_unit_test(test_bench_exec_through_slirp),
	};

	return cmocka_run_group_tests_name("slirp_net", tests, NULL, NULL);
}
