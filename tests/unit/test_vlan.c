/* SPDX-License-Identifier: MIT */
/*
 * test_vlan.c - 802.1Q/802.1ad tags and VLAN lists (src/proto/vlan.h,
 * src/proto/vlan.c): tag parsing for untagged, 802.1Q, 802.1ad, priority
 * tagged and truncated frames; tag building; inserting and removing a tag
 * with PCP kept; list parsing, its rejections and formatting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto/eth.h"
#include "proto/vlan.h"

#define FRAME_LEN 64

/* An untagged frame: dst, src, @type, then a recognisable payload. */
static void
make_frame(uint8_t *f, uint16_t type)
{
	static const uint8_t macs[2 * ETH_ALEN] = {0x52, 0x54, 0x00, 0x00,
	                                           0x00, 0x01, 0x52, 0x54,
	                                           0x00, 0x00, 0x00, 0x02};

	memcpy(f, macs, sizeof(macs));
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	for (int i = ETH_HDR_LEN; i < FRAME_LEN; i++)
		f[i] = (uint8_t)(i * 11);
}

/* A frame with one tag of @tpid and TCI @tci, inner type IPv4. */
static void
make_tagged(uint8_t *f, uint16_t tpid, uint16_t tci)
{
	make_frame(f, tpid);
	f[14] = (uint8_t)(tci >> 8);
	f[15] = (uint8_t)tci;
	f[16] = 0x08;
	f[17] = 0x00;
}

/* vlan_parse() on a heap copy of exactly @len bytes (ASan sees overreads). */
static enum vlan_parse_status
parse(const uint8_t *f, uint32_t len, uint16_t tpid, struct vlan_tag *t)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum vlan_parse_status st;

	assert_non_null(copy);
	memcpy(copy, f, len);
	memset(t, 0xa5, sizeof(*t));
	st = vlan_parse(copy, len, tpid, t);
	free(copy);
	return st;
}

static void
assert_untagged(const struct vlan_tag *t)
{
	assert_false(t->present);
	assert_int_equal(t->vid, 0);
	assert_int_equal(t->pcp, 0);
	assert_false(t->dei);
}

static void
test_parse_untagged(void **state)
{
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x88cc,
	                                 0x9100, 0x0000, 0xffff};
	uint8_t f[FRAME_LEN];
	struct vlan_tag t;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		make_frame(f, types[i]);
		assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021Q, &t),
		                 VLAN_PARSE_OK);
		assert_untagged(&t);
		assert_int_equal(parse(f, ETH_HDR_LEN, VLAN_TPID_8021AD, &t),
		                 VLAN_PARSE_OK);
		assert_untagged(&t);
	}
}

static void
test_parse_8021q(void **state)
{
	uint8_t f[FRAME_LEN];
	struct vlan_tag t;

	(void)state;
	/* PCP 5, DEI 0, VID 100 */
	make_tagged(f, VLAN_TPID_8021Q, 5 << 13 | 100);
	assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021Q, &t),
	                 VLAN_PARSE_OK);
	assert_true(t.present);
	assert_int_equal(t.vid, 100);
	assert_int_equal(t.pcp, 5);
	assert_false(t.dei);
	/* PCP 7, DEI 1, VID 4094 */
	make_tagged(f, VLAN_TPID_8021Q, 0xffff & (7 << 13 | 1 << 12 | 4094));
	assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021Q, &t),
	                 VLAN_PARSE_OK);
	assert_true(t.present);
	assert_int_equal(t.vid, 4094);
	assert_int_equal(t.pcp, 7);
	assert_true(t.dei);
	/* VID 4095 is reserved but read as it is; policy is the bridge's */
	make_tagged(f, VLAN_TPID_8021Q, 0x0fff);
	assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021Q, &t),
	                 VLAN_PARSE_OK);
	assert_int_equal(t.vid, 4095);
	/* a port using 802.1ad does not see an 802.1Q tag as its own */
	make_tagged(f, VLAN_TPID_8021Q, 100);
	assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021AD, &t),
	                 VLAN_PARSE_OK);
	assert_untagged(&t);
}

