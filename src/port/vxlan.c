/* SPDX-License-Identifier: MIT */
/*
 * vxlan.c - the "vxlan" port kind: a VXLAN tunnel endpoint (RFC 7348) that
 * interoperates with the Linux kernel's vxlan device (protocols.md §5).
 *
 * Theory of operation
 *
 * One port is one VTEP: a UDP socket bound to local:port (the wildcard
 * address in multicast mode, so it hears the group and unicast replies)
 * carrying one VNI, or several VNIs each mapped to a VLAN of the bridge
 * ("vni=100:10,200:20"), which makes the port a trunk across hosts.
 *
 * Receive: one recvmmsg() per burst into pool buffers; the 8-byte header
 * is checked as the kernel does (flags exactly 0x08, every reserved bit
 * zero) and skipped by moving pkt->data, so the inner frame is not copied.
 * A mapped VNI sets pkt->vlan and the bridge takes that as the frame's
 * VLAN (port->vlan_by_kind).  With learning on, the inner source MAC is
 * remembered per VNI with the outer source IP (never the source port: a
 * reply goes to the configured port, as the kernel does), in a table of
 * the port's own (port/vtep.c) aged after 'ageing' seconds.
 *
 * Transmit: each frame goes to the VTEP its destination MAC was learned
 * from, or, for broadcast, multicast and unknown unicast, to every remote
 * (head-end replication) or to the group.  The VXLAN header is written
 * into the frame's headroom (no copy) and the kernel adds UDP and IP.  It
 * leaves by one of VX_TX_SOCKS UDP sockets bound to ports in 49152-65535,
 * picked by a hash of the inner flow, so the source port follows the flow
 * (RFC 7348, for ECMP in the underlay) without any privilege; one
 * sendmmsg() carries a burst's run of frames on one socket.  A TCP
 * super-frame from a tap is not cut by port_xmit(): send_super() lays its
 * segments out behind their headers and hands them over as UDP GSO sends,
 * which a veth carries whole to the peer and a NIC segments itself.  UDP
 * checksums are the kernel's (offloaded where the device can).
 *
 * Size: an inner frame longer than the underlay MTU less 36 (IPv4) or 56
 * (IPv6) bytes is dropped and counted (too-big); nothing is fragmented.
 * The underlay MTU is that of the interface holding 'local' (or 'dev'),
 * or mtu=.  Hosts behind the switch therefore use an MTU of 1450 over a
 * 1500-byte underlay, as behind a kernel vxlan device; a super-frame's
 * segments are checked, not the super-frame.
 *
 * Errors: a remote that is unreachable costs its own copy (counted as an
 * io error), never the burst.  A full socket buffer leaves the frame at
 * the head of the backlog and arms EPOLLOUT on that socket (p->tx_lfd).
 */
#include "port/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "port/mmsg.h"
#include "port/vtep.h"
#include "proto/eth.h"
#include "proto/gso.h"
#include "proto/vlan.h"
#include "proto/vnet.h"
#include "proto/vxlan.h"

#define VX_READS_PER_ITER 4
#define VX_REMOTES_MAX 32
#define VX_VNIS_MAX 64
#define VX_TX_MSGS 128		/* datagrams per sendmmsg() */
#define VX_TX_SOCKS 8		/* source ports a flow hash picks from */
#define VX_SPORT_TRIES 64	/* binds tried for each */
#define VX_GSO_MAX 65000	/* bytes per UDP_SEGMENT send (< 65507) */
#define VX_GSO_SEGS_MAX 64	/* datagrams per UDP_SEGMENT send */
#define VX_AGE_TICK_MAX 10	/* seconds between ageing scans, at most */
#define VX_VTEP_LIST_MAX 16	/* VTEPs named in show */

/* One sending socket: bound to local and a port of 49152-65535. */
struct vx_tx {
	struct loop_fd lfd;	/* armed for EPOLLOUT when it was full */
	struct port *owner;
	uint16_t sport;
};

struct vx_vni {
	uint32_t vni;
	uint16_t vlan;		/* 0: unmapped (a single VNI) */
};

struct vxlan {
	struct port *owner;	/* the port this is the state of */
	int family;
	bool group_mode;
	bool learning;
	uint16_t port;		/* UDP destination port, host order */
	union vtep_addr local;
	union vtep_addr remotes[VX_REMOTES_MAX];	/* or the group */
	unsigned int n_remotes;
	char dev[IF_NAMESIZE];
	unsigned int ifindex;	/* of dev, 0 if none */
	uint32_t ttl;
	uint32_t mtu;		/* underlay */
	uint32_t frame_max;	/* largest inner frame */
	uint32_t ageing;
	struct vx_vni vnis[VX_VNIS_MAX];
	unsigned int n_vnis;
	uint16_t vni_of_vlan[4096];	/* vnis[] index + 1, 0 = none */
	unsigned int last_vni;		/* receive: index of the last hit */
	struct vtep_table vteps;
	struct vx_tx tx[VX_TX_SOCKS];
	struct loop_timer ager;
	unsigned int tx_resume;	/* datagrams of the head frame sent */
	uint64_t sent;		/* datagrams: one per remote and segment */
	struct mmsg_rx *rx;
	/* transmit scratch, kept here so nothing is set up per call */
	struct mmsghdr msgs[VX_TX_MSGS];
	struct iovec iovs[PKT_BURST];
	uint8_t msg_frame[VX_TX_MSGS];	/* frame index of each datagram */
	uint8_t msg_dest[VX_TX_MSGS];	/* its destination's index */
	uint8_t *gso_buf;	/* a super-frame's segments, VX_GSO_MAX */
};

