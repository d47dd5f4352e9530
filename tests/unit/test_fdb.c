/* SPDX-License-Identifier: MIT */
/*
 * test_fdb.c - unit tests of the MAC table (bridge/fdb.h): learning,
 * refresh and move, static entries, ageing with an explicit 'now', the
 * full-table and per-port policies, flushing, deletion, VLAN separation,
 * and a randomised check of the back-shift deletion against a reference
 * model.  Ports are zeroed struct port values: the table only reads and
 * updates their max_macs and n_macs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/fdb.h"
#include "core/util.h"
#include "port/port.h"

#define MAC(n) (0x020000000000ULL | (uint64_t)(n))
#define KEY(n) fdb_key(MAC(n), 0)

struct ctx {
	struct fdb f;
	struct port ports[4];
};

static int
ctx_new(void **state, uint32_t capacity, uint32_t ageing)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char err[ERR_LEN] = "";

	assert_non_null(c);
	assert_int_equal(fdb_init(&c->f, capacity, ageing, err), 0);
	*state = c;
	return 0;
}

static int
setup(void **state)
{
	return ctx_new(state, 64, 300);
}

static int
setup_no_ageing(void **state)
{
	return ctx_new(state, 64, 0);
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	fdb_fini(&c->f);
	free(c);
	return 0;
}

/* Every entry in the table, counted by scanning the slots. */
static uint32_t
count_slots(const struct fdb *f)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < fdb_slots(f); i++)
		n += f->slots[i].key != 0;
	return n;
}

static void
test_init_bounds(void **state)
{
	struct fdb f;
	char err[ERR_LEN] = "";

	(void)state;
	assert_int_equal(fdb_init(&f, 0, 300, err), -EINVAL);
	assert_true(err[0] != '\0');
	fdb_fini(&f);	/* a zeroed table is accepted */
	assert_int_equal(fdb_init(&f, (1U << 24) + 1, 300, err), -EINVAL);
	fdb_fini(&f);
	assert_int_equal(fdb_init(&f, 100, 300, err), 0);
	/* At least twice as many slots as entries, a power of two. */
	assert_true(fdb_slots(&f) >= 200);
	assert_int_equal(fdb_slots(&f) & (fdb_slots(&f) - 1), 0);
	assert_int_equal(f.count, 0);
	fdb_fini(&f);
}

static void
test_key_packing(void **state)
{
	uint64_t k = fdb_key(0xffeeddccbbaaULL, 4095);

	(void)state;
	assert_true(k != 0);
	assert_true(fdb_key(0, 0) != 0);
	assert_int_equal(fdb_key_mac(k), 0xffeeddccbbaaULL);
	assert_int_equal(fdb_key_vlan(k), 4095);
	assert_true(fdb_key(1, 1) != fdb_key(1, 2));
}

static void
test_learn_new(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0];

	assert_null(fdb_lookup(&c->f, KEY(1)));
	assert_int_equal(fdb_learn(&c->f, KEY(1), a, 10), FDB_LEARN_NEW);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1)), a);
	assert_null(fdb_lookup(&c->f, KEY(2)));
	assert_int_equal(c->f.count, 1);
	assert_int_equal(a->n_macs, 1);
	assert_int_equal(c->f.stats.learned, 1);
}

static void
test_refresh_and_move(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0], *b = &c->ports[1];
	uint64_t gen;

	assert_int_equal(fdb_learn(&c->f, KEY(1), a, 10), FDB_LEARN_NEW);
	gen = c->f.gen;
	assert_int_equal(fdb_learn(&c->f, KEY(1), a, 11), FDB_LEARN_REFRESHED);
	assert_int_equal(c->f.stats.moved, 0);
	assert_int_equal(c->f.gen, gen);	/* a refresh changes nothing */
	assert_int_equal(fdb_learn(&c->f, KEY(1), b, 12), FDB_LEARN_MOVED);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1)), b);
	assert_int_equal(c->f.stats.moved, 1);
	assert_true(c->f.gen > gen);
	assert_int_equal(a->n_macs, 0);
	assert_int_equal(b->n_macs, 1);
	assert_int_equal(c->f.count, 1);
	assert_int_equal(c->f.stats.learned, 1);
}