static void
test_parse_8021ad(void **state)
{
	uint8_t f[FRAME_LEN];
	struct vlan_tag t;

	(void)state;
	make_tagged(f, VLAN_TPID_8021AD, 3 << 13 | 1 << 12 | 2000);
	assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021AD, &t),
	                 VLAN_PARSE_OK);
	assert_true(t.present);
	assert_int_equal(t.vid, 2000);
	assert_int_equal(t.pcp, 3);
	assert_true(t.dei);
	/* an 802.1Q port takes the S-tag for an ethertype */
	assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021Q, &t),
	                 VLAN_PARSE_OK);
	assert_untagged(&t);
	/* a Q-in-Q frame: only the outer tag of the port's TPID is read */
	make_tagged(f, VLAN_TPID_8021AD, 10);
	f[16] = 0x81;
	f[17] = 0x00;
	f[18] = 0x00;
	f[19] = 20;
	assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021AD, &t),
	                 VLAN_PARSE_OK);
	assert_int_equal(t.vid, 10);
}

static void
test_parse_priority_tagged(void **state)
{
	uint8_t f[FRAME_LEN];
	struct vlan_tag t;

	(void)state;
	for (uint8_t pcp = 0; pcp < 8; pcp++) {
		make_tagged(f, VLAN_TPID_8021Q, (uint16_t)(pcp << 13));
		assert_int_equal(parse(f, FRAME_LEN, VLAN_TPID_8021Q, &t),
		                 VLAN_PARSE_OK);
		assert_true(t.present);
		assert_int_equal(t.vid, 0);
		assert_int_equal(t.pcp, pcp);
		assert_false(t.dei);
	}
}

static void
test_parse_truncated(void **state)
{
	uint8_t f[FRAME_LEN];
	struct vlan_tag t;

	(void)state;
	make_tagged(f, VLAN_TPID_8021Q, 5 << 13 | 100);
	/* the tag or the inner ethertype cut short */
	for (uint32_t len = ETH_HDR_LEN; len < ETH_HDR_LEN + VLAN_TAG_LEN;
	     len++) {
		if (parse(f, len, VLAN_TPID_8021Q, &t) != VLAN_PARSE_TRUNCATED)
			fail_msg("%u bytes not reported truncated", len);
		assert_false(t.present);
	}
	/* the smallest complete tagged header */
	assert_int_equal(
		parse(f, ETH_HDR_LEN + VLAN_TAG_LEN, VLAN_TPID_8021Q, &t),
		VLAN_PARSE_OK);
	assert_true(t.present);
	assert_int_equal(t.vid, 100);
	/* a runt without a whole Ethernet header carries no tag */
	for (uint32_t len = 0; len < ETH_HDR_LEN; len++) {
		assert_int_equal(parse(f, len, VLAN_TPID_8021Q, &t),
		                 VLAN_PARSE_OK);
		assert_untagged(&t);
	}
	/* the same lengths of an untagged frame are fine */
	make_frame(f, 0x0800);
	for (uint32_t len = ETH_HDR_LEN; len <= ETH_HDR_LEN + VLAN_TAG_LEN;
	     len++)
		assert_int_equal(parse(f, len, VLAN_TPID_8021Q, &t),
		                 VLAN_PARSE_OK);
}

static void
test_tag_write(void **state)
{
	uint8_t tag[VLAN_TAG_LEN + 1];

	(void)state;
	tag[VLAN_TAG_LEN] = 0x5a;
	vlan_tag_write(tag, VLAN_TPID_8021Q, 100, 5, true);
	assert_memory_equal(tag, "\x81\x00\xb0\x64", VLAN_TAG_LEN);
	assert_int_equal(tag[VLAN_TAG_LEN], 0x5a);
	vlan_tag_write(tag, VLAN_TPID_8021AD, 4094, 0, false);
	assert_memory_equal(tag, "\x88\xa8\x0f\xfe", VLAN_TAG_LEN);
	vlan_tag_write(tag, VLAN_TPID_8021Q, 0, 7, false);
	assert_memory_equal(tag, "\x81\x00\xe0\x00", VLAN_TAG_LEN);
	/* out-of-range fields do not spill into their neighbours */
	vlan_tag_write(tag, VLAN_TPID_8021Q, 0xf001, 0, false);
	assert_memory_equal(tag, "\x81\x00\x00\x01", VLAN_TAG_LEN);
	vlan_tag_write(tag, VLAN_TPID_8021Q, 1, 0xf9, false);
	assert_memory_equal(tag, "\x81\x00\x20\x01", VLAN_TAG_LEN);
}

