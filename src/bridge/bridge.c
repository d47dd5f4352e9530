/* SPDX-License-Identifier: MIT */
/*
 * bridge.c - learning and forwarding.  See bridge.h for the theory of
 * operation.  Hot path: bridge_input() and what it calls.
 */
#include "bridge/bridge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "port/port.h"
#include "proto/eth.h"
#include "proto/vlan.h"

static void ager_fire(struct loop_timer *t, uint64_t now);

/**
 * bridge_init() - set up the MAC table and the forwarding set
 * @br:       the bridge
 * @l:        the loop (for the ageing timer and the clock)
 * @pool:     where tagged copies for trunks come from
 * @fdb_size: MAC table capacity
 * @ageing:   seconds, 0 = never
 * @err:      reason on failure
 *
 * Return: 0 or -errno.
 */
int
bridge_init(struct bridge *br, struct loop *l, struct pkt_pool *pool,
	    uint32_t fdb_size, uint32_t ageing, char *err)
{
	int ret;
	uint32_t slices;

	memset(br, 0, sizeof(*br));
	br->loop = l;
	br->pool = pool;
	ret = fdb_init(&br->fdb, fdb_size, ageing, err);
	if (ret)
		return ret;
	/* A full sweep every ageing/8 s, cut into FDB_AGE_SLICE slices. */
	slices = (fdb_slots(&br->fdb) + FDB_AGE_SLICE - 1) / FDB_AGE_SLICE;
	br->age_interval_ms = (uint32_t)((uint64_t)ageing * 1000 / 8 / slices);
	if (br->age_interval_ms < 100)
		br->age_interval_ms = 100;
	return 0;
}

/**
 * bridge_fini() - free the table and the port set
 * @br: the bridge
 */
void
bridge_fini(struct bridge *br)
{
	if (br->loop)
		loop_timer_cancel(br->loop, &br->ager);
	fdb_fini(&br->fdb);
	free(br->fwd);
	br->fwd = NULL;
	br->n_fwd = br->cap_fwd = 0;
}

/**
 * bridge_now_sec() - the current time in the MAC table's unit
 * @br: the bridge
 *
 * Return: seconds of CLOCK_MONOTONIC, as of this loop iteration.
 */
uint32_t
bridge_now_sec(const struct bridge *br)
{
	return (uint32_t)(loop_now(br->loop) / NS_PER_SEC);
}

/**
 * bridge_port_add() - make @p a forwarding port
 * @br: the bridge
 * @p:  a port going UP
 *
 * Control path: may grow the array.
 *
 * Return: 0 or -ENOMEM.
 */