static void
test_static_never_moves(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0], *b = &c->ports[1];

	assert_int_equal(fdb_add_static(&c->f, KEY(1), a, 10), 0);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1)), a);
	assert_int_equal(fdb_learn(&c->f, KEY(1), b, 11), FDB_LEARN_STATIC);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1)), a);
	assert_int_equal(c->f.stats.moved, 0);
	assert_int_equal(a->n_macs, 1);
	assert_int_equal(b->n_macs, 0);
	/* Seen again on its own port: fine, still static. */
	fdb_learn(&c->f, KEY(1), a, 12);
	assert_int_equal(fdb_learn(&c->f, KEY(1), b, 13), FDB_LEARN_STATIC);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1)), a);
}

static void
test_static_overrides_learned(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0], *b = &c->ports[1];

	assert_int_equal(fdb_learn(&c->f, KEY(1), a, 10), FDB_LEARN_NEW);
	assert_int_equal(fdb_add_static(&c->f, KEY(1), b, 10), 0);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1)), b);
	assert_int_equal(a->n_macs, 0);
	assert_int_equal(b->n_macs, 1);
	assert_int_equal(c->f.count, 1);
	assert_int_equal(fdb_learn(&c->f, KEY(1), a, 11), FDB_LEARN_STATIC);
}

static void
test_ageing(void **state)
{
	struct ctx *c = *state;	/* ageing 300 s */
	struct port *a = &c->ports[0];
	uint32_t slots = fdb_slots(&c->f);

	fdb_learn(&c->f, KEY(1), a, 1000);
	fdb_learn(&c->f, KEY(2), a, 1000);
	fdb_add_static(&c->f, KEY(3), a, 1000);
	fdb_learn(&c->f, KEY(2), a, 1200);	/* refreshed */

	assert_int_equal(fdb_age(&c->f, 1299, slots), 0);
	assert_int_equal(c->f.count, 3);
	assert_int_equal(fdb_age(&c->f, 1300, slots), 1);	/* KEY(1) */
	assert_null(fdb_lookup(&c->f, KEY(1)));
	assert_ptr_equal(fdb_lookup(&c->f, KEY(2)), a);
	assert_int_equal(c->f.stats.aged, 1);
	assert_int_equal(fdb_age(&c->f, 1499, slots), 0);
	assert_int_equal(fdb_age(&c->f, 1500, slots), 1);	/* KEY(2) */
	assert_null(fdb_lookup(&c->f, KEY(2)));
	/* Static entries never age. */
	assert_int_equal(fdb_age(&c->f, 1000000, slots), 0);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(3)), a);
	assert_int_equal(c->f.count, 1);
	assert_int_equal(a->n_macs, 1);
	assert_int_equal(c->f.stats.aged, 2);
}

static void
test_ageing_zero_is_never(void **state)
{
	struct ctx *c = *state;	/* ageing 0 */
	struct port *a = &c->ports[0];

	fdb_learn(&c->f, KEY(1), a, 5);
	assert_int_equal(fdb_age(&c->f, 5, fdb_slots(&c->f)), 0);
	assert_int_equal(fdb_age(&c->f, 4000000000U, fdb_slots(&c->f)), 0);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1)), a);
	assert_int_equal(c->f.stats.aged, 0);
}

