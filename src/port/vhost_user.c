/* SPDX-License-Identifier: MIT */
/*
 * vhost_user.c - the "vhost-user" port kind: a virtio-net device whose
 * queues live in the front-end's memory (QEMU's -netdev vhost-user, DPDK's
 * virtio-user), protocols.md §3.
 *
 * Theory of operation
 *
 * Roles.  server=on (default): lanyard listens on path= and one front-end
 * at a time connects (QEMU: -chardev socket,path=...,reconnect=1); a
 * second one is refused (errors.peer-limit).  server=off: lanyard dials a
 * front-end that listens (QEMU: -chardev socket,...,server=on,wait=off),
 * and dials again with backoff whenever the connection is gone.  Either
 * way the port keeps its id; it is up while at least one ring runs and
 * down otherwise, so a guest reboot or a QEMU restart is a down/up.
 *
 * Control path.  Messages (proto/vhost_msg.c parses them) arrive on the
 * unix socket with their fds; they are read into a buffer and handled
 * one by one, each taking the fds the protocol gives it in order of
 * arrival.  A message that breaks the protocol (bad size, index out of
 * range, rings outside the memory table, a missing fd) ends the
 * connection, counted in errors.bad-msg: the front-end loses its port's
 * connection, never the switch.  Memory regions are mapped MAP_SHARED,
 * their length rounded up to the fd's block size (huge pages), and
 * unmapped when a new table arrives, at RESET_DEVICE and at disconnect;
 * rings are re-translated after every new table.
 *
 * A ring runs once it has a size, addresses inside the memory table, a
 * kick fd and, with PROTOCOL_FEATURES, SET_VRING_ENABLE(1); it stops at
 * GET_VRING_BASE, whose reply is the next avail index.  The call fd may
 * be replaced at any time; the latest one is signalled.
 *
 * Data path.  Ring 2k receives (lanyard writes to the guest), ring 2k+1
 * transmits (the guest writes to lanyard).  The transmit rings' kick fds
 * sit in an epoll set of the port's own (p->lfd), so port.c's pausing,
 * which turns p->lfd's EPOLLIN off, keeps the guest's frames in its ring
 * and the guest waits: nothing is lost to a slow receiver.  A burst takes
 * up to PKT_BURST chains from the rings round-robin, copies each frame
 * into a packet buffer (proto/virtq.c checks every address), gives the
 * chains back and signals the call fd once per ring per burst, if the
 * guest asks (NO_INTERRUPT, EVENT_IDX).  While there is work, kicks are
 * turned off in the ring (NO_NOTIFY or avail_event), so a busy guest does
 * not kick per frame; when the rings run dry they are turned on again and
 * the rings looked at once more.  Kick fds are read only then, when the
 * port goes idle, never per frame.  While the port is busy (frames left
 * when an iteration's read budget ran out, or poll_us) an eventfd of its
 * own in the same set holds a count, so the set stays readable and the
 * loop reads the port in every iteration at no cost but its epoll_wait.
 *
 * Towards the guest, frames go into the receive ring chosen by a hash of
 * their MACs (one flow, one ring); with MRG_RXBUF a frame may span
 * several buffers.  When the guest has no buffers, the rest waits in the
 * port's backlog and the receive rings' kicks are turned on (ops->tx_wait):
 * the kick that says "buffers again" drains the backlog.
 *
 * poll_us=N keeps the guest's kicks off for N µs after the last frame and
 * looks at the rings every loop iteration instead: lower latency for a
 * busy guest at the price of a CPU; 0 (default) costs nothing when idle.
 *
 * Offloads: the virtio_net_hdr of each frame is checked against the frame
 * and against what was negotiated (a GSO type needs its HOST_ feature);
 * super-frames and partial checksums travel in pkt->off, and p->offloads
 * says what the guest takes (GUEST_CSUM, GUEST_TSO4, ...).  offload=off
 * offers none of these.
 */
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "port/addr.h"
#include "port/memguard.h"
#include "proto/eth.h"
#include "proto/vhost_msg.h"
#include "proto/virtq.h"
#include "proto/vnet.h"

#define VU_QP_MAX 8		/* queue pairs */
#define VU_VRINGS_MAX (2 * VU_QP_MAX)
#define VU_READS_PER_ITER 8	/* rx_burst calls per loop iteration */
#define VU_BACKOFF_MIN_MS 100
#define VU_BACKOFF_MAX_MS 2000
#define VU_MSG_BUF (VHOST_MSG_HDR_LEN + VHOST_MSG_PAYLOAD_MAX)
#define VU_FDS_MAX (2 * VHOST_MSG_FDS_MAX)
#define VU_POLL_US_MAX 1000000

#define BIT(n) (1ULL << (n))

/* What we offer without offloads, and the offloads on top. */
#define VU_FEATURES_BASE                                                       \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VHOST_USER_F_PROTOCOL_FEATURES) |       \
	 BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_RING_F_EVENT_IDX) |          \
	 BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_NET_F_MQ))
#define VU_FEATURES_OFFLOAD                                                    \
	(BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |               \
	 BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |           \
	 BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO) |             \
	 BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |         \
	 BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO))
#define VU_PROTOCOL_FEATURES                                                   \
	(BIT(VHOST_USER_PROTOCOL_F_MQ) | BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |\
	 BIT(VHOST_USER_PROTOCOL_F_RESET_DEVICE))

struct vu_vring {
	struct vq q;
	struct port *port;
	struct loop_fd kick_lfd;	/* receive rings: in the main loop */
	int kick_fd, call_fd;
	uint64_t desc, avail, used;	/* front-end addresses */
	bool num_set, addr_set, enabled;
	bool running;
	uint64_t calls;			/* interrupts sent */
};

