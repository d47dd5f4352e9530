/* SPDX-License-Identifier: MIT */
/*
 * test_vtep.c - unit tests of a vxlan port's MAC -> VTEP table
 * (port/vtep.h): learning, refresh and move with IPv4 and IPv6 VTEPs,
 * static entries, the full-table policy, deletion, flushing, ageing with
 * an explicit 'now', VNI separation, address comparison and formatting,
 * the distinct-VTEP list, back-shift deletion inside probe runs built to
 * collide and to wrap past the last slot, and a randomised check of 4000
 * operations against a plain array model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "port/vtep.h"

#define MAC(n) (0x020000000000ULL | (uint64_t)(n))
#define KEY(n) vtep_key(MAC(n), 0)

static union vtep_addr
v4(const char *ip, uint16_t port)
{
	union vtep_addr a;

	memset(&a, 0, sizeof(a));
	a.v4.sin_family = AF_INET;
	a.v4.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &a.v4.sin_addr), 1);
	return a;
}

static union vtep_addr
v6(const char *ip, uint16_t port, uint32_t scope)
{
	union vtep_addr a;

	memset(&a, 0, sizeof(a));
	a.v6.sin6_family = AF_INET6;
	a.v6.sin6_port = htons(port);
	a.v6.sin6_scope_id = scope;
	assert_int_equal(inet_pton(AF_INET6, ip, &a.v6.sin6_addr), 1);
	return a;
}

static int
table_new(void **state, uint32_t capacity, uint32_t ageing)
{
	struct vtep_table *t = calloc(1, sizeof(*t));
	char err[ERR_LEN] = "";

	assert_non_null(t);
	assert_int_equal(vtep_init(t, capacity, ageing, err), 0);
	*state = t;
	return 0;
}

static int
setup(void **state)
{
	return table_new(state, 64, 300);
}

static int
setup_no_ageing(void **state)
{
	return table_new(state, 64, 0);
}

static int
teardown(void **state)
{
	vtep_fini(*state);
	free(*state);
	return 0;
}

static uint32_t
n_slots(const struct vtep_table *t)
{
	return t->mask + 1;
}

static uint32_t
count_slots(const struct vtep_table *t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < n_slots(t); i++)
		n += t->slots[i].key != 0;
	return n;
}

/* The address @key maps to must be @want (NULL: unknown). */
static void
expect(const struct vtep_table *t, uint64_t key, const union vtep_addr *want)
{
	const struct vtep_entry *e = vtep_lookup(t, key);

	if (!want) {
		assert_null(e);
		return;
	}
	assert_non_null(e);
	assert_int_equal(e->key, key);
	assert_true(vtep_addr_equal(&e->dst, want));
}

static void
test_init_bounds(void **state)
{
	struct vtep_table t;
	char err[ERR_LEN] = "";

	(void)state;
	assert_int_equal(vtep_init(&t, 0, 300, err), -EINVAL);
	assert_true(err[0] != '\0');
	vtep_fini(&t); /* a failed table is accepted */
	assert_int_equal(vtep_init(&t, VTEP_CAPACITY_MAX + 1, 300, err),
	                 -EINVAL);
	vtep_fini(&t);
	/* slots: the next power of two at or above twice the capacity */
	assert_int_equal(vtep_init(&t, 100, 300, err), 0);
	assert_int_equal(n_slots(&t), 256);
	assert_int_equal(t.count, 0);
	assert_int_equal(t.ageing, 300);
	vtep_fini(&t);
	assert_int_equal(vtep_init(&t, 128, 0, err), 0);
	assert_int_equal(n_slots(&t), 256);
	vtep_fini(&t);
	assert_int_equal(vtep_init(&t, 129, 0, err), 0);
	assert_int_equal(n_slots(&t), 512);
	vtep_fini(&t);
	/* a table of one still works */
	assert_int_equal(vtep_init(&t, 1, 0, err), 0);
	assert_int_equal(n_slots(&t), 2);
	assert_int_equal(vtep_learn(&t, KEY(1), &(union vtep_addr){0}, 0),
	                 VTEP_NEW);
	assert_int_equal(vtep_learn(&t, KEY(2), &(union vtep_addr){0}, 0),
	                 VTEP_FULL);
	assert_null(vtep_lookup(&t, KEY(2)));
	vtep_fini(&t);
	vtep_fini(&t); /* twice: zeroed the first time */
}

