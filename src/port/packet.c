/* SPDX-License-Identifier: MIT */
/*
 * packet.c - the "packet" port kind: an existing interface (one end of a
 * veth pair, a NIC) through an AF_PACKET socket bound to it.  What the
 * interface receives is forwarded into the switch; what the switch sends
 * to the port goes out of the interface.
 *
 * Theory of operation
 *
 * One SOCK_RAW socket, bound to the interface's index with ETH_P_ALL, joins
 * it promiscuously (PACKET_MR_PROMISC, unless promisc=off; closing the
 * socket leaves) and never sees frames the host itself sends out of it
 * (PACKET_IGNORE_OUTGOING; its own sends it never sees anyway).  Sends
 * skip the qdisc (PACKET_QDISC_BYPASS): the device queue is the only one.
 *
 * virtio_net_hdr (PACKET_VNET_HDR), always.  The kernel hands a packet
 * socket its skbs as they are: TCP super-frames up to 64 KiB, partial
 * checksums.  Without the header a receiver cannot tell, and would forward
 * frames with wrong checksums.  With it, each frame comes with its offload
 * state, read by vnet_hdr_parse() into pkt->off; on send the same header
 * (vnet_hdr_write()) asks the kernel to finish the checksum and segment.
 * TP_STATUS_CSUMNOTREADY in the ring says the same as NEEDS_CSUM in the
 * header (both mean CHECKSUM_PARTIAL); a frame claiming one without the
 * other is dropped (bad-vnet-hdr), so a partial checksum is never lost.
 * The kernel writes the header for receive with the VLAN tag taken out of
 * the frame (below), so its offsets move by 4 when the tag goes back in.
 *
 * Offloads: with offload=on (default) the port takes what a packet
 * socket's virtio_net_hdr_to_skb() takes on send: partial checksums, TSO
 * (v4, v6, ECN), UFO and USO (v4, v6; VIRTIO_NET_HDR_GSO_UDP_L4, 6.2 and
 * later); the device segments, or the kernel's software GSO does it for a
 * device that cannot.  With offload=off, p->offloads is 0: port_xmit()
 * finishes checksums and cuts super-frames in software before tx_burst,
 * and the header sent is all zero.  Either way super-frames are received
 * and forwarded as they are; ports that cannot take them get segments.
 *
 * Receive: a TPACKET_V3 ring of blocks.  The kernel fills a block with
 * frames and hands it over (TP_STATUS_USER) when it is full or
 * PACKET_RX_TOV_MS after it opened it, and only then is the socket
 * readable: EPOLLIN means "a block is ours".  The timeout is the latency
 * a lone frame (a ping) waits for its block; 1 ms, the smallest the
 * kernel takes, keeps it under a millisecond while a busy port still hands
 * over full blocks.  (It also holds back a TCP flow's ACKs: one flow
 * through two packet ports is bound by that delay, several are not.)
 * Blocks are read in ring order.  rx_burst copies each frame into a pool
 * buffer, puts a VLAN tag the kernel took off (skb_vlan_untag(), reported
 * in tp_vlan_tci) back in front of the ethertype, and gives the block back
 * after its last frame; a partly read block is resumed on the next call.
 * A frame the ring got cut (tp_snaplen < tp_len) or longer than
 * --frame-max is dropped (oversize); when the pool is empty, frames are
 * consumed and dropped (no-buffer), so the block goes back to the kernel.
 * Frames the kernel could not put in the ring (ring full, or a GSO type
 * virtio_net_hdr cannot describe) are its drops, shown by "info" as
 * rx_ring_drops.  At most PACKET_RX_BURSTS_PER_ITER bursts are read per
 * loop iteration; epoll is level-triggered, so the rest waits its turn.
 *
 * Send: a TX ring (PACKET_TX_RING, TPACKET_V3 slots of one frame each,
 * sized for --frame-max plus the header).  tx_burst copies frames into free
 * slots (TP_STATUS_AVAILABLE), marks them TP_STATUS_SEND_REQUEST and kicks
 * the kernel once per burst with send(MSG_DONTWAIT).  The kernel takes
 * slots in ring order from its own head; a slot is free again when the
 * kernel releases the frame's skb (veth: as soon as the peer's stack
 * takes it; a NIC: at TX completion).  Frames are copied (skb_copy_ubufs)
 * if a veth or a local receiver would keep them, so a freed slot can be
 * rewritten at once: checked by a probe, see below.
 *
 * Writability.  The kernel's poll says EPOLLOUT when the socket's send
 * buffer is less than half used (sock_writeable(): in-flight skbs count
 * frame bytes plus ~800 bytes of skb) or when the slot at its head is
 * AVAILABLE; but it only wakes a waiter when an skb is freed *and* the
 * buffer is below half.  So a port that waits on a ring slot must also be
 * below that threshold, or epoll reports EPOLLOUT while nothing can be
 * sent (a spin).  Two rules keep EPOLLOUT meaning "progress possible":
 *   - SO_SNDBUF is sized so that a full ring is always more than half the
 *     buffer (slots x PACKET_TX_TRUESIZE_MIN): a full ring is not
 *     writable, and EPOLLOUT comes once half the bytes in flight are back.
 *   - A frame the kernel did not take because the buffer is full (EAGAIN)
 *     stays in its slot, marked SEND_REQUEST, at the kernel's head: the
 *     ring then reports nothing, and the buffer's wakeup (below half)
 *     re-kicks it.  That frame is "partly written" in port.h's sense: not
 *     counted, first next time.  Frames after it in the burst are given
 *     back (their slots AVAILABLE again: the kernel only reads slots
 *     during send()).
 * The kernel also leaves a frame the device dropped (ENOBUFS: its queue is
 * full, or it has no carrier; with qdisc bypass nothing queues) marked
 * SEND_REQUEST, to be retried.  Holding it would poll as long as the link
 * has no carrier, so it is dropped instead, as qdisc bypass means:
 * backlog-full, or link-down with the rest of the burst when the link has
 * no carrier.  A frame the kernel rejects (a header it will not take) gets
 * TP_STATUS_WRONG_FORMAT and stops the kernel there: dropped, bad-offload.
 * (PACKET_LOSS would skip it silently and leave nothing to count.)  Its
 * slot, the kernel's head, is written again next, and the frames after it
 * are given back.  What is left: slots released out of order wait for the
 * oldest.
 *
 * Interface state: the port is up whether the interface is or not (frames
 * flow once it is).  Down (ENETDOWN) or without carrier, frames for it are
 * dropped (link-down).  Going down also raises the socket's error, which
 * rx_burst reads (clearing EPOLLERR) and logs, rate-limited.  If the
 * interface is deleted, the port is removed.
 *
 * Memory: about PACKET_RING_BUDGET per port, half for each ring, mapped
 * once at open.  Nothing is allocated per frame; nothing is logged per
 * frame.  rx_pausable is false: the kernel drops when the ring is full,
 * the peer cannot be slowed down.
 *
 * Kernel facts this relies on (checked on 6.18 with probes): PACKET_VNET_HDR
 * works with the V3 RX ring (header just before tp_mac) and with the TX
 * ring (tpacket_snd(): header at the slot's data, tp_len includes it, no
 * MTU limit when it is set); both must be set before the rings exist.
 * A TX slot's data starts at TPACKET_ALIGN(sizeof(struct tpacket3_hdr)).
 * A slot is released when its skb is orphaned, but the skb carries the
 * slot's pages marked zero-copy, so a veth or local receiver copies them
 * first (a probe rewrote released slots: the receiver saw the old bytes).
 * A rejected frame leaves the kernel's head on its WRONG_FORMAT slot, and
 * writing that slot again resumes sending.  A device drop (NET_XMIT_DROP)
 * re-marks the slot SEND_REQUEST and send() says ENOBUFS.  veth releases
 * slots within send() itself, so its ring never fills.  A lone frame's
 * block is handed over within 1 ms (ping 0.6-1.9 ms through two ports).
 * A TX slot's frame is mapped page by page into skb frags, at most
 * MAX_SKB_FRAGS (17), or the kernel rejects it and logs: slots are whole
 * pages so 64 KiB + headers fit, and a longer frame (--frame-max above
 * about 69500) is not offered to it but dropped (bad-offload).
 */