/* Every VID, PCP and DEI written into a frame reads back the same. */
static void
test_write_parse_round_trip(void **state)
{
	uint8_t f[FRAME_LEN];
	struct vlan_tag t;

	(void)state;
	make_frame(f, VLAN_TPID_8021Q);
	for (uint32_t vid = 0; vid < 4096; vid++) {
		for (uint8_t pcp = 0; pcp < 8; pcp++) {
			for (int dei = 0; dei < 2; dei++) {
				vlan_tag_write(f + 2 * ETH_ALEN,
				               VLAN_TPID_8021Q, (uint16_t)vid,
				               pcp, dei);
				assert_int_equal(vlan_parse(f, FRAME_LEN,
				                            VLAN_TPID_8021Q,
				                            &t),
				                 VLAN_PARSE_OK);
				if (!t.present || t.vid != vid ||
				    t.pcp != pcp || t.dei != dei)
					fail_msg("vid %u pcp %u dei %d: read "
					         "%u %u %d",
					         vid, pcp, dei, t.vid, t.pcp,
					         t.dei);
			}
		}
	}
}

/*
 * Tagging an untagged frame (tag after the MACs) and stripping the tag
 * again, the way a trunk port's egress and ingress do: the frame comes
 * back byte for byte and the PCP survives the trip.
 */
static void
test_insert_strip_round_trip(void **state)
{
	uint8_t orig[FRAME_LEN], tagged[FRAME_LEN + VLAN_TAG_LEN];
	uint8_t stripped[FRAME_LEN];
	struct vlan_tag t;

	(void)state;
	make_frame(orig, 0x86dd);
	for (uint8_t pcp = 0; pcp < 8; pcp++) {
		memcpy(tagged, orig, 2 * ETH_ALEN);
		vlan_tag_write(tagged + 2 * ETH_ALEN, VLAN_TPID_8021AD, 42, pcp,
		               pcp & 1);
		memcpy(tagged + 2 * ETH_ALEN + VLAN_TAG_LEN,
		       orig + 2 * ETH_ALEN, FRAME_LEN - 2 * ETH_ALEN);
		assert_int_equal(vlan_parse(tagged, sizeof(tagged),
		                            VLAN_TPID_8021AD, &t),
		                 VLAN_PARSE_OK);
		assert_true(t.present);
		assert_int_equal(t.vid, 42);
		assert_int_equal(t.pcp, pcp);
		assert_int_equal(eth_type(tagged + VLAN_TAG_LEN), 0x86dd);

		memcpy(stripped, tagged, 2 * ETH_ALEN);
		memcpy(stripped + 2 * ETH_ALEN,
		       tagged + 2 * ETH_ALEN + VLAN_TAG_LEN,
		       FRAME_LEN - 2 * ETH_ALEN);
		assert_memory_equal(stripped, orig, FRAME_LEN);
		assert_int_equal(
			vlan_parse(stripped, FRAME_LEN, VLAN_TPID_8021AD, &t),
			VLAN_PARSE_OK);
		assert_false(t.present);
	}
}

static unsigned int
count_bits(const uint8_t *bitmap)
{
	unsigned int n = 0;

	for (unsigned int v = 0; v < 4096; v++)
		n += vlan_list_has(bitmap, (uint16_t)v);
	return n;
}

static void
list_ok(const char *s, uint8_t *bitmap)
{
	char err[ERR_LEN] = "";

	memset(bitmap, 0xff, VLAN_BITMAP_LEN);
	if (vlan_list_parse(s, bitmap, err) != 0)
		fail_msg("'%s' rejected: %s", s, err);
}

