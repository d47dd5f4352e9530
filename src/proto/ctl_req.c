/* SPDX-License-Identifier: MIT */
/*
 * ctl_req.c - parse one control request line.
 */
#include "proto/ctl_req.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "core/util.h"
#include "proto/eth.h"

static const struct {
	const char *name;
	enum ctl_cmd cmd;
} cmds[] = {
	{"show", CTL_CMD_SHOW},
	{"fdb", CTL_CMD_FDB},
	{"version", CTL_CMD_VERSION},
	{"stats", CTL_CMD_STATS},
	{"port-add", CTL_CMD_PORT_ADD},
	{"port-del", CTL_CMD_PORT_DEL},
	{"port-set", CTL_CMD_PORT_SET},
	{"save", CTL_CMD_SAVE},
	{"fdb-flush", CTL_CMD_FDB_FLUSH},
	{"fdb-add", CTL_CMD_FDB_ADD},
	{"fdb-del", CTL_CMD_FDB_DEL},
	{"trace", CTL_CMD_TRACE},
	{"capture", CTL_CMD_CAPTURE},
};

static int
fail(const char **code, const char *c, char *err, const char *msg,
     const char *arg)
{
	*code = c;
	return ERR_SET(err, -EINVAL, "%s%s", msg, arg ? arg : "");
}

/* The arguments each command needs, checked for type and presence. */
static int
read_args(json_t *o, struct ctl_req *req, const char **code, char *err)
{
	json_t *spec = json_object_get(o, "spec");
	json_t *mac = json_object_get(o, "mac");
	json_t *vlan = json_object_get(o, "vlan");
	json_t *reset = json_object_get(o, "reset");
	json_t *dst = json_object_get(o, "dst");
	json_t *filter = json_object_get(o, "filter");
	bool need_port = req->cmd == CTL_CMD_PORT_DEL ||
			 req->cmd == CTL_CMD_PORT_SET ||
			 req->cmd == CTL_CMD_FDB_ADD ||
			 req->cmd == CTL_CMD_CAPTURE;
	bool need_mac = req->cmd == CTL_CMD_FDB_ADD ||
			req->cmd == CTL_CMD_FDB_DEL;

	if (need_port && !req->port[0])
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "'port' is required", NULL);
	if (req->cmd == CTL_CMD_PORT_ADD || req->cmd == CTL_CMD_PORT_SET) {
		const char *s = json_string_value(spec);

		if (!s || !*s || strlen(s) >= sizeof(req->spec))
			return fail(code, CTL_ERR_BAD_REQUEST, err,
				    req->cmd == CTL_CMD_PORT_ADD
					    ? "'spec' must be a port spec of "
					      "1 to 1023 bytes"
					    : "'spec' must be KEY=VALUE[,...] "
					      "of 1 to 1023 bytes",
				    NULL);
		memcpy(req->spec, s, strlen(s) + 1);
	}
	if (need_mac && (!json_is_string(mac) ||
			 eth_mac_parse(json_string_value(mac), req->mac)))
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "'mac' must be a MAC address like "
			    "52:54:00:12:34:56",
			    NULL);
	if (vlan && (!json_is_integer(vlan) || json_integer_value(vlan) < 0 ||
		     json_integer_value(vlan) > 4094))
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "'vlan' must be an integer from 0 to 4094", NULL);
	req->vlan = vlan ? (uint16_t)json_integer_value(vlan) : 0;
	if (dst) {
		const char *d = json_string_value(dst);

		if (req->cmd != CTL_CMD_FDB_ADD || !d || !*d ||
		    strlen(d) >= sizeof(req->dst))
			return fail(code, CTL_ERR_BAD_REQUEST, err,
				    "'dst' is an address, for fdb-add only",
				    NULL);
		memcpy(req->dst, d, strlen(d) + 1);
	}
	if (filter) {
		const char *f = json_string_value(filter);

		if ((req->cmd != CTL_CMD_TRACE && req->cmd != CTL_CMD_CAPTURE) ||
		    !f || strlen(f) >= sizeof(req->filter))
			return fail(code, CTL_ERR_BAD_REQUEST, err,
				    "'filter' is a pcap filter of at most "
				    "1023 bytes, for trace and capture only",
				    NULL);
		memcpy(req->filter, f, strlen(f) + 1);
	}
	if (reset && !json_is_boolean(reset))
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "'reset' must be true or false", NULL);
	req->reset = json_is_true(reset);
	return 0;
}

static int
read_fields(json_t *o, struct ctl_req *req, const char **code, char *err)
{
	json_t *cmd = json_object_get(o, "cmd");
	json_t *ver = json_object_get(o, "version");
	json_t *port = json_object_get(o, "port");
	const char *name;

	if (!json_is_string(cmd))
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "'cmd' must be a string", NULL);
	if (ver && (!json_is_integer(ver) || json_integer_value(ver) < 1 ||
		    json_integer_value(ver) > 1000000))
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "'version' must be a positive integer", NULL);
	req->version = ver ? (uint32_t)json_integer_value(ver) : 1;
	if (req->version > CTL_PROTO_VERSION)
		return fail(code, CTL_ERR_VERSION, err,
			    "this lanyard speaks control protocol version 1",
			    NULL);
	if (port) {
		const char *s = json_string_value(port);

		if (!s || !*s || strlen(s) >= sizeof(req->port))
			return fail(code, CTL_ERR_BAD_REQUEST, err,
				    "'port' must be a port id", NULL);
		memcpy(req->port, s, strlen(s) + 1);
	}
	name = json_string_value(cmd);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(name, cmds[i].name) == 0) {
			req->cmd = cmds[i].cmd;
			return read_args(o, req, code, err);
		}
	}
	return fail(code, CTL_ERR_UNKNOWN_CMD, err, "unknown command: ",
		    name);
}

/**
 * ctl_req_parse() - read one request
 * @line: the bytes of one line, without the newline; need not be
 *        NUL-terminated
 * @len:  their count
 * @req:  filled on success
 * @code: on failure, one of the CTL_ERR_* codes
 * @err:  on failure, a message for the client
 *
 * Return: 0 or -EINVAL.
 */
int
ctl_req_parse(const char *line, size_t len, struct ctl_req *req,
	      const char **code, char *err)
{
	json_error_t jerr;
	json_t *o;
	int ret;

	memset(req, 0, sizeof(*req));
	if (len > CTL_LINE_MAX)
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "request longer than 65536 bytes", NULL);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return fail(code, CTL_ERR_BAD_JSON, err, "bad JSON: ",
			    jerr.text);
	if (!json_is_object(o)) {
		json_decref(o);
		return fail(code, CTL_ERR_BAD_REQUEST, err,
			    "a request is a JSON object", NULL);
	}
	ret = read_fields(o, req, code, err);
	json_decref(o);
	return ret;
}
