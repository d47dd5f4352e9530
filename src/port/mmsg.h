/* SPDX-License-Identifier: MIT */
/*
 * mmsg.h - batched datagram I/O shared by the datagram port kinds: one
 * recvmmsg() fills a burst of packet buffers, one sendmmsg() sends one.
 */
#ifndef LANYARD_PORT_MMSG_H
#define LANYARD_PORT_MMSG_H

#include <sys/socket.h>

#include "core/pkt.h"
#include "port/addr.h"

/* Receive state: kept in the port so nothing is set up per call. */
struct mmsg_rx {
	struct mmsghdr msgs[PKT_BURST];
	struct iovec iovs[PKT_BURST];
	struct addr from[PKT_BURST];	/* sender of each, if asked */
	bool truncated[PKT_BURST];
};

int mmsg_recv(int fd, struct pkt_pool *pool, struct pkt **pkts,
	      unsigned int max, struct mmsg_rx *st, bool want_from);
int mmsg_send(int fd, struct pkt **pkts, unsigned int n);
int mmsg_discard(int fd, struct addr *from);

#endif /* LANYARD_PORT_MMSG_H */
