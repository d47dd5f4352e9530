/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - the Prometheus exposition (metrics_render()), the HTTP
 * answers (metrics_respond()) and the listener serving them from the
 * event loop.  See metrics.h; the metrics are listed in docs/metrics.md.
 */
#include "ctl/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "port/port.h"

/* ---- the text buffer ------------------------------------------------ */

static bool
buf_reserve(struct metrics_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 16384;
	char *d;

	if (b->failed)
		return false;
	if (more > METRICS_BODY_MAX - b->len) {
		b->failed = true;
		return false;
	}
	if (b->len + more + 1 <= b->cap)
		return true;
	while (cap < b->len + more + 1)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d) {
		b->failed = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

/**
 * metrics_buf_append() - append @len bytes to @b
 * @b:   the buffer; on failure it is marked failed and keeps its text
 * @s:   the bytes
 * @len: how many
 */
void
metrics_buf_append(struct metrics_buf *b, const char *s, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/**
 * metrics_buf_printf() - append formatted text to @b
 * @b:   the buffer; on failure it is marked failed
 * @fmt: printf format
 */
void
metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/**
 * metrics_buf_escaped() - append @s escaped for the text format: a
 * backslash as \\ and a newline as \n, and with @quote (label values)
 * a double quote as \"
 * @b:     the buffer
 * @s:     the text
 * @quote: a label value rather than HELP text
 */
void
metrics_buf_escaped(struct metrics_buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			metrics_buf_append(b, "\\\\", 2);
		else if (*s == '\n')
			metrics_buf_append(b, "\\n", 2);
		else if (*s == '"' && quote)
			metrics_buf_append(b, "\\\"", 2);
		else
			metrics_buf_append(b, s, 1);
	}
}

/**
 * metrics_buf_fini() - free @b's text; @b is empty and usable again
 * @b: the buffer
 */
void
metrics_buf_fini(struct metrics_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- the exposition ------------------------------------------------- */

/* A counter of struct port_counters, exported per port and switch-wide. */
struct counter_family {
	const char *name; /* after "lanyard_port_" / "lanyard_switch_" */
	const char *help;
	size_t off;
};

static const struct counter_family counter_families[] = {
	{"rx_frames_total", "Frames received from the peer",
         offsetof(struct port_counters, rx)},
	{"rx_bytes_total", "Bytes of the frames received from the peer",
         offsetof(struct port_counters, rx_bytes)},
	{"rx_forwarded_frames_total",
         "Frames received and forwarded to at least one port",
         offsetof(struct port_counters, rx_fwd)},
	{"rx_ignored_frames_total",
         "Frames read that were not the peer's (own multicast echoes)",
         offsetof(struct port_counters, rx_ignored)},
	{"tx_offered_frames_total",
         "Frames the bridge handed to the port to send",
         offsetof(struct port_counters, tx_offered)},
	{"tx_frames_total", "Frames taken by the peer",
         offsetof(struct port_counters, tx)},
	{"tx_bytes_total", "Bytes of the frames taken by the peer",
         offsetof(struct port_counters, tx_bytes)},
	{"pauses_total", "Times reading from the port stopped for backpressure",
         offsetof(struct port_counters, pauses)},
};

static uint64_t
counter_at(const struct port_counters *c, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)c + off, sizeof(v));
	return v;
}

static void
family_head(struct metrics_buf *b, const char *prefix, const char *name,
            const char *type, const char *help, const char *help_tail)
{
	metrics_buf_printf(b, "# HELP %s%s ", prefix, name);
	metrics_buf_escaped(b, help, false);
	metrics_buf_escaped(b, help_tail, false);
	metrics_buf_printf(b, "\n# TYPE %s%s %s\n", prefix, name, type);
}

/* One sample's name and labels, up to the value: 'name{port="",kind=""'. */
static void
port_sample(struct metrics_buf *b, const char *name, const struct port *p)
{
	metrics_buf_printf(b, "lanyard_port_%s{port=\"", name);
	metrics_buf_escaped(b, p->id, true);
	metrics_buf_printf(b, "\",kind=\"%s\"", p->ops->kind);
}

static void
render_port_counters(const struct sw *sw, struct metrics_buf *b)
{
	for (size_t i = 0; i < ARRAY_SIZE(counter_families); i++) {
		const struct counter_family *f = &counter_families[i];

		family_head(b, "lanyard_port_", f->name, "counter", f->help,
		            ", per port");
		for (const struct port *p = sw->ports_head; p; p = p->next) {
			port_sample(b, f->name, p);
			metrics_buf_printf(b, "} %" PRIu64 "\n",
			                   counter_at(&p->c, f->off));
		}
	}
}

