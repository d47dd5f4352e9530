/* SPDX-License-Identifier: MIT */
/*
 * test_vnet.c - the virtio_net_hdr reader and writer (src/proto/vnet.h,
 * src/proto/vnet.c): headers the kernel writes for plain, checksum-only
 * and TSO frames are read back as they were; every contradiction with
 * the frame is refused with a reason; writing is the inverse of reading;
 * which receivers take which frames as they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/vnet.h"

/* A header as the kernel lays it out (little-endian fields). */
static void
hdr(uint8_t h[VNET_HDR_MRG_LEN], uint8_t flags, uint8_t gso,
    uint16_t hdr_len, uint16_t gso_size, uint16_t start, uint16_t offset)
{
	uint16_t f[4] = { hdr_len, gso_size, start, offset };

	memset(h, 0xee, VNET_HDR_MRG_LEN);
	h[0] = flags;
	h[1] = gso;
	for (int i = 0; i < 4; i++) {
		h[2 + 2 * i] = (uint8_t)f[i];
		h[3 + 2 * i] = (uint8_t)(f[i] >> 8);
	}
}

/* vnet_hdr_parse() on a heap copy of exactly 10 bytes (ASan: no overread). */
static int
parse(const uint8_t *h, uint32_t frame_len, struct pkt_off *off,
      const char **why)
{
	uint8_t *copy = malloc(VNET_HDR_LEN);
	int r;

	assert_non_null(copy);
	memcpy(copy, h, VNET_HDR_LEN);
	*why = NULL;
	r = vnet_hdr_parse(copy, frame_len, off, why);
	free(copy);
	return r;
}

static void
test_plain_and_data_valid(void **state)
{
	uint8_t h[VNET_HDR_MRG_LEN];
	struct pkt_off off;
	const char *why;

	(void)state;
	hdr(h, 0, 0, 0, 0, 0, 0);
	assert_int_equal(parse(h, 60, &off, &why), 0);
	assert_int_equal(off.flags, 0);
	assert_int_equal(off.gso_type, 0);
	/* DATA_VALID only: kept; stray offsets without NEEDS_CSUM: ignored */
	hdr(h, VNET_HDR_F_DATA_VALID, 0, 54, 1448, 34, 16);
	assert_int_equal(parse(h, 60, &off, &why), 0);
	assert_int_equal(off.flags, VNET_HDR_F_DATA_VALID);
	assert_int_equal(off.csum_start, 0);
	assert_int_equal(off.hdr_len, 0);
	assert_int_equal(off.gso_size, 0);
}

static void
test_tso4_as_the_kernel_writes_it(void **state)
{
	uint8_t h[VNET_HDR_MRG_LEN];
	struct pkt_off off;
	const char *why;

	(void)state;
	/* Ethernet + IPv4 + TCP with timestamps; 64 KiB of payload */
	hdr(h, VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 66, 1448, 34, 16);
	assert_int_equal(parse(h, 65226, &off, &why), 0);
	assert_int_equal(off.flags, VNET_HDR_F_NEEDS_CSUM);
	assert_int_equal(off.gso_type, VNET_GSO_TCPV4);
	assert_int_equal(off.hdr_len, 66);
	assert_int_equal(off.gso_size, 1448);
	assert_int_equal(off.csum_start, 34);
	assert_int_equal(off.csum_offset, 16);
	/* with ECN */
	hdr(h, VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV6 | VNET_GSO_ECN, 86, 1428,
	    54, 16);
	assert_int_equal(parse(h, 20000, &off, &why), 0);
	assert_int_equal(off.gso_type, VNET_GSO_TCPV6 | VNET_GSO_ECN);
	/* USO and UFO: the UDP checksum field */
	hdr(h, VNET_HDR_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 42, 1400, 34, 6);
	assert_int_equal(parse(h, 9000, &off, &why), 0);
	hdr(h, VNET_HDR_F_NEEDS_CSUM, VNET_GSO_UDP, 42, 1480, 34, 6);
	assert_int_equal(parse(h, 9000, &off, &why), 0);
}

