/* SPDX-License-Identifier: MIT */
/*
 * lanyardctl - command-line client of lanyard's control socket.  Sends one
 * JSON request line, reads one reply line, prints it as a table or (-j) as
 * JSON.  The protocol is in docs/control-protocol.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/paths.h"
#include "lanyardctl_top.h"
#include "proto/pcapng.h"

static const char usage[] =
	"usage: lanyardctl [--ctl PATH] [-j] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  show [PORT]                 ports: kind, configuration, state, peer,\n"
	"                              MACs learned, counters; switch totals\n"
	"  stats [PORT] [--reset]      counters (frames, bytes, drops by cause,\n"
	"                              backlog); --reset zeroes them after\n"
	"  port add SPEC               add a port while lanyard runs (same SPEC\n"
	"                              as lanyard --port)\n"
	"  port del ID                 remove a port (a listener with its peers)\n"
	"  port set ID KEY=VALUE[,KEY=VALUE...]\n"
	"                              change a running port's policy and VLAN\n"
	"                              keys (uplink, mode, isolated, mirror,\n"
	"                              mirror_dir, max_macs, bcast_pps, mtu,\n"
	"                              vlan, trunk, native, tpid): all or none\n"
	"  fdb [show] [PORT]           the MAC table: MAC, VLAN, port, age\n"
	"  fdb flush [PORT]            forget learned and static MACs\n"
	"  fdb add MAC PORT [vlan N] [dst IP]\n"
	"                              pin MAC to PORT: never aged or moved;\n"
	"                              dst: the VTEP it is at (vxlan ports)\n"
	"  fdb del MAC [vlan N]        remove one entry\n"
	"  save [FILE]                 the running configuration (options and\n"
	"                              ports, hot-plugged ones and port set\n"
	"                              changes included) as lanyard -f reads\n"
	"                              it: to FILE, or to stdout\n"
	"  version                     lanyard's and the protocol's versions\n"
	"  trace [FILTER]              one line per frame: time, ingress port,\n"
	"                              MACs, ethertype, VLAN and what the switch\n"
	"                              did: -> PORT, flood PORTS, drop CAUSE;\n"
	"                              until interrupted (FILTER: pcap syntax,\n"
	"                              on the frame as received)\n"
	"  capture PORT|all [-w FILE|-] [FILTER]\n"
	"                              pcapng of the frames PORT (or a\n"
	"                              comma list; a listener: its peers)\n"
	"                              received and sent, to FILE or stdout\n"
	"                              (-w -, the default when not a terminal)\n"
	"  top [-d SECONDS] [-n N]     live per-port rates: frames/s and bits/s\n"
	"                              each way, drops/s; every SECONDS (1),\n"
	"                              N times or until q; -j: one JSON object\n"
	"                              per refresh\n"
	"\n"
	"Options:\n"
	"  -c, --ctl PATH   control socket (default: /run/lanyard/ctl.sock as\n"
	"                   root, else $XDG_RUNTIME_DIR/lanyard/ctl.sock)\n"
	"  -j, --json       print the reply as JSON (trace: one object a line)\n"
	"  -w FILE          capture: write pcapng to FILE ('-': stdout)\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit status: 0 ok, 1 lanyard answered with an error, 2 bad usage,\n"
	"3 cannot reach lanyard.  trace and capture run until interrupted and\n"
	"report on stderr what a slow reader lost.\n";

static int
connect_ctl(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "lanyardctl: %s: path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "lanyardctl: %s: %s%s\n", path,
			strerror(errno),
			errno == EACCES
				? " (the socket is lanyard's user's: run as "
				  "that user or root, or start lanyard with "
				  "--ctl-group)"
				: " (is lanyard running?)");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Read one reply line (any length). */
static char *
read_line(int fd)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t r;
		char *nl = memchr(buf, '\n', len);

		if (nl) {
			*nl = '\0';
			return buf;
		}
		if (len == cap) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		r = recv(fd, buf + len, cap - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	free(buf);
	return NULL;
}

