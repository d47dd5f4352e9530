/* SPDX-License-Identifier: MIT */
/*
 * test_gso.c - software offloads (src/proto/gso.h, src/proto/gso.c)
 * against the kernel: every vector in tests/unit/data/gso/ (a vnet header
 * and frame written to a tap, and what Linux sent after segmenting or
 * checksumming it; see capture.py there for how they were made and for
 * the file format) must come out byte for byte; then the contract of
 * csum_finish(), and hostile requests and frames built here: hdr_len past
 * the end, gso_size 0 or tiny, csum_start elsewhere than L4, cut headers,
 * lying IP lengths, versions and protocols not matching the GSO type, too
 * many segments, a short output buffer, and mutated vectors (never a read
 * or write out of bounds, which ASan builds check).
 */
#include <dirent.h>
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
#include "proto/gso.h"
#include "proto/vnet.h"

#ifndef GSO_DATA_DIR
#error "GSO_DATA_DIR must name tests/unit/data/gso (see meson.build)"
#endif

#define OUT_CAP (PKT_FRAME_MAX_DEFAULT + 64)
#define VEC_MIN 30 /* capture.py writes 41; fewer means files went missing */
#define GUARD 0xa5

/* One vector file, see capture.py.  Pointers go into 'blob'. */
struct vec {
	char name[64];
	uint8_t *blob;
	const char *desc; /* not terminated: desc_len bytes */
	uint32_t desc_len;
	uint32_t skip_off, skip_len;
	const uint8_t *in; /* vnet header + frame */
	uint32_t in_len;
	uint32_t n_segs;
	const uint8_t **segs;
	uint32_t *seg_lens;
};

static uint8_t out_buf[OUT_CAP];

