/* SPDX-License-Identifier: MIT */
/*
 * test_vxlan.c - the VXLAN header and flow hash (src/proto/vxlan.h,
 * src/proto/vxlan.c): every refusal of vxlan_parse() and its order, VNI
 * extraction up to 0xffffff, vxlan_hdr_write() as the inverse of parsing,
 * the outer UDP header's bytes; vxlan_src_port() stays in its range, is
 * the same for every frame of a flow, spreads flows that differ in one
 * field (a port, an address, a VLAN, a MAC) over many ports, reads ports
 * behind up to two VLAN tags and IPv6 extension headers but not in
 * fragments, and never reads past the frame: frames are replayed cut at
 * every length at the very end of a page whose next page is inaccessible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/mman.h>
#include <unistd.h>

#include "proto/vxlan.h"

#define FRAME_MAX 160
#define SPORT_SPAN (VXLAN_SPORT_MAX - VXLAN_SPORT_MIN + 1)

/* --- the header ----------------------------------------------------------- */

/* A valid datagram: header for @vni, then a 14-byte inner header. */
static void
dgram(uint8_t d[VXLAN_HLEN + 14], uint32_t vni)
{
	memset(d, 0, VXLAN_HLEN + 14);
	d[0] = 0x08;
	d[4] = (uint8_t)(vni >> 16);
	d[5] = (uint8_t)(vni >> 8);
	d[6] = (uint8_t)vni;
	memset(d + VXLAN_HLEN, 0xff, 6);
	d[VXLAN_HLEN + 6] = 0x02;
	d[VXLAN_HLEN + 12] = 0x08; /* ethertype 0x0806, ARP */
	d[VXLAN_HLEN + 13] = 0x06;
}

/* vxlan_parse() on an exact-size heap copy (ASan: no read past @len). */
static enum vxlan_status
parse(const uint8_t *d, size_t len, uint32_t *vni)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum vxlan_status s;

	assert_non_null(copy);
	memcpy(copy, d, len);
	s = vxlan_parse(copy, len, vni);
	free(copy);
	return s;
}

static void
test_parse_short(void **state)
{
	uint8_t d[VXLAN_HLEN + 14];
	uint32_t vni;

	(void)state;
	dgram(d, 42);
	for (size_t len = 0; len < sizeof(d); len++) {
		vni = 0xdeadbeef;
		assert_int_equal(parse(d, len, &vni), VXLAN_SHORT);
		assert_int_equal(vni, 0xdeadbeef); /* untouched */
	}
	/* shortness is found before bad flags */
	d[0] = 0;
	assert_int_equal(parse(d, sizeof(d) - 1, &vni), VXLAN_SHORT);
	d[0] = 0x08;
	assert_int_equal(parse(d, sizeof(d), &vni), VXLAN_OK);
	assert_int_equal(vni, 42);
}

static void
test_parse_bad_flags(void **state)
{
	uint8_t d[VXLAN_HLEN + 14];

	(void)state;
	dgram(d, 7);
	for (unsigned int b = 0; b < 256; b++) {
		uint32_t vni = 0xdeadbeef;

		if (b == VXLAN_FLAG_I)
			continue;
		d[0] = (uint8_t)b; /* incl. 0x00, 0x88, 0x0c */
		assert_int_equal(parse(d, sizeof(d), &vni), VXLAN_BAD_FLAGS);
		assert_int_equal(vni, 0xdeadbeef);
	}
	/* bad flags are found before bad reserved bytes */
	d[0] = 0x0c;
	d[1] = 1;
	assert_int_equal(parse(d, sizeof(d), &(uint32_t){0}), VXLAN_BAD_FLAGS);
}

