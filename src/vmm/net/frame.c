/* SPDX-License-Identifier: MIT */
#include "vmm/net/frame.h"

#include <errno.h>
#include <string.h>

#define ETH_HLEN      14
#define ETHERTYPE_IP  0x0800
#define ETHERTYPE_ARP 0x0806
#define IPPROTO_TCP_  6
#define IPPROTO_UDP_  17
#define BOOTP_FIXED   236
#define DHCP_COOKIE   0x63825363u

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

/* The IPv4 packet inside an Ethernet frame: header length and the length the
 * IP header claims, both checked against the frame. */
static const uint8_t *ipv4_of(const uint8_t *frame, size_t len, size_t *ret_ihl, size_t *ret_tot)
{
	const uint8_t *ip = frame + ETH_HLEN;
	size_t ihl, tot;

	if (len < ETH_HLEN + 20 || be16(frame + 12) != ETHERTYPE_IP)
		return NULL;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = be16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || tot > len - ETH_HLEN)
		return NULL;
	/* Fragments other than a whole datagram carry no usable L4 header. */
	if (be16(ip + 6) & 0x3fff)
		return NULL;
	*ret_ihl = ihl;
	*ret_tot = tot;
	return ip;
}

int frame_dhcp_parse(const uint8_t *frame, size_t len, struct dhcp_info *ret)
{
	const uint8_t *ip, *udp, *b;
	size_t ihl, tot, ulen, blen, i;
	uint16_t sport, dport;
	struct dhcp_info info = { 0 };

	ip = ipv4_of(frame, len, &ihl, &tot);
	if (!ip || ip[9] != IPPROTO_UDP_ || tot < ihl + 8)
		return 0;
	udp = ip + ihl;
	sport = be16(udp);
	dport = be16(udp + 2);
	ulen = be16(udp + 4);
	if (ulen < 8 || ulen > tot - ihl)
		return 0;
	if (sport == 68 && dport == 67)
		info.from_client = true;
	else if (!(sport == 67 && dport == 68))
		return 0;
	b = udp + 8;
	blen = ulen - 8;
	if (blen < BOOTP_FIXED + 4 || be32(b + BOOTP_FIXED) != DHCP_COOKIE)
		return 0;
	info.xid = be32(b + 4);
	info.yiaddr = be32(b + 16);
	memcpy(info.chaddr, b + 28, 6);

	for (i = BOOTP_FIXED + 4; i < blen;) {
		uint8_t code = b[i], olen;

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255 || i + 1 >= blen)
			break;
		olen = b[i + 1];
		if (i + 2 + olen > blen)
			break;
		if (code == 53 && olen == 1 && b[i + 2] >= DHCP_DISCOVER && b[i + 2] <= DHCP_INFORM) {
			info.type = (enum dhcp_msg_type)b[i + 2];
			*ret = info;
			return 1;
		}
		i += 2 + (size_t)olen;
	}
	return 0;
}

/* Where a DHCP message's options are: the BOOTP payload b (blen bytes), or
 * NULL when frame is no DHCP message. */
static uint8_t *dhcp_payload(const uint8_t *frame, size_t len, size_t *ret_blen)
{
	struct dhcp_info info;
	size_t ihl, tot;
	const uint8_t *ip;

	if (frame_dhcp_parse(frame, len, &info) != 1)
		return NULL;
	ip = ipv4_of(frame, len, &ihl, &tot);
	*ret_blen = be16(ip + ihl + 4) - 8u;
	return (uint8_t *)ip + ihl + 8;
}

/* Offset of option `code` (255: the end option) in b, or 0. */
static size_t dhcp_option_at(const uint8_t *b, size_t blen, uint8_t code)
{
	size_t i;

	for (i = BOOTP_FIXED + 4; i < blen;) {
		if (b[i] == code)
			return i;
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (b[i] == 255 || i + 1 >= blen || i + 2 + (size_t)b[i + 1] > blen)
			return 0;
		i += 2 + (size_t)b[i + 1];
	}
	return 0;
}