static uint8_t *
dup_exact(const uint8_t *p, uint32_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Take @n bytes from the file at *@pos, failing the test past its end. */
static const uint8_t *
take(const struct vec *v, size_t size, size_t *pos, size_t n)
{
	const uint8_t *p = v->blob + *pos;

	if (n > size - *pos)
		fail_msg("%s: file cut short", v->name);
	*pos += n;
	return p;
}

static void
vec_load(struct vec *v, const char *name)
{
	char path[512];
	size_t size, pos = 8;
	FILE *f;
	long end;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", GSO_DATA_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	end = ftell(f);
	assert_true(end > 8);
	size = (size_t)end;
	rewind(f);
	v->blob = malloc(size);
	assert_non_null(v->blob);
	assert_int_equal(fread(v->blob, 1, size, f), size);
	fclose(f);
	assert_memory_equal(v->blob, "LYGSOV1\n", 8);
	v->desc_len = le32(take(v, size, &pos, 4));
	v->desc = (const char *)take(v, size, &pos, v->desc_len);
	v->skip_off = le32(take(v, size, &pos, 4));
	v->skip_len = le32(take(v, size, &pos, 4));
	v->in_len = le32(take(v, size, &pos, 4));
	v->in = take(v, size, &pos, v->in_len);
	assert_true(v->in_len >= VNET_HDR_LEN);
	v->n_segs = le32(take(v, size, &pos, 4));
	assert_true(v->n_segs <= GSO_SEGS_MAX);
	v->segs = calloc(v->n_segs + 1, sizeof(*v->segs));
	v->seg_lens = calloc(v->n_segs + 1, sizeof(*v->seg_lens));
	assert_true(v->segs && v->seg_lens);
	for (uint32_t i = 0; i < v->n_segs; i++) {
		v->seg_lens[i] = le32(take(v, size, &pos, 4));
		v->segs[i] = take(v, size, &pos, v->seg_lens[i]);
	}
	assert_int_equal(pos, size);
}

/* Loads vector @name into @v; returns its input frame, exact-size. */
static uint8_t *
vec_frame(struct vec *v, const char *name, uint32_t *len)
{
	vec_load(v, name);
	*len = v->in_len - VNET_HDR_LEN;
	return dup_exact(v->in + VNET_HDR_LEN, *len);
}

static void
vec_free(struct vec *v)
{
	free(v->blob);
	free(v->segs);
	free(v->seg_lens);
}

/* @got must be segment @i of @v, but for the bytes the vector skips. */
static void
expect_seg(const struct vec *v, uint32_t i, const uint8_t *got, uint32_t len)
{
	const uint8_t *want = v->segs[i];

	if (len != v->seg_lens[i])
		fail_msg("%s (%.*s): segment %u: %u bytes, the kernel's %u",
		         v->name, (int)v->desc_len, v->desc, i, len,
		         v->seg_lens[i]);
	for (uint32_t b = 0; b < len; b++) {
		if (b >= v->skip_off && b - v->skip_off < v->skip_len)
			continue;
		if (got[b] != want[b])
			fail_msg("%s (%.*s): segment %u byte %u: 0x%02x, the "
			         "kernel's 0x%02x",
			         v->name, (int)v->desc_len, v->desc, i, b,
			         got[b], want[b]);
	}
}

/* A vector whose header vnet_hdr_parse() takes: run what port.c runs. */
static void
run_vector(const struct vec *v, const struct pkt_off *off, uint8_t *frame,
           uint32_t len)
{
	uint8_t skipped[4] = {0};
	struct pkt_off o = *off;
	struct gso_iter it;
	const char *why = NULL;
	int n;

	if (!off->gso_type) {
		n = csum_finish(frame, len, &o, &why);
		assert_int_equal(n, v->n_segs ? 0 : -1);
		if (n == 0) {
			assert_int_equal(v->n_segs, 1);
			expect_seg(v, 0, frame, len);
			assert_int_equal(o.flags, 0);
		}
		return;
	}
	n = gso_start(&it, frame, len, off, &why);
	if (!v->n_segs) {
		if (n != -1)
			fail_msg("%s: the kernel dropped it, gso_start gave %d",
			         v->name, n);
		assert_non_null(why);
		return;
	}
	if (n != (int)v->n_segs)
		fail_msg("%s: %d segments, the kernel's %u (%s)", v->name, n,
		         v->n_segs, n < 0 ? why : "");
	for (uint32_t i = 0; i < v->n_segs; i++) {
		uint32_t got = gso_next(&it, out_buf, sizeof(out_buf));

		expect_seg(v, i, out_buf, got);
		if (!v->skip_len)
			continue;
		/* the bytes the kernel draws at random: ours agree, never 0 */
		assert_true(v->skip_len <= sizeof(skipped));
		if (i == 0)
			memcpy(skipped, out_buf + v->skip_off, v->skip_len);
		assert_memory_equal(skipped, out_buf + v->skip_off,
		                    v->skip_len);
		assert_true(le32(skipped) != 0);
	}
	assert_int_equal(gso_next(&it, out_buf, sizeof(out_buf)), 0);
}

static void
check_vector(const char *name, unsigned int *kinds)
{
	struct pkt_off off;
	const char *why = NULL;
	struct vec v;
	uint32_t len;
	uint8_t *frame = vec_frame(&v, name, &len);

	if (vnet_hdr_parse(v.in, len, &off, &why) != 0) {
		if (v.n_segs)
			fail_msg("%s: the parser refused what the kernel took: "
			         "%s",
			         name, why);
	} else {
		run_vector(&v, &off, frame, len);
		*kinds |= 1u << (off.gso_type & 0x7f);
	}
	free(frame);
	vec_free(&v);
}

static bool
is_vector(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".vec") == 0;
}

/* Runs @fn on every captured vector; returns how many there are. */
static unsigned int
each_vector(void (*fn)(const char *name, unsigned int *a, unsigned int *b),
            unsigned int *a, unsigned int *b)
{
	unsigned int count = 0;
	struct dirent *e;
	DIR *d = opendir(GSO_DATA_DIR);

	if (!d)
		fail_msg("cannot open %s", GSO_DATA_DIR);
	while ((e = readdir(d)))
		if (is_vector(e->d_name)) {
			fn(e->d_name, a, b);
			count++;
		}
	closedir(d);
	return count;
}

static void
check_vector_kinds(const char *name, unsigned int *kinds, unsigned int *unused)
{
	(void)unused;
	check_vector(name, kinds);
}

/* Every captured vector, byte for byte. */
static void
test_kernel_vectors(void **state)
{
	unsigned int kinds = 0;

	(void)state;
	assert_true(each_vector(check_vector_kinds, &kinds, NULL) >= VEC_MIN);
	/* plain checksums, TCPv4, UFO, TCPv6 and USO all seen */
	assert_int_equal(kinds, 1u << VNET_GSO_NONE | 1u << VNET_GSO_TCPV4 |
	                                1u << VNET_GSO_UDP |
	                                1u << VNET_GSO_TCPV6 |
	                                1u << VNET_GSO_UDP_L4);
}

