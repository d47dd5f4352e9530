/* SPDX-License-Identifier: MIT */
/*
 * dgram.c - the "dgram" port kind: QEMU -netdev dgram and legacy
 * -netdev socket,udp=, over unix or UDP datagram sockets.  One datagram is
 * one frame, with no header.
 *
 * Roles:
 *   endpoint  one bound socket serves many guests.  QEMU always sends from
 *             its own bound address, so the sender address identifies the
 *             guest: each new one becomes a child port (ID.1, ID.2, ...).
 *   child     one guest of an endpoint.  Frames from it arrive on the
 *             endpoint's socket; frames to it leave by a socket of its own
 *             connect()ed to the guest's address.  QEMU accepts frames from
 *             any source, and only a connected socket lets EPOLLOUT report
 *             the guest's queue (a unix datagram receiver holds 11 frames by
 *             default; see protocols.md §2).  A send that finds the guest
 *             gone (ECONNREFUSED) removes the child; idle=S removes children
 *             silent for S seconds.
 *   fixed     remote.path= or remote.host/port= given: one port with one
 *             peer, its socket connect()ed to it (re-tried until the peer
 *             exists).  It survives the peer's absence.
 *
 * Receiving: one recvmmsg() of up to PKT_BURST datagrams per call, at most
 * DGRAM_READS_PER_ITER calls per loop iteration.  Sending: one sendmmsg()
 * per destination per burst.
 */
#include "port/port.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "port/addr.h"
#include "port/mmsg.h"

#define DGRAM_READS_PER_ITER 4
#define DGRAM_MAX_PEERS_DEFAULT 256
#define DGRAM_CONNECT_RETRY_NS (100 * NS_PER_MS)

enum dgram_role {
	DGRAM_ENDPOINT = 1,
	DGRAM_CHILD,
	DGRAM_FIXED,
};

struct dgram {
	struct port *port;
	enum dgram_role role;
	struct addr local;
	struct addr remote;		/* fixed: the peer; child: the guest */
	bool unlink_path;
	/* fixed */
	bool connected;
	uint64_t connect_tried;
	/* endpoint */
	uint32_t max_peers;
	uint32_t idle;			/* seconds, 0 = never */
	struct port **buckets;		/* children by address hash */
	uint32_t bucket_mask;
	struct loop_timer idle_timer;
	struct mmsg_rx *rx;
	/* child */
	struct port *hnext;
	uint32_t hash;
	uint64_t last_rx;
};

const struct port_ops dgram_ops;

static const struct addr_keys local_keys = {
	.type = "local.type",
	.path = "path|local.path",
	.host = "host|local.host",
	.port = "port|local.port",
};

static const struct addr_keys remote_keys = {
	.type = "remote.type",
	.path = "remote.path",
	.host = "remote.host",
	.port = "remote.port",
};

/* --- the endpoint's table of children ------------------------------------ */

static struct port *
child_find(struct dgram *e, const struct addr *a, uint32_t h)
{
	for (struct port *c = e->buckets[h & e->bucket_mask]; c;) {
		struct dgram *cs = port_priv(c);

		if (cs->hash == h && addr_equal(&cs->remote, a))
			return c;
		c = cs->hnext;
	}
	return NULL;
}

static void
child_unhash(struct dgram *e, struct port *c)
{
	struct dgram *cs = port_priv(c);
	struct port **pp = &e->buckets[cs->hash & e->bucket_mask];

	while (*pp && *pp != c)
		pp = &((struct dgram *)port_priv(*pp))->hnext;
	if (*pp)
		*pp = cs->hnext;
}

