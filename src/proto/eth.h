/* SPDX-License-Identifier: MIT */
/*
 * eth.h - Ethernet addresses and header fields, read without alignment
 * assumptions.  Pure inline helpers; callers check the frame length first.
 */
#ifndef LANYARD_PROTO_ETH_H
#define LANYARD_PROTO_ETH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ETH_ALEN 6
#define ETH_HDR_LEN 14
#define ETH_MAC_STRLEN 18	/* "xx:xx:xx:xx:xx:xx" + NUL */

/* A MAC address as the low 48 bits of a u64, first octet most significant. */
static inline uint64_t
eth_mac_to_u64(const uint8_t *mac)
{
	return (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 |
	       (uint64_t)mac[4] << 8 | (uint64_t)mac[5];
}

static inline void
eth_u64_to_mac(uint64_t v, uint8_t *mac)
{
	for (int i = 5; i >= 0; i--) {
		mac[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline const uint8_t *
eth_dst(const uint8_t *frame)
{
	return frame;
}

static inline const uint8_t *
eth_src(const uint8_t *frame)
{
	return frame + ETH_ALEN;
}

/**
 * eth_flow_pick() - one of @n queues for a frame, by a hash of its two MAC
 * addresses, so one flow always takes the same queue (keeps its order)
 * @frame: at least ETH_HDR_LEN bytes
 * @n:     queues, at least 1
 *
 * Return: 0..@n-1.
 */
static inline unsigned int
eth_flow_pick(const uint8_t *frame, unsigned int n)
{
	uint64_t h = eth_mac_to_u64(eth_dst(frame)) ^
		     eth_mac_to_u64(eth_src(frame));

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (unsigned int)((h >> 32) % n);
}

static inline uint16_t
eth_type(const uint8_t *frame)
{
	return (uint16_t)(frame[12] << 8 | frame[13]);
}

/* Group bit: broadcast and multicast destinations. */
static inline bool
eth_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

/* A usable source: not group, not all zero (as the Linux bridge requires). */
static inline bool
eth_is_valid_src(const uint8_t *mac)
{
	static const uint8_t zero[ETH_ALEN];

	return !eth_is_multicast(mac) && memcmp(mac, zero, ETH_ALEN) != 0;
}

void eth_mac_format(const uint8_t *mac, char out[ETH_MAC_STRLEN]);
int eth_mac_parse(const char *s, uint8_t *mac);

#endif /* LANYARD_PROTO_ETH_H */
