/* SPDX-License-Identifier: MIT */
/*
 * lanyard-perf - traffic generator and test peer for lanyard and the
 * switches it is compared with.
 *
 * It speaks a switch port's wire format itself (no switch code linked in
 * beyond the pure framing helpers), so the same binary measures lanyard,
 * QEMU's hub, vde_switch, the Linux bridge and Open vSwitch (through
 * AF_PACKET on a veth) and the direct socketpair floor alike, and the
 * integration tests use it as the peer whose counts they assert on.
 *
 * This file holds the modes, the frame format, the report and the socket
 * endpoints; lanyard-perf.h describes the endpoint interface, and
 * perf_packet.c and perf_vde.c the other kinds.
 *
 * Frames it sends (ethertype LP_ETYPE, 0x88b5, "local experimental"):
 *
 *   0  dst MAC, src MAC, ethertype          14 bytes
 *   14 magic "LNYD"                          4
 *   18 flow id (big-endian)                  4
 *   22 sequence number (big-endian)          8
 *   30 send time, CLOCK_MONOTONIC ns         8
 *   38 frame length (big-endian)             2
 *   40 sender's base MAC (--src)             6
 *   46 zero                                  2
 *   48 pattern: byte i = (seq * 7 + i) & 0xff up to the frame's end
 *
 * With --vlan every field from the ethertype on moves up by the 4-byte
 * tag; the length field and the pattern index leave the tag out.  With
 * --macs N the Ethernet source of frame seq is base + seq % N while the
 * base MAC field stays, so one sender is one entry for its receivers.
 *
 * A receiver checks magic, length and pattern (corrupted otherwise) and,
 * per (base MAC, flow), counts frames missing below the highest sequence
 * seen (lost) and frames arriving below it (reordered).  A "hello" frame
 * (ethertype LP_ETYPE_HELLO, broadcast) makes a listening peer known to a
 * learning switch before traffic starts; receivers count hellos apart.
 *
 * Modes: tx, rx, echo, ping, raw, reflect.  See usage below.  reflect is
 * the outside world of a switch's uplink doing a hairpin (802.1Qbg
 * reflective relay): every frame goes back as it came, its MACs, tag and
 * bytes untouched, so the switch sees its own frames return.
 */
#include "lanyard-perf.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "proto/eth.h"
#include "proto/stream_frame.h"
#include "proto/vlan.h"

#define LP_ETYPE 0x88b5
#define LP_ETYPE_HELLO 0x88b6
#define LP_MAGIC 0x4c4e5944u
#define LP_HDR_LEN 48
#define LP_FLOWS_MAX 256
#define LP_RTT_MAX 1000000
#define LP_MACS_MAX 1000000
#define LP_MAC_LOW_MASK 0xffffffffffull	/* --macs varies these 40 bits */

static const char usage[] =
	"usage: lanyard-perf MODE ENDPOINT [options]\n"
	"\n"
	"Modes:\n"
	"  tx     send frames for --count N or --duration S\n"
	"  rx     receive and check frames; report loss, reordering, corruption\n"
	"  echo   send every test frame back to its sender\n"
	"  reflect send every frame back exactly as it came, MACs untouched: the\n"
	"         outside of an uplink doing hairpin (802.1Qbg reflective\n"
	"         relay); counts what it receives as rx does\n"
	"  ping   one frame at a time to an echo peer; report RTT percentiles\n"
	"  raw    send the bytes given by --hex as they are (no framing added),\n"
	"         then report whether the switch closed the connection\n"
	"\n"
	"Endpoints (the switch port to talk to):\n"
	"  stream:unix:PATH          connect, 4-byte big-endian length framing\n"
	"  stream:tcp:HOST:PORT\n"
	"  dgram:unix:PATH[@LOCAL]   one datagram per frame; binds LOCAL\n"
	"                            (default PATH.perf-PID-N) so the switch can answer\n"
	"  dgram:udp:HOST:PORT[@LHOST:LPORT]\n"
	"  packet:IFNAME[:mmap]      AF_PACKET on an existing interface (e.g. a veth\n"
	"                            end on a Linux bridge or Open vSwitch), promiscuous,\n"
	"                            qdisc bypassed; :mmap uses a TPACKET_V3 RX ring\n"
	"                            and a TX ring (one kick per --batch); needs root\n"
	"                            or CAP_NET_RAW; --size at most the MTU + 14\n"
	"  vde:PATH                  a vde_switch port through libvdeplug (PATH: the\n"
	"                            switch's -s directory, or any vdeplug URL); only\n"
	"                            when built with libvdeplug (libvdeplug-dev)\n"
	"  pair                      (tx only) a socketpair to an rx child:\n"
	"                            the floor without a switch\n"
	"\n"
	"Options:\n"
	"  -s, --src MAC        source MAC (default 02:00:00:00:00:01)\n"
	"  -d, --dst MAC        destination MAC (default ff:ff:ff:ff:ff:ff)\n"
	"  -m, --macs N         tx, ping: cycle the source over N MACs, --src + 0..N-1\n"
	"                       (as a 48-bit number; the first octet stays), frame\n"
	"                       i from --src + i % N, to fill a switch's MAC table\n"
	"                       (1-1000000, default 1); receivers still account\n"
	"                       per --src, carried in the frame\n"
	"  -l, --size BYTES     frame length without FCS, 48-65535 (default 60)\n"
	"  -n, --count N        frames to send (tx, ping) or to wait for (rx,\n"
	"                       echo, reflect)\n"
	"  -t, --duration SEC   stop after this long (default 10; 0 = no limit)\n"
	"  -i, --idle SEC       rx, echo, reflect: stop after SEC without frames,\n"
	"                       once one has arrived (0 = never, the default)\n"
	"  -b, --batch N        frames per system call, 1-64 (default 1):\n"
	"                       sendmmsg/recvmmsg, one write of N frames, or\n"
	"                       N ring slots per kick (packet:IFNAME:mmap)\n"
	"  -r, --rate PPS       tx: pace to this many frames/s (default 0 = flat out)\n"
	"  -f, --flow ID        flow id written into frames (default 0)\n"
	"  -q, --vlan VID[:PCP] tx, ping: send 802.1Q-tagged frames (VID 0-4095)\n"
	"  -a, --announce       send a hello from --src first (only from --src\n"
	"                       with --macs: the others are learned from traffic)\n"
	"  -R, --ready FILE     create FILE once connected (and announced)\n"
	"  -x, --hex HEX        raw: the bytes to send, e.g. ffffffff0000\n"
	"  -w, --linger SEC     raw: how long to wait for the close (default 1);\n"
	"                       tx: keep receiving this long after sending, and\n"
	"                       report what arrived (e.g. none of its own floods)\n"
	"  -j, --json           print the report as one JSON object\n"
	"  -h, --help\n"
	"\n"
	"The report goes to standard output when the run ends (also on SIGTERM).\n"
	"With packet:IFNAME:mmap, frames wait in a ring block until it fills or\n"
	"1 ms passes, so ping and echo there measure that timeout too.\n"
	"Exit status: 0 done, 1 I/O failure, 2 usage error.\n";