static struct vxlan *
vx_of(const struct port *p)
{
	return port_priv(p);
}

static socklen_t
addr_len(const union vtep_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
}

/* The port part of every stored address: what the socket sends to. */
static void
set_port(const struct vxlan *m, union vtep_addr *a)
{
	uint16_t port = htons(m->port);

	if (a->sa.sa_family == AF_INET6)
		a->v6.sin6_port = port;
	else
		a->v4.sin_port = port;
}

/* --- receive ------------------------------------------------------------- */

/* vnis[] index of @vni, or -1. */
static int
vni_index(struct vxlan *m, uint32_t vni)
{
	if (m->vnis[m->last_vni].vni == vni)
		return (int)m->last_vni;
	for (unsigned int i = 0; i < m->n_vnis; i++)
		if (m->vnis[i].vni == vni) {
			m->last_vni = i;
			return (int)i;
		}
	return -1;
}

/* Learns the inner source of @pkt (index @vi) behind @from. */
static void
learn(struct vxlan *m, const struct pkt *pkt, int vi, const struct addr *from,
      uint32_t now)
{
	union vtep_addr a;
	const uint8_t *src = eth_src(pkt->data);

	if (!eth_is_valid_src(src) || from->ss.ss_family != m->family)
		return;
	memset(&a, 0, sizeof(a));
	memcpy(&a, &from->ss, addr_len((const void *)&from->ss));
	set_port(m, &a);
	vtep_learn(&m->vteps, vtep_key(eth_mac_to_u64(src), (uint16_t)vi),
		   &a, now);
}

static int
vx_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct vxlan *m = vx_of(p);
	uint32_t now = bridge_now_sec(&p->sw->br);
	unsigned int n = 0;
	int r;

	if (!port_rx_budget(p, VX_READS_PER_ITER))
		return 0;
	r = mmsg_recv(p->lfd.fd, &p->sw->pool, pkts, max, m->rx, true);
	if (r == -ENOBUFS) {
		int len = mmsg_discard(p->lfd.fd, NULL);

		if (len > 0)
			port_count_rx_drop(p, PORT_DROP_NO_BUFFER,
					   (uint64_t)len);
		return 0;
	}
	if (r < 0) {
		log_ratelimited(LOG_LVL_WARN, "port %s: recvmmsg: %s", p->id,
				strerror(-r));
		return 0;
	}
	for (int i = 0; i < r; i++) {
		struct pkt *pkt = pkts[i];
		uint32_t vni;
		int vi;

		if (m->rx->truncated[i]) {
			port_count_rx_drop(p, PORT_DROP_OVERSIZE, pkt->len);
			pkt_put(pkt);
			continue;
		}
		if (vxlan_parse(pkt->data, pkt->len, &vni) != VXLAN_OK) {
			port_count_rx_drop(p, PORT_DROP_BAD_ENCAP, pkt->len);
			pkt_put(pkt);
			continue;
		}
		vi = vni_index(m, vni);
		if (vi < 0) {
			port_count_rx_drop(p, PORT_DROP_VNI, pkt->len);
			pkt_put(pkt);
			continue;
		}
		pkt->data += VXLAN_HLEN;
		pkt->len -= VXLAN_HLEN;
		/* Offloads a veth passed on: finished on the way out. */
		csum_detect_partial(pkt->data, pkt->len, m->frame_max,
				    &pkt->off);
		pkt->vlan = m->vnis[vi].vlan;
		pkt->in = p;
		if (m->learning)
			learn(m, pkt, vi, &m->rx->from[i], now);
		pkts[n++] = pkt;
	}
	/* Keep draining after a full read made only of refused datagrams. */
	if (n == 0 && (unsigned int)r == max)
		return vx_rx_burst(p, pkts, max);
	return (int)n;
}

/* --- transmit ------------------------------------------------------------ */

/* The VNI index a frame from the bridge travels with, or -1. */
static int
tx_vni(const struct vxlan *m, const struct pkt *pkt)
{
	unsigned int vi;

	if (!m->vnis[0].vlan)
		return 0;
	vi = m->vni_of_vlan[pkt->vlan & 0xfff];	/* the bridge only sends */
	return vi ? (int)vi - 1 : -1;		/* members: never -1 */
}

/*
 * Where @pkt goes: the learned VTEP of its destination (*one), or every
 * remote.  Finishes a partial checksum, checks the size (a super-frame's
 * by its segments), writes the VXLAN header into the headroom and the
 * frame's iovec.  Return: the number of destinations, or 0 if the frame
 * is to be dropped for *@cause (the caller counts it when it takes it).
 */
