/* SPDX-License-Identifier: MIT */
/*
 * ctl_req.h - requests of the control protocol (docs/control-protocol.md):
 * one JSON object per line, {"cmd": "show"} or {"cmd": "fdb", ...}.
 *
 * The parser is pure (jansson, no I/O), so it is unit-tested and fuzzed
 * alone; the server in ctl/ acts on the result.
 */
#ifndef LANYARD_PROTO_CTL_REQ_H
#define LANYARD_PROTO_CTL_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_PROTO_VERSION 1
#define CTL_LINE_MAX 65536
#define CTL_ARG_MAX 64

enum ctl_cmd {
	CTL_CMD_SHOW = 1,
	CTL_CMD_FDB,
	CTL_CMD_VERSION,
	CTL_CMD_STATS,		/* port?, reset? */
	CTL_CMD_PORT_ADD,	/* spec */
	CTL_CMD_PORT_DEL,	/* port */
	CTL_CMD_PORT_SET,	/* port, spec (KEY=VALUE,...) */
	CTL_CMD_FDB_FLUSH,	/* port? */
	CTL_CMD_FDB_ADD,	/* mac, port, vlan?, dst? */
	CTL_CMD_FDB_DEL,	/* mac, vlan? */
	CTL_CMD_SAVE,		/* the running configuration, as -f reads */
	CTL_CMD_TRACE,		/* filter?: then a stream of events */
	CTL_CMD_CAPTURE,	/* port ("all" or ID[,ID...]), filter?:
				 * then a pcapng stream */
};

#define CTL_SPEC_MAX 1024

struct ctl_req {
	enum ctl_cmd cmd;
	uint32_t version;		/* the client's, 1 if absent */
	char port[CTL_ARG_MAX];		/* a port id, or "" */
	char spec[CTL_SPEC_MAX];	/* port-add; port-set: its keys */
	uint8_t mac[6];			/* fdb-add, fdb-del */
	uint16_t vlan;			/* fdb-add, fdb-del; 0 if absent */
	char dst[CTL_ARG_MAX];		/* fdb-add: a tunnel endpoint, or "" */
	bool reset;			/* stats */
	char filter[CTL_SPEC_MAX];	/* trace, capture: pcap filter, or "" */
};

/* Error codes sent back in {"error": {"code": ...}}. */
#define CTL_ERR_BAD_JSON "bad-json"
#define CTL_ERR_BAD_REQUEST "bad-request"
#define CTL_ERR_UNKNOWN_CMD "unknown-command"
#define CTL_ERR_VERSION "unsupported-version"
#define CTL_ERR_NO_PORT "no-such-port"
#define CTL_ERR_BAD_SPEC "bad-spec"
#define CTL_ERR_NO_ENTRY "no-such-entry"
#define CTL_ERR_FULL "table-full"
#define CTL_ERR_DENIED "permission-denied"
#define CTL_ERR_BAD_FILTER "bad-filter"
#define CTL_ERR_BUSY "busy"

/*
 * ctl_req_parse() checks each field's type and size only: what a spec
 * means (its keys and values) is for the port code to judge, which
 * answers CTL_ERR_BAD_SPEC.
 */
int ctl_req_parse(const char *line, size_t len, struct ctl_req *req,
		  const char **code, char *err);

#endif /* LANYARD_PROTO_CTL_REQ_H */
