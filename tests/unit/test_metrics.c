/* SPDX-License-Identifier: MIT */
/*
 * test_metrics.c - the Prometheus exposition and HTTP answers
 * (src/ctl/metrics.c) and the --metrics address (src/proto/cmdline.c):
 *  - the text is well-formed exposition format 0.0.4: each family once,
 *    HELP then TYPE before its samples, counters named *_total, labels
 *    key="value" with escapes, integer values, no series twice;
 *  - the values are the switch's: per-port counters, drops by cause,
 *    errors, gauges, totals that keep ports that are gone, fdb and pool;
 *  - 200/404/405/400 responses, HEAD without a body;
 *  - label values and HELP text are escaped.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/metrics.h"
#include "port/port.h"
#include "proto/cmdline.h"
#include "sw_fixture.h"

struct fx {
	struct sw sw;
	char dir[128];
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || fx_sw_in_tmpdir(&f->sw, f->dir, sizeof(f->dir), "metrics")) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	sw_fini(&f->sw);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

/* ---- a strict reader of the text format, for these tests ------------ */

#define MAX_SEEN 4096

struct reader {
	char *names[MAX_SEEN];	/* families, by TYPE */
	char *series[MAX_SEEN];	/* name{labels} of every sample */
	unsigned int n_names, n_series;
};

static bool
seen(char **list, unsigned int n, const char *s)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static size_t
name_len(const char *s)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       s[n] == '_' || s[n] == ':' || (n && s[n] >= '0' && s[n] <= '9'))
		n++;
	return n;
}

/* '{k="v",...}' at @s: its length, or fail. */
static size_t
labels_len(const char *s)
{
	const char *p = s + 1;

	assert_true(*s == '{');
	while (*p != '}') {
		size_t n = name_len(p);

		if (n == 0 || p[n] != '=' || p[n + 1] != '"')
			fail_msg("bad label at: %.40s", p);
		for (p += n + 2; *p != '"'; p++) {
			assert_true(*p && *p != '\n');
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					fail_msg("bad escape at: %.40s", p - 1);
			}
		}
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			fail_msg("bad label list at: %.40s", p);
	}
	return (size_t)(p + 1 - s);
}

static void
read_sample(struct reader *r, const char *line, const char *family)
{
	size_t n = name_len(line), l = 0;
	char *end;

	if (strlen(family) != n || strncmp(line, family, n) != 0)
		fail_msg("sample outside its family %s: %s", family, line);
	if (line[n] == '{')
		l = labels_len(line + n);
	assert_true(line[n + l] == ' ');
	assert_true(line[n + l + 1] >= '0' && line[n + l + 1] <= '9');
	strtoull(line + n + l + 1, &end, 10);
	assert_true(*end == '\0');
	assert_true(r->n_series < MAX_SEEN);
	r->series[r->n_series] = strndup(line, n + l);
	if (seen(r->series, r->n_series, r->series[r->n_series]))
		fail_msg("series twice: %s", r->series[r->n_series]);
	r->n_series++;
}

/* Reads the whole exposition in @text or fails the test; counts in @r. */
static void
read_exposition(struct reader *r, const char *text)
{
	char *copy = strdup(text), *save = NULL, *help = NULL;
	const char *family = "";

	memset(r, 0, sizeof(*r));
	assert_true(*text && text[strlen(text) - 1] == '\n');
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			size_t n = name_len(line + 7);

			assert_true(n && line[7 + n] == ' ' && line[8 + n]);
			free(help);
			help = strndup(line + 7, n);
			assert_false(seen(r->names, r->n_names, help));
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			size_t n = name_len(line + 7);
			const char *type = line + 8 + n;

			assert_non_null(help);
			assert_true(strlen(help) == n &&
				    strncmp(line + 7, help, n) == 0);
			if (strcmp(type, "counter") == 0)
				assert_true(n > 6 && strncmp(line + 7 + n - 6,
							     "_total", 6) == 0);
			else
				assert_string_equal(type, "gauge");
			assert_true(r->n_names < MAX_SEEN);
			r->names[r->n_names++] = help;
			family = help;
			help = NULL;
		} else {
			assert_true(line[0] != '#');
			read_sample(r, line, family);
		}
	}
	free(help);
	free(copy);
}

