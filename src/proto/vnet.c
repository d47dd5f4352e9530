/* SPDX-License-Identifier: MIT */
/*
 * vnet.c - reading and writing virtio_net_hdr, see vnet.h.
 */
#include "proto/vnet.h"

#include <stdio.h>
#include <string.h>

#include "proto/eth.h"

#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6

static uint16_t
le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static void
put_le16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

/**
 * vnet_l3_type() - the ethertype after the MAC addresses and any VLAN tags
 * (802.1Q, 802.1ad, 0x9100)
 * @f:   the frame
 * @len: its length
 * @l3:  set to where the L3 header starts
 *
 * Return: the ethertype, or 0 when the frame ends in the tags.
 */
uint16_t
vnet_l3_type(const uint8_t *f, uint32_t len, uint32_t *l3)
{
	uint32_t off = 2 * ETH_ALEN;

	while (off + 2 <= len) {
		uint16_t t = get_be16(f + off);

		if (t != 0x8100 && t != 0x88a8 && t != 0x9100) {
			*l3 = off + 2;
			return t;
		}
		off += 4;
	}
	return 0;
}

/**
 * vnet_gso_check() - whether a GSO request is consistent in itself and
 * with the frame's length (the frame's headers are gso.c's to read)
 * @o:         the offload state; its gso_type must not be VNET_GSO_NONE
 * @frame_len: the frame's length
 *
 * A known type, a partial checksum where the type puts it (TCP 16, UDP 6),
 * a gso_size, an hdr_len inside the frame.  vnet_hdr_parse() asks more
 * (VNET_GSO_SIZE_MIN); gso_start() asks this much again.
 *
 * Return: NULL, or a static reason.
 */
const char *
vnet_gso_check(const struct pkt_off *o, uint32_t frame_len)
{
	uint16_t want;

	switch (o->gso_type & (uint8_t)~VNET_GSO_ECN) {
	case VNET_GSO_TCPV4:
	case VNET_GSO_TCPV6:
		want = TCP_CSUM_OFF;
		break;
	case VNET_GSO_UDP:
	case VNET_GSO_UDP_L4:
		want = UDP_CSUM_OFF;
		break;
	default:
		return "unknown gso_type";
	}
	if (!(o->flags & VNET_HDR_F_NEEDS_CSUM))
		return "GSO without NEEDS_CSUM";
	if (o->csum_offset != want)
		return "csum_offset does not match the GSO type";
	if (!o->gso_size)
		return "gso_size 0";
	if (o->hdr_len > frame_len)
		return "hdr_len beyond the frame";
	return NULL;
}

/**
 * vnet_hdr_parse() - read and check a virtio_net_hdr that came with a frame
 * @hdr:       at least VNET_HDR_LEN bytes (num_buffers is not read)
 * @frame_len: bytes of the frame after the header
 * @off:       filled on success (zeroed on failure)
 * @why:       on failure, a static reason
 *
 * Return: 0, or -1 when a field contradicts the frame: a checksum offset
 * beyond it or before the L3 header, an unknown GSO type, GSO without a
 * partial checksum, a gso_size too small, an hdr_len past the end.
 */
int
vnet_hdr_parse(const uint8_t *hdr, uint32_t frame_len, struct pkt_off *off,
	       const char **why)
{
	struct pkt_off o = {
		.flags = hdr[0] & (VNET_HDR_F_NEEDS_CSUM |
				   VNET_HDR_F_DATA_VALID),
		.gso_type = hdr[1],
		.hdr_len = le16(hdr + 2),
		.gso_size = le16(hdr + 4),
		.csum_start = le16(hdr + 6),
		.csum_offset = le16(hdr + 8),
	};
	const char *bad = NULL;

	*off = (struct pkt_off){ 0 };
	if (o.flags & VNET_HDR_F_NEEDS_CSUM) {
		if (o.csum_start < ETH_HDR_LEN)
			bad = "csum_start inside the Ethernet header";
		else if ((uint32_t)o.csum_start + o.csum_offset + 2 >
			 frame_len)
			bad = "checksum beyond the frame";
	} else {
		o.csum_start = o.csum_offset = 0;
	}
	if (!bad && o.gso_type == VNET_GSO_ECN)
		bad = "ECN flag without a GSO type";
	else if (!bad && o.gso_type) {
		bad = vnet_gso_check(&o, frame_len);
		if (!bad && o.gso_size < VNET_GSO_SIZE_MIN)
			bad = "gso_size too small";
	}
	if (bad) {
		*why = bad;
		return -1;
	}
	if (!o.gso_type)
		o.gso_size = o.hdr_len = 0;
	*off = o;
	return 0;
}

/**
 * vnet_hdr_write() - write @off as a virtio_net_hdr
 * @hdr:     VNET_HDR_LEN or VNET_HDR_MRG_LEN bytes
 * @hdr_len: which of the two; num_buffers is 1 in the long form
 * @off:     the frame's offload state
 */
void
vnet_hdr_write(uint8_t *hdr, size_t hdr_len, const struct pkt_off *off)
{
	hdr[0] = off->flags;
	hdr[1] = off->gso_type;
	put_le16(hdr + 2, off->hdr_len);
	put_le16(hdr + 4, off->gso_size);
	put_le16(hdr + 6, off->csum_start);
	put_le16(hdr + 8, off->csum_offset);
	if (hdr_len >= VNET_HDR_MRG_LEN)
		put_le16(hdr + 10, 1);
}

/**
 * vnet_off_accepts() - whether a receiver with offloads @caps takes the
 * frame as it is
 * @caps:  VNET_OFF_* the receiver accepts
 * @off:   the frame's offload state
 * @frame: the frame (for USO: IPv4 or IPv6)
 * @len:   its length
 */
bool
vnet_off_accepts(uint32_t caps, const struct pkt_off *off,
		 const uint8_t *frame, uint32_t len)
{
	uint32_t need = 0, l3;

	if (off->flags & VNET_HDR_F_NEEDS_CSUM)
		need |= VNET_OFF_CSUM;
	if (off->gso_type & VNET_GSO_ECN)
		need |= VNET_OFF_ECN;
	switch (off->gso_type & (uint8_t)~VNET_GSO_ECN) {
	case VNET_GSO_TCPV4:
		need |= VNET_OFF_TSO4;
		break;
	case VNET_GSO_TCPV6:
		need |= VNET_OFF_TSO6;
		break;
	case VNET_GSO_UDP:
		need |= VNET_OFF_UFO;
		break;
	case VNET_GSO_UDP_L4:
		need |= vnet_l3_type(frame, len, &l3) == 0x86dd ? VNET_OFF_USO6
							   : VNET_OFF_USO4;
		break;
	default:
		break;
	}
	return (caps & need) == need;
}

/**
 * vnet_off_format() - @caps as "csum,tso4,tso6,ecn,ufo,uso4,uso6", or
 * "none"
 * @caps: VNET_OFF_* bits
 * @buf:  output
 * @len:  its size
 */
void
vnet_off_format(uint32_t caps, char *buf, size_t len)
{
	static const char *const names[] = { "csum", "tso4", "tso6", "ecn",
					     "ufo", "uso4", "uso6" };
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < 7 && used < len; i++)
		if (caps & (1u << i))
			used += (size_t)snprintf(buf + used, len - used,
						 "%s%s", used ? "," : "",
						 names[i]);
	if (!used)
		snprintf(buf, len, "none");
}