#include "port/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "proto/vlan.h"
#include "proto/vnet.h"

#define PACKET_RING_BUDGET (16u << 20)	/* both rings, bytes, about */
#define PACKET_RX_BLOCK_MIN (256u << 10)
#define PACKET_RX_SLACK 512	/* block and frame headers, alignment */
#define PACKET_RX_TOV_MS 1	/* hand a block over this long after */
#define PACKET_RX_BURSTS_PER_ITER 8
#define PACKET_TX_SLOTS_PER_BLOCK 8	/* at least; blocks are powers of 2 */
#define PACKET_TX_SLOTS_MAX 1024
/* An in-flight frame costs at least this in the send buffer besides its
 * bytes (skb and its small head, ~820 measured on 6.18): kept low so a
 * full ring is always more than half the buffer. */
#define PACKET_TX_TRUESIZE_MIN 768
/* A TX slot's frame goes to the skb page by page, as at most this many
 * frags (MAX_SKB_FRAGS, the kernel's default build). */
#define PACKET_SKB_FRAGS 17
/* Where a frame (here: its vnet header) starts in a TX slot. */
#define PACKET_TX_DATA TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
/* Where the kernel puts the sockaddr_ll of a received frame. */
#define PACKET_RX_SLL TPACKET_ALIGN(sizeof(struct tpacket3_hdr))

