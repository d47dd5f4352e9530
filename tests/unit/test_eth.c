/* SPDX-License-Identifier: MIT */
/*
 * test_eth.c - Ethernet addresses and header fields (src/proto/eth.h,
 * src/proto/eth.c): u64 conversion, header accessors, group/unicast
 * classification, valid sources, and the text form both ways.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto/eth.h"

static const uint8_t mac_qemu[ETH_ALEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t mac_bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_zero[ETH_ALEN];

static void
test_u64(void **state)
{
	uint8_t mac[ETH_ALEN];

	(void)state;
	assert_int_equal(eth_mac_to_u64(mac_qemu), 0x525400123456ULL);
	assert_int_equal(eth_mac_to_u64(mac_bcast), 0xffffffffffffULL);
	assert_int_equal(eth_mac_to_u64(mac_zero), 0);
	eth_u64_to_mac(0x525400123456ULL, mac);
	assert_memory_equal(mac, mac_qemu, ETH_ALEN);
	/* bits above the 48 are dropped */
	eth_u64_to_mac(0xabcd525400123456ULL, mac);
	assert_memory_equal(mac, mac_qemu, ETH_ALEN);
	/* the first octet is the most significant: ordering follows it */
	assert_true(eth_mac_to_u64((const uint8_t *)"\x01\0\0\0\0\0") >
	            eth_mac_to_u64((const uint8_t *)"\0\xff\xff\xff\xff\xff"));
	for (uint64_t v = 1; v < (1ULL << 48); v = v * 3 + 1) {
		eth_u64_to_mac(v, mac);
		assert_int_equal(eth_mac_to_u64(mac), v);
	}
}

static void
test_header_fields(void **state)
{
	/* dst, src, then type 0x0800, then payload: read unaligned too */
	static const uint8_t hdr[ETH_HDR_LEN + 1] = {
		0x00, /* pad so the frame below starts at an odd address */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52,
		0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00,
	};
	const uint8_t *frame = hdr + 1;

	(void)state;
	assert_ptr_equal(eth_dst(frame), frame);
	assert_ptr_equal(eth_src(frame), frame + ETH_ALEN);
	assert_memory_equal(eth_dst(frame), mac_bcast, ETH_ALEN);
	assert_memory_equal(eth_src(frame), mac_qemu, ETH_ALEN);
	assert_int_equal(eth_type(frame), 0x0800);
	assert_int_equal(eth_type((const uint8_t *)"012345678901\x81\x00"),
	                 0x8100);
	assert_int_equal(eth_type((const uint8_t *)"012345678901\x88\xa8"),
	                 0x88a8);
	assert_int_equal(eth_type((const uint8_t *)"012345678901\xff\xfe"),
	                 0xfffe);
}