static void
render_port_drops(const struct sw *sw, struct metrics_buf *b)
{
	family_head(b, "lanyard_port_", "dropped_frames_total", "counter",
	            "Frames dropped, by cause (docs/architecture.md)",
	            ", per port");
	for (const struct port *p = sw->ports_head; p; p = p->next) {
		for (int d = 0; d < PORT_DROP_MAX; d++) {
			port_sample(b, "dropped_frames_total", p);
			metrics_buf_printf(b, ",cause=\"%s\"} %" PRIu64 "\n",
			                   port_drop_name((enum port_drop)d),
			                   p->c.drops[d]);
		}
	}
	family_head(b, "lanyard_port_", "errors_total", "counter",
	            "Events that cost a connection or a peer, by error",
	            ", per port");
	for (const struct port *p = sw->ports_head; p; p = p->next) {
		for (int e = 0; e < PORT_ERR_MAX; e++) {
			port_sample(b, "errors_total", p);
			metrics_buf_printf(b, ",error=\"%s\"} %" PRIu64 "\n",
			                   port_error_name((enum port_error)e),
			                   p->c.errors[e]);
		}
	}
}

/* Gauges of a port that are not in struct port_counters. */
static void
render_port_gauges(const struct sw *sw, struct metrics_buf *b)
{
	static const char *const names[] = {"queued_frames", "macs",
	                                    "max_macs"};
	static const char *const helps[] = {
		"Frames waiting in the port's transmit backlog",
		"MAC addresses learned on the port",
		"Most MAC addresses the port may own, 0 = no limit",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		family_head(b, "lanyard_port_", names[i], "gauge", helps[i],
		            "");
		for (const struct port *p = sw->ports_head; p; p = p->next) {
			uint64_t v = i == 0   ? p->bl_len
			             : i == 1 ? p->n_macs
			                      : p->max_macs;

			port_sample(b, names[i], p);
			metrics_buf_printf(b, "} %" PRIu64 "\n", v);
		}
	}
}

static void
render_switch(const struct sw *sw, struct metrics_buf *b)
{
	const char *tail = ", all ports, including those gone";
	struct port_counters t;
	uint64_t queued = 0;

	port_totals(sw, &t);
	for (const struct port *p = sw->ports_head; p; p = p->next)
		queued += p->bl_len;
	for (size_t i = 0; i < ARRAY_SIZE(counter_families); i++) {
		const struct counter_family *f = &counter_families[i];

		family_head(b, "lanyard_switch_", f->name, "counter", f->help,
		            tail);
		metrics_buf_printf(b, "lanyard_switch_%s %" PRIu64 "\n",
		                   f->name, counter_at(&t, f->off));
	}
	family_head(b, "lanyard_switch_", "dropped_frames_total", "counter",
	            "Frames dropped, by cause", tail);
	for (int d = 0; d < PORT_DROP_MAX; d++)
		metrics_buf_printf(b,
		                   "lanyard_switch_dropped_frames_total"
		                   "{cause=\"%s\"} %" PRIu64 "\n",
		                   port_drop_name((enum port_drop)d),
		                   t.drops[d]);
	family_head(b, "lanyard_switch_", "errors_total", "counter",
	            "Events that cost a connection or a peer, by error", tail);
	for (int e = 0; e < PORT_ERR_MAX; e++)
		metrics_buf_printf(b,
		                   "lanyard_switch_errors_total{error=\"%s\"} "
		                   "%" PRIu64 "\n",
		                   port_error_name((enum port_error)e),
		                   t.errors[e]);
	family_head(b, "lanyard_switch_", "queued_frames", "gauge",
	            "Frames waiting in transmit backlogs, all ports", "");
	metrics_buf_printf(b, "lanyard_switch_queued_frames %" PRIu64 "\n",
	                   queued);
	family_head(b, "lanyard_", "ports", "gauge",
	            "Ports, listeners and their peers included", "");
	metrics_buf_printf(b, "lanyard_ports %u\n", sw->n_ports);
}

/* A gauge or counter without labels. */
static void
plain(struct metrics_buf *b, const char *name, const char *type,
      const char *help, uint64_t v)
{
	family_head(b, "lanyard_", name, type, help, "");
	metrics_buf_printf(b, "lanyard_%s %" PRIu64 "\n", name, v);
}