static void
test_list_parse(void **state)
{
	uint8_t bm[VLAN_BITMAP_LEN];

	(void)state;
	list_ok("1", bm);
	assert_int_equal(count_bits(bm), 1);
	assert_true(vlan_list_has(bm, 1));
	list_ok("1,10-20", bm);
	assert_int_equal(count_bits(bm), 12);
	assert_true(vlan_list_has(bm, 1));
	assert_false(vlan_list_has(bm, 9));
	assert_true(vlan_list_has(bm, 10));
	assert_true(vlan_list_has(bm, 20));
	assert_false(vlan_list_has(bm, 21));
	list_ok("4094", bm);
	assert_int_equal(count_bits(bm), 1);
	assert_true(vlan_list_has(bm, 4094));
	list_ok("1-4094", bm);
	assert_int_equal(count_bits(bm), 4094);
	assert_false(vlan_list_has(bm, 0));
	assert_false(vlan_list_has(bm, 4095));
	list_ok("7-7", bm);
	assert_int_equal(count_bits(bm), 1);
	/* overlaps and repeats are merged */
	list_ok("1-10,5-15,3,3", bm);
	assert_int_equal(count_bits(bm), 15);
	/* other separators */
	list_ok("1:2;3 4,5", bm);
	assert_int_equal(count_bits(bm), 5);
	assert_true(vlan_list_has(bm, 4));
	/* byte boundaries of the bitmap */
	list_ok("7-8,15-16,4088-4094", bm);
	assert_int_equal(count_bits(bm), 11);
	assert_false(vlan_list_has(bm, 6));
	assert_false(vlan_list_has(bm, 9));
}

static void
list_bad(const char *s, const char *needle)
{
	uint8_t bm[VLAN_BITMAP_LEN];
	char err[ERR_LEN];
	size_t len;

	memset(err, 0, sizeof(err));
	if (vlan_list_parse(s, bm, err) != -EINVAL)
		fail_msg("VLAN list '%s' accepted", s);
	len = strnlen(err, ERR_LEN);
	assert_true(len > 0 && len < ERR_LEN);
	if (needle && !strstr(err, needle))
		fail_msg("error \"%s\" for '%s' does not mention \"%s\"", err,
		         s, needle);
}

static void
test_list_rejections(void **state)
{
	(void)state;
	list_bad("", "empty");
	/* ids out of 1-4094 */
	list_bad("0", "1 to 4094");
	list_bad("4095", "1 to 4094");
	list_bad("4096", "1 to 4094");
	list_bad("99999", "1 to 4094");
	list_bad("1,0", "1 to 4094");
	list_bad("0-10", "1 to 4094");
	list_bad("1-4095", "range");
	list_bad("10-0", "range");
	/* reversed, open or doubled ranges */
	list_bad("20-10", "range");
	list_bad("10-", "range");
	list_bad("10-x", "range");
	list_bad("-10", NULL);
	list_bad("1--2", "range");
	/* junk and stray separators */
	list_bad("a", NULL);
	list_bad("1a", "'a'");
	list_bad("1-2-3", "'-'");
	list_bad("10-20x", "'x'");
	list_bad("1/2", "'/'");
	list_bad("1,", NULL);
	list_bad(",1", NULL);
	list_bad("1,,2", NULL);
	list_bad(" 1", NULL);
	list_bad("+1", NULL);
	list_bad("1.5", "'.'");
}

/*
 * A bad range is quoted in the message ("bad range ending near '...'"),
 * so the user can find it in a long list: the quote must not be empty and
 * must show the bad end.
 */
static void
test_list_range_message(void **state)
{
	static const char *const lists[] = {"5,20-10,30", "20-10", "1-4095",
	                                    "7,10-"};
	static const char *const ends[] = {"10", "10", "4095", "10-"};
	uint8_t bm[VLAN_BITMAP_LEN];
	char err[ERR_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		memset(err, 0, sizeof(err));
		assert_int_equal(vlan_list_parse(lists[i], bm, err), -EINVAL);
		if (strstr(err, "''") || !strstr(err, ends[i]))
			fail_msg("'%s': message \"%s\" does not show the bad "
			         "range",
			         lists[i], err);
	}
}

static void
format(const uint8_t *bm, char *buf, unsigned long len)
{
	memset(buf, '#', len);
	vlan_list_format(bm, buf, len);
}