int frame_dhcp_option(const uint8_t *frame, size_t len, uint8_t code, const uint8_t **ret_val)
{
	size_t blen = 0, at;
	const uint8_t *b = dhcp_payload(frame, len, &blen);

	if (!b || code == 0 || code == 255)
		return -ENOENT;
	at = dhcp_option_at(b, blen, code);
	if (!at)
		return -ENOENT;
	*ret_val = b + at + 2;
	return b[at + 1];
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int frame_dhcp_add_router(uint8_t *frame, size_t len, size_t cap, uint32_t router)
{
	const size_t opt_len = 6;
	struct dhcp_info info;
	size_t blen = 0, end, ihl, tot, pad, grow;
	uint8_t *b, *ip, *udp;
	uint16_t ulen, sum;

	if (frame_dhcp_parse(frame, len, &info) != 1 || info.from_client ||
	    (info.type != DHCP_OFFER && info.type != DHCP_ACK))
		return (int)len;
	b = dhcp_payload(frame, len, &blen);
	if (!b || dhcp_option_at(b, blen, 3))
		return (int)len;
	end = dhcp_option_at(b, blen, 255);
	if (!end)
		return (int)len;
	/* Zero padding after the end option is ours to use. */
	for (pad = 0; end + 1 + pad < blen && b[end + 1 + pad] == 0; pad++)
		;
	ip = (uint8_t *)ipv4_of(frame, len, &ihl, &tot);
	udp = ip + ihl;
	grow = pad >= opt_len ? 0 : opt_len - pad;
	if (ETH_HLEN + tot + grow > cap)
		return -ENOSPC;
	len = ETH_HLEN + tot;   /* drop Ethernet padding */
	if (grow) {
		uint8_t *rest = b + end + 1 + pad;

		memmove(rest + grow, rest, len - (size_t)(rest - frame));
	}
	b[end] = 3;
	b[end + 1] = 4;
	put_be32(b + end + 2, router);
	b[end + opt_len] = 255;
	if (grow) {
		tot += grow;
		len += grow;
		put_be16(ip + 2, (uint16_t)tot);
		put_be16(udp + 4, (uint16_t)(be16(udp + 4) + grow));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
	}
	/* UDP checksum over the pseudo-header and the whole datagram. */
	ulen = be16(udp + 4);
	put_be16(udp + 6, 0);
	sum = csum_fold(csum_add(csum_add((uint32_t)IPPROTO_UDP_ + ulen, ip + 12, 8), udp, ulen));
	put_be16(udp + 6, sum ? sum : 0xffff);
	return (int)len;
}

/* RFC 1624 incremental update of a ones'-complement checksum for a 32-bit
 * field changing from old to new. */
static void csum_replace32(uint8_t *csum, uint32_t old, uint32_t new)
{
	uint32_t sum = (uint16_t)~be16(csum);

	sum += (uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff);
	sum += (new >> 16) + (new & 0xffff);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put_be16(csum, (uint16_t)~sum);
}

bool frame_rewrite_tcp4(uint8_t *frame, size_t len, bool dst, uint32_t from, uint32_t to,
			uint16_t port)
{
	size_t ihl, tot;
	uint8_t *ip = (uint8_t *)ipv4_of(frame, len, &ihl, &tot);
	uint8_t *tcp, *addr;

	if (!ip || ip[9] != IPPROTO_TCP_ || tot < ihl + 20)
		return false;
	tcp = ip + ihl;
	addr = ip + (dst ? 16 : 12);
	if (be32(addr) != from || be16(tcp + (dst ? 2 : 0)) != port)
		return false;
	put_be32(addr, to);
	csum_replace32(ip + 10, from, to);
	/* The TCP checksum covers the addresses through the pseudo-header. */
	csum_replace32(tcp + 16, from, to);
	return true;
}

bool frame_arp_reply(const uint8_t *frame, size_t len, uint32_t ip, const uint8_t mac[6],
		     uint8_t reply[42])
{
	const uint8_t *a = frame + ETH_HLEN;

	if (len < ETH_HLEN + 28 || be16(frame + 12) != ETHERTYPE_ARP)
		return false;
	/* Ethernet/IPv4 request for ip */
	if (be16(a) != 1 || be16(a + 2) != ETHERTYPE_IP || a[4] != 6 || a[5] != 4 ||
	    be16(a + 6) != 1 || be32(a + 24) != ip)
		return false;
	memcpy(reply, a + 8, 6);                /* to the asker */
	memcpy(reply + 6, mac, 6);
	put_be16(reply + 12, ETHERTYPE_ARP);
	put_be16(reply + 14, 1);
	put_be16(reply + 16, ETHERTYPE_IP);
	reply[18] = 6;
	reply[19] = 4;
	put_be16(reply + 20, 2);                /* reply */
	memcpy(reply + 22, mac, 6);
	put_be32(reply + 28, ip);
	memcpy(reply + 32, a + 8, 6);           /* target: the asker's MAC and IP */
	memcpy(reply + 38, a + 14, 4);
	return true;
}
