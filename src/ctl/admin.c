/* SPDX-License-Identifier: MIT */
/*
 * admin.c - commands that change the running switch: hot-plugging ports,
 * changing a port's policy and VLAN keys, static and flushed MAC entries,
 * counter resets.  Each runs between two bursts on the loop thread, so no
 * frame sees a half-made change; ports other than the one added, removed
 * or changed lose nothing.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "port/port.h"
#include "proto/cmdline.h"
#include "proto/eth.h"

static struct port *
need_port(struct sw *sw, const struct ctl_req *req, const char **code,
	  char *err)
{
	struct port *p = port_find(sw, req->port);

	if (!p) {
		*code = CTL_ERR_NO_PORT;
		snprintf(err, ERR_LEN, "no port '%s'", req->port);
	}
	return p;
}

/**
 * ctl_port_add() - create a port from req->spec, as --port would
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure (names the key and the reason)
 *
 * Return: {"port": id, "qemu": hint}, or NULL.
 */
json_t *
ctl_port_add(struct sw *sw, const struct ctl_req *req, const char **code,
	     char *err)
{
	char hint[512] = "";
	struct port *p;

	if (port_create(sw, req->spec, &p, err)) {
		*code = CTL_ERR_BAD_SPEC;
		return NULL;
	}
	if (p->ops->qemu_hint)
		p->ops->qemu_hint(p, hint, sizeof(hint));
	log_info("port %s: added by the control socket", p->id);
	return json_pack("{ss ss}", "port", p->id, "qemu", hint);
}

/**
 * ctl_port_del() - remove req->port (a listener takes its children along)
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: {"removed": [ids]}, or NULL.
 */
json_t *
ctl_port_del(struct sw *sw, const struct ctl_req *req, const char **code,
	     char *err)
{
	struct port *p = need_port(sw, req, code, err);
	json_t *ids;

	if (!p)
		return NULL;
	ids = json_array();
	for (struct port *c = sw->ports_head; c; c = c->next)
		if (c == p || c->parent == p)
			json_array_append_new(ids, json_string(c->id));
	port_destroy(p, "removed by the control socket");
	return json_pack("{so}", "removed", ids);
}

/**
 * ctl_port_set() - change req->port's policy and VLAN keys (req->spec,
 * "KEY=VALUE,..."), all of them or none
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure (from the port code: names the key)
 *
 * Return: {"port": id, "config": the spec "show" now reads back}, or NULL.
 */
json_t *
ctl_port_set(struct sw *sw, const struct ctl_req *req, const char **code,
	     char *err)
{
	struct port *p = need_port(sw, req, code, err);
	const char *spec;

	if (!p)
		return NULL;
	if (port_policy_set(p, req->spec, err)) {
		*code = CTL_ERR_BAD_SPEC;
		return NULL;
	}
	spec = p->spec ? p->spec : p->parent ? p->parent->spec : NULL;
	log_info("port %s: %s set by the control socket", p->id, req->spec);
	return json_pack("{ss ss}", "port", p->id, "config", spec ? spec : "");
}

/* Flushes @p's MAC entries, and what its kind knows of where they live. */
static unsigned int
forget_port(struct sw *sw, struct port *p)
{
	if (p->ops->fdb_forget)
		p->ops->fdb_forget(p, NULL, 0);
	return fdb_flush_port(&sw->br.fdb, p);
}

/**
 * ctl_fdb_flush() - forget every learned and static MAC, or those of one
 * port
 * @sw:   the switch
 * @req:  the request (port optional)
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: {"flushed": n}, or NULL.
 */
json_t *
ctl_fdb_flush(struct sw *sw, const struct ctl_req *req, const char **code,
	      char *err)
{
	unsigned int n = 0;

	if (req->port[0]) {
		struct port *p = need_port(sw, req, code, err);

		if (!p)
			return NULL;
		n = forget_port(sw, p);
	} else {
		for (struct port *p = sw->ports_head; p; p = p->next)
			n += forget_port(sw, p);
	}
	return json_pack("{si}", "flushed", (int)n);
}

static uint64_t
req_key(const struct ctl_req *req)
{
	return fdb_key(eth_mac_to_u64(req->mac), req->vlan);
}

/**
 * ctl_fdb_add() - pin req->mac (in req->vlan) to req->port: a static
 * entry, never aged or moved, removed with its port; on a tunnel port,
 * req->dst (if given) pins the endpoint it lives at as well
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: {} or NULL.
 */
json_t *
ctl_fdb_add(struct sw *sw, const struct ctl_req *req, const char **code,
	    char *err)
{
	struct port *p = need_port(sw, req, code, err);

	if (!p)
		return NULL;
	if (p->state == PORT_STATE_LISTENING) {
		*code = CTL_ERR_BAD_REQUEST;
		snprintf(err, ERR_LEN,
			 "port '%s' is a listener; name one of its peers",
			 p->id);
		return NULL;
	}
	if (eth_is_multicast(req->mac)) {
		*code = CTL_ERR_BAD_REQUEST;
		snprintf(err, ERR_LEN, "a multicast address cannot be pinned");
		return NULL;
	}
	if (req->dst[0] && !p->ops->fdb_pin) {
		*code = CTL_ERR_BAD_REQUEST;
		snprintf(err, ERR_LEN,
			 "port '%s' is not a tunnel: 'dst' does not apply",
			 p->id);
		return NULL;
	}
	if (req->dst[0] && p->ops->fdb_pin(p, req->mac, req->vlan, req->dst,
					   err)) {
		*code = CTL_ERR_BAD_REQUEST;
		return NULL;
	}
	if (fdb_add_static(&sw->br.fdb, req_key(req), p,
			   bridge_now_sec(&sw->br))) {
		if (req->dst[0] && p->ops->fdb_forget)
			p->ops->fdb_forget(p, req->mac, req->vlan);
		*code = CTL_ERR_FULL;
		snprintf(err, ERR_LEN, "the MAC table is full");
		return NULL;
	}
	return json_object();
}

