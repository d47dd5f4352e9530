/* SPDX-License-Identifier: MIT */
/*
 * lanyardctl - command-line client of lanyard's control socket.  Sends one
 * JSON request line, reads one reply line, prints it as a table or (-j) as
 * JSON.  The protocol is in docs/control-protocol.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/paths.h"

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
	"  version                     lanyard's and the protocol's versions\n"
	"\n"
	"Options:\n"
	"  -c, --ctl PATH   control socket (default: /run/lanyard/ctl.sock as\n"
	"                   root, else $XDG_RUNTIME_DIR/lanyard/ctl.sock)\n"
	"  -j, --json       print the reply as JSON\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit status: 0 ok, 1 lanyard answered with an error, 2 bad usage,\n"
	"3 cannot reach lanyard.\n";

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
	json_decref(rep);
	free(line);
	return ret;
}

static int
usage_error(const char *what)
{
	fprintf(stderr, "lanyardctl: %s (see --help)\n", what);
	return 2;
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
	const char *ctl_path = NULL, *why;
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
		} else if (!strcmp(a, "-c") || !strcmp(a, "--ctl")) {
			if (++i >= argc)
				return usage_error("--ctl: missing path");
			ctl_path = argv[i];
		} else if (!strncmp(a, "--ctl=", 6)) {
			ctl_path = a + 6;
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
	ret = run(ctl_path, req, json_out);
	json_decref(req);
	return ret;
}
