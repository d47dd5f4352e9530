/* SPDX-License-Identifier: MIT */
/*
 * port.c - the port registry, the life cycle of ports, and the generic half
 * of the data path (rx dispatch, transmit with backlog).  See port.h.
 */
#include "port/port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "core/log.h"
#include "proto/cmdline.h"
#include "proto/gso.h"
#include "proto/vlan.h"
#include "proto/vnet.h"

extern const struct port_ops stream_ops;
extern const struct port_ops dgram_ops;
extern const struct port_ops mcast_ops;
extern const struct port_ops tap_ops;
extern const struct port_ops packet_ops;
extern const struct port_ops vxlan_ops;
extern const struct port_ops vhost_user_ops;

/* Every port kind, looked up by name from the spec's first word. */
const struct port_ops *const port_kinds[] = {
	&stream_ops,
	&dgram_ops,
	&mcast_ops,
	&tap_ops,
	&packet_ops,
	&vxlan_ops,
	&vhost_user_ops,
	NULL,
};

static const char *const drop_names[PORT_DROP_MAX] = {
	[PORT_DROP_RUNT] = "runt",
	[PORT_DROP_OVERSIZE] = "oversize",
	[PORT_DROP_NO_BUFFER] = "no-buffer",
	[PORT_DROP_BAD_SRC] = "bad-src",
	[PORT_DROP_SAME_PORT] = "same-port",
	[PORT_DROP_NO_PORT] = "no-port",
	[PORT_DROP_VLAN] = "vlan",
	[PORT_DROP_BAD_VNET] = "bad-vnet-hdr",
	[PORT_DROP_BAD_ENCAP] = "bad-encap",
	[PORT_DROP_VNI] = "vni",
	[PORT_DROP_POLICY] = "policy",
	[PORT_DROP_STORM] = "storm",
	[PORT_DROP_MAC_LIMIT] = "mac-limit",
	[PORT_DROP_BACKLOG_FULL] = "backlog-full",
	[PORT_DROP_PEER_GONE] = "peer-gone",
	[PORT_DROP_TAG_NO_BUFFER] = "tag-no-buffer",
	[PORT_DROP_BAD_OFFLOAD] = "bad-offload",
	[PORT_DROP_SEG_NO_BUFFER] = "seg-no-buffer",
	[PORT_DROP_LINK_DOWN] = "link-down",
	[PORT_DROP_TOO_BIG] = "too-big",
	[PORT_DROP_NO_VTEP] = "no-vtep",
};

static const char *const error_names[PORT_ERR_MAX] = {
	[PORT_ERR_BAD_LENGTH] = "bad-length",
	[PORT_ERR_PEER_LIMIT] = "peer-limit",
	[PORT_ERR_IO] = "io",
	[PORT_ERR_BAD_PEER] = "bad-peer",
	[PORT_ERR_BAD_DESC] = "bad-desc",
	[PORT_ERR_BAD_MSG] = "bad-msg",
};

const char *
port_drop_name(enum port_drop d)
{
	return d < PORT_DROP_MAX ? drop_names[d] : "?";
}

const char *
port_error_name(enum port_error e)
{
	return e < PORT_ERR_MAX ? error_names[e] : "?";
}

const char *
port_state_name(enum port_state s)
{
	switch (s) {
	case PORT_STATE_INIT:
		return "init";
	case PORT_STATE_LISTENING:
		return "listening";
	case PORT_STATE_UP:
		return "up";
	case PORT_STATE_DOWN:
		return "down";
	}
	return "?";
}

static const struct port_ops *
find_kind(const char *name)
{
	for (size_t i = 0; port_kinds[i]; i++)
		if (strcmp(port_kinds[i]->kind, name) == 0)
			return port_kinds[i];
	return NULL;
}

/**
 * port_find() - look a port up by id
 * @sw: the switch
 * @id: e.g. "vm1" or "st.3"
 *
 * Return: the port or NULL.
 */