static void
render_fdb_pool(const struct sw *sw, struct metrics_buf *b)
{
	const struct fdb *f = &sw->br.fdb;

	plain(b, "fdb_entries", "gauge", "Entries in the MAC table", f->count);
	plain(b, "fdb_capacity_entries", "gauge",
	      "Most entries the MAC table holds (--fdb-size)", f->capacity);
	plain(b, "fdb_ageing_seconds", "gauge",
	      "Entries unseen this long are forgotten, 0 = never", f->ageing);
	plain(b, "fdb_learned_total", "counter", "MAC addresses learned",
	      f->stats.learned);
	plain(b, "fdb_moved_total", "counter",
	      "Known MAC addresses seen on another port and moved there",
	      f->stats.moved);
	plain(b, "fdb_aged_total", "counter",
	      "Entries forgotten for being unseen for the ageing time",
	      f->stats.aged);
	plain(b, "fdb_flushed_total", "counter",
	      "Entries removed by a flush or with their port",
	      f->stats.flushed);
	family_head(b, "lanyard_", "fdb_refused_total", "counter",
	            "MAC addresses not learned, by reason", "");
	metrics_buf_printf(b,
	                   "lanyard_fdb_refused_total{reason=\"full\"} "
	                   "%" PRIu64 "\n"
	                   "lanyard_fdb_refused_total{reason=\"port-limit\"} "
	                   "%" PRIu64 "\n",
	                   f->stats.full, f->stats.port_limit);
	plain(b, "pool_buffers", "gauge", "Packet buffers (--pool)",
	      sw->pool.count);
	plain(b, "pool_free_buffers", "gauge", "Packet buffers free now",
	      sw->pool.n_free);
	plain(b, "pool_frame_max_bytes", "gauge",
	      "Largest frame a buffer holds (--frame-max)", sw->pool.frame_max);
}

/**
 * metrics_render() - append the switch's metrics in the Prometheus text
 * exposition format 0.0.4 to @b: each family once, HELP and TYPE before
 * its samples, per-port series labelled port and kind
 * @sw: the switch
 * @b:  the buffer; check b->failed afterwards
 */
void
metrics_render(const struct sw *sw, struct metrics_buf *b)
{
	family_head(b, "lanyard_", "build_info", "gauge",
	            "Always 1; the version in a label", "");
	metrics_buf_printf(b, "lanyard_build_info{version=\"%s\"} 1\n",
	                   LANYARD_VERSION);
	render_port_counters(sw, b);
	render_port_drops(sw, b);
	render_port_gauges(sw, b);
	render_switch(sw, b);
	render_fdb_pool(sw, b);
}

/* ---- HTTP ----------------------------------------------------------- */

static const char *
status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	default:
		return "Internal Server Error";
	}
}

static void
head(struct metrics_buf *out, int status, const char *type, size_t len,
     const char *extra)
{
	metrics_buf_printf(out,
	                   "HTTP/1.1 %d %s\r\n"
	                   "Content-Type: %s\r\n"
	                   "Content-Length: %zu\r\n"
	                   "Connection: close\r\n"
	                   "%s\r\n",
	                   status, status_text(status), type, len, extra);
}

static int
error_response(struct metrics_buf *out, int status, const char *extra,
               bool body)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "%d %s\n", status,
	                 status_text(status));

	head(out, status, "text/plain; charset=utf-8", (size_t)n, extra);
	if (body)
		metrics_buf_append(out, text, (size_t)n);
	return status;
}

/**
 * metrics_respond() - the whole HTTP response to one request
 * @sw:     the switch
 * @parsed: what http_req_parse() returned (> 0: @req is valid)
 * @req:    the request
 * @out:    receives status line, header fields and body (none for HEAD)
 *
 * GET or HEAD /metrics: 200 with the exposition; another path: 404;
 * another method on /metrics: 405; a malformed or too large request: 400;
 * a response beyond METRICS_BODY_MAX or out of memory: 500.
 *
 * Return: the status code.
 */
int
metrics_respond(const struct sw *sw, int parsed, const struct http_req *req,
                struct metrics_buf *out)
{
	struct metrics_buf body = {0};
	bool head_only = parsed > 0 && req->method == HTTP_METHOD_HEAD;