static void
test_parse_bad_reserved(void **state)
{
	static const unsigned int reserved[] = {1, 2, 3, 7};
	uint8_t d[VXLAN_HLEN + 14];

	(void)state;
	for (unsigned int r = 0; r < 4; r++) {
		for (unsigned int bit = 0; bit < 8; bit++) {
			uint32_t vni = 0xdeadbeef;

			dgram(d, 0xffffff);
			d[reserved[r]] = (uint8_t)(1u << bit);
			assert_int_equal(parse(d, sizeof(d), &vni),
			                 VXLAN_BAD_RESERVED);
			assert_int_equal(vni, 0xdeadbeef);
		}
	}
}

static void
test_parse_vni(void **state)
{
	static const uint32_t vnis[] = {0,        1,        42,       0x0100,
	                                0x010000, 0x123456, 0xfffffe, 0xffffff};
	uint8_t d[VXLAN_HLEN + 100];
	uint32_t vni;

	(void)state;
	for (unsigned int i = 0; i < sizeof(vnis) / sizeof(vnis[0]); i++) {
		vni = 0xdeadbeef;
		memset(d, 0x5a, sizeof(d)); /* inner bytes do not matter */
		dgram(d, vnis[i]);
		assert_int_equal(parse(d, sizeof(d), &vni), VXLAN_OK);
		assert_int_equal(vni, vnis[i]);
	}
	/* the bytes on the wire, by hand: VNI 0xabcdef, shortest datagram */
	memcpy(d, "\x08\x00\x00\x00\xab\xcd\xef\x00", 8);
	assert_int_equal(parse(d, VXLAN_HLEN + 14, &vni), VXLAN_OK);
	assert_int_equal(vni, 0xabcdef);
}

static void
test_write_reads_back(void **state)
{
	uint8_t d[VXLAN_HLEN + 14], want[VXLAN_HLEN];

	(void)state;
	for (uint32_t vni = 0; vni <= VXLAN_VNI_MAX; vni += 4099) {
		uint32_t back = 0xdeadbeef;

		dgram(d, 0);
		memset(d, 0xcc, VXLAN_HLEN); /* written over completely */
		vxlan_hdr_write(d, vni);
		assert_int_equal(parse(d, sizeof(d), &back), VXLAN_OK);
		assert_int_equal(back, vni);
	}
	vxlan_hdr_write(d, VXLAN_VNI_MAX);
	memcpy(want, "\x08\x00\x00\x00\xff\xff\xff\x00", 8);
	assert_memory_equal(d, want, VXLAN_HLEN);
	vxlan_hdr_write(d, 42);
	memcpy(want, "\x08\x00\x00\x00\x00\x00\x2a\x00", 8);
	assert_memory_equal(d, want, VXLAN_HLEN);
	/* bits above the 24 of a VNI are not written anywhere */
	vxlan_hdr_write(d, 0xff000001);
	memcpy(want, "\x08\x00\x00\x00\x00\x00\x01\x00", 8);
	assert_memory_equal(d, want, VXLAN_HLEN);
}

static void
test_constants(void **state)
{
	(void)state;
	assert_int_equal(VXLAN_HLEN, 8);
	assert_int_equal(VXLAN_OVERHEAD_V4, 20 + 8 + VXLAN_HLEN);
	assert_int_equal(VXLAN_OVERHEAD_V6, 40 + 8 + VXLAN_HLEN);
	/* a 1500-byte underlay carries the 1450-byte IP MTU of the kernel */
	assert_int_equal(1500 - VXLAN_OVERHEAD_V4 - 14, 1450);
	assert_int_equal(VXLAN_VNI_MAX, 16777215);
}

/* --- the source port ------------------------------------------------------ */

