/* SPDX-License-Identifier: MIT */
/*
 * main.c - start-up, options and signals: parse the command line, build the
 * switch and its ports (all or nothing), print how to attach guests, run
 * the loop until SIGINT/SIGTERM, then take everything down cleanly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/paths.h"
#include "ctl/ctl.h"
#include "ctl/metrics.h"
#include "ctl/trace.h"
#include "port/port.h"
#include "proto/cmdline.h"
#include "proto/config.h"

#define CONFIG_FILE_MAX (1u << 20)	/* bytes in a -f file */

struct app {
	struct sw sw;
	struct ctl ctl;
	struct metrics metrics;		/* sw == NULL without --metrics */
	struct loop_fd sig;
	char dir[200];
	char ctl_path[256];
	char default_specs[2][400];
	char **config_values;		/* a -f file's values, owned */
	unsigned int n_config_values;
	unsigned int port_line[CMDLINE_MAX_PORTS];	/* the -f file's line
							 * of each --port, 0:
							 * the command line */
};

struct config_ctx {
	struct app *a;
	struct cmdline *c;
};

static int
config_option(void *ctx, unsigned int line, const char *name,
	      const char *value, char *err)
{
	struct config_ctx *x = ctx;
	struct app *a = x->a;
	char *v = value ? strdup(value) : NULL;
	unsigned int n_ports = x->c->n_ports;
	char **vs;
	int ret;

	if (value && !v)
		return ERR_SET(err, -ENOMEM, "out of memory");
	vs = realloc(a->config_values,
		     (a->n_config_values + 1) * sizeof(*vs));
	if (!vs) {
		free(v);
		return ERR_SET(err, -ENOMEM, "out of memory");
	}
	a->config_values = vs;
	vs[a->n_config_values++] = v;
	ret = cmdline_apply(x->c, name, v, err);
	if (!ret && x->c->n_ports > n_ports)
		a->port_line[n_ports] = line;
	return ret;
}

/*
 * -f FILE: the file's options first, then the command line's again on top
 * (ports add up, the rest is replaced).  Errors name the file and line.
 */
static int
read_config(struct app *a, int argc, char **argv, struct cmdline *c,
	    char *err)
{
	const char *path = c->config;
	char *text = malloc(CONFIG_FILE_MAX + 1), why[ERR_LEN];
	FILE *f = text ? fopen(path, "re") : NULL;
	struct config_ctx x = { a, c };
	size_t n = 0;
	int ret;

	if (!text)
		return ERR_SET(err, -ENOMEM, "out of memory");
	if (!f) {
		ret = -errno;
		free(text);
		return ERR_SET(err, ret, "%s: %s", path, strerror(-ret));
	}
	n = fread(text, 1, CONFIG_FILE_MAX + 1, f);
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!ret && n > CONFIG_FILE_MAX)
		ret = ERR_SET(why, -EFBIG, "larger than %u bytes",
			      CONFIG_FILE_MAX);
	else if (ret)
		snprintf(why, sizeof(why), "read error");
	cmdline_defaults(c);
	if (!ret)
		ret = config_parse(text, n, config_option, &x, why);
	free(text);
	if (!ret)
		ret = cmdline_parse_args(argc, argv, c, why);
	if (ret)
		return ERR_SET(err, ret, "%s: %s", path, why);
	c->config = path;
	return 0;
}


static void
on_signal(struct loop_fd *lfd, uint32_t events)
{
	struct app *a = container_of(lfd, struct app, sig);
	struct signalfd_siginfo si;

	(void)events;
	if (read(lfd->fd, &si, sizeof(si)) == sizeof(si))
		log_info("signal %u: shutting down", si.ssi_signo);
	loop_stop(&a->sw.loop);
}

static int
setup_signals(struct app *a, char *err)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		return ERR_SET(err, -errno, "signalfd: %s", strerror(errno));
	if (loop_add(&a->sw.loop, &a->sig, fd, EPOLLIN, on_signal)) {
		close(fd);
		return ERR_SET(err, -ENOMEM, "signalfd: epoll failed");
	}
	return 0;
}

static int
ensure_dir(const char *dir, char *err)
{
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return ERR_SET(err, -errno, "mkdir %s: %s", dir,
			       strerror(errno));
	return 0;
}

