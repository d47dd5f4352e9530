/* SPDX-License-Identifier: MIT */
/*
 * port.h - ports, port kinds and the switch they belong to.
 *
 * Theory of operation
 *
 * A port is one attachment: a QEMU guest's socket, a tap, a VXLAN peer set.
 * Each port has a kind (struct port_ops, one file per kind, listed in
 * port_kinds[] in port.c), an id, the spec it was created from (read back
 * verbatim by "lanyardctl show"), counters and a bounded transmit backlog.
 *
 * Some ports are *listeners*: a stream listener or a datagram endpoint does
 * not carry frames itself but creates a child port for each peer that
 * arrives (ID.1, ID.2, ...).  Children die with their peer, and with their
 * listener.
 *
 * Life cycle
 *
 *   port_create()  parse the spec, allocate the port with the kind's private
 *                  area, call ops->open().  On failure nothing is left.
 *   port_spawn()   a listener makes a child (same kind or not); the caller
 *                  finishes the child's setup and calls port_set_up().
 *   port_set_up()  the port starts forwarding: it joins the bridge's port
 *                  set, so floods reach it and it may be learned on.
 *   port_set_down() it stops forwarding: leaves the set, its MAC entries
 *                  are flushed, its backlog is dropped (counted peer-gone).
 *                  A dialling stream port goes down and up again on every
 *                  reconnect and keeps its id.
 *   port_destroy() down, ops->close(), counters folded into the switch
 *                  totals, unlinked; memory freed after the current loop
 *                  iteration (other events of this iteration may still
 *                  name it; their loop_fd is dead by then).
 *
 * Frames in: a kind's fd handler calls port_rx(), which runs ops->rx_burst()
 * and hands each burst to bridge_input().  Frames out: the bridge calls
 * port_xmit() with one batch per destination; what ops->tx_burst() does not
 * take goes to the backlog and EPOLLOUT is armed on p->lfd; when it fires,
 * port_tx_ready() drains the backlog.  The backlog drops at its tail, so a
 * frame a kind has partly written stays at its head until finished.
 *
 * Backpressure: a port that can slow its peer down (rx_pausable: the
 * peer's socket fills and its sends wait, as with a unix socket or TCP)
 * stops being read while a port it just sent to holds more than half its
 * backlog.  It is read again once that port drains to a quarter (or goes
 * away), so a fast sender and a slower receiver lose nothing, the way
 * QEMU's hub pauses a sender.  A port that makes no progress for
 * --pause-max ms is *stuck* (a stopped guest): its waiters are released
 * and frames for it are dropped (backlog-full) until it drains, so one
 * dead peer never stalls the rest.  A burst is at most PKT_BURST frames
 * per destination and the check runs between bursts, so half a backlog
 * of headroom absorbs what is already in flight.
 *
 * Counters and conservation (asserted by the tests, for every port):
 *   ingress:  rx = rx_fwd + drops(runt, oversize, no-buffer, bad-src,
 *                                 same-port, no-port, vlan, bad-vnet-hdr,
 *                                 bad-encap, vni, policy, storm,
 *                                 mac-limit)
 *   egress:   tx_offered = tx + queued + drops(backlog-full, peer-gone,
 *                                             tag-no-buffer, bad-offload,
 *                                             seg-no-buffer, link-down,
 *                                             too-big, no-vtep)
 * A flooded frame is one rx on its ingress port and one tx_offered on each
 * port it is flooded to.  A GSO super-frame cut into N segments for a port
 * that cannot take it whole counts N tx_offered there.
 *
 * Offloads: a frame may carry a partial checksum or be a GSO super-frame
 * (pkt->off, from a tap or packet port's virtio_net_hdr).  A port states in
 * p->offloads (VNET_OFF_*) what it takes as it is; port_xmit() finishes
 * the checksum or segments in software (proto/gso.c) whatever it does not,
 * so plain ports only ever see complete frames.  Counters of destroyed ports are kept in the
 * switch's totals, so the equations also hold switch-wide.
 */
