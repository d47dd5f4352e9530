/* SPDX-License-Identifier: MIT */
/*
 * gso.h - finishing offloads in software: partial checksums and
 * segmentation of GSO super-frames (TCPv4, TCPv6, UFO, USO), for ports that
 * carry plain frames (stream, dgram, mcast, VXLAN, pcap).
 *
 * The result is what the Linux kernel would put on the wire for the same
 * super-frame (skb_segment + tcp/udp gso_segment): byte for byte, which
 * the unit tests check against frames captured from the kernel.
 *
 * Pure functions over bytes: no pkt, no syscalls, no allocation.  Input
 * comes with a struct pkt_off already checked by vnet_hdr_parse(), but
 * every header is re-checked here against the frame, so a hostile frame
 * yields an error, never a read or write out of bounds.
 */
#ifndef LANYARD_PROTO_GSO_H
#define LANYARD_PROTO_GSO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

/* Never more segments than this from one frame (a hostile gso_size). */
#define GSO_SEGS_MAX 8192

/*
 * An iteration over the segments of one super-frame.  Filled by
 * gso_start(); the fields are private to gso.c.  It points into the
 * frame, which must stay unchanged until the last gso_next().
 */
struct gso_iter {
	const uint8_t *frame;
	uint32_t len;
	struct pkt_off off;
	/* Offsets: L3, the L4 header, and what is cut (the payload; for UFO
	 * the L4 header too). */
	uint32_t l3, l4, hdr;
	uint32_t pos; /* bytes from 'hdr' already emitted */
	uint32_t seg; /* segments emitted */
	uint32_t n_segs;
	uint16_t ip_id;   /* IPv4 id of the first segment */
	uint32_t tcp_seq; /* TCP sequence of the first segment */
	uint32_t frag_id; /* UFO over IPv6: fragment id */
	/* TCP, USO: the frame's pseudo-header sum; UFO: the datagram's
	 * finished checksum. */
	uint16_t check;
	uint16_t udp_len; /* USO: the frame's UDP length field */
	uint8_t kind;     /* VNET_GSO_* without ECN */
	bool ipv6;
	/* Not a super-frame after all: one segment, the frame with its
	 * checksum finished. */
	bool whole;
};

int csum_finish(uint8_t *frame, uint32_t len, struct pkt_off *off,
                const char **why);
bool csum_detect_partial(const uint8_t *frame, uint32_t len,
                         uint32_t seg_max, struct pkt_off *off);
int gso_start(struct gso_iter *it, const uint8_t *frame, uint32_t len,
              const struct pkt_off *off, const char **why);
uint32_t gso_next(struct gso_iter *it, uint8_t *out, uint32_t cap);

#endif /* LANYARD_PROTO_GSO_H */
