/* SPDX-License-Identifier: MIT */
/*
 * test_vhost_user.c - the "vhost-user" port kind (src/port/vhost_user.c)
 * in a whole in-process switch.  The test is the front-end, as QEMU 7.2
 * would be (protocols.md §3): it connects to the port's socket, speaks the
 * messages with their fds, shares a memfd as guest memory and lays the
 * split rings out in it, kicks and reads the call eventfds.  A stream
 * port, played by an ordinary unix socket, is the other end of the
 * traffic.
 *
 * Covers: the handshake in QEMU's order (reply flags, REPLY_ACK), messages
 * cut anywhere or coalesced, frames both ways (header alone in a chained
 * descriptor or with the frame, used lengths, num_buffers with and
 * without MRG_RXBUF, frames spanning buffers, bursts longer than one loop
 * iteration reads), interrupts and NO_INTERRUPT, EVENT_IDX, the backlog
 * waiting for buffers and the kick that drains it, backpressure keeping a
 * guest's frames in its ring, GET_VRING_BASE stopping rings and a
 * restart, SET_VRING_ENABLE (and rings disabled until it), the call fd
 * replaced, the memory table replaced, hostile front-ends (messages
 * without fds or with too many, bad indexes, versions and features, rings
 * and descriptors outside guest memory, a looping chain, a jumping avail
 * index, an oversize frame, a memory table larger than its file), a
 * second front-end refused, and a front-end going away and a new one
 * coming.  After each hostile case a new front-end works.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "port/port.h"
#include "proto/eth.h"
#include "proto/stream_frame.h"
#include "proto/vhost_msg.h"
#include "proto/virtq.h"
#include "sw_fixture.h"

#define BIT(n) (1ULL << (n))

/* Guest memory: one memfd region at guest-physical 0. */
#define MEM_SIZE (4u << 20)
#define NUM 256			/* ring size, QEMU's default */
#define HDR 12			/* virtio_net_hdr with num_buffers */
#define SLOT 2048		/* one buffer per descriptor */
/* Rings of vring i: desc, avail, used at these offsets (16-aligned). */
#define RING_OFF(i) ((uint64_t)(i) * 0x4000)
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
/* Buffers: descriptor d of vring i owns SLOT bytes here. */
#define BUF_OFF(i, d) (0x10000 + (uint64_t)(i) * 0x80000 + (uint64_t)(d) * SLOT)
#define BIG_OFF 0x110000		/* room for one frame above frame_max */

/* What QEMU 7.2 acks of our offer in the trace, plus MRG_RXBUF. */
#define F_QEMU                                                                 \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VHOST_USER_F_PROTOCOL_FEATURES) |       \
	 BIT(VIRTIO_NET_F_MRG_RXBUF))
#define F_NO_MRG (BIT(VIRTIO_F_VERSION_1) | BIT(VHOST_USER_F_PROTOCOL_FEATURES))
#define F_EVIDX (F_QEMU | BIT(VIRTIO_RING_F_EVENT_IDX))

#define FL 0x1u			/* flags: version 1 */
#define FL_NEED (0x1u | VHOST_MSG_F_NEED_REPLY)

/* One ring as the guest driver sees it. */
struct gring {
	struct vq_desc *desc;
	struct vq_avail *avail;
	struct vq_used *used;
	int kick, call;
	uint16_t avail_idx;	/* next avail entry the driver fills */
	uint16_t used_seen;	/* used entries the driver has read */
	uint16_t next_desc;
};

#define FE_FDS_MAX 16

/* A front-end: its socket, its guest's memory and two rings. */
struct fe {
	int sock;
	int memfd;
	uint8_t *mem;
	struct gring r[2];
	struct sw *sw;
	/* cut: each message is sent in two writes, the first of this many
	 * bytes (with the fds), the switch running in between */
	unsigned int cut;
	/* batch: messages (and their fds) collect here and go in one
	 * sendmsg at the next reply, or fe_flush() */
	bool batch;
	uint8_t bbuf[4096];
	size_t blen;
	int bfds[FE_FDS_MAX];
	unsigned int n_bfds;
};

#define MAX_FE 4

struct fx {
	struct sw sw;
	char dir[64];
	struct port *vu, *s, *sp;	/* vhost-user, stream listener, peer */
	int peer;			/* the stream peer's socket */
	struct fe fe[MAX_FE];
	unsigned int n_fe;
};

static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_g[ETH_ALEN] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac_p[ETH_ALEN] = {0x02, 0x00, 0x5e, 0x20, 0x00, 0x09};

/* --- the switch ------------------------------------------------------------ */