/* An inner frame, described by the fields the hash may or may not read. */
struct flow {
	uint16_t tpids[3]; /* VLAN tags, outer first */
	unsigned int n_tags;
	uint16_t vid;
	uint8_t pcp;
	uint64_t src_mac;
	uint16_t type; /* 0: IPv4, or IPv6 when v6 */
	bool v6;
	uint8_t proto;
	uint32_t saddr, daddr; /* IPv4, or the last 32 bits of 2001:db8:: */
	uint16_t sport, dport;
	/* IPv4: the flags/offset field; IPv6: if non-0, a fragment header
	 * with this offset/M field */
	uint16_t frag;
	bool hop_by_hop; /* IPv6: a hop-by-hop header first */
	/* fields a flow hash must ignore */
	uint16_t ip_id;
	uint8_t ttl;
	uint32_t seq;
	uint8_t payload;
};

static const struct flow tcp4 = {
	.src_mac = 0x020000000001ULL,
	.proto = 6,
	.saddr = 0xc0000201, /* 192.0.2.1 */
	.daddr = 0xc0000202,
	.sport = 40000,
	.dport = 80,
	.ttl = 64,
};

static uint32_t
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static uint32_t
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
	return 4;
}

static uint32_t
build_l2(uint8_t *f, const struct flow *fl)
{
	uint32_t o = 0;

	memcpy(f, "\x02\x00\x00\x00\xbe\xef", 6);
	o = 6;
	for (int i = 5; i >= 0; i--)
		f[o++] = (uint8_t)(fl->src_mac >> (8 * i));
	for (unsigned int t = 0; t < fl->n_tags; t++) {
		o += put16(f + o, fl->tpids[t]);
		o += put16(f + o, (uint32_t)fl->pcp << 13 | fl->vid);
	}
	o += put16(f + o, fl->type ? fl->type : fl->v6 ? 0x86dd : 0x0800);
	return o;
}

static uint32_t
build_ip4(uint8_t *ip, const struct flow *fl, uint32_t l4_len)
{
	ip[0] = 0x45;
	put16(ip + 2, 20 + l4_len);
	put16(ip + 4, fl->ip_id);
	put16(ip + 6, fl->frag);
	ip[8] = fl->ttl;
	ip[9] = fl->proto;
	put16(ip + 10, 0x1234 ^ fl->ip_id); /* a "checksum" */
	put32(ip + 12, fl->saddr);
	put32(ip + 16, fl->daddr);
	return 20;
}

static uint32_t
build_ip6(uint8_t *ip, const struct flow *fl, uint32_t l4_len)
{
	uint32_t o = 40;
	uint8_t *nh = ip + 6;

	ip[0] = 0x60;
	ip[7] = fl->ttl;
	put16(ip + 8, 0x2001);
	put16(ip + 10, 0x0db8);
	put32(ip + 20, fl->saddr);
	put16(ip + 24, 0x2001);
	put16(ip + 26, 0x0db8);
	put32(ip + 36, fl->daddr);
	if (fl->hop_by_hop) { /* 8 bytes: next header, length 0, PadN */
		*nh = 0;
		nh = ip + o;
		ip[o + 2] = 1;
		ip[o + 3] = 4;
		o += 8;
	}
	if (fl->frag) {
		*nh = 44;
		nh = ip + o;
		put16(ip + o + 2, fl->frag);
		put32(ip + o + 4, fl->ip_id);
		o += 8;
	}
	*nh = fl->proto;
	put16(ip + 4, o - 40 + l4_len);
	return o;
}

/* The whole frame; returns its length (at most FRAME_MAX). */
static uint32_t
build(uint8_t f[FRAME_MAX], const struct flow *fl)
{
	const uint32_t l4_len = 20 + 16;
	uint32_t o;

	memset(f, 0, FRAME_MAX);
	o = build_l2(f, fl);
	o += fl->v6 ? build_ip6(f + o, fl, l4_len)
	            : build_ip4(f + o, fl, l4_len);
	put16(f + o, fl->sport);
	put16(f + o + 2, fl->dport);
	put32(f + o + 4, fl->seq);
	memset(f + o + 20, fl->payload, 16);
	return o + l4_len;
}

/*
 * A buffer ending where an inaccessible page begins: vxlan_src_port() on
 * a frame copied to its very end faults on any read past the frame, with
 * or without ASan.
 */
