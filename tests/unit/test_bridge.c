/* SPDX-License-Identifier: MIT */
/*
 * test_bridge.c - unit tests of the forwarding core (bridge/bridge.h)
 * together with the generic port data path (port_rx(), port_xmit(), the
 * backlog, port removal).
 *
 * The ports are in-process: a test "listener" spawns children of a fake
 * kind through port_spawn(), exactly as the stream and dgram listeners do.
 * The fake's rx_burst hands in frames the test queued; its tx_burst
 * records what the bridge sent (and can refuse frames, or fail) so the
 * tests see which port got which frame, in how many tx_burst calls.
 * After every test, the conservation equations of port.h hold on every
 * port and every packet reference has returned to the pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "core/loop.h"
#include "core/pkt.h"
#include "port/port.h"
#include "proto/cmdline.h"
#include "proto/eth.h"
#include "proto/vlan.h"

#define N_PORTS 4
#define BACKLOG 8
#define TX_LOG 64

struct sent {
	uint8_t dst[ETH_ALEN], src[ETH_ALEN];
	uint32_t len;
	uint8_t seq;		/* first payload byte */
	uint8_t b12[6];		/* bytes 12-17: tag and type, if any */
};

/* The fake kind's private state. */
struct fake {
	struct pkt *rxq[PKT_BURST];
	unsigned int n_rxq;
	int tx_room;		/* frames taken per tx_burst, -1 = all */
	int tx_err;		/* nonzero: tx_burst fails with it */
	unsigned int tx_calls;
	unsigned int n_sent;
	struct sent sent[TX_LOG];
};

static int
fake_open(struct port *p, struct opts *o, char *err)
{
	(void)p;
	(void)o;
	return ERR_SET(err, -ENOTSUP, "fake ports are only spawned");
}

static int
fake_rx_burst(struct port *p, struct pkt **pkts, unsigned int max)
{
	struct fake *f = port_priv(p);
	unsigned int n = MIN(max, f->n_rxq);

	for (unsigned int i = 0; i < n; i++) {
		pkts[i] = f->rxq[i];
		pkts[i]->in = p;
	}
	memmove(f->rxq, f->rxq + n, (f->n_rxq - n) * sizeof(f->rxq[0]));
	f->n_rxq -= n;
	return (int)n;
}

static int
fake_tx_burst(struct port *p, struct pkt **pkts, unsigned int n)
{
	struct fake *f = port_priv(p);

	f->tx_calls++;
	if (f->tx_err)
		return f->tx_err;
	if (f->tx_room >= 0 && n > (unsigned int)f->tx_room)
		n = (unsigned int)f->tx_room;
	for (unsigned int i = 0; i < n; i++) {
		struct sent *s = &f->sent[f->n_sent++ % TX_LOG];

		memcpy(s->dst, pkts[i]->data, ETH_ALEN);
		memcpy(s->src, pkts[i]->data + ETH_ALEN, ETH_ALEN);
		s->len = pkts[i]->len;
		s->seq = pkts[i]->len > ETH_HDR_LEN ? pkts[i]->data[14] : 0;
		if (pkts[i]->len >= 18)
			memcpy(s->b12, pkts[i]->data + 12, 6);
	}
	return (int)n;
}

static const struct port_ops fake_ops = {
	.kind = "fake",
	.priv_size = sizeof(struct fake),
	.open = fake_open,
	.rx_burst = fake_rx_burst,
	.tx_burst = fake_tx_burst,
};

struct bench {
	struct sw sw;
	struct port *listener;
	struct port *p[N_PORTS];
};