/*
 * csum_detect_partial() on the kernel's frames: each input whose header
 * asks for a checksum at its L4 header is recognised, with the same
 * offsets; no segment the kernel finished is.  A TCP super-frame longer
 * than the link becomes one that segments to the link's size.
 */
static void
detect_vector(const char *name, unsigned int *found, unsigned int *resegged)
{
	struct pkt_off off, d = {0};
	const char *why = NULL;
	struct vec v;
	uint32_t len;
	uint8_t *frame = vec_frame(&v, name, &len);
	for (uint32_t i = 0; i < v.n_segs; i++) {
		d = (struct pkt_off){0};
		if (csum_detect_partial(v.segs[i], v.seg_lens[i], 65535, &d))
			fail_msg("%s: segment %u taken for a partial checksum",
			         name, i);
	}
	if (vnet_hdr_parse(v.in, len, &off, &why) == 0 &&
	    (off.flags & VNET_HDR_F_NEEDS_CSUM) && v.n_segs &&
	    csum_detect_partial(frame, len, 65535, &d)) {
		assert_int_equal(d.csum_start, off.csum_start);
		assert_int_equal(d.csum_offset, off.csum_offset);
		assert_int_equal(d.gso_type, 0);
		(*found)++;
		d = (struct pkt_off){0};
		if ((off.gso_type & 0x7f) == VNET_GSO_TCPV4 ||
		    (off.gso_type & 0x7f) == VNET_GSO_TCPV6) {
			struct gso_iter it;
			int n;

			assert_true(csum_detect_partial(frame, len, 600, &d));
			assert_int_equal(d.gso_type, off.gso_type & 0x7f);
			assert_int_equal(d.hdr_len + d.gso_size, 600);
			n = gso_start(&it, frame, len, &d, &why);
			assert_true(n > 1);
			for (int k = 0; k < n; k++)
				assert_true(gso_next(&it, out_buf,
				                     sizeof(out_buf)) <= 600);
			(*resegged)++;
		}
	}
	free(frame);
	vec_free(&v);
}

static void
test_detect_partial_vectors(void **state)
{
	unsigned int found = 0, resegged = 0;

	(void)state;
	each_vector(detect_vector, &found, &resegged);
	print_message("partial: %u recognised, %u cut to the link\n", found,
	              resegged);
	/* most vectors are real flows; the hand-made ones lie on purpose */
	assert_true(found >= 20);
	assert_true(resegged >= 8);
}

/* --- Frames built here ---------------------------------------------- */

struct frame {
	uint8_t b[OUT_CAP];
	uint32_t len;
	uint32_t l3, l4;
	struct pkt_off off;
};

static const uint8_t macs[2 * ETH_ALEN] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

static uint16_t
sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < len ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo-header sum of the L4 bytes from @l4 to @len of @f. */
static uint16_t
pseudo(const uint8_t *f, uint32_t l3, uint32_t l4, uint32_t len, uint8_t p)
{
	uint32_t l4_len = len - l4;

	if (f[l3] >> 4 == 4)
		return sum16(f + l3 + 12, 8, p + l4_len);
	return sum16(f + l3 + 8, 32, p + (l4_len >> 16) + (l4_len & 0xffff));
}

/*
 * A super-frame as a stack sends one: Ethernet, IPv4 (id 0x1000, DF) or
 * IPv6, TCP (doff 5, ACK|PSH) or UDP, @payload patterned bytes, the
 * pseudo-header sum in the checksum field, and its vnet request.
 */
