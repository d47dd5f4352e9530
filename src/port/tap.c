/* SPDX-License-Identifier: MIT */
/*
 * tap.c - the "tap" port kind: a Linux tap device (/dev/net/tun), the way
 * the host, a network namespace or a container reaches the switch
 * (protocols.md §6).
 *
 * The device is opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR and the header
 * size set to 12 explicitly (the size persists on the device across opens,
 * so whatever the last user chose would otherwise apply).  With offload=on
 * (the default) TUNSETOFFLOAD tells the kernel we take partial checksums
 * and super-frames of every kind it knows; USO is probed and dropped where
 * the kernel lacks it (before 6.2).  A TCP flow between two taps then moves
 * in 64 KiB super-frames: one read and one write per 45 segments.  Frames
 * for ports that cannot take them are finished by port_xmit().  With
 * offload=off the kernel segments and checksums before we read.
 *
 * Each read or write is one frame, its virtio_net_hdr first: the tap has
 * no batched interface short of vhost-net.  Reads land the header in the
 * packet's headroom so the frame starts where every kind's does.  Writes
 * use a header of their own (writev), never the headroom: a flooded frame
 * is shared, and another kind may be part-way through writing it.
 *
 * queues=N opens N queues of a multi-queue tap (IFF_MULTI_QUEUE).  The
 * kernel spreads the host's flows over them; every readable queue is read
 * in turn, and frames to the tap go out on a queue chosen by a hash of
 * their MAC addresses, so one flow keeps its order.
 *
 * A tap's fds never block a writer; a write fails with EIO while the
 * interface is down (nobody ran "ip link set up"), which costs that frame
 * (link-down), not the port.  The port goes when the device does.
 *
 * Rootless: a persistent tap created for a user ("ip tuntap add dev T mode
 * tap user U") can be opened by U without CAP_NET_ADMIN; only up=, mtu=
 * and creating a new device need it.
 */
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "proto/eth.h"
#include "proto/vnet.h"

#define TAP_QUEUES_MAX 16
#define TAP_READS_PER_ITER 4	/* calls of rx_burst per loop iteration */
#define TAP_MTU_MIN 68
#define TAP_MTU_MAX 65521	/* the kernel's limit for a tap */

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

/* Queues after the first; the first is the port's own p->lfd. */
struct tap_queue {
	struct loop_fd lfd;
	struct port *port;
};

struct tap {
	int fds[TAP_QUEUES_MAX];	/* fds[0] is p->lfd.fd */
	struct tap_queue queues[TAP_QUEUES_MAX];	/* 1..n-1 used */
	unsigned int n_queues;
	unsigned int rx_q;		/* queue read first next time */
	uint32_t mtu;			/* 0: leave it */
	bool offload, persist, up;
	char ifname[IFNAMSIZ];
};

static struct tap *
tap_of(const struct port *p)
{
	return port_priv(p);
}

/*
 * One frame from queue @q into @pkt.  Returns 1 with a frame, 0 when the
 * queue is empty, 2 when a frame was read and dropped (counted), or
 * -errno when the device is gone.
 */
static int
read_one(struct port *p, int fd, struct pkt *pkt)
{
	uint8_t *hdr = pkt->data - VNET_HDR_MRG_LEN;
	const char *why;
	ssize_t n = read(fd, hdr, VNET_HDR_MRG_LEN + p->sw->frame_max);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == EINVAL || errno == EFAULT || errno == EMSGSIZE) {
			/* larger than our buffers: the kernel dropped it */
			port_count_rx_drop(p, PORT_DROP_OVERSIZE, 0);
			return 2;
		}
		return -errno;
	}
	if (n < VNET_HDR_MRG_LEN)
		return 2;	/* cannot happen: the kernel writes a header */
	pkt->len = (uint32_t)n - VNET_HDR_MRG_LEN;
	if (vnet_hdr_parse(hdr, pkt->len, &pkt->off, &why) < 0) {
		port_count_rx_drop(p, PORT_DROP_BAD_VNET, pkt->len);
		return 2;
	}
	pkt->in = p;
	return 1;
}

static int
tap_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct tap *t = tap_of(p);
	unsigned int n = 0, empty = 0, q = t->rx_q;

	if (!port_rx_budget(p, TAP_READS_PER_ITER))
		return 0;
	/* Round-robin over the queues until @max frames or all are empty. */
	while (n < max && empty < t->n_queues) {
		int r;

		if (!pkt_alloc_burst(&p->sw->pool, &pkts[n], 1)) {
			uint8_t scratch[64];

			/* Keep the queue moving: read the frame and drop it. */
			if (read(t->fds[q], scratch, sizeof(scratch)) < 0)
				break;
			port_count_rx_drop(p, PORT_DROP_NO_BUFFER, 0);
			continue;
		}
		r = read_one(p, t->fds[q], pkts[n]);
		if (r == 1) {
			n++;
			empty = 0;
			continue;
		}
		pkt_put(pkts[n]);
		if (r < 0) {
			if (n)
				p->rx_again = true;
			return n ? (int)n : r;
		}
		if (r == 0) {
			empty++;
			q = (q + 1) % t->n_queues;
		}
	}
	t->rx_q = q;
	return (int)n;
}

