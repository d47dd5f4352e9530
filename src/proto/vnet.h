/* SPDX-License-Identifier: MIT */
/*
 * vnet.h - the virtio_net_hdr that tap (IFF_VNET_HDR), AF_PACKET
 * (PACKET_VNET_HDR) and vhost-user put before each frame (protocols.md §3,
 * §6), and the offload capabilities a receiver states.
 *
 * The header is 10 bytes, or 12 with num_buffers; fields are little-endian
 * (virtio 1.0, and x86 native for tap).  vnet_hdr_parse() is the only
 * reader of one from outside: it checks every field against the frame it
 * came with, so the segmenter and checksum code never see an offset
 * beyond the frame.  Pure functions: no syscalls, no globals.
 */
#ifndef LANYARD_PROTO_VNET_H
#define LANYARD_PROTO_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pkt.h"

#define VNET_HDR_LEN 10		/* without num_buffers */
#define VNET_HDR_MRG_LEN 12	/* with num_buffers */

#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2

#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3		/* UFO: IP fragmentation */
#define VNET_GSO_TCPV6 4
#define VNET_GSO_UDP_L4 5	/* USO: one UDP datagram per segment */
#define VNET_GSO_ECN 0x80

/*
 * Offloads a receiver accepts (TUN_F_* bit values, so a tap's mask goes
 * straight to TUNSETOFFLOAD).  A frame needing work outside a port's mask
 * is finished in software before that port sees it.
 */
#define VNET_OFF_CSUM 0x01
#define VNET_OFF_TSO4 0x02
#define VNET_OFF_TSO6 0x04
#define VNET_OFF_ECN 0x08
#define VNET_OFF_UFO 0x10
#define VNET_OFF_USO4 0x20
#define VNET_OFF_USO6 0x40
#define VNET_OFF_ALL 0x7f

/* gso_size below this is refused: too many segments for one frame. */
#define VNET_GSO_SIZE_MIN 8

uint16_t vnet_l3_type(const uint8_t *f, uint32_t len, uint32_t *l3);
const char *vnet_gso_check(const struct pkt_off *o, uint32_t frame_len);
int vnet_hdr_parse(const uint8_t *hdr, uint32_t frame_len,
		   struct pkt_off *off, const char **why);
void vnet_hdr_write(uint8_t *hdr, size_t hdr_len, const struct pkt_off *off);
bool vnet_off_accepts(uint32_t caps, const struct pkt_off *off,
		      const uint8_t *frame, uint32_t len);
void vnet_off_format(uint32_t caps, char *buf, size_t len);

#endif /* LANYARD_PROTO_VNET_H */