static void
build(struct frame *f, uint8_t type, bool ipv6, uint32_t payload,
      uint16_t gso_size)
{
	bool tcp = type == VNET_GSO_TCPV4 || type == VNET_GSO_TCPV6;
	uint32_t l4_len = (tcp ? 20 : 8) + payload;
	uint8_t *ip, *l4;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, macs, sizeof(macs));
	put_be16(f->b + 12, ipv6 ? 0x86dd : 0x0800);
	f->l3 = ETH_HDR_LEN;
	f->l4 = f->l3 + (ipv6 ? 40 : 20);
	f->len = f->l4 + l4_len;
	assert_true(f->len <= sizeof(f->b));
	ip = f->b + f->l3;
	l4 = f->b + f->l4;
	if (ipv6) {
		ip[0] = 0x60;
		put_be16(ip + 4, (uint16_t)l4_len);
		ip[6] = tcp ? 6 : 17;
		ip[7] = 64;
		ip[8] = ip[24] = 0xfd;
		ip[23] = 1;
		ip[39] = 2;
	} else {
		ip[0] = 0x45;
		put_be16(ip + 2, (uint16_t)(f->len - f->l3));
		put_be16(ip + 4, 0x1000);
		put_be16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = tcp ? 6 : 17;
		ip[12] = ip[16] = 10;
		ip[15] = 1;
		ip[19] = 2;
		put_be16(ip + 10, (uint16_t)~sum16(ip, 20, 0));
	}
	put_be16(l4, 40000);
	put_be16(l4 + 2, 80);
	if (tcp) {
		put_be16(l4 + 6, 0x1234); /* sequence 0x1234 */
		l4[12] = 5 << 4;
		l4[13] = 0x18;
		put_be16(l4 + 14, 65535);
	} else {
		put_be16(l4 + 4, (uint16_t)l4_len);
	}
	for (uint32_t i = 0; i < payload; i++)
		l4[(tcp ? 20 : 8) + i] = (uint8_t)(i * 7 + i / 251);
	put_be16(l4 + (tcp ? 16 : 6),
	         pseudo(f->b, f->l3, f->l4, f->len, tcp ? 6 : 17));
	f->off = (struct pkt_off){
		.flags = VNET_HDR_F_NEEDS_CSUM,
		.gso_type = type,
		.hdr_len = (uint16_t)(f->l4 + (tcp ? 20 : 8)),
		.gso_size = gso_size,
		.csum_start = (uint16_t)f->l4,
		.csum_offset = tcp ? 16 : 6,
	};
}

/* gso_start() on an exact-size copy of @f (ASan sees any overread). */
static int
start_copy(const struct frame *f, const struct pkt_off *off, uint32_t len,
           const char **why)
{
	uint8_t *copy = dup_exact(f->b, len);
	struct gso_iter it;
	int n;

	*why = NULL;
	n = gso_start(&it, copy, len, off, why);
	if (n > 0)
		while (gso_next(&it, out_buf, sizeof(out_buf)))
			;
	free(copy);
	return n;
}

static void
expect_refused(const struct frame *f, const struct pkt_off *off, uint32_t len)
{
	const char *why;
	int n = start_copy(f, off, len, &why);

	if (n != -1)
		fail_msg("accepted (%d segments)", n);
	assert_non_null(why);
}

/*
 * Each segment of @f checks out on its own: IPv4 header checksum, and
 * (TCP, USO) the L4 checksum over the pseudo-header; sequence numbers
 * and payload follow on.  Returns the count.
 */