static void
test_classify(void **state)
{
	static const struct {
		uint8_t mac[ETH_ALEN];
		bool multicast;
		bool valid_src;
	} cases[] = {
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, true, false},
		{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, true, false}, /* IPv4 */
		{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, true, false}, /* IPv6 */
		{{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}, true, false}, /* STP */
		{{0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, true, false},
		{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, false, true},
		{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, false, true},
		{{0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, true},
		{{0x00, 0x01, 0x01, 0x01, 0x01, 0x01}, false, true},
		{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}, false, true},
		{{0x80, 0x00, 0x00, 0x00, 0x00, 0x00}, false, true},
		{{0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, false, false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (eth_is_multicast(cases[i].mac) != cases[i].multicast)
			fail_msg("case %zu: multicast wrong", i);
		if (eth_is_valid_src(cases[i].mac) != cases[i].valid_src)
			fail_msg("case %zu: valid source wrong", i);
	}
	/* only bit 0 of the first octet decides */
	for (unsigned int b = 0; b < 256; b++) {
		uint8_t mac[ETH_ALEN] = {(uint8_t)b, 1, 1, 1, 1, 1};

		assert_int_equal(eth_is_multicast(mac), b & 1);
		assert_int_equal(eth_is_valid_src(mac), !(b & 1));
	}
}

static void
test_format(void **state)
{
	char out[ETH_MAC_STRLEN + 4];

	(void)state;
	memset(out, '#', sizeof(out));
	eth_mac_format(mac_qemu, out);
	assert_string_equal(out, "52:54:00:12:34:56");
	/* exactly ETH_MAC_STRLEN bytes written */
	assert_int_equal(out[ETH_MAC_STRLEN], '#');
	eth_mac_format(mac_zero, out);
	assert_string_equal(out, "00:00:00:00:00:00");
	eth_mac_format(mac_bcast, out);
	assert_string_equal(out, "ff:ff:ff:ff:ff:ff");
	eth_mac_format((const uint8_t *)"\xAB\x0c\x01\xf0\x9a\x7E", out);
	assert_string_equal(out, "ab:0c:01:f0:9a:7e");
}

/* eth_mac_parse() of a heap copy of exactly the string and its NUL. */
static int
parse(const char *s, uint8_t *mac)
{
	char *copy = strdup(s);
	int ret;

	assert_non_null(copy);
	ret = eth_mac_parse(copy, mac);
	free(copy);
	return ret;
}

static void
test_parse_valid(void **state)
{
	uint8_t mac[ETH_ALEN];

	(void)state;
	assert_int_equal(parse("52:54:00:12:34:56", mac), 0);
	assert_memory_equal(mac, mac_qemu, ETH_ALEN);
	memset(mac, 0, sizeof(mac));
	assert_int_equal(parse("52-54-00-12-34-56", mac), 0);
	assert_memory_equal(mac, mac_qemu, ETH_ALEN);
	assert_int_equal(parse("FF:ff:Ff:fF:FF:ff", mac), 0);
	assert_memory_equal(mac, mac_bcast, ETH_ALEN);
	assert_int_equal(parse("00:00:00:00:00:00", mac), 0);
	assert_memory_equal(mac, mac_zero, ETH_ALEN);
	assert_int_equal(parse("aB:cD:eF:01:9a:F0", mac), 0);
	assert_memory_equal(mac, "\xab\xcd\xef\x01\x9a\xf0", ETH_ALEN);
}

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"5",
		"52",
		"52:",
		"52:54:00:12:34",
		"52:54:00:12:34:",
		"52:54:00:12:34:5",
		"52:54:00:12:34:567",
		"52:54:00:12:34:56:",
		"52:54:00:12:34:56:78",
		"5:54:00:12:34:56",
		"52:54:0:12:34:56",
		"52::54:00:12:34:56",
		":52:54:00:12:34:56",
		"52:54:00:12:34:5g",
		"g2:54:00:12:34:56",
		"52.54.00.12.34.56",
		"52 54 00 12 34 56",
		"525400123456",
		"5254.0012.3456",
		" 52:54:00:12:34:56",
		"52:54:00:12:34:56 ",
		"52:54:00:12:34:56\n",
		"0x52:54:00:12:34:56",
		"+2:54:00:12:34:56",
		"52:54:00:12:34:-6",
		"52:54:00:12:34:56:78:9a:bc:de:f0:12",
	};
	uint8_t mac[ETH_ALEN];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse(bad[i], mac) != -1)
			fail_msg("'%s' taken as a MAC address", bad[i]);
}

static void
test_round_trip(void **state)
{
	char text[ETH_MAC_STRLEN];
	uint8_t mac[ETH_ALEN], back[ETH_ALEN];
	uint64_t v = 0x0123456789abULL;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		v = (v * 6364136223846793005ULL + 1442695040888963407ULL);
		eth_u64_to_mac(v >> 16, mac);
		eth_mac_format(mac, text);
		assert_int_equal(strlen(text), ETH_MAC_STRLEN - 1);
		assert_int_equal(parse(text, back), 0);
		assert_memory_equal(mac, back, ETH_ALEN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
