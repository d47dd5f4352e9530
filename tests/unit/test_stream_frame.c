/* SPDX-License-Identifier: MIT */
/*
 * test_stream_frame.c - the 4-byte length framing of QEMU stream sockets
 * (src/proto/stream_frame.c).
 *
 * A small consumer below plays the part of a stream port: it appends bytes
 * as they arrive and calls stream_frame_next() after each arrival, taking
 * every whole record out.  The same byte stream is then cut at every byte
 * boundary (one byte per arrival for the large frames; every single cut and
 * every pair of cuts for a short sequence) and the frames must come out
 * intact, in order, with nothing extra.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/stream_frame.h"

/* The byte at @off of frame @idx: differs between frames and positions. */
static uint8_t
pattern(size_t idx, size_t off)
{
	return (uint8_t)(idx * 37 + off * 7 + (off >> 8) * 13 + 1);
}

/* A byte stream of records, and the frame lengths it carries. */
struct stream {
	uint8_t *bytes;
	size_t len;
	const uint32_t *frame_lens;
	size_t n_frames;
};

static void
stream_build(struct stream *s, const uint32_t *lens, size_t n)
{
	size_t off = 0;

	s->len = 0;
	for (size_t i = 0; i < n; i++)
		s->len += STREAM_HDR_LEN + lens[i];
	s->bytes = malloc(s->len);
	assert_non_null(s->bytes);
	for (size_t i = 0; i < n; i++) {
		stream_frame_hdr(s->bytes + off, lens[i]);
		off += STREAM_HDR_LEN;
		for (size_t j = 0; j < lens[i]; j++)
			s->bytes[off + j] = pattern(i, j);
		off += lens[i];
	}
	s->frame_lens = lens;
	s->n_frames = n;
}

static void
stream_free(struct stream *s)
{
	free(s->bytes);
	s->bytes = NULL;
}

/*
 * The receiving side: bytes pile up in 'buf' (sized for the whole stream,
 * so nothing is moved); 'head' is the start of the first unconsumed record.
 */
struct consumer {
	const struct stream *s;
	uint8_t *buf;
	size_t head;
	size_t fill;
	size_t n_seen;  /* frames taken out so far */
	size_t n_calls; /* stream_frame_next() calls */
};

static void
consumer_init(struct consumer *c, const struct stream *s)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->buf = malloc(s->len ? s->len : 1);
	assert_non_null(c->buf);
}

static void
consumer_fini(struct consumer *c)
{
	free(c->buf);
	c->buf = NULL;
}

static void
check_frame(const struct consumer *c, const uint8_t *frame, uint32_t len)
{
	size_t idx = c->n_seen;

	assert_true(idx < c->s->n_frames);
	assert_int_equal(len, c->s->frame_lens[idx]);
	for (uint32_t j = 0; j < len; j++)
		if (frame[j] != pattern(idx, j))
			fail_msg("frame %zu byte %u: got 0x%02x, want 0x%02x",
			         idx, j, frame[j], pattern(idx, j));
}

/* Deliver @len bytes and take out every whole record now available. */
static void
consumer_feed(struct consumer *c, const uint8_t *data, size_t len)
{
	assert_true(c->fill + len <= c->s->len);
	memcpy(c->buf + c->fill, data, len);
	c->fill += len;
	for (;;) {
		struct stream_frame f = {.len = 12345, .record_len = 678};
		size_t avail = c->fill - c->head;
		enum stream_frame_status st;

		st = stream_frame_next(c->buf + c->head, avail, &f);
		c->n_calls++;
		if (st == STREAM_FRAME_MORE) {
			if (avail > 0)
				assert_true(c->n_seen < c->s->n_frames);
			if (avail < STREAM_HDR_LEN) {
				assert_int_equal(f.len, 0);
				assert_int_equal(f.record_len, 0);
			} else {
				/* Tells the caller how much to wait for. */
				uint32_t want = c->s->frame_lens[c->n_seen];

				assert_int_equal(f.len, want);
				assert_int_equal(f.record_len,
				                 STREAM_HDR_LEN + want);
				assert_true(avail < f.record_len);
			}
			return;
		}
		assert_int_equal(st, STREAM_FRAME_OK);
		assert_int_equal(f.record_len, STREAM_HDR_LEN + (size_t)f.len);
		assert_true(f.record_len <= avail);
		check_frame(c, c->buf + c->head + STREAM_HDR_LEN, f.len);
		c->head += f.record_len;
		c->n_seen++;
	}
}

static void
consumer_done(const struct consumer *c)
{
	assert_int_equal(c->n_seen, c->s->n_frames);
	assert_int_equal(c->head, c->fill);
	assert_int_equal(c->fill, c->s->len);
}