static void
test_list_format(void **state)
{
	static const char *const lists[] = {
		"1",
		"1,10-20",
		"4094",
		"1-4094",
		"1,3,5",
		"1-2,4-5,4093-4094",
		"100-200,300,400-401",
	};
	uint8_t bm[VLAN_BITMAP_LEN], back[VLAN_BITMAP_LEN];
	char buf[64], err[ERR_LEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		list_ok(lists[i], bm);
		format(bm, buf, sizeof(buf));
		assert_string_equal(buf, lists[i]);
	}
	/* adjacent ids merge; other separators become ',' */
	list_ok("3;1:2 5,6", bm);
	format(bm, buf, sizeof(buf));
	assert_string_equal(buf, "1-3,5-6");
	/* empty set */
	memset(bm, 0, sizeof(bm));
	format(bm, buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* ids 0 and 4095 are not VLANs and are left out */
	bm[0] = 0x03;   /* 0 and 1 */
	bm[511] = 0xc0; /* 4094 and 4095 */
	format(bm, buf, sizeof(buf));
	assert_string_equal(buf, "1,4094");
	assert_int_equal(vlan_list_parse(buf, back, err), 0);
	assert_true(vlan_list_has(back, 1) && vlan_list_has(back, 4094));
	assert_int_equal(count_bits(back), 2);
}

static void
test_list_format_truncated(void **state)
{
	uint8_t bm[VLAN_BITMAP_LEN];
	char full[64], buf[64];

	(void)state;
	list_ok("1,10-20,300-310,4000", bm);
	format(bm, full, sizeof(full));
	assert_string_equal(full, "1,10-20,300-310,4000");
	/*
	 * A short buffer: NUL-terminated inside it, nothing written after;
	 * a cut list is whole items of the full one followed by "...", so it
	 * never reads as another list.
	 */
	for (unsigned long len = 1; len <= strlen(full) + 1; len++) {
		size_t kept;

		memset(buf, '#', sizeof(buf));
		vlan_list_format(bm, buf, len);
		assert_true(strnlen(buf, len) < len);
		for (unsigned long i = len; i < sizeof(buf); i++)
			assert_int_equal(buf[i], '#');
		if (len == strlen(full) + 1) {
			assert_string_equal(buf, full);
			continue;
		}
		if (len < 4) {
			assert_string_equal(buf, "");
			continue;
		}
		kept = strlen(buf);
		assert_true(kept >= 3);
		assert_string_equal(buf + kept - 3, "...");
		kept -= 3;
		assert_memory_equal(buf, full, kept);
		assert_true(full[kept] == ',' || (kept == 0 && full[0] != ','));
	}
}

/* Pseudo-random sets survive format then parse. */
static void
test_list_round_trip(void **state)
{
	static uint8_t bm[VLAN_BITMAP_LEN], back[VLAN_BITMAP_LEN];
	static char buf[16384], err[ERR_LEN];
	uint64_t x = 88172645463325252ULL;

	(void)state;
	for (int round = 0; round < 64; round++) {
		for (size_t i = 0; i < VLAN_BITMAP_LEN; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* sparse, dense and alternating sets */
			bm[i] = (uint8_t)(round % 3 == 0   ? x & (x >> 8)
			                  : round % 3 == 1 ? x | (x >> 8)
			                                   : 0x55);
		}
		bm[0] &= (uint8_t)~1;      /* VLAN 0 */
		bm[511] &= (uint8_t)~0x80; /* VLAN 4095 */
		if (count_bits(bm) == 0)
			continue;
		format(bm, buf, sizeof(buf));
		if (vlan_list_parse(buf, back, err))
			fail_msg("own output '%.40s...' rejected: %s", buf,
			         err);
		assert_memory_equal(bm, back, VLAN_BITMAP_LEN);
	}
}

static void
test_list_has(void **state)
{
	uint8_t bm[VLAN_BITMAP_LEN];

	(void)state;
	memset(bm, 0xff, sizeof(bm));
	assert_true(vlan_list_has(bm, 0));
	assert_true(vlan_list_has(bm, 4095));
	/* beyond the bitmap: never, and no read past it */
	assert_false(vlan_list_has(bm, 4096));
	assert_false(vlan_list_has(bm, 0xffff));
	memset(bm, 0, sizeof(bm));
	bm[12] = 0x10; /* 12 * 8 + 4 */
	for (unsigned int v = 0; v < 4096; v++)
		assert_int_equal(vlan_list_has(bm, (uint16_t)v), v == 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_untagged),
		cmocka_unit_test(test_parse_8021q),
		cmocka_unit_test(test_parse_8021ad),
		cmocka_unit_test(test_parse_priority_tagged),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_tag_write),
		cmocka_unit_test(test_write_parse_round_trip),
		cmocka_unit_test(test_insert_strip_round_trip),
		cmocka_unit_test(test_list_parse),
		cmocka_unit_test(test_list_rejections),
		cmocka_unit_test(test_list_range_message),
		cmocka_unit_test(test_list_format),
		cmocka_unit_test(test_list_format_truncated),
		cmocka_unit_test(test_list_round_trip),
		cmocka_unit_test(test_list_has),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
