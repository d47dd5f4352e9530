/* SPDX-License-Identifier: MIT */
/*
 * mcast.c - the "mcast" port kind: a UDP multicast group shared with QEMU
 * guests using -netdev socket,mcast=G:P (or -netdev dgram with a multicast
 * remote).  The group is a hub: everyone hears everyone, so it is one port.
 *
 * QEMU binds G:P, joins, and loops its own sends back (protocols.md §2), so
 * every member receives what any member sends, its own frames included.
 * lanyard receives on a socket bound to G:P and sends from a second socket
 * on an ephemeral port.  A frame whose source is that socket's port is our
 * own echo: it is neither learned nor forwarded again (counted rx_ignored).
 * Guests cannot tell the two sockets apart: QEMU accepts frames from any
 * source.  IPv4 only, as in QEMU 7.2.
 */
#include "port/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "port/addr.h"
#include "port/mmsg.h"

#define MCAST_READS_PER_ITER 4

struct mcast {
	struct sockaddr_in group;
	struct in_addr localaddr;	/* INADDR_ANY if not given */
	uint32_t ttl;
	int tx_fd;
	uint16_t tx_port;		/* network order */
	struct mmsg_rx *rx;
};

static bool
is_echo(const struct mcast *m, const struct addr *from)
{
	const struct sockaddr_in *in = (const void *)&from->ss;

	if (from->ss.ss_family != AF_INET || in->sin_port != m->tx_port)
		return false;
	return m->localaddr.s_addr == htonl(INADDR_ANY) ||
	       in->sin_addr.s_addr == m->localaddr.s_addr;
}

static int
mcast_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct mcast *m = port_priv(p);
	unsigned int n = 0;
	int r;

	if (!port_rx_budget(p, MCAST_READS_PER_ITER))
		return 0;
	r = mmsg_recv(p->lfd.fd, &p->sw->pool, pkts, max, m->rx, true);
	if (r == -ENOBUFS) {
		struct addr from;
		int len = mmsg_discard(p->lfd.fd, &from);

		if (len >= 0 && !is_echo(m, &from))
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
		if (is_echo(m, &m->rx->from[i])) {
			p->c.rx_ignored++;
			pkt_put(pkts[i]);
		} else if (m->rx->truncated[i]) {
			port_count_rx_drop(p, PORT_DROP_OVERSIZE,
					   pkts[i]->len);
			pkt_put(pkts[i]);
		} else {
			pkts[i]->in = p;
			pkts[n++] = pkts[i];
		}
	}
	/* Keep draining after a full read made only of echoes. */
	if (n == 0 && (unsigned int)r == max)
		return mcast_rx_burst(p, pkts, max);
	return (int)n;
}

static int
mcast_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct mcast *m = port_priv(p);
	int r = mmsg_send(m->tx_fd, pkts, n);

	/* Multicast has no peer to lose: an error costs this burst only. */
	if (r < 0) {
		log_ratelimited(LOG_LVL_WARN, "port %s: sendmmsg: %s", p->id,
				strerror(-r));
		return 0;
	}
	return r;
}

static int
open_rx(struct port *p, struct mcast *m, char *err)
{
	struct ip_mreq mreq = {.imr_multiaddr = m->group.sin_addr,
			       .imr_interface = m->localaddr};
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&m->group, sizeof(m->group)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
		       sizeof(mreq)) == -1) {
		int e = errno;

		close(fd);
		return ERR_SET(err, -e, "join %s: %s", p->peer, strerror(e));
	}
	return fd;
}

