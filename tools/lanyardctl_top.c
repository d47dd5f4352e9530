/* SPDX-License-Identifier: MIT */
/*
 * lanyardctl_top.c - "lanyardctl top [-d SECONDS] [-n N] [-j]": a live
 * table of per-port rates (frames/s and bits/s each way, drops/s), like
 * top(1).
 *
 * It keeps one connection to the control socket and sends "show" once per
 * interval; rates are counter deltas over the CLOCK_MONOTONIC time between
 * two replies.  A port missing from the previous reply was created since,
 * so all its counters are new: its rates are its counters over the
 * interval.  A counter that went down was reset (stats --reset): its
 * delta is its value.  Ports gone since are named once.  The TOTAL line
 * is the switch's totals, which keep the counts of ports that are gone.
 *
 * On a terminal each refresh redraws the screen (ANSI home + clear) and q
 * quits; otherwise tables follow each other, plain.  -j prints one JSON
 * object per refresh instead.  SIGINT and SIGTERM end it cleanly
 * (terminal restored, exit 0).
 */
#include "lanyardctl_top.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/paths.h"

static volatile sig_atomic_t top_stop;

static void
on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

struct top {
	int fd;   /* control socket */
	char *in; /* reply bytes read so far */
	size_t in_len, in_cap;
	json_t *prev; /* last "show" reply */
	double prev_t;
	double start_t;
	bool json, tty, keys;
	struct termios saved;
};

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
top_connect(struct top *t, const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "lanyardctl: %s: path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->fd == -1 ||
	    connect(t->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "lanyardctl: %s: %s (is lanyard running?)\n",
		        path, strerror(errno));
		return -1;
	}
	return 0;
}

/* One request, one reply line; NULL (reason printed) when lanyard is gone. */
static json_t *
top_request(struct top *t)
{
	static const char req[] = "{\"version\":1,\"cmd\":\"show\"}\n";
	size_t off = 0;
	char *nl;
	json_t *r;

	while (off < sizeof(req) - 1) {
		ssize_t n = send(t->fd, req + off, sizeof(req) - 1 - off,
		                 MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR && !top_stop)
			continue;
		if (n <= 0)
			goto gone;
		off += (size_t)n;
	}
	while (!(nl = t->in_len ? memchr(t->in, '\n', t->in_len) : NULL)) {
		ssize_t n;

		if (t->in_len == t->in_cap) {
			size_t cap = t->in_cap ? t->in_cap * 2 : 65536;
			char *b = realloc(t->in, cap);

			if (!b)
				goto gone;
			t->in = b;
			t->in_cap = cap;
		}
		n = recv(t->fd, t->in + t->in_len, t->in_cap - t->in_len, 0);
		if (n == -1 && errno == EINTR && !top_stop)
			continue;
		if (n <= 0)
			goto gone;
		t->in_len += (size_t)n;
	}
	r = json_loadb(t->in, (size_t)(nl - t->in), 0, NULL);
	t->in_len -= (size_t)(nl + 1 - t->in);
	memmove(t->in, nl + 1, t->in_len);
	if (!json_is_true(json_object_get(r, "ok"))) {
		fprintf(stderr, "lanyardctl: unexpected reply to show\n");
		json_decref(r);
		return NULL;
	}
	return r;
gone:
	if (!top_stop)
		fprintf(stderr, "lanyardctl: lost the connection to lanyard\n");
	return NULL;
}

static uint64_t
num(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

static uint64_t
drops_sum(json_t *c)
{
	const char *k;
	json_t *v;
	uint64_t sum = 0;

	json_object_foreach (json_object_get(c, "drops"), k, v)
		sum += (uint64_t)json_integer_value(v);
	return sum;
}

/* A counter's increase; a counter that went down was reset to 0 since. */
static double
delta(uint64_t cur, uint64_t prev, bool have_prev)
{
	return (double)(have_prev && cur >= prev ? cur - prev : cur);
}

struct rates {
	double rx_fps, tx_fps, rx_bps, tx_bps, drops_ps;
};

static void
rates_of(json_t *cur, json_t *prev, double dt, struct rates *r)
{
	bool p = prev != NULL;

	r->rx_fps = delta(num(cur, "rx"), num(prev, "rx"), p) / dt;
	r->tx_fps = delta(num(cur, "tx"), num(prev, "tx"), p) / dt;
	r->rx_bps =
		8 * delta(num(cur, "rx_bytes"), num(prev, "rx_bytes"), p) / dt;
	r->tx_bps =
		8 * delta(num(cur, "tx_bytes"), num(prev, "tx_bytes"), p) / dt;
	r->drops_ps = delta(drops_sum(cur), p ? drops_sum(prev) : 0, p) / dt;
}

static json_t *
find_port(json_t *show, const char *id)
{
	json_t *p;
	size_t i;

	json_array_foreach (json_object_get(show, "ports"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "id")), id) ==
		    0)
			return p;
	return NULL;
}

