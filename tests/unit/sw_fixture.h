/* SPDX-License-Identifier: MIT */
/*
 * sw_fixture.h - a whole switch inside a unit test: struct sw made by
 * sw_init() as lanyard's main() makes it, ports made from spec strings with
 * port_create(), and the loop driven a few iterations at a time while the
 * test plays the peers with ordinary sockets.  Failures are cmocka
 * assertions.
 */
#ifndef LANYARD_TESTS_SW_FIXTURE_H
#define LANYARD_TESTS_SW_FIXTURE_H

#include <stdint.h>

#include "port/port.h"
#include "proto/eth.h"

/* The figures: pool 512, frames up to the default, 1024 MAC entries,
 * ageing 300 s, backlog 256, 4096 MACs a port. */
#include <stddef.h>

int fx_sw_init(struct sw *sw);
int fx_sw_in_tmpdir(struct sw *sw, char *dir, size_t len, const char *name);
__attribute__((format(printf, 2, 3))) struct port *
fx_port(struct sw *sw, const char *fmt, ...);
void fx_pump(struct sw *sw, unsigned int iterations);
unsigned int fx_children(struct sw *sw, const struct port *parent);
struct port *fx_mac_port(struct sw *sw, const uint8_t mac[ETH_ALEN]);

#endif /* LANYARD_TESTS_SW_FIXTURE_H */
