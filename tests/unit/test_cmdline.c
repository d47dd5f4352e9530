/* SPDX-License-Identifier: MIT */
/*
 * test_cmdline.c - lanyard's command line (src/proto/cmdline.c): defaults,
 * every option in its long, "--opt=value" and short forms, the bounds of
 * every number, and every rejection, each naming the option.
 *
 * cmdline_parse() keeps no state between calls (it does not use getopt), so
 * one process parses many vectors; test_repeated_calls checks that.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/pkt.h"
#include "core/util.h"
#include "proto/cmdline.h"

#define MAX_ARGS (2 * CMDLINE_MAX_PORTS + 8)

static struct cmdline cl;
static char err[ERR_LEN];

/* cmdline_parse() on the NULL-terminated vector @argv, program name first. */
static int
parse_v(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	memset(err, 0, sizeof(err));
	return cmdline_parse(argc, argv, &cl, err);
}

#define PARSE(...) parse_v((char *[]){"lanyard", __VA_ARGS__, NULL})

#define PARSE_OK(...)                                                          \
	do {                                                                   \
		if (PARSE(__VA_ARGS__) != 0)                                   \
			fail_msg("rejected: %s", err);                         \
	} while (0)

/* A message: non-empty, NUL-terminated within ERR_LEN, naming @needle. */
static void
assert_err(const char *needle)
{
	size_t len = strnlen(err, ERR_LEN);

	assert_true(len > 0 && len < ERR_LEN);
	if (needle && !strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

#define PARSE_BAD(needle, ...)                                                 \
	do {                                                                   \
		assert_int_equal(PARSE(__VA_ARGS__), -EINVAL);                 \
		assert_err(needle);                                            \
	} while (0)

static void
assert_defaults_except_ports(void)
{
	assert_null(cl.ctl_path);
	assert_int_equal(cl.fdb_size, CMDLINE_FDB_SIZE_DEFAULT);
	assert_int_equal(cl.ageing, CMDLINE_AGEING_DEFAULT);
	assert_int_equal(cl.pool, PKT_POOL_DEFAULT);
	assert_int_equal(cl.frame_max, PKT_FRAME_MAX_DEFAULT);
	assert_int_equal(cl.backlog, CMDLINE_BACKLOG_DEFAULT);
	assert_int_equal(cl.max_macs, CMDLINE_MAX_MACS_DEFAULT);
	assert_int_equal(cl.pause_max, CMDLINE_PAUSE_MAX_DEFAULT);
	assert_int_equal(cl.poll_us, 0);
	assert_int_equal(cl.log_level, LOG_LVL_INFO);
	assert_false(cl.help);
	assert_false(cl.version);
}

static void
test_defaults(void **state)
{
	char *argv[] = {"lanyard", NULL};

	(void)state;
	/* the values the usage text promises */
	assert_int_equal(CMDLINE_FDB_SIZE_DEFAULT, 65536);
	assert_int_equal(CMDLINE_AGEING_DEFAULT, 300);
	assert_int_equal(PKT_POOL_DEFAULT, 4096);
	assert_int_equal(PKT_FRAME_MAX_DEFAULT, 65550);
	assert_int_equal(CMDLINE_BACKLOG_DEFAULT, 256);
	assert_int_equal(CMDLINE_MAX_MACS_DEFAULT, 4096);
	memset(&cl, 0xa5, sizeof(cl));
	assert_int_equal(parse_v(argv), 0);
	assert_int_equal(cl.n_ports, 0);
	assert_defaults_except_ports();
	/* argc 0 (no program name) is no option either */
	memset(&cl, 0xa5, sizeof(cl));
	assert_int_equal(cmdline_parse(0, argv, &cl, err), 0);
	assert_defaults_except_ports();
}

static void
test_usage(void **state)
{
	static const char *const names[] = {
		"--port",     "-p",         "--ctl",       "-c",
		"--fdb-size", "--ageing",   "--pool",      "--frame-max",
		"--backlog",  "--max-macs", "--log-level", "--help",
		"-h",         "--version",  "-V",          "--pause-max", "--poll-us"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strstr(cmdline_usage, names[i]))
			fail_msg("usage does not mention %s", names[i]);
}

static void
test_ports(void **state)
{
	char *argv[] = {"lanyard",
	                "--port",
	                "stream,id=a,path=/a",
	                "-p",
	                "dgram,id=b,path=/b",
	                "--port=mcast,id=c,group=239.0.0.1,port=5000",
	                NULL};

	(void)state;
	assert_int_equal(parse_v(argv), 0);
	assert_int_equal(cl.n_ports, 3);
	/* the specs point into argv, in the order given */
	assert_ptr_equal(cl.ports[0], argv[2]);
	assert_ptr_equal(cl.ports[1], argv[4]);
	assert_string_equal(cl.ports[2],
	                    "mcast,id=c,group=239.0.0.1,port=5000");
	assert_ptr_equal(cl.ports[2], argv[5] + strlen("--port="));
	assert_defaults_except_ports();
	/* "--port=" keeps everything after the first '=' */
	PARSE_OK("--port=stream,id=x,path=/a=b");
	assert_string_equal(cl.ports[0], "stream,id=x,path=/a=b");
}

static void
test_max_ports(void **state)
{
	static char *argv[MAX_ARGS];
	static char specs[CMDLINE_MAX_PORTS + 1][32];
	int argc = 1;

	(void)state;
	argv[0] = "lanyard";
	for (int i = 0; i < CMDLINE_MAX_PORTS; i++) {
		snprintf(specs[i], sizeof(specs[i]), "stream,id=p%d", i);
		argv[argc++] = "-p";
		argv[argc++] = specs[i];
	}
	argv[argc] = NULL;
	assert_int_equal(parse_v(argv), 0);
	assert_int_equal(cl.n_ports, CMDLINE_MAX_PORTS);
	assert_string_equal(cl.ports[CMDLINE_MAX_PORTS - 1], "stream,id=p255");
	/* one more is refused, naming the option and the limit */
	snprintf(specs[CMDLINE_MAX_PORTS], 32, "stream,id=extra");
	argv[argc++] = "--port";
	argv[argc++] = specs[CMDLINE_MAX_PORTS];
	argv[argc] = NULL;
	assert_int_equal(parse_v(argv), -EINVAL);
	assert_err("--port");
	assert_err("256");
}

static void
test_ctl(void **state)
{
	(void)state;
	PARSE_OK("--ctl", "/tmp/x.sock");
	assert_string_equal(cl.ctl_path, "/tmp/x.sock");
	PARSE_OK("-c", "/tmp/y.sock");
	assert_string_equal(cl.ctl_path, "/tmp/y.sock");
	PARSE_OK("--ctl=/tmp/z.sock");
	assert_string_equal(cl.ctl_path, "/tmp/z.sock");
	/* the last one wins */
	PARSE_OK("--ctl", "/a", "--ctl", "/b");
	assert_string_equal(cl.ctl_path, "/b");
	PARSE_BAD("--ctl", "--ctl=");
	PARSE_BAD("--ctl", "--ctl", "");
	PARSE_BAD("--ctl", "-c", "");
}

/* One numeric option: both bounds accepted, just outside them refused. */
struct num_case {
	const char *name;
	uint32_t min;
	uint32_t max;
	size_t field; /* offsetof(struct cmdline, ...) */
};

static uint32_t
field(size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)&cl + off, sizeof(v));
	return v;
}