/* fdb_age() does bounded work, yet repeated slices sweep the whole table. */
static void
test_ageing_bounded_slices(void **state)
{
	struct ctx *c = *state;	/* 64 entries, ageing 300 */
	struct port *a = &c->ports[0];
	uint32_t slots = fdb_slots(&c->f), removed = 0;

	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(fdb_learn(&c->f, KEY(i), a, 0), FDB_LEARN_NEW);
	/* One slot per call: at most one entry per call. */
	for (uint32_t k = 0; k < 8; k++) {
		unsigned int n = fdb_age(&c->f, 300, 1);

		assert_true(n <= 1);
		removed += n;
	}
	assert_true(removed <= 8);
	/* Enough slices to cover every slot twice remove everything. */
	for (uint32_t k = 0; k < 2 * slots / 7 + 2; k++)
		removed += fdb_age(&c->f, 300, 7);
	assert_int_equal(removed, 64);
	assert_int_equal(c->f.count, 0);
	assert_int_equal(count_slots(&c->f), 0);
	assert_int_equal(a->n_macs, 0);
}

static void
test_full_policy(void **state)
{
	struct ctx *c = *state;	/* capacity 64 */
	struct port *a = &c->ports[0], *b = &c->ports[1];

	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(fdb_learn(&c->f, KEY(i), a, 1), FDB_LEARN_NEW);
	assert_int_equal(c->f.count, 64);
	assert_int_equal(fdb_learn(&c->f, KEY(1000), b, 2), FDB_LEARN_FULL);
	assert_int_equal(fdb_learn(&c->f, KEY(1001), a, 2), FDB_LEARN_FULL);
	assert_int_equal(c->f.stats.full, 2);
	assert_null(fdb_lookup(&c->f, KEY(1000)));
	assert_int_equal(c->f.count, 64);
	assert_int_equal(b->n_macs, 0);
	assert_int_equal(fdb_add_static(&c->f, KEY(1002), a, 2), -ENOSPC);
	/* Nothing was evicted; existing entries refresh and move. */
	for (unsigned int i = 0; i < 64; i++)
		assert_ptr_equal(fdb_lookup(&c->f, KEY(i)), a);
	assert_int_equal(fdb_learn(&c->f, KEY(5), a, 3), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_learn(&c->f, KEY(6), b, 3), FDB_LEARN_MOVED);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(6)), b);
	/* Space again: learning resumes. */
	assert_int_equal(fdb_del(&c->f, KEY(7)), 0);
	assert_int_equal(fdb_learn(&c->f, KEY(1000), b, 4), FDB_LEARN_NEW);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(1000)), b);
	assert_int_equal(c->f.stats.full, 2);
}

static void
test_port_limit(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0], *b = &c->ports[1];

	a->max_macs = 3;
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(fdb_learn(&c->f, KEY(i), a, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(&c->f, KEY(3), a, 1),
			 FDB_LEARN_PORT_LIMIT);
	assert_null(fdb_lookup(&c->f, KEY(3)));
	assert_int_equal(c->f.stats.port_limit, 1);
	assert_int_equal(a->n_macs, 3);
	/* Known ones still refresh. */
	assert_int_equal(fdb_learn(&c->f, KEY(0), a, 2), FDB_LEARN_REFRESHED);
	/* Other ports are unaffected. */
	for (unsigned int i = 10; i < 20; i++)
		assert_int_equal(fdb_learn(&c->f, KEY(i), b, 2), FDB_LEARN_NEW);
	/* A move onto a port at its limit is refused too. */
	assert_int_equal(fdb_learn(&c->f, KEY(10), a, 3),
			 FDB_LEARN_PORT_LIMIT);
	assert_ptr_equal(fdb_lookup(&c->f, KEY(10)), b);
	assert_int_equal(c->f.stats.port_limit, 2);
	/* Below the limit again after a move away. */
	assert_int_equal(fdb_learn(&c->f, KEY(0), b, 4), FDB_LEARN_MOVED);
	assert_int_equal(a->n_macs, 2);
	assert_int_equal(fdb_learn(&c->f, KEY(3), a, 4), FDB_LEARN_NEW);
	assert_int_equal(a->n_macs, 3);
}