static const uint8_t mac_a[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t mac_b[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t mac_c[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x0c};
static const uint8_t mac_a2[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0xa2};
static const uint8_t mac_bcast[ETH_ALEN] = {0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff};
static const uint8_t mac_mcast[ETH_ALEN] = {0x01, 0x00, 0x5e, 0, 0, 0x01};
static const uint8_t mac_zero[ETH_ALEN];

static struct fake *
fk(struct port *p)
{
	return port_priv(p);
}

static int
setup(void **state)
{
	struct bench *b = calloc(1, sizeof(*b));
	char err[ERR_LEN] = "";
	static const struct cmdline c = {
		.pool = 256, .frame_max = 2048, .fdb_size = 1024,
		.ageing = 300, .backlog = BACKLOG,
	};

	assert_non_null(b);
	assert_int_equal(sw_init(&b->sw, &c, err), 0);
	/* A listener as port_create() would leave it; only its children
	 * are used, so it is not registered. */
	b->listener = calloc(1, sizeof(*b->listener));
	assert_non_null(b->listener);
	snprintf(b->listener->id, sizeof(b->listener->id), "t");
	b->listener->sw = &b->sw;
	b->listener->bl_cap = BACKLOG;
	b->listener->lfd.fd = -1;
	b->listener->state = PORT_STATE_LISTENING;
	for (int i = 0; i < N_PORTS; i++) {
		b->p[i] = port_spawn(b->listener, &fake_ops, err);
		assert_non_null(b->p[i]);
		fk(b->p[i])->tx_room = -1;
	}
	*state = b;
	return 0;
}

static void
set_all_up(struct bench *b)
{
	for (int i = 0; i < N_PORTS; i++)
		port_set_up(b->p[i]);
}

static uint64_t
sum_drops(const struct port_counters *c, int from, int to)
{
	uint64_t n = 0;

	for (int d = from; d < to; d++)
		n += c->drops[d];
	return n;
}

static void
check_conservation(const struct port_counters *c, uint64_t queued)
{
	assert_int_equal(c->rx, c->rx_fwd + sum_drops(c, 0,
						       PORT_DROP_FIRST_EGRESS));
	assert_int_equal(c->tx_offered,
			 c->tx + queued +
				 sum_drops(c, PORT_DROP_FIRST_EGRESS,
					   PORT_DROP_MAX));
}

static void
check_all(struct bench *b)
{
	struct port_counters tot;
	uint64_t queued = 0;

	for (struct port *p = b->sw.ports_head; p; p = p->next) {
		check_conservation(&p->c, p->bl_len);
		queued += p->bl_len;
	}
	port_totals(&b->sw, &tot);
	check_conservation(&tot, queued);
}

static int
teardown(void **state)
{
	struct bench *b = *state;

	check_all(b);
	while (b->sw.ports_head)
		port_destroy(b->sw.ports_head, NULL);
	loop_run_once(&b->sw.loop, 0);	/* the deferred frees */
	/* Every reference came back. */
	assert_int_equal(b->sw.pool.n_free, b->sw.pool.count);
	sw_fini(&b->sw);
	free(b->listener);
	free(b);
	return 0;
}

static struct pkt *
make_frame(struct bench *b, const uint8_t *dst, const uint8_t *src,
	   uint32_t len, uint8_t seq)
{
	struct pkt *pkt;

	assert_int_equal(pkt_alloc_burst(&b->sw.pool, &pkt, 1), 1);
	memset(pkt->data, 0, 64);
	memcpy(pkt->data, dst, ETH_ALEN);
	memcpy(pkt->data + ETH_ALEN, src, ETH_ALEN);
	pkt->data[12] = 0x08;
	pkt->data[13] = 0x00;
	pkt->data[14] = seq;
	pkt->len = len;
	return pkt;
}

/* Queue a frame on @p's fake socket without receiving it yet. */
static void
queue_rx(struct bench *b, struct port *p, const uint8_t *dst,
	 const uint8_t *src, uint32_t len, uint8_t seq)
{
	struct fake *f = fk(p);

	assert_true(f->n_rxq < PKT_BURST);
	f->rxq[f->n_rxq++] = make_frame(b, dst, src, len, seq);
}

/* @p receives one frame, as if its fd had become readable. */
static void
send1(struct bench *b, int port, const uint8_t *dst, const uint8_t *src,
      uint32_t len, uint8_t seq)
{
	queue_rx(b, b->p[port], dst, src, len, seq);
	port_rx(b->p[port]);
}

static void
clear_sent(struct bench *b)
{
	for (int i = 0; i < N_PORTS; i++) {
		fk(b->p[i])->n_sent = 0;
		fk(b->p[i])->tx_calls = 0;
	}
}

/* Which ports got frames since clear_sent(): bit i = port i. */
static unsigned int
receivers(struct bench *b)
{
	unsigned int m = 0;

	for (int i = 0; i < N_PORTS; i++)
		if (fk(b->p[i])->n_sent)
			m |= 1U << i;
	return m;
}

static void
assert_sent(struct bench *b, int port, const uint8_t *dst,
	    const uint8_t *src, uint8_t seq)
{
	struct fake *f = fk(b->p[port]);
	const struct sent *s;

	assert_int_equal(f->n_sent, 1);
	s = &f->sent[0];
	assert_memory_equal(s->dst, dst, ETH_ALEN);
	assert_memory_equal(s->src, src, ETH_ALEN);
	assert_int_equal(s->seq, seq);
	assert_int_equal(s->len, 60);
}

static struct port *
lookup(struct bench *b, const uint8_t *mac, uint16_t vlan)
{
	return fdb_lookup(&b->sw.br.fdb, fdb_key(eth_mac_to_u64(mac), vlan));
}

static void
test_unknown_unicast_floods(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	send1(b, 0, mac_b, mac_a, 60, 1);
	assert_int_equal(receivers(b), 0xe);	/* all but port 0 */
	for (int i = 1; i < N_PORTS; i++)
		assert_sent(b, i, mac_b, mac_a, 1);
	assert_int_equal(b->p[0]->c.rx, 1);
	assert_int_equal(b->p[0]->c.rx_fwd, 1);
	for (int i = 1; i < N_PORTS; i++) {
		assert_int_equal(b->p[i]->c.tx_offered, 1);
		assert_int_equal(b->p[i]->c.tx, 1);
		assert_int_equal(b->p[i]->c.tx_bytes, 60);
	}
	assert_ptr_equal(lookup(b, mac_a, 0), b->p[0]);
	check_all(b);
}

static void
test_learned_unicast_goes_to_one_port(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	send1(b, 0, mac_b, mac_a, 60, 1);	/* flooded; A learned */
	clear_sent(b);
	send1(b, 1, mac_a, mac_b, 60, 2);	/* B learned; to A only */
	assert_int_equal(receivers(b), 0x1);
	assert_sent(b, 0, mac_a, mac_b, 2);
	clear_sent(b);
	send1(b, 0, mac_b, mac_a, 60, 3);
	assert_int_equal(receivers(b), 0x2);
	assert_sent(b, 1, mac_b, mac_a, 3);
	/* B moves to port 2: frames follow it. */
	send1(b, 2, mac_c, mac_b, 60, 4);
	clear_sent(b);
	send1(b, 0, mac_b, mac_a, 60, 5);
	assert_int_equal(receivers(b), 0x4);
	assert_sent(b, 2, mac_b, mac_a, 5);
	assert_int_equal(b->sw.br.fdb.stats.moved, 1);
	check_all(b);
}

static void
test_broadcast_and_multicast_flood(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	/* Make B known first: group destinations flood regardless. */
	send1(b, 1, mac_a, mac_b, 60, 1);
	clear_sent(b);
	send1(b, 0, mac_bcast, mac_a, 60, 2);
	assert_int_equal(receivers(b), 0xe);
	for (int i = 1; i < N_PORTS; i++)
		assert_sent(b, i, mac_bcast, mac_a, 2);
	clear_sent(b);
	send1(b, 2, mac_mcast, mac_c, 60, 3);
	assert_int_equal(receivers(b), 0xb);
	for (int i = 0; i < N_PORTS; i++)
		if (i != 2)
			assert_sent(b, i, mac_mcast, mac_c, 3);
	check_all(b);
}

static void
test_same_port_dropped(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	send1(b, 0, mac_bcast, mac_a, 60, 1);
	send1(b, 0, mac_bcast, mac_a2, 60, 2);	/* A and A2 both on 0 */
	clear_sent(b);
	send1(b, 0, mac_a2, mac_a, 60, 3);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_SAME_PORT], 1);
	assert_int_equal(b->p[0]->c.rx, 3);
	assert_int_equal(b->p[0]->c.rx_fwd, 2);
	check_all(b);
}