static void
reader_free(struct reader *r)
{
	for (unsigned int i = 0; i < r->n_names; i++)
		free(r->names[i]);
	for (unsigned int i = 0; i < r->n_series; i++)
		free(r->series[i]);
}

/* The value of series @series (name and labels) in @text; fails if absent. */
static uint64_t
value_of(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	}
	fail_msg("no series %s", series);
	return 0;
}

static void
render(struct sw *sw, struct metrics_buf *b, struct reader *r)
{
	memset(b, 0, sizeof(*b));
	metrics_render(sw, b);
	assert_false(b->failed);
	assert_int_equal(strlen(b->data), b->len);
	read_exposition(r, b->data);
}

/* ---- tests ---------------------------------------------------------- */

static void
test_escaping(void **state)
{
	struct metrics_buf b = {0};

	(void)state;
	metrics_buf_escaped(&b, "a\"b\\c\nd", true);
	assert_string_equal(b.data, "a\\\"b\\\\c\\nd");
	metrics_buf_fini(&b);
	metrics_buf_escaped(&b, "a\"b\\c\nd", false);
	assert_string_equal(b.data, "a\"b\\\\c\\nd");
	metrics_buf_printf(&b, "%d", 42);
	assert_string_equal(b.data, "a\"b\\\\c\\nd42");
	assert_false(b.failed);
	metrics_buf_fini(&b);
	assert_null(b.data);
}

static void
test_empty_switch(void **state)
{
	struct fx *f = *state;
	struct metrics_buf b;
	struct reader r;

	render(&f->sw, &b, &r);
	assert_false(strstr(b.data, "lanyard_port_rx_frames_total{"));
	assert_int_equal(value_of(b.data, "lanyard_ports"), 0);
	assert_int_equal(value_of(b.data, "lanyard_fdb_capacity_entries"),
			 f->sw.br.fdb.capacity);
	assert_int_equal(value_of(b.data, "lanyard_pool_buffers"), 512);
	assert_int_equal(value_of(b.data, "lanyard_pool_free_buffers"),
			 f->sw.pool.n_free);
	assert_int_equal(value_of(b.data, "lanyard_build_info{version=\"" LANYARD_VERSION "\"}"),
			 1);
	/* Families are there with no port: their TYPE lines are. */
	assert_true(seen(r.names, r.n_names, "lanyard_port_rx_frames_total"));
	reader_free(&r);
	metrics_buf_fini(&b);
}