struct vu {
	struct port *port;
	struct addr addr;
	bool server, unlink_path, offload;
	struct loop_fd listen_lfd;
	struct loop_fd conn_lfd;	/* the front-end's socket */
	struct loop_timer redial;
	uint32_t backoff_ms;
	bool dial_logged;
	uint32_t qp_max;		/* queues= */
	uint64_t poll_ns;		/* poll_us= */
	uint64_t last_work;		/* loop time a frame was last taken */
	/* negotiated */
	uint64_t features, protocol_features;
	size_t hdr_len;
	struct vq_mem mem;
	volatile sig_atomic_t mem_fault;	/* the front-end truncated its
						 * memory under us (memguard) */
	void *maps[VQ_REGIONS_MAX];
	size_t map_lens[VQ_REGIONS_MAX];
	struct vu_vring vr[VU_VRINGS_MAX];
	unsigned int n_running_rx;
	uint8_t running_rx[VU_QP_MAX];	/* indexes of running rx rings */
	unsigned int rx_next;		/* tx ring read first next time */
	/* the port's epoll set of transmit kicks, and its own kick */
	int self_fd;
	bool self_armed;		/* self_fd holds a count: p->lfd stays
					 * readable, the port is read every
					 * loop iteration */
	struct loop_defer tx_defer;	/* buffers appeared: drain backlog */
	/* message reassembly */
	uint8_t msg[VU_MSG_BUF];
	size_t msg_len;
	int fds[VU_FDS_MAX];
	unsigned int n_fds;
	uint64_t n_msgs;
};

const struct port_ops vhost_user_ops;

static const struct addr_keys vu_keys = {
	.path = "path",
};

static struct vu *
vu_of(const struct port *p)
{
	return port_priv(p);
}

static bool
has(const struct vu *v, unsigned int bit)
{
	return v->features & BIT(bit);
}

/* --- notifications --------------------------------------------------------- */

static void
eventfd_kick(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_ratelimited(LOG_LVL_WARN, "vhost-user: eventfd write: %s",
				strerror(errno));
}

static void
eventfd_drain(int fd)
{
	uint64_t v;

	if (fd >= 0 && read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_ratelimited(LOG_LVL_WARN, "vhost-user: eventfd read: %s",
				strerror(errno));
}

/* Publishes what was given back on @r and interrupts the guest if asked. */
static void
ring_done(struct vu_vring *r)
{
	vq_publish(&r->q);
	if (vq_need_call(&r->q) && r->call_fd >= 0) {
		eventfd_kick(r->call_fd);
		r->calls++;
	}
}

/* --- the data path --------------------------------------------------------- */

/*
 * Whether a header's offload request was negotiated: a guest may only
 * send partial checksums with CSUM and super-frames with HOST_ features.
 */
static bool
off_negotiated(const struct vu *v, const struct pkt_off *o)
{
	unsigned int bit;

	if ((o->flags & VNET_HDR_F_NEEDS_CSUM) && !has(v, VIRTIO_NET_F_CSUM))
		return false;
	switch (o->gso_type & (uint8_t)~VNET_GSO_ECN) {
	case VNET_GSO_NONE:
		return true;
	case VNET_GSO_TCPV4:
		bit = VIRTIO_NET_F_HOST_TSO4;
		break;
	case VNET_GSO_TCPV6:
		bit = VIRTIO_NET_F_HOST_TSO6;
		break;
	case VNET_GSO_UDP:
		bit = VIRTIO_NET_F_HOST_UFO;
		break;
	default:
		return false;
	}
	if ((o->gso_type & VNET_GSO_ECN) && !has(v, VIRTIO_NET_F_HOST_ECN))
		return false;
	return has(v, bit);
}

/*
 * Busy: the port's own eventfd holds a count, so its epoll set (p->lfd)
 * stays readable and the loop reads the port in every iteration without
 * a system call per iteration.  Idle: the count is gone.
 */
static void
self_arm(struct vu *v)
{
	if (!v->self_armed)
		eventfd_kick(v->self_fd);
	v->self_armed = true;
}

static void
self_disarm(struct vu *v)
{
	if (v->self_armed)
		eventfd_drain(v->self_fd);
	v->self_armed = false;
}

/*
 * The transmit rings ran dry (or the port polls them): kicks are read and
 * turned on again, and the rings looked at once more, so the port goes
 * idle only when nothing can be missed; otherwise it stays busy.
 */
static void
rx_idle(struct vu *v, bool poll)
{
	bool more = false;

	if (poll) {
		self_arm(v);
		return;
	}
	for (unsigned int i = 1; i < VU_VRINGS_MAX; i += 2) {
		if (!v->vr[i].running)
			continue;
		eventfd_drain(v->vr[i].kick_fd);
		if (vq_notify_enable(&v->vr[i].q))
			more = true;
	}
	if (more)
		self_arm(v);
	else
		self_disarm(v);
}

/*
 * Takes frames from transmit ring @r into @pkts.  Returns frames taken or
 * -EPROTO when the ring is broken.
 */
static int
ring_take(struct port *p, struct vu *v, struct vu_vring *r,
	  struct pkt **pkts, unsigned int max)
{
	unsigned int n = 0, chains = 0;
	uint8_t hdr[VNET_HDR_MRG_LEN];
	int ret = 0;

	if (!r->q.notify_off)
		vq_notify_disable(&r->q);
	while (n < max) {
		struct pkt *pkt = pkts[n];
		const char *why;
		uint32_t len = 0;
		int t;

		t = vq_tx_frame(&r->q, &v->mem, hdr, v->hdr_len, pkt->data,
				p->sw->frame_max, &len);
		if (t == 0)
			break;
		if (t == -VQ_E_BROKEN) {
			log_ratelimited(LOG_LVL_WARN, "port %s: vhost-user: "
					"ring %u: %s", p->id,
					(unsigned int)(r - v->vr),
					vq_err_name(t));
			ret = -EPROTO;
			break;
		}
		chains++;
		if (t == -VQ_E_BIG) {
			port_count_rx_drop(p, PORT_DROP_OVERSIZE, len);
			continue;
		}
		if (t < 0) {
			p->c.errors[PORT_ERR_BAD_DESC]++;
			log_ratelimited(LOG_LVL_WARN, "port %s: vhost-user: "
					"ring %u: bad descriptor chain: %s",
					p->id, (unsigned int)(r - v->vr),
					vq_err_name(t));
			continue;
		}
		pkt->len = len;
		if (vnet_hdr_parse(hdr, len, &pkt->off, &why) < 0 ||
		    !off_negotiated(v, &pkt->off)) {
			memset(&pkt->off, 0, sizeof(pkt->off));
			port_count_rx_drop(p, PORT_DROP_BAD_VNET, len);
			continue;
		}
		pkt->in = p;
		n++;
	}
	if (chains)
		ring_done(r);
	return ret < 0 && n == 0 ? ret : (int)n;
}

static int
vu_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct vu *v = vu_of(p);
	unsigned int n = 0, got, tried = 0;
	bool broken = false;

	if (!port_rx_budget(p, VU_READS_PER_ITER)) {
		self_arm(v);	/* the rest in the next iteration */
		return 0;
	}
	got = pkt_alloc_burst(&p->sw->pool, pkts, max);
	if (!got) {
		/* The frames wait in the guest's ring for buffers. */
		self_arm(v);
		return 0;
	}
	while (n < got && tried < VU_QP_MAX) {
		struct vu_vring *r = &v->vr[2 * v->rx_next + 1];
		int t;

		v->rx_next = (v->rx_next + 1) % VU_QP_MAX;
		tried++;
		if (!r->running)
			continue;
		t = ring_take(p, v, r, &pkts[n], got - n);
		if (t < 0) {
			broken = true;
			break;
		}
		n += (unsigned int)t;
	}
	if (v->mem_fault) {
		/* What was copied may be zeros: none of it goes on. */
		broken = true;
		n = 0;
	}
	/* Give back the buffers not used, at the end of the stack. */
	for (unsigned int i = n; i < got; i++)
		pkt_put(pkts[i]);
	if (broken) {
		if (n) {
			p->rx_again = true;
			return (int)n;
		}
		p->c.errors[PORT_ERR_BAD_DESC]++;
		return -EPROTO;
	}
	if (n)
		v->last_work = loop_now(port_loop(p));
	if (n < max)
		rx_idle(v, v->poll_ns && loop_now(port_loop(p)) -
						v->last_work < v->poll_ns);
	return (int)n;
}

