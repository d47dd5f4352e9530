/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stream_frame.c - stream_frame_next() over a received byte stream:
 * consume records the way port/stream.c does until the parser asks for more
 * or rejects a length, checking the contract of every answer (record_len
 * is the header plus the frame, OK never claims more than is available,
 * MORE after a whole header says how much to wait for, a cut inside a
 * record gives MORE).
 */
#include "proto/stream_frame.h"

#include "fuzz.h"

static uint32_t
hdr_len(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Checks one answer; returns the bytes to consume (0: stop). */
static size_t
check_one(const uint8_t *buf, size_t avail)
{
	struct stream_frame f;
	enum stream_frame_status st = stream_frame_next(buf, avail, &f);
	uint8_t hdr[STREAM_HDR_LEN];

	FUZZ_CHECK(stream_frame_status_str(st) != NULL);
	if (avail < STREAM_HDR_LEN) {
		FUZZ_CHECK(st == STREAM_FRAME_MORE);
		FUZZ_CHECK(f.len == 0 && f.record_len == 0);
		return 0;
	}
	switch (st) {
	case STREAM_FRAME_BAD_ZERO:
		FUZZ_CHECK(hdr_len(buf) == 0);
		return 0;
	case STREAM_FRAME_BAD_HUGE:
		FUZZ_CHECK(hdr_len(buf) > STREAM_FRAME_MAX);
		return 0;
	case STREAM_FRAME_MORE:
	case STREAM_FRAME_OK:
		break;
	default:
		FUZZ_CHECK(!"unknown status");
	}
	FUZZ_CHECK(f.len == hdr_len(buf));
	FUZZ_CHECK(f.len >= 1 && f.len <= STREAM_FRAME_MAX);
	FUZZ_CHECK(f.record_len == STREAM_HDR_LEN + (size_t)f.len);
	stream_frame_hdr(hdr, f.len);
	FUZZ_CHECK(memcmp(hdr, buf, STREAM_HDR_LEN) == 0);
	if (st == STREAM_FRAME_MORE) {
		FUZZ_CHECK(f.record_len > avail);
		return 0;
	}
	FUZZ_CHECK(f.record_len <= avail);
	/* The same record cut one byte short must wait, not pass. */
	struct stream_frame cut;

	FUZZ_CHECK(stream_frame_next(buf, f.record_len - 1, &cut) ==
		   STREAM_FRAME_MORE);
	return f.record_len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (;;) {
		size_t used = check_one(data + off, size - off);

		if (!used)
			break;
		off += used;
		FUZZ_CHECK(off <= size);
	}
	return 0;
}