static void
test_runt_dropped(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	send1(b, 0, mac_bcast, mac_a, ETH_HDR_LEN - 1, 1);
	send1(b, 0, mac_bcast, mac_a, 0, 2);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_RUNT], 2);
	assert_int_equal(b->p[0]->c.rx, 2);
	assert_int_equal(b->p[0]->c.rx_bytes, ETH_HDR_LEN - 1);
	assert_null(lookup(b, mac_a, 0));	/* nothing learned */
	/* A bare header is long enough. */
	send1(b, 0, mac_bcast, mac_a, ETH_HDR_LEN, 3);
	assert_int_equal(receivers(b), 0xe);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_RUNT], 2);
	check_all(b);
}

static void
test_bad_src_dropped(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	send1(b, 0, mac_b, mac_mcast, 60, 1);
	send1(b, 0, mac_b, mac_bcast, 60, 2);
	send1(b, 0, mac_b, mac_zero, 60, 3);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_BAD_SRC], 3);
	assert_int_equal(b->sw.br.fdb.count, 0);
	check_all(b);
}

static void
test_flood_with_no_other_port(void **state)
{
	struct bench *b = *state;

	port_set_up(b->p[0]);
	send1(b, 0, mac_bcast, mac_a, 60, 1);
	send1(b, 0, mac_b, mac_a, 60, 2);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_NO_PORT], 2);
	assert_int_equal(b->p[0]->c.rx_fwd, 0);
	/* Ports that are not UP get nothing. */
	for (int i = 1; i < N_PORTS; i++)
		assert_int_equal(b->p[i]->c.tx_offered, 0);
	check_all(b);
}