static int
connect_path(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void
fe_free(struct fe *e)
{
	if (e->sock >= 0)
		close(e->sock);
	e->sock = -1;
	for (unsigned int i = 0; i < 2; i++) {
		if (e->r[i].kick >= 0)
			close(e->r[i].kick);
		if (e->r[i].call >= 0)
			close(e->r[i].call);
		e->r[i].kick = e->r[i].call = -1;
	}
	if (e->mem)
		munmap(e->mem, MEM_SIZE);
	e->mem = NULL;
	if (e->memfd >= 0)
		close(e->memfd);
	e->memfd = -1;
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[128];

	if (!f)
		return -1;
	if (fx_sw_in_tmpdir(&f->sw, f->dir, sizeof(f->dir), "vhost")) {
		free(f);
		return -1;
	}
	for (unsigned int i = 0; i < MAX_FE; i++) {
		f->fe[i].sock = f->fe[i].memfd = -1;
		f->fe[i].r[0].kick = f->fe[i].r[0].call = -1;
		f->fe[i].r[1].kick = f->fe[i].r[1].call = -1;
	}
	f->vu = fx_port(&f->sw, "vhost-user,id=vu,path=%s/vu.sock", f->dir);
	f->s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	assert_int_equal(f->vu->state, PORT_STATE_DOWN);
	snprintf(path, sizeof(path), "%s/s.sock", f->dir);
	f->peer = connect_path(path);
	for (int i = 0; i < 100 && f->s->n_children == 0; i++)
		fx_pump(&f->sw, 1);
	f->sp = port_find(&f->sw, "s.1");
	assert_non_null(f->sp);
	assert_int_equal(f->sp->state, PORT_STATE_UP);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	sw_fini(&f->sw);
	for (unsigned int i = 0; i < MAX_FE; i++)
		fe_free(&f->fe[i]);
	close(f->peer);
	/* Both listeners removed their socket files: rmdir proves it. */
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

/* Pump until cond holds, at most 200 iterations. */
#define PUMP_UNTIL(f, cond)                                                    \
	do {                                                                   \
		for (int i_ = 0; i_ < 200 && !(cond); i_++)                    \
			fx_pump(&(f)->sw, 1);                                  \
		assert_true(cond);                                             \
	} while (0)

/* --- frames and the stream peer -------------------------------------------- */

static void
mkframe(uint8_t *fr, const uint8_t dst[ETH_ALEN], const uint8_t src[ETH_ALEN],
	size_t len, uint8_t salt)
{
	memcpy(fr, dst, ETH_ALEN);
	memcpy(fr + ETH_ALEN, src, ETH_ALEN);
	fr[12] = 0x88;
	fr[13] = 0xb5;
	for (size_t i = ETH_HDR_LEN; i < len; i++)
		fr[i] = (uint8_t)(i * 7 + salt);
}

static void
peer_send(struct fx *f, const uint8_t *fr, size_t len)
{
	uint8_t rec[STREAM_HDR_LEN + 2048];

	assert_true(len <= 2048);
	stream_frame_hdr(rec, (uint32_t)len);
	memcpy(rec + STREAM_HDR_LEN, fr, len);
	assert_int_equal(send(f->peer, rec, STREAM_HDR_LEN + len, MSG_NOSIGNAL),
			 (ssize_t)(STREAM_HDR_LEN + len));
}

static void
read_exact(struct fx *f, int fd, void *buf, size_t len)
{
	uint8_t *b = buf;

	for (int i = 0; len > 0; i++) {
		ssize_t r = recv(fd, b, len, MSG_DONTWAIT);

		assert_true(i < 200);
		if (r > 0) {
			b += r;
			len -= (size_t)r;
			continue;
		}
		assert_int_not_equal(r, 0);	/* not EOF */
		assert_int_equal(errno, EAGAIN);
		fx_pump(&f->sw, 1);
	}
}

/* The stream peer receives exactly this frame. */
static void
peer_expect(struct fx *f, const uint8_t *fr, size_t len)
{
	uint8_t rec[STREAM_HDR_LEN + 2048], hdr[STREAM_HDR_LEN];

	assert_true(len <= 2048);
	stream_frame_hdr(hdr, (uint32_t)len);
	read_exact(f, f->peer, rec, STREAM_HDR_LEN + len);
	assert_memory_equal(rec, hdr, STREAM_HDR_LEN);
	assert_memory_equal(rec + STREAM_HDR_LEN, fr, len);
}

static void
peer_expect_nothing(struct fx *f)
{
	uint8_t b;

	fx_pump(&f->sw, 3);
	assert_int_equal(recv(f->peer, &b, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* --- the front-end: messages ----------------------------------------------- */

static struct fe *
fe_new(struct fx *f)
{
	struct fe *e;

	assert_true(f->n_fe < MAX_FE);
	e = &f->fe[f->n_fe++];
	e->sw = &f->sw;
	e->memfd = memfd_create("guest", MFD_CLOEXEC);
	assert_true(e->memfd >= 0);
	assert_int_equal(ftruncate(e->memfd, MEM_SIZE), 0);
	e->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      e->memfd, 0);
	assert_true(e->mem != MAP_FAILED);
	for (unsigned int i = 0; i < 2; i++) {
		struct gring *g = &e->r[i];

		g->desc = (struct vq_desc *)(e->mem + RING_OFF(i));
		g->avail = (struct vq_avail *)(e->mem + RING_OFF(i) +
					       AVAIL_OFF);
		g->used = (struct vq_used *)(e->mem + RING_OFF(i) + USED_OFF);
		g->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		g->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(g->kick >= 0 && g->call >= 0);
	}
	return e;
}

static void
fe_connect(struct fx *f, struct fe *e)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/vu.sock", f->dir);
	e->sock = connect_path(path);
	fx_pump(&f->sw, 1);
}

static uint64_t
uva(const struct fe *e, uint64_t off)
{
	return (uint64_t)(uintptr_t)e->mem + off;
}

/* One sendmsg of @len bytes with @n_fds fds. */
static void
fe_write(struct fe *e, const uint8_t *buf, size_t len, const int *fds,
	 unsigned int n_fds)
{
	union {
		struct cmsghdr h;
		uint8_t buf[CMSG_SPACE(sizeof(int) * FE_FDS_MAX)];
	} cm;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf,
			     .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n_fds) {
		struct cmsghdr *c;

		assert_true(n_fds <= FE_FDS_MAX);
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	assert_int_equal(sendmsg(e->sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

static void
fe_flush(struct fe *e)
{
	if (!e->blen)
		return;
	fe_write(e, e->bbuf, e->blen, e->bfds, e->n_bfds);
	for (unsigned int i = 0; i < e->n_bfds; i++)
		close(e->bfds[i]);
	e->blen = 0;
	e->n_bfds = 0;
}

/* A message: header, payload, fds as SCM_RIGHTS with its first byte. */
static void
fe_send(struct fe *e, uint32_t req, uint32_t flags, const void *pl,
	uint32_t size, const int *fds, unsigned int n_fds)
{
	uint8_t buf[VHOST_MSG_HDR_LEN + 512];
	size_t len = VHOST_MSG_HDR_LEN + size;

	assert_true(size <= 512);
	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	if (size)
		memcpy(buf + VHOST_MSG_HDR_LEN, pl, size);
	if (e->batch) {
		assert_true(e->blen + len <= sizeof(e->bbuf));
		assert_true(e->n_bfds + n_fds <= FE_FDS_MAX);
		memcpy(e->bbuf + e->blen, buf, len);
		e->blen += len;
		/* dups: the caller may close its fds before the flush */
		for (unsigned int i = 0; i < n_fds; i++) {
			e->bfds[e->n_bfds] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
			assert_true(e->bfds[e->n_bfds] >= 0);
			e->n_bfds++;
		}
	} else if (e->cut && e->cut < len) {
		fe_write(e, buf, e->cut, fds, n_fds);
		fx_pump(e->sw, 1);
		fe_write(e, buf + e->cut, len - e->cut, NULL, 0);
	} else {
		fe_write(e, buf, len, fds, n_fds);
	}
}

static void
fe_u64(struct fe *e, uint32_t req, uint32_t flags, uint64_t v)
{
	fe_send(e, req, flags, &v, 8, NULL, 0);
}

static void
fe_state(struct fe *e, uint32_t req, uint32_t flags, uint32_t idx,
	 uint32_t num)
{
	uint32_t pl[2] = { idx, num };

	fe_send(e, req, flags, pl, 8, NULL, 0);
}

/* SET_VRING_KICK/CALL/ERR of vring @idx with @fd. */
static void
fe_fd(struct fe *e, uint32_t req, uint32_t idx, int fd)
{
	uint64_t v = idx;

	fe_send(e, req, FL, &v, 8, &fd, 1);
}

static void
fe_addr(struct fe *e, uint32_t flags, uint32_t idx, uint64_t desc,
	uint64_t used, uint64_t avail)
{
	uint8_t pl[40] = { 0 };

	memcpy(pl, &idx, 4);
	memcpy(pl + 8, &desc, 8);
	memcpy(pl + 16, &used, 8);
	memcpy(pl + 24, &avail, 8);
	fe_send(e, VHOST_USER_SET_VRING_ADDR, flags, pl, sizeof(pl), NULL, 0);
}

/* A one-region table: gpa 0, @size bytes, at our mapping, with @fds. */
static void
fe_mem_table(struct fe *e, uint32_t flags, uint64_t size, const int *fds,
	     unsigned int n_fds)
{
	uint8_t pl[8 + 32] = { 0 };
	uint32_t n = 1;
	uint64_t gpa = 0, u = uva(e, 0), off = 0;

	memcpy(pl, &n, 4);
	memcpy(pl + 8, &gpa, 8);
	memcpy(pl + 16, &size, 8);
	memcpy(pl + 24, &u, 8);
	memcpy(pl + 32, &off, 8);
	fe_send(e, VHOST_USER_SET_MEM_TABLE, flags, pl, sizeof(pl), fds, n_fds);
}

/* Reads a reply to @req (running the switch meanwhile): its u64. */
static uint64_t
fe_reply(struct fx *f, struct fe *e, uint32_t req)
{
	uint8_t r[VHOST_MSG_HDR_LEN + 8];
	uint32_t rreq, rflags, rsize;
	uint64_t v;

	fe_flush(e);
	read_exact(f, e->sock, r, sizeof(r));
	memcpy(&rreq, r, 4);
	memcpy(&rflags, r + 4, 4);
	memcpy(&rsize, r + 8, 4);
	memcpy(&v, r + 12, 8);
	assert_int_equal(rreq, req);
	assert_int_equal(rflags, 0x5);	/* exactly, as QEMU checks */
	assert_int_equal(rsize, 8);
	return v;
}

static uint64_t
fe_get(struct fx *f, struct fe *e, uint32_t req)
{
	fe_send(e, req, FL, NULL, 0, NULL, 0);
	return fe_reply(f, e, req);
}

/* The switch closed the connection (after any replies). */
static void
fe_expect_eof(struct fx *f, struct fe *e)
{
	uint8_t buf[256];

	for (int i = 0; i < 200; i++) {
		ssize_t r = recv(e->sock, buf, sizeof(buf), MSG_DONTWAIT);

		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return;
		if (r < 0)
			assert_int_equal(errno, EAGAIN);
		fx_pump(&f->sw, 1);
	}
	fail_msg("the switch did not close the front-end's connection");
}

static void
fe_expect_open(struct fx *f, struct fe *e)
{
	uint8_t b;

	fx_pump(&f->sw, 2);
	assert_int_equal(recv(e->sock, &b, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* QEMU 7.2 at start: features, protocol features, owner, calls, enable. */
static void
fe_hello(struct fx *f, struct fe *e)
{
	uint64_t feat, pf, want = BIT(VHOST_USER_PROTOCOL_F_MQ) |
				  BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);

	fe_connect(f, e);
	feat = fe_get(f, e, VHOST_USER_GET_FEATURES);
	assert_true((feat & F_EVIDX) == F_EVIDX);
	pf = fe_get(f, e, VHOST_USER_GET_PROTOCOL_FEATURES);
	assert_true((pf & want) == want);
	fe_u64(e, VHOST_USER_SET_PROTOCOL_FEATURES, FL, pf & want);
	assert_true(fe_get(f, e, VHOST_USER_GET_QUEUE_NUM) >= 1);
	fe_send(e, VHOST_USER_SET_OWNER, FL, NULL, 0, NULL, 0);
	assert_int_equal(fe_get(f, e, VHOST_USER_GET_FEATURES), feat);
	for (uint32_t i = 0; i < 2; i++) {
		int err = eventfd(0, EFD_CLOEXEC);

		assert_true(err >= 0);
		fe_fd(e, VHOST_USER_SET_VRING_CALL, i, e->r[i].call);
		fe_fd(e, VHOST_USER_SET_VRING_ERR, i, err);
		close(err);
	}
	for (int k = 0; k < 5; k++)
		for (uint32_t i = 0; i < 2; i++)
			fe_state(e, VHOST_USER_SET_VRING_ENABLE, FL, i, 1);
	fe_flush(e);
	fx_pump(&f->sw, 1);
}

/* One vring at DRIVER_OK: size, base, addresses, kick, call. */
static void
fe_ring(struct fx *f, struct fe *e, uint32_t i, uint16_t base)
{
	(void)f;
	fe_state(e, VHOST_USER_SET_VRING_NUM, FL, i, NUM);
	fe_state(e, VHOST_USER_SET_VRING_BASE, FL, i, base);
	fe_addr(e, FL, i, uva(e, RING_OFF(i)), uva(e, RING_OFF(i) + USED_OFF),
		uva(e, RING_OFF(i) + AVAIL_OFF));
	fe_fd(e, VHOST_USER_SET_VRING_KICK, i, e->r[i].kick);
	fe_fd(e, VHOST_USER_SET_VRING_CALL, i, e->r[i].call);
}

/* QEMU 7.2 at DRIVER_OK: features, the memory table (acked), the rings. */
static void
fe_driver_ok(struct fx *f, struct fe *e, uint64_t features)
{
	fe_u64(e, VHOST_USER_SET_FEATURES, FL, features);
	fe_mem_table(e, FL_NEED, MEM_SIZE, &e->memfd, 1);
	assert_int_equal(fe_reply(f, e, VHOST_USER_SET_MEM_TABLE), 0);
	fe_ring(f, e, 0, 0);
	fe_ring(f, e, 1, 0);
	fe_flush(e);
	PUMP_UNTIL(f, f->vu->state == PORT_STATE_UP);
}

static struct fe *
fe_start(struct fx *f, uint64_t features)
{
	struct fe *e = fe_new(f);

	fe_hello(f, e);
	fe_driver_ok(f, e, features);
	return e;
}

/* --- the front-end: rings -------------------------------------------------- */

static void
avail_publish(struct gring *g, uint16_t head)
{
	g->avail->ring[g->avail_idx % NUM] = htole16(head);
	g->avail_idx++;
	__atomic_store_n(&g->avail->idx, htole16(g->avail_idx),
			 __ATOMIC_RELEASE);
}

static void
kick(struct fe *e, unsigned int i)
{
	uint64_t one = 1;

	assert_int_equal(write(e->r[i].kick, &one, 8), 8);
}

/* Interrupts on @fd since the last look (0 if none). */
static uint64_t
calls(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, 8) != 8)
		return 0;
	return v;
}

static void
set_desc(struct gring *g, uint16_t d, uint64_t addr, uint32_t len,
	 uint16_t flags, uint16_t next)
{
	g->desc[d].addr = htole64(addr);
	g->desc[d].len = htole32(len);
	g->desc[d].flags = htole16(flags);
	g->desc[d].next = htole16(next);
}

/*
 * The guest transmits a frame as QEMU's trace shows: the 12-byte zero
 * header alone in one descriptor, the frame in a second, chained.  Not
 * kicked.  Returns the head.
 */
static uint16_t
guest_tx(struct fe *e, const uint8_t *fr, uint32_t len)
{
	struct gring *g = &e->r[1];
	uint16_t d = g->next_desc, n = (uint16_t)((d + 1) % NUM);

	assert_true(len <= SLOT);
	memset(e->mem + BUF_OFF(1, d), 0, HDR);
	memcpy(e->mem + BUF_OFF(1, n), fr, len);
	set_desc(g, d, BUF_OFF(1, d), HDR, VRING_DESC_F_NEXT, n);
	set_desc(g, n, BUF_OFF(1, n), len, 0, 0);
	g->next_desc = (uint16_t)((d + 2) % NUM);
	avail_publish(g, d);
	return d;
}

/* The guest posts @n receive buffers of @size bytes.  Not kicked. */
static void
guest_post(struct fe *e, unsigned int n, uint32_t size)
{
	struct gring *g = &e->r[0];

	assert_true(size <= SLOT);
	for (unsigned int i = 0; i < n; i++) {
		uint16_t d = g->next_desc;

		memset(e->mem + BUF_OFF(0, d), 0xee, size);
		set_desc(g, d, BUF_OFF(0, d), size, VRING_DESC_F_WRITE, 0);
		g->next_desc = (uint16_t)((d + 1) % NUM);
		avail_publish(g, d);
	}
}

/* The guest transmits a frame with its header in the same descriptor
 * (ANY_LAYOUT, as Linux does).  Not kicked.  Returns the head. */
static uint16_t
guest_tx1(struct fe *e, const uint8_t *fr, uint32_t len)
{
	struct gring *g = &e->r[1];
	uint16_t d = g->next_desc;

	assert_true(HDR + len <= SLOT);
	memset(e->mem + BUF_OFF(1, d), 0, HDR);
	memcpy(e->mem + BUF_OFF(1, d) + HDR, fr, len);
	set_desc(g, d, BUF_OFF(1, d), HDR + len, 0, 0);
	g->next_desc = (uint16_t)((d + 1) % NUM);
	avail_publish(g, d);
	return d;
}

/* Kicks vring @i only if the device asks for kicks (no NO_NOTIFY), as a
 * driver without EVENT_IDX does. */
static void
guest_kick(struct fe *e, unsigned int i)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(le16toh(e->r[i].used->flags) & VRING_USED_F_NO_NOTIFY))
		kick(e, i);
}

/* The next used entry of vring @i, which must be there. */
static struct vq_used_elem
used_next(struct fe *e, unsigned int i)
{
	struct gring *g = &e->r[i];
	uint16_t idx = le16toh(__atomic_load_n(&g->used->idx,
					       __ATOMIC_ACQUIRE));
	struct vq_used_elem u;

	assert_int_not_equal(idx, g->used_seen);
	u = g->used->ring[g->used_seen % NUM];
	g->used_seen++;
	u.id = le32toh(u.id);
	u.len = le32toh(u.len);
	return u;
}

static uint16_t
used_idx(const struct fe *e, unsigned int i)
{
	return le16toh(__atomic_load_n(&e->r[i].used->idx, __ATOMIC_ACQUIRE));
}

/* The guest sends @len bytes to @dst; the peer gets it byte-exact. */
static void
guest_to_peer(struct fx *f, struct fe *e, const uint8_t dst[ETH_ALEN],
	      uint32_t len, uint8_t salt)
{
	uint8_t fr[2048];
	struct vq_used_elem u;
	uint16_t head;

	mkframe(fr, dst, mac_g, len, salt);
	head = guest_tx(e, fr, len);
	kick(e, 1);
	peer_expect(f, fr, len);
	u = used_next(e, 1);
	assert_int_equal(u.id, head);
	assert_int_equal(u.len, 0);
}

/* The peer sends @len bytes to @dst; the guest finds it in one buffer. */
static void
peer_to_guest(struct fx *f, struct fe *e, const uint8_t dst[ETH_ALEN],
	      uint32_t len, uint8_t salt)
{
	static const uint8_t hdr1[HDR] = { [10] = 1 };
	uint8_t fr[2048];
	struct vq_used_elem u;

	mkframe(fr, dst, mac_p, len, salt);
	peer_send(f, fr, len);
	PUMP_UNTIL(f, used_idx(e, 0) != e->r[0].used_seen);
	u = used_next(e, 0);
	assert_int_equal(u.len, HDR + len);
	assert_memory_equal(e->mem + BUF_OFF(0, u.id), hdr1, HDR);
	assert_memory_equal(e->mem + BUF_OFF(0, u.id) + HDR, fr, len);
}

/* A front-end from scratch carries frames both ways. */
static struct fe *
good_session(struct fx *f)
{
	struct fe *e = fe_start(f, F_QEMU);

	guest_post(e, 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 0x31);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_g), f->vu);
	peer_to_guest(f, e, mac_g, 100, 0x32);
	guest_to_peer(f, e, mac_p, 1514, 0x33);
	return e;
}

/* The front-end's connection is gone and the port down with it. */
static void
expect_dropped(struct fx *f, struct fe *e)
{
	fe_expect_eof(f, e);
	assert_int_equal(f->vu->state, PORT_STATE_DOWN);
	assert_null(fx_mac_port(&f->sw, mac_g));
	assert_int_equal(f->sp->state, PORT_STATE_UP);
	fe_free(e);
}

/* --- handshake and traffic ------------------------------------------------- */

static void
test_handshake_and_guest_to_switch(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_new(f);
	uint8_t fr[442];
	struct vq_used_elem u;
	uint16_t head;

	fe_hello(f, e);
	/* Nothing runs before DRIVER_OK. */
	assert_int_equal(f->vu->state, PORT_STATE_DOWN);
	fe_driver_ok(f, e, F_QEMU);
	assert_int_equal(f->vu->state, PORT_STATE_UP);
	fe_expect_open(f, e);

	/* The 442-byte broadcast of the trace, header in its own desc. */
	mkframe(fr, bcast, mac_g, sizeof(fr), 1);
	head = guest_tx(e, fr, sizeof(fr));
	kick(e, 1);
	peer_expect(f, fr, sizeof(fr));
	u = used_next(e, 1);
	assert_int_equal(u.id, head);
	assert_int_equal(u.len, 0);
	assert_int_equal(used_idx(e, 1), 1);
	assert_true(calls(e->r[1].call) >= 1);
	assert_int_equal(f->vu->c.rx, 1);
	assert_int_equal(f->vu->c.rx_bytes, sizeof(fr));
	assert_int_equal(f->vu->c.rx_fwd, 1);
	assert_int_equal(f->sp->c.tx, 1);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_g), f->vu);

	/* NO_INTERRUPT: the frame goes, the guest is not interrupted. */
	e->r[1].avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	mkframe(fr, mac_p, mac_g, 60, 2);
	head = guest_tx(e, fr, 60);
	kick(e, 1);
	peer_expect(f, fr, 60);
	u = used_next(e, 1);
	assert_int_equal(u.id, head);
	assert_int_equal(u.len, 0);
	fx_pump(&f->sw, 2);
	assert_int_equal(calls(e->r[1].call), 0);

	/* Several frames in one kick, in order. */
	e->r[1].avail->flags = 0;
	for (uint8_t i = 0; i < 5; i++) {
		mkframe(fr, mac_p, mac_g, 60 + i, (uint8_t)(10 + i));
		guest_tx(e, fr, 60 + i);
	}
	kick(e, 1);
	for (uint8_t i = 0; i < 5; i++) {
		mkframe(fr, mac_p, mac_g, 60 + i, (uint8_t)(10 + i));
		peer_expect(f, fr, 60 + i);
	}
	assert_int_equal(used_idx(e, 1), 7);
	assert_true(calls(e->r[1].call) >= 1);
	assert_int_equal(f->vu->c.rx, 7);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_DESC], 0);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 0);
}