static void
test_flush_port(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0], *b = &c->ports[1];

	for (unsigned int i = 0; i < 40; i++)
		fdb_learn(&c->f, KEY(i), i % 2 ? b : a, 1);
	fdb_add_static(&c->f, KEY(100), a, 1);
	assert_int_equal(a->n_macs, 21);
	assert_int_equal(fdb_flush_port(&c->f, a), 21);	/* static too */
	assert_int_equal(c->f.stats.flushed, 21);
	assert_int_equal(a->n_macs, 0);
	assert_int_equal(c->f.count, 20);
	assert_int_equal(count_slots(&c->f), 20);
	for (unsigned int i = 0; i < 40; i++)
		assert_ptr_equal(fdb_lookup(&c->f, KEY(i)), i % 2 ? b : NULL);
	assert_null(fdb_lookup(&c->f, KEY(100)));
	assert_int_equal(fdb_flush_port(&c->f, a), 0);
	assert_int_equal(fdb_flush_port(&c->f, b), 20);
	assert_int_equal(c->f.count, 0);
	assert_int_equal(count_slots(&c->f), 0);
}

static void
test_delete(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0];
	uint64_t gen;

	fdb_learn(&c->f, KEY(1), a, 1);
	fdb_learn(&c->f, KEY(2), a, 1);
	gen = c->f.gen;
	assert_int_equal(fdb_del(&c->f, KEY(1)), 0);
	assert_true(c->f.gen > gen);
	assert_null(fdb_lookup(&c->f, KEY(1)));
	assert_ptr_equal(fdb_lookup(&c->f, KEY(2)), a);
	assert_int_equal(fdb_del(&c->f, KEY(1)), -ENOENT);
	assert_int_equal(fdb_del(&c->f, KEY(3)), -ENOENT);
	assert_int_equal(c->f.count, 1);
	assert_int_equal(a->n_macs, 1);
	/* Static entries can be deleted. */
	fdb_add_static(&c->f, KEY(4), a, 1);
	assert_int_equal(fdb_del(&c->f, KEY(4)), 0);
	assert_null(fdb_lookup(&c->f, KEY(4)));
}

static void
test_vlans_are_distinct(void **state)
{
	struct ctx *c = *state;
	struct port *a = &c->ports[0], *b = &c->ports[1];
	uint64_t k10 = fdb_key(MAC(1), 10), k20 = fdb_key(MAC(1), 20);

	assert_int_equal(fdb_learn(&c->f, k10, a, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(&c->f, k20, b, 1), FDB_LEARN_NEW);
	assert_ptr_equal(fdb_lookup(&c->f, k10), a);
	assert_ptr_equal(fdb_lookup(&c->f, k20), b);
	assert_null(fdb_lookup(&c->f, fdb_key(MAC(1), 0)));
	assert_int_equal(c->f.stats.moved, 0);
	assert_int_equal(c->f.count, 2);
	assert_int_equal(fdb_del(&c->f, k10), 0);
	assert_ptr_equal(fdb_lookup(&c->f, k20), b);
}

static void
test_fill_empty_refill(void **state)
{
	struct ctx *c = *state;	/* capacity 64 */
	struct port *a = &c->ports[0];

	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < 64; i++)
			assert_int_equal(fdb_learn(&c->f, KEY(i * 7 + round),
						   a, 1),
					 FDB_LEARN_NEW);
		assert_int_equal(fdb_learn(&c->f, KEY(5000), a, 1),
				 FDB_LEARN_FULL);
		/* Remove in an order unrelated to insertion. */
		for (unsigned int i = 0; i < 64; i++) {
			unsigned int j = (i * 37) % 64;

			assert_int_equal(fdb_del(&c->f, KEY(j * 7 + round)), 0);
			for (unsigned int k = 0; k < 64; k++) {
				bool gone = false;

				for (unsigned int m = 0; m <= i; m++)
					gone |= (m * 37) % 64 == k;
				assert_ptr_equal(
					fdb_lookup(&c->f, KEY(k * 7 + round)),
					gone ? NULL : a);
			}
		}
		assert_int_equal(c->f.count, 0);
		assert_int_equal(count_slots(&c->f), 0);
		assert_int_equal(a->n_macs, 0);
	}
}