struct lp_flow {
	uint64_t mac;		/* the sender's base MAC (--src) */
	uint32_t id;
	uint64_t frames, max_seq;
};

struct lp_stats {
	uint64_t frames, bytes, hellos, other, corrupted, lost, reordered;
	uint64_t tagged;
	struct lp_sent sent;
	uint64_t vids[4096];	/* tagged test frames by VID */
	struct lp_flow flows[LP_FLOWS_MAX];
	unsigned int n_flows;
	uint64_t flows_over;	/* intact frames of senders past LP_FLOWS_MAX */
	uint64_t rx_drops;	/* dropped by the kernel before recv */
	double secs;
	bool closed;
	uint64_t *rtts;
	uint64_t n_rtts;
};

volatile sig_atomic_t lp_stop;

static void
on_signal(int sig)
{
	(void)sig;
	lp_stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static __attribute__((noreturn, format(printf, 1, 2))) void
die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("lanyard-perf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see lanyard-perf --help)\n", stderr);
	exit(2);
}

static __attribute__((noreturn, format(printf, 1, 2))) void
die_io(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fputs("lanyard-perf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

/* --- socket endpoints: stream, dgram, pair -------------------------------- */

void
lp_sock_bufs(int fd, int bytes, size_t frame_len, bool force)
{
	int need = (int)(2 * frame_len + 4096), got = 0;
	socklen_t len = sizeof(got);

	if (!force) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
		if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) == 0 &&
		    got >= need)
			return;
		bytes = MAX(bytes, need);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
	len = sizeof(got);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) == 0 && got < need)
		fprintf(stderr, "lanyard-perf: send buffer %d bytes, too small "
				"for %zu-byte frames (raise net.core.wmem_max "
				"or run with CAP_NET_ADMIN)\n",
			got, frame_len);
}

static void
parse_unix(const char *path, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;

	if (!*path || strlen(path) >= sizeof(sun->sun_path))
		die_usage("unix path '%s' is empty or too long", path);
	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	*len = (socklen_t)sizeof(*sun);
}

