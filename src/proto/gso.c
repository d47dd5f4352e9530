/* SPDX-License-Identifier: MIT */
/*
 * gso.c - partial checksums and super-frames finished in software, for
 * ports that take neither (see gso.h).  port.c calls it when a frame's
 * struct pkt_off (filled by vnet_hdr_parse()) asks for work the
 * destination does not accept.
 *
 * Theory of operation
 *
 * The output is what Linux sends when the same vnet header and frame,
 * written to a tap, leave through a device without the offload
 * (validate_xmit_skb(): skb_gso_segment(), skb_checksum_help()), byte for
 * byte; tests/unit/data/gso/ holds frames captured from the kernel.  The
 * kernel's rules, followed here:
 *
 * - Not a super-frame.  The tap drops the GSO request of a frame whose
 *   bytes after csum_start, less a minimal L4 header (20 for TCP, 8 for
 *   USO, none for UFO), fit in gso_size (virtio_net_hdr_to_skb()).  Such a
 *   frame is one segment: a copy with its checksum finished, nothing else
 *   touched.  A TCP frame that passes that test but whose payload, once
 *   the options are counted, still fits one segment is dropped by
 *   tcp_gso_segment(); so is it here.
 * - Finishing a checksum (skb_checksum_help()): the one's complement sum
 *   from csum_start to the end of the frame, the field included (it holds
 *   the pseudo-header sum), folded and inverted; a result of 0 is written
 *   as 0xffff, whatever the protocol.
 * - TCP (tcp_gso_segment()): every segment carries the headers of the
 *   frame with the sequence advanced; FIN and PSH stay on the last
 *   segment only, CWR on the first only (the ECN GSO flag changes
 *   nothing in software).  The pseudo-header sum in the frame is adjusted
 *   for the segment's length, not recomputed, so a junk sum gives the
 *   kernel's junk; the checksum over the segment is then written as it
 *   folds, 0 included.
 * - USO (__udp_gso_segment()): each segment is a datagram; its length
 *   field and the pseudo-header sum are adjusted from the frame's (the
 *   frame's length field is trusted for the adjustment, as the kernel
 *   does); a checksum of 0 becomes 0xffff.  More than UDP_MAX_SEGMENTS
 *   (128) segments are refused, as the tap refuses them.  USO with the
 *   ECN flag is refused, as the tap does.
 * - UFO (udp4_ufo_fragment(), udp6_ufo_fragment()): the datagram's
 *   checksum is computed in full (pseudo-header from the addresses and
 *   the bytes present), then the L4 bytes, UDP header first, are cut in
 *   gso_size pieces, each an IP fragment.  IPv4: fragment offset
 *   pos / 8 (truncated when gso_size is not a multiple of 8, as the kernel
 *   does), MF on all but the last, DF cleared, id kept.  IPv6: a fragment
 *   header after the fixed header, offset field = the byte offset with
 *   MF in bit 0, as the kernel writes it.
 * - IPv4 (inet_gso_segment()): TCP and USO segments get id + n in order;
 *   every segment its total length and a fresh header checksum; options
 *   are copied to every segment, fragments included.  IPv6: payload
 *   length; hop-by-hop, routing and destination options headers are
 *   skipped to find L4 (ipv6_gso_pull_exthdrs()) and copied.
 *
 * Where this differs from the kernel, only for frames no stack sends
 * (each checked against it): the IPv4 total length must match the frame
 * (the kernel segmented one 100 bytes short regardless; it drops IPv6
 * frames whose payload length lies, as this does); the TCP header must
 * hold its options even in a frame that is not a super-frame (the kernel
 * finishes the checksum regardless); a 0x9100 tag is walked
 * like 0x8100 and 0x88a8 (the kernel drops the frame, finding no L3 behind
 * it); UFO over IPv6 with extension headers is refused (the kernel counts
 * them into the fragment offsets, so the fragments never reassemble); and
 * the IPv6 fragment id is not random, see ufo_frag_id().
 *
 * Safety: gso_start() checks each header against @len before reading
 * it, with offsets compared by subtraction so nothing wraps; gso_next()
 * only copies ranges gso_start() found inside the frame, and only writes
 * within @cap.  Nothing allocates: the caller owns every buffer.
 */
