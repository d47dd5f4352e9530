/* SPDX-License-Identifier: MIT */
/*
 * perf_packet.c - lanyard-perf's AF_PACKET endpoints, packet:IFNAME and
 * packet:IFNAME:mmap, for switches whose ports are kernel interfaces (the
 * Linux bridge, Open vSwitch): the peer sits on one end of a veth whose
 * other end is a switch port.
 *
 * Both kinds bind a SOCK_RAW socket to the interface, join it
 * promiscuously, skip the qdisc (PACKET_QDISC_BYPASS: the veth queue is
 * the only one) and never see their own frames (PACKET_IGNORE_OUTGOING,
 * and sll_pkttype PACKET_OUTGOING for kernels before 4.20).  A tx-only run
 * binds with protocol 0 and so receives nothing at all.
 *
 * The kernel takes the VLAN tag off a received frame before any packet
 * socket sees it (skb_vlan_untag() in __netif_receive_skb_core()) and
 * reports it apart: PACKET_AUXDATA for recvmsg, tp_vlan_tci in the ring.
 * Both kinds put it back before the ethertype, into headroom kept in front
 * of the frame, so the caller checks the frame exactly as it was sent.
 *
 * Plain: sendmmsg and recvmmsg of up to --batch frames, like dgram.
 *
 * mmap: one mapping holds a TPACKET_V3 RX ring and, after it, a TX ring
 * (PACKET_TX_RING, fixed slots in TPACKET_V3 layout).  The kernel fills an
 * RX block and hands it over (block_status TP_STATUS_USER) when it is full
 * or PKT_RX_TOV_MS after its first frame; recv walks it frame by frame and
 * gives it back after the last one.  send copies up to --batch frames into
 * free TX slots (TP_STATUS_AVAILABLE), marks them TP_STATUS_SEND_REQUEST
 * and kicks once with send(fd, NULL, 0, 0); a slot is free again once the
 * kernel has released the frame's skb, and a full ring waits in
 * poll(POLLOUT).  Slots and blocks are sized for the interface's MTU plus
 * header and tag, so 9000-byte frames fit.
 */
#include "lanyard-perf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "proto/vlan.h"

#define PKT_HEADROOM VLAN_TAG_LEN	/* where a stripped tag goes back */
#define PKT_RX_BLOCK (256 * 1024)	/* RX ring: block size, at least */
#define PKT_RX_BLOCKS 32
#define PKT_RX_TOV_MS 1			/* hand a partial block over after */
#define PKT_TX_BLOCK (64 * 1024)	/* TX ring: block size, at least */
#define PKT_TX_SLOTS 512		/* TX ring: frame slots, about */
#define PKT_TX_STUCK_MS 2000		/* a TX slot busy this long: fail */
/* Where a TX slot's frame starts (no PACKET_TX_HAS_OFF). */
#define PKT_TX_DATA TPACKET_ALIGN(sizeof(struct tpacket3_hdr))

