/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cmdline.c - cmdline_parse() on an argument vector: the input is
 * split at NUL bytes into at most 64 arguments after argv[0] = "lanyard".
 * cmdline.c walks argv itself (no getopt), so there is no global state to
 * reset between runs.  Checks the result's ranges, that specs point into
 * argv, and feeds each spec on to opts_parse() as main.c would.
 */
#include "proto/cmdline.h"

#include <errno.h>

#include "core/util.h"
#include "proto/opts.h"

#include "fuzz.h"

#define FUZZ_ARGV_MAX 64

static bool
in_args(const char *p, const char *buf, size_t size)
{
	return p >= buf && p <= buf + size;
}

static void
check_result(const struct cmdline *c, const char *buf, size_t size)
{
	struct opts *o = malloc(sizeof(*o));
	char err[ERR_LEN];

	if (!o)
		abort();
	FUZZ_CHECK(c->n_ports <= CMDLINE_MAX_PORTS);
	FUZZ_CHECK(c->fdb_size >= 16 && c->fdb_size <= 1U << 24);
	FUZZ_CHECK(c->ageing <= 1000000);
	FUZZ_CHECK(c->backlog >= 1 && c->backlog <= 1U << 16);
	FUZZ_CHECK(c->max_macs <= 1U << 24);
	if (c->ctl_path)
		FUZZ_CHECK(in_args(c->ctl_path, buf, size) && *c->ctl_path);
	for (unsigned int i = 0; i < c->n_ports; i++) {
		FUZZ_CHECK(in_args(c->ports[i], buf, size));
		if (opts_parse(c->ports[i], o, err))
			FUZZ_CHECK_ERR(err);
	}
	free(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[] = "lanyard";
	char *buf = fuzz_strdup(data, size);
	char *argv[FUZZ_ARGV_MAX + 2] = {name};
	int argc = 1;
	struct cmdline c;
	char err[ERR_LEN] = "";
	int ret;

	/* The input's NULs end the arguments; a trailing one adds none. */
	for (size_t off = 0; off < size && argc <= FUZZ_ARGV_MAX; argc++) {
		argv[argc] = buf + off;
		off += strlen(buf + off) + 1;
	}
	argv[argc] = NULL;
	ret = cmdline_parse(argc, argv, &c, err);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0)
		check_result(&c, buf, size);
	else
		FUZZ_CHECK(*err && memchr(err, '\0', ERR_LEN));
	free(buf);
	return 0;
}
