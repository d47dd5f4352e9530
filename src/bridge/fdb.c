/* SPDX-License-Identifier: MIT */
/*
 * fdb.c - the MAC table.  See fdb.h for the theory of operation.
 */
#include "bridge/fdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "port/port.h"

static inline uint32_t
slot_of(const struct fdb *f, uint64_t key)
{
	return fdb_slot_of(f, key);
}

/**
 * fdb_init() - allocate a table for @capacity entries
 * @f:        the table
 * @capacity: most entries it holds (16..2^24)
 * @ageing:   seconds an entry lives unrefreshed, 0 = forever
 * @err:      reason on failure
 *
 * Return: 0 or -errno.
 */
int
fdb_init(struct fdb *f, uint32_t capacity, uint32_t ageing, char *err)
{
	uint32_t slots = 16;

	memset(f, 0, sizeof(*f));
	if (capacity < 1 || capacity > 1U << 24)
		return ERR_SET(err, -EINVAL, "fdb size %u out of range",
			       capacity);
	while (slots < 2 * capacity)
		slots <<= 1;
	f->slots = calloc(slots, sizeof(*f->slots));
	if (!f->slots)
		return ERR_SET(err, -ENOMEM, "fdb: out of memory for %u slots",
			       slots);
	f->mask = slots - 1;
	f->capacity = capacity;
	f->ageing = ageing;
	return 0;
}

/**
 * fdb_fini() - free the table; accepts a zeroed one
 * @f: the table
 */
void
fdb_fini(struct fdb *f)
{
	free(f->slots);
	memset(f, 0, sizeof(*f));
}

/**
 * fdb_slots() - number of slots (for iteration by the control plane)
 * @f: the table
 *
 * Return: mask + 1.
 */
uint32_t
fdb_slots(const struct fdb *f)
{
	return f->mask + 1;
}

static struct fdb_entry *
find(const struct fdb *f, uint64_t key)
{
	for (uint32_t i = slot_of(f, key);; i = (i + 1) & f->mask) {
		struct fdb_entry *e = &f->slots[i];

		if (e->key == key)
			return e;
		if (e->key == 0)
			return NULL;
	}
}

/* Remove slot i, shifting back later members of its probe run. */
static void
remove_slot(struct fdb *f, uint32_t i)
{
	struct port *p = f->slots[i].port;
	uint32_t j = i;

	if (p)
		p->n_macs--;
	f->count--;
	f->gen++;
	for (;;) {
		j = (j + 1) & f->mask;
		if (f->slots[j].key == 0)
			break;
		uint32_t home = slot_of(f, f->slots[j].key);
		/* May j's entry move to i?  Only if i lies in [home, j). */
		bool movable = i <= j ? (home <= i || home > j)
				      : (home <= i && home > j);
		if (movable) {
			f->slots[i] = f->slots[j];
			i = j;
		}
	}
	memset(&f->slots[i], 0, sizeof(f->slots[i]));
}

static struct fdb_entry *
insert(struct fdb *f, uint64_t key, struct port *p, uint32_t now)
{
	uint32_t i = slot_of(f, key);

	while (f->slots[i].key != 0)
		i = (i + 1) & f->mask;
	f->slots[i] = (struct fdb_entry){.key = key, .port = p, .seen = now};
	f->count++;
	p->n_macs++;
	return &f->slots[i];
}

/**
 * fdb_learn() - record that @key was seen as a source on @p
 * @f:   the table
 * @key: fdb_key() of the source MAC and VLAN
 * @p:   the ingress port (its n_macs and max_macs are used)
 * @now: seconds
 *
 * Data path: no allocation.
 *
 * Return: what happened (see enum fdb_learn_result); FULL and PORT_LIMIT
 * are also counted in the table's stats.
 */