struct packet {
	char ifname[IF_NAMESIZE];
	unsigned int ifindex;
	bool promisc;
	bool offload;
	uint8_t *map;			/* RX ring, then TX ring */
	size_t map_len;
	/* receive */
	uint8_t *rx_ring;
	size_t rx_block_len;
	unsigned int rx_blocks;
	unsigned int rx_block;		/* the block read next */
	bool rx_open;			/* rx_block is ours */
	uint8_t *rx_frame;		/* next frame in it */
	uint32_t rx_left;		/* frames left in it */
	uint64_t rx_ring_drops;		/* PACKET_STATISTICS, summed */
	/* send */
	uint8_t *tx_ring;
	size_t tx_slot_len, tx_block_len;
	uint32_t tx_len_max;		/* longest frame the kernel takes */
	unsigned int tx_slots, tx_per_block;
	unsigned int tx_next;		/* slot written next */
	struct pkt *tx_held;		/* in its slot, not taken yet */
	unsigned int tx_held_slot;
	int sndbuf;
};

/* --- receive -------------------------------------------------------------- */

static struct tpacket_block_desc *
rx_block_desc(const struct packet *s)
{
	return (struct tpacket_block_desc *)(void *)(s->rx_ring +
						     (size_t)s->rx_block *
							     s->rx_block_len);
}

/* Take the next block if the kernel handed it over. */
static bool
rx_block_open(struct packet *s)
{
	struct tpacket_block_desc *b = rx_block_desc(s);
	uint32_t first;

	if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	      TP_STATUS_USER))
		return false;
	first = b->hdr.bh1.offset_to_first_pkt;
	s->rx_open = true;
	s->rx_left = first < s->rx_block_len ? b->hdr.bh1.num_pkts : 0;
	s->rx_frame = (uint8_t *)b + first;
	return true;
}

static void
rx_block_release(struct packet *s)
{
	__atomic_store_n(&rx_block_desc(s)->hdr.bh1.block_status,
			 TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	s->rx_block = (s->rx_block + 1) % s->rx_blocks;
	s->rx_open = false;
	s->rx_left = 0;
}

/*
 * The next frame of the ring, or NULL when no block is ready.  The ring is
 * written by the kernel; its offsets are still checked against the block,
 * and a block that contradicts itself is given back whole.
 */
static struct tpacket3_hdr *
rx_next(struct packet *s)
{
	for (;;) {
		uint8_t *block, *f;
		struct tpacket3_hdr *h;

		if (!s->rx_open && !rx_block_open(s))
			return NULL;
		if (!s->rx_left) {
			rx_block_release(s);	/* done, or empty (timeout) */
			continue;
		}
		block = (uint8_t *)rx_block_desc(s);
		f = s->rx_frame;
		h = (struct tpacket3_hdr *)(void *)f;
		if ((size_t)(f - block) + sizeof(*h) > s->rx_block_len ||
		    (size_t)(f - block) + h->tp_mac + h->tp_snaplen >
			    s->rx_block_len ||
		    h->tp_mac < PACKET_RX_SLL + VNET_HDR_LEN) {
			rx_block_release(s);
			continue;
		}
		s->rx_frame = f + h->tp_next_offset;
		s->rx_left--;
		return h;
	}
}

/* Copy @len bytes of frame @f into @pkt with the tag in @h put back. */
static void
rx_copy_tagged(struct pkt *pkt, const uint8_t *f, uint32_t len,
	       const struct tpacket3_hdr *h)
{
	uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID)
				? h->hv1.tp_vlan_tpid
				: VLAN_TPID_8021Q;
	uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;

	memcpy(pkt->data, f, 2 * ETH_ALEN);
	vlan_tag_write(pkt->data + 2 * ETH_ALEN, tpid, tci & 0xfff,
		       (uint8_t)(tci >> 13), tci & 0x1000);
	memcpy(pkt->data + 2 * ETH_ALEN + VLAN_TAG_LEN, f + 2 * ETH_ALEN,
	       len - 2 * ETH_ALEN);
	pkt_off_shift(&pkt->off, VLAN_TAG_LEN);
}

