/* SPDX-License-Identifier: MIT */
/*
 * test_opts.c - QEMU-style "kind,key=value" port specs (src/proto/opts.c):
 * splitting, ",," escapes, list continuation, the typed getters and every
 * rejection, each of which must leave a message naming what was wrong.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/util.h"
#include "proto/opts.h"

/* A message: non-empty, NUL-terminated within ERR_LEN, naming @needle. */
static void
assert_err(const char *err, const char *needle)
{
	size_t len = strnlen(err, ERR_LEN);

	assert_true(len > 0 && len < ERR_LEN);
	if (needle && !strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

/* Parse @spec expecting success; the err buffer must stay untouched. */
static void
parse_ok(const char *spec, struct opts *o)
{
	char err[ERR_LEN] = "";
	int ret = opts_parse(spec, o, err);

	if (ret)
		fail_msg("'%s' rejected: %s", spec, err);
}

/* Parse @spec expecting -EINVAL with a message that mentions @needle. */
static void
parse_bad(const char *spec, const char *needle)
{
	static struct opts o;
	char err[ERR_LEN];

	memset(err, 0, sizeof(err));
	if (opts_parse(spec, &o, err) != -EINVAL)
		fail_msg("'%s' accepted", spec);
	assert_err(err, needle);
}

static void
assert_item(const struct opts *o, unsigned int i, const char *key,
            const char *value)
{
	assert_true(i < o->n);
	assert_string_equal(o->items[i].key, key);
	assert_string_equal(o->items[i].value, value);
	assert_false(o->items[i].used);
}

static void
test_kind_only(void **state)
{
	static struct opts o;

	(void)state;
	parse_ok("stream", &o);
	assert_string_equal(o.kind, "stream");
	assert_int_equal(o.n, 0);
	parse_ok("x", &o);
	assert_string_equal(o.kind, "x");
}

static void
test_key_values(void **state)
{
	static struct opts o;

	(void)state;
	parse_ok("stream,id=vm1,path=/run/x.sock,server=on", &o);
	assert_string_equal(o.kind, "stream");
	assert_int_equal(o.n, 3);
	assert_item(&o, 0, "id", "vm1");
	assert_item(&o, 1, "path", "/run/x.sock");
	assert_item(&o, 2, "server", "on");
	/* Only the first '=' splits; an empty value is kept as such. */
	parse_ok("dgram,a=b=c,e=", &o);
	assert_item(&o, 0, "a", "b=c");
	assert_item(&o, 1, "e", "");
	/* A re-parse starts from scratch. */
	parse_ok("mcast", &o);
	assert_int_equal(o.n, 0);
}

static void
test_escape(void **state)
{
	static struct opts o;

	(void)state;
	parse_ok("stream,id=vm1,path=/tmp/a,,b.sock", &o);
	assert_int_equal(o.n, 2);
	assert_item(&o, 1, "path", "/tmp/a,b.sock");
	/* ",," then a separating ',' */
	parse_ok("stream,path=x,,,id=y", &o);
	assert_int_equal(o.n, 2);
	assert_item(&o, 0, "path", "x,");
	assert_item(&o, 1, "id", "y");
	/* a value ending in an escaped comma at the end of the spec */
	parse_ok("stream,path=x,,", &o);
	assert_item(&o, 0, "path", "x,");
	parse_ok("stream,path=,,,,", &o);
	assert_item(&o, 0, "path", ",,");
	/* an escaped comma in the kind is part of the kind */
	parse_ok("st,,ream,id=a", &o);
	assert_string_equal(o.kind, "st,ream");
	assert_item(&o, 0, "id", "a");
}

static void
test_list_continuation(void **state)
{
	static struct opts o;

	(void)state;
	parse_ok("stream,id=t,trunk=1,10-20,native=5", &o);
	assert_int_equal(o.n, 3);
	assert_item(&o, 0, "id", "t");
	assert_item(&o, 1, "trunk", "1,10-20");
	assert_item(&o, 2, "native", "5");
	parse_ok("stream,trunk=1,2,3-4,5", &o);
	assert_int_equal(o.n, 1);
	assert_item(&o, 0, "trunk", "1,2,3-4,5");
	/* an escaped comma inside a continued list stays a comma */
	parse_ok("stream,trunk=1,,2,3", &o);
	assert_item(&o, 0, "trunk", "1,2,3");
}

static void
test_max_pairs(void **state)
{
	static struct opts o;
	char spec[OPTS_SPEC_MAX];
	size_t off;

	(void)state;
	off = (size_t)snprintf(spec, sizeof(spec), "stream");
	for (int i = 0; i < OPTS_MAX; i++)
		off += (size_t)snprintf(spec + off, sizeof(spec) - off,
		                        ",k%d=%d", i, i);
	parse_ok(spec, &o);
	assert_int_equal(o.n, OPTS_MAX);
	assert_item(&o, OPTS_MAX - 1, "k31", "31");
	/* one more pair is refused */
	snprintf(spec + off, sizeof(spec) - off, ",extra=1");
	parse_bad(spec, "32");
	/* a list continuation is not a pair: still fine at the limit */
	snprintf(spec + off, sizeof(spec) - off, ",77");
	parse_ok(spec, &o);
	assert_item(&o, OPTS_MAX - 1, "k31", "31,77");
}

static void
test_spec_length(void **state)
{
	static struct opts o;
	static char spec[OPTS_SPEC_MAX + 2];
	const char *prefix = "stream,path=";
	size_t plen = strlen(prefix);

	(void)state;
	/* OPTS_SPEC_MAX - 1 bytes fit */
	memset(spec, 'x', sizeof(spec));
	memcpy(spec, prefix, plen);
	spec[OPTS_SPEC_MAX - 1] = '\0';
	parse_ok(spec, &o);
	assert_int_equal(strlen(o.items[0].value), OPTS_SPEC_MAX - 1 - plen);
	/* ... and the same length made only of escapes */
	memset(spec + plen, ',', OPTS_SPEC_MAX - 1 - plen);
	if ((OPTS_SPEC_MAX - 1 - plen) % 2)
		spec[plen] = 'y';
	parse_ok(spec, &o);
	/* one more byte is refused, with the limit in the message */
	memset(spec, 'x', sizeof(spec));
	memcpy(spec, prefix, plen);
	spec[OPTS_SPEC_MAX] = '\0';
	parse_bad(spec, "1023");
}

static void
test_parse_rejections(void **state)
{
	(void)state;
	/* no kind */
	parse_bad("", "kind");
	parse_bad(",id=vm1", "kind");
	parse_bad("id=vm1", "kind");
	parse_bad("=x", "kind");
	/* a bare word with no key=value before it */
	parse_bad("stream,vm1", "vm1");
	parse_bad("stream,vm1,id=x", "vm1");
	/* empty key */
	parse_bad("stream,=x", "key");
	parse_bad("stream,id=a,=", "key");
	/* duplicate key, named */
	parse_bad("stream,id=a,id=b", "'id'");
	parse_bad("stream,id=a,path=p,trunk=1,2,path=q", "'path'");
	/* trailing separator */
	parse_bad("stream,", "','");
	parse_bad("stream,id=a,", "','");
	parse_bad("stream,trunk=1,2,", "','");
}

static void
test_get(void **state)
{
	static struct opts o;
	char err[ERR_LEN] = "";
	const char *v;
	int st = 99;

	(void)state;
	parse_ok("stream,id=vm1,addr.path=/p,pathx=1,pat=2", &o);
	/* absent: NULL, no error */
	assert_null(opts_get(&o, "host", err, &st));
	assert_int_equal(st, 0);
	/* exact names only: neither a prefix nor an extension matches */
	assert_null(opts_get(&o, "path", err, &st));
	assert_int_equal(st, 0);
	/* found under its second name, and marked used */
	v = opts_get(&o, "path|addr.path", err, &st);
	assert_int_equal(st, 0);
	assert_non_null(v);
	assert_string_equal(v, "/p");
	assert_true(o.items[1].used);
	assert_false(o.items[0].used);
	v = opts_get(&o, "id", err, &st);
	assert_string_equal(v, "vm1");
	assert_true(o.items[0].used);
	/* an empty value is still a value for opts_get() */
	parse_ok("stream,e=", &o);
	v = opts_get(&o, "e", err, &st);
	assert_non_null(v);
	assert_string_equal(v, "");
}

static void
test_get_conflict(void **state)
{
	static struct opts o;
	char err[ERR_LEN] = "";
	const char *s = "unchanged";
	uint32_t u = 7;
	bool b = true;
	int st = 0;

	(void)state;
	parse_ok("stream,path=/a,addr.path=/b", &o);
	assert_null(opts_get(&o, "path|addr.path", err, &st));
	assert_int_equal(st, -EINVAL);
	assert_err(err, "'path'");
	assert_err(err, "'addr.path'");

	memset(err, 0, sizeof(err));
	assert_int_equal(opts_get_str(&o, "addr.path|path", &s, err), -EINVAL);
	assert_err(err, "path");
	assert_string_equal(s, "unchanged");

	parse_ok("stream,port=1,addr.port=2,on=yes,enable=no", &o);
	memset(err, 0, sizeof(err));
	assert_int_equal(opts_get_u32(&o, "port|addr.port", 0, 9, &u, err),
	                 -EINVAL);
	assert_err(err, "addr.port");
	assert_int_equal(u, 7);
	memset(err, 0, sizeof(err));
	assert_int_equal(opts_get_bool(&o, "on|enable", &b, err), -EINVAL);
	assert_err(err, "enable");
	assert_true(b);
}

static void
test_get_str(void **state)
{
	static struct opts o;
	char err[ERR_LEN] = "";
	const char *s = "unchanged";

	(void)state;
	parse_ok("stream,id=vm1,path=", &o);
	assert_int_equal(opts_get_str(&o, "host", &s, err), 0);
	assert_string_equal(s, "unchanged");
	assert_int_equal(opts_get_str(&o, "id", &s, err), 1);
	assert_string_equal(s, "vm1");
	s = "unchanged";
	assert_int_equal(opts_get_str(&o, "path", &s, err), -EINVAL);
	assert_err(err, "path");
	assert_string_equal(s, "unchanged");
}

static void
test_get_u32(void **state)
{
	static struct opts o;
	char err[ERR_LEN] = "";
	uint32_t v = 42;

	(void)state;
	parse_ok("stream,port=5555,lo=1,hi=65535,hex=0x10,zero=0", &o);
	assert_int_equal(opts_get_u32(&o, "absent", 0, 10, &v, err), 0);
	assert_int_equal(v, 42);
	assert_int_equal(opts_get_u32(&o, "port", 1, 65535, &v, err), 1);
	assert_int_equal(v, 5555);
	/* bounds are inclusive */
	assert_int_equal(opts_get_u32(&o, "lo", 1, 65535, &v, err), 1);
	assert_int_equal(v, 1);
	assert_int_equal(opts_get_u32(&o, "hi", 1, 65535, &v, err), 1);
	assert_int_equal(v, 65535);
	assert_int_equal(opts_get_u32(&o, "hex", 0, 100, &v, err), 1);
	assert_int_equal(v, 16);
	assert_int_equal(opts_get_u32(&o, "zero", 0, 0, &v, err), 1);
	assert_int_equal(v, 0);
}

/* @value for key "n" within [min, max] must be refused, naming both. */
static void
u32_bad(const char *value, uint32_t min, uint32_t max)
{
	static struct opts o;
	char spec[128], err[ERR_LEN];
	uint32_t v = 42;

	snprintf(spec, sizeof(spec), "stream,n=%s", value);
	parse_ok(spec, &o);
	memset(err, 0, sizeof(err));
	if (opts_get_u32(&o, "n", min, max, &v, err) != -EINVAL)
		fail_msg("n=%s accepted for [%u, %u]", value, min, max);
	assert_int_equal(v, 42);
	if (*value) {
		char both[64];

		snprintf(both, sizeof(both), "'n=%s'", value);
		assert_err(err, both);
	} else {
		assert_err(err, "'n'");
	}
}

static void
test_get_u32_rejections(void **state)
{
	(void)state;
	u32_bad("", 0, 10);         /* empty value */
	u32_bad("0", 1, 65535);     /* below min */
	u32_bad("65536", 1, 65535); /* above max */
	u32_bad("0x10000", 1, 65535);
	u32_bad("4294967296", 0, UINT32_MAX);
	u32_bad("99999999999999999999999", 0, UINT32_MAX);
	u32_bad("-1", 0, 10);
	u32_bad("+1", 0, 10);
	u32_bad("abc", 0, 10);
	u32_bad("1a", 0, 100);
	u32_bad("1 ", 0, 100);
	u32_bad("0x", 0, 100);
	u32_bad("0xg", 0, 100);
	u32_bad("1.5", 0, 100);
}

static void
test_parse_u32(void **state)
{
	uint32_t v = 0;

	(void)state;
	assert_int_equal(opts_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(opts_parse_u32("0xffffffff", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(opts_parse_u32("0XaBcD", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0xabcd);
	assert_int_equal(opts_parse_u32("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	v = 5;
	assert_int_equal(opts_parse_u32("", 0, 10, &v), -1);
	assert_int_equal(opts_parse_u32("0x100000000", 0, UINT32_MAX, &v), -1);
	assert_int_equal(opts_parse_u32("11", 0, 10, &v), -1);
	assert_int_equal(opts_parse_u32("9", 10, 20, &v), -1);
	assert_int_equal(opts_parse_u32("ff", 0, 1000, &v), -1);
	assert_int_equal(v, 5);
}

static void
test_bool(void **state)
{
	static const char *const yes[] = {"on", "yes", "true"};
	static const char *const no[] = {"off", "no", "false"};
	static const char *const junk[] = {"",     "1",   "0",  "o",
	                                   "onn",  "y",   "n",  "tru",
	                                   "offf", " on", "on "};
	bool b;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		b = false;
		assert_int_equal(opts_parse_bool(yes[i], &b), 0);
		assert_true(b);
		b = true;
		assert_int_equal(opts_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
		b = true;
		if (opts_parse_bool(junk[i], &b) != -1)
			fail_msg("'%s' taken as a boolean", junk[i]);
		assert_true(b);
	}
}

static void
test_get_bool(void **state)
{
	static struct opts o;
	char err[ERR_LEN];
	bool b = false;

	(void)state;
	parse_ok("stream,server=on,ipv6=false,x=maybe,e=", &o);
	assert_int_equal(opts_get_bool(&o, "absent", &b, err), 0);
	assert_false(b);
	assert_int_equal(opts_get_bool(&o, "server", &b, err), 1);
	assert_true(b);
	assert_int_equal(opts_get_bool(&o, "ipv6", &b, err), 1);
	assert_false(b);
	memset(err, 0, sizeof(err));
	b = true;
	assert_int_equal(opts_get_bool(&o, "x", &b, err), -EINVAL);
	assert_err(err, "x=maybe");
	assert_true(b);
	memset(err, 0, sizeof(err));
	assert_int_equal(opts_get_bool(&o, "e", &b, err), -EINVAL);
	assert_err(err, "'e'");
	assert_true(b);
}

static void
test_check_unused(void **state)
{
	static struct opts o;
	char err[ERR_LEN] = "";
	const char *s;
	uint32_t u;
	bool b;

	(void)state;
	parse_ok("stream,id=vm1,port=5,server=on", &o);
	assert_int_equal(opts_get_str(&o, "id", &s, err), 1);
	assert_int_equal(opts_get_u32(&o, "port", 0, 9, &u, err), 1);
	memset(err, 0, sizeof(err));
	assert_int_equal(opts_check_unused(&o, err), -EINVAL);
	assert_err(err, "'server'");
	assert_err(err, "'stream'");
	assert_int_equal(opts_get_bool(&o, "server", &b, err), 1);
	assert_int_equal(opts_check_unused(&o, err), 0);

	/* the first unknown key is named; a spec with none is fine */
	parse_ok("dgram,id=a,bogus=1,other=2", &o);
	assert_int_equal(opts_get_str(&o, "id", &s, err), 1);
	memset(err, 0, sizeof(err));
	assert_int_equal(opts_check_unused(&o, err), -EINVAL);
	assert_err(err, "'bogus'");
	assert_err(err, "'dgram'");
	parse_ok("dgram", &o);
	assert_int_equal(opts_check_unused(&o, err), 0);

	/* a value rejected by a getter still counts as asked for */
	parse_ok("stream,port=x", &o);
	assert_int_equal(opts_get_u32(&o, "port", 0, 9, &u, err), -EINVAL);
	assert_int_equal(opts_check_unused(&o, err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_only),
		cmocka_unit_test(test_key_values),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_list_continuation),
		cmocka_unit_test(test_max_pairs),
		cmocka_unit_test(test_spec_length),
		cmocka_unit_test(test_parse_rejections),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_conflict),
		cmocka_unit_test(test_get_str),
		cmocka_unit_test(test_get_u32),
		cmocka_unit_test(test_get_u32_rejections),
		cmocka_unit_test(test_parse_u32),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_get_bool),
		cmocka_unit_test(test_check_unused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