static void
test_switch_to_guest(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	static const uint8_t hdr1[HDR] = { [10] = 1 };
	uint8_t fr[1514];
	struct vq_used_elem u, u2;

	guest_post(e, 4, SLOT);
	/* Broadcast before anything is learned. */
	peer_to_guest(f, e, bcast, 60, 1);
	assert_true(calls(e->r[0].call) >= 1);
	/* Learn the guest, then unicast to it. */
	guest_to_peer(f, e, bcast, 60, 2);
	peer_to_guest(f, e, mac_g, 1514, 3);
	assert_true(calls(e->r[0].call) >= 1);
	assert_int_equal(f->vu->c.tx, 2);
	assert_int_equal(f->vu->c.tx_bytes, 60 + 1514);
	assert_int_equal(f->vu->c.tx_offered, 2);

	/* MRG_RXBUF: a frame larger than a buffer spans two of them. */
	peer_to_guest(f, e, mac_g, 60, 4);	/* the big buffers left */
	peer_to_guest(f, e, mac_g, 60, 5);
	guest_post(e, 4, 1024);
	mkframe(fr, mac_g, mac_p, sizeof(fr), 6);
	peer_send(f, fr, sizeof(fr));
	PUMP_UNTIL(f, used_idx(e, 0) == (uint16_t)(e->r[0].used_seen + 2));
	u = used_next(e, 0);
	u2 = used_next(e, 0);
	assert_int_equal(u.len, 1024);
	assert_int_equal(u2.len, HDR + sizeof(fr) - 1024);
	assert_int_equal(e->mem[BUF_OFF(0, u.id) + 10], 2);	/* num_buffers */
	assert_int_equal(e->mem[BUF_OFF(0, u.id) + 11], 0);
	assert_memory_equal(e->mem + BUF_OFF(0, u.id), hdr1, 10);
	assert_memory_equal(e->mem + BUF_OFF(0, u.id) + HDR, fr, 1024 - HDR);
	assert_memory_equal(e->mem + BUF_OFF(0, u2.id), fr + 1024 - HDR,
			    u2.len);
	assert_int_equal(f->vu->c.tx, 5);
	assert_int_equal(f->vu->c.drops[PORT_DROP_TOO_BIG], 0);
}

