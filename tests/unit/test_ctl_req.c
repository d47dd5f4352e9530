/* SPDX-License-Identifier: MIT */
/*
 * test_ctl_req.c - control requests (src/proto/ctl_req.c, described in
 * docs/control-protocol.md): every command from valid JSON, and every
 * invalid form refused with the right code and a message naming the field.
 *
 * Each line is handed over in a heap buffer of exactly its length, with no
 * NUL after it, as the server does; ASan catches any read past its end.
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

#include "core/util.h"
#include "proto/ctl_req.h"

static struct ctl_req req;
static const char *code;
static char err[ERR_LEN];

static int
parse_n(const char *line, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, line, len);
	memset(&req, 0xa5, sizeof(req));
	memset(err, 0, sizeof(err));
	code = NULL;
	ret = ctl_req_parse(copy, len, &req, &code, err);
	free(copy);
	return ret;
}

static void
parse_ok(const char *line, enum ctl_cmd cmd)
{
	if (parse_n(line, strlen(line)) != 0)
		fail_msg("%s rejected: %s: %s", line, code, err);
	assert_int_equal(req.cmd, cmd);
}

/* A message: non-empty, NUL-terminated within ERR_LEN, naming @needle. */
static void
assert_err(const char *needle)
{
	size_t len = strnlen(err, ERR_LEN);

	assert_true(len > 0 && len < ERR_LEN);
	if (needle && !strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void
bad_n(const char *line, size_t len, const char *want_code, const char *needle)
{
	if (parse_n(line, len) != -EINVAL)
		fail_msg("%.*s accepted", (int)len, line);
	assert_non_null(code);
	if (want_code)
		assert_string_equal(code, want_code);
	assert_err(needle);
}

static void
bad(const char *line, const char *want_code, const char *needle)
{
	bad_n(line, strlen(line), want_code, needle);
}

/* The defaults of a request that gives only "cmd". */
static void
assert_plain(void)
{
	assert_int_equal(req.version, 1);
	assert_string_equal(req.port, "");
	assert_string_equal(req.spec, "");
	assert_int_equal(req.vlan, 0);
	assert_false(req.reset);
}

static void
test_every_command(void **state)
{
	static const struct {
		const char *name;
		enum ctl_cmd cmd;
	} plain[] = {
		{"show", CTL_CMD_SHOW},           {"fdb", CTL_CMD_FDB},
		{"version", CTL_CMD_VERSION},     {"stats", CTL_CMD_STATS},
		{"fdb-flush", CTL_CMD_FDB_FLUSH},
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		snprintf(line, sizeof(line), "{\"cmd\":\"%s\"}", plain[i].name);
		parse_ok(line, plain[i].cmd);
		assert_plain();
		/* each takes an optional port */
		snprintf(line, sizeof(line),
		         "{\"cmd\":\"%s\",\"port\":\"vm1\",\"version\":1}",
		         plain[i].name);
		parse_ok(line, plain[i].cmd);
		assert_string_equal(req.port, "vm1");
		assert_int_equal(req.version, 1);
	}

	parse_ok("{\"cmd\":\"port-add\",\"spec\":\"stream,id=a,path=/x\"}",
	         CTL_CMD_PORT_ADD);
	assert_string_equal(req.spec, "stream,id=a,path=/x");
	assert_string_equal(req.port, "");

	parse_ok("{\"cmd\":\"port-del\",\"port\":\"st.1\"}", CTL_CMD_PORT_DEL);
	assert_string_equal(req.port, "st.1");

	parse_ok("{\"cmd\":\"port-set\",\"port\":\"st.1\","
	         "\"spec\":\"mode=vepa,isolated=on\"}",
	         CTL_CMD_PORT_SET);
	assert_string_equal(req.port, "st.1");
	assert_string_equal(req.spec, "mode=vepa,isolated=on");
	assert_int_equal(req.vlan, 0);

	parse_ok("{\"cmd\":\"fdb-add\",\"mac\":\"52:54:00:12:34:56\","
	         "\"port\":\"vm1\",\"vlan\":100}",
	         CTL_CMD_FDB_ADD);
	assert_memory_equal(req.mac, "\x52\x54\x00\x12\x34\x56", 6);
	assert_string_equal(req.port, "vm1");
	assert_int_equal(req.vlan, 100);

	parse_ok("{\"cmd\":\"fdb-add\",\"mac\":\"02:00:00:00:00:01\","
	         "\"port\":\"vm1\"}",
	         CTL_CMD_FDB_ADD);
	assert_int_equal(req.vlan, 0);

	parse_ok("{\"cmd\":\"fdb-del\",\"mac\":\"AA-BB-CC-DD-EE-0F\"}",
	         CTL_CMD_FDB_DEL);
	assert_memory_equal(req.mac, "\xaa\xbb\xcc\xdd\xee\x0f", 6);
	assert_int_equal(req.vlan, 0);
	parse_ok("{\"cmd\":\"fdb-del\",\"mac\":\"52:54:00:12:34:56\","
	         "\"vlan\":4094}",
	         CTL_CMD_FDB_DEL);
	assert_int_equal(req.vlan, 4094);
}

static void
test_stats_reset(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"stats\",\"reset\":true}", CTL_CMD_STATS);
	assert_true(req.reset);
	parse_ok("{\"cmd\":\"stats\",\"reset\":false,\"port\":\"a\"}",
	         CTL_CMD_STATS);
	assert_false(req.reset);
	assert_string_equal(req.port, "a");
	parse_ok("{\"cmd\":\"stats\"}", CTL_CMD_STATS);
	assert_false(req.reset);
}

static void
test_lenient(void **state)
{
	(void)state;
	/* unknown fields are ignored (docs/control-protocol.md) */
	parse_ok("{\"cmd\":\"show\",\"future\":{\"x\":[1,2]},\"n\":null}",
	         CTL_CMD_SHOW);
	assert_plain();
	/* whitespace around and inside */
	parse_ok("  {\n\t\"cmd\" : \"fdb\" }  ", CTL_CMD_FDB);
	/* vlan 0 given explicitly */
	parse_ok("{\"cmd\":\"fdb-del\",\"mac\":\"52:54:00:12:34:56\","
	         "\"vlan\":0}",
	         CTL_CMD_FDB_DEL);
	assert_int_equal(req.vlan, 0);
	/* unicode escapes in strings */
	parse_ok("{\"cmd\":\"sh\\u006fw\",\"port\":\"\\u00e9\"}", CTL_CMD_SHOW);
	assert_string_equal(req.port, "\xc3\xa9");
}

static void
test_not_json(void **state)
{
	static const char *const lines[] = {
		"",
		" ",
		"{",
		"}",
		"show",
		"{cmd:show}",
		"{\"cmd\":'show'}",
		"{\"cmd\":\"show\",}",
		"{\"cmd\":\"show\"} {}",
		"{\"cmd\":\"show\"}x",
		"{\"cmd\":\"sh\\u0000ow\"}",
		/* duplicate keys are refused rather than one chosen */
		"{\"cmd\":\"show\",\"cmd\":\"port-del\"}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		bad(lines[i], CTL_ERR_BAD_JSON, "bad JSON: ");
		/* jansson's reason follows */
		assert_true(strlen(err) > strlen("bad JSON: "));
	}
	/* a NUL byte inside the line, counted in its length */
	bad_n("{\"cmd\":\"show\"}\0", 15, CTL_ERR_BAD_JSON, "bad JSON");
	bad_n("{\"cmd\":\"show\0\"}", 15, CTL_ERR_BAD_JSON, "bad JSON");
	/* the line ends at @len even when more bytes follow in memory */
	bad_n("{\"cmd\":\"show\"}", 10, CTL_ERR_BAD_JSON, "bad JSON");
}

static void
test_not_object(void **state)
{
	static const char *const lines[] = {
		"[]", "[{\"cmd\":\"show\"}]", "\"show\"", "1", "null", "true",
	};

	(void)state;
	/* an array is JSON but no request; bare scalars may be either */
	bad("[]", CTL_ERR_BAD_REQUEST, "object");
	bad("[{\"cmd\":\"show\"}]", CTL_ERR_BAD_REQUEST, "object");
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		bad(lines[i], NULL, NULL);
}

static void
test_line_length(void **state)
{
	char *line = malloc(CTL_LINE_MAX + 2);
	const char *req_text = "{\"cmd\":\"version\"}";

	(void)state;
	assert_non_null(line);
	/* padded with spaces to exactly CTL_LINE_MAX bytes: fine */
	memset(line, ' ', CTL_LINE_MAX + 2);
	memcpy(line, req_text, strlen(req_text));
	assert_int_equal(parse_n(line, CTL_LINE_MAX), 0);
	assert_int_equal(req.cmd, CTL_CMD_VERSION);
	/* one byte more: refused before parsing */
	bad_n(line, CTL_LINE_MAX + 1, CTL_ERR_BAD_REQUEST, "65536");
	free(line);
}

static void
test_cmd_field(void **state)
{
	(void)state;
	bad("{}", CTL_ERR_BAD_REQUEST, "'cmd'");
	bad("{\"port\":\"a\"}", CTL_ERR_BAD_REQUEST, "'cmd'");
	bad("{\"cmd\":1}", CTL_ERR_BAD_REQUEST, "'cmd'");
	bad("{\"cmd\":null}", CTL_ERR_BAD_REQUEST, "'cmd'");
	bad("{\"cmd\":true}", CTL_ERR_BAD_REQUEST, "'cmd'");
	bad("{\"cmd\":[\"show\"]}", CTL_ERR_BAD_REQUEST, "'cmd'");
	bad("{\"cmd\":{\"name\":\"show\"}}", CTL_ERR_BAD_REQUEST, "'cmd'");
	bad("{\"Cmd\":\"show\"}", CTL_ERR_BAD_REQUEST, "'cmd'");
	/* unknown commands are named */
	bad("{\"cmd\":\"shwo\"}", CTL_ERR_UNKNOWN_CMD, "shwo");
	bad("{\"cmd\":\"SHOW\"}", CTL_ERR_UNKNOWN_CMD, "SHOW");
	bad("{\"cmd\":\"show \"}", CTL_ERR_UNKNOWN_CMD, "show ");
	bad("{\"cmd\":\"fdb_add\"}", CTL_ERR_UNKNOWN_CMD, "fdb_add");
	bad("{\"cmd\":\"\"}", CTL_ERR_UNKNOWN_CMD, "unknown command");
}

static void
test_version_field(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"show\",\"version\":1}", CTL_CMD_SHOW);
	assert_int_equal(req.version, 1);
	bad("{\"cmd\":\"show\",\"version\":2}", CTL_ERR_VERSION, "version 1");
	bad("{\"cmd\":\"show\",\"version\":1000000}", CTL_ERR_VERSION, NULL);
	bad("{\"cmd\":\"show\",\"version\":0}", CTL_ERR_BAD_REQUEST,
	    "'version'");
	bad("{\"cmd\":\"show\",\"version\":-1}", CTL_ERR_BAD_REQUEST,
	    "'version'");
	bad("{\"cmd\":\"show\",\"version\":1000001}", CTL_ERR_BAD_REQUEST,
	    "'version'");
	bad("{\"cmd\":\"show\",\"version\":\"1\"}", CTL_ERR_BAD_REQUEST,
	    "'version'");
	bad("{\"cmd\":\"show\",\"version\":1.0}", CTL_ERR_BAD_REQUEST,
	    "'version'");
	bad("{\"cmd\":\"show\",\"version\":null}", CTL_ERR_BAD_REQUEST,
	    "'version'");
	bad("{\"cmd\":\"show\",\"version\":9223372036854775807}",
	    CTL_ERR_BAD_REQUEST, "'version'");
}