static uint8_t *guard_page_end;

static int
guard_setup(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *m;

	(void)state;
	m = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + page, (size_t)page, PROT_NONE))
		return -1;
	guard_page_end = m + page;
	return 0;
}

static int
guard_teardown(void **state)
{
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	munmap(guard_page_end - page, 2 * (size_t)page);
	return 0;
}

static uint16_t
sport(const uint8_t *f, uint32_t len)
{
	uint8_t *at = guard_page_end - len;
	uint16_t p;

	memcpy(at, f, len);
	p = vxlan_src_port(at, len);
	assert_in_range(p, VXLAN_SPORT_MIN, VXLAN_SPORT_MAX);
	return p;
}

static uint16_t
flow_sport(const struct flow *fl)
{
	uint8_t f[FRAME_MAX];

	return sport(f, build(f, fl));
}

/* Distinct ports among @n variants of @base made by @vary. */
static unsigned int
spread(const struct flow *base, unsigned int n,
       void (*vary)(struct flow *fl, unsigned int i))
{
	static uint8_t seen[SPORT_SPAN];
	unsigned int distinct = 0;

	memset(seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < n; i++) {
		struct flow fl = *base;
		uint16_t p;

		vary(&fl, i);
		p = flow_sport(&fl);
		distinct += !seen[p - VXLAN_SPORT_MIN];
		seen[p - VXLAN_SPORT_MIN] = 1;
	}
	return distinct;
}

static void
vary_sport(struct flow *fl, unsigned int i)
{
	fl->sport = (uint16_t)(32768 + i);
}

static void
vary_dport(struct flow *fl, unsigned int i)
{
	fl->dport = (uint16_t)(1 + i);
}

static void
vary_saddr(struct flow *fl, unsigned int i)
{
	fl->saddr += i;
}

static void
vary_vid(struct flow *fl, unsigned int i)
{
	fl->vid = (uint16_t)(1 + i);
}

static void
vary_mac(struct flow *fl, unsigned int i)
{
	fl->src_mac += i;
}

static void
vary_ignored(struct flow *fl, unsigned int i)
{
	fl->ip_id = (uint16_t)(i * 7);
	fl->ttl = (uint8_t)(i * 13);
	fl->seq = i * 0x01000193u;
	fl->payload = (uint8_t)i;
	fl->pcp = (uint8_t)(i & 7);
}

static void
test_src_port_range(void **state)
{
	unsigned int seed = 4242;
	uint8_t f[FRAME_MAX];

	(void)state;
	for (unsigned int round = 0; round < 20000; round++) {
		uint32_t len = (uint32_t)rand_r(&seed) % (FRAME_MAX + 1);

		for (uint32_t i = 0; i < FRAME_MAX; i++)
			f[i] = (uint8_t)rand_r(&seed);
		/* steer half of them into the IP parsers */
		if (round & 1) {
			put16(f + 12, round & 2 ? 0x0800 : 0x86dd);
			f[14] = round & 2 ? 0x45 : 0x60;
		}
		sport(f, len); /* asserts the range */
	}
}

static void
test_src_port_same_flow_same_port(void **state)
{
	struct flow v6 = tcp4, tagged = tcp4;
	uint8_t f[FRAME_MAX];
	uint32_t len;

	(void)state;
	v6.v6 = true;
	tagged.n_tags = 2;
	tagged.tpids[0] = 0x88a8;
	tagged.tpids[1] = 0x8100;
	tagged.vid = 10;
	/* what changes from packet to packet of a flow is never read */
	assert_int_equal(spread(&tcp4, 200, vary_ignored), 1);
	assert_int_equal(spread(&v6, 200, vary_ignored), 1);
	assert_int_equal(spread(&tagged, 200, vary_ignored), 1);
	/* the same bytes anywhere in memory, on any call */
	len = build(f, &tcp4);
	assert_int_equal(vxlan_src_port(f, len), flow_sport(&tcp4));
	assert_int_equal(vxlan_src_port(f, len), vxlan_src_port(f, len));
}