static void
number_ok(const struct num_case *n, uint32_t v, bool inline_form)
{
	char opt[64], val[32], *argv[4] = {"lanyard", opt, NULL, NULL};

	snprintf(val, sizeof(val), "%u", v);
	if (inline_form) {
		snprintf(opt, sizeof(opt), "--%s=%s", n->name, val);
	} else {
		snprintf(opt, sizeof(opt), "--%s", n->name);
		argv[2] = val;
	}
	if (parse_v(argv) != 0)
		fail_msg("%s %s rejected: %s", opt, val, err);
	assert_int_equal(field(n->field), v);
}

static void
number_bad(const struct num_case *n, const char *val)
{
	char opt[64], *argv[] = {"lanyard", opt, (char *)val, NULL};
	char name[64];

	snprintf(opt, sizeof(opt), "--%s", n->name);
	if (parse_v(argv) != -EINVAL)
		fail_msg("%s '%s' accepted", opt, val);
	assert_err(opt);
	snprintf(name, sizeof(name), "'%s'", val);
	assert_err(name);
}

static void
test_numbers(void **state)
{
	static const struct num_case nums[] = {
		{"fdb-size", 16, 1U << 24, offsetof(struct cmdline, fdb_size)},
		{"ageing", 0, 1000000, offsetof(struct cmdline, ageing)},
		{"pool", 256, 1U << 22, offsetof(struct cmdline, pool)},
		{"frame-max", 1514, 1U << 18,
	         offsetof(struct cmdline, frame_max)},
		{"backlog", 1, 1U << 16, offsetof(struct cmdline, backlog)},
		{"max-macs", 0, 1U << 24, offsetof(struct cmdline, max_macs)},
		{"pause-max", 0, 60000, offsetof(struct cmdline, pause_max)},
		{"poll-us", 0, 1000000, offsetof(struct cmdline, poll_us)},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
		const struct num_case *n = &nums[i];

		number_ok(n, n->min, false);
		number_ok(n, n->max, true);
		number_ok(n, n->min + 1, true);
		number_ok(n, n->max - 1, false);
		if (n->min > 0) {
			snprintf(buf, sizeof(buf), "%u", n->min - 1);
			number_bad(n, buf);
		}
		snprintf(buf, sizeof(buf), "%u", n->max + 1);
		number_bad(n, buf);
		number_bad(n, "4294967296");
		number_bad(n, "-1");
		number_bad(n, "abc");
		number_bad(n, "12x");
		number_bad(n, "");
		number_bad(n, "0x");
	}
	/* hex, as in port specs */
	PARSE_OK("--pool", "0x1000");
	assert_int_equal(cl.pool, 4096);
	/* the other fields keep their defaults */
	PARSE_OK("--ageing", "0");
	assert_int_equal(cl.ageing, 0);
	assert_int_equal(cl.fdb_size, CMDLINE_FDB_SIZE_DEFAULT);
	assert_int_equal(cl.pool, PKT_POOL_DEFAULT);
	/* "--opt=" gives an empty value, which is no number */
	PARSE_BAD("--backlog", "--backlog=");
	/* later values win */
	PARSE_OK("--backlog", "5", "--backlog=6");
	assert_int_equal(cl.backlog, 6);
}