#include "proto/gso.h"

#include <string.h>

#include "core/util.h"
#include "proto/eth.h"
#include "proto/vnet.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IP4_HDR_LEN 20
#define IP4_MF 0x2000
#define IP6_HDR_LEN 40
#define IP6_FRAG_LEN 8
#define IP6_MF 0x0001
#define PROTO_HOPOPTS 0
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_DSTOPTS 60
#define TCP_HDR_LEN 20
#define TCP_CSUM_OFF 16
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define UDP_HDR_LEN 8
#define UDP_CSUM_OFF 6
#define UDP_MAX_SEGMENTS 128 /* the kernel's limit for USO */

/* Whether @n bytes at @off lie within @len, without overflow. */
static bool
has(uint32_t len, uint32_t off, uint32_t n)
{
	return off <= len && n <= len - off;
}

/*
 * The one's complement (end-around carry) fold of @sum to 16 bits.  0 only
 * when @sum is 0: the kernel's arithmetic never yields a "positive zero"
 * from non-zero input either, so folded values compare bit for bit.
 */
static uint16_t
fold16(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * csum16() - the folded one's complement sum of @len bytes read as
 * big-endian 16-bit words from @p (an odd last byte padded with zero), as
 * a value put_be16() writes back as the kernel's bytes
 *
 * Words are added in host order, four bytes at a time; a one's complement
 * sum of byte-swapped words is the byte-swapped sum, so one swap at the
 * end gives the big-endian value.
 */
static uint16_t
csum16(const uint8_t *p, uint32_t len)
{
	uint64_t sum = 0;
	uint32_t w;
	uint16_t s;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w, p, 4);
		sum += w;
	}
	if (len) {
		uint8_t tail[4] = {0};

		memcpy(tail, p, len);
		memcpy(&w, tail, 4);
		sum += w;
	}
	s = fold16(sum);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = (uint16_t)(s << 8 | s >> 8);
#endif
	return s;
}

/*
 * Finish a partial checksum as skb_checksum_help() does: sum from @start
 * to @len (the field holds the pseudo-header sum), write the complement
 * at @start + @field, 0 as 0xffff.  The caller checked the offsets.
 */
static void
finish_at(uint8_t *buf, uint32_t len, uint32_t start, uint32_t field)
{
	uint16_t v = (uint16_t)~csum16(buf + start, len - start);

	put_be16(buf + start + field, v ? v : 0xffff);
}

/**
 * csum_finish() - finish the partial checksum of a frame in place
 * @frame: the frame, written at csum_start + csum_offset
 * @len:   its length
 * @off:   its offload state (no GSO); zeroed on success
 * @why:   on failure, a static reason
 *
 * The checksum covers csum_start to the end of the frame, as the kernel's
 * skb_checksum_help(); a sum that folds to 0 is written as 0xffff.  A
 * frame without NEEDS_CSUM is left as it is.  Data path; no allocation.
 *
 * Return: 0, or -1 (frame untouched) for a GSO frame or offsets outside
 * the frame.
 */
int
csum_finish(uint8_t *frame, uint32_t len, struct pkt_off *off, const char **why)
{
	if (off->gso_type) {
		*why = "a GSO frame needs segmenting";
		return -1;
	}
	if (off->flags & VNET_HDR_F_NEEDS_CSUM) {
		if (off->csum_start < ETH_HDR_LEN) {
			*why = "csum_start inside the Ethernet header";
			return -1;
		}
		if ((uint32_t)off->csum_start + off->csum_offset + 2 > len) {
			*why = "checksum beyond the frame";
			return -1;
		}
		finish_at(frame, len, off->csum_start, off->csum_offset);
	}
	*off = (struct pkt_off){0};
	return 0;
}

