/* SPDX-License-Identifier: MIT */
/*
 * vhost_msg.h - vhost-user messages (protocols.md §3): the 12-byte header,
 * the payloads a net back-end reads, and the replies it writes.
 *
 * vhost_msg_parse() is the only reader of a message from the socket.  It
 * checks the version bits, the payload size against what the request
 * carries (exactly, for every request the back-end acts on), and the
 * memory table's region count, and copies the payload into a struct, so
 * the port acts only on checked, aligned values.  Requests it does not
 * know are returned with their size checked against VHOST_MSG_PAYLOAD_MAX
 * only, so the caller can answer and carry on.  Everything is host byte
 * order, as the protocol says.  Pure functions.
 */
#ifndef LANYARD_PROTO_VHOST_MSG_H
#define LANYARD_PROTO_VHOST_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/virtq.h"

#define VHOST_MSG_HDR_LEN 12
#define VHOST_MSG_PAYLOAD_MAX 4096	/* larger than any request we take */
#define VHOST_MSG_FDS_MAX VQ_REGIONS_MAX

#define VHOST_MSG_VERSION 0x1
#define VHOST_MSG_VERSION_MASK 0x3
#define VHOST_MSG_F_REPLY 0x4
#define VHOST_MSG_F_NEED_REPLY 0x8

/* Kick, call and err payloads: the vring index, and "no fd". */
#define VHOST_VRING_IDX_MASK 0xffu
#define VHOST_VRING_NOFD (1u << 8)

enum vhost_req {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_SLAVE_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_REQ_MAX
};

/* Protocol feature bits we may offer. */
#define VHOST_USER_PROTOCOL_F_MQ 0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13

/* Virtio feature bits (protocols.md §3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VIRTIO_F_VERSION_1 32

struct vhost_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhost_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;		/* front-end virtual addresses */
	uint64_t used;		/* (used before avail, as on the wire) */
	uint64_t avail;
	uint64_t log;
};

struct vhost_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vhost_msg {
	uint32_t req;
	uint32_t flags;
	uint32_t size;		/* payload bytes on the wire */
	union {
		uint64_t u64;
		struct vhost_vring_state state;
		struct vhost_vring_addr addr;
		struct {
			uint32_t n;
			struct vhost_mem_region r[VQ_REGIONS_MAX];
		} mem;
	} u;
};

int vhost_msg_parse(const uint8_t *buf, size_t len, struct vhost_msg *m,
		    const char **why);
unsigned int vhost_msg_fds(const struct vhost_msg *m);
size_t vhost_msg_reply_u64(uint8_t *buf, uint32_t req, uint64_t v);
size_t vhost_msg_reply_state(uint8_t *buf, uint32_t req, uint32_t index,
			     uint32_t num);
const char *vhost_req_name(uint32_t req);

#endif /* LANYARD_PROTO_VHOST_MSG_H */
