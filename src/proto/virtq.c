/* SPDX-License-Identifier: MIT */
/*
 * virtq.c - split virtqueues in guest memory, device side (virtq.h).
 */
#include "proto/virtq.h"

#include <endian.h>
#include <stdatomic.h>
#include <string.h>

#define VNET_HDR_MAX 20		/* the largest virtio_net_hdr (hash report) */

/* Ring entries are little-endian 16-bit fields in shared memory. */
static inline uint16_t
ld16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void
st16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

/* The region holding [a, a+len), by one of its address spaces. */
static void *
mem_find(const struct vq_mem *m, uint64_t a, uint64_t len, bool by_gpa)
{
	for (unsigned int i = 0; i < m->n; i++) {
		const struct vq_region *r = &m->r[i];
		uint64_t start = by_gpa ? r->gpa : r->uva;

		if (a < start || a - start >= r->size)
			continue;
		if (len > r->size - (a - start))
			return NULL;
		return r->hva + (a - start);
	}
	return NULL;
}

/**
 * vq_mem_gpa() - translate a guest-physical range
 * @m:   the memory table
 * @gpa: start
 * @len: bytes; the whole range must lie in one region
 *
 * Return: our address of @gpa, or NULL.
 */
void *
vq_mem_gpa(const struct vq_mem *m, uint64_t gpa, uint64_t len)
{
	return mem_find(m, gpa, len, true);
}

/**
 * vq_mem_uva() - translate a range of the front-end's virtual addresses
 * (ring addresses in SET_VRING_ADDR)
 * @m:   the memory table
 * @uva: start
 * @len: bytes; the whole range must lie in one region
 *
 * Return: our address of @uva, or NULL.
 */
void *
vq_mem_uva(const struct vq_mem *m, uint64_t uva, uint64_t len)
{
	return mem_find(m, uva, len, false);
}

/** vq_desc_bytes() - size of a descriptor table of @num entries */
size_t
vq_desc_bytes(uint16_t num)
{
	return 16u * num;
}

/** vq_avail_bytes() - size of an avail ring of @num, used_event included */
size_t
vq_avail_bytes(uint16_t num)
{
	return 6u + 2u * num;
}

/** vq_used_bytes() - size of a used ring of @num, avail_event included */
size_t
vq_used_bytes(uint16_t num)
{
	return 6u + 8u * num;
}

/**
 * vq_map() - point @q at its rings in shared memory
 * @q:         the queue; its indexes are left alone (SET_VRING_BASE)
 * @m:         the memory table
 * @num:       ring size, a power of 2 up to VQ_NUM_MAX
 * @desc_uva:  descriptor table, front-end virtual address (16-aligned)
 * @avail_uva: avail ring (2-aligned)
 * @used_uva:  used ring (4-aligned)
 *
 * Return: 0, -VQ_E_INDEX for a bad size, -VQ_E_ADDR when a ring is
 * misaligned (as the front-end sees it, or as mapped here) or not wholly
 * inside one region.  On failure @q's rings are
 * cleared.
 */
int
vq_map(struct vq *q, const struct vq_mem *m, uint16_t num,
       uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva)
{
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
	if (num == 0 || (num & (num - 1)))
		return -VQ_E_INDEX;
	if ((desc_uva & 15) || (avail_uva & 1) || (used_uva & 3))
		return -VQ_E_ADDR;
	q->num = num;
	q->desc = vq_mem_uva(m, desc_uva, vq_desc_bytes(num));
	q->avail = vq_mem_uva(m, avail_uva, vq_avail_bytes(num));
	q->used = vq_mem_uva(m, used_uva, vq_used_bytes(num));
	/* Aligned here too: mmap_offset could shift them (atomics). */
	if (!q->desc || !q->avail || !q->used ||
	    ((uintptr_t)q->desc & 15) || ((uintptr_t)q->avail & 1) ||
	    ((uintptr_t)q->used & 3)) {
		q->desc = NULL;
		q->avail = NULL;
		q->used = NULL;
		return -VQ_E_ADDR;
	}
	return 0;
}

/**
 * vq_avail_count() - entries the driver has made available past ours
 * @q: a mapped queue
 *
 * Reads avail->idx with acquire semantics, so the entries it counts may be
 * read afterwards.
 *
 * Return: 0..num, or -VQ_E_BROKEN when the index moved by more than the
 * ring holds.
 */