static unsigned int
prepare(struct vxlan *m, struct pkt *pkt, struct iovec *iov,
	const union vtep_addr **one, enum port_drop *cause)
{
	const struct vtep_entry *e = NULL;
	const char *why;
	int vi = tx_vni(m, pkt);

	/* A super-frame's segments are checked by send_super(). */
	if (!pkt->off.gso_type) {
		if (pkt_has_off(pkt) &&
		    csum_finish(pkt->data, pkt->len, &pkt->off, &why)) {
			*cause = PORT_DROP_BAD_OFFLOAD;
			return 0;
		}
		if (unlikely(pkt->len > m->frame_max)) {
			*cause = PORT_DROP_TOO_BIG;
			return 0;
		}
	}
	if (unlikely(vi < 0)) {
		*cause = PORT_DROP_NO_VTEP;
		return 0;
	}
	*one = NULL;
	if (!eth_is_multicast(eth_dst(pkt->data))) {
		e = vtep_lookup(&m->vteps,
				vtep_key(eth_mac_to_u64(eth_dst(pkt->data)),
					 (uint16_t)vi));
		if (e)
			*one = &e->dst;
	}
	if (!e && !m->n_remotes) {
		*cause = PORT_DROP_NO_VTEP;
		return 0;
	}
	ASSERT(pkt->data - pkt->head >= VXLAN_HLEN);
	vxlan_hdr_write(pkt->data - VXLAN_HLEN, m->vnis[vi].vni);
	iov->iov_base = pkt->data - VXLAN_HLEN;
	iov->iov_len = VXLAN_HLEN + pkt->len;
	return e ? 1 : m->n_remotes;
}

/* The sending socket of @pkt's flow. */
static unsigned int
tx_sock(const struct pkt *pkt)
{
	return vxlan_src_port(pkt->data, pkt->len) % VX_TX_SOCKS;
}

static void
send_error(struct port *p, int e)
{
	p->c.errors[PORT_ERR_IO]++;
	log_ratelimited(LOG_LVL_WARN, "port %s: send: %s", p->id, strerror(e));
}

/*
 * Sends msgs[0..k) on socket @ti.  Return: how many left (all but those
 * after a full socket buffer).  A datagram the kernel refuses for its own
 * reasons (no route to that remote) is skipped and counted.
 */
static unsigned int
flush(struct port *p, struct vxlan *m, unsigned int ti, unsigned int k)
{
	unsigned int pos = 0;

	while (pos < k) {
		int r = sendmmsg(m->tx[ti].lfd.fd, m->msgs + pos, k - pos,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		int e;

		if (r > 0) {
			pos += (unsigned int)r;
			m->sent += (unsigned int)r;
			continue;
		}
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN || e == ENOBUFS)
			break;
		send_error(p, e);
		pos++;
	}
	return pos;
}

/*
 * Fills m->gso_buf with the next whole segments of @it, each behind its own
 * copy of the VXLAN header @vxh, at most VX_GSO_SEGS_MAX and VX_GSO_MAX
 * bytes.  Return: bytes filled (0: no segment left); *segs, and *chunk set
 * to the first datagram's length (every one but the last has it).
 */
static uint32_t
fill_segments(struct vxlan *m, struct gso_iter *it, const uint8_t *vxh,
	      unsigned int *segs, uint32_t *chunk)
{
	uint32_t pos = 0, len;

	*segs = 0;
	while (*segs < VX_GSO_SEGS_MAX &&
	       pos + VXLAN_HLEN + m->frame_max <= VX_GSO_MAX &&
	       (len = gso_next(it, m->gso_buf + pos + VXLAN_HLEN,
			       m->frame_max))) {
		memcpy(m->gso_buf + pos, vxh, VXLAN_HLEN);
		if (!*segs)
			*chunk = VXLAN_HLEN + len;
		pos += VXLAN_HLEN + len;
		(*segs)++;
	}
	return pos;
}

/*
 * One UDP GSO send: @len bytes of m->gso_buf to @a, which the kernel cuts
 * into @segs datagrams of @chunk bytes (the last one shorter).
 */
