/* SPDX-License-Identifier: MIT */
/*
 * cmdline.h - lanyard's command line, parsed into a plain struct.  Pure:
 * main.c acts on the result, the unit tests and the fuzz target feed it
 * arbitrary argument vectors.
 */
#ifndef LANYARD_PROTO_CMDLINE_H
#define LANYARD_PROTO_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/log.h"

#define CMDLINE_MAX_PORTS 256

#define CMDLINE_FDB_SIZE_DEFAULT 65536
#define CMDLINE_AGEING_DEFAULT 300
#define CMDLINE_BACKLOG_DEFAULT 256
#define CMDLINE_MAX_MACS_DEFAULT 4096
#define CMDLINE_PAUSE_MAX_DEFAULT 100

struct cmdline {
	const char *ports[CMDLINE_MAX_PORTS];	/* specs, as given */
	unsigned int n_ports;
	const char *ctl_path;		/* NULL: the default location */
	const char *ctl_group;		/* NULL: the socket is the owner's */
	uint32_t fdb_size;		/* entries */
	uint32_t ageing;		/* seconds, 0 = never */
	uint32_t pool;			/* packets */
	uint32_t frame_max;		/* bytes */
	uint32_t backlog;		/* default per-port backlog, frames */
	uint32_t max_macs;		/* default per-port limit, 0 = none */
	uint32_t pause_max;		/* ms a sender may be paused, 0 = off */
	uint32_t poll_us;		/* adaptive polling after work, 0 = off */
	const char *metrics;		/* --metrics ADDR:PORT, or NULL */
	struct sockaddr_storage metrics_addr;	/* ... parsed */
	socklen_t metrics_addr_len;
	const char *pcap;		/* --pcap FILE, or NULL */
	const char *config;		/* -f FILE, or NULL */
	enum log_level log_level;
	bool help;
	bool version;
};

int cmdline_parse(int argc, char *const *argv, struct cmdline *c, char *err);
void cmdline_defaults(struct cmdline *c);
int cmdline_parse_args(int argc, char *const *argv, struct cmdline *c,
		       char *err);
int cmdline_apply(struct cmdline *c, const char *name, const char *value,
		  char *err);
int cmdline_parse_hostport(const char *s, struct sockaddr_storage *ss,
			   socklen_t *len);
extern const char cmdline_usage[];

#endif /* LANYARD_PROTO_CMDLINE_H */
