/* SPDX-License-Identifier: MIT */
/*
 * test_loop.c - unit tests of the event loop (core/loop.h): fd readiness,
 * timers (order, once, cancel, re-arm), loop_del() from handlers, parking,
 * deferred work and loop_run()/loop_stop().  Deadlines are a few milliseconds from
 * now, so the whole runner takes well under a second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/util.h"

struct watcher {
	struct loop_fd lfd;
	struct loop *l;
	int rfd, wfd;		/* a pipe: readable when written */
	unsigned int calls;
	uint32_t last_events;
	bool del_self;		/* handler: loop_del(), close */
	struct watcher *victim;	/* handler: loop_del() this one */
};

struct rec_timer {
	struct loop_timer t;
	struct loop *l;
	int id;
	unsigned int fired;
	uint64_t fired_at;
	bool rearm_once;
	bool stop;
	int *order;
	unsigned int *n_order;
};

static int
setup(void **state)
{
	struct loop *l = calloc(1, sizeof(*l));
	char err[ERR_LEN] = "";

	assert_non_null(l);
	assert_int_equal(loop_init(l, err), 0);
	*state = l;
	return 0;
}

static int
teardown(void **state)
{
	struct loop *l = *state;

	loop_fini(l);
	free(l);
	return 0;
}

static void
on_read(struct loop_fd *lfd, uint32_t events)
{
	struct watcher *w = container_of(lfd, struct watcher, lfd);
	char buf[16];

	w->calls++;
	w->last_events = events;
	if (w->victim)
		loop_del(w->l, &w->victim->lfd);
	if (w->del_self) {
		loop_del(w->l, &w->lfd);
		close(w->rfd);
		w->rfd = -1;
		return;
	}
	if (read(w->rfd, buf, sizeof(buf)) < 0)
		fail_msg("read: %s", strerror(errno));
}

static void
watcher_open(struct loop *l, struct watcher *w)
{
	int fds[2];

	memset(w, 0, sizeof(*w));
	assert_int_equal(pipe(fds), 0);
	w->l = l;
	w->rfd = fds[0];
	w->wfd = fds[1];
	assert_int_equal(loop_add(l, &w->lfd, w->rfd, EPOLLIN, on_read), 0);
}

static void
watcher_close(struct loop *l, struct watcher *w)
{
	loop_del(l, &w->lfd);
	if (w->rfd >= 0)
		close(w->rfd);
	close(w->wfd);
}

static void
poke(struct watcher *w)
{
	assert_int_equal(write(w->wfd, "x", 1), 1);
}

static void
on_timer(struct loop_timer *t, uint64_t now)
{
	struct rec_timer *r = container_of(t, struct rec_timer, t);

	r->fired++;
	r->fired_at = now;
	if (r->order)
		r->order[(*r->n_order)++] = r->id;
	if (r->rearm_once) {
		r->rearm_once = false;
		loop_timer_arm(r->l, t, now + NS_PER_MS, on_timer);
	}
	if (r->stop)
		loop_stop(r->l);
}

/* Iterate until @cond or about two seconds: a test that fails never hangs. */
#define RUN_UNTIL(l, cond)                                                     \
	do {                                                                   \
		uint64_t until_ = loop_clock() + 2 * NS_PER_SEC;               \
		while (!(cond) && loop_clock() < until_)                       \
			assert_true(loop_run_once((l), 50) >= 0);              \
	} while (0)

static void
test_fd_ready(void **state)
{
	struct loop *l = *state;
	struct watcher w;

	watcher_open(l, &w);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(w.calls, 0);
	poke(&w);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(w.calls, 1);
	assert_true(w.last_events & EPOLLIN);
	/* Drained: quiet again. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(w.calls, 1);
	/* Level-triggered: unread data keeps reporting. */
	poke(&w);
	poke(&w);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(w.calls, 2);
	watcher_close(l, &w);
}