struct pkt_ep {
	size_t frame_max;	/* largest frame sent or received, with tag */
	uint64_t drops;		/* PACKET_STATISTICS so far (reading resets) */
	bool v3;		/* statistics come as tpacket_stats_v3 */
	/* plain */
	uint8_t *bufs[LP_BATCH_MAX];	/* PKT_HEADROOM + LP_FRAME_MAX each */
	struct iovec iovs[LP_BATCH_MAX];
	struct mmsghdr msgs[LP_BATCH_MAX];
	struct sockaddr_ll froms[LP_BATCH_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cmsgs[LP_BATCH_MAX];
	/* mmap */
	uint8_t *map;
	size_t map_len;
	uint8_t *rx_ring;	/* NULL: no RX ring (tx-only) */
	size_t rx_block_len;
	unsigned int rx_blocks, rx_block;	/* count, current */
	struct tpacket3_hdr *rx_pkt;	/* next frame in the current block */
	uint32_t rx_left;		/* frames left in it; 0: none open */
	uint8_t *scratch;		/* for a tag without headroom */
	uint8_t *tx_ring;
	size_t tx_slot_len, tx_block_len;	/* slots never span blocks */
	unsigned int tx_slots, tx_per_block, tx_next;
};

static size_t
pow2_at_least(size_t v, size_t min)
{
	size_t p = min;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * Put a tag the kernel took off back in front of the ethertype.  'f' has
 * PKT_HEADROOM writable bytes before it.  Returns the frame's new start.
 */
static uint8_t *
tag_restore(uint8_t *f, size_t *len, uint16_t tpid, uint16_t tci)
{
	uint8_t *t = f - VLAN_TAG_LEN;

	if (*len < 2 * ETH_ALEN)
		return f;
	memmove(t, f, 2 * ETH_ALEN);
	t[12] = (uint8_t)(tpid >> 8);
	t[13] = (uint8_t)tpid;
	t[14] = (uint8_t)(tci >> 8);
	t[15] = (uint8_t)tci;
	*len += VLAN_TAG_LEN;
	return t;
}

static uint16_t
aux_tpid(uint32_t status, uint16_t tpid)
{
	return status & TP_STATUS_VLAN_TPID_VALID ? tpid : ETH_P_8021Q;
}

static void
pkt_close(struct lp_ep *ep)
{
	struct pkt_ep *p = ep->priv;

	if (ep->fd != -1)
		close(ep->fd);	/* also leaves the promiscuous membership */
	ep->fd = -1;
	if (!p)
		return;
	if (p->map)
		munmap(p->map, p->map_len);
	for (unsigned int i = 0; i < LP_BATCH_MAX; i++)
		free(p->bufs[i]);
	free(p->scratch);
	free(p);
	ep->priv = NULL;
}

static int
sol_packet(int fd, int opt, int val, const char *name, char *err)
{
	if (setsockopt(fd, SOL_PACKET, opt, &val, sizeof(val)) == -1)
		return ERR_SET(err, -errno, "packet: %s: %s", name,
			       strerror(errno));
	return 0;
}

/* The MTU, checked against --size; sets p->frame_max. */
static int
pkt_check_mtu(int fd, const struct lp_cfg *c, struct pkt_ep *p, char *err)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, c->ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == -1)
		return ERR_SET(err, -errno, "packet: %s: MTU: %s", c->ifname,
			       strerror(errno));
	if (c->size > (unsigned int)ifr.ifr_mtu + ETH_HLEN)
		return ERR_SET(err, -EMSGSIZE, "packet: %s: --size %u is above "
			       "its MTU %d + %d (ip link set %s mtu ...)",
			       c->ifname, c->size, ifr.ifr_mtu, ETH_HLEN,
			       c->ifname);
	/* Echo sends back whatever arrives: room for the MTU, and a tag. */
	p->frame_max = MAX(c->size, (unsigned int)ifr.ifr_mtu + ETH_HLEN);
	p->frame_max = MIN(p->frame_max + VLAN_TAG_LEN, (size_t)LP_FRAME_MAX);
	return 0;
}

/*
 * The rings: RX (when the mode receives) then TX, in one mapping.  TX
 * slots hold PKT_TX_DATA + frame_max; an RX block holds at least one frame
 * of that size with its headers.
 */
