/* SPDX-License-Identifier: MIT */
/*
 * pcapng.h - the blocks of a pcapng capture (draft-ietf-opsawg-pcapng):
 * Section Header, Interface Description and Enhanced Packet blocks, in
 * host byte order (the Section Header's byte-order magic tells readers
 * which).  Pure: each function writes into a caller's buffer, so the
 * capture code (ctl/trace.c) can put blocks into a preallocated ring and the
 * unit tests can check them byte by byte.
 *
 * Every block is  type(4) total_length(4) body options total_length(4),
 * lengths a multiple of 4; an option is  code(2) length(2) value, padded
 * to 4 bytes, and a list of options ends with opt_endofopt (code 0).
 */
#ifndef LANYARD_PROTO_PCAPNG_H
#define LANYARD_PROTO_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define PCAPNG_BT_SHB 0x0A0D0D0Au
#define PCAPNG_BT_IDB 0x00000001u
#define PCAPNG_BT_EPB 0x00000006u
/*
 * A block type of the local-use range (high bit set): lanyard's capture
 * stream reports the packets a slow reader lost in it (one uint64_t, the
 * total so far).  lanyardctl removes these blocks before it writes the
 * capture out, so files hold standard blocks only.
 */
#define PCAPNG_BT_LANYARD_LOST 0x80004C59u
#define PCAPNG_LOST_LEN 20u

#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_LINKTYPE_ETHERNET 1u

/* epb_flags (option 2) direction bits */
#define PCAPNG_EPB_INBOUND 1u
#define PCAPNG_EPB_OUTBOUND 2u

/* Bytes of an EPB before the packet data, and after it (less padding). */
#define PCAPNG_EPB_HEAD_LEN 28u
#define PCAPNG_EPB_TAIL_LEN 16u	/* epb_flags, opt_endofopt, length */

/**
 * pcapng_pad4() - @len rounded up to a multiple of 4
 * @len: bytes
 *
 * Return: the padded length.
 */
static inline uint32_t
pcapng_pad4(uint32_t len)
{
	return (len + 3u) & ~3u;
}

/**
 * pcapng_epb_len() - total length of an EPB carrying @caplen bytes
 * @caplen: captured bytes
 *
 * Return: bytes.
 */
static inline uint32_t
pcapng_epb_len(uint32_t caplen)
{
	return PCAPNG_EPB_HEAD_LEN + pcapng_pad4(caplen) + PCAPNG_EPB_TAIL_LEN;
}

size_t pcapng_shb(uint8_t *buf, size_t cap, const char *userappl);
size_t pcapng_idb(uint8_t *buf, size_t cap, uint32_t snaplen,
		  const char *if_name);
size_t pcapng_epb_head(uint8_t *buf, uint32_t if_id, uint64_t ts_us,
		       uint32_t caplen, uint32_t origlen);
size_t pcapng_epb_tail(uint8_t *buf, uint32_t caplen, uint32_t flags);
size_t pcapng_epb(uint8_t *buf, size_t cap, uint32_t if_id, uint64_t ts_us,
		  const uint8_t *data, uint32_t caplen, uint32_t origlen,
		  uint32_t flags);
size_t pcapng_lost(uint8_t *buf, uint64_t lost);

#endif /* LANYARD_PROTO_PCAPNG_H */
