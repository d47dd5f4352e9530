/* SPDX-License-Identifier: MIT */
/*
 * test_config.c - unit tests of the configuration file parser
 * (proto/config.h): names and values, comments and blank lines, "--NAME",
 * values with spaces, CRLF, a missing final newline, and errors that name
 * their line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "proto/config.h"

struct rec {
	unsigned int n;
	char seen[16][160];	/* "LINE NAME=VALUE" or "LINE NAME" */
	const char *refuse;	/* a name the callback refuses */
};

static int
record(void *ctx, unsigned int line, const char *name, const char *value,
       char *err)
{
	struct rec *r = ctx;

	if (r->refuse && !strcmp(name, r->refuse))
		return ERR_SET(err, -EINVAL, "--%s: refused", name);
	assert_true(r->n < 16);
	if (value)
		snprintf(r->seen[r->n++], sizeof(r->seen[0]), "%u %s=%s", line,
			 name, value);
	else
		snprintf(r->seen[r->n++], sizeof(r->seen[0]), "%u %s", line,
			 name);
	return 0;
}

static int
parse(const char *text, struct rec *r, char *err)
{
	return config_parse(text, strlen(text), record, r, err);
}

static void
test_lines(void **state)
{
	struct rec r = { 0 };
	char err[ERR_LEN] = "";
	const char *text = "# lanyard.conf\n"
			   "\n"
			   "port stream,id=vm,path=/run/lanyard/vm.sock\n"
			   "  --fdb-size   1024  \n"
			   "\t# indented comment\n"
			   "ctl /run/my dir/ctl.sock\r\n"
			   "version\n"
			   "port tap,id=host";

	(void)state;
	assert_int_equal(parse(text, &r, err), 0);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.seen[0],
			    "3 port=stream,id=vm,path=/run/lanyard/vm.sock");
	assert_string_equal(r.seen[1], "4 fdb-size=1024");
	assert_string_equal(r.seen[2], "6 ctl=/run/my dir/ctl.sock");
	assert_string_equal(r.seen[3], "7 version");
	assert_string_equal(r.seen[4], "8 port=tap,id=host");
}

static void
test_empty(void **state)
{
	struct rec r = { 0 };
	char err[ERR_LEN] = "";

	(void)state;
	assert_int_equal(parse("", &r, err), 0);
	assert_int_equal(parse("\n\n# only comments\n   \n", &r, err), 0);
	assert_int_equal(r.n, 0);
}

static void
test_errors_name_the_line(void **state)
{
	struct rec r = { 0 };
	char err[ERR_LEN] = "";
	char big[CONFIG_LINE_MAX + 32];

	(void)state;
	assert_int_equal(parse("port a\nPort b\n", &r, err), -EINVAL);
	assert_string_equal(err, "line 2: 'Port' is not an option name");
	assert_int_equal(parse("\n\n=x\n", &r, err), -EINVAL);
	assert_string_equal(err, "line 3: '=x' is not an option name");
	assert_int_equal(parse("-- x\n", &r, err), -EINVAL);
	assert_non_null(strstr(err, "line 1: expected an option name"));
	r.refuse = "pool";
	assert_int_equal(parse("ageing 3\npool 9\n", &r, err), -EINVAL);
	assert_string_equal(err, "line 2: --pool: refused");
	assert_int_equal(config_parse("a\nb\0c\n", 6, record, &r, err),
			 -EINVAL);
	assert_string_equal(err, "line 2: a NUL byte");
	memset(big, 'x', sizeof(big));
	memcpy(big, "port ", 5);
	assert_int_equal(config_parse(big, sizeof(big), record, &r, err),
			 -EINVAL);
	assert_non_null(strstr(err, "line 1: longer than"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors_name_the_line),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
