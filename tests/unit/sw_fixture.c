/* SPDX-License-Identifier: MIT */
/*
 * sw_fixture.c - see sw_fixture.h.
 */
#include "sw_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bridge/fdb.h"
#include "core/util.h"
#include "proto/cmdline.h"

int
fx_sw_init(struct sw *sw)
{
	static const struct cmdline c = {
		.pool = 512,
		.frame_max = PKT_FRAME_MAX_DEFAULT,
		.fdb_size = 1024,
		.ageing = 300,
		.backlog = 256,
		.max_macs = 4096,
	};
	char err[ERR_LEN] = "";
	int ret = sw_init(sw, &c, err);

	if (ret)
		fprintf(stderr, "sw_init: %s\n", err);
	return ret;
}

/* A port from a spec; the test fails if port_create() refuses it. */
struct port *
fx_port(struct sw *sw, const char *fmt, ...)
{
	char spec[512], err[ERR_LEN] = "";
	struct port *p = NULL;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(spec, sizeof(spec), fmt, ap);
	va_end(ap);
	ret = port_create(sw, spec, &p, err);
	if (ret)
		fprintf(stderr, "port_create %s: %s\n", spec, err);
	assert_int_equal(ret, 0);
	assert_non_null(p);
	return p;
}

/* Loop iterations of at most 5 ms each. */
void
fx_pump(struct sw *sw, unsigned int iterations)
{
	for (unsigned int i = 0; i < iterations; i++)
		assert_true(loop_run_once(&sw->loop, 5) >= 0);
}

/* The parent's children, counted in the registry; must agree with it. */
unsigned int
fx_children(struct sw *sw, const struct port *parent)
{
	unsigned int n = 0;

	for (struct port *p = sw->ports_head; p; p = p->next)
		n += p->parent == parent;
	assert_int_equal(n, parent->n_children);
	return n;
}

/* The port the MAC table has for mac in VLAN 0, or NULL. */
struct port *
fx_mac_port(struct sw *sw, const uint8_t mac[ETH_ALEN])
{
	return fdb_lookup(&sw->br.fdb, fdb_key(eth_mac_to_u64(mac), 0));
}

/**
 * fx_sw_in_tmpdir() - a fresh temporary directory for a test's sockets,
 * then fx_sw_init()
 * @sw:   the switch
 * @dir:  receives the directory's path
 * @len:  size of @dir
 * @name: short name of the test, part of the path
 *
 * Return: 0, or -1 with nothing left behind.
 */
int
fx_sw_in_tmpdir(struct sw *sw, char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/lanyard-test-%s-XXXXXX", name);
	if (!mkdtemp(dir))
		return -1;
	if (fx_sw_init(sw)) {
		rmdir(dir);
		return -1;
	}
	return 0;
}