static ssize_t
send_segments(int fd, const union vtep_addr *a, void *buf, size_t len,
	      unsigned int segs, uint16_t chunk)
{
	char cbuf[CMSG_SPACE(sizeof(chunk))] = { 0 };
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr h = { .msg_name = (void *)a,
			    .msg_namelen = addr_len(a),
			    .msg_iov = &iov,
			    .msg_iovlen = 1 };

	if (segs > 1) {
		struct cmsghdr *c;

		h.msg_control = cbuf;
		h.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&h);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(chunk));
		memcpy(CMSG_DATA(c), &chunk, sizeof(chunk));
	}
	return sendmsg(fd, &h, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * A TCP super-frame: its segments, each behind its own VXLAN header, go
 * to each destination as UDP GSO sends of up to VX_GSO_MAX bytes, so the
 * underlay carries them whole as far as the kernel can (a veth: to the
 * peer; a NIC: to its segmentation offload).  Destinations from *@d on; on
 * a full socket *@d is left at the one that did not get everything, which
 * gets the whole frame again next time (a duplicate TCP segment or two,
 * never a lost one).  Return: 0, -EAGAIN, or, with nothing sent, -EINVAL
 * for a frame that cannot be segmented or -EMSGSIZE for segments longer
 * than the underlay carries (the caller drops it).
 */
static int
send_super(struct port *p, struct vxlan *m, struct pkt *pkt, unsigned int ti,
	   const union vtep_addr *one, unsigned int nd, unsigned int *d)
{
	const uint8_t *vxh = pkt->data - VXLAN_HLEN;	/* prepare() wrote it */
	struct gso_iter start, it;
	const char *why;
	uint32_t first;

	/* port_xmit() checked the request; this checks the frame, and the
	 * first segment, the longest, against the underlay */
	if (gso_start(&start, pkt->data, pkt->len, &pkt->off, &why) < 0)
		return -EINVAL;
	it = start;
	first = gso_next(&it, m->gso_buf, VX_GSO_MAX);
	if (!first || first > m->frame_max)
		return -EMSGSIZE;
	for (; *d < nd; (*d)++) {
		const union vtep_addr *a = one ? one : &m->remotes[*d];
		unsigned int segs;
		uint32_t len, chunk = 0;

		it = start;
		while ((len = fill_segments(m, &it, vxh, &segs, &chunk))) {
			if (send_segments(m->tx[ti].lfd.fd, a, m->gso_buf, len,
					  segs, (uint16_t)chunk) >= 0)
				m->sent += segs;
			else if (errno == EAGAIN || errno == ENOBUFS)
				return -EAGAIN;
			else
				send_error(p, errno);
		}
	}
	return 0;
}

/*
 * Socket @ti is full: port.c arms EPOLLOUT on p->tx_lfd, so point it
 * there, and disarm the socket it pointed to before (else that one, now
 * writable, would wake the loop for nothing until @ti drains).
 */
static void
wait_on(struct port *p, struct vxlan *m, unsigned int ti)
{
	struct loop_fd *old = p->tx_lfd;

	if (old && old != &m->tx[ti].lfd && (old->events & EPOLLOUT))
		loop_mod(port_loop(p), old, old->events & ~(uint32_t)EPOLLOUT);
	p->tx_lfd = &m->tx[ti].lfd;
}

static int
vx_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct vxlan *m = vx_of(p);
	unsigned int k = 0, ti = 0;

	for (unsigned int i = 0; i < n; i++) {
		const union vtep_addr *one;
		enum port_drop cause = PORT_DROP_NO_VTEP;
		unsigned int nd = prepare(m, pkts[i], &m->iovs[i], &one, &cause);
		unsigned int d = i == 0 ? m->tx_resume : 0;
		unsigned int fti = nd ? tx_sock(pkts[i]) : ti;

		/* Datagrams so far leave first: frames are taken in order. */
		if (k && (!nd || fti != ti || pkts[i]->off.gso_type)) {
			unsigned int s = flush(p, m, ti, k);

			if (s < k) {
				k = s;
				goto stalled_at;
			}
			k = 0;
		}
		ti = fti;
		if (nd == 0) {
			p->c.drops[cause]++;
			pkt_put(pkts[i]);
			pkts[i] = NULL;
			continue;
		}
		if (pkts[i]->off.gso_type) {
			int r = send_super(p, m, pkts[i], ti, one, nd, &d);

			if (r == -EAGAIN) {
				m->tx_resume = d;
				wait_on(p, m, ti);
				return (int)i;
			}
			if (r) {
				p->c.drops[r == -EMSGSIZE ? PORT_DROP_TOO_BIG
							  : PORT_DROP_BAD_OFFLOAD]++;
				pkt_put(pkts[i]);
				pkts[i] = NULL;
			}
			continue;
		}
		for (; d < nd; d++) {
			const union vtep_addr *a = one ? one : &m->remotes[d];
			struct msghdr *h = &m->msgs[k].msg_hdr;

			if (k == VX_TX_MSGS) {
				unsigned int s = flush(p, m, ti, k);

				if (s < k) {
					k = s;
					goto stalled_at;
				}
				k = 0;
				h = &m->msgs[0].msg_hdr;
			}
			*h = (struct msghdr){ .msg_name = (void *)a,
					      .msg_namelen = addr_len(a),
					      .msg_iov = &m->iovs[i],
					      .msg_iovlen = 1 };
			m->msg_frame[k] = (uint8_t)i;
			m->msg_dest[k] = (uint8_t)d;
			k++;
		}
	}
	if (k) {
		unsigned int s = flush(p, m, ti, k);

		if (s < k) {
			k = s;
			goto stalled_at;
		}
	}
	m->tx_resume = 0;
	return (int)n;

stalled_at:
	/* msgs[k] did not leave: its frame is the head of the next call,
	 * and its socket's EPOLLOUT says when to try again. */
	m->tx_resume = m->msg_dest[k];
	wait_on(p, m, ti);
	return (int)m->msg_frame[k];
}

/* A sending socket has room again. */
static void
vx_on_tx_fd(struct loop_fd *lfd, uint32_t events)
{
	struct vx_tx *t = container_of(lfd, struct vx_tx, lfd);

	if (events & (EPOLLOUT | EPOLLERR))
		port_tx_ready(t->owner);
}

/* --- ageing -------------------------------------------------------------- */

static uint64_t
age_tick_ns(const struct vxlan *m)
{
	uint32_t s = m->ageing / 10;

	if (s < 1)
		s = 1;
	if (s > VX_AGE_TICK_MAX)
		s = VX_AGE_TICK_MAX;
	return (uint64_t)s * NS_PER_SEC;
}

static void
ager_fire(struct loop_timer *t, uint64_t now)
{
	struct vxlan *m = container_of(t, struct vxlan, ager);
	struct port *p = m->owner;

	vtep_age(&m->vteps, (uint32_t)(now / NS_PER_SEC));
	loop_timer_arm(port_loop(p), t, now + age_tick_ns(m), ager_fire);
}

/* --- set-up -------------------------------------------------------------- */

