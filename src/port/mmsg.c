/* SPDX-License-Identifier: MIT */
/*
 * mmsg.c - recvmmsg()/sendmmsg() over packet buffers.
 */
#include "port/mmsg.h"

#include <errno.h>
#include <string.h>

/**
 * mmsg_recv() - receive up to @max datagrams in one syscall
 * @fd:        a non-blocking datagram socket
 * @pool:      where buffers come from
 * @pkts:      filled with the frames (len set, one reference each)
 * @max:       at most PKT_BURST
 * @st:        scratch state; st->from[i] and st->truncated[i] describe
 *             pkts[i]
 * @want_from: record the sender addresses
 *
 * A datagram longer than the buffers is still returned, with
 * st->truncated set, so the caller can count it against its sender.
 *
 * Return: frames received, 0 if none (or no buffer: -ENOBUFS), or -errno.
 */
int
mmsg_recv(int fd, struct pkt_pool *pool, struct pkt **pkts, unsigned int max,
	  struct mmsg_rx *st, bool want_from)
{
	unsigned int k = pkt_alloc_burst(pool, pkts, max);
	int r;

	if (k == 0)
		return -ENOBUFS;
	for (unsigned int i = 0; i < k; i++) {
		st->iovs[i].iov_base = pkts[i]->data;
		st->iovs[i].iov_len = pool->frame_max;
		memset(&st->msgs[i].msg_hdr, 0, sizeof(st->msgs[i].msg_hdr));
		st->msgs[i].msg_hdr.msg_iov = &st->iovs[i];
		st->msgs[i].msg_hdr.msg_iovlen = 1;
		if (want_from) {
			st->msgs[i].msg_hdr.msg_name = &st->from[i].ss;
			st->msgs[i].msg_hdr.msg_namelen =
				sizeof(st->from[i].ss);
		}
	}
	r = recvmmsg(fd, st->msgs, k, MSG_DONTWAIT, NULL);
	if (r < 0) {
		int e = errno;

		for (unsigned int i = 0; i < k; i++)
			pkt_put(pkts[i]);
		return e == EAGAIN || e == EINTR ? 0 : -e;
	}
	for (unsigned int i = (unsigned int)r; i < k; i++)
		pkt_put(pkts[i]);
	for (int i = 0; i < r; i++) {
		pkts[i]->len = st->msgs[i].msg_len;
		st->truncated[i] = st->msgs[i].msg_hdr.msg_flags & MSG_TRUNC;
		if (want_from)
			st->from[i].len = st->msgs[i].msg_hdr.msg_namelen;
	}
	return r;
}

/**
 * mmsg_send() - send a burst on a connected datagram socket
 * @fd:   the socket
 * @pkts: the frames
 * @n:    at most PKT_BURST
 *
 * Return: frames the kernel took (0 when it is full), or -errno.
 */
int
mmsg_send(int fd, struct pkt **pkts, unsigned int n)
{
	struct mmsghdr msgs[PKT_BURST];
	struct iovec iovs[PKT_BURST];
	int r;

	for (unsigned int i = 0; i < n; i++) {
		iovs[i].iov_base = pkts[i]->data;
		iovs[i].iov_len = pkts[i]->len;
		memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	r = sendmmsg(fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return r;
}

/**
 * mmsg_discard() - consume one datagram without a buffer (the pool is
 * empty), so a level-triggered socket does not stay readable forever
 * @fd:   the socket
 * @from: its sender, or NULL
 *
 * Return: its length, 0 if there was none, or -errno.
 */
int
mmsg_discard(int fd, struct addr *from)
{
	uint8_t byte;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	ssize_t r = recvfrom(fd, &byte, 1, MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&ss, &sl);

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (from) {
		memcpy(&from->ss, &ss, sizeof(ss));
		from->len = sl;
	}
	return (int)r;
}