static void
test_add_bad_fd(void **state)
{
	struct loop *l = *state;
	struct loop_fd lfd;

	assert_true(loop_add(l, &lfd, -1, EPOLLIN, on_read) < 0);
	assert_int_equal(lfd.fd, -1);
	loop_del(l, &lfd);	/* harmless */
}

static unsigned int n_writable;

static void
on_writable(struct loop_fd *lfd, uint32_t events)
{
	(void)lfd;
	if (events & EPOLLOUT)
		n_writable++;
}

/* loop_mod() switches EPOLLOUT on and off. */
static void
test_mod_writable(void **state)
{
	struct loop *l = *state;
	struct loop_fd lfd;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	n_writable = 0;
	assert_int_equal(loop_add(l, &lfd, fds[1], 0, on_writable), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(loop_mod(l, &lfd, EPOLLOUT), 0);
	assert_int_equal(lfd.events, EPOLLOUT);
	assert_int_equal(loop_mod(l, &lfd, EPOLLOUT), 0); /* no-op */
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(n_writable, 1);
	assert_int_equal(loop_mod(l, &lfd, 0), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(n_writable, 1);
	loop_del(l, &lfd);
	assert_int_equal(loop_mod(l, &lfd, EPOLLOUT), 0); /* dead */
	close(fds[0]);
	close(fds[1]);
}

static void
test_del_self_in_callback(void **state)
{
	struct loop *l = *state;
	struct watcher w;
	int wfd;

	watcher_open(l, &w);
	w.del_self = true;
	wfd = w.wfd;
	poke(&w);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.lfd.fd, -1);
	/* Still written to, but gone: never called again. */
	assert_int_equal(loop_run_once(l, 10), 0);
	assert_int_equal(w.calls, 1);
	loop_del(l, &w.lfd);	/* twice is harmless */
	close(wfd);
}

/*
 * Two fds ready in the same batch; whichever runs first removes the
 * other, whose already-reported event must then be skipped.
 */
static void
test_del_other_in_same_batch(void **state)
{
	struct loop *l = *state;
	struct watcher a, b;

	watcher_open(l, &a);
	watcher_open(l, &b);
	a.victim = &b;
	b.victim = &a;
	poke(&a);
	poke(&b);
	assert_int_equal(loop_run_once(l, 1000), 2);
	assert_int_equal(a.calls + b.calls, 1);
	watcher_close(l, &a);
	watcher_close(l, &b);
}

/*
 * A hang-up is reported whatever events are asked for; a parked fd is not
 * heard from at all, keeps the events set meanwhile, and is heard again
 * once unparked.  loop_del() of a parked fd is clean.
 */
static void
test_park_unpark(void **state)
{
	struct loop *l = *state;
	struct watcher w;

	watcher_open(l, &w);
	assert_int_equal(loop_mod(l, &w.lfd, 0), 0);
	close(w.wfd);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_true(w.last_events & EPOLLHUP);
	assert_int_equal(loop_park(l, &w.lfd), 0);
	assert_true(w.lfd.parked);
	assert_int_equal(loop_park(l, &w.lfd), 0);	/* twice: no-op */
	assert_int_equal(loop_run_once(l, 20), 0);
	assert_int_equal(loop_mod(l, &w.lfd, EPOLLIN), 0);
	assert_int_equal(w.lfd.events, EPOLLIN);
	assert_int_equal(loop_run_once(l, 20), 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(loop_unpark(l, &w.lfd), 0);
	assert_false(w.lfd.parked);
	assert_int_equal(loop_unpark(l, &w.lfd), 0);	/* not parked: no-op */
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(w.calls, 2);
	assert_true(w.last_events & EPOLLHUP);
	assert_int_equal(loop_park(l, &w.lfd), 0);
	loop_del(l, &w.lfd);
	assert_int_equal(w.lfd.fd, -1);
	assert_false(w.lfd.parked);
	assert_int_equal(loop_unpark(l, &w.lfd), 0);	/* dead: no-op */
	close(w.rfd);
}

static void
test_timers_in_order_once(void **state)
{
	struct loop *l = *state;
	struct rec_timer t[4];
	int order[8];
	unsigned int n_order = 0;
	uint64_t base = loop_clock();
	const int ms[4] = {30, 10, 20, 10};

	memset(t, 0, sizeof(t));
	for (int i = 0; i < 4; i++) {
		t[i].id = i;
		t[i].l = l;
		t[i].order = order;
		t[i].n_order = &n_order;
		loop_timer_arm(l, &t[i].t, base + (uint64_t)ms[i] * NS_PER_MS,
			       on_timer);
		assert_true(t[i].t.armed);
	}
	RUN_UNTIL(l, n_order == 4);
	assert_int_equal(n_order, 4);
	/* The two 10 ms timers first, in either order. */
	assert_true((order[0] == 1 && order[1] == 3) ||
		    (order[0] == 3 && order[1] == 1));
	assert_int_equal(order[2], 2);
	assert_int_equal(order[3], 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(t[i].fired, 1);
		assert_false(t[i].t.armed);
		/* Never early. */
		assert_true(t[i].fired_at >=
			    base + (uint64_t)ms[i] * NS_PER_MS);
	}
	/* Once: more iterations fire nothing. */
	for (int i = 0; i < 3; i++)
		loop_run_once(l, 5);
	assert_int_equal(n_order, 4);
	assert_null(l->timers);
}

static void
test_timer_cancel(void **state)
{
	struct loop *l = *state;
	struct rec_timer a, b, c;
	uint64_t now = loop_clock();

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	loop_timer_cancel(l, &a.t);	/* not armed: no-op */
	loop_timer_arm(l, &a.t, now + 5 * NS_PER_MS, on_timer);
	loop_timer_arm(l, &b.t, now + 10 * NS_PER_MS, on_timer);
	loop_timer_arm(l, &c.t, now + 15 * NS_PER_MS, on_timer);
	loop_timer_cancel(l, &b.t);	/* the middle one */
	assert_false(b.t.armed);
	loop_timer_cancel(l, &b.t);	/* twice */
	loop_timer_cancel(l, &a.t);	/* the head */
	RUN_UNTIL(l, c.fired);
	loop_run_once(l, 20);
	assert_int_equal(a.fired, 0);
	assert_int_equal(b.fired, 0);
	assert_int_equal(c.fired, 1);
	assert_null(l->timers);
}

static void
test_timer_rearm(void **state)
{
	struct loop *l = *state;
	struct rec_timer a, b;
	uint64_t now = loop_clock();

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.l = l;
	/* Arming an armed timer moves it: after b, and only once. */
	loop_timer_arm(l, &a.t, now + 2 * NS_PER_MS, on_timer);
	loop_timer_arm(l, &b.t, now + 10 * NS_PER_MS, on_timer);
	loop_timer_arm(l, &a.t, now + 20 * NS_PER_MS, on_timer);
	RUN_UNTIL(l, b.fired);
	assert_int_equal(a.fired, 0);
	RUN_UNTIL(l, a.fired);
	assert_int_equal(a.fired, 1);
	assert_true(a.fired_at >= now + 20 * NS_PER_MS);
	/* A timer may re-arm itself from its callback. */
	a.rearm_once = true;
	loop_timer_arm(l, &a.t, loop_clock(), on_timer);
	RUN_UNTIL(l, a.fired == 3);
	assert_int_equal(a.fired, 3);
	loop_run_once(l, 5);
	assert_int_equal(a.fired, 3);
	assert_int_equal(b.fired, 1);
}

/*
 * loop_stop() from a timer: loop_run() returns promptly.  A safety timer
 * one second out bounds the test (it would otherwise wait in epoll_wait()
 * with no deadline); if it is what ended the run, the stop was not
 * honoured.
 */
static void
test_run_stops_from_timer(void **state)
{
	struct loop *l = *state;
	struct rec_timer t, safety;
	uint64_t start = loop_clock();

	memset(&t, 0, sizeof(t));
	memset(&safety, 0, sizeof(safety));
	t.l = safety.l = l;
	t.stop = safety.stop = true;
	loop_timer_arm(l, &t.t, start + 15 * NS_PER_MS, on_timer);
	loop_timer_arm(l, &safety.t, start + NS_PER_SEC, on_timer);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(t.fired, 1);
	assert_false(l->running);
	assert_int_equal(safety.fired, 0);
	assert_true(loop_clock() - start < NS_PER_SEC / 2);
	loop_timer_cancel(l, &safety.t);
}

static void
on_read_stop(struct loop_fd *lfd, uint32_t events)
{
	struct watcher *w = container_of(lfd, struct watcher, lfd);

	on_read(lfd, events);
	loop_stop(w->l);
}

/* loop_stop() from an fd handler (the signalfd case in main.c). */
static void
test_run_stops_from_fd(void **state)
{
	struct loop *l = *state;
	struct watcher w;
	struct rec_timer safety;

	memset(&safety, 0, sizeof(safety));
	safety.l = l;
	safety.stop = true;
	watcher_open(l, &w);
	loop_del(l, &w.lfd);
	assert_int_equal(loop_add(l, &w.lfd, w.rfd, EPOLLIN, on_read_stop), 0);
	loop_timer_arm(l, &safety.t, loop_clock() + NS_PER_SEC, on_timer);
	poke(&w);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(safety.fired, 0);
	loop_timer_cancel(l, &safety.t);
	watcher_close(l, &w);
}

struct deferred {
	struct loop_defer d;
	unsigned int runs;
	struct watcher *w;	/* its handler had run when we ran? */
	unsigned int w_calls_seen;
};

static void
on_defer(struct loop_defer *d)
{
	struct deferred *x = container_of(d, struct deferred, d);

	x->runs++;
	if (x->w)
		x->w_calls_seen = x->w->calls;
}

struct defer_watcher {
	struct watcher w;
	struct deferred *x;
};

static void
on_read_defer(struct loop_fd *lfd, uint32_t events)
{
	struct watcher *w = container_of(lfd, struct watcher, lfd);
	struct defer_watcher *dw = container_of(w, struct defer_watcher, w);

	on_read(lfd, events);
	/* Queued twice from the handler: runs once, after the events. */
	loop_defer(w->l, &dw->x->d, on_defer);
	loop_defer(w->l, &dw->x->d, on_defer);
}

static void
test_defer(void **state)
{
	struct loop *l = *state;
	struct defer_watcher dw;
	struct deferred x;

	memset(&x, 0, sizeof(x));
	watcher_open(l, &dw.w);
	dw.x = &x;
	x.w = &dw.w;
	loop_del(l, &dw.w.lfd);
	assert_int_equal(loop_add(l, &dw.w.lfd, dw.w.rfd, EPOLLIN,
				  on_read_defer),
			 0);
	poke(&dw.w);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(x.runs, 1);
	assert_int_equal(x.w_calls_seen, 1);
	assert_false(x.d.queued);
	/* Queued outside an iteration: the next one runs it, once. */
	loop_defer(l, &x.d, on_defer);
	assert_true(x.d.queued);
	loop_run_once(l, 0);
	assert_int_equal(x.runs, 2);
	loop_run_once(l, 0);
	assert_int_equal(x.runs, 2);
	watcher_close(l, &dw.w);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_fd_ready),
		T(test_add_bad_fd),
		T(test_mod_writable),
		T(test_del_self_in_callback),
		T(test_del_other_in_same_batch),
		T(test_park_unpark),
		T(test_timers_in_order_once),
		T(test_timer_cancel),
		T(test_timer_rearm),
		T(test_run_stops_from_timer),
		T(test_run_stops_from_fd),
		T(test_defer),
	};
#undef T

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