static void
test_key_packing(void **state)
{
	uint64_t k = vtep_key(0xffeeddccbbaaULL, 4095);

	(void)state;
	assert_true(k & VTEP_KEY_USED);
	assert_true(vtep_key(0, 0) != 0);
	assert_int_equal(k, VTEP_KEY_USED | 4095ULL << 48 | 0xffeeddccbbaaULL);
	assert_int_equal(vtep_key(0x1ffffffffffffULL, 0),
	                 vtep_key(0xffffffffffffULL, 0));
	assert_true(vtep_key(1, 1) != vtep_key(1, 2));
}

static void
test_learn_refresh_move(void **state)
{
	struct vtep_table *t = *state;
	union vtep_addr a = v4("192.0.2.1", 4789), b = v4("192.0.2.2", 4789);
	union vtep_addr c = v6("2001:db8::3", 4789, 0);

	assert_null(vtep_lookup(t, KEY(1)));
	assert_int_equal(vtep_learn(t, KEY(1), &a, 10), VTEP_NEW);
	expect(t, KEY(1), &a);
	assert_int_equal(vtep_lookup(t, KEY(1))->seen, 10);
	assert_int_equal(vtep_lookup(t, KEY(1))->flags, 0);
	expect(t, KEY(2), NULL);
	assert_int_equal(vtep_learn(t, KEY(1), &a, 11), VTEP_REFRESHED);
	assert_int_equal(vtep_lookup(t, KEY(1))->seen, 11);
	assert_int_equal(t->stats.moved, 0);
	/* another VTEP, then another family */
	assert_int_equal(vtep_learn(t, KEY(1), &b, 12), VTEP_MOVED);
	expect(t, KEY(1), &b);
	assert_int_equal(vtep_lookup(t, KEY(1))->seen, 12);
	assert_int_equal(vtep_learn(t, KEY(1), &c, 13), VTEP_MOVED);
	expect(t, KEY(1), &c);
	assert_int_equal(vtep_learn(t, KEY(1), &c, 14), VTEP_REFRESHED);
	assert_int_equal(t->stats.moved, 2);
	assert_int_equal(t->stats.learned, 1);
	assert_int_equal(t->count, 1);
	/* the same MAC in another VNI is another entry */
	assert_int_equal(vtep_learn(t, vtep_key(MAC(1), 1), &a, 15), VTEP_NEW);
	expect(t, KEY(1), &c);
	expect(t, vtep_key(MAC(1), 1), &a);
	expect(t, vtep_key(MAC(1), 2), NULL);
	assert_int_equal(t->count, 2);
	assert_int_equal(t->stats.moved, 2);
}

static void
test_static_pinned(void **state)
{
	struct vtep_table *t = *state;
	union vtep_addr a = v4("192.0.2.1", 4789), b = v4("192.0.2.2", 4789);

	assert_int_equal(vtep_add_static(t, KEY(1), &a, 10), 0);
	expect(t, KEY(1), &a);
	assert_int_equal(vtep_lookup(t, KEY(1))->flags, VTEP_F_STATIC);
	/* neither moved nor refreshed */
	assert_int_equal(vtep_learn(t, KEY(1), &b, 20), VTEP_STATIC);
	assert_int_equal(vtep_learn(t, KEY(1), &a, 30), VTEP_STATIC);
	expect(t, KEY(1), &a);
	assert_int_equal(vtep_lookup(t, KEY(1))->seen, 10);
	assert_int_equal(t->stats.moved, 0);
	assert_int_equal(t->stats.learned, 0);
	/* a static entry replaces a learned one in place */
	assert_int_equal(vtep_learn(t, KEY(2), &a, 40), VTEP_NEW);
	assert_int_equal(vtep_add_static(t, KEY(2), &b, 41), 0);
	expect(t, KEY(2), &b);
	assert_int_equal(vtep_lookup(t, KEY(2))->flags, VTEP_F_STATIC);
	assert_int_equal(t->count, 2);
	/* ...and a static one's address */
	assert_int_equal(vtep_add_static(t, KEY(2), &a, 42), 0);
	expect(t, KEY(2), &a);
	assert_int_equal(t->count, 2);
	/* deleted like any other */
	assert_int_equal(vtep_del(t, KEY(1)), 0);
	expect(t, KEY(1), NULL);
	assert_int_equal(vtep_learn(t, KEY(1), &b, 50), VTEP_NEW);
}