/* One burst from many ingress ports: one tx_burst per destination. */
static void
test_one_tx_burst_per_destination(void **state)
{
	struct bench *b = *state;
	struct pkt *pkts[3];

	set_all_up(b);
	pkts[0] = make_frame(b, mac_bcast, mac_a, 60, 1);
	pkts[0]->in = b->p[0];
	pkts[1] = make_frame(b, mac_bcast, mac_b, 60, 2);
	pkts[1]->in = b->p[1];
	pkts[2] = make_frame(b, mac_bcast, mac_c, 60, 3);
	pkts[2]->in = b->p[2];
	bridge_input(&b->sw.br, pkts, 3);
	assert_int_equal(fk(b->p[3])->tx_calls, 1);
	assert_int_equal(fk(b->p[3])->n_sent, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fk(b->p[i])->tx_calls, 1);
		assert_int_equal(fk(b->p[i])->n_sent, 2);
		assert_int_equal(b->p[i]->c.rx, 1);
	}
	/* In arrival order. */
	assert_int_equal(fk(b->p[3])->sent[0].seq, 1);
	assert_int_equal(fk(b->p[3])->sent[1].seq, 2);
	assert_int_equal(fk(b->p[3])->sent[2].seq, 3);
	assert_ptr_equal(lookup(b, mac_c, 0), b->p[2]);
	check_all(b);
}

/* A full burst through port_rx(): it reads again while bursts are full. */
static void
test_port_rx_full_burst(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	for (int i = 0; i < PKT_BURST; i++)
		queue_rx(b, b->p[0], mac_b, mac_a, 60, (uint8_t)i);
	port_rx(b->p[0]);
	assert_int_equal(b->p[0]->c.rx, PKT_BURST);
	assert_int_equal(b->p[0]->c.rx_fwd, PKT_BURST);
	assert_int_equal(fk(b->p[0])->n_rxq, 0);
	for (int i = 1; i < N_PORTS; i++) {
		assert_int_equal(b->p[i]->c.tx_offered, PKT_BURST);
		assert_int_equal(fk(b->p[i])->tx_calls, 1);
	}
	check_all(b);
}

static void
test_backlog(void **state)
{
	struct bench *b = *state;
	struct port *d = b->p[3];

	set_all_up(b);
	fk(d)->tx_room = 0;	/* D's peer takes nothing for now */
	for (int i = 0; i < BACKLOG + 2; i++)
		send1(b, 0, mac_bcast, mac_a, 60, (uint8_t)i);
	assert_int_equal(d->c.tx_offered, BACKLOG + 2);
	assert_int_equal(d->c.tx, 0);
	assert_int_equal(d->bl_len, BACKLOG);
	assert_int_equal(d->c.drops[PORT_DROP_BACKLOG_FULL], 2);
	check_all(b);
	/* Once writable, the backlog drains in order. */
	fk(d)->tx_room = 3;
	port_tx_ready(d);
	assert_int_equal(d->c.tx, 3);
	assert_int_equal(d->bl_len, BACKLOG - 3);
	check_all(b);
	fk(d)->tx_room = -1;
	port_tx_ready(d);
	assert_int_equal(d->c.tx, BACKLOG);
	assert_int_equal(d->bl_len, 0);
	assert_int_equal(fk(d)->n_sent, BACKLOG);
	for (int i = 0; i < BACKLOG; i++)
		assert_int_equal(fk(d)->sent[i].seq, i);
	/* Other ports were never held up. */
	assert_int_equal(b->p[1]->c.tx, BACKLOG + 2);
	check_all(b);
}

static void
test_set_down_drops_backlog(void **state)
{
	struct bench *b = *state;
	struct port *d = b->p[3];

	set_all_up(b);
	fk(d)->tx_room = 0;
	send1(b, 3, mac_bcast, mac_c, 60, 1);	/* C learned on D */
	for (int i = 0; i < 3; i++)
		send1(b, 0, mac_bcast, mac_a, 60, (uint8_t)i);
	assert_int_equal(d->bl_len, 3);
	port_set_down(d, NULL);
	assert_int_equal(d->bl_len, 0);
	assert_int_equal(d->c.drops[PORT_DROP_PEER_GONE], 3);
	assert_null(lookup(b, mac_c, 0));
	check_all(b);
	clear_sent(b);
	send1(b, 0, mac_bcast, mac_a, 60, 9);
	assert_int_equal(receivers(b), 0x6);
	check_all(b);
}

