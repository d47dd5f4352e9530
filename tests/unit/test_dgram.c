/* SPDX-License-Identifier: MIT */
/*
 * test_dgram.c - the "dgram" port kind (src/port/dgram.c) in a whole
 * in-process switch: struct sw, loop, pool and bridge set up as main.c
 * does, ports made with port_create(), the loop driven one iteration at a
 * time while the test plays the guests with ordinary sockets.
 *
 * Covers: sender keying (one child per sender address, unix and UDP),
 * unicast and broadcast delivery, idle=, max_peers=, runts, unbound
 * senders, a guest gone, and the fixed remote= form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

#define FRAME_LEN 60
#define MAX_CLIENTS 8

struct fx {
	struct sw sw;
	char dir[64];
	char paths[MAX_CLIENTS][128];	/* client socket paths to unlink */
	int fds[MAX_CLIENTS];
	unsigned int n_clients;
};

static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* --- the switch ------------------------------------------------------------ */

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (fx_sw_in_tmpdir(&f->sw, f->dir, sizeof(f->dir), "dgram")) {
		free(f);
		return -1;
	}
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		f->fds[i] = -1;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	struct sw *sw = &f->sw;

	sw_fini(sw);
	for (unsigned int i = 0; i < f->n_clients; i++) {
		if (f->fds[i] >= 0)
			close(f->fds[i]);
		if (f->paths[i][0])
			unlink(f->paths[i]);
	}
	/* Every port removed its own socket file: rmdir proves it. */
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}





/* --- the guests ------------------------------------------------------------ */

static void
mac_of(uint8_t mac[ETH_ALEN], unsigned int n)
{
	const uint8_t m[ETH_ALEN] = {0x02, 0x00, 0x5e, 0x10, 0x00,
				     (uint8_t)n};

	memcpy(mac, m, ETH_ALEN);
}

/* A frame from guest 'src' to 'dst' with a payload that names both. */
static size_t
mkframe(uint8_t *buf, const uint8_t dst[ETH_ALEN], unsigned int src,
	size_t len, uint8_t salt)
{
	mac_of(buf + ETH_ALEN, src);
	memcpy(buf, dst, ETH_ALEN);
	buf[12] = 0x88;
	buf[13] = 0xb5;
	for (size_t i = ETH_HDR_LEN; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + src * 31 + salt);
	return len;
}

static int
add_fd(struct fx *f, int fd, const char *path)
{
	assert_true(f->n_clients < MAX_CLIENTS);
	f->fds[f->n_clients] = fd;
	snprintf(f->paths[f->n_clients], sizeof(f->paths[0]), "%s",
		 path ? path : "");
	f->n_clients++;
	return fd;
}

/* A unix datagram guest bound to DIR/name. */
static int
unix_client(struct fx *f, const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", f->dir, name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return add_fd(f, fd, sun.sun_path);
}

/* A UDP guest bound to 127.0.0.1 and an ephemeral port. */
static int
udp_client(struct fx *f, uint16_t *port_out)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	socklen_t sl = sizeof(in);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &sl), 0);
	if (port_out)
		*port_out = ntohs(in.sin_port);
	return add_fd(f, fd, NULL);
}

static void
send_unix(struct fx *f, int fd, const char *name, const void *buf,
	  size_t len)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", f->dir, name);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&sun,
				sizeof(sun)),
			 (ssize_t)len);
}

/* Send to the address the port's own socket is bound to. */
static void
send_to_port(int fd, const struct port *p, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	assert_int_equal(getsockname(p->lfd.fd, (struct sockaddr *)&ss, &sl),
			 0);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl),
			 (ssize_t)len);
}

/* Run the loop until a datagram arrives on fd (bounded); its length. */
static ssize_t
recv_wait(struct fx *f, int fd, void *buf, size_t len,
	  struct sockaddr_storage *from)
{
	for (int i = 0; i < 200; i++) {
		socklen_t sl = sizeof(*from);
		ssize_t r = recvfrom(fd, buf, len, MSG_DONTWAIT,
				     (struct sockaddr *)from, &sl);

		if (r >= 0)
			return r;
		assert_true(errno == EAGAIN);
		assert_true(loop_run_once(&f->sw.loop, 5) >= 0);
	}
	return -1;
}

