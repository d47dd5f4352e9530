/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the control socket server.  See ctl.h.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "ctl/trace.h"
#include "port/port.h"

#define CTL_MAX_CLIENTS 64

struct ctl_client {
	struct ctl *ctl;
	struct loop_fd lfd;
	struct loop_defer free_defer;
	char in[CTL_LINE_MAX + 1];
	size_t in_len;
	char *out;			/* pending reply bytes */
	size_t out_len, out_off;
	bool closing;
	/* After a trace or capture request: the stream (trace.h), sent
	 * after the reply; further input is ignored. */
	struct trace_client *tc;
	uint32_t events;		/* as last given to epoll */
};

static void
client_free(struct loop_defer *d)
{
	struct ctl_client *cl = container_of(d, struct ctl_client, free_defer);

	free(cl->out);
	free(cl);
}

static void
client_close(struct ctl_client *cl)
{
	struct loop *l = &cl->ctl->sw->loop;
	int fd = cl->lfd.fd;

	if (fd < 0)
		return;
	trace_stop(cl->tc);
	cl->tc = NULL;
	loop_del(l, &cl->lfd);
	close(fd);
	cl->ctl->n_clients--;
	loop_defer(l, &cl->free_defer, client_free);
}

/**
 * ctl_handle() - run one parsed request
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: the reply's fields (without version/ok), or NULL on failure.
 */
json_t *
ctl_handle(struct sw *sw, const struct ctl_req *req, const char **code,
	   char *err)
{
	switch (req->cmd) {
	case CTL_CMD_SHOW:
		return ctl_show(sw, req, code, err);
	case CTL_CMD_FDB:
		return ctl_fdb(sw, req, code, err);
	case CTL_CMD_VERSION:
		return json_pack("{ss si}", "lanyard", LANYARD_VERSION,
				 "protocol", CTL_PROTO_VERSION);
	case CTL_CMD_STATS:
		return ctl_stats(sw, req, code, err);
	case CTL_CMD_PORT_ADD:
		return ctl_port_add(sw, req, code, err);
	case CTL_CMD_PORT_DEL:
		return ctl_port_del(sw, req, code, err);
	case CTL_CMD_PORT_SET:
		return ctl_port_set(sw, req, code, err);
	case CTL_CMD_FDB_FLUSH:
		return ctl_fdb_flush(sw, req, code, err);
	case CTL_CMD_FDB_ADD:
		return ctl_fdb_add(sw, req, code, err);
	case CTL_CMD_FDB_DEL:
		return ctl_fdb_del(sw, req, code, err);
	case CTL_CMD_SAVE:
		return ctl_save(sw, req, code, err);
	case CTL_CMD_TRACE:
	case CTL_CMD_CAPTURE:
		break;	/* streams: start_stream(), on a connection */
	}
	*code = CTL_ERR_UNKNOWN_CMD;
	snprintf(err, ERR_LEN, "unknown command");
	return NULL;
}

static void flush_out(struct ctl_client *cl);

static void
stream_wake(struct trace_client *tc, void *arg)
{
	(void)tc;
	flush_out(arg);
}

/* trace, capture: the client's connection becomes the stream. */
static json_t *
start_stream(struct ctl_client *cl, const struct ctl_req *req,
	     const char **code, char *err)
{
	bool capture = req->cmd == CTL_CMD_CAPTURE;

	if (cl->tc) {	/* unreachable: a streaming client's input is ignored */
		*code = CTL_ERR_BAD_REQUEST;
		snprintf(err, ERR_LEN, "already streaming");
		return NULL;
	}
	if (trace_start(cl->ctl->sw, req, stream_wake, cl, &cl->tc, code,
			err))
		return NULL;
	return json_pack("{ss ss ss}", "stream",
			 capture ? "pcapng" : "trace", "filter", req->filter,
			 "ports", capture ? req->port : "all");
}

static json_t *
reply_for(struct ctl_client *cl, const char *line, size_t len)
{
	char err[ERR_LEN] = "";
	const char *code = CTL_ERR_BAD_REQUEST;
	struct ctl_req req;
	json_t *r = NULL;

	if (ctl_req_parse(line, len, &req, &code, err) == 0)
		r = req.cmd == CTL_CMD_TRACE || req.cmd == CTL_CMD_CAPTURE
			    ? start_stream(cl, &req, &code, err)
			    : ctl_handle(cl->ctl->sw, &req, &code, err);
	if (!r)
		return json_pack("{si sb s{ss ss}}", "version",
				 CTL_PROTO_VERSION, "ok", 0, "error", "code",
				 code, "message", err);
	json_object_set_new(r, "version", json_integer(CTL_PROTO_VERSION));
	json_object_set_new(r, "ok", json_true());
	return r;
}

