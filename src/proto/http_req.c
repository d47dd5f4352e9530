/* SPDX-License-Identifier: MIT */
/*
 * http_req.c - HTTP/1.x request heads, strictly (RFC 9112 sections 2-5):
 *
 *   request-line = method SP request-target SP HTTP-version CRLF
 *   field-line   = field-name ":" OWS field-value OWS CRLF
 *
 * with single spaces in the request line, no whitespace before a colon,
 * no obs-fold, no control characters, a Host field (exactly one) in
 * HTTP/1.1.  Lines may end in a bare LF, and empty lines before the
 * request line are skipped, as the RFC allows a recipient.  The request
 * target is origin-form ("/path?query"), absolute-form
 * ("http://host/path") or "*".  Nothing is decoded.
 */
#include "proto/http_req.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Visible ASCII: what a request target and a version are made of. */
static bool
is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* A field value's bytes: HTAB, SP, VCHAR and obs-text. */
static bool
is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The token at @s (up to @len bytes); its length, or 0 if there is none. */
static size_t
token_len(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && is_tchar((unsigned char)s[n]))
		n++;
	return n;
}

/* Copy the path of request target @t (@len bytes) into @req. */
static int
parse_target(const char *t, size_t len, struct http_req *req)
{
	size_t n;

	for (size_t i = 0; i < len; i++)
		if (!is_vchar((unsigned char)t[i]) || t[i] == '#')
			return -EINVAL;
	if (len >= 7 && strncasecmp(t, "http://", 7) == 0) {
		const char *slash = memchr(t + 7, '/', len - 7);

		if (slash == t + 7)
			return -EINVAL; /* no authority */
		if (!slash) {
			snprintf(req->path, sizeof(req->path), "/");
			return 0;
		}
		len -= (size_t)(slash - t);
		t = slash;
	}
	if (len == 1 && t[0] == '*') {
		snprintf(req->path, sizeof(req->path), "*");
		return 0;
	}
	if (len == 0 || t[0] != '/')
		return -EINVAL;
	n = len;
	if (memchr(t, '?', len))
		n = (size_t)((const char *)memchr(t, '?', len) - t);
	if (n >= sizeof(req->path))
		return -EMSGSIZE;
	memcpy(req->path, t, n);
	req->path[n] = '\0';
	return 0;
}

static int
parse_request_line(const char *s, size_t len, struct http_req *req)
{
	size_t m = token_len(s, len), tlen;
	const char *t, *sp;
	int ret;

	if (m == 0 || m >= len || s[m] != ' ')
		return -EINVAL;
	snprintf(req->method_text, sizeof(req->method_text), "%.*s",
	         (int)MIN(m, sizeof(req->method_text) - 1), s);
	if (m == 3 && memcmp(s, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if (m == 4 && memcmp(s, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;
	t = s + m + 1;
	sp = memchr(t, ' ', len - m - 1);
	if (!sp)
		return -EINVAL;
	tlen = (size_t)(sp - t);
	if ((ret = parse_target(t, tlen, req)))
		return ret;
	len -= m + 1 + tlen + 1;
	if (len != 8 || memcmp(sp + 1, "HTTP/1.", 7) != 0 ||
	    (sp[8] != '0' && sp[8] != '1'))
		return -EINVAL;
	req->minor = (unsigned int)(sp[8] - '0');
	return 0;
}

/* One header field line; counts Host fields in @hosts. */
static int
parse_field(const char *s, size_t len, unsigned int *hosts)
{
	size_t n = token_len(s, len);

	if (n == 0 || n == len || s[n] != ':')
		return -EINVAL;
	for (size_t i = n + 1; i < len; i++)
		if (!is_field_char((unsigned char)s[i]))
			return -EINVAL;
	if (n == 4 && strncasecmp(s, "host", 4) == 0)
		(*hosts)++;
	return 0;
}

/* The line ending at @nl: without its LF or CRLF; a bare CR is refused. */
static int
line_len(const char *s, const char *nl, size_t *len)
{
	*len = (size_t)(nl - s);
	if (*len && s[*len - 1] == '\r')
		(*len)--;
	return memchr(s, '\r', *len) ? -EINVAL : 0;
}

/**
 * http_req_parse() - parse the request head at the start of @buf
 * @buf: what the client sent so far (not NUL-terminated)
 * @len: its length
 * @req: filled on success; undefined otherwise
 *
 * Call again with the longer buffer after 0.  Bytes after the head (a
 * body, a next request) are not looked at.
 *
 * Return: the head's length in bytes (> 0) when it is complete and valid;
 * 0 when more is needed; -EINVAL when it is malformed (answer 400);
 * -EMSGSIZE when it is longer than HTTP_REQ_HEAD_MAX, has more than
 * HTTP_REQ_FIELDS_MAX fields or a path longer than HTTP_REQ_PATH_MAX
 * (answer 400 too).
 */
int
http_req_parse(const char *buf, size_t len, struct http_req *req)
{
	const char *s = buf, *end = buf + MIN(len, HTTP_REQ_HEAD_MAX), *nl;
	unsigned int hosts = 0;
	bool have_line = false;
	size_t n;
	int ret;

	memset(req, 0, sizeof(*req));
	while ((nl = memchr(s, '\n', (size_t)(end - s)))) {
		if ((ret = line_len(s, nl, &n)))
			return ret;
		if (!have_line && n == 0) {
			s = nl + 1; /* empty lines before the request */
			continue;
		}
		if (!have_line) {
			if ((ret = parse_request_line(s, n, req)))
				return ret;
			have_line = true;
		} else if (n == 0) {
			if (req->minor == 1 && hosts != 1)
				return -EINVAL;
			req->head_len = (size_t)(nl + 1 - buf);
			return (int)req->head_len;
		} else if (req->n_fields++ == HTTP_REQ_FIELDS_MAX) {
			return -EMSGSIZE;
		} else if ((ret = parse_field(s, n, &hosts))) {
			return ret;
		}
		s = nl + 1;
	}
	return len >= HTTP_REQ_HEAD_MAX ? -EMSGSIZE : 0;
}