static int
pkt_rings(int fd, struct pkt_ep *p, bool rx, char *err)
{
	struct tpacket_req3 rq = { 0 }, tq = { 0 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE), tx_block;
	int rc;

	rc = sol_packet(fd, PACKET_VERSION, TPACKET_V3, "TPACKET_V3", err);
	if (!rc) /* skip a bad TX frame instead of stopping the ring */
		rc = sol_packet(fd, PACKET_LOSS, 1, "PACKET_LOSS", err);
	if (rc)
		return rc;
	p->v3 = true;
	if (rx) {
		p->rx_block_len = pow2_at_least(p->frame_max + 256, PKT_RX_BLOCK);
		p->rx_blocks = PKT_RX_BLOCKS;
		rq = (struct tpacket_req3){
			.tp_block_size = (unsigned int)p->rx_block_len,
			.tp_block_nr = p->rx_blocks,
			.tp_frame_size = (unsigned int)p->rx_block_len,
			.tp_frame_nr = p->rx_blocks,
			.tp_retire_blk_tov = PKT_RX_TOV_MS,
		};
		if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &rq,
			       sizeof(rq)) == -1)
			return ERR_SET(err, -errno, "packet: RX ring: %s",
				       strerror(errno));
	}
	p->tx_slot_len = TPACKET_ALIGN(PKT_TX_DATA + p->frame_max);
	tx_block = pow2_at_least(p->tx_slot_len, MAX(PKT_TX_BLOCK, page));
	tq.tp_block_size = (unsigned int)tx_block;
	tq.tp_frame_size = (unsigned int)p->tx_slot_len;
	tq.tp_block_nr = (unsigned int)((PKT_TX_SLOTS * p->tx_slot_len +
					 tx_block - 1) / tx_block);
	tq.tp_frame_nr = tq.tp_block_nr *
			 (unsigned int)(tx_block / p->tx_slot_len);
	p->tx_slots = tq.tp_frame_nr;
	p->tx_block_len = tx_block;
	p->tx_per_block = (unsigned int)(tx_block / p->tx_slot_len);
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &tq, sizeof(tq)) == -1)
		return ERR_SET(err, -errno, "packet: TX ring: %s",
			       strerror(errno));
	p->map_len = (size_t)rq.tp_block_size * rq.tp_block_nr +
		     (size_t)tq.tp_block_size * tq.tp_block_nr;
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, fd, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		return ERR_SET(err, -errno, "packet: mmap rings: %s",
			       strerror(errno));
	}
	p->rx_ring = rx ? p->map : NULL;
	p->tx_ring = p->map + (size_t)rq.tp_block_size * rq.tp_block_nr;
	p->scratch = malloc(PKT_HEADROOM + p->frame_max);
	if (!p->scratch)
		return ERR_SET(err, -ENOMEM, "out of memory");
	return 0;
}

/* Buffers and control space for recvmmsg, with headroom for a tag. */
static int
pkt_bufs(struct pkt_ep *p, unsigned int batch, char *err)
{
	for (unsigned int i = 0; i < batch; i++) {
		p->bufs[i] = malloc(PKT_HEADROOM + LP_FRAME_MAX);
		if (!p->bufs[i])
			return ERR_SET(err, -ENOMEM, "out of memory");
		p->iovs[i] = (struct iovec){ p->bufs[i] + PKT_HEADROOM,
					     LP_FRAME_MAX };
	}
	return 0;
}

