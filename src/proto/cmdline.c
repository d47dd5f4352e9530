/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - lanyard's command-line options.  Accepts "--opt value",
 * "--opt=value" and the short forms listed in cmdline_usage; every rejection
 * names the option and the reason.
 */
#include "proto/cmdline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/pkt.h"
#include "core/util.h"
#include "proto/opts.h"

const char cmdline_usage[] =
	"usage: lanyard [OPTIONS]\n"
	"\n"
	"A userspace Ethernet switch for QEMU guests, containers and hosts.\n"
	"\n"
	"  -p, --port SPEC        add a port (repeatable), QEMU -netdev style:\n"
	"                           stream,id=ID,path=PATH[,server=on|off]\n"
	"                           stream,id=ID,host=H,port=N[,server=on|off]\n"
	"                           dgram,id=ID,path=PATH[,remote.path=P]\n"
	"                           dgram,id=ID,host=H,port=N[,remote.host=H,remote.port=N]\n"
	"                           mcast,id=ID,group=G,port=N[,localaddr=IP]\n"
	"                           tap,id=ID[,ifname=IF][,offload=on|off][,queues=N]\n"
	"                               [,persist=on][,up=on][,mtu=N]\n"
	"                           packet,id=ID,ifname=IF[,offload=on|off]\n"
	"                               [,promisc=on|off]\n"
	"                           vxlan,id=ID,vni=N|VNI:VLAN,...,local=IP\n"
	"                               [,remote=IP,...|group=G[,dev=IF]]\n"
	"                               [,port=4789][,learning=on|off][,mtu=N]\n"
	"                           vhost-user,id=ID,path=PATH[,server=on|off]\n"
	"                               [,queues=N][,poll_us=N][,offload=on|off]\n"
	"                         common keys: backlog=N max_macs=N idle=S (dgram)\n"
	"                           vlan=N | trunk=LIST[,native=N][,tpid=T]\n"
	"                           uplink=on | mode=bridge|private|vepa|passthru\n"
	"                           isolated=on mirror=PORT[,mirror_dir=rx|tx|both]\n"
	"                           bcast_pps=N mtu=N\n"
	"                         see docs/ports.md and docs/policy.md; with no\n"
	"                         --port, a stream listener and a dgram endpoint\n"
	"                         are created in\n"
	"                         $XDG_RUNTIME_DIR/lanyard (or /run/lanyard as root)\n"
	"  -c, --ctl PATH         control socket (default: ctl.sock in that dir)\n"
	"      --ctl-group GROUP  let members of GROUP (name or gid) use the\n"
	"                         control socket too (mode 0660); default:\n"
	"                         only its owner and root (mode 0600)\n"
	"      --fdb-size N       MAC table capacity (default 65536)\n"
	"      --ageing SECONDS   forget MACs unseen this long, 0 = never\n"
	"                         (default 300)\n"
	"      --pool N           packet buffers preallocated (default 4096)\n"
	"      --frame-max BYTES  largest frame carried (default 65550)\n"
	"      --backlog N        default per-port backlog in frames (256)\n"
	"      --max-macs N       default per-port MAC limit, 0 = none (4096)\n"
	"      --pause-max MS     backpressure: stop reading a sender while a\n"
	"                         port it sends to is backlogged, for at most\n"
	"                         MS without progress; 0 = never pause, drop\n"
	"                         (default 100)\n"
	"      --poll-us US       after work, poll this long before sleeping\n"
	"                         (lower latency and more frames per wakeup\n"
	"                         under load, for a busier CPU); 0 = off,\n"
	"                         the default; an idle switch always sleeps\n"
	"      --metrics ADDR:PORT\n"
	"                         serve Prometheus metrics over HTTP at\n"
	"                         http://ADDR:PORT/metrics; numeric ADDR,\n"
	"                         IPv6 in brackets ([::1]:9109); port 0 picks\n"
	"                         a free one, printed at start.  Plain HTTP,\n"
	"                         no access control: bind a loopback or\n"
	"                         management address (docs/metrics.md)\n"
	"      --pcap FILE        capture every port's frames to FILE (pcapng)\n"
	"                         from the start until lanyard stops\n"
	"      --log-level LEVEL  err, warn, info or debug (default info)\n"
	"  -f, --config FILE      read options from FILE first: one per line,\n"
	"                         NAME VALUE (\"port stream,id=vm,...\"), '#'\n"
	"                         comments; the command line adds ports and\n"
	"                         overrides the rest.  \"lanyardctl save\"\n"
	"                         writes such a file from a running switch\n"
	"  -h, --help             this text\n"
	"  -V, --version          print the version\n";

