/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the event loop: one epoll set, a sorted timer list and a list of
 * work deferred to the end of the current iteration.
 *
 * Theory of operation
 *
 * One thread runs loop_run().  Each iteration reads CLOCK_MONOTONIC once
 * (loop_now()), fires the timers that are due, waits in epoll_wait() until
 * the next deadline, dispatches every ready fd, then runs the deferred list.
 *
 * Owners embed a struct loop_fd and reach themselves with container_of(): no
 * allocation and one indirect call per event.  epoll is level-triggered, so a
 * handler that does one bounded burst per call gives every ready fd a turn
 * per iteration (round-robin with a per-wakeup cap) without any extra queue.
 *
 * Object lifetime: a handler may close other fds whose events are already in
 * the current epoll batch.  loop_del() marks the loop_fd dead (fd = -1) and
 * such events are skipped; memory that holds a loop_fd must therefore be
 * freed through loop_defer(), which runs after the whole batch.
 *
 * Adaptive polling (poll_ns, off by default): after an iteration that had
 * events, the loop polls epoll without sleeping for up to poll_ns before
 * it blocks again.  Under load this saves a sleep and a wakeup (a context
 * switch, and an inter-processor interrupt when the sender runs on another
 * CPU) per burst, at the price of that CPU; an idle loop still sleeps.
 *
 * Timers are few (one per dialling port, one per dgram endpoint, the fdb
 * ager), so a sorted doubly linked list is enough: arming is O(timers),
 * finding the next deadline O(1).
 */
#ifndef LANYARD_CORE_LOOP_H
#define LANYARD_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_fd;
struct loop_timer;
struct loop_defer;

/* Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR). */
typedef void loop_fn(struct loop_fd *lfd, uint32_t events);
/* Called once when the timer's deadline has passed; may re-arm it. */
typedef void loop_timer_fn(struct loop_timer *t, uint64_t now);
/* Called after the current iteration's events; may free its owner. */
typedef void loop_defer_fn(struct loop_defer *d);

struct loop_fd {
	int fd;			/* -1 once loop_del()ed */
	uint32_t events;	/* the epoll events registered */
	loop_fn *fn;
	bool parked;		/* loop_park()ed: out of epoll, fd kept */
};

struct loop_timer {
	uint64_t deadline;	/* CLOCK_MONOTONIC ns */
	loop_timer_fn *fn;
	struct loop_timer *prev, *next;
	bool armed;
};

struct loop_defer {
	loop_defer_fn *fn;
	struct loop_defer *next;
	bool queued;
};

struct loop {
	int epfd;
	uint64_t now;		/* read once per iteration */
	bool running;
	bool stop_requested;	/* loop_stop() called: do not block */
	struct loop_timer *timers;	/* sorted by deadline */
	struct loop_defer *deferred;
	uint64_t iterations;
	uint64_t poll_ns;	/* keep polling this long after work, 0 = off */
	uint64_t last_busy;	/* when an iteration last had events */
};

#define NS_PER_SEC 1000000000ULL
#define NS_PER_MS 1000000ULL

int loop_init(struct loop *l, char *err);
void loop_fini(struct loop *l);
int loop_add(struct loop *l, struct loop_fd *lfd, int fd, uint32_t events,
	     loop_fn *fn);
int loop_mod(struct loop *l, struct loop_fd *lfd, uint32_t events);
void loop_del(struct loop *l, struct loop_fd *lfd);
int loop_park(struct loop *l, struct loop_fd *lfd);
int loop_unpark(struct loop *l, struct loop_fd *lfd);
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t deadline,
		    loop_timer_fn *fn);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
void loop_defer(struct loop *l, struct loop_defer *d, loop_defer_fn *fn);
void loop_defer_cancel(struct loop *l, struct loop_defer *d);
int loop_run_once(struct loop *l, int max_wait_ms);
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
uint64_t loop_clock(void);

/**
 * loop_now() - the time read at the start of the current iteration
 * @l: the loop
 *
 * Return: CLOCK_MONOTONIC in nanoseconds.
 */
static inline uint64_t
loop_now(const struct loop *l)
{
	return l->now;
}

#endif /* LANYARD_CORE_LOOP_H */