/* The pseudo-header sum of an IPv4 or IPv6 header at @ip, folded. */
static uint16_t
pseudo_sum(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4_len)
{
	uint32_t addr = v6 ? 8 : 12, n = v6 ? 32 : 8;
	uint64_t sum = proto + (uint64_t)l4_len;

	for (uint32_t i = 0; i < n; i += 2)
		sum += get_be16(ip + addr + i);
	return fold16(sum);
}

/**
 * csum_detect_partial() - whether a frame's TCP or UDP checksum field holds
 * only the pseudo-header sum: a checksum the sender left to its device
 * @frame:   an Ethernet frame, complete as far as anyone said
 * @len:     its length
 * @seg_max: the longest frame the link it came by carries
 * @off:     set to a partial checksum at the L4 header when it is one
 *
 * The kernel hands a veth packets whose inner checksums are still partial
 * (their metadata says so, and the peer trusts it); a socket receives the
 * bytes without the metadata.  A frame whose field equals the pseudo-header
 * sum is treated as partial.  A complete checksum that happens to hold the
 * same value finishes to itself, so the guess is always safe for intact
 * data.  IPv4 (not a fragment, no UDP checksum of 0) and IPv6 without
 * extension headers, behind any VLAN tags; the IP length must end the
 * frame.
 *
 * A veth also passes GSO packets on whole: a partial TCP frame longer than
 * @seg_max is a super-frame, and becomes one to cut into segments of at
 * most @seg_max bytes (any size is valid TCP; the sender's own MSS is not
 * in the bytes).  Data path; no allocation.
 *
 * Return: true with @off set, or false with @off untouched.
 */
bool
csum_detect_partial(const uint8_t *frame, uint32_t len, uint32_t seg_max,
		    struct pkt_off *off)
{
	uint32_t l3 = 0, l4, l4_len, field;
	uint16_t type = vnet_l3_type(frame, len, &l3);
	const uint8_t *ip;
	uint8_t proto;
	bool v6;

	if (type == ETHERTYPE_IPV4) {
		uint32_t ihl;

		if (!has(len, l3, IP4_HDR_LEN))
			return false;
		ip = frame + l3;
		ihl = (ip[0] & 0xfu) * 4;
		if (ip[0] >> 4 != 4 || ihl < IP4_HDR_LEN ||
		    get_be16(ip + 2) != len - l3 || get_be16(ip + 2) < ihl ||
		    (get_be16(ip + 6) & 0x3fff))
			return false;
		v6 = false;
		proto = ip[9];
		l4 = l3 + ihl;
		l4_len = len - l4;
	} else if (type == ETHERTYPE_IPV6) {
		if (!has(len, l3, IP6_HDR_LEN))
			return false;
		ip = frame + l3;
		if (ip[0] >> 4 != 6 ||
		    get_be16(ip + 4) != len - l3 - IP6_HDR_LEN)
			return false;
		v6 = true;
		proto = ip[6];
		l4 = l3 + IP6_HDR_LEN;
		l4_len = len - l4;
	} else {
		return false;
	}
	if (proto == PROTO_TCP && l4_len >= TCP_HDR_LEN)
		field = TCP_CSUM_OFF;
	else if (proto == PROTO_UDP && l4_len >= UDP_HDR_LEN)
		field = UDP_CSUM_OFF;
	else
		return false;
	if (l4 > UINT16_MAX ||
	    (!v6 && proto == PROTO_UDP && !get_be16(frame + l4 + field)) ||
	    get_be16(frame + l4 + field) != pseudo_sum(ip, v6, proto, l4_len))
		return false;
	*off = (struct pkt_off){ .flags = VNET_HDR_F_NEEDS_CSUM,
				 .csum_start = (uint16_t)l4,
				 .csum_offset = (uint16_t)field };
	if (len > seg_max && proto == PROTO_TCP) {
		uint32_t hdr = l4 + (uint32_t)(frame[l4 + 12] >> 4) * 4;

		if (hdr >= l4 + TCP_HDR_LEN && hdr <= len &&
		    seg_max >= hdr + VNET_GSO_SIZE_MIN) {
			off->gso_type = v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
			off->gso_size = (uint16_t)(seg_max - hdr);
			off->hdr_len = (uint16_t)hdr;
		}
	}
	return true;
}