#ifndef LANYARD_PORT_PORT_H
#define LANYARD_PORT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bridge/bridge.h"
#include "core/loop.h"
#include "core/pkt.h"
#include "core/util.h"
#include "proto/opts.h"

#define PORT_ID_MAX 64
#define PORT_PEER_MAX 128

struct port;
struct sw;

enum port_drop {
	/* ingress */
	PORT_DROP_RUNT = 0,	/* shorter than an Ethernet header */
	PORT_DROP_OVERSIZE,	/* longer than the frame buffers or mtu= */
	PORT_DROP_NO_BUFFER,	/* the packet pool was empty */
	PORT_DROP_BAD_SRC,	/* multicast or zero source MAC */
	PORT_DROP_SAME_PORT,	/* destination lives on the ingress port */
	PORT_DROP_NO_PORT,	/* flood with no other port to go to */
	PORT_DROP_VLAN,		/* not allowed by the port's VLAN setting */
	PORT_DROP_BAD_VNET,	/* virtio_net_hdr contradicts its frame */
	PORT_DROP_BAD_ENCAP,	/* not an encapsulation the kind accepts */
	PORT_DROP_VNI,		/* a VXLAN network the port does not carry */
	PORT_DROP_POLICY,	/* destination not reachable by mode/isolation */
	PORT_DROP_STORM,	/* broadcast/multicast beyond bcast_pps */
	PORT_DROP_MAC_LIMIT,	/* a new source MAC beyond max_macs */
	/* egress */
	PORT_DROP_BACKLOG_FULL,	/* peer slow and backlog full */
	PORT_DROP_PEER_GONE,	/* peer left with frames still queued */
	PORT_DROP_TAG_NO_BUFFER, /* no buffer to add this port's VLAN tag */
	PORT_DROP_BAD_OFFLOAD,	/* cannot be checksummed or segmented */
	PORT_DROP_SEG_NO_BUFFER, /* no buffer for a software segment */
	PORT_DROP_LINK_DOWN,	/* the kind's interface is down (a tap) */
	PORT_DROP_TOO_BIG,	/* longer than the port's mtu= (vxlan: the
				 * underlay MTU) allows */
	PORT_DROP_NO_VTEP,	/* no tunnel endpoint to send it to */
	PORT_DROP_MAX
};
#define PORT_DROP_FIRST_EGRESS PORT_DROP_BACKLOG_FULL

enum port_error {
	PORT_ERR_BAD_LENGTH = 0,	/* stream length 0 or > 69632 */
	PORT_ERR_PEER_LIMIT,	/* endpoint refused a new peer */
	PORT_ERR_IO,		/* a socket error ended a connection */
	PORT_ERR_BAD_PEER,	/* a sender that cannot be answered */
	PORT_ERR_BAD_DESC,	/* vhost-user: a descriptor chain refused */
	PORT_ERR_BAD_MSG,	/* vhost-user: a request refused, the
				 * front-end disconnected */
	PORT_ERR_MAX
};

struct port_counters {
	uint64_t rx, rx_bytes, rx_fwd;
	uint64_t tx, tx_bytes, tx_offered;
	uint64_t rx_ignored;	/* own multicast echoes: not the peer's */
	uint64_t pauses;	/* times reading stopped for backpressure */
	uint64_t drops[PORT_DROP_MAX];
	uint64_t errors[PORT_ERR_MAX];
};

/*
 * VLAN membership (802.1Q).  'none' ports are VLAN-unaware: they form VLAN
 * 0 together and carry any tags inside frames untouched.  An access port
 * belongs to one VLAN, untagged on the wire.  A trunk carries the listed
 * VLANs tagged with its TPID, and its native VLAN untagged.
 */
enum port_vlan_mode {
	PORT_VLAN_NONE = 0,
	PORT_VLAN_ACCESS,
	PORT_VLAN_TRUNK,
};

struct port_vlan {
	enum port_vlan_mode mode;
	uint16_t pvid;		/* access: its VLAN */
	uint16_t native;	/* trunk: untagged VLAN, 0 = none */
	uint16_t tpid;		/* trunk: 0x8100, or 0x88a8 for 802.1ad */
	uint8_t allowed[512];	/* trunk: tagged VLANs (bitmap) */
};