static json_int_t
num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void
print_counters(json_t *c, const char *indent)
{
	json_t *drops = json_object_get(c, "drops");
	json_t *errors = json_object_get(c, "errors");
	const char *k;
	json_t *v;
	int any = 0;

	printf("%srx %lld frames %lld bytes (forwarded %lld)  tx %lld frames "
	       "%lld bytes (offered %lld)  queued %lld\n",
	       indent, (long long)num(c, "rx"), (long long)num(c, "rx_bytes"),
	       (long long)num(c, "rx_fwd"), (long long)num(c, "tx"),
	       (long long)num(c, "tx_bytes"), (long long)num(c, "tx_offered"),
	       (long long)num(c, "queued"));
	json_object_foreach(drops, k, v) {
		if (json_integer_value(v)) {
			printf("%s%s%s %lld", any ? "" : indent,
			       any ? ", " : "drops: ", k,
			       (long long)json_integer_value(v));
			any = 1;
		}
	}
	json_object_foreach(errors, k, v) {
		if (json_integer_value(v)) {
			printf("%s%s%s %lld", any ? "" : indent,
			       any ? ", " : "errors: ", k,
			       (long long)json_integer_value(v));
			any = 1;
		}
	}
	if (num(c, "rx_ignored")) {
		printf("%s%sown echoes ignored %lld", any ? "" : indent,
		       any ? ", " : "", (long long)num(c, "rx_ignored"));
		any = 1;
	}
	if (num(c, "pauses")) {
		printf("%s%sreading paused %lld times (backpressure)",
		       any ? "" : indent, any ? ", " : "",
		       (long long)num(c, "pauses"));
		any = 1;
	}
	if (any)
		printf("\n");
}

/* A port's kind-specific "info" members, as " key=value" pairs. */
static void
print_info(json_t *info)
{
	const char *key;
	json_t *v;

	json_object_foreach(info, key, v) {
		if (json_is_integer(v))
			printf(" %s=%lld", key, (long long)json_integer_value(v));
		else if (json_is_string(v))
			printf(" %s=%s", key, json_string_value(v));
	}
}

static void
print_show(json_t *r)
{
	json_t *ports = json_object_get(r, "ports"), *p;
	json_t *fs = json_object_get(r, "fdb_stats");
	size_t i;

	json_array_foreach(ports, i, p) {
		json_t *parent = json_object_get(p, "parent");
		const char *ind = json_is_string(parent) ? "  " : "";
		const char *policy = json_string_value(json_object_get(
			json_object_get(p, "policy"), "text"));

		printf("%s%s: kind=%s state=%s peer=%s vlan=%s", ind,
		       json_string_value(json_object_get(p, "id")),
		       json_string_value(json_object_get(p, "kind")),
		       json_string_value(json_object_get(p, "state")),
		       json_string_value(json_object_get(p, "peer")),
		       json_string_value(json_object_get(p, "vlan")));
		print_info(json_object_get(p, "info"));
		if (json_is_true(json_object_get(p, "rx_paused")))
			printf(" (reading paused)");
		if (json_is_true(json_object_get(p, "stuck")))
			printf(" (stuck: dropping for it)");
		if (json_is_string(parent))
			printf(" macs=%lld\n", (long long)num(p, "macs"));
		else
			printf("\n%s  config: %s\n", ind,
			       json_string_value(json_object_get(p, "config")));
		/* Only what differs from the defaults (docs/policy.md). */
		if (policy && *policy)
			printf("%s  policy: %s\n", ind, policy);
		if (strcmp(json_string_value(json_object_get(p, "state")),
			   "listening") != 0)
			print_counters(json_object_get(p, "counters"),
				       json_is_string(parent) ? "    " : "  ");
	}
	printf("totals:\n");
	print_counters(json_object_get(r, "totals"), "  ");
	printf("fdb: %lld of %lld entries (learned %lld, moved %lld, aged "
	       "%lld, refused full %lld, refused port limit %lld)\n",
	       (long long)num(fs, "count"), (long long)num(fs, "capacity"),
	       (long long)num(fs, "learned"), (long long)num(fs, "moved"),
	       (long long)num(fs, "aged"), (long long)num(fs, "full"),
	       (long long)num(fs, "port_limit"));
}

