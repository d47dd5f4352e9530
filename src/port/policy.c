/* SPDX-License-Identifier: MIT */
/*
 * policy.c - per-port policy keys (docs/policy.md): parsing at creation
 * and at run time ("port set"), the rules between ports (one uplink, a
 * passthru port alone with it), mirror targets by id, and the text "show"
 * prints.  Control path; the data path is in bridge.c.
 */
#include "port/port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static const char *const mode_names[] = {
	[PORT_MODE_BRIDGE] = "bridge",
	[PORT_MODE_PRIVATE] = "private",
	[PORT_MODE_VEPA] = "vepa",
	[PORT_MODE_PASSTHRU] = "passthru",
};

static const char *const vlan_key_names[] = { "vlan", "trunk", "native",
					       "tpid" };

const char *
port_mode_name(enum port_mode m)
{
	return (unsigned int)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

/*
 * Reads the policy keys present in @o into @pol and @max_macs, leaving
 * the others as they are.  @own_mtu: the kind reads mtu= itself.
 */
static int
policy_keys(struct port_policy *pol, uint32_t *max_macs, bool own_mtu,
	    struct opts *o, char *err)
{
	const char *mode = NULL, *mirror = NULL, *dir = NULL;
	int ret;

	if ((ret = opts_get_bool(o, "uplink", &pol->uplink, err)) < 0 ||
	    (ret = opts_get_bool(o, "isolated", &pol->isolated, err)) < 0 ||
	    (ret = opts_get_str(o, "mode", &mode, err)) < 0 ||
	    (ret = opts_get_str(o, "mirror", &mirror, err)) < 0 ||
	    (ret = opts_get_str(o, "mirror_dir", &dir, err)) < 0 ||
	    (ret = opts_get_u32(o, "bcast_pps", 0, 100000000,
				&pol->bcast_pps, err)) < 0 ||
	    (ret = opts_get_u32(o, "max_macs", 0, 1U << 24, max_macs,
				err)) < 0)
		return ret;
	if (!own_mtu) {
		uint32_t mtu = pol->mtu;

		ret = opts_get_u32(o, "mtu", 0, 65535, &mtu, err);
		if (ret < 0)
			return ret;
		if (ret > 0 && mtu && mtu < 68)
			return ERR_SET(err, -EINVAL,
				       "'mtu=%u': 68 to 65535, or 0 for none",
				       mtu);
		pol->mtu = mtu;
	}
	if (mode) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(mode_names); i++)
			if (!strcmp(mode, mode_names[i]))
				break;
		if (i == ARRAY_SIZE(mode_names))
			return ERR_SET(err, -EINVAL,
				       "'mode=%s': expected bridge, private, "
				       "vepa or passthru",
				       mode);
		pol->mode = (enum port_mode)i;
	}
	if (mirror) {
		if (strlen(mirror) >= sizeof(pol->mirror_id))
			return ERR_SET(err, -EINVAL, "'mirror=%s': too long",
				       mirror);
		snprintf(pol->mirror_id, sizeof(pol->mirror_id), "%s",
			 mirror);
		if (!pol->mirror_dir)
			pol->mirror_dir = PORT_MIRROR_RX | PORT_MIRROR_TX;
	}
	if (dir) {
		if (!strcmp(dir, "rx"))
			pol->mirror_dir = PORT_MIRROR_RX;
		else if (!strcmp(dir, "tx"))
			pol->mirror_dir = PORT_MIRROR_TX;
		else if (!strcmp(dir, "both"))
			pol->mirror_dir = PORT_MIRROR_RX | PORT_MIRROR_TX;
		else
			return ERR_SET(err, -EINVAL,
				       "'mirror_dir=%s': expected rx, tx or "
				       "both",
				       dir);
		if (!pol->mirror_id[0])
			return ERR_SET(err, -EINVAL,
				       "'mirror_dir' needs 'mirror'");
	}
	if (pol->uplink && pol->mode != PORT_MODE_BRIDGE)
		return ERR_SET(err, -EINVAL,
			       "'mode=%s' is for the ports beside the uplink, "
			       "not the uplink itself",
			       port_mode_name(pol->mode));
	return 0;
}

/* Are @a and @b the same port, or one the listener of the other? */
static bool
related(const struct port *a, const struct port *b)
{
	return a == b || a->parent == b || b->parent == a;
}