/* Without MRG_RXBUF: num_buffers is 1 all the same; no frame spans. */
static void
test_switch_to_guest_without_mrg(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_NO_MRG);
	uint8_t fr[1514];

	guest_to_peer(f, e, bcast, 60, 1);
	guest_post(e, 1, 1024);
	/* Too big for the guest's only buffer: dropped, buffer kept. */
	mkframe(fr, mac_g, mac_p, sizeof(fr), 2);
	peer_send(f, fr, sizeof(fr));
	fx_pump(&f->sw, 3);
	assert_int_equal(used_idx(e, 0), 0);
	assert_int_equal(f->vu->c.drops[PORT_DROP_TOO_BIG], 1);
	assert_int_equal(f->vu->bl_len, 0);
	/* A frame that fits takes that buffer, header says 1 buffer. */
	peer_to_guest(f, e, mac_g, 1000, 3);
	assert_int_equal(f->vu->c.tx, 1);
	assert_int_equal(f->vu->c.tx_offered, 2);
}

static void
test_backlog_waits_for_buffers(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	uint8_t fr[200];

	guest_to_peer(f, e, bcast, 60, 1);
	/* Receive kicks are off while there is nothing to wait for. */
	assert_int_equal(le16toh(e->r[0].used->flags), VRING_USED_F_NO_NOTIFY);
	for (uint8_t i = 0; i < 5; i++) {
		mkframe(fr, mac_g, mac_p, 100 + i, (uint8_t)(20 + i));
		peer_send(f, fr, 100 + i);
	}
	PUMP_UNTIL(f, f->vu->bl_len == 5);
	fx_pump(&f->sw, 3);
	assert_int_equal(f->vu->bl_len, 5);
	assert_int_equal(f->vu->c.tx, 0);
	assert_int_equal(f->vu->c.drops[PORT_DROP_BACKLOG_FULL], 0);
	assert_int_equal(used_idx(e, 0), 0);
	/* The guest is asked to kick when it adds buffers. */
	assert_int_equal(le16toh(e->r[0].used->flags), 0);

	guest_post(e, 8, SLOT);
	kick(e, 0);
	PUMP_UNTIL(f, f->vu->bl_len == 0);
	for (uint8_t i = 0; i < 5; i++) {
		struct vq_used_elem u = used_next(e, 0);

		mkframe(fr, mac_g, mac_p, 100 + i, (uint8_t)(20 + i));
		assert_int_equal(u.len, HDR + 100 + i);
		assert_memory_equal(e->mem + BUF_OFF(0, u.id) + HDR, fr,
				    100 + i);
	}
	assert_int_equal(used_idx(e, 0), 5);
	assert_true(calls(e->r[0].call) >= 1);
	assert_int_equal(f->vu->c.tx, 5);
	assert_int_equal(f->vu->c.tx_offered, 5);
	assert_int_equal(le16toh(e->r[0].used->flags), VRING_USED_F_NO_NOTIFY);
	/* And the next frame goes straight in. */
	peer_to_guest(f, e, mac_g, 80, 30);
}