/* "12.3k": at most 6 characters. */
static const char *
human(double v, char *buf, size_t len)
{
	static const char units[] = " kMGTP";
	int u = 0;

	while (v >= 999.5 && u < 5) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c",
		         v < 9.995   ? 2
		         : v < 99.95 ? 1
		                     : 0,
		         v, units[u]);
	return buf;
}

static void
print_row(const char *id, const char *kind, const char *note,
          const struct rates *r)
{
	char a[16], b[16], c[16], d[16], e[16];

	printf("%-16s %-7s %9s %9s %9s %9s %8s%s\n", id, kind,
	       human(r->rx_fps, a, sizeof(a)), human(r->tx_fps, b, sizeof(b)),
	       human(r->rx_bps, c, sizeof(c)), human(r->tx_bps, d, sizeof(d)),
	       human(r->drops_ps, e, sizeof(e)), note);
}

static json_t *
rates_json(const struct rates *r)
{
	return json_pack("{sf sf sf sf sf}", "rx_fps", r->rx_fps, "tx_fps",
	                 r->tx_fps, "rx_bps", r->rx_bps, "tx_bps", r->tx_bps,
	                 "drops_ps", r->drops_ps);
}

/* The ids of @prev's ports that @cur no longer has. */
static json_t *
gone_ports(json_t *cur, json_t *prev)
{
	json_t *gone = json_array(), *p;
	size_t i;

	json_array_foreach (json_object_get(prev, "ports"), i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));

		if (!find_port(cur, id))
			json_array_append_new(gone, json_string(id));
	}
	return gone;
}

static void
report(struct top *t, json_t *cur, double now)
{
	double dt = now - t->prev_t;
	json_t *ports = json_array(), *p, *gone = gone_ports(cur, t->prev);
	struct rates r;
	size_t i;

	if (!t->json) {
		if (t->tty)
			fputs("\033[H\033[2J", stdout);
		printf("lanyard top: %.1f s, every %.1f s%s\n",
		       now - t->start_t, dt, t->keys ? ", q to quit" : "");
		printf("%-16s %-7s %9s %9s %9s %9s %8s\n", "PORT", "KIND",
		       "RX f/s", "TX f/s", "RX b/s", "TX b/s", "DROP/s");
	}
	json_array_foreach (json_object_get(cur, "ports"), i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));
		const char *kind =
			json_string_value(json_object_get(p, "kind"));
		json_t *old = find_port(t->prev, id);

		if (!strcmp(json_string_value(json_object_get(p, "state")),
		            "listening"))
			continue; /* listeners carry no frames */
		rates_of(json_object_get(p, "counters"),
		         old ? json_object_get(old, "counters") : NULL, dt, &r);
		if (t->json) {
			json_t *o = rates_json(&r);

			json_object_set_new(o, "id", json_string(id));
			json_object_set_new(o, "kind", json_string(kind));
			json_object_set_new(o, "new", json_boolean(!old));
			json_array_append_new(ports, o);
		} else {
			print_row(id, kind, old ? "" : "  (new)", &r);
		}
	}
	rates_of(json_object_get(cur, "totals"),
	         json_object_get(t->prev, "totals"), dt, &r);
	if (t->json) {
		json_t *o =
			json_pack("{sf sf so so so}", "time", now - t->start_t,
		                  "interval", dt, "ports", ports, "totals",
		                  rates_json(&r), "gone", gone);
		char *text =
			json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));

		printf("%s\n", text ? text : "{}");
		free(text);
		json_decref(o);
	} else {
		print_row("TOTAL", "", "", &r);
		json_array_foreach (gone, i, p)
			printf("gone: %s\n", json_string_value(p));
		if (!t->tty)
			printf("\n");
		json_decref(ports);
		json_decref(gone);
	}
	fflush(stdout);
}

