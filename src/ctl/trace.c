/* SPDX-License-Identifier: MIT */
/*
 * trace.c - trace and capture clients, and the bridge's observer hooks.
 * See trace.h for the theory of operation.
 *
 * The hooks (trace_rx, trace_verdict, trace_drop, trace_tx) run on the data
 * path while some client exists: they use preallocated memory only and
 * make no syscalls.  Everything else is control path.
 */
#include "ctl/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "port/port.h"
#include "proto/eth.h"
#include "proto/pcapng.h"
#include "proto/vlan.h"

#define TRACE_IFACES_MAX 256	/* interfaces (ports) per capture */
#define TRACE_LINE_MAX 4096	/* a trace line; longer port lists are cut */
#define TRACE_DROPS_MAX 8	/* egress drops listed with one frame */

struct trace_ring {
	uint8_t *buf;
	size_t cap, head, len;
};

struct trace_iface {
	const struct port *p;
	char id[PORT_ID_MAX];
};

struct trace_client {
	struct trace *t;
	unsigned int slot;		/* bit in the frame masks */
	bool capture;
	bool has_prog;
	struct bpf_program prog;
	struct trace_ring ring;
	uint64_t lost, lost_sent;
	/* capture: "all" or ID[,ID...]; a listener's id takes its children */
	char ports[CTL_ARG_MAX];
	struct trace_iface *ifaces;
	unsigned int n_ifaces;
	/* sink */
	int file_fd;			/* a capture file, or -1 */
	trace_wake_fn *wake;
	void *wake_arg;
	struct loop_defer defer;
};

/* A received frame of the burst being classified, as a trace shows it. */
struct trace_frame {
	uint64_t mask;			/* trace clients it matched */
	const struct port *in;
	uint8_t src[ETH_ALEN], dst[ETH_ALEN];
	uint16_t type;			/* after any tags */
	int tag;			/* VID of an outer tag, -1 if none */
	uint32_t len;
};

struct trace {
	struct bridge_obs hooks;
	struct sw *sw;
	struct trace_client *clients[TRACE_CLIENTS_MAX];
	uint64_t used;			/* slots in use */
	uint64_t traces;		/* slots of trace (not capture) clients */
	int64_t wall_off;		/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	struct trace_frame frames[PKT_BURST];
	unsigned int n_frames;
	int cur;			/* frame being classified, -1: none */
	struct {
		const struct port *out;
		int cause;
	} drops[TRACE_DROPS_MAX];
	unsigned int n_drops;
	char line[TRACE_LINE_MAX];
};

/* ---- rings ------------------------------------------------------------ */

static size_t
ring_room(const struct trace_ring *r)
{
	return r->cap - r->len;
}

/* Appends @n bytes; the caller checked ring_room(). */
static void
ring_put(struct trace_ring *r, const void *src, size_t n)
{
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = MIN(n, r->cap - tail);

	memcpy(r->buf + tail, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
	r->len += n;
}

static void
client_wake_deferred(struct loop_defer *d)
{
	struct trace_client *tc = container_of(d, struct trace_client, defer);

	tc->wake(tc, tc->wake_arg);
}

/* The ring got data: have the sink called after this loop iteration. */
static void
client_kick(struct trace_client *tc)
{
	loop_defer(&tc->t->sw->loop, &tc->defer, client_wake_deferred);
}

/* The report of losses not yet told, if it fits now. */
static void
put_lost(struct trace_client *tc)
{
	uint8_t blk[PCAPNG_LOST_LEN];
	char line[48];
	size_t n;

	if (tc->lost == tc->lost_sent)
		return;
	if (tc->capture) {
		n = pcapng_lost(blk, tc->lost);
		if (ring_room(&tc->ring) < n)
			return;
		ring_put(&tc->ring, blk, n);
	} else {
		n = (size_t)snprintf(line, sizeof(line), "{\"lost\":%llu}\n",
				     (unsigned long long)tc->lost);
		if (ring_room(&tc->ring) < n)
			return;
		ring_put(&tc->ring, line, n);
	}
	tc->lost_sent = tc->lost;
}

/* ---- filters and formatting --------------------------------------------- */

static bool
client_match(const struct trace_client *tc, const struct pkt *pkt)
{
	return !tc->has_prog ||
	       bpf_filter(tc->prog.bf_insns, pkt->data, pkt->len, pkt->len);
}

static uint64_t
wall_us(const struct trace *t)
{
	return (uint64_t)((int64_t)loop_now(&t->sw->loop) + t->wall_off) /
	       1000;
}

/* Fills @f from the frame as received (before a tag is removed). */
static void
frame_snapshot(struct trace_frame *f, const struct pkt *pkt)
{
	f->in = pkt->in;
	f->len = pkt->len;
	f->tag = -1;
	f->type = 0;
	memset(f->src, 0, ETH_ALEN);
	memset(f->dst, 0, ETH_ALEN);
	if (pkt->len < ETH_HDR_LEN)
		return;
	memcpy(f->dst, pkt->data, ETH_ALEN);
	memcpy(f->src, pkt->data + ETH_ALEN, ETH_ALEN);
	f->type = get_be16(pkt->data + 2 * ETH_ALEN);
	if (vlan_is_tpid(f->type) && pkt->len >= ETH_HDR_LEN + VLAN_TAG_LEN) {
		f->tag = get_be16(pkt->data + ETH_HDR_LEN) & 0x0fff;
		f->type = get_be16(pkt->data + ETH_HDR_LEN + 2);
	}
}

/* snprintf into t->line at *off, never past its end. */
static void __attribute__((format(printf, 3, 4)))
add(struct trace *t, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= sizeof(t->line))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->line + *off, sizeof(t->line) - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = MIN(*off + (size_t)n, sizeof(t->line));
}