/* The reference model: a plain array of (key, port index). */
struct model {
	uint64_t keys[64];
	int ports[64];
	unsigned int n;
};

static int
model_find(const struct model *m, uint64_t key)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (m->keys[i] == key)
			return (int)i;
	return -1;
}

static void
model_remove(struct model *m, unsigned int i)
{
	m->keys[i] = m->keys[m->n - 1];
	m->ports[i] = m->ports[m->n - 1];
	m->n--;
}

static void
check_against_model(struct ctx *c, const struct model *m,
		    const uint64_t *universe, unsigned int n_universe)
{
	uint32_t per_port[4] = {0};

	assert_int_equal(c->f.count, m->n);
	assert_int_equal(count_slots(&c->f), m->n);
	for (unsigned int u = 0; u < n_universe; u++) {
		int i = model_find(m, universe[u]);
		struct port *want = i < 0 ? NULL : &c->ports[m->ports[i]];

		assert_ptr_equal(fdb_lookup(&c->f, universe[u]), want);
	}
	for (unsigned int i = 0; i < m->n; i++)
		per_port[m->ports[i]]++;
	for (unsigned int p = 0; p < 4; p++)
		assert_int_equal(c->ports[p].n_macs, per_port[p]);
}

/*
 * Random learn / delete / flush against the model.  Capacity 64 in 128
 * slots: full tables run at 50% load, so probe runs of several entries
 * (and runs wrapping past the last slot) are common, which is what the
 * back-shift deletion must get right.
 */
static void
test_random_against_model(void **state)
{
	struct ctx *c = *state;
	struct model m = {.n = 0};
	uint64_t universe[192];
	unsigned int seed = 12345;

	for (unsigned int u = 0; u < ARRAY_SIZE(universe); u++)
		universe[u] = fdb_key(MAC(rand_r(&seed) & 0xffffff),
				      (uint16_t)(rand_r(&seed) % 3));
	for (unsigned int op = 0; op < 4000; op++) {
		uint64_t key = universe[rand_r(&seed) % ARRAY_SIZE(universe)];
		int pi = rand_r(&seed) % 4, r = rand_r(&seed) % 100, i;

		i = model_find(&m, key);
		if (r < 55) {
			enum fdb_learn_result res =
				fdb_learn(&c->f, key, &c->ports[pi], op);
			enum fdb_learn_result want = FDB_LEARN_MOVED;

			if (i >= 0) {
				if (m.ports[i] == pi)
					want = FDB_LEARN_REFRESHED;
				assert_int_equal(res, want);
				m.ports[i] = pi;
			} else if (m.n == 64) {
				assert_int_equal(res, FDB_LEARN_FULL);
			} else {
				assert_int_equal(res, FDB_LEARN_NEW);
				m.keys[m.n] = key;
				m.ports[m.n++] = pi;
			}
		} else if (r < 98) {
			assert_int_equal(fdb_del(&c->f, key),
					 i >= 0 ? 0 : -ENOENT);
			if (i >= 0)
				model_remove(&m, (unsigned int)i);
		} else {
			unsigned int n = 0;

			for (unsigned int j = m.n; j-- > 0;)
				if (m.ports[j] == pi) {
					model_remove(&m, j);
					n++;
				}
			assert_int_equal(fdb_flush_port(&c->f, &c->ports[pi]),
					 n);
		}
		check_against_model(c, &m, universe, ARRAY_SIZE(universe));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_key_packing),
		cmocka_unit_test_setup_teardown(test_learn_new, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refresh_and_move, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_static_never_moves,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_overrides_learned,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ageing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ageing_zero_is_never,
						setup_no_ageing, teardown),
		cmocka_unit_test_setup_teardown(test_ageing_bounded_slices,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_policy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_port_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flush_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlans_are_distinct, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fill_empty_refill, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_random_against_model,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("fdb", tests, NULL, NULL);
}