/**
 * ctl_fdb_del() - remove the entry of req->mac in req->vlan (and the
 * endpoint a tunnel port knew it at)
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: {} or NULL.
 */
json_t *
ctl_fdb_del(struct sw *sw, const struct ctl_req *req, const char **code,
	    char *err)
{
	struct port *p = fdb_lookup(&sw->br.fdb, req_key(req));
	char text[ETH_MAC_STRLEN];

	if (p && p->ops->fdb_forget)
		p->ops->fdb_forget(p, req->mac, req->vlan);
	if (fdb_del(&sw->br.fdb, req_key(req)) == 0)
		return json_object();
	eth_mac_format(req->mac, text);
	*code = CTL_ERR_NO_ENTRY;
	snprintf(err, ERR_LEN, "no entry for %s in vlan %u", text,
		 (unsigned int)req->vlan);
	return NULL;
}

/* Can @v be a configuration file value, read back as it is? */
static bool
config_value_ok(const char *v)
{
	size_t n = strlen(v);

	return n && !strpbrk(v, "\n\r") && v[0] != ' ' && v[0] != '\t' &&
	       v[n - 1] != ' ' && v[n - 1] != '\t';
}

/**
 * ctl_save() - the running configuration as "lanyard -f FILE" reads it:
 * the options lanyard started with (a -f file's included), then every
 * port that is not a listener's child, with its spec as "port set" left
 * it, hot-plugged ones included, in creation order
 * @sw:   the switch
 * @req:  the request (no fields)
 * @code: error code on failure
 * @err:  message on failure
 *
 * Static MAC entries are not part of it.  lanyardctl writes the file: the
 * switch never opens a path on a client's behalf.
 *
 * Return: {"config": text}, or NULL.
 */
json_t *
ctl_save(struct sw *sw, const struct ctl_req *req, const char **code,
	 char *err)
{
	static const char *const levels[] = { "err", "warn", "info", "debug" };
	const struct cmdline *c = sw->opts;
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	json_t *r;

	(void)req;
	if (!c) {
		*code = CTL_ERR_BAD_REQUEST;
		ERR_SET(err, 0, "this switch was not started from options");
		return NULL;
	}
	if ((c->ctl_path && !config_value_ok(c->ctl_path)) ||
	    (c->ctl_group && !config_value_ok(c->ctl_group)) ||
	    (c->pcap && !config_value_ok(c->pcap))) {
		*code = CTL_ERR_BAD_SPEC;
		ERR_SET(err, 0, "an option's value cannot be written on one "
			"line");
		return NULL;
	}
	for (const struct port *p = sw->ports_head; p; p = p->next)
		if (!p->parent && (!p->spec || !config_value_ok(p->spec))) {
			*code = CTL_ERR_BAD_SPEC;
			ERR_SET(err, 0,
				"port %s: its spec cannot be written on one "
				"line",
				p->id);
			return NULL;
		}
	m = open_memstream(&text, &len);
	if (!m) {
		*code = CTL_ERR_FULL;
		ERR_SET(err, 0, "out of memory");
		return NULL;
	}
	fprintf(m, "# lanyard %s: the running configuration, from "
		   "\"lanyardctl save\";\n# start from it with "
		   "\"lanyard -f FILE\".\n",
		LANYARD_VERSION);
	if (c->ctl_path)
		fprintf(m, "ctl %s\n", c->ctl_path);
	if (c->ctl_group)
		fprintf(m, "ctl-group %s\n", c->ctl_group);
	fprintf(m,
		"fdb-size %u\nageing %u\npool %u\nframe-max %u\nbacklog %u\n"
		"max-macs %u\npause-max %u\npoll-us %u\nlog-level %s\n",
		c->fdb_size, c->ageing, c->pool, c->frame_max, c->backlog,
		c->max_macs, c->pause_max, c->poll_us,
		(unsigned int)c->log_level < ARRAY_SIZE(levels)
			? levels[c->log_level]
			: "info");
	if (c->metrics)
		fprintf(m, "metrics %s\n", c->metrics);
	if (c->pcap)
		fprintf(m, "pcap %s\n", c->pcap);
	for (const struct port *p = sw->ports_head; p; p = p->next)
		if (!p->parent)
			fprintf(m, "port %s\n", p->spec);
	if (fclose(m) || !text) {
		free(text);
		*code = CTL_ERR_FULL;
		ERR_SET(err, 0, "out of memory");
		return NULL;
	}
	r = json_pack("{ss}", "config", text);
	free(text);
	return r;
}