/* "HOST:PORT", HOST may be [v6]. */
static void
parse_inet(const char *s, int socktype, struct sockaddr_storage *ss,
	   socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	struct addrinfo hints = { .ai_socktype = socktype }, *res;
	size_t hl;
	int rc;

	if (!colon || colon == s)
		die_usage("address '%s' is not HOST:PORT", s);
	hl = (size_t)(colon - s);
	if (s[0] == '[' && colon[-1] == ']') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		die_usage("host in '%s' too long", s);
	memcpy(host, s, hl);
	host[hl] = 0;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0)
		die_usage("address '%s': %s (numeric addresses only)", s,
			  gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

/* State of a stream or datagram socket endpoint. */
struct lp_sock {
	/* dgram: where frames go (NULL: the socket is connected, as in pair) */
	const struct sockaddr *to;
	socklen_t to_len;
	const char *unlink_path;	/* bound unix path, removed at close */
	uint8_t *buf;			/* stream: reassembly buffer */
	size_t have;
	uint8_t *dbufs[LP_BATCH_MAX];	/* dgram: one buffer per message */
	struct iovec iovs[LP_BATCH_MAX];
	struct mmsghdr msgs[LP_BATCH_MAX];
};

#define LP_STREAM_BUF (256 * 1024)

static const struct lp_ep_ops lp_stream_ops, lp_dgram_ops;

/* Make 'fd' an endpoint of 'ops' with receive buffers for 'batch' frames. */
static int
sock_attach(struct lp_ep *ep, const struct lp_ep_ops *ops, int fd,
	    unsigned int batch, char *err)
{
	struct lp_sock *s = calloc(1, sizeof(*s));

	*ep = (struct lp_ep){ .ops = ops, .fd = fd, .priv = s };
	if (!s)
		return ERR_SET(err, -ENOMEM, "out of memory");
	if (ops == &lp_stream_ops) {
		s->buf = malloc(LP_STREAM_BUF + STREAM_FRAME_MAX);
		if (!s->buf)
			return ERR_SET(err, -ENOMEM, "out of memory");
		return 0;
	}
	for (unsigned int i = 0; i < batch; i++) {
		s->dbufs[i] = malloc(LP_FRAME_MAX + 1);
		if (!s->dbufs[i])
			return ERR_SET(err, -ENOMEM, "out of memory");
		s->iovs[i] = (struct iovec){ s->dbufs[i], LP_FRAME_MAX + 1 };
	}
	return 0;
}

static void
sock_close(struct lp_ep *ep)
{
	struct lp_sock *s = ep->priv;

	if (ep->fd != -1)
		close(ep->fd);
	ep->fd = -1;
	if (!s)
		return;
	if (s->unlink_path)
		unlink(s->unlink_path);
	free(s->buf);
	for (unsigned int i = 0; i < LP_BATCH_MAX; i++)
		free(s->dbufs[i]);
	free(s);
	ep->priv = NULL;
}

static int
sock_open(struct lp_ep *ep, const struct lp_cfg *c, char *err)
{
	bool stream = c->ops == &lp_stream_ops;
	int fd = socket(c->peer.ss_family,
			(stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	struct lp_sock *s;
	int rc;

	*ep = (struct lp_ep){ .fd = -1 };
	if (fd == -1)
		return ERR_SET(err, -errno, "socket: %s", strerror(errno));
	rc = sock_attach(ep, c->ops, fd, c->batch, err);
	if (rc)
		goto err_close;
	s = ep->priv;
	if (c->local_len) {
		if (c->local.ss_family == AF_UNIX) {
			unlink(c->local_path);
			s->unlink_path = c->local_path;
		}
		if (bind(fd, (const struct sockaddr *)&c->local,
			 c->local_len) == -1) {
			rc = ERR_SET(err, -errno, "bind local address: %s",
				     strerror(errno));
			goto err_close;
		}
	}
	/*
	 * Datagrams go out with sendto(), as QEMU's dgram netdev does: a
	 * connect()ed unix datagram socket would refuse the switch's answers,
	 * which come from another socket than the one addressed.
	 */
	if (stream && connect(fd, (const struct sockaddr *)&c->peer,
			      c->peer_len) == -1) {
		rc = ERR_SET(err, -errno, "connect: %s", strerror(errno));
		goto err_close;
	}
	if (!stream) {
		s->to = (const struct sockaddr *)&c->peer;
		s->to_len = c->peer_len;
		lp_sock_bufs(fd, 4 << 20, c->size + VLAN_TAG_LEN, false);
	}
	return 0;
err_close:
	sock_close(ep);
	return rc;
}

/* One sendmsg of n length-prefixed records, resumed after short writes. */
static int
stream_send(struct lp_ep *ep, uint8_t *const *frames, const size_t *lens,
	    unsigned int n, struct lp_sent *out)
{
	struct iovec iov[2 * LP_BATCH_MAX];
	uint8_t hdrs[LP_BATCH_MAX][STREAM_HDR_LEN];
	struct msghdr mh = { .msg_iov = iov };
	size_t total = 0;

	for (unsigned int i = 0; i < n; i++) {
		stream_frame_hdr(hdrs[i], (uint32_t)lens[i]);
		iov[2 * i] = (struct iovec){ hdrs[i], STREAM_HDR_LEN };
		iov[2 * i + 1] = (struct iovec){ frames[i], lens[i] };
		total += STREAM_HDR_LEN + lens[i];
	}
	mh.msg_iovlen = 2 * n;
	while (total) {
		ssize_t w = sendmsg(ep->fd, &mh, MSG_NOSIGNAL);

		if (w == -1 && errno == EINTR && !lp_stop)
			continue;
		if (w <= 0)
			return -1;
		total -= (size_t)w;
		while (w > 0 && mh.msg_iovlen) {
			if ((size_t)w >= mh.msg_iov->iov_len) {
				w -= (ssize_t)mh.msg_iov->iov_len;
				mh.msg_iov++;
				mh.msg_iovlen--;
			} else {
				mh.msg_iov->iov_base =
					(uint8_t *)mh.msg_iov->iov_base + w;
				mh.msg_iov->iov_len -= (size_t)w;
				w = 0;
			}
		}
	}
	out->frames += n;
	for (unsigned int i = 0; i < n; i++)
		out->bytes += lens[i];
	return 0;
}

/* sendmmsg (sendto for one frame); a refused datagram is counted, skipped. */
static int
dgram_send(struct lp_ep *ep, uint8_t *const *frames, const size_t *lens,
	   unsigned int n, struct lp_sent *out)
{
	struct lp_sock *s = ep->priv;
	struct iovec iov[LP_BATCH_MAX];
	struct mmsghdr msgs[LP_BATCH_MAX];
	unsigned int done = 0;

	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ frames[i], lens[i] };
		msgs[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = (void *)s->to, .msg_namelen = s->to_len,
			.msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (done < n) {
		int r = n - done == 1
				? (int)sendto(ep->fd, frames[done], lens[done],
					      0, s->to, s->to_len)
				: sendmmsg(ep->fd, msgs + done, n - done, 0);

		if (r == -1) {
			if (errno == EINTR && !lp_stop)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(50);
				continue;
			}
			if (errno == ECONNREFUSED) {
				out->errors++;
				done++;
				continue;
			}
			return -1;
		}
		if (n - done == 1)
			r = 1;
		for (int i = 0; i < r; i++)
			out->bytes += lens[done + (unsigned int)i];
		out->frames += (unsigned int)r;
		done += (unsigned int)r;
	}
	return 0;
}

/* One large read, split into records. */
static int
stream_recv(struct lp_ep *ep, unsigned int max, int timeout_ms,
	    lp_frame_fn *fn, void *ctx)
{
	struct lp_sock *s = ep->priv;
	struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };
	struct stream_frame sf;
	size_t off = 0;
	ssize_t got;
	int n = 0, rc;

	(void)max;
	rc = poll(&pfd, 1, timeout_ms);
	if (rc <= 0)
		return rc == -1 && errno != EINTR ? -1 : 0;
	got = read(ep->fd, s->buf + s->have,
		   LP_STREAM_BUF + STREAM_FRAME_MAX - s->have);
	if (got == 0 || (got == -1 && errno != EINTR && errno != EAGAIN))
		return -1;
	if (got < 0)
		return 0;
	s->have += (size_t)got;
	for (;;) {
		enum stream_frame_status st =
			stream_frame_next(s->buf + off, s->have - off, &sf);

		if (st == STREAM_FRAME_MORE)
			break;
		if (st != STREAM_FRAME_OK) {
			fprintf(stderr, "lanyard-perf: bad stream length "
					"from the switch: %s\n",
				stream_frame_status_str(st));
			return -1;
		}
		fn(ctx, s->buf + off + STREAM_HDR_LEN, sf.len);
		off += sf.record_len;
		n++;
	}
	memmove(s->buf, s->buf + off, s->have - off);
	s->have -= off;
	return n;
}

static int
dgram_recv(struct lp_ep *ep, unsigned int max, int timeout_ms,
	   lp_frame_fn *fn, void *ctx)
{
	struct lp_sock *s = ep->priv;
	struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };
	int rc;

	rc = poll(&pfd, 1, timeout_ms);
	if (rc <= 0)
		return rc == -1 && errno != EINTR ? -1 : 0;
	for (unsigned int i = 0; i < max; i++)
		s->msgs[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_iov = &s->iovs[i], .msg_iovlen = 1 } };
	rc = recvmmsg(ep->fd, s->msgs, max, MSG_DONTWAIT, NULL);
	if (rc == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	for (int i = 0; i < rc; i++) {
		/* A seqpacket socket reads empty messages once the peer left. */
		if (s->msgs[i].msg_len == 0 && (pfd.revents & POLLHUP))
			return i > 0 ? i : -1;
		fn(ctx, s->dbufs[i], MIN(s->msgs[i].msg_len, LP_FRAME_MAX));
	}
	return rc;
}

