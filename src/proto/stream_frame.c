/* SPDX-License-Identifier: MIT */
/*
 * stream_frame.c - the 4-byte length framing of QEMU stream sockets.
 */
#include "proto/stream_frame.h"

/**
 * stream_frame_next() - classify the record at the start of @buf
 * @buf:   received bytes, starting at a record boundary
 * @avail: how many
 * @out:   the frame's length and the record's length when OK; when MORE
 *         after a complete header, the same (so the caller knows how much
 *         to wait for), else zeroed
 *
 * A bad length is reported as soon as the header is complete: the stream
 * cannot be resynchronised after it.
 *
 * Return: an enum stream_frame_status.
 */
enum stream_frame_status
stream_frame_next(const uint8_t *buf, size_t avail, struct stream_frame *out)
{
	uint32_t len;

	out->len = 0;
	out->record_len = 0;
	if (avail < STREAM_HDR_LEN)
		return STREAM_FRAME_MORE;
	len = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	      (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
	if (len == 0)
		return STREAM_FRAME_BAD_ZERO;
	if (len > STREAM_FRAME_MAX)
		return STREAM_FRAME_BAD_HUGE;
	out->len = len;
	out->record_len = STREAM_HDR_LEN + (size_t)len;
	return avail >= out->record_len ? STREAM_FRAME_OK : STREAM_FRAME_MORE;
}

/**
 * stream_frame_hdr() - write the record header for a frame of @len bytes
 * @hdr: four bytes
 * @len: frame length
 */
void
stream_frame_hdr(uint8_t hdr[STREAM_HDR_LEN], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

/**
 * stream_frame_status_str() - a short name for a bad status, for counters
 * and logs
 * @st: the status
 *
 * Return: a static string.
 */
const char *
stream_frame_status_str(enum stream_frame_status st)
{
	switch (st) {
	case STREAM_FRAME_OK:
		return "ok";
	case STREAM_FRAME_MORE:
		return "incomplete";
	case STREAM_FRAME_BAD_ZERO:
		return "zero length";
	case STREAM_FRAME_BAD_HUGE:
		return "length above 69632";
	}
	return "?";
}
