/* SPDX-License-Identifier: MIT */
/*
 * show.c - the "show" and "fdb" commands: ports, counters and the MAC
 * table as JSON.  Field names are part of the control protocol.
 */
#include "ctl/ctl.h"

#include <string.h>

#include "port/port.h"
#include "proto/eth.h"

static json_t *
counters_json(const struct port_counters *c, uint64_t queued)
{
	json_t *drops = json_object(), *errors = json_object();

	for (int i = 0; i < PORT_DROP_MAX; i++)
		json_object_set_new(drops, port_drop_name((enum port_drop)i),
				    json_integer((json_int_t)c->drops[i]));
	for (int i = 0; i < PORT_ERR_MAX; i++)
		json_object_set_new(errors,
				    port_error_name((enum port_error)i),
				    json_integer((json_int_t)c->errors[i]));
	return json_pack("{sI sI sI sI sI sI sI sI sI so so}", "rx",
			 (json_int_t)c->rx, "rx_bytes",
			 (json_int_t)c->rx_bytes, "rx_fwd",
			 (json_int_t)c->rx_fwd, "rx_ignored",
			 (json_int_t)c->rx_ignored, "tx", (json_int_t)c->tx,
			 "tx_bytes", (json_int_t)c->tx_bytes, "tx_offered",
			 (json_int_t)c->tx_offered, "queued",
			 (json_int_t)queued, "pauses", (json_int_t)c->pauses,
			 "drops", drops, "errors",
			 errors);
}

/* The port's policy keys (docs/policy.md), read back. */
static json_t *
policy_json(const struct port *p)
{
	static const char *const dirs[] = { "", "rx", "tx", "both" };
	const struct port_policy *pol = &p->pol;
	char text[256];

	port_policy_describe(p, text, sizeof(text));
	return json_pack("{ss sb ss sb ss? ss sb sI sI}", "text", text,
			 "uplink", pol->uplink, "mode",
			 port_mode_name(pol->mode), "isolated", pol->isolated,
			 "mirror", pol->mirror_id[0] ? pol->mirror_id : NULL,
			 "mirror_dir", dirs[pol->mirror_dir & 3],
			 "mirror_present", p->mirror != NULL, "bcast_pps",
			 (json_int_t)pol->bcast_pps, "mtu",
			 (json_int_t)pol->mtu);
}

static json_t *
port_json(const struct port *p)
{
	char hint[512] = "", vlan[400];
	const char *spec = p->spec;
	json_t *info = json_object();
	json_t *o;

	if (!spec && p->parent)
		spec = p->parent->spec;
	if (p->ops->qemu_hint)
		p->ops->qemu_hint(p, hint, sizeof(hint));
	if (p->ops->info)
		p->ops->info(p, info);
	port_vlan_describe(&p->vlan, vlan, sizeof(vlan));
	o = json_pack("{ss ss so ss ss ss si si so ss ss sb sb so}", "id",
			 p->id,
			 "kind", p->ops->kind, "parent",
			 p->parent ? json_string(p->parent->id) : json_null(),
			 "config", spec ? spec : "", "state",
			 port_state_name(p->state), "peer", p->peer, "macs",
			 (int)p->n_macs, "max_macs", (int)p->max_macs,
			 "counters", counters_json(&p->c, p->bl_len), "qemu",
			 hint, "vlan", vlan, "rx_paused", p->rx_paused,
			 "stuck", p->bp_stuck, "info", info);
	if (o)
		json_object_set_new(o, "policy", policy_json(p));
	return o;
}

static json_t *
fdb_stats_json(const struct fdb *f)
{
	return json_pack("{sI sI sI sI sI sI sI sI sI}", "count",
			 (json_int_t)f->count, "capacity",
			 (json_int_t)f->capacity, "ageing",
			 (json_int_t)f->ageing, "learned",
			 (json_int_t)f->stats.learned, "moved",
			 (json_int_t)f->stats.moved, "aged",
			 (json_int_t)f->stats.aged, "flushed",
			 (json_int_t)f->stats.flushed, "full",
			 (json_int_t)f->stats.full, "port_limit",
			 (json_int_t)f->stats.port_limit);
}

/**
 * ctl_show() - the "show" reply: ports (all, or req->port), switch totals,
 * MAC table and pool figures
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: the reply's fields, or NULL on failure.
 */