static void
test_port_removal_flushes_fdb(void **state)
{
	struct bench *b = *state;
	uint32_t count;

	set_all_up(b);
	send1(b, 0, mac_bcast, mac_a, 60, 1);
	send1(b, 1, mac_bcast, mac_b, 60, 2);
	send1(b, 1, mac_bcast, mac_a2, 60, 3);
	assert_ptr_equal(lookup(b, mac_b, 0), b->p[1]);
	count = b->sw.br.fdb.count;
	assert_int_equal(count, 3);
	port_destroy(b->p[1], NULL);
	assert_null(lookup(b, mac_b, 0));
	assert_null(lookup(b, mac_a2, 0));
	assert_ptr_equal(lookup(b, mac_a, 0), b->p[0]);
	assert_int_equal(b->sw.br.fdb.count, 1);
	assert_int_equal(b->sw.br.n_fwd, N_PORTS - 1);
	loop_run_once(&b->sw.loop, 0);	/* frees the port */
	b->p[1] = NULL;
	/* To B: unknown again, flooded to the remaining ports. */
	for (int i = 0; i < N_PORTS; i++)
		if (b->p[i])
			fk(b->p[i])->n_sent = 0;
	send1(b, 0, mac_b, mac_a, 60, 4);
	assert_int_equal(fk(b->p[2])->n_sent, 1);
	assert_int_equal(fk(b->p[3])->n_sent, 1);
	assert_int_equal(fk(b->p[0])->n_sent, 0);
	/* The removed port's counters live on in the totals. */
	assert_int_equal(b->sw.gone.rx, 2);
	check_all(b);
}

/* A peer that fails on transmit: its frames count as peer-gone. */
static void
test_tx_error_destroys_port(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	send1(b, 3, mac_bcast, mac_c, 60, 1);
	fk(b->p[3])->tx_err = -EPIPE;
	send1(b, 0, mac_bcast, mac_a, 60, 2);
	assert_true(b->p[3]->destroyed);
	assert_null(lookup(b, mac_c, 0));
	assert_int_equal(b->sw.gone.drops[PORT_DROP_PEER_GONE], 1);
	assert_int_equal(b->sw.br.n_fwd, N_PORTS - 1);
	loop_run_once(&b->sw.loop, 0);
	b->p[3] = NULL;
	check_all(b);
}

static void
test_access_vlans_isolated(void **state)
{
	struct bench *b = *state;

	b->p[0]->vlan.mode = PORT_VLAN_ACCESS;
	b->p[0]->vlan.pvid = 10;
	b->p[1]->vlan.mode = PORT_VLAN_ACCESS;
	b->p[1]->vlan.pvid = 10;
	b->p[2]->vlan.mode = PORT_VLAN_ACCESS;
	b->p[2]->vlan.pvid = 20;
	set_all_up(b);	/* port 3: VLAN-unaware, VLAN 0 */
	send1(b, 0, mac_bcast, mac_a, 60, 1);
	assert_int_equal(receivers(b), 0x2);
	assert_ptr_equal(lookup(b, mac_a, 10), b->p[0]);
	assert_null(lookup(b, mac_a, 0));
	clear_sent(b);
	/* The same MAC in VLAN 20 is another station. */
	send1(b, 2, mac_b, mac_a, 60, 2);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[2]->c.drops[PORT_DROP_NO_PORT], 1);
	assert_ptr_equal(lookup(b, mac_a, 20), b->p[2]);
	assert_ptr_equal(lookup(b, mac_a, 10), b->p[0]);
	assert_int_equal(b->sw.br.fdb.stats.moved, 0);
	send1(b, 3, mac_a, mac_b, 60, 3);	/* VLAN 0: alone */
	assert_int_equal(receivers(b), 0);
	check_all(b);
}

/* @p receives a frame tagged @tpid/@vid; @len counts the tag. */
static void
send_tagged(struct bench *b, int port, const uint8_t *dst,
	    const uint8_t *src, uint16_t tpid, uint16_t vid, uint32_t len,
	    uint8_t seq)
{
	struct pkt *pkt = make_frame(b, dst, src, len, 0);
	struct fake *f = fk(b->p[port]);

	pkt->data[12] = (uint8_t)(tpid >> 8);
	pkt->data[13] = (uint8_t)tpid;
	pkt->data[14] = (uint8_t)(vid >> 8);
	pkt->data[15] = (uint8_t)vid;
	pkt->data[16] = 0x08;
	pkt->data[17] = 0x00;
	pkt->data[18] = seq;
	f->rxq[f->n_rxq++] = pkt;
	port_rx(b->p[port]);
}

static void
make_trunk(struct port *p, const char *list, uint16_t tpid)
{
	char err[ERR_LEN] = "";

	p->vlan.mode = PORT_VLAN_TRUNK;
	p->vlan.tpid = tpid;
	assert_int_equal(vlan_list_parse(list, p->vlan.allowed, err), 0);
}

