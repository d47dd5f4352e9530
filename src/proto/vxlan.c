/* SPDX-License-Identifier: MIT */
/*
 * vxlan.c - reading and writing the VXLAN header, and the
 * outer source port's flow hash.  See vxlan.h.
 *
 * The flow hash reads the inner frame the way an underlay router's ECMP
 * hash reads a plain packet: Ethernet addresses, up to two VLAN tags (the
 * VID, not the priority), the ethertype; for IPv4 and IPv6 the addresses
 * and the upper-layer protocol; for TCP, UDP and SCTP the two ports,
 * unless the packet is a fragment (ports are only in the first fragment,
 * and every fragment of a datagram must take the same path as the rest of
 * its flow).  Fields that change within a flow (IP ID, TTL, lengths,
 * checksums, sequence numbers, payload) are never read.  Every read is
 * checked against the frame's length; a frame that ends early is hashed
 * on what it has.
 */
#include "proto/vxlan.h"

#include <netinet/in.h>

#include "core/util.h"
#include "proto/eth.h"
#include "proto/vlan.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IP4_HLEN 20
#define IP4_FRAG_MASK 0x3fff /* MF and the fragment offset */
#define IP6_HLEN 40
#define IP6_FRAG_MASK 0xfff9 /* the fragment offset and M */
#define IP6_EXT_MAX 4        /* extension headers walked, at most */

#define HASH_SEED 0x6c616e7961726421ULL
#define HASH_MUL 0x9e3779b97f4a7c15ULL /* odd; 2^64 / golden ratio */
#define SPORT_SPAN (VXLAN_SPORT_MAX - VXLAN_SPORT_MIN + 1)

/*
 * Fold @v into the state @h: the multiply spreads each bit of @v over the
 * bits above it, the shift brings the well-mixed high half back down so
 * the next field meets it.
 */
static uint64_t
mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * HASH_MUL;
	return h ^ h >> 31;
}

/* The port from the state: the top bits of one more multiply. */
static uint16_t
sport_of(uint64_t h)
{
	h ^= h >> 29;
	h *= HASH_MUL;
	return (uint16_t)(VXLAN_SPORT_MIN + (h >> 32) % SPORT_SPAN);
}

/*
 * The two ports of a TCP, UDP or SCTP header at @off of @p (all three
 * start with them), or 0 for another protocol or a header cut short.
 */
static uint64_t
l4_ports(uint8_t proto, const uint8_t *p, uint32_t len, uint32_t off)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	    proto != IPPROTO_SCTP)
		return 0;
	if (off > len || len - off < 4)
		return 0;
	return get_be32(p + off);
}

/* Ethernet addresses, VLAN IDs and the ethertype; sets @l3 (<= @len). */
static uint16_t
hash_l2(uint64_t *h, const uint8_t *f, uint32_t len, uint32_t *l3)
{
	uint32_t off = 2 * ETH_ALEN;
	uint16_t type = get_be16(f + off);

	*h = mix(*h, eth_mac_to_u64(f));
	*h = mix(*h, eth_mac_to_u64(f + ETH_ALEN));
	for (int tags = 0;
	     tags < 2 && off + VLAN_TAG_LEN + 2 <= len &&
	     (type == VLAN_TPID_8021Q || type == VLAN_TPID_8021AD);
	     tags++) {
		*h = mix(*h,
		         (uint64_t)type << 16 | (get_be16(f + off + 2) & 0xfff));
		off += VLAN_TAG_LEN;
		type = get_be16(f + off);
	}
	*h = mix(*h, type);
	*l3 = off + 2;
	return type;
}

static uint64_t
hash_ip4(uint64_t h, const uint8_t *ip, uint32_t len)
{
	uint32_t ihl;
	uint8_t proto;
	uint64_t ports = 0;

	if (len < IP4_HLEN || ip[0] >> 4 != 4)
		return h;
	ihl = (ip[0] & 0xfu) * 4;
	proto = ip[9];
	h = mix(h, get_be64(ip + 12)); /* source and destination */
	if (ihl >= IP4_HLEN && !(get_be16(ip + 6) & IP4_FRAG_MASK))
		ports = l4_ports(proto, ip, len, ihl);
	return mix(h, ports << 8 | proto);
}

/*
 * Walk IPv6 extension headers (hop-by-hop, routing, destination options,
 * fragment) to the upper-layer header, at most IP6_EXT_MAX of them.  Sets
 * @proto to the last next-header value read.
 *
 * Return: the upper-layer header's offset (maybe beyond @len), or 0 for a
 * fragment, a walk cut short by the frame's end, or too many headers.
 */