/* The offload request itself, before the frame is read. */
static const char *
check_request(const struct gso_iter *it)
{
	const struct pkt_off *o = &it->off;
	const char *bad;

	if (it->kind == VNET_GSO_NONE)
		return "not a GSO type";
	bad = vnet_gso_check(o, it->len);
	if (bad)
		return bad;
	if (it->kind == VNET_GSO_UDP_L4 && (o->gso_type & VNET_GSO_ECN))
		return "USO with the ECN flag";
	if ((uint32_t)o->csum_start + o->csum_offset + 2 > it->len)
		return "checksum beyond the frame";
	return NULL;
}

/* Ethernet and any VLAN tags: sets l3 and ipv6. */
static const char *
parse_l2(struct gso_iter *it)
{
	uint16_t type = vnet_l3_type(it->frame, it->len, &it->l3);

	if (!type)
		return "frame cut short in the Ethernet header or tags";
	if (type == ETHERTYPE_IPV4)
		it->ipv6 = false;
	else if (type == ETHERTYPE_IPV6)
		it->ipv6 = true;
	else
		return "neither IPv4 nor IPv6";
	return NULL;
}

static bool
is_tcp(const struct gso_iter *it)
{
	return it->kind == VNET_GSO_TCPV4 || it->kind == VNET_GSO_TCPV6;
}

/* The L4 protocol number the GSO type calls for. */
static uint8_t
want_proto(const struct gso_iter *it)
{
	return is_tcp(it) ? PROTO_TCP : PROTO_UDP;
}

static const char *
parse_ip4(struct gso_iter *it)
{
	const uint8_t *ip = it->frame + it->l3;
	uint32_t ihl;

	if (it->kind == VNET_GSO_TCPV6)
		return "GSO TCPV6 on an IPv4 frame";
	if (!has(it->len, it->l3, IP4_HDR_LEN))
		return "IPv4 header cut short";
	if (ip[0] >> 4 != 4)
		return "IPv4 ethertype, IP version not 4";
	ihl = (ip[0] & 0xfu) * 4;
	if (ihl < IP4_HDR_LEN)
		return "IPv4 header length below 20";
	if (!has(it->len, it->l3, ihl))
		return "IPv4 options cut short";
	if (get_be16(ip + 2) != it->len - it->l3)
		return "IPv4 total length does not match the frame";
	if (ip[9] != want_proto(it))
		return "IPv4 protocol does not match the GSO type";
	it->l4 = it->l3 + ihl;
	return NULL;
}

/*
 * IPv6 and the extension headers the kernel skips before L4 (hop-by-hop,
 * routing, destination options).  Each is at least 8 bytes, so the walk
 * ends within len / 8 steps.
 */
static const char *
parse_ip6(struct gso_iter *it)
{
	const uint8_t *f = it->frame;
	uint32_t off = it->l3 + IP6_HDR_LEN;
	uint8_t next;

	if (it->kind == VNET_GSO_TCPV4)
		return "GSO TCPV4 on an IPv6 frame";
	if (!has(it->len, it->l3, IP6_HDR_LEN))
		return "IPv6 header cut short";
	if (f[it->l3] >> 4 != 6)
		return "IPv6 ethertype, IP version not 6";
	if (get_be16(f + it->l3 + 4) != it->len - it->l3 - IP6_HDR_LEN)
		return "IPv6 payload length does not match the frame";
	next = f[it->l3 + 6];
	while (next == PROTO_HOPOPTS || next == PROTO_ROUTING ||
	       next == PROTO_DSTOPTS) {
		if (it->kind == VNET_GSO_UDP)
			return "UFO over IPv6 with extension headers";
		if (!has(it->len, off, 8) ||
		    !has(it->len, off, (f[off + 1] + 1u) * 8))
			return "IPv6 extension header cut short";
		next = f[off];
		off += (f[off + 1] + 1u) * 8;
	}
	if (next != want_proto(it))
		return "IPv6 next header does not match the GSO type";
	it->l4 = off;
	return NULL;
}

