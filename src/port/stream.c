/* SPDX-License-Identifier: MIT */
/*
 * stream.c - the "stream" port kind: QEMU -netdev stream and legacy
 * -netdev socket (listen=/connect=) framing, over unix or TCP sockets.
 *
 * Three roles share this kind:
 *   listener  lanyard listens; each accepted connection is a child port
 *             (ID.1, ID.2, ...) that disappears with its FDB entries at
 *             hang-up.  For QEMU 7.2 guests that dial us.
 *   conn      one accepted connection.
 *   dial      lanyard dials a guest started with server=on and re-dials,
 *             with backoff from 100 ms to 2 s, whenever the connection is
 *             gone.  QEMU 7.2 clients never reconnect, so this is the role
 *             that lets guests survive a switch restart.
 *
 * Receiving: one read of up to STREAM_RXBUF bytes per loop iteration,
 * parsed into as many frames as it holds (proto/stream_frame.c); a record
 * cut by the read stays at the buffer's front until the rest arrives.
 * Sending: a whole batch is one sendmsg() of header/frame iovec pairs; if
 * the kernel takes part of a frame, the rest goes first next time.
 * A length of 0 or above 69632 desynchronises the stream for good: that
 * connection is closed and counted (errors.bad-length); nothing else is.
 */
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "port/addr.h"
#include "proto/stream_frame.h"

#define STREAM_RXBUF (128 * 1024)	/* > one record of STREAM_FRAME_MAX */
#define STREAM_ACCEPTS_PER_WAKEUP 16
#define STREAM_BACKOFF_MIN_MS 100
#define STREAM_BACKOFF_MAX_MS 2000
#define STREAM_MAX_PEERS_DEFAULT 256

enum stream_role {
	STREAM_LISTENER = 1,
	STREAM_CONN,
	STREAM_DIAL,
};

struct stream {
	struct port *port;		/* back pointer, for the timer */
	enum stream_role role;
	struct addr addr;		/* listened on, or dialled */
	bool unlink_path;		/* the listener created the socket */
	uint32_t max_peers;
	/* conn and dial */
	uint8_t *rxbuf;
	size_t rx_start, rx_end;	/* unparsed bytes */
	bool rx_bad;			/* a bad length was seen */
	bool rx_eof;
	struct pkt *tx_head;		/* frame partly written, or NULL */
	size_t tx_head_done;		/* of its header + frame bytes */
	/* dial */
	struct loop_timer redial;
	uint32_t backoff_ms;
	bool dial_logged;
};

const struct port_ops stream_ops;

static const struct addr_keys stream_keys = {
	.type = "addr.type",
	.path = "path|addr.path",
	.host = "host|addr.host",
	.port = "port|addr.port",
};