/* The receive ring for a frame: a hash of its MACs, so a flow keeps order. */
static struct vu_vring *
rx_ring(struct vu *v, const struct pkt *pkt)
{
	if (v->n_running_rx == 1 || pkt->len < ETH_HDR_LEN)
		return &v->vr[v->running_rx[0]];
	return &v->vr[v->running_rx[eth_flow_pick(pkt->data,
						  v->n_running_rx)]];
}

static int
vu_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct vu *v = vu_of(p);
	bool mrg = has(v, VIRTIO_NET_F_MRG_RXBUF);
	uint16_t touched = 0;
	unsigned int i;
	int ret = 0;

	if (!v->n_running_rx) {
		/* Only its transmit rings run: the guest takes nothing. */
		for (i = 0; i < n; i++) {
			pkt_put(pkts[i]);
			pkts[i] = NULL;
		}
		p->c.drops[PORT_DROP_LINK_DOWN] += n;
		return (int)n;
	}
	for (i = 0; i < n; i++) {
		struct pkt *pkt = pkts[i];
		struct vu_vring *r = rx_ring(v, pkt);
		uint8_t hdr[VNET_HDR_MRG_LEN];
		unsigned int bad = 0;
		int t;

		vnet_hdr_write(hdr, v->hdr_len, &pkt->off);
		t = vq_rx_frame(&r->q, &v->mem, hdr, v->hdr_len, pkt->data,
				pkt->len, mrg, &bad);
		if (bad) {
			p->c.errors[PORT_ERR_BAD_DESC] += bad;
			log_ratelimited(LOG_LVL_WARN, "port %s: vhost-user: "
					"ring %u: %u bad receive chains",
					p->id, (unsigned int)(r - v->vr), bad);
		}
		if (bad || t == 1)
			touched |= (uint16_t)(1u << (r - v->vr));
		if (t == 1)
			continue;
		if (t == 0)
			break;
		if (t == -VQ_E_BIG) {
			/* no buffer of the guest's can hold it */
			p->c.drops[PORT_DROP_TOO_BIG]++;
			pkt_put(pkt);
			pkts[i] = NULL;
			continue;
		}
		ret = -EPROTO;
		break;
	}
	for (unsigned int k = 0; k < VU_VRINGS_MAX; k += 2)
		if (touched & (1u << k))
			ring_done(&v->vr[k]);
	if (v->mem_fault) {
		i = 0;	/* nothing reached the guest for sure */
		ret = -EFAULT;
	}
	if (ret < 0 && i == 0) {
		p->c.errors[PORT_ERR_BAD_DESC]++;
		return ret;
	}
	return (int)i;
}

static void
tx_defer_fn(struct loop_defer *d)
{
	struct vu *v = container_of(d, struct vu, tx_defer);

	if (!v->port->destroyed && v->port->bl_len)
		port_tx_ready(v->port);
}

/* A backlog appeared (@on) or is gone: turn the receive kicks on or off. */
static void
vu_tx_wait(struct port *p, bool on)
{
	struct vu *v = vu_of(p);
	bool room = false;

	for (unsigned int i = 0; i < v->n_running_rx; i++) {
		struct vq *q = &v->vr[v->running_rx[i]].q;

		if (!on)
			vq_notify_disable(q);
		else if (vq_notify_enable(q))
			room = true;
	}
	if (room)
		loop_defer(port_loop(p), &v->tx_defer, tx_defer_fn);
}

/* A receive ring's kick: the guest added buffers. */
static void
rx_kick_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct vu_vring *r = container_of(lfd, struct vu_vring, kick_lfd);
	struct port *p = r->port;

	(void)events;
	eventfd_drain(lfd->fd);
	if (p->bl_len)
		port_tx_ready(p);
}

/* --- rings ------------------------------------------------------------- */

static void update_state(struct port *p, struct vu *v);

static int
ring_map(struct vu *v, struct vu_vring *r)
{
	return vq_map(&r->q, &v->mem, r->q.num, r->desc, r->avail, r->used);
}

static void
kick_close(struct port *p, struct vu *v, struct vu_vring *r)
{
	unsigned int idx = (unsigned int)(r - v->vr);

	if (r->kick_fd < 0)
		return;
	if (idx & 1)
		epoll_ctl(p->lfd.fd, EPOLL_CTL_DEL, r->kick_fd, NULL);
	else
		loop_del(port_loop(p), &r->kick_lfd);
	close(r->kick_fd);
	r->kick_fd = -1;
}