static void
print_fdb(json_t *r)
{
	json_t *e;
	size_t i;

	printf("%-17s %4s %-16s %6s\n", "MAC", "VLAN", "PORT", "AGE");
	json_array_foreach(json_object_get(r, "fdb"), i, e) {
		const char *dst = json_string_value(json_object_get(e, "dst"));

		printf("%-17s %4lld %-16s %5llds%s%s%s\n",
		       json_string_value(json_object_get(e, "mac")),
		       (long long)num(e, "vlan"),
		       json_string_value(json_object_get(e, "port")),
		       (long long)num(e, "age"),
		       json_is_true(json_object_get(e, "static")) ? " static"
								  : "",
		       dst ? " dst " : "", dst ? dst : "");
	}
}

static void
print_stats(json_t *r)
{
	const char *id;
	json_t *c;

	json_object_foreach(json_object_get(r, "stats"), id, c) {
		printf("%s:\n", id);
		print_counters(c, "  ");
	}
	printf("totals:\n");
	print_counters(json_object_get(r, "totals"), "  ");
	if (json_is_true(json_object_get(r, "reset")))
		printf("(counters reset)\n");
}

static const char *save_path;	/* save FILE, or NULL: stdout */
static int save_failed;

/*
 * "save": the configuration to stdout, or to save_path through a
 * temporary file renamed over it, so a failed write leaves the old file.
 */
static void
save_config(const char *text, bool quiet)
{
	char tmp[4096];
	FILE *f;

	if (!text)
		text = "";
	if (!save_path) {
		fputs(text, stdout);
		return;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", save_path,
			     (long)getpid()) >= sizeof(tmp)) {
		fprintf(stderr, "lanyardctl: %s: path too long\n", save_path);
		save_failed = 1;
		return;
	}
	f = fopen(tmp, "we");
	if (!f || fputs(text, f) == EOF || fflush(f) || fsync(fileno(f)) ||
	    fclose(f) || rename(tmp, save_path)) {
		fprintf(stderr, "lanyardctl: %s: %s\n", save_path,
			strerror(errno));
		if (f)
			unlink(tmp);
		save_failed = 1;
		return;
	}
	if (!quiet)
		printf("configuration saved to %s; start from it with "
		       "lanyard -f %s\n",
		       save_path, save_path);
}

static void
print_reply(const char *cmd, json_t *rep)
{
	json_t *v;
	size_t i;

	if (strcmp(cmd, "show") == 0) {
		print_show(rep);
	} else if (strcmp(cmd, "fdb") == 0) {
		print_fdb(rep);
	} else if (strcmp(cmd, "stats") == 0) {
		print_stats(rep);
	} else if (strcmp(cmd, "port-add") == 0) {
		printf("port %s added\n",
		       json_string_value(json_object_get(rep, "port")));
		if (*json_string_value(json_object_get(rep, "qemu")))
			printf("attach a guest with\n    %s\n",
			       json_string_value(json_object_get(rep, "qemu")));
	} else if (strcmp(cmd, "port-set") == 0) {
		printf("port %s set\n  config: %s\n",
		       json_string_value(json_object_get(rep, "port")),
		       json_string_value(json_object_get(rep, "config")));
	} else if (strcmp(cmd, "port-del") == 0) {
		json_array_foreach(json_object_get(rep, "removed"), i, v)
			printf("port %s removed\n", json_string_value(v));
	} else if (strcmp(cmd, "fdb-flush") == 0) {
		printf("%lld entries flushed\n",
		       (long long)num(rep, "flushed"));
	} else if (strcmp(cmd, "save") == 0) {
		save_config(json_string_value(json_object_get(rep, "config")),
			    false);
	} else if (strcmp(cmd, "version") == 0) {
		printf("lanyard %s, control protocol %lld\n",
		       json_string_value(json_object_get(rep, "lanyard")),
		       (long long)num(rep, "protocol"));
	}
}

