/* SPDX-License-Identifier: MIT */
/*
 * config.h - lanyard's configuration file (lanyard -f FILE): the command
 * line's long options, one per line, as "NAME VALUE" ("--NAME VALUE" and
 * "NAME" for an option without a value also do).  The value is the rest of
 * the line without the white space around it, so it may hold spaces.
 * Blank lines and lines whose first non-blank character is '#' are
 * comments.  Pure: the caller applies each option (config_fn) and every
 * error names its line.
 */
#ifndef LANYARD_PROTO_CONFIG_H
#define LANYARD_PROTO_CONFIG_H

#include <stddef.h>

#define CONFIG_LINE_MAX 4096	/* bytes in one line, without its newline */
#define CONFIG_NAME_MAX 32	/* bytes in an option name */

/*
 * Called once per option, in file order.  @value is NULL when the line has
 * only a name.  Returns 0, or -errno with the reason in @err (the parser
 * puts "line N: " in front).
 */
typedef int config_fn(void *ctx, unsigned int line, const char *name,
		      const char *value, char *err);

int config_parse(const char *text, size_t len, config_fn *fn, void *ctx,
		 char *err);

#endif /* LANYARD_PROTO_CONFIG_H */