/* Starts or stops @r as its settings now say; updates the port's state. */
static void
ring_update(struct port *p, struct vu *v, struct vu_vring *r)
{
	unsigned int idx = (unsigned int)(r - v->vr);
	bool enabled = r->enabled ||
		       !has(v, VHOST_USER_F_PROTOCOL_FEATURES);
	bool run = r->num_set && r->addr_set && r->q.desc && enabled &&
		   r->kick_fd >= 0 && idx < 2 * v->qp_max;

	if (run == r->running)
		return;
	r->running = run;
	if (run) {
		r->q.event_idx = has(v, VIRTIO_RING_F_EVENT_IDX);
		r->q.indirect = has(v, VIRTIO_RING_F_INDIRECT_DESC);
		r->q.signalled_valid = false;
		if (idx & 1) {
			/* kicks on; and whatever is already there is read */
			vq_notify_enable(&r->q);
			self_arm(v);
		} else {
			vq_notify_disable(&r->q);
		}
	}
	update_state(p, v);
}

static void
update_state(struct port *p, struct vu *v)
{
	bool any = false;

	v->n_running_rx = 0;
	for (unsigned int i = 0; i < VU_VRINGS_MAX; i++) {
		if (!v->vr[i].running)
			continue;
		any = true;
		if (!(i & 1))
			v->running_rx[v->n_running_rx++] = (uint8_t)i;
	}
	if (any && p->state != PORT_STATE_UP) {
		port_set_up(p);
		log_info("port %s: vhost-user: running, features 0x%llx",
			 p->id, (unsigned long long)v->features);
	} else if (!any && p->state == PORT_STATE_UP) {
		port_set_down(p, "vhost-user: rings stopped");
	}
}

static void
ring_reset(struct port *p, struct vu *v, struct vu_vring *r)
{
	kick_close(p, v, r);
	if (r->call_fd >= 0)
		close(r->call_fd);
	memset(&r->q, 0, sizeof(r->q));
	r->call_fd = -1;
	r->num_set = r->addr_set = false;
	r->enabled = false;	/* with PROTOCOL_FEATURES: until enabled */
	r->running = false;
	r->calls = 0;
}

static void
mem_unmap(struct vu *v)
{
	for (unsigned int i = 0; i < v->mem.n; i++) {
		memguard_del(v->maps[i]);
		munmap(v->maps[i], v->map_lens[i]);
	}
	memset(&v->mem, 0, sizeof(v->mem));
	v->mem_fault = 0;
}

static void
fds_close(struct vu *v)
{
	for (unsigned int i = 0; i < v->n_fds; i++)
		close(v->fds[i]);
	v->n_fds = 0;
}

/*
 * Everything the front-end set up goes; the connection stays.  The
 * protocol features belong to the connection: RESET_DEVICE keeps them
 * (QEMU does not negotiate them again), a new connection does not.
 */
static void
device_reset(struct port *p, struct vu *v, bool keep_protocol)
{
	v->features = 0;
	if (!keep_protocol)
		v->protocol_features = 0;
	v->hdr_len = VNET_HDR_MRG_LEN;
	for (unsigned int i = 0; i < VU_VRINGS_MAX; i++)
		ring_reset(p, v, &v->vr[i]);
	mem_unmap(v);
	p->offloads = 0;
	update_state(p, v);
}

/* --- messages ------------------------------------------------------------ */

static int
send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;	/* replies are tiny: a full socket is
					 * a front-end that does not read */
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
reply_u64(struct vu *v, uint32_t req, uint64_t val)
{
	uint8_t buf[VHOST_MSG_HDR_LEN + 8];

	return send_all(v->conn_lfd.fd, buf,
			vhost_msg_reply_u64(buf, req, val));
}

/* Validates and maps a memory table; the old one goes once it is in. */
static int
set_mem_table(struct port *p, struct vu *v, const struct vhost_msg *m,
	      const int *fds, char *err)
{
	struct vq_mem mem = { 0 };
	void *maps[VQ_REGIONS_MAX];
	size_t lens[VQ_REGIONS_MAX];
	unsigned int i;
	int ret;

	for (i = 0; i < m->u.mem.n; i++) {
		const struct vhost_mem_region *r = &m->u.mem.r[i];
		struct stat st;
		uint64_t len, blk;
		void *a;

		if (r->size == 0 || r->gpa + r->size < r->gpa ||
		    r->uva + r->size < r->uva ||
		    r->mmap_offset + r->size < r->mmap_offset) {
			ret = ERR_SET(err, -EINVAL, "region %u: bad bounds",
				      i);
			goto err_unmap;
		}
		if (fstat(fds[i], &st) == -1) {
			ret = ERR_SET(err, -errno, "region %u: fstat: %s", i,
				      strerror(errno));
			goto err_unmap;
		}
		/* Past the end of the file, a read would be SIGBUS. */
		if (S_ISREG(st.st_mode) &&
		    r->mmap_offset + r->size > (uint64_t)st.st_size) {
			ret = ERR_SET(err, -EINVAL, "region %u: %llu bytes "
				      "past offset %llu, but the file has "
				      "%lld", i, (unsigned long long)r->size,
				      (unsigned long long)r->mmap_offset,
				      (long long)st.st_size);
			goto err_unmap;
		}
		blk = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
		len = r->mmap_offset + r->size;
		len = (len + blk - 1) / blk * blk;
		a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fds[i], 0);
		if (a == MAP_FAILED) {
			ret = ERR_SET(err, -errno, "region %u: mmap of %llu "
				      "bytes: %s (is the guest's memory "
				      "shared? memory-backend-memfd or "
				      "-file with share=on)", i,
				      (unsigned long long)len,
				      strerror(errno));
			goto err_unmap;
		}
		ret = memguard_add(a, len, &v->mem_fault);
		if (ret) {
			munmap(a, len);
			ERR_SET(err, ret, "region %u: no room to guard it: %s",
				i, strerror(-ret));
			goto err_unmap;
		}
		maps[i] = a;
		lens[i] = len;
		mem.r[i].gpa = r->gpa;
		mem.r[i].size = r->size;
		mem.r[i].uva = r->uva;
		mem.r[i].hva = (uint8_t *)a + r->mmap_offset;
		mem.n = i + 1;
	}
	mem_unmap(v);
	v->mem = mem;
	memcpy(v->maps, maps, sizeof(maps[0]) * mem.n);
	memcpy(v->map_lens, lens, sizeof(lens[0]) * mem.n);
	/* Rings move with the table; one that falls outside it stops. */
	for (i = 0; i < VU_VRINGS_MAX; i++) {
		struct vu_vring *r = &v->vr[i];

		if (r->addr_set && ring_map(v, r) < 0)
			log_warn("port %s: vhost-user: ring %u outside the "
				 "new memory table", p->id, i);
		if (r->addr_set)
			ring_update(p, v, r);
	}
	return 0;

