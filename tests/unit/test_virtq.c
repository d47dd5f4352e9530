/* SPDX-License-Identifier: MIT */
/*
 * test_virtq.c - split virtqueues in guest memory, device side
 * (src/proto/virtq.h, src/proto/virtq.c), on rings in ordinary memory.
 *
 * A fake guest shares two 64 KiB regions, adjacent both guest-physically
 * and in the front-end's address space but separate buffers here, and a
 * driver writes descriptors and avail entries as a virtio driver does
 * (little-endian).  Covered: mapping the rings; transmit chains as QEMU
 * lays them out (the header alone, then the frame), single descriptors,
 * indirect tables, buffers straddling two regions; receive into one chain
 * or, mergeable, several, all or nothing; 16-bit indexes wrapping; call
 * and kick suppression with and without EVENT_IDX.  Every hostile chain
 * (loops, indexes beyond the ring, addresses outside memory or wrapping
 * past 2^64, the wrong direction, nested or unnegotiated indirect tables,
 * the avail index jumping) is refused with its reason and given back
 * without costing the chains after it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/virtq.h"

#define R_SIZE 0x10000ull /* each region */
#define R0_GPA 0x100000ull
#define R0_UVA 0x7f3a00100000ull
#define R1_GPA (R0_GPA + R_SIZE) /* adjacent in both spaces */
#define R1_UVA (R0_UVA + R_SIZE)

/* Rings at the start of region 0 (room for num up to 256), buffers after. */
#define DESC_OFF 0x0000u
#define AVAIL_OFF 0x2000u
#define USED_OFF 0x3000u
#define BUF(n) (R0_GPA + 0x4000u + 0x800u * (n))   /* 2 KiB apart */
#define TABLE(n) (R1_GPA + 0x8000u + 0x400u * (n)) /* indirect tables */

#define HDR_LEN 12

/* The case a table-driven test is at, for failure messages (-1: none). */
static long test_case = -1;

struct fake {
	struct vq_mem mem;
	uint8_t *hva[2];
	struct vq q;
	uint16_t num;
	uint16_t avail_idx; /* the driver's copy */
};

/* Little-endian accessors, as the driver sees the rings. */
static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint8_t *
ring(struct fake *f, unsigned int off)
{
	return f->hva[0] + off;
}

/* Our address of one guest-physical byte. */
static uint8_t *
gp(struct fake *f, uint64_t gpa)
{
	uint8_t *p = vq_mem_gpa(&f->mem, gpa, 1);

	assert_non_null(p);
	return p;
}

/* Guest memory, byte by byte, so ranges may cross regions. */
static void
gwrite(struct fake *f, uint64_t gpa, const void *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		*gp(f, gpa + i) = ((const uint8_t *)src)[i];
}

static void
gread(struct fake *f, uint64_t gpa, void *dst, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)dst)[i] = *gp(f, gpa + i);
}

static void
pattern(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static void
desc_in(uint8_t *table, unsigned int i, uint64_t addr, uint32_t len,
        uint16_t flags, uint16_t next)
{
	uint8_t *d = table + 16 * i;

	put64(d, addr);
	put32(d + 8, len);
	put16(d + 12, flags);
	put16(d + 14, next);
}

static void
desc(struct fake *f, unsigned int i, uint64_t addr, uint32_t len,
     uint16_t flags, uint16_t next)
{
	desc_in(ring(f, DESC_OFF), i, addr, len, flags, next);
}

/* An indirect table at @gpa, entry @i. */
static void
idesc(struct fake *f, uint64_t gpa, unsigned int i, uint64_t addr, uint32_t len,
      uint16_t flags, uint16_t next)
{
	desc_in(gp(f, gpa), i, addr, len, flags, next);
}

static void
avail_add(struct fake *f, uint16_t head)
{
	put16(ring(f, AVAIL_OFF + 4 + 2 * (f->avail_idx & (f->num - 1))), head);
	f->avail_idx++;
	put16(ring(f, AVAIL_OFF + 2), f->avail_idx);
}

static void
avail_set_idx(struct fake *f, uint16_t idx)
{
	f->avail_idx = idx;
	put16(ring(f, AVAIL_OFF + 2), idx);
}

static void
avail_flags(struct fake *f, uint16_t flags)
{
	put16(ring(f, AVAIL_OFF), flags);
}

static void
used_event(struct fake *f, uint16_t v)
{
	put16(ring(f, AVAIL_OFF + 4 + 2 * f->num), v);
}

static uint16_t
used_flags(struct fake *f)
{
	return get16(ring(f, USED_OFF));
}

static uint16_t
used_idx(struct fake *f)
{
	return get16(ring(f, USED_OFF + 2));
}

static uint32_t
used_id(struct fake *f, uint16_t k)
{
	return get32(ring(f, USED_OFF + 4 + 8 * (k & (f->num - 1))));
}

static uint32_t
used_len(struct fake *f, uint16_t k)
{
	return get32(ring(f, USED_OFF + 8 + 8 * (k & (f->num - 1))));
}

static uint16_t
avail_event(struct fake *f)
{
	return get16(ring(f, USED_OFF + 4 + 8 * f->num));
}

/* (Re)maps a fresh ring of @num with the features given, indexes at 0. */
static void
fake_ring(struct fake *f, uint16_t num, bool indirect, bool event_idx)
{
	memset(f->hva[0], 0, 0x4000);
	memset(&f->q, 0, sizeof(f->q));
	f->num = num;
	f->avail_idx = 0;
	assert_int_equal(vq_map(&f->q, &f->mem, num, R0_UVA + DESC_OFF,
	                        R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF),
	                 0);
	f->q.indirect = indirect;
	f->q.event_idx = event_idx;
}

static int
setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	for (int i = 0; i < 2; i++) {
		f->hva[i] = aligned_alloc(4096, R_SIZE);
		if (!f->hva[i])
			return -1;
		memset(f->hva[i], 0, R_SIZE);
	}
	f->mem.n = 2;
	f->mem.r[0] = (struct vq_region){R0_GPA, R_SIZE, R0_UVA, f->hva[0]};
	f->mem.r[1] = (struct vq_region){R1_GPA, R_SIZE, R1_UVA, f->hva[1]};
	f->num = 8;
	if (vq_map(&f->q, &f->mem, 8, R0_UVA + DESC_OFF, R0_UVA + AVAIL_OFF,
	           R0_UVA + USED_OFF))
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fake *f = *state;

	free(f->hva[0]);
	free(f->hva[1]);
	free(f);
	return 0;
}

/*
 * vq_tx_frame() on the next chain, expecting refusal @err: the chain is
 * given back (used, length 0) and the ring goes on.
 */
static void
expect_tx_refused(struct fake *f, uint16_t head, int err)
{
	uint8_t hdr[HDR_LEN], buf[2048];
	uint16_t la = f->q.last_avail, ui = f->q.used_idx;
	uint32_t len = 0;
	int r = vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf, sizeof(buf),
	                    &len);

	if (r != err)
		fail_msg("case %ld, head %u: got %d (%s), expected %d (%s)",
		         test_case, head, r, vq_err_name(r), err,
		         vq_err_name(err));
	assert_int_equal(f->q.last_avail, (uint16_t)(la + 1));
	assert_int_equal(f->q.used_idx, (uint16_t)(ui + 1));
	vq_publish(&f->q);
	assert_int_equal(used_idx(f), f->q.used_idx);
	assert_int_equal(used_id(f, ui), head);
	assert_int_equal(used_len(f, ui), 0);
}