static void
test_get_vring_base_stops_and_restart(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	uint8_t fr[60];
	uint32_t st[2];
	uint64_t v;

	guest_post(e, 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	guest_to_peer(f, e, mac_p, 60, 2);
	guest_to_peer(f, e, mac_p, 60, 3);
	peer_to_guest(f, e, mac_g, 60, 4);
	peer_to_guest(f, e, mac_g, 60, 5);

	/* Vring 0 stops: its state is 2; the port still runs ring 1. */
	fe_state(e, VHOST_USER_GET_VRING_BASE, FL, 0, 0);
	v = fe_reply(f, e, VHOST_USER_GET_VRING_BASE);
	memcpy(st, &v, 8);
	assert_int_equal(st[0], 0);
	assert_int_equal(st[1], 2);
	assert_int_equal(f->vu->state, PORT_STATE_UP);
	fe_state(e, VHOST_USER_GET_VRING_BASE, FL, 1, 0);
	v = fe_reply(f, e, VHOST_USER_GET_VRING_BASE);
	memcpy(st, &v, 8);
	assert_int_equal(st[0], 1);
	assert_int_equal(st[1], 3);
	assert_int_equal(f->vu->state, PORT_STATE_DOWN);
	assert_null(fx_mac_port(&f->sw, mac_g));

	/* Stopped: a frame put in ring 1 and kicked is not taken. */
	mkframe(fr, bcast, mac_g, 60, 6);
	guest_tx(e, fr, 60);
	kick(e, 1);
	peer_expect_nothing(f);
	assert_int_equal(used_idx(e, 1), 3);
	fe_expect_open(f, e);

	/* Restart where it stopped: up, and the waiting frame goes. */
	for (uint32_t i = 0; i < 2; i++) {
		fe_state(e, VHOST_USER_SET_VRING_BASE, FL, i, i ? 3 : 2);
		fe_addr(e, FL, i, uva(e, RING_OFF(i)),
			uva(e, RING_OFF(i) + USED_OFF),
			uva(e, RING_OFF(i) + AVAIL_OFF));
		fe_fd(e, VHOST_USER_SET_VRING_KICK, i, e->r[i].kick);
	}
	PUMP_UNTIL(f, f->vu->state == PORT_STATE_UP);
	peer_expect(f, fr, 60);
	assert_int_equal(used_next(e, 1).id, 6);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_g), f->vu);
	peer_to_guest(f, e, mac_g, 70, 7);
	guest_to_peer(f, e, mac_p, 80, 8);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 0);
}

static void
test_vring_enable_zero_stops(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);

	guest_post(e, 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	fe_state(e, VHOST_USER_SET_VRING_ENABLE, FL, 0, 0);
	fe_state(e, VHOST_USER_SET_VRING_ENABLE, FL, 1, 0);
	PUMP_UNTIL(f, f->vu->state == PORT_STATE_DOWN);
	fe_state(e, VHOST_USER_SET_VRING_ENABLE, FL, 0, 1);
	fe_state(e, VHOST_USER_SET_VRING_ENABLE, FL, 1, 1);
	PUMP_UNTIL(f, f->vu->state == PORT_STATE_UP);
	guest_to_peer(f, e, bcast, 60, 2);
	peer_to_guest(f, e, mac_g, 60, 3);
}

/* --- a second front-end, a new call fd, a new memory table ----------------- */

static void
test_second_frontend_refused(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU), *e2 = fe_new(f);

	guest_post(e, 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	fe_connect(f, e2);
	fe_expect_eof(f, e2);
	assert_int_equal(f->vu->c.errors[PORT_ERR_PEER_LIMIT], 1);
	assert_int_equal(f->vu->state, PORT_STATE_UP);
	fe_expect_open(f, e);
	guest_to_peer(f, e, mac_p, 60, 2);
	peer_to_guest(f, e, mac_g, 60, 3);
	assert_int_equal(fe_get(f, e, VHOST_USER_GET_QUEUE_NUM) >= 1, 1);
}

static void
test_call_fd_replaced(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	int old0 = e->r[0].call, old1 = e->r[1].call;

	guest_post(e, 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	peer_to_guest(f, e, mac_g, 60, 2);
	assert_true(calls(old0) >= 1);
	assert_true(calls(old1) >= 1);

	e->r[0].call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->r[1].call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(e->r[0].call >= 0 && e->r[1].call >= 0);
	fe_fd(e, VHOST_USER_SET_VRING_CALL, 0, e->r[0].call);
	fe_fd(e, VHOST_USER_SET_VRING_CALL, 1, e->r[1].call);
	fx_pump(&f->sw, 1);
	guest_to_peer(f, e, mac_p, 60, 3);
	peer_to_guest(f, e, mac_g, 60, 4);
	assert_true(calls(e->r[0].call) >= 1);
	assert_true(calls(e->r[1].call) >= 1);
	assert_int_equal(calls(old0), 0);
	assert_int_equal(calls(old1), 0);
	close(old0);
	close(old1);
}

/* QEMU sends the table again (memory hotplug): rings follow, traffic too. */
static void
test_mem_table_replaced(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);

	guest_post(e, 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	fe_mem_table(e, FL_NEED, MEM_SIZE, &e->memfd, 1);
	assert_int_equal(fe_reply(f, e, VHOST_USER_SET_MEM_TABLE), 0);
	assert_int_equal(f->vu->state, PORT_STATE_UP);
	guest_to_peer(f, e, mac_p, 60, 2);
	peer_to_guest(f, e, mac_g, 60, 3);
}

/* EVENT_IDX: the guest is interrupted when used passes used_event. */
static void
test_event_idx(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_EVIDX);
	uint16_t *used_event = &e->r[1].avail->ring[NUM];
	uint16_t *avail_event = (uint16_t *)&e->r[1].used->ring[NUM];

	*used_event = 0;
	guest_to_peer(f, e, bcast, 60, 1);
	assert_true(calls(e->r[1].call) >= 1);
	/* Rings dry: kicks asked for from the next entry on. */
	assert_int_equal(le16toh(*avail_event), 1);
	/* No interrupt until used->idx passes 4 (entries 2..5). */
	*used_event = htole16(4);
	for (uint8_t i = 0; i < 3; i++) {
		guest_to_peer(f, e, mac_p, 60, (uint8_t)(2 + i));
		assert_int_equal(calls(e->r[1].call), 0);
	}
	guest_to_peer(f, e, mac_p, 60, 5);
	assert_true(calls(e->r[1].call) >= 1);
	assert_int_equal(le16toh(*avail_event), 5);
}

