/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vxlan.c - a UDP payload as a vxlan port receives it from anyone on
 * the underlay: vxlan_parse() (src/proto/vxlan.c).  Checks: a refusal
 * names the first rule broken (short, then flags, then reserved bytes)
 * and leaves the VNI alone; an accepted header has the VNI of bytes 4-6,
 * a whole inner Ethernet header, and vxlan_hdr_write() gives back its 8
 * bytes; vxlan_src_port() on the inner frame, and on the whole input as
 * if it were a frame, gives the same port twice, in its range.  The input
 * is an exact-size heap copy, so ASan sees any read past it.
 */
#include "proto/vxlan.h"

#include "proto/eth.h"

#include "fuzz.h"

static bool
sport_ok(const uint8_t *frame, uint32_t len)
{
	uint16_t p = vxlan_src_port(frame, len);

	/* p <= VXLAN_SPORT_MAX (65535) holds for any u16: one compare */
	return (unsigned int)(p - VXLAN_SPORT_MIN) <=
	               VXLAN_SPORT_MAX - VXLAN_SPORT_MIN &&
	       vxlan_src_port(frame, len) == p;
}

static void
check_refusal(const uint8_t *d, size_t size, enum vxlan_status s)
{
	if (size < VXLAN_HLEN + ETH_HDR_LEN)
		FUZZ_CHECK(s == VXLAN_SHORT);
	else if (d[0] != VXLAN_FLAG_I)
		FUZZ_CHECK(s == VXLAN_BAD_FLAGS);
	else
		FUZZ_CHECK(s == VXLAN_BAD_RESERVED &&
		           (d[1] | d[2] | d[3] | d[7]) != 0);
}

static void
check_accepted(const uint8_t *d, size_t size, uint32_t vni)
{
	uint8_t again[VXLAN_HLEN];

	FUZZ_CHECK(vni == ((uint32_t)d[4] << 16 | (uint32_t)d[5] << 8 | d[6]));
	FUZZ_CHECK(vni <= VXLAN_VNI_MAX);
	FUZZ_CHECK(size - VXLAN_HLEN >= ETH_HDR_LEN);
	vxlan_hdr_write(again, vni);
	FUZZ_CHECK(memcmp(again, d, VXLAN_HLEN) == 0);
	FUZZ_CHECK(sport_ok(d + VXLAN_HLEN, (uint32_t)(size - VXLAN_HLEN)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint32_t untouched = 0xdeadbeef;
	uint32_t vni = untouched;
	enum vxlan_status s;
	uint8_t *d;

	if (size > UINT32_MAX) /* frame lengths are u32 */
		return 0;
	d = fuzz_dup(data, size);
	s = vxlan_parse(d, size, &vni);
	if (s == VXLAN_OK) {
		check_accepted(d, size, vni);
	} else {
		FUZZ_CHECK(vni == untouched);
		check_refusal(d, size, s);
	}
	FUZZ_CHECK(sport_ok(d, (uint32_t)size));
	free(d);
	return 0;
}
