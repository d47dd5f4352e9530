/* SPDX-License-Identifier: MIT */
/*
 * virtq.h - split virtqueues in a guest's memory (virtio 1.x §2.7), seen
 * from the device side: what a vhost-user back-end reads and writes.
 *
 * Theory of operation
 *
 * The front-end (QEMU, DPDK's virtio-user) shares its memory as up to
 * VQ_REGIONS_MAX regions (struct vq_mem).  Ring addresses are the
 * front-end's virtual addresses, descriptor addresses guest-physical; both
 * are translated only through vq_mem_uva()/vq_mem_gpa(), which refuse any
 * range not wholly inside one region, so nothing here touches memory the
 * front-end did not share.  A buffer that straddles two adjacent regions
 * is split into one segment per region.
 *
 * Everything in the rings belongs to a peer that may be hostile and may
 * change it while we look:
 *   - each descriptor is copied once and only the copy is used (no double
 *     fetch);
 *   - head and next indexes are checked against the ring size;
 *   - a chain may not be longer than the ring (virtio 1.x 2.7.5.3.1), which
 *     also ends any loop; an indirect table counts towards that bound, must
 *     be a whole number of descriptors, may not nest or come with NEXT, and
 *     is refused unless INDIRECT_DESC was negotiated;
 *   - a chain must be all device-readable (transmit) or all device-writable
 *     (receive), and holds at most VQ_SEGS_MAX segments;
 *   - avail->idx moving more than the ring size past our position breaks
 *     the ring (VQ_E_BROKEN): the caller ends the connection.
 * A bad chain is given back to the guest (used, length 0) and reported; it
 * costs that chain only.
 *
 * Indexes are free-running 16-bit counters; the ring size is a power of 2
 * up to VQ_NUM_MAX, so a slot is idx & (num - 1).  Fields are
 * little-endian (VERSION_1).  avail->idx is read with acquire semantics,
 * used->idx written with release semantics; the notification decisions use
 * a full fence, as the EVENT_IDX protocol requires.
 *
 * Notifications: vq_notify_enable()/vq_notify_disable() turn the guest's
 * kicks on and off (used->flags NO_NOTIFY, or avail_event with EVENT_IDX);
 * vq_need_call() says whether the guest wants an interrupt for what was
 * published since the last one (avail->flags NO_INTERRUPT, or used_event).
 *
 * Pure code: no syscalls, no allocation, no globals; the unit tests and
 * fuzz targets run it on rings in ordinary memory.
 */
#ifndef LANYARD_PROTO_VIRTQ_H
#define LANYARD_PROTO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VQ_REGIONS_MAX 8	/* vhost-user without CONFIGURE_MEM_SLOTS */
#define VQ_NUM_MAX 32768	/* largest split ring (virtio 1.x) */
#define VQ_SEGS_MAX 64		/* segments of one chain we take */

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

/* Errors, returned negated. */
enum vq_err {
	VQ_E_INDEX = 1,		/* head or next beyond the ring */
	VQ_E_ADDR,		/* buffer or table outside shared memory */
	VQ_E_LOOP,		/* chain longer than the ring: a loop */
	VQ_E_INDIRECT,		/* indirect table malformed or not allowed */
	VQ_E_DIR,		/* readable where writable expected, or back */
	VQ_E_SEGS,		/* more than VQ_SEGS_MAX segments */
	VQ_E_SHORT,		/* transmit chain shorter than its header */
	VQ_E_BIG,		/* frame longer than the caller's buffer */
	VQ_E_BROKEN,		/* avail->idx moved by more than the ring */
	VQ_E_MAX
};

struct vq_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;		/* bytes */
	uint64_t uva;		/* the front-end's virtual address of it */
	uint8_t *hva;		/* where the bytes are mapped here */
};

struct vq_mem {
	unsigned int n;
	struct vq_region r[VQ_REGIONS_MAX];
};

/* Ring layouts in guest memory (little-endian). */
struct vq_desc {
	uint64_t addr;		/* guest-physical */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* num entries, then used_event */
};

struct vq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[];	/* num entries, then avail_event */
};

struct vq {
	uint16_t num;			/* ring size, a power of 2 */
	struct vq_desc *desc;
	struct vq_avail *avail;
	struct vq_used *used;
	uint16_t last_avail;		/* next avail entry to take */
	uint16_t used_idx;		/* next used entry to fill */
	uint16_t signalled;		/* used idx at the last call */
	bool signalled_valid;		/* 'signalled' means something */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX acked */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC acked */
	bool notify_off;		/* kicks are turned off */
};

/* One segment of a chain, in our address space. */
struct vq_seg {
	uint8_t *base;
	uint32_t len;
};

struct vq_chain {
	uint16_t head;
	unsigned int n;			/* segments */
	uint32_t len;			/* their bytes together */
	struct vq_seg segs[VQ_SEGS_MAX];
};

void *vq_mem_gpa(const struct vq_mem *m, uint64_t gpa, uint64_t len);
void *vq_mem_uva(const struct vq_mem *m, uint64_t uva, uint64_t len);
int vq_map(struct vq *q, const struct vq_mem *m, uint16_t num,
	   uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva);
size_t vq_desc_bytes(uint16_t num);
size_t vq_avail_bytes(uint16_t num);
size_t vq_used_bytes(uint16_t num);

int vq_avail_count(const struct vq *q);
int vq_chain_get(const struct vq *q, const struct vq_mem *m, uint16_t head,
		 bool writable, struct vq_chain *c);
size_t vq_chain_read(const struct vq_chain *c, size_t off, void *dst,
		     size_t len);
size_t vq_chain_write(const struct vq_chain *c, size_t off, const void *src,
		      size_t len);
void vq_push(struct vq *q, uint16_t head, uint32_t len);
void vq_publish(struct vq *q);
bool vq_need_call(struct vq *q);
bool vq_notify_enable(struct vq *q);
void vq_notify_disable(struct vq *q);

int vq_tx_frame(struct vq *q, const struct vq_mem *m, uint8_t *hdr,
		size_t hdr_len, uint8_t *buf, size_t cap, uint32_t *frame_len);
int vq_rx_frame(struct vq *q, const struct vq_mem *m, const uint8_t *hdr,
		size_t hdr_len, const uint8_t *frame, uint32_t frame_len,
		bool mergeable, unsigned int *n_bad);
const char *vq_err_name(int e);

#endif /* LANYARD_PROTO_VIRTQ_H */
