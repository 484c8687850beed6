/* SPDX-License-Identifier: MIT */
/*
 * Pure helpers over Ethernet frames, used between the NIC and libslirp:
 * recognise DHCP messages (for the DHCP milestones), rewrite an IPv4 address
 * with the IP and TCP/UDP checksums fixed up incrementally (RFC 1624), and
 * answer an ARP request on behalf of an address slirp does not own.
 * Every function checks the frame's lengths before reading.
 */
#ifndef NC_VMM_NET_FRAME_H
#define NC_VMM_NET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IPv4 addresses are in host byte order here. */
#define FRAME_IPV4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

enum dhcp_msg_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

struct dhcp_info {
	enum dhcp_msg_type type;
	bool from_client;       /* UDP 68 -> 67 */
	uint32_t xid;
	uint32_t yiaddr;        /* "your" address (OFFER/ACK) */
	uint8_t chaddr[6];
};

/* 1 and *ret filled when frame is a BOOTP/DHCP message over IPv4/UDP with a
 * message-type option, 0 otherwise. */
int frame_dhcp_parse(const uint8_t *frame, size_t len, struct dhcp_info *ret);

/* Value of DHCP option `code` in a server or client message: its length,
 * with *ret_val pointing into frame, or -ENOENT. */
int frame_dhcp_option(const uint8_t *frame, size_t len, uint8_t code, const uint8_t **ret_val);

/* Add the router option (3) to a DHCP OFFER/ACK that has none: libslirp in
 * restricted mode leaves it out, and without a default route the guest
 * cannot reach 169.254.169.254. Uses the zero padding after the end option
 * when there is room, otherwise grows the frame (cap bytes available); IP
 * and UDP lengths and checksums are fixed. Returns the new length (== len
 * when nothing was to do) or -ENOSPC. */
int frame_dhcp_add_router(uint8_t *frame, size_t len, size_t cap, uint32_t router);

/* Rewrite the IPv4 destination (dst true) or source address of a TCP
 * segment to or from port `port` (the destination port when dst, the source
 * port otherwise) when it equals `from`. Returns true when rewritten. */
bool frame_rewrite_tcp4(uint8_t *frame, size_t len, bool dst, uint32_t from, uint32_t to,
			uint16_t port);

/* When frame is an ARP request for `ip`, build the reply (from `mac`) in
 * reply[42] and return true. */
bool frame_arp_reply(const uint8_t *frame, size_t len, uint32_t ip, const uint8_t mac[6],
		     uint8_t reply[42]);

#endif