static void
test_src_port_spreads_flows(void **state)
{
	struct flow udp6 = tcp4, sctp4 = tcp4, arp = tcp4;

	(void)state;
	udp6.v6 = true;
	udp6.proto = 17;
	sctp4.proto = 132;
	arp.type = 0x0806;
	/* 1000 flows over 16384 ports: ~970 distinct expected */
	assert_true(spread(&tcp4, 1000, vary_sport) > 500);
	assert_true(spread(&tcp4, 1000, vary_dport) > 500);
	assert_true(spread(&tcp4, 1000, vary_saddr) > 500);
	assert_true(spread(&udp6, 1000, vary_sport) > 500);
	assert_true(spread(&udp6, 1000, vary_saddr) > 500);
	assert_true(spread(&sctp4, 1000, vary_dport) > 500);
	assert_true(spread(&tcp4, 1000, vary_mac) > 500);
	assert_true(spread(&arp, 1000, vary_mac) > 500);
	/* and a neighbouring port usually changes the outer port */
	{
		unsigned int same = 0;

		for (unsigned int i = 0; i < 1000; i++) {
			struct flow a = tcp4, b = tcp4;

			a.sport = (uint16_t)(20000 + i);
			b.sport = (uint16_t)(20001 + i);
			same += flow_sport(&a) == flow_sport(&b);
		}
		assert_true(same < 10);
	}
}

/* The whole range is used, evenly: 16384 flows over 16384 ports. */
static void
test_src_port_covers_range(void **state)
{
	static uint8_t seen[SPORT_SPAN];
	unsigned int distinct = 0, lo = VXLAN_SPORT_MAX, hi = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < SPORT_SPAN; i++) {
		struct flow fl = tcp4;
		uint16_t p;

		fl.sport = (uint16_t)i;
		p = flow_sport(&fl);
		distinct += !seen[p - VXLAN_SPORT_MIN];
		seen[p - VXLAN_SPORT_MIN] = 1;
		lo = p < lo ? p : lo;
		hi = p > hi ? p : hi;
	}
	/* a uniform hash fills 1 - 1/e of them: 10357, sd ~40 */
	assert_true(distinct > 10000);
	assert_true(lo < VXLAN_SPORT_MIN + 16);
	assert_true(hi > VXLAN_SPORT_MAX - 16);
}

static void
test_src_port_tagged(void **state)
{
	struct flow q = tcp4, qinq = tcp4, three = tcp4, q6 = tcp4;

	(void)state;
	q.n_tags = 1;
	q.tpids[0] = 0x8100;
	q.vid = 100;
	qinq.n_tags = 2;
	qinq.tpids[0] = 0x88a8;
	qinq.tpids[1] = 0x8100;
	qinq.vid = 200;
	q6 = q;
	q6.v6 = true;
	q6.proto = 17;
	/* the ports are read behind one or two tags */
	assert_true(spread(&q, 1000, vary_sport) > 500);
	assert_true(spread(&qinq, 1000, vary_sport) > 500);
	assert_true(spread(&q6, 1000, vary_dport) > 500);
	assert_true(spread(&qinq, 1000, vary_saddr) > 500);
	/* the VLAN is part of the flow */
	assert_true(spread(&q, 1000, vary_vid) > 500);
	assert_true(spread(&qinq, 1000, vary_vid) > 500);
	/* a tag makes another flow than the untagged frame */
	assert_int_not_equal(flow_sport(&q), flow_sport(&tcp4));
	/* a third tag is beyond the parser: L2 only */
	three = qinq;
	three.n_tags = 3;
	three.tpids[2] = 0x8100;
	assert_int_equal(spread(&three, 100, vary_sport), 1);
}