static int
segment_and_verify(const struct frame *f)
{
	bool tcp = f->off.gso_type == VNET_GSO_TCPV4 ||
	           f->off.gso_type == VNET_GSO_TCPV6;
	uint32_t hdr = f->l4 + (tcp ? 20 : 8), pos = hdr;
	struct gso_iter it;
	const char *why;
	uint32_t len;
	int n = gso_start(&it, f->b, f->len, &f->off, &why), i = 0;

	assert_true(n > 0);
	while ((len = gso_next(&it, out_buf, sizeof(out_buf)))) {
		const uint8_t *l4 = out_buf + f->l4;

		if (f->b[f->l3] >> 4 == 4) {
			assert_int_equal(sum16(out_buf + f->l3, 20, 0), 0xffff);
			assert_int_equal(get_be16(out_buf + f->l3 + 2),
			                 len - f->l3);
		}
		assert_int_equal(
			sum16(l4, len - f->l4,
		              pseudo(out_buf, f->l3, f->l4, len, tcp ? 6 : 17)),
			0xffff);
		if (tcp)
			assert_int_equal(get_be32(l4 + 4), 0x1234 + pos - hdr);
		assert_memory_equal(out_buf + hdr, f->b + pos, len - hdr);
		pos += len - hdr;
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(pos, f->len);
	return n;
}

/* --- csum_finish() -------------------------------------------------- */

static void
test_csum_finish_contract(void **state)
{
	static struct frame f;
	struct pkt_off off;
	const char *why = NULL;
	uint8_t before[256];

	(void)state;
	build(&f, VNET_GSO_UDP_L4, false, 100, 0);
	off = f.off;
	off.gso_type = VNET_GSO_NONE;
	off.gso_size = off.hdr_len = 0;
	memcpy(before, f.b, f.len);

	/* GSO, or offsets outside the frame: refused, frame untouched */
	f.off.gso_size = 1000;
	assert_int_equal(csum_finish(f.b, f.len, &f.off, &why), -1);
	assert_non_null(why);
	off.csum_offset = (uint16_t)(f.len - f.l4 - 1);
	assert_int_equal(csum_finish(f.b, f.len, &off, &why), -1);
	off.csum_offset = 6;
	off.csum_start = 10;
	assert_int_equal(csum_finish(f.b, f.len, &off, &why), -1);
	off.csum_start = 0xffff;
	assert_int_equal(csum_finish(f.b, f.len, &off, &why), -1);
	assert_memory_equal(before, f.b, f.len);

	/* done: the datagram checks out, the state is cleared */
	off.csum_start = (uint16_t)f.l4;
	assert_int_equal(csum_finish(f.b, f.len, &off, &why), 0);
	assert_int_equal(sum16(f.b + f.l4, f.len - f.l4,
	                       pseudo(f.b, f.l3, f.l4, f.len, 17)),
	                 0xffff);
	assert_int_equal(off.flags, 0);
	assert_int_equal(off.csum_start, 0);

	/* nothing asked: nothing done */
	memcpy(before, f.b, f.len);
	off = (struct pkt_off){.flags = VNET_HDR_F_DATA_VALID};
	assert_int_equal(csum_finish(f.b, f.len, &off, &why), 0);
	assert_int_equal(off.flags, 0);
	assert_memory_equal(before, f.b, f.len);
}

/* A sum folding to zero is written 0xffff, TCP and UDP alike. */
static void
test_csum_finish_zero(void **state)
{
	static const char *const names[] = {"csum_udp4_zero.vec",
	                                    "csum_tcp4_zero.vec"};

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		struct pkt_off off;
		const char *why;
		struct vec v;
		uint32_t len, field;
		uint8_t *frame = vec_frame(&v, names[i], &len);

		assert_int_equal(vnet_hdr_parse(v.in, len, &off, &why), 0);
		field = (uint32_t)off.csum_start + off.csum_offset;
		assert_int_equal(csum_finish(frame, len, &off, &why), 0);
		assert_int_equal(get_be16(frame + field), 0xffff);
		expect_seg(&v, 0, frame, len);
		free(frame);
		vec_free(&v);
	}
}

/* --- gso_start(): the request --------------------------------------- */

static void
test_hdr_len_beyond(void **state)
{
	static struct frame f;
	struct pkt_off off;

	(void)state;
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	off = f.off;
	off.hdr_len = (uint16_t)(f.len + 1);
	expect_refused(&f, &off, f.len);
	off.hdr_len = (uint16_t)f.len;
	assert_int_equal(segment_and_verify(&f), 3);
}

static void
test_gso_size(void **state)
{
	static struct frame f;
	const char *why;

	(void)state;
	build(&f, VNET_GSO_TCPV4, false, 3000, 0);
	expect_refused(&f, &f.off, f.len);
	/* below what the parser lets through, still cut right */
	for (uint16_t size = 1; size <= 9; size++) {
		build(&f, VNET_GSO_TCPV6, true, 100, size);
		assert_int_equal(segment_and_verify(&f),
		                 (100 + size - 1) / size);
		build(&f, VNET_GSO_UDP_L4, false, 100, size);
		assert_int_equal(segment_and_verify(&f),
		                 (100 + size - 1) / size);
	}
	/* UFO with the UDP header over two fragments */
	build(&f, VNET_GSO_UDP, false, 40, 5);
	assert_int_equal(start_copy(&f, &f.off, f.len, &why), 10);
}

