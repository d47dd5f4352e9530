/* SPDX-License-Identifier: MIT */
/*
 * loop.c - epoll event loop with timers and deferred work.  See loop.h for
 * the theory of operation.
 */
#include "core/loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define LOOP_MAX_EVENTS 64

/**
 * loop_clock() - read CLOCK_MONOTONIC
 *
 * Return: nanoseconds.
 */
uint64_t
loop_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/**
 * loop_init() - create the epoll set
 * @l:   the loop to initialise
 * @err: reason on failure
 *
 * Return: 0 or -errno.
 */
int
loop_init(struct loop *l, char *err)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1)
		return ERR_SET(err, -errno, "epoll_create1: %s",
			       strerror(errno));
	l->now = loop_clock();
	return 0;
}

/**
 * loop_fini() - close the epoll set; registered fds are not closed
 * @l: the loop
 */
void
loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

/**
 * loop_add() - watch @fd for @events and call @fn when it is ready
 * @l:      the loop
 * @lfd:    embedded in the owner, which must outlive the registration
 * @fd:     the descriptor (the caller keeps ownership)
 * @events: EPOLLIN and/or EPOLLOUT
 * @fn:     the handler
 *
 * Return: 0 or -errno.
 */
int
loop_add(struct loop *l, struct loop_fd *lfd, int fd, uint32_t events,
	 loop_fn *fn)
{
	struct epoll_event ev = {.events = events, .data.ptr = lfd};

	lfd->fd = fd;
	lfd->fn = fn;
	lfd->events = events;
	lfd->parked = false;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		lfd->fd = -1;
		return -errno;
	}
	return 0;
}

/**
 * loop_mod() - change the events watched; a no-op if they are the same
 * @l:      the loop
 * @lfd:    a registered loop_fd
 * @events: the new set
 *
 * Return: 0 or -errno.
 */
int
loop_mod(struct loop *l, struct loop_fd *lfd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = lfd};

	if (lfd->fd < 0 || lfd->events == events)
		return 0;
	if (lfd->parked) {
		lfd->events = events;	/* registered again on loop_unpark() */
		return 0;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, lfd->fd, &ev) == -1)
		return -errno;
	lfd->events = events;
	return 0;
}

/**
 * loop_del() - stop watching; pending events for @lfd in this iteration are
 * skipped.  Does not close the fd.  Safe on an unregistered loop_fd (fd -1).
 * @l:   the loop
 * @lfd: the loop_fd
 */
void
loop_del(struct loop *l, struct loop_fd *lfd)
{
	if (lfd->fd < 0)
		return;
	if (!lfd->parked)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, lfd->fd, NULL);
	lfd->fd = -1;
	lfd->parked = false;
}

/**
 * loop_park() - stop hearing from @lfd for now, keeping its fd and events
 * @l:   the loop
 * @lfd: a registered loop_fd
 *
 * For an fd that would otherwise be reported without end: epoll reports a
 * hang-up whatever events are asked for, so an fd whose reading is paused
 * must leave epoll altogether.  loop_mod() on a parked fd only records
 * the events; loop_unpark() registers them again.
 *
 * Return: 0 or -errno.
 */
int
loop_park(struct loop *l, struct loop_fd *lfd)
{
	if (lfd->fd < 0 || lfd->parked)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, lfd->fd, NULL) == -1)
		return -errno;
	lfd->parked = true;
	return 0;
}

/**
 * loop_unpark() - hear from a parked @lfd again, with its current events;
 * a no-op on one that is not parked
 * @l:   the loop
 * @lfd: the loop_fd
 *
 * Return: 0 or -errno.
 */
int
loop_unpark(struct loop *l, struct loop_fd *lfd)
{
	struct epoll_event ev = {.events = lfd->events, .data.ptr = lfd};

	if (lfd->fd < 0 || !lfd->parked)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, lfd->fd, &ev) == -1)
		return -errno;
	lfd->parked = false;
	return 0;
}

/**
 * loop_timer_arm() - (re)arm @t to fire at @deadline
 * @l:        the loop
 * @t:        the timer, armed or not
 * @deadline: CLOCK_MONOTONIC ns
 * @fn:       called once when due
 */