static int
child_connect(struct port *c, struct dgram *cs, const struct dgram *e)
{
	int fd = socket(addr_family(&cs->remote),
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ret;

	if (fd == -1)
		return -errno;
	/* Over UDP, answer from the endpoint's IP when it has one. */
	if (addr_family(&e->local) != AF_UNIX) {
		struct addr src = e->local;

		if (src.ss.ss_family == AF_INET)
			((struct sockaddr_in *)&src.ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&src.ss)->sin6_port = 0;
		bind(fd, (struct sockaddr *)&src.ss, src.len);
	}
	if (connect(fd, (struct sockaddr *)&cs->remote.ss, cs->remote.len) ==
	    -1) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = loop_add(port_loop(c), &c->lfd, fd, 0, port_on_event);
	if (ret)
		close(fd);
	return ret;
}

static struct port *
child_new(struct port *ep, struct dgram *e, const struct addr *a, uint32_t h)
{
	char err[ERR_LEN];
	struct port *c;
	struct dgram *cs;
	int ret;

	if (addr_is_unnamed(a)) {
		ep->c.errors[PORT_ERR_BAD_PEER]++;
		log_ratelimited(LOG_LVL_WARN,
				"port %s: frame from an unbound unix socket: "
				"cannot answer it, dropped",
				ep->id);
		return NULL;
	}
	if (ep->n_children >= e->max_peers) {
		ep->c.errors[PORT_ERR_PEER_LIMIT]++;
		log_ratelimited(LOG_LVL_WARN,
				"port %s: refusing a new peer: %u peers",
				ep->id, ep->n_children);
		return NULL;
	}
	c = port_spawn(ep, &dgram_ops, err);
	if (!c)
		return NULL;
	cs = port_priv(c);
	cs->port = c;
	cs->role = DGRAM_CHILD;
	cs->remote = *a;
	cs->hash = h;
	cs->last_rx = loop_now(port_loop(ep));
	addr_format(a, c->peer, sizeof(c->peer));
	ret = child_connect(c, cs, e);
	if (ret) {
		ep->c.errors[PORT_ERR_BAD_PEER]++;
		log_ratelimited(LOG_LVL_WARN, "port %s: connect %s: %s",
				c->id, c->peer, strerror(-ret));
		port_destroy(c, NULL);
		return NULL;
	}
	cs->hnext = e->buckets[h & e->bucket_mask];
	e->buckets[h & e->bucket_mask] = c;
	port_set_up(c);
	log_info("port %s: new peer %s", c->id, c->peer);
	return c;
}

/* --- receive -------------------------------------------------------------- */

/* The pool is empty: consume one datagram and count it on its sender. */
static int
discard_one(struct port *p, struct dgram *s)
{
	struct addr from = {0};
	int len = mmsg_discard(p->lfd.fd, &from);
	struct port *who = p;

	if (len < 0)
		return len;
	if (s->role == DGRAM_ENDPOINT) {
		who = child_find(s, &from, addr_hash(&from));
		if (!who)
			who = p;
	}
	port_count_rx_drop(who, PORT_DROP_NO_BUFFER, (uint64_t)len);
	return 0;
}

/* Set pkt->in for each frame; drop the ones that cannot be taken. */
static unsigned int
attribute(struct port *p, struct dgram *s, struct pkt **pkts, unsigned int r)
{
	uint64_t now = loop_now(port_loop(p));
	unsigned int n = 0;

	for (unsigned int i = 0; i < r; i++) {
		struct port *who = p;

		if (s->role == DGRAM_ENDPOINT) {
			const struct addr *a = &s->rx->from[i];
			uint32_t h = addr_hash(a);

			who = child_find(s, a, h);
			if (!who)
				who = child_new(p, s, a, h);
			if (!who) {
				pkt_put(pkts[i]);
				continue;
			}
			((struct dgram *)port_priv(who))->last_rx = now;
		}
		if (s->rx->truncated[i]) {
			port_count_rx_drop(who, PORT_DROP_OVERSIZE,
					   pkts[i]->len);
			pkt_put(pkts[i]);
			continue;
		}
		pkts[i]->in = who;
		pkts[n++] = pkts[i];
	}
	return n;
}

static int
dgram_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct dgram *s = port_priv(p);
	int r;

	if (s->role == DGRAM_CHILD) {
		/* Its socket only sends; an error on it means the guest is
		 * gone (ECONNREFUSED). */
		int e = 0;
		socklen_t el = sizeof(e);

		getsockopt(p->lfd.fd, SOL_SOCKET, SO_ERROR, &e, &el);
		return e ? -e : -ECONNRESET;
	}
	if (!port_rx_budget(p, DGRAM_READS_PER_ITER))
		return 0;
	r = mmsg_recv(p->lfd.fd, &p->sw->pool, pkts, max, s->rx,
		      s->role == DGRAM_ENDPOINT);
	if (r == -ENOBUFS)
		return discard_one(p, s);
	if (r < 0) {
		/* A datagram socket survives errors such as ECONNREFUSED. */
		log_ratelimited(LOG_LVL_WARN, "port %s: recvmmsg: %s", p->id,
				strerror(-r));
		return 0;
	}
	/* A full read asks port_rx() for another round even if some were
	 * dropped, so draining does not wait for the next wakeup. */
	unsigned int n = attribute(p, s, pkts, (unsigned int)r);

	if ((unsigned int)r == max && n < max) {
		if (n == 0)
			return dgram_rx_burst(p, pkts, max);
	}
	return (int)n;
}