enum opt_id {
	OPT_PORT = 1,
	OPT_CTL,
	OPT_CTL_GROUP,
	OPT_FDB_SIZE,
	OPT_AGEING,
	OPT_POOL,
	OPT_FRAME_MAX,
	OPT_BACKLOG,
	OPT_MAX_MACS,
	OPT_PAUSE_MAX,
	OPT_POLL_US,
	OPT_METRICS,
	OPT_PCAP,
	OPT_CONFIG,
	OPT_LOG_LEVEL,
	OPT_HELP,
	OPT_VERSION,
};

struct opt_def {
	const char *long_name;
	char short_name;
	bool has_arg;
	enum opt_id id;
};

static const struct opt_def defs[] = {
	{"port", 'p', true, OPT_PORT},
	{"ctl", 'c', true, OPT_CTL},
	{"ctl-group", 0, true, OPT_CTL_GROUP},
	{"fdb-size", 0, true, OPT_FDB_SIZE},
	{"ageing", 0, true, OPT_AGEING},
	{"pool", 0, true, OPT_POOL},
	{"frame-max", 0, true, OPT_FRAME_MAX},
	{"backlog", 0, true, OPT_BACKLOG},
	{"max-macs", 0, true, OPT_MAX_MACS},
	{"pause-max", 0, true, OPT_PAUSE_MAX},
	{"poll-us", 0, true, OPT_POLL_US},
	{"metrics", 0, true, OPT_METRICS},
	{"pcap", 0, true, OPT_PCAP},
	{"config", 'f', true, OPT_CONFIG},
	{"log-level", 0, true, OPT_LOG_LEVEL},
	{"help", 'h', false, OPT_HELP},
	{"version", 'V', false, OPT_VERSION},
};

static const struct opt_def *
find_def(const char *arg, const char **inline_val)
{
	*inline_val = NULL;
	if (arg[0] == '-' && arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);

		for (size_t i = 0; i < ARRAY_SIZE(defs); i++) {
			if (strlen(defs[i].long_name) == n &&
			    memcmp(defs[i].long_name, name, n) == 0) {
				*inline_val = eq ? eq + 1 : NULL;
				return &defs[i];
			}
		}
		return NULL;
	}
	if (arg[0] == '-' && arg[1] && arg[2] == '\0') {
		for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
			if (defs[i].short_name == arg[1])
				return &defs[i];
	}
	return NULL;
}

static int
number(const char *opt, const char *v, uint32_t min, uint32_t max,
       uint32_t *out, char *err)
{
	if (opts_parse_u32(v, min, max, out))
		return ERR_SET(err, -EINVAL,
			       "--%s: expected a number from %u to %u, got '%s'",
			       opt, min, max, v);
	return 0;
}

static int
apply(struct cmdline *c, const struct opt_def *d, const char *v, char *err)
{
	switch (d->id) {
	case OPT_PORT:
		if (c->n_ports == CMDLINE_MAX_PORTS)
			return ERR_SET(err, -EINVAL, "--port: more than %d",
				       CMDLINE_MAX_PORTS);
		c->ports[c->n_ports++] = v;
		return 0;
	case OPT_CTL:
		if (!*v)
			return ERR_SET(err, -EINVAL, "--ctl: empty path");
		c->ctl_path = v;
		return 0;
	case OPT_CTL_GROUP:
		if (!*v)
			return ERR_SET(err, -EINVAL, "--ctl-group: empty name");
		c->ctl_group = v;
		return 0;
	case OPT_FDB_SIZE:
		return number(d->long_name, v, 16, 1U << 24, &c->fdb_size, err);
	case OPT_AGEING:
		return number(d->long_name, v, 0, 1000000, &c->ageing, err);
	case OPT_POOL:
		return number(d->long_name, v, 256, 1U << 22, &c->pool, err);
	case OPT_FRAME_MAX:
		return number(d->long_name, v, 1514, 1U << 18, &c->frame_max,
			      err);
	case OPT_BACKLOG:
		return number(d->long_name, v, 1, 1U << 16, &c->backlog, err);
	case OPT_MAX_MACS:
		return number(d->long_name, v, 0, 1U << 24, &c->max_macs, err);
	case OPT_PAUSE_MAX:
		return number(d->long_name, v, 0, 60000, &c->pause_max, err);
	case OPT_POLL_US:
		return number(d->long_name, v, 0, 1000000, &c->poll_us, err);
	case OPT_METRICS:
		if (cmdline_parse_hostport(v, &c->metrics_addr,
					   &c->metrics_addr_len))
			return ERR_SET(err, -EINVAL,
				       "--metrics: expected ADDR:PORT with a "
				       "numeric address ([ADDR]:PORT for "
				       "IPv6), got '%s'",
				       v);
		c->metrics = v;
		return 0;
	case OPT_PCAP:
		if (!*v)
			return ERR_SET(err, -EINVAL, "--pcap: empty path");
		c->pcap = v;
		return 0;
	case OPT_CONFIG:
		if (!*v)
			return ERR_SET(err, -EINVAL, "--config: empty path");
		c->config = v;
		return 0;
	case OPT_LOG_LEVEL:
		if (log_level_parse(v, &c->log_level))
			return ERR_SET(err, -EINVAL,
				       "--log-level: expected err, warn, info "
				       "or debug, got '%s'",
				       v);
		return 0;
	case OPT_HELP:
		c->help = true;
		return 0;
	case OPT_VERSION:
		c->version = true;
		return 0;
	}
	return ERR_SET(err, -EINVAL, "internal: unhandled option");
}