static const struct lp_ep_ops lp_stream_ops = {
	.open = sock_open,
	.send = stream_send,
	.recv = stream_recv,
	.close = sock_close,
};

static const struct lp_ep_ops lp_dgram_ops = {
	.open = sock_open,
	.send = dgram_send,
	.recv = dgram_recv,
	.close = sock_close,
};

static void
parse_packet(char *arg, struct lp_cfg *c)
{
	char *colon = strchr(arg, ':');

	c->kind = LP_PACKET;
	c->ops = &lp_packet_ops;
	if (colon) {
		if (strcmp(colon, ":mmap") != 0)
			die_usage("packet endpoint '%s': only ':mmap' may follow "
				  "the interface name", arg);
		*colon = 0;
		c->mmap = true;
		c->ops = &lp_packet_mmap_ops;
	}
	if (!*arg || strlen(arg) >= sizeof(c->ifname))
		die_usage("interface name '%s' is empty or too long", arg);
	strcpy(c->ifname, arg);
}

/* "PATH[@LOCAL]" */
static void
parse_dgram_unix(char *arg, struct lp_cfg *c)
{
	static unsigned int n_local;
	char *at = strchr(arg, '@');

	if (at)
		*at++ = 0;
	parse_unix(arg, &c->peer, &c->peer_len);
	if (!at) {
		if ((size_t)snprintf(c->local_path, sizeof(c->local_path),
				     "%s.perf-%d-%u", arg, (int)getpid(),
				     n_local++) >= sizeof(c->local_path))
			die_usage("unix path '%s' too long", arg);
	} else if ((size_t)snprintf(c->local_path, sizeof(c->local_path), "%s",
				    at) >= sizeof(c->local_path)) {
		die_usage("unix path '%s' too long", at);
	}
	parse_unix(c->local_path, &c->local, &c->local_len);
}

static void
parse_endpoint(const char *ep, struct lp_cfg *c)
{
	static char buf[512];	/* c->vde_path points into it */
	char *at;

	if (strlen(ep) >= sizeof(buf))
		die_usage("endpoint too long");
	strcpy(buf, ep);
	if (strcmp(buf, "pair") == 0) {
		c->kind = LP_PAIR;
		c->ops = &lp_dgram_ops;
		return;
	}
	if (strncmp(buf, "stream:", 7) == 0) {
		c->kind = LP_STREAM;
		c->ops = &lp_stream_ops;
	} else if (strncmp(buf, "dgram:", 6) == 0) {
		c->kind = LP_DGRAM;
		c->ops = &lp_dgram_ops;
	}
	if (strncmp(buf, "stream:unix:", 12) == 0) {
		parse_unix(buf + 12, &c->peer, &c->peer_len);
	} else if (strncmp(buf, "stream:tcp:", 11) == 0) {
		parse_inet(buf + 11, SOCK_STREAM, &c->peer, &c->peer_len);
	} else if (strncmp(buf, "dgram:unix:", 11) == 0) {
		parse_dgram_unix(buf + 11, c);
	} else if (strncmp(buf, "dgram:udp:", 10) == 0) {
		at = strchr(buf + 10, '@');
		if (at)
			*at++ = 0;
		parse_inet(buf + 10, SOCK_DGRAM, &c->peer, &c->peer_len);
		if (at)
			parse_inet(at, SOCK_DGRAM, &c->local, &c->local_len);
	} else if (strncmp(buf, "packet:", 7) == 0) {
		parse_packet(buf + 7, c);
	} else if (strncmp(buf, "vde:", 4) == 0) {
#ifdef LP_HAVE_VDE
		if (!buf[4])
			die_usage("vde endpoint needs a PATH");
		c->kind = LP_VDE;
		c->ops = &lp_vde_ops;
		c->vde_path = buf + 4;
#else
		die_usage("vde endpoint: lanyard-perf was built without "
			  "libvdeplug (Debian package libvdeplug-dev; rebuild "
			  "with -Dvde=enabled)");
#endif
	} else {
		die_usage("unknown endpoint '%s'", ep);
	}
}

/* --- frames --------------------------------------------------------------- */

/* With --vlan: move the ethertype and payload up and write the tag. */
static void
tag_insert(uint8_t *f, size_t len, const struct lp_cfg *c)
{
	if (!c->tagged)
		return;
	memmove(f + 12 + VLAN_TAG_LEN, f + 12, len - 12);
	vlan_tag_write(f + 12, VLAN_TPID_8021Q, c->vid, c->pcp, false);
}

/*
 * With --macs: the source of frame seq.  parse_args() made sure the low
 * 40 bits of --src + N - 1 do not carry into the first octet, which keeps
 * the group and locally-administered bits of --src.
 */
static void
frame_src(uint8_t *mac, const struct lp_cfg *c, uint64_t seq)
{
	if (c->macs <= 1) {
		memcpy(mac, c->src, ETH_ALEN);
		return;
	}
	eth_u64_to_mac(eth_mac_to_u64(c->src) + seq % c->macs, mac);
}

static void
frame_build(uint8_t *f, const struct lp_cfg *c, uint64_t seq)
{
	memcpy(f, c->dst, ETH_ALEN);
	frame_src(f + ETH_ALEN, c, seq);
	put_be(f + 12, LP_ETYPE, 2);
	put_be(f + 14, LP_MAGIC, 4);
	put_be(f + 18, c->flow, 4);
	put_be(f + 22, seq, 8);
	put_be(f + 30, now_ns(), 8);
	put_be(f + 38, c->size, 2);
	memcpy(f + 40, c->src, ETH_ALEN);
	put_be(f + 46, 0, 2);
	for (unsigned int i = LP_HDR_LEN; i < c->size; i++)
		f[i] = (uint8_t)(seq * 7 + i);
	tag_insert(f, c->size, c);
}

