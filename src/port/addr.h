/* SPDX-License-Identifier: MIT */
/*
 * addr.h - socket addresses for the socket port kinds: read from a port
 * spec in QEMU's words, formatted for show, compared and hashed.
 */
#ifndef LANYARD_PORT_ADDR_H
#define LANYARD_PORT_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/opts.h"

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* The spec keys that name one address, each a '|' list of synonyms. */
struct addr_keys {
	const char *type;	/* "addr.type" */
	const char *path;	/* "path|addr.path" */
	const char *host;	/* "host|addr.host" */
	const char *port;	/* "port|addr.port" */
};

int addr_from_opts(struct opts *o, const struct addr_keys *k, struct addr *a,
		   bool *given, char *err);
void addr_format(const struct addr *a, char *buf, size_t len);
bool addr_equal(const struct addr *a, const struct addr *b);
uint32_t addr_hash(const struct addr *a);
int addr_family(const struct addr *a);
const char *addr_path(const struct addr *a);
bool addr_is_unnamed(const struct addr *a);
int addr_unlink_stale(const struct addr *a, char *err);

#endif /* LANYARD_PORT_ADDR_H */