/*
 * Ring frame @h into @pkt, offload state from its virtio_net_hdr.  False,
 * with the drop counted and @pkt untouched but its offload state, if it
 * cannot be forwarded.
 */
static bool
rx_frame(struct port *p, const struct tpacket3_hdr *h, struct pkt *pkt)
{
	const uint8_t *f = (const uint8_t *)h + h->tp_mac;
	uint32_t len = h->tp_len, status = h->tp_status;
	bool tagged = (status & TP_STATUS_VLAN_VALID) && len >= 2 * ETH_ALEN;
	uint32_t out_len = len + (tagged ? VLAN_TAG_LEN : 0);
	const char *why;

	if (h->tp_snaplen < len || out_len > p->sw->frame_max) {
		port_count_rx_drop(p, PORT_DROP_OVERSIZE, len);
		return false;
	}
	if (vnet_hdr_parse(f - VNET_HDR_LEN, len, &pkt->off, &why) ||
	    ((status & TP_STATUS_CSUMNOTREADY) &&
	     !(pkt->off.flags & VNET_HDR_F_NEEDS_CSUM))) {
		port_count_rx_drop(p, PORT_DROP_BAD_VNET, len);
		return false;
	}
	if (tagged)
		rx_copy_tagged(pkt, f, len, h);
	else
		memcpy(pkt->data, f, len);
	pkt->len = out_len;
	pkt->in = p;
	return true;
}

/*
 * No block ready on a call that found nothing: a spurious wakeup, or the
 * socket's error (ENETDOWN) raised EPOLLERR.  Reading SO_ERROR clears it,
 * so a level-triggered EPOLLERR does not spin.
 */
static int
rx_idle(struct port *p)
{
	int e = 0;
	socklen_t el = sizeof(e);

	if (getsockopt(p->lfd.fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1 || !e)
		return 0;
	return -e;
}

static int
packet_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct packet *s = port_priv(p);
	unsigned int n = 0, k;
	struct tpacket3_hdr *h;

	if (!port_rx_budget(p, PACKET_RX_BURSTS_PER_ITER))
		return 0;
	k = pkt_alloc_burst(&p->sw->pool, pkts, max);
	/* At most 'max' frames per call, forwarded or dropped. */
	for (unsigned int seen = 0; seen < max && (h = rx_next(s)); seen++) {
		if (n == k)
			port_count_rx_drop(p, PORT_DROP_NO_BUFFER, h->tp_len);
		else if (rx_frame(p, h, pkts[n]))
			n++;
		if (!s->rx_left)
			rx_block_release(s);
	}
	for (unsigned int i = n; i < k; i++)
		pkt_put(pkts[i]);
	return n == 0 && !s->rx_open ? rx_idle(p) : (int)n;
}

/* --- send ----------------------------------------------------------------- */

/* "up", "down", "no-carrier", or "gone": control path, and send errors. */
static const char *
link_state(int fd, const struct packet *s)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname(s->ifindex, ifr.ifr_name))
		return "gone";
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		return "gone";
	if (!(ifr.ifr_flags & IFF_UP))
		return "down";
	return ifr.ifr_flags & IFF_RUNNING ? "up" : "no-carrier";
}