err_unmap:
	for (unsigned int k = 0; k < mem.n; k++) {
		memguard_del(maps[k]);
		munmap(maps[k], lens[k]);
	}
	return ret;
}

static int
vring_index(const struct vu *v, uint32_t idx, char *err)
{
	if (idx >= 2 * v->qp_max)
		return ERR_SET(err, -EINVAL, "vring %u beyond %u queue pairs",
			       idx, v->qp_max);
	return (int)idx;
}

static int
set_kick(struct port *p, struct vu *v, struct vu_vring *r, int fd,
	 char *err)
{
	unsigned int idx = (unsigned int)(r - v->vr);

	kick_close(p, v, r);
	if (idx & 1) {
		struct epoll_event ev = { .events = EPOLLIN };

		if (epoll_ctl(p->lfd.fd, EPOLL_CTL_ADD, fd, &ev) == -1)
			return ERR_SET(err, -errno, "epoll: %s",
				       strerror(errno));
	} else {
		int ret = loop_add(port_loop(p), &r->kick_lfd, fd, EPOLLIN,
				   rx_kick_on_event);

		if (ret)
			return ERR_SET(err, ret, "epoll: %s", strerror(-ret));
	}
	r->kick_fd = fd;
	ring_update(p, v, r);
	return 0;
}

