/* SPDX-License-Identifier: MIT */
/*
 * memguard.h - survive a peer that truncates memory it shared with us.
 *
 * A vhost-user front-end shares its RAM as files we map MAP_SHARED.  If it
 * later shrinks such a file, touching the pages past the new end raises
 * SIGBUS, which would kill the whole switch.  Mappings registered here are
 * covered by a SIGBUS handler: a fault inside one replaces that mapping, in
 * place, by anonymous zero pages (the interrupted copy goes on reading
 * zeros), and sets the owner's flag, which its data path checks after
 * each burst to drop what it copied and end the connection.  A SIGBUS
 * anywhere else still kills the process, as it should.
 *
 * Single-threaded: the table changes only outside the handler.
 */
#ifndef LANYARD_PORT_MEMGUARD_H
#define LANYARD_PORT_MEMGUARD_H

#include <signal.h>
#include <stddef.h>

#define MEMGUARD_MAX 1024	/* mappings covered at once */

int memguard_add(void *start, size_t len, volatile sig_atomic_t *hit);
void memguard_del(void *start);

#endif /* LANYARD_PORT_MEMGUARD_H */