static struct tpacket3_hdr *
tx_slot(const struct packet *s, unsigned int i)
{
	size_t off = (size_t)(i / s->tx_per_block) * s->tx_block_len +
		     (size_t)(i % s->tx_per_block) * s->tx_slot_len;

	return (struct tpacket3_hdr *)(void *)(s->tx_ring + off);
}

static uint32_t
tx_status(const struct packet *s, unsigned int i)
{
	return __atomic_load_n(&tx_slot(s, i)->tp_status, __ATOMIC_ACQUIRE);
}

/* Not the kernel's: never sent, sent and released, or rejected. */
static bool
tx_free(uint32_t status)
{
	return !(status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING));
}

static void
tx_set_status(struct packet *s, unsigned int i, uint32_t status)
{
	__atomic_store_n(&tx_slot(s, i)->tp_status, status, __ATOMIC_RELEASE);
}

static unsigned int
tx_index(const struct packet *s, unsigned int first, unsigned int i)
{
	return (first + i) % s->tx_slots;
}

static void
tx_fill(struct packet *s, unsigned int i, const struct pkt *pkt)
{
	struct tpacket3_hdr *h = tx_slot(s, i);
	uint8_t *d = (uint8_t *)h + PACKET_TX_DATA;

	ASSERT(PACKET_TX_DATA + VNET_HDR_LEN + pkt->len <= s->tx_slot_len);
	vnet_hdr_write(d, VNET_HDR_LEN, &pkt->off);
	memcpy(d + VNET_HDR_LEN, pkt->data, pkt->len);
	h->tp_len = VNET_HDR_LEN + pkt->len;
	h->tp_next_offset = 0;
	tx_set_status(s, i, TP_STATUS_SEND_REQUEST);
}

/* Give slots [first + from, first + to) back; the kernel did not take them. */
static void
tx_give_back(struct packet *s, unsigned int first, unsigned int from,
	     unsigned int to)
{
	for (unsigned int i = from; i < to; i++)
		tx_set_status(s, tx_index(s, first, i), TP_STATUS_AVAILABLE);
}

/* Frame @i went to the kernel but not out: dropped for @cause (port.h). */
static void
tx_drop(struct port *p, struct pkt **pkts, unsigned int i,
	enum port_drop cause)
{
	p->c.drops[cause]++;
	pkt_put(pkts[i]);
	pkts[i] = NULL;
}

/*
 * After the kick: which of the @filled frames from slot @first did the
 * kernel take?  Those before the first it did not are sent.  That one:
 *   WRONG_FORMAT      rejected: dropped (bad-offload)
 *   EAGAIN, or none   the send buffer is full: held in its slot (see
 *                     "Writability"), not counted
 *   ENOBUFS, ENOMEM   the device dropped it, queue full (backlog-full)
 *   ENETDOWN, or ENOBUFS without carrier: it and the rest (link-down)
 *   other             not consumed; -errno if nothing went
 * The frames after it are given back, and the kernel's head slot is
 * written again next.  Returns the frames consumed from @pkts.
 */
static int
tx_settle(struct port *p, struct pkt **pkts, unsigned int first,
	  unsigned int filled, int kick_err)
{
	struct packet *s = port_priv(p);
	unsigned int i, slot;
	uint32_t st = TP_STATUS_AVAILABLE;

	for (i = 0; i < filled; i++) {
		st = tx_status(s, tx_index(s, first, i));
		if (st & (TP_STATUS_SEND_REQUEST | TP_STATUS_WRONG_FORMAT))
			break;
	}
	if (i == filled)
		return (int)filled;
	slot = tx_index(s, first, i);
	if (!(st & TP_STATUS_WRONG_FORMAT) &&
	    (!kick_err || kick_err == EAGAIN || kick_err == EWOULDBLOCK)) {
		tx_give_back(s, first, i + 1, filled);
		s->tx_held = pkts[i];
		s->tx_held_slot = slot;
		s->tx_next = tx_index(s, first, i + 1);
		return (int)i;
	}
	tx_give_back(s, first, i, filled);
	s->tx_next = slot;
	if (st & TP_STATUS_WRONG_FORMAT) {
		tx_drop(p, pkts, i, PORT_DROP_BAD_OFFLOAD);
		return (int)i + 1;
	}
	if ((kick_err == ENOBUFS || kick_err == ENOMEM) &&
	    strcmp(link_state(p->lfd.fd, s), "up") == 0) {
		tx_drop(p, pkts, i, PORT_DROP_BACKLOG_FULL);
		return (int)i + 1;
	}
	if (kick_err == ENOBUFS || kick_err == ENOMEM || kick_err == ENETDOWN) {
		while (i < filled)
			tx_drop(p, pkts, i++, PORT_DROP_LINK_DOWN);
		return (int)filled;
	}
	return i ? (int)i : -kick_err;
}

