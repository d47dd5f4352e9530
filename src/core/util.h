/* SPDX-License-Identifier: MIT */
/*
 * util.h - small helpers shared by every module: container_of, ASSERT,
 * array sizes, branch hints, network-order loads and stores, and the size
 * of error-message buffers.
 *
 * Nothing here allocates or touches global state.
 */
#ifndef LANYARD_CORE_UTIL_H
#define LANYARD_CORE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Size of every 'char *err' buffer taken by setup and control functions. */
#define ERR_LEN 256

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member)                                        \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * ASSERT() - always-on invariant check.  Guards the program's own
 * invariants, never outside input: a failure is a bug in lanyard.
 */
#define ASSERT(cond)                                                           \
	do {                                                                   \
		if (unlikely(!(cond))) {                                       \
			fprintf(stderr, "lanyard: assertion '%s' failed at "  \
					"%s:%d\n",                             \
				#cond, __FILE__, __LINE__);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/**
 * ERR_SET() - write a reason into an ERR_LEN buffer
 * @err: the buffer
 * @ret: returned, so "return ERR_SET(err, -EINVAL, ...)" reads naturally
 *
 * Return: @ret.
 */
__attribute__((format(printf, 3, 4))) static inline int
ERR_SET(char *err, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ERR_LEN, fmt, ap);
	va_end(ap);
	return ret;
}

/* Network-order (big-endian) loads and stores, at any alignment. */
static inline uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

#endif /* LANYARD_CORE_UTIL_H */