json_t *
ctl_show(struct sw *sw, const struct ctl_req *req, const char **code,
	 char *err)
{
	json_t *ports = json_array();
	struct port_counters totals;
	uint64_t queued = 0;

	for (struct port *p = sw->ports_head; p; p = p->next) {
		queued += p->bl_len;
		if (req->port[0] && strcmp(req->port, p->id) != 0)
			continue;
		json_array_append_new(ports, port_json(p));
	}
	if (req->port[0] && json_array_size(ports) == 0) {
		json_decref(ports);
		*code = CTL_ERR_NO_PORT;
		snprintf(err, ERR_LEN, "no port '%s'", req->port);
		return NULL;
	}
	port_totals(sw, &totals);
	return json_pack("{so so so s{sI sI sI}}", "ports", ports, "totals",
			 counters_json(&totals, queued), "fdb_stats",
			 fdb_stats_json(&sw->br.fdb), "pool", "size",
			 (json_int_t)sw->pool.count, "free",
			 (json_int_t)sw->pool.n_free, "frame_max",
			 (json_int_t)sw->pool.frame_max);
}

/**
 * ctl_fdb() - the "fdb" reply: every MAC table entry (or those on
 * req->port) with its age in seconds
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: the reply's fields, or NULL on failure.
 */
json_t *
ctl_fdb(struct sw *sw, const struct ctl_req *req, const char **code,
	char *err)
{
	const struct fdb *f = &sw->br.fdb;
	uint32_t now = bridge_now_sec(&sw->br);
	json_t *entries = json_array();

	if (req->port[0] && !port_find(sw, req->port)) {
		json_decref(entries);
		*code = CTL_ERR_NO_PORT;
		snprintf(err, ERR_LEN, "no port '%s'", req->port);
		return NULL;
	}
	for (uint32_t i = 0; i < fdb_slots(f); i++) {
		const struct fdb_entry *e = &f->slots[i];
		uint8_t mac[ETH_ALEN];
		char text[ETH_MAC_STRLEN], dst[64];
		json_t *o;

		if (!e->key)
			continue;
		if (req->port[0] && strcmp(req->port, e->port->id) != 0)
			continue;
		eth_u64_to_mac(fdb_key_mac(e->key), mac);
		eth_mac_format(mac, text);
		o = json_pack("{ss si ss sI sb}", "mac", text, "vlan",
			      (int)fdb_key_vlan(e->key), "port", e->port->id,
			      "age", (json_int_t)(now - e->seen), "static",
			      (e->flags & FDB_F_STATIC) != 0);
		/* Behind a tunnel port: which endpoint the MAC is at. */
		if (e->port->ops->fdb_dst &&
		    e->port->ops->fdb_dst(e->port, mac,
					  (uint16_t)fdb_key_vlan(e->key), dst,
					  sizeof(dst)))
			json_object_set_new(o, "dst", json_string(dst));
		json_array_append_new(entries, o);
	}
	return json_pack("{so so}", "fdb", entries, "fdb_stats",
			 fdb_stats_json(f));
}

/**
 * ctl_stats() - counters of every port (or req->port) and the totals;
 * with req->reset, the counters are zeroed after being reported
 * @sw:   the switch
 * @req:  the request
 * @code: error code on failure
 * @err:  message on failure
 *
 * Return: {"stats": {id: counters}, "totals": counters}, or NULL.
 */
json_t *
ctl_stats(struct sw *sw, const struct ctl_req *req, const char **code,
	  char *err)
{
	json_t *stats = json_object();
	struct port_counters totals;
	uint64_t queued = 0;
	json_t *r;

	if (req->port[0] && !port_find(sw, req->port)) {
		json_decref(stats);
		*code = CTL_ERR_NO_PORT;
		snprintf(err, ERR_LEN, "no port '%s'", req->port);
		return NULL;
	}
	for (struct port *p = sw->ports_head; p; p = p->next) {
		queued += p->bl_len;
		if (req->port[0] && strcmp(req->port, p->id) != 0)
			continue;
		json_object_set_new(stats, p->id, counters_json(&p->c,
								p->bl_len));
	}
	port_totals(sw, &totals);
	r = json_pack("{so so sb}", "stats", stats, "totals",
		      counters_json(&totals, queued), "reset", req->reset);
	if (req->reset) {
		for (struct port *p = sw->ports_head; p; p = p->next)
			if (!req->port[0] || strcmp(req->port, p->id) == 0)
				port_counters_reset(p);
		if (!req->port[0])
			memset(&sw->gone, 0, sizeof(sw->gone));
	}
	return r;
}
