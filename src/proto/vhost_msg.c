/* SPDX-License-Identifier: MIT */
/*
 * vhost_msg.c - vhost-user message parsing and replies (vhost_msg.h).
 */
#include "proto/vhost_msg.h"

#include <errno.h>
#include <string.h>

/* Payload sizes of the requests a net back-end acts on. */
enum psize {
	P_ANY = 0,	/* not acted on: any size up to the maximum */
	P_NONE,		/* a getter or a bare command: 0 (8 tolerated) */
	P_U64,		/* u64, vring state, kick/call/err: 8 */
	P_ADDR,		/* struct vhost_vring_addr: 40 */
	P_MEM,		/* memory table: 8 + 32 per region */
};

static const enum psize psizes[VHOST_USER_REQ_MAX] = {
	[VHOST_USER_GET_FEATURES] = P_NONE,
	[VHOST_USER_SET_FEATURES] = P_U64,
	[VHOST_USER_SET_OWNER] = P_NONE,
	[VHOST_USER_RESET_OWNER] = P_NONE,
	[VHOST_USER_SET_MEM_TABLE] = P_MEM,
	[VHOST_USER_SET_VRING_NUM] = P_U64,
	[VHOST_USER_SET_VRING_ADDR] = P_ADDR,
	[VHOST_USER_SET_VRING_BASE] = P_U64,
	[VHOST_USER_GET_VRING_BASE] = P_U64,
	[VHOST_USER_SET_VRING_KICK] = P_U64,
	[VHOST_USER_SET_VRING_CALL] = P_U64,
	[VHOST_USER_SET_VRING_ERR] = P_U64,
	[VHOST_USER_GET_PROTOCOL_FEATURES] = P_NONE,
	[VHOST_USER_SET_PROTOCOL_FEATURES] = P_U64,
	[VHOST_USER_GET_QUEUE_NUM] = P_NONE,
	[VHOST_USER_SET_VRING_ENABLE] = P_U64,
	[VHOST_USER_SEND_RARP] = P_U64,
	[VHOST_USER_NET_SET_MTU] = P_U64,
	[VHOST_USER_RESET_DEVICE] = P_NONE,
	[VHOST_USER_GET_MAX_MEM_SLOTS] = P_NONE,
	[VHOST_USER_SET_STATUS] = P_U64,
	[VHOST_USER_GET_STATUS] = P_NONE,
};

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/**
 * vhost_msg_parse() - one message from the front of @buf
 * @buf: bytes read from the socket
 * @len: how many
 * @m:   the message, when complete
 * @why: the reason, on failure
 *
 * Return: the bytes the message takes (header and payload) when it is
 * complete and well formed; 0 when more bytes are needed; -EPROTO (bad
 * version or a reply flag), -EMSGSIZE (payload larger than any request)
 * or -EINVAL (payload size wrong for the request, or a region count out
 * of range) with @why set.
 */
int
vhost_msg_parse(const uint8_t *buf, size_t len, struct vhost_msg *m,
		const char **why)
{
	const uint8_t *p = buf + VHOST_MSG_HDR_LEN;
	enum psize ps;

	if (len < VHOST_MSG_HDR_LEN)
		return 0;
	memset(m, 0, sizeof(*m));
	m->req = rd32(buf);
	m->flags = rd32(buf + 4);
	m->size = rd32(buf + 8);
	if ((m->flags & VHOST_MSG_VERSION_MASK) != VHOST_MSG_VERSION) {
		*why = "unknown protocol version";
		return -EPROTO;
	}
	if (m->flags & VHOST_MSG_F_REPLY) {
		*why = "a reply where a request was expected";
		return -EPROTO;
	}
	if (m->size > VHOST_MSG_PAYLOAD_MAX) {
		*why = "payload larger than any request";
		return -EMSGSIZE;
	}
	ps = m->req < VHOST_USER_REQ_MAX ? psizes[m->req] : P_ANY;
	switch (ps) {
	case P_ANY:
		break;
	case P_NONE:
		if (m->size != 0 && m->size != 8) {
			*why = "payload size wrong for the request";
			return -EINVAL;
		}
		break;
	case P_U64:
		if (m->size != 8) {
			*why = "payload size wrong for the request";
			return -EINVAL;
		}
		break;
	case P_ADDR:
		if (m->size != 40) {
			*why = "payload size wrong for the request";
			return -EINVAL;
		}
		break;
	case P_MEM:
		if (m->size < 8 || m->size > 8 + 32 * VQ_REGIONS_MAX) {
			*why = "memory table size out of range";
			return -EINVAL;
		}
		break;
	}
	if (len < VHOST_MSG_HDR_LEN + (size_t)m->size)
		return 0;
	switch (ps) {
	case P_U64:
		m->u.u64 = rd64(p);	/* the state's index and num alias it */
		m->u.state.index = rd32(p);
		m->u.state.num = rd32(p + 4);
		break;
	case P_ADDR:
		m->u.addr.index = rd32(p);
		m->u.addr.flags = rd32(p + 4);
		m->u.addr.desc = rd64(p + 8);
		m->u.addr.used = rd64(p + 16);
		m->u.addr.avail = rd64(p + 24);
		m->u.addr.log = rd64(p + 32);
		break;
	case P_MEM:
		m->u.mem.n = rd32(p);
		if (m->u.mem.n == 0 || m->u.mem.n > VQ_REGIONS_MAX ||
		    m->size != 8 + 32 * m->u.mem.n) {
			*why = "memory table region count out of range";
			return -EINVAL;
		}
		for (uint32_t i = 0; i < m->u.mem.n; i++) {
			const uint8_t *r = p + 8 + 32 * i;

			m->u.mem.r[i].gpa = rd64(r);
			m->u.mem.r[i].size = rd64(r + 8);
			m->u.mem.r[i].uva = rd64(r + 16);
			m->u.mem.r[i].mmap_offset = rd64(r + 24);
		}
		break;
	default:
		break;
	}
	return (int)(VHOST_MSG_HDR_LEN + m->size);
}