/* Feed @s in pieces ending at the sorted offsets @cuts[0..n_cuts). */
static void
feed_with_cuts(const struct stream *s, const size_t *cuts, size_t n_cuts)
{
	struct consumer c;
	size_t from = 0;

	consumer_init(&c, s);
	for (size_t i = 0; i <= n_cuts; i++) {
		size_t to = i < n_cuts ? cuts[i] : s->len;

		consumer_feed(&c, s->bytes + from, to - from);
		from = to;
	}
	consumer_done(&c);
	consumer_fini(&c);
}

static const uint32_t big_lens[] = {1, 60, 1514, 65550, 69632};
static const uint32_t small_lens[] = {1, 60, 300};

static void
test_big_whole(void **state)
{
	struct stream s;

	(void)state;
	stream_build(&s, big_lens, 5);
	feed_with_cuts(&s, NULL, 0);
	stream_free(&s);
}

/* One byte per arrival: the stream is cut at every byte boundary. */
static void
test_big_byte_by_byte(void **state)
{
	struct stream s;
	struct consumer c;

	(void)state;
	stream_build(&s, big_lens, 5);
	consumer_init(&c, &s);
	for (size_t i = 0; i < s.len; i++)
		consumer_feed(&c, s.bytes + i, 1);
	consumer_done(&c);
	assert_true(c.n_calls >= s.len);
	consumer_fini(&c);
	stream_free(&s);
}

/* Pieces of awkward sizes, so cuts fall everywhere relative to headers. */
static void
test_big_odd_chunks(void **state)
{
	static const size_t chunks[] = {2, 3, 5, 7, 13, 1021, 4093, 65537};
	struct stream s;

	(void)state;
	stream_build(&s, big_lens, 5);
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct consumer c;

		consumer_init(&c, &s);
		for (size_t off = 0; off < s.len; off += chunks[k]) {
			size_t n = s.len - off < chunks[k] ? s.len - off
			                                   : chunks[k];

			consumer_feed(&c, s.bytes + off, n);
		}
		consumer_done(&c);
		consumer_fini(&c);
	}
	stream_free(&s);
}

/* One cut within a header's length of every record boundary. */
static void
test_big_single_cut_near_boundaries(void **state)
{
	struct stream s;
	size_t boundary = 0;

	(void)state;
	stream_build(&s, big_lens, 5);
	for (size_t i = 0; i <= s.n_frames; i++) {
		size_t lo = boundary > 5 ? boundary - 5 : 0;
		size_t hi = boundary + 5 < s.len ? boundary + 5 : s.len;

		for (size_t cut = lo; cut <= hi; cut++)
			feed_with_cuts(&s, &cut, 1);
		if (i < s.n_frames)
			boundary += STREAM_HDR_LEN + s.frame_lens[i];
	}
	stream_free(&s);
}

static void
test_small_every_single_cut(void **state)
{
	struct stream s;

	(void)state;
	stream_build(&s, small_lens, 3);
	for (size_t cut = 0; cut <= s.len; cut++)
		feed_with_cuts(&s, &cut, 1);
	stream_free(&s);
}

static void
test_small_every_pair_of_cuts(void **state)
{
	struct stream s;
	struct consumer c;

	(void)state;
	stream_build(&s, small_lens, 3);
	consumer_init(&c, &s);
	for (size_t a = 0; a <= s.len; a++) {
		for (size_t b = a; b <= s.len; b++) {
			c.head = c.fill = c.n_seen = 0;
			consumer_feed(&c, s.bytes, a);
			consumer_feed(&c, s.bytes + a, b - a);
			consumer_feed(&c, s.bytes + b, s.len - b);
			consumer_done(&c);
		}
	}
	consumer_fini(&c);
	stream_free(&s);
}

/* Many records arriving in one read all come out of one buffer. */
static void
test_many_frames_one_buffer(void **state)
{
	enum { N = 1000 };
	static uint32_t lens[N];
	struct stream s;
	struct consumer c;

	(void)state;
	for (size_t i = 0; i < N; i++)
		lens[i] = (uint32_t)(1 + (i * 97) % 1600);
	lens[N / 2] = STREAM_FRAME_MAX;
	stream_build(&s, lens, N);
	consumer_init(&c, &s);
	consumer_feed(&c, s.bytes, s.len);
	consumer_done(&c);
	/* One call per record, plus the final MORE on the empty rest. */
	assert_int_equal(c.n_calls, N + 1);
	consumer_fini(&c);
	stream_free(&s);
}

static void
test_hdr_encoding(void **state)
{
	uint8_t h[STREAM_HDR_LEN];

	(void)state;
	stream_frame_hdr(h, 0x01020304);
	assert_int_equal(h[0], 0x01);
	assert_int_equal(h[1], 0x02);
	assert_int_equal(h[2], 0x03);
	assert_int_equal(h[3], 0x04);
	stream_frame_hdr(h, 60);
	assert_memory_equal(h, "\x00\x00\x00\x3c", 4);
	stream_frame_hdr(h, 0xffffffff);
	assert_memory_equal(h, "\xff\xff\xff\xff", 4);
}

