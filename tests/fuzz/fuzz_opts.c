/* SPDX-License-Identifier: MIT */
/*
 * fuzz_opts.c - opts_parse() on a port spec as the command line or a
 * port-add request gives it, then the lookups a port kind makes (fixed key
 * names, aliases with '|', numbers, booleans, a VLAN list) and
 * opts_check_unused().  Checks what the parser promises: a non-empty kind,
 * at most OPTS_MAX distinct non-empty keys, every pointer inside o->buf.
 */
#include "proto/opts.h"

#include <errno.h>

#include "core/util.h"
#include "proto/vlan.h"

#include "fuzz.h"

static void
check_in_buf(const struct opts *o, const char *p)
{
	FUZZ_CHECK(p >= o->buf && p < o->buf + sizeof(o->buf));
	FUZZ_CHECK(memchr(p, '\0', (size_t)(o->buf + sizeof(o->buf) - p)));
}

static void
check_parsed(const struct opts *o)
{
	check_in_buf(o, o->kind);
	FUZZ_CHECK(*o->kind);
	FUZZ_CHECK(o->n <= OPTS_MAX);
	for (unsigned int i = 0; i < o->n; i++) {
		check_in_buf(o, o->items[i].key);
		check_in_buf(o, o->items[i].value);
		FUZZ_CHECK(*o->items[i].key);
		FUZZ_CHECK(!o->items[i].used);
		for (unsigned int j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(o->items[i].key, o->items[j].key));
	}
}

/* What a port kind's open() asks, as in port/stream.c and port/dgram.c. */
static void
lookups(struct opts *o, char *err)
{
	const char *s = NULL;
	uint32_t u = 0;
	bool b = false;
	uint8_t bitmap[VLAN_BITMAP_LEN];
	int ret;

	opts_get_str(o, "id", &s, err);
	opts_get_str(o, "path|addr.path", &s, err);
	opts_get_str(o, "host|addr.host", &s, err);
	opts_get_u32(o, "port|addr.port", 1, 65535, &u, err);
	opts_get_bool(o, "server", &b, err);
	opts_get_u32(o, "backlog", 1, 1U << 16, &u, err);
	opts_get_u32(o, "max_macs", 0, 1U << 24, &u, err);
	opts_get_u32(o, "native", 1, VLAN_VID_MAX, &u, err);
	ret = opts_get_str(o, "trunk", &s, err);
	if (ret == 1)
		vlan_list_parse(s, bitmap, err);
	FUZZ_CHECK_ERR(err);
	ret = opts_check_unused(o, err);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	FUZZ_CHECK_ERR(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_strdup(data, size);
	struct opts *o = malloc(sizeof(*o));
	char err[ERR_LEN] = "";
	int ret;

	if (!o)
		abort();
	ret = opts_parse(spec, o, err);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		check_parsed(o);
		lookups(o, err);
	} else {
		FUZZ_CHECK(*err);
		FUZZ_CHECK_ERR(err);
	}
	free(o);
	free(spec);
	return 0;
}