/*
 * Port policy (docs/policy.md): macvlan-style modes relative to one uplink
 * port, isolation, mirroring, storm control and an MTU.  All off by
 * default; the bridge only looks at modes and isolation while some port
 * uses them (bridge->modes).
 */
enum port_mode {
	PORT_MODE_BRIDGE = 0,
	PORT_MODE_PRIVATE,
	PORT_MODE_VEPA,
	PORT_MODE_PASSTHRU,
};

#define PORT_MIRROR_RX 1u
#define PORT_MIRROR_TX 2u

struct port_policy {
	bool uplink;
	bool isolated;
	enum port_mode mode;		/* not for the uplink */
	uint8_t mirror_dir;		/* PORT_MIRROR_*, with mirror_id */
	char mirror_id[PORT_ID_MAX];	/* "" = no mirror */
	uint32_t bcast_pps;		/* 0 = no storm control */
	uint32_t mtu;			/* 0 = none */
};

enum port_state {
	PORT_STATE_INIT = 0,
	PORT_STATE_LISTENING,	/* a listener */
	PORT_STATE_UP,		/* forwarding */
	PORT_STATE_DOWN,	/* waiting for its peer (dial, re-dial) */
};

/*
 * struct port_ops - one port kind.  Every member documents when it is
 * called, whether it may be NULL, who owns packets, and what it returns.
 */
struct port_ops {
	const char *kind;	/* "stream", "dgram", "mcast" */
	size_t priv_size;	/* bytes of kind state, see port_priv() */
	bool own_mtu;		/* the kind reads mtu= itself (vxlan: the
				 * underlay's); the common key is not parsed */
	/*
	 * Control path, from port_create().  Reads the kind's keys from 'o'
	 * (common keys are already taken), opens fds, registers them.
	 * 0 or -errno with the reason in 'err'; on failure it must have
	 * undone everything (close() is not called).  Never NULL.
	 */
	int (*open)(struct port *p, struct opts *o, char *err);
	/*
	 * Data path, from port_rx().  Never blocks.  Fills 'pkts' with up to
	 * 'max' received frames, each with one reference and pkt->in set
	 * (a listener sets its children).  Returns the count, or -errno when
	 * the port must go down.  port_rx() calls again while 'max' frames
	 * come back, so a kind reads from the kernel a bounded number of
	 * times per loop iteration (fairness between ports).  A kind that
	 * returns frames but already knows of an error to report (the fd may
	 * never be readable again) sets p->rx_again, and is called once more
	 * at once.  NULL for ports that receive through their listener.
	 */
	int (*rx_burst)(struct port *p, struct pkt **pkts, unsigned int max);
	/*
	 * Data path, from port_xmit() and port_tx_ready().  Never blocks.
	 * Sends what the peer takes now from the front of 'pkts' and returns
	 * that count; the caller keeps references and the rest.  A frame
	 * partly written is not counted and must come first next time (the
	 * kind remembers how much of it went).  A frame the kind took but
	 * could not deliver (a tap whose link is down) is counted in the
	 * returned number: the kind puts it, counts its drop cause and sets
	 * its slot in 'pkts' to NULL.  -errno: the peer is gone.
	 * Never NULL for forwarding ports.
	 */
	int (*tx_burst)(struct port *p, struct pkt **pkts, unsigned int n);
	/*
	 * Control path.  Closes the kind's fds and frees its state; must
	 * cope with a half-open port.  May be NULL.
	 */
	void (*close)(struct port *p);
	/*
	 * Called by port_fail() when rx_burst or tx_burst reported an error
	 * or the peer hung up.  A kind that outlives its peer (a dialling
	 * stream port) takes itself down and schedules a re-dial; NULL means
	 * port_destroy().
	 */
	void (*fail)(struct port *p, const char *why);
	/*
	 * Control path.  Writes the QEMU option that attaches a guest to
	 * this port ("-netdev stream,id=n0,..."), or "" if none.  May be NULL.
	 */
	void (*qemu_hint)(const struct port *p, char *buf, size_t len);
	/*
	 * Control path, for "show".  Adds what the kind negotiated or set up
	 * (a tap's vnet header size, offloads and queues; a ring's size) to
	 * the JSON object 'o' as "key": string or integer members.  May be
	 * NULL.
	 */
	void (*info)(const struct port *p, json_t *o);
	/*
	 * Control path, for a kind that knows where each MAC lives behind
	 * it (VXLAN: which tunnel endpoint).  All three may be NULL.
	 * fdb_dst: writes that place for "fdb" ("192.0.2.7"); false if it
	 * knows none.  fdb_pin: "fdb add MAC PORT dst WHERE": pins the MAC
	 * there for good (0, or -errno with the reason in 'err').
	 * fdb_forget: drops what it knows of MAC (or of every MAC: NULL).
	 */
	bool (*fdb_dst)(const struct port *p, const uint8_t mac[6],
			uint16_t vlan, char *buf, size_t len);
	int (*fdb_pin)(struct port *p, const uint8_t mac[6], uint16_t vlan,
		       const char *dst, char *err);
	void (*fdb_forget)(struct port *p, const uint8_t *mac, uint16_t vlan);
	/*
	 * Data path, for a kind whose peer says "room again" by other means
	 * than EPOLLOUT (vhost-user: a kick on a receive ring).  Called with
	 * true when a backlog appears, instead of arming EPOLLOUT, and with
	 * false when it is gone; the kind calls port_tx_ready() when there is
	 * room.  May be NULL.
	 */
	void (*tx_wait)(struct port *p, bool on);
};