struct port *
port_find(struct sw *sw, const char *id)
{
	for (struct port *p = sw->ports_head; p; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

static int
check_id(struct sw *sw, const char *id, char *err)
{
	size_t n = strlen(id);

	if (n == 0 || n > 40)
		return ERR_SET(err, -EINVAL, "id '%s': 1 to 40 characters",
			       id);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return ERR_SET(err, -EINVAL,
				       "id '%s': only letters, digits, '_' "
				       "and '-'",
				       id);
	}
	if (port_find(sw, id))
		return ERR_SET(err, -EEXIST, "id '%s' is already in use", id);
	return 0;
}

static struct port *
port_alloc(struct sw *sw, const struct port_ops *ops, uint32_t backlog)
{
	size_t priv_off = (sizeof(struct port) + 15) & ~(size_t)15;
	struct port *p = calloc(1, priv_off + ops->priv_size);

	if (!p)
		return NULL;
	p->backlog = calloc(backlog, sizeof(*p->backlog));
	if (!p->backlog) {
		free(p);
		return NULL;
	}
	p->bl_cap = backlog;
	p->priv = (char *)p + priv_off;
	p->ops = ops;
	p->sw = sw;
	p->lfd.fd = -1;
	p->state = PORT_STATE_INIT;
	return p;
}

static void
port_free(struct port *p)
{
	if (!p)
		return;
	free(p->backlog);
	free(p->spec);
	free(p);
}

static void
registry_link(struct sw *sw, struct port *p)
{
	p->prev = sw->ports_tail;
	p->next = NULL;
	if (sw->ports_tail)
		sw->ports_tail->next = p;
	else
		sw->ports_head = p;
	sw->ports_tail = p;
	sw->n_ports++;
	port_policy_linked(p);
}

static void
registry_unlink(struct sw *sw, struct port *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		sw->ports_head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		sw->ports_tail = p->prev;
	p->next = p->prev = NULL;
	sw->n_ports--;
	port_policy_unlinked(p);
}

/**
 * port_vlan_keys() - read vlan=, trunk=, native= and tpid= from a spec
 * @v:   the port's VLAN setting, filled
 * @o:   the spec
 * @err: reason on failure
 *
 * Return: 0 or -EINVAL.
 */
int
port_vlan_keys(struct port_vlan *v, struct opts *o, char *err)
{
	const char *trunk = NULL, *tpid_s = NULL;
	uint32_t pvid = 0, native = 0, tpid = VLAN_TPID_8021Q;
	int has_pvid, has_native, ret;

	memset(v, 0, sizeof(*v));
	has_pvid = opts_get_u32(o, "vlan", 1, VLAN_VID_MAX, &pvid, err);
	if (has_pvid < 0)
		return has_pvid;
	has_native = opts_get_u32(o, "native", 1, VLAN_VID_MAX, &native, err);
	if (has_native < 0)
		return has_native;
	if ((ret = opts_get_str(o, "trunk", &trunk, err)) < 0 ||
	    (ret = opts_get_str(o, "tpid", &tpid_s, err)) < 0)
		return ret;
	if (has_pvid && (trunk || has_native || tpid_s))
		return ERR_SET(err, -EINVAL,
			       "'vlan' makes an access port: it excludes "
			       "'trunk', 'native' and 'tpid'");
	if ((has_native || tpid_s) && !trunk)
		return ERR_SET(err, -EINVAL,
			       "'native' and 'tpid' need 'trunk'");
	if (tpid_s && (opts_parse_u32(tpid_s, 0, 0xffff, &tpid) ||
		       (tpid != VLAN_TPID_8021Q && tpid != VLAN_TPID_8021AD &&
			tpid != 0x9100)))
		return ERR_SET(err, -EINVAL,
			       "'tpid=%s': expected 0x8100, 0x88a8 or 0x9100",
			       tpid_s);
	if (has_pvid) {
		v->mode = PORT_VLAN_ACCESS;
		v->pvid = (uint16_t)pvid;
	} else if (trunk) {
		v->mode = PORT_VLAN_TRUNK;
		v->native = (uint16_t)native;
		v->tpid = (uint16_t)tpid;
		if (vlan_list_parse(trunk, v->allowed, err))
			return -EINVAL;
	}
	return 0;
}

/**
 * port_vlan_describe() - "none", "access 10", "trunk 1,10-20 native 5
 * tpid 0x88a8"
 * @v:   the setting
 * @buf: output
 * @len: its size
 */
void
port_vlan_describe(const struct port_vlan *v, char *buf, size_t len)
{
	char list[256];

	switch (v->mode) {
	case PORT_VLAN_NONE:
		snprintf(buf, len, "none");
		return;
	case PORT_VLAN_ACCESS:
		snprintf(buf, len, "access %u", v->pvid);
		return;
	case PORT_VLAN_TRUNK:
		vlan_list_format(v->allowed, list, sizeof(list));
		if (v->native)
			snprintf(buf, len, "trunk %s native %u tpid 0x%04x",
				 list, v->native, v->tpid);
		else
			snprintf(buf, len, "trunk %s tpid 0x%04x", list,
				 v->tpid);
		return;
	}
}

static int
common_keys(struct sw *sw, struct opts *o, const char **id,
	    uint32_t *backlog, char *err)
{
	int ret = opts_get_str(o, "id", id, err);

	if (ret < 0)
		return ret;
	if (ret == 0)
		return ERR_SET(err, -EINVAL, "%s: 'id' is required", o->kind);
	ret = check_id(sw, *id, err);
	if (ret)
		return ret;
	*backlog = sw->backlog_default;
	ret = opts_get_u32(o, "backlog", 1, 1U << 16, backlog, err);
	return ret < 0 ? ret : 0;
}

/**
 * port_create() - make a port from a spec such as "stream,id=vm,path=/x"
 * @sw:   the switch
 * @spec: the spec; copied
 * @out:  the new port, on success (may be NULL)
 * @err:  one line naming the key and the reason, on failure
 *
 * Control path.  On failure nothing is left behind.
 *
 * Return: 0 or -errno.
 */
int
port_create(struct sw *sw, const char *spec, struct port **out, char *err)
{
	struct opts o;
	const struct port_ops *ops;
	const char *id = NULL;
	uint32_t backlog;
	struct port *p;
	int ret;

	ret = opts_parse(spec, &o, err);
	if (ret)
		return ret;
	ops = find_kind(o.kind);
	if (!ops) {
		char known[128] = "";
		size_t used = 0;

		for (size_t i = 0; port_kinds[i] && used < sizeof(known); i++)
			used += (size_t)snprintf(known + used,
						 sizeof(known) - used, "%s%s",
						 i ? ", " : "",
						 port_kinds[i]->kind);
		return ERR_SET(err, -EINVAL,
			       "unknown port kind '%s' (known: %s)", o.kind,
			       known);
	}
	ret = common_keys(sw, &o, &id, &backlog, err);
	if (ret)
		return ret;
	p = port_alloc(sw, ops, backlog);
	if (!p)
		return ERR_SET(err, -ENOMEM, "out of memory");
	p->spec = strdup(spec);
	if (!p->spec) {
		port_free(p);
		return ERR_SET(err, -ENOMEM, "out of memory");
	}
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->max_macs = sw->max_macs_default;
	ret = port_vlan_keys(&p->vlan, &o, err);
	if (!ret)
		ret = port_policy_init(p, &o, err);
	if (ret) {
		port_free(p);
		return ret;
	}
	ret = ops->open(p, &o, err);
	if (ret) {
		port_free(p);
		return ret;
	}
	ret = opts_check_unused(&o, err);
	if (ret) {
		port_set_down(p, NULL);	/* a dial may have connected */
		if (ops->close)
			ops->close(p);
		port_free(p);
		return ret;
	}
	registry_link(sw, p);
	if (out)
		*out = p;
	return 0;
}

/**
 * port_spawn() - a listener makes a child port "ID.N" for a new peer
 * @listener: the parent
 * @ops:      the child's kind
 * @err:      reason on failure
 *
 * The child inherits backlog, max_macs, VLANs and policy, is registered,
 * and starts in PORT_STATE_INIT; the caller sets it up and calls
 * port_set_up().  NULL also when the policy forbids another port (a
 * second uplink, a port beside a passthru one).
 *
 * Return: the child, or NULL.
 */
struct port *
port_spawn(struct port *listener, const struct port_ops *ops, char *err)
{
	struct port *p = port_alloc(listener->sw, ops, listener->bl_cap);

	if (!p) {
		ERR_SET(err, 0, "out of memory");
		return NULL;
	}
	snprintf(p->id, sizeof(p->id), "%.40s.%u", listener->id,
		 ++listener->child_seq);
	p->parent = listener;
	p->max_macs = listener->max_macs;
	p->vlan = listener->vlan;
	if (port_policy_inherit(p, err)) {
		port_free(p);
		return NULL;
	}
	listener->n_children++;
	registry_link(listener->sw, p);
	return p;
}

/**
 * port_set_up() - start forwarding to and from @p
 * @p: the port
 */
void
port_set_up(struct port *p)
{
	if (p->state == PORT_STATE_UP)
		return;
	if (bridge_port_add(&p->sw->br, p)) {
		log_err("port %s: out of memory joining the bridge", p->id);
		port_fail(p, "out of memory");
		return;
	}
	p->state = PORT_STATE_UP;
}

static void
drop_backlog(struct port *p)
{
	while (p->bl_len) {
		pkt_put(p->backlog[p->bl_head]);
		p->bl_head = (p->bl_head + 1) % p->bl_cap;
		p->bl_len--;
		p->c.drops[PORT_DROP_PEER_GONE]++;
	}
	p->bl_head = 0;
}

static void
unstage(struct port *p)
{
	struct port **pp = &p->sw->br.staged;

	if (!p->staged)
		return;
	while (*pp != p)
		pp = &(*pp)->stage_next;
	*pp = p->stage_next;
	p->staged = false;
	p->c.tx_offered += p->stage.n;
	p->c.drops[PORT_DROP_PEER_GONE] += p->stage.n;
	pkt_batch_put_all(&p->stage);
}

/* Arms or disarms EPOLLOUT on the fd that says @p can send again. */
static void
want_write(struct port *p, bool on)
{
	struct loop_fd *l = p->tx_lfd ? p->tx_lfd : &p->lfd;
	uint32_t ev = on ? l->events | EPOLLOUT
			 : l->events & ~(uint32_t)EPOLLOUT;

	if (p->ops->tx_wait) {
		p->ops->tx_wait(p, on);
		return;
	}
	if (l->fd >= 0 && ev != l->events)
		loop_mod(port_loop(p), l, ev);
}

/* --- backpressure (port.h) ------------------------------------------------ */

static void
rx_events(struct port *p, bool on)
{
	uint32_t ev = on ? p->lfd.events | EPOLLIN
			 : p->lfd.events & ~(uint32_t)EPOLLIN;

	if (p->lfd.fd >= 0 && ev != p->lfd.events)
		loop_mod(port_loop(p), &p->lfd, ev);
}

static void
bp_resume_fn(struct loop_defer *d)
{
	struct port *p = container_of(d, struct port, bp_resume);

	/* Frames the kind buffered before the pause need no new event. */
	if (!p->destroyed && !p->rx_paused && p->ops->rx_burst)
		port_rx(p);
}

/* Take @w off its destination's list and read it again. */
static void
bp_release(struct port *w, bool reread)
{
	struct port **pp;

	if (!w->rx_paused)
		return;
	for (pp = &w->bp_on->bp_waiters; *pp && *pp != w; pp = &(*pp)->bp_next)
		;
	if (*pp)
		*pp = w->bp_next;
	w->bp_on = NULL;
	w->bp_next = NULL;
	w->rx_paused = false;
	rx_events(w, true);
	/* Hung up while paused: what it left is read now, in turn. */
	if (loop_unpark(port_loop(w), &w->lfd) < 0)
		reread = true;
	if (reread)
		loop_defer(port_loop(w), &w->bp_resume, bp_resume_fn);
}

static void
bp_release_all(struct port *p)
{
	while (p->bp_waiters)
		bp_release(p->bp_waiters, true);
	loop_timer_cancel(port_loop(p), &p->bp_timer);
}

static void
bp_timer_fn(struct loop_timer *t, uint64_t now)
{
	struct port *p = container_of(t, struct port, bp_timer);

	if (p->c.tx != p->bp_tx_mark) {
		/* Slow, not stuck: wait another period. */
		p->bp_tx_mark = p->c.tx;
		loop_timer_arm(port_loop(p), t, now + p->sw->pause_max_ns,
			       bp_timer_fn);
		return;
	}
	p->bp_stuck = true;
	log_ratelimited(LOG_LVL_WARN,
			"port %s: peer took nothing for %llu ms: dropping "
			"for it instead of pausing its senders",
			p->id,
			(unsigned long long)(p->sw->pause_max_ns / NS_PER_MS));
	bp_release_all(p);
}

/*
 * @p's backlog passed the high-water mark while the bridge was forwarding
 * a burst read from sw->rx_cur: stop reading that port until @p drains.
 */
static void
bp_pause(struct port *p)
{
	struct port *in = p->sw->rx_cur;

	if (!in || in == p || !in->rx_pausable || in->rx_paused ||
	    p->bp_stuck || !p->sw->pause_max_ns || in->destroyed)
		return;
	in->rx_paused = true;
	in->bp_on = p;
	in->bp_next = p->bp_waiters;
	p->bp_waiters = in;
	in->c.pauses++;
	rx_events(in, false);
	if (!p->bp_timer.armed) {
		p->bp_tx_mark = p->c.tx;
		loop_timer_arm(port_loop(p), &p->bp_timer,
			       loop_now(port_loop(p)) + p->sw->pause_max_ns,
			       bp_timer_fn);
	}
}

/* @p drained some of its backlog. */
static void
bp_drained(struct port *p)
{
	if (p->bl_len > p->bl_cap / 4)
		return;
	p->bp_stuck = false;
	if (p->bp_waiters)
		bp_release_all(p);
}

/* @p goes down or away: nobody waits for it, it waits for nobody. */
static void
bp_forget(struct port *p)
{
	bp_release_all(p);
	p->bp_stuck = false;
	bp_release(p, false);
}

/**
 * port_set_down() - stop forwarding: leave the bridge, forget the port's
 * MACs, drop its backlog (counted peer-gone)
 * @p:   the port
 * @why: for the log, or NULL for none
 */
void
port_set_down(struct port *p, const char *why)
{
	if (p->state != PORT_STATE_UP)
		return;
	bridge_port_del(&p->sw->br, p);
	unstage(p);
	drop_backlog(p);
	bp_forget(p);
	want_write(p, false);
	p->state = PORT_STATE_DOWN;
	if (why)
		log_info("port %s: down: %s", p->id, why);
}

static void
free_deferred(struct loop_defer *d)
{
	port_free(container_of(d, struct port, free_defer));
}

static void
fold_counters(struct port_counters *into, const struct port_counters *c)
{
	into->rx += c->rx;
	into->rx_bytes += c->rx_bytes;
	into->rx_fwd += c->rx_fwd;
	into->tx += c->tx;
	into->tx_bytes += c->tx_bytes;
	into->tx_offered += c->tx_offered;
	into->rx_ignored += c->rx_ignored;
	into->pauses += c->pauses;
	for (int i = 0; i < PORT_DROP_MAX; i++)
		into->drops[i] += c->drops[i];
	for (int i = 0; i < PORT_ERR_MAX; i++)
		into->errors[i] += c->errors[i];
}

/**
 * port_destroy() - take @p down, close it, keep its counters in the
 * switch totals and free it after this loop iteration; children first
 * @p:   the port; NULL and already destroyed ports are ignored
 * @why: for the log, or NULL
 */
void
port_destroy(struct port *p, const char *why)
{
	struct sw *sw;

	if (!p || p->destroyed)
		return;
	sw = p->sw;
	p->destroyed = true;
	for (struct port *c = sw->ports_head, *next; c; c = next) {
		next = c->next;
		if (c->parent == p)
			port_destroy(c, NULL);
	}
	port_set_down(p, NULL);
	bp_forget(p);
	loop_defer_cancel(port_loop(p), &p->bp_resume);
	if (p->ops->close)
		p->ops->close(p);
	loop_del(port_loop(p), &p->lfd);
	if (p->parent)
		p->parent->n_children--;
	fold_counters(&sw->gone, &p->c);
	registry_unlink(sw, p);
	if (why)
		log_info("port %s: removed: %s", p->id, why);
	loop_defer(&sw->loop, &p->free_defer, free_deferred);
}

/**
 * port_fail() - the peer of @p is gone or broken: let the kind decide
 * (ops->fail), or destroy the port
 * @p:   the port
 * @why: for the log
 */
void
port_fail(struct port *p, const char *why)
{
	if (p->destroyed)
		return;
	if (p->ops->fail)
		p->ops->fail(p, why);
	else
		port_destroy(p, why);
}

/**
 * port_fail_stay_up() - an ops->fail for kinds with no single peer to lose
 * (a multicast group, a tunnel): the error is logged, the port stays up
 * @p:   the port
 * @why: for the log
 */
void
port_fail_stay_up(struct port *p, const char *why)
{
	log_ratelimited(LOG_LVL_WARN, "port %s: %s", p->id, why);
}

/**
 * port_count_rx_drop() - count a frame received and dropped before it got
 * a packet buffer (no buffer, too long)
 * @p:     the ingress port
 * @cause: an ingress drop cause
 * @bytes: its length
 */
void
port_count_rx_drop(struct port *p, enum port_drop cause, uint64_t bytes)
{
	ASSERT(cause < PORT_DROP_FIRST_EGRESS);
	p->c.rx++;
	p->c.rx_bytes += bytes;
	p->c.drops[cause]++;
}

/**
 * port_rx() - receive bursts from @p and forward them
 * @p: a port whose fd is readable
 *
 * Data path.  Keeps calling rx_burst while it returns full bursts; the kind
 * bounds its reads per loop iteration.
 */
void
port_rx(struct port *p)
{
	struct pkt *pkts[PKT_BURST];

	while (!p->destroyed && !p->rx_paused) {
		int n = p->ops->rx_burst(p, pkts, PKT_BURST);

		if (n < 0) {
			port_fail(p, strerror(-n));
			return;
		}
		if (n > 0) {
			p->sw->rx_cur = p;
			bridge_input(&p->sw->br, pkts, (unsigned int)n);
			p->sw->rx_cur = NULL;
		}
		if (n < PKT_BURST && !p->rx_again)
			return;
		p->rx_again = false;
	}
}

/* Counts what tx_burst() took; NULL slots were dropped by the kind. */
static void
account_tx(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct bridge_obs *obs = p->sw->br.obs;

	if (unlikely(obs) && n)	/* capture: what the peer got */
		obs->tx(obs, p, pkts, n);
	for (unsigned int i = 0; i < n; i++) {
		if (unlikely(!pkts[i]))
			continue;
		p->c.tx++;
		p->c.tx_bytes += pkts[i]->len;
		pkt_put(pkts[i]);
	}
}


/*
 * Sends @b to @p as it is: now if it can take it, else into its backlog,
 * else dropped (backlog-full).  The batch's references are consumed and
 * it is emptied.
 */
/*
 * Sending to @p failed with @err.  A peer that closed its socket (EPIPE)
 * may have left frames in it: while the port can still be read, it only
 * stops taking frames (dropped, peer-gone) and goes when its reads end.
 */
static void
tx_failed(struct port *p, int err)
{
	if (err == -EPIPE && p->ops->rx_burst && p->lfd.fd >= 0) {
		p->tx_dead = true;
		return;
	}
	port_fail(p, strerror(-err));
}

static void
xmit_plain(struct port *p, struct pkt_batch *b)
{
	unsigned int n = b->n, sent = 0;

	p->c.tx_offered += n;
	b->n = 0;
	if (unlikely(p->tx_dead)) {
		p->c.drops[PORT_DROP_PEER_GONE] += n;
		for (unsigned int i = 0; i < n; i++)
			pkt_put(b->pkts[i]);
		return;
	}
	if (p->bl_len == 0) {
		int r = p->ops->tx_burst(p, b->pkts, n);

		if (r < 0) {
			p->c.drops[PORT_DROP_PEER_GONE] += n;
			for (unsigned int i = 0; i < n; i++)
				pkt_put(b->pkts[i]);
			tx_failed(p, r);
			return;
		}
		sent = (unsigned int)r;
		account_tx(p, b->pkts, sent);
	}
	if (sent == n)
		return;
	for (unsigned int i = sent; i < n; i++) {
		if (p->bl_len == p->bl_cap) {
			p->c.drops[PORT_DROP_BACKLOG_FULL]++;
			if (unlikely(p->sw->br.obs))
				p->sw->br.obs->drop(p->sw->br.obs, p,
						    b->pkts[i],
						    PORT_DROP_BACKLOG_FULL);
			pkt_put(b->pkts[i]);
			continue;
		}
		p->backlog[(p->bl_head + p->bl_len) % p->bl_cap] = b->pkts[i];
		p->bl_len++;
	}
	want_write(p, true);
	if (p->bl_len > p->bl_cap / 2)
		bp_pause(p);
}

/* Appends @pkt to @out, sending @out first when it is full. */
static void
soft_append(struct port *p, struct pkt_batch *out, struct pkt *pkt)
{
	if (out->n == PKT_BURST)
		xmit_plain(p, out);
	out->pkts[out->n++] = pkt;
}

/*
 * Cuts super-frame @pkt into segments from the pool, appended to @out;
 * consumes @pkt's reference.  Segments are complete frames with no
 * offload state; @pkt's VLAN and ingress port stay with them.
 */
static void
soft_segment(struct port *p, struct pkt_batch *out, struct pkt *pkt)
{
	struct gso_iter it;
	const char *why;
	int n = gso_start(&it, pkt->data, pkt->len, &pkt->off, &why);

	if (n < 0) {
		p->c.tx_offered++;
		p->c.drops[PORT_DROP_BAD_OFFLOAD]++;
		pkt_put(pkt);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct pkt *seg;
		uint32_t len;

		if (!pkt_alloc_burst(&p->sw->pool, &seg, 1)) {
			p->c.tx_offered += (uint64_t)(n - i);
			p->c.drops[PORT_DROP_SEG_NO_BUFFER] += (uint64_t)(n - i);
			break;
		}
		len = gso_next(&it, seg->data, p->sw->frame_max);
		if (!len) {	/* gso_start() promised more: a bug */
			pkt_put(seg);
			p->c.tx_offered += (uint64_t)(n - i);
			p->c.drops[PORT_DROP_BAD_OFFLOAD] += (uint64_t)(n - i);
			break;
		}
		seg->len = len;
		seg->vlan = pkt->vlan;
		seg->in = pkt->in;
		soft_append(p, out, seg);
	}
	pkt_put(pkt);
}

/*
 * The slow way for a batch holding frames @p cannot take as they are:
 * partial checksums are finished in place (the result is right for every
 * port sharing the frame, so it is shared too) and super-frames are cut.
 */
static void
xmit_soft(struct port *p, struct pkt_batch *b)
{
	struct pkt_batch out;
	unsigned int n = b->n;
	const char *why;

	out.n = 0;
	b->n = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct pkt *pkt = b->pkts[i];

		if (!pkt_has_off(pkt) ||
		    vnet_off_accepts(p->offloads, &pkt->off, pkt->data,
				     pkt->len)) {
			soft_append(p, &out, pkt);
		} else if (pkt->off.gso_type) {
			soft_segment(p, &out, pkt);
		} else if (csum_finish(pkt->data, pkt->len, &pkt->off,
				       &why) == 0) {
			soft_append(p, &out, pkt);
		} else {
			p->c.tx_offered++;
			p->c.drops[PORT_DROP_BAD_OFFLOAD]++;
			pkt_put(pkt);
		}
	}
	if (out.n)
		xmit_plain(p, &out);
}