/*
 * Access to trunks: each trunk gets the frame tagged with its TPID (one
 * shared copy per TPID); trunk to access: the tag is removed.
 */
static void
test_trunk_tagging(void **state)
{
	struct bench *b = *state;
	const uint8_t tag_q[6] = {0x81, 0x00, 0x00, 0x0a, 0x08, 0x00};
	const uint8_t tag_ad[6] = {0x88, 0xa8, 0x00, 0x0a, 0x08, 0x00};
	const struct sent *s;

	b->p[0]->vlan.mode = PORT_VLAN_ACCESS;
	b->p[0]->vlan.pvid = 10;
	make_trunk(b->p[1], "10,20", VLAN_TPID_8021Q);
	make_trunk(b->p[2], "10,20", VLAN_TPID_8021AD);
	b->p[3]->vlan.mode = PORT_VLAN_ACCESS;
	b->p[3]->vlan.pvid = 20;
	set_all_up(b);
	send1(b, 0, mac_bcast, mac_a, 60, 1);
	assert_int_equal(receivers(b), 0x6);
	s = &fk(b->p[1])->sent[0];
	assert_int_equal(s->len, 64);
	assert_memory_equal(s->dst, mac_bcast, ETH_ALEN);
	assert_memory_equal(s->src, mac_a, ETH_ALEN);
	assert_memory_equal(s->b12, tag_q, 6);
	s = &fk(b->p[2])->sent[0];
	assert_int_equal(s->len, 64);
	assert_memory_equal(s->b12, tag_ad, 6);
	check_all(b);

	clear_sent(b);
	send_tagged(b, 1, mac_bcast, mac_b, VLAN_TPID_8021Q, 20, 64, 2);
	assert_int_equal(receivers(b), 0xc);
	assert_sent(b, 3, mac_bcast, mac_b, 2);	/* untagged */
	/* The tagged frame's own source is learned, in its VLAN. */
	assert_ptr_equal(lookup(b, mac_b, 20), b->p[1]);
	assert_int_equal(b->sw.br.fdb.count, 2);	/* A/10 and B/20 */
	/* Tagged unicast to a known station goes to it alone. */
	send1(b, 3, mac_bcast, mac_c, 60, 3);	/* C: port 3, VLAN 20 */
	clear_sent(b);
	send_tagged(b, 1, mac_c, mac_b, VLAN_TPID_8021Q, 20, 64, 4);
	assert_int_equal(receivers(b), 0x8);
	assert_sent(b, 3, mac_c, mac_b, 4);
	/* A VLAN the trunk does not carry is dropped. */
	clear_sent(b);
	send_tagged(b, 1, mac_bcast, mac_b, VLAN_TPID_8021Q, 30, 64, 5);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[1]->c.drops[PORT_DROP_VLAN], 1);
	check_all(b);
}

static void
test_port_mac_limit(void **state)
{
	struct bench *b = *state;
	uint8_t src[ETH_ALEN] = {0x02, 0, 0, 0, 1, 0};

	b->p[0]->max_macs = 2;
	set_all_up(b);
	for (uint8_t i = 0; i < 4; i++) {
		src[5] = i;
		send1(b, 0, mac_bcast, src, 60, i);
	}
	/* Not learned, and dropped; the known sources still go. */
	assert_int_equal(b->p[0]->n_macs, 2);
	assert_int_equal(b->sw.br.fdb.stats.port_limit, 2);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_MAC_LIMIT], 2);
	assert_int_equal(b->p[1]->c.tx, 2);
	src[5] = 1;
	send1(b, 0, mac_bcast, src, 60, 9);
	assert_int_equal(b->p[1]->c.tx, 3);
	check_all(b);
}

static const uint8_t mac_d[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x0d};
static const uint8_t *const mac_of[N_PORTS] = { mac_a, mac_b, mac_c, mac_d };

static void
set_policy(struct bench *b, int port, const char *kv)
{
	char err[ERR_LEN] = "";

	if (port_policy_set(b->p[port], kv, err))
		fail_msg("port_policy_set(%s): %s", kv, err);
}

/* Every port announces its MAC (a frame to nobody known) and is learned. */
static void
learn_all(struct bench *b)
{
	for (int i = 0; i < N_PORTS; i++)
		send1(b, i, mac_a2, mac_of[i], 60, 0x40);
	for (int i = 0; i < N_PORTS; i++)
		assert_ptr_equal(lookup(b, mac_of[i], 0), b->p[i]);
	clear_sent(b);
}

/* Who receives a broadcast from @port (sent as @src). */
static unsigned int
bcast_from(struct bench *b, int port, const uint8_t *src)
{
	clear_sent(b);
	send1(b, port, mac_bcast, src, 60, 0x50);
	return receivers(b);
}