static int
parse_ip(const char *s, uint16_t port, union vtep_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->v4.sin_addr) == 1) {
		a->v4.sin_family = AF_INET;
		a->v4.sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->v6.sin6_addr) == 1) {
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static bool
is_multicast(const union vtep_addr *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(&a->v6.sin6_addr);
	return IN_MULTICAST(ntohl(a->v4.sin_addr.s_addr));
}

/* "42" or "100:10,200:20" */
static int
vni_keys(struct port *p, struct vxlan *m, const char *s, char *err)
{
	char buf[OPTS_SPEC_MAX], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':');
		uint32_t vni, vlan = 0;

		if (colon)
			*colon = '\0';
		if (opts_parse_u32(item, 1, VXLAN_VNI_MAX, &vni) ||
		    (colon && opts_parse_u32(colon + 1, 1, 4094, &vlan)))
			return ERR_SET(err, -EINVAL,
				       "vxlan: vni '%s': want a VNI from 1 to "
				       "%u, or VNI:VLAN pairs like 100:10,200:20",
				       s, VXLAN_VNI_MAX);
		if ((m->n_vnis && !m->vnis[0].vlan) || (m->n_vnis && !vlan))
			return ERR_SET(err, -EINVAL,
				       "vxlan: vni '%s': several VNIs need a "
				       "VLAN each (VNI:VLAN,...)",
				       s);
		if (m->n_vnis == VX_VNIS_MAX)
			return ERR_SET(err, -EINVAL,
				       "vxlan: at most %u VNIs per port",
				       VX_VNIS_MAX);
		for (unsigned int i = 0; i < m->n_vnis; i++)
			if (m->vnis[i].vni == vni)
				return ERR_SET(err, -EINVAL,
					       "vxlan: VNI %u given twice", vni);
		if (vlan && m->vni_of_vlan[vlan])
			return ERR_SET(err, -EINVAL,
				       "vxlan: VLAN %u mapped twice", vlan);
		m->vnis[m->n_vnis] = (struct vx_vni){ vni, (uint16_t)vlan };
		m->n_vnis++;
		if (vlan)
			m->vni_of_vlan[vlan] = (uint16_t)m->n_vnis;
	}
	if (!m->n_vnis)
		return ERR_SET(err, -EINVAL, "vxlan: 'vni' is required");
	if (!m->vnis[0].vlan)
		return 0;
	/* A map: the port is a trunk of exactly those VLANs. */
	if (p->vlan.mode != PORT_VLAN_NONE)
		return ERR_SET(err, -EINVAL,
			       "vxlan: a VNI:VLAN map sets the port's VLANs; "
			       "drop vlan=, trunk= and native=");
	p->vlan.mode = PORT_VLAN_TRUNK;
	p->vlan.tpid = VLAN_TPID_8021Q;
	for (unsigned int i = 0; i < m->n_vnis; i++)
		p->vlan.allowed[m->vnis[i].vlan / 8] |=
			(uint8_t)(1u << (m->vnis[i].vlan % 8));
	p->vlan_by_kind = true;
	return 0;
}

static int
remote_keys(struct vxlan *m, const char *remote, const char *group,
	    char *err)
{
	char buf[OPTS_SPEC_MAX], *save = NULL;

	if (remote && group)
		return ERR_SET(err, -EINVAL,
			       "vxlan: give 'remote' or 'group', not both");
	if (group) {
		if (parse_ip(group, m->port, &m->remotes[0]) ||
		    !is_multicast(&m->remotes[0]))
			return ERR_SET(err, -EINVAL,
				       "vxlan: group '%s' is not a multicast "
				       "address",
				       group);
		m->n_remotes = 1;
		m->group_mode = true;
		return 0;
	}
	if (!remote)
		return 0;
	snprintf(buf, sizeof(buf), "%s", remote);
	for (char *item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		union vtep_addr *a = &m->remotes[m->n_remotes];

		if (m->n_remotes == VX_REMOTES_MAX)
			return ERR_SET(err, -EINVAL,
				       "vxlan: at most %u remotes",
				       VX_REMOTES_MAX);
		if (parse_ip(item, m->port, a) || is_multicast(a))
			return ERR_SET(err, -EINVAL,
				       "vxlan: remote '%s' is not a unicast IP "
				       "address (a group is group=)",
				       item);
		if (a->sa.sa_family != m->family)
			return ERR_SET(err, -EINVAL,
				       "vxlan: remote '%s' and local are of "
				       "different address families",
				       item);
		m->n_remotes++;
	}
	return 0;
}

static int
vx_keys(struct port *p, struct vxlan *m, struct opts *o, char *err)
{
	const char *vni = NULL, *local = NULL, *remote = NULL, *group = NULL;
	const char *dev = NULL;
	uint32_t port = VXLAN_PORT_DEFAULT, mtu = 0;
	int ret;

	m->learning = true;
	m->ageing = 300;
	m->ttl = 1;
	if ((ret = opts_get_str(o, "vni", &vni, err)) < 0 ||
	    (ret = opts_get_str(o, "local", &local, err)) < 0 ||
	    (ret = opts_get_str(o, "remote", &remote, err)) < 0 ||
	    (ret = opts_get_str(o, "group", &group, err)) < 0 ||
	    (ret = opts_get_str(o, "dev", &dev, err)) < 0 ||
	    (ret = opts_get_u32(o, "port", 1, 65535, &port, err)) < 0 ||
	    (ret = opts_get_u32(o, "ttl", 1, 255, &m->ttl, err)) < 0 ||
	    (ret = opts_get_u32(o, "mtu", 68 + VXLAN_OVERHEAD_V6, 65535, &mtu,
				err)) < 0 ||
	    (ret = opts_get_u32(o, "ageing", 0, 1000000, &m->ageing,
				err)) < 0 ||
	    (ret = opts_get_bool(o, "learning", &m->learning, err)) < 0)
		return ret;
	m->port = (uint16_t)port;
	m->mtu = mtu;
	if (!vni)
		return ERR_SET(err, -EINVAL, "vxlan: 'vni' is required");
	if ((ret = vni_keys(p, m, vni, err)))
		return ret;
	if (!local || parse_ip(local, m->port, &m->local) ||
	    is_multicast(&m->local))
		return ERR_SET(err, -EINVAL,
			       "vxlan: 'local' must be this host's unicast "
			       "IPv4 or IPv6 address (got '%s')",
			       local ? local : "");
	m->family = m->local.sa.sa_family;
	if ((ret = remote_keys(m, remote, group, err)))
		return ret;
	if (m->group_mode && m->remotes[0].sa.sa_family != m->family)
		return ERR_SET(err, -EINVAL,
			       "vxlan: group '%s' and local are of different "
			       "address families",
			       group);
	if (dev) {
		if (strlen(dev) >= sizeof(m->dev) ||
		    !(m->ifindex = if_nametoindex(dev)))
			return ERR_SET(err, -ENODEV,
				       "vxlan: no interface '%s'", dev);
		memcpy(m->dev, dev, strlen(dev) + 1);
	}
	return 0;
}