static int
queue_reply(struct ctl_client *cl, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	size_t n;
	char *buf;

	json_decref(reply);
	if (!text)
		return -ENOMEM;
	n = strlen(text);
	buf = realloc(cl->out, cl->out_len - cl->out_off + n + 1);
	if (!buf) {
		free(text);
		return -ENOMEM;
	}
	memmove(buf, buf + cl->out_off, cl->out_len - cl->out_off);
	cl->out_len -= cl->out_off;
	cl->out_off = 0;
	memcpy(buf + cl->out_len, text, n);
	buf[cl->out_len + n] = '\n';
	cl->out_len += n + 1;
	cl->out = buf;
	free(text);
	return 0;
}

static void
flush_out(struct ctl_client *cl)
{
	struct loop *l = &cl->ctl->sw->loop;
	uint32_t events;

	while (cl->out_off < cl->out_len) {
		ssize_t r = send(cl->lfd.fd, cl->out + cl->out_off,
				 cl->out_len - cl->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			client_close(cl);
			return;
		}
		cl->out_off += (size_t)r;
	}
	if (cl->out_off == cl->out_len && cl->closing) {
		client_close(cl);
		return;
	}
	if (cl->out_off == cl->out_len && cl->tc) {
		int r = trace_client_send(cl->tc, cl->lfd.fd);

		if (r < 0 && r != -EAGAIN) {
			client_close(cl);
			return;
		}
		events = r ? EPOLLIN | EPOLLOUT : EPOLLIN;
	} else {
		events = cl->out_off < cl->out_len ? EPOLLIN | EPOLLOUT
						   : EPOLLIN;
	}
	/* A stream is flushed after every busy loop iteration: change
	 * epoll only when the wish changes. */
	if (events != cl->events && loop_mod(l, &cl->lfd, events) == 0)
		cl->events = events;
}

/* Answer every complete line in the input buffer. */
static int
serve_lines(struct ctl_client *cl)
{
	char *nl;

	while ((nl = memchr(cl->in, '\n', cl->in_len))) {
		size_t len = (size_t)(nl - cl->in);

		if (cl->tc) {	/* streaming: nothing more is answered */
			cl->in_len = 0;
			return 0;
		}
		if (queue_reply(cl, reply_for(cl, cl->in, len)))
			return -ENOMEM;
		memmove(cl->in, nl + 1, cl->in_len - len - 1);
		cl->in_len -= len + 1;
	}
	if (cl->tc) {
		cl->in_len = 0;
	} else if (cl->in_len == CTL_LINE_MAX) {
		/* No newline in a whole buffer: answer, then hang up. */
		queue_reply(cl, json_pack("{si sb s{ss ss}}", "version",
					  CTL_PROTO_VERSION, "ok", 0, "error",
					  "code", CTL_ERR_BAD_REQUEST,
					  "message",
					  "request longer than 65536 bytes"));
		cl->closing = true;
	}
	return 0;
}

static void
client_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct ctl_client *cl = container_of(lfd, struct ctl_client, lfd);

	if ((events & EPOLLIN) && !cl->closing) {
		ssize_t r = recv(lfd->fd, cl->in + cl->in_len,
				 CTL_LINE_MAX - cl->in_len, MSG_DONTWAIT);

		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			client_close(cl);
			return;
		}
		if (r > 0) {
			cl->in_len += (size_t)r;
			if (serve_lines(cl)) {
				client_close(cl);
				return;
			}
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		client_close(cl);
		return;
	}
	flush_out(cl);
}

/* Is @gid among the groups in /proc/@pid/status? */
static bool
pid_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = line + 7, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (;;) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			found |= (gid_t)g == gid;
			p = end;
		}
		break;
	}
	fclose(f);
	return found;
}

/*
 * Who may talk to the switch: root, lanyard's own user, and with
 * --ctl-group the members of that group (primary or supplementary).  The
 * socket's mode already keeps others out; this holds even where the mode
 * was widened by hand.  A refused peer gets one error line.
 */