/* 'off': where the magic is, ETH_HDR_LEN or past a tag. */
static bool
frame_intact(const uint8_t *f, size_t len, size_t off)
{
	uint64_t seq;

	if (len < off + LP_HDR_LEN - ETH_HDR_LEN ||
	    get_be(f + off, 4) != LP_MAGIC)
		return false;
	if (get_be(f + off + 24, 2) != len - (off - ETH_HDR_LEN))
		return false;
	seq = get_be(f + off + 8, 8);
	for (size_t i = LP_HDR_LEN; i < len - (off - ETH_HDR_LEN); i++)
		if (f[i + off - ETH_HDR_LEN] != (uint8_t)(seq * 7 + i))
			return false;
	return true;
}

/* 'mac': the sender's base MAC from the frame, whatever its source. */
static void
flow_account(struct lp_stats *st, uint64_t mac, uint32_t id, uint64_t seq)
{
	struct lp_flow *fl = NULL;

	for (unsigned int i = 0; i < st->n_flows; i++)
		if (st->flows[i].mac == mac && st->flows[i].id == id) {
			fl = &st->flows[i];
			break;
		}
	if (!fl) {
		if (st->n_flows == LP_FLOWS_MAX) {
			st->flows_over++;
			return;
		}
		fl = &st->flows[st->n_flows++];
		*fl = (struct lp_flow){ .mac = mac, .id = id, .max_seq = seq };
		fl->frames = 1;
		return;
	}
	fl->frames++;
	if (seq < fl->max_seq)
		st->reordered++;
	else
		fl->max_seq = seq;
}

/*
 * Classify one received frame.  Returns where the test header starts
 * (ETH_HDR_LEN, or past the tag) for an intact test frame, else 0.
 */
static size_t
frame_account(struct lp_stats *st, const uint8_t *f, size_t len)
{
	size_t off = ETH_HDR_LEN;
	struct vlan_tag tag;
	uint16_t type;

	if (len < ETH_HDR_LEN) {
		st->other++;
		return 0;
	}
	type = eth_type(f);
	if (vlan_parse(f, (uint32_t)len, VLAN_TPID_8021Q, &tag) ||
	    (!tag.present &&
	     vlan_parse(f, (uint32_t)len, VLAN_TPID_8021AD, &tag))) {
		st->other++;	/* ends inside its tag */
		return 0;
	}
	if (tag.present) {
		off = ETH_HDR_LEN + VLAN_TAG_LEN;
		type = (uint16_t)get_be(f + off - 2, 2);
		if (type == LP_ETYPE) {
			st->tagged++;
			st->vids[tag.vid]++;
		}
	}
	if (type == LP_ETYPE_HELLO) {
		st->hellos++;
		return 0;
	}
	if (type != LP_ETYPE) {
		st->other++;
		return 0;
	}
	if (!frame_intact(f, len, off)) {
		st->corrupted++;
		return 0;
	}
	st->frames++;
	st->bytes += len;
	flow_account(st, get_be(f + off + 26, ETH_ALEN),
		     (uint32_t)get_be(f + off + 4, 4), get_be(f + off + 8, 8));
	return off;
}

/* --- modes ---------------------------------------------------------------- */

/* Returns false when the endpoint is gone. */
static bool
send_frames(struct lp_ep *ep, uint8_t *const *frames, const size_t *lens,
	    unsigned int n, struct lp_stats *st)
{
	return ep->ops->send(ep, frames, lens, n, &st->sent) == 0;
}

static void
hello(struct lp_ep *ep, const struct lp_cfg *c)
{
	uint8_t f[60] = { 0 };
	uint8_t *fp = f;
	size_t len = sizeof(f);
	struct lp_sent not_counted;	/* a hello is not "sent" */

	memset(f, 0xff, ETH_ALEN);
	memcpy(f + ETH_ALEN, c->src, ETH_ALEN);
	put_be(f + 12, LP_ETYPE_HELLO, 2);
	put_be(f + 14, LP_MAGIC, 4);
	tag_insert(f, sizeof(f) - VLAN_TAG_LEN, c);
	if (ep->ops->send(ep, &fp, &len, 1, &not_counted) != 0)
		die_io("send hello");
}

static void
mark_ready(const struct lp_cfg *c)
{
	FILE *f;

	if (!c->ready)
		return;
	f = fopen(c->ready, "w");
	if (!f)
		die_io("%s", c->ready);
	fclose(f);
}

static double
deadline_left(uint64_t start, double duration)
{
	if (duration <= 0)
		return 1e9;
	return duration - (double)(now_ns() - start) / 1e9;
}

static void
run_tx(struct lp_ep *ep, const struct lp_cfg *c, struct lp_stats *st)
{
	uint8_t *frames[LP_BATCH_MAX];
	size_t lens[LP_BATCH_MAX];
	uint64_t start = now_ns(), seq = 0;

	for (unsigned int i = 0; i < c->batch; i++) {
		frames[i] = malloc(c->size + VLAN_TAG_LEN);
		if (!frames[i])
			die_io("malloc");
		lens[i] = c->size + (c->tagged ? VLAN_TAG_LEN : 0);
	}
	while (!lp_stop && (!c->count || seq < c->count) &&
	       deadline_left(start, c->duration) > 0) {
		unsigned int n = c->batch;

		if (c->count && c->count - seq < n)
			n = (unsigned int)(c->count - seq);
		if (c->rate) {
			uint64_t due = start + seq * 1000000000u / c->rate;
			uint64_t t = now_ns();

			if (due > t) {
				struct timespec ts = { (time_t)((due - t) / 1000000000u),
						       (long)((due - t) % 1000000000u) };
				nanosleep(&ts, NULL);
			}
			n = 1;
		}
		for (unsigned int i = 0; i < n; i++)
			frame_build(frames[i], c, seq + i);
		if (!send_frames(ep, frames, lens, n, st)) {
			st->closed = true;
			break;
		}
		seq += n;
	}
	st->secs = (double)(now_ns() - start) / 1e9;
	for (unsigned int i = 0; i < c->batch; i++)
		free(frames[i]);
}