/*
 * The table of docs/policy.md with port 0 the uplink, 1 bridge, 2 vepa,
 * 3 private; a frame coming back on the uplink with a neighbour's source
 * is that neighbour's hairpinned frame.
 */
static void
test_policy_modes(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	set_policy(b, 0, "uplink=on");
	set_policy(b, 2, "mode=vepa");
	set_policy(b, 3, "mode=private");
	assert_true(b->sw.br.modes);
	assert_ptr_equal(b->sw.br.uplink, b->p[0]);
	learn_all(b);
	assert_int_equal(bcast_from(b, 0, mac_a), 0xe);	/* outside: all */
	assert_int_equal(bcast_from(b, 1, mac_b), 0x1);	/* bridge: uplink */
	assert_int_equal(bcast_from(b, 2, mac_c), 0x1);	/* vepa: uplink */
	assert_int_equal(bcast_from(b, 3, mac_d), 0x1);	/* private */
	/* Hairpinned: bridge's → vepa; vepa's → bridge; private's → none. */
	assert_int_equal(bcast_from(b, 0, mac_b), 0x4);
	assert_int_equal(bcast_from(b, 0, mac_c), 0x2);
	assert_int_equal(bcast_from(b, 0, mac_d), 0);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_NO_PORT], 1);
	/* ... and none of them moved to the uplink. */
	assert_ptr_equal(lookup(b, mac_b, 0), b->p[1]);
	assert_ptr_equal(lookup(b, mac_c, 0), b->p[2]);
	assert_ptr_equal(lookup(b, mac_d, 0), b->p[3]);
	/* Unicast between neighbours leaves by the uplink... */
	clear_sent(b);
	send1(b, 1, mac_c, mac_b, 60, 1);
	assert_int_equal(receivers(b), 0x1);
	assert_sent(b, 0, mac_c, mac_b, 1);
	clear_sent(b);
	send1(b, 2, mac_b, mac_c, 60, 2);
	assert_int_equal(receivers(b), 0x1);
	/* ... and comes back to a vepa or bridge port, never a private one. */
	clear_sent(b);
	send1(b, 0, mac_c, mac_b, 60, 3);
	assert_int_equal(receivers(b), 0x4);
	clear_sent(b);
	send1(b, 0, mac_b, mac_c, 60, 4);
	assert_int_equal(receivers(b), 0x2);
	clear_sent(b);
	send1(b, 0, mac_d, mac_c, 60, 5);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_POLICY], 1);
	/* From outside, unicast reaches a private port. */
	send1(b, 0, mac_d, mac_a2, 60, 6);
	assert_int_equal(receivers(b), 0x8);
	check_all(b);
}

/* Without an uplink a vepa or private port reaches nobody. */
static void
test_policy_no_uplink(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	set_policy(b, 2, "mode=vepa");
	assert_null(b->sw.br.uplink);
	learn_all(b);
	assert_int_equal(bcast_from(b, 0, mac_a), 0xa);	/* bridge ports */
	assert_int_equal(bcast_from(b, 2, mac_c), 0);
	clear_sent(b);
	send1(b, 2, mac_a, mac_c, 60, 1);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[2]->c.drops[PORT_DROP_POLICY], 1);
	/* Back to bridge: reachable again. */
	set_policy(b, 2, "mode=bridge");
	assert_false(b->sw.br.modes);
	send1(b, 2, mac_a, mac_c, 60, 2);
	assert_int_equal(receivers(b), 0x1);
	check_all(b);
}

/* Isolated ports talk only to ports that are not isolated. */
static void
test_policy_isolated(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	set_policy(b, 0, "isolated=on");
	set_policy(b, 1, "isolated=on");
	learn_all(b);
	assert_int_equal(bcast_from(b, 0, mac_a), 0xc);
	assert_int_equal(bcast_from(b, 2, mac_c), 0xb);
	clear_sent(b);
	send1(b, 0, mac_b, mac_a, 60, 1);
	assert_int_equal(receivers(b), 0);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_POLICY], 1);
	send1(b, 0, mac_c, mac_a, 60, 2);
	assert_int_equal(receivers(b), 0x4);
	check_all(b);
}