/*
 * Wait until @deadline; false if the user quit (q, a signal).  Reads keys
 * from a terminal stdin.
 */
static bool
wait_until(struct top *t, double deadline)
{
	for (;;) {
		double left = deadline - now_sec();
		struct pollfd pfd = {.fd = 0, .events = POLLIN};
		int r;

		if (top_stop)
			return false;
		if (left <= 0)
			return true;
		r = poll(&pfd, t->keys ? 1 : 0, (int)(left * 1000) + 1);
		if (r > 0 && (pfd.revents & POLLIN)) {
			char c;

			if (read(0, &c, 1) == 1 && (c == 'q' || c == 'Q'))
				return false;
		} else if (r > 0) {
			t->keys = false; /* stdin hung up */
		}
	}
}

/* Keys without Enter or echo; Ctrl-C still raises SIGINT. */
static void
keys_on(struct top *t)
{
	struct termios raw;

	if (t->json || !t->tty || !isatty(0) || tcgetattr(0, &t->saved))
		return;
	raw = t->saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	t->keys = tcsetattr(0, TCSANOW, &raw) == 0;
}

static int
top_usage(const char *what)
{
	fprintf(stderr,
	        "lanyardctl top: %s\n"
	        "usage: lanyardctl [--ctl PATH] top [-d SECONDS] [-n N] [-j]\n",
	        what);
	return 2;
}

static int
parse_args(int argc, char **argv, double *interval, long *count, bool *json,
           const char **ctl)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			*json = true;
			continue;
		}
		if (strcmp(a, "-d") && strcmp(a, "-n") && strcmp(a, "-c") &&
		    strcmp(a, "--ctl"))
			return top_usage("unknown argument");
		if (i + 1 == argc)
			return top_usage("missing value");
		a = argv[++i];
		if (argv[i - 1][1] == 'd') {
			*interval = strtod(a, &end);
			if (*end || !(*interval >= 0.1 && *interval <= 3600))
				return top_usage("-d: 0.1 to 3600 seconds");
		} else if (argv[i - 1][1] == 'n') {
			*count = strtol(a, &end, 10);
			if (*end || *count < 1)
				return top_usage("-n: a count of 1 or more");
		} else {
			*ctl = a;
		}
	}
	return 0;
}

/**
 * lanyardctl_top() - run "lanyardctl top"
 * @ctl_path: control socket, or NULL for the default
 * @json:     -j given before "top"
 * @argc:     arguments after "top"
 * @argv:     ... (-d SECONDS, -n N, -j, --ctl PATH)
 *
 * Return: the exit status: 0, 2 (usage) or 3 (lanyard unreachable).
 */
int
lanyardctl_top(const char *ctl_path, bool json, int argc, char **argv)
{
	struct top t = {.fd = -1};
	double interval = 1;
	long count = -1;
	char def[256];
	int ret = 0;
	struct sigaction sa = {.sa_handler = on_signal};

	if ((ret = parse_args(argc, argv, &interval, &count, &json, &ctl_path)))
		return ret;
	if (!ctl_path) {
		if (paths_default_ctl(def, sizeof(def)))
			return top_usage("control path too long");
		ctl_path = def;
	}
	t.json = json;
	t.tty = isatty(1);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (top_connect(&t, ctl_path) || !(t.prev = top_request(&t))) {
		ret = 3;
		goto out;
	}
	keys_on(&t);
	t.start_t = t.prev_t = now_sec();
	for (long i = 0; count < 0 || i < count; i++) {
		double now;
		json_t *cur;

		if (!wait_until(&t, t.start_t + (double)(i + 1) * interval))
			break;
		now = now_sec();
		if (!(cur = top_request(&t))) {
			ret = top_stop ? 0 : 3;
			break;
		}
		report(&t, cur, now);
		json_decref(t.prev);
		t.prev = cur;
		t.prev_t = now;
	}
	if (t.keys)
		tcsetattr(0, TCSANOW, &t.saved);
out:
	json_decref(t.prev);
	free(t.in);
	if (t.fd >= 0)
		close(t.fd);
	return ret;
}
