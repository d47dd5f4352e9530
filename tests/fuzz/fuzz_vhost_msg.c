/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vhost_msg.c - bytes from a vhost-user front-end's socket:
 * vhost_msg_parse() (src/proto/vhost_msg.c) in a loop consuming messages,
 * as the port's reader does, until it wants more bytes or refuses one.
 * Checks: an answer of 0 only while the header or the payload it announces
 * is incomplete; a refusal is one of -EPROTO, -EMSGSIZE, -EINVAL with a
 * reason, and what it refuses is wrong (version, reply flag, size); a
 * message taken is its header plus its payload, never beyond the input,
 * with the header's fields, the payload size the request carries and the
 * payload's values read from where the protocol puts them; a memory table
 * has 1 to 8 regions and exactly their bytes; the same message cut one byte
 * short waits.  Replies to each message are 20 bytes with flags 0x5, and
 * are themselves refused as requests.
 */
#include <errno.h>
#include <stdbool.h>

#include "proto/vhost_msg.h"

#include "fuzz.h"

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* What each request carries, by the protocol (protocols.md §3). */
enum kind {
	K_ANY = 0, /* not acted on: any size up to the maximum */
	K_NONE,    /* nothing (8 bytes tolerated) */
	K_U64,     /* a u64 or a vring state */
	K_ADDR,    /* a vring address, 40 bytes */
	K_MEM,     /* a memory table */
};

static enum kind
kind(uint32_t req)
{
	switch (req) {
	case VHOST_USER_GET_FEATURES:
	case VHOST_USER_SET_OWNER:
	case VHOST_USER_RESET_OWNER:
	case VHOST_USER_GET_PROTOCOL_FEATURES:
	case VHOST_USER_GET_QUEUE_NUM:
	case VHOST_USER_RESET_DEVICE:
	case VHOST_USER_GET_MAX_MEM_SLOTS:
	case VHOST_USER_GET_STATUS:
		return K_NONE;
	case VHOST_USER_SET_FEATURES:
	case VHOST_USER_SET_VRING_NUM:
	case VHOST_USER_SET_VRING_BASE:
	case VHOST_USER_GET_VRING_BASE:
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
	case VHOST_USER_SET_PROTOCOL_FEATURES:
	case VHOST_USER_SET_VRING_ENABLE:
	case VHOST_USER_SEND_RARP:
	case VHOST_USER_NET_SET_MTU:
	case VHOST_USER_SET_STATUS:
		return K_U64;
	case VHOST_USER_SET_VRING_ADDR:
		return K_ADDR;
	case VHOST_USER_SET_MEM_TABLE:
		return K_MEM;
	default:
		return K_ANY;
	}
}

/* Whether @size is a payload size @req may come with. */
static bool
size_ok(uint32_t req, uint32_t size)
{
	switch (kind(req)) {
	case K_NONE:
		return size == 0 || size == 8;
	case K_U64:
		return size == 8;
	case K_ADDR:
		return size == 40;
	case K_MEM:
		return size >= 8 + 32 && size <= 8 + 32 * VQ_REGIONS_MAX;
	default:
		return size <= VHOST_MSG_PAYLOAD_MAX;
	}
}

/* A message taken: its fields against the bytes it came from. */
static void
check_taken(const uint8_t *buf, const struct vhost_msg *m)
{
	const uint8_t *p = buf + VHOST_MSG_HDR_LEN;

	FUZZ_CHECK(m->req == rd32(buf));
	FUZZ_CHECK(m->flags == rd32(buf + 4));
	FUZZ_CHECK(m->size == rd32(buf + 8));
	FUZZ_CHECK((m->flags & VHOST_MSG_VERSION_MASK) == VHOST_MSG_VERSION);
	FUZZ_CHECK(!(m->flags & VHOST_MSG_F_REPLY));
	FUZZ_CHECK(m->size <= VHOST_MSG_PAYLOAD_MAX);
	FUZZ_CHECK(size_ok(m->req, m->size));
	if (kind(m->req) == K_U64) {
		FUZZ_CHECK(m->u.u64 == rd64(p));
		FUZZ_CHECK(m->u.state.index == rd32(p));
		FUZZ_CHECK(m->u.state.num == rd32(p + 4));
	}
	if (kind(m->req) == K_ADDR) {
		FUZZ_CHECK(m->u.addr.index == rd32(p));
		FUZZ_CHECK(m->u.addr.flags == rd32(p + 4));
		FUZZ_CHECK(m->u.addr.desc == rd64(p + 8));
		FUZZ_CHECK(m->u.addr.used == rd64(p + 16));
		FUZZ_CHECK(m->u.addr.avail == rd64(p + 24));
		FUZZ_CHECK(m->u.addr.log == rd64(p + 32));
	}
	if (kind(m->req) == K_MEM) {
		FUZZ_CHECK(m->u.mem.n >= 1 && m->u.mem.n <= VQ_REGIONS_MAX);
		FUZZ_CHECK(m->u.mem.n == rd32(p));
		FUZZ_CHECK(m->size == 8 + 32 * m->u.mem.n);
		for (uint32_t i = 0; i < VQ_REGIONS_MAX; i++) {
			const struct vhost_mem_region *r = &m->u.mem.r[i];
			const uint8_t *w = p + 8 + 32 * i;

			if (i >= m->u.mem.n) {
				FUZZ_CHECK(!r->gpa && !r->size && !r->uva &&
				           !r->mmap_offset);
				continue;
			}
			FUZZ_CHECK(r->gpa == rd64(w));
			FUZZ_CHECK(r->size == rd64(w + 8));
			FUZZ_CHECK(r->uva == rd64(w + 16));
			FUZZ_CHECK(r->mmap_offset == rd64(w + 24));
		}
		FUZZ_CHECK(vhost_msg_fds(m) == m->u.mem.n);
	}
	FUZZ_CHECK(vhost_msg_fds(m) <= VHOST_MSG_FDS_MAX);
	FUZZ_CHECK(vhost_req_name(m->req) != NULL);
}