static void
test_too_many_segments(void **state)
{
	static struct frame f;
	const char *why;

	(void)state;
	build(&f, VNET_GSO_TCPV6, true, GSO_SEGS_MAX + 1, 1);
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_TCPV6, true, GSO_SEGS_MAX, 1);
	assert_int_equal(start_copy(&f, &f.off, f.len, &why), GSO_SEGS_MAX);
	/* USO: the kernel's 128 */
	build(&f, VNET_GSO_UDP_L4, false, 128 * 10, 10);
	assert_int_equal(segment_and_verify(&f), 128);
	build(&f, VNET_GSO_UDP_L4, false, 128 * 10 + 1, 10);
	expect_refused(&f, &f.off, f.len);
	/* USO and ECN: the tap refuses it */
	build(&f, VNET_GSO_UDP_L4, false, 1000, 100);
	f.off.gso_type |= VNET_GSO_ECN;
	expect_refused(&f, &f.off, f.len);
}

static void
test_csum_start_elsewhere(void **state)
{
	static struct frame f;
	struct pkt_off off;
	static const int moves[] = {-20, -4, -1, 1, 2, 4, 20};

	(void)state;
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	for (unsigned int i = 0; i < ARRAY_SIZE(moves); i++) {
		off = f.off;
		off.csum_start = (uint16_t)(off.csum_start + moves[i]);
		expect_refused(&f, &off, f.len);
	}
	off = f.off;
	off.csum_start = 0xffff;
	expect_refused(&f, &off, f.len);
	off = f.off;
	off.csum_offset = 6;
	expect_refused(&f, &off, f.len);
	off = f.off;
	off.flags = 0;
	expect_refused(&f, &off, f.len);
}

/* --- gso_start(): the frame ----------------------------------------- */

/* Every prefix of a valid frame: refused (the lengths no longer match),
 * never read past. */
/* The GSO types with each IP version they go with. */
static const struct {
	uint8_t type;
	bool ipv6;
} kinds[] = {
	{VNET_GSO_TCPV4, false},  {VNET_GSO_TCPV6, true},
	{VNET_GSO_UDP, false},    {VNET_GSO_UDP, true},
	{VNET_GSO_UDP_L4, false}, {VNET_GSO_UDP_L4, true},
};

static void
test_truncated(void **state)
{
	static struct frame f;

	(void)state;
	for (unsigned int k = 0; k < ARRAY_SIZE(kinds); k++) {
		build(&f, kinds[k].type, kinds[k].ipv6, 300, 100);
		for (uint32_t len = 0; len < f.len; len++)
			expect_refused(&f, &f.off, len);
	}
}

static void
test_cut_headers(void **state)
{
	static struct frame f;
	struct pkt_off off;

	(void)state;
	/* the IPv4 header cut: total length agrees, yet 20 bytes are missing */
	build(&f, VNET_GSO_UDP, false, 0, 100);
	f.len = f.l3 + 10;
	off = f.off;
	off.csum_start = ETH_HDR_LEN;
	off.hdr_len = 0;
	expect_refused(&f, &off, f.len);
	/* TCP header cut at 18 bytes, lengths agreeing */
	build(&f, VNET_GSO_TCPV4, false, 0, 100);
	f.len -= 2;
	put_be16(f.b + f.l3 + 2, (uint16_t)(f.len - f.l3));
	expect_refused(&f, &f.off, f.len);
	/* doff below 5, and options past the end */
	build(&f, VNET_GSO_TCPV4, false, 300, 100);
	f.b[f.l4 + 12] = 4 << 4;
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_TCPV4, false, 30, 10);
	f.b[f.l4 + 12] = 15 << 4;
	expect_refused(&f, &f.off, f.len);
	/* IPv4 ihl below 5, options past the end */
	build(&f, VNET_GSO_TCPV4, false, 300, 100);
	f.b[f.l3] = 0x44;
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_UDP_L4, false, 4, 1);
	f.len = f.l3 + 32;
	f.b[f.l3] = 0x4f;
	put_be16(f.b + f.l3 + 2, 32);
	off = f.off;
	off.csum_start = (uint16_t)(f.l3 + 20);
	expect_refused(&f, &off, f.len);
	/* IPv6 extension header past the end; UFO behind one */
	build(&f, VNET_GSO_UDP_L4, true, 300, 100);
	f.b[f.l3 + 6] = 0;
	f.b[f.l4 + 1] = 200;
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_UDP, true, 300, 100);
	f.b[f.l3 + 6] = 60;
	expect_refused(&f, &f.off, f.len);
	/* only tags, no ethertype after them */
	put_be16(f.b + 12, 0x8100);
	put_be16(f.b + 16, 0x88a8);
	off = f.off;
	off.csum_start = 12;
	off.hdr_len = 0;
	expect_refused(&f, &off, 20);
}