/* The MTU of the interface holding 'local' (or 'dev'). */
static int
find_mtu(struct vxlan *m, char *err)
{
	struct ifaddrs *ifs, *i;
	struct ifreq ifr = { 0 };
	const char *name = m->dev[0] ? m->dev : NULL;
	int s, ret = 0;

	if (!name) {
		if (getifaddrs(&ifs) < 0)
			return ERR_SET(err, -errno, "getifaddrs: %s",
				       strerror(errno));
		for (i = ifs; i && !name; i = i->ifa_next) {
			const union vtep_addr *a = (const void *)i->ifa_addr;

			if (!a || a->sa.sa_family != m->family)
				continue;
			if (m->family == AF_INET
				    ? a->v4.sin_addr.s_addr ==
					      m->local.v4.sin_addr.s_addr
				    : !memcmp(&a->v6.sin6_addr,
					      &m->local.v6.sin6_addr, 16))
				name = i->ifa_name;
		}
		if (name)
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
				 name);
		freeifaddrs(ifs);
		if (!name) {
			char text[INET6_ADDRSTRLEN];

			vtep_addr_format(&m->local, text, sizeof(text));
			return ERR_SET(err, -EADDRNOTAVAIL,
				       "vxlan: local %s is not an address of "
				       "this host (network namespace)",
				       text);
		}
	} else {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	}
	if (m->mtu)
		return 0;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0)
		ret = ERR_SET(err, -errno, "vxlan: mtu of %s: %s",
			      ifr.ifr_name, strerror(errno));
	else
		m->mtu = (uint32_t)ifr.ifr_mtu;
	close(s);
	return ret;
}

/* Multicast: the interface, hop limit and no echo of our own sends. */
static int
mcast_tx_opts(const struct vxlan *m, int fd)
{
	int ttl = (int)m->ttl, off = 0;

	if (m->family == AF_INET6) {
		int ifi = (int)m->ifindex;

		return setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi,
				  sizeof(ifi)) ||
		       setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl,
				  sizeof(ttl)) ||
		       setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off,
				  sizeof(off));
	} else {
		struct ip_mreqn mr = { .imr_address = m->local.v4.sin_addr,
				       .imr_ifindex = (int)m->ifindex };

		return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
				  sizeof(mr)) ||
		       setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
				  sizeof(ttl)) ||
		       setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off,
				  sizeof(off));
	}
}

static int
join_group(const struct vxlan *m, int fd)
{
	if (m->family == AF_INET6) {
		struct ipv6_mreq mr = { .ipv6mr_multiaddr =
						m->remotes[0].v6.sin6_addr,
					.ipv6mr_interface = m->ifindex };

		return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
				  sizeof(mr));
	} else {
		struct ip_mreqn mr = { .imr_multiaddr =
					       m->remotes[0].v4.sin_addr,
				       .imr_address = m->local.v4.sin_addr,
				       .imr_ifindex = (int)m->ifindex };

		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				  sizeof(mr));
	}
}