/* A good two-descriptor frame through slots 6-7, to show the ring goes on. */
static void
expect_tx_ok_after(struct fake *f)
{
	uint8_t hdr[HDR_LEN], buf[2048], want[300];
	uint32_t len = 0;

	pattern(want, sizeof(want), 99);
	gwrite(f, BUF(30), want, sizeof(want));
	desc(f, 6, BUF(29), HDR_LEN, VRING_DESC_F_NEXT, 7);
	desc(f, 7, BUF(30), sizeof(want), 0, 0);
	avail_add(f, 6);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void
test_mem_translate(void **state)
{
	struct fake *f = *state;
	const struct vq_mem *m = &f->mem;

	assert_ptr_equal(vq_mem_gpa(m, R0_GPA, 1), f->hva[0]);
	assert_ptr_equal(vq_mem_gpa(m, R0_GPA + 5, R_SIZE - 5), f->hva[0] + 5);
	assert_ptr_equal(vq_mem_gpa(m, R1_GPA - 1, 1), f->hva[0] + R_SIZE - 1);
	assert_ptr_equal(vq_mem_gpa(m, R1_GPA, R_SIZE), f->hva[1]);
	/* adjacent regions are still two mappings: no range across them */
	assert_null(vq_mem_gpa(m, R1_GPA - 1, 2));
	assert_null(vq_mem_gpa(m, R1_GPA, R_SIZE + 1));
	assert_null(vq_mem_gpa(m, R0_GPA - 1, 1));
	assert_null(vq_mem_gpa(m, R1_GPA + R_SIZE, 1));
	assert_null(vq_mem_gpa(m, 0, 1));
	assert_null(vq_mem_gpa(m, UINT64_MAX, 1));
	assert_null(vq_mem_gpa(m, UINT64_MAX - 2, 8));
	assert_null(vq_mem_gpa(m, R0_GPA, UINT64_MAX));
	assert_null(vq_mem_gpa(m, R0_GPA + 8, UINT64_MAX - 4));
	/* the two address spaces do not mix */
	assert_null(vq_mem_gpa(m, R0_UVA, 1));
	assert_null(vq_mem_uva(m, R0_GPA, 1));
	assert_ptr_equal(vq_mem_uva(m, R1_UVA + 16, 16), f->hva[1] + 16);
	assert_null(vq_mem_uva(m, R1_UVA - 8, 16));
}

static void
test_map(void **state)
{
	struct fake *f = *state;
	struct vq q;

	assert_int_equal(vq_desc_bytes(256), 4096);
	assert_int_equal(vq_avail_bytes(256), 518);
	assert_int_equal(vq_used_bytes(256), 2054);
	assert_int_equal(vq_desc_bytes(32768), 524288);
	assert_int_equal(vq_used_bytes(32768), 262150);

	memset(&q, 0, sizeof(q));
	q.last_avail = 77; /* SET_VRING_BASE came first */
	q.used_idx = 77;
	assert_int_equal(vq_map(&q, &f->mem, 256, R0_UVA + DESC_OFF,
	                        R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF),
	                 0);
	assert_int_equal(q.num, 256);
	assert_ptr_equal(q.desc, f->hva[0] + DESC_OFF);
	assert_ptr_equal(q.avail, f->hva[0] + AVAIL_OFF);
	assert_ptr_equal(q.used, f->hva[0] + USED_OFF);
	assert_int_equal(q.last_avail, 77);
	assert_int_equal(q.used_idx, 77);
	/* rings in the second region, and the smallest ring */
	assert_int_equal(
		vq_map(&q, &f->mem, 1, R1_UVA, R1_UVA + 16, R1_UVA + 32), 0);
	assert_ptr_equal(q.used, f->hva[1] + 32);

	static const uint16_t bad_num[] = {0, 3, 6, 12, 255, 0xffff, 32767};

	for (size_t i = 0; i < sizeof(bad_num) / sizeof(bad_num[0]); i++) {
		assert_int_equal(vq_map(&q, &f->mem, bad_num[i], R0_UVA,
		                        R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF),
		                 -VQ_E_INDEX);
		assert_null(q.desc);
	}

	static const struct {
		uint16_t num;
		uint64_t desc, avail, used;
	} bad[] = {
		/* misaligned: 16, 2, 4 */
		{8, R0_UVA + 8, R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF},
		{8, R0_UVA, R0_UVA + AVAIL_OFF + 1, R0_UVA + USED_OFF},
		{8, R0_UVA, R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF + 2},
		/* outside the memory */
		{8, R0_UVA - 0x1000, R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF},
		{8, R0_UVA, 0x1000, R0_UVA + USED_OFF},
		{8, R0_UVA, R0_UVA + AVAIL_OFF, R0_GPA + USED_OFF},
		/* running off the end of the last region */
		{8, R0_UVA, R0_UVA + AVAIL_OFF, R1_UVA + R_SIZE - 8},
		{8, R1_UVA + R_SIZE - 64, R0_UVA + AVAIL_OFF, R0_UVA},
		/* across two regions adjacent in the front-end's space */
		{8, R1_UVA - 64, R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF},
		{8, R0_UVA, R1_UVA - 8, R0_UVA + USED_OFF},
		/* a power of 2 whose rings are larger than the memory */
		{32768, R0_UVA, R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF},
		/* at the top of the address space */
		{8, UINT64_MAX - 15, R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = vq_map(&q, &f->mem, bad[i].num, bad[i].desc,
		               bad[i].avail, bad[i].used);

		if (r != -VQ_E_ADDR)
			fail_msg("case %zu: got %d", i, r);
		assert_null(q.desc);
		assert_null(q.avail);
		assert_null(q.used);
	}
}

/*
 * Rings aligned in the front-end's space but not in ours: a region whose
 * mapping starts at an odd offset (SET_MEM_TABLE's mmap_offset is the
 * front-end's choice).  The ring fields are then accessed misaligned
 * (undefined; a fault on some CPUs), so vq_map() must refuse them too.
 */
static void
test_map_misaligned_here(void **state)
{
	struct fake *f = *state;
	struct vq_mem m = {.n = 1};
	struct vq q;

	memset(&q, 0, sizeof(q));
	for (unsigned int shift = 1; shift < 16; shift++) {
		m.r[0] = (struct vq_region){R0_GPA, 0x8000, R0_UVA,
		                            f->hva[0] + shift};
		if (vq_map(&q, &m, 8, R0_UVA + DESC_OFF, R0_UVA + AVAIL_OFF,
		           R0_UVA + USED_OFF) != -VQ_E_ADDR)
			fail_msg("rings taken at %p (hva shifted by %u)",
			         (void *)q.desc, shift);
		assert_null(q.desc);
	}
}

/* The trace from QEMU 7.2 (protocols.md §3): header alone, then 442 bytes. */
static void
test_tx_header_then_frame(void **state)
{
	struct fake *f = *state;
	uint8_t want_hdr[HDR_LEN], want[442], hdr[HDR_LEN], buf[1514];
	uint32_t len = 0;

	fake_ring(f, 8, false, false);
	pattern(want_hdr, sizeof(want_hdr), 1);
	pattern(want, sizeof(want), 2);
	gwrite(f, BUF(0), want_hdr, sizeof(want_hdr));
	gwrite(f, BUF(1), want, sizeof(want));
	avail_flags(f, VRING_AVAIL_F_NO_INTERRUPT);
	desc(f, 0, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 1);
	desc(f, 1, BUF(1), sizeof(want), 0, 0);
	assert_int_equal(vq_avail_count(&f->q), 0); /* the spurious kick */
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 0);
	avail_add(f, 0);
	assert_int_equal(vq_avail_count(&f->q), 1);

	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 442);
	assert_memory_equal(hdr, want_hdr, HDR_LEN);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(f->q.last_avail, 1);
	assert_int_equal(f->q.used_idx, 1);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), 0);
	assert_int_equal(used_idx(f), 0); /* pushed, not yet published */
	vq_publish(&f->q);
	assert_int_equal(used_idx(f), 1);
	assert_false(vq_need_call(&f->q)); /* NO_INTERRUPT */

	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 0);
	assert_int_equal(f->q.last_avail, 1);
	assert_int_equal(f->q.used_idx, 1);
}