/* TCP or UDP at csum_start: sets hdr. */
static const char *
parse_l4(struct gso_iter *it)
{
	uint32_t doff;

	if (it->l4 != it->off.csum_start)
		return "csum_start is not the L4 header";
	if (!is_tcp(it)) {
		if (!has(it->len, it->l4, UDP_HDR_LEN))
			return "UDP header cut short";
		it->hdr = it->l4 + (it->kind == VNET_GSO_UDP ? 0 : UDP_HDR_LEN);
		return NULL;
	}
	if (!has(it->len, it->l4, TCP_HDR_LEN))
		return "TCP header cut short";
	doff = (uint32_t)(it->frame[it->l4 + 12] >> 4) * 4;
	if (doff < TCP_HDR_LEN)
		return "TCP data offset below 5";
	if (!has(it->len, it->l4, doff))
		return "TCP options cut short";
	it->hdr = it->l4 + doff;
	return NULL;
}

/* How many segments, as the tap and then *_gso_segment() decide. */
static const char *
count_segs(struct gso_iter *it)
{
	uint32_t size = it->off.gso_size, least = 0, payload;

	if (is_tcp(it))
		least = TCP_HDR_LEN;
	else if (it->kind == VNET_GSO_UDP_L4)
		least = UDP_HDR_LEN;
	if (it->len - it->l4 - least <= size) {
		it->whole = true;
		it->n_segs = 1;
		return NULL;
	}
	payload = it->len - it->hdr;
	if (payload <= size)
		return "the payload fits one segment once TCP options count";
	it->n_segs = payload / size + (payload % size != 0);
	if (it->kind == VNET_GSO_UDP_L4 && it->n_segs > UDP_MAX_SEGMENTS)
		return "USO with more than 128 segments";
	if (it->n_segs > GSO_SEGS_MAX)
		return "too many segments";
	return NULL;
}

/*
 * The UDP checksum UFO puts in the first fragment, computed as
 * udp4_ufo_fragment() and udp6_ufo_fragment() do: field zeroed, the
 * pseudo-header over the addresses and the L4 bytes present; 0 as 0xffff.
 */
static uint16_t
ufo_check(const struct gso_iter *it)
{
	const uint8_t *ip = it->frame + it->l3, *udp = it->frame + it->l4;
	uint32_t l4_len = it->len - it->l4;
	uint64_t sum = csum16(udp, UDP_CSUM_OFF);
	uint16_t v;

	sum += csum16(udp + UDP_CSUM_OFF + 2, l4_len - UDP_CSUM_OFF - 2);
	if (it->ipv6)
		sum += csum16(ip + 8, 32) + (l4_len >> 16);
	else
		sum += csum16(ip + 12, 8);
	sum += (l4_len & 0xffff) + PROTO_UDP;
	v = (uint16_t)~fold16(sum);
	return v ? v : 0xffff;
}

/*
 * The IPv6 fragment id of a UFO datagram.  The kernel draws a random one;
 * proto/ has no randomness or state, so this is an FNV-1a hash of the
 * addresses, the length and the datagram's checksum: datagrams of a flow
 * that differ get different ids with high probability, and identical ones,
 * whose fragments are interchangeable, may share one.  Never 0.
 */
static uint32_t
ufo_frag_id(const struct gso_iter *it)
{
	uint8_t extra[4];
	uint32_t h = 2166136261u;

	put_be16(extra, (uint16_t)(it->len - it->l4));
	put_be16(extra + 2, it->check);
	for (uint32_t i = 0; i < 32; i++)
		h = (h ^ it->frame[it->l3 + 8 + i]) * 16777619u;
	for (uint32_t i = 0; i < sizeof(extra); i++)
		h = (h ^ extra[i]) * 16777619u;
	return h ? h : 1;
}

/* What every segment derives from the frame's headers. */
static void
prepare(struct gso_iter *it)
{
	const uint8_t *f = it->frame;

	if (!it->ipv6)
		it->ip_id = get_be16(f + it->l3 + 4);
	if (it->kind == VNET_GSO_UDP) {
		it->check = ufo_check(it);
		if (it->ipv6)
			it->frag_id = ufo_frag_id(it);
		return;
	}
	it->check = get_be16(f + it->l4 + it->off.csum_offset);
	if (is_tcp(it))
		it->tcp_seq = get_be32(f + it->l4 + 4);
	else
		it->udp_len = get_be16(f + it->l4 + 4);
}

