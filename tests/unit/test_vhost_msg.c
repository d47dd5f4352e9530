/* SPDX-License-Identifier: MIT */
/*
 * test_vhost_msg.c - vhost-user messages (src/proto/vhost_msg.h,
 * src/proto/vhost_msg.c): every request a net back-end acts on is taken
 * at its exact payload size and refused at any other; a message cut short
 * waits for more bytes; a bad version, a reply flag, an oversized payload
 * or a memory table of 0 or 9 regions is refused with a reason, from the
 * header alone; requests we do not know pass with their size; the file
 * descriptors each message carries; replies with flags exactly 0x5.
 * Messages are built in host byte order, as QEMU sends them, and parsed
 * from exact-size heap copies so ASan sees any read past the end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/vhost_msg.h"

#define MSG_MAX (VHOST_MSG_HDR_LEN + VHOST_MSG_PAYLOAD_MAX + 64)

/* A message: the header, then @plen payload bytes (@size is the claim). */
static size_t
build(uint8_t *buf, uint32_t req, uint32_t flags, uint32_t size,
      const void *payload, size_t plen)
{
	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	if (plen)
		memcpy(buf + VHOST_MSG_HDR_LEN, payload, plen);
	return VHOST_MSG_HDR_LEN + plen;
}

/* vhost_msg_parse() on an exact-size heap copy of @len bytes. */
static int
parse(const uint8_t *buf, size_t len, struct vhost_msg *m, const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	*why = NULL;
	r = vhost_msg_parse(copy, len, m, why);
	free(copy);
	if (r < 0) {
		assert_non_null(*why);
		assert_true(**why != '\0');
	}
	return r;
}