static void
expect_frame(struct fx *f, int fd, const uint8_t *want, size_t len)
{
	uint8_t buf[2048];
	struct sockaddr_storage from;
	ssize_t r = recv_wait(f, fd, buf, sizeof(buf), &from);

	assert_int_equal(r, (ssize_t)len);
	assert_memory_equal(buf, want, len);
}

/* After a few loop iterations, nothing is waiting on fd. */
static void
expect_nothing(struct fx *f, int fd)
{
	uint8_t buf[2048];
	ssize_t r;

	fx_pump(&f->sw, 4);
	r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(r, -1);
	assert_int_equal(errno, EAGAIN);
}

/* --- sender keying --------------------------------------------------------- */

static void
test_unix_sender_keying(void **state)
{
	struct fx *f = *state;
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	int a = unix_client(f, "a.sock"), b = unix_client(f, "b.sock"),
	    c = unix_client(f, "c.sock");
	uint8_t fr[FRAME_LEN], mac_b[ETH_ALEN];
	struct port *da, *db, *dc;
	char want[160];

	assert_int_equal(d->state, PORT_STATE_LISTENING);
	assert_int_equal(fx_children(&f->sw, d), 0);

	/* a: first sender, a child of its own; nobody to flood to yet. */
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 3);
	da = port_find(&f->sw, "d.1");
	assert_non_null(da);
	assert_ptr_equal(da->parent, d);
	assert_int_equal(da->state, PORT_STATE_UP);
	snprintf(want, sizeof(want), "%s/a.sock", f->dir);
	assert_string_equal(da->peer, want);
	assert_int_equal(da->c.rx, 1);
	assert_int_equal(da->c.drops[PORT_DROP_NO_PORT], 1);
	assert_int_equal(fx_children(&f->sw, d), 1);

	/* b: a second child; its broadcast reaches a, not b. */
	mkframe(fr, bcast, 2, sizeof(fr), 1);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	expect_nothing(f, b);
	db = port_find(&f->sw, "d.2");
	assert_non_null(db);
	snprintf(want, sizeof(want), "%s/b.sock", f->dir);
	assert_string_equal(db->peer, want);
	assert_int_equal(fx_children(&f->sw, d), 2);

	/* a again: the same child, no new one. */
	mkframe(fr, bcast, 1, sizeof(fr), 2);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	expect_nothing(f, a);
	assert_ptr_equal(port_find(&f->sw, "d.1"), da);
	assert_null(port_find(&f->sw, "d.3"));
	assert_int_equal(fx_children(&f->sw, d), 2);
	assert_int_equal(da->c.rx, 2);
	assert_int_equal(da->c.rx_fwd, 1);

	/* c: a third child; broadcast to a and b, not back to c. */
	mkframe(fr, bcast, 3, sizeof(fr), 3);
	send_unix(f, c, "d.sock", fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	expect_nothing(f, c);
	dc = port_find(&f->sw, "d.3");
	assert_non_null(dc);
	assert_int_equal(fx_children(&f->sw, d), 3);
	mac_of(mac_b, 3);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_b), dc);

	/* a to b's MAC: b only, byte for byte. */
	mac_of(mac_b, 2);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_b), db);
	mkframe(fr, mac_b, 1, sizeof(fr), 4);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	expect_nothing(f, a);
	expect_nothing(f, c);
	assert_int_equal(da->c.rx, 3);
	assert_int_equal(da->c.rx_fwd, 2);
	/* b got a's second broadcast, c's broadcast and a's unicast. */
	assert_int_equal(db->c.tx, 3);
	assert_int_equal(db->c.tx_offered, 3);
	assert_int_equal(dc->c.tx, 0);
	/* The endpoint itself carries no frames. */
	assert_int_equal(d->c.rx, 0);
	assert_int_equal(d->c.tx, 0);
}