static void
set_sockopts(int fd, int family)
{
	int one = 1;

	if (family == AF_INET || family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
conn_reset(struct stream *s)
{
	s->rx_start = s->rx_end = 0;
	s->rx_bad = false;
	s->rx_eof = false;
	s->tx_head = NULL;
	s->tx_head_done = 0;
}

/* --- receive ------------------------------------------------------------ */

/* Take one complete record off the front; 1 if a frame was produced. */
static int
take_record(struct port *p, struct stream *s, const struct stream_frame *fr,
	    struct pkt **out)
{
	const uint8_t *data = s->rxbuf + s->rx_start + STREAM_HDR_LEN;

	s->rx_start += fr->record_len;
	if (fr->len > p->sw->frame_max) {
		port_count_rx_drop(p, PORT_DROP_OVERSIZE, fr->len);
		return 0;
	}
	if (!pkt_alloc_burst(&p->sw->pool, out, 1)) {
		port_count_rx_drop(p, PORT_DROP_NO_BUFFER, fr->len);
		return 0;
	}
	memcpy((*out)->data, data, fr->len);
	(*out)->len = fr->len;
	(*out)->in = p;
	return 1;
}

/* Parse buffered records into pkts; stops at 'max' or a partial record. */
static unsigned int
parse(struct port *p, struct stream *s, struct pkt **pkts, unsigned int n,
      unsigned int max)
{
	while (n < max && !s->rx_bad) {
		struct stream_frame fr;
		enum stream_frame_status st = stream_frame_next(
			s->rxbuf + s->rx_start, s->rx_end - s->rx_start, &fr);

		if (st == STREAM_FRAME_MORE)
			break;
		if (st != STREAM_FRAME_OK) {
			s->rx_bad = true;
			p->c.errors[PORT_ERR_BAD_LENGTH]++;
			log_ratelimited(LOG_LVL_WARN,
					"port %s: stream: %s, closing", p->id,
					stream_frame_status_str(st));
			break;
		}
		n += (unsigned int)take_record(p, s, &fr, &pkts[n]);
	}
	return n;
}

static int
fill(struct port *p, struct stream *s)
{
	ssize_t r;

	if (s->rx_start > 0) {
		memmove(s->rxbuf, s->rxbuf + s->rx_start,
			s->rx_end - s->rx_start);
		s->rx_end -= s->rx_start;
		s->rx_start = 0;
	}
	r = recv(p->lfd.fd, s->rxbuf + s->rx_end, STREAM_RXBUF - s->rx_end,
		 MSG_DONTWAIT);
	if (r > 0) {
		s->rx_end += (size_t)r;
		return 1;
	}
	if (r == 0) {
		s->rx_eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -errno;
}

static int
stream_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct stream *s = port_priv(p);
	unsigned int n = parse(p, s, pkts, 0, max);

	/* one read per loop iteration */
	if (n < max && !s->rx_bad && !s->rx_eof && port_rx_budget(p, 1)) {
		int r;

		r = fill(p, s);
		if (r < 0) {
			if (n)
				return (int)n;	/* the error repeats */
			p->c.errors[PORT_ERR_IO]++;
			return r;
		}
		n = parse(p, s, pkts, n, max);
	}
	if (n) {
		/* The error is reported next call: no new event may come. */
		p->rx_again = s->rx_bad || s->rx_eof;
		return (int)n;
	}
	if (s->rx_bad)
		return -EPROTO;
	if (s->rx_eof)
		return -ECONNRESET;
	return 0;
}

/* --- transmit ----------------------------------------------------------- */

static int
stream_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct stream *s = port_priv(p);
	uint8_t hdrs[PKT_BURST][STREAM_HDR_LEN];
	struct iovec iov[2 * PKT_BURST];
	struct msghdr msg = {.msg_iov = iov};
	size_t skip = 0, total = 0;
	ssize_t r;
	unsigned int i, done = 0;

	if (p->lfd.fd < 0)
		return -ENOTCONN;
	if (s->tx_head) {
		ASSERT(s->tx_head == pkts[0]);
		skip = s->tx_head_done;
	}
	for (i = 0; i < n; i++) {
		stream_frame_hdr(hdrs[i], pkts[i]->len);
		iov[2 * i] = (struct iovec){hdrs[i], STREAM_HDR_LEN};
		iov[2 * i + 1] = (struct iovec){pkts[i]->data, pkts[i]->len};
	}
	/* Resume inside the first record. */
	if (skip >= STREAM_HDR_LEN) {
		iov[0].iov_len = 0;
		iov[1].iov_base = (uint8_t *)iov[1].iov_base +
				  (skip - STREAM_HDR_LEN);
		iov[1].iov_len -= skip - STREAM_HDR_LEN;
	} else {
		iov[0].iov_base = (uint8_t *)iov[0].iov_base + skip;
		iov[0].iov_len -= skip;
	}
	msg.msg_iovlen = 2 * n;
	r = sendmsg(p->lfd.fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -errno;
	}
	/* Count whole records; remember how far into the next one we got. */
	total = (size_t)r + skip;
	for (i = 0; i < n; i++) {
		size_t rec = STREAM_HDR_LEN + pkts[i]->len;

		if (total < rec)
			break;
		total -= rec;
		done++;
	}
	if (done < n && total > 0) {
		s->tx_head = pkts[done];
		s->tx_head_done = total;
	} else {
		s->tx_head = NULL;
		s->tx_head_done = 0;
	}
	return (int)done;
}

/* --- connections -------------------------------------------------------- */

static int
conn_attach(struct port *p, int fd, char *err)
{
	struct stream *s = port_priv(p);
	int ret;

	if (!s->rxbuf) {
		s->rxbuf = malloc(STREAM_RXBUF);
		if (!s->rxbuf)
			return ERR_SET(err, -ENOMEM, "out of memory");
	}
	conn_reset(s);
	ret = loop_add(port_loop(p), &p->lfd, fd, EPOLLIN, port_on_event);
	if (ret)
		return ERR_SET(err, ret, "epoll: %s", strerror(-ret));
	/* A full socket makes the peer wait: it can be paused. */
	p->rx_pausable = true;
	port_set_up(p);
	return 0;
}

static void
peer_describe(int fd, int family, char *buf, size_t len)
{
	struct addr a = {.len = sizeof(a.ss)};
	struct ucred cred;
	socklen_t cl = sizeof(cred);

	if (family == AF_UNIX) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
			snprintf(buf, len, "pid %d uid %u", (int)cred.pid,
				 (unsigned int)cred.uid);
		else
			snprintf(buf, len, "unix");
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&a.ss, &a.len) == 0)
		addr_format(&a, buf, len);
}