	if (parsed <= 0)
		return error_response(out, 400, "", true);
	if (strcmp(req->path, "/metrics") != 0)
		return error_response(out, 404, "", !head_only);
	if (req->method == HTTP_METHOD_OTHER)
		return error_response(out, 405, "Allow: GET, HEAD\r\n", true);
	metrics_render(sw, &body);
	if (body.failed) {
		metrics_buf_fini(&body);
		return error_response(out, 500, "", !head_only);
	}
	head(out, 200, "text/plain; version=0.0.4; charset=utf-8", body.len,
	     "");
	if (!head_only)
		metrics_buf_append(out, body.data, body.len);
	metrics_buf_fini(&body);
	return out->failed ? 500 : 200;
}

/* ---- the server ----------------------------------------------------- */

enum client_state {
	CLIENT_READING = 0, /* the request head */
	CLIENT_WRITING,     /* the response */
	CLIENT_LINGERING,   /* half-closed, reading until the peer closes */
};

struct metrics_client {
	struct metrics *m;
	struct loop_fd lfd;
	struct loop_timer timer;
	struct loop_defer free_defer;
	struct metrics_client *next, *prev;
	enum client_state state;
	char in[HTTP_REQ_HEAD_MAX];
	size_t in_len;
	struct metrics_buf out;
	size_t out_off;
};

static struct loop *
client_loop(const struct metrics_client *cl)
{
	return &cl->m->sw->loop;
}

static void
client_free(struct loop_defer *d)
{
	struct metrics_client *cl =
		container_of(d, struct metrics_client, free_defer);

	metrics_buf_fini(&cl->out);
	free(cl);
}

static void
client_close(struct metrics_client *cl)
{
	struct loop *l = client_loop(cl);
	int fd = cl->lfd.fd;

	if (fd < 0)
		return;
	loop_del(l, &cl->lfd);
	close(fd);
	loop_timer_cancel(l, &cl->timer);
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		cl->m->clients = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	cl->m->n_clients--;
	loop_defer(l, &cl->free_defer, client_free);
}

static void
client_timeout(struct loop_timer *t, uint64_t now)
{
	struct metrics_client *cl =
		container_of(t, struct metrics_client, timer);

	(void)now;
	if (cl->state != CLIENT_LINGERING)
		log_debug("metrics: closing a client: timed out %s",
		          cl->state == CLIENT_READING ? "reading the request"
		                                      : "writing the response");
	client_close(cl);
}

static void
client_deadline(struct metrics_client *cl, uint64_t ms)
{
	struct loop *l = client_loop(cl);

	loop_timer_arm(l, &cl->timer, loop_now(l) + ms * NS_PER_MS,
	               client_timeout);
}

static void
client_linger(struct metrics_client *cl)
{
	cl->state = CLIENT_LINGERING;
	metrics_buf_fini(&cl->out);
	if (shutdown(cl->lfd.fd, SHUT_WR) == -1 ||
	    loop_mod(client_loop(cl), &cl->lfd, EPOLLIN)) {
		client_close(cl);
		return;
	}
	client_deadline(cl, METRICS_LINGER_MS);
}

/* Write what the socket takes now, a bounded number of times. */
static void
client_write(struct metrics_client *cl)
{
	bool progress = false;

	for (int i = 0; i < 8 && cl->out_off < cl->out.len; i++) {
		ssize_t r = send(cl->lfd.fd, cl->out.data + cl->out_off,
		                 cl->out.len - cl->out_off,
		                 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			break;
		if (r == -1) {
			client_close(cl);
			return;
		}
		cl->out_off += (size_t)r;
		progress = true;
	}
	if (cl->out_off == cl->out.len)
		client_linger(cl);
	else if (progress)
		client_deadline(cl, METRICS_TX_TIMEOUT_MS);
}

static void
client_answer(struct metrics_client *cl, int parsed, const struct http_req *r)
{
	int status = metrics_respond(cl->m->sw, parsed, r, &cl->out);

	if (status != 200)
		log_debug("metrics: %s %s: %d",
		          parsed > 0 ? r->method_text : "?",
		          parsed > 0 ? r->path : "(bad request)", status);
	if (cl->out.failed) {
		client_close(cl);
		return;
	}
	cl->state = CLIENT_WRITING;
	if (loop_mod(client_loop(cl), &cl->lfd, EPOLLOUT)) {
		client_close(cl);
		return;
	}
	client_deadline(cl, METRICS_TX_TIMEOUT_MS);
	client_write(cl);
}

static void
client_read(struct metrics_client *cl)
{
	char *buf = cl->in + (cl->state == CLIENT_READING ? cl->in_len : 0);
	size_t room = cl->state == CLIENT_READING ? sizeof(cl->in) - cl->in_len
	                                          : sizeof(cl->in);
	ssize_t r = recv(cl->lfd.fd, buf, room, MSG_DONTWAIT);
	struct http_req req;
	int parsed;

	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		client_close(cl); /* the peer closed, or an error */
		return;
	}
	if (cl->state != CLIENT_READING)
		return; /* lingering: discarded */
	cl->in_len += (size_t)r;
	parsed = http_req_parse(cl->in, cl->in_len, &req);
	if (parsed != 0)
		client_answer(cl, parsed, &req);
}