static enum stream_frame_status
next_with_len(uint32_t len, size_t avail, struct stream_frame *f)
{
	static uint8_t buf[STREAM_HDR_LEN + STREAM_FRAME_MAX + 8];

	stream_frame_hdr(buf, len);
	assert_true(avail <= sizeof(buf));
	f->len = 999;
	f->record_len = 999;
	return stream_frame_next(buf, avail, f);
}

static void
test_zero_length(void **state)
{
	struct stream_frame f;

	(void)state;
	/* Reported as soon as the header is complete, whatever follows. */
	assert_int_equal(next_with_len(0, 4, &f), STREAM_FRAME_BAD_ZERO);
	assert_int_equal(f.len, 0);
	assert_int_equal(f.record_len, 0);
	assert_int_equal(next_with_len(0, 100, &f), STREAM_FRAME_BAD_ZERO);
}

static void
test_limits(void **state)
{
	struct stream_frame f;

	(void)state;
	assert_int_equal(next_with_len(STREAM_FRAME_MAX,
	                               STREAM_HDR_LEN + STREAM_FRAME_MAX, &f),
	                 STREAM_FRAME_OK);
	assert_int_equal(f.len, STREAM_FRAME_MAX);
	assert_int_equal(f.record_len, STREAM_HDR_LEN + STREAM_FRAME_MAX);
	assert_int_equal(next_with_len(STREAM_FRAME_MAX,
	                               STREAM_HDR_LEN + STREAM_FRAME_MAX - 1,
	                               &f),
	                 STREAM_FRAME_MORE);
	assert_int_equal(f.len, STREAM_FRAME_MAX);
	assert_int_equal(f.record_len, STREAM_HDR_LEN + STREAM_FRAME_MAX);
	assert_int_equal(next_with_len(1, 5, &f), STREAM_FRAME_OK);
	assert_int_equal(f.record_len, 5);
	/* Bytes after the record belong to the next record. */
	assert_int_equal(next_with_len(1, 9, &f), STREAM_FRAME_OK);
	assert_int_equal(f.record_len, 5);
}

static void
test_huge(void **state)
{
	static const uint32_t huge[] = {STREAM_FRAME_MAX + 1, 0x00020000,
	                                0x80000000, 0xfffffffe, 0xffffffff};
	struct stream_frame f;

	(void)state;
	assert_int_equal(STREAM_FRAME_MAX, 69632);
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		assert_int_equal(next_with_len(huge[i], 4, &f),
		                 STREAM_FRAME_BAD_HUGE);
		assert_int_equal(f.len, 0);
		assert_int_equal(f.record_len, 0);
		assert_int_equal(next_with_len(huge[i], 64, &f),
		                 STREAM_FRAME_BAD_HUGE);
	}
}

/* Until the header is whole, nothing is judged: even a zero prefix. */
static void
test_partial_header(void **state)
{
	static const uint32_t lens[] = {0, 1, 60, 0xffffffff};
	struct stream_frame f;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t avail = 0; avail < STREAM_HDR_LEN; avail++) {
			assert_int_equal(next_with_len(lens[i], avail, &f),
			                 STREAM_FRAME_MORE);
			assert_int_equal(f.len, 0);
			assert_int_equal(f.record_len, 0);
		}
	}
	/* A NULL buffer with nothing in it is not read. */
	assert_int_equal(stream_frame_next(NULL, 0, &f), STREAM_FRAME_MORE);
}

static void
test_status_str(void **state)
{
	static const enum stream_frame_status all[] = {
		STREAM_FRAME_OK, STREAM_FRAME_MORE, STREAM_FRAME_BAD_ZERO,
		STREAM_FRAME_BAD_HUGE};
	const char *s[4];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		s[i] = stream_frame_status_str(all[i]);
		assert_non_null(s[i]);
		assert_true(s[i][0] != '\0');
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s[i], s[j]);
	}
	assert_non_null(stream_frame_status_str((enum stream_frame_status)77));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_whole),
		cmocka_unit_test(test_big_byte_by_byte),
		cmocka_unit_test(test_big_odd_chunks),
		cmocka_unit_test(test_big_single_cut_near_boundaries),
		cmocka_unit_test(test_small_every_single_cut),
		cmocka_unit_test(test_small_every_pair_of_cuts),
		cmocka_unit_test(test_many_frames_one_buffer),
		cmocka_unit_test(test_hdr_encoding),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_partial_header),
		cmocka_unit_test(test_status_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