/**
 * vhost_msg_fds() - file descriptors a message carries by the protocol
 * @m: a parsed message
 *
 * Return: one per region for SET_MEM_TABLE; one for a kick, call or err
 * without VHOST_VRING_NOFD, SET_LOG_BASE, SET_LOG_FD and
 * SET_SLAVE_REQ_FD; else none.
 */
unsigned int
vhost_msg_fds(const struct vhost_msg *m)
{
	switch (m->req) {
	case VHOST_USER_SET_MEM_TABLE:
		return m->u.mem.n;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
	case VHOST_USER_SET_VRING_ERR:
		return (m->u.u64 & VHOST_VRING_NOFD) ? 0 : 1;
	case VHOST_USER_SET_LOG_BASE:
	case VHOST_USER_SET_LOG_FD:
	case VHOST_USER_SET_SLAVE_REQ_FD:
		return 1;
	default:
		return 0;
	}
}

static size_t
reply_hdr(uint8_t *buf, uint32_t req, uint32_t size)
{
	uint32_t flags = VHOST_MSG_VERSION | VHOST_MSG_F_REPLY;

	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	return VHOST_MSG_HDR_LEN;
}

/**
 * vhost_msg_reply_u64() - a reply carrying a u64 (features, queue count,
 * or 0/1 for REPLY_ACK)
 * @buf: at least 20 bytes
 * @req: the request answered
 * @v:   the value
 *
 * Return: bytes written (20).  Flags are exactly 0x5, as QEMU requires.
 */
size_t
vhost_msg_reply_u64(uint8_t *buf, uint32_t req, uint64_t v)
{
	size_t n = reply_hdr(buf, req, 8);

	memcpy(buf + n, &v, 8);
	return n + 8;
}

/**
 * vhost_msg_reply_state() - a reply carrying a vring state
 * (GET_VRING_BASE)
 * @buf:   at least 20 bytes
 * @req:   the request answered
 * @index: vring index
 * @num:   the value (the next avail index)
 *
 * Return: bytes written (20).
 */
size_t
vhost_msg_reply_state(uint8_t *buf, uint32_t req, uint32_t index,
		      uint32_t num)
{
	size_t n = reply_hdr(buf, req, 8);

	memcpy(buf + n, &index, 4);
	memcpy(buf + n + 4, &num, 4);
	return n + 8;
}

/**
 * vhost_req_name() - the request's name for logs
 * @req: request id
 *
 * Return: e.g. "SET_MEM_TABLE", or "unknown".
 */
const char *
vhost_req_name(uint32_t req)
{
	static const char *const names[VHOST_USER_REQ_MAX] = {
		[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
		[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
		[VHOST_USER_SET_OWNER] = "SET_OWNER",
		[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
		[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
		[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
		[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
		[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
		[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
		[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
		[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
		[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
		[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
		[VHOST_USER_SEND_RARP] = "SEND_RARP",
		[VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
		[VHOST_USER_SET_SLAVE_REQ_FD] = "SET_SLAVE_REQ_FD",
		[VHOST_USER_IOTLB_MSG] = "IOTLB_MSG",
		[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
		[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
		[VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
		[VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
		[VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
		[VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
		[VHOST_USER_SET_STATUS] = "SET_STATUS",
		[VHOST_USER_GET_STATUS] = "GET_STATUS",
	};

	return req < VHOST_USER_REQ_MAX && names[req] ? names[req] : "unknown";
}