static void
test_frontend_gone_and_back(void **state)
{
	struct fx *f = *state;
	struct fe *e = good_session(f);
	uint8_t fr[60];

	/* frames waiting for the guest are dropped when it goes */
	mkframe(fr, mac_g, mac_p, 60, 9);
	for (int i = 0; i < 10; i++)
		peer_send(f, fr, 60);
	PUMP_UNTIL(f, f->vu->bl_len > 0);
	close(e->sock);
	e->sock = -1;
	PUMP_UNTIL(f, f->vu->state == PORT_STATE_DOWN);
	assert_int_equal(f->vu->bl_len, 0);
	assert_true(f->vu->c.drops[PORT_DROP_PEER_GONE] >= 1);
	assert_null(fx_mac_port(&f->sw, mac_g));
	assert_int_equal(f->vu->c.errors[PORT_ERR_IO], 0);
	fe_free(e);
	good_session(f);
}


/*
 * With VHOST_USER_F_PROTOCOL_FEATURES acked, a ring starts disabled and
 * runs only after SET_VRING_ENABLE(1) (vhost-user.rst; protocols.md §3
 * "Ring state"; the header comment of vhost_user.c).  This front-end
 * acks the bit and never enables: the guest must not get frames.
 */
static void
test_rings_wait_for_enable(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_new(f);
	uint64_t pf, want = BIT(VHOST_USER_PROTOCOL_F_MQ) |
			    BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	uint8_t fr[60];

	fe_connect(f, e);
	assert_true(fe_get(f, e, VHOST_USER_GET_FEATURES) &
		    BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	pf = fe_get(f, e, VHOST_USER_GET_PROTOCOL_FEATURES);
	fe_u64(e, VHOST_USER_SET_PROTOCOL_FEATURES, FL, pf & want);
	fe_send(e, VHOST_USER_SET_OWNER, FL, NULL, 0, NULL, 0);
	fe_u64(e, VHOST_USER_SET_FEATURES, FL, F_QEMU);
	fe_mem_table(e, FL_NEED, MEM_SIZE, &e->memfd, 1);
	assert_int_equal(fe_reply(f, e, VHOST_USER_SET_MEM_TABLE), 0);
	fe_ring(f, e, 0, 0);
	fe_ring(f, e, 1, 0);
	guest_post(e, 4, SLOT);
	fx_pump(&f->sw, 3);
	mkframe(fr, bcast, mac_p, 60, 1);
	peer_send(f, fr, 60);
	fx_pump(&f->sw, 3);
	assert_int_equal(used_idx(e, 0), 0);	/* ring 0 is disabled */
	assert_int_equal(f->vu->c.tx, 0);

	for (uint32_t i = 0; i < 2; i++)
		fe_state(e, VHOST_USER_SET_VRING_ENABLE, FL, i, 1);
	PUMP_UNTIL(f, f->vu->state == PORT_STATE_UP);
	guest_to_peer(f, e, bcast, 60, 2);
	peer_to_guest(f, e, mac_g, 60, 3);
}

/* The front-end's messages cut anywhere, or many in one write. */
static void
test_messages_cut_and_coalesced(void **state)
{
	struct fx *f = *state;
	static const unsigned int cuts[] = { 1, 5, 13, 20 };
	struct fe *e;

	for (unsigned int k = 0; k < 3; k++) {
		e = fe_new(f);
		if (k < 2)
			e->cut = cuts[k * 2 + 1];
		else
			e->batch = true;
		fe_hello(f, e);
		fe_driver_ok(f, e, F_QEMU);
		e->batch = false;
		e->cut = 0;
		guest_post(e, 8, SLOT);
		guest_to_peer(f, e, bcast, 60, (uint8_t)k);
		peer_to_guest(f, e, mac_g, 60, (uint8_t)(k + 10));
		assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 0);
		fe_free(e);
		PUMP_UNTIL(f, f->vu->state == PORT_STATE_DOWN);
	}
	/* A one-byte first piece, and pieces past the header. */
	e = fe_new(f);
	e->cut = cuts[0];
	fe_hello(f, e);
	e->cut = cuts[2];
	fe_driver_ok(f, e, F_QEMU);
	e->cut = 0;
	guest_post(e, 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 20);
	peer_to_guest(f, e, mac_g, 60, 21);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 0);
	assert_int_equal(f->vu->c.errors[PORT_ERR_IO], 0);
}

/* More fds with one message than any request takes. */
static void
test_too_many_fds(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	int fds[9];
	uint64_t v = 0;

	guest_post(e, 4, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	for (unsigned int i = 0; i < 9; i++)
		fds[i] = e->r[0].call;
	fe_send(e, VHOST_USER_SET_VRING_CALL, FL, &v, 8, fds, 9);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 1);
	good_session(f);
}

static void
frame_n(uint8_t *fr, const uint8_t dst[ETH_ALEN], const uint8_t src[ETH_ALEN],
	uint32_t len, uint32_t n)
{
	mkframe(fr, dst, src, len, (uint8_t)n);
	memcpy(fr + ETH_HDR_LEN, &n, sizeof(n));
}

/* 200 frames in one kick, each way: more than one loop iteration reads. */
static void
test_big_burst(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	enum { N = 200 };
	uint8_t fr[200];

	guest_post(e, N + 8, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	for (uint32_t i = 0; i < N; i++) {
		frame_n(fr, mac_p, mac_g, 60 + i % 100, i);
		guest_tx1(e, fr, 60 + i % 100);
	}
	guest_kick(e, 1);
	for (uint32_t i = 0; i < N; i++) {
		frame_n(fr, mac_p, mac_g, 60 + i % 100, i);
		peer_expect(f, fr, 60 + i % 100);
	}
	assert_int_equal(used_idx(e, 1), N + 1);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(used_next(e, 1).len, 0);
	assert_int_equal(f->vu->c.rx, N + 1);
	assert_int_equal(f->vu->c.rx_fwd, N + 1);
	assert_true(calls(e->r[1].call) >= 1);

	for (uint32_t i = 0; i < N; i++) {
		frame_n(fr, mac_g, mac_p, 60 + i % 100, i);
		peer_send(f, fr, 60 + i % 100);
	}
	PUMP_UNTIL(f, used_idx(e, 0) == N);
	for (uint32_t i = 0; i < N; i++) {
		struct vq_used_elem u = used_next(e, 0);

		frame_n(fr, mac_g, mac_p, 60 + i % 100, i);
		assert_int_equal(u.len, HDR + 60 + i % 100);
		assert_memory_equal(e->mem + BUF_OFF(0, u.id) + HDR, fr,
				    60 + i % 100);
	}
	assert_int_equal(f->vu->c.tx, N);
	assert_int_equal(f->vu->bl_len, 0);
}

/* The driver takes back what the device used on vring 1. */
static void
reclaim(struct fe *e)
{
	while (used_idx(e, 1) != e->r[1].used_seen)
		assert_int_equal(used_next(e, 1).len, 0);
}

/*
 * A guest sending faster than the stream peer reads: the switch stops
 * taking frames from its ring instead of dropping them, and the guest
 * (which only kicks when asked to) gets all of them through once the peer
 * reads.
 */
static void
test_backpressure_keeps_frames_in_ring(void **state)
{
	struct fx *f = *state;
	struct fe *e;
	enum { N = 1000, LEN = 1514 };
	uint8_t fr[LEN], rec[STREAM_HDR_LEN + LEN];
	uint32_t sent = 0, got = 0;
	uint16_t used_then;
	int i;

	f->sw.pause_max_ns = 10 * NS_PER_SEC;
	e = fe_start(f, F_QEMU);
	guest_post(e, 4, SLOT);
	peer_to_guest(f, e, bcast, 60, 1);	/* learn the peer */
	guest_to_peer(f, e, bcast, 60, 2);
	for (i = 0; i < 400 && !f->vu->rx_paused; i++) {
		reclaim(e);
		while ((uint16_t)(e->r[1].avail_idx - e->r[1].used_seen) <
			       NUM - 1 && sent < N) {
			frame_n(fr, mac_p, mac_g, LEN, sent++);
			guest_tx1(e, fr, LEN);
		}
		guest_kick(e, 1);
		fx_pump(&f->sw, 1);
	}
	assert_true(f->vu->rx_paused);
	assert_true(f->vu->c.pauses >= 1);
	assert_true(sent < N);
	/* Paused: what the guest put in its ring stays there. */
	used_then = used_idx(e, 1);
	fx_pump(&f->sw, 4);
	assert_int_equal(used_idx(e, 1), used_then);
	assert_int_not_equal(used_then, e->r[1].avail_idx);
	assert_int_equal(f->sp->c.drops[PORT_DROP_BACKLOG_FULL], 0);

	/* The peer reads everything, the guest refills as it goes. */
	for (i = 0; got < N && i < 20 * N; i++) {
		ssize_t r = recv(f->peer, rec, sizeof(rec), MSG_DONTWAIT |
				 MSG_PEEK);

		if (r == (ssize_t)sizeof(rec)) {
			assert_int_equal(recv(f->peer, rec, sizeof(rec), 0),
					 sizeof(rec));
			frame_n(fr, mac_p, mac_g, LEN, got++);
			assert_memory_equal(rec + STREAM_HDR_LEN, fr, LEN);
			continue;
		}
		reclaim(e);
		while ((uint16_t)(e->r[1].avail_idx - e->r[1].used_seen) <
			       NUM - 1 && sent < N) {
			frame_n(fr, mac_p, mac_g, LEN, sent++);
			guest_tx1(e, fr, LEN);
		}
		guest_kick(e, 1);
		fx_pump(&f->sw, 1);
	}
	assert_int_equal(got, N);
	assert_int_equal(f->vu->c.rx, N + 1);
	assert_int_equal(f->vu->c.rx_fwd, N + 1);
	assert_int_equal(f->sp->c.tx, N + 1);
	assert_int_equal(f->sp->c.drops[PORT_DROP_BACKLOG_FULL], 0);
	peer_expect_nothing(f);
}

/* --- hostile front-ends ---------------------------------------------------- */

static void
test_mem_table_without_fd(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_new(f);

	fe_hello(f, e);
	fe_u64(e, VHOST_USER_SET_FEATURES, FL, F_QEMU);
	fe_mem_table(e, FL_NEED, MEM_SIZE, NULL, 0);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 1);
	good_session(f);
}