/* Sets the features the front-end acked; 0 or -EINVAL. */
static int
set_features(struct port *p, struct vu *v, uint64_t f, char *err)
{
	uint64_t offer = VU_FEATURES_BASE |
			 (v->offload ? VU_FEATURES_OFFLOAD : 0);
	uint32_t off = 0;

	if (f & ~offer)
		return ERR_SET(err, -EINVAL, "features 0x%llx not offered",
			       (unsigned long long)(f & ~offer));
	v->features = f;
	v->hdr_len = (has(v, VIRTIO_F_VERSION_1) ||
		      has(v, VIRTIO_NET_F_MRG_RXBUF)) ? VNET_HDR_MRG_LEN
						       : VNET_HDR_LEN;
	if (has(v, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= VNET_OFF_CSUM;
		if (has(v, VIRTIO_NET_F_GUEST_TSO4))
			off |= VNET_OFF_TSO4;
		if (has(v, VIRTIO_NET_F_GUEST_TSO6))
			off |= VNET_OFF_TSO6;
		if (has(v, VIRTIO_NET_F_GUEST_ECN))
			off |= VNET_OFF_ECN;
		if (has(v, VIRTIO_NET_F_GUEST_UFO))
			off |= VNET_OFF_UFO;
	}
	p->offloads = off;
	/* PROTOCOL_FEATURES decides whether rings wait to be enabled. */
	for (unsigned int i = 0; i < VU_VRINGS_MAX; i++)
		ring_update(p, v, &v->vr[i]);
	return 0;
}

/*
 * Handles one message with its fds (which it owns).  Returns 0, or -errno
 * with @err set when the front-end broke the protocol.
 */
static int
handle(struct port *p, struct vu *v, const struct vhost_msg *m, int *fds,
       unsigned int n_fds, char *err)
{
	bool ack = (m->flags & VHOST_MSG_F_NEED_REPLY) &&
		   (v->protocol_features &
		    BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK));
	struct vu_vring *r = NULL;
	int ret = 0, idx, fd = n_fds ? fds[0] : -1;

	switch (m->req) {
	case VHOST_USER_GET_FEATURES:
		ack = false;
		ret = reply_u64(v, m->req, VU_FEATURES_BASE |
					   (v->offload ? VU_FEATURES_OFFLOAD
						       : 0));
		break;
	case VHOST_USER_SET_FEATURES:
		ret = set_features(p, v, m->u.u64, err);
		break;
	case VHOST_USER_SET_OWNER:
	case VHOST_USER_RESET_OWNER:	/* deprecated; nothing to do */
	case VHOST_USER_SEND_RARP:	/* not offered */
	case VHOST_USER_NET_SET_MTU:
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		ack = false;
		ret = reply_u64(v, m->req, VU_PROTOCOL_FEATURES);
		break;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		if (m->u.u64 & ~(uint64_t)VU_PROTOCOL_FEATURES) {
			ret = ERR_SET(err, -EINVAL, "protocol features 0x%llx "
				      "not offered",
				      (unsigned long long)m->u.u64);
			break;
		}
		v->protocol_features = m->u.u64;
		break;
	case VHOST_USER_GET_QUEUE_NUM:
		ack = false;
		ret = reply_u64(v, m->req, v->qp_max);
		break;
	case VHOST_USER_SET_MEM_TABLE:
		ret = set_mem_table(p, v, m, fds, err);
		break;
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_ENABLE:
		if ((idx = vring_index(v, m->u.state.index, err)) < 0) {
			ret = idx;
			break;
		}
		r = &v->vr[idx];
		if (m->req == VHOST_USER_SET_VRING_NUM) {
			if (m->u.state.num == 0 || m->u.state.num > VQ_NUM_MAX ||
			    (m->u.state.num & (m->u.state.num - 1))) {
				ret = ERR_SET(err, -EINVAL, "vring %d: size %u "
					      "is not a power of 2 up to %u",
					      idx, m->u.state.num, VQ_NUM_MAX);
				break;
			}
			r->q.num = (uint16_t)m->u.state.num;
			r->num_set = true;
			if (r->addr_set && ring_map(v, r) < 0)
				ret = ERR_SET(err, -EFAULT, "vring %d outside "
					      "guest memory", idx);
		} else if (m->req == VHOST_USER_SET_VRING_BASE) {
			r->q.last_avail = (uint16_t)m->u.state.num;
			r->q.used_idx = (uint16_t)m->u.state.num;
			r->q.signalled_valid = false;
		} else if (m->req == VHOST_USER_GET_VRING_BASE) {
			uint8_t buf[VHOST_MSG_HDR_LEN + 8];

			/* Stops the ring: its kick goes, its state is told. */
			kick_close(p, v, r);
			ring_update(p, v, r);
			ack = false;
			ret = send_all(v->conn_lfd.fd, buf,
				       vhost_msg_reply_state(buf, m->req,
							     (uint32_t)idx,
							     r->q.last_avail));
			break;
		} else {
			r->enabled = m->u.state.num != 0;
		}
		ring_update(p, v, r);
		break;
	case VHOST_USER_SET_VRING_ADDR:
		if ((idx = vring_index(v, m->u.addr.index, err)) < 0) {
			ret = idx;
			break;
		}
		r = &v->vr[idx];
		r->desc = m->u.addr.desc;
		r->avail = m->u.addr.avail;
		r->used = m->u.addr.used;
		r->addr_set = true;
		if (r->num_set && ring_map(v, r) < 0) {
			ret = ERR_SET(err, -EFAULT, "vring %d: rings outside "
				      "guest memory or misaligned", idx);
			break;
		}
		ring_update(p, v, r);
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		if ((idx = vring_index(v, (uint32_t)(m->u.u64 &
						      VHOST_VRING_IDX_MASK),
				       err)) < 0) {
			ret = idx;
			break;
		}
		r = &v->vr[idx];
		if (m->req == VHOST_USER_SET_VRING_ERR) {
			break;	/* closed below: we never report errors */
		} else if (m->req == VHOST_USER_SET_VRING_CALL) {
			if (r->call_fd >= 0)
				close(r->call_fd);
			r->call_fd = fd;	/* -1: the guest polls */
			fds[0] = -1;
		} else if (fd < 0) {
			ret = ERR_SET(err, -ENOTSUP, "vring %d: polling "
				      "without a kick fd is not supported",
				      idx);
		} else {
			ret = set_kick(p, v, r, fd, err);
			if (ret == 0)
				fds[0] = -1;	/* the ring keeps it */
		}
		break;
	case VHOST_USER_RESET_DEVICE:
		device_reset(p, v, true);
		break;
	case VHOST_USER_SET_LOG_BASE:
	case VHOST_USER_SET_LOG_FD:
	case VHOST_USER_SET_SLAVE_REQ_FD:
		break;	/* not offered: the fd is closed below */
	default:
		log_ratelimited(LOG_LVL_WARN, "port %s: vhost-user: request "
				"%u (%s) not supported, ignored", p->id,
				m->req, vhost_req_name(m->req));
		if (ack)
			ret = reply_u64(v, m->req, 1);
		ack = false;
		break;
	}
	for (unsigned int i = 0; i < n_fds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (ack && ret != -EIO) {
		int r2 = reply_u64(v, m->req, ret ? 1 : 0);

		if (r2)
			ret = r2;
	}
	return ret;
}

/* --- the connection -------------------------------------------------------- */

static void schedule_redial(struct port *p, struct vu *v);

static void
conn_close(struct port *p, struct vu *v, const char *why)
{
	if (v->conn_lfd.fd < 0)
		return;
	log_info("port %s: vhost-user: front-end gone: %s", p->id, why);
	device_reset(p, v, false);
	fds_close(v);
	v->msg_len = 0;
	close(v->conn_lfd.fd);
	loop_del(port_loop(p), &v->conn_lfd);
	if (!v->server)
		schedule_redial(p, v);
}

/* Reads what the socket holds; fds are queued in order of arrival. */
static int
conn_read(struct vu *v)
{
	union {
		struct cmsghdr h;
		uint8_t buf[CMSG_SPACE(sizeof(int) * VHOST_MSG_FDS_MAX)];
	} cm;
	struct iovec iov = {
		.iov_base = v->msg + v->msg_len,
		.iov_len = sizeof(v->msg) - v->msg_len,
	};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cm.buf,
		.msg_controllen = sizeof(cm.buf),
	};
	ssize_t n = recvmsg(v->conn_lfd.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	bool too_many = false;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (v->n_fds < VU_FDS_MAX) {
				v->fds[v->n_fds++] = fd;
			} else {
				close(fd);
				too_many = true;
			}
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		too_many = true;
	v->msg_len += (size_t)n;
	return too_many ? -EMSGSIZE : 1;
}

static void
conn_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct vu *v = container_of(lfd, struct vu, conn_lfd);
	struct port *p = v->port;
	char err[ERR_LEN] = "";
	int r = conn_read(v);

	(void)events;
	if (r == 0)
		return;
	if (r < 0) {
		if (r == -EMSGSIZE) {
			p->c.errors[PORT_ERR_BAD_MSG]++;
			conn_close(p, v, "too many fds with one message");
		} else {
			if (r != -ECONNRESET)
				p->c.errors[PORT_ERR_IO]++;
			conn_close(p, v, r == -ECONNRESET ? "hung up"
							  : strerror(-r));
		}
		return;
	}
	for (;;) {
		struct vhost_msg m;
		const char *why = "";
		unsigned int want;
		int used = vhost_msg_parse(v->msg, v->msg_len, &m, &why), ret;
		int fds[VHOST_MSG_FDS_MAX];

		if (used == 0) {
			if (v->msg_len == sizeof(v->msg)) {
				p->c.errors[PORT_ERR_BAD_MSG]++;
				conn_close(p, v, "message too long");
			}
			return;
		}
		if (used < 0) {
			p->c.errors[PORT_ERR_BAD_MSG]++;
			snprintf(err, sizeof(err), "bad message: %s", why);
			conn_close(p, v, err);
			return;
		}
		want = vhost_msg_fds(&m);
		if (want > v->n_fds) {
			p->c.errors[PORT_ERR_BAD_MSG]++;
			snprintf(err, sizeof(err), "%s without its fds",
				 vhost_req_name(m.req));
			conn_close(p, v, err);
			return;
		}
		memcpy(fds, v->fds, want * sizeof(int));
		memmove(v->fds, v->fds + want, (v->n_fds - want) * sizeof(int));
		v->n_fds -= want;
		memmove(v->msg, v->msg + used, v->msg_len - (size_t)used);
		v->msg_len -= (size_t)used;
		v->n_msgs++;
		log_debug("port %s: vhost-user: %s flags 0x%x size %u "
			  "u64 0x%llx fds %u", p->id, vhost_req_name(m.req),
			  m.flags, m.size, (unsigned long long)m.u.u64, want);
		ret = handle(p, v, &m, fds, want, err);
		if (p->destroyed)
			return;
		if (ret < 0) {
			char why2[ERR_LEN + 64];

			if (ret != -EIO)
				p->c.errors[PORT_ERR_BAD_MSG]++;
			snprintf(why2, sizeof(why2), "%s: %s",
				 vhost_req_name(m.req),
				 err[0] ? err : strerror(-ret));
			log_warn("port %s: vhost-user: %s", p->id, why2);
			conn_close(p, v, why2);
			return;
		}
		if (v->conn_lfd.fd < 0)
			return;
		if (v->mem_fault) {
			p->c.errors[PORT_ERR_BAD_DESC]++;
			conn_close(p, v, "guest memory truncated under us");
			return;
		}
	}
}

