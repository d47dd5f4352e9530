/* SPDX-License-Identifier: MIT */
/*
 * bridge.h - the forwarding core: learn, look up, flood, queue per
 * destination.
 *
 * Theory of operation
 *
 * bridge_input() takes one burst of received frames (up to PKT_BURST, each
 * naming its ingress port in pkt->in, so a datagram endpoint may hand in
 * frames of many peers at once) and works in two passes:
 *
 *   1. per frame: count rx, check the length and source, classify its
 *      VLAN (removing a tag the port understands), learn the source, look
 *      up the destination; stage the frame on the destination port, or on
 *      every other member port of its VLAN for broadcast, multicast and
 *      unknown unicast (one reference per copy, no data copied; trunks
 *      that send the VLAN tagged share one tagged copy per burst);
 *   2. per destination with staged frames: one port_xmit(), i.e. one
 *      tx_burst (one syscall, for socket kinds) per destination per burst.
 *
 * The forwarding port set is a dense array (fwd[]), so a flood walks
 * contiguous pointers.  Nothing here allocates, logs or blocks.
 */
#ifndef LANYARD_BRIDGE_BRIDGE_H
#define LANYARD_BRIDGE_BRIDGE_H

#include <stdint.h>

#include "bridge/fdb.h"
#include "core/loop.h"
#include "core/pkt.h"

struct port;

/*
 * What bridge_input() decided for one frame (classify()'s result): a drop
 * cause (enum port_drop, >= 0), or forwarded to one port or flooded.
 */
#define BRIDGE_FWD_UNICAST (-1)
#define BRIDGE_FWD_FLOOD (-2)

/*
 * struct bridge_obs - an observer of forwarding (trace and capture, see
 * ctl/trace.c), set in bridge->obs while one is active.  Costs one branch
 * per burst and per frame when NULL.  Every member is called on the data
 * path: it must not block, allocate or keep packet references.
 *   rx:      a burst arrived, frames as received (before a tag is removed)
 *   verdict: frame @i of that burst was classified: @fwd is one of the
 *            BRIDGE_FWD_* values or a drop cause; the ports it was staged
 *            on are those in bridge->staged whose last frame is it
 *   drop:    @pkt, for @out, was dropped with egress cause @cause (while
 *            staging, or by port_xmit() for backlog-full)
 *   tx:      @p's kind took these frames (NULL slots: dropped by the kind)
 */
struct bridge_obs {
	void (*rx)(struct bridge_obs *o, struct pkt *const *pkts,
		   unsigned int n);
	void (*verdict)(struct bridge_obs *o, unsigned int i,
			const struct pkt *pkt, int fwd);
	void (*drop)(struct bridge_obs *o, struct port *out,
		     const struct pkt *pkt, int cause);
	void (*tx)(struct bridge_obs *o, struct port *p,
		   struct pkt *const *pkts, unsigned int n);
};

struct bridge {
	struct fdb fdb;
	struct port **fwd;	/* ports that are UP */
	unsigned int n_fwd, cap_fwd;
	struct port *staged;	/* ports with frames staged in this burst */
	struct loop *loop;
	struct pkt_pool *pool;
	struct loop_timer ager;
	uint32_t age_interval_ms;
	/* Port policy (docs/policy.md), from bridge_policy_changed(). */
	bool modes;		/* some port has uplink, a mode or isolated */
	struct port *uplink;	/* the uplink port while it is UP */
	struct bridge_obs *obs;	/* trace/capture clients, NULL = none */
};

int bridge_init(struct bridge *br, struct loop *l, struct pkt_pool *pool,
		uint32_t fdb_size, uint32_t ageing, char *err);
void bridge_fini(struct bridge *br);
int bridge_port_add(struct bridge *br, struct port *p);
void bridge_port_del(struct bridge *br, struct port *p);
void bridge_policy_changed(struct bridge *br);
void bridge_input(struct bridge *br, struct pkt **pkts, unsigned int n);
uint32_t bridge_now_sec(const struct bridge *br);

#endif /* LANYARD_BRIDGE_BRIDGE_H */