/* The queue for a frame: a hash of its addresses, so a flow keeps order. */
static unsigned int
tx_queue(const struct tap *t, const struct pkt *pkt)
{
	if (t->n_queues == 1 || pkt->len < ETH_HDR_LEN)
		return 0;
	return eth_flow_pick(pkt->data, t->n_queues);
}

static int
tap_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct tap *t = tap_of(p);
	uint8_t hdr[VNET_HDR_MRG_LEN];

	for (unsigned int i = 0; i < n; i++) {
		struct iovec iov[2] = {
			{ .iov_base = hdr, .iov_len = sizeof(hdr) },
			{ .iov_base = pkts[i]->data, .iov_len = pkts[i]->len },
		};
		unsigned int q = tx_queue(t, pkts[i]);

		vnet_hdr_write(hdr, sizeof(hdr), &pkts[i]->off);
		if (writev(t->fds[q], iov, 2) >= 0)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS || errno == ENOMEM ||
		    errno == EINTR)
			return (int)i;
		if (errno == EBADFD || errno == ENODEV)
			return -errno;
		/* EIO: the link is down; anything else: this frame only. */
		p->c.drops[errno == EIO ? PORT_DROP_LINK_DOWN
					: PORT_DROP_BAD_OFFLOAD]++;
		if (errno != EIO)
			log_ratelimited(LOG_LVL_WARN,
					"port %s: write: %s", p->id,
					strerror(errno));
		pkt_put(pkts[i]);
		pkts[i] = NULL;
	}
	return (int)n;
}

