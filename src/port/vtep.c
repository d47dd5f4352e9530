/* SPDX-License-Identifier: MIT */
/*
 * vtep.c - a vxlan port's MAC -> VTEP table.  See vtep.h for the theory
 * of operation.
 */
#include "port/vtep.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/**
 * vtep_init() - allocate a table for @capacity entries
 * @t:          the table (zeroed on failure, so vtep_fini() accepts it)
 * @capacity:   most entries it holds, 1..VTEP_CAPACITY_MAX
 * @ageing_sec: seconds a learned entry lives unrefreshed, 0 = forever
 * @err:        ERR_LEN bytes: the reason on failure
 *
 * Control path: the only allocation the table makes.
 *
 * Return: 0, -EINVAL for a capacity out of range, or -ENOMEM.
 */
int
vtep_init(struct vtep_table *t, uint32_t capacity, uint32_t ageing_sec,
          char *err)
{
	uint32_t slots = 1;

	memset(t, 0, sizeof(*t));
	if (capacity < 1 || capacity > VTEP_CAPACITY_MAX)
		return ERR_SET(err, -EINVAL, "vtep table size %u out of range",
		               capacity);
	while (slots < 2 * capacity)
		slots <<= 1;
	t->slots = calloc(slots, sizeof(*t->slots));
	if (!t->slots)
		return ERR_SET(err, -ENOMEM,
		               "vtep table: out of memory for %u slots", slots);
	t->mask = slots - 1;
	t->capacity = capacity;
	t->ageing = ageing_sec;
	return 0;
}

/**
 * vtep_fini() - free the table; accepts a zeroed or failed one
 * @t: the table (zeroed on return)
 */
void
vtep_fini(struct vtep_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/*
 * The slot holding @key, or NULL.  Terminates: at least half the slots are
 * free (count <= capacity <= slots / 2).  Checking for a free slot first
 * means a key without VTEP_KEY_USED (0 in particular) is never found.
 */
static struct vtep_entry *
find(const struct vtep_table *t, uint64_t key)
{
	for (uint32_t i = vtep_slot_of(t, key);; i = (i + 1) & t->mask) {
		struct vtep_entry *e = &t->slots[i];

		if (e->key == 0)
			return NULL;
		if (e->key == key)
			return e;
	}
}

/* The caller has checked that @key is absent and the table not full. */
static struct vtep_entry *
insert(struct vtep_table *t, uint64_t key, const union vtep_addr *a,
       uint32_t now)
{
	uint32_t i = vtep_slot_of(t, key);

	ASSERT(key & VTEP_KEY_USED);
	while (t->slots[i].key != 0)
		i = (i + 1) & t->mask;
	t->slots[i] = (struct vtep_entry){.key = key, .dst = *a, .seen = now};
	t->count++;
	return &t->slots[i];
}

/*
 * Empty slot @i, then walk the rest of its probe run: an entry may move
 * back into the hole when the hole lies cyclically in [home, j) of that
 * entry, i.e. between its home slot and where it sits now; the hole then
 * moves to where the entry was.
 */
static void
remove_slot(struct vtep_table *t, uint32_t i)
{
	uint32_t j = i;

	t->count--;
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].key == 0)
			break;
		uint32_t home = vtep_slot_of(t, t->slots[j].key);
		bool movable = i <= j ? (home <= i || home > j)
		                      : (home <= i && home > j);

		if (movable) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
}

/**
 * vtep_learn() - record that @key arrived from the VTEP @a
 * @t:   the table
 * @key: vtep_key() of the inner source MAC and the VNI's index
 * @a:   the outer source address, with the port's UDP port
 * @now: seconds, monotonic
 *
 * Data path: no syscalls, no allocation.  NEW, MOVED and FULL are also
 * counted in @t->stats (learned, moved, full).
 *
 * Return: what happened, see enum vtep_learn_result.
 */
enum vtep_learn_result
vtep_learn(struct vtep_table *t, uint64_t key, const union vtep_addr *a,
           uint32_t now)
{
	struct vtep_entry *e = find(t, key);

	if (e) {
		if (e->flags & VTEP_F_STATIC)
			return VTEP_STATIC;
		e->seen = now;
		if (vtep_addr_equal(&e->dst, a))
			return VTEP_REFRESHED;
		e->dst = *a;
		t->stats.moved++;
		return VTEP_MOVED;
	}
	if (t->count >= t->capacity) {
		t->stats.full++;
		return VTEP_FULL;
	}
	insert(t, key, a, now);
	t->stats.learned++;
	return VTEP_NEW;
}

/**
 * vtep_lookup() - where does @key live?
 * @t:   the table
 * @key: vtep_key() of the inner destination MAC and the VNI's index
 *
 * Data path.  The entry stays valid until the next change to the table.
 *
 * Return: the entry, or NULL if unknown.
 */
const struct vtep_entry *
vtep_lookup(const struct vtep_table *t, uint64_t key)
{
	return find(t, key);
}