static int
run(const char *ctl, json_t *req, int json_out)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	char *line, *text;
	json_t *rep;
	int fd, ret = 0, send_errno = 0;

	text = json_dumps(req, JSON_COMPACT);
	fd = connect_ctl(ctl);
	if (fd < 0) {
		free(text);
		return 3;
	}
	if (send_all(fd, text, strlen(text)) || send_all(fd, "\n", 1))
		send_errno = errno;
	free(text);
	/* A refused client may find lanyard gone before it sent: the
	 * refusal is still there to read. */
	line = read_line(fd);
	close(fd);
	if (!line) {
		if (send_errno)
			fprintf(stderr, "lanyardctl: send: %s\n",
				strerror(send_errno));
		else
			fprintf(stderr, "lanyardctl: no reply from lanyard\n");
		return 3;
	}
	rep = json_loads(line, 0, NULL);
	if (!rep) {
		fprintf(stderr, "lanyardctl: unreadable reply\n");
		free(line);
		return 3;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		json_t *e = json_object_get(rep, "error");

		fprintf(stderr, "lanyardctl: %s: %s\n",
			json_string_value(json_object_get(e, "code")),
			json_string_value(json_object_get(e, "message")));
		ret = 1;
	}
	if (json_out)
		printf("%s\n", line);
	else if (ret == 0)
		print_reply(cmd, rep);
	if (json_out && ret == 0 && save_path && !strcmp(cmd, "save"))
		save_config(json_string_value(json_object_get(rep, "config")),
			    true);
	json_decref(rep);
	free(line);
	return ret ? ret : save_failed;
}

static int
usage_error(const char *what)
{
	fprintf(stderr, "lanyardctl: %s (see --help)\n", what);
	return 2;
}

/* ---- trace and capture: streams (docs/observe.md) ---------------------- */

static volatile sig_atomic_t stream_stop;

static void
on_stop_signal(int sig)
{
	(void)sig;
	stream_stop = 1;
}

/* A stream's input: what was received and not yet used. */
struct stream_in {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Receives more; 0 at the end of the stream (or an interruption). */
static ssize_t
stream_fill(struct stream_in *in)
{
	if (in->len == in->cap) {
		size_t cap = in->cap * 2;
		char *b = realloc(in->buf, cap);

		if (!b)
			return 0;
		in->buf = b;
		in->cap = cap;
	}
	for (;;) {
		ssize_t r = recv(in->fd, in->buf + in->len, in->cap - in->len, 0);

		if (r < 0 && errno == EINTR && !stream_stop)
			continue;
		if (r <= 0)
			return 0;
		in->len += (size_t)r;
		return r;
	}
}

static void
stream_consume(struct stream_in *in, size_t n)
{
	memmove(in->buf, in->buf + n, in->len - n);
	in->len -= n;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);

		if (r < 0 && errno == EINTR && !stream_stop)
			continue;
		if (r <= 0)
			return -1;
		buf = (const char *)buf + r;
		len -= (size_t)r;
	}
	return 0;
}

static void
print_ports(json_t *a, const char *sep)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		printf("%s%s", i ? sep : "", json_string_value(v));
}

/* One trace event as text: time port src > dst type [vlan] len decision. */
static void
print_event(json_t *e)
{
	json_int_t us = num(e, "time_us");
	time_t sec = (time_t)(us / 1000000);
	const char *action = json_string_value(json_object_get(e, "action"));
	json_t *to = json_object_get(e, "to"), *d;
	struct tm tm;
	char when[16];
	size_t i;

	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%06lld %s %s > %s %s", when, (long long)(us % 1000000),
	       json_string_value(json_object_get(e, "port")),
	       json_string_value(json_object_get(e, "src")),
	       json_string_value(json_object_get(e, "dst")),
	       json_string_value(json_object_get(e, "ethertype")));
	if (json_object_get(e, "vlan"))
		printf(" vlan %lld", (long long)num(e, "vlan"));
	else if (json_object_get(e, "tag"))
		printf(" tag %lld", (long long)num(e, "tag"));
	printf(" len %lld ", (long long)num(e, "len"));
	if (!action) {
		printf("?");
	} else if (!strcmp(action, "drop")) {
		printf("drop %s", json_string_value(json_object_get(e, "cause")));
		if (json_array_size(to)) {
			printf(" at ");
			print_ports(to, ",");
		}
	} else {
		printf("%s", !strcmp(action, "flood") ? "\u2192 flood " : "\u2192 ");
		print_ports(to, ",");
		if (json_array_size(json_object_get(e, "mirror"))) {
			printf(" mirror ");
			print_ports(json_object_get(e, "mirror"), ",");
		}
	}
	json_array_foreach(json_object_get(e, "drops"), i, d)
		printf(" (drop %s at %s)",
		       json_string_value(json_object_get(d, "cause")),
		       json_string_value(json_object_get(d, "port")));
	printf("\n");
}