static void
client_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct metrics_client *cl =
		container_of(lfd, struct metrics_client, lfd);

	if (events & EPOLLERR) {
		client_close(cl);
		return;
	}
	if (cl->state == CLIENT_WRITING)
		client_write(cl);
	else
		client_read(cl);
}

static void
accept_one(struct metrics *m, int fd)
{
	struct metrics_client *cl;

	if (m->n_clients >= METRICS_MAX_CLIENTS) {
		m->refused++;
		log_ratelimited(LOG_LVL_WARN,
		                "metrics: refusing a client: %d connected",
		                METRICS_MAX_CLIENTS);
		close(fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl ||
	    loop_add(&m->sw->loop, &cl->lfd, fd, EPOLLIN, client_on_event)) {
		free(cl);
		close(fd);
		return;
	}
	cl->m = m;
	cl->next = m->clients;
	if (cl->next)
		cl->next->prev = cl;
	m->clients = cl;
	m->n_clients++;
	client_deadline(cl, METRICS_REQ_TIMEOUT_MS);
}

static void
listener_on_event(struct loop_fd *lfd, uint32_t events)
{
	struct metrics *m = container_of(lfd, struct metrics, lfd);

	(void)events;
	for (int i = 0; i < 8; i++) {
		int fd = accept4(lfd->fd, NULL, NULL,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_ratelimited(LOG_LVL_WARN,
				                "metrics: accept: %s",
				                strerror(errno));
			return;
		}
		accept_one(m, fd);
	}
}

/* "127.0.0.1:9109" or "[::1]:9109", of the address actually bound. */
static void
format_bound(struct metrics *m, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(m->addr, sizeof(m->addr), "[%s]:%u", host, port);
	} else {
		const struct sockaddr_in *a = (const void *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(m->addr, sizeof(m->addr), "%s:%u", host, port);
	}
}

/**
 * metrics_open() - listen for scrapers on @ss
 * @m:   the server, set up here
 * @sw:  the switch whose metrics it serves
 * @ss:  the address (from --metrics); port 0 binds a free port
 * @len: its length
 * @err: reason on failure
 *
 * Return: 0 or -errno.  m->addr names the address bound.
 */
int
metrics_open(struct metrics *m, struct sw *sw,
             const struct sockaddr_storage *ss, socklen_t len, char *err)
{
	int one = 1, fd, ret;

	memset(m, 0, sizeof(*m));
	m->sw = sw;
	m->lfd.fd = -1;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            0);
	if (fd == -1)
		return ERR_SET(err, -errno, "metrics: socket: %s",
		               strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 16)) {
		ret = -errno;
		close(fd);
		return ERR_SET(err, ret, "--metrics: %s", strerror(-ret));
	}
	format_bound(m, fd);
	ret = loop_add(&sw->loop, &m->lfd, fd, EPOLLIN, listener_on_event);
	if (ret) {
		close(fd);
		return ERR_SET(err, ret, "metrics: epoll: %s", strerror(-ret));
	}
	return 0;
}

/**
 * metrics_close() - stop listening and close every client
 * @m: the server; zeroed and never opened, or closed already: a no-op
 */
void
metrics_close(struct metrics *m)
{
	if (!m->sw)
		return;
	if (m->lfd.fd >= 0) {
		int fd = m->lfd.fd;

		loop_del(&m->sw->loop, &m->lfd);
		close(fd);
	}
	while (m->clients) {
		struct metrics_client *cl = m->clients;

		client_close(cl);
		loop_defer_cancel(&m->sw->loop, &cl->free_defer);
		client_free(&cl->free_defer);
	}
}