struct rx_ctx {
	struct lp_stats *st;
	struct lp_ep *ep;
	const struct lp_cfg *c;
};

static void
rx_frame(void *ctx, uint8_t *f, size_t len)
{
	struct rx_ctx *x = ctx;

	frame_account(x->st, f, len);
}

static void
echo_frame(void *ctx, uint8_t *f, size_t len)
{
	struct rx_ctx *x = ctx;
	size_t off = frame_account(x->st, f, len);

	if (!off)
		return;
	/* The answer is ours: our MAC as source and as base MAC. */
	memcpy(f, eth_src(f), ETH_ALEN);
	memcpy(f + ETH_ALEN, x->c->src, ETH_ALEN);
	memcpy(f + off + 26, x->c->src, ETH_ALEN);
	if (!send_frames(x->ep, &f, &len, 1, x->st))
		x->st->closed = true;
}

/* reflect: the frame goes back untouched, whatever it is. */
static void
reflect_frame(void *ctx, uint8_t *f, size_t len)
{
	struct rx_ctx *x = ctx;

	frame_account(x->st, f, len);
	if (!send_frames(x->ep, &f, &len, 1, x->st))
		x->st->closed = true;
}

static void
run_rx(struct lp_ep *ep, const struct lp_cfg *c, struct lp_stats *st,
       lp_frame_fn *fn)
{
	struct rx_ctx x = { st, ep, c };
	uint64_t start = now_ns(), first = 0, last = 0;

	while (!lp_stop && !st->closed &&
	       (!c->count || st->frames < c->count)) {
		double left = deadline_left(start, c->duration);
		int wait_ms, n;

		if (left <= 0)
			break;
		if (c->idle > 0 && last &&
		    (double)(now_ns() - last) / 1e9 >= c->idle)
			break;
		wait_ms = left > 0.1 ? 100 : (int)(left * 1000) + 1;
		n = ep->ops->recv(ep, c->batch, wait_ms, fn, &x);
		if (n < 0) {
			st->closed = true;
			break;
		}
		if (n > 0) {
			last = now_ns();
			if (!first)
				first = last;
		}
	}
	st->secs = first ? (double)(last - first) / 1e9 : 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

struct ping_ctx {
	struct lp_stats *st;
	uint64_t want_seq;
	bool got;
};

static void
ping_frame(void *ctx, uint8_t *f, size_t len)
{
	struct ping_ctx *p = ctx;
	size_t off = frame_account(p->st, f, len);

	if (off && get_be(f + off + 8, 8) == p->want_seq) {
		p->st->rtts[p->st->n_rtts++] = now_ns() - get_be(f + off + 16, 8);
		p->got = true;
	}
}

static void
run_ping(struct lp_ep *ep, const struct lp_cfg *c, struct lp_stats *st)
{
	uint8_t *f = malloc(c->size + VLAN_TAG_LEN);
	size_t len = c->size + (c->tagged ? VLAN_TAG_LEN : 0);
	uint64_t start = now_ns(), max = c->count ? c->count : LP_RTT_MAX;
	struct ping_ctx p = { .st = st };

	st->rtts = calloc(max, sizeof(*st->rtts));
	if (!f || !st->rtts)
		die_io("malloc");
	for (uint64_t seq = 0; !lp_stop && seq < max &&
			       deadline_left(start, c->duration) > 0; seq++) {
		uint64_t sent_at;

		frame_build(f, c, seq);
		p.want_seq = seq;
		p.got = false;
		if (!send_frames(ep, &f, &len, 1, st)) {
			st->closed = true;
			break;
		}
		sent_at = now_ns();
		/* An answer later than one second counts as lost. */
		while (!p.got && !lp_stop && now_ns() - sent_at < 1000000000u)
			if (ep->ops->recv(ep, 1, 100, ping_frame, &p) < 0) {
				st->closed = true;
				break;
			}
		if (st->closed)
			break;
		if (!p.got)
			st->lost++;
	}
	st->secs = (double)(now_ns() - start) / 1e9;
	free(f);
	qsort(st->rtts, st->n_rtts, sizeof(*st->rtts), cmp_u64);
}

static size_t
hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*hex) {
		unsigned int v;

		if (hex[0] == ' ' || hex[0] == ':') {
			hex++;
			continue;
		}
		if (n == cap || sscanf(hex, "%2x", &v) != 1 || !hex[1])
			die_usage("--hex: '%s' is not pairs of hex digits", hex);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static void
discard_frame(void *ctx, uint8_t *f, size_t len)
{
	(void)ctx;
	(void)f;
	(void)len;
}

/*
 * Socket endpoints get the bytes as one write, unframed, and a stream
 * peer's close is watched for; the others send them as one frame.
 */
static void
run_raw(struct lp_ep *ep, const struct lp_cfg *c, struct lp_stats *st)
{
	static uint8_t bytes[LP_FRAME_MAX + 1];
	size_t n = hex_decode(c->hex, bytes, sizeof(bytes));
	uint64_t start = now_ns();
	bool sock = ep->ops == &lp_stream_ops || ep->ops == &lp_dgram_ops;
	uint8_t *fp = bytes;
	ssize_t w;

	if (!sock) {
		if (ep->ops->send(ep, &fp, &n, 1, &st->sent) != 0)
			die_io("send");
		st->sent.frames = 0;
		while (!lp_stop && (double)(now_ns() - start) / 1e9 < c->linger)
			ep->ops->recv(ep, 1, 50, discard_frame, NULL);
		return;
	}
	w = sendto(ep->fd, bytes, n, MSG_NOSIGNAL,
		   ((struct lp_sock *)ep->priv)->to,
		   ((struct lp_sock *)ep->priv)->to_len);
	if (w == -1)
		die_io("send");
	st->sent.bytes = (uint64_t)w;
	while (!lp_stop && (double)(now_ns() - start) / 1e9 < c->linger) {
		struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };
		uint8_t tmp[4096];

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		w = recv(ep->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (w == 0 || (w == -1 && errno != EAGAIN && errno != EINTR)) {
			st->closed = c->kind == LP_STREAM;
			break;
		}
	}
}

static void report(const struct lp_cfg *c, const struct lp_stats *st);

/* The floor: tx and rx over a socketpair, no switch between them. */
static void
run_pair(struct lp_cfg *c, struct lp_stats *st)
{
	int sv[2];
	pid_t child;
	struct lp_stats rx = { 0 };
	struct lp_cfg rc = *c;
	struct lp_ep ep;
	char err[ERR_LEN];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		die_io("socketpair");
	child = fork();
	if (child == -1)
		die_io("fork");
	if (child == 0) {
		close(sv[0]);
		if (sock_attach(&ep, &lp_dgram_ops, sv[1], c->batch, err))
			die_io("%s", err);
		rc.idle = 1;
		rc.duration = 0;
		rc.mode = LP_RX;
		run_rx(&ep, &rc, &rx, rx_frame);
		rx.closed = false;
		report(&rc, &rx);
		fflush(stdout);
		_exit(0);
	}
	close(sv[1]);
	if (sock_attach(&ep, &lp_dgram_ops, sv[0], c->batch, err))
		die_io("%s", err);
	run_tx(&ep, c, st);
	sock_close(&ep);
	waitpid(child, NULL, 0);
}

/* --- report --------------------------------------------------------------- */

static void
report(const struct lp_cfg *c, const struct lp_stats *st)
{
	static const char *const names[] = { "", "tx", "rx", "echo", "ping",
					     "raw", "reflect" };
	uint64_t lost = st->lost;
	double pps;

	if (c->mode == LP_RX || c->mode == LP_ECHO || c->mode == LP_REFLECT)
		for (unsigned int i = 0; i < st->n_flows; i++)
			lost += st->flows[i].max_seq + 1 > st->flows[i].frames
					? st->flows[i].max_seq + 1 - st->flows[i].frames
					: 0;
	pps = st->secs > 0 ? (double)(c->mode == LP_TX ? st->sent.frames
						       : st->frames) /
				     st->secs
			   : 0;
	if (!c->json) {
		printf("mode=%s sent=%" PRIu64 " received=%" PRIu64
		       " bytes=%" PRIu64 " hellos=%" PRIu64 " other=%" PRIu64
		       " corrupted=%" PRIu64 " lost=%" PRIu64
		       " reordered=%" PRIu64 " tagged=%" PRIu64
		       " seconds=%.3f pps=%.0f closed=%s\n",
		       names[c->mode], st->sent.frames, st->frames, st->bytes,
		       st->hellos, st->other, st->corrupted, lost,
		       st->reordered, st->tagged, st->secs, pps,
		       st->closed ? "yes" : "no");
		if (st->n_rtts)
			printf("rtt_us p50=%.1f p99=%.1f p999=%.1f\n",
			       st->rtts[st->n_rtts / 2] / 1e3,
			       st->rtts[st->n_rtts * 99 / 100] / 1e3,
			       st->rtts[st->n_rtts * 999 / 1000] / 1e3);
		return;
	}
	/*
	 * "sources" is keyed by the senders' base MAC and flow id, so it
	 * stays at LP_FLOWS_MAX entries however many MACs --macs cycles
	 * through; "untracked" counts intact frames of senders past that.
	 * "rx_drops": frames the endpoint's kernel queue dropped (packet).
	 */
	printf("{\"mode\":\"%s\",\"sent\":%" PRIu64 ",\"sent_bytes\":%" PRIu64
	       ",\"received\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"hellos\":%" PRIu64 ",\"other\":%" PRIu64
	       ",\"corrupted\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"reordered\":%" PRIu64 ",\"tagged\":%" PRIu64
	       ",\"send_errors\":%" PRIu64 ",\"untracked\":%" PRIu64
	       ",\"rx_drops\":%" PRIu64 ",\"seconds\":%.6f,\"pps\":%.1f"
	       ",\"closed\":%s,\"sources\":{",
	       names[c->mode], st->sent.frames, st->sent.bytes, st->frames,
	       st->bytes, st->hellos, st->other, st->corrupted, lost,
	       st->reordered, st->tagged, st->sent.errors, st->flows_over,
	       st->rx_drops, st->secs, pps, st->closed ? "true" : "false");
	for (unsigned int i = 0; i < st->n_flows; i++) {
		uint8_t mac[ETH_ALEN];
		char s[ETH_MAC_STRLEN];

		eth_u64_to_mac(st->flows[i].mac, mac);
		eth_mac_format(mac, s);
		printf("%s\"%s/%" PRIu32 "\":%" PRIu64, i ? "," : "", s,
		       st->flows[i].id, st->flows[i].frames);
	}
	printf("},\"vlans\":{");
	for (unsigned int v = 0, first = 1; v < 4096; v++)
		if (st->vids[v]) {
			printf("%s\"%u\":%" PRIu64, first ? "" : ",", v,
			       st->vids[v]);
			first = 0;
		}
	printf("}");
	if (st->n_rtts)
		printf(",\"rtt_us\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f}",
		       st->rtts[st->n_rtts / 2] / 1e3,
		       st->rtts[st->n_rtts * 99 / 100] / 1e3,
		       st->rtts[st->n_rtts * 999 / 1000] / 1e3);
	printf("}\n");
}

/* --- options -------------------------------------------------------------- */

static uint64_t
num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		die_usage("%s: '%s' is not a number in %" PRIu64 "-%" PRIu64,
			  opt, s, min, max);
	return v;
}