static int
pkt_open(struct lp_ep *ep, const struct lp_cfg *c, char *err)
{
	bool rx = c->mode != LP_TX || (c->linger_set && c->linger > 0);
	bool mmap_rings = c->mmap;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	struct pkt_ep *p = calloc(1, sizeof(*p));
	int rc;

	*ep = (struct lp_ep){ .ops = c->ops, .fd = -1, .priv = p };
	if (!p)
		return ERR_SET(err, -ENOMEM, "out of memory");
	ep->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (ep->fd == -1) {
		rc = ERR_SET(err, -errno, "packet: socket: %s%s",
			     strerror(errno),
			     errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		goto err_close;
	}
	sll.sll_ifindex = (int)if_nametoindex(c->ifname);
	if (!sll.sll_ifindex) {
		rc = ERR_SET(err, -errno, "packet: interface %s: %s",
			     c->ifname, strerror(errno));
		goto err_close;
	}
	rc = pkt_check_mtu(ep->fd, c, p, err);
	if (!rc)
		rc = sol_packet(ep->fd, PACKET_QDISC_BYPASS, 1,
				"PACKET_QDISC_BYPASS", err);
#ifdef PACKET_IGNORE_OUTGOING
	/* Before 4.20 ENOPROTOOPT: the sll_pkttype test then does it. */
	setsockopt(ep->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &(int){ 1 },
		   sizeof(int));
#endif
	if (!rc && !mmap_rings)
		rc = sol_packet(ep->fd, PACKET_AUXDATA, 1, "PACKET_AUXDATA",
				err);
	if (!rc)
		rc = mmap_rings ? pkt_rings(ep->fd, p, rx, err)
				: pkt_bufs(p, c->batch, err);
	if (rc)
		goto err_close;
	lp_sock_bufs(ep->fd, 4 << 20, p->frame_max, true);
	mr.mr_ifindex = sll.sll_ifindex;
	if (rx && setsockopt(ep->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
			     sizeof(mr)) == -1) {
		rc = ERR_SET(err, -errno, "packet: %s: promiscuous: %s",
			     c->ifname, strerror(errno));
		goto err_close;
	}
	sll.sll_protocol = rx ? htons(ETH_P_ALL) : 0;
	if (bind(ep->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		rc = ERR_SET(err, -errno, "packet: bind %s: %s", c->ifname,
			     strerror(errno));
		goto err_close;
	}
	return 0;
err_close:
	pkt_close(ep);
	return rc;
}

/* --- plain ---------------------------------------------------------------- */

static int
pkt_send(struct lp_ep *ep, uint8_t *const *frames, const size_t *lens,
	 unsigned int n, struct lp_sent *out)
{
	struct iovec iov[LP_BATCH_MAX];
	struct mmsghdr msgs[LP_BATCH_MAX];
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ frames[i], lens[i] };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
							 .msg_iovlen = 1 } };
	}
	while (done < n) {
		int r = sendmmsg(ep->fd, msgs + done, n - done, 0);

		if (r == -1 && lp_stop) {
			out->errors += n - done;
			return 0;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == ENOBUFS || errno == EAGAIN)) {
			usleep(50);	/* the device queue is full */
			continue;
		}
		if (r == -1)
			return -1;
		for (int i = 0; i < r; i++)
			out->bytes += lens[done + (unsigned int)i];
		out->frames += (unsigned int)r;
		done += (unsigned int)r;
	}
	return 0;
}

/* The frame of message i, with a stripped tag put back. */
static uint8_t *
pkt_frame(struct pkt_ep *p, unsigned int i, size_t *len)
{
	struct msghdr *mh = &p->msgs[i].msg_hdr;
	uint8_t *f = p->bufs[i] + PKT_HEADROOM;

	*len = MIN(p->msgs[i].msg_len, (unsigned int)LP_FRAME_MAX);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		struct tpacket_auxdata aux;

		if (cm->cmsg_level != SOL_PACKET ||
		    cm->cmsg_type != PACKET_AUXDATA ||
		    cm->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
		if (aux.tp_status & TP_STATUS_VLAN_VALID)
			f = tag_restore(f, len,
					aux_tpid(aux.tp_status, aux.tp_vlan_tpid),
					aux.tp_vlan_tci);
	}
	return f;
}

static int
pkt_recv(struct lp_ep *ep, unsigned int max, int timeout_ms, lp_frame_fn *fn,
	 void *ctx)
{
	struct pkt_ep *p = ep->priv;
	struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };
	int rc, n = 0;

	rc = poll(&pfd, 1, timeout_ms);
	if (rc <= 0)
		return rc == -1 && errno != EINTR ? -1 : 0;
	for (unsigned int i = 0; i < max; i++)
		p->msgs[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &p->froms[i],
			.msg_namelen = sizeof(p->froms[i]),
			.msg_iov = &p->iovs[i], .msg_iovlen = 1,
			.msg_control = p->cmsgs[i].b,
			.msg_controllen = sizeof(p->cmsgs[i].b) } };
	rc = recvmmsg(ep->fd, p->msgs, max, MSG_DONTWAIT, NULL);
	if (rc == -1)	/* ENETDOWN when the interface goes: gone */
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	for (int i = 0; i < rc; i++) {
		size_t len;
		uint8_t *f;

		if (p->froms[i].sll_pkttype == PACKET_OUTGOING)
			continue;
		f = pkt_frame(p, (unsigned int)i, &len);
		fn(ctx, f, len);
		n++;
	}
	return n;
}

