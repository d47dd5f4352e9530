/* SPDX-License-Identifier: MIT */
/*
 * pkt.h - the packet pool and packet batches.
 *
 * Theory of operation
 *
 * Every frame lives in a struct pkt taken from one pool preallocated at
 * start (--pool, --frame-max).  The buffers are one anonymous mapping with a
 * huge-page hint and MAP_NORESERVE, so only the bytes frames actually touch
 * become resident; the metadata is a separate dense array, so walking a batch
 * touches one cache line per packet, not one page.
 *
 * Each buffer has PKT_HEADROOM bytes before the frame, so an encapsulation
 * (VXLAN, a virtio-net header) can be prepended without a copy.
 *
 * A pkt is reference counted: a flooded frame is queued to every destination
 * once and each holds one reference; pkt_put() returns it to the pool's free
 * stack when the last holder lets go.  The free stack is LIFO, so the buffers
 * in use stay warm in cache.
 *
 * Nothing here allocates after pkt_pool_init().
 */
#ifndef LANYARD_CORE_PKT_H
#define LANYARD_CORE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define PKT_BURST 32		/* frames per batch, everywhere */
#define PKT_HEADROOM 128	/* room for outer headers */
#define PKT_FRAME_MAX_DEFAULT 65550	/* a 64 KiB GSO frame + VLAN tag */
#define PKT_POOL_DEFAULT 4096
#define ETH_HLEN_MIN 14

struct port;
struct pkt_pool;

/*
 * What the sender of a frame left for the receiver to do, as a
 * virtio_net_hdr describes it (protocols.md §3): a partial checksum to
 * finish, a super-frame to cut into segments.  Offsets count from
 * pkt->data.  All zero for a plain, complete frame: ports that carry no
 * vnet header see nothing else (port_xmit() finishes or segments first).
 */
struct pkt_off {
	uint8_t flags;		/* VNET_HDR_F_NEEDS_CSUM, _DATA_VALID */
	uint8_t gso_type;	/* VNET_GSO_*, with VNET_GSO_ECN */
	uint16_t hdr_len;	/* L2+L3+L4 header bytes (a hint) */
	uint16_t gso_size;	/* payload bytes per segment */
	uint16_t csum_start;	/* where checksumming starts */
	uint16_t csum_offset;	/* where the sum goes, from csum_start */
};

struct pkt {
	uint8_t *data;		/* first byte of the frame */
	uint32_t len;		/* frame bytes */
	uint16_t refcnt;
	uint16_t vlan;		/* classified VLAN, 0 = none */
	uint8_t pcp;		/* 802.1p priority of the ingress tag */
	bool dei;
	uint16_t tagged_tpid;	/* TPID of 'tagged' */
	struct pkt *tagged;	/* this frame with its VLAN tag, for trunks;
				 * valid during one bridge_input() */
	struct port *in;	/* ingress port */
	struct pkt_off off;	/* offload state, zero for a plain frame */
	struct pkt_pool *pool;
	uint8_t *head;		/* start of the buffer (headroom) */
};

struct pkt_pool {
	struct pkt *pkts;
	struct pkt **free;	/* stack of free pkts */
	uint8_t *mem;
	size_t mem_len;
	size_t stride;		/* bytes per buffer */
	uint32_t frame_max;
	uint32_t count;
	uint32_t n_free;
};

struct pkt_batch {
	unsigned int n;
	struct pkt *pkts[PKT_BURST];
};

int pkt_pool_init(struct pkt_pool *pool, uint32_t count, uint32_t frame_max,
		  char *err);
void pkt_pool_fini(struct pkt_pool *pool);
unsigned int pkt_alloc_burst(struct pkt_pool *pool, struct pkt **pkts,
			     unsigned int n);

/**
 * pkt_put() - drop one reference; the last one returns @p to its pool
 * @p: the packet
 */
static inline void
pkt_put(struct pkt *p)
{
	ASSERT(p->refcnt > 0);
	if (--p->refcnt == 0)
		p->pool->free[p->pool->n_free++] = p;
}

/**
 * pkt_get() - take one more reference on @p
 * @p: the packet
 */
static inline void
pkt_get(struct pkt *p)
{
	p->refcnt++;
}

/**
 * pkt_reset() - point @p's frame at the start of its buffer after the
 * headroom, empty
 * @p: the packet
 */
static inline void
pkt_reset(struct pkt *p)
{
	p->data = p->head + PKT_HEADROOM;
	p->len = 0;
	p->vlan = 0;
	p->pcp = 0;
	p->dei = false;
	p->tagged = NULL;
	p->in = NULL;
	p->off = (struct pkt_off){ 0 };
}

/**
 * pkt_off_shift() - keep @o's offsets right after @delta bytes were
 * inserted (positive) or removed (negative) before the L3 header, as a
 * VLAN tag is
 * @o:     the offload state
 * @delta: bytes added before the offsets' targets
 */
static inline void
pkt_off_shift(struct pkt_off *o, int delta)
{
	if (o->csum_start)
		o->csum_start = (uint16_t)(o->csum_start + delta);
	if (o->hdr_len)
		o->hdr_len = (uint16_t)(o->hdr_len + delta);
}

/**
 * pkt_has_off() - whether @p still needs work a plain port cannot do
 * @p: the packet
 */
static inline bool
pkt_has_off(const struct pkt *p)
{
	return p->off.gso_type != 0 || (p->off.flags & 1);
}

/**
 * pkt_batch_put_all() - drop the batch's references and empty it
 * @b: the batch
 */
static inline void
pkt_batch_put_all(struct pkt_batch *b)
{
	for (unsigned int i = 0; i < b->n; i++)
		pkt_put(b->pkts[i]);
	b->n = 0;
}

#endif /* LANYARD_CORE_PKT_H */
