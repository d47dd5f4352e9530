/* SPDX-License-Identifier: MIT */
/*
 * test_stream.c - the "stream" port kind (src/port/stream.c) in a whole
 * in-process switch: struct sw, loop, pool and bridge set up as main.c
 * does, ports made with port_create(), the loop driven one iteration at a
 * time while the test plays the guests with ordinary unix sockets.
 *
 * Covers: a listener's connections as child ports, records cut anywhere,
 * bad lengths (0, > 69632) closing only their connection, the 69632
 * boundary, hang-up, and the dialling role with its re-dial.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "port/port.h"
#include "proto/eth.h"
#include "sw_fixture.h"
#include "proto/stream_frame.h"

#define MAX_FDS 8
#define BIG (STREAM_HDR_LEN + STREAM_FRAME_MAX)

struct fx {
	struct sw sw;
	char dir[64];
	int fds[MAX_FDS];
	unsigned int n_fds;
};

static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* --- the switch ------------------------------------------------------------ */

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (fx_sw_in_tmpdir(&f->sw, f->dir, sizeof(f->dir), "stream")) {
		free(f);
		return -1;
	}
	for (unsigned int i = 0; i < MAX_FDS; i++)
		f->fds[i] = -1;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	struct sw *sw = &f->sw;
	char path[128];

	sw_fini(sw);
	for (unsigned int i = 0; i < f->n_fds; i++)
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	/* The test's own listening socket, if any. */
	snprintf(path, sizeof(path), "%s/peer.sock", f->dir);
	unlink(path);
	/* Every listener removed its socket file: rmdir proves it. */
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}





static int
track(struct fx *f, int fd)
{
	assert_true(fd >= 0);
	assert_true(f->n_fds < MAX_FDS);
	f->fds[f->n_fds++] = fd;
	return fd;
}

/* Close a tracked fd before teardown. */
static void
drop_fd(struct fx *f, int fd)
{
	for (unsigned int i = 0; i < f->n_fds; i++)
		if (f->fds[i] == fd)
			f->fds[i] = -1;
	close(fd);
}

/* --- frames and records ---------------------------------------------------- */

static void
mac_of(uint8_t mac[ETH_ALEN], unsigned int n)
{
	const uint8_t m[ETH_ALEN] = {0x02, 0x00, 0x5e, 0x20, 0x00,
				     (uint8_t)n};

	memcpy(mac, m, ETH_ALEN);
}

/* A record (length header + frame) from guest 'src' to 'dst'; its size. */
static size_t
mkrec(uint8_t *buf, const uint8_t dst[ETH_ALEN], unsigned int src,
      size_t len, uint8_t salt)
{
	uint8_t *fr = buf + STREAM_HDR_LEN;

	stream_frame_hdr(buf, (uint32_t)len);
	memcpy(fr, dst, ETH_ALEN);
	mac_of(fr + ETH_ALEN, src);
	fr[12] = 0x88;
	fr[13] = 0xb5;
	for (size_t i = ETH_HDR_LEN; i < len; i++)
		fr[i] = (uint8_t)(i * 13 + src * 29 + salt);
	return STREAM_HDR_LEN + len;
}

