/* SPDX-License-Identifier: MIT */
/*
 * fdb.h - the MAC table: (MAC, VLAN) -> port, with ages.
 *
 * Theory of operation
 *
 * One open-addressing hash table with linear probing, allocated at start
 * with at least twice as many slots as its capacity (--fdb-size), so probe
 * sequences stay short even when full.  Deletion shifts later members of
 * the probe run back (no tombstones), so lookups never degrade over time.
 * A key packs the MAC (48 bits) and the VLAN (12 bits) into one u64 with a
 * "used" bit, so a slot compare is one integer compare.
 *
 * Learning: a new source is inserted; a known one is refreshed, or moved
 * if it now arrives on another port (counted); static entries never move.
 *
 * When full: new addresses are *not* learned (counted "full") and frames
 * to them keep being flooded, which is always correct, only slower.  The
 * alternative, evicting old entries, would let one port that floods random
 * source MACs push every other port's addresses out; refusing keeps what
 * works working.  For the same reason each port has its own limit
 * (max_macs) so a single guest cannot fill the table for the others.
 *
 * Ageing: entries not refreshed for 'ageing' seconds are removed by
 * fdb_age(), which scans a bounded slice of slots per call so that no timer
 * tick costs more than a few microseconds.
 *
 * 'gen' increases whenever an entry is moved or removed, so a port may
 * cache "this source was just learned here" and skip the lookup while the
 * generation is unchanged.
 */
#ifndef LANYARD_BRIDGE_FDB_H
#define LANYARD_BRIDGE_FDB_H

#include <stdbool.h>
#include <stdint.h>

struct port;

#define FDB_KEY_USED (1ULL << 63)
#define FDB_AGE_SLICE 4096	/* slots scanned per fdb_age() call */

enum fdb_flags {
	FDB_F_STATIC = 1,
};

struct fdb_entry {
	uint64_t key;		/* 0 = free slot */
	struct port *port;
	uint32_t seen;		/* seconds, monotonic */
	uint16_t flags;
};

struct fdb_stats {
	uint64_t learned, moved, aged, flushed, full, port_limit;
};

struct fdb {
	struct fdb_entry *slots;
	uint32_t mask;		/* slots - 1 */
	uint32_t capacity;	/* most entries held */
	uint32_t count;
	uint32_t ageing;	/* seconds, 0 = never */
	uint32_t age_cursor;
	uint64_t gen;
	struct fdb_stats stats;
};

enum fdb_learn_result {
	FDB_LEARN_NEW = 0,
	FDB_LEARN_REFRESHED,
	FDB_LEARN_MOVED,
	FDB_LEARN_STATIC,	/* pinned elsewhere: not moved */
	FDB_LEARN_FULL,
	FDB_LEARN_PORT_LIMIT,
};

int fdb_init(struct fdb *f, uint32_t capacity, uint32_t ageing, char *err);
void fdb_fini(struct fdb *f);
enum fdb_learn_result fdb_learn(struct fdb *f, uint64_t key, struct port *p,
				uint32_t now);
struct port *fdb_lookup(const struct fdb *f, uint64_t key);
int fdb_add_static(struct fdb *f, uint64_t key, struct port *p, uint32_t now);
int fdb_del(struct fdb *f, uint64_t key);
unsigned int fdb_flush_port(struct fdb *f, const struct port *p);
unsigned int fdb_age(struct fdb *f, uint32_t now, uint32_t max_slots);
uint32_t fdb_slots(const struct fdb *f);

/**
 * fdb_key() - the table key of a MAC address in a VLAN
 * @mac48: the address as the low 48 bits (eth_mac_to_u64())
 * @vlan:  0-4095
 *
 * Return: the key, never 0.
 */
static inline uint64_t
fdb_key(uint64_t mac48, uint16_t vlan)
{
	return FDB_KEY_USED | (uint64_t)(vlan & 0xfff) << 48 |
	       (mac48 & 0xffffffffffffULL);
}

/* The first slot probed for @key. */
static inline uint32_t
fdb_slot_of(const struct fdb *f, uint64_t key)
{
	/* Fibonacci hashing: the high bits of the product mix all of key. */
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & f->mask;
}

/*
 * Start loading @key's slot into the cache.  The bridge calls this for a
 * whole burst before looking anything up, so with a table far larger than
 * the cache the misses of a burst overlap instead of adding up.
 */
static inline void
fdb_prefetch(const struct fdb *f, uint64_t key)
{
	__builtin_prefetch(&f->slots[fdb_slot_of(f, key)]);
}

static inline uint64_t
fdb_key_mac(uint64_t key)
{
	return key & 0xffffffffffffULL;
}

static inline uint16_t
fdb_key_vlan(uint64_t key)
{
	return (uint16_t)(key >> 48 & 0xfff);
}

#endif /* LANYARD_BRIDGE_FDB_H */