static void
test_udp_sender_keying(void **state)
{
	struct fx *f = *state;
	struct port *u = fx_port(&f->sw, "dgram,id=u,host=127.0.0.1,port=0");
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	uint16_t pa, pb;
	int a = udp_client(f, &pa), b = udp_client(f, &pb),
	    x = unix_client(f, "x.sock");
	uint8_t fr[FRAME_LEN], mac[ETH_ALEN], buf[256];
	struct sockaddr_storage from;
	struct port *ua, *ub, *dx;
	char want[64];

	/* Two UDP senders: two children, named by address. */
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_to_port(a, u, fr, sizeof(fr));
	fx_pump(&f->sw, 3);
	mkframe(fr, bcast, 2, sizeof(fr), 1);
	send_to_port(b, u, fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	ua = port_find(&f->sw, "u.1");
	ub = port_find(&f->sw, "u.2");
	assert_non_null(ua);
	assert_non_null(ub);
	snprintf(want, sizeof(want), "127.0.0.1:%u", pa);
	assert_string_equal(ua->peer, want);
	snprintf(want, sizeof(want), "127.0.0.1:%u", pb);
	assert_string_equal(ub->peer, want);
	assert_int_equal(fx_children(&f->sw, u), 2);

	/* A unix guest on another endpoint shares the bridge. */
	mkframe(fr, bcast, 3, sizeof(fr), 2);
	send_unix(f, x, "d.sock", fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	expect_nothing(f, x);
	dx = port_find(&f->sw, "d.1");
	assert_non_null(dx);

	/* a to b by MAC: b only, and answered from the endpoint's IP. */
	mac_of(mac, 2);
	mkframe(fr, mac, 1, sizeof(fr), 3);
	send_to_port(a, u, fr, sizeof(fr));
	assert_int_equal(recv_wait(f, b, buf, sizeof(buf), &from),
			 (ssize_t)sizeof(fr));
	assert_memory_equal(buf, fr, sizeof(fr));
	assert_int_equal(from.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&from)->sin_addr.s_addr,
			 htonl(INADDR_LOOPBACK));
	expect_nothing(f, a);
	expect_nothing(f, x);

	/* a's broadcast: b and x, not a; still two UDP children. */
	mkframe(fr, bcast, 1, sizeof(fr), 4);
	send_to_port(a, u, fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	expect_frame(f, x, fr, sizeof(fr));
	expect_nothing(f, a);
	assert_int_equal(fx_children(&f->sw, u), 2);
	assert_int_equal(fx_children(&f->sw, d), 1);
	assert_int_equal(ua->c.rx, 3);
	assert_int_equal(ua->c.rx_fwd, 2);	/* the first had no one */
	assert_int_equal(ub->c.tx, 3);
	assert_int_equal(dx->c.tx, 1);	/* x came after b's broadcast */
}

/* --- idle peers ------------------------------------------------------------ */

static void
test_idle_removes_quiet_child(void **state)
{
	struct fx *f = *state;
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock,idle=1",
				f->dir);
	int a = unix_client(f, "a.sock"), b = unix_client(f, "b.sock");
	uint8_t fr[FRAME_LEN], mac_a[ETH_ALEN], mac_b[ETH_ALEN];
	uint64_t start, now;
	struct port *db;
	bool gone = false;

	mac_of(mac_a, 1);
	mac_of(mac_b, 2);
	/* a's only frame: it is idle from here on. */
	start = loop_clock();
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 2);
	mkframe(fr, bcast, 2, sizeof(fr), 0);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	db = port_find(&f->sw, "d.2");
	assert_non_null(port_find(&f->sw, "d.1"));
	assert_non_null(db);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_a), port_find(&f->sw, "d.1"));

	/* b keeps talking (to a's MAC) every 200 ms; a stays quiet. */
	for (unsigned int i = 0; !gone; i++) {
		now = loop_clock();
		assert_true(now - start < 4 * NS_PER_SEC);
		if (i % 40 == 0) {
			mkframe(fr, mac_a, 2, sizeof(fr), (uint8_t)i);
			send_unix(f, b, "d.sock", fr, sizeof(fr));
		}
		assert_true(loop_run_once(&f->sw.loop, 5) >= 0);
		gone = port_find(&f->sw, "d.1") == NULL;
	}
	/* Not before a whole idle period since a's frame. */
	assert_true(loop_clock() - start >= NS_PER_SEC);
	assert_null(fx_mac_port(&f->sw, mac_a));
	assert_ptr_equal(port_find(&f->sw, "d.2"), db);
	assert_ptr_equal(fx_mac_port(&f->sw, mac_b), db);
	assert_int_equal(fx_children(&f->sw, d), 1);

	/* a comes back: a new child with a new number. */
	while (recv(a, fr, sizeof(fr), MSG_DONTWAIT) > 0)
		;
	mkframe(fr, mac_b, 1, sizeof(fr), 9);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	assert_non_null(port_find(&f->sw, "d.3"));
	assert_ptr_equal(fx_mac_port(&f->sw, mac_a), port_find(&f->sw, "d.3"));
	assert_int_equal(fx_children(&f->sw, d), 2);
}