/* Write all of buf, running the loop while the socket is full. */
static void
send_all(struct fx *f, int fd, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	for (int tries = 0; len > 0; tries++) {
		ssize_t r = send(fd, b, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		assert_true(tries < 1000);
		if (r < 0) {
			assert_int_equal(errno, EAGAIN);
			fx_pump(&f->sw, 1);
			continue;
		}
		b += r;
		len -= (size_t)r;
	}
}

/* Read exactly len bytes, running the loop while waiting (bounded). */
static void
read_exact(struct fx *f, int fd, void *buf, size_t len)
{
	uint8_t *b = buf;

	for (int i = 0; len > 0; i++) {
		ssize_t r = recv(fd, b, len, MSG_DONTWAIT);

		assert_true(i < 400);
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

static void
expect_rec(struct fx *f, int fd, const uint8_t *want, size_t len)
{
	uint8_t buf[2048];

	assert_true(len <= sizeof(buf));
	read_exact(f, fd, buf, len);
	assert_memory_equal(buf, want, len);
}

static void
expect_nothing(struct fx *f, int fd)
{
	uint8_t b;

	fx_pump(&f->sw, 4);
	assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/* The connection was closed by the switch (after any data). */
static void
expect_eof(struct fx *f, int fd)
{
	uint8_t buf[512];

	for (int i = 0; i < 200; i++) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		/* Reset if the switch closed with bytes still unread. */
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return;
		if (r < 0)
			assert_int_equal(errno, EAGAIN);
		fx_pump(&f->sw, 1);
	}
	fail_msg("the switch did not close the connection");
}

/* --- guests ---------------------------------------------------------------- */

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

/* Connect to listener 'l'; the child it makes is returned in *child. */
static int
guest(struct fx *f, struct port *l, struct port **child)
{
	unsigned int before = l->n_children, seq = l->child_seq;
	char path[128], id[PORT_ID_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%.40s.sock", f->dir, l->id);
	fd = track(f, connect_path(path));
	for (int i = 0; i < 100 && l->n_children == before; i++)
		fx_pump(&f->sw, 1);
	assert_int_equal(l->n_children, before + 1);
	snprintf(id, sizeof(id), "%.40s.%u", l->id, seq + 1);
	*child = port_find(&f->sw, id);
	assert_non_null(*child);
	assert_ptr_equal((*child)->parent, l);
	assert_int_equal((*child)->state, PORT_STATE_UP);
	return fd;
}

/* Guest 'src' on fd says hello (a broadcast) so the switch learns it. */
static void
hello(struct fx *f, int fd, unsigned int src)
{
	uint8_t rec[STREAM_HDR_LEN + 60];
	size_t n = mkrec(rec, bcast, src, 60, 0xaa);

	send_all(f, fd, rec, n);
	fx_pump(&f->sw, 3);
}

/* Discard whatever is waiting on fd. */
static void
drain(struct fx *f, int fd)
{
	uint8_t buf[4096];

	fx_pump(&f->sw, 3);
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static int
listen_path(struct fx *f, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return track(f, fd);
}

/* Run the loop until the switch's dial arrives on 'l' (within 'ms'). */
static int
accept_wait(struct fx *f, int l, unsigned int ms)
{
	uint64_t start = loop_clock();

	for (;;) {
		int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return track(f, fd);
		assert_int_equal(errno, EAGAIN);
		if (loop_clock() - start > ms * NS_PER_MS)
			fail_msg("no connection within %u ms", ms);
		fx_pump(&f->sw, 1);
	}
}

/* --- the listener ---------------------------------------------------------- */

static void
test_connections_become_children(void **state)
{
	struct fx *f = *state;
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	struct port *ca, *cb;
	int a, b;
	uint8_t rec[STREAM_HDR_LEN + 60];
	size_t n;

	assert_int_equal(s->state, PORT_STATE_LISTENING);
	a = guest(f, s, &ca);
	b = guest(f, s, &cb);
	assert_string_equal(ca->id, "s.1");
	assert_string_equal(cb->id, "s.2");
	assert_non_null(strstr(ca->peer, "pid "));
	assert_int_equal(fx_children(&f->sw, s), 2);
	assert_int_equal(f->sw.n_ports, 3);

	/* a's broadcast reaches b as one record, not a. */
	n = mkrec(rec, bcast, 1, 60, 0);
	send_all(f, a, rec, n);
	expect_rec(f, b, rec, n);
	expect_nothing(f, a);
	assert_int_equal(ca->c.rx, 1);
	assert_int_equal(ca->c.rx_bytes, 60);
	assert_int_equal(ca->c.rx_fwd, 1);
	assert_int_equal(cb->c.tx, 1);
	assert_int_equal(cb->c.tx_bytes, 60);
	assert_int_equal(s->c.rx, 0);
}

static void
test_records_cut_anywhere(void **state)
{
	struct fx *f = *state;
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	static const size_t lens[] = {60, 1514, 14, 9000, 61};
	static const size_t pieces[] = {7, 1, 13, 2, 3, 1000, 5};
	uint8_t one[STREAM_HDR_LEN + 100], mac_b[ETH_ALEN];
	uint8_t *many = malloc(16 * 1024), *got = malloc(16 * 1024);
	struct port *ca, *cb;
	size_t n, total = 0;
	int a, b;

	assert_non_null(many);
	assert_non_null(got);
	a = guest(f, s, &ca);
	b = guest(f, s, &cb);
	hello(f, a, 1);
	hello(f, b, 2);
	drain(f, a);
	drain(f, b);
	mac_of(mac_b, 2);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_b), cb);

	/* One record, one byte per loop iteration. */
	n = mkrec(one, mac_b, 1, 100, 1);
	for (size_t i = 0; i < n; i++) {
		send_all(f, a, one + i, 1);
		fx_pump(&f->sw, 1);
		if (i + 1 < n) {
			uint8_t x;

			assert_int_equal(recv(b, &x, 1, MSG_DONTWAIT), -1);
		}
	}
	expect_rec(f, b, one, n);
	expect_nothing(f, a);
	expect_nothing(f, b);
	assert_int_equal(ca->c.rx, 2);
	assert_int_equal(ca->c.rx_fwd, 2);

	/* Several records in odd pieces: all of them, in order. */
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++)
		total += mkrec(many + total, mac_b, 1, lens[i], (uint8_t)i);
	for (size_t off = 0, i = 0; off < total; i++) {
		size_t k = MIN(pieces[i % ARRAY_SIZE(pieces)], total - off);

		send_all(f, a, many + off, k);
		off += k;
		fx_pump(&f->sw, 1);
	}
	read_exact(f, b, got, total);
	assert_memory_equal(got, many, total);
	expect_nothing(f, b);
	expect_nothing(f, a);
	assert_int_equal(ca->c.rx, 2 + ARRAY_SIZE(lens));
	assert_int_equal(cb->c.tx, 2 + ARRAY_SIZE(lens));
	assert_int_equal(ca->c.errors[PORT_ERR_BAD_LENGTH], 0);
	free(many);
	free(got);
}

/* Guest a sends a record header of 'len'; its connection goes, b and c
 * carry on. */
static void
bad_length_case(struct fx *f, uint32_t len)
{
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	uint8_t rec[STREAM_HDR_LEN + 60], hdr[STREAM_HDR_LEN], mac[ETH_ALEN];
	struct port *ca, *cb, *cc;
	struct port_counters t;
	int a, b, c;
	size_t n;

	a = guest(f, s, &ca);
	b = guest(f, s, &cb);
	c = guest(f, s, &cc);
	hello(f, a, 1);
	hello(f, b, 2);
	hello(f, c, 3);
	drain(f, a);
	drain(f, b);
	drain(f, c);

	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	send_all(f, a, hdr, sizeof(hdr));
	expect_eof(f, a);
	assert_null(port_find(&f->sw, "s.1"));
	assert_int_equal(fx_children(&f->sw, s), 2);
	mac_of(mac, 1);
	assert_null(fx_mac_port(&f->sw, mac));
	port_totals(&f->sw, &t);
	assert_int_equal(t.errors[PORT_ERR_BAD_LENGTH], 1);
	assert_int_equal(f->sw.gone.errors[PORT_ERR_BAD_LENGTH], 1);
	expect_nothing(f, b);
	expect_nothing(f, c);

	/* The others keep working. */
	mac_of(mac, 3);
	n = mkrec(rec, mac, 2, 60, 7);
	send_all(f, b, rec, n);
	expect_rec(f, c, rec, n);
	mac_of(mac, 2);
	n = mkrec(rec, mac, 3, 60, 8);
	send_all(f, c, rec, n);
	expect_rec(f, b, rec, n);
	assert_ptr_equal(port_find(&f->sw, "s.2"), cb);
	assert_ptr_equal(port_find(&f->sw, "s.3"), cc);
	assert_int_equal(cb->c.errors[PORT_ERR_BAD_LENGTH], 0);
	assert_int_equal(cc->c.errors[PORT_ERR_BAD_LENGTH], 0);
}

static void
test_zero_length_closes_connection(void **state)
{
	bad_length_case(*state, 0);
}

static void
test_huge_length_closes_connection(void **state)
{
	bad_length_case(*state, STREAM_FRAME_MAX + 1);
}

static void
test_huge_length_max_u32(void **state)
{
	bad_length_case(*state, 0xffffffffu);
}

/*
 * A good record and then a bad header in the same write: the good frame is
 * delivered, the connection is still closed and counted, and what follows
 * the bad header is not delivered.
 */
static void
test_bad_length_after_good_record(void **state)
{
	struct fx *f = *state;
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	uint8_t buf[2 * (STREAM_HDR_LEN + 60) + STREAM_HDR_LEN];
	uint8_t mac_b[ETH_ALEN];
	struct port *ca, *cb;
	size_t n;
	int a, b;

	a = guest(f, s, &ca);
	b = guest(f, s, &cb);
	hello(f, a, 1);
	hello(f, b, 2);
	drain(f, a);
	drain(f, b);
	mac_of(mac_b, 2);

	n = mkrec(buf, mac_b, 1, 60, 1);
	memset(buf + n, 0, STREAM_HDR_LEN);
	mkrec(buf + n + STREAM_HDR_LEN, mac_b, 1, 60, 2);
	send_all(f, a, buf, sizeof(buf));
	expect_rec(f, b, buf, n);
	expect_eof(f, a);
	expect_nothing(f, b);
	assert_null(port_find(&f->sw, "s.1"));
	assert_int_equal(f->sw.gone.errors[PORT_ERR_BAD_LENGTH], 1);
	assert_int_equal(f->sw.gone.rx, 2);	/* hello and the good one */
	assert_int_equal(fx_children(&f->sw, s), 1);
}

/*
 * 69632 is the longest record QEMU sends: it is no protocol error.  This
 * switch's buffers hold 65550 bytes, so it is counted oversize and the
 * connection carries on.
 */
static void
test_longest_record_is_not_an_error(void **state)
{
	struct fx *f = *state;
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	uint8_t *big = malloc(BIG), rec[STREAM_HDR_LEN + 60], mac_b[ETH_ALEN];
	struct port *ca, *cb;
	size_t n;
	int a, b;

	assert_non_null(big);
	a = guest(f, s, &ca);
	b = guest(f, s, &cb);
	hello(f, b, 2);
	drain(f, a);
	mac_of(mac_b, 2);

	n = mkrec(big, mac_b, 1, STREAM_FRAME_MAX, 3);
	assert_int_equal(n, BIG);
	send_all(f, a, big, n);
	fx_pump(&f->sw, 4);
	expect_nothing(f, b);
	assert_ptr_equal(port_find(&f->sw, "s.1"), ca);
	assert_int_equal(ca->c.rx, 1);
	assert_int_equal(ca->c.rx_bytes, STREAM_FRAME_MAX);
	assert_int_equal(ca->c.drops[PORT_DROP_OVERSIZE], 1);
	assert_int_equal(ca->c.errors[PORT_ERR_BAD_LENGTH], 0);

	/* The stream is still in step: the next record gets through. */
	n = mkrec(rec, mac_b, 1, 60, 4);
	send_all(f, a, rec, n);
	expect_rec(f, b, rec, n);
	assert_int_equal(ca->c.rx_fwd, 1);
	free(big);
}

static void
test_hangup_removes_child_and_macs(void **state)
{
	struct fx *f = *state;
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	uint8_t rec[STREAM_HDR_LEN + 60], mac_a[ETH_ALEN], mac_b[ETH_ALEN];
	struct port *ca, *cb;
	uint64_t flushed;
	size_t n;
	int a, b;

	a = guest(f, s, &ca);
	b = guest(f, s, &cb);
	hello(f, a, 1);
	hello(f, b, 2);
	drain(f, a);
	mac_of(mac_a, 1);
	mac_of(mac_b, 2);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_a), ca);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_b), cb);
	flushed = f->sw.br.fdb.stats.flushed;

	drop_fd(f, b);
	for (int i = 0; i < 50 && port_find(&f->sw, "s.2"); i++)
		fx_pump(&f->sw, 1);
	assert_null(port_find(&f->sw, "s.2"));
	assert_int_equal(fx_children(&f->sw, s), 1);
	assert_null(fx_mac_port(&f->sw, mac_b));
	assert_ptr_equal(fx_mac_port(&f->sw, mac_a), ca);
	assert_int_equal(f->sw.br.fdb.stats.flushed, flushed + 1);
	assert_int_equal(f->sw.gone.errors[PORT_ERR_BAD_LENGTH], 0);

	/* a's frame to b now has nowhere to go. */
	n = mkrec(rec, mac_b, 1, 60, 5);
	send_all(f, a, rec, n);
	fx_pump(&f->sw, 3);
	assert_int_equal(ca->c.drops[PORT_DROP_NO_PORT], 1);
	expect_nothing(f, a);
}