static void
accept_one(struct port *l, struct stream *ls, int fd)
{
	char err[ERR_LEN];
	struct port *c;
	struct stream *cs;

	if (l->n_children >= ls->max_peers) {
		l->c.errors[PORT_ERR_PEER_LIMIT]++;
		log_ratelimited(LOG_LVL_WARN,
				"port %s: refusing a connection: %u peers",
				l->id, l->n_children);
		close(fd);
		return;
	}
	c = port_spawn(l, &stream_ops, err);
	if (!c) {
		log_ratelimited(LOG_LVL_ERR, "port %s: %s", l->id, err);
		close(fd);
		return;
	}
	cs = port_priv(c);
	cs->port = c;
	cs->role = STREAM_CONN;
	cs->addr = ls->addr;
	set_sockopts(fd, addr_family(&ls->addr));
	peer_describe(fd, addr_family(&ls->addr), c->peer, sizeof(c->peer));
	if (conn_attach(c, fd, err)) {
		log_ratelimited(LOG_LVL_ERR, "port %s: %s", c->id, err);
		close(fd);
		port_destroy(c, NULL);
		return;
	}
	log_info("port %s: connected (%s)", c->id, c->peer);
}

static void
listener_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct port *l = container_of(lfd, struct port, lfd);
	struct stream *ls = port_priv(l);

	(void)events;
	for (int i = 0; i < STREAM_ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(lfd->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_ratelimited(LOG_LVL_WARN,
						"port %s: accept: %s", l->id,
						strerror(errno));
			return;
		}
		accept_one(l, ls, fd);
	}
}

/* --- dialling ----------------------------------------------------------- */

static void dial(struct port *p);

static void
redial_fire(struct loop_timer *t, uint64_t now)
{
	struct stream *s = container_of(t, struct stream, redial);

	(void)now;
	dial(s->port);
}

static void
schedule_redial(struct port *p, struct stream *s)
{
	loop_timer_arm(port_loop(p), &s->redial,
		       loop_now(port_loop(p)) + s->backoff_ms * NS_PER_MS,
		       redial_fire);
	s->backoff_ms = MIN(s->backoff_ms * 2, STREAM_BACKOFF_MAX_MS);
}

static void
dial_connected(struct port *p, struct stream *s, int fd)
{
	char err[ERR_LEN];

	set_sockopts(fd, addr_family(&s->addr));
	if (conn_attach(p, fd, err)) {
		log_err("port %s: %s", p->id, err);
		close(fd);
		schedule_redial(p, s);
		return;
	}
	s->backoff_ms = STREAM_BACKOFF_MIN_MS;
	s->dial_logged = false;
	log_info("port %s: connected to %s", p->id, p->peer);
}

static void
dial_failed(struct port *p, struct stream *s, int fd, int e)
{
	if (fd >= 0) {
		loop_del(port_loop(p), &p->lfd);
		close(fd);
	}
	if (!s->dial_logged)
		log_info("port %s: dialling %s: %s (retrying)", p->id, p->peer,
			 strerror(e));
	s->dial_logged = true;
	schedule_redial(p, s);
}

static void
connecting_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct port *p = container_of(lfd, struct port, lfd);
	struct stream *s = port_priv(p);
	int fd = lfd->fd, e = 0;
	socklen_t el = sizeof(e);

	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
		e = errno;
	if (e) {
		dial_failed(p, s, fd, e);
		return;
	}
	loop_del(port_loop(p), &p->lfd);
	dial_connected(p, s, fd);
}

static void
dial(struct port *p)
{
	struct stream *s = port_priv(p);
	int fd = socket(addr_family(&s->addr),
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1) {
		dial_failed(p, s, -1, errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->addr.ss, s->addr.len) == 0) {
		dial_connected(p, s, fd);
		return;
	}
	if (errno != EINPROGRESS && errno != EAGAIN) {
		int e = errno;

		close(fd);
		dial_failed(p, s, -1, e);
		return;
	}
	if (loop_add(port_loop(p), &p->lfd, fd, EPOLLOUT,
		     connecting_on_event)) {
		close(fd);
		dial_failed(p, s, -1, ENOMEM);
	}
}

/* --- open, close, fail ---------------------------------------------------- */

