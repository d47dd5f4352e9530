/* SPDX-License-Identifier: MIT */
/*
 * test_pkt.c - unit tests of the packet pool (core/pkt.h): bounds,
 * exhaustion, freeing, reference counting, the LIFO free stack, headroom
 * and the separation of buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "core/util.h"

#define POOL 64
#define FRAME 1518

static int
setup(void **state)
{
	struct pkt_pool *pool = calloc(1, sizeof(*pool));
	char err[ERR_LEN] = "";

	assert_non_null(pool);
	assert_int_equal(pkt_pool_init(pool, POOL, FRAME, err), 0);
	*state = pool;
	return 0;
}

static int
teardown(void **state)
{
	struct pkt_pool *pool = *state;

	pkt_pool_fini(pool);
	free(pool);
	return 0;
}

static void
test_init_bounds(void **state)
{
	struct pkt_pool pool;
	char err[ERR_LEN] = "";

	(void)state;
	assert_int_equal(pkt_pool_init(&pool, PKT_BURST - 1, FRAME, err),
			 -EINVAL);
	assert_true(err[0] != '\0');
	pkt_pool_fini(&pool);	/* a zeroed pool is accepted */
	assert_int_equal(pkt_pool_init(&pool, (1U << 24) + 1, FRAME, err),
			 -EINVAL);
	assert_int_equal(pkt_pool_init(&pool, POOL, 63, err), -EINVAL);
	assert_int_equal(pkt_pool_init(&pool, POOL, (1U << 20) + 1, err),
			 -EINVAL);
	assert_int_equal(pkt_pool_init(&pool, PKT_BURST, 64, err), 0);
	assert_int_equal(pool.n_free, PKT_BURST);
	assert_int_equal(pool.count, PKT_BURST);
	pkt_pool_fini(&pool);
	pkt_pool_fini(&pool);	/* twice is harmless */
}

static void
test_exhaustion(void **state)
{
	struct pkt_pool *pool = *state;
	struct pkt *a[PKT_BURST], *b[PKT_BURST], *c[PKT_BURST];

	assert_int_equal(pkt_alloc_burst(pool, a, PKT_BURST), PKT_BURST);
	assert_int_equal(pkt_alloc_burst(pool, b, 20), 20);
	/* 12 left: asked for 32, given 12. */
	assert_int_equal(pkt_alloc_burst(pool, c, PKT_BURST), POOL - 52);
	assert_int_equal(pool->n_free, 0);
	assert_int_equal(pkt_alloc_burst(pool, c + 12, 5), 0);
	assert_int_equal(pkt_alloc_burst(pool, c + 12, 0), 0);
	/* Free some back, get exactly that many. */
	for (int i = 0; i < 7; i++)
		pkt_put(b[i]);
	assert_int_equal(pool->n_free, 7);
	assert_int_equal(pkt_alloc_burst(pool, c + 12, PKT_BURST), 7);
	assert_int_equal(pool->n_free, 0);
	for (int i = 0; i < PKT_BURST; i++)
		pkt_put(a[i]);
	for (int i = 7; i < 20; i++)
		pkt_put(b[i]);
	for (int i = 0; i < 19; i++)
		pkt_put(c[i]);
	assert_int_equal(pool->n_free, POOL);
}

/* All packets are distinct, and so are their buffers. */
static void
test_buffers_distinct(void **state)
{
	struct pkt_pool *pool = *state;
	struct pkt *all[POOL];

	for (int i = 0; i < POOL; i += PKT_BURST)
		assert_int_equal(pkt_alloc_burst(pool, all + i, PKT_BURST),
				 PKT_BURST);
	/* Fill headroom and a full frame of each with its own byte. */
	for (int i = 0; i < POOL; i++) {
		struct pkt *p = all[i];

		assert_ptr_equal(p->pool, pool);
		assert_ptr_equal(p->data, p->head + PKT_HEADROOM);
		memset(p->head, i + 1, PKT_HEADROOM + FRAME);
	}
	for (int i = 0; i < POOL; i++) {
		const uint8_t *h = all[i]->head;

		for (size_t k = 0; k < PKT_HEADROOM + FRAME; k++)
			if (h[k] != (uint8_t)(i + 1))
				fail_msg("buffer %d byte %zu changed", i, k);
	}
	for (int i = 0; i < POOL; i++)
		pkt_put(all[i]);
	assert_int_equal(pool->n_free, POOL);
}