static void
test_tx_single_descriptor(void **state)
{
	struct fake *f = *state;
	uint8_t want[HDR_LEN + 60], hdr[HDR_LEN], buf[60];
	uint32_t len = 0;

	fake_ring(f, 8, false, false);
	pattern(want, sizeof(want), 3);
	gwrite(f, BUF(2), want, sizeof(want));
	desc(f, 3, BUF(2), sizeof(want), 0, 0);
	avail_add(f, 3);
	/* exactly as big as the buffer */
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 60);
	assert_memory_equal(hdr, want, HDR_LEN);
	assert_memory_equal(buf, want + HDR_LEN, 60);
	assert_int_equal(used_id(f, 0), 3);

	/* a 10-byte header (legacy), the chain going backwards 5 -> 2 */
	desc(f, 5, BUF(2), 4, VRING_DESC_F_NEXT, 2);
	desc(f, 2, BUF(2) + 4, sizeof(want) - 4, 0, 0);
	avail_add(f, 5);
	assert_int_equal(
		vq_tx_frame(&f->q, &f->mem, hdr, 10, buf, sizeof(buf), &len),
		-VQ_E_BIG);
	assert_int_equal(len, 62);
	desc(f, 2, BUF(2) + 4, sizeof(want) - 6, 0, 0);
	avail_add(f, 5);
	assert_int_equal(
		vq_tx_frame(&f->q, &f->mem, hdr, 10, buf, sizeof(buf), &len),
		1);
	assert_int_equal(len, 60);
	assert_memory_equal(hdr, want, 10);
	assert_memory_equal(buf, want + 10, 60);
	vq_publish(&f->q);
	assert_int_equal(used_idx(f), 3);
	assert_int_equal(used_id(f, 1), 5);
	assert_int_equal(used_id(f, 2), 5);
}

/* One descriptor across the boundary of two regions: two segments. */
static void
test_tx_straddles_regions(void **state)
{
	struct fake *f = *state;
	uint8_t want[HDR_LEN + 200], hdr[HDR_LEN], buf[1514];
	struct vq_chain c;
	uint32_t len = 0;

	fake_ring(f, 8, false, false);
	pattern(want, sizeof(want), 4);
	gwrite(f, R1_GPA - 100, want, sizeof(want));
	desc(f, 0, R1_GPA - 100, sizeof(want), 0, 0);
	assert_int_equal(vq_chain_get(&f->q, &f->mem, 0, false, &c), 0);
	assert_int_equal(c.head, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.len, sizeof(want));
	assert_ptr_equal(c.segs[0].base, f->hva[0] + R_SIZE - 100);
	assert_int_equal(c.segs[0].len, 100);
	assert_ptr_equal(c.segs[1].base, f->hva[1]);
	assert_int_equal(c.segs[1].len, sizeof(want) - 100);

	avail_add(f, 0);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 200);
	assert_memory_equal(hdr, want, HDR_LEN);
	assert_memory_equal(buf, want + HDR_LEN, 200);
}

static void
test_tx_indirect(void **state)
{
	struct fake *f = *state;
	uint8_t want[HDR_LEN + 150], hdr[HDR_LEN], buf[1514];
	uint32_t len = 0;

	fake_ring(f, 8, true, false);
	pattern(want, sizeof(want), 5);
	gwrite(f, BUF(0), want, HDR_LEN);
	gwrite(f, BUF(1), want + HDR_LEN, 100);
	gwrite(f, BUF(2), want + HDR_LEN + 100, 50);

	/* a table of three, followed by its next fields: 0 -> 2 -> 1 */
	idesc(f, TABLE(0), 0, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 2);
	idesc(f, TABLE(0), 1, BUF(2), 50, 0, 0);
	idesc(f, TABLE(0), 2, BUF(1), 100, VRING_DESC_F_NEXT, 1);
	desc(f, 4, TABLE(0), 48, VRING_DESC_F_INDIRECT, 0);
	avail_add(f, 4);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 150);
	assert_memory_equal(hdr, want, HDR_LEN);
	assert_memory_equal(buf, want + HDR_LEN, 150);
	assert_int_equal(used_id(f, 0), 4);
	assert_int_equal(used_len(f, 0), 0);

	/* WRITE on the descriptor naming a table is ignored (virtio 2.7.5.3.2) */
	desc(f, 5, TABLE(0), 48, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	avail_add(f, 5);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 150);

	/* direct descriptors, then a table at the end of the chain */
	idesc(f, TABLE(1), 0, BUF(1), 100, VRING_DESC_F_NEXT, 1);
	idesc(f, TABLE(1), 1, BUF(2), 50, 0, 0);
	desc(f, 0, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 1);
	desc(f, 1, TABLE(1), 32, VRING_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 150);
	assert_memory_equal(buf, want + HDR_LEN, 150);

	/* a table of the ring's size: the slot naming it does not count */
	for (unsigned int i = 0; i < 8; i++)
		idesc(f, TABLE(2), i, BUF(3) + 2 * i, 2,
		      i < 7 ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	desc(f, 2, TABLE(2), 128, VRING_DESC_F_INDIRECT, 0);
	avail_add(f, 2);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 4);
	/* ... but with a direct one in front it is a chain of 9 in a ring of 8 */
	desc(f, 3, BUF(4), 2, VRING_DESC_F_NEXT, 2);
	avail_add(f, 3);
	expect_tx_refused(f, 3, -VQ_E_LOOP);
}

static void
test_tx_indirect_refused(void **state)
{
	struct fake *f = *state;

	/* not negotiated */
	fake_ring(f, 8, false, false);
	idesc(f, TABLE(0), 0, BUF(0), 100, 0, 0);
	desc(f, 0, TABLE(0), 16, VRING_DESC_F_INDIRECT, 0);
	avail_add(f, 0);
	expect_tx_refused(f, 0, -VQ_E_INDIRECT);
	expect_tx_ok_after(f);

	static const struct {
		uint64_t table;
		uint32_t len;
		uint16_t flags;             /* of the descriptor naming it */
		uint16_t e0_flags, e0_next; /* its first entry */
		int err;
	} bad[] = {
		/* nested */
		{TABLE(0), 32, VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT, 0,
	         -VQ_E_INDIRECT},
		{TABLE(0), 32, VRING_DESC_F_INDIRECT,
	         VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1, -VQ_E_INDIRECT},
		/* INDIRECT together with NEXT */
		{TABLE(0), 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 0, 0,
	         -VQ_E_INDIRECT},
		/* empty, or not a whole number of descriptors */
		{TABLE(0), 0, VRING_DESC_F_INDIRECT, 0, 0, -VQ_E_INDIRECT},
		{TABLE(0), 40, VRING_DESC_F_INDIRECT, 0, 0, -VQ_E_INDIRECT},
		{TABLE(0), 15, VRING_DESC_F_INDIRECT, 0, 0, -VQ_E_INDIRECT},
		/* outside the memory, or across two regions */
		{0x2000, 32, VRING_DESC_F_INDIRECT, 0, 0, -VQ_E_ADDR},
		{UINT64_MAX - 15, 32, VRING_DESC_F_INDIRECT, 0, 0, -VQ_E_ADDR},
		{R1_GPA - 16, 32, VRING_DESC_F_INDIRECT, 0, 0, -VQ_E_ADDR},
		{R1_GPA + R_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0, 0,
	         -VQ_E_ADDR},
		/* next beyond the table (of 2) */
		{TABLE(0), 32, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, 2,
	         -VQ_E_INDEX},
		{TABLE(0), 32, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, 0xffff,
	         -VQ_E_INDEX},
		/* device-writable in a transmit chain */
		{TABLE(0), 32, VRING_DESC_F_INDIRECT, VRING_DESC_F_WRITE, 0,
	         -VQ_E_DIR},
		/* a loop inside the table: 0 -> 1 -> 0, and 0 -> 0 */
		{TABLE(0), 32, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, 1,
	         -VQ_E_LOOP},
		{TABLE(0), 32, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, 0,
	         -VQ_E_LOOP},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_ring(f, 8, true, false);
		idesc(f, TABLE(0), 0, BUF(0), 100, bad[i].e0_flags,
		      bad[i].e0_next);
		idesc(f, TABLE(0), 1, BUF(1), 100, VRING_DESC_F_NEXT, 0);
		desc(f, 3, bad[i].table, bad[i].len, bad[i].flags, 4);
		desc(f, 4, BUF(2), 100, 0, 0);
		avail_add(f, 3);
		test_case = (long)i;
		expect_tx_refused(f, 3, bad[i].err);
		expect_tx_ok_after(f);
	}
	test_case = -1;
}