/* Each hostile header: refused, reason given, nothing left in @off. */
static void
test_contradictions_refused(void **state)
{
	static const struct {
		uint8_t flags, gso;
		uint16_t hdr_len, gso_size, start, offset;
		uint32_t frame_len;
	} bad[] = {
		/* checksum beyond the frame, or inside the Ethernet header */
		{ 1, 0, 0, 0, 34, 16, 50 },
		{ 1, 0, 0, 0, 59, 0, 60 },
		{ 1, 0, 0, 0, 0xffff, 0xffff, 60 },
		{ 1, 0, 0, 0, 10, 16, 60 },
		/* unknown GSO types; ECN alone */
		{ 1, 2, 54, 1448, 34, 16, 9000 },
		{ 1, 6, 54, 1448, 34, 16, 9000 },
		{ 1, 0x7f, 54, 1448, 34, 16, 9000 },
		{ 0, 0x80, 0, 0, 0, 0, 9000 },
		/* GSO without a partial checksum */
		{ 0, 1, 54, 1448, 34, 16, 9000 },
		/* gso_size 0, or too small */
		{ 1, 1, 54, 0, 34, 16, 9000 },
		{ 1, 4, 74, VNET_GSO_SIZE_MIN - 1, 54, 16, 9000 },
		/* hdr_len beyond the frame */
		{ 1, 1, 9001, 1448, 34, 16, 9000 },
		/* checksum field not where the GSO type puts it */
		{ 1, 1, 54, 1448, 34, 6, 9000 },
		{ 1, 5, 42, 1400, 34, 16, 9000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t h[VNET_HDR_MRG_LEN];
		struct pkt_off off;
		const char *why;

		hdr(h, bad[i].flags, bad[i].gso, bad[i].hdr_len,
		    bad[i].gso_size, bad[i].start, bad[i].offset);
		memset(&off, 0x5a, sizeof(off));
		if (parse(h, bad[i].frame_len, &off, &why) != -1)
			fail_msg("case %zu accepted", i);
		assert_non_null(why);
		assert_int_equal(off.flags | off.gso_type | off.csum_start, 0);
	}
}

static void
test_write_reads_back(void **state)
{
	const struct pkt_off in = { .flags = VNET_HDR_F_NEEDS_CSUM,
				    .gso_type = VNET_GSO_TCPV6,
				    .hdr_len = 86,
				    .gso_size = 1428,
				    .csum_start = 54,
				    .csum_offset = 16 };
	uint8_t h[VNET_HDR_MRG_LEN], want[VNET_HDR_MRG_LEN];
	struct pkt_off out;
	const char *why;

	(void)state;
	hdr(want, 1, 4, 86, 1428, 54, 16);
	want[10] = 1;		/* num_buffers: one buffer */
	want[11] = 0;
	memset(h, 0, sizeof(h));
	vnet_hdr_write(h, sizeof(h), &in);
	assert_memory_equal(h, want, sizeof(want));
	assert_int_equal(vnet_hdr_parse(h, 64000, &out, &why), 0);
	assert_memory_equal(&out, &in, sizeof(in));
	/* the short form leaves the 11th and 12th bytes alone */
	memset(h, 0xcc, sizeof(h));
	vnet_hdr_write(h, VNET_HDR_LEN, &in);
	assert_int_equal(h[10], 0xcc);
	assert_int_equal(h[11], 0xcc);
}

/* Ethernet (optionally one 802.1Q tag) with ethertype @type, then zeros. */
static uint32_t
frame(uint8_t *f, uint16_t type, int tagged)
{
	uint32_t o = 12;

	memset(f, 0, 128);
	if (tagged) {
		f[o++] = 0x81;
		f[o++] = 0x00;
		o += 2;
	}
	f[o++] = (uint8_t)(type >> 8);
	f[o++] = (uint8_t)type;
	return 128;
}

static void
test_accepts(void **state)
{
	struct pkt_off csum = { .flags = VNET_HDR_F_NEEDS_CSUM,
				.csum_start = 34,
				.csum_offset = 16 };
	struct pkt_off tso4 = csum, tso6 = csum, uso = csum, ecn = csum;
	struct pkt_off valid = { .flags = VNET_HDR_F_DATA_VALID };
	uint8_t f4[128], f6[128], f6t[128];
	uint32_t l4 = frame(f4, 0x0800, 0), l6 = frame(f6, 0x86dd, 0);
	uint32_t l6t = frame(f6t, 0x86dd, 1);

	(void)state;
	tso4.gso_type = VNET_GSO_TCPV4;
	tso6.gso_type = VNET_GSO_TCPV6;
	ecn.gso_type = VNET_GSO_TCPV4 | VNET_GSO_ECN;
	uso.gso_type = VNET_GSO_UDP_L4;
	/* a plain port takes plain and DATA_VALID frames only */
	assert_true(vnet_off_accepts(0, &valid, f4, l4));
	assert_false(vnet_off_accepts(0, &csum, f4, l4));
	assert_false(vnet_off_accepts(VNET_OFF_TSO4, &tso4, f4, l4));
	assert_true(vnet_off_accepts(VNET_OFF_CSUM | VNET_OFF_TSO4, &tso4, f4,
				     l4));
	assert_false(vnet_off_accepts(VNET_OFF_CSUM | VNET_OFF_TSO4, &tso6,
				      f6, l6));
	assert_false(vnet_off_accepts(VNET_OFF_CSUM | VNET_OFF_TSO4, &ecn, f4,
				      l4));
	/* USO: IPv4 or IPv6 by the ethertype, past a VLAN tag */
	assert_true(vnet_off_accepts(VNET_OFF_CSUM | VNET_OFF_USO4, &uso, f4,
				     l4));
	assert_false(vnet_off_accepts(VNET_OFF_CSUM | VNET_OFF_USO4, &uso, f6,
				      l6));
	assert_false(vnet_off_accepts(VNET_OFF_CSUM | VNET_OFF_USO4, &uso,
				      f6t, l6t));
	assert_true(vnet_off_accepts(VNET_OFF_ALL, &uso, f6t, l6t));
}

static void
test_format(void **state)
{
	char buf[80];

	(void)state;
	vnet_off_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	vnet_off_format(VNET_OFF_ALL, buf, sizeof(buf));
	assert_string_equal(buf, "csum,tso4,tso6,ecn,ufo,uso4,uso6");
	vnet_off_format(VNET_OFF_CSUM | VNET_OFF_UFO, buf, sizeof(buf));
	assert_string_equal(buf, "csum,ufo");
	vnet_off_format(VNET_OFF_ALL, buf, 8);	/* cut, still terminated */
	assert_true(strlen(buf) < 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_data_valid),
		cmocka_unit_test(test_tso4_as_the_kernel_writes_it),
		cmocka_unit_test(test_contradictions_refused),
		cmocka_unit_test(test_write_reads_back),
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