/* One uplink; a passthru port alone beside it; bad values refused whole. */
static void
test_policy_rules(void **state)
{
	struct bench *b = *state;
	char err[ERR_LEN] = "";

	set_all_up(b);
	set_policy(b, 0, "uplink=on");
	assert_int_equal(port_policy_set(b->p[1], "uplink=on", err), -EBUSY);
	assert_non_null(strstr(err, "already the uplink"));
	assert_int_equal(port_policy_set(b->p[1], "mode=passthru", err),
			 -EBUSY);
	assert_int_equal(port_policy_set(b->p[0], "mode=vepa", err), -EINVAL);
	assert_int_equal(port_policy_set(b->p[1], "isolated=on,mode=bogus",
					 err),
			 -EINVAL);
	assert_false(b->p[1]->pol.isolated);
	assert_int_equal(port_policy_set(b->p[1], "mtu=5", err), -EINVAL);
	assert_int_equal(port_policy_set(b->p[1], "backlog=5", err), -EINVAL);
	assert_non_null(strstr(err, "'backlog' cannot be set"));
	assert_int_equal(port_policy_set(b->p[1], "mirror=t.2", err), -EINVAL);
	set_policy(b, 1, "isolated=on,vlan=10");
	assert_true(b->p[1]->pol.isolated);
	assert_int_equal(b->p[1]->vlan.pvid, 10);
	assert_string_equal(b->p[1]->spec, "fake,isolated=on,vlan=10");
	set_policy(b, 1, "trunk=10,20,isolated=off");
	assert_string_equal(b->p[1]->spec, "fake,trunk=10,20,isolated=off");
}

/* bcast_pps: a bucket of at least a burst, then storm drops; unicast free. */
static void
test_policy_storm(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	set_policy(b, 0, "bcast_pps=100");
	for (int i = 0; i < 40; i++)
		send1(b, 0, mac_bcast, mac_a, 60, (uint8_t)i);
	assert_int_equal(b->p[1]->c.tx, PKT_BURST);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_STORM], 40 - PKT_BURST);
	send1(b, 1, mac_bcast, mac_b, 60, 1);	/* B learned */
	for (int i = 0; i < 10; i++)
		send1(b, 0, mac_b, mac_a, 60, (uint8_t)i);
	assert_int_equal(b->p[0]->c.drops[PORT_DROP_STORM], 40 - PKT_BURST);
	check_all(b);
}

/* mtu: too-big for the port, oversize from it; a tag is allowed for. */
static void
test_policy_mtu(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	set_policy(b, 1, "mtu=100");
	send1(b, 0, mac_bcast, mac_a, 114, 1);
	send1(b, 0, mac_bcast, mac_a, 115, 2);
	assert_int_equal(b->p[1]->c.tx, 1);
	assert_int_equal(b->p[1]->c.drops[PORT_DROP_TOO_BIG], 1);
	assert_int_equal(b->p[2]->c.tx, 2);
	send1(b, 1, mac_bcast, mac_b, 115, 3);
	assert_int_equal(b->p[1]->c.drops[PORT_DROP_OVERSIZE], 1);
	check_all(b);
}

/* Mirrors get rx and tx copies, more than a burst of them at once. */
static void
test_policy_mirror(void **state)
{
	struct bench *b = *state;

	set_all_up(b);
	set_policy(b, 0, "mirror=t.4,mirror_dir=rx");
	set_policy(b, 1, "mirror=t.4,mirror_dir=tx");
	assert_ptr_equal(b->p[0]->mirror, b->p[3]);
	for (int i = 0; i < PKT_BURST; i++)
		queue_rx(b, b->p[0], mac_bcast, mac_a, 60, (uint8_t)i);
	port_rx(b->p[0]);
	/* Its flood copy, the rx copy of port 0, the tx copy of port 1. */
	assert_int_equal(b->p[3]->c.tx, 3 * PKT_BURST);
	assert_int_equal(b->p[1]->c.tx, PKT_BURST);
	/* tx only: what port 1 sends is mirrored, not what it receives. */
	send1(b, 1, mac_a, mac_b, 60, 1);
	assert_int_equal(b->p[3]->c.tx, 3 * PKT_BURST);
	check_all(b);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_unknown_unicast_floods),
		T(test_learned_unicast_goes_to_one_port),
		T(test_broadcast_and_multicast_flood),
		T(test_same_port_dropped),
		T(test_runt_dropped),
		T(test_bad_src_dropped),
		T(test_flood_with_no_other_port),
		T(test_one_tx_burst_per_destination),
		T(test_port_rx_full_burst),
		T(test_backlog),
		T(test_set_down_drops_backlog),
		T(test_port_removal_flushes_fdb),
		T(test_tx_error_destroys_port),
		T(test_access_vlans_isolated),
		T(test_trunk_tagging),
		T(test_port_mac_limit),
		T(test_policy_modes),
		T(test_policy_no_uplink),
		T(test_policy_isolated),
		T(test_policy_rules),
		T(test_policy_storm),
		T(test_policy_mtu),
		T(test_policy_mirror),
	};
#undef T

	return cmocka_run_group_tests_name("bridge", tests, NULL, NULL);
}