static void
test_tx_loops(void **state)
{
	struct fake *f = *state;
	uint8_t hdr[HDR_LEN], buf[1514];
	uint32_t len = 0;

	fake_ring(f, 8, false, false);
	/* 0 -> 1 -> 0 */
	desc(f, 0, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 1);
	desc(f, 1, BUF(1), 100, VRING_DESC_F_NEXT, 0);
	avail_add(f, 0);
	expect_tx_refused(f, 0, -VQ_E_LOOP);
	/* 2 -> 2 */
	desc(f, 2, BUF(2), 100, VRING_DESC_F_NEXT, 2);
	avail_add(f, 2);
	expect_tx_refused(f, 2, -VQ_E_LOOP);
	/* entered in the middle: 3 -> 4 -> 5 -> 4 */
	desc(f, 3, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 4);
	desc(f, 4, BUF(1), 10, VRING_DESC_F_NEXT, 5);
	desc(f, 5, BUF(2), 10, VRING_DESC_F_NEXT, 4);
	avail_add(f, 3);
	expect_tx_refused(f, 3, -VQ_E_LOOP);
	expect_tx_ok_after(f);

	/* the longest legal chain: every descriptor of the ring once */
	for (unsigned int i = 0; i < 8; i++)
		desc(f, i, BUF(0) + 10 * i, 10, i < 7 ? VRING_DESC_F_NEXT : 0,
		     (uint16_t)(i + 1));
	avail_add(f, 0);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 80 - HDR_LEN);
	/* ... and one more is a loop */
	desc(f, 7, BUF(0) + 70, 10, VRING_DESC_F_NEXT, 0);
	avail_add(f, 0);
	expect_tx_refused(f, 0, -VQ_E_LOOP);
}

static void
test_tx_bad_index(void **state)
{
	struct fake *f = *state;

	fake_ring(f, 8, false, false);
	/* a head beyond the ring is refused, and still given back */
	avail_add(f, 8);
	expect_tx_refused(f, 8, -VQ_E_INDEX);
	avail_add(f, 0xffff);
	expect_tx_refused(f, 0xffff, -VQ_E_INDEX);
	/* next beyond the ring */
	desc(f, 1, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 8);
	avail_add(f, 1);
	expect_tx_refused(f, 1, -VQ_E_INDEX);
	desc(f, 1, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 0x8000);
	avail_add(f, 1);
	expect_tx_refused(f, 1, -VQ_E_INDEX);
	expect_tx_ok_after(f);
}

static void
test_tx_bad_address(void **state)
{
	struct fake *f = *state;

	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{0, 100},                    /* below every region */
		{R0_GPA - 1, 100},           /* starts just below */
		{R1_GPA + R_SIZE - 10, 100}, /* runs off the last one */
		{R1_GPA + R_SIZE, 1},
		{R0_GPA, 0xffffffff},  /* longer than the memory */
		{R0_UVA, 100},         /* a uva is not a gpa */
		{UINT64_MAX - 5, 100}, /* addr + len overflows */
		{UINT64_MAX, 1},
		{UINT64_MAX - 0xffffffffull + 1, 0xffffffff},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vq_chain c;

		fake_ring(f, 8, false, false);
		/* as the whole chain, and as the frame after a header */
		desc(f, 0, bad[i].addr, bad[i].len, 0, 0);
		desc(f, 1, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 0);
		test_case = (long)i;
		if (vq_chain_get(&f->q, &f->mem, 0, false, &c) != -VQ_E_ADDR ||
		    vq_chain_get(&f->q, &f->mem, 1, false, &c) != -VQ_E_ADDR)
			fail_msg("case %zu accepted", i);
		avail_add(f, 0);
		avail_add(f, 1);
		expect_tx_refused(f, 0, -VQ_E_ADDR);
		expect_tx_refused(f, 1, -VQ_E_ADDR);
		expect_tx_ok_after(f);
	}
	test_case = -1;
}

/*
 * A descriptor running from the last byte below 2^64 on to guest-physical
 * 0 is not a buffer of the guest's, however its regions lie: [addr,
 * addr + len) must not wrap.  Memory: region A at gpa 0, region B ending
 * at 2^64.
 */
static void
test_tx_address_wraps_past_2_64(void **state)
{
	struct fake *f = *state;
	struct vq_mem m = {.n = 2};
	uint8_t hdr[HDR_LEN], buf[1514];
	struct vq_chain c;
	struct vq q;
	uint32_t len = 0;

	m.r[0] = (struct vq_region){0, R_SIZE, R0_UVA, f->hva[0]};
	m.r[1] = (struct vq_region){UINT64_MAX - R_SIZE + 1, R_SIZE, R1_UVA,
	                            f->hva[1]};
	fake_ring(f, 8, false, false);
	q = f->q;
	assert_int_equal(vq_map(&q, &m, 8, R0_UVA + DESC_OFF,
	                        R0_UVA + AVAIL_OFF, R0_UVA + USED_OFF),
	                 0);
	/* each region alone is fine */
	desc(f, 0, UINT64_MAX - 199, 200, 0, 0);
	assert_int_equal(vq_chain_get(&q, &m, 0, false, &c), 0);
	assert_int_equal(c.len, 200);
	/* 100 bytes below 2^64, then 100 from guest-physical 0 */
	desc(f, 0, UINT64_MAX - 99, 200, 0, 0);
	assert_int_equal(vq_chain_get(&q, &m, 0, false, &c), -VQ_E_ADDR);
	avail_add(f, 0);
	assert_int_equal(
		vq_tx_frame(&q, &m, hdr, HDR_LEN, buf, sizeof(buf), &len),
		-VQ_E_ADDR);
}

static void
test_tx_wrong_direction(void **state)
{
	struct fake *f = *state;
	struct vq_chain c;

	fake_ring(f, 8, false, false);
	desc(f, 0, BUF(0), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 1, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 2);
	desc(f, 2, BUF(1), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 3, BUF(0), HDR_LEN, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 4);
	desc(f, 4, BUF(1), 100, 0, 0);
	/* receive chains the other way round */
	assert_int_equal(vq_chain_get(&f->q, &f->mem, 0, true, &c), 0);
	assert_int_equal(vq_chain_get(&f->q, &f->mem, 4, true, &c), -VQ_E_DIR);
	assert_int_equal(vq_chain_get(&f->q, &f->mem, 3, true, &c), -VQ_E_DIR);
	for (uint16_t h = 0; h < 4; h++)
		avail_add(f, h == 2 ? 3 : h);
	expect_tx_refused(f, 0, -VQ_E_DIR);
	expect_tx_refused(f, 1, -VQ_E_DIR);
	expect_tx_refused(f, 3, -VQ_E_DIR);
	assert_int_equal(vq_avail_count(&f->q), 1);
	expect_tx_refused(f, 3, -VQ_E_DIR);
	expect_tx_ok_after(f);
}

