/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gso.c - a virtio_net_hdr and the frame after it, as a tap or a
 * vhost-user guest hands them over: what port.c does with a header
 * vnet_hdr_parse() accepted (fuzz_vnet checks the parser), csum_finish()
 * or gso_start() and gso_next() over every segment.  Checks: a finished
 * checksum verifies
 * and nothing else in the frame changes; gso_start() gives 1 to
 * GSO_SEGS_MAX segments and gso_next() exactly that many, each within the
 * output buffer and starting with the frame's addresses, a buffer one byte
 * short moving nothing.  csum_detect_partial()'s guesses go through the
 * same checks.  Header, frame and output are exact-size heap
 * buffers, so ASan sees any access past them.
 */
#include "proto/gso.h"

#include "core/util.h"
#include "proto/eth.h"
#include "proto/vnet.h"

#include "fuzz.h"

#define OUT_CAP (PKT_FRAME_MAX_DEFAULT + 8)

/* The one's complement sum of @len bytes plus @sum, folded. */
static uint16_t
sum16(const uint8_t *p, uint32_t len, uint64_t sum)
{
	for (uint32_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < len ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* csum_finish(): only the field changes, and the result verifies. */
static void
check_csum(uint8_t *frame, uint32_t len, struct pkt_off *off)
{
	uint8_t *before = fuzz_dup(frame, len);
	uint32_t start = off->csum_start, field = start + off->csum_offset;
	uint16_t off_before = off->csum_offset;
	bool needed = off->flags & VNET_HDR_F_NEEDS_CSUM;
	const char *why = NULL;
	uint16_t pseudo = 0;

	if (needed)
		pseudo = (uint16_t)(frame[field] << 8 | frame[field + 1]);
	FUZZ_CHECK(csum_finish(frame, len, off, &why) == 0);
	FUZZ_CHECK(!off->flags && !off->csum_start && !off->gso_type);
	if (needed) {
		/* The verifier adds the pseudo-header the field held.  At an
		 * odd offset the field straddles two words and verifies
		 * nothing, for the kernel as here. */
		if (!(off_before & 1))
			FUZZ_CHECK(sum16(frame + start, len - start, pseudo) ==
			           0xffff);
		memcpy(frame + field, before + field, 2);
	}
	FUZZ_CHECK(memcmp(before, frame, len) == 0);
	free(before);
}

/* gso_next() with a buffer one byte short of the first segment. */
static void
check_short_cap(const uint8_t *frame, uint32_t len, const struct pkt_off *off,
                const uint8_t *first, uint32_t first_len, uint8_t *out)
{
	struct gso_iter it;
	const char *why;

	FUZZ_CHECK(gso_start(&it, frame, len, off, &why) > 0);
	FUZZ_CHECK(gso_next(&it, out, first_len - 1) == 0);
	FUZZ_CHECK(gso_next(&it, out, first_len) == first_len);
	FUZZ_CHECK(memcmp(out, first, first_len) == 0);
}

static void
check_gso(const uint8_t *frame, uint32_t len, const struct pkt_off *off)
{
	uint8_t *out = malloc(OUT_CAP), *first = malloc(OUT_CAP);
	uint32_t seg_len, first_len = 0;
	const char *why = NULL;
	struct gso_iter it;
	int n, count = 0;

	if (!out || !first)
		abort();
	n = gso_start(&it, frame, len, off, &why);
	if (n < 0) {
		FUZZ_CHECK(n == -1 && why && *why);
		goto out;
	}
	FUZZ_CHECK(n >= 1 && n <= GSO_SEGS_MAX);
	while ((seg_len = gso_next(&it, out, OUT_CAP))) {
		FUZZ_CHECK(seg_len <= OUT_CAP && seg_len > ETH_HDR_LEN);
		FUZZ_CHECK(memcmp(out, frame, 2 * ETH_ALEN) == 0);
		if (!count++) {
			memcpy(first, out, seg_len);
			first_len = seg_len;
		}
	}
	FUZZ_CHECK(count == n);
	FUZZ_CHECK(gso_next(&it, out, OUT_CAP) == 0);
	check_short_cap(frame, len, off, first, first_len, out);
out:
	free(first);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_off off;
	const char *why = NULL;
	uint8_t *hdr, *frame;
	uint32_t len;

	/* a header, and no frame beyond 4 GiB to keep the cast honest */
	if (size < VNET_HDR_LEN || size - VNET_HDR_LEN > UINT32_MAX)
		return 0;
	len = (uint32_t)(size - VNET_HDR_LEN);
	hdr = fuzz_dup(data, VNET_HDR_LEN);
	frame = fuzz_dup(data + VNET_HDR_LEN, len);
	/* what a vxlan port makes of a frame it received: a guess that
	 * port_xmit() must be able to carry out (the first header byte
	 * picks the link's frame size) */
	off = (struct pkt_off){ 0 };
	if (csum_detect_partial(frame, len, 64u + hdr[0] * 8u, &off)) {
		FUZZ_CHECK(off.flags == VNET_HDR_F_NEEDS_CSUM);
		FUZZ_CHECK(off.csum_start >= ETH_HDR_LEN &&
		           off.csum_start + off.csum_offset + 2u <= len);
		if (off.gso_type)
			check_gso(frame, len, &off);
		else
			check_csum(frame, len, &off);
	} else {
		FUZZ_CHECK(!off.flags && !off.gso_type && !off.csum_start);
	}
	/* what a port hands port_xmit(): headers vnet_hdr_parse() took
	 * (fuzz_vnet checks the parser itself) */
	if (vnet_hdr_parse(hdr, len, &off, &why) != 0)
		goto out;
	if (off.gso_type)
		check_gso(frame, len, &off);
	else
		check_csum(frame, len, &off);
out:
	free(frame);
	free(hdr);
	return 0;
}
