/* SPDX-License-Identifier: MIT */
/*
 * test_pcapng.c - the pcapng writer (src/proto/pcapng.c): each block byte
 * for byte against the layout of draft-ietf-opsawg-pcapng (little-endian
 * host), lengths at both ends a multiple of 4, options padded with zeros,
 * and a buffer too small refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/pcapng.h"

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* A block's two length fields agree with @len, a multiple of 4. */
static void
assert_block(const uint8_t *b, size_t len, uint32_t type)
{
	assert_int_equal(len % 4, 0);
	assert_int_equal(rd32(b), type);
	assert_int_equal(rd32(b + 4), len);
	assert_int_equal(rd32(b + len - 4), len);
}

static void
test_shb(void **state)
{
	static const uint8_t want[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 44, 0, 0, 0,	/* type, length */
		0x4d, 0x3c, 0x2b, 0x1a,			/* byte-order magic */
		1, 0, 0, 0,				/* version 1.0 */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* -1 */
		4, 0, 5, 0, 'l', 'y', '-', '1', '2', 0, 0, 0, /* userappl */
		0, 0, 0, 0,				/* endofopt */
		44, 0, 0, 0,
	};
	uint8_t b[128];
	size_t n;

	(void)state;
	memset(b, 0xee, sizeof(b));
	n = pcapng_shb(b, sizeof(b), "ly-12");
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_block(b, n, PCAPNG_BT_SHB);
	assert_int_equal(b[44], 0xee);		/* nothing written past */
	assert_int_equal(pcapng_shb(b, 43, "ly-12"), 0);
	/* No application: no options at all. */
	assert_int_equal(pcapng_shb(b, sizeof(b), NULL), 28);
	assert_block(b, 28, PCAPNG_BT_SHB);
}

static void
test_idb(void **state)
{
	static const uint8_t want[] = {
		1, 0, 0, 0, 40, 0, 0, 0,		/* IDB, 40 bytes */
		1, 0, 0, 0,				/* Ethernet, reserved */
		0x0e, 0x00, 0x01, 0x00,			/* snaplen 65550 */
		2, 0, 3, 0, 'v', 'm', '1', 0,		/* if_name, padded */
		9, 0, 1, 0, 6, 0, 0, 0,			/* if_tsresol 6 */
		0, 0, 0, 0,				/* endofopt */
		40, 0, 0, 0,
	};
	uint8_t b[128];
	size_t n;

	(void)state;
	memset(b, 0xee, sizeof(b));
	n = pcapng_idb(b, sizeof(b), 65550, "vm1");
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_block(b, n, PCAPNG_BT_IDB);
	/* A name of exactly 4 bytes needs no padding. */
	n = pcapng_idb(b, sizeof(b), 1500, "vm12");
	assert_int_equal(n, 40);
	assert_memory_equal(b + 16, "\x02\x00\x04\x00vm12", 8);
	/* 5 bytes: 3 of padding, zeros. */
	n = pcapng_idb(b, sizeof(b), 1500, "st.12");
	assert_int_equal(n, 44);
	assert_memory_equal(b + 16, "\x02\x00\x05\x00st.12\0\0\0", 12);
	assert_block(b, n, PCAPNG_BT_IDB);
	assert_int_equal(pcapng_idb(b, 43, 1500, "st.12"), 0);
}

static void
test_epb(void **state)
{
	static const uint8_t frame[5] = {0xde, 0xad, 0xbe, 0xef, 0x42};
	static const uint8_t want[] = {
		6, 0, 0, 0, 52, 0, 0, 0,		/* EPB, 52 bytes */
		3, 0, 0, 0,				/* interface 3 */
		0x01, 0, 0, 0,				/* ts high */
		0x02, 0, 0, 0,				/* ts low */
		5, 0, 0, 0, 60, 0, 0, 0,		/* caplen, origlen */
		0xde, 0xad, 0xbe, 0xef, 0x42, 0, 0, 0,	/* data, padded */
		2, 0, 4, 0, 2, 0, 0, 0,			/* epb_flags outbound */
		0, 0, 0, 0,				/* endofopt */
		52, 0, 0, 0,
	};
	uint8_t b[128];
	size_t n;

	(void)state;
	memset(b, 0xee, sizeof(b));
	n = pcapng_epb(b, sizeof(b), 3, (1ull << 32) | 2, frame, 5, 60,
		       PCAPNG_EPB_OUTBOUND);
	assert_int_equal(n, sizeof(want));
	assert_int_equal(pcapng_epb_len(5), sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(b[52], 0xee);
	assert_int_equal(pcapng_epb(b, 51, 3, 0, frame, 5, 60, 0), 0);
	/* A multiple of 4: no padding; inbound is bit 0. */
	n = pcapng_epb(b, sizeof(b), 0, 0, frame, 4, 4, PCAPNG_EPB_INBOUND);
	assert_int_equal(n, 48);
	assert_block(b, n, PCAPNG_BT_EPB);
	assert_memory_equal(b + 28, "\xde\xad\xbe\xef\x02\x00\x04\x00\x01", 9);
	/* Empty packet. */
	n = pcapng_epb(b, sizeof(b), 0, 0, frame, 0, 0, 0);
	assert_int_equal(n, 44);
	assert_block(b, n, PCAPNG_BT_EPB);
}

/* Head + data + tail written apart (as into a ring) equal the whole. */
static void
test_epb_parts(void **state)
{
	uint8_t frame[61], whole[160], parts[160];
	size_t off;

	(void)state;
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	assert_int_equal(pcapng_epb(whole, sizeof(whole), 1, 123456789, frame,
				    61, 61, PCAPNG_EPB_INBOUND),
			 28 + 64 + 16);
	off = pcapng_epb_head(parts, 1, 123456789, 61, 61);
	memcpy(parts + off, frame, 61);
	off += 61;
	off += pcapng_epb_tail(parts + off, 61, PCAPNG_EPB_INBOUND);
	assert_int_equal(off, 108);
	assert_memory_equal(parts, whole, off);
}

static void
test_lost(void **state)
{
	uint8_t b[PCAPNG_LOST_LEN];
	uint64_t v;

	(void)state;
	assert_int_equal(pcapng_lost(b, 1234567890123ull), PCAPNG_LOST_LEN);
	assert_block(b, PCAPNG_LOST_LEN, PCAPNG_BT_LANYARD_LOST);
	assert_true(rd32(b) & 0x80000000u);	/* local use */
	memcpy(&v, b + 8, 8);
	assert_int_equal(v, 1234567890123ull);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shb),
		cmocka_unit_test(test_idb),
		cmocka_unit_test(test_epb),
		cmocka_unit_test(test_epb_parts),
		cmocka_unit_test(test_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