enum fdb_learn_result
fdb_learn(struct fdb *f, uint64_t key, struct port *p, uint32_t now)
{
	struct fdb_entry *e = find(f, key);

	if (e) {
		if (e->port == p) {
			e->seen = now;
			return FDB_LEARN_REFRESHED;
		}
		if (e->flags & FDB_F_STATIC)
			return FDB_LEARN_STATIC;
		if (p->max_macs && p->n_macs >= p->max_macs) {
			f->stats.port_limit++;
			return FDB_LEARN_PORT_LIMIT;
		}
		e->port->n_macs--;
		p->n_macs++;
		e->port = p;
		e->seen = now;
		f->gen++;
		f->stats.moved++;
		return FDB_LEARN_MOVED;
	}
	if (f->count >= f->capacity) {
		f->stats.full++;
		return FDB_LEARN_FULL;
	}
	if (p->max_macs && p->n_macs >= p->max_macs) {
		f->stats.port_limit++;
		return FDB_LEARN_PORT_LIMIT;
	}
	insert(f, key, p, now);
	f->stats.learned++;
	return FDB_LEARN_NEW;
}

/**
 * fdb_lookup() - where does @key live?
 * @f:   the table
 * @key: fdb_key() of the destination MAC and VLAN
 *
 * Return: the port, or NULL if unknown.
 */
struct port *
fdb_lookup(const struct fdb *f, uint64_t key)
{
	const struct fdb_entry *e = find(f, key);

	return e ? e->port : NULL;
}

/**
 * fdb_add_static() - pin @key to @p; never aged, never moved
 * @f:   the table
 * @key: the key
 * @p:   the port
 * @now: seconds
 *
 * Return: 0, or -ENOSPC when the table is full.
 */
int
fdb_add_static(struct fdb *f, uint64_t key, struct port *p, uint32_t now)
{
	struct fdb_entry *e = find(f, key);

	if (e) {
		if (e->port != p) {
			e->port->n_macs--;
			p->n_macs++;
			e->port = p;
			f->gen++;
		}
	} else {
		if (f->count >= f->capacity)
			return -ENOSPC;
		e = insert(f, key, p, now);
	}
	e->flags |= FDB_F_STATIC;
	e->seen = now;
	return 0;
}

/**
 * fdb_del() - remove @key
 * @f:   the table
 * @key: the key
 *
 * Return: 0, or -ENOENT.
 */
int
fdb_del(struct fdb *f, uint64_t key)
{
	struct fdb_entry *e = find(f, key);

	if (!e)
		return -ENOENT;
	remove_slot(f, (uint32_t)(e - f->slots));
	return 0;
}

/**
 * fdb_flush_port() - remove every entry on @p, static ones included
 * @f: the table
 * @p: the port going away
 *
 * Control path: scans the whole table.
 *
 * Return: entries removed.
 */
unsigned int
fdb_flush_port(struct fdb *f, const struct port *p)
{
	unsigned int n = 0;
	uint32_t i = 0;

	/* Walk from a free slot so no probe run is cut by the wrap-around. */
	while (i <= f->mask && f->slots[i].key != 0)
		i++;
	for (uint32_t k = 0; k <= f->mask; k++) {
		uint32_t s = (i + k) & f->mask;

		while (f->slots[s].key != 0 && f->slots[s].port == p) {
			remove_slot(f, s);
			n++;
		}
	}
	f->stats.flushed += n;
	return n;
}

/**
 * fdb_age() - remove entries older than the ageing time, scanning at most
 * @max_slots slots from where the previous call stopped
 * @f:         the table
 * @now:       seconds
 * @max_slots: bound on the work of this call
 *
 * Return: entries removed.
 */
unsigned int
fdb_age(struct fdb *f, uint32_t now, uint32_t max_slots)
{
	unsigned int n = 0;

	if (!f->ageing)
		return 0;
	for (uint32_t k = 0; k < max_slots && k <= f->mask; k++) {
		uint32_t s = f->age_cursor;
		struct fdb_entry *e = &f->slots[s];

		if (e->key && !(e->flags & FDB_F_STATIC) &&
		    now - e->seen >= f->ageing) {
			remove_slot(f, s);
			f->stats.aged++;
			n++;
			continue;	/* slot s now holds a shifted entry */
		}
		f->age_cursor = (s + 1) & f->mask;
	}
	return n;
}
