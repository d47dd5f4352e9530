/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - Prometheus metrics over HTTP (--metrics ADDR:PORT): the
 * switch's counters in the text exposition format 0.0.4 at GET /metrics.
 * Every metric is listed in docs/metrics.md.
 *
 * Theory of operation
 *
 * The listener and its clients are ordinary fds of lanyard's event loop;
 * nothing blocks and there is no thread.  A client's request head is read
 * into a fixed buffer (HTTP_REQ_HEAD_MAX bytes) and parsed with
 * proto/http_req.c after every read.  Once it is complete (or malformed,
 * or too large) the whole response is built at once from the live
 * counters, so one scrape is one consistent snapshot, and written as the
 * socket takes it.  Then the server half-closes and reads what the
 * client may still send until it closes too (a "lingering close": closing
 * with unread input would reset the connection and could destroy the
 * response in flight).  One request per connection.
 *
 * Limits: METRICS_MAX_CLIENTS connections at once (more are accepted and
 * closed at once); a client has METRICS_REQ_TIMEOUT_MS from connecting to
 * send its request head, METRICS_TX_TIMEOUT_MS for each write to make
 * progress, and METRICS_LINGER_MS to close after the response; a response
 * is at most METRICS_BODY_MAX bytes (beyond: 500).  So a client that
 * sends nothing, or reads nothing, costs at most one buffer for a few
 * seconds and never holds the switch up.
 *
 * The cost of a scrape is proportional to the number of ports (about 3 KB
 * of text each), spent in one loop iteration.
 */
#ifndef LANYARD_CTL_METRICS_H
#define LANYARD_CTL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"
#include "proto/http_req.h"

#define METRICS_MAX_CLIENTS 16
#define METRICS_REQ_TIMEOUT_MS 5000
#define METRICS_TX_TIMEOUT_MS 10000
#define METRICS_LINGER_MS 2000
#define METRICS_BODY_MAX (64u << 20)

struct sw;
struct metrics_client;

/* A growing text buffer; once an append fails, 'failed' stays set. */
struct metrics_buf {
	char *data;
	size_t len, cap;
	bool failed; /* out of memory or beyond METRICS_BODY_MAX */
};

struct metrics {
	struct sw *sw;
	struct loop_fd lfd;
	char addr[80]; /* where it listens, "127.0.0.1:9109" */
	unsigned int n_clients;
	struct metrics_client *clients;
	uint64_t refused; /* connections beyond METRICS_MAX_CLIENTS */
};

__attribute__((format(printf, 2, 3))) void
metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...);
void metrics_buf_append(struct metrics_buf *b, const char *s, size_t len);
void metrics_buf_escaped(struct metrics_buf *b, const char *s, bool quote);
void metrics_buf_fini(struct metrics_buf *b);
void metrics_render(const struct sw *sw, struct metrics_buf *b);
int metrics_respond(const struct sw *sw, int parsed, const struct http_req *req,
                    struct metrics_buf *out);
int metrics_open(struct metrics *m, struct sw *sw,
                 const struct sockaddr_storage *ss, socklen_t len, char *err);
void metrics_close(struct metrics *m);

#endif /* LANYARD_CTL_METRICS_H */