static void
test_ip_length_lies(void **state)
{
	static const int lies[] = {-1, 1, 100};
	static struct frame f;

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(lies); i++) {
		build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
		put_be16(f.b + f.l3 + 2,
		         (uint16_t)(get_be16(f.b + f.l3 + 2) + lies[i]));
		put_be16(f.b + f.l3 + 10, 0);
		put_be16(f.b + f.l3 + 10, (uint16_t)~sum16(f.b + f.l3, 20, 0));
		expect_refused(&f, &f.off, f.len);
		build(&f, VNET_GSO_UDP_L4, true, 3000, 1000);
		put_be16(f.b + f.l3 + 4,
		         (uint16_t)(get_be16(f.b + f.l3 + 4) + lies[i]));
		expect_refused(&f, &f.off, f.len);
	}
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	put_be16(f.b + f.l3 + 2, 0);
	expect_refused(&f, &f.off, f.len);
}

static void
test_type_mismatch(void **state)
{
	static struct frame f;

	(void)state;
	build(&f, VNET_GSO_TCPV6, true, 3000, 1000);
	f.off.gso_type = VNET_GSO_TCPV4;
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	f.off.gso_type = VNET_GSO_TCPV6;
	expect_refused(&f, &f.off, f.len);
	/* IP version against the ethertype */
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	f.b[f.l3] = 0x65;
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_TCPV6, true, 3000, 1000);
	f.b[f.l3] = 0x40;
	expect_refused(&f, &f.off, f.len);
	/* L4 protocol against the type */
	build(&f, VNET_GSO_UDP_L4, false, 3000, 1000);
	f.b[f.l3 + 9] = 6;
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_TCPV6, true, 3000, 1000);
	f.b[f.l3 + 6] = 17;
	expect_refused(&f, &f.off, f.len);
	/* not IP; not a GSO type */
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	put_be16(f.b + 12, 0x0806);
	expect_refused(&f, &f.off, f.len);
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	f.off.gso_type = 2;
	expect_refused(&f, &f.off, f.len);
}

/* A 0x9100 tag is walked like the others (the kernel would drop it). */
static void
test_tag_9100(void **state)
{
	static struct frame f, g;
	static uint8_t first[OUT_CAP];
	struct gso_iter a, b;
	const char *why;
	uint32_t len;

	(void)state;
	build(&f, VNET_GSO_TCPV4, false, 3000, 1000);
	g = f;
	memmove(g.b + 16, g.b + 12, g.len - 12);
	put_be16(g.b + 12, 0x9100);
	put_be16(g.b + 14, 42);
	g.len += 4;
	g.off.csum_start += 4;
	g.off.hdr_len += 4;
	assert_int_equal(gso_start(&a, f.b, f.len, &f.off, &why), 3);
	assert_int_equal(gso_start(&b, g.b, g.len, &g.off, &why), 3);
	while ((len = gso_next(&a, first, sizeof(first)))) {
		assert_int_equal(gso_next(&b, out_buf, sizeof(out_buf)),
		                 len + 4);
		assert_memory_equal(out_buf, first, 12);
		assert_memory_equal(out_buf + 16, first + 12, len - 12);
	}
}

/* A frame the tap would not treat as a super-frame: its checksum only. */
static void
test_not_a_super_frame(void **state)
{
	static struct frame f, g;
	struct gso_iter it;
	const char *why;

	(void)state;
	build(&f, VNET_GSO_TCPV4, false, 1000, 1000);
	g = f;
	assert_int_equal(gso_start(&it, f.b, f.len, &f.off, &why), 1);
	assert_int_equal(gso_next(&it, out_buf, f.len - 1), 0);
	assert_int_equal(gso_next(&it, out_buf, f.len), f.len);
	assert_int_equal(gso_next(&it, out_buf, sizeof(out_buf)), 0);
	g.off.gso_type = 0;
	assert_int_equal(csum_finish(g.b, g.len, &g.off, &why), 0);
	assert_memory_equal(out_buf, g.b, g.len);
}

