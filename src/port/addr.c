/* SPDX-License-Identifier: MIT */
/*
 * addr.c - socket addresses of socket ports.
 */
#include "port/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"

static int
from_path(const char *path, struct addr *a, char *err)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
	size_t n = strlen(path);

	if (n >= sizeof(sun->sun_path))
		return ERR_SET(err, -ENAMETOOLONG,
			       "path '%s': longer than %zu bytes", path,
			       sizeof(sun->sun_path) - 1);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n + 1);
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

static int
from_host(const char *host, const char *port, struct addr *a, char *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	uint32_t pnum;
	int ret;

	if (opts_parse_u32(port, 0, 65535, &pnum))
		return ERR_SET(err, -EINVAL, "port '%s': expected 0 to 65535",
			       port);
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		return ERR_SET(err, -EINVAL, "host '%s': %s", host,
			       gai_strerror(ret));
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/**
 * addr_from_opts() - read one address from a spec: a unix path, or a host
 * and port; "type" (unix or inet), if given, must agree
 * @o:     the spec
 * @k:     which keys name this address (NULL: a kind without them)
 * @a:     the address
 * @given: whether any of the keys was present
 * @err:   reason on failure
 *
 * Return: 0 or -errno.  Absent is not an error (see @given).
 */
int
addr_from_opts(struct opts *o, const struct addr_keys *k, struct addr *a,
	       bool *given, char *err)
{
	const char *type = NULL, *path = NULL, *host = NULL, *port = NULL;
	int ret;

	memset(a, 0, sizeof(*a));
	*given = false;
	if ((k->type && (ret = opts_get_str(o, k->type, &type, err)) < 0) ||
	    (k->path && (ret = opts_get_str(o, k->path, &path, err)) < 0) ||
	    (k->host && (ret = opts_get_str(o, k->host, &host, err)) < 0) ||
	    (k->port && (ret = opts_get_str(o, k->port, &port, err)) < 0))
		return ret;
	if (!type && !path && !host && !port)
		return 0;
	*given = true;
	if (type && strcmp(type, "unix") != 0 && strcmp(type, "inet") != 0)
		return ERR_SET(err, -EINVAL,
			       "'%s=%s': expected unix or inet (fd is not "
			       "supported)",
			       k->type, type);
	if (path && (host || port))
		return ERR_SET(err, -EINVAL,
			       "'%s' and '%s' exclude each other", k->path,
			       path ? k->host : k->port);
	if (path) {
		if (type && strcmp(type, "unix") != 0)
			return ERR_SET(err, -EINVAL,
				       "'%s' needs type unix, not %s", k->path,
				       type);
		return from_path(path, a, err);
	}
	if (type && strcmp(type, "inet") != 0)
		return ERR_SET(err, -EINVAL, "type unix needs '%s'", k->path);
	if (!port)
		return ERR_SET(err, -EINVAL, "'%s' is required with '%s'",
			       k->port, k->host);
	return from_host(host ? host : "0.0.0.0", port, a, err);
}

/**
 * addr_format() - "/run/x.sock", "127.0.0.1:5555", "[::1]:5555" or
 * "unnamed"
 * @a:   the address
 * @buf: output
 * @len: its size
 */
void
addr_format(const struct addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	switch (a->ss.ss_family) {
	case AF_UNIX:
		if (addr_is_unnamed(a))
			snprintf(buf, len, "unnamed");
		else
			snprintf(buf, len, "%s", addr_path(a));
		return;
	case AF_INET: {
		const struct sockaddr_in *in = (const void *)&a->ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
		return;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const void *)&a->ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
		return;
	}
	}
	snprintf(buf, len, "family %d", a->ss.ss_family);
}

/**
 * addr_equal() - same family and same address bytes
 * @a: one
 * @b: another
 *
 * Return: true if equal.
 */
bool
addr_equal(const struct addr *a, const struct addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/**
 * addr_hash() - FNV-1a over the address bytes
 * @a: the address
 *
 * Return: the hash.
 */
uint32_t
addr_hash(const struct addr *a)
{
	const uint8_t *b = (const uint8_t *)&a->ss;
	uint32_t h = 2166136261u;

	for (socklen_t i = 0; i < a->len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

int
addr_family(const struct addr *a)
{
	return a->ss.ss_family;
}

/* The path of a named unix address (NUL-terminated by construction). */
const char *
addr_path(const struct addr *a)
{
	return ((const struct sockaddr_un *)&a->ss)->sun_path;
}

/**
 * addr_is_unnamed() - an unbound unix sender, which cannot be answered
 * @a: a received address
 *
 * Return: true if unix and without a path.
 */
bool
addr_is_unnamed(const struct addr *a)
{
	return a->ss.ss_family == AF_UNIX &&
	       a->len <= offsetof(struct sockaddr_un, sun_path) + 1 &&
	       (a->len <= offsetof(struct sockaddr_un, sun_path) ||
		addr_path(a)[0] == '\0');
}

/**
 * addr_unlink_stale() - make way for a unix socket listener at @a's path
 * @a:   a unix address
 * @err: the reason, on failure
 *
 * A socket file nobody listens on (left by a process that died) is
 * removed; a live one, or a file that is not a socket, is an error.
 *
 * Return: 0, -EEXIST or -EADDRINUSE.
 */
int
addr_unlink_stale(const struct addr *a, char *err)
{
	const char *path = addr_path(a);
	struct stat st;
	int fd;

	if (lstat(path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return ERR_SET(err, -EEXIST, "path '%s' exists and is not a "
				"socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (const struct sockaddr *)&a->ss, a->len) ==
			       0) {
		close(fd);
		return ERR_SET(err, -EADDRINUSE,
			       "path '%s': another process is listening",
			       path);
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	return 0;
}