static void
test_log_level(void **state)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} ok[] = {
		{"err", LOG_LVL_ERR},   {"error", LOG_LVL_ERR},
		{"warn", LOG_LVL_WARN}, {"warning", LOG_LVL_WARN},
		{"info", LOG_LVL_INFO}, {"debug", LOG_LVL_DEBUG},
	};
	static const char *const bad[] = {"trace", "INFO",  "",
	                                  "0",     "infos", "de"};
	char opt[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		PARSE_OK("--log-level", (char *)ok[i].name);
		assert_int_equal(cl.log_level, ok[i].lvl);
		snprintf(opt, sizeof(opt), "--log-level=%s", ok[i].name);
		PARSE_OK(opt);
		assert_int_equal(cl.log_level, ok[i].lvl);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char quoted[32];

		PARSE_BAD("--log-level", "--log-level", (char *)bad[i]);
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		assert_err(quoted);
	}
}

static void
test_flags(void **state)
{
	(void)state;
	PARSE_OK("--help");
	assert_true(cl.help);
	assert_false(cl.version);
	PARSE_OK("-h");
	assert_true(cl.help);
	PARSE_OK("--version");
	assert_true(cl.version);
	assert_false(cl.help);
	PARSE_OK("-V");
	assert_true(cl.version);
	PARSE_OK("-V", "-h", "-p", "stream,id=a");
	assert_true(cl.version);
	assert_true(cl.help);
	assert_int_equal(cl.n_ports, 1);
	/* flags take no value */
	PARSE_BAD("--help", "--help=yes");
	PARSE_BAD("--version", "--version=");
}