/* --- max_peers ------------------------------------------------------------- */

static void
test_max_peers(void **state)
{
	struct fx *f = *state;
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock,max_peers=2",
				f->dir);
	int a = unix_client(f, "a.sock"), b = unix_client(f, "b.sock"),
	    c = unix_client(f, "c.sock");
	uint8_t fr[FRAME_LEN], mac_c[ETH_ALEN];
	struct port_counters t;

	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 2);
	mkframe(fr, bcast, 2, sizeof(fr), 0);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	assert_int_equal(fx_children(&f->sw, d), 2);

	/* c is one too many: no port, counted, its frame goes nowhere. */
	mkframe(fr, bcast, 3, sizeof(fr), 0);
	send_unix(f, c, "d.sock", fr, sizeof(fr));
	expect_nothing(f, a);
	expect_nothing(f, b);
	assert_int_equal(fx_children(&f->sw, d), 2);
	assert_null(port_find(&f->sw, "d.3"));
	assert_int_equal(d->c.errors[PORT_ERR_PEER_LIMIT], 1);
	mac_of(mac_c, 3);
	assert_null(fx_mac_port(&f->sw, mac_c));
	send_unix(f, c, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 3);
	assert_int_equal(d->c.errors[PORT_ERR_PEER_LIMIT], 2);
	port_totals(&f->sw, &t);
	assert_int_equal(t.rx, 2);	/* only a's and b's frames */

	/* Once a leaves, c fits. */
	port_destroy(port_find(&f->sw, "d.1"), "test");
	fx_pump(&f->sw, 1);
	send_unix(f, c, "d.sock", fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	assert_non_null(port_find(&f->sw, "d.3"));
	assert_int_equal(fx_children(&f->sw, d), 2);
	assert_int_equal(d->c.errors[PORT_ERR_PEER_LIMIT], 2);
}

/* --- hostile or odd senders ------------------------------------------------ */

static void
test_runt_dropped(void **state)
{
	struct fx *f = *state;
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	int a = unix_client(f, "a.sock"), b = unix_client(f, "b.sock");
	uint8_t fr[FRAME_LEN];
	struct port *da;

	mkframe(fr, bcast, 2, sizeof(fr), 0);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 2);
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	expect_frame(f, b, fr, sizeof(fr));
	da = port_find(&f->sw, "d.2");
	assert_non_null(da);
	assert_int_equal(fx_children(&f->sw, d), 2);

	/* 13 bytes and 0 bytes: received, counted as runts, not sent on. */
	send_unix(f, a, "d.sock", fr, ETH_HDR_LEN - 1);
	send_unix(f, a, "d.sock", fr, 0);
	expect_nothing(f, b);
	assert_int_equal(da->c.rx, 3);
	assert_int_equal(da->c.rx_bytes, FRAME_LEN + ETH_HDR_LEN - 1);
	assert_int_equal(da->c.drops[PORT_DROP_RUNT], 2);
	assert_int_equal(da->c.rx_fwd, 1);

	/* 14 bytes is a frame. */
	send_unix(f, a, "d.sock", fr, ETH_HDR_LEN);
	expect_frame(f, b, fr, ETH_HDR_LEN);
	assert_int_equal(da->c.rx_fwd, 2);
	assert_int_equal(da->c.drops[PORT_DROP_RUNT], 2);
	assert_int_equal(fx_children(&f->sw, d), 2);
}