static void
test_tx_too_big(void **state)
{
	struct fake *f = *state;
	uint8_t hdr[HDR_LEN], buf[100];
	uint32_t len = 0;

	fake_ring(f, 8, false, false);
	desc(f, 0, BUF(0), HDR_LEN, VRING_DESC_F_NEXT, 1);
	desc(f, 1, BUF(1), 200, 0, 0);
	avail_add(f, 0);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 -VQ_E_BIG);
	assert_int_equal(len, 200);
	assert_int_equal(f->q.last_avail, 1);
	assert_int_equal(f->q.used_idx, 1);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), 0);
	/* the next one fits */
	desc(f, 1, BUF(1), 100, 0, 0);
	avail_add(f, 0);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 100);
}

static void
test_tx_short(void **state)
{
	struct fake *f = *state;
	uint8_t hdr[HDR_LEN], buf[1514], want[HDR_LEN + 60];
	struct vq_chain c;
	uint32_t len = 0;

	fake_ring(f, 8, false, false);
	desc(f, 0, BUF(0), 8, 0, 0);
	desc(f, 1, BUF(0), 6, VRING_DESC_F_NEXT, 2);
	desc(f, 2, BUF(1), 5, 0, 0);
	desc(f, 3, BUF(0), 0, 0, 0);
	avail_add(f, 0);
	avail_add(f, 1);
	avail_add(f, 3);
	expect_tx_refused(f, 0, -VQ_E_SHORT);
	expect_tx_refused(f, 1, -VQ_E_SHORT);
	expect_tx_refused(f, 3, -VQ_E_SHORT);

	/* zero-length descriptors add nothing, wherever they point */
	pattern(want, sizeof(want), 6);
	gwrite(f, BUF(2), want, sizeof(want));
	desc(f, 4, 0xdead0000, 0, VRING_DESC_F_NEXT, 5);
	desc(f, 5, BUF(2), sizeof(want), VRING_DESC_F_NEXT, 6);
	desc(f, 6, UINT64_MAX, 0, 0, 0);
	assert_int_equal(vq_chain_get(&f->q, &f->mem, 4, false, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len, sizeof(want));
	avail_add(f, 4);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 60);
	assert_memory_equal(buf, want + HDR_LEN, 60);

	/* a header and nothing else: an empty frame, not an error */
	desc(f, 7, BUF(2), HDR_LEN, 0, 0);
	avail_add(f, 7);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 0);
}

static void
test_avail_index_jumps(void **state)
{
	struct fake *f = *state;
	uint8_t hdr[HDR_LEN] = {0}, buf[1514], frame[60] = {0};
	unsigned int n_bad = 0;
	uint32_t len = 0;

	fake_ring(f, 8, false, false);
	desc(f, 0, BUF(0), 100, 0, 0);
	avail_set_idx(f, 8); /* a full ring is fine */
	assert_int_equal(vq_avail_count(&f->q), 8);
	avail_set_idx(f, 9);
	assert_int_equal(vq_avail_count(&f->q), -VQ_E_BROKEN);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 -VQ_E_BROKEN);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, hdr, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 -VQ_E_BROKEN);
	assert_int_equal(n_bad, 0);
	assert_int_equal(f->q.last_avail, 0);
	assert_int_equal(f->q.used_idx, 0);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), 0);
	/* the index going backwards is as broken */
	f->q.last_avail = 5;
	avail_set_idx(f, 4);
	assert_int_equal(vq_avail_count(&f->q), -VQ_E_BROKEN);
	/* across the wrap: 65530 -> 2 is 8 entries, -> 3 is 9 */
	f->q.last_avail = 65530;
	avail_set_idx(f, 2);
	assert_int_equal(vq_avail_count(&f->q), 8);
	avail_set_idx(f, 3);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 -VQ_E_BROKEN);
	assert_int_equal(f->q.last_avail, 65530);
}

/* A chain longer than VQ_SEGS_MAX segments, by descriptors or regions. */
static void
test_tx_too_many_segments(void **state)
{
	struct fake *f = *state;
	uint8_t hdr[HDR_LEN], buf[2048];
	uint32_t len = 0;

	fake_ring(f, 128, false, false);
	for (unsigned int i = 0; i < VQ_SEGS_MAX; i++)
		desc(f, i, BUF(0) + 12 * i, 12,
		     i < VQ_SEGS_MAX - 1 ? VRING_DESC_F_NEXT : 0,
		     (uint16_t)(i + 1));
	avail_add(f, 0);
	assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
	                             sizeof(buf), &len),
	                 1);
	assert_int_equal(len, 12 * VQ_SEGS_MAX - HDR_LEN);
	/* one more descriptor */
	desc(f, VQ_SEGS_MAX - 1, BUF(0), 12, VRING_DESC_F_NEXT, VQ_SEGS_MAX);
	desc(f, VQ_SEGS_MAX, BUF(0), 12, 0, 0);
	avail_add(f, 0);
	expect_tx_refused(f, 0, -VQ_E_SEGS);
	/* the same number of descriptors, the last across two regions */
	desc(f, VQ_SEGS_MAX - 1, R1_GPA - 6, 12, 0, 0);
	avail_add(f, 0);
	expect_tx_refused(f, 0, -VQ_E_SEGS);
}