struct port {
	char id[PORT_ID_MAX];
	const struct port_ops *ops;
	struct sw *sw;
	struct port *parent;		/* listener that spawned it, or NULL */
	struct port *next, *prev;	/* sw registry, creation order */
	enum port_state state;
	char *spec;			/* as given; children: parent's */
	char peer[PORT_PEER_MAX];	/* peer address, for show */
	struct loop_fd lfd;		/* main fd; EPOLLOUT when backlogged */
	struct loop_fd *tx_lfd;		/* NULL, or the kind's fd that is
					 * armed for EPOLLOUT instead */
	struct loop_defer free_defer;
	struct port_counters c;
	unsigned int n_children;
	unsigned int child_seq;		/* last child number handed out */
	/* bridge state */
	unsigned int fwd_index;		/* in bridge->fwd[] while UP */
	uint32_t max_macs, n_macs;
	struct port_vlan vlan;
	struct port_policy pol;
	struct port *mirror;		/* pol.mirror_id while it exists */
	bool pol_in, pol_out;		/* some ingress/egress policy to apply */
	uint64_t storm_credit, storm_last;	/* bcast_pps bucket, ns */
	bool vlan_by_kind;	/* the kind sets pkt->vlan on input and reads
				 * it on output (VXLAN's VNI map): the bridge
				 * neither parses nor adds tags for it */
	uint32_t offloads;		/* VNET_OFF_* taken as they are */
	uint64_t learn_key, learn_gen;	/* last source learned: skip repeats */
	uint32_t learn_sec;
	struct pkt_batch stage;		/* this burst's frames for this port */
	struct port *stage_next;
	bool staged;
	/* transmit backlog: a ring of pkt references */
	struct pkt **backlog;
	uint32_t bl_cap, bl_head, bl_len;
	bool destroyed;
	bool rx_again;		/* rx_burst has an error to report next call */
	bool tx_dead;		/* the peer closed: frames for it drop
				 * (peer-gone) until its last ones are read */
	uint64_t rx_iter;	/* loop iteration of rx_reads, see */
	unsigned int rx_reads;	/* port_rx_budget() */
	/* backpressure, see above */
	bool rx_pausable;	/* set by the kind */
	bool rx_paused;		/* not read until bp_on drains */
	bool bp_stuck;		/* no progress for pause_max: drop for it */
	struct port *bp_on;	/* while paused: the port waited for */
	struct port *bp_next;	/* next waiter of bp_on */
	struct port *bp_waiters;	/* ports paused for this one */
	uint64_t bp_tx_mark;	/* c.tx when bp_timer was armed */
	struct loop_timer bp_timer;
	struct loop_defer bp_resume;
	void *priv;			/* ops->priv_size bytes */
};