static int
conn_attach(struct port *p, struct vu *v, int fd, char *err)
{
	int ret = loop_add(port_loop(p), &v->conn_lfd, fd, EPOLLIN,
			   conn_on_event);

	if (ret)
		return ERR_SET(err, ret, "epoll: %s", strerror(-ret));
	v->msg_len = 0;
	v->n_fds = 0;
	device_reset(p, v, false);
	return 0;
}

static void
listen_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct vu *v = container_of(lfd, struct vu, listen_lfd);
	struct port *p = v->port;
	char err[ERR_LEN];
	int fd;

	(void)events;
	fd = accept4(lfd->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (v->conn_lfd.fd >= 0) {
		p->c.errors[PORT_ERR_PEER_LIMIT]++;
		log_ratelimited(LOG_LVL_WARN, "port %s: vhost-user: a second "
				"front-end refused (one at a time)", p->id);
		close(fd);
		return;
	}
	if (conn_attach(p, v, fd, err)) {
		log_err("port %s: %s", p->id, err);
		close(fd);
		return;
	}
	log_info("port %s: vhost-user: front-end connected", p->id);
}

static void dial(struct port *p, struct vu *v);

static void
redial_fire(struct loop_timer *t, uint64_t now)
{
	struct vu *v = container_of(t, struct vu, redial);

	(void)now;
	dial(v->port, v);
}

static void
schedule_redial(struct port *p, struct vu *v)
{
	loop_timer_arm(port_loop(p), &v->redial,
		       loop_now(port_loop(p)) + v->backoff_ms * NS_PER_MS,
		       redial_fire);
	v->backoff_ms = MIN(v->backoff_ms * 2, VU_BACKOFF_MAX_MS);
}

static void
dial(struct port *p, struct vu *v)
{
	char err[ERR_LEN];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)&v->addr.ss,
			       v->addr.len) == 0 &&
	    conn_attach(p, v, fd, err) == 0) {
		v->backoff_ms = VU_BACKOFF_MIN_MS;
		v->dial_logged = false;
		log_info("port %s: vhost-user: connected to %s", p->id,
			 p->peer);
		return;
	}
	if (!v->dial_logged)
		log_info("port %s: vhost-user: dialling %s: %s (retrying)",
			 p->id, addr_path(&v->addr), strerror(errno));
	v->dial_logged = true;
	if (fd >= 0)
		close(fd);
	schedule_redial(p, v);
}

/* --- open, close, show --------------------------------------------------- */

static int
listen_open(struct port *p, struct vu *v, char *err)
{
	int fd, ret;

	if ((ret = addr_unlink_stale(&v->addr, err)))
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&v->addr.ss, v->addr.len) == -1) {
		ret = ERR_SET(err, -errno, "bind %s: %s", addr_path(&v->addr),
			      strerror(errno));
		goto err_close;
	}
	v->unlink_path = true;
	if (listen(fd, 4) == -1) {
		ret = ERR_SET(err, -errno, "listen: %s", strerror(errno));
		goto err_unlink;
	}
	ret = loop_add(port_loop(p), &v->listen_lfd, fd, EPOLLIN,
		       listen_on_event);
	if (ret) {
		ERR_SET(err, ret, "epoll: %s", strerror(-ret));
		goto err_unlink;
	}
	return 0;

err_unlink:
	unlink(addr_path(&v->addr));
	v->unlink_path = false;
err_close:
	close(fd);
	return ret;
}

static int
vu_open(struct port *p, struct opts *o, char *err)
{
	struct vu *v = vu_of(p);
	uint32_t poll_us = 0;
	bool given;
	int ret, epfd;
	struct epoll_event ev = { .events = EPOLLIN };

	v->port = p;
	v->server = true;
	v->offload = true;
	v->qp_max = VU_QP_MAX;
	v->backoff_ms = VU_BACKOFF_MIN_MS;
	v->listen_lfd.fd = -1;
	v->conn_lfd.fd = -1;
	v->self_fd = -1;
	v->hdr_len = VNET_HDR_MRG_LEN;
	for (unsigned int i = 0; i < VU_VRINGS_MAX; i++) {
		v->vr[i].port = p;
		v->vr[i].kick_fd = -1;
		v->vr[i].call_fd = -1;
		v->vr[i].kick_lfd.fd = -1;
	}
	ret = addr_from_opts(o, &vu_keys, &v->addr, &given, err);
	if (ret)
		return ret;
	if (!given || addr_family(&v->addr) != AF_UNIX)
		return ERR_SET(err, -EINVAL, "vhost-user: 'path' (a unix "
			       "socket) is required");
	if ((ret = opts_get_bool(o, "server", &v->server, err)) < 0 ||
	    (ret = opts_get_u32(o, "queues", 1, VU_QP_MAX, &v->qp_max,
				err)) < 0 ||
	    (ret = opts_get_u32(o, "poll_us", 0, VU_POLL_US_MAX, &poll_us,
				err)) < 0 ||
	    (ret = opts_get_bool(o, "offload", &v->offload, err)) < 0)
		return ret;
	v->poll_ns = (uint64_t)poll_us * 1000;
	addr_format(&v->addr, p->peer, sizeof(p->peer));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd == -1)
		return ERR_SET(err, -errno, "epoll: %s", strerror(errno));
	v->self_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->self_fd == -1) {
		ret = ERR_SET(err, -errno, "eventfd: %s", strerror(errno));
		goto err_epfd;
	}
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, v->self_fd, &ev) == -1 ||
	    (ret = loop_add(port_loop(p), &p->lfd, epfd, EPOLLIN,
			    port_on_event)) != 0) {
		ret = ERR_SET(err, -ENOMEM, "epoll: %s", strerror(errno));
		goto err_self;
	}
	p->rx_pausable = true;
	p->state = PORT_STATE_DOWN;
	if (v->server) {
		ret = listen_open(p, v, err);
		if (ret)
			goto err_lfd;
	} else {
		dial(p, v);
	}
	return 0;