static void
test_chain_read_write(void **state)
{
	struct fake *f = *state;
	uint8_t got[64], want[64];
	struct vq_chain c;

	fake_ring(f, 8, false, false);
	pattern(want, sizeof(want), 7);
	gwrite(f, BUF(0), want, 10);
	gwrite(f, BUF(1), want + 10, 20);
	gwrite(f, BUF(2), want + 30, 5);
	desc(f, 0, BUF(0), 10, VRING_DESC_F_NEXT, 1);
	desc(f, 1, BUF(3), 0, VRING_DESC_F_NEXT, 2);
	desc(f, 2, BUF(1), 20, VRING_DESC_F_NEXT, 3);
	desc(f, 3, BUF(2), 5, 0, 0);
	assert_int_equal(vq_chain_get(&f->q, &f->mem, 0, false, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.len, 35);
	memset(got, 0, sizeof(got));
	assert_int_equal(vq_chain_read(&c, 8, got, 10), 10); /* across */
	assert_memory_equal(got, want + 8, 10);
	assert_int_equal(vq_chain_read(&c, 0, got, sizeof(got)), 35);
	assert_memory_equal(got, want, 35);
	assert_int_equal(vq_chain_read(&c, 30, got, 10), 5);
	assert_int_equal(vq_chain_read(&c, 35, got, 10), 0);
	assert_int_equal(vq_chain_read(&c, 1000, got, 10), 0);
	assert_int_equal(vq_chain_read(&c, 3, got, 0), 0);

	/* writing is the same walk */
	pattern(want, sizeof(want), 8);
	assert_int_equal(vq_chain_write(&c, 5, want, 28), 28);
	gread(f, BUF(0) + 5, got, 5);
	assert_memory_equal(got, want, 5);
	gread(f, BUF(1), got, 20);
	assert_memory_equal(got, want + 5, 20);
	gread(f, BUF(2), got, 5);
	assert_memory_equal(got, want + 25, 3);
	assert_int_equal(got[3], (uint8_t)(7 * 31 + 33 * 7 + 1));
	assert_int_equal(vq_chain_write(&c, 34, want, 10), 1);
	assert_int_equal(vq_chain_write(&c, 35, want, 10), 0);
}

/* The caller's header: 12 bytes, num_buffers 1 (0xee where it is ours). */
static void
rx_hdr(uint8_t h[HDR_LEN], bool mergeable)
{
	pattern(h, HDR_LEN, 9);
	h[10] = mergeable ? 0xee : 1;
	h[11] = mergeable ? 0xee : 0;
}

static void
test_rx_one_chain(void **state)
{
	struct fake *f = *state;
	uint8_t h[HDR_LEN], frame[100], got[HDR_LEN + 100];
	unsigned int n_bad = 0;

	fake_ring(f, 8, true, false);
	rx_hdr(h, false);
	pattern(frame, sizeof(frame), 10);
	desc(f, 0, BUF(0), 1526, VRING_DESC_F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), false, &n_bad),
	                 1);
	assert_int_equal(n_bad, 0);
	assert_int_equal(f->q.last_avail, 1);
	assert_int_equal(f->q.used_idx, 1);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), HDR_LEN + 100);
	assert_int_equal(used_idx(f), 0); /* pushed, not published */
	gread(f, BUF(0), got, sizeof(got));
	assert_memory_equal(got, h, HDR_LEN);
	assert_memory_equal(got + HDR_LEN, frame, 100);

	/* the header alone, then the data, as Linux posts them */
	memset(gp(f, BUF(1)), 0, 2048);
	desc(f, 1, BUF(1), HDR_LEN, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	desc(f, 2, BUF(1) + 100, 1514, VRING_DESC_F_WRITE, 0);
	avail_add(f, 1);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), false, &n_bad),
	                 1);
	assert_int_equal(used_id(f, 1), 1);
	assert_int_equal(used_len(f, 1), HDR_LEN + 100);
	gread(f, BUF(1), got, HDR_LEN);
	assert_memory_equal(got, h, HDR_LEN);
	gread(f, BUF(1) + 100, got, 101);
	assert_memory_equal(got, frame, 100);
	assert_int_equal(got[100], 0);

	/* exactly the right size, in an indirect table of writable entries */
	idesc(f, TABLE(0), 0, BUF(2), 50,
	      VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	idesc(f, TABLE(0), 1, BUF(3), 62, VRING_DESC_F_WRITE, 0);
	desc(f, 3, TABLE(0), 32, VRING_DESC_F_INDIRECT, 0);
	avail_add(f, 3);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), false, &n_bad),
	                 1);
	assert_int_equal(used_len(f, 2), 112);
	gread(f, BUF(2) + HDR_LEN, got, 38);
	assert_memory_equal(got, frame, 38);
	gread(f, BUF(3), got, 62);
	assert_memory_equal(got, frame + 38, 62);
	vq_publish(&f->q);
	assert_int_equal(used_idx(f), 3);
	assert_int_equal(n_bad, 0);
}

static void
test_rx_chain_too_small(void **state)
{
	struct fake *f = *state;
	uint8_t h[HDR_LEN], frame[100];
	unsigned int n_bad = 0;

	fake_ring(f, 8, false, false);
	rx_hdr(h, false);
	pattern(frame, sizeof(frame), 11);
	desc(f, 0, BUF(0), 60, VRING_DESC_F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), false, &n_bad),
	                 -VQ_E_BIG);
	/* one byte short */
	desc(f, 0, BUF(0), HDR_LEN + 99, VRING_DESC_F_WRITE, 0);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), false, &n_bad),
	                 -VQ_E_BIG);
	/* the chain is left for a smaller frame */
	assert_int_equal(f->q.last_avail, 0);
	assert_int_equal(f->q.used_idx, 0);
	assert_int_equal(n_bad, 0);
	assert_int_equal(vq_avail_count(&f->q), 1);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame, 40,
	                             false, &n_bad),
	                 1);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), HDR_LEN + 40);
	/* nothing left: no room, not an error */
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame, 40,
	                             false, &n_bad),
	                 0);
}

static void
test_rx_mergeable(void **state)
{
	struct fake *f = *state;
	uint8_t h[HDR_LEN], frame[250], got[100];
	unsigned int n_bad = 0;

	fake_ring(f, 8, false, false);
	rx_hdr(h, true);
	pattern(frame, sizeof(frame), 12);
	memset(gp(f, BUF(0)), 0x55, 4 * 0x800);
	/* chains of 100 bytes: one descriptor, two, one */
	desc(f, 0, BUF(0), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 1, BUF(1), 60, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	desc(f, 2, BUF(2), 40, VRING_DESC_F_WRITE, 0);
	desc(f, 3, BUF(3), 100, VRING_DESC_F_WRITE, 0);
	avail_add(f, 0);
	avail_add(f, 1);
	avail_add(f, 3);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 1);
	assert_int_equal(n_bad, 0);
	assert_int_equal(f->q.last_avail, 3);
	assert_int_equal(f->q.used_idx, 3);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), 100);
	assert_int_equal(used_id(f, 1), 1);
	assert_int_equal(used_len(f, 1), 100);
	assert_int_equal(used_id(f, 2), 3);
	assert_int_equal(used_len(f, 2), 62);
	/* the header with num_buffers = 3, then the frame in order */
	gread(f, BUF(0), got, 100);
	assert_memory_equal(got, h, 10);
	assert_int_equal(got[10], 3);
	assert_int_equal(got[11], 0);
	assert_memory_equal(got + HDR_LEN, frame, 88);
	gread(f, BUF(1), got, 60);
	assert_memory_equal(got, frame + 88, 60);
	gread(f, BUF(2), got, 40);
	assert_memory_equal(got, frame + 148, 40);
	gread(f, BUF(3), got, 63);
	assert_memory_equal(got, frame + 188, 62);
	assert_int_equal(got[62], 0x55); /* nothing beyond */

	/* a frame that fits one chain: num_buffers = 1 */
	desc(f, 4, BUF(4), 1526, VRING_DESC_F_WRITE, 0);
	avail_add(f, 4);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 1);
	assert_int_equal(used_len(f, 3), HDR_LEN + 250);
	gread(f, BUF(4), got, HDR_LEN);
	assert_int_equal(got[10], 1);
	assert_int_equal(got[11], 0);
}

static void
test_rx_mergeable_no_room(void **state)
{
	struct fake *f = *state;
	uint8_t h[HDR_LEN], frame[250], got[HDR_LEN];
	unsigned int n_bad = 0;

	fake_ring(f, 8, false, false);
	rx_hdr(h, true);
	pattern(frame, sizeof(frame), 13);
	memset(ring(f, USED_OFF), 0xaa, 4 + 8 * 8);
	desc(f, 0, BUF(0), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 1, BUF(1), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 2, BUF(2), 100, VRING_DESC_F_WRITE, 0);
	avail_add(f, 0);
	avail_add(f, 1);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 0);
	assert_int_equal(f->q.last_avail, 0);
	assert_int_equal(f->q.used_idx, 0);
	assert_int_equal(n_bad, 0);
	assert_int_equal(used_id(f, 0), 0xaaaaaaaa);
	assert_int_equal(used_id(f, 1), 0xaaaaaaaa);
	assert_int_equal(vq_avail_count(&f->q), 2);
	/* a third chain arrives: the same frame goes through */
	avail_add(f, 2);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 1);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), 100);
	assert_int_equal(used_id(f, 2), 2);
	assert_int_equal(used_len(f, 2), 62);
	gread(f, BUF(0), got, HDR_LEN);
	assert_int_equal(got[10], 3);
}

/*
 * A mergeable frame needing more than VQ_SEGS_MAX chains can never go:
 * refused, with every chain left for smaller frames.
 */
