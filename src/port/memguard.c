/* SPDX-License-Identifier: MIT */
/*
 * memguard.c - SIGBUS on a truncated shared mapping costs its owner's
 * connection, not the switch (memguard.h).
 */
#include "port/memguard.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

struct guard {
	uintptr_t start;
	size_t len;			/* 0: free slot */
	volatile sig_atomic_t *hit;
};

static struct guard guards[MEMGUARD_MAX];
static unsigned int n_guards;		/* slots in use at the front */
static int installed;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	(void)uc;
	for (unsigned int i = 0; i < n_guards; i++) {
		struct guard *g = &guards[i];

		if (!g->len || a < g->start || a - g->start >= g->len)
			continue;
		/* mmap is not on the async-signal-safe list, but the kernel
		 * call itself is: nothing here touches libc state. */
		if (mmap((void *)g->start, g->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			break;
		*g->hit = 1;
		return;
	}
	/* Not ours: die of it, as without the handler. */
	signal(sig, SIG_DFL);
}

/**
 * memguard_add() - cover a shared mapping against truncation by its owner
 * @start: the mapping, as mmap() returned it
 * @len:   its length
 * @hit:   set to 1 when a fault in it was absorbed
 *
 * Return: 0, -ENOSPC when MEMGUARD_MAX mappings are covered already, or
 * -errno from sigaction().
 */
int
memguard_add(void *start, size_t len, volatile sig_atomic_t *hit)
{
	unsigned int i;

	struct sigaction cur;

	/* (Again if someone else took SIGBUS meanwhile.) */
	if (!installed || sigaction(SIGBUS, NULL, &cur) == -1 ||
	    cur.sa_sigaction != on_sigbus) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, NULL) == -1)
			return -errno;
		installed = 1;
	}
	for (i = 0; i < n_guards && guards[i].len; i++)
		;
	if (i == MEMGUARD_MAX)
		return -ENOSPC;
	guards[i].start = (uintptr_t)start;
	guards[i].hit = hit;
	guards[i].len = len;
	if (i == n_guards)
		n_guards++;
	return 0;
}

/**
 * memguard_del() - stop covering a mapping (before it is unmapped)
 * @start: as given to memguard_add()
 */
void
memguard_del(void *start)
{
	for (unsigned int i = 0; i < n_guards; i++)
		if (guards[i].len && guards[i].start == (uintptr_t)start) {
			guards[i].len = 0;
			break;
		}
	while (n_guards && !guards[n_guards - 1].len)
		n_guards--;
}