int
vq_avail_count(const struct vq *q)
{
	uint16_t idx = le16toh(__atomic_load_n(&q->avail->idx,
					       __ATOMIC_ACQUIRE));
	uint16_t n = (uint16_t)(idx - q->last_avail);

	return n > q->num ? -VQ_E_BROKEN : n;
}

/* Appends [base, base+len) of guest memory at @gpa, split by region. */
static int
add_segs(const struct vq_mem *m, struct vq_chain *c, uint64_t gpa,
	 uint32_t len)
{
	/* A buffer may not wrap past 2^64, nor the chain past 4 GiB. */
	if (len > UINT32_MAX - c->len ||
	    (len && gpa > UINT64_MAX - (len - 1)))
		return -VQ_E_ADDR;
	while (len) {
		const struct vq_region *r = NULL;
		uint64_t off, take;

		for (unsigned int i = 0; i < m->n; i++)
			if (gpa >= m->r[i].gpa &&
			    gpa - m->r[i].gpa < m->r[i].size) {
				r = &m->r[i];
				break;
			}
		if (!r)
			return -VQ_E_ADDR;
		if (c->n == VQ_SEGS_MAX)
			return -VQ_E_SEGS;
		off = gpa - r->gpa;
		take = r->size - off < len ? r->size - off : len;
		c->segs[c->n].base = r->hva + off;
		c->segs[c->n].len = (uint32_t)take;
		c->n++;
		c->len += (uint32_t)take;
		gpa += take;
		len -= (uint32_t)take;
	}
	return 0;
}