err_lfd:
	loop_del(port_loop(p), &p->lfd);
err_self:
	close(v->self_fd);
	v->self_fd = -1;
err_epfd:
	close(epfd);
	return ret;
}

static void
vu_close(struct port *p)
{
	struct vu *v = vu_of(p);

	loop_timer_cancel(port_loop(p), &v->redial);
	loop_defer_cancel(port_loop(p), &v->tx_defer);
	if (v->conn_lfd.fd >= 0) {
		for (unsigned int i = 0; i < VU_VRINGS_MAX; i++)
			ring_reset(p, v, &v->vr[i]);
		mem_unmap(v);
		fds_close(v);
		close(v->conn_lfd.fd);
		loop_del(port_loop(p), &v->conn_lfd);
	}
	if (v->listen_lfd.fd >= 0) {
		close(v->listen_lfd.fd);
		loop_del(port_loop(p), &v->listen_lfd);
	}
	if (v->unlink_path)
		unlink(addr_path(&v->addr));
	v->unlink_path = false;
	if (p->lfd.fd >= 0) {
		int fd = p->lfd.fd;

		loop_del(port_loop(p), &p->lfd);
		close(fd);
	}
	if (v->self_fd >= 0)
		close(v->self_fd);
	v->self_fd = -1;
}

/* rx_burst or tx_burst failed: a broken ring; the front-end goes. */
static void
vu_fail(struct port *p, const char *why)
{
	struct vu *v = vu_of(p);

	if (p->state == PORT_STATE_UP)
		port_set_down(p, why);
	conn_close(p, v, why);
}

static void
vu_qemu_hint(const struct port *p, char *buf, size_t len)
{
	const struct vu *v = vu_of(p);

	if (v->server)
		snprintf(buf, len, "-chardev socket,id=c0,path=%s,reconnect=1 "
			 "-netdev vhost-user,id=n0,chardev=c0,queues=1 "
			 "(guest memory shared: -object "
			 "memory-backend-memfd,id=mem0,size=SIZE,share=on "
			 "-machine memory-backend=mem0)",
			 addr_path(&v->addr));
	else
		snprintf(buf, len, "-chardev socket,id=c0,path=%s,server=on,"
			 "wait=off -netdev vhost-user,id=n0,chardev=c0 "
			 "(guest memory shared: -object "
			 "memory-backend-memfd,id=mem0,size=SIZE,share=on "
			 "-machine memory-backend=mem0)",
			 addr_path(&v->addr));
}

static void
vu_info(const struct port *p, json_t *o)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ VIRTIO_F_VERSION_1, "version_1" },
		{ VIRTIO_NET_F_MRG_RXBUF, "mrg_rxbuf" },
		{ VIRTIO_RING_F_EVENT_IDX, "event_idx" },
		{ VIRTIO_RING_F_INDIRECT_DESC, "indirect_desc" },
		{ VIRTIO_NET_F_MQ, "mq" },
		{ VIRTIO_NET_F_CSUM, "csum" },
		{ VIRTIO_NET_F_GUEST_CSUM, "guest_csum" },
		{ VIRTIO_NET_F_HOST_TSO4, "host_tso4" },
		{ VIRTIO_NET_F_HOST_TSO6, "host_tso6" },
		{ VIRTIO_NET_F_GUEST_TSO4, "guest_tso4" },
		{ VIRTIO_NET_F_GUEST_TSO6, "guest_tso6" },
	};
	const struct vu *v = vu_of(p);
	char feat[256] = "", rings[256] = "";
	size_t fl = 0, rl = 0;
	uint64_t mem = 0;
	unsigned int running = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (v->features & BIT(names[i].bit))
			fl += (size_t)snprintf(feat + fl, sizeof(feat) - fl,
					       "%s%s", fl ? "," : "",
					       names[i].name);
	for (unsigned int i = 0; i < VU_VRINGS_MAX; i++) {
		if (!v->vr[i].running)
			continue;
		running++;
		if (rl < sizeof(rings) - 16)
			rl += (size_t)snprintf(rings + rl, sizeof(rings) - rl,
					       "%s%u:%u", rl ? "," : "", i,
					       v->vr[i].q.num);
	}
	for (unsigned int i = 0; i < v->mem.n; i++)
		mem += v->mem.r[i].size;
	json_object_set_new(o, "role", json_string(v->server ? "server"
								: "client"));
	json_object_set_new(o, "connected",
			    json_string(v->conn_lfd.fd >= 0 ? "yes" : "no"));
	json_object_set_new(o, "features",
			    json_string(v->features ? feat : "none"));
	json_object_set_new(o, "vnet_hdr", json_integer((json_int_t)v->hdr_len));
	json_object_set_new(o, "rings", json_string(running ? rings : "none"));
	json_object_set_new(o, "queue_pairs", json_integer(v->qp_max));
	json_object_set_new(o, "mem_regions", json_integer(v->mem.n));
	json_object_set_new(o, "mem_mib",
			    json_integer((json_int_t)(mem >> 20)));
	json_object_set_new(o, "poll_us",
			    json_integer((json_int_t)(v->poll_ns / 1000)));
	json_object_set_new(o, "messages", json_integer((json_int_t)v->n_msgs));
}

const struct port_ops vhost_user_ops = {
	.kind = "vhost-user",
	.priv_size = sizeof(struct vu),
	.open = vu_open,
	.rx_burst = vu_rx_burst,
	.tx_burst = vu_tx_burst,
	.close = vu_close,
	.fail = vu_fail,
	.qemu_hint = vu_qemu_hint,
	.info = vu_info,
	.tx_wait = vu_tx_wait,
};
