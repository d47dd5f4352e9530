/* SPDX-License-Identifier: MIT */
/*
 * vxlan.h - the VXLAN header (RFC 7348, protocols.md §5), the outer UDP
 * header that carries it, and the outer UDP source port that spreads
 * flows over the underlay's ECMP paths.  Used by the vxlan port kind
 * (port/vxlan.c), which owns the sockets, the VNI map and the VTEP table
 * (port/vtep.h).
 *
 *	byte  0     flags: exactly VXLAN_FLAG_I (the I bit: VNI valid)
 *	      1-3   reserved, 0
 *	      4-6   VNI, 24 bits big-endian
 *	      7     reserved, 0
 *
 * On receive, vxlan_parse() is as strict as the Linux vxlan device: the I
 * flag alone, every reserved bit zero and a whole inner Ethernet header,
 * else the datagram is not ours to decapsulate.  Pure functions: no
 * syscalls, no globals, no allocation; safe on the data path.
 */
#ifndef LANYARD_PROTO_VXLAN_H
#define LANYARD_PROTO_VXLAN_H

#include <stddef.h>
#include <stdint.h>

#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08
#define VXLAN_VNI_MAX 0xffffffu
#define VXLAN_PORT_DEFAULT 4789 /* IANA; the kernel's default is 8472 */

/*
 * What encapsulation adds to an inner frame (its Ethernet header included)
 * in the underlay's IP packet: outer IP + UDP 8 + VXLAN 8.  An inner frame
 * fits an underlay MTU m when it is at most m - VXLAN_OVERHEAD_Vx bytes.
 */
#define VXLAN_OVERHEAD_V4 36 /* IPv4 header 20 */
#define VXLAN_OVERHEAD_V6 56 /* IPv6 header 40 */

/* The outer source port range the RFC recommends for the flow hash. */
#define VXLAN_SPORT_MIN 49152
#define VXLAN_SPORT_MAX 65535

enum vxlan_status {
	VXLAN_OK = 0,
	VXLAN_SHORT,        /* fewer than VXLAN_HLEN + 14 bytes */
	VXLAN_BAD_FLAGS,    /* byte 0 is not exactly VXLAN_FLAG_I */
	VXLAN_BAD_RESERVED, /* a bit of bytes 1-3 or 7 is set */
};

enum vxlan_status vxlan_parse(const uint8_t *dgram, size_t len, uint32_t *vni);
void vxlan_hdr_write(uint8_t out[VXLAN_HLEN], uint32_t vni);
uint16_t vxlan_src_port(const uint8_t *frame, uint32_t len);

#endif /* LANYARD_PROTO_VXLAN_H */