/**
 * port_xmit() - send a batch to @p: now if it can take it, else into its
 * backlog, else dropped (backlog-full)
 * @p: the destination
 * @b: the frames; the batch's references are consumed and it is emptied
 *
 * Frames with offload work @p does not take (see port.h) are finished or
 * segmented first.  Data path.
 */
void
port_xmit(struct port *p, struct pkt_batch *b)
{
	if (p->offloads != VNET_OFF_ALL)
		for (unsigned int i = 0; i < b->n; i++)
			if (unlikely(pkt_has_off(b->pkts[i]))) {
				xmit_soft(p, b);
				return;
			}
	xmit_plain(p, b);
}

/**
 * port_tx_ready() - @p's fd is writable: drain the backlog in order
 * @p: the port
 */
void
port_tx_ready(struct port *p)
{
	struct pkt *chunk[PKT_BURST];

	while (p->bl_len) {
		unsigned int n = MIN(p->bl_len, PKT_BURST);
		int r;

		for (unsigned int i = 0; i < n; i++)
			chunk[i] = p->backlog[(p->bl_head + i) % p->bl_cap];
		r = p->ops->tx_burst(p, chunk, n);
		if (r < 0) {
			/* A kind that survives its peer must not spin here. */
			drop_backlog(p);
			want_write(p, false);
			tx_failed(p, r);
			return;
		}
		account_tx(p, chunk, (unsigned int)r);
		p->bl_head = (p->bl_head + (unsigned int)r) % p->bl_cap;
		p->bl_len -= (unsigned int)r;
		if (r > 0)
			bp_drained(p);
		if ((unsigned int)r < n)
			return;
	}
	p->bl_head = 0;
	want_write(p, false);
}