/*
 * Would @p (maybe not registered yet) with @pol break a rule between
 * ports: one uplink per switch, a passthru port alone beside it?  A
 * listener speaks for the children it will make.
 */
static int
policy_conflict(const struct sw *sw, const struct port *p, const char *id,
		const struct port_policy *pol, char *err)
{
	for (const struct port *q = sw->ports_head; q; q = q->next) {
		if (related(p, q) || q->destroyed)
			continue;
		if (pol->uplink && q->pol.uplink)
			return ERR_SET(err, -EBUSY,
				       "%s: port %s is already the uplink "
				       "(one per switch)",
				       id, q->id);
		if (pol->uplink || q->pol.uplink)
			continue;
		if (pol->mode == PORT_MODE_PASSTHRU)
			return ERR_SET(err, -EBUSY,
				       "%s: mode=passthru owns the uplink "
				       "alone, and port %s is beside it",
				       id, q->id);
		if (q->pol.mode == PORT_MODE_PASSTHRU)
			return ERR_SET(err, -EBUSY,
				       "%s: port %s is passthru and owns the "
				       "uplink alone",
				       id, q->id);
	}
	return 0;
}

/* The derived state of @p's policy: flags, bucket, mirror target. */
static void
policy_derive(struct port *p)
{
	const struct port_policy *pol = &p->pol;

	p->mirror = pol->mirror_id[0] ? port_find(p->sw, pol->mirror_id)
				      : NULL;
	/* A listener carries no frames: its children are the ports. */
	if (p->mirror == p ||
	    (p->mirror && p->mirror->state == PORT_STATE_LISTENING))
		p->mirror = NULL;
	p->pol_in = pol->mtu || pol->bcast_pps ||
		    (p->mirror && (pol->mirror_dir & PORT_MIRROR_RX));
	p->pol_out = pol->mtu ||
		     (p->mirror && (pol->mirror_dir & PORT_MIRROR_TX));
	p->storm_credit = 0;
	p->storm_last = 0;	/* the bucket starts full: see bridge.c */
}

/**
 * port_policy_init() - read the policy keys of a new port's spec
 * @p:   the port, not registered yet (its id is set)
 * @o:   the spec
 * @err: the reason, on failure
 *
 * Return: 0 or -errno.
 */
int
port_policy_init(struct port *p, struct opts *o, char *err)
{
	struct port_policy pol = { 0 };
	int ret = policy_keys(&pol, &p->max_macs, p->ops->own_mtu, o, err);

	if (ret)
		return ret;
	if (pol.mirror_id[0] && !strcmp(pol.mirror_id, p->id))
		return ERR_SET(err, -EINVAL, "%s: a port cannot mirror to "
			       "itself", p->id);
	ret = policy_conflict(p->sw, p, p->id, &pol, err);
	if (ret)
		return ret;
	p->pol = pol;
	return 0;
}

/**
 * port_policy_inherit() - a listener's child takes its policy
 * @c:   the child, registered, not up yet
 * @err: why the child may not exist (a second uplink, a port beside a
 *       passthru one)
 *
 * Return: 0 or -errno.
 */
int
port_policy_inherit(struct port *c, char *err)
{
	int ret = policy_conflict(c->sw, c, c->id, &c->parent->pol, err);

	if (ret)
		return ret;
	c->pol = c->parent->pol;
	policy_derive(c);
	return 0;
}

/**
 * port_policy_linked() - @p joined the registry: it gets its mirror, and
 * becomes the mirror of the ports that name it
 * @p: the port
 */
void
port_policy_linked(struct port *p)
{
	policy_derive(p);
	for (struct port *q = p->sw->ports_head; q; q = q->next)
		if (q != p && !strcmp(q->pol.mirror_id, p->id))
			policy_derive(q);
}

/**
 * port_policy_unlinked() - @p left the registry: nobody mirrors to it
 * @p: the port
 */
void
port_policy_unlinked(struct port *p)
{
	for (struct port *q = p->sw->ports_head; q; q = q->next)
		if (q->mirror == p) {
			q->mirror = NULL;
			q->pol_in = q->pol.mtu || q->pol.bcast_pps;
			q->pol_out = q->pol.mtu != 0;
		}
}