/* The common head of a trace line: time, port, addresses, type, VLAN. */
static void
line_head(struct trace *t, size_t *off, const struct trace_frame *f,
	  uint16_t vlan)
{
	char src[ETH_MAC_STRLEN], dst[ETH_MAC_STRLEN];

	eth_mac_format(f->src, src);
	eth_mac_format(f->dst, dst);
	add(t, off,
	    "{\"time_us\":%llu,\"port\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\","
	    "\"ethertype\":\"0x%04x\",\"len\":%u",
	    (unsigned long long)wall_us(t), f->in ? f->in->id : "-", src, dst,
	    f->type, f->len);
	if (f->tag >= 0)
		add(t, off, ",\"tag\":%d", f->tag);
	if (vlan)
		add(t, off, ",\"vlan\":%u", vlan);
}

/* Is @p a copy for a mirror rather than a destination of the frame? */
static bool
is_mirror_copy(const struct port *in, const struct port *p,
	       const struct port *const *dst, unsigned int n)
{
	if (in && in->mirror == p && (in->pol.mirror_dir & PORT_MIRROR_RX))
		return true;
	for (unsigned int i = 0; i < n; i++)
		if (dst[i] != p && dst[i]->mirror == p &&
		    (dst[i]->pol.mirror_dir & PORT_MIRROR_TX))
			return true;
	return false;
}

/*
 * The ports @pkt was staged on: those in the bridge's staged list whose
 * last frame is it (or its shared tagged copy).  A second trunk TPID's
 * uncached copy is not recognised; up to @max.
 */
static unsigned int
staged_on(const struct trace *t, const struct pkt *pkt,
	  const struct port **dst, unsigned int max)
{
	unsigned int n = 0;

	for (const struct port *p = t->sw->br.staged; p && n < max;
	     p = p->stage_next) {
		const struct pkt *last;

		if (!p->stage.n)
			continue;
		last = p->stage.pkts[p->stage.n - 1];
		if (last == pkt || (pkt->tagged && last == pkt->tagged))
			dst[n++] = p;
	}
	return n;
}

/* The ids of @dst that are mirror copies (@mirrors) or not, quoted. */
static void
add_port_list(struct trace *t, size_t *off, const struct port *const *dst,
	      unsigned int n, bool mirrors, const struct port *in)
{
	bool first = true;

	for (unsigned int i = 0; i < n; i++) {
		if (is_mirror_copy(in, dst[i], dst, n) != mirrors)
			continue;
		add(t, off, "%s\"%s\"", first ? "" : ",", dst[i]->id);
		first = false;
	}
}