static int
packet_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct packet *s = port_priv(p);
	unsigned int first = s->tx_next, filled = 0;
	int kick_err = 0;

	if (!n)
		return 0;
	if (s->tx_held) {
		if (pkts[0] == s->tx_held) {
			first = s->tx_held_slot;	/* still in its slot */
			filled = 1;
		} else {	/* the switch dropped it meanwhile */
			tx_set_status(s, s->tx_held_slot, TP_STATUS_AVAILABLE);
			s->tx_next = first = s->tx_held_slot;
		}
		s->tx_held = NULL;
	}
	while (filled < n) {
		if (pkts[filled]->len > s->tx_len_max) {
			if (filled)
				break;	/* send those before it first */
			tx_drop(p, pkts, 0, PORT_DROP_BAD_OFFLOAD);
			return 1;
		}
		if (!tx_free(tx_status(s, s->tx_next)))
			break;	/* ring full */
		tx_fill(s, s->tx_next, pkts[filled++]);
		s->tx_next = (s->tx_next + 1) % s->tx_slots;
	}
	if (!filled)
		return 0;
	if (send(p->lfd.fd, NULL, 0, MSG_DONTWAIT) == -1)
		kick_err = errno;
	return tx_settle(p, pkts, first, filled, kick_err);
}

/* --- open, close, fail ---------------------------------------------------- */

static size_t
pow2_at_least(size_t v, size_t min)
{
	size_t p = min;

	while (p < v)
		p <<= 1;
	return p;
}

static int
sol_packet(int fd, int opt, int val, const char *name, char *err)
{
	if (setsockopt(fd, SOL_PACKET, opt, &val, sizeof(val)) == -1)
		return ERR_SET(err, -errno, "packet: %s: %s", name,
			       strerror(errno));
	return 0;
}

/* Ring geometry for frames of up to @frame_max bytes, within the budget. */
static void
ring_sizes(struct packet *s, uint32_t frame_max, struct tpacket_req3 *rq,
	   struct tpacket_req3 *tq)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t half = PACKET_RING_BUDGET / 2;
	unsigned int blocks;

	s->rx_block_len = pow2_at_least((size_t)frame_max + PACKET_RX_SLACK,
					PACKET_RX_BLOCK_MIN);
	s->rx_blocks = (unsigned int)MAX(half / s->rx_block_len, 2);
	*rq = (struct tpacket_req3){
		.tp_block_size = (unsigned int)s->rx_block_len,
		.tp_block_nr = s->rx_blocks,
		.tp_frame_size = (unsigned int)s->rx_block_len,
		.tp_frame_nr = s->rx_blocks,
		.tp_retire_blk_tov = PACKET_RX_TOV_MS,
	};
	/* Whole pages, so a 64 KiB frame spans at most 17 (MAX_SKB_FRAGS),
	 * and no more: the kernel would refuse a longer frame.  Room for the
	 * tag a trunk adds beyond --frame-max (bridge.c). */
	s->tx_slot_len = MIN((PACKET_TX_DATA + VNET_HDR_LEN + frame_max +
			      VLAN_TAG_LEN + page - 1) / page * page,
			     PACKET_SKB_FRAGS * page);
	s->tx_len_max = (uint32_t)(s->tx_slot_len - PACKET_TX_DATA -
				   VNET_HDR_LEN);
	s->tx_block_len = pow2_at_least(PACKET_TX_SLOTS_PER_BLOCK *
						s->tx_slot_len, page);
	s->tx_per_block = (unsigned int)(s->tx_block_len / s->tx_slot_len);
	blocks = (unsigned int)MAX(half / s->tx_block_len, 1);
	while (blocks > 1 && blocks * s->tx_per_block > PACKET_TX_SLOTS_MAX)
		blocks--;
	s->tx_slots = blocks * s->tx_per_block;
	*tq = (struct tpacket_req3){
		.tp_block_size = (unsigned int)s->tx_block_len,
		.tp_block_nr = blocks,
		.tp_frame_size = (unsigned int)s->tx_slot_len,
		.tp_frame_nr = s->tx_slots,
	};
}