static void
test_rx_mergeable_too_many_chains(void **state)
{
	struct fake *f = *state;
	uint8_t h[HDR_LEN], frame[VQ_SEGS_MAX * 16];
	unsigned int n_bad = 0;

	fake_ring(f, 128, false, false);
	rx_hdr(h, true);
	pattern(frame, sizeof(frame), 15);
	for (uint16_t i = 0; i < 128; i++) {
		desc(f, i, BUF(0) + 16 * i, 16, VRING_DESC_F_WRITE, 0);
		avail_add(f, i);
	}
	/* 64 chains hold 64 * 16 bytes: the header and 1012 bytes */
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             VQ_SEGS_MAX * 16 - HDR_LEN + 1, true,
	                             &n_bad),
	                 -VQ_E_BIG);
	assert_int_equal(f->q.last_avail, 0);
	assert_int_equal(f->q.used_idx, 0);
	assert_int_equal(n_bad, 0);
	assert_int_equal(vq_avail_count(&f->q), 128);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             VQ_SEGS_MAX * 16 - HDR_LEN, true, &n_bad),
	                 1);
	assert_int_equal(f->q.last_avail, VQ_SEGS_MAX);
	assert_int_equal(f->q.used_idx, VQ_SEGS_MAX);
	assert_int_equal(*gp(f, BUF(0) + 10), VQ_SEGS_MAX);
	assert_int_equal(used_id(f, VQ_SEGS_MAX - 1), VQ_SEGS_MAX - 1);
	assert_int_equal(used_len(f, VQ_SEGS_MAX - 1), 16);
}

static void
test_rx_bad_chain_skipped(void **state)
{
	struct fake *f = *state;
	uint8_t h[HDR_LEN], frame[250], got[HDR_LEN + 88];
	unsigned int n_bad = 0;

	fake_ring(f, 8, false, false);
	rx_hdr(h, true);
	pattern(frame, sizeof(frame), 14);
	/* good, bad (device-readable), then three good ones */
	desc(f, 0, BUF(0), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 1, BUF(1), 100, 0, 0);
	for (uint16_t i = 2; i < 5; i++)
		desc(f, i, BUF(i), 100, VRING_DESC_F_WRITE, 0);
	for (uint16_t i = 0; i < 5; i++)
		avail_add(f, i);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 1);
	assert_int_equal(n_bad, 1);
	assert_int_equal(f->q.last_avail, 5);
	assert_int_equal(f->q.used_idx, 5);
	/* the chain filled before it goes back empty with it */
	static const uint32_t want_len[] = {0, 0, 100, 100, 62};

	for (uint16_t i = 0; i < 5; i++) {
		assert_int_equal(used_id(f, i), i);
		assert_int_equal(used_len(f, i), want_len[i]);
	}
	gread(f, BUF(2), got, sizeof(got));
	assert_memory_equal(got, h, 10);
	assert_int_equal(got[10], 3);
	assert_int_equal(got[11], 0);
	assert_memory_equal(got + HDR_LEN, frame, 88);

	/* a bad chain, then no room: the bad one stays consumed */
	fake_ring(f, 8, false, false);
	n_bad = 0;
	desc(f, 0, BUF(0), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 1, 0x1000, 100, VRING_DESC_F_WRITE, 0); /* outside */
	desc(f, 2, BUF(2), 100, VRING_DESC_F_WRITE, 0);
	for (uint16_t i = 0; i < 3; i++)
		avail_add(f, i);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 0);
	assert_int_equal(n_bad, 1);
	assert_int_equal(f->q.last_avail, 2);
	assert_int_equal(f->q.used_idx, 2);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), 0);
	assert_int_equal(used_id(f, 1), 1);
	assert_int_equal(used_len(f, 1), 0);
	desc(f, 3, BUF(3), 100, VRING_DESC_F_WRITE, 0);
	desc(f, 4, BUF(4), 100, VRING_DESC_F_WRITE, 0);
	avail_add(f, 3);
	avail_add(f, 4);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 1);
	assert_int_equal(n_bad, 1);
	assert_int_equal(used_id(f, 2), 2);
	assert_int_equal(used_len(f, 2), 100);
	assert_int_equal(used_id(f, 4), 4);
	assert_int_equal(used_len(f, 4), 62);

	/* without mergeable: a chain shorter than the header is bad too */
	fake_ring(f, 8, false, false);
	n_bad = 0;
	rx_hdr(h, false);
	desc(f, 0, BUF(0), HDR_LEN - 1, VRING_DESC_F_WRITE, 0);
	/* 2 -> 3 -> 2 */
	desc(f, 2, BUF(2), 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	desc(f, 3, BUF(3), 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	desc(f, 4, BUF(4), 1526, VRING_DESC_F_WRITE, 0);
	avail_add(f, 0);
	avail_add(f, 2);
	avail_add(f, 4);
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame, 60,
	                             false, &n_bad),
	                 1);
	assert_int_equal(n_bad, 2);
	assert_int_equal(used_id(f, 0), 0);
	assert_int_equal(used_len(f, 0), 0);
	assert_int_equal(used_id(f, 1), 2);
	assert_int_equal(used_len(f, 1), 0);
	assert_int_equal(used_id(f, 2), 4);
	assert_int_equal(used_len(f, 2), HDR_LEN + 60);
}

/* Batches of 1-4 single-descriptor frames through a ring of 4, past 2^16. */
static void
test_wrap_tx(void **state)
{
	struct fake *f = *state;
	uint8_t hdr[HDR_LEN], buf[64];
	uint32_t total = 0, len = 0;

	fake_ring(f, 4, false, false);
	for (unsigned int iter = 0; total < 70000; iter++) {
		unsigned int batch = 1 + iter % 4; /* 4: a full ring */

		for (uint16_t i = 0; i < batch; i++) {
			uint32_t k = total + i;

			put32(gp(f, BUF(i) + HDR_LEN), k);
			desc(f, i, BUF(i), HDR_LEN + 4 + (k & 7), 0, 0);
			avail_add(f, i);
		}
		for (uint16_t i = 0; i < batch; i++) {
			uint32_t k = total + i;
			int r = vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
			                    sizeof(buf), &len);

			if (r != 1 || len != 4 + (k & 7) || get32(buf) != k)
				fail_msg("frame %u: %d, len %u", k, r, len);
		}
		assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
		                             sizeof(buf), &len),
		                 0);
		vq_publish(&f->q);
		total += batch;
		assert_int_equal(used_idx(f), (uint16_t)total);
		for (uint16_t i = 0; i < batch; i++) {
			uint16_t k = (uint16_t)(total - batch + i);

			assert_int_equal(used_id(f, k), i);
			assert_int_equal(used_len(f, k), 0);
		}
	}
	assert_int_equal(f->q.last_avail, (uint16_t)total);
	assert_int_equal(f->avail_idx, (uint16_t)total);
}

