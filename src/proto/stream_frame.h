/* SPDX-License-Identifier: MIT */
/*
 * stream_frame.h - QEMU's stream framing: each frame is preceded by its
 * length as a 4-byte big-endian integer.  Used by QEMU 7.2 -netdev stream
 * and the legacy -netdev socket listen=/connect=/fd= (protocols.md §1).
 *
 * The parser is pure: it looks at a byte buffer and says what the next
 * record is, so a stream may be cut anywhere and resumed with more bytes.
 */
#ifndef LANYARD_PROTO_STREAM_FRAME_H
#define LANYARD_PROTO_STREAM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define STREAM_HDR_LEN 4
/* QEMU's NET_BUFSIZE: the longest frame it accepts (4096 + 65536). */
#define STREAM_FRAME_MAX 69632

enum stream_frame_status {
	STREAM_FRAME_OK = 0,	/* a whole record is in the buffer */
	STREAM_FRAME_MORE,	/* need more bytes; nothing consumed */
	STREAM_FRAME_BAD_ZERO,	/* length 0: the peer is broken */
	STREAM_FRAME_BAD_HUGE,	/* length > STREAM_FRAME_MAX */
};

struct stream_frame {
	uint32_t len;		/* frame bytes (valid when OK or MORE with hdr) */
	size_t record_len;	/* STREAM_HDR_LEN + len */
};

enum stream_frame_status stream_frame_next(const uint8_t *buf, size_t avail,
					   struct stream_frame *out);
void stream_frame_hdr(uint8_t hdr[STREAM_HDR_LEN], uint32_t len);
const char *stream_frame_status_str(enum stream_frame_status st);

#endif /* LANYARD_PROTO_STREAM_FRAME_H */