/* Both rings in one mapping: RX then TX. */
static int
rings_setup(int fd, struct packet *s, uint32_t frame_max, char *err)
{
	struct tpacket_req3 rq, tq;
	size_t rx_len;

	ring_sizes(s, frame_max, &rq, &tq);
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &rq, sizeof(rq)) == -1)
		return ERR_SET(err, -errno, "packet: RX ring %u x %u: %s",
			       rq.tp_block_nr, rq.tp_block_size,
			       strerror(errno));
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &tq, sizeof(tq)) == -1)
		return ERR_SET(err, -errno, "packet: TX ring %u x %u: %s",
			       tq.tp_frame_nr, tq.tp_frame_size,
			       strerror(errno));
	rx_len = (size_t)rq.tp_block_size * rq.tp_block_nr;
	s->map_len = rx_len + (size_t)tq.tp_block_size * tq.tp_block_nr;
	s->map = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		return ERR_SET(err, -errno, "packet: mmap rings: %s",
			       strerror(errno));
	}
	s->rx_ring = s->map;
	s->tx_ring = s->map + rx_len;
	return 0;
}

/*
 * Socket options, in the order the kernel wants them: the version and the
 * vnet header before the rings exist.
 */
static int
socket_setup(int fd, struct packet *s, uint32_t frame_max, char *err)
{
	struct packet_mreq mr = {
		.mr_ifindex = (int)s->ifindex,
		.mr_type = PACKET_MR_PROMISC,
	};
	socklen_t sl = sizeof(s->sndbuf);
	int ret;

	if ((ret = sol_packet(fd, PACKET_VERSION, TPACKET_V3, "TPACKET_V3",
			      err)) ||
	    (ret = sol_packet(fd, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR",
			      err)) ||
	    (ret = sol_packet(fd, PACKET_QDISC_BYPASS, 1,
			      "PACKET_QDISC_BYPASS", err)) ||
	    (ret = sol_packet(fd, PACKET_IGNORE_OUTGOING, 1,
			      "PACKET_IGNORE_OUTGOING", err)) ||
	    (ret = rings_setup(fd, s, frame_max, err)))
		return ret;
	/* See "Writability" above; the kernel doubles the value. */
	s->sndbuf = (int)(s->tx_slots * PACKET_TX_TRUESIZE_MIN);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->sndbuf, sizeof(s->sndbuf));
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->sndbuf, &sl);
	if (s->promisc && setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP,
				     &mr, sizeof(mr)) == -1)
		return ERR_SET(err, -errno, "packet: %s: promiscuous mode: %s",
			       s->ifname, strerror(errno));
	return 0;
}

static int
packet_keys(struct packet *s, struct opts *o, char *err)
{
	const char *ifname = NULL;
	int ret;

	s->promisc = true;
	s->offload = true;
	if ((ret = opts_get_str(o, "ifname", &ifname, err)) < 0 ||
	    (ret = opts_get_bool(o, "offload", &s->offload, err)) < 0 ||
	    (ret = opts_get_bool(o, "promisc", &s->promisc, err)) < 0)
		return ret;
	if (!ifname)
		return ERR_SET(err, -EINVAL, "packet: 'ifname' is required");
	if (strlen(ifname) >= sizeof(s->ifname))
		return ERR_SET(err, -EINVAL,
			       "packet: ifname '%s': at most %zu characters",
			       ifname, sizeof(s->ifname) - 1);
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	return 0;
}

static int
bind_socket(int fd, const struct packet *s, char *err)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)s->ifindex,
	};

	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		return ERR_SET(err, -errno, "packet: bind %s: %s", s->ifname,
			       strerror(errno));
	return 0;
}

static void packet_close(struct port *p);

