/* SPDX-License-Identifier: MIT */
/*
 * perf_vde.c - lanyard-perf's vde:PATH endpoint: a port of a vde_switch
 * (or any vdeplug4 URL) through libvdeplug.  Built only when meson finds
 * the library (-Dvde, LP_HAVE_VDE); without it parse_endpoint() refuses
 * vde: and names the package.
 *
 * libvdeplug has no batch calls: send and recv take one frame per call,
 * up to --batch frames per poll.  The vde plugin's vde_recv() ignores its
 * flags, so the data descriptor is made non-blocking (send then waits in
 * poll for room).  vde_recv() returns 1 for a frame the plugin dropped
 * (nothing to deliver).  The switch hanging up shows on the
 * control descriptor (end of file), not on the data one.
 *
 * vde_switch 2.3.2 reads at most 1518 bytes of a frame: longer ones arrive
 * cut there, and receivers count them as corrupted.  It also drops what a
 * port sent but it had not read yet when the port closed, so close waits
 * (up to VDE_DRAIN_MS) until it has.
 */
#include "lanyard-perf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <libvdeplug.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util.h"
#include "proto/vlan.h"

#define VDE_DRAIN_MS 1000

struct vde_ep {
	VDECONN *conn;
	int ctl_fd;		/* -1 if the plugin has none */
	uint8_t *buf;		/* LP_FRAME_MAX + 1: longer frames show */
};

static void
vde_ep_close(struct lp_ep *ep)
{
	struct vde_ep *v = ep->priv;

	if (!v)
		return;
	/*
	 * vde_switch drops what it reads from a port after the port closed:
	 * give it VDE_DRAIN_MS to read our last frames.  SIOCOUTQ: bytes
	 * sent that the switch has not read yet.
	 */
	for (int i = 0, q; ep->fd != -1 && i < VDE_DRAIN_MS; i++) {
		if (ioctl(ep->fd, SIOCOUTQ, &q) == -1 || q == 0)
			break;
		usleep(1000);
	}
	ep->fd = -1;	/* vde_close() closes it */
	if (v->conn)
		vde_close(v->conn);
	free(v->buf);
	free(v);
	ep->priv = NULL;
}

static int
vde_ep_open(struct lp_ep *ep, const struct lp_cfg *c, char *err)
{
	struct vde_ep *v = calloc(1, sizeof(*v));
	char *url = strdup(c->vde_path), descr[] = "lanyard-perf";
	int rc, fl;

	*ep = (struct lp_ep){ .ops = c->ops, .fd = -1, .priv = v };
	if (!v || !url) {
		rc = ERR_SET(err, -ENOMEM, "out of memory");
		goto err_close;
	}
	v->buf = malloc(LP_FRAME_MAX + 1);
	if (!v->buf) {
		rc = ERR_SET(err, -ENOMEM, "out of memory");
		goto err_close;
	}
	v->conn = vde_open(url, descr, NULL);	/* takes char *, not const */
	if (!v->conn) {
		rc = ERR_SET(err, -errno, "vde %s: %s", c->vde_path,
			     strerror(errno));
		goto err_close;
	}
	ep->fd = vde_datafd(v->conn);
	v->ctl_fd = vde_ctlfd(v->conn);
	/* vde_recv() drops its flags (no MSG_DONTWAIT): make it not block. */
	fl = fcntl(ep->fd, F_GETFL);
	if (fl == -1 || fcntl(ep->fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		rc = ERR_SET(err, -errno, "vde %s: O_NONBLOCK: %s",
			     c->vde_path, strerror(errno));
		goto err_close;
	}
	lp_sock_bufs(ep->fd, 4 << 20, c->size + VLAN_TAG_LEN, false);
	free(url);
	return 0;
err_close:
	free(url);
	vde_ep_close(ep);
	return rc;
}

/* Waits for room when the switch's queue is full. */
static int
vde_ep_send(struct lp_ep *ep, uint8_t *const *frames, const size_t *lens,
	    unsigned int n, struct lp_sent *out)
{
	struct vde_ep *v = ep->priv;
	unsigned int i = 0;

	while (i < n) {
		ssize_t w = vde_send(v->conn, frames[i], lens[i], 0);

		if (w == -1 && lp_stop) {
			out->errors += n - i;
			return 0;
		}
		if (w == -1 && (errno == EINTR || errno == EAGAIN ||
				errno == ENOBUFS)) {
			struct pollfd pfd = { .fd = ep->fd, .events = POLLOUT };

			poll(&pfd, 1, 10);
			continue;
		}
		if (w == -1)
			return -1;
		out->frames++;
		out->bytes += lens[i++];
	}
	return 0;
}

/* True when the switch hung up (end of file on the control descriptor). */
static bool
vde_ep_gone(const struct vde_ep *v, const struct pollfd *ctl)
{
	char b[64];
	ssize_t r;

	if (v->ctl_fd < 0 || !(ctl->revents & (POLLIN | POLLHUP | POLLERR)))
		return false;
	r = read(v->ctl_fd, b, sizeof(b));
	return r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR);
}

static int
vde_ep_recv(struct lp_ep *ep, unsigned int max, int timeout_ms,
	    lp_frame_fn *fn, void *ctx)
{
	struct vde_ep *v = ep->priv;
	struct pollfd pfds[2] = { { .fd = ep->fd, .events = POLLIN },
				  { .fd = v->ctl_fd, .events = POLLIN } };
	int rc, n = 0;

	rc = poll(pfds, v->ctl_fd < 0 ? 1 : 2, timeout_ms);
	if (rc <= 0)
		return rc == -1 && errno != EINTR ? -1 : 0;
	if (vde_ep_gone(v, &pfds[1]))
		return -1;
	for (unsigned int i = 0; i < max && (pfds[0].revents & POLLIN); i++) {
		ssize_t got = vde_recv(v->conn, v->buf, LP_FRAME_MAX + 1,
				       MSG_DONTWAIT);

		if (got == -1)
			return errno == EAGAIN || errno == EINTR ? n : -1;
		if (got <= 1)	/* dropped by the plugin */
			continue;
		fn(ctx, v->buf, MIN((size_t)got, (size_t)LP_FRAME_MAX));
		n++;
	}
	return n;
}

const struct lp_ep_ops lp_vde_ops = {
	.open = vde_ep_open,
	.send = vde_ep_send,
	.recv = vde_ep_recv,
	.close = vde_ep_close,
};
