/* SPDX-License-Identifier: MIT */
/*
 * http_req.h - the head of an HTTP/1.x request (request line and header
 * fields, RFC 9112), parsed from a buffer as it arrives.  Pure: the metrics
 * listener (ctl/metrics.c) feeds it what a client sent, the unit tests and
 * the fuzz target feed it anything.
 *
 * Only what a metrics scraper needs is kept: the method, the path (the
 * query is split off) and the version.  Bodies are not read: the server
 * answers one request per connection and closes it.
 */
#ifndef LANYARD_PROTO_HTTP_REQ_H
#define LANYARD_PROTO_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_REQ_HEAD_MAX 8192 /* request line + fields, bytes */
#define HTTP_REQ_FIELDS_MAX 64 /* header fields */
#define HTTP_REQ_METHOD_MAX 16 /* method, with its NUL */
#define HTTP_REQ_PATH_MAX 512  /* path, with its NUL */

enum http_method {
	HTTP_METHOD_OTHER = 0, /* a valid token the server does not serve */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
};

struct http_req {
	enum http_method method;
	char method_text[HTTP_REQ_METHOD_MAX];
	char path[HTTP_REQ_PATH_MAX]; /* "/metrics", query removed */
	unsigned int minor;           /* HTTP/1.<minor>: 0 or 1 */
	unsigned int n_fields;
	size_t head_len; /* bytes up to the empty line, included */
};

int http_req_parse(const char *buf, size_t len, struct http_req *req);

#endif /* LANYARD_PROTO_HTTP_REQ_H */