static bool
peer_allowed(struct ctl *c, int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	char msg[160];
	json_t *r;
	char *text;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 &&
	    (cr.uid == 0 || cr.uid == geteuid() ||
	     (c->has_group &&
	      (cr.gid == c->group || pid_in_group(cr.pid, c->group)))))
		return true;
	snprintf(msg, sizeof(msg),
		 "uid %u may not use this switch: only root, uid %u%s",
		 (unsigned int)cr.uid, (unsigned int)geteuid(),
		 c->has_group ? " and the --ctl-group members"
			      : " (see --ctl-group)");
	log_ratelimited(LOG_LVL_WARN, "ctl: refused pid %d: %s", (int)cr.pid,
			msg);
	r = json_pack("{si sb s{ss ss}}", "version", CTL_PROTO_VERSION, "ok",
		      0, "error", "code", CTL_ERR_DENIED, "message", msg);
	text = r ? json_dumps(r, JSON_COMPACT) : NULL;
	if (text) {
		/* A fresh socket's buffer takes one short line. */
		if (send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) >
		    0)
			(void)send(fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		free(text);
	}
	json_decref(r);
	return false;
}

static void
listener_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct ctl *c = container_of(lfd, struct ctl, lfd);
	struct ctl_client *cl;
	int fd;

	(void)events;
	fd = accept4(lfd->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (!peer_allowed(c, fd)) {
		close(fd);
		return;
	}
	if (c->n_clients >= CTL_MAX_CLIENTS) {
		log_ratelimited(LOG_LVL_WARN,
				"ctl: refusing a client: %d connected",
				CTL_MAX_CLIENTS);
		close(fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl || loop_add(&c->sw->loop, &cl->lfd, fd, EPOLLIN,
			    client_on_event)) {
		free(cl);
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->events = EPOLLIN;
	c->n_clients++;
}

/* --ctl-group: a name from the group database, or a number. */
static int
find_group(const char *name, gid_t *gid, char *err)
{
	struct group *g = getgrnam(name);
	char *end;
	unsigned long n;

	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	n = strtoul(name, &end, 10);
	if (*name && !*end && n < (gid_t)-1) {
		*gid = (gid_t)n;
		return 0;
	}
	return ERR_SET(err, -EINVAL, "--ctl-group %s: no such group", name);
}

/**
 * ctl_open() - listen on the control socket @path, mode 0600 (0660 and
 * group @group with --ctl-group)
 * @c:     the server
 * @sw:    the switch it controls
 * @path:  socket path; a stale socket there is replaced, a live one is not
 * @group: a group name or number whose members may connect, or NULL
 * @err:   reason on failure
 *
 * Return: 0 or -errno.
 */
int
ctl_open(struct ctl *c, struct sw *sw, const char *path, const char *group,
	 char *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	c->sw = sw;
	c->lfd.fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path))
		return ERR_SET(err, -ENAMETOOLONG, "--ctl %s: path too long",
			       path);
	if (group && (ret = find_group(group, &c->group, err)))
		return ret;
	c->has_group = group != NULL;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return ERR_SET(err, -errno, "ctl: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(fd);
		return ERR_SET(err, -EADDRINUSE,
			       "--ctl %s: another lanyard is running there",
			       path);
	}
	unlink(path);
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret == 0 && c->has_group &&
	    (chown(path, (uid_t)-1, c->group) || chmod(path, 0660)))
		ret = -1;
	if (ret == -1 || listen(fd, 16) == -1) {
		ret = ERR_SET(err, -errno, "--ctl %s: %s", path,
			      strerror(errno));
		close(fd);
		return ret;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	ret = loop_add(&sw->loop, &c->lfd, fd, EPOLLIN, listener_on_event);
	if (ret) {
		close(fd);
		unlink(path);
		return ERR_SET(err, ret, "ctl: epoll: %s", strerror(-ret));
	}
	return 0;
}

/**
 * ctl_close() - stop listening and remove the socket; connected clients
 * are left to the process exit
 * @c: the server
 */
void
ctl_close(struct ctl *c)
{
	if (c->lfd.fd >= 0) {
		int fd = c->lfd.fd;

		loop_del(&c->sw->loop, &c->lfd);
		close(fd);
		unlink(c->path);
	}
}
