/* SPDX-License-Identifier: MIT */
/*
 * fuzz_virtq.c - a guest's split virtqueue, as a hostile guest may fill
 * it: the descriptor-chain walker and the transmit and receive paths of
 * src/proto/virtq.c over a synthetic memory table.
 *
 * Input: an 8-byte configuration, then a guest memory image of two regions
 * (2 KiB at gpa 0x1000, 1 KiB right after it or, by a flag, apart from
 * it), zero-padded.  The rings sit in region 0 at fixed offsets (or, by a
 * flag, at offsets taken from the configuration): descriptor table at 0,
 * avail ring at 256, used ring at 512, with 8 or 16 entries; everything in
 * them comes from the input.  Regions are exact-size heap buffers, so ASan
 * sees any access outside guest memory.
 *
 * Checks: every chain vq_chain_get() accepts has at most VQ_SEGS_MAX
 * segments, each non-empty and wholly inside one region, adding up to its
 * length; errors are named VQ_E_* values; vq_tx_frame() gives back each
 * chain it takes, never returns a frame larger than the buffer and takes
 * no more than were available; vq_rx_frame() consumes and gives back the
 * same number of chains, counts no more bad chains than it took, and
 * leaves the indexes alone when the ring is broken.
 */
#include "proto/virtq.h"

#include "fuzz.h"

#define CFG_LEN 8
#define R0_SIZE 2048u
#define R1_SIZE 1024u
#define R0_GPA 0x1000ull
#define R0_UVA 0x7f0000000000ull
#define R1_UVA 0x7f0000100000ull
#define DESC_OFF 0u
#define AVAIL_OFF 256u
#define USED_OFF 512u

/* Configuration byte 0. */
#define CFG_INDIRECT 0x01
#define CFG_EVENT_IDX 0x02
#define CFG_MERGEABLE 0x04
#define CFG_NUM16 0x08
#define CFG_HDR10 0x10
#define CFG_GAP 0x20       /* region 1 not adjacent to region 0 */
#define CFG_RING_OFFS 0x40 /* ring offsets from bytes 6 and 7 */