/* Mergeable frames over two chains each, in a ring of 8, past 2^16. */
static void
test_wrap_rx_mergeable(void **state)
{
	struct fake *f = *state;
	uint8_t h[HDR_LEN], frame[100], got[HDR_LEN + 100];
	unsigned int n_bad = 0;

	fake_ring(f, 8, false, false);
	rx_hdr(h, true);
	/* start close to the wrap, as after SET_VRING_BASE */
	f->q.last_avail = f->q.used_idx = 65000;
	avail_set_idx(f, 65000);
	for (uint32_t k = 0; k < 70000; k += 2) {
		for (uint16_t i = 0; i < 4; i++) {
			desc(f, i, BUF(i), 64, VRING_DESC_F_WRITE, 0);
			avail_add(f, i);
		}
		for (uint32_t j = k; j < k + 2; j++) {
			uint16_t u = f->q.used_idx, a = (uint16_t)(j & 1) * 2;

			put32(frame, j);
			if (vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
			                sizeof(frame), true, &n_bad) != 1)
				fail_msg("frame %u", j);
			if (used_id(f, u) != a || used_len(f, u) != 64 ||
			    used_id(f, (uint16_t)(u + 1)) != a + 1u ||
			    used_len(f, (uint16_t)(u + 1)) != 48)
				fail_msg("frame %u: used entries", j);
			memcpy(got, gp(f, BUF(a)), 64);
			memcpy(got + 64, gp(f, BUF(a + 1)), 48);
			if (got[10] != 2 || got[11] != 0 ||
			    get32(got + HDR_LEN) != j)
				fail_msg("frame %u: bytes", j);
		}
		vq_publish(&f->q);
		assert_int_equal(used_idx(f), (uint16_t)(65000 + 2 * k + 4));
	}
	assert_int_equal(n_bad, 0);
	assert_int_equal(f->q.last_avail, (uint16_t)(65000 + 140000));
	assert_int_equal(vq_rx_frame(&f->q, &f->mem, h, HDR_LEN, frame,
	                             sizeof(frame), true, &n_bad),
	                 0);
}

/* Pushes and publishes @n transmit completions. */
static void
complete(struct fake *f, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		vq_push(&f->q, 0, 0);
	vq_publish(&f->q);
}

static void
test_call_without_event_idx(void **state)
{
	struct fake *f = *state;

	fake_ring(f, 8, false, false);
	used_event(f, 0xffff); /* not looked at */
	complete(f, 1);
	assert_true(vq_need_call(&f->q));
	complete(f, 1);
	avail_flags(f, VRING_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_need_call(&f->q));
	complete(f, 3);
	assert_false(vq_need_call(&f->q));
	avail_flags(f, 0);
	complete(f, 1);
	assert_true(vq_need_call(&f->q));
	assert_int_equal(used_idx(f), 6);
}

static void
test_call_with_event_idx(void **state)
{
	struct fake *f = *state;

	fake_ring(f, 8, false, true);
	/* NO_INTERRUPT means nothing with EVENT_IDX; the first call is due */
	avail_flags(f, VRING_AVAIL_F_NO_INTERRUPT);
	used_event(f, 100);
	complete(f, 1);
	assert_true(vq_need_call(&f->q));
	/* "interrupt me once entry 3 is used": when used idx passes 3 */
	used_event(f, 3);
	complete(f, 1); /* 2 */
	assert_false(vq_need_call(&f->q));
	complete(f, 1); /* 3 */
	assert_false(vq_need_call(&f->q));
	complete(f, 1); /* 4 */
	assert_true(vq_need_call(&f->q));
	complete(f, 1); /* 5 */
	assert_false(vq_need_call(&f->q));
	assert_false(vq_need_call(&f->q)); /* nothing new */
	/* crossed inside a batch */
	used_event(f, 6);
	complete(f, 2); /* 7 */
	assert_true(vq_need_call(&f->q));
	/* not reached, then behind us */
	used_event(f, 20);
	complete(f, 3); /* 10 */
	assert_false(vq_need_call(&f->q));
	used_event(f, 9);
	complete(f, 1); /* 11 */
	assert_false(vq_need_call(&f->q));
	/* used_event just behind the new index */
	used_event(f, 11);
	complete(f, 1); /* 12 */
	assert_true(vq_need_call(&f->q));
	/* across the wrap */
	f->q.used_idx = 65533;
	used_event(f, 5);
	assert_false(vq_need_call(&f->q)); /* 12 -> 65533: 5 not in it */
	used_event(f, 65535);
	complete(f, 4); /* 65533 -> 1 */
	assert_true(vq_need_call(&f->q));
	used_event(f, 0);
	complete(f, 1); /* 2 */
	assert_false(vq_need_call(&f->q));
}

static void
test_notify_without_event_idx(void **state)
{
	struct fake *f = *state;

	fake_ring(f, 8, false, false);
	put16(ring(f, USED_OFF + 4 + 8 * 8), 0xabcd); /* avail_event */
	vq_notify_disable(&f->q);
	assert_int_equal(used_flags(f), VRING_USED_F_NO_NOTIFY);
	assert_true(f->q.notify_off);
	assert_false(vq_notify_enable(&f->q));
	assert_int_equal(used_flags(f), 0);
	assert_false(f->q.notify_off);
	/* something arrived while kicks were off */
	vq_notify_disable(&f->q);
	desc(f, 0, BUF(0), 100, 0, 0);
	avail_add(f, 0);
	assert_true(vq_notify_enable(&f->q));
	assert_int_equal(used_flags(f), 0);
	assert_int_equal(avail_event(f), 0xabcd);
}

static void
test_notify_with_event_idx(void **state)
{
	struct fake *f = *state;
	uint8_t hdr[HDR_LEN], buf[128];
	uint32_t len = 0;

	fake_ring(f, 8, false, true);
	put16(ring(f, USED_OFF + 4 + 8 * 8), 0xabcd);
	vq_notify_disable(&f->q);
	assert_int_equal(used_flags(f), 0);
	assert_int_equal(avail_event(f), 0xabcd);
	assert_true(f->q.notify_off);
	desc(f, 0, BUF(0), 100, 0, 0);
	for (int i = 0; i < 3; i++) {
		avail_add(f, 0);
		assert_int_equal(vq_tx_frame(&f->q, &f->mem, hdr, HDR_LEN, buf,
		                             sizeof(buf), &len),
		                 1);
	}
	/* kick me when you make entry 3 available */
	assert_false(vq_notify_enable(&f->q));
	assert_int_equal(avail_event(f), 3);
	assert_int_equal(used_flags(f), 0);
	assert_false(f->q.notify_off);
	avail_add(f, 0);
	assert_true(vq_notify_enable(&f->q));
	assert_int_equal(avail_event(f), 3);
	/* across the wrap */
	fake_ring(f, 8, false, true);
	f->q.last_avail = 65535;
	avail_set_idx(f, 65535);
	assert_false(vq_notify_enable(&f->q));
	assert_int_equal(avail_event(f), 65535);
}

static void
test_err_names(void **state)
{
	(void)state;
	for (int e = 1; e < VQ_E_MAX; e++) {
		assert_string_not_equal(vq_err_name(-e), "?");
		for (int g = 1; g < e; g++)
			assert_string_not_equal(vq_err_name(-e),
			                        vq_err_name(-g));
	}
	assert_string_equal(vq_err_name(0), "?");
	assert_string_equal(vq_err_name(VQ_E_LOOP), "?");
	assert_string_equal(vq_err_name(-VQ_E_MAX), "?");
	assert_string_equal(vq_err_name(-1000), "?");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mem_translate),
		T(test_map),
		T(test_map_misaligned_here),
		T(test_tx_header_then_frame),
		T(test_tx_single_descriptor),
		T(test_tx_straddles_regions),
		T(test_tx_indirect),
		T(test_tx_indirect_refused),
		T(test_tx_loops),
		T(test_tx_bad_index),
		T(test_tx_bad_address),
		T(test_tx_address_wraps_past_2_64),
		T(test_tx_wrong_direction),
		T(test_tx_too_big),
		T(test_tx_short),
		T(test_avail_index_jumps),
		T(test_tx_too_many_segments),
		T(test_chain_read_write),
		T(test_rx_one_chain),
		T(test_rx_chain_too_small),
		T(test_rx_mergeable),
		T(test_rx_mergeable_no_room),
		T(test_rx_mergeable_too_many_chains),
		T(test_rx_bad_chain_skipped),
		T(test_wrap_tx),
		T(test_wrap_rx_mergeable),
		T(test_call_without_event_idx),
		T(test_call_with_event_idx),
		T(test_notify_without_event_idx),
		T(test_notify_with_event_idx),
		T(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