static double
secs(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e6)
		die_usage("%s: '%s' is not a number of seconds", opt, s);
	return v;
}

static void
parse_args(int argc, char **argv, struct lp_cfg *c)
{
	static const struct option longs[] = {
		{ "src", 1, NULL, 's' },      { "dst", 1, NULL, 'd' },
		{ "size", 1, NULL, 'l' },     { "count", 1, NULL, 'n' },
		{ "duration", 1, NULL, 't' }, { "idle", 1, NULL, 'i' },
		{ "batch", 1, NULL, 'b' },    { "rate", 1, NULL, 'r' },
		{ "flow", 1, NULL, 'f' },     { "announce", 0, NULL, 'a' },
		{ "ready", 1, NULL, 'R' },    { "hex", 1, NULL, 'x' },
		{ "linger", 1, NULL, 'w' },   { "json", 0, NULL, 'j' },
		{ "help", 0, NULL, 'h' },     { "vlan", 1, NULL, 'q' },
		{ "macs", 1, NULL, 'm' },     { 0 },
	};
	static const char *const modes[] = { "", "tx", "rx", "echo", "ping",
					     "raw", "reflect" };
	int o;

	*c = (struct lp_cfg){ .size = 60, .batch = 1, .duration = 10,
			      .linger = 1, .macs = 1 };
	eth_mac_parse("02:00:00:00:00:01", c->src);
	memset(c->dst, 0xff, ETH_ALEN);
	while ((o = getopt_long(argc, argv, "s:d:m:l:n:t:i:b:r:f:q:aR:x:w:jh",
				longs, NULL)) != -1) {
		switch (o) {
		case 's':
			if (eth_mac_parse(optarg, c->src) != 0 ||
			    !eth_is_valid_src(c->src))
				die_usage("--src: '%s' is not a unicast MAC",
					  optarg);
			break;
		case 'd':
			if (eth_mac_parse(optarg, c->dst) != 0)
				die_usage("--dst: '%s' is not a MAC", optarg);
			break;
		case 'm':
			c->macs = (uint32_t)num("--macs", optarg, 1, LP_MACS_MAX);
			break;
		case 'l':
			c->size = (unsigned int)num("--size", optarg, LP_HDR_LEN,
						    LP_FRAME_MAX);
			break;
		case 'n':
			c->count = num("--count", optarg, 1, UINT64_MAX);
			break;
		case 't':
			c->duration = secs("--duration", optarg);
			break;
		case 'i':
			c->idle = secs("--idle", optarg);
			break;
		case 'b':
			c->batch = (unsigned int)num("--batch", optarg, 1,
						     LP_BATCH_MAX);
			break;
		case 'r':
			c->rate = num("--rate", optarg, 0, 100000000);
			break;
		case 'f':
			c->flow = (uint32_t)num("--flow", optarg, 0, UINT32_MAX);
			break;
		case 'q': {
			char *colon = strchr(optarg, ':');
			uint64_t pcp = 0;

			if (colon) {
				*colon = 0;
				pcp = num("--vlan PCP", colon + 1, 0, 7);
			}
			c->tagged = true;
			c->pcp = (uint8_t)pcp;
			c->vid = (uint16_t)num("--vlan", optarg, 0, 4095);
			break;
		}
		case 'a':
			c->announce = true;
			break;
		case 'R':
			c->ready = optarg;
			break;
		case 'x':
			c->hex = optarg;
			break;
		case 'w':
			c->linger = secs("--linger", optarg);
			c->linger_set = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			exit(2);
		}
	}
	if (argc - optind != 2)
		die_usage("need MODE and ENDPOINT");
	for (unsigned int i = 1; i < ARRAY_SIZE(modes); i++)
		if (strcmp(argv[optind], modes[i]) == 0)
			c->mode = (enum lp_mode)i;
	if (!c->mode)
		die_usage("unknown mode '%s'", argv[optind]);
	parse_endpoint(argv[optind + 1], c);
	if (c->mode == LP_RAW && !c->hex)
		die_usage("raw needs --hex");
	if (c->mode == LP_PING && c->count > LP_RTT_MAX)
		die_usage("ping: --count at most %d", LP_RTT_MAX);
	if (c->kind == LP_PAIR && c->mode != LP_TX)
		die_usage("the pair endpoint is for tx only");
	if (c->kind == LP_STREAM && c->size > STREAM_FRAME_MAX)
		die_usage("--size above the stream limit %d", STREAM_FRAME_MAX);
	if (c->macs > 1 && c->mode != LP_TX && c->mode != LP_PING)
		die_usage("--macs is for tx and ping");
	if ((eth_mac_to_u64(c->src) & LP_MAC_LOW_MASK) + c->macs - 1 >
	    LP_MAC_LOW_MASK)
		die_usage("--macs: --src + %" PRIu32 " would change the first "
			  "octet", c->macs - 1);
	if (eth_mac_to_u64(c->dst) - eth_mac_to_u64(c->src) < c->macs)
		die_usage("--macs: --dst is one of the source MACs; a learning "
			  "switch would send its frames back");
	/* The packet and vde buffers are sized from --size at open. */
	if (c->mode == LP_RAW && (c->kind == LP_PACKET || c->kind == LP_VDE))
		c->size = (unsigned int)MAX(c->size,
					    MIN(strlen(c->hex) / 2, LP_FRAME_MAX));
}