/* --- gso_next() ----------------------------------------------------- */

static void
test_cap_too_small(void **state)
{
	static struct frame f;
	static uint8_t whole[OUT_CAP];

	(void)state;
	for (unsigned int k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct gso_iter a, b;
		const char *why;
		uint32_t len;

		build(&f, kinds[k].type, kinds[k].ipv6, 2500, 1000);
		assert_int_equal(gso_start(&a, f.b, f.len, &f.off, &why), 3);
		assert_int_equal(gso_start(&b, f.b, f.len, &f.off, &why), 3);
		while ((len = gso_next(&a, whole, sizeof(whole)))) {
			memset(out_buf, GUARD, len);
			assert_int_equal(gso_next(&b, out_buf, 0), 0);
			assert_int_equal(gso_next(&b, out_buf, len - 1), 0);
			assert_int_equal(out_buf[0], GUARD);
			assert_int_equal(gso_next(&b, out_buf, len), len);
			assert_memory_equal(out_buf, whole, len);
		}
		assert_int_equal(gso_next(&b, out_buf, sizeof(out_buf)), 0);
	}
}

static uint32_t
next_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

/*
 * Vectors with bits of the header or frame flipped: whatever the parser
 * and gso_start() make of them, nothing is read or written out of bounds
 * (ASan), segments fit and the count is kept.
 */
static void
mutate_one(const struct vec *v, uint32_t *rng, uint8_t *buf)
{
	uint32_t len = v->in_len, n_flips = 1 + next_rand(rng) % 4;
	struct pkt_off off;
	struct gso_iter it;
	const char *why;
	uint8_t *in = dup_exact(v->in, len), *frame;
	int n;

	/* the first flip among the headers, the others anywhere */
	for (uint32_t i = 0; i < n_flips; i++)
		in[next_rand(rng) % (i ? len : MIN(len, 64u))] ^=
			(uint8_t)(1u << next_rand(rng) % 8);
	/* one time in eight, a few bytes cut off the end too */
	if (next_rand(rng) % 8 == 0)
		len -= next_rand(rng) % MIN(len - VNET_HDR_LEN + 1, 64u);
	frame = dup_exact(in + VNET_HDR_LEN, len - VNET_HDR_LEN);
	if (vnet_hdr_parse(in, len - VNET_HDR_LEN, &off, &why) == 0) {
		if (!off.gso_type) {
			csum_finish(frame, len - VNET_HDR_LEN, &off, &why);
		} else if ((n = gso_start(&it, frame, len - VNET_HDR_LEN, &off,
		                          &why)) > 0) {
			uint32_t got, count = 0;

			memset(buf, GUARD, OUT_CAP);
			while ((got = gso_next(&it, buf, OUT_CAP - 8)))
				count++;
			assert_int_equal(count, n);
			assert_int_equal(buf[OUT_CAP - 8], GUARD);
		}
	}
	free(frame);
	free(in);
}

static void
test_mutated_vectors(void **state)
{
	static const char *const names[] = {
		"tcp4_ipopt.vec", "tcp6_exthdr.vec", "uso6_vlan.vec",
		"ufo6_vlan.vec",  "ufo4_ecn.vec",    "csum_udp6.vec",
	};
	static uint8_t buf[OUT_CAP];
	uint32_t rng = 1;

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		struct vec v;

		vec_load(&v, names[i]);
		for (int r = 0; r < 400; r++)
			mutate_one(&v, &rng, buf);
		vec_free(&v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_vectors),
		cmocka_unit_test(test_detect_partial_vectors),
		cmocka_unit_test(test_csum_finish_contract),
		cmocka_unit_test(test_csum_finish_zero),
		cmocka_unit_test(test_hdr_len_beyond),
		cmocka_unit_test(test_gso_size),
		cmocka_unit_test(test_too_many_segments),
		cmocka_unit_test(test_csum_start_elsewhere),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_cut_headers),
		cmocka_unit_test(test_ip_length_lies),
		cmocka_unit_test(test_type_mismatch),
		cmocka_unit_test(test_tag_9100),
		cmocka_unit_test(test_not_a_super_frame),
		cmocka_unit_test(test_cap_too_small),
		cmocka_unit_test(test_mutated_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
