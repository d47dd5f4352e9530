/* SPDX-License-Identifier: MIT */
/*
 * test_http_req.c - HTTP request heads (src/proto/http_req.c): what a
 * scraper sends is accepted, whole or arriving byte by byte; every
 * malformation of RFC 9112 the parser promises to refuse is refused; the
 * limits hold at their edges.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/http_req.h"

static struct http_req req;

static int
parse(const char *s)
{
	return http_req_parse(s, strlen(s), &req);
}

static void
test_prometheus_scrape(void **state)
{
	const char *s = "GET /metrics HTTP/1.1\r\n"
			"Host: 127.0.0.1:9109\r\n"
			"User-Agent: Prometheus/2.42.0\r\n"
			"Accept: text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
			"X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
			"\r\n";

	(void)state;
	assert_int_equal(parse(s), (int)strlen(s));
	assert_int_equal(req.method, HTTP_METHOD_GET);
	assert_string_equal(req.method_text, "GET");
	assert_string_equal(req.path, "/metrics");
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.n_fields, 4);
	assert_int_equal(req.head_len, strlen(s));
}

/* Every prefix is incomplete; the whole is complete (as a slow client). */
static void
test_byte_by_byte(void **state)
{
	const char *s = "HEAD /metrics?x=1 HTTP/1.0\r\nAccept: */*\r\n\r\n";
	size_t n = strlen(s);

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(http_req_parse(s, i, &req), 0);
	assert_int_equal(http_req_parse(s, n, &req), (int)n);
	assert_int_equal(req.method, HTTP_METHOD_HEAD);
	assert_string_equal(req.path, "/metrics");
	assert_int_equal(req.minor, 0);
}

/* What follows the head (a body, the next request) is not read. */
static void
test_trailing_bytes(void **state)
{
	const char *head = "POST /x HTTP/1.1\r\nHost: a\r\n\r\n";
	char buf[128];

	(void)state;
	snprintf(buf, sizeof(buf), "%s%s", head, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(buf), (int)strlen(head));
	assert_int_equal(req.method, HTTP_METHOD_OTHER);
	assert_string_equal(req.method_text, "POST");
	assert_string_equal(req.path, "/x");
}

static void
test_forms(void **state)
{
	(void)state;
	/* Bare LF line ends, leading empty lines. */
	assert_true(parse("\r\n\nGET /metrics HTTP/1.1\nHost: a\n\n") > 0);
	assert_string_equal(req.path, "/metrics");
	assert_true(parse("GET http://h:1/metrics?q HTTP/1.1\r\nHost: h\r\n\r\n") >
		    0);
	assert_string_equal(req.path, "/metrics");
	assert_true(parse("GET HTTP://h HTTP/1.0\r\n\r\n") > 0);
	assert_string_equal(req.path, "/");
	assert_true(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_string_equal(req.path, "*");
	assert_int_equal(req.method, HTTP_METHOD_OTHER);
	/* A long token method is kept, cut, and is not GET. */
	assert_true(parse("GETTINGVERYLONGMETHOD / HTTP/1.0\r\n\r\n") > 0);
	assert_int_equal(req.method, HTTP_METHOD_OTHER);
	assert_int_equal(strlen(req.method_text), HTTP_REQ_METHOD_MAX - 1);
	/* Methods are case-sensitive. */
	assert_true(parse("get / HTTP/1.0\r\n\r\n") > 0);
	assert_int_equal(req.method, HTTP_METHOD_OTHER);
	/* OWS, empty values and obs-text in values. */
	assert_true(parse("GET / HTTP/1.1\r\nhOsT:a\r\nX:\r\nY: \t\xe9\r\n\r\n") > 0);
	assert_int_equal(req.n_fields, 3);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"GET /metrics HTTP/1.1\r\n\r\n",		/* no Host */
		"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nNo colon\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.12\r\n\r\n",
		"GET / http/1.1\r\nHost: a\r\n\r\n",
		"GET metrics HTTP/1.0\r\n\r\n",
		"GET /a#b HTTP/1.0\r\n\r\n",
		"GET /\x80 HTTP/1.0\r\n\r\n",
		"GET http:/// HTTP/1.0\r\n\r\n",
		"G(T / HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.0\r\r\n\r\n",
		"\r\n\r\n\r\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (parse(bad[i]) != -EINVAL)
			fail_msg("accepted #%zu: %s", i, bad[i]);
	/* An embedded NUL is a control character too. */
	static const char nul[] = "GET / HTTP/1.0\r\nX: a\0b\r\n\r\n";

	assert_int_equal(http_req_parse(nul, sizeof(nul) - 1, &req), -EINVAL);
}

static void
test_limits(void **state)
{
	static char buf[HTTP_REQ_HEAD_MAX + 64];
	size_t n;

	(void)state;
	/* A path of HTTP_REQ_PATH_MAX - 1 bytes fits; one more does not. */
	n = (size_t)snprintf(buf, 64, "GET /");
	memset(buf + n, 'a', HTTP_REQ_PATH_MAX - 2);
	n += HTTP_REQ_PATH_MAX - 2;
	n += (size_t)sprintf(buf + n, " HTTP/1.0\r\n\r\n");
	assert_int_equal(http_req_parse(buf, n, &req), (int)n);
	assert_int_equal(strlen(req.path), HTTP_REQ_PATH_MAX - 1);
	memmove(buf + 5, buf + 4, n - 4);
	assert_int_equal(http_req_parse(buf, n + 1, &req), -EMSGSIZE);
	/* HTTP_REQ_FIELDS_MAX fields fit; one more does not. */
	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)sprintf(buf, "GET / HTTP/1.0\r\n");
		for (int i = 0; i < HTTP_REQ_FIELDS_MAX + extra; i++)
			n += (size_t)sprintf(buf + n, "X-%d: v\r\n", i);
		n += (size_t)sprintf(buf + n, "\r\n");
		assert_int_equal(http_req_parse(buf, n, &req),
				 extra ? -EMSGSIZE : (int)n);
	}
	/* A head of exactly HTTP_REQ_HEAD_MAX bytes fits; without its
	 * end there, it is too large, whatever follows. */
	n = (size_t)sprintf(buf, "GET / HTTP/1.0\r\nX: ");
	memset(buf + n, 'v', HTTP_REQ_HEAD_MAX - n - 4);
	memcpy(buf + HTTP_REQ_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(http_req_parse(buf, HTTP_REQ_HEAD_MAX, &req),
			 HTTP_REQ_HEAD_MAX);
	assert_int_equal(http_req_parse(buf, HTTP_REQ_HEAD_MAX - 1, &req), 0);
	memcpy(buf + HTTP_REQ_HEAD_MAX - 4, "vv\r\n\r\n", 6);
	assert_int_equal(http_req_parse(buf, HTTP_REQ_HEAD_MAX + 2, &req),
			 -EMSGSIZE);
	assert_int_equal(http_req_parse(buf, HTTP_REQ_HEAD_MAX - 1, &req), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus_scrape),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
