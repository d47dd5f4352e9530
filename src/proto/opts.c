/* SPDX-License-Identifier: MIT */
/*
 * opts.c - QEMU-style "kind,key=value" parsing.  No allocation: the
 * unescaped text lives in struct opts.
 */
#include "proto/opts.h"

#include <errno.h>
#include <string.h>

#include "core/util.h"

/*
 * Copy @spec into o->buf element by element, unescaping ",," and ending
 * each element with a NUL.  An element without '=' after a key=value
 * continues that value as a list ("trunk=1,10-20" is one key).
 */
static int
split(struct opts *o, const char *spec, char *err)
{
	const char *r = spec;
	char *w = o->buf;
	bool first = true;

	while (*r || first) {
		char *start = w, *eq = NULL;

		while (*r) {
			if (r[0] == ',' && r[1] == ',') {
				*w++ = ',';
				r += 2;
				continue;
			}
			if (*r == ',')
				break;
			if (*r == '=' && !eq)
				eq = w;
			*w++ = *r++;
		}
		bool more = *r == ',';
		if (more)
			r++;
		*w = '\0';
		if (first) {
			if (eq || !*start)
				return ERR_SET(err, -EINVAL,
					       "a port spec starts with its "
					       "kind, e.g. stream,id=vm1,...");
			o->kind = start;
			first = false;
		} else if (!eq) {
			if (o->n == 0 || !*start)
				return ERR_SET(err, -EINVAL,
					       "'%s': expected key=value",
					       start);
			start[-1] = ',';	/* rejoin the list */
		} else {
			if (o->n == OPTS_MAX)
				return ERR_SET(err, -EINVAL,
					       "more than %d options",
					       OPTS_MAX);
			*eq = '\0';
			if (!*start)
				return ERR_SET(err, -EINVAL,
					       "empty key before '='");
			for (unsigned int i = 0; i < o->n; i++)
				if (strcmp(o->items[i].key, start) == 0)
					return ERR_SET(err, -EINVAL,
						       "key '%s' given twice",
						       start);
			o->items[o->n].key = start;
			o->items[o->n].value = eq + 1;
			o->items[o->n].used = false;
			o->n++;
		}
		w++;
		if (more && !*r)
			return ERR_SET(err, -EINVAL, "trailing ','");
	}
	return 0;
}

/**
 * opts_parse() - split @spec into its kind and key=value pairs
 * @spec: e.g. "stream,id=vm1,path=/run/x.sock"
 * @o:    filled on success; its pointers refer to its own buffer
 * @err:  reason on failure
 *
 * Return: 0 or -EINVAL.
 */
int
opts_parse(const char *spec, struct opts *o, char *err)
{
	size_t len = strlen(spec);

	memset(o, 0, sizeof(*o));
	if (len >= sizeof(o->buf))
		return ERR_SET(err, -EINVAL, "port spec longer than %d bytes",
			       OPTS_SPEC_MAX - 1);
	return split(o, spec, err);
}

static struct opt *
find_one(struct opts *o, const char *key, size_t key_len)
{
	for (unsigned int i = 0; i < o->n; i++)
		if (strlen(o->items[i].key) == key_len &&
		    memcmp(o->items[i].key, key, key_len) == 0)
			return &o->items[i];
	return NULL;
}

/**
 * opts_get() - look up a key given under one of several names
 * @o:      parsed spec
 * @keys:   the names, '|'-separated, e.g. "path|addr.path"
 * @err:    reason when two names are both given
 * @status: 0, or -EINVAL on such a conflict
 *
 * The key found is marked used.
 *
 * Return: the value, or NULL if none of the names was given.
 */
const char *
opts_get(struct opts *o, const char *keys, char *err, int *status)
{
	struct opt *found = NULL;
	const char *k = keys;

	*status = 0;
	while (*k) {
		const char *bar = strchr(k, '|');
		size_t n = bar ? (size_t)(bar - k) : strlen(k);
		struct opt *it = find_one(o, k, n);

		if (it && found) {
			*status = ERR_SET(err, -EINVAL,
					  "'%s' and '%s' mean the same; give "
					  "one",
					  found->key, it->key);
			return NULL;
		}
		if (it)
			found = it;
		k += n + (bar ? 1 : 0);
	}
	if (!found)
		return NULL;
	found->used = true;
	return found->value;
}

/**
 * opts_get_str() - like opts_get(), leaving *@out alone when absent
 * @o:    parsed spec
 * @keys: the names
 * @out:  the value, if given
 * @err:  reason on failure
 *
 * Return: 1 if found, 0 if absent, -EINVAL on a conflict or an empty value.
 */
int
opts_get_str(struct opts *o, const char *keys, const char **out, char *err)
{
	int st;
	const char *v = opts_get(o, keys, err, &st);

	if (st)
		return st;
	if (!v)
		return 0;
	if (!*v)
		return ERR_SET(err, -EINVAL, "'%s': empty value", keys);
	*out = v;
	return 1;
}

/**
 * opts_parse_u32() - read a decimal (or 0x hex) number within [min, max]
 * @s:   the text
 * @min: smallest accepted
 * @max: largest accepted
 * @out: the number
 *
 * Return: 0, or -1 if @s is not such a number.
 */
int
opts_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		if (v > UINT32_MAX)
			return -1;
	}
	if (v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/**
 * opts_parse_bool() - read on/off, yes/no, true/false (QEMU's words)
 * @s:   the text
 * @out: the value
 *
 * Return: 0, or -1 if @s is none of them.
 */
int
opts_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"on", "yes", "true"};
	static const char *const no[] = {"off", "no", "false"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/**
 * opts_get_u32() - read an optional number within [min, max]
 * @o:    parsed spec
 * @keys: the names
 * @min:  smallest accepted
 * @max:  largest accepted
 * @out:  the value, left alone when absent
 * @err:  reason on failure
 *
 * Return: 1 if found, 0 if absent, -EINVAL if malformed or out of range.
 */
int
opts_get_u32(struct opts *o, const char *keys, uint32_t min, uint32_t max,
	     uint32_t *out, char *err)
{
	const char *v = NULL;
	int st = opts_get_str(o, keys, &v, err);

	if (st <= 0)
		return st;
	if (opts_parse_u32(v, min, max, out))
		return ERR_SET(err, -EINVAL,
			       "'%s=%s': expected a number from %u to %u",
			       keys, v, min, max);
	return 1;
}

/**
 * opts_get_bool() - read an optional on/off value
 * @o:    parsed spec
 * @keys: the names
 * @out:  the value, left alone when absent
 * @err:  reason on failure
 *
 * Return: 1 if found, 0 if absent, -EINVAL if malformed.
 */
int
opts_get_bool(struct opts *o, const char *keys, bool *out, char *err)
{
	const char *v = NULL;
	int st = opts_get_str(o, keys, &v, err);

	if (st <= 0)
		return st;
	if (opts_parse_bool(v, out))
		return ERR_SET(err, -EINVAL, "'%s=%s': expected on or off",
			       keys, v);
	return 1;
}

/**
 * opts_check_unused() - reject the first key nobody asked for
 * @o:   parsed spec, after every opts_get*() of the kind
 * @err: reason on failure
 *
 * Return: 0, or -EINVAL naming the unknown key.
 */
int
opts_check_unused(const struct opts *o, char *err)
{
	for (unsigned int i = 0; i < o->n; i++)
		if (!o->items[i].used)
			return ERR_SET(err, -EINVAL,
				       "unknown key '%s' for kind '%s'",
				       o->items[i].key, o->kind);
	return 0;
}