/**
 * gso_start() - check a super-frame and prepare to cut it
 * @it:    the iteration, filled
 * @frame: the frame (L2 first), read only, kept by @it until the last
 *         gso_next()
 * @len:   its length
 * @off:   its offload state (a GSO type, NEEDS_CSUM), copied
 * @why:   on failure, a static reason
 *
 * Reads Ethernet, VLAN tags (0x8100, 0x88a8, 0x9100), IPv4 or IPv6 (see
 * the top of this file for extension headers), then TCP for TCPV4/TCPV6
 * (version as the type says), UDP for UFO and USO; the L4 header must
 * start at csum_start.  Nothing outside [@frame, @frame + @len) is read,
 * whatever the input.  A frame the kernel would not treat as a
 * super-frame is one segment with its checksum finished.  Data path; no
 * allocation.
 *
 * Return: the number of segments gso_next() will give (1 to
 * GSO_SEGS_MAX), or -1 when the frame is malformed or the kernel would
 * drop it.
 */
int
gso_start(struct gso_iter *it, const uint8_t *frame, uint32_t len,
          const struct pkt_off *off, const char **why)
{
	const char *bad;

	*it = (struct gso_iter){
		.frame = frame,
		.len = len,
		.off = *off,
		.kind = off->gso_type & (uint8_t)~VNET_GSO_ECN,
	};
	bad = check_request(it);
	if (!bad)
		bad = parse_l2(it);
	if (!bad)
		bad = it->ipv6 ? parse_ip6(it) : parse_ip4(it);
	if (!bad)
		bad = parse_l4(it);
	if (!bad)
		bad = count_segs(it);
	if (bad) {
		it->n_segs = 0;
		*why = bad;
		return -1;
	}
	prepare(it);
	return (int)it->n_segs;
}

/* IPv4 or IPv6 header of a segment of @seg_len bytes. */
static void
fix_l3(const struct gso_iter *it, uint8_t *out, uint32_t seg_len, bool last)
{
	uint8_t *ip = out + it->l3;
	uint32_t ihl;

	if (it->ipv6) {
		put_be16(ip + 4, (uint16_t)(seg_len - it->l3 - IP6_HDR_LEN));
		if (it->kind != VNET_GSO_UDP)
			return;
		ip[6] = PROTO_FRAGMENT;
		ip[IP6_HDR_LEN] = PROTO_UDP;
		ip[IP6_HDR_LEN + 1] = 0;
		put_be16(ip + IP6_HDR_LEN + 2,
		         (uint16_t)(it->pos | (last ? 0 : IP6_MF)));
		put_be32(ip + IP6_HDR_LEN + 4, it->frag_id);
		return;
	}
	ihl = it->l4 - it->l3;
	put_be16(ip + 2, (uint16_t)(seg_len - it->l3));
	if (it->kind == VNET_GSO_UDP)
		put_be16(ip + 6,
		         (uint16_t)(it->pos >> 3 | (last ? 0 : IP4_MF)));
	else
		put_be16(ip + 4, (uint16_t)(it->ip_id + it->seg));
	put_be16(ip + 10, 0);
	put_be16(ip + 10, (uint16_t)~csum16(ip, ihl));
}

/*
 * TCP header of a segment: sequence, flags, and the checksum as
 * tcp_gso_segment() gets it: the frame's pseudo-header sum adjusted by
 * the length difference (its 32-bit delta ~old_len + new_len, added as
 * two 16-bit words), then the sum over the segment, written as it folds.
 */