/* The UDP socket that receives (and sends, without CAP_NET_RAW). */
static int
open_rx(struct port *p, struct vxlan *m, char *err)
{
	union vtep_addr b = m->local;
	int one = 1, rcvbuf = 4 << 20, fd, e;
	char text[INET6_ADDRSTRLEN];

	fd = socket(m->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	if (m->group_mode) {	/* the group and unicast replies */
		memset(&b, 0, sizeof(b));
		b.sa.sa_family = (sa_family_t)m->family;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (m->family == AF_INET6)
		b.v6.sin6_port = htons(m->port);
	else
		b.v4.sin_port = htons(m->port);
	if (m->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, &b.sa, addr_len(&b)) < 0) {
		e = errno;
		close(fd);
		vtep_addr_format(&b, text, sizeof(text));
		return ERR_SET(err, -e,
			       "vxlan: bind %s port %u: %s%s", text, m->port,
			       strerror(e),
			       e == EADDRINUSE
				       ? " (a kernel vxlan device with this "
					 "dstport in this network namespace "
					 "holds it: use another namespace or "
					 "port)"
				       : "");
	}
	if (m->group_mode && join_group(m, fd)) {
		e = errno;
		close(fd);
		return ERR_SET(err, -e, "vxlan: join %s: %s", p->peer,
			       strerror(e));
	}
	if (m->group_mode && mcast_tx_opts(m, fd)) {
		e = errno;
		close(fd);
		return ERR_SET(err, -e, "vxlan: multicast options: %s",
			       strerror(e));
	}
	return fd;
}

/*
 * The sending sockets: VX_TX_SOCKS UDP sockets bound to local and ports of
 * 49152-65535 (RFC 7348's range), each picked by a hash of the inner flow,
 * so the source port follows the flow with no privilege.  UDP sockets
 * also take GSO sends, which carry a super-frame as one packet as far as
 * the kernel can.
 */
static int
open_tx(struct port *p, struct vxlan *m, unsigned int i, char *err)
{
	union vtep_addr b = m->local;
	int fd, e = EADDRINUSE, v = 4 << 20, ret;
	uint32_t seed = (uint32_t)getpid() * 2654435761u + i * 40503u;

	fd = socket(m->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	v = 1;
	if (m->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v));
	v = IP_PMTUDISC_DONT;	/* DF clear, as the kernel's vxlan */
	if (m->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	for (unsigned int t = 0; t < VX_SPORT_TRIES && e == EADDRINUSE; t++) {
		uint16_t port = (uint16_t)(VXLAN_SPORT_MIN +
					   (seed + t * 7919u) %
						   (VXLAN_SPORT_MAX -
						    VXLAN_SPORT_MIN + 1));

		if (m->family == AF_INET6)
			b.v6.sin6_port = htons(port);
		else
			b.v4.sin_port = htons(port);
		e = bind(fd, &b.sa, addr_len(&b)) ? errno : 0;
		m->tx[i].sport = port;
	}
	if (e || (m->group_mode && mcast_tx_opts(m, fd))) {
		e = e ? e : errno;
		close(fd);
		return ERR_SET(err, -e, "vxlan: sending socket: %s",
			       strerror(e));
	}
	m->tx[i].owner = p;
	ret = loop_add(port_loop(p), &m->tx[i].lfd, fd, 0, vx_on_tx_fd);
	if (ret) {
		close(fd);
		return ERR_SET(err, ret, "epoll: %s", strerror(-ret));
	}
	return 0;
}

static void vx_close(struct port *p);

static int
vx_open(struct port *p, struct opts *o, char *err)
{
	struct vxlan *m = vx_of(p);
	char text[INET6_ADDRSTRLEN];
	int fd, ret;

	for (unsigned int i = 0; i < VX_TX_SOCKS; i++)
		m->tx[i].lfd.fd = -1;
	m->owner = p;
	if ((ret = vx_keys(p, m, o, err)) || (ret = find_mtu(m, err)))
		return ret;
	m->frame_max = m->mtu - (m->family == AF_INET6 ? VXLAN_OVERHEAD_V6
						       : VXLAN_OVERHEAD_V4);
	if (m->group_mode)
		vtep_addr_format(&m->remotes[0], text, sizeof(text));
	else
		vtep_addr_format(&m->local, text, sizeof(text));
	snprintf(p->peer, sizeof(p->peer),
		 m->family == AF_INET6 ? "[%s]:%u" : "%s:%u", text, m->port);
	m->rx = calloc(1, sizeof(*m->rx));
	if (!m->rx)
		return ERR_SET(err, -ENOMEM, "out of memory");
	/* The bridge learns at most max_macs behind the port; so do we. */
	ret = vtep_init(&m->vteps,
			p->max_macs ? p->max_macs : p->sw->br.fdb.capacity,
			m->ageing, err);
	if (ret) {
		free(m->rx);
		m->rx = NULL;
		return ret;
	}
	m->gso_buf = malloc(VX_GSO_MAX);
	if (!m->gso_buf) {
		ret = ERR_SET(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (unsigned int i = 0; i < VX_TX_SOCKS; i++)
		if ((ret = open_tx(p, m, i, err)))
			goto fail;
	/* Checksums and TCP super-frames as they are: see send_super(). */
	p->offloads = VNET_OFF_CSUM | VNET_OFF_TSO4 | VNET_OFF_TSO6 |
		      VNET_OFF_ECN;
	for (unsigned int i = 0; i < m->n_remotes; i++)
		set_port(m, &m->remotes[i]);
	fd = open_rx(p, m, err);
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	ret = loop_add(port_loop(p), &p->lfd, fd, EPOLLIN, port_on_event);
	if (ret) {
		close(fd);
		ERR_SET(err, ret, "epoll: %s", strerror(-ret));
		goto fail;
	}
	if (m->ageing)
		loop_timer_arm(port_loop(p), &m->ager,
			       loop_now(port_loop(p)) + age_tick_ns(m),
			       ager_fire);
	port_set_up(p);
	return 0;
fail:
	vx_close(p);
	return ret;
}

static void
vx_close(struct port *p)
{
	struct vxlan *m = vx_of(p);

	loop_timer_cancel(port_loop(p), &m->ager);
	if (p->lfd.fd >= 0) {
		int fd = p->lfd.fd;

		loop_del(port_loop(p), &p->lfd);
		close(fd);
	}
	for (unsigned int i = 0; i < VX_TX_SOCKS; i++) {
		int fd = m->tx[i].lfd.fd;

		if (fd < 0)
			continue;
		loop_del(port_loop(p), &m->tx[i].lfd);
		close(fd);
		m->tx[i].lfd.fd = -1;
	}
	p->tx_lfd = NULL;
	free(m->gso_buf);
	m->gso_buf = NULL;
	vtep_fini(&m->vteps);
	free(m->rx);
	m->rx = NULL;
}

/* --- control ------------------------------------------------------------- */

static void
format_vnis(const struct vxlan *m, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < m->n_vnis && off < len; i++) {
		int w = m->vnis[i].vlan
				? snprintf(buf + off, len - off, "%s%u:%u",
					   i ? "," : "", m->vnis[i].vni,
					   m->vnis[i].vlan)
				: snprintf(buf + off, len - off, "%u",
					   m->vnis[i].vni);

		off += w > 0 ? (size_t)w : 0;
	}
}

static void
format_addrs(const union vtep_addr *a, unsigned int n, char *buf,
	     size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && off + INET6_ADDRSTRLEN + 1 < len;
	     i++) {
		if (i)
			buf[off++] = ',';
		vtep_addr_format(&a[i], buf + off, len - off);
		off += strlen(buf + off);
	}
}

static void
vx_info(const struct port *p, json_t *o)
{
	const struct vxlan *m = vx_of(p);
	union vtep_addr seen[VX_VTEP_LIST_MAX];
	char text[VX_REMOTES_MAX * (INET6_ADDRSTRLEN + 1) + 1];
	unsigned int n;

	format_vnis(m, text, sizeof(text));
	json_object_set_new(o, "vni", json_string(text));
	vtep_addr_format(&m->local, text, sizeof(text));
	json_object_set_new(o, "local", json_string(text));
	json_object_set_new(o, "port", json_integer(m->port));
	format_addrs(m->remotes, m->group_mode ? 0 : m->n_remotes, text,
		     sizeof(text));
	json_object_set_new(o, "remotes", json_string(text));
	if (m->group_mode) {
		vtep_addr_format(&m->remotes[0], text, sizeof(text));
		json_object_set_new(o, "group", json_string(text));
		if (m->dev[0])
			json_object_set_new(o, "dev", json_string(m->dev));
	}
	json_object_set_new(o, "mtu", json_integer(m->mtu));
	json_object_set_new(o, "frame_max", json_integer(m->frame_max));
	json_object_set_new(o, "learning",
			    json_string(m->learning ? "on" : "off"));
	json_object_set_new(o, "ageing", json_integer(m->ageing));
	json_object_set_new(o, "vteps", json_integer(m->vteps.count));
	n = vtep_distinct(&m->vteps, seen, VX_VTEP_LIST_MAX);
	format_addrs(seen, n, text, sizeof(text));
	json_object_set_new(o, "vtep_list", json_string(text));
	text[0] = '\0';
	for (unsigned int i = 0, l = 0; i < VX_TX_SOCKS; i++)
		l += (unsigned int)snprintf(text + l, sizeof(text) - l, "%s%u",
					    i ? "," : "", m->tx[i].sport);
	json_object_set_new(o, "srcports", json_string(text));
	json_object_set_new(o, "sent", json_integer((json_int_t)m->sent));
}

/* vtep key of @mac in @vlan, or false if the port does not carry it. */
static bool
key_of(const struct vxlan *m, const uint8_t mac[6], uint16_t vlan,
       uint64_t *key)
{
	unsigned int vi = 0;

	if (m->vnis[0].vlan) {
		vi = vlan < 4096 ? m->vni_of_vlan[vlan] : 0;
		if (!vi)
			return false;
		vi--;
	}
	*key = vtep_key(eth_mac_to_u64(mac), (uint16_t)vi);
	return true;
}

static bool
vx_fdb_dst(const struct port *p, const uint8_t mac[6], uint16_t vlan,
	   char *buf, size_t len)
{
	const struct vxlan *m = vx_of(p);
	const struct vtep_entry *e;
	uint64_t key;

	if (!key_of(m, mac, vlan, &key) ||
	    !(e = vtep_lookup(&m->vteps, key)))
		return false;
	vtep_addr_format(&e->dst, buf, len);
	return true;
}

static int
vx_fdb_pin(struct port *p, const uint8_t mac[6], uint16_t vlan,
	   const char *dst, char *err)
{
	struct vxlan *m = vx_of(p);
	union vtep_addr a;
	uint64_t key;

	if (!key_of(m, mac, vlan, &key))
		return ERR_SET(err, -EINVAL,
			       "port %s carries no VNI for vlan %u", p->id,
			       vlan);
	if (parse_ip(dst, m->port, &a) || is_multicast(&a) ||
	    a.sa.sa_family != m->family)
		return ERR_SET(err, -EINVAL,
			       "dst '%s' is not a unicast address of the "
			       "port's family",
			       dst);
	set_port(m, &a);
	if (vtep_add_static(&m->vteps, key, &a, bridge_now_sec(&p->sw->br)))
		return ERR_SET(err, -ENOSPC, "port %s: its VTEP table is full",
			       p->id);
	return 0;
}

static void
vx_fdb_forget(struct port *p, const uint8_t *mac, uint16_t vlan)
{
	struct vxlan *m = vx_of(p);
	uint64_t key;

	if (!mac)
		vtep_flush(&m->vteps);
	else if (key_of(m, mac, vlan, &key))
		vtep_del(&m->vteps, key);
}

const struct port_ops vxlan_ops = {
	.kind = "vxlan",
	.own_mtu = true,
	.priv_size = sizeof(struct vxlan),
	.open = vx_open,
	.rx_burst = vx_rx_burst,
	.tx_burst = vx_tx_burst,
	.close = vx_close,
	.fail = port_fail_stay_up,
	.info = vx_info,
	.fdb_dst = vx_fdb_dst,
	.fdb_pin = vx_fdb_pin,
	.fdb_forget = vx_fdb_forget,
};
