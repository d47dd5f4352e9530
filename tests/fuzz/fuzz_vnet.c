/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vnet.c - a virtio_net_hdr and the frame after it, as a tap, a
 * packet socket or a vhost-user guest hands them over: vnet_hdr_parse()
 * (src/proto/vnet.c).  Checks: a refusal has a reason and leaves no
 * state; an accepted header keeps its offsets inside the frame, its GSO
 * request passes vnet_gso_check(), and it writes back (vnet_hdr_write())
 * to itself; a receiver taking every offload takes the frame, one taking
 * none only a plain frame; vnet_l3_type() points inside the frame.
 * Header and frame are exact-size heap buffers, so ASan sees any access
 * past them.  The same input format as fuzz_gso, which goes on to
 * checksum and segment what is accepted.
 */
#include "proto/vnet.h"

#include "proto/eth.h"

#include "fuzz.h"

static void
check_header(const uint8_t *hdr, uint32_t len, const struct pkt_off *off)
{
	uint8_t again[VNET_HDR_MRG_LEN];
	struct pkt_off back;
	const char *why = NULL;

	if (off->flags & VNET_HDR_F_NEEDS_CSUM) {
		FUZZ_CHECK(off->csum_start >= ETH_HDR_LEN);
		FUZZ_CHECK((uint32_t)off->csum_start + off->csum_offset + 2 <=
		           len);
	}
	if (off->gso_type) {
		FUZZ_CHECK(off->flags & VNET_HDR_F_NEEDS_CSUM);
		FUZZ_CHECK(off->gso_size >= VNET_GSO_SIZE_MIN);
		FUZZ_CHECK(off->hdr_len <= len);
		FUZZ_CHECK(vnet_gso_check(off, len) == NULL);
	}
	vnet_hdr_write(again, sizeof(again), off);
	FUZZ_CHECK(again[10] == 1 && again[11] == 0);
	FUZZ_CHECK(again[0] ==
	           (hdr[0] & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID)));
	FUZZ_CHECK(vnet_hdr_parse(again, len, &back, &why) == 0);
	FUZZ_CHECK(memcmp(&back, off, sizeof(back)) == 0);
}

static void
check_accepts(const struct pkt_off *off, const uint8_t *frame, uint32_t len)
{
	bool plain = !off->gso_type && !(off->flags & VNET_HDR_F_NEEDS_CSUM);

	FUZZ_CHECK(vnet_off_accepts(VNET_OFF_ALL, off, frame, len));
	FUZZ_CHECK(vnet_off_accepts(0, off, frame, len) == plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_off off;
	const char *why = NULL;
	uint8_t *hdr, *frame;
	uint32_t len, l3 = 0;

	/* a header, and no frame beyond 4 GiB to keep the cast honest */
	if (size < VNET_HDR_LEN || size - VNET_HDR_LEN > UINT32_MAX)
		return 0;
	len = (uint32_t)(size - VNET_HDR_LEN);
	hdr = fuzz_dup(data, VNET_HDR_LEN);
	frame = fuzz_dup(data + VNET_HDR_LEN, len);
	if (vnet_l3_type(frame, len, &l3))
		FUZZ_CHECK(l3 >= ETH_HDR_LEN && l3 <= len);
	if (vnet_hdr_parse(hdr, len, &off, &why) != 0) {
		static const struct pkt_off zero;

		FUZZ_CHECK(why && *why);
		FUZZ_CHECK(memcmp(&off, &zero, sizeof(off)) == 0);
	} else {
		check_header(hdr, len, &off);
		check_accepts(&off, frame, len);
	}
	free(frame);
	free(hdr);
	return 0;
}
