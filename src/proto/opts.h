/* SPDX-License-Identifier: MIT */
/*
 * opts.h - parser for port specifications in QEMU's -netdev syntax:
 * "KIND,key=value,key=value", where a comma inside a value is written ",,".
 * A bare word after key=value extends that value as a list, so
 * "trunk=1,10-20,native=5" gives trunk "1,10-20".
 *
 * The parser only splits and unescapes; each port kind asks for the keys it
 * knows (opts_get*() mark them used) and opts_check_unused() then rejects
 * whatever is left, so every unknown key is named in the error.
 */
#ifndef LANYARD_PROTO_OPTS_H
#define LANYARD_PROTO_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#define OPTS_MAX 32		/* key=value pairs in one spec */
#define OPTS_SPEC_MAX 1024	/* bytes in one spec */

struct opt {
	const char *key;
	const char *value;
	bool used;
};

struct opts {
	const char *kind;
	unsigned int n;
	struct opt items[OPTS_MAX];
	char buf[OPTS_SPEC_MAX];	/* unescaped copy the pointers refer to */
};

int opts_parse(const char *spec, struct opts *o, char *err);
const char *opts_get(struct opts *o, const char *keys, char *err,
		     int *status);
int opts_get_str(struct opts *o, const char *keys, const char **out,
		 char *err);
int opts_get_u32(struct opts *o, const char *keys, uint32_t min, uint32_t max,
		 uint32_t *out, char *err);
int opts_get_bool(struct opts *o, const char *keys, bool *out, char *err);
int opts_check_unused(const struct opts *o, char *err);
int opts_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int opts_parse_bool(const char *s, bool *out);

#endif /* LANYARD_PROTO_OPTS_H */