static int
open_tx(struct port *p, struct mcast *m, char *err)
{
	struct sockaddr_in src = {.sin_family = AF_INET,
				  .sin_addr = m->localaddr};
	socklen_t sl = sizeof(src);
	unsigned char loop = 1, ttl = (unsigned char)m->ttl;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&src, &sl) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
		       sizeof(loop)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) ==
		    -1 ||
	    (m->localaddr.s_addr != htonl(INADDR_ANY) &&
	     setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m->localaddr,
			sizeof(m->localaddr)) == -1) ||
	    connect(fd, (struct sockaddr *)&m->group, sizeof(m->group)) ==
		    -1) {
		int e = errno;

		close(fd);
		return ERR_SET(err, -e, "sender for %s: %s", p->peer,
			       strerror(e));
	}
	m->tx_port = src.sin_port;
	return fd;
}

static int
mcast_keys(struct port *p, struct mcast *m, struct opts *o, char *err)
{
	const char *group = NULL, *local = NULL;
	uint32_t port = 0;
	int ret;

	m->ttl = 1;
	if ((ret = opts_get_str(o, "group|remote.host", &group, err)) < 0 ||
	    (ret = opts_get_u32(o, "port|remote.port", 1, 65535, &port,
				err)) < 0 ||
	    (ret = opts_get_str(o, "localaddr|local.host", &local, err)) < 0 ||
	    (ret = opts_get_u32(o, "ttl", 1, 255, &m->ttl, err)) < 0)
		return ret;
	if (!group || !port)
		return ERR_SET(err, -EINVAL,
			       "mcast: 'group' and 'port' are required");
	m->group.sin_family = AF_INET;
	m->group.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, group, &m->group.sin_addr) != 1 ||
	    !IN_MULTICAST(ntohl(m->group.sin_addr.s_addr)))
		return ERR_SET(err, -EINVAL,
			       "mcast: group '%s' is not an IPv4 multicast "
			       "address",
			       group);
	m->localaddr.s_addr = htonl(INADDR_ANY);
	if (local && inet_pton(AF_INET, local, &m->localaddr) != 1)
		return ERR_SET(err, -EINVAL,
			       "mcast: localaddr '%s' is not an IPv4 address",
			       local);
	snprintf(p->peer, sizeof(p->peer), "%s:%u", group, port);
	return 0;
}

static void mcast_close(struct port *p);

static int
mcast_open(struct port *p, struct opts *o, char *err)
{
	struct mcast *m = port_priv(p);
	int fd, ret;

	m->tx_fd = -1;
	ret = mcast_keys(p, m, o, err);
	if (ret)
		return ret;
	m->rx = calloc(1, sizeof(*m->rx));
	if (!m->rx)
		return ERR_SET(err, -ENOMEM, "out of memory");
	m->tx_fd = open_tx(p, m, err);
	if (m->tx_fd < 0) {
		ret = m->tx_fd;
		goto err_close;
	}
	fd = open_rx(p, m, err);
	if (fd < 0) {
		ret = fd;
		goto err_close;
	}
	ret = loop_add(port_loop(p), &p->lfd, fd, EPOLLIN, port_on_event);
	if (ret) {
		close(fd);
		ERR_SET(err, ret, "epoll: %s", strerror(-ret));
		goto err_close;
	}
	port_set_up(p);
	return 0;

err_close:
	mcast_close(p);
	return ret;
}

static void
mcast_close(struct port *p)
{
	struct mcast *m = port_priv(p);

	if (p->lfd.fd >= 0) {
		int fd = p->lfd.fd;

		loop_del(port_loop(p), &p->lfd);
		close(fd);
	}
	if (m->tx_fd >= 0)
		close(m->tx_fd);
	m->tx_fd = -1;
	free(m->rx);
	m->rx = NULL;
}

static void
mcast_qemu_hint(const struct port *p, char *buf, size_t len)
{
	snprintf(buf, len, "-netdev socket,id=%s,mcast=%s", p->id, p->peer);
}

const struct port_ops mcast_ops = {
	.kind = "mcast",
	.priv_size = sizeof(struct mcast),
	.open = mcast_open,
	.rx_burst = mcast_rx_burst,
	.tx_burst = mcast_tx_burst,
	.close = mcast_close,
	.fail = port_fail_stay_up,
	.qemu_hint = mcast_qemu_hint,
};