static void
fix_tcp(const struct gso_iter *it, uint8_t *out, uint32_t seg_len, bool last)
{
	uint8_t *th = out + it->l4;
	uint32_t delta = ~(it->len - it->l4) + (seg_len - it->l4);

	put_be32(th + 4, it->tcp_seq + it->pos);
	if (!last)
		th[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
	if (it->seg)
		th[13] &= (uint8_t)~TCP_CWR;
	put_be16(th + TCP_CSUM_OFF, fold16((uint64_t)it->check + (delta >> 16) +
	                                   (delta & 0xffff)));
	put_be16(th + TCP_CSUM_OFF, (uint16_t)~csum16(th, seg_len - it->l4));
}

/*
 * UDP header of a USO segment, as __udp_gso_segment(): length, the
 * pseudo-header sum moved from the frame's length field to the new one
 * (16-bit one's complement arithmetic), then the sum; 0 as 0xffff.
 */
static void
fix_uso(const struct gso_iter *it, uint8_t *out, uint32_t seg_len)
{
	uint8_t *uh = out + it->l4;
	uint16_t new_len = (uint16_t)(seg_len - it->l4), v;

	v = fold16((uint32_t)it->check + (uint16_t)~it->udp_len);
	put_be16(uh + 4, new_len);
	put_be16(uh + UDP_CSUM_OFF, fold16((uint32_t)v + new_len));
	v = (uint16_t)~csum16(uh, seg_len - it->l4);
	put_be16(uh + UDP_CSUM_OFF, v ? v : 0xffff);
}

/*
 * Copy the @chunk L4 bytes of a UFO fragment to @dst, with the datagram's
 * checksum where its field falls (the first fragment, unless gso_size is
 * below 8).
 */
static void
copy_ufo(const struct gso_iter *it, uint8_t *dst, uint32_t chunk)
{
	uint8_t check[2];

	memcpy(dst, it->frame + it->hdr + it->pos, chunk);
	put_be16(check, it->check);
	for (uint32_t i = 0; i < 2; i++)
		if (it->pos <= UDP_CSUM_OFF + i &&
		    UDP_CSUM_OFF + i - it->pos < chunk)
			dst[UDP_CSUM_OFF + i - it->pos] = check[i];
}

/* The one segment of a frame that is not a super-frame. */
static uint32_t
next_whole(struct gso_iter *it, uint8_t *out, uint32_t cap)
{
	if (it->len > cap)
		return 0;
	memcpy(out, it->frame, it->len);
	finish_at(out, it->len, it->off.csum_start, it->off.csum_offset);
	it->seg++;
	return it->len;
}

/**
 * gso_next() - write the next segment of a super-frame
 * @it:  the iteration gso_start() prepared
 * @out: where the segment goes (not overlapping the frame)
 * @cap: bytes available at @out
 *
 * The segment is complete: L2 with its tags, L3 and L4 headers fixed
 * and every checksum computed, as the kernel's software GSO writes it.
 * Data path; no allocation.
 *
 * Return: the segment's length; 0 when every segment was given, or when
 * it does not fit in @cap (the iteration does not move then).
 */
uint32_t
gso_next(struct gso_iter *it, uint8_t *out, uint32_t cap)
{
	uint32_t chunk, head, seg_len;
	bool last, frag6;

	if (it->seg >= it->n_segs)
		return 0;
	if (it->whole)
		return next_whole(it, out, cap);
	chunk = MIN((uint32_t)it->off.gso_size, it->len - it->hdr - it->pos);
	frag6 = it->ipv6 && it->kind == VNET_GSO_UDP;
	head = it->hdr + (frag6 ? IP6_FRAG_LEN : 0);
	seg_len = head + chunk;
	if (seg_len > cap)
		return 0;
	last = it->seg + 1 == it->n_segs;
	memcpy(out, it->frame, it->hdr);
	fix_l3(it, out, seg_len, last);
	if (it->kind == VNET_GSO_UDP) {
		copy_ufo(it, out + head, chunk);
	} else {
		memcpy(out + head, it->frame + it->hdr + it->pos, chunk);
		if (it->kind == VNET_GSO_UDP_L4)
			fix_uso(it, out, seg_len);
		else
			fix_tcp(it, out, seg_len, last);
	}
	it->pos += chunk;
	it->seg++;
	return seg_len;
}