static void
test_values(void **state)
{
	struct fx *f = *state;
	struct port *a = fx_port(&f->sw, "dgram,id=a,path=%s/a.sock", f->dir);
	struct port *g = fx_port(&f->sw, "dgram,id=g,path=%s/g.sock", f->dir);
	struct metrics_buf b;
	struct reader r;

	a->c.rx = 10;
	a->c.rx_bytes = 1000;
	a->c.rx_fwd = 7;
	a->c.tx = 5;
	a->c.tx_bytes = 300;
	a->c.tx_offered = 6;
	a->c.pauses = 2;
	a->c.drops[PORT_DROP_RUNT] = 3;
	a->c.drops[PORT_DROP_BACKLOG_FULL] = 1;
	a->c.errors[PORT_ERR_IO] = 4;
	a->n_macs = 9;
	g->c.rx = 100;
	g->c.drops[PORT_DROP_RUNT] = 20;
	f->sw.br.fdb.stats.learned = 11;
	f->sw.br.fdb.stats.port_limit = 12;
	render(&f->sw, &b, &r);
#define A "{port=\"a\",kind=\"dgram\""
	assert_int_equal(value_of(b.data, "lanyard_port_rx_frames_total" A "}"), 10);
	assert_int_equal(value_of(b.data, "lanyard_port_rx_bytes_total" A "}"), 1000);
	assert_int_equal(value_of(b.data, "lanyard_port_rx_forwarded_frames_total" A "}"), 7);
	assert_int_equal(value_of(b.data, "lanyard_port_tx_frames_total" A "}"), 5);
	assert_int_equal(value_of(b.data, "lanyard_port_tx_bytes_total" A "}"), 300);
	assert_int_equal(value_of(b.data, "lanyard_port_tx_offered_frames_total" A "}"), 6);
	assert_int_equal(value_of(b.data, "lanyard_port_pauses_total" A "}"), 2);
	assert_int_equal(value_of(b.data, "lanyard_port_dropped_frames_total" A ",cause=\"runt\"}"), 3);
	assert_int_equal(value_of(b.data, "lanyard_port_dropped_frames_total" A ",cause=\"backlog-full\"}"), 1);
	assert_int_equal(value_of(b.data, "lanyard_port_dropped_frames_total" A ",cause=\"no-vtep\"}"), 0);
	assert_int_equal(value_of(b.data, "lanyard_port_errors_total" A ",error=\"io\"}"), 4);
	assert_int_equal(value_of(b.data, "lanyard_port_macs" A "}"), 9);
	assert_int_equal(value_of(b.data, "lanyard_port_max_macs" A "}"), 4096);
	assert_int_equal(value_of(b.data, "lanyard_port_queued_frames" A "}"), 0);
#undef A
	assert_int_equal(value_of(b.data, "lanyard_switch_rx_frames_total"), 110);
	assert_int_equal(value_of(b.data, "lanyard_switch_dropped_frames_total{cause=\"runt\"}"), 23);
	assert_int_equal(value_of(b.data, "lanyard_fdb_learned_total"), 11);
	assert_int_equal(value_of(b.data, "lanyard_fdb_refused_total{reason=\"port-limit\"}"), 12);
	assert_int_equal(value_of(b.data, "lanyard_ports"), 2);
	/* Every drop cause and error of both ports, once each. */
	assert_int_equal(r.n_series,
			 1 + 2 * (8 + PORT_DROP_MAX + PORT_ERR_MAX + 3) +
				 8 + PORT_DROP_MAX + PORT_ERR_MAX + 2 + 3 +
				 4 + 2 + 3);
	reader_free(&r);
	metrics_buf_fini(&b);

	/* A port that is gone leaves its series, and stays in the totals. */
	port_destroy(g, "test");
	fx_pump(&f->sw, 2);
	render(&f->sw, &b, &r);
	assert_null(strstr(b.data, "port=\"g\""));
	assert_int_equal(value_of(b.data, "lanyard_switch_rx_frames_total"), 110);
	assert_int_equal(value_of(b.data, "lanyard_switch_dropped_frames_total{cause=\"runt\"}"), 23);
	assert_int_equal(value_of(b.data, "lanyard_ports"), 1);
	reader_free(&r);
	metrics_buf_fini(&b);
}

static int
respond(struct sw *sw, const char *request, struct metrics_buf *out)
{
	struct http_req req;
	int parsed = http_req_parse(request, strlen(request), &req);

	memset(out, 0, sizeof(*out));
	return metrics_respond(sw, parsed, &req, out);
}

/* The body of response @out, after checking its Content-Length. */
static const char *
body_of(const struct metrics_buf *out)
{
	const char *cl = strstr(out->data, "\r\nContent-Length: ");
	const char *body = strstr(out->data, "\r\n\r\n");

	assert_non_null(cl);
	assert_non_null(body);
	body += 4;
	if (strtoull(cl + 18, NULL, 10) != out->len - (size_t)(body - out->data))
		assert_true(strlen(body) == 0);	/* HEAD */
	return body;
}

