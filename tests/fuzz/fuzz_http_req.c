/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http_req.c - http_req_parse() on what a metrics client might send,
 * passed in an exact-size copy without a terminating NUL as the server
 * passes its buffer.  Checks the contract: a success names a head length
 * within the input that ends in an empty line, a terminated path that
 * starts with '/' (or is "*"), a method that is a token, HTTP/1.0 or 1.1;
 * the head alone gives the same result and one byte less "incomplete";
 * failures are -EINVAL or -EMSGSIZE only.
 */
#include "proto/http_req.h"

#include <errno.h>

#include "fuzz.h"

static void
check_ok(const char *buf, size_t size, int ret, const struct http_req *r)
{
	size_t n = (size_t)ret;

	FUZZ_CHECK(n == r->head_len && n <= size && n <= HTTP_REQ_HEAD_MAX);
	FUZZ_CHECK(n >= 2 && buf[n - 1] == '\n');
	FUZZ_CHECK(buf[n - 2] == '\n' ||
	           (n >= 3 && buf[n - 2] == '\r' && buf[n - 3] == '\n'));
	FUZZ_CHECK(memchr(r->path, '\0', sizeof(r->path)));
	FUZZ_CHECK(r->path[0] == '/' || strcmp(r->path, "*") == 0);
	FUZZ_CHECK(!strchr(r->path, '?') && !strchr(r->path, ' '));
	FUZZ_CHECK(memchr(r->method_text, '\0', sizeof(r->method_text)));
	FUZZ_CHECK(r->method_text[0]);
	FUZZ_CHECK(r->minor <= 1);
	FUZZ_CHECK(r->n_fields <= HTTP_REQ_FIELDS_MAX);
	FUZZ_CHECK((r->method == HTTP_METHOD_GET) ==
	           (strcmp(r->method_text, "GET") == 0));
	FUZZ_CHECK((r->method == HTTP_METHOD_HEAD) ==
	           (strcmp(r->method_text, "HEAD") == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = (char *)fuzz_dup(data, size);
	struct http_req req, again;
	int ret = http_req_parse(buf, size, &req);

	FUZZ_CHECK(ret >= 0 || ret == -EINVAL || ret == -EMSGSIZE);
	if (ret > 0) {
		check_ok(buf, size, ret, &req);
		/* The head alone gives the same answer; one byte less is
		 * incomplete: every line before the last one was valid. */
		FUZZ_CHECK(http_req_parse(buf, (size_t)ret, &again) == ret);
		FUZZ_CHECK(memcmp(&req, &again, sizeof(req)) == 0);
		ret = http_req_parse(buf, (size_t)ret - 1, &again);
		FUZZ_CHECK(ret == 0);
	} else if (ret == 0) {
		FUZZ_CHECK(size < HTTP_REQ_HEAD_MAX);
	}
	free(buf);
	return 0;
}