static uint64_t
pkt_rx_drops(struct lp_ep *ep)
{
	struct pkt_ep *p = ep->priv;
	struct tpacket_stats_v3 s = { 0 };
	socklen_t len = p->v3 ? sizeof(s) : sizeof(struct tpacket_stats);

	if (getsockopt(ep->fd, SOL_PACKET, PACKET_STATISTICS, &s, &len) == 0)
		p->drops += s.tp_drops;
	return p->drops;
}

const struct lp_ep_ops lp_packet_ops = {
	.open = pkt_open,
	.send = pkt_send,
	.recv = pkt_recv,
	.rx_drops = pkt_rx_drops,
	.close = pkt_close,
};

/* --- mmap ----------------------------------------------------------------- */

/* Slot i, where the kernel looks for it (packet_lookup_frame()). */
static struct tpacket3_hdr *
tx_slot(struct pkt_ep *p, unsigned int i)
{
	size_t off = (size_t)(i / p->tx_per_block) * p->tx_block_len +
		     (size_t)(i % p->tx_per_block) * p->tx_slot_len;

	return (struct tpacket3_hdr *)(void *)(p->tx_ring + off);
}

static bool
tx_slot_free(const struct tpacket3_hdr *h)
{
	uint32_t s = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

	return s == TP_STATUS_AVAILABLE || (s & TP_STATUS_WRONG_FORMAT);
}

/* Have the kernel send every slot marked TP_STATUS_SEND_REQUEST. */
static int
mmap_kick(struct lp_ep *ep)
{
	while (send(ep->fd, NULL, 0, 0) == -1) {
		if (lp_stop)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == ENOBUFS || errno == EAGAIN) {
			usleep(50);	/* the device queue is full */
			continue;
		}
		return -1;
	}
	return 0;
}

/*
 * Wait until slot h is free: 0, 1 when stopped, -1 when the endpoint
 * failed or the kernel kept the slot for PKT_TX_STUCK_MS (ETIMEDOUT).
 */
static int
mmap_wait_slot(struct lp_ep *ep, const struct tpacket3_hdr *h)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!tx_slot_free(h)) {
		struct pollfd pfd = { .fd = ep->fd, .events = POLLOUT };
		int rc;

		if (lp_stop)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
			    (t.tv_nsec - t0.tv_nsec) / 1000000 >=
		    PKT_TX_STUCK_MS) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (mmap_kick(ep) != 0)
			return -1;
		/* POLLOUT follows the kernel's slot, which may be ahead. */
		rc = poll(&pfd, 1, 1);
		if (rc == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

static int
mmap_send(struct lp_ep *ep, uint8_t *const *frames, const size_t *lens,
	  unsigned int n, struct lp_sent *out)
{
	struct pkt_ep *p = ep->priv;

	for (unsigned int i = 0; i < n; i++) {
		struct tpacket3_hdr *h = tx_slot(p, p->tx_next);
		int rc;

		if (lens[i] > p->tx_slot_len - PKT_TX_DATA) {
			out->errors++;
			continue;
		}
		rc = mmap_wait_slot(ep, h);
		if (rc == 1) {
			out->errors += n - i;
			break;
		}
		if (rc)
			return -1;
		memcpy((uint8_t *)h + PKT_TX_DATA, frames[i], lens[i]);
		h->tp_len = (uint32_t)lens[i];
		h->tp_next_offset = 0;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
				 __ATOMIC_RELEASE);
		p->tx_next = (p->tx_next + 1) % p->tx_slots;
		out->frames++;
		out->bytes += lens[i];
	}
	return mmap_kick(ep);
}