/* Appends t->line (ending "}\n") to every trace client in @mask. */
static void
line_send(struct trace *t, size_t off, uint64_t mask)
{
	if (off > sizeof(t->line) - 3)	/* cut: keep it valid JSON */
		off = (size_t)snprintf(t->line, sizeof(t->line),
				       "{\"truncated\":true");
	memcpy(t->line + off, "}\n", 2);
	off += 2;
	for (unsigned int s = 0; mask; s++, mask >>= 1) {
		struct trace_client *tc = t->clients[s];

		if (!(mask & 1))
			continue;
		put_lost(tc);
		if (ring_room(&tc->ring) < off) {
			tc->lost++;
		} else {
			ring_put(&tc->ring, t->line, off);
		}
		client_kick(tc);
	}
}

/* ---- capture ------------------------------------------------------------ */

static bool
id_in_list(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && memcmp(p, id, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static bool
port_wanted(const struct trace_client *tc, const struct port *p)
{
	if (strcmp(tc->ports, "all") == 0)
		return true;
	return id_in_list(tc->ports, p->id) ||
	       (p->parent && id_in_list(tc->ports, p->parent->id));
}

/* @p's interface number; its IDB is put in the ring first if new. -1: no
 * room (the packet is lost). */
static int
iface_of(struct trace_client *tc, const struct port *p)
{
	uint8_t idb[128];
	size_t n;

	for (unsigned int i = 0; i < tc->n_ifaces; i++)
		if (tc->ifaces[i].p == p && !strcmp(tc->ifaces[i].id, p->id))
			return (int)i;
	if (tc->n_ifaces == TRACE_IFACES_MAX)
		return -1;
	n = pcapng_idb(idb, sizeof(idb), tc->t->sw->frame_max, p->id);
	if (!n || ring_room(&tc->ring) < n)
		return -1;
	ring_put(&tc->ring, idb, n);
	tc->ifaces[tc->n_ifaces].p = p;
	snprintf(tc->ifaces[tc->n_ifaces].id, PORT_ID_MAX, "%s", p->id);
	return (int)tc->n_ifaces++;
}

static void
capture_one(struct trace_client *tc, const struct port *p,
	    const struct pkt *pkt, uint32_t dir, uint64_t ts)
{
	uint8_t head[PCAPNG_EPB_HEAD_LEN], tail[PCAPNG_EPB_TAIL_LEN + 3];
	int ifc;

	if (!port_wanted(tc, p) || !client_match(tc, pkt))
		return;
	put_lost(tc);
	ifc = iface_of(tc, p);
	if (ifc < 0 || ring_room(&tc->ring) < pcapng_epb_len(pkt->len)) {
		tc->lost++;
		return;
	}
	ring_put(&tc->ring, head,
		 pcapng_epb_head(head, (uint32_t)ifc, ts, pkt->len, pkt->len));
	ring_put(&tc->ring, pkt->data, pkt->len);
	ring_put(&tc->ring, tail, pcapng_epb_tail(tail, pkt->len, dir));
	client_kick(tc);
}

/* ---- the hooks (data path) --------------------------------------------- */

static void
trace_rx(struct bridge_obs *o, struct pkt *const *pkts, unsigned int n)
{
	struct trace *t = container_of(o, struct trace, hooks);
	uint64_t ts = wall_us(t);

	t->n_frames = n;
	t->cur = n ? 0 : -1;
	t->n_drops = 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct pkt *pkt = pkts[i];
		uint64_t used = t->used, mask = 0;

		for (unsigned int s = 0; used; s++, used >>= 1) {
			struct trace_client *tc = t->clients[s];

			if (!(used & 1))
				continue;
			if (tc->capture)
				capture_one(tc, pkt->in, pkt,
					    PCAPNG_EPB_INBOUND, ts);
			else if (client_match(tc, pkt))
				mask |= 1ull << s;
		}
		t->frames[i].mask = mask;
		if (mask)
			frame_snapshot(&t->frames[i], pkt);
	}
}

static void
trace_verdict(struct bridge_obs *o, unsigned int i, const struct pkt *pkt,
	      int fwd)
{
	struct trace *t = container_of(o, struct trace, hooks);
	const struct port *dst[64];
	struct trace_frame *f = &t->frames[i];
	unsigned int n;
	size_t off = 0;

	t->cur = i + 1 < t->n_frames ? (int)i + 1 : -1;
	if (!f->mask) {
		t->n_drops = 0;
		return;
	}
	line_head(t, &off, f, fwd < 0 ? pkt->vlan : 0);
	if (fwd >= 0) {
		add(t, &off, ",\"action\":\"drop\",\"cause\":\"%s\"",
		    port_drop_name((enum port_drop)fwd));
	} else {
		n = staged_on(t, pkt, dst, ARRAY_SIZE(dst));
		add(t, &off, ",\"action\":\"%s\",\"to\":[",
		    fwd == BRIDGE_FWD_FLOOD ? "flood" : "forward");
		add_port_list(t, &off, dst, n, false, f->in);
		add(t, &off, "],\"mirror\":[");
		add_port_list(t, &off, dst, n, true, f->in);
		add(t, &off, "]");
	}
	if (t->n_drops) {
		add(t, &off, ",\"drops\":[");
		for (unsigned int d = 0; d < t->n_drops; d++)
			add(t, &off, "%s{\"port\":\"%s\",\"cause\":\"%s\"}",
			    d ? "," : "", t->drops[d].out->id,
			    port_drop_name((enum port_drop)t->drops[d].cause));
		add(t, &off, "]");
	}
	t->n_drops = 0;
	line_send(t, off, f->mask);
}

static void
trace_drop(struct bridge_obs *o, struct port *out, const struct pkt *pkt,
	   int cause)
{
	struct trace *t = container_of(o, struct trace, hooks);
	struct trace_frame f;
	uint64_t used = t->traces, mask = 0;
	size_t off = 0;

	if (t->cur >= 0) {	/* while classifying: told with the frame */
		if (t->n_drops < TRACE_DROPS_MAX) {
			t->drops[t->n_drops].out = out;
			t->drops[t->n_drops].cause = cause;
			t->n_drops++;
		}
		return;
	}
	for (unsigned int s = 0; used; s++, used >>= 1)
		if ((used & 1) && client_match(t->clients[s], pkt))
			mask |= 1ull << s;
	if (!mask)
		return;
	frame_snapshot(&f, pkt);
	line_head(t, &off, &f, pkt->vlan);
	add(t, &off, ",\"action\":\"drop\",\"cause\":\"%s\",\"to\":[\"%s\"]",
	    port_drop_name((enum port_drop)cause), out->id);
	line_send(t, off, mask);
}

static void
trace_tx(struct bridge_obs *o, struct port *p, struct pkt *const *pkts,
	 unsigned int n)
{
	struct trace *t = container_of(o, struct trace, hooks);
	uint64_t caps = t->used & ~t->traces;
	uint64_t ts;

	if (!caps)
		return;
	ts = wall_us(t);
	for (unsigned int s = 0; caps; s++, caps >>= 1) {
		if (!(caps & 1))
			continue;
		for (unsigned int i = 0; i < n; i++)
			if (pkts[i])
				capture_one(t->clients[s], p, pkts[i],
					    PCAPNG_EPB_OUTBOUND, ts);
	}
}

/* ---- clients (control path) --------------------------------------------- */

static struct trace *
trace_get(struct sw *sw)
{
	struct trace *t;
	struct timespec rt;

	if (sw->br.obs)
		return container_of(sw->br.obs, struct trace, hooks);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->sw = sw;
	t->cur = -1;
	t->hooks.rx = trace_rx;
	t->hooks.verdict = trace_verdict;
	t->hooks.drop = trace_drop;
	t->hooks.tx = trace_tx;
	clock_gettime(CLOCK_REALTIME, &rt);
	t->wall_off = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec -
		      (int64_t)loop_clock();
	sw->br.obs = &t->hooks;
	return t;
}

static void
client_free(struct trace_client *tc)
{
	if (tc->has_prog)
		pcap_freecode(&tc->prog);
	free(tc->ring.buf);
	free(tc->ifaces);
	free(tc);
}

/* Compiles @filter ("" = everything) for Ethernet frames. */
static int
compile(struct trace_client *tc, const char *filter, const char **code,
	char *err)
{
	pcap_t *pc;
	int ret = 0;

	if (!filter || !*filter)
		return 0;
	pc = pcap_open_dead(DLT_EN10MB, 65535);
	if (!pc)
		return ERR_SET(err, -ENOMEM, "pcap_open_dead failed");
	if (pcap_compile(pc, &tc->prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		*code = CTL_ERR_BAD_FILTER;
		ret = ERR_SET(err, -EINVAL, "filter '%s': %s", filter,
			      pcap_geterr(pc));
	} else {
		tc->has_prog = true;
	}
	pcap_close(pc);
	return ret;
}

/* Every port of @list ("all" or ID[,ID...]) exists. */
static int
check_ports(struct sw *sw, const char *list, const char **code, char *err)
{
	char id[PORT_ID_MAX];

	if (strcmp(list, "all") == 0)
		return 0;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		snprintf(id, sizeof(id), "%.*s", (int)MIN(l, sizeof(id) - 1),
			 p);
		if (!port_find(sw, id)) {
			*code = CTL_ERR_NO_PORT;
			return ERR_SET(err, -ENOENT, "no port '%s'", id);
		}
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* The Section Header and an IDB for each wanted port there is now. */
static void
capture_header(struct trace_client *tc)
{
	uint8_t shb[64];
	size_t n = pcapng_shb(shb, sizeof(shb), "lanyard " LANYARD_VERSION);

	ring_put(&tc->ring, shb, n);
	for (const struct port *p = tc->t->sw->ports_head; p; p = p->next)
		if (p->state != PORT_STATE_LISTENING && port_wanted(tc, p))
			(void)iface_of(tc, p);
}

static int
client_new(struct sw *sw, bool capture, const char *ports,
	   const char *filter, struct trace_client **out, const char **code,
	   char *err)
{
	struct trace_client *tc;
	unsigned int slot;
	struct trace *t;
	int ret;

	*code = CTL_ERR_BAD_REQUEST;
	if (capture && (ret = check_ports(sw, ports, code, err)))
		return ret;
	t = trace_get(sw);
	if (!t)
		return ERR_SET(err, -ENOMEM, "out of memory");
	if (t->used == ~0ull) {
		*code = CTL_ERR_BUSY;
		ret = ERR_SET(err, -EBUSY, "%d trace and capture clients "
			      "already", TRACE_CLIENTS_MAX);
		goto err_put;
	}
	slot = (unsigned int)__builtin_ctzll(~t->used);
	tc = calloc(1, sizeof(*tc));
	if (!tc) {
		ret = ERR_SET(err, -ENOMEM, "out of memory");
		goto err_put;
	}
	tc->t = t;
	tc->slot = slot;
	tc->capture = capture;
	tc->file_fd = -1;
	tc->ring.cap = capture ? CAPTURE_RING_LEN : TRACE_RING_LEN;
	tc->ring.buf = malloc(tc->ring.cap);
	if (capture)
		tc->ifaces = calloc(TRACE_IFACES_MAX, sizeof(*tc->ifaces));
	if (!tc->ring.buf || (capture && !tc->ifaces)) {
		ret = ERR_SET(err, -ENOMEM, "out of memory");
		goto err_free;
	}
	if ((ret = compile(tc, filter, code, err)))
		goto err_free;
	snprintf(tc->ports, sizeof(tc->ports), "%s", ports ? ports : "");
	t->clients[slot] = tc;
	t->used |= 1ull << slot;
	if (!capture)
		t->traces |= 1ull << slot;
	if (capture)
		capture_header(tc);
	*out = tc;
	return 0;

err_free:
	client_free(tc);
err_put:
	if (!t->used) {
		sw->br.obs = NULL;
		free(t);
	}
	return ret;
}

/**
 * trace_start() - start a trace or capture client for a control request
 * @sw:   the switch
 * @req:  CTL_CMD_TRACE (filter?) or CTL_CMD_CAPTURE (port, filter?)
 * @wake: called from the loop, deferred, whenever the client's ring has
 *        data for its sink; it should call trace_client_send()
 * @arg:  for @wake
 * @out:  the client, on success
 * @code: on failure, a CTL_ERR_* code (bad-filter, no-such-port, busy)
 * @err:  on failure, the reason (pcap's message for a bad filter)
 *
 * Control path.  Allocates the client's ring.  A capture's ring starts
 * with the pcapng Section Header and an IDB per wanted port.
 *
 * Return: 0 or -errno.
 */
int
trace_start(struct sw *sw, const struct ctl_req *req, trace_wake_fn *wake,
	    void *arg, struct trace_client **out, const char **code,
	    char *err)
{
	bool capture = req->cmd == CTL_CMD_CAPTURE;
	int ret;

	ret = client_new(sw, capture, capture ? req->port : NULL, req->filter,
			 out, code, err);
	if (ret)
		return ret;
	(*out)->wake = wake;
	(*out)->wake_arg = arg;
	client_kick(*out);
	return 0;
}

/**
 * trace_client_send() - hand what the ring holds to @fd, as far as it
 * takes it without blocking; then the report of losses, if any
 * @tc: the client
 * @fd: a non-blocking socket, or a file
 *
 * Control path (the loop).
 *
 * Return: 0 when all was sent, -EAGAIN when some is left (wait for
 * EPOLLOUT), another -errno when the sink failed.
 */
int
trace_client_send(struct trace_client *tc, int fd)
{
	struct trace_ring *r = &tc->ring;

	for (;;) {
		size_t n;
		ssize_t w;

		if (!r->len) {
			put_lost(tc);
			if (!r->len)
				return 0;
		}
		n = MIN(r->len, r->cap - r->head);
		if (tc->file_fd >= 0)
			w = write(fd, r->buf + r->head, n);
		else
			w = send(fd, r->buf + r->head, n,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -EAGAIN : -errno;
		}
		r->head = (r->head + (size_t)w) % r->cap;
		r->len -= (size_t)w;
		if (!r->len)
			r->head = 0;
	}
}

/**
 * trace_stop() - end a client: free it and, when it was the last, take the
 * hooks off the bridge
 * @tc: the client, or NULL
 *
 * Control path.  What its ring still held is discarded.
 */
void
trace_stop(struct trace_client *tc)
{
	struct trace *t;

	if (!tc)
		return;
	t = tc->t;
	loop_defer_cancel(&t->sw->loop, &tc->defer);
	t->clients[tc->slot] = NULL;
	t->used &= ~(1ull << tc->slot);
	t->traces &= ~(1ull << tc->slot);
	if (tc->file_fd >= 0)
		close(tc->file_fd);
	client_free(tc);
	if (!t->used) {
		t->sw->br.obs = NULL;
		free(t);
	}
}

static void
file_wake(struct trace_client *tc, void *arg)
{
	(void)arg;
	if (trace_client_send(tc, tc->file_fd) == -EAGAIN)
		client_kick(tc);
}

/**
 * capture_start_file() - capture to a pcapng file from now until the
 * switch stops (for a --pcap FILE startup option)
 * @sw:     the switch
 * @path:   the file, created or truncated, mode 0644
 * @ports:  "all", or ID[,ID...] (a listener's id takes its children too);
 *          each must name an existing port
 * @filter: a pcap filter expression, or NULL or "" for every frame
 * @err:    the reason on failure
 *
 * Control path, e.g. from main() after the ports are created.  Like a
 * "lanyardctl capture" client with a 4 MiB ring that a deferred call
 * writes to the file after each loop iteration with frames (the writes
 * are to a regular file and do not wait for a peer; a full ring loses
 * packets, counted in lanyard blocks of pcapng.h, never frames).
 * capture_stop_files() writes what is left and closes the file.
 *
 * Return: 0 or -errno.
 */
int
capture_start_file(struct sw *sw, const char *path, const char *ports,
		   const char *filter, char *err)
{
	struct trace_client *tc;
	const char *code;
	int fd, ret;

	if (!ports || !*ports || strlen(ports) >= CTL_ARG_MAX)
		return ERR_SET(err, -EINVAL, "capture: bad port list");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return ERR_SET(err, -errno, "%s: %s", path, strerror(errno));
	ret = client_new(sw, true, ports, filter, &tc, &code, err);
	if (ret) {
		close(fd);
		unlink(path);
		return ret;
	}
	tc->file_fd = fd;
	tc->wake = file_wake;
	client_kick(tc);
	return 0;
}

/**
 * capture_stop_files() - end the captures to files: each gets what its
 * ring holds, then is closed
 * @sw: the switch
 *
 * Control path, before the switch is torn down (control clients end with
 * their connections, in ctl.c).
 */
void
capture_stop_files(struct sw *sw)
{
	struct trace *t;

	if (!sw->br.obs)
		return;
	t = container_of(sw->br.obs, struct trace, hooks);
	for (unsigned int s = 0; s < TRACE_CLIENTS_MAX; s++) {
		struct trace_client *tc = t->clients[s];

		if (!tc || tc->file_fd < 0)
			continue;
		(void)trace_client_send(tc, tc->file_fd);
		if (t->used == (1ull << s)) {	/* the last: t goes too */
			trace_stop(tc);
			return;
		}
		trace_stop(tc);
	}
}