int
main(int argc, char **argv)
{
	struct lp_cfg c;
	static struct lp_stats st;
	struct sigaction sa = { .sa_handler = on_signal };
	struct lp_ep ep;
	char err[ERR_LEN];

	parse_args(argc, argv, &c);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (c.kind == LP_PAIR) {
		run_pair(&c, &st);
		report(&c, &st);
		return 0;
	}
	if (c.ops->open(&ep, &c, err) != 0) {
		fprintf(stderr, "lanyard-perf: %s\n", err);
		return 1;
	}
	if (c.announce)
		hello(&ep, &c);
	mark_ready(&c);
	switch (c.mode) {
	case LP_TX:
		run_tx(&ep, &c, &st);
		if (c.linger_set && c.linger > 0 && !st.closed) {
			struct lp_cfg lc = c;
			double sent_secs = st.secs;

			lc.duration = c.linger;
			lc.count = 0;
			lc.idle = 0;
			run_rx(&ep, &lc, &st, rx_frame);
			st.secs = sent_secs;
		}
		break;
	case LP_RX:
		run_rx(&ep, &c, &st, rx_frame);
		break;
	case LP_ECHO:
		run_rx(&ep, &c, &st, echo_frame);
		break;
	case LP_REFLECT:
		run_rx(&ep, &c, &st, reflect_frame);
		break;
	case LP_PING:
		run_ping(&ep, &c, &st);
		break;
	case LP_RAW:
		run_raw(&ep, &c, &st);
		break;
	}
	if (ep.ops->rx_drops)
		st.rx_drops = ep.ops->rx_drops(&ep);
	report(&c, &st);
	ep.ops->close(&ep);
	free(st.rtts);
	return st.closed && c.mode != LP_RAW && c.mode != LP_RX ? 1 : 0;
}
