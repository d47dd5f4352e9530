/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - the control socket: a unix stream socket (mode 0600) speaking one
 * JSON request per line and one JSON reply per line (see
 * docs/control-protocol.md).  lanyardctl is its command-line client.
 *
 * Clients are served from the event loop, never blocking it: requests are
 * read into a bounded buffer, each reply is built whole and written as the
 * socket accepts it.  A client that sends an over-long line or garbage gets
 * an error reply; one that misbehaves at the socket level is dropped.
 * After a trace or capture request the connection carries that stream
 * (ctl/trace.h) until the client hangs up.
 */
#ifndef LANYARD_CTL_CTL_H
#define LANYARD_CTL_CTL_H

#include <sys/types.h>

#include <jansson.h>

#include "core/loop.h"
#include "proto/ctl_req.h"

struct sw;

struct ctl {
	struct sw *sw;
	struct loop_fd lfd;
	char path[108];
	unsigned int n_clients;
	bool has_group;		/* --ctl-group: its members may connect */
	gid_t group;
};

int ctl_open(struct ctl *c, struct sw *sw, const char *path,
	     const char *group, char *err);
void ctl_close(struct ctl *c);
json_t *ctl_handle(struct sw *sw, const struct ctl_req *req,
		   const char **code, char *err);
json_t *ctl_show(struct sw *sw, const struct ctl_req *req, const char **code,
		 char *err);
json_t *ctl_fdb(struct sw *sw, const struct ctl_req *req, const char **code,
		char *err);
json_t *ctl_stats(struct sw *sw, const struct ctl_req *req,
		  const char **code, char *err);
json_t *ctl_port_add(struct sw *sw, const struct ctl_req *req,
		     const char **code, char *err);
json_t *ctl_port_del(struct sw *sw, const struct ctl_req *req,
		     const char **code, char *err);
json_t *ctl_port_set(struct sw *sw, const struct ctl_req *req,
		     const char **code, char *err);
json_t *ctl_save(struct sw *sw, const struct ctl_req *req, const char **code,
		 char *err);
json_t *ctl_fdb_flush(struct sw *sw, const struct ctl_req *req,
		      const char **code, char *err);
json_t *ctl_fdb_add(struct sw *sw, const struct ctl_req *req,
		    const char **code, char *err);
json_t *ctl_fdb_del(struct sw *sw, const struct ctl_req *req,
		    const char **code, char *err);

#endif /* LANYARD_CTL_CTL_H */