struct guest {
	struct vq_mem mem;
	struct vq q;
	uint8_t cfg[CFG_LEN];
	size_t hdr_len;
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Fills both regions from the image (zero past its end). */
static void
load_image(struct guest *g, const uint8_t *img, size_t len)
{
	size_t n0 = len < R0_SIZE ? len : R0_SIZE;
	size_t n1 = len > R0_SIZE ? len - R0_SIZE : 0;

	if (n1 > R1_SIZE)
		n1 = R1_SIZE;
	memset(g->mem.r[0].hva, 0, R0_SIZE);
	memset(g->mem.r[1].hva, 0, R1_SIZE);
	memcpy(g->mem.r[0].hva, img, n0);
	if (n1)
		memcpy(g->mem.r[1].hva, img + R0_SIZE, n1);
}

/* Maps the rings; false when the configuration's offsets are refused. */
static bool
map(struct guest *g)
{
	uint16_t num = g->cfg[0] & CFG_NUM16 ? 16 : 8;
	uint64_t d = DESC_OFF, a = AVAIL_OFF, u = USED_OFF;
	int r;

	if (g->cfg[0] & CFG_RING_OFFS) {
		d = 16u * g->cfg[6];
		a = AVAIL_OFF + 2u * g->cfg[7] + (g->cfg[6] & 1);
		u = USED_OFF + 4u * g->cfg[7] + (g->cfg[6] & 2);
	}
	r = vq_map(&g->q, &g->mem, num, R0_UVA + d, R0_UVA + a, R0_UVA + u);
	if (r) {
		FUZZ_CHECK(r == -VQ_E_ADDR);
		FUZZ_CHECK(!g->q.desc && !g->q.avail && !g->q.used);
		return false;
	}
	FUZZ_CHECK((uint8_t *)g->q.desc == g->mem.r[0].hva + d);
	FUZZ_CHECK(d + vq_desc_bytes(num) <= R0_SIZE &&
	           a + vq_avail_bytes(num) <= R0_SIZE &&
	           u + vq_used_bytes(num) <= R0_SIZE);
	return true;
}

/* Fresh indexes: 0 .. num + 1 entries behind the guest's avail index. */
static void
reset_indexes(struct guest *g)
{
	uint16_t idx = rd16((const uint8_t *)&g->q.avail->idx);

	g->q.last_avail = (uint16_t)(idx - g->cfg[1] % (g->q.num + 2));
	g->q.used_idx = (uint16_t)(g->q.last_avail + g->cfg[1]);
	g->q.signalled = 0;
	g->q.signalled_valid = false;
	g->q.indirect = g->cfg[0] & CFG_INDIRECT;
	g->q.event_idx = g->cfg[0] & CFG_EVENT_IDX;
	g->q.notify_off = false;
}

static bool
inside(const struct vq_mem *m, const struct vq_seg *s)
{
	for (unsigned int i = 0; i < m->n; i++) {
		const uint8_t *lo = m->r[i].hva, *hi = lo + m->r[i].size;

		if (s->base >= lo && s->base < hi &&
		    s->len <= (size_t)(hi - s->base))
			return true;
	}
	return false;
}

static void
check_err(int r)
{
	FUZZ_CHECK(r < 0 && r > -VQ_E_MAX);
	FUZZ_CHECK(strcmp(vq_err_name(r), "?") != 0);
}

/* Every available head, walked both ways. */
static void
check_chains(const struct guest *g)
{
	int n = vq_avail_count(&g->q);

	FUZZ_CHECK(n >= -VQ_E_BROKEN && n <= g->q.num);
	if (n < 0) {
		FUZZ_CHECK(n == -VQ_E_BROKEN);
		return;
	}
	for (int k = 0; k < n; k++) {
		uint16_t slot =
			(uint16_t)(g->q.last_avail + k) & (g->q.num - 1);
		uint16_t head = rd16((const uint8_t *)&g->q.avail->ring[slot]);

		for (int writable = 0; writable < 2; writable++) {
			struct vq_chain c;
			uint32_t sum = 0;
			int r = vq_chain_get(&g->q, &g->mem, head, writable,
			                     &c);

			if (r) {
				check_err(r);
				FUZZ_CHECK(head < g->q.num || r == -VQ_E_INDEX);
				continue;
			}
			FUZZ_CHECK(head < g->q.num && c.head == head);
			FUZZ_CHECK(c.n <= VQ_SEGS_MAX);
			for (unsigned int i = 0; i < c.n; i++) {
				FUZZ_CHECK(c.segs[i].len > 0);
				FUZZ_CHECK(inside(&g->mem, &c.segs[i]));
				sum += c.segs[i].len;
			}
			FUZZ_CHECK(sum == c.len);

			uint8_t *copy = malloc(c.len ? c.len : 1);

			if (!copy)
				abort();
			FUZZ_CHECK(vq_chain_read(&c, 0, copy, c.len) == c.len);
			FUZZ_CHECK(vq_chain_read(&c, c.len, copy, 1) == 0);
			free(copy);
		}
	}
}

/* Publishes, then asks whether to interrupt, twice, as after a burst. */
static void
check_call(struct guest *g)
{
	bool call;

	vq_publish(&g->q);
	FUZZ_CHECK(rd16((const uint8_t *)&g->q.used->idx) == g->q.used_idx);
	call = vq_need_call(&g->q);
	if (g->q.event_idx)
		FUZZ_CHECK(!vq_need_call(&g->q)); /* nothing new */
	else
		FUZZ_CHECK(call == !(rd16((const uint8_t *)&g->q.avail->flags) &
		                     VRING_AVAIL_F_NO_INTERRUPT));
}

/*
 * Counts are checked call by call, against vq_avail_count() just before:
 * the guest's memory may overlap its own rings, so what the device writes
 * (used entries, received frames) may change them between calls.
 */
static void
run_tx(struct guest *g)
{
	size_t cap = rd16(g->cfg + 4) % 4096;
	uint8_t *hdr = malloc(g->hdr_len), *buf = malloc(cap ? cap : 1);

	if (!hdr || !buf)
		abort();
	for (int i = 0; i < g->q.num + 2; i++) {
		uint16_t la = g->q.last_avail, ui = g->q.used_idx;
		int n = vq_avail_count(&g->q);
		uint32_t len = 0;
		int r = vq_tx_frame(&g->q, &g->mem, hdr, g->hdr_len, buf, cap,
		                    &len);

		if (n <= 0) {
			FUZZ_CHECK(r == n);
			FUZZ_CHECK(g->q.last_avail == la &&
			           g->q.used_idx == ui);
			break;
		}
		FUZZ_CHECK(g->q.last_avail == (uint16_t)(la + 1));
		FUZZ_CHECK(g->q.used_idx == (uint16_t)(ui + 1));
		if (r == 1)
			FUZZ_CHECK(len <= cap);
		else
			check_err(r);
		FUZZ_CHECK(r != -VQ_E_BROKEN);
		if (r == -VQ_E_BIG)
			FUZZ_CHECK(len > cap);
		check_call(g);
	}
	vq_notify_disable(&g->q);
	(void)vq_notify_enable(&g->q);
	free(buf);
	free(hdr);
}

static void
run_rx(struct guest *g, const uint8_t *data, size_t size)
{
	bool mergeable = g->cfg[0] & CFG_MERGEABLE;
	size_t hdr_len = mergeable ? 12 : g->hdr_len;
	uint32_t frame_len = rd16(g->cfg + 2) % 3000;
	uint8_t *hdr = malloc(hdr_len), *frame = malloc(frame_len + 1);
	unsigned int n_bad = 0;

	if (!hdr || !frame)
		abort();
	for (size_t i = 0; i < hdr_len; i++)
		hdr[i] = size ? data[i % size] : 0;
	for (uint32_t i = 0; i < frame_len; i++)
		frame[i] = size ? data[(i * 7) % size] : (uint8_t)i;
	for (int i = 0; i < g->q.num + 2; i++) {
		uint16_t la = g->q.last_avail, ui = g->q.used_idx;
		unsigned int bad = n_bad;
		int avail = vq_avail_count(&g->q);
		int r = vq_rx_frame(&g->q, &g->mem, hdr, hdr_len, frame,
		                    frame_len, mergeable, &n_bad);
		uint16_t d_avail = (uint16_t)(g->q.last_avail - la);
		uint16_t d_used = (uint16_t)(g->q.used_idx - ui);

		/* every chain consumed is given back, good or bad */
		FUZZ_CHECK(d_avail == d_used);
		FUZZ_CHECK(n_bad - bad <= d_used);
		FUZZ_CHECK(avail < 0 ? d_used == 0 : d_used <= avail);
		FUZZ_CHECK((r == -VQ_E_BROKEN) == (avail < 0));
		switch (r) {
		case 1:
			/* at least one good chain; without mergeable, one */
			FUZZ_CHECK(d_used > n_bad - bad);
			if (!mergeable)
				FUZZ_CHECK(d_used == n_bad - bad + 1);
			check_call(g);
			continue;
		case 0:
		case -VQ_E_BROKEN:
			break;
		case -VQ_E_BIG:
			/* one chain too small, or more chains than we take */
			FUZZ_CHECK(!mergeable || avail >= VQ_SEGS_MAX);
			break;
		default:
			FUZZ_CHECK(!"unexpected return");
		}
		break;
	}
	check_call(g);
	free(frame);
	free(hdr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest g;
	const uint8_t *img = data + CFG_LEN;
	size_t img_len = size > CFG_LEN ? size - CFG_LEN : 0;

	if (size < CFG_LEN)
		return 0;
	memset(&g, 0, sizeof(g));
	memcpy(g.cfg, data, CFG_LEN);
	g.hdr_len = g.cfg[0] & CFG_HDR10 ? 10 : 12;
	g.mem.n = 2;
	g.mem.r[0] =
		(struct vq_region){R0_GPA, R0_SIZE, R0_UVA, malloc(R0_SIZE)};
	g.mem.r[1] = (struct vq_region){g.cfg[0] & CFG_GAP ? R0_GPA + 0x10000
	                                                   : R0_GPA + R0_SIZE,
	                                R1_SIZE, R1_UVA, malloc(R1_SIZE)};
	if (!g.mem.r[0].hva || !g.mem.r[1].hva)
		abort();

	load_image(&g, img, img_len);
	if (map(&g)) {
		reset_indexes(&g);
		check_chains(&g);
		run_tx(&g);
		/* the same guest again, for receiving */
		load_image(&g, img, img_len);
		reset_indexes(&g);
		run_rx(&g, data, size);
	}
	free(g.mem.r[0].hva);
	free(g.mem.r[1].hva);
	return 0;
}