static void
test_port_field(void **state)
{
	char line[256], id[CTL_ARG_MAX + 1];

	(void)state;
	bad("{\"cmd\":\"show\",\"port\":1}", CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"show\",\"port\":null}", CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"show\",\"port\":true}", CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"show\",\"port\":[\"a\"]}", CTL_ERR_BAD_REQUEST,
	    "'port'");
	bad("{\"cmd\":\"show\",\"port\":\"\"}", CTL_ERR_BAD_REQUEST, "'port'");
	/* CTL_ARG_MAX - 1 bytes fit, CTL_ARG_MAX do not */
	memset(id, 'p', sizeof(id));
	id[CTL_ARG_MAX - 1] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"port-del\",\"port\":\"%s\"}",
	         id);
	parse_ok(line, CTL_CMD_PORT_DEL);
	assert_string_equal(req.port, id);
	id[CTL_ARG_MAX - 1] = 'p';
	id[CTL_ARG_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"port-del\",\"port\":\"%s\"}",
	         id);
	bad(line, CTL_ERR_BAD_REQUEST, "'port'");
	/* required by port-del, port-set and fdb-add */
	bad("{\"cmd\":\"port-del\"}", CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"port-set\",\"spec\":\"isolated=on\"}",
	    CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"port-set\",\"port\":\"\",\"spec\":\"isolated=on\"}",
	    CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"fdb-add\",\"mac\":\"52:54:00:12:34:56\"}",
	    CTL_ERR_BAD_REQUEST, "'port'");
}