/* --- transmit ------------------------------------------------------------- */

static int
fixed_connect(struct port *p, struct dgram *s)
{
	uint64_t now = loop_now(port_loop(p));

	if (s->connected)
		return 0;
	if (s->connect_tried && now - s->connect_tried < DGRAM_CONNECT_RETRY_NS)
		return -ENOTCONN;
	s->connect_tried = now;
	if (connect(p->lfd.fd, (struct sockaddr *)&s->remote.ss,
		    s->remote.len) == -1)
		return -errno;
	s->connected = true;
	log_info("port %s: peer %s reachable", p->id, p->peer);
	return 0;
}

static int
dgram_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct dgram *s = port_priv(p);

	if (s->role == DGRAM_FIXED) {
		int ret = fixed_connect(p, s);

		if (ret)
			return ret;
	}
	return mmsg_send(p->lfd.fd, pkts, n);
}

/* --- idle peers ----------------------------------------------------------- */

static void
idle_fire(struct loop_timer *t, uint64_t now)
{
	struct dgram *e = container_of(t, struct dgram, idle_timer);
	struct port *ep = e->port;
	uint64_t limit = (uint64_t)e->idle * NS_PER_SEC;

	for (struct port *c = ep->sw->ports_head, *next; c; c = next) {
		next = c->next;
		if (c->parent == ep &&
		    now - ((struct dgram *)port_priv(c))->last_rx > limit)
			port_destroy(c, "idle");
	}
	loop_timer_arm(port_loop(ep), t,
		       now + MAX(e->idle / 4, 1U) * NS_PER_SEC, idle_fire);
}

/* --- open, close, fail ---------------------------------------------------- */

static int
bind_local(struct dgram *s, char *err)
{
	int family = addr_family(&s->local), one = 1, fd;
	const char *path = addr_path(&s->local);
	struct stat st;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	if (family == AF_UNIX && lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			return ERR_SET(err, -EEXIST,
				       "path '%s' exists and is not a socket",
				       path);
		}
		unlink(path);	/* as QEMU does for its local.path */
	}
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&s->local.ss, s->local.len) == -1) {
		char a[PORT_PEER_MAX];
		int e = errno;

		addr_format(&s->local, a, sizeof(a));
		close(fd);
		return ERR_SET(err, -e, "bind %s: %s", a, strerror(e));
	}
	s->unlink_path = family == AF_UNIX;
	return fd;
}

static int
dgram_keys(struct dgram *s, struct opts *o, bool *fixed, char *err)
{
	bool given;
	int ret;

	s->max_peers = DGRAM_MAX_PEERS_DEFAULT;
	ret = addr_from_opts(o, &local_keys, &s->local, &given, err);
	if (ret)
		return ret;
	if (!given)
		return ERR_SET(err, -EINVAL,
			       "dgram: 'path' (unix) or 'host' and 'port' "
			       "(UDP) is required");
	ret = addr_from_opts(o, &remote_keys, &s->remote, fixed, err);
	if (ret)
		return ret;
	if (*fixed && addr_family(&s->remote) != addr_family(&s->local) &&
	    (addr_family(&s->remote) == AF_UNIX ||
	     addr_family(&s->local) == AF_UNIX))
		return ERR_SET(err, -EINVAL,
			       "dgram: local and remote must both be unix or "
			       "both inet");
	if ((ret = opts_get_u32(o, "max_peers", 1, 65536, &s->max_peers,
				err)) < 0 ||
	    (ret = opts_get_u32(o, "idle", 0, 1000000, &s->idle, err)) < 0)
		return ret;
	if (*fixed && (opts_get(o, "max_peers", err, &ret) || ret))
		return ERR_SET(err, -EINVAL, "dgram: 'max_peers' needs no "
				"remote");
	return 0;
}

static int
endpoint_init(struct port *p, struct dgram *s, char *err)
{
	uint32_t buckets = 16;

	while (buckets < 2 * s->max_peers)
		buckets <<= 1;
	s->buckets = calloc(buckets, sizeof(*s->buckets));
	if (!s->buckets)
		return ERR_SET(err, -ENOMEM, "out of memory");
	s->bucket_mask = buckets - 1;
	p->state = PORT_STATE_LISTENING;
	if (s->idle)
		loop_timer_arm(port_loop(p), &s->idle_timer,
			       loop_now(port_loop(p)) +
				       MAX(s->idle / 4, 1U) * NS_PER_SEC,
			       idle_fire);
	return 0;
}