/*
 * A guest that does not read: the kernel takes part of a record, the rest
 * waits in the backlog; when the guest reads, every record arrives whole
 * and in order.
 */
static void
test_slow_reader_gets_whole_records(void **state)
{
	struct fx *f = *state;
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	enum { N = 200, LEN = 1500 };
	uint8_t *all = malloc((size_t)N * (STREAM_HDR_LEN + LEN));
	uint8_t *got = malloc((size_t)N * (STREAM_HDR_LEN + LEN));
	uint8_t mac_b[ETH_ALEN];
	struct port *ca, *cb;
	size_t total = 0;
	int a, b;

	assert_non_null(all);
	assert_non_null(got);
	a = guest(f, s, &ca);
	b = guest(f, s, &cb);
	hello(f, b, 2);
	drain(f, a);
	mac_of(mac_b, 2);
	for (unsigned int i = 0; i < N; i++)
		total += mkrec(all + total, mac_b, 1, LEN - i % 7, (uint8_t)i);
	send_all(f, a, all, total);
	fx_pump(&f->sw, 10);
	/* More than a socket buffer: some of it is waiting in the switch. */
	assert_true(cb->bl_len > 0);
	assert_int_equal(ca->c.rx, N);

	read_exact(f, b, got, total);
	assert_memory_equal(got, all, total);
	expect_nothing(f, b);
	assert_int_equal(cb->bl_len, 0);
	assert_int_equal(cb->c.tx, N);
	assert_int_equal(cb->c.tx_offered, N);
	assert_int_equal(cb->c.drops[PORT_DROP_BACKLOG_FULL], 0);
	free(all);
	free(got);
}

