/* SPDX-License-Identifier: MIT */
/*
 * paths.c - default locations of lanyard's sockets.
 */
#include "core/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/**
 * paths_runtime_dir() - the default directory for sockets
 * @buf: output
 * @len: its size
 *
 * Return: 0, or -ENAMETOOLONG.
 */
int
paths_runtime_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (geteuid() == 0)
		n = snprintf(buf, len, "/run/lanyard");
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/lanyard", xdg);
	else
		n = snprintf(buf, len, "/tmp/lanyard-%u",
			     (unsigned int)geteuid());
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/**
 * paths_default_ctl() - the default control socket
 * @buf: output
 * @len: its size
 *
 * Return: 0, or -ENAMETOOLONG.
 */
int
paths_default_ctl(char *buf, size_t len)
{
	char dir[200];
	int n;

	if (paths_runtime_dir(dir, sizeof(dir)))
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/%s", dir, PATHS_CTL_NAME);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
