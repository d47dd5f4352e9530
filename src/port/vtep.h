/* SPDX-License-Identifier: MIT */
/*
 * vtep.h - a vxlan port's table of remote tunnel endpoints: inner MAC (per
 * VNI) -> VTEP address, the kernel vxlan device's own FDB.  The bridge's
 * MAC table (bridge/fdb.h) says a MAC lives behind the vxlan port; this
 * table, private to the port, says behind which VTEP.  Used by
 * port/vxlan.c: learned from the outer source of received frames, read for
 * each unicast frame sent, filled by "fdb add ... dst IP", listed by show.
 *
 * Theory of operation
 *
 * One open-addressing hash table with linear probing, allocated by
 * vtep_init() with the next power of two at or above twice its capacity
 * in slots, so probe runs stay short even when full, and never resized.
 * Deletion shifts later members of a probe run back into the hole (no
 * tombstones), so lookups cost the same after any history of learning and
 * ageing.  A key packs the MAC (48 bits), the VNI's index in the port's
 * VNI map (12 bits; a port carries at most 4096 VNIs) and a "used" bit
 * into one u64: a free slot is key 0 and a compare is one integer compare.
 *
 * Learning, as the kernel does it: an unknown key is inserted; a known
 * key from the same address is refreshed; from another address it moves
 * there (counted), unless it is static.  Static entries ("fdb add MAC
 * dst IP") replace learned ones and are never moved, refreshed or aged.
 *
 * When full: new keys are refused (counted "full") and frames to them are
 * flooded to the port's remotes, which is correct, only slower.  Nothing
 * is evicted: a peer sending from random source MACs must not push out
 * the entries that work.  The bridge's per-port limit (max_macs) bounds
 * the same flood one level up.
 *
 * Ageing: vtep_age() scans the whole table.  It runs from the port's
 * timer, not per frame, and a port's table is small (it holds one port's
 * remote MACs), so a full sweep is cheap enough.
 *
 * Addresses keep the port they were learned for (always the port's
 * configured UDP port, never the packet's source port) and, for IPv6,
 * the scope id of a link-local VTEP.
 */
#ifndef LANYARD_PORT_VTEP_H
#define LANYARD_PORT_VTEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

union vtep_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

#define VTEP_KEY_USED (1ULL << 63)
#define VTEP_VNI_INDEX_MAX 4095
#define VTEP_CAPACITY_MAX (1U << 24)

enum vtep_flags {
	VTEP_F_STATIC = 1,
};

struct vtep_entry {
	uint64_t key; /* 0 = free slot */
	union vtep_addr dst;
	uint32_t seen;  /* seconds, monotonic */
	uint16_t flags; /* VTEP_F_* */
};

struct vtep_stats {
	uint64_t learned, moved, aged, full;
};

struct vtep_table {
	struct vtep_entry *slots;
	uint32_t mask;     /* slots - 1 */
	uint32_t capacity; /* most entries held */
	uint32_t count;
	uint32_t ageing; /* seconds, 0 = never */
	struct vtep_stats stats;
};

enum vtep_learn_result {
	VTEP_NEW = 0,
	VTEP_REFRESHED,
	VTEP_MOVED,
	VTEP_STATIC, /* pinned: not moved, not refreshed */
	VTEP_FULL,
};

int vtep_init(struct vtep_table *t, uint32_t capacity, uint32_t ageing_sec,
              char *err);
void vtep_fini(struct vtep_table *t);
enum vtep_learn_result vtep_learn(struct vtep_table *t, uint64_t key,
                                  const union vtep_addr *a, uint32_t now);
const struct vtep_entry *vtep_lookup(const struct vtep_table *t, uint64_t key);
int vtep_add_static(struct vtep_table *t, uint64_t key,
                    const union vtep_addr *a, uint32_t now);
int vtep_del(struct vtep_table *t, uint64_t key);
unsigned int vtep_flush(struct vtep_table *t);
unsigned int vtep_age(struct vtep_table *t, uint32_t now);
bool vtep_addr_equal(const union vtep_addr *a, const union vtep_addr *b);
void vtep_addr_format(const union vtep_addr *a, char *buf, size_t len);
unsigned int vtep_distinct(const struct vtep_table *t, union vtep_addr *out,
                           unsigned int max);

/**
 * vtep_key() - the table key of an inner MAC address in one of a port's VNIs
 * @mac48:     the address as the low 48 bits (eth_mac_to_u64())
 * @vni_index: the VNI's index in the port's VNI map, 0..VTEP_VNI_INDEX_MAX
 *
 * Return: the key, never 0.
 */
static inline uint64_t
vtep_key(uint64_t mac48, uint16_t vni_index)
{
	return VTEP_KEY_USED |
	       (uint64_t)(vni_index & VTEP_VNI_INDEX_MAX) << 48 |
	       (mac48 & 0xffffffffffffULL);
}

/* The first slot probed for @key (Fibonacci hashing: the product's high
 * bits depend on every bit of the key). */
static inline uint32_t
vtep_slot_of(const struct vtep_table *t, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & t->mask;
}

#endif /* LANYARD_PORT_VTEP_H */