static uint32_t
ip6_l4(const uint8_t *ip, uint32_t len, uint8_t *proto)
{
	uint32_t off = IP6_HLEN;

	*proto = ip[6];
	for (int i = 0; i <= IP6_EXT_MAX; i++) {
		switch (*proto) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (i == IP6_EXT_MAX || off > len || len - off < 2)
				return 0;
			*proto = ip[off];
			off += (ip[off + 1] + 1u) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (i == IP6_EXT_MAX || off > len || len - off < 8)
				return 0;
			*proto = ip[off];
			if (get_be16(ip + off + 2) & IP6_FRAG_MASK)
				return 0;
			off += 8; /* an atomic fragment: go on */
			break;
		default:
			return off;
		}
	}
	return 0;
}

static uint64_t
hash_ip6(uint64_t h, const uint8_t *ip, uint32_t len)
{
	uint64_t ports = 0;
	uint32_t l4;
	uint8_t proto;

	if (len < IP6_HLEN || ip[0] >> 4 != 6)
		return h;
	for (uint32_t off = 8; off < IP6_HLEN; off += 8)
		h = mix(h, get_be64(ip + off)); /* the addresses */
	l4 = ip6_l4(ip, len, &proto);
	if (l4)
		ports = l4_ports(proto, ip, len, l4);
	return mix(h, ports << 8 | proto);
}

/**
 * vxlan_parse() - check a received VXLAN header and read its VNI
 * @dgram: the UDP payload
 * @len:   its length
 * @vni:   set to the VNI on VXLAN_OK only
 *
 * The inner frame is then @dgram + VXLAN_HLEN, @len - VXLAN_HLEN bytes
 * (at least ETH_HDR_LEN).  Data path: no side effects.
 *
 * Return: VXLAN_OK, or why the datagram is refused: VXLAN_SHORT first,
 * then VXLAN_BAD_FLAGS, then VXLAN_BAD_RESERVED.
 */
enum vxlan_status
vxlan_parse(const uint8_t *dgram, size_t len, uint32_t *vni)
{
	if (len < VXLAN_HLEN + ETH_HDR_LEN)
		return VXLAN_SHORT;
	if (dgram[0] != VXLAN_FLAG_I)
		return VXLAN_BAD_FLAGS;
	if (dgram[1] | dgram[2] | dgram[3] | dgram[7])
		return VXLAN_BAD_RESERVED;
	*vni = (uint32_t)dgram[4] << 16 | (uint32_t)dgram[5] << 8 | dgram[6];
	return VXLAN_OK;
}

/**
 * vxlan_hdr_write() - write the header of a frame sent with @vni
 * @out: VXLAN_HLEN bytes
 * @vni: 0..VXLAN_VNI_MAX; higher bits are ignored
 *
 * Flags exactly VXLAN_FLAG_I and every reserved byte zero, as the Linux
 * vxlan device requires.
 */
void
vxlan_hdr_write(uint8_t out[VXLAN_HLEN], uint32_t vni)
{
	out[0] = VXLAN_FLAG_I;
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(vni >> 16);
	out[5] = (uint8_t)(vni >> 8);
	out[6] = (uint8_t)vni;
	out[7] = 0;
}

/**
 * vxlan_src_port() - the outer UDP source port of an inner frame
 * @frame: the inner Ethernet frame
 * @len:   its length (any: a runt is hashed on its bytes)
 *
 * A hash of the inner flow (see the top of this file): the same for every
 * frame of a flow, different for most pairs of flows, so the underlay
 * spreads tunnels over its paths without reordering a flow.  Reads no
 * byte at or after @len.  Deterministic: the same on every run and host.
 * Data path: a few dozen multiplies, no side effects.
 *
 * Return: a port in [VXLAN_SPORT_MIN, VXLAN_SPORT_MAX].
 */
uint16_t
vxlan_src_port(const uint8_t *frame, uint32_t len)
{
	uint64_t h = HASH_SEED;
	uint32_t l3;
	uint16_t type;

	if (len < ETH_HDR_LEN) {
		for (uint32_t i = 0; i < len; i++)
			h = mix(h, frame[i]);
		return sport_of(mix(h, len));
	}
	type = hash_l2(&h, frame, len, &l3);
	if (type == ETHERTYPE_IPV4)
		h = hash_ip4(h, frame + l3, len - l3);
	else if (type == ETHERTYPE_IPV6)
		h = hash_ip6(h, frame + l3, len - l3);
	return sport_of(h);
}