static void dgram_close(struct port *p);

static int
dgram_open(struct port *p, struct opts *o, char *err)
{
	struct dgram *s = port_priv(p);
	bool fixed = false;
	int fd, ret;

	s->port = p;
	ret = dgram_keys(s, o, &fixed, err);
	if (ret)
		return ret;
	s->rx = calloc(1, sizeof(*s->rx));
	if (!s->rx)
		return ERR_SET(err, -ENOMEM, "out of memory");
	fd = bind_local(s, err);
	if (fd < 0) {
		dgram_close(p);
		return fd;
	}
	ret = loop_add(port_loop(p), &p->lfd, fd, EPOLLIN, port_on_event);
	if (ret) {
		close(fd);
		dgram_close(p);
		return ERR_SET(err, ret, "epoll: %s", strerror(-ret));
	}
	/* A full unix datagram queue makes the sender wait (EAGAIN); a full
	 * UDP buffer loses frames in the kernel, so UDP is never paused. */
	p->rx_pausable = addr_family(&s->local) == AF_UNIX;
	if (!fixed) {
		s->role = DGRAM_ENDPOINT;
		addr_format(&s->local, p->peer, sizeof(p->peer));
		ret = endpoint_init(p, s, err);
		if (ret)
			dgram_close(p);
		return ret;
	}
	s->role = DGRAM_FIXED;
	addr_format(&s->remote, p->peer, sizeof(p->peer));
	fixed_connect(p, s);
	port_set_up(p);
	return 0;
}

static void
dgram_close(struct port *p)
{
	struct dgram *s = port_priv(p);

	if (s->role == DGRAM_CHILD && p->parent)
		child_unhash(port_priv(p->parent), p);
	loop_timer_cancel(port_loop(p), &s->idle_timer);
	if (p->lfd.fd >= 0) {
		int fd = p->lfd.fd;

		loop_del(port_loop(p), &p->lfd);
		close(fd);
	}
	if (s->unlink_path)
		unlink(addr_path(&s->local));
	s->unlink_path = false;
	free(s->buckets);
	s->buckets = NULL;
	free(s->rx);
	s->rx = NULL;
}

static void
dgram_fail(struct port *p, const char *why)
{
	struct dgram *s = port_priv(p);

	if (s->role != DGRAM_FIXED) {
		port_destroy(p, why);
		return;
	}
	/* A fixed port outlives its peer: re-connect on the next send. */
	if (s->connected)
		log_info("port %s: peer %s: %s", p->id, p->peer, why);
	s->connected = false;
}

static void
dgram_qemu_hint(const struct port *p, char *buf, size_t len)
{
	const struct dgram *s = port_priv(p);
	char a[PORT_PEER_MAX], *colon;

	buf[0] = '\0';
	if (s->role == DGRAM_CHILD)
		return;
	if (addr_family(&s->local) == AF_UNIX) {
		if (s->role == DGRAM_FIXED)
			snprintf(buf, len,
				 "-netdev dgram,id=%s,local.type=unix,"
				 "local.path=%s,remote.type=unix,"
				 "remote.path=%s",
				 p->id, addr_path(&s->remote),
				 addr_path(&s->local));
		else
			snprintf(buf, len,
				 "-netdev dgram,id=%s,local.type=unix,"
				 "local.path=<unique path per guest>,"
				 "remote.type=unix,remote.path=%s",
				 p->id, addr_path(&s->local));
		return;
	}
	addr_format(&s->local, a, sizeof(a));
	colon = strrchr(a, ':');
	if (colon)
		*colon = '\0';
	const char *host = strcmp(a, "0.0.0.0") == 0 ? "127.0.0.1" : a;

	snprintf(buf, len,
		 "-netdev dgram,id=%s,local.type=inet,local.host=%s,"
		 "local.port=<unique port per guest>,remote.type=inet,"
		 "remote.host=%s,remote.port=%s",
		 p->id, host, host, colon ? colon + 1 : "?");
}

const struct port_ops dgram_ops = {
	.kind = "dgram",
	.priv_size = sizeof(struct dgram),
	.open = dgram_open,
	.rx_burst = dgram_rx_burst,
	.tx_burst = dgram_tx_burst,
	.close = dgram_close,
	.fail = dgram_fail,
	.qemu_hint = dgram_qemu_hint,
};