/**
 * port_on_event() - the loop handler for a port's main fd: writable drains
 * the backlog, readable (or hung up) receives
 * @lfd:    &port->lfd
 * @events: epoll events
 */
void
port_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct port *p = container_of(lfd, struct port, lfd);

	if (events & EPOLLOUT)
		port_tx_ready(p);
	if (p->destroyed)
		return;
	if (p->ops->rx_burst && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		/*
		 * Hung up while paused: epoll would report it without end,
		 * so it leaves epoll until released; the frames it left wait
		 * in its socket like any paused sender's.
		 */
		if (p->rx_paused && (events & (EPOLLHUP | EPOLLERR)) &&
		    loop_park(port_loop(p), &p->lfd) < 0)
			bp_release(p, false);
		port_rx(p);	/* returns at once while paused */
		return;
	}
	if (events & (EPOLLHUP | EPOLLERR))
		port_fail(p, "peer hung up");
}

/**
 * port_totals() - the switch-wide counters: live ports plus those gone
 * @sw:  the switch
 * @out: the sums
 */
void
port_totals(const struct sw *sw, struct port_counters *out)
{
	*out = sw->gone;
	for (const struct port *p = sw->ports_head; p; p = p->next)
		fold_counters(out, &p->c);
}

/**
 * port_counters_reset() - zero @p's counters, keeping the conservation
 * equations true: frames still in the backlog count as offered
 * @p: the port
 */