/* Trace lines until the end; *lost: the last count lanyard reported. */
static void
stream_trace(struct stream_in *in, int json_out, unsigned long long *lost)
{
	while (!stream_stop) {
		char *nl = memchr(in->buf, '\n', in->len);
		json_t *e;

		if (!nl) {
			if (!stream_fill(in))
				return;
			continue;
		}
		*nl = '\0';
		e = json_loads(in->buf, 0, NULL);
		if (e && json_object_get(e, "lost"))
			*lost = (unsigned long long)num(e, "lost");
		if (json_out)
			printf("%s\n", in->buf);
		else if (e && !json_object_get(e, "lost"))
			print_event(e);
		json_decref(e);
		stream_consume(in, (size_t)(nl + 1 - in->buf));
		if (fflush(stdout))
			return;
	}
}

/* pcapng blocks to @out until the end; lanyard's loss reports are taken
 * out (pcapng.h). */
static int
stream_capture(struct stream_in *in, int out, unsigned long long *lost)
{
	while (!stream_stop) {
		uint32_t type, len;

		if (in->len >= 8)
			memcpy(&len, in->buf + 4, 4);
		if (in->len < 8 || (len >= 12 && in->len < len)) {
			if (!stream_fill(in))
				return 0;
			continue;
		}
		memcpy(&type, in->buf, 4);
		if (len < 12 || len % 4 || len > (64u << 20)) {
			fprintf(stderr, "lanyardctl: bad pcapng block\n");
			return 3;
		}
		if (type == PCAPNG_BT_LANYARD_LOST && len == PCAPNG_LOST_LEN) {
			uint64_t v;

			memcpy(&v, in->buf + 8, 8);
			*lost = v;
		} else if (write_all(out, in->buf, len)) {
			return 0;	/* the reader went away */
		}
		stream_consume(in, len);
	}
	return 0;
}

/*
 * trace, capture: send the request, read the first reply line, then the
 * stream until lanyard ends it or a signal comes.
 */