static void
test_full_never_evicts(void **state)
{
	struct vtep_table *t = *state; /* capacity 64 */
	union vtep_addr a = v4("192.0.2.1", 4789), b = v4("192.0.2.2", 4789);

	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(vtep_learn(t, KEY(i), &a, 1), VTEP_NEW);
	assert_int_equal(t->count, 64);
	assert_int_equal(vtep_learn(t, KEY(1000), &b, 2), VTEP_FULL);
	assert_int_equal(vtep_learn(t, KEY(1001), &a, 2), VTEP_FULL);
	assert_int_equal(t->stats.full, 2);
	assert_int_equal(t->stats.learned, 64);
	expect(t, KEY(1000), NULL);
	assert_int_equal(vtep_add_static(t, KEY(1002), &a, 2), -ENOSPC);
	expect(t, KEY(1002), NULL);
	/* existing entries still refresh, move and become static */
	for (unsigned int i = 0; i < 64; i++)
		expect(t, KEY(i), &a);
	assert_int_equal(vtep_learn(t, KEY(5), &a, 3), VTEP_REFRESHED);
	assert_int_equal(vtep_learn(t, KEY(6), &b, 3), VTEP_MOVED);
	assert_int_equal(vtep_add_static(t, KEY(7), &b, 3), 0);
	expect(t, KEY(7), &b);
	assert_int_equal(t->count, 64);
	/* room again: learning resumes */
	assert_int_equal(vtep_del(t, KEY(8)), 0);
	assert_int_equal(vtep_learn(t, KEY(1000), &b, 4), VTEP_NEW);
	expect(t, KEY(1000), &b);
	assert_int_equal(t->stats.full, 2);
	assert_int_equal(count_slots(t), 64);
}

static void
test_del_and_flush(void **state)
{
	struct vtep_table *t = *state;
	union vtep_addr a = v4("192.0.2.1", 4789);
	union vtep_addr b = v6("fe80::1", 4789, 2);

	assert_int_equal(vtep_del(t, KEY(1)), -ENOENT);
	for (unsigned int i = 0; i < 40; i++)
		vtep_learn(t, KEY(i), i % 2 ? &a : &b, 1);
	vtep_add_static(t, KEY(100), &a, 1);
	assert_int_equal(vtep_del(t, KEY(3)), 0);
	assert_int_equal(vtep_del(t, KEY(3)), -ENOENT);
	expect(t, KEY(3), NULL);
	expect(t, KEY(4), &b);
	assert_int_equal(t->count, 40);
	/* flush: everything, static included */
	assert_int_equal(vtep_flush(t), 40);
	assert_int_equal(t->count, 0);
	assert_int_equal(count_slots(t), 0);
	for (unsigned int i = 0; i < 40; i++)
		expect(t, KEY(i), NULL);
	expect(t, KEY(100), NULL);
	assert_int_equal(vtep_flush(t), 0);
	/* and usable afterwards */
	assert_int_equal(vtep_learn(t, KEY(1), &a, 2), VTEP_NEW);
	expect(t, KEY(1), &a);
	/* a key without the used bit is never found, nor 0 */
	expect(t, 0, NULL);
	expect(t, KEY(1) & ~VTEP_KEY_USED, NULL);
	assert_int_equal(vtep_del(t, 0), -ENOENT);
}