void
port_counters_reset(struct port *p)
{
	memset(&p->c, 0, sizeof(p->c));
	p->c.tx_offered = p->bl_len;
}

/**
 * sw_init() - set up a switch with no ports: loop, packet pool, bridge
 * @sw:  the switch, zeroed here
 * @c:   the figures, from the command line (pool, frame_max, fdb_size,
 *       ageing, backlog, max_macs); kept for "save", so it must outlive
 *       the switch
 * @err: reason on failure
 *
 * Control path.  On failure, sw_fini() undoes what was set up.
 *
 * Return: 0 or -errno.
 */
int
sw_init(struct sw *sw, const struct cmdline *c, char *err)
{
	int ret;

	memset(sw, 0, sizeof(*sw));
	sw->loop.epfd = -1;
	sw->opts = c;
	sw->backlog_default = c->backlog;
	sw->max_macs_default = c->max_macs;
	sw->frame_max = c->frame_max;
	sw->pause_max_ns = (uint64_t)c->pause_max * NS_PER_MS;
	if ((ret = loop_init(&sw->loop, err)))
		return ret;
	sw->loop.poll_ns = (uint64_t)c->poll_us * 1000;
	if ((ret = pkt_pool_init(&sw->pool, c->pool, c->frame_max, err)))
		return ret;
	return bridge_init(&sw->br, &sw->loop, &sw->pool, c->fdb_size,
			   c->ageing, err);
}

/**
 * sw_fini() - destroy every port, then the bridge, pool and loop
 * @sw: a switch sw_init() was called on, whether it succeeded or not
 */
void
sw_fini(struct sw *sw)
{
	while (sw->ports_head)
		port_destroy(sw->ports_head, NULL);
	loop_run_once(&sw->loop, 0);	/* run the deferred frees */
	bridge_fini(&sw->br);
	pkt_pool_fini(&sw->pool);
	loop_fini(&sw->loop);
}