void
loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline,
	       loop_timer_fn *fn)
{
	struct loop_timer **pp = &l->timers, *prev = NULL;

	loop_timer_cancel(l, t);
	t->deadline = deadline;
	t->fn = fn;
	while (*pp && (*pp)->deadline <= deadline) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	t->next = *pp;
	t->prev = prev;
	if (t->next)
		t->next->prev = t;
	*pp = t;
	t->armed = true;
}

/**
 * loop_timer_cancel() - disarm @t; a no-op if it is not armed
 * @l: the loop
 * @t: the timer
 */
void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (!t->armed)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		l->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->armed = false;
}

/**
 * loop_defer() - run @fn(@d) after the current iteration's events; queuing
 * an already queued @d is a no-op
 * @l:  the loop
 * @d:  embedded in the owner
 * @fn: the function
 */
void
loop_defer(struct loop *l, struct loop_defer *d, loop_defer_fn *fn)
{
	if (d->queued)
		return;
	d->fn = fn;
	d->queued = true;
	d->next = l->deferred;
	l->deferred = d;
}

/**
 * loop_defer_cancel() - take @d off the deferred list if it is queued
 * @l: the loop
 * @d: the work
 */
void
loop_defer_cancel(struct loop *l, struct loop_defer *d)
{
	struct loop_defer **pp = &l->deferred;

	if (!d->queued)
		return;
	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	d->queued = false;
}

static void
run_timers(struct loop *l)
{
	while (l->timers && l->timers->deadline <= l->now) {
		struct loop_timer *t = l->timers;

		loop_timer_cancel(l, t);
		t->fn(t, l->now);
	}
}

static void
run_deferred(struct loop *l)
{
	while (l->deferred) {
		struct loop_defer *d = l->deferred;

		l->deferred = d->next;
		d->queued = false;
		d->fn(d);
	}
}

static int
next_wait_ms(const struct loop *l, int max_wait_ms)
{
	uint64_t ms;

	/* Deferred work, or a stop asked for by a timer or deferred work. */
	if (l->deferred || l->stop_requested)
		return 0;
	if (!l->timers)
		return max_wait_ms;
	if (l->timers->deadline <= l->now)
		return 0;
	/* Round up so a timer is never woken for early. */
	ms = (l->timers->deadline - l->now + NS_PER_MS - 1) / NS_PER_MS;
	if (max_wait_ms >= 0 && ms > (uint64_t)max_wait_ms)
		return max_wait_ms;
	return ms > 60000 ? 60000 : (int)ms;
}

/**
 * loop_run_once() - one iteration: timers, wait, events, deferred work
 * @l:           the loop
 * @max_wait_ms: longest wait, or -1 for "until something happens"
 *
 * Return: number of fd events dispatched, or -errno from epoll_wait.
 */
int
loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int n, wait;

	l->now = loop_clock();
	run_timers(l);
	run_deferred(l);
	wait = next_wait_ms(l, max_wait_ms);
	if (wait && l->poll_ns && l->now - l->last_busy < l->poll_ns)
		wait = 0;
	n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, wait);
	if (n == -1)
		return errno == EINTR ? 0 : -errno;
	l->now = loop_clock();
	l->iterations++;
	if (n > 0)
		l->last_busy = l->now;
	for (int i = 0; i < n; i++) {
		struct loop_fd *lfd = evs[i].data.ptr;

		if (lfd->fd >= 0)
			lfd->fn(lfd, evs[i].events);
	}
	run_deferred(l);
	return n;
}

/**
 * loop_run() - iterate until loop_stop()
 * @l: the loop
 *
 * Return: 0, or -errno if epoll itself failed.
 */
int
loop_run(struct loop *l)
{
	int n = 0;

	l->running = true;
	l->stop_requested = false;
	while (l->running && n >= 0)
		n = loop_run_once(l, -1);
	l->stop_requested = false;
	return n < 0 ? n : 0;
}

/**
 * loop_stop() - make loop_run() return after the current iteration
 * @l: the loop
 */
void
loop_stop(struct loop *l)
{
	l->running = false;
	l->stop_requested = true;
}