static void
test_ageing(void **state)
{
	struct vtep_table *t = *state; /* ageing 300 s */
	union vtep_addr a = v4("192.0.2.1", 4789), b = v4("192.0.2.2", 4789);

	vtep_learn(t, KEY(1), &a, 1000);
	vtep_learn(t, KEY(2), &a, 1000);
	vtep_add_static(t, KEY(3), &a, 1000);
	vtep_learn(t, KEY(2), &a, 1200); /* refreshed */
	vtep_learn(t, KEY(4), &a, 1000);
	vtep_learn(t, KEY(4), &b, 1250); /* moved: seen again */

	assert_int_equal(vtep_age(t, 1299), 0);
	assert_int_equal(t->count, 4);
	assert_int_equal(vtep_age(t, 1300), 1); /* now - seen == ageing */
	expect(t, KEY(1), NULL);
	expect(t, KEY(2), &a);
	assert_int_equal(t->stats.aged, 1);
	assert_int_equal(vtep_age(t, 1499), 0);
	assert_int_equal(vtep_age(t, 1550), 2); /* KEY(2), KEY(4) */
	expect(t, KEY(4), NULL);
	/* static entries never age */
	assert_int_equal(vtep_age(t, 4000000000U), 0);
	expect(t, KEY(3), &a);
	assert_int_equal(t->count, 1);
	assert_int_equal(t->stats.aged, 3);
	/* the clock may wrap */
	vtep_learn(t, KEY(5), &a, 0xffffff00U);
	assert_int_equal(vtep_age(t, 0x10), 0);
	assert_int_equal(vtep_age(t, 0xffffff00U + 300), 1);
}

static void
test_ageing_zero_is_never(void **state)
{
	struct vtep_table *t = *state; /* ageing 0 */
	union vtep_addr a = v4("192.0.2.1", 4789);

	vtep_learn(t, KEY(1), &a, 5);
	assert_int_equal(vtep_age(t, 5), 0);
	assert_int_equal(vtep_age(t, 4000000000U), 0);
	expect(t, KEY(1), &a);
	assert_int_equal(t->stats.aged, 0);
}

/* A full table ages out entirely in one call, whatever the runs look like. */
static void
test_ageing_whole_table(void **state)
{
	struct vtep_table *t = *state; /* 64 entries in 128 slots */
	union vtep_addr a = v4("192.0.2.1", 4789);

	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(
			vtep_learn(t, KEY(i * 131), &a, i % 2 ? 0 : 50),
			VTEP_NEW);
	assert_int_equal(vtep_age(t, 300), 32);
	for (unsigned int i = 0; i < 64; i++)
		expect(t, KEY(i * 131), i % 2 ? NULL : &a);
	assert_int_equal(count_slots(t), 32);
	assert_int_equal(vtep_age(t, 350), 32);
	assert_int_equal(t->count, 0);
	assert_int_equal(count_slots(t), 0);
}

/* The first @n keys (over MAC(from)...) whose home slot is @slot. */
static void
keys_homed_at(const struct vtep_table *t, uint32_t slot, uint64_t from,
              uint64_t *keys, unsigned int n)
{
	for (uint64_t m = from; n; m++) {
		uint64_t k = KEY(m);

		if (vtep_slot_of(t, k) == slot) {
			*keys++ = k;
			n--;
		}
	}
}

static uint32_t
slot_index(const struct vtep_table *t, uint64_t key)
{
	const struct vtep_entry *e = vtep_lookup(t, key);

	assert_non_null(e);
	return (uint32_t)(e - t->slots);
}

/*
 * A probe run wrapping past the last slot: three keys homed at the last
 * slot, two homed at slot 0 and one at slot 2.  Deleting from the front
 * pulls every later entry back as far as its home allows, never before it.
 */