static void
test_spec_field(void **state)
{
	static char line[CTL_SPEC_MAX + 64], spec[CTL_SPEC_MAX + 1];

	(void)state;
	bad("{\"cmd\":\"port-add\"}", CTL_ERR_BAD_REQUEST, "'spec'");
	bad("{\"cmd\":\"port-add\",\"spec\":\"\"}", CTL_ERR_BAD_REQUEST,
	    "'spec'");
	bad("{\"cmd\":\"port-add\",\"spec\":7}", CTL_ERR_BAD_REQUEST, "'spec'");
	bad("{\"cmd\":\"port-add\",\"spec\":null}", CTL_ERR_BAD_REQUEST,
	    "'spec'");
	bad("{\"cmd\":\"port-add\",\"spec\":{\"id\":\"a\"}}",
	    CTL_ERR_BAD_REQUEST, "'spec'");
	/* CTL_SPEC_MAX - 1 bytes fit, CTL_SPEC_MAX do not */
	memset(spec, 's', sizeof(spec));
	spec[CTL_SPEC_MAX - 1] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"port-add\",\"spec\":\"%s\"}",
	         spec);
	parse_ok(line, CTL_CMD_PORT_ADD);
	assert_string_equal(req.spec, spec);
	spec[CTL_SPEC_MAX - 1] = 's';
	spec[CTL_SPEC_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"port-add\",\"spec\":\"%s\"}",
	         spec);
	bad(line, CTL_ERR_BAD_REQUEST, "'spec'");
}