/* One descriptor, copied once out of shared memory. */
static void
desc_load(const struct vq_desc *table, uint32_t i, struct vq_desc *d)
{
	memcpy(d, &table[i], sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/*
 * Walks the chain from descriptor @i of @table (@n entries): the ring's
 * own table (@top), or an indirect one, which may not hold another.
 * @budget counts descriptors left before the chain is longer than the
 * ring.
 */
static int
walk(const struct vq *q, const struct vq_mem *m, const struct vq_desc *table,
     uint32_t n, uint32_t i, bool top, bool writable, uint32_t *budget,
     struct vq_chain *c)
{
	for (;;) {
		struct vq_desc d;
		int r;

		if (i >= n)
			return -VQ_E_INDEX;
		if ((*budget)-- == 0)
			return -VQ_E_LOOP;
		desc_load(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			const struct vq_desc *t;

			if (!top || !q->indirect ||
			    (d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
			    d.len % sizeof(struct vq_desc))
				return -VQ_E_INDIRECT;
			t = vq_mem_gpa(m, d.addr, d.len);
			if (!t)
				return -VQ_E_ADDR;
			(*budget)++;	/* the indirect slot itself */
			return walk(q, m, t, d.len / sizeof(struct vq_desc), 0,
				    false, writable, budget, c);
		}
		if (!!(d.flags & VRING_DESC_F_WRITE) != writable)
			return -VQ_E_DIR;
		r = add_segs(m, c, d.addr, d.len);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

/**
 * vq_chain_get() - the segments of the chain starting at descriptor @head
 * @q:        a mapped queue
 * @m:        the memory table the segments must lie in
 * @head:     a descriptor index taken from the avail ring
 * @writable: true for a receive chain (all device-writable), false for a
 *            transmit chain (all device-readable)
 * @c:        filled with @head and the segments
 *
 * Zero-length descriptors are allowed and add no segment.  The checks are
 * listed in virtq.h.
 *
 * Return: 0, or a negated VQ_E_* (then @c is partial and must not be used).
 */
int
vq_chain_get(const struct vq *q, const struct vq_mem *m, uint16_t head,
	     bool writable, struct vq_chain *c)
{
	uint32_t budget = q->num;

	c->head = head;
	c->n = 0;
	c->len = 0;
	return walk(q, m, q->desc, q->num, head, true, writable, &budget, c);
}

/* Copies between a chain (from byte @off on) and @buf, either way. */
static size_t
chain_copy(const struct vq_chain *c, size_t off, uint8_t *buf, size_t len,
	   bool to_chain)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->n && done < len; i++) {
		size_t take;

		if (off >= c->segs[i].len) {
			off -= c->segs[i].len;
			continue;
		}
		take = c->segs[i].len - off;
		if (take > len - done)
			take = len - done;
		if (to_chain)
			memcpy(c->segs[i].base + off, buf + done, take);
		else
			memcpy(buf + done, c->segs[i].base + off, take);
		done += take;
		off = 0;
	}
	return done;
}

/**
 * vq_chain_read() - copy bytes out of a chain
 * @c:   a chain from vq_chain_get()
 * @off: first byte, counted over all segments
 * @dst: destination
 * @len: bytes wanted
 *
 * Return: bytes copied (fewer when the chain ends first).
 */
size_t
vq_chain_read(const struct vq_chain *c, size_t off, void *dst, size_t len)
{
	return chain_copy(c, off, dst, len, false);
}

/**
 * vq_chain_write() - copy bytes into a chain
 * @c:   a writable chain from vq_chain_get()
 * @off: first byte, counted over all segments
 * @src: source
 * @len: bytes
 *
 * Return: bytes copied (fewer when the chain ends first).
 */
size_t
vq_chain_write(const struct vq_chain *c, size_t off, const void *src,
	       size_t len)
{
	/* chain_copy() only reads @src when writing to the chain */
	return chain_copy(c, off, (uint8_t *)(uintptr_t)src, len, true);
}

/**
 * vq_push() - hand chain @head back to the driver with @len bytes written
 * @q:    the queue
 * @head: the chain's head index
 * @len:  bytes the device wrote into it (0 for transmit chains)
 *
 * Not visible to the driver until vq_publish().
 */
void
vq_push(struct vq *q, uint16_t head, uint32_t len)
{
	struct vq_used_elem *e = &q->used->ring[q->used_idx & (q->num - 1)];
	struct vq_used_elem v = { htole32(head), htole32(len) };

	memcpy(e, &v, sizeof(v));
	q->used_idx++;
}

/**
 * vq_publish() - make the pushed entries visible (release store of
 * used->idx)
 * @q: the queue
 */
void
vq_publish(struct vq *q)
{
	__atomic_store_n(&q->used->idx, htole16(q->used_idx),
			 __ATOMIC_RELEASE);
}

/**
 * vq_need_call() - whether the driver wants an interrupt for the entries
 * published since the last one; if so, that is now the last one
 * @q: the queue, after vq_publish()
 *
 * Without EVENT_IDX: unless avail->flags says NO_INTERRUPT.  With it: when
 * used_event lies in the entries published since the last call (the
 * vring_need_event() rule of the virtio spec).
 *
 * Return: true if the caller must signal the call fd.
 */
bool
vq_need_call(struct vq *q)
{
	uint16_t old = q->signalled, new = q->used_idx, event;
	bool valid = q->signalled_valid;

	/* Our used->idx store before the driver's flags or event. */
	atomic_thread_fence(memory_order_seq_cst);
	q->signalled = new;
	q->signalled_valid = true;
	if (!q->event_idx)
		return !(ld16(&q->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	event = ld16(&q->avail->ring[q->num]);
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/**
 * vq_notify_enable() - ask the driver to kick when it adds entries, then
 * look again
 * @q: the queue
 *
 * Return: true if entries arrived meanwhile (the caller goes on taking
 * them; a kick may or may not come for them).
 */
bool
vq_notify_enable(struct vq *q)
{
	if (q->event_idx)
		st16((uint16_t *)&q->used->ring[q->num], q->last_avail);
	else
		st16(&q->used->flags, 0);
	q->notify_off = false;
	/* Our flag or event before the driver's next index. */
	atomic_thread_fence(memory_order_seq_cst);
	return vq_avail_count(q) != 0;
}

/**
 * vq_notify_disable() - tell the driver kicks are not needed (we poll)
 * @q: the queue
 *
 * With EVENT_IDX nothing is written: avail_event stays where it was, and
 * the driver kicks only when it passes that index again.
 */
void
vq_notify_disable(struct vq *q)
{
	if (!q->event_idx)
		st16(&q->used->flags, VRING_USED_F_NO_NOTIFY);
	q->notify_off = true;
}

/*
 * Prefetching.  The driver wrote the rings and buffers on another CPU, so
 * each first touch here is a cache miss; frame by frame they would add up.
 * While one chain is copied, the buffers of the chain VQ_AHEAD entries
 * further on are prefetched, and the descriptor of the one twice as far,
 * so the misses overlap the copies.  A prefetch never faults, but its
 * addresses still go through the memory table: no guessing at memory
 * outside it.
 */
#define VQ_AHEAD 4

static void
prefetch_buf(const struct vq_mem *m, const struct vq_desc *d, int rw)
{
	void *p = mem_find(m, d->addr, 1, true);

	if (p) {
		if (rw)
			__builtin_prefetch(p, 1);
		else
			__builtin_prefetch(p, 0);
	}
}

static void
prefetch_ahead(const struct vq *q, const struct vq_mem *m, int avail,
	       int rw)
{
	uint16_t mask = (uint16_t)(q->num - 1);
	struct vq_desc d;
	uint16_t head;

	if (avail > 2 * VQ_AHEAD) {
		head = ld16(&q->avail->ring[(q->last_avail + 2 * VQ_AHEAD) &
					    mask]);
		__builtin_prefetch(&q->desc[head & mask], 0);
	}
	if (avail <= VQ_AHEAD)
		return;
	head = ld16(&q->avail->ring[(q->last_avail + VQ_AHEAD) & mask]);
	if (head >= q->num)
		return;
	desc_load(q->desc, head, &d);
	if (d.flags & VRING_DESC_F_INDIRECT)
		return;
	prefetch_buf(m, &d, rw);
	if ((d.flags & VRING_DESC_F_NEXT) && d.next < q->num) {
		desc_load(q->desc, d.next, &d);
		prefetch_buf(m, &d, rw);
	}
}

/**
 * vq_tx_frame() - take the next transmit chain: its header into @hdr, the
 * frame into @buf
 * @q:         a mapped queue
 * @m:         the memory table
 * @hdr:       gets the first @hdr_len bytes (the virtio_net_hdr)
 * @hdr_len:   10 or 12
 * @buf:       gets the frame
 * @cap:       bytes @buf holds
 * @frame_len: set to the frame's length when one is returned
 *
 * The chain is given back (used, length 0) in every case but an empty
 * ring and a broken one.
 *
 * Return: 1 with a frame, 0 if the ring is empty, or a negated VQ_E_*:
 * VQ_E_BROKEN (nothing taken, stop using the ring), VQ_E_SHORT, VQ_E_BIG
 * (@frame_len says how long it was) or a chain error (the chain was
 * skipped).
 */
int
vq_tx_frame(struct vq *q, const struct vq_mem *m, uint8_t *hdr,
	    size_t hdr_len, uint8_t *buf, size_t cap, uint32_t *frame_len)
{
	struct vq_chain c;
	uint16_t head;
	int n = vq_avail_count(q), r;

	if (n <= 0)
		return n;
	prefetch_ahead(q, m, n, 0);
	head = ld16(&q->avail->ring[q->last_avail & (q->num - 1)]);
	q->last_avail++;
	r = vq_chain_get(q, m, head, false, &c);
	if (r < 0)
		goto out;
	if (c.len < hdr_len) {
		r = -VQ_E_SHORT;
		goto out;
	}
	*frame_len = c.len - (uint32_t)hdr_len;
	if (*frame_len > cap) {
		r = -VQ_E_BIG;
		goto out;
	}
	vq_chain_read(&c, 0, hdr, hdr_len);
	vq_chain_read(&c, hdr_len, buf, *frame_len);
	r = 1;
out:
	/* An out-of-range head is still the driver's to get back. */
	vq_push(q, head, 0);
	return r;
}

/**
 * vq_rx_frame() - put a header and a frame into the driver's receive
 * buffers
 * @q:         a mapped queue
 * @m:         the memory table
 * @hdr:       the virtio_net_hdr (@hdr_len bytes); with @mergeable its
 *             num_buffers (bytes 10-11) is filled in here
 * @hdr_len:   10 or 12 (12 with @mergeable)
 * @frame:     the frame
 * @frame_len: its bytes
 * @mergeable: MRG_RXBUF: the frame may span several chains
 * @n_bad:     incremented for each bad chain skipped (given back with
 *             length 0)
 *
 * All or nothing: when the ring runs out part-way, the chains taken are
 * put back in the avail ring's order (not consumed) and 0 is returned, so
 * the frame can wait for more buffers.  Entries are pushed, not published.
 *
 * Return: 1 delivered, 0 no room now, -VQ_E_BIG when the frame can never
 * fit (a single chain too small without @mergeable, or more than
 * VQ_SEGS_MAX chains needed with it; the chains are left for a smaller
 * frame), -VQ_E_BROKEN.
 */
int
vq_rx_frame(struct vq *q, const struct vq_mem *m, const uint8_t *hdr,
	    size_t hdr_len, const uint8_t *frame, uint32_t frame_len,
	    bool mergeable, unsigned int *n_bad)
{
	struct { uint16_t head; uint32_t len; } used[VQ_SEGS_MAX];
	size_t need = hdr_len + frame_len, done = 0;
	uint16_t start = q->last_avail, first_used = q->used_idx;
	unsigned int n_used = 0;
	struct vq_chain chains[2];	/* the first, and the current */
	int avail = vq_avail_count(q);

	if (avail < 0)
		return avail;
	if (hdr_len > VNET_HDR_MAX)
		return -VQ_E_BIG;	/* not a virtio_net_hdr */
	prefetch_ahead(q, m, avail, 1);
	while (done < need) {
		struct vq_chain *c;
		uint16_t head;
		size_t take;
		int r;

		if (avail-- <= 0 || n_used == VQ_SEGS_MAX) {
			/* Give back what was taken: not enough buffers now,
			 * or a frame that needs more than we would ever
			 * gather for it. */
			q->last_avail = start;
			q->used_idx = first_used;
			return n_used == VQ_SEGS_MAX ? -VQ_E_BIG : 0;
		}
		head = ld16(&q->avail->ring[q->last_avail & (q->num - 1)]);
		q->last_avail++;
		c = &chains[n_used ? 1 : 0];
		r = vq_chain_get(q, m, head, true, c);
		if (r < 0 || (n_used == 0 && c->len < hdr_len)) {
			/*
			 * Skipped for good, whatever happens to the frame:
			 * given back empty, with any chains already filled
			 * for this frame, which starts again after it.
			 */
			for (unsigned int i = 0; i < n_used; i++)
				vq_push(q, used[i].head, 0);
			vq_push(q, head, 0);
			n_used = 0;
			done = 0;
			first_used = q->used_idx;
			start = q->last_avail;
			(*n_bad)++;
			continue;
		}
		if (!mergeable && c->len < need) {
			q->last_avail--;
			return -VQ_E_BIG;
		}
		if (n_used == 0)
			done = hdr_len;	/* the header goes whole into it */
		take = c->len - (n_used == 0 ? hdr_len : 0);
		if (take > need - done)
			take = need - done;
		vq_chain_write(c, n_used == 0 ? hdr_len : 0,
			       frame + (done - hdr_len), take);
		done += take;
		used[n_used].head = head;
		used[n_used].len = (uint32_t)(take + (n_used == 0 ? hdr_len
								  : 0));
		n_used++;
	}
	{
		uint8_t h[VNET_HDR_MAX];

		memcpy(h, hdr, hdr_len);
		if (mergeable && hdr_len >= 12) {
			h[10] = (uint8_t)n_used;
			h[11] = (uint8_t)(n_used >> 8);
		}
		vq_chain_write(&chains[0], 0, h, hdr_len);
	}
	for (unsigned int i = 0; i < n_used; i++)
		vq_push(q, used[i].head, used[i].len);
	return 1;
}

/**
 * vq_err_name() - a short name for a negated VQ_E_* value
 * @e: the value
 *
 * Return: e.g. "chain longer than the ring"; "?" for anything else.
 */
const char *
vq_err_name(int e)
{
	static const char *const names[VQ_E_MAX] = {
		[VQ_E_INDEX] = "index out of range",
		[VQ_E_ADDR] = "address outside guest memory",
		[VQ_E_LOOP] = "chain longer than the ring",
		[VQ_E_INDIRECT] = "bad indirect table",
		[VQ_E_DIR] = "wrong direction",
		[VQ_E_SEGS] = "too many segments",
		[VQ_E_SHORT] = "shorter than its header",
		[VQ_E_BIG] = "frame too big",
		[VQ_E_BROKEN] = "avail index jumped",
	};

	e = -e;
	return e > 0 && e < VQ_E_MAX && names[e] ? names[e] : "?";
}