static void
test_vring_index_beyond_queues(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_new(f);

	fe_hello(f, e);
	fe_state(e, VHOST_USER_SET_VRING_NUM, FL, 2 * 8, NUM);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 1);

	/* A kick for vring 200, with its fd. */
	e = fe_start(f, F_QEMU);
	fe_fd(e, VHOST_USER_SET_VRING_KICK, 200, e->r[1].kick);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 2);
	good_session(f);
}

static void
test_vring_addr_outside_memory(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_new(f);

	fe_hello(f, e);
	fe_driver_ok(f, e, F_QEMU);
	/* Vring 0's used ring runs past the end of the only region. */
	fe_state(e, VHOST_USER_SET_VRING_NUM, FL, 0, NUM);
	fe_addr(e, FL_NEED, 0, uva(e, RING_OFF(0)), uva(e, MEM_SIZE - 64),
		uva(e, RING_OFF(0) + AVAIL_OFF));
	assert_int_equal(fe_reply(f, e, VHOST_USER_SET_VRING_ADDR), 1);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 1);

	/* Addresses first, size after: refused when the size comes. */
	e = fe_new(f);
	fe_hello(f, e);
	fe_u64(e, VHOST_USER_SET_FEATURES, FL, F_QEMU);
	fe_mem_table(e, FL_NEED, MEM_SIZE, &e->memfd, 1);
	assert_int_equal(fe_reply(f, e, VHOST_USER_SET_MEM_TABLE), 0);
	fe_addr(e, FL, 1, uva(e, MEM_SIZE), uva(e, RING_OFF(1) + USED_OFF),
		uva(e, RING_OFF(1) + AVAIL_OFF));
	fe_state(e, VHOST_USER_SET_VRING_NUM, FL, 1, NUM);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 2);
	good_session(f);
}

static void
test_desc_outside_memory(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	struct gring *g = &e->r[1];
	struct vq_used_elem u;
	uint8_t fr[60];
	uint16_t d;

	guest_post(e, 4, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);

	/* Transmit: the frame's descriptor straddles the end of memory. */
	d = g->next_desc;
	memset(e->mem + BUF_OFF(1, d), 0, HDR);
	set_desc(g, d, BUF_OFF(1, d), HDR, VRING_DESC_F_NEXT,
		 (uint16_t)(d + 1));
	set_desc(g, (uint16_t)(d + 1), MEM_SIZE - 20, 60, 0, 0);
	g->next_desc = (uint16_t)(d + 2);
	avail_publish(g, d);
	kick(e, 1);
	PUMP_UNTIL(f, used_idx(e, 1) == g->used_seen + 1);
	u = used_next(e, 1);
	assert_int_equal(u.id, d);
	assert_int_equal(u.len, 0);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_DESC], 1);
	assert_true(calls(g->call) >= 1);
	peer_expect_nothing(f);
	/* and one far away */
	d = g->next_desc;
	set_desc(g, d, 1ULL << 40, 60, 0, 0);
	g->next_desc = (uint16_t)(d + 1);
	avail_publish(g, d);
	kick(e, 1);
	PUMP_UNTIL(f, used_idx(e, 1) == g->used_seen + 1);
	assert_int_equal(used_next(e, 1).len, 0);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_DESC], 2);
	/* and a chain that loops on itself */
	d = g->next_desc;
	set_desc(g, d, BUF_OFF(1, d), 60, VRING_DESC_F_NEXT, d);
	g->next_desc = (uint16_t)(d + 1);
	avail_publish(g, d);
	kick(e, 1);
	PUMP_UNTIL(f, used_idx(e, 1) == g->used_seen + 1);
	assert_int_equal(used_next(e, 1).id, d);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_DESC], 3);
	assert_int_equal(f->vu->state, PORT_STATE_UP);
	fe_expect_open(f, e);
	/* The next good frame passes. */
	guest_to_peer(f, e, mac_p, 60, 2);
	assert_int_equal(f->vu->c.rx, 2);

	/* Receive: a buffer outside memory is given back empty and the
	 * frame goes into the next one. */
	g = &e->r[0];
	while (g->used_seen != g->avail_idx)
		peer_to_guest(f, e, mac_g, 60, 3);
	d = g->next_desc;
	set_desc(g, d, MEM_SIZE + 4096, SLOT, VRING_DESC_F_WRITE, 0);
	g->next_desc = (uint16_t)(d + 1);
	avail_publish(g, d);
	guest_post(e, 1, SLOT);
	mkframe(fr, mac_g, mac_p, 60, 4);
	peer_send(f, fr, 60);
	PUMP_UNTIL(f, used_idx(e, 0) == (uint16_t)(g->used_seen + 2));
	u = used_next(e, 0);
	assert_int_equal(u.id, d);
	assert_int_equal(u.len, 0);
	u = used_next(e, 0);
	assert_int_equal(u.id, (uint16_t)(d + 1));
	assert_int_equal(u.len, HDR + 60);
	assert_memory_equal(e->mem + BUF_OFF(0, u.id) + HDR, fr, 60);
	assert_int_equal(f->vu->c.tx, 5);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_DESC], 4);
	assert_int_equal(f->vu->state, PORT_STATE_UP);
	guest_to_peer(f, e, mac_p, 60, 6);
}

static void
test_avail_idx_jump(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	struct gring *g = &e->r[1];

	guest_post(e, 4, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	g->avail_idx = (uint16_t)(g->avail_idx + NUM + 1);
	__atomic_store_n(&g->avail->idx, htole16(g->avail_idx),
			 __ATOMIC_RELEASE);
	kick(e, 1);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_DESC], 1);
	assert_int_equal(f->vu->c.rx, 1);
	good_session(f);
}

static void
test_bad_version(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);

	guest_post(e, 4, SLOT);
	guest_to_peer(f, e, bcast, 60, 1);
	fe_send(e, VHOST_USER_GET_FEATURES, 0x2, NULL, 0, NULL, 0);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 1);

	/* A reply flag where a request belongs is no better. */
	e = fe_new(f);
	fe_hello(f, e);
	fe_u64(e, VHOST_USER_SET_FEATURES, FL | VHOST_MSG_F_REPLY, F_QEMU);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 2);
	good_session(f);
	peer_to_guest(f, &f->fe[f->n_fe - 1], mac_g, 60, 2);
}