static void
test_unbound_sender_refused(void **state)
{
	struct fx *f = *state;
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	int b = unix_client(f, "b.sock");
	int anon = add_fd(f, socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0),
			  NULL);
	uint8_t fr[FRAME_LEN];

	mkframe(fr, bcast, 2, sizeof(fr), 0);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 2);
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, anon, "d.sock", fr, sizeof(fr));
	expect_nothing(f, b);
	assert_int_equal(fx_children(&f->sw, d), 1);
	assert_int_equal(d->c.errors[PORT_ERR_BAD_PEER], 1);
}

static void
test_gone_guest_removed(void **state)
{
	struct fx *f = *state;
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	int a = unix_client(f, "a.sock"), b = unix_client(f, "b.sock");
	uint8_t fr[FRAME_LEN], mac_a[ETH_ALEN];
	struct port_counters t;

	mac_of(mac_a, 1);
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 2);
	mkframe(fr, bcast, 2, sizeof(fr), 0);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	assert_int_equal(fx_children(&f->sw, d), 2);

	/* a's socket closes; b's next frame to it finds it gone. */
	close(a);
	f->fds[0] = -1;
	mkframe(fr, mac_a, 2, sizeof(fr), 1);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 4);
	assert_null(port_find(&f->sw, "d.1"));
	assert_null(fx_mac_port(&f->sw, mac_a));
	assert_int_equal(fx_children(&f->sw, d), 1);
	port_totals(&f->sw, &t);
	assert_int_equal(t.drops[PORT_DROP_PEER_GONE], 1);
}

/*
 * A guest that does not read fills its socket's small queue; the rest waits
 * in the child's backlog and follows, in order, as the guest reads.
 */
static void
test_slow_guest_backlog(void **state)
{
	struct fx *f = *state;
	enum { N = 100 };
	struct port *d = fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	int a = unix_client(f, "a.sock"), b = unix_client(f, "b.sock");
	uint8_t fr[FRAME_LEN], mac_b[ETH_ALEN];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct port *db;
	bool backlogged = false;

	mkframe(fr, bcast, 2, sizeof(fr), 0);
	send_unix(f, b, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 2);
	db = port_find(&f->sw, "d.1");
	assert_non_null(db);
	mac_of(mac_b, 2);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/d.sock", f->dir);
	for (unsigned int i = 0; i < N; i++) {
		mkframe(fr, mac_b, 1, sizeof(fr), (uint8_t)i);
		for (int tries = 0;; tries++) {
			if (sendto(a, fr, sizeof(fr), 0,
				   (struct sockaddr *)&sun,
				   sizeof(sun)) == (ssize_t)sizeof(fr))
				break;
			assert_int_equal(errno, EAGAIN);
			assert_true(tries < 100);
			fx_pump(&f->sw, 1);
		}
		fx_pump(&f->sw, 1);
		backlogged |= db->bl_len > 0;
	}
	fx_pump(&f->sw, 3);
	assert_true(backlogged);
	assert_int_equal(port_find(&f->sw, "d.2")->c.rx, N);
	for (unsigned int i = 0; i < N; i++) {
		mkframe(fr, mac_b, 1, sizeof(fr), (uint8_t)i);
		expect_frame(f, b, fr, sizeof(fr));
	}
	expect_nothing(f, b);
	assert_int_equal(db->bl_len, 0);
	assert_int_equal(db->c.tx, N);
	assert_int_equal(db->c.tx_offered, N);
	assert_int_equal(db->c.drops[PORT_DROP_BACKLOG_FULL], 0);
	assert_int_equal(fx_children(&f->sw, d), 2);
}