static bool
any_key(const struct opts *o, const char *const *keys, size_t n)
{
	for (unsigned int i = 0; i < o->n; i++)
		for (size_t k = 0; k < n; k++)
			if (!strcmp(o->items[i].key, keys[k]))
				return true;
	return false;
}

static bool
is_key(const char *key, const struct opts *set, bool vlan_changed)
{
	if (vlan_changed)
		for (size_t k = 0; k < ARRAY_SIZE(vlan_key_names); k++)
			if (!strcmp(key, vlan_key_names[k]))
				return true;
	for (unsigned int i = 0; i < set->n; i++)
		if (!strcmp(key, set->items[i].key))
			return true;
	return false;
}

/*
 * Appends ",key=value" to @buf, the value as the parser reads it back: a
 * list of plain words keeps its commas, anything else has them doubled.
 */
static int
append_kv(char *buf, size_t len, size_t *used, const char *key,
	  const char *value)
{
	bool plain = true;
	const char *s = value;
	int n;

	if (*value == ',' || (*value && value[strlen(value) - 1] == ','))
		plain = false;
	while (plain && (s = strchr(s, ',')) != NULL) {
		const char *end = strchr(s + 1, ',');
		size_t part = end ? (size_t)(end - s - 1) : strlen(s + 1);

		if (!part || memchr(s + 1, '=', part))
			plain = false;
		s++;
	}
	n = snprintf(buf + *used, len - *used, ",%s=", key);
	if (n < 0 || (size_t)n >= len - *used)
		return -ENAMETOOLONG;
	*used += (size_t)n;
	for (s = value; *s; s++) {
		size_t need = (!plain && *s == ',') ? 2 : 1;

		if (*used + need >= len)
			return -ENAMETOOLONG;
		buf[(*used)++] = *s;
		if (need == 2)
			buf[(*used)++] = ',';
	}
	buf[*used] = '\0';
	return 0;
}

/* @old spec with the keys of @set replaced (all VLAN keys if changed). */
static char *
respec(const char *old, const struct opts *set, bool vlan_changed,
       char *err)
{
	struct opts o;
	char buf[OPTS_SPEC_MAX];
	size_t used;

	if (opts_parse(old, &o, err))
		return NULL;
	used = (size_t)snprintf(buf, sizeof(buf), "%s", o.kind);
	for (unsigned int i = 0; i < o.n; i++)
		if (!is_key(o.items[i].key, set, vlan_changed) &&
		    append_kv(buf, sizeof(buf), &used, o.items[i].key,
			      o.items[i].value))
			goto too_long;
	for (unsigned int i = 0; i < set->n; i++)
		if (append_kv(buf, sizeof(buf), &used, set->items[i].key,
			      set->items[i].value))
			goto too_long;
	return strdup(buf);
too_long:
	ERR_SET(err, -ENAMETOOLONG, "the port's spec would pass %d bytes",
		OPTS_SPEC_MAX);
	return NULL;
}

/* Puts @pol, @max_macs and maybe @vlan on @p; its MACs go if VLANs did. */
static void
apply(struct port *p, const struct port_policy *pol, uint32_t max_macs,
      const struct port_vlan *vlan)
{
	p->pol = *pol;
	p->max_macs = max_macs;
	if (vlan) {
		p->vlan = *vlan;
		if (p->state == PORT_STATE_UP)
			fdb_flush_port(&p->sw->br.fdb, p);
		p->learn_key = 0;
	}
	policy_derive(p);
}

/**
 * port_policy_set() - change a running port's policy and VLAN keys
 * @p:   the port; a listener's change also reaches its children
 * @kv:  "key=value,..." with the keys of docs/policy.md and the VLAN keys
 *       (given VLAN keys replace the whole VLAN setting)
 * @err: the reason, on failure
 *
 * Control path.  All or nothing; the spec "show" reads back is rewritten.
 *
 * Return: 0 or -errno.
 */