static int
listen_open(struct port *p, struct stream *s, char *err)
{
	int family = addr_family(&s->addr), one = 1, ret;
	int fd;

	if (family == AF_UNIX && (ret = addr_unlink_stale(&s->addr, err)))
		return ret;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&s->addr.ss, s->addr.len) == -1) {
		ret = ERR_SET(err, -errno, "bind %s: %s", p->peer,
			      strerror(errno));
		goto err_close;
	}
	s->unlink_path = family == AF_UNIX;
	if (listen(fd, 64) == -1) {
		ret = ERR_SET(err, -errno, "listen %s: %s", p->peer,
			      strerror(errno));
		goto err_unlink;
	}
	ret = loop_add(port_loop(p), &p->lfd, fd, EPOLLIN, listener_on_event);
	if (ret) {
		ERR_SET(err, ret, "epoll: %s", strerror(-ret));
		goto err_unlink;
	}
	p->state = PORT_STATE_LISTENING;
	return 0;

err_unlink:
	if (s->unlink_path)
		unlink(addr_path(&s->addr));
	s->unlink_path = false;
err_close:
	close(fd);
	return ret;
}

static int
stream_open(struct port *p, struct opts *o, char *err)
{
	struct stream *s = port_priv(p);
	bool given, server = true;
	int ret;

	s->port = p;
	s->max_peers = STREAM_MAX_PEERS_DEFAULT;
	ret = addr_from_opts(o, &stream_keys, &s->addr, &given, err);
	if (ret)
		return ret;
	if (!given)
		return ERR_SET(err, -EINVAL,
			       "stream: 'path' (unix) or 'host' and 'port' "
			       "(TCP) is required");
	if ((ret = opts_get_bool(o, "server", &server, err)) < 0 ||
	    (ret = opts_get_u32(o, "max_peers", 1, 65536, &s->max_peers,
				err)) < 0)
		return ret;
	addr_format(&s->addr, p->peer, sizeof(p->peer));
	if (server) {
		s->role = STREAM_LISTENER;
		return listen_open(p, s, err);
	}
	s->role = STREAM_DIAL;
	s->backoff_ms = STREAM_BACKOFF_MIN_MS;
	p->state = PORT_STATE_DOWN;
	dial(p);
	return 0;
}

static void
stream_close(struct port *p)
{
	struct stream *s = port_priv(p);

	loop_timer_cancel(port_loop(p), &s->redial);
	if (p->lfd.fd >= 0) {
		int fd = p->lfd.fd;

		loop_del(port_loop(p), &p->lfd);
		close(fd);
	}
	if (s->unlink_path)
		unlink(addr_path(&s->addr));
	s->unlink_path = false;
	free(s->rxbuf);
	s->rxbuf = NULL;
}

static void
stream_fail(struct port *p, const char *why)
{
	struct stream *s = port_priv(p);

	if (s->role != STREAM_DIAL) {
		port_destroy(p, why);
		return;
	}
	/* Keep the port and its id; lose the connection, then dial again. */
	port_set_down(p, why);
	if (p->lfd.fd >= 0) {
		int fd = p->lfd.fd;

		loop_del(port_loop(p), &p->lfd);
		close(fd);
	}
	conn_reset(s);
	s->backoff_ms = STREAM_BACKOFF_MIN_MS;
	schedule_redial(p, s);
}

static void
stream_qemu_hint(const struct port *p, char *buf, size_t len)
{
	const struct stream *s = port_priv(p);
	const char *server = s->role == STREAM_DIAL ? "server=on," : "";
	char host[PORT_PEER_MAX];

	if (s->role == STREAM_CONN) {
		buf[0] = '\0';
		return;
	}
	if (addr_family(&s->addr) == AF_UNIX) {
		snprintf(buf, len,
			 "-netdev stream,id=%s,%saddr.type=unix,addr.path=%s",
			 p->id, server, addr_path(&s->addr));
		return;
	}
	addr_format(&s->addr, host, sizeof(host));
	char *colon = strrchr(host, ':');
	char *h = host;

	if (colon)
		*colon = '\0';
	if (h[0] == '[') {	/* "[::1]" -> "::1" */
		h++;
		h[strlen(h) - 1] = '\0';
	}
	snprintf(buf, len,
		 "-netdev stream,id=%s,%saddr.type=inet,addr.host=%s,"
		 "addr.port=%s",
		 p->id, server, h, colon ? colon + 1 : "?");
}

const struct port_ops stream_ops = {
	.kind = "stream",
	.priv_size = sizeof(struct stream),
	.open = stream_open,
	.rx_burst = stream_rx_burst,
	.tx_burst = stream_tx_burst,
	.close = stream_close,
	.fail = stream_fail,
	.qemu_hint = stream_qemu_hint,
};