/* --- dialling -------------------------------------------------------------- */

static void
test_dial_and_redial(void **state)
{
	struct fx *f = *state;
	char path[128];
	int l, c1, c2, a;
	struct port *s, *dl, *ca;
	uint8_t rec[STREAM_HDR_LEN + 60], mac_a[ETH_ALEN], mac_d[ETH_ALEN];
	unsigned int n_ports;
	uint64_t start;
	size_t n;

	snprintf(path, sizeof(path), "%s/peer.sock", f->dir);
	l = listen_path(f, path);
	s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	dl = fx_port(&f->sw, "stream,id=dl,path=%s,server=off", path);
	assert_null(dl->parent);
	assert_string_equal(dl->peer, path);
	c1 = accept_wait(f, l, 1000);
	assert_int_equal(dl->state, PORT_STATE_UP);
	a = guest(f, s, &ca);
	hello(f, a, 1);
	n = mkrec(rec, bcast, 1, 60, 0xaa);
	expect_rec(f, c1, rec, n);

	/* Frames both ways over the dialled connection. */
	mac_of(mac_a, 1);
	mac_of(mac_d, 9);
	n = mkrec(rec, mac_a, 9, 60, 1);
	send_all(f, c1, rec, n);
	expect_rec(f, a, rec, n);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_d), dl);
	n = mkrec(rec, mac_d, 1, 60, 2);
	send_all(f, a, rec, n);
	expect_rec(f, c1, rec, n);
	assert_int_equal(dl->c.rx, 1);
	assert_int_equal(dl->c.tx, 2);
	n_ports = f->sw.n_ports;

	/* The far end closes: dl goes down, keeps its id, and dials again. */
	drop_fd(f, c1);
	start = loop_clock();
	for (int i = 0; i < 100 && dl->state == PORT_STATE_UP; i++)
		fx_pump(&f->sw, 1);
	assert_int_equal(dl->state, PORT_STATE_DOWN);
	assert_null(fx_mac_port(&f->sw, mac_d));
	c2 = accept_wait(f, l, 3000);
	assert_true(loop_clock() - start < 3 * NS_PER_SEC);
	assert_ptr_equal(port_find(&f->sw, "dl"), dl);
	assert_int_equal(dl->state, PORT_STATE_UP);
	assert_int_equal(f->sw.n_ports, n_ports);

	n = mkrec(rec, mac_a, 9, 60, 3);
	send_all(f, c2, rec, n);
	expect_rec(f, a, rec, n);
	n = mkrec(rec, mac_d, 1, 60, 4);
	send_all(f, a, rec, n);
	expect_rec(f, c2, rec, n);
	assert_int_equal(dl->c.rx, 2);
	assert_int_equal(dl->c.tx, 3);
}

static void
test_dial_waits_for_listener(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct port *dl;
	uint64_t start;
	int l;

	snprintf(path, sizeof(path), "%s/peer.sock", f->dir);
	dl = fx_port(&f->sw, "stream,id=dl,path=%s,server=off", path);
	assert_int_equal(dl->state, PORT_STATE_DOWN);
	start = loop_clock();
	while (loop_clock() - start < 150 * NS_PER_MS)
		fx_pump(&f->sw, 1);
	assert_int_equal(dl->state, PORT_STATE_DOWN);
	assert_int_equal(f->sw.br.n_fwd, 0);

	l = listen_path(f, path);
	accept_wait(f, l, 3000);
	assert_int_equal(dl->state, PORT_STATE_UP);
	assert_int_equal(f->sw.br.n_fwd, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_connections_become_children, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(test_records_cut_anywhere,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_zero_length_closes_connection, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_huge_length_closes_connection, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(test_huge_length_max_u32,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_bad_length_after_good_record, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_longest_record_is_not_an_error, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_hangup_removes_child_and_macs, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_slow_reader_gets_whole_records, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(test_dial_and_redial, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_dial_waits_for_listener,
						fx_setup, fx_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