int
port_policy_set(struct port *p, const char *kv, char *err)
{
	char spec[OPTS_SPEC_MAX + 8];
	struct opts o;
	struct port_policy pol = p->pol;
	struct port_vlan vlan;
	uint32_t max_macs = p->max_macs;
	bool vlan_changed;
	const char *old_spec;
	char *new_spec;
	int ret;

	if (!*kv)
		return ERR_SET(err, -EINVAL, "nothing to set");
	if ((size_t)snprintf(spec, sizeof(spec), "set,%s", kv) >=
	    sizeof(spec))
		return ERR_SET(err, -EINVAL, "more than %d bytes",
			       OPTS_SPEC_MAX);
	ret = opts_parse(spec, &o, err);
	if (ret)
		return ret;
	if (p->ops->own_mtu && any_key(&o, (const char *[]){ "mtu" }, 1))
		return ERR_SET(err, -EINVAL,
			       "%s: a %s port's mtu is its underlay's, set "
			       "when it is created",
			       p->id, p->ops->kind);
	ret = policy_keys(&pol, &max_macs, p->ops->own_mtu, &o, err);
	if (ret)
		return ret;
	vlan_changed = any_key(&o, vlan_key_names, ARRAY_SIZE(vlan_key_names));
	if (vlan_changed) {
		if (p->vlan_by_kind)
			return ERR_SET(err, -EINVAL,
				       "%s: its VLANs come from its VNI map",
				       p->id);
		ret = port_vlan_keys(&vlan, &o, err);
		if (ret)
			return ret;
	}
	for (unsigned int i = 0; i < o.n; i++)
		if (!o.items[i].used)
			return ERR_SET(err, -EINVAL,
				       "'%s' cannot be set on a running port "
				       "(these can: uplink, mode, isolated, "
				       "mirror, mirror_dir, bcast_pps, mtu, "
				       "max_macs, vlan, trunk, native, tpid)",
				       o.items[i].key);
	if (pol.mirror_id[0] && !strcmp(pol.mirror_id, p->id))
		return ERR_SET(err, -EINVAL,
			       "%s: a port cannot mirror to itself", p->id);
	ret = policy_conflict(p->sw, p, p->id, &pol, err);
	if (ret)
		return ret;
	old_spec = p->spec ? p->spec : p->parent ? p->parent->spec : NULL;
	new_spec = respec(old_spec ? old_spec : p->ops->kind, &o, vlan_changed,
			  err);
	if (!new_spec)
		return -EINVAL;
	free(p->spec);
	p->spec = new_spec;
	apply(p, &pol, max_macs, vlan_changed ? &vlan : NULL);
	for (struct port *c = p->sw->ports_head; c; c = c->next)
		if (c->parent == p)
			apply(c, &pol, max_macs, vlan_changed ? &vlan : NULL);
	bridge_policy_changed(&p->sw->br);
	return 0;
}

/**
 * port_policy_describe() - the policy as "show" prints it, e.g.
 * "mode vepa isolated mirror tap1 rx bcast_pps 100 mtu 1500"; "" when
 * everything is at its default
 * @p:   the port
 * @buf: output
 * @len: its size
 */
void
port_policy_describe(const struct port *p, char *buf, size_t len)
{
	const struct port_policy *pol = &p->pol;
	static const char *const dirs[] = { "", "rx", "tx", "both" };
	size_t used = 0;

	buf[0] = '\0';
#define ADD(...)                                                               \
	do {                                                                   \
		int n_ = snprintf(buf + used, len - used, "%s", used ? " " : ""); \
		if (n_ > 0 && (size_t)n_ < len - used)                         \
			used += (size_t)n_;                                    \
		n_ = snprintf(buf + used, len - used, __VA_ARGS__);            \
		if (n_ > 0 && (size_t)n_ < len - used)                         \
			used += (size_t)n_;                                    \
	} while (0)
	if (pol->uplink)
		ADD("uplink");
	else if (pol->mode != PORT_MODE_BRIDGE)
		ADD("mode %s", port_mode_name(pol->mode));
	if (pol->isolated)
		ADD("isolated");
	if (pol->mirror_id[0]) {
		const struct port *m = port_find(p->sw, pol->mirror_id);

		ADD("mirror %s %s%s", pol->mirror_id, dirs[pol->mirror_dir & 3],
		    p->mirror ? ""
		    : m	      ? " (a listener: name one of its ports)"
			      : " (not there)");
	}
	if (pol->bcast_pps)
		ADD("bcast_pps %u", pol->bcast_pps);
	if (pol->mtu)
		ADD("mtu %u", pol->mtu);
#undef ADD
}