static void
test_alloc_resets(void **state)
{
	struct pkt_pool *pool = *state;
	struct pkt *p, *q;

	assert_int_equal(pkt_alloc_burst(pool, &p, 1), 1);
	assert_int_equal(p->refcnt, 1);
	assert_int_equal(p->len, 0);
	assert_null(p->in);
	assert_null(p->tagged);
	/* Dirty it, free it; LIFO gives the same packet back, clean. */
	p->data += 10;
	p->len = 100;
	p->vlan = 7;
	p->pcp = 3;
	p->dei = true;
	p->in = (struct port *)p;
	p->tagged = p;
	pkt_put(p);
	assert_int_equal(pkt_alloc_burst(pool, &q, 1), 1);
	assert_ptr_equal(q, p);
	assert_ptr_equal(q->data, q->head + PKT_HEADROOM);
	assert_int_equal(q->len, 0);
	assert_int_equal(q->vlan, 0);
	assert_int_equal(q->pcp, 0);
	assert_false(q->dei);
	assert_null(q->in);
	assert_null(q->tagged);
	assert_int_equal(q->refcnt, 1);
	pkt_put(q);
}

static void
test_refcount(void **state)
{
	struct pkt_pool *pool = *state;
	struct pkt *p;

	assert_int_equal(pkt_alloc_burst(pool, &p, 1), 1);
	assert_int_equal(pool->n_free, POOL - 1);
	pkt_get(p);
	pkt_get(p);
	assert_int_equal(p->refcnt, 3);
	pkt_put(p);
	pkt_put(p);
	assert_int_equal(pool->n_free, POOL - 1);	/* still held */
	assert_int_equal(p->refcnt, 1);
	pkt_put(p);
	assert_int_equal(pool->n_free, POOL);
	assert_int_equal(p->refcnt, 0);
}

static void
test_batch_put_all(void **state)
{
	struct pkt_pool *pool = *state;
	struct pkt_batch b = {.n = 0};

	b.n = pkt_alloc_burst(pool, b.pkts, PKT_BURST);
	assert_int_equal(b.n, PKT_BURST);
	pkt_get(b.pkts[3]);	/* shared with someone else */
	pkt_batch_put_all(&b);
	assert_int_equal(b.n, 0);
	assert_int_equal(pool->n_free, POOL - 1);
	assert_int_equal(pkt_alloc_burst(pool, b.pkts, PKT_BURST), PKT_BURST);
	b.n = PKT_BURST;
	pkt_batch_put_all(&b);
	assert_int_equal(pool->n_free, POOL - 1);
}

static void
test_headroom(void **state)
{
	struct pkt_pool *pool = *state;
	struct pkt *p;

	assert_int_equal(pkt_alloc_burst(pool, &p, 1), 1);
	memcpy(p->data, "frame", 5);
	p->len = 5;
	/* Prepend an outer header into the headroom, no copy of the frame. */
	p->data -= PKT_HEADROOM;
	p->len += PKT_HEADROOM;
	assert_ptr_equal(p->data, p->head);
	memset(p->data, 0xee, PKT_HEADROOM);
	assert_memory_equal(p->data + PKT_HEADROOM, "frame", 5);
	pkt_reset(p);
	assert_ptr_equal(p->data, p->head + PKT_HEADROOM);
	assert_int_equal(p->len, 0);
	pkt_put(p);
}

/* The buffers are usable up to frame_max: the pool does not round down. */
static void
test_large_frames(void **state)
{
	struct pkt_pool pool;
	struct pkt *p[PKT_BURST];
	char err[ERR_LEN] = "";

	(void)state;
	assert_int_equal(pkt_pool_init(&pool, PKT_BURST, PKT_FRAME_MAX_DEFAULT,
				       err),
			 0);
	assert_int_equal(pool.frame_max, PKT_FRAME_MAX_DEFAULT);
	assert_int_equal(pkt_alloc_burst(&pool, p, PKT_BURST), PKT_BURST);
	for (int i = 0; i < PKT_BURST; i++)
		memset(p[i]->data, i, PKT_FRAME_MAX_DEFAULT);
	for (int i = 0; i < PKT_BURST; i++) {
		assert_int_equal(p[i]->data[0], i);
		assert_int_equal(p[i]->data[PKT_FRAME_MAX_DEFAULT - 1], i);
		pkt_put(p[i]);
	}
	assert_int_equal(pool.n_free, PKT_BURST);
	pkt_pool_fini(&pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test_setup_teardown(test_exhaustion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_buffers_distinct, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_alloc_resets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refcount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_put_all, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_headroom, setup, teardown),
		cmocka_unit_test(test_large_frames),
	};

	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}