static void
test_src_port_fragments(void **state)
{
	struct flow first = tcp4, later = tcp4, v6 = tcp4, icmp = tcp4;

	(void)state;
	first.frag = 0x2000; /* MF, offset 0 */
	later.frag = 0x00b9; /* last fragment, offset 185 * 8 */
	/* no ports in a fragment: all fragments of a datagram together */
	assert_int_equal(spread(&first, 100, vary_sport), 1);
	assert_int_equal(spread(&later, 100, vary_dport), 1);
	assert_int_equal(flow_sport(&first), flow_sport(&later));
	assert_true(spread(&first, 1000, vary_saddr) > 500);
	/* DF alone is not a fragment */
	first.frag = 0x4000;
	assert_true(spread(&first, 1000, vary_sport) > 500);
	/* IPv6: a fragment header, first or later */
	v6.v6 = true;
	v6.frag = 0x0001;
	assert_int_equal(spread(&v6, 100, vary_sport), 1);
	v6.frag = 0x0100;
	assert_int_equal(spread(&v6, 100, vary_sport), 1);
	/* ...behind a hop-by-hop header; ports read past it otherwise */
	v6.hop_by_hop = true;
	assert_int_equal(spread(&v6, 100, vary_sport), 1);
	v6.frag = 0;
	assert_true(spread(&v6, 1000, vary_sport) > 500);
	/* protocols without ports: those bytes are not read */
	icmp.proto = 1;
	assert_int_equal(spread(&icmp, 100, vary_sport), 1);
	icmp.v6 = true;
	icmp.proto = 58;
	assert_int_equal(spread(&icmp, 100, vary_sport), 1);
}

/* Every prefix of a frame, at the end of the page: in bounds, in range. */
static void
test_src_port_truncated(void **state)
{
	struct flow flows[6];
	uint8_t f[FRAME_MAX];

	(void)state;
	for (unsigned int i = 0; i < 6; i++)
		flows[i] = tcp4;
	flows[1].n_tags = 2;
	flows[1].tpids[0] = 0x88a8;
	flows[1].tpids[1] = 0x8100;
	flows[1].proto = 17;
	flows[2].v6 = true;
	flows[2].hop_by_hop = true;
	flows[3].v6 = true;
	flows[3].frag = 0x0001;
	flows[4].n_tags = 1;
	flows[4].tpids[0] = 0x8100;
	flows[4].v6 = true;
	flows[4].proto = 132;
	flows[5].type = 0x0806;
	for (unsigned int i = 0; i < 6; i++) {
		uint32_t len = build(f, &flows[i]);

		for (uint32_t cut = 0; cut <= len; cut++)
			sport(f, cut);
	}
	/* an IPv4 header claiming 60 bytes of options in a short frame */
	build(f, &tcp4);
	f[14] = 0x4f;
	for (uint32_t cut = 0; cut <= 14 + 60 + 4; cut++)
		sport(f, cut);
	/* IPv6 extension headers whose lengths run past the frame */
	{
		struct flow hbh = tcp4;
		uint32_t len;

		hbh.v6 = true;
		hbh.hop_by_hop = true;
		len = build(f, &hbh);
		f[14 + 40 + 1] = 0xff;
		for (uint32_t cut = 0; cut <= len; cut++)
			sport(f, cut);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_short),
		cmocka_unit_test(test_parse_bad_flags),
		cmocka_unit_test(test_parse_bad_reserved),
		cmocka_unit_test(test_parse_vni),
		cmocka_unit_test(test_write_reads_back),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_src_port_range),
		cmocka_unit_test(test_src_port_same_flow_same_port),
		cmocka_unit_test(test_src_port_spreads_flows),
		cmocka_unit_test(test_src_port_covers_range),
		cmocka_unit_test(test_src_port_tagged),
		cmocka_unit_test(test_src_port_fragments),
		cmocka_unit_test(test_src_port_truncated),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