static void
test_responses(void **state)
{
	struct fx *f = *state;
	struct metrics_buf out;
	struct reader r;
	size_t get_len;

	assert_int_equal(respond(&f->sw, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
				 &out), 200);
	assert_true(strncmp(out.data, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(out.data, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(out.data, "\r\nConnection: close\r\n"));
	read_exposition(&r, body_of(&out));
	reader_free(&r);
	get_len = strlen(body_of(&out));
	metrics_buf_fini(&out);

	assert_int_equal(respond(&f->sw, "HEAD /metrics?x HTTP/1.0\r\n\r\n", &out), 200);
	assert_string_equal(body_of(&out), "");
	assert_int_equal(strtoull(strstr(out.data, "Content-Length: ") + 16, NULL, 10),
			 get_len);
	metrics_buf_fini(&out);

	assert_int_equal(respond(&f->sw, "GET / HTTP/1.0\r\n\r\n", &out), 404);
	assert_true(strncmp(out.data, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	assert_string_equal(body_of(&out), "404 Not Found\n");
	metrics_buf_fini(&out);

	assert_int_equal(respond(&f->sw, "GET /metrics/ HTTP/1.0\r\n\r\n", &out), 404);
	metrics_buf_fini(&out);

	assert_int_equal(respond(&f->sw, "POST /metrics HTTP/1.0\r\n\r\n", &out), 405);
	assert_non_null(strstr(out.data, "\r\nAllow: GET, HEAD\r\n"));
	assert_string_equal(body_of(&out), "405 Method Not Allowed\n");
	metrics_buf_fini(&out);

	assert_int_equal(respond(&f->sw, "GET /metrics HTTP/1.1\r\n\r\n", &out), 400);
	assert_string_equal(body_of(&out), "400 Bad Request\n");
	metrics_buf_fini(&out);
	assert_int_equal(respond(&f->sw, "", &out), 400);	/* incomplete */
	metrics_buf_fini(&out);
}

static void
test_listen_address(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:", ":9109", "localhost:9109",
		"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:9109x", "::1:9109",
		"[::1]", "[::1]:", "[]:9109", "[127.0.0.1]:9109", "[::1]x:9109",
		"[fe80::1%lo]:9109", "1.2.3:9109", "",
	};
	struct sockaddr_storage ss;
	const struct sockaddr_in6 *a6 = (const void *)&ss;
	const struct sockaddr_in *a4 = (const void *)&ss;
	struct cmdline c;
	char err[ERR_LEN];
	socklen_t len;

	(void)state;
	assert_int_equal(cmdline_parse_hostport("127.0.0.1:9109", &ss, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(a4->sin_family, AF_INET);
	assert_int_equal(ntohs(a4->sin_port), 9109);
	assert_int_equal(ntohl(a4->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(cmdline_parse_hostport("[::1]:0", &ss, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(a6->sin6_family, AF_INET6);
	assert_int_equal(a6->sin6_port, 0);
	assert_true(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (cmdline_parse_hostport(bad[i], &ss, &len) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);

	assert_int_equal(cmdline_parse(3, (char *[]){"lanyard", "--metrics",
						     "[::]:9109", NULL},
				       &c, err),
			 0);
	assert_string_equal(c.metrics, "[::]:9109");
	assert_int_equal(c.metrics_addr.ss_family, AF_INET6);
	assert_int_equal(cmdline_parse(2, (char *[]){"lanyard",
						     "--metrics=0.0.0.0:1", NULL},
				       &c, err),
			 0);
	assert_int_equal(c.metrics_addr.ss_family, AF_INET);
	assert_int_equal(cmdline_parse(2, (char *[]){"lanyard",
						     "--metrics=host:1", NULL},
				       &c, err),
			 -EINVAL);
	assert_non_null(strstr(err, "--metrics"));
	assert_int_equal(cmdline_parse(1, (char *[]){"lanyard", NULL}, &c, err),
			 0);
	assert_null(c.metrics);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test_setup_teardown(test_empty_switch, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_values, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_responses, fx_setup,
						fx_teardown),
		cmocka_unit_test(test_listen_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