static struct tpacket_block_desc *
rx_block(struct pkt_ep *p)
{
	return (struct tpacket_block_desc *)(void *)(p->rx_ring +
						     p->rx_block *
							     p->rx_block_len);
}

/* Open the next block if the kernel handed it over; false if not. */
static bool
rx_block_open(struct pkt_ep *p)
{
	struct tpacket_block_desc *b = rx_block(p);

	if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	      TP_STATUS_USER))
		return false;
	p->rx_left = b->hdr.bh1.num_pkts;
	p->rx_pkt = (struct tpacket3_hdr *)(void *)((uint8_t *)b +
					b->hdr.bh1.offset_to_first_pkt);
	return true;
}

static void
rx_block_release(struct pkt_ep *p)
{
	__atomic_store_n(&rx_block(p)->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
	p->rx_block = (p->rx_block + 1) % p->rx_blocks;
	p->rx_left = 0;
}

/* Hand frame h to fn, tag put back; false for our own outgoing frame. */
static bool
rx_deliver(struct pkt_ep *p, struct tpacket3_hdr *h, lp_frame_fn *fn,
	   void *ctx)
{
	size_t sll_end = PKT_TX_DATA + sizeof(struct sockaddr_ll);
	const struct sockaddr_ll *sll =
		(const void *)((uint8_t *)h + PKT_TX_DATA);
	uint8_t *f = (uint8_t *)h + h->tp_mac;
	size_t len = MIN(h->tp_snaplen, p->frame_max);

	if (sll->sll_pkttype == PACKET_OUTGOING)
		return false;
	if (h->tp_status & TP_STATUS_VLAN_VALID) {
		if (h->tp_mac < sll_end + PKT_HEADROOM) {
			memcpy(p->scratch + PKT_HEADROOM, f, len);
			f = p->scratch + PKT_HEADROOM;
		}
		f = tag_restore(f, &len,
				aux_tpid(h->tp_status, h->hv1.tp_vlan_tpid),
				(uint16_t)h->hv1.tp_vlan_tci);
	}
	fn(ctx, f, len);
	return true;
}

static int
mmap_recv(struct lp_ep *ep, unsigned int max, int timeout_ms,
	  lp_frame_fn *fn, void *ctx)
{
	struct pkt_ep *p = ep->priv;
	int n = 0;

	if (!p->rx_ring)
		return 0;
	if (!p->rx_left && !rx_block_open(p)) {
		struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, timeout_ms);

		if (rc <= 0)
			return rc == -1 && errno != EINTR ? -1 : 0;
		if (pfd.revents & POLLERR)	/* ENETDOWN: the link went */
			return -1;
		if (!rx_block_open(p))
			return 0;
	}
	while ((unsigned int)n < max) {
		struct tpacket3_hdr *h = p->rx_pkt;

		if (!p->rx_left) {
			/* An empty block: the timer handed it over. */
			rx_block_release(p);
			if (!rx_block_open(p))
				break;
			continue;
		}
		p->rx_pkt = (struct tpacket3_hdr *)(void *)((uint8_t *)h +
							    h->tp_next_offset);
		if (rx_deliver(p, h, fn, ctx))
			n++;
		if (--p->rx_left == 0) {
			rx_block_release(p);
			if (!rx_block_open(p))
				break;
		}
	}
	return n;
}

const struct lp_ep_ops lp_packet_mmap_ops = {
	.open = pkt_open,
	.send = mmap_send,
	.recv = mmap_recv,
	.rx_drops = pkt_rx_drops,
	.close = pkt_close,
};