/* --- the fixed remote= form ------------------------------------------------ */

static void
test_fixed_remote(void **state)
{
	struct fx *f = *state;
	int peer = unix_client(f, "peer.sock"), a = unix_client(f, "a.sock");
	struct port *fx = fx_port(&f->sw, "dgram,id=f,path=%s/f.sock,"
				    "remote.path=%s/peer.sock",
				 f->dir, f->dir);
	uint8_t fr[FRAME_LEN], mac_a[ETH_ALEN], buf[256];
	struct sockaddr_storage from;
	char want[128];

	fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	assert_int_equal(fx->state, PORT_STATE_UP);
	assert_null(fx->parent);
	snprintf(want, sizeof(want), "%s/peer.sock", f->dir);
	assert_string_equal(fx->peer, want);

	/* a's broadcast leaves by f, from f's own address, to the peer. */
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	assert_int_equal(recv_wait(f, peer, buf, sizeof(buf), &from),
			 (ssize_t)sizeof(fr));
	assert_memory_equal(buf, fr, sizeof(fr));
	snprintf(want, sizeof(want), "%s/f.sock", f->dir);
	assert_string_equal(((struct sockaddr_un *)&from)->sun_path, want);
	assert_int_equal(fx->c.tx, 1);

	/* The peer's frame to a's MAC comes in on f: a only. */
	mac_of(mac_a, 1);
	mkframe(fr, mac_a, 5, sizeof(fr), 1);
	send_unix(f, peer, "f.sock", fr, sizeof(fr));
	expect_frame(f, a, fr, sizeof(fr));
	expect_nothing(f, peer);
	assert_int_equal(fx->c.rx, 1);
	assert_int_equal(fx->c.rx_fwd, 1);
	/* f is one port, whoever sends to it. */
	assert_int_equal(fx->n_children, 0);
	assert_int_equal(f->sw.n_ports, 3);
}

static void
test_fixed_remote_late_peer(void **state)
{
	struct fx *f = *state;
	int a = unix_client(f, "a.sock");
	struct port *fx = fx_port(&f->sw, "dgram,id=f,path=%s/f.sock,"
				    "remote.path=%s/peer.sock",
				 f->dir, f->dir);
	uint8_t fr[FRAME_LEN];
	uint64_t start;
	int peer;

	fx_port(&f->sw, "dgram,id=d,path=%s/d.sock", f->dir);
	/* No peer yet: frames to it are dropped and counted; f stays. */
	mkframe(fr, bcast, 1, sizeof(fr), 0);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	fx_pump(&f->sw, 3);
	assert_ptr_equal(port_find(&f->sw, "f"), fx);
	assert_int_equal(fx->state, PORT_STATE_UP);
	assert_int_equal(fx->c.tx_offered, 1);
	assert_int_equal(fx->c.tx, 0);
	assert_int_equal(fx->c.drops[PORT_DROP_PEER_GONE], 1);

	/* The peer appears: within the retry interval, frames reach it. */
	peer = unix_client(f, "peer.sock");
	start = loop_clock();
	while (loop_clock() - start < 150 * NS_PER_MS)
		fx_pump(&f->sw, 1);
	mkframe(fr, bcast, 1, sizeof(fr), 1);
	send_unix(f, a, "d.sock", fr, sizeof(fr));
	expect_frame(f, peer, fr, sizeof(fr));
	assert_int_equal(fx->c.tx, 1);
	assert_int_equal(fx->c.tx_offered, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unix_sender_keying,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_udp_sender_keying,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_idle_removes_quiet_child,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_max_peers, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_runt_dropped, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_unbound_sender_refused,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gone_guest_removed,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_slow_guest_backlog,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_remote, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_fixed_remote_late_peer,
						fx_setup, fx_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