/* With no --port: a stream listener and a dgram endpoint in the dir. */
static void
default_ports(struct app *a, struct cmdline *c)
{
	snprintf(a->default_specs[0], sizeof(a->default_specs[0]),
		 "stream,id=stream,path=%s/stream.sock", a->dir);
	snprintf(a->default_specs[1], sizeof(a->default_specs[1]),
		 "dgram,id=dgram,path=%s/dgram.sock", a->dir);
	c->ports[0] = a->default_specs[0];
	c->ports[1] = a->default_specs[1];
	c->n_ports = 2;
}

static void
print_hints(struct sw *sw, const char *ctl_path, const struct metrics *m)
{
	printf("lanyard %s: control socket %s\n", LANYARD_VERSION, ctl_path);
	if (m->sw)
		printf("metrics: http://%s/metrics\n", m->addr);
	for (struct port *p = sw->ports_head; p; p = p->next) {
		char hint[512] = "";

		if (p->ops->qemu_hint)
			p->ops->qemu_hint(p, hint, sizeof(hint));
		if (hint[0])
			printf("port %s (%s %s): attach a guest with\n    %s\n",
			       p->id, p->ops->kind, p->peer, hint);
		else
			printf("port %s (%s %s)\n", p->id, p->ops->kind,
			       p->peer);
	}
	fflush(stdout);
}

static int
start(struct app *a, struct cmdline *c, char *err)
{
	int ret;

	if (paths_runtime_dir(a->dir, sizeof(a->dir)))
		return ERR_SET(err, -ENAMETOOLONG, "runtime directory: name "
				"too long");
	if (c->n_ports == 0 || !c->ctl_path) {
		if ((ret = ensure_dir(a->dir, err)))
			return ret;
	}
	if (c->n_ports == 0)
		default_ports(a, c);
	snprintf(a->ctl_path, sizeof(a->ctl_path), "%s/%s", a->dir,
		 PATHS_CTL_NAME);
	if (c->ctl_path)
		snprintf(a->ctl_path, sizeof(a->ctl_path), "%s", c->ctl_path);
	if ((ret = sw_init(&a->sw, c, err)) || (ret = setup_signals(a, err)))
		return ret;
	for (unsigned int i = 0; i < c->n_ports; i++) {
		char perr[ERR_LEN];

		ret = port_create(&a->sw, c->ports[i], NULL, perr);
		if (ret && a->port_line[i])
			return ERR_SET(err, ret, "%s: line %u: port %s: %s",
				       c->config, a->port_line[i],
				       c->ports[i], perr);
		if (ret)
			return ERR_SET(err, ret, "--port %s: %s", c->ports[i],
				       perr);
	}
	if ((ret = ctl_open(&a->ctl, &a->sw, a->ctl_path, c->ctl_group, err)))
		return ret;
	if (c->pcap && (ret = capture_start_file(&a->sw, c->pcap, "all", NULL,
						 err)))
		return ret;
	if (c->metrics)
		return metrics_open(&a->metrics, &a->sw, &c->metrics_addr,
				    c->metrics_addr_len, err);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct cmdline c;
	char err[ERR_LEN];
	int ret;

	if (cmdline_parse(argc, argv, &c, err) ||
	    (c.config && read_config(&a, argc, argv, &c, err))) {
		fprintf(stderr, "lanyard: %s\n", err);
		ret = 2;
		goto out;
	}
	if (c.help) {
		fputs(cmdline_usage, stdout);
		ret = 0;
		goto out;
	}
	if (c.version) {
		printf("lanyard %s\n", LANYARD_VERSION);
		ret = 0;
		goto out;
	}
	log_set_level(c.log_level);
	a.sw.loop.epfd = -1;
	a.ctl.lfd.fd = -1;
	a.sig.fd = -1;
	if (start(&a, &c, err)) {
		fprintf(stderr, "lanyard: %s\n", err);
		capture_stop_files(&a.sw);
		metrics_close(&a.metrics);
		ctl_close(&a.ctl);
		sw_fini(&a.sw);	/* nothing half-started: sockets removed */
		ret = 2;
		goto out;
	}
	print_hints(&a.sw, a.ctl_path, &a.metrics);
	ret = loop_run(&a.sw.loop);
	if (ret)
		log_err("event loop: %s", strerror(-ret));
	capture_stop_files(&a.sw);
	metrics_close(&a.metrics);
	ctl_close(&a.ctl);
	sw_fini(&a.sw);
	ret = ret ? 1 : 0;
out:
	for (unsigned int i = 0; i < a.n_config_values; i++)
		free(a.config_values[i]);
	free(a.config_values);
	return ret;
}
