/* SPDX-License-Identifier: MIT */
/*
 * fuzz_eth.c - the Ethernet helpers on outside bytes: the input is a
 * received frame (header fields, address classes, the u64 form the FDB
 * keys on, text formatting) and also the text of a MAC address as the
 * control socket receives it (eth_mac_parse(), then back through
 * eth_mac_format(), which must give the same address).
 */
#include "proto/eth.h"

#include "fuzz.h"

static void
check_mac_roundtrip(const uint8_t *mac)
{
	char text[ETH_MAC_STRLEN];
	uint8_t back[ETH_ALEN];

	eth_u64_to_mac(eth_mac_to_u64(mac), back);
	FUZZ_CHECK(memcmp(back, mac, ETH_ALEN) == 0);
	FUZZ_CHECK(eth_mac_to_u64(mac) >> 48 == 0);
	eth_mac_format(mac, text);
	FUZZ_CHECK(strlen(text) == ETH_MAC_STRLEN - 1);
	FUZZ_CHECK(eth_mac_parse(text, back) == 0);
	FUZZ_CHECK(memcmp(back, mac, ETH_ALEN) == 0);
}

static void
check_frame(const uint8_t *frame, size_t len)
{
	if (len < ETH_HDR_LEN)
		return;
	FUZZ_CHECK(eth_dst(frame) == frame);
	FUZZ_CHECK(eth_src(frame) == frame + ETH_ALEN);
	FUZZ_CHECK(eth_type(frame) == (frame[12] << 8 | frame[13]));
	FUZZ_CHECK(eth_is_multicast(eth_dst(frame)) == (frame[0] & 1));
	if (eth_is_valid_src(eth_src(frame)))
		FUZZ_CHECK(!eth_is_multicast(eth_src(frame)) &&
			   eth_mac_to_u64(eth_src(frame)) != 0);
	check_mac_roundtrip(eth_dst(frame));
	check_mac_roundtrip(eth_src(frame));
}

static void
check_text(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	uint8_t mac[ETH_ALEN];

	if (eth_mac_parse(s, mac) == 0) {
		FUZZ_CHECK(strlen(s) == ETH_MAC_STRLEN - 1);
		check_mac_roundtrip(mac);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *frame = fuzz_dup(data, size);

	check_frame(frame, size);
	free(frame);
	check_text(data, size);
	return 0;
}