static void
test_backshift_wrapping_run(void **state)
{
	struct vtep_table *t = *state; /* 128 slots */
	union vtep_addr a = v4("192.0.2.1", 4789);
	uint32_t last = t->mask;
	uint64_t end[3], zero[2], two[1];

	keys_homed_at(t, last, 1, end, 3);
	keys_homed_at(t, 0, 1, zero, 2);
	keys_homed_at(t, 2, 1, two, 1);
	for (unsigned int i = 0; i < 3; i++)
		vtep_learn(t, end[i], &a, 1);
	for (unsigned int i = 0; i < 2; i++)
		vtep_learn(t, zero[i], &a, 1);
	vtep_learn(t, two[0], &a, 1);
	/* last: end0 | 0: end1 | 1: end2 | 2: zero0 | 3: zero1 | 4: two0 */
	assert_int_equal(slot_index(t, end[0]), last);
	assert_int_equal(slot_index(t, end[2]), 1);
	assert_int_equal(slot_index(t, two[0]), 4);

	assert_int_equal(vtep_del(t, end[0]), 0);
	/* last: end1 | 0: end2 | 1: zero0 | 2: zero1 | 3: two0 */
	assert_int_equal(slot_index(t, end[1]), last);
	assert_int_equal(slot_index(t, end[2]), 0);
	assert_int_equal(slot_index(t, zero[0]), 1);
	assert_int_equal(slot_index(t, zero[1]), 2);
	assert_int_equal(slot_index(t, two[0]), 3);
	assert_int_equal(t->slots[4].key, 0);

	assert_int_equal(vtep_del(t, zero[0]), 0);
	/* zero1 may move back to 1; two0 to 2, its home, no further */
	assert_int_equal(slot_index(t, zero[1]), 1);
	assert_int_equal(slot_index(t, two[0]), 2);
	assert_int_equal(t->slots[3].key, 0);

	assert_int_equal(vtep_del(t, end[1]), 0);
	assert_int_equal(slot_index(t, end[2]), last);
	assert_int_equal(slot_index(t, zero[1]), 0);
	assert_int_equal(slot_index(t, two[0]), 2); /* at home already */
	expect(t, end[0], NULL);
	expect(t, zero[0], NULL);
	expect(t, end[1], NULL);
	assert_int_equal(count_slots(t), 3);
}

/* Fill, then delete in an order unrelated to insertion, checking all. */
static void
test_backshift_keeps_all_findable(void **state)
{
	struct vtep_table *t = *state; /* capacity 64 */
	union vtep_addr a = v4("192.0.2.1", 4789);

	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < 64; i++)
			assert_int_equal(
				vtep_learn(t, KEY(i * 7 + round), &a, 1),
				VTEP_NEW);
		for (unsigned int i = 0; i < 64; i++) {
			unsigned int j = (i * 37) % 64;

			assert_int_equal(vtep_del(t, KEY(j * 7 + round)), 0);
			for (unsigned int k = 0; k < 64; k++) {
				bool gone = false;

				for (unsigned int m = 0; m <= i; m++)
					gone |= (m * 37) % 64 == k;
				expect(t, KEY(k * 7 + round), gone ? NULL : &a);
			}
		}
		assert_int_equal(t->count, 0);
		assert_int_equal(count_slots(t), 0);
	}
}

static void
test_addr_equal(void **state)
{
	union vtep_addr a = v4("192.0.2.1", 4789);
	union vtep_addr l1 = v6("fe80::1", 4789, 1);
	union vtep_addr mapped = v6("::ffff:192.0.2.1", 4789, 0);
	union vtep_addr b, other = {.sa.sa_family = AF_UNIX};

	(void)state;
	b = a;
	assert_true(vtep_addr_equal(&a, &b));
	memset(b.v4.sin_zero, 0xff, sizeof(b.v4.sin_zero)); /* ignored */
	assert_true(vtep_addr_equal(&a, &b));
	b = v4("192.0.2.1", 8472);
	assert_false(vtep_addr_equal(&a, &b));
	b = v4("192.0.2.2", 4789);
	assert_false(vtep_addr_equal(&a, &b));
	assert_false(vtep_addr_equal(&a, &mapped)); /* families differ */
	b = l1;
	assert_true(vtep_addr_equal(&l1, &b));
	b = v6("fe80::1", 4789, 2);
	assert_false(vtep_addr_equal(&l1, &b)); /* scope id */
	b = v6("fe80::1", 4790, 1);
	assert_false(vtep_addr_equal(&l1, &b));
	b = v6("fe80::2", 4789, 1);
	assert_false(vtep_addr_equal(&l1, &b));
	b = other;
	assert_false(vtep_addr_equal(&other, &b));
}