static int
packet_open(struct port *p, struct opts *o, char *err)
{
	struct packet *s = port_priv(p);
	const char *state;
	int fd, ret;

	ret = packet_keys(s, o, err);
	if (ret)
		return ret;
	s->ifindex = if_nametoindex(s->ifname);
	if (!s->ifindex)
		return ERR_SET(err, -ENODEV, "packet: interface '%s': %s",
			       s->ifname, strerror(errno));
	/* Protocol 0: nothing is received until bind(), after the rings. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_SET(err, -errno, "packet: socket: %s%s",
			       strerror(errno),
			       errno == EPERM ? " (needs CAP_NET_RAW)" : "");
	ret = socket_setup(fd, s, p->sw->frame_max, err);
	if (!ret)
		ret = bind_socket(fd, s, err);
	if (!ret) {
		ret = loop_add(port_loop(p), &p->lfd, fd, EPOLLIN,
			       port_on_event);
		if (ret)
			ERR_SET(err, ret, "epoll: %s", strerror(-ret));
	}
	if (ret) {
		close(fd);
		packet_close(p);
		return ret;
	}
	p->offloads = s->offload ? VNET_OFF_ALL : 0;
	p->rx_pausable = false;
	snprintf(p->peer, sizeof(p->peer), "%s", s->ifname);
	state = link_state(fd, s);
	if (strcmp(state, "up") != 0)
		log_info("port %s: interface %s is %s; frames flow once it is "
			 "up",
			 p->id, s->ifname, state);
	port_set_up(p);
	return 0;
}

static void
packet_close(struct port *p)
{
	struct packet *s = port_priv(p);

	if (p->lfd.fd >= 0) {
		int fd = p->lfd.fd;

		loop_del(port_loop(p), &p->lfd);
		close(fd);	/* also leaves promiscuous mode */
	}
	if (s->map)
		munmap(s->map, s->map_len);
	s->map = s->rx_ring = s->tx_ring = NULL;
	s->tx_held = NULL;
}

/*
 * The socket reported an error (ENETDOWN: the interface went down) or a
 * send failed: the port stays, and frames flow again once the interface
 * is back.  Only an interface that no longer exists takes the port along.
 */
static void
packet_fail(struct port *p, const char *why)
{
	struct packet *s = port_priv(p);
	char name[IF_NAMESIZE];

	if (!if_indextoname(s->ifindex, name)) {
		port_destroy(p, "interface gone");
		return;
	}
	log_ratelimited(LOG_LVL_WARN, "port %s: %s: %s", p->id, s->ifname,
			why);
}

static void
packet_info(const struct port *p, json_t *o)
{
	struct packet *s = port_priv(p);
	struct tpacket_stats_v3 st;
	socklen_t sl = sizeof(st);
	char buf[64];

	/* Reading the statistics resets them: keep the sum. */
	if (p->lfd.fd >= 0 && getsockopt(p->lfd.fd, SOL_PACKET,
					 PACKET_STATISTICS, &st, &sl) == 0)
		s->rx_ring_drops += st.tp_drops;
	json_object_set_new(o, "ifname", json_string(s->ifname));
	json_object_set_new(o, "link", json_string(link_state(p->lfd.fd, s)));
	json_object_set_new(o, "promisc", json_string(s->promisc ? "on"
								  : "off"));
	json_object_set_new(o, "vnet_hdr", json_integer(VNET_HDR_LEN));
	vnet_off_format(p->offloads, buf, sizeof(buf));
	json_object_set_new(o, "offloads", json_string(buf));
	snprintf(buf, sizeof(buf), "%u x %zu", s->rx_blocks, s->rx_block_len);
	json_object_set_new(o, "rx_ring", json_string(buf));
	snprintf(buf, sizeof(buf), "%u x %zu", s->tx_slots, s->tx_slot_len);
	json_object_set_new(o, "tx_ring", json_string(buf));
	json_object_set_new(o, "sndbuf", json_integer(s->sndbuf));
	json_object_set_new(o, "rx_ring_drops",
			    json_integer((json_int_t)s->rx_ring_drops));
}

const struct port_ops packet_ops = {
	.kind = "packet",
	.priv_size = sizeof(struct packet),
	.open = packet_open,
	.rx_burst = packet_rx_burst,
	.tx_burst = packet_tx_burst,
	.close = packet_close,
	.fail = packet_fail,
	.qemu_hint = NULL,
	.info = packet_info,
};