static void
test_mac_field(void **state)
{
	static const char *const macs[] = {
		"",
		"52:54:00:12:34",
		"52:54:00:12:34:56:78",
		"52:54:00:12:34:5",
		"52:54:00:12:34:567",
		"5:54:00:12:34:56",
		"52.54.00.12.34.56",
		"525400123456",
		"52:54:00:12:34:zz",
		" 52:54:00:12:34:56",
		"52:54:00:12:34:56 ",
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(macs); i++) {
		snprintf(line, sizeof(line),
		         "{\"cmd\":\"fdb-del\",\"mac\":\"%s\"}", macs[i]);
		bad(line, CTL_ERR_BAD_REQUEST, "'mac'");
		snprintf(line, sizeof(line),
		         "{\"cmd\":\"fdb-add\",\"port\":\"a\",\"mac\":\"%s\"}",
		         macs[i]);
		bad(line, CTL_ERR_BAD_REQUEST, "'mac'");
	}
	bad("{\"cmd\":\"fdb-del\"}", CTL_ERR_BAD_REQUEST, "'mac'");
	bad("{\"cmd\":\"fdb-del\",\"mac\":null}", CTL_ERR_BAD_REQUEST, "'mac'");
	bad("{\"cmd\":\"fdb-del\",\"mac\":5}", CTL_ERR_BAD_REQUEST, "'mac'");
	bad("{\"cmd\":\"fdb-del\",\"mac\":[82,84,0,18,52,86]}",
	    CTL_ERR_BAD_REQUEST, "'mac'");
}

static void
test_vlan_field(void **state)
{
	static const char *const vlans[] = {
		"-1",  "4095",  "65536", "4294967296", "\"1\"",
		"1.5", "100.0", "null",  "true",       "[1]",
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vlans); i++) {
		snprintf(line, sizeof(line),
		         "{\"cmd\":\"fdb-del\",\"mac\":\"52:54:00:12:34:56\","
		         "\"vlan\":%s}",
		         vlans[i]);
		bad(line, CTL_ERR_BAD_REQUEST, "'vlan'");
		snprintf(line, sizeof(line),
		         "{\"cmd\":\"fdb-add\",\"mac\":\"52:54:00:12:34:56\","
		         "\"port\":\"a\",\"vlan\":%s}",
		         vlans[i]);
		bad(line, CTL_ERR_BAD_REQUEST, "'vlan'");
	}
}

static void
test_reset_field(void **state)
{
	static const char *const resets[] = {
		"\"yes\"", "\"true\"", "1", "0", "null", "[]",
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(resets); i++) {
		snprintf(line, sizeof(line), "{\"cmd\":\"stats\",\"reset\":%s}",
		         resets[i]);
		bad(line, CTL_ERR_BAD_REQUEST, "'reset'");
	}
}

/*
 * port-set's spec: a string of 1 to CTL_SPEC_MAX - 1 bytes, passed on
 * untouched; its keys and values are the port code's to judge (bad-spec),
 * so an unknown key still parses.
 */