static void
test_addr_format(void **state)
{
	union vtep_addr a = v4("192.0.2.1", 4789);
	union vtep_addr b = v6("2001:db8::1", 4789, 0);
	union vtep_addr c = {.sa.sa_family = AF_UNIX};
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	vtep_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1");
	vtep_addr_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	vtep_addr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	b = v6("2001:db8:ffff:ffff:ffff:ffff:255.255.255.255", 1, 0);
	vtep_addr_format(&b, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	/* cut short, still terminated; nothing written with no room */
	vtep_addr_format(&a, buf, 5);
	assert_string_equal(buf, "192.");
	buf[0] = 'x';
	vtep_addr_format(&a, buf, 0);
	assert_int_equal(buf[0], 'x');
}

static void
test_distinct(void **state)
{
	struct vtep_table *t = *state;
	union vtep_addr vteps[4] = {
		v4("192.0.2.1", 4789),
		v4("192.0.2.2", 4789),
		v6("2001:db8::1", 4789, 0),
		v4("192.0.2.3", 4789),
	};
	union vtep_addr out[8];
	unsigned int n;

	assert_int_equal(vtep_distinct(t, out, 8), 0);
	for (unsigned int i = 0; i < 30; i++)
		vtep_learn(t, vtep_key(MAC(i), (uint16_t)(i % 3)),
		           &vteps[i % 3], 1);
	vtep_add_static(t, KEY(1000), &vteps[3], 1);
	n = vtep_distinct(t, out, 8);
	assert_int_equal(n, 4);
	for (unsigned int v = 0; v < 4; v++) {
		unsigned int hits = 0;

		for (unsigned int i = 0; i < n; i++)
			hits += vtep_addr_equal(&out[i], &vteps[v]);
		assert_int_equal(hits, 1);
	}
	/* at most max, each still distinct */
	assert_int_equal(vtep_distinct(t, out, 2), 2);
	assert_false(vtep_addr_equal(&out[0], &out[1]));
	assert_int_equal(vtep_distinct(t, out, 0), 0);
	vtep_flush(t);
	assert_int_equal(vtep_distinct(t, out, 8), 0);
}

/* --- randomised check against a model ------------------------------------- */

struct model_entry {
	uint64_t key;
	unsigned int addr; /* index into the address set */
	uint32_t seen;
	bool pinned;
};

struct model {
	struct model_entry e[64];
	unsigned int n;
};

static int
model_find(const struct model *m, uint64_t key)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (m->e[i].key == key)
			return (int)i;
	return -1;
}

static void
model_remove(struct model *m, unsigned int i)
{
	m->e[i] = m->e[--m->n];
}

static enum vtep_learn_result
model_learn(struct model *m, uint64_t key, unsigned int addr, uint32_t now)
{
	int i = model_find(m, key);

	if (i < 0) {
		if (m->n == 64)
			return VTEP_FULL;
		m->e[m->n++] = (struct model_entry){key, addr, now, false};
		return VTEP_NEW;
	}
	if (m->e[i].pinned)
		return VTEP_STATIC;
	m->e[i].seen = now;
	if (m->e[i].addr == addr)
		return VTEP_REFRESHED;
	m->e[i].addr = addr;
	return VTEP_MOVED;
}