/* Parses a message of @req with @size payload bytes of 0x5a. */
static int
parse_sized(uint32_t req, uint32_t flags, uint32_t size, struct vhost_msg *m)
{
	static uint8_t buf[MSG_MAX], payload[VHOST_MSG_PAYLOAD_MAX + 64];
	const char *why;
	size_t len;

	assert_true(size <= sizeof(payload));
	memset(payload, 0x5a, size);
	len = build(buf, req, flags, size, payload, size);
	return parse(buf, len, m, &why);
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A memory table payload: @n as its count, @slots regions written. */
static size_t
mem_table(uint8_t *p, uint32_t n, uint32_t slots)
{
	put32(p, n);
	put32(p + 4, 0);
	for (uint32_t i = 0; i < slots; i++) {
		uint8_t *r = p + 8 + 32 * i;

		put64(r, 0x100000000ull * i);            /* gpa */
		put64(r + 8, 0x8000000ull + 0x1000 * i); /* size */
		put64(r + 16, 0x7f0000000000ull + 0x10000000000ull * i);
		put64(r + 24, 0x1000ull * i); /* offset */
	}
	return 8 + 32 * (size_t)slots;
}

static const uint32_t getters[] = {
	VHOST_USER_GET_FEATURES,      VHOST_USER_SET_OWNER,
	VHOST_USER_RESET_OWNER,       VHOST_USER_GET_PROTOCOL_FEATURES,
	VHOST_USER_GET_QUEUE_NUM,     VHOST_USER_RESET_DEVICE,
	VHOST_USER_GET_MAX_MEM_SLOTS, VHOST_USER_GET_STATUS,
};

static const uint32_t u64_reqs[] = {
	VHOST_USER_SET_FEATURES,     VHOST_USER_SET_VRING_NUM,
	VHOST_USER_SET_VRING_BASE,   VHOST_USER_GET_VRING_BASE,
	VHOST_USER_SET_VRING_KICK,   VHOST_USER_SET_VRING_CALL,
	VHOST_USER_SET_VRING_ERR,    VHOST_USER_SET_PROTOCOL_FEATURES,
	VHOST_USER_SET_VRING_ENABLE, VHOST_USER_SEND_RARP,
	VHOST_USER_NET_SET_MTU,      VHOST_USER_SET_STATUS,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_getters_and_commands(void **state)
{
	struct vhost_msg m;

	(void)state;
	for (size_t i = 0; i < N(getters); i++) {
		memset(&m, 0xcc, sizeof(m));
		assert_int_equal(parse_sized(getters[i], 0x1, 0, &m), 12);
		assert_int_equal(m.req, getters[i]);
		assert_int_equal(m.flags, 0x1);
		assert_int_equal(m.size, 0);
		assert_int_equal(m.u.u64, 0);
		assert_int_equal(vhost_msg_fds(&m), 0);
		/* NEED_REPLY; and 8 bytes, which some front-ends send */
		assert_int_equal(parse_sized(getters[i], 0x9, 0, &m), 12);
		assert_int_equal(m.flags, 0x9);
		assert_int_equal(parse_sized(getters[i], 0x1, 8, &m), 20);
		assert_int_equal(m.size, 8);
		static const uint32_t bad[] = {1, 4, 7, 9, 16, 40};

		for (size_t j = 0; j < N(bad); j++)
			if (parse_sized(getters[i], 0x1, bad[j], &m) != -EINVAL)
				fail_msg("req %u size %u taken", getters[i],
				         bad[j]);
	}
}

static void
test_u64_requests(void **state)
{
	uint8_t buf[64], p[8];
	struct vhost_msg m;
	const char *why;

	(void)state;
	/* vring 1, num 256: index then num, host order */
	put32(p, 1);
	put32(p + 4, 256);
	for (size_t i = 0; i < N(u64_reqs); i++) {
		size_t len = build(buf, u64_reqs[i], 0x1, 8, p, 8);

		memset(&m, 0xcc, sizeof(m));
		assert_int_equal(parse(buf, len, &m, &why), 20);
		assert_int_equal(m.req, u64_reqs[i]);
		assert_int_equal(m.size, 8);
		assert_int_equal(m.u.state.index, 1);
		assert_int_equal(m.u.state.num, 256);
		assert_int_equal(m.u.u64, get64(p));
		static const uint32_t bad[] = {0, 4, 7, 9, 12, 16, 40};

		for (size_t j = 0; j < N(bad); j++)
			if (parse_sized(u64_reqs[i], 0x1, bad[j], &m) !=
			    -EINVAL)
				fail_msg("req %u size %u taken", u64_reqs[i],
				         bad[j]);
	}
	/* SET_FEATURES from the trace: VERSION_1 | PROTOCOL_FEATURES */
	put64(p, 0x140000000ull);
	assert_int_equal(
		parse(buf, build(buf, VHOST_USER_SET_FEATURES, 0x1, 8, p, 8),
	              &m, &why),
		20);
	assert_int_equal(m.u.u64, 0x140000000ull);
	assert_int_equal(m.u.u64,
	                 (1ull << VIRTIO_F_VERSION_1) |
	                         (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
}

static void
test_vring_addr(void **state)
{
	uint8_t buf[64], p[40];
	struct vhost_msg m;
	const char *why;
	size_t len;

	(void)state;
	put32(p, 1);                      /* index */
	put32(p + 4, 0);                  /* flags */
	put64(p + 8, 0x7f1200001000ull);  /* desc */
	put64(p + 16, 0x7f1200003000ull); /* used: before avail */
	put64(p + 24, 0x7f1200002000ull); /* avail */
	put64(p + 32, 0xdeadbeef00ull);   /* log */
	len = build(buf, VHOST_USER_SET_VRING_ADDR, 0x1, 40, p, 40);
	memset(&m, 0xcc, sizeof(m));
	assert_int_equal(parse(buf, len, &m, &why), 52);
	assert_int_equal(m.u.addr.index, 1);
	assert_int_equal(m.u.addr.flags, 0);
	assert_int_equal(m.u.addr.desc, 0x7f1200001000ull);
	assert_int_equal(m.u.addr.used, 0x7f1200003000ull);
	assert_int_equal(m.u.addr.avail, 0x7f1200002000ull);
	assert_int_equal(m.u.addr.log, 0xdeadbeef00ull);
	assert_int_equal(vhost_msg_fds(&m), 0);

	/* from an odd address: no alignment assumed */
	uint8_t *odd = malloc(len + 1);

	assert_non_null(odd);
	memcpy(odd + 1, buf, len);
	assert_int_equal(vhost_msg_parse(odd + 1, len, &m, &why), 52);
	assert_int_equal(m.u.addr.avail, 0x7f1200002000ull);
	free(odd);

	static const uint32_t bad[] = {0, 8, 24, 32, 39, 41, 48};

	for (size_t j = 0; j < N(bad); j++)
		assert_int_equal(
			parse_sized(VHOST_USER_SET_VRING_ADDR, 0x1, bad[j], &m),
			-EINVAL);
}

static void
test_mem_table(void **state)
{
	uint8_t buf[512], p[8 + 32 * 9];
	struct vhost_msg m;
	const char *why;
	size_t plen, len;

	(void)state;
	/* QEMU's at DRIVER_OK: NEED_REPLY, one region of 128 MiB at 0 */
	plen = mem_table(p, 1, 1);
	assert_int_equal(plen, 40);
	len = build(buf, VHOST_USER_SET_MEM_TABLE, 0x9, 40, p, plen);
	memset(&m, 0xcc, sizeof(m));
	assert_int_equal(parse(buf, len, &m, &why), 52);
	assert_int_equal(m.flags, 0x9);
	assert_int_equal(m.u.mem.n, 1);
	assert_int_equal(m.u.mem.r[0].gpa, 0);
	assert_int_equal(m.u.mem.r[0].size, 0x8000000);
	assert_int_equal(m.u.mem.r[0].uva, 0x7f0000000000ull);
	assert_int_equal(m.u.mem.r[0].mmap_offset, 0);
	for (int i = 1; i < VQ_REGIONS_MAX; i++)
		assert_int_equal(m.u.mem.r[i].size | m.u.mem.r[i].gpa, 0);
	assert_int_equal(vhost_msg_fds(&m), 1);

	/* the most there can be: 8 */
	plen = mem_table(p, 8, 8);
	len = build(buf, VHOST_USER_SET_MEM_TABLE, 0x1, (uint32_t)plen, p,
	            plen);
	assert_int_equal(parse(buf, len, &m, &why), 12 + 264);
	assert_int_equal(m.u.mem.n, 8);
	for (uint32_t i = 0; i < 8; i++) {
		assert_int_equal(m.u.mem.r[i].gpa, 0x100000000ull * i);
		assert_int_equal(m.u.mem.r[i].size, 0x8000000ull + 0x1000 * i);
		assert_int_equal(m.u.mem.r[i].uva,
		                 0x7f0000000000ull + 0x10000000000ull * i);
		assert_int_equal(m.u.mem.r[i].mmap_offset, 0x1000ull * i);
	}
	assert_int_equal(vhost_msg_fds(&m), 8);

	/* refused: (count, regions written) */
	static const struct {
		uint32_t n, slots;
	} bad[] = {
		{0, 0}, {0, 1}, {9, 9},          {9, 8},
		{2, 1}, {8, 7}, {0xffffffff, 8}, {0x80000001, 1},
	};

	for (size_t i = 0; i < N(bad); i++) {
		plen = mem_table(p, bad[i].n, bad[i].slots);
		len = build(buf, VHOST_USER_SET_MEM_TABLE, 0x1, (uint32_t)plen,
		            p, plen);
		if (parse(buf, len, &m, &why) != -EINVAL)
			fail_msg("case %zu taken", i);
	}
	static const uint32_t bad_size[] = {0, 4, 7};

	for (size_t i = 0; i < N(bad_size); i++)
		assert_int_equal(parse_sized(VHOST_USER_SET_MEM_TABLE, 0x1,
		                             bad_size[i], &m),
		                 -EINVAL);
	/* too large for 8 regions: refused from the header alone */
	build(buf, VHOST_USER_SET_MEM_TABLE, 0x1, 8 + 32 * 9, NULL, 0);
	assert_int_equal(parse(buf, 12, &m, &why), -EINVAL);
}

/*
 * The payload of a memory table is exactly its count of regions: QEMU
 * sends 8 + 32 * n, and bytes beyond them belong to no region (so the fds
 * that came with them do not match the count either).
 */
static void
test_mem_table_size_exact(void **state)
{
	uint8_t buf[512], p[8 + 32 * 8];
	struct vhost_msg m;
	const char *why;
	size_t len;

	(void)state;
	mem_table(p, 1, 8);
	static const uint32_t sizes[] = {41, 72, 264};

	for (size_t i = 0; i < N(sizes); i++) {
		len = build(buf, VHOST_USER_SET_MEM_TABLE, 0x1, sizes[i], p,
		            sizes[i]);
		if (parse(buf, len, &m, &why) != -EINVAL)
			fail_msg("one region in %u payload bytes taken",
			         sizes[i]);
	}
	mem_table(p, 2, 8);
	len = build(buf, VHOST_USER_SET_MEM_TABLE, 0x1, 8 + 32 * 3, p,
	            8 + 32 * 3);
	assert_int_equal(parse(buf, len, &m, &why), -EINVAL);
}

/* Every prefix of a message waits; the whole one, or more, is taken. */
static void
test_partial(void **state)
{
	uint8_t buf[128], p[40];
	struct vhost_msg m;
	const char *why;
	size_t len;

	(void)state;
	memset(p, 0x11, sizeof(p));
	len = build(buf, VHOST_USER_SET_VRING_ADDR, 0x1, 40, p, 40);
	for (size_t cut = 0; cut < len; cut++)
		if (parse(buf, cut, &m, &why) != 0)
			fail_msg("%zu of %zu bytes taken", cut, len);
	assert_int_equal(parse(buf, len, &m, &why), 52);
	/* followed by the start of the next message */
	build(buf + len, VHOST_USER_GET_FEATURES, 0x1, 0, NULL, 0);
	assert_int_equal(parse(buf, len + 5, &m, &why), 52);
	assert_int_equal(parse(buf, len + 12, &m, &why), 52);

	len = build(buf, VHOST_USER_SET_MEM_TABLE, 0x1, 40, p, 0);
	len += mem_table(buf + len, 1, 1);
	for (size_t cut = 0; cut < len; cut++)
		if (parse(buf, cut, &m, &why) != 0)
			fail_msg("%zu of %zu bytes taken", cut, len);
	/* an unknown request waits for its payload too */
	len = build(buf, 99, 0x1, 100, NULL, 0);
	assert_int_equal(parse(buf, len + 99, &m, &why), 0);
	/* nothing at all */
	assert_int_equal(parse(buf, 0, &m, &why), 0);
}

static void
test_bad_header(void **state)
{
	uint8_t buf[64];
	struct vhost_msg m;
	const char *why;

	(void)state;
	/* version 0, 2, 3; REPLY (with and without NEED_REPLY) */
	static const uint32_t flags[] = {0x0, 0x2, 0x3, 0x5, 0xd, 0x4, 0x8};

	for (size_t i = 0; i < N(flags); i++) {
		/* from the header alone: no waiting for the payload */
		build(buf, VHOST_USER_SET_FEATURES, flags[i], 8, NULL, 0);
		if (parse(buf, 12, &m, &why) != -EPROTO)
			fail_msg("flags %#x taken", flags[i]);
		build(buf, VHOST_USER_GET_FEATURES, flags[i], 0, NULL, 0);
		assert_int_equal(parse(buf, 12, &m, &why), -EPROTO);
	}
	/* a wrong size is known from the header too */
	build(buf, VHOST_USER_SET_FEATURES, 0x1, 4, NULL, 0);
	assert_int_equal(parse(buf, 12, &m, &why), -EINVAL);
	build(buf, VHOST_USER_SET_VRING_ADDR, 0x1, 48, NULL, 0);
	assert_int_equal(parse(buf, 12, &m, &why), -EINVAL);
}

static void
test_oversized(void **state)
{
	static uint8_t buf[MSG_MAX];
	struct vhost_msg m;
	const char *why;
	size_t len;

	(void)state;
	static const uint32_t sizes[] = {VHOST_MSG_PAYLOAD_MAX + 1, 0x10000,
	                                 0x80000000, 0xffffffff};

	for (size_t i = 0; i < N(sizes); i++) {
		build(buf, 99, 0x1, sizes[i], NULL, 0);
		assert_int_equal(parse(buf, 12, &m, &why), -EMSGSIZE);
		build(buf, VHOST_USER_SET_FEATURES, 0x1, sizes[i], NULL, 0);
		assert_int_equal(parse(buf, 12, &m, &why), -EMSGSIZE);
		build(buf, VHOST_USER_SET_MEM_TABLE, 0x1, sizes[i], NULL, 0);
		assert_int_equal(parse(buf, 12, &m, &why), -EMSGSIZE);
	}
	/* the largest payload there is */
	memset(buf, 0x77, sizeof(buf));
	len = build(buf, 99, 0x1, VHOST_MSG_PAYLOAD_MAX, NULL, 0);
	assert_int_equal(parse(buf, len + VHOST_MSG_PAYLOAD_MAX, &m, &why),
	                 12 + VHOST_MSG_PAYLOAD_MAX);
	assert_int_equal(parse(buf, len + VHOST_MSG_PAYLOAD_MAX - 1, &m, &why),
	                 0);
}

/* Requests we do not act on pass with any size, to be answered. */
static void
test_unknown_requests(void **state)
{
	static const uint32_t reqs[] = {
		0,
		23,
		26,
		33,
		35,
		VHOST_USER_REQ_MAX,
		99,
		0xffffffff,
		VHOST_USER_SET_LOG_BASE,
		VHOST_USER_SET_LOG_FD,
		VHOST_USER_SET_SLAVE_REQ_FD,
		VHOST_USER_IOTLB_MSG,
		VHOST_USER_GET_CONFIG,
		VHOST_USER_SET_CONFIG,
		VHOST_USER_ADD_MEM_REG,
		VHOST_USER_REM_MEM_REG,
	};
	struct vhost_msg m;

	(void)state;
	for (size_t i = 0; i < N(reqs); i++) {
		static const uint32_t sizes[] = {0, 5, 16, 40, 4096};

		for (size_t j = 0; j < N(sizes); j++) {
			memset(&m, 0xcc, sizeof(m));
			if (parse_sized(reqs[i], 0x1, sizes[j], &m) !=
			    (int)(12 + sizes[j]))
				fail_msg("req %u size %u refused", reqs[i],
				         sizes[j]);
			assert_int_equal(m.req, reqs[i]);
			assert_int_equal(m.size, sizes[j]);
			assert_int_equal(m.u.u64, 0); /* nothing read */
		}
	}
}

static void
test_fds(void **state)
{
	struct vhost_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	static const uint32_t rings[] = {VHOST_USER_SET_VRING_KICK,
	                                 VHOST_USER_SET_VRING_CALL,
	                                 VHOST_USER_SET_VRING_ERR};

	for (size_t i = 0; i < N(rings); i++) {
		m.req = rings[i];
		m.u.u64 = 0;
		assert_int_equal(vhost_msg_fds(&m), 1);
		m.u.u64 = 1;
		assert_int_equal(vhost_msg_fds(&m), 1);
		m.u.u64 = 0xff;
		assert_int_equal(vhost_msg_fds(&m), 1);
		m.u.u64 = VHOST_VRING_NOFD | 1; /* poll vring 1 */
		assert_int_equal(vhost_msg_fds(&m), 0);
		m.u.u64 = VHOST_VRING_NOFD;
		assert_int_equal(vhost_msg_fds(&m), 0);
	}
	static const uint32_t one[] = {VHOST_USER_SET_LOG_BASE,
	                               VHOST_USER_SET_LOG_FD,
	                               VHOST_USER_SET_SLAVE_REQ_FD};

	for (size_t i = 0; i < N(one); i++) {
		m.req = one[i];
		assert_int_equal(vhost_msg_fds(&m), 1);
	}
	/* a u64 with bit 8 means nothing elsewhere */
	m.u.u64 = 0;
	for (size_t i = 0; i < N(u64_reqs); i++) {
		uint32_t r = u64_reqs[i];

		if (r == VHOST_USER_SET_VRING_KICK ||
		    r == VHOST_USER_SET_VRING_CALL ||
		    r == VHOST_USER_SET_VRING_ERR)
			continue;
		m.req = r;
		assert_int_equal(vhost_msg_fds(&m), 0);
	}
	for (size_t i = 0; i < N(getters); i++) {
		m.req = getters[i];
		assert_int_equal(vhost_msg_fds(&m), 0);
	}
	m.req = VHOST_USER_SET_MEM_TABLE;
	m.u.mem.n = 3;
	assert_int_equal(vhost_msg_fds(&m), 3);
	m.req = 99;
	assert_int_equal(vhost_msg_fds(&m), 0);
}

/* QEMU 7.2 at start (protocols.md §3), as one stream read. */
static void
test_qemu_start_sequence(void **state)
{
	static const struct {
		uint32_t req, size;
		uint64_t v;
	} seq[] = {
		{VHOST_USER_GET_FEATURES, 0, 0},
		{VHOST_USER_GET_PROTOCOL_FEATURES, 0, 0},
		{VHOST_USER_SET_PROTOCOL_FEATURES, 8, 0x9},
		{VHOST_USER_GET_QUEUE_NUM, 0, 0},
		{VHOST_USER_SET_OWNER, 0, 0},
		{VHOST_USER_GET_FEATURES, 0, 0},
		{VHOST_USER_SET_VRING_CALL, 8, 0},
		{VHOST_USER_SET_VRING_ERR, 8, 0},
		{VHOST_USER_SET_VRING_CALL, 8, 1},
		{VHOST_USER_SET_VRING_ERR, 8, 1},
		{VHOST_USER_SET_VRING_ENABLE, 8, 1ull << 32},
		{VHOST_USER_SET_VRING_ENABLE, 8, 1 | 1ull << 32},
		{VHOST_USER_SET_VRING_KICK, 8, 1 | VHOST_VRING_NOFD},
	};
	uint8_t buf[512], p[8];
	size_t len = 0, off = 0;
	struct vhost_msg m;
	const char *why;

	(void)state;
	for (size_t i = 0; i < N(seq); i++) {
		put64(p, seq[i].v);
		len += build(buf + len, seq[i].req, 0x1, seq[i].size, p,
		             seq[i].size);
	}
	for (size_t i = 0; i < N(seq); i++) {
		int r = parse(buf + off, len - off, &m, &why);

		assert_int_equal(r, 12 + seq[i].size);
		assert_int_equal(m.req, seq[i].req);
		if (seq[i].size)
			assert_int_equal(m.u.u64, seq[i].v);
		assert_int_equal(vhost_msg_fds(&m),
		                 seq[i].req == VHOST_USER_SET_VRING_CALL ||
		                         seq[i].req ==
		                                 VHOST_USER_SET_VRING_ERR);
		off += (size_t)r;
	}
	assert_int_equal(off, len);
	assert_int_equal(m.u.state.index, 1 | VHOST_VRING_NOFD);
	assert_int_equal(parse(buf + off, 0, &m, &why), 0);
}

static void
test_replies(void **state)
{
	uint8_t buf[32];
	struct vhost_msg m;
	const char *why;
	uint64_t f = 1ull << VIRTIO_F_VERSION_1 |
	             1ull << VHOST_USER_F_PROTOCOL_FEATURES |
	             1ull << VIRTIO_NET_F_MRG_RXBUF;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(vhost_msg_reply_u64(buf, VHOST_USER_GET_FEATURES, f),
	                 20);
	assert_int_equal(get32(buf), VHOST_USER_GET_FEATURES);
	assert_int_equal(get32(buf + 4), 0x5);
	assert_int_equal(get32(buf + 8), 8);
	assert_int_equal(get64(buf + 12), 0x140008000ull);
	assert_int_equal(buf[20], 0xa5);
	/* a reply is never taken as a request */
	assert_int_equal(parse(buf, 20, &m, &why), -EPROTO);

	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(vhost_msg_reply_u64(buf, VHOST_USER_SET_MEM_TABLE, 0),
	                 20);
	assert_int_equal(get32(buf), VHOST_USER_SET_MEM_TABLE);
	assert_int_equal(get32(buf + 4), 0x5);
	assert_int_equal(get64(buf + 12), 0);

	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(vhost_msg_reply_state(buf, VHOST_USER_GET_VRING_BASE,
	                                       1, 0x1234),
	                 20);
	assert_int_equal(get32(buf), VHOST_USER_GET_VRING_BASE);
	assert_int_equal(get32(buf + 4), 0x5);
	assert_int_equal(get32(buf + 8), 8);
	assert_int_equal(get32(buf + 12), 1);
	assert_int_equal(get32(buf + 16), 0x1234);
	assert_int_equal(buf[20], 0xa5);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(vhost_req_name(VHOST_USER_GET_FEATURES),
	                    "GET_FEATURES");
	assert_string_equal(vhost_req_name(VHOST_USER_SET_MEM_TABLE),
	                    "SET_MEM_TABLE");
	assert_string_equal(vhost_req_name(VHOST_USER_SET_VRING_ADDR),
	                    "SET_VRING_ADDR");
	assert_string_equal(vhost_req_name(VHOST_USER_GET_STATUS),
	                    "GET_STATUS");
	for (uint32_t r = 1; r <= 22; r++)
		assert_string_not_equal(vhost_req_name(r), "unknown");
	static const uint32_t unknown[] = {
		0, 23, 26, 33, 35, VHOST_USER_REQ_MAX, 0xffffffff};

	for (size_t i = 0; i < N(unknown); i++)
		assert_string_equal(vhost_req_name(unknown[i]), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getters_and_commands),
		cmocka_unit_test(test_u64_requests),
		cmocka_unit_test(test_vring_addr),
		cmocka_unit_test(test_mem_table),
		cmocka_unit_test(test_mem_table_size_exact),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_unknown_requests),
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_qemu_start_sequence),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