/* A refusal: the reason, and something actually wrong in the header. */
static void
check_refused(const uint8_t *buf, int r, const char *why)
{
	uint32_t req = rd32(buf), flags = rd32(buf + 4), size = rd32(buf + 8);

	FUZZ_CHECK(why && *why);
	switch (r) {
	case -EPROTO:
		FUZZ_CHECK((flags & VHOST_MSG_VERSION_MASK) !=
		                   VHOST_MSG_VERSION ||
		           (flags & VHOST_MSG_F_REPLY));
		break;
	case -EMSGSIZE:
		FUZZ_CHECK(size > VHOST_MSG_PAYLOAD_MAX);
		break;
	case -EINVAL:
		/* a size wrong for the request, or a region count */
		FUZZ_CHECK(!size_ok(req, size) ||
		           (kind(req) == K_MEM &&
		            (rd32(buf + 12) == 0 ||
		             rd32(buf + 12) > VQ_REGIONS_MAX ||
		             size != 8 + 32 * (uint64_t)rd32(buf + 12))));
		break;
	default:
		FUZZ_CHECK(!"unknown error");
	}
}

/* The same message cut one byte short, in an exact-size copy, waits. */
static void
check_cut(const uint8_t *buf, size_t len)
{
	uint8_t *copy = fuzz_dup(buf, len - 1);
	struct vhost_msg m;
	const char *why = NULL;

	FUZZ_CHECK(vhost_msg_parse(copy, len - 1, &m, &why) == 0);
	free(copy);
}

static void
check_replies(const struct vhost_msg *m)
{
	uint8_t *out = malloc(20);
	struct vhost_msg back;
	const char *why = NULL;

	if (!out)
		abort();
	FUZZ_CHECK(vhost_msg_reply_u64(out, m->req, m->u.u64) == 20);
	FUZZ_CHECK(rd32(out) == m->req && rd32(out + 4) == 0x5 &&
	           rd32(out + 8) == 8 && rd64(out + 12) == m->u.u64);
	FUZZ_CHECK(vhost_msg_parse(out, 20, &back, &why) == -EPROTO);
	FUZZ_CHECK(vhost_msg_reply_state(out, m->req, m->u.state.index,
	                                 m->u.state.num) == 20);
	FUZZ_CHECK(rd32(out + 4) == 0x5 && rd32(out + 12) == m->u.state.index &&
	           rd32(out + 16) == m->u.state.num);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	size_t off = 0;

	for (;;) {
		const uint8_t *p = buf + off;
		size_t avail = size - off;
		struct vhost_msg m;
		const char *why = NULL;
		int r = vhost_msg_parse(p, avail, &m, &why);

		if (r == 0) {
			/* only a cut header, or a cut payload, waits */
			FUZZ_CHECK(avail < VHOST_MSG_HDR_LEN ||
			           avail < VHOST_MSG_HDR_LEN +
			                           (size_t)rd32(p + 8));
			break;
		}
		if (r < 0) {
			FUZZ_CHECK(avail >= VHOST_MSG_HDR_LEN);
			check_refused(p, r, why);
			break; /* the port closes the connection */
		}
		FUZZ_CHECK((size_t)r <= avail);
		FUZZ_CHECK((size_t)r == VHOST_MSG_HDR_LEN + m.size);
		check_taken(p, &m);
		check_cut(p, (size_t)r);
		check_replies(&m);
		off += (size_t)r;
	}
	free(buf);
	return 0;
}