int
bridge_port_add(struct bridge *br, struct port *p)
{
	if (br->n_fwd == br->cap_fwd) {
		unsigned int cap = br->cap_fwd ? br->cap_fwd * 2 : 16;
		struct port **a = realloc(br->fwd, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		br->fwd = a;
		br->cap_fwd = cap;
	}
	p->fwd_index = br->n_fwd;
	br->fwd[br->n_fwd++] = p;
	bridge_policy_changed(br);
	return 0;
}

/**
 * bridge_port_del() - remove @p from forwarding and forget its MACs
 * @br: the bridge
 * @p:  a port going down
 */
void
bridge_port_del(struct bridge *br, struct port *p)
{
	unsigned int i = p->fwd_index;

	ASSERT(i < br->n_fwd && br->fwd[i] == p);
	br->fwd[i] = br->fwd[--br->n_fwd];
	br->fwd[i]->fwd_index = i;
	fdb_flush_port(&br->fdb, p);
	p->learn_key = 0;
	bridge_policy_changed(br);
}

/**
 * bridge_policy_changed() - a port came, went or changed its policy:
 * whether modes or isolation are in use, and which port is the uplink
 * @br: the bridge
 *
 * Control path.
 */
void
bridge_policy_changed(struct bridge *br)
{
	br->modes = false;
	br->uplink = NULL;
	for (unsigned int i = 0; i < br->n_fwd; i++) {
		const struct port_policy *pol = &br->fwd[i]->pol;

		if (pol->uplink && !br->uplink)
			br->uplink = br->fwd[i];
		if (pol->uplink || pol->isolated ||
		    pol->mode != PORT_MODE_BRIDGE)
			br->modes = true;
	}
}

static void
ager_fire(struct loop_timer *t, uint64_t now)
{
	struct bridge *br = container_of(t, struct bridge, ager);

	fdb_age(&br->fdb, (uint32_t)(now / NS_PER_SEC), FDB_AGE_SLICE);
	if (br->fdb.count)
		loop_timer_arm(br->loop, &br->ager,
			       now + br->age_interval_ms * NS_PER_MS, ager_fire);
}

static inline void
stage_one(struct bridge *br, struct port *out, struct pkt *pkt)
{
	if (unlikely(out->stage.n == PKT_BURST)) {
		/* Mirror copies can make more than a burst: send it now. */
		port_xmit(out, &out->stage);
		if (out->state != PORT_STATE_UP) {
			out->c.tx_offered++;
			out->c.drops[PORT_DROP_PEER_GONE]++;
			return;
		}
	}
	if (!out->staged) {
		out->staged = true;
		out->stage_next = br->staged;
		br->staged = out;
	}
	pkt_get(pkt);
	out->stage.pkts[out->stage.n++] = pkt;
}

/* Is @p a member of @vlan (may it send and receive frames of it)? */
static inline bool
port_member(const struct port *p, uint16_t vlan)
{
	switch (p->vlan.mode) {
	case PORT_VLAN_NONE:
		return vlan == 0;
	case PORT_VLAN_ACCESS:
		return p->vlan.pvid == vlan;
	case PORT_VLAN_TRUNK:
		return vlan != 0 && (vlan == p->vlan.native ||
				     vlan_list_has(p->vlan.allowed, vlan));
	}
	return false;
}

/*
 * The frame as a trunk with TPID @tpid sends it: a copy with the tag
 * inserted after the MAC addresses, made once per burst and shared by every
 * trunk with that TPID.  The copy starts 4 bytes into the headroom so a
 * frame of --frame-max bytes still fits.  NULL when the pool is empty.
 */
static struct pkt *
tagged_copy(struct bridge *br, struct pkt *pkt, uint16_t tpid, bool *cached)
{
	struct pkt *t;

	*cached = !pkt->tagged || pkt->tagged_tpid == tpid;
	if (pkt->tagged && *cached)
		return pkt->tagged;
	if (!pkt_alloc_burst(br->pool, &t, 1))
		return NULL;
	t->data -= VLAN_TAG_LEN;
	memcpy(t->data, pkt->data, 2 * ETH_ALEN);
	vlan_tag_write(t->data + 2 * ETH_ALEN, tpid, pkt->vlan, pkt->pcp,
		       pkt->dei);
	memcpy(t->data + 2 * ETH_ALEN + VLAN_TAG_LEN, pkt->data + 2 * ETH_ALEN,
	       pkt->len - 2 * ETH_ALEN);
	t->len = pkt->len + VLAN_TAG_LEN;
	t->vlan = pkt->vlan;
	t->off = pkt->off;
	pkt_off_shift(&t->off, VLAN_TAG_LEN);
	if (*cached) {
		pkt->tagged = t;
		pkt->tagged_tpid = tpid;
	}
	return t;
}

/*
 * Is @pkt, as the bridge holds it, longer than @mtu allows?  A frame may
 * be mtu + 14 bytes, 4 more with a tag on the wire: a trunk's tag is not
 * in pkt yet, a VLAN-unaware port's is.  A super-frame counts by its
 * longest segment.
 */
static inline bool
over_mtu(const struct pkt *pkt, uint32_t mtu)
{
	uint32_t limit = mtu + ETH_HDR_LEN, len = pkt->len;

	if (len >= ETH_HDR_LEN + VLAN_TAG_LEN &&
	    vlan_is_tpid(get_be16(pkt->data + 2 * ETH_ALEN)))
		limit += VLAN_TAG_LEN;
	if (pkt->off.gso_size && pkt->off.hdr_len)
		len = (uint32_t)pkt->off.hdr_len + pkt->off.gso_size;
	return len > limit;
}

/* A copy of @pkt for @p's mirror, as it is on @p's wire. */
static inline void
mirror(struct bridge *br, struct port *p, struct pkt *pkt)
{
	struct port *m = p->mirror;

	if (m->state == PORT_STATE_UP)
		stage_one(br, m, pkt);
}

/* Egress policy: false when @out must not get @pkt (counted). */
static bool
police_out(struct port *out, const struct pkt *pkt)
{
	if (out->pol.mtu && over_mtu(pkt, out->pol.mtu)) {
		out->c.tx_offered++;
		out->c.drops[PORT_DROP_TOO_BIG]++;
		return false;
	}
	return true;
}

/* Tell an observer (trace) that @out lost @pkt while staging. */
static inline void
note_drop(struct bridge *br, struct port *out, const struct pkt *pkt,
	  enum port_drop cause)
{
	if (unlikely(br->obs))
		br->obs->drop(br->obs, out, pkt, (int)cause);
}

static inline void
stage(struct bridge *br, struct port *out, struct pkt *pkt)
{
	struct pkt *t;
	bool cached;

	if (unlikely(out->pol_out) && !police_out(out, pkt)) {
		note_drop(br, out, pkt, PORT_DROP_TOO_BIG);
		return;
	}
	if (out->vlan.mode != PORT_VLAN_TRUNK || out->vlan_by_kind ||
	    pkt->vlan == out->vlan.native) {
		stage_one(br, out, pkt);
		if (unlikely(out->pol_out) && out->mirror &&
		    (out->pol.mirror_dir & PORT_MIRROR_TX))
			mirror(br, out, pkt);
		return;
	}
	t = tagged_copy(br, pkt, out->vlan.tpid, &cached);
	if (!t) {
		out->c.tx_offered++;
		out->c.drops[PORT_DROP_TAG_NO_BUFFER]++;
		note_drop(br, out, pkt, PORT_DROP_TAG_NO_BUFFER);
		return;
	}
	stage_one(br, out, t);
	if (unlikely(out->pol_out) && out->mirror &&
	    (out->pol.mirror_dir & PORT_MIRROR_TX))
		mirror(br, out, t);
	if (!cached)
		pkt_put(t);
}

/*
 * May a frame that @from sent, arriving on @in, go to @out (another port
 * of its VLAN)?  The table of docs/policy.md, and isolation.  @from is
 * @in, or for a frame that came back through the uplink (a hairpin) the
 * port whose frame it is.
 */
static inline bool
reach(const struct port *from, const struct port *in, const struct port *out)
{
	if (in->pol.isolated && out->pol.isolated)
		return false;
	if (out->pol.uplink)
		return true;
	if (in->pol.uplink) {
		if (from == in)
			return true;	/* from outside */
		if (out == from)
			return false;
		if (from->pol.mode == PORT_MODE_VEPA)
			return out->pol.mode == PORT_MODE_BRIDGE ||
			       out->pol.mode == PORT_MODE_VEPA;
		if (from->pol.mode == PORT_MODE_BRIDGE)
			return out->pol.mode == PORT_MODE_VEPA;
		return false;
	}
	return in->pol.mode == PORT_MODE_BRIDGE &&
	       out->pol.mode == PORT_MODE_BRIDGE;
}

static int
flood(struct bridge *br, const struct port *from, struct port *in,
      struct pkt *pkt)
{
	unsigned int copies = 0;

	for (unsigned int i = 0; i < br->n_fwd; i++) {
		struct port *out = br->fwd[i];

		if (out == in || !port_member(out, pkt->vlan))
			continue;
		if (unlikely(br->modes) && !reach(from, in, out))
			continue;
		stage(br, out, pkt);
		copies++;
	}
	if (!copies) {
		in->c.drops[PORT_DROP_NO_PORT]++;
		return PORT_DROP_NO_PORT;
	}
	in->c.rx_fwd++;
	return BRIDGE_FWD_FLOOD;
}

/* False: a new source beyond the port's max_macs (the frame drops). */
static inline bool
learn(struct bridge *br, struct port *in, uint64_t key, uint32_t now)
{
	enum fdb_learn_result r;

	/* The same source again within the same second: nothing to do. */
	if (key == in->learn_key && in->learn_gen == br->fdb.gen &&
	    in->learn_sec == now)
		return true;
	r = fdb_learn(&br->fdb, key, in, now);
	if (r == FDB_LEARN_PORT_LIMIT)
		return false;
	if (r != FDB_LEARN_FULL) {
		in->learn_key = key;
		in->learn_gen = br->fdb.gen;
		in->learn_sec = now;
	}
	return true;
}

/*
 * Storm control: a token bucket of bcast_pps frames a second holding a
 * tenth of a second's worth (at least a burst).  Credit is in ns.
 */
static bool
storm_pass(struct port *in, uint64_t now)
{
	uint64_t cost = NS_PER_SEC / in->pol.bcast_pps;
	uint64_t burst = MAX(in->pol.bcast_pps / 10, (uint32_t)PKT_BURST);
	uint64_t cap = cost * burst;

	if (!in->storm_last)
		in->storm_credit = cap;
	else
		in->storm_credit = MIN(cap, in->storm_credit +
						    (now - in->storm_last));
	in->storm_last = now;
	if (in->storm_credit < cost)
		return false;
	in->storm_credit -= cost;
	return true;
}

/*
 * Ingress policy, after VLAN classification: a copy for the mirror (as
 * the frame was on the wire), then the MTU and storm control.  The drop
 * cause (counted), or PORT_DROP_MAX when the frame passes.
 */
static enum port_drop
police_in(struct bridge *br, struct port *in, struct pkt *pkt)
{
	if (in->mirror && (in->pol.mirror_dir & PORT_MIRROR_RX)) {
		if (in->vlan.mode == PORT_VLAN_TRUNK && !in->vlan_by_kind &&
		    pkt->vlan != in->vlan.native) {
			bool cached;
			struct pkt *t = tagged_copy(br, pkt, in->vlan.tpid,
						    &cached);

			if (t) {
				mirror(br, in, t);
				if (!cached)
					pkt_put(t);
			} else {
				in->mirror->c.tx_offered++;
				in->mirror->c.drops[PORT_DROP_TAG_NO_BUFFER]++;
			}
		} else {
			mirror(br, in, pkt);
		}
	}
	if (in->pol.mtu && over_mtu(pkt, in->pol.mtu)) {
		in->c.drops[PORT_DROP_OVERSIZE]++;
		return PORT_DROP_OVERSIZE;
	}
	if (in->pol.bcast_pps && eth_is_multicast(eth_dst(pkt->data)) &&
	    !storm_pass(in, loop_now(br->loop))) {
		in->c.drops[PORT_DROP_STORM]++;
		return PORT_DROP_STORM;
	}
	return PORT_DROP_MAX;
}

/*
 * A frame on the uplink whose source lives on another port is that port's
 * frame sent back by the outside: its sender, or @in.
 */
static inline struct port *
hairpin_from(struct bridge *br, struct port *in, uint64_t key)
{
	struct port *s = fdb_lookup(&br->fdb, key);

	return s && s != in && !s->pol.uplink ? s : in;
}

/*
 * VLAN ingress: which VLAN the frame belongs to, by the port's setting;
 * a tag the port understands is removed (it is put back, per port, on
 * egress).  False: the port may not carry this frame.
 */
static bool
vlan_in(const struct port *in, struct pkt *pkt)
{
	const struct port_vlan *v = &in->vlan;
	uint16_t tpid = v->mode == PORT_VLAN_TRUNK ? v->tpid : VLAN_TPID_8021Q;
	struct vlan_tag t;

	if (in->vlan_by_kind)	/* the kind classified it (a VNI's VLAN) */
		return pkt->vlan != 0;
	if (v->mode == PORT_VLAN_NONE)
		return true;
	if (vlan_parse(pkt->data, pkt->len, tpid, &t) != VLAN_PARSE_OK)
		return false;
	if (t.present && t.vid != 0) {
		if (v->mode == PORT_VLAN_ACCESS ||
		    !vlan_list_has(v->allowed, t.vid))
			return false;
		pkt->vlan = t.vid;
	} else {
		pkt->vlan = v->mode == PORT_VLAN_ACCESS ? v->pvid : v->native;
		if (!pkt->vlan)
			return false;
	}
	pkt->pcp = t.pcp;
	pkt->dei = t.dei;
	if (t.present) {
		memmove(pkt->data + VLAN_TAG_LEN, pkt->data, 2 * ETH_ALEN);
		pkt->data += VLAN_TAG_LEN;
		pkt->len -= VLAN_TAG_LEN;
		pkt_off_shift(&pkt->off, -VLAN_TAG_LEN);
	}
	return true;
}

/* Returns what became of @pkt: BRIDGE_FWD_* or a drop cause. */
static int
classify(struct bridge *br, struct pkt *pkt, uint32_t now)
{
	struct port *in = pkt->in, *out, *from = in;
	const uint8_t *f = pkt->data;
	enum port_drop cause;
	uint64_t src;

	in->c.rx++;
	in->c.rx_bytes += pkt->len;
	if (unlikely(pkt->len < ETH_HDR_LEN)) {
		in->c.drops[PORT_DROP_RUNT]++;
		return PORT_DROP_RUNT;
	}
	if (unlikely(!eth_is_valid_src(eth_src(f)))) {
		in->c.drops[PORT_DROP_BAD_SRC]++;
		return PORT_DROP_BAD_SRC;
	}
	if (unlikely(!vlan_in(in, pkt))) {
		in->c.drops[PORT_DROP_VLAN]++;
		return PORT_DROP_VLAN;
	}
	f = pkt->data;	/* vlan_in() may have stripped a tag */
	if (unlikely(in->pol_in) &&
	    (cause = police_in(br, in, pkt)) != PORT_DROP_MAX)
		return (int)cause;
	src = fdb_key(eth_mac_to_u64(eth_src(f)), pkt->vlan);
	/* A hairpinned frame does not move its MAC to the uplink. */
	if (unlikely(in->pol.uplink))
		from = hairpin_from(br, in, src);
	if (from == in && unlikely(!learn(br, in, src, now))) {
		in->c.drops[PORT_DROP_MAC_LIMIT]++;
		return PORT_DROP_MAC_LIMIT;
	}
	if (eth_is_multicast(eth_dst(f)))
		return flood(br, from, in, pkt);
	out = fdb_lookup(&br->fdb,
			 fdb_key(eth_mac_to_u64(eth_dst(f)), pkt->vlan));
	if (!out || !port_member(out, pkt->vlan))
		return flood(br, from, in, pkt);
	if (out == in) {
		in->c.drops[PORT_DROP_SAME_PORT]++;
		return PORT_DROP_SAME_PORT;
	}
	if (unlikely(br->modes) && !reach(from, in, out)) {
		/* Not directly: by the uplink, if the sender may use it. */
		out = br->uplink;
		if (!out || out == in || !port_member(out, pkt->vlan) ||
		    !reach(from, in, out)) {
			in->c.drops[PORT_DROP_POLICY]++;
			return PORT_DROP_POLICY;
		}
	}
	stage(br, out, pkt);
	in->c.rx_fwd++;
	return BRIDGE_FWD_UNICAST;
}

/**
 * bridge_input() - forward one burst of received frames
 * @br:   the bridge
 * @pkts: up to PKT_BURST frames, each with pkt->in set; the caller's
 *        reference on each is consumed
 * @n:    how many
 *
 * Data path.  Frames for a port that goes away during the transmit pass
 * are counted on that port (peer-gone).
 */
void
bridge_input(struct bridge *br, struct pkt **pkts, unsigned int n)
{
	uint32_t now = bridge_now_sec(br);
	struct bridge_obs *obs = br->obs;

	ASSERT(n <= PKT_BURST);
	/* Overlap the MAC table's cache misses (a hint: a tagged frame's
	 * VLAN is only known after classification). */
	for (unsigned int i = 0; i < n; i++) {
		const struct pkt *pkt = pkts[i];
		uint16_t vlan = pkt->in->vlan.mode == PORT_VLAN_ACCESS
					? pkt->in->vlan.pvid
					: pkt->in->vlan.native;

		if (pkt->len < ETH_HDR_LEN)
			continue;
		fdb_prefetch(&br->fdb,
			     fdb_key(eth_mac_to_u64(eth_dst(pkt->data)), vlan));
		fdb_prefetch(&br->fdb,
			     fdb_key(eth_mac_to_u64(eth_src(pkt->data)), vlan));
	}
	/* Off: one branch per burst and per frame (see bridge_obs). */
	if (unlikely(obs))
		obs->rx(obs, pkts, n);
	for (unsigned int i = 0; i < n; i++) {
		int fwd = classify(br, pkts[i], now);

		if (unlikely(obs))
			obs->verdict(obs, i, pkts[i], fwd);
	}
	for (unsigned int i = 0; i < n; i++) {
		if (pkts[i]->tagged)
			pkt_put(pkts[i]->tagged);
		pkt_put(pkts[i]);
	}
	while (br->staged) {
		struct port *out = br->staged;

		br->staged = out->stage_next;
		out->staged = false;
		port_xmit(out, &out->stage);
	}
	if (br->fdb.count && br->fdb.ageing && !br->ager.armed)
		loop_timer_arm(br->loop, &br->ager,
			       loop_now(br->loop) +
				       br->age_interval_ms * NS_PER_MS,
			       ager_fire);
}