/*
 * struct sw - the switch: one loop, one packet pool, one bridge, the
 * registry of ports, and the counters of ports already gone.
 */
struct sw {
	struct loop loop;
	struct pkt_pool pool;
	struct bridge br;
	struct port *ports_head, *ports_tail;
	unsigned int n_ports;
	struct port_counters gone;	/* folded in by port_destroy() */
	uint32_t backlog_default;
	uint32_t max_macs_default;
	uint32_t frame_max;
	uint64_t pause_max_ns;		/* 0: never pause a sender */
	struct port *rx_cur;		/* port_rx() is reading this port */
	const struct cmdline *opts;	/* what it was started with, for
					 * "save"; NULL in unit tests' */
};

extern const struct port_ops *const port_kinds[];

int port_create(struct sw *sw, const char *spec, struct port **out,
		char *err);
struct port *port_spawn(struct port *listener, const struct port_ops *ops,
			char *err);
void port_set_up(struct port *p);
void port_set_down(struct port *p, const char *why);
void port_fail(struct port *p, const char *why);
void port_fail_stay_up(struct port *p, const char *why);
void port_destroy(struct port *p, const char *why);
struct port *port_find(struct sw *sw, const char *id);
void port_rx(struct port *p);
void port_xmit(struct port *p, struct pkt_batch *b);
void port_tx_ready(struct port *p);
void port_count_rx_drop(struct port *p, enum port_drop cause,
			uint64_t bytes);
void port_totals(const struct sw *sw, struct port_counters *out);

struct cmdline;
int sw_init(struct sw *sw, const struct cmdline *c, char *err);
void sw_fini(struct sw *sw);
void port_counters_reset(struct port *p);
const char *port_drop_name(enum port_drop d);
int port_vlan_keys(struct port_vlan *v, struct opts *o, char *err);
int port_policy_set(struct port *p, const char *kv, char *err);
void port_policy_describe(const struct port *p, char *buf, size_t len);
const char *port_mode_name(enum port_mode m);
/* policy.c, for port.c */
int port_policy_init(struct port *p, struct opts *o, char *err);
int port_policy_inherit(struct port *c, char *err);
void port_policy_linked(struct port *p);
void port_policy_unlinked(struct port *p);
void port_vlan_describe(const struct port_vlan *v, char *buf, size_t len);
const char *port_error_name(enum port_error e);
const char *port_state_name(enum port_state s);
void port_on_event(struct loop_fd *lfd, uint32_t events);

/**
 * port_priv() - the kind's private state
 * @p: the port
 *
 * Return: ops->priv_size bytes, zeroed at creation.
 */
static inline void *
port_priv(const struct port *p)
{
	return p->priv;
}

/**
 * port_rx_budget() - whether @p may read from the kernel once more in this
 * loop iteration; counts the read
 * @p:        the port
 * @per_iter: reads a kind allows itself per iteration
 *
 * Kinds ask before each read, so a busy port leaves the rest of its input
 * for the next iteration (epoll is level-triggered) and every ready port
 * gets a turn.  Data path.
 */
static inline bool
port_rx_budget(struct port *p, unsigned int per_iter)
{
	uint64_t iter = p->sw->loop.iterations;

	if (p->rx_iter != iter) {
		p->rx_iter = iter;
		p->rx_reads = 0;
	}
	return p->rx_reads++ < per_iter;
}

/**
 * port_loop() - the event loop the port runs in
 * @p: the port
 *
 * Return: the switch's loop.
 */
static inline struct loop *
port_loop(const struct port *p)
{
	return &p->sw->loop;
}

#endif /* LANYARD_PORT_PORT_H */
