/* SPDX-License-Identifier: MIT */
/*
 * pcapng.c - write pcapng blocks.  See pcapng.h.
 */
#include "proto/pcapng.h"

#include <string.h>

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

/* An option of @len bytes from @val, zero-padded to 4. */
static uint8_t *
put_opt(uint8_t *p, uint16_t code, const void *val, uint16_t len)
{
	uint32_t padded = pcapng_pad4(len);

	p = put16(p, code);
	p = put16(p, len);
	memcpy(p, val, len);
	memset(p + len, 0, padded - len);
	return p + padded;
}

/* Closes the block that starts at @start and whose body ends at @p. */
static size_t
finish(uint8_t *start, uint8_t *p)
{
	uint32_t total = (uint32_t)(p - start) + 4;

	put32(start + 4, total);
	put32(p, total);
	return total;
}

/* Option value length of string @s, capped to what an option holds. */
static uint16_t
opt_strlen(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return (uint16_t)(n > 0xfff0 ? 0xfff0 : n);
}

/**
 * pcapng_shb() - a Section Header Block: byte-order magic, version 1.0,
 * section length unknown (-1), shb_userappl = @userappl
 * @buf:      where to write
 * @cap:      bytes available
 * @userappl: the writing application ("lanyard 0.1.0"), or NULL/"" for none
 *
 * Return: bytes written, 0 when @cap is too small.
 */
size_t
pcapng_shb(uint8_t *buf, size_t cap, const char *userappl)
{
	uint16_t n = opt_strlen(userappl);
	size_t need = 28 + (n ? 4 + pcapng_pad4(n) + 4 : 0);
	uint8_t *p = buf;

	if (cap < need)
		return 0;
	p = put32(p, PCAPNG_BT_SHB);
	p = put32(p, 0);
	p = put32(p, PCAPNG_BOM);
	p = put16(p, 1);
	p = put16(p, 0);
	p = put32(p, 0xffffffffu);
	p = put32(p, 0xffffffffu);
	if (n) {
		p = put_opt(p, 4, userappl, n);	/* shb_userappl */
		p = put32(p, 0);		/* opt_endofopt */
	}
	return finish(buf, p);
}

/**
 * pcapng_idb() - an Interface Description Block for Ethernet with
 * if_name = @if_name and if_tsresol = 6 (microseconds)
 * @buf:     where to write
 * @cap:     bytes available
 * @snaplen: the longest frame captured
 * @if_name: the interface's name (a port id)
 *
 * Interfaces are numbered by the order of their IDBs in the section, from 0.
 *
 * Return: bytes written, 0 when @cap is too small.
 */
size_t
pcapng_idb(uint8_t *buf, size_t cap, uint32_t snaplen, const char *if_name)
{
	uint16_t n = opt_strlen(if_name);
	uint8_t tsresol = 6;
	size_t need = 16 + (n ? 4 + pcapng_pad4(n) : 0) + 8 + 4 + 4;
	uint8_t *p = buf;

	if (cap < need)
		return 0;
	p = put32(p, PCAPNG_BT_IDB);
	p = put32(p, 0);
	p = put16(p, PCAPNG_LINKTYPE_ETHERNET);
	p = put16(p, 0);
	p = put32(p, snaplen);
	if (n)
		p = put_opt(p, 2, if_name, n);		/* if_name */
	p = put_opt(p, 9, &tsresol, 1);			/* if_tsresol */
	p = put32(p, 0);
	return finish(buf, p);
}

/**
 * pcapng_epb_head() - the first PCAPNG_EPB_HEAD_LEN bytes of an Enhanced
 * Packet Block; the packet data, then pcapng_epb_tail(), follow
 * @buf:     PCAPNG_EPB_HEAD_LEN bytes
 * @if_id:   the interface (IDB index)
 * @ts_us:   microseconds since the epoch
 * @caplen:  bytes of the packet that follow
 * @origlen: the packet's length on the wire
 *
 * Return: PCAPNG_EPB_HEAD_LEN.
 */
size_t
pcapng_epb_head(uint8_t *buf, uint32_t if_id, uint64_t ts_us,
		uint32_t caplen, uint32_t origlen)
{
	uint8_t *p = buf;

	p = put32(p, PCAPNG_BT_EPB);
	p = put32(p, pcapng_epb_len(caplen));
	p = put32(p, if_id);
	p = put32(p, (uint32_t)(ts_us >> 32));
	p = put32(p, (uint32_t)ts_us);
	p = put32(p, caplen);
	put32(p, origlen);
	return PCAPNG_EPB_HEAD_LEN;
}

/**
 * pcapng_epb_tail() - what follows an EPB's packet data: padding to 4,
 * epb_flags = @flags, opt_endofopt, the total length again
 * @buf:    pcapng_pad4(@caplen) - @caplen + PCAPNG_EPB_TAIL_LEN bytes
 * @caplen: bytes of packet data written
 * @flags:  PCAPNG_EPB_INBOUND or PCAPNG_EPB_OUTBOUND (and other epb_flags)
 *
 * Return: bytes written.
 */
size_t
pcapng_epb_tail(uint8_t *buf, uint32_t caplen, uint32_t flags)
{
	uint32_t pad = pcapng_pad4(caplen) - caplen;
	uint8_t *p = buf;

	memset(p, 0, pad);
	p += pad;
	p = put_opt(p, 2, &flags, 4);			/* epb_flags */
	p = put32(p, 0);
	p = put32(p, pcapng_epb_len(caplen));
	return (size_t)(p - buf);
}

/**
 * pcapng_epb() - a whole Enhanced Packet Block in one flat buffer
 * @buf:     where to write
 * @cap:     bytes available
 * @if_id:   the interface (IDB index)
 * @ts_us:   microseconds since the epoch
 * @data:    the packet
 * @caplen:  its bytes captured
 * @origlen: its length on the wire
 * @flags:   epb_flags
 *
 * Return: bytes written (pcapng_epb_len(@caplen)), 0 when @cap is too small.
 */
size_t
pcapng_epb(uint8_t *buf, size_t cap, uint32_t if_id, uint64_t ts_us,
	   const uint8_t *data, uint32_t caplen, uint32_t origlen,
	   uint32_t flags)
{
	size_t off;

	if (cap < pcapng_epb_len(caplen))
		return 0;
	off = pcapng_epb_head(buf, if_id, ts_us, caplen, origlen);
	memcpy(buf + off, data, caplen);
	off += caplen;
	return off + pcapng_epb_tail(buf + off, caplen, flags);
}

/**
 * pcapng_lost() - lanyard's local block: @lost packets lost so far
 * @buf:  PCAPNG_LOST_LEN bytes
 * @lost: the total
 *
 * Return: PCAPNG_LOST_LEN.
 */
size_t
pcapng_lost(uint8_t *buf, uint64_t lost)
{
	uint8_t *p = put32(buf, PCAPNG_BT_LANYARD_LOST);

	p = put32(p, 0);
	memcpy(p, &lost, 8);
	return finish(buf, p + 8);
}