static unsigned int
model_age(struct model *m, uint32_t now, uint32_t ageing)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < m->n;) {
		if (!m->e[i].pinned && now - m->e[i].seen >= ageing) {
			model_remove(m, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

static void
check_against_model(const struct vtep_table *t, const struct model *m,
                    const uint64_t *universe, unsigned int n_universe,
                    const union vtep_addr *addrs)
{
	assert_int_equal(t->count, m->n);
	assert_int_equal(count_slots(t), m->n);
	for (unsigned int u = 0; u < n_universe; u++) {
		int i = model_find(m, universe[u]);
		const struct vtep_entry *e = vtep_lookup(t, universe[u]);

		if (i < 0) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_true(vtep_addr_equal(&e->dst, &addrs[m->e[i].addr]));
		assert_int_equal(e->seen, m->e[i].seen);
		assert_int_equal(e->flags, m->e[i].pinned ? VTEP_F_STATIC : 0);
	}
}

/*
 * Random learn / static add / delete / age / flush against the model.
 * Capacity 64 in 128 slots, keys over three VNIs, so full tables run at
 * 50% load with probe runs of several entries, some wrapping past the last
 * slot: what the back-shift deletion must get right.
 */
static void
test_random_against_model(void **state)
{
	struct vtep_table *t = *state; /* capacity 64, ageing 300 */
	const union vtep_addr addrs[6] = {
		v4("192.0.2.1", 4789),  v4("192.0.2.2", 4789),
		v4("192.0.2.1", 4790),  v6("2001:db8::1", 4789, 0),
		v6("fe80::1", 4789, 1), v6("fe80::1", 4789, 2),
	};
	struct model m = {.n = 0};
	uint64_t universe[192];
	unsigned int seed = 777;

	for (unsigned int u = 0; u < ARRAY_SIZE(universe); u++)
		universe[u] = vtep_key(MAC(rand_r(&seed) & 0xffffff),
		                       (uint16_t)(rand_r(&seed) % 3));
	for (uint32_t now = 0; now < 4000; now++) {
		uint64_t key = universe[rand_r(&seed) % ARRAY_SIZE(universe)];
		unsigned int ai = (unsigned int)rand_r(&seed) % 6;
		int r = rand_r(&seed) % 100, i = model_find(&m, key);

		if (r < 55) {
			enum vtep_learn_result want =
				model_learn(&m, key, ai, now);

			assert_int_equal(vtep_learn(t, key, &addrs[ai], now),
			                 want);
		} else if (r < 62) {
			int want = i < 0 && m.n == 64 ? -ENOSPC : 0;

			assert_int_equal(
				vtep_add_static(t, key, &addrs[ai], now), want);
			if (want == 0 && i < 0)
				i = (int)m.n++;
			if (want == 0)
				m.e[i] = (struct model_entry){key, ai, now,
				                              true};
		} else if (r < 97) {
			assert_int_equal(vtep_del(t, key),
			                 i >= 0 ? 0 : -ENOENT);
			if (i >= 0)
				model_remove(&m, (unsigned int)i);
		} else if (r < 99) {
			assert_int_equal(vtep_age(t, now),
			                 model_age(&m, now, 300));
		} else if (rand_r(&seed) % 4 == 0) {
			assert_int_equal(vtep_flush(t), m.n);
			m.n = 0;
		}
		check_against_model(t, &m, universe, ARRAY_SIZE(universe),
		                    addrs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_key_packing),
		cmocka_unit_test_setup_teardown(test_learn_refresh_move, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(test_static_pinned, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(test_full_never_evicts, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(test_del_and_flush, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(test_ageing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ageing_zero_is_never,
	                                        setup_no_ageing, teardown),
		cmocka_unit_test_setup_teardown(test_ageing_whole_table, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(test_backshift_wrapping_run,
	                                        setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_backshift_keeps_all_findable, setup, teardown),
		cmocka_unit_test(test_addr_equal),
		cmocka_unit_test(test_addr_format),
		cmocka_unit_test_setup_teardown(test_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_against_model,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