static void
test_unknown(void **state)
{
	(void)state;
	PARSE_BAD("--bogus", "--bogus");
	PARSE_BAD("--bogus", "--bogus=1");
	PARSE_BAD("-x", "-x");
	PARSE_BAD("-P", "-P");
	/* stray positional arguments */
	PARSE_BAD("stray", "stray");
	PARSE_BAD("stray", "--pool", "300", "stray");
	PARSE_BAD("stream,id=a", "stream,id=a");
	/* no combined or attached short forms, no prefixes of long ones */
	PARSE_BAD("-pstream", "-pstream");
	PARSE_BAD("-hV", "-hV");
	PARSE_BAD("--po", "--po", "x");
	PARSE_BAD("--ports", "--ports", "x");
	PARSE_BAD("--Port", "--Port", "x");
	/* bare dashes */
	PARSE_BAD("-", "-");
	PARSE_BAD("--", "--");
	PARSE_BAD("", "");
	/* the first bad argument stops the parse, after good ones */
	PARSE_BAD("--nope", "-p", "stream,id=a", "--nope", "--also-bad");
}

static void
test_missing_value(void **state)
{
	static const char *const opts[][2] = {
		{"--port", "--port"},
		{"-p", "--port"},
		{"--ctl", "--ctl"},
		{"-c", "--ctl"},
		{"--fdb-size", "--fdb-size"},
		{"--ageing", "--ageing"},
		{"--pool", "--pool"},
		{"--frame-max", "--frame-max"},
		{"--backlog", "--backlog"},
		{"--max-macs", "--max-macs"},
		{"--pause-max", "--pause-max"},
		{"--poll-us", "--poll-us"},
		{"--log-level", "--log-level"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		PARSE_BAD(opts[i][1], (char *)opts[i][0]);
		assert_err("missing");
		/* after other options too */
		PARSE_BAD(opts[i][1], "-h", (char *)opts[i][0]);
	}
}

/* No state survives from one call to the next. */
static void
test_repeated_calls(void **state)
{
	(void)state;
	PARSE_OK("-p", "stream,id=a", "-p", "stream,id=b", "--pool", "512",
	         "--ctl", "/c", "-h", "-V", "--log-level", "debug");
	assert_int_equal(cl.n_ports, 2);
	assert_int_equal(cl.pool, 512);
	PARSE_BAD("--nope", "--nope");
	PARSE_OK("-p", "stream,id=z");
	assert_int_equal(cl.n_ports, 1);
	assert_string_equal(cl.ports[0], "stream,id=z");
	assert_defaults_except_ports();
	for (int i = 0; i < 3; i++) {
		PARSE_OK("--ageing", "7");
		assert_int_equal(cl.ageing, 7);
		assert_int_equal(cl.n_ports, 0);
	}
}

/* -f and --pcap are recorded; cmdline_apply() is a file's line. */
static void
test_config_options(void **state)
{
	(void)state;
	PARSE_OK("-f", "/etc/lanyard.conf", "--pcap", "/tmp/x.pcapng");
	assert_string_equal(cl.config, "/etc/lanyard.conf");
	assert_string_equal(cl.pcap, "/tmp/x.pcapng");
	PARSE_BAD("--config", "--config", "");
	PARSE_BAD("--pcap", "--pcap", "");
	cmdline_defaults(&cl);
	assert_defaults_except_ports();
	assert_int_equal(cmdline_apply(&cl, "port", "stream,id=a", err), 0);
	assert_int_equal(cmdline_apply(&cl, "ageing", "9", err), 0);
	assert_int_equal(cl.n_ports, 1);
	assert_int_equal(cl.ageing, 9);
	assert_int_equal(cmdline_apply(&cl, "ageing", NULL, err), -EINVAL);
	assert_err("missing value");
	assert_int_equal(cmdline_apply(&cl, "nope", "1", err), -EINVAL);
	assert_err("'nope': unknown option");
	assert_int_equal(cmdline_apply(&cl, "config", "x", err), -EINVAL);
	assert_err("no place in a configuration file");
	assert_int_equal(cmdline_apply(&cl, "p", "stream,id=b", err), -EINVAL);
	/* The command line on top: ports add up, the rest is replaced. */
	assert_int_equal(cmdline_parse_args(5, (char *[]){"lanyard", "-p",
					    "stream,id=c", "--ageing", "3",
					    NULL},
					    &cl, err),
			 0);
	assert_int_equal(cl.n_ports, 2);
	assert_string_equal(cl.ports[1], "stream,id=c");
	assert_int_equal(cl.ageing, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_max_ports),
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_repeated_calls),
		cmocka_unit_test(test_config_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