static void
test_features_not_offered(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_new(f);

	fe_hello(f, e);
	fe_u64(e, VHOST_USER_SET_FEATURES, FL_NEED, F_QEMU | BIT(57));
	assert_int_equal(fe_reply(f, e, VHOST_USER_SET_FEATURES), 1);
	expect_dropped(f, e);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_MSG], 1);
	good_session(f);
}

/* A frame above the switch's frame size: counted oversize, chain back. */
static void
test_oversize_frame(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	struct gring *g = &e->r[1];
	uint32_t big = f->sw.frame_max + 1;
	uint16_t d;

	assert_true(BIG_OFF + HDR + big <= MEM_SIZE);
	guest_to_peer(f, e, bcast, 60, 1);
	d = g->next_desc;
	memset(e->mem + BIG_OFF, 0, HDR + big);
	mkframe(e->mem + BIG_OFF + HDR, mac_p, mac_g, 60, 2);
	set_desc(g, d, BIG_OFF, HDR + big, 0, 0);
	g->next_desc = (uint16_t)(d + 1);
	avail_publish(g, d);
	kick(e, 1);
	PUMP_UNTIL(f, used_idx(e, 1) == g->used_seen + 1);
	assert_int_equal(used_next(e, 1).id, d);
	assert_int_equal(f->vu->c.drops[PORT_DROP_OVERSIZE], 1);
	assert_int_equal(f->vu->c.errors[PORT_ERR_BAD_DESC], 0);
	peer_expect_nothing(f);
	guest_to_peer(f, e, mac_p, 60, 3);
}

/*
 * A memory table that claims more than its file holds: mapping it works,
 * touching the part past the file's end is SIGBUS.  The switch must refuse
 * the table (or the ring), not die.  Rings past the end of a 64 KiB file
 * in a region that says 1 MiB.
 */
static sigjmp_buf bus_env;

static void
on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_env, 1);
}

static void
test_mem_table_larger_than_file(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_new(f);
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile int died = 0;

	fe_hello(f, e);
	fe_u64(e, VHOST_USER_SET_FEATURES, FL, F_QEMU);
	/* The test keeps its own 1 MiB mapping; the file shrinks to 64 KiB
	 * only now, and the test does not touch the part beyond. */
	assert_int_equal(ftruncate(e->memfd, 0x10000), 0);
	fe_mem_table(e, FL_NEED, MEM_SIZE, &e->memfd, 1);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGBUS, &sa, &old), 0);
	if (sigsetjmp(bus_env, 1) == 0) {
		uint64_t r = fe_reply(f, e, VHOST_USER_SET_MEM_TABLE);

		if (r == 0) {
			/* Accepted: a ring beyond the file, as QEMU would
			 * lay it out there. */
			fe_state(e, VHOST_USER_SET_VRING_NUM, FL, 1, NUM);
			fe_state(e, VHOST_USER_SET_VRING_BASE, FL, 1, 0);
			fe_addr(e, FL, 1, uva(e, 0x40000),
				uva(e, 0x42000), uva(e, 0x41000));
			fe_fd(e, VHOST_USER_SET_VRING_KICK, 1, e->r[1].kick);
			fx_pump(&f->sw, 3);
		}
	} else {
		died = 1;
	}
	assert_int_equal(sigaction(SIGBUS, &old, NULL), 0);
	if (died)
		fail_msg("SIGBUS: the switch touched guest memory past the end "
			 "of the region's file (SET_MEM_TABLE accepted a "
			 "region of %u bytes on a %u-byte memfd)",
			 MEM_SIZE, 0x10000);
	/* Refused one way or the other: the connection ends. */
	expect_dropped(f, e);
	assert_true(f->vu->c.errors[PORT_ERR_BAD_MSG] >= 1);
	good_session(f);
}

/*
 * The front-end shrinks its memory file after sharing it: the switch's
 * copy of a frame from the part now gone would be SIGBUS.  memguard turns
 * that into the end of this connection only.
 */
static void
test_memory_truncated_after_table(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	struct gring *g = &e->r[1];
	uint16_t d = g->next_desc;
	uint8_t fr[60];

	guest_post(e, 4, SLOT);
	guest_to_peer(f, e, bcast, 60, 0x41);
	/* rings and ring 1's buffers lie below 1 MiB; the frame at 2 MiB */
	mkframe(fr, mac_p, mac_g, sizeof(fr), 0x42);
	memcpy(e->mem + 0x200000, fr, sizeof(fr));
	memset(e->mem + BUF_OFF(1, d), 0, HDR);
	assert_int_equal(ftruncate(e->memfd, 0x100000), 0);
	set_desc(g, d, BUF_OFF(1, d), HDR, VRING_DESC_F_NEXT,
		 (uint16_t)(d + 1));
	set_desc(g, (uint16_t)(d + 1), 0x200000, sizeof(fr), 0, 0);
	g->next_desc = (uint16_t)(d + 2);
	avail_publish(g, d);
	kick(e, 1);
	fx_pump(&f->sw, 5);
	peer_expect_nothing(f);
	assert_true(f->vu->c.errors[PORT_ERR_BAD_DESC] >= 1);
	expect_dropped(f, e);
	good_session(f);
}

/*
 * poll_us: while frames came recently, the guest's kicks stay off and the
 * rings are looked at every loop iteration, so a frame the guest posts
 * without kicking still goes.  Without it, an idle ring has kicks on and
 * a frame without a kick waits for one.
 */
static void
test_poll_us(void **state)
{
	struct fx *f = *state;
	struct fe *e = fe_start(f, F_QEMU);
	uint8_t fr[60];

	/* default: after the frame, kicks are on again and needed */
	guest_to_peer(f, e, bcast, 60, 0x51);
	fx_pump(&f->sw, 3);
	assert_int_equal(le16toh(e->r[1].used->flags), 0);
	mkframe(fr, bcast, mac_g, sizeof(fr), 0x52);
	guest_tx(e, fr, sizeof(fr));
	fx_pump(&f->sw, 5);
	peer_expect_nothing(f);
	kick(e, 1);
	peer_expect(f, fr, sizeof(fr));
	fe_free(e);
	PUMP_UNTIL(f, f->vu->state == PORT_STATE_DOWN);

	/* the same port id with poll_us: no kick needed while busy */
	port_destroy(f->vu, "test");
	fx_pump(&f->sw, 1);
	f->vu = fx_port(&f->sw, "vhost-user,id=vu,path=%s/vu.sock,"
			"poll_us=1000000", f->dir);
	e = fe_start(f, F_QEMU);
	guest_to_peer(f, e, bcast, 60, 0x53);
	fx_pump(&f->sw, 3);
	assert_int_equal(le16toh(e->r[1].used->flags),
			 VRING_USED_F_NO_NOTIFY);
	for (uint8_t i = 0; i < 3; i++) {
		mkframe(fr, bcast, mac_g, sizeof(fr), (uint8_t)(0x54 + i));
		guest_tx(e, fr, sizeof(fr));
		peer_expect(f, fr, sizeof(fr));	/* no kick */
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
		T(test_handshake_and_guest_to_switch),
		T(test_switch_to_guest),
		T(test_switch_to_guest_without_mrg),
		T(test_backlog_waits_for_buffers),
		T(test_get_vring_base_stops_and_restart),
		T(test_vring_enable_zero_stops),
		T(test_rings_wait_for_enable),
		T(test_messages_cut_and_coalesced),
		T(test_big_burst),
		T(test_backpressure_keeps_frames_in_ring),
		T(test_second_frontend_refused),
		T(test_call_fd_replaced),
		T(test_mem_table_replaced),
		T(test_event_idx),
		T(test_frontend_gone_and_back),
		T(test_mem_table_without_fd),
		T(test_too_many_fds),
		T(test_vring_index_beyond_queues),
		T(test_vring_addr_outside_memory),
		T(test_desc_outside_memory),
		T(test_avail_idx_jump),
		T(test_bad_version),
		T(test_poll_us),
		T(test_memory_truncated_after_table),
		T(test_features_not_offered),
		T(test_oversize_frame),
		T(test_mem_table_larger_than_file),
#undef T
	};

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