static int
run_stream(const char *ctl, json_t *req, int json_out, const char *wpath)
{
	bool capture = !strcmp(json_string_value(json_object_get(req, "cmd")),
			       "capture");
	struct stream_in in = {.cap = 1 << 20};
	struct sigaction sa = {.sa_handler = on_stop_signal};
	unsigned long long lost = 0;
	char *text, *nl;
	int out = 1, ret = 0;
	json_t *rep;

	if (capture && wpath && strcmp(wpath, "-") != 0) {
		out = open(wpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out == -1) {
			fprintf(stderr, "lanyardctl: %s: %s\n", wpath,
				strerror(errno));
			return 2;
		}
	} else if (capture && !wpath && isatty(1)) {
		return usage_error("capture: stdout is a terminal: use -w FILE");
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	in.fd = connect_ctl(ctl);
	in.buf = malloc(in.cap);
	text = json_dumps(req, JSON_COMPACT);
	if (in.fd < 0 || !in.buf || !text || send_all(in.fd, text, strlen(text)) ||
	    send_all(in.fd, "\n", 1)) {
		ret = 3;
		goto out;
	}
	while (!(nl = memchr(in.buf, '\n', in.len)))
		if (!stream_fill(&in)) {
			fprintf(stderr, "lanyardctl: no reply from lanyard\n");
			ret = 3;
			goto out;
		}
	*nl = '\0';
	rep = json_loads(in.buf, 0, NULL);
	if (!json_is_true(json_object_get(rep, "ok"))) {
		json_t *e = json_object_get(rep, "error");

		fprintf(stderr, "lanyardctl: %s: %s\n",
			json_string_value(json_object_get(e, "code")),
			json_string_value(json_object_get(e, "message")));
		json_decref(rep);
		ret = 1;
		goto out;
	}
	json_decref(rep);
	stream_consume(&in, (size_t)(nl + 1 - in.buf));
	if (capture)
		ret = stream_capture(&in, out, &lost);
	else
		stream_trace(&in, json_out, &lost);
	if (lost)
		fprintf(stderr, "lanyardctl: %llu %s lost: the reader was too "
				"slow\n", lost,
			capture ? "packets" : "trace lines");
out:
	free(text);
	free(in.buf);
	if (in.fd >= 0)
		close(in.fd);
	if (out != 1)
		close(out);
	return ret;
}


/*
 * The optional "vlan N" and (with @dst_ok) "dst IP" words from argv[i] on;
 * -1 on anything else.
 */
static int
set_vlan_dst(json_t *req, int argc, char **argv, int i, bool dst_ok)
{
	char *end;
	long v;

	for (; i < argc; i += 2) {
		if (i + 1 == argc)
			return -1;
		if (dst_ok && !strcmp(argv[i], "dst") &&
		    !json_object_get(req, "dst")) {
			json_object_set_new(req, "dst",
					    json_string(argv[i + 1]));
			continue;
		}
		if (strcmp(argv[i], "vlan") != 0 || json_object_get(req, "vlan"))
			return -1;
		v = strtol(argv[i + 1], &end, 10);
		if (*end || v < 0 || v > 4094)
			return -1;
		json_object_set_new(req, "vlan", json_integer(v));
	}
	return 0;
}

/* Turn the words after the options into a request, or NULL. */
static json_t *
build_request(int argc, char **argv, bool reset, const char **why)
{
	json_t *req = json_pack("{si}", "version", 1);
	const char *w = argc > 0 ? argv[0] : "";
	const char *cmd = NULL;
	int ok = 0;

	*why = "missing command";
	if (!strcmp(w, "show") || !strcmp(w, "stats")) {
		cmd = w;
		ok = argc <= 2;
		if (argc == 2)
			json_object_set_new(req, "port", json_string(argv[1]));
		if (reset && strcmp(w, "stats") == 0)
			json_object_set_new(req, "reset", json_true());
		else if (reset)
			ok = 0;
	} else if (!strcmp(w, "version")) {
		cmd = w;
		ok = argc == 1;
	} else if (!strcmp(w, "save")) {
		cmd = w;
		ok = argc <= 2;
		save_path = argc == 2 ? argv[1] : NULL;
	} else if (!strcmp(w, "port") && argc == 3 && !strcmp(argv[1], "add")) {
		cmd = "port-add";
		json_object_set_new(req, "spec", json_string(argv[2]));
		ok = 1;
	} else if (!strcmp(w, "port") && argc == 3 && !strcmp(argv[1], "del")) {
		cmd = "port-del";
		json_object_set_new(req, "port", json_string(argv[2]));
		ok = 1;
	} else if (!strcmp(w, "port") && argc == 4 && !strcmp(argv[1], "set")) {
		cmd = "port-set";
		json_object_set_new(req, "port", json_string(argv[2]));
		json_object_set_new(req, "spec", json_string(argv[3]));
		ok = 1;
	} else if (!strcmp(w, "trace") ||
		   (!strcmp(w, "capture") && argc >= 2)) {
		/* The rest is a pcap filter: "trace icmp and host 10.0.0.1" */
		int first = !strcmp(w, "trace") ? 1 : 2;
		char filter[1024] = "";
		size_t off = 0;

		cmd = w;
		ok = 1;
		if (first == 2)
			json_object_set_new(req, "port", json_string(argv[1]));
		for (int i = first; i < argc && ok; i++) {
			int n = snprintf(filter + off, sizeof(filter) - off,
					 "%s%s", i > first ? " " : "", argv[i]);

			ok = n > 0 && (size_t)n < sizeof(filter) - off;
			off += ok ? (size_t)n : 0;
		}
		if (off)
			json_object_set_new(req, "filter", json_string(filter));
	} else if (!strcmp(w, "fdb")) {
		const char *sub = argc > 1 ? argv[1] : "show";
		int rest = argc > 1 ? 2 : 1;

		if (!strcmp(sub, "show") || !strcmp(sub, "flush")) {
			cmd = !strcmp(sub, "show") ? "fdb" : "fdb-flush";
			ok = argc - rest <= 1;
			if (argc - rest == 1)
				json_object_set_new(req, "port",
						    json_string(argv[rest]));
		} else if (!strcmp(sub, "add") && argc >= 4) {
			cmd = "fdb-add";
			json_object_set_new(req, "mac", json_string(argv[2]));
			json_object_set_new(req, "port", json_string(argv[3]));
			ok = set_vlan_dst(req, argc, argv, 4, true) == 0;
		} else if (!strcmp(sub, "del") && argc >= 3) {
			cmd = "fdb-del";
			json_object_set_new(req, "mac", json_string(argv[2]));
			ok = set_vlan_dst(req, argc, argv, 3, false) == 0;
		} else if (argc == 2) {	/* "fdb PORT" */
			cmd = "fdb";
			json_object_set_new(req, "port", json_string(sub));
			ok = 1;
		}
	}
	if (argc > 0 && (!cmd || !ok))
		*why = "unknown command or wrong arguments";
	if (!cmd || !ok) {
		json_decref(req);
		return NULL;
	}
	json_object_set_new(req, "cmd", json_string(cmd));
	return req;
}

int
main(int argc, char **argv)
{
	char ctl[256];
	const char *ctl_path = NULL, *why, *wpath = NULL;
	char *words[16];
	int n_words = 0, json_out = 0, ret;
	bool reset = false;
	json_t *req;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json_out = 1;
		} else if (!strcmp(a, "--reset")) {
			reset = true;
		} else if (!strcmp(a, "-w")) {
			if (++i >= argc)
				return usage_error("-w: missing file");
			wpath = argv[i];
		} else if (!strcmp(a, "-c") || !strcmp(a, "--ctl")) {
			if (++i >= argc)
				return usage_error("--ctl: missing path");
			ctl_path = argv[i];
		} else if (!strncmp(a, "--ctl=", 6)) {
			ctl_path = a + 6;
		} else if (n_words == 0 && !strcmp(a, "top")) {
			return lanyardctl_top(ctl_path, json_out, argc - i - 1,
					      argv + i + 1);
		} else if (a[0] == '-' && n_words < 3) {
			/* After "port add", a spec may not start with '-'
			 * anyway, so any dash word here is an option. */
			fprintf(stderr, "lanyardctl: %s: unknown option (see "
					"--help)\n", a);
			return 2;
		} else if (n_words == (int)(sizeof(words) / sizeof(*words))) {
			return usage_error("too many arguments");
		} else {
			words[n_words++] = argv[i];
		}
	}
	req = build_request(n_words, words, reset, &why);
	if (!req)
		return usage_error(why);
	if (!ctl_path) {
		if (paths_default_ctl(ctl, sizeof(ctl))) {
			json_decref(req);
			return usage_error("control path too long");
		}
		ctl_path = ctl;
	}
	why = json_string_value(json_object_get(req, "cmd"));
	if (wpath && strcmp(why, "capture") != 0) {
		json_decref(req);
		return usage_error("-w is for capture");
	}
	if (!strcmp(why, "trace") || !strcmp(why, "capture"))
		ret = run_stream(ctl_path, req, json_out, wpath);
	else
		ret = run(ctl_path, req, json_out);
	json_decref(req);
	return ret;
}
