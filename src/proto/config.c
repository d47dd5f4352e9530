/* SPDX-License-Identifier: MIT */
/*
 * config.c - the configuration file's lines, split into option names and
 * values.  See config.h.
 */
#include "proto/config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* One line, @s of @n bytes with no newline; copies into @buf. */
static int
one_line(const char *s, size_t n, unsigned int line, config_fn *fn,
	 void *ctx, char *buf, char *err)
{
	char name[CONFIG_NAME_MAX + 1];
	size_t i = 0, start, end;
	int ret;

	if (memchr(s, '\0', n))
		return ERR_SET(err, -EINVAL, "line %u: a NUL byte", line);
	if (n > CONFIG_LINE_MAX)
		return ERR_SET(err, -EINVAL, "line %u: longer than %d bytes",
			       line, CONFIG_LINE_MAX);
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	if (n - i >= 2 && s[i] == '-' && s[i + 1] == '-')
		i += 2;
	start = i;
	while (i < n && !is_blank(s[i]))
		i++;
	if (i == start || i - start > CONFIG_NAME_MAX)
		return ERR_SET(err, -EINVAL,
			       "line %u: expected an option name (such as "
			       "'port') at the start of the line",
			       line);
	for (size_t k = start; k < i; k++)
		if (!is_name_char(s[k]))
			return ERR_SET(err, -EINVAL,
				       "line %u: '%.*s' is not an option name",
				       line, (int)MIN(i - start, (size_t)64),
				       s + start);
	memcpy(name, s + start, i - start);
	name[i - start] = '\0';
	while (i < n && is_blank(s[i]))
		i++;
	end = n;
	while (end > i && is_blank(s[end - 1]))
		end--;
	memcpy(buf, s + i, end - i);
	buf[end - i] = '\0';
	ret = fn(ctx, line, name, end > i ? buf : NULL, err);
	if (ret) {
		char why[ERR_LEN];

		snprintf(why, sizeof(why), "%s", err);
		return ERR_SET(err, ret, "line %u: %s", line, why);
	}
	return 0;
}

/**
 * config_parse() - split a configuration file into options
 * @text: the file's bytes (need not end in a newline or a NUL)
 * @len:  how many
 * @fn:   called for each option line
 * @ctx:  for @fn
 * @err:  on failure, "line N: reason"
 *
 * Stops at the first error.  Values handed to @fn live until it returns.
 *
 * Return: 0 or -errno.
 */
int
config_parse(const char *text, size_t len, config_fn *fn, void *ctx,
	     char *err)
{
	char buf[CONFIG_LINE_MAX + 1];
	unsigned int line = 0;
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		int ret;

		line++;
		ret = one_line(text + off, n, line, fn, ctx, buf, err);
		if (ret)
			return ret;
		off += n + (nl ? 1 : 0);
	}
	return 0;
}
