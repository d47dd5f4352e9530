/* SPDX-License-Identifier: MIT */
/*
 * lanyard-perf.h - the endpoint interface of lanyard-perf.
 *
 * lanyard-perf.c holds the modes, the frame format and the socket
 * endpoints (stream, dgram, pair); the kinds that need more code live
 * apart: perf_packet.c (AF_PACKET, plain and PACKET_MMAP) and perf_vde.c
 * (libvdeplug, built only when meson finds it).  Every mode talks to every
 * kind through one struct lp_ep_ops.
 *
 * Life cycle: parse_args() picks the ops and fills struct lp_cfg; main()
 * calls open once at startup (a failure ends the program), then send and
 * recv from the one thread, in any order and also from inside a recv
 * callback (echo), then close.
 */
#ifndef LANYARD_PERF_H
#define LANYARD_PERF_H

#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "proto/eth.h"

#define LP_FRAME_MAX 65535
#define LP_BATCH_MAX 64

enum lp_mode { LP_TX = 1, LP_RX, LP_ECHO, LP_PING, LP_RAW, LP_REFLECT };
enum lp_kind { LP_STREAM = 1, LP_DGRAM, LP_PAIR, LP_PACKET, LP_VDE };

struct lp_cfg {
	enum lp_mode mode;
	enum lp_kind kind;
	const struct lp_ep_ops *ops;
	uint8_t src[ETH_ALEN], dst[ETH_ALEN];
	uint32_t macs;		/* tx, ping: sources cycle over src + 0..macs-1 */
	unsigned int size, batch;
	uint64_t count, rate;
	double duration, idle, linger;
	uint32_t flow;
	bool tagged;		/* send 802.1Q tags with vid and pcp */
	uint16_t vid;
	uint8_t pcp;
	bool announce, json, linger_set;
	const char *ready, *hex;
	/* stream, dgram */
	struct sockaddr_storage peer, local;
	socklen_t peer_len, local_len;
	char local_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	/* packet */
	char ifname[IF_NAMESIZE];
	bool mmap;
	/* vde */
	const char *vde_path;
};

/* What send calls did; the caller adds it to its report. */
struct lp_sent {
	uint64_t frames, bytes;
	uint64_t errors;	/* frames the peer refused; counted, not resent */
};

struct lp_ep {
	const struct lp_ep_ops *ops;
	int fd;			/* readable when frames may wait (poll) */
	void *priv;		/* the kind's own state */
};

/* Called for each received frame, which it may rewrite in place. */
typedef void lp_frame_fn(void *ctx, uint8_t *f, size_t len);

struct lp_ep_ops {
	/* Startup only.  0 or -errno (reason in 'err'); closes what it opened
	 * on failure.  Buffers are sized for c->batch frames per call. */
	int (*open)(struct lp_ep *ep, const struct lp_cfg *c, char *err);
	/* Blocks until the endpoint has taken all n frames (n <= the batch
	 * given to open, lens within the size checked at open); adds to
	 * 'out'.  0, or -1 when the peer is gone or failed (errno set). */
	int (*send)(struct lp_ep *ep, uint8_t *const *frames,
		    const size_t *lens, unsigned int n, struct lp_sent *out);
	/* Waits up to timeout_ms, then hands up to max (<= batch) frames to
	 * fn, which may call send.  A tag the kernel took off is put back, so
	 * fn sees the frame as sent.  Frames delivered (0: timeout or
	 * signal), or -1 when the peer is gone or failed. */
	int (*recv)(struct lp_ep *ep, unsigned int max, int timeout_ms,
		    lp_frame_fn *fn, void *ctx);
	/* Frames the kernel dropped before recv saw them, since open.  May be
	 * NULL (not known). */
	uint64_t (*rx_drops)(struct lp_ep *ep);
	/* Undoes open; copes with a half-open endpoint. */
	void (*close)(struct lp_ep *ep);
};

extern const struct lp_ep_ops lp_packet_ops;	/* perf_packet.c */
extern const struct lp_ep_ops lp_packet_mmap_ops;
extern const struct lp_ep_ops lp_vde_ops;	/* perf_vde.c, LP_HAVE_VDE */

/* Set by SIGINT/SIGTERM: blocking loops give up and the report follows. */
extern volatile sig_atomic_t lp_stop;

/**
 * lp_sock_bufs() - make a datagram socket's buffers hold big frames
 * @fd: the socket
 * @bytes: wanted SO_SNDBUF and SO_RCVBUF (the kernel caps them at
 *         net.core.wmem_max and rmem_max)
 * @frame_len: the largest frame it must carry
 * @force: go past those caps (SO_SNDBUFFORCE, needs CAP_NET_ADMIN)
 *
 * Without @force the caps stay unless the send buffer would then be too
 * small for two frames of @frame_len; a buffer still too small is
 * reported on stderr, and sending such frames fails with EMSGSIZE.
 */
void lp_sock_bufs(int fd, int bytes, size_t frame_len, bool force);

#endif /* LANYARD_PERF_H */