/**
 * vtep_add_static() - pin @key to the VTEP @a: never moved, refreshed or
 * aged
 * @t:   the table
 * @key: the key
 * @a:   the VTEP (with the port's UDP port)
 * @now: seconds, monotonic
 *
 * Replaces a learned entry, or the address of a static one, in place.
 * Control path.
 *
 * Return: 0, or -ENOSPC when @key is new and the table is full.
 */
int
vtep_add_static(struct vtep_table *t, uint64_t key, const union vtep_addr *a,
                uint32_t now)
{
	struct vtep_entry *e = find(t, key);

	if (!e) {
		if (t->count >= t->capacity)
			return -ENOSPC;
		e = insert(t, key, a, now);
	}
	e->dst = *a;
	e->seen = now;
	e->flags |= VTEP_F_STATIC;
	return 0;
}

/**
 * vtep_del() - remove @key, learned or static
 * @t:   the table
 * @key: the key
 *
 * Return: 0, or -ENOENT.
 */
int
vtep_del(struct vtep_table *t, uint64_t key)
{
	struct vtep_entry *e = find(t, key);

	if (!e)
		return -ENOENT;
	remove_slot(t, (uint32_t)(e - t->slots));
	return 0;
}

/**
 * vtep_flush() - remove every entry, static ones included
 * @t: the table
 *
 * Control path: clears every slot.
 *
 * Return: entries removed.
 */
unsigned int
vtep_flush(struct vtep_table *t)
{
	unsigned int n = t->count;

	memset(t->slots, 0, ((size_t)t->mask + 1) * sizeof(*t->slots));
	t->count = 0;
	return n;
}

/**
 * vtep_age() - remove the learned entries not refreshed for the ageing
 * time (now - seen >= ageing), across the whole table
 * @t:   the table
 * @now: seconds, monotonic (wrap-around safe)
 *
 * Timer: O(slots).  Nothing is removed when @t->ageing is 0.  Each removal
 * is counted in @t->stats.aged.
 *
 * Return: entries removed.
 */
unsigned int
vtep_age(struct vtep_table *t, uint32_t now)
{
	unsigned int n = 0;

	if (!t->ageing || !t->count)
		return 0;
	/*
	 * A removal at slot s shifts entries of s's probe run back into s
	 * and the slots after it, so s is looked at again and entries not
	 * yet looked at never land behind the scan.  Only a run wrapping past
	 * the last slot brings entries from slots 0.. forward; those were
	 * looked at and kept already, and looking again changes nothing.
	 */
	for (uint32_t s = 0; s <= t->mask; s++) {
		struct vtep_entry *e = &t->slots[s];

		while (e->key && !(e->flags & VTEP_F_STATIC) &&
		       now - e->seen >= t->ageing) {
			remove_slot(t, s);
			t->stats.aged++;
			n++;
		}
	}
	return n;
}

/**
 * vtep_addr_equal() - same VTEP: same family, address and port, and for
 * IPv6 the same scope id
 * @a: an address
 * @b: another
 *
 * Return: whether they are equal; addresses of any other family never are.
 */
bool
vtep_addr_equal(const union vtep_addr *a, const union vtep_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	switch (a->sa.sa_family) {
	case AF_INET:
		return a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr &&
		       a->v4.sin_port == b->v4.sin_port;
	case AF_INET6:
		return !memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr,
		               sizeof(a->v6.sin6_addr)) &&
		       a->v6.sin6_port == b->v6.sin6_port &&
		       a->v6.sin6_scope_id == b->v6.sin6_scope_id;
	default:
		return false;
	}
}

/**
 * vtep_addr_format() - the IP address of @a as text, without the port:
 * "192.0.2.1", "2001:db8::1"
 * @a:   the address
 * @buf: output, always terminated when @len > 0 (cut if too short)
 * @len: its size; INET6_ADDRSTRLEN always suffices
 *
 * An address of another family gives "?".
 */
void
vtep_addr_format(const union vtep_addr *a, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN] = "?";

	if (!len)
		return;
	if (a->sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &a->v4.sin_addr, text, sizeof(text));
	else if (a->sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &a->v6.sin6_addr, text, sizeof(text));
	snprintf(buf, len, "%s", text);
}

/**
 * vtep_distinct() - the distinct VTEPs the table points to, learned and
 * static, each once (by vtep_addr_equal()), in slot order
 * @t:   the table
 * @out: up to @max addresses
 * @max: size of @out
 *
 * Control path (show): O(slots + count * max).
 *
 * Return: the number written to @out (at most @max).
 */
unsigned int
vtep_distinct(const struct vtep_table *t, union vtep_addr *out,
              unsigned int max)
{
	unsigned int n = 0;

	for (uint32_t i = 0; t->count && i <= t->mask && n < max; i++) {
		const struct vtep_entry *e = &t->slots[i];
		unsigned int k = 0;

		if (!e->key)
			continue;
		while (k < n && !vtep_addr_equal(&out[k], &e->dst))
			k++;
		if (k == n)
			out[n++] = e->dst;
	}
	return n;
}
