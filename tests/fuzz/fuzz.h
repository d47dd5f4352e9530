/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - shared by the fuzz targets and replay.c: the libFuzzer entry
 * point's prototype and small helpers.  A target aborts (FUZZ_CHECK) when a
 * parser breaks its documented contract, so libFuzzer reports it as a crash
 * even where no sanitizer would notice.
 */
#ifndef LANYARD_TESTS_FUZZ_H
#define LANYARD_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz: contract '%s' broken at "      \
					"%s:%d\n",                             \
				#cond, __FILE__, __LINE__);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/*
 * fuzz_strdup() - the input as a C string: a malloc'ed copy with a NUL
 * after the last byte (an embedded NUL simply ends the string early).
 * Exactly size + 1 bytes, so ASan catches a read past the terminator.
 */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * fuzz_dup() - an exact-size malloc'ed copy of the input (at least one
 * byte allocated), so ASan catches any read past 'size'.
 */
static inline uint8_t *
fuzz_dup(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

/* An 'err' buffer written by the callee must hold one terminated line. */
#define FUZZ_CHECK_ERR(err) FUZZ_CHECK(memchr((err), '\0', ERR_LEN) != NULL)

#endif /* LANYARD_TESTS_FUZZ_H */
