/* SPDX-License-Identifier: MIT */
/*
 * pkt.c - the packet pool.  See pkt.h for the theory of operation.
 */
#include "core/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/**
 * pkt_pool_init() - preallocate @count buffers of @frame_max bytes each
 * @pool:      the pool to fill
 * @count:     number of packets (at least PKT_BURST)
 * @frame_max: largest frame a buffer holds, headroom excluded
 * @err:       reason on failure
 *
 * Return: 0 or -errno.
 */
int
pkt_pool_init(struct pkt_pool *pool, uint32_t count, uint32_t frame_max,
	      char *err)
{
	memset(pool, 0, sizeof(*pool));
	if (count < PKT_BURST || count > 1U << 24)
		return ERR_SET(err, -EINVAL, "pool size %u out of range %u..%u",
			       count, PKT_BURST, 1U << 24);
	if (frame_max < 64 || frame_max > 1U << 20)
		return ERR_SET(err, -EINVAL, "frame size %u out of range 64..%u",
			       frame_max, 1U << 20);
	pool->stride = (PKT_HEADROOM + (size_t)frame_max + 63) & ~(size_t)63;
	pool->mem_len = pool->stride * count;
	pool->mem = mmap(NULL, pool->mem_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pool->mem == MAP_FAILED) {
		pool->mem = NULL;
		return ERR_SET(err, -ENOMEM, "pool: mmap %zu bytes: %s",
			       pool->mem_len, strerror(errno));
	}
	madvise(pool->mem, pool->mem_len, MADV_HUGEPAGE);
	pool->pkts = calloc(count, sizeof(*pool->pkts));
	pool->free = calloc(count, sizeof(*pool->free));
	if (!pool->pkts || !pool->free) {
		pkt_pool_fini(pool);
		return ERR_SET(err, -ENOMEM, "pool: out of memory");
	}
	pool->count = count;
	pool->frame_max = frame_max;
	/* Push in reverse so the first allocations take the lowest buffers. */
	for (uint32_t i = count; i-- > 0;) {
		struct pkt *p = &pool->pkts[i];

		p->pool = pool;
		p->head = pool->mem + (size_t)i * pool->stride;
		pool->free[pool->n_free++] = p;
	}
	return 0;
}

/**
 * pkt_pool_fini() - release the pool's memory; accepts a zeroed pool
 * @pool: the pool
 */
void
pkt_pool_fini(struct pkt_pool *pool)
{
	if (pool->mem)
		munmap(pool->mem, pool->mem_len);
	free(pool->pkts);
	free(pool->free);
	memset(pool, 0, sizeof(*pool));
}

/**
 * pkt_alloc_burst() - take up to @n packets, each reset and with one
 * reference
 * @pool: the pool
 * @pkts: where to store them
 * @n:    how many are wanted
 *
 * Return: how many were taken (fewer when the pool runs low).
 */
unsigned int
pkt_alloc_burst(struct pkt_pool *pool, struct pkt **pkts, unsigned int n)
{
	if (n > pool->n_free)
		n = pool->n_free;
	for (unsigned int i = 0; i < n; i++) {
		struct pkt *p = pool->free[--pool->n_free];

		p->refcnt = 1;
		pkt_reset(p);
		pkts[i] = p;
	}
	return n;
}