static void
test_port_set_spec(void **state)
{
	static char line[CTL_SPEC_MAX + 64], spec[CTL_SPEC_MAX + 1];
	static const char *const specs[] = {
		"\"\"", "7", "null", "true", "[\"isolated=on\"]",
		"{\"isolated\":\"on\"}",
	};

	(void)state;
	bad("{\"cmd\":\"port-set\",\"port\":\"a\"}", CTL_ERR_BAD_REQUEST,
	    "'spec'");
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		snprintf(line, sizeof(line),
		         "{\"cmd\":\"port-set\",\"port\":\"a\",\"spec\":%s}",
		         specs[i]);
		bad(line, CTL_ERR_BAD_REQUEST, "'spec'");
		assert_non_null(strstr(err, "KEY=VALUE"));
	}
	parse_ok("{\"cmd\":\"port-set\",\"port\":\"a\","
	         "\"spec\":\"bogus=1,trunk=10,20\"}",
	         CTL_CMD_PORT_SET);
	assert_string_equal(req.spec, "bogus=1,trunk=10,20");
	/* CTL_SPEC_MAX - 1 bytes fit, CTL_SPEC_MAX do not */
	memset(spec, 's', sizeof(spec));
	spec[CTL_SPEC_MAX - 1] = '\0';
	snprintf(line, sizeof(line),
	         "{\"cmd\":\"port-set\",\"port\":\"a\",\"spec\":\"%s\"}", spec);
	parse_ok(line, CTL_CMD_PORT_SET);
	assert_string_equal(req.spec, spec);
	spec[CTL_SPEC_MAX - 1] = 's';
	spec[CTL_SPEC_MAX] = '\0';
	snprintf(line, sizeof(line),
	         "{\"cmd\":\"port-set\",\"port\":\"a\",\"spec\":\"%s\"}", spec);
	bad(line, CTL_ERR_BAD_REQUEST, "'spec'");
	/* the port is checked, and named, before the spec */
	bad("{\"cmd\":\"port-set\",\"port\":5,\"spec\":\"mtu=1500\"}",
	    CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"port-set\",\"spec\":\"\"}", CTL_ERR_BAD_REQUEST,
	    "'port'");
}

/* trace and capture: a filter string, capture needs a port. */
static void
test_trace_capture(void **state)
{
	(void)state;
	parse_ok("{\"cmd\":\"trace\"}", CTL_CMD_TRACE);
	assert_plain();
	assert_string_equal(req.filter, "");
	parse_ok("{\"cmd\":\"trace\",\"filter\":\"icmp\"}", CTL_CMD_TRACE);
	assert_string_equal(req.filter, "icmp");
	parse_ok("{\"cmd\":\"capture\",\"port\":\"all\","
		 "\"filter\":\"arp or icmp\"}",
		 CTL_CMD_CAPTURE);
	assert_string_equal(req.port, "all");
	assert_string_equal(req.filter, "arp or icmp");
	bad("{\"cmd\":\"capture\"}", CTL_ERR_BAD_REQUEST, "'port'");
	bad("{\"cmd\":\"trace\",\"filter\":3}", CTL_ERR_BAD_REQUEST,
	    "'filter'");
	bad("{\"cmd\":\"show\",\"filter\":\"icmp\"}", CTL_ERR_BAD_REQUEST,
	    "'filter'");
}

/* A filter of 1023 bytes fits; 1024 do not. */
static void
test_filter_length(void **state)
{
	char line[1200], f[1025];

	(void)state;
	memset(f, 'a', 1023);
	f[1023] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"trace\",\"filter\":\"%s\"}", f);
	parse_ok(line, CTL_CMD_TRACE);
	assert_int_equal(strlen(req.filter), 1023);
	memset(f, 'a', 1024);
	f[1024] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"trace\",\"filter\":\"%s\"}", f);
	bad(line, CTL_ERR_BAD_REQUEST, "1023");
}

/* Fields a request leaves out read as their defaults, whatever req held. */
static void
test_cleared(void **state)
{
	const char *first = "{\"cmd\":\"stats\",\"reset\":true,"
			    "\"port\":\"a\"}";
	const char *second = "{\"cmd\":\"fdb\"}";

	(void)state;
	assert_int_equal(parse_n(first, strlen(first)), 0);
	assert_true(req.reset);
	assert_int_equal(parse_n(second, strlen(second)), 0);
	assert_int_equal(req.cmd, CTL_CMD_FDB);
	assert_plain();
	assert_memory_equal(req.mac, "\0\0\0\0\0\0", 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command),
		cmocka_unit_test(test_stats_reset),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_cmd_field),
		cmocka_unit_test(test_version_field),
		cmocka_unit_test(test_port_field),
		cmocka_unit_test(test_spec_field),
		cmocka_unit_test(test_port_set_spec),
		cmocka_unit_test(test_mac_field),
		cmocka_unit_test(test_vlan_field),
		cmocka_unit_test(test_reset_field),
		cmocka_unit_test(test_cleared),
		cmocka_unit_test(test_trace_capture),
		cmocka_unit_test(test_filter_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