/**
 * cmdline_parse_hostport() - a numeric listening address with its port:
 * "192.0.2.1:9109", "[2001:db8::1]:9109" (IPv6 only in brackets)
 * @s:   the text
 * @ss:  the address, on success
 * @len: its length (sockaddr_in or sockaddr_in6)
 *
 * Return: 0, or -EINVAL (no port, a port above 65535, a name rather than
 * a number, a scope id, anything after the port).
 */
int
cmdline_parse_hostport(const char *s, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - s) : 0;
	uint32_t port;

	memset(ss, 0, sizeof(*ss));
	if (!colon || hlen == 0 || hlen >= sizeof(host) ||
	    opts_parse_u32(colon + 1, 0, 65535, &port))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']' && hlen > 2) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return -EINVAL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
}

/**
 * cmdline_defaults() - every option at its default, no ports
 * @c: the options
 */
void
cmdline_defaults(struct cmdline *c)
{
	memset(c, 0, sizeof(*c));
	c->fdb_size = CMDLINE_FDB_SIZE_DEFAULT;
	c->ageing = CMDLINE_AGEING_DEFAULT;
	c->pool = PKT_POOL_DEFAULT;
	c->frame_max = PKT_FRAME_MAX_DEFAULT;
	c->backlog = CMDLINE_BACKLOG_DEFAULT;
	c->max_macs = CMDLINE_MAX_MACS_DEFAULT;
	c->pause_max = CMDLINE_PAUSE_MAX_DEFAULT;
	c->log_level = LOG_LVL_INFO;
}

/**
 * cmdline_apply() - one option by its long name, as a configuration file
 * line gives it (proto/config.h)
 * @c:     the options so far
 * @name:  the long name without "--"
 * @value: its value, or NULL
 * @err:   the reason on failure, naming the option
 *
 * The value must outlive @c.  -f, --help and --version have no meaning
 * in a file and are refused.
 *
 * Return: 0 or -EINVAL.
 */
int
cmdline_apply(struct cmdline *c, const char *name, const char *value,
	      char *err)
{
	char arg[64];
	const char *inline_val;
	const struct opt_def *d;

	snprintf(arg, sizeof(arg), "--%s", name);
	d = find_def(arg, &inline_val);
	if (!d || inline_val)
		return ERR_SET(err, -EINVAL, "'%s': unknown option (see "
			       "lanyard --help)", name);
	if (d->id == OPT_CONFIG || d->id == OPT_HELP || d->id == OPT_VERSION)
		return ERR_SET(err, -EINVAL,
			       "'%s' has no place in a configuration file",
			       name);
	if (!value)
		return ERR_SET(err, -EINVAL, "--%s: missing value", name);
	return apply(c, d, value, err);
}

/**
 * cmdline_parse_args() - apply the options of an argument vector on top
 * of @c (ports are added, everything else replaced)
 * @argc: argument count, argv[0] included
 * @argv: the arguments; the strings must outlive @c (specs point into them)
 * @c:    the options so far
 * @err:  one line naming the option and the reason, on failure
 *
 * Return: 0 or -EINVAL.
 */
int
cmdline_parse_args(int argc, char *const *argv, struct cmdline *c,
		   char *err)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v;
		const struct opt_def *d = find_def(arg, &v);
		int ret;

		if (!d)
			return ERR_SET(err, -EINVAL,
				       "%s: unknown option (see --help)", arg);
		if (!d->has_arg && v)
			return ERR_SET(err, -EINVAL, "--%s takes no value",
				       d->long_name);
		if (d->has_arg && !v) {
			if (i + 1 >= argc)
				return ERR_SET(err, -EINVAL,
					       "--%s: missing value",
					       d->long_name);
			v = argv[++i];
		}
		ret = apply(c, d, v, err);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * cmdline_parse() - read lanyard's options
 * @argc: argument count, argv[0] included
 * @argv: the arguments; the strings must outlive @c (specs point into them)
 * @c:    filled with defaults, then the options
 * @err:  one line naming the option and the reason, on failure
 *
 * A --config file is not read here: main() reads it, then applies @argv
 * again on top of it (cmdline_parse_args()).
 *
 * Return: 0 or -EINVAL.
 */
int
cmdline_parse(int argc, char *const *argv, struct cmdline *c, char *err)
{
	cmdline_defaults(c);
	return cmdline_parse_args(argc, argv, c, err);
}