/* Readable or gone: queues other than the first. */
static void
tap_on_queue(struct loop_fd *lfd, uint32_t events)
{
	struct port *p = container_of(lfd, struct tap_queue, lfd)->port;

	if (!p->destroyed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		port_rx(p);
}

static int
tap_keys(struct tap *t, struct opts *o, char *err)
{
	const char *name = NULL;
	uint32_t queues = 1;
	int ret;

	t->offload = true;
	if ((ret = opts_get_str(o, "ifname", &name, err)) < 0 ||
	    (ret = opts_get_u32(o, "queues", 1, TAP_QUEUES_MAX, &queues,
				err)) < 0 ||
	    (ret = opts_get_bool(o, "offload", &t->offload, err)) < 0 ||
	    (ret = opts_get_bool(o, "persist", &t->persist, err)) < 0 ||
	    (ret = opts_get_bool(o, "up", &t->up, err)) < 0 ||
	    (ret = opts_get_u32(o, "mtu", TAP_MTU_MIN, TAP_MTU_MAX, &t->mtu,
				err)) < 0)
		return ret;
	if (name && (strlen(name) >= IFNAMSIZ || !*name ||
		     strchr(name, '/') || strchr(name, ' ')))
		return ERR_SET(err, -EINVAL,
			       "tap: ifname '%s' is not an interface name "
			       "(at most %d characters)",
			       name, IFNAMSIZ - 1);
	if (name)
		snprintf(t->ifname, sizeof(t->ifname), "%s", name);
	t->n_queues = queues;
	return 0;
}

static int
attach_error(const struct tap *t, int e, char *err)
{
	if (e == EPERM)
		return ERR_SET(err, -e,
			       "tap %s: permission denied: without "
			       "CAP_NET_ADMIN, open a persistent tap made for "
			       "you (as root: ip tuntap add dev %s mode tap "
			       "user $USER%s)",
			       t->ifname[0] ? t->ifname : "(new)",
			       t->ifname[0] ? t->ifname : "TAP",
			       t->n_queues > 1 ? " multi_queue" : "");
	if (e == EBUSY || e == EINVAL)
		return ERR_SET(err, -e,
			       "tap %s: %s (in use by another program, or "
			       "created %s multi_queue)",
			       t->ifname, strerror(e),
			       t->n_queues > 1 ? "without" : "with");
	return ERR_SET(err, -e, "tap %s: %s", t->ifname, strerror(e));
}

/* Opens queue @q; the first one names the device (or learns its name). */
static int
open_queue(struct tap *t, unsigned int q, char *err)
{
	struct ifreq ifr = { 0 };
	int fd, sz = VNET_HDR_MRG_LEN;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		return ERR_SET(err, -EACCES,
			       "open /dev/net/tun: permission denied (Debian "
			       "makes it mode 0666; here it is not, so only "
			       "root can use taps)");
	if (fd < 0)
		return ERR_SET(err, -errno, "open /dev/net/tun: %s",
			       strerror(errno));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (t->n_queues > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	memcpy(ifr.ifr_name, t->ifname, sizeof(t->ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		return attach_error(t, e, err);
	}
	if (q == 0)
		memcpy(t->ifname, ifr.ifr_name, sizeof(t->ifname));
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
		int e = errno;

		close(fd);
		return ERR_SET(err, -e, "tap %s: vnet header size: %s",
			       t->ifname, strerror(e));
	}
	return fd;
}

/* TUNSETOFFLOAD with all we take; without USO where the kernel lacks it. */
static uint32_t
set_offloads(struct tap *t, char *err)
{
	unsigned int want = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			    TUN_F_TSO_ECN | TUN_F_UFO | TUN_F_USO4 |
			    TUN_F_USO6;

	if (!t->offload)
		want = 0;
	for (unsigned int q = 0; q < t->n_queues; q++) {
		if (ioctl(t->fds[q], TUNSETOFFLOAD, want) == 0)
			continue;
		if (errno == EINVAL && (want & TUN_F_USO4)) {
			want &= ~(unsigned int)(TUN_F_USO4 | TUN_F_USO6);
			q = (unsigned int)-1;	/* again, from the first */
			continue;
		}
		ERR_SET(err, -errno, "tap %s: offloads: %s", t->ifname,
			strerror(errno));
		return UINT32_MAX;
	}
	return want;
}

/* mtu= and up=, through an ordinary socket's interface ioctls. */
static int
set_link(struct tap *t, char *err)
{
	struct ifreq ifr = { 0 };
	int s, ret = 0;

	if (!t->mtu && !t->up)
		return 0;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	memcpy(ifr.ifr_name, t->ifname, sizeof(t->ifname));
	ifr.ifr_mtu = (int)t->mtu;
	if (t->mtu && ioctl(s, SIOCSIFMTU, &ifr) < 0)
		ret = ERR_SET(err, -errno, "tap %s: mtu %u: %s", t->ifname,
			      t->mtu, strerror(errno));
	if (!ret && t->up &&
	    (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
	     (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)))
		ret = ERR_SET(err, -errno, "tap %s: up: %s", t->ifname,
			      strerror(errno));
	close(s);
	return ret;
}

static void tap_close(struct port *p);

static int
open_queues(struct port *p, struct tap *t, char *err)
{
	for (unsigned int q = 0; q < t->n_queues; q++) {
		int fd = open_queue(t, q, err), ret;

		if (fd < 0)
			return fd;
		t->fds[q] = fd;
		if (q == 0)
			ret = loop_add(port_loop(p), &p->lfd, fd, EPOLLIN,
				       port_on_event);
		else {
			t->queues[q].port = p;
			ret = loop_add(port_loop(p), &t->queues[q].lfd, fd,
				       EPOLLIN, tap_on_queue);
		}
		if (ret) {
			close(fd);
			t->fds[q] = -1;
			return ERR_SET(err, ret, "epoll: %s", strerror(-ret));
		}
	}
	return 0;
}

static int
tap_open(struct port *p, struct opts *o, char *err)
{
	struct tap *t = tap_of(p);
	uint32_t offloads;
	int ret;

	for (unsigned int q = 0; q < TAP_QUEUES_MAX; q++)
		t->fds[q] = -1;
	if ((ret = tap_keys(t, o, err)))
		return ret;
	if (t->offload && p->sw->frame_max < PKT_FRAME_MAX_DEFAULT)
		return ERR_SET(err, -EINVAL,
			       "tap: offload=on takes 64 KiB super-frames and "
			       "needs --frame-max %u or more (or offload=off)",
			       PKT_FRAME_MAX_DEFAULT);
	if ((ret = open_queues(p, t, err)))
		goto fail;
	offloads = set_offloads(t, err);
	if (offloads == UINT32_MAX) {
		ret = -EINVAL;
		goto fail;
	}
	if (t->persist && ioctl(t->fds[0], TUNSETPERSIST, 1) < 0) {
		ret = ERR_SET(err, -errno, "tap %s: persist: %s", t->ifname,
			      strerror(errno));
		goto fail;
	}
	if ((ret = set_link(t, err)))
		goto fail;
	p->offloads = offloads;	/* TUN_F_* and VNET_OFF_* are the same */
	snprintf(p->peer, sizeof(p->peer), "%s", t->ifname);
	port_set_up(p);
	return 0;
fail:
	tap_close(p);
	return ret;
}

static void
tap_close(struct port *p)
{
	struct tap *t = tap_of(p);

	for (unsigned int q = 0; q < t->n_queues; q++) {
		if (t->fds[q] < 0)
			continue;
		loop_del(port_loop(p), q ? &t->queues[q].lfd : &p->lfd);
		close(t->fds[q]);
		t->fds[q] = -1;
	}
}

static void
tap_info(const struct port *p, json_t *o)
{
	const struct tap *t = tap_of(p);
	char off[64];

	vnet_off_format(p->offloads, off, sizeof(off));
	json_object_set_new(o, "ifname", json_string(t->ifname));
	json_object_set_new(o, "vnet_hdr", json_integer(VNET_HDR_MRG_LEN));
	json_object_set_new(o, "offloads", json_string(off));
	json_object_set_new(o, "queues", json_integer(t->n_queues));
	json_object_set_new(o, "persist",
			    json_string(t->persist ? "on" : "off"));
}

const struct port_ops tap_ops = {
	.kind = "tap",
	.priv_size = sizeof(struct tap),
	.open = tap_open,
	.rx_burst = tap_rx_burst,
	.tx_burst = tap_tx_burst,
	.close = tap_close,
	.info = tap_info,
};
