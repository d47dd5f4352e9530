/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pcapng.c - the pcapng block writers (src/proto/pcapng.c) with what
 * the outside controls: port ids as interface names (any bytes a control
 * client sends), frames of any length and content, buffer room of any
 * size.  Input: cap u16, snaplen u32, caplen u16, origlen u32, flags u32,
 * if_id u32, ts u64, name length u8, then the name's bytes, then the
 * frame.  Each block is written into an exact-size heap buffer of 'cap'
 * bytes (ASan sees a write past it) and checked as a reader would walk
 * it: 0 exactly when it does not fit; otherwise a multiple of 4, the same
 * total length at both ends, options that are whole, padded and end with
 * opt_endofopt just before the trailing length, strings written as given
 * (up to their NUL), and packet data intact.
 */
#include "proto/pcapng.h"

#include "fuzz.h"

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/*
 * Walks the options of block @b (@len bytes) from @off; returns the value
 * of option @want (NULL if absent) with its length in @want_len.
 */
static const uint8_t *
walk_options(const uint8_t *b, size_t len, size_t off, uint16_t want,
	     uint16_t *want_len)
{
	const uint8_t *found = NULL;

	for (;;) {
		uint16_t code, olen;

		FUZZ_CHECK(off + 4 <= len - 4);
		code = rd16(b + off);
		olen = rd16(b + off + 2);
		off += 4;
		if (code == 0) {
			FUZZ_CHECK(olen == 0);
			FUZZ_CHECK(off == len - 4);
			return found;
		}
		FUZZ_CHECK(off + pcapng_pad4(olen) <= len - 4);
		for (uint32_t i = olen; i < pcapng_pad4(olen); i++)
			FUZZ_CHECK(b[off + i] == 0);
		if (code == want) {
			found = b + off;
			*want_len = olen;
		}
		off += pcapng_pad4(olen);
	}
}

/* The frame of a block: type, lengths at both ends, a multiple of 4. */
static void
check_frame(const uint8_t *b, size_t n, size_t cap, uint32_t type)
{
	FUZZ_CHECK(n <= cap);
	FUZZ_CHECK(n % 4 == 0 && n >= 12);
	FUZZ_CHECK(rd32(b) == type);
	FUZZ_CHECK(rd32(b + 4) == n);
	FUZZ_CHECK(rd32(b + n - 4) == n);
}

/* A string option holds @s up to its NUL. */
static void
check_string(const uint8_t *v, uint16_t vlen, const char *s)
{
	FUZZ_CHECK(vlen == strlen(s));
	FUZZ_CHECK(memcmp(v, s, vlen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t snaplen, origlen, flags, if_id;
	uint16_t cap, caplen, vlen = 0;
	const uint8_t *v;
	uint64_t ts;
	size_t n, name_len;
	uint32_t nlen;
	uint8_t *buf;
	char *name;

	if (size < 29)
		return 0;
	cap = rd16(data);
	snaplen = rd32(data + 2);
	caplen = rd16(data + 6);
	origlen = rd32(data + 8);
	flags = rd32(data + 12);
	if_id = rd32(data + 16);
	memcpy(&ts, data + 20, 8);
	name_len = data[28];
	data += 29;
	size -= 29;
	if (name_len > size)
		name_len = size;
	name = fuzz_strdup(data, name_len);
	nlen = (uint32_t)strlen(name);	/* < 256: never cut by the writer */
	data += name_len;
	size -= name_len;
	if (caplen > size)
		caplen = (uint16_t)size;
	buf = malloc(cap ? cap : 1);
	if (!buf)
		abort();

	n = pcapng_shb(buf, cap, name);
	if (n) {
		check_frame(buf, n, cap, PCAPNG_BT_SHB);
		FUZZ_CHECK(rd32(buf + 8) == PCAPNG_BOM);
		if (nlen) {
			v = walk_options(buf, n, 24, 4, &vlen);
			FUZZ_CHECK(v);
			check_string(v, vlen, name);
		} else {
			FUZZ_CHECK(n == 28);	/* no options at all */
		}
	} else {
		FUZZ_CHECK(cap < 28 + (nlen ? 8 + pcapng_pad4(nlen) : 0));
	}

	n = pcapng_idb(buf, cap, snaplen, name);
	if (n) {
		check_frame(buf, n, cap, PCAPNG_BT_IDB);
		FUZZ_CHECK(rd32(buf + 12) == snaplen);
		v = walk_options(buf, n, 16, 9, &vlen);
		FUZZ_CHECK(v && vlen == 1 && v[0] == 6);	/* µs */
		v = walk_options(buf, n, 16, 2, &vlen);
		if (name[0]) {
			FUZZ_CHECK(v);
			check_string(v, vlen, name);
		} else {
			FUZZ_CHECK(!v);
		}
	} else {
		FUZZ_CHECK(cap < 32 + (nlen ? 4 + pcapng_pad4(nlen) : 0));
	}

	n = pcapng_epb(buf, cap, if_id, ts, data, caplen, origlen, flags);
	if (n) {
		check_frame(buf, n, cap, PCAPNG_BT_EPB);
		FUZZ_CHECK(n == pcapng_epb_len(caplen));
		FUZZ_CHECK(rd32(buf + 8) == if_id);
		FUZZ_CHECK(((uint64_t)rd32(buf + 12) << 32 | rd32(buf + 16)) ==
			   ts);
		FUZZ_CHECK(rd32(buf + 20) == caplen);
		FUZZ_CHECK(rd32(buf + 24) == origlen);
		FUZZ_CHECK(memcmp(buf + PCAPNG_EPB_HEAD_LEN, data, caplen) == 0);
		v = walk_options(buf, n, PCAPNG_EPB_HEAD_LEN +
				 pcapng_pad4(caplen), 2, &vlen);
		FUZZ_CHECK(v && vlen == 4 && rd32(v) == flags);
	} else {
		FUZZ_CHECK(cap < pcapng_epb_len(caplen));
	}

	if (cap >= PCAPNG_LOST_LEN) {
		n = pcapng_lost(buf, ts);
		check_frame(buf, n, cap, PCAPNG_BT_LANYARD_LOST);
		FUZZ_CHECK(n == PCAPNG_LOST_LEN);
		FUZZ_CHECK(memcmp(buf + 8, &ts, 8) == 0);
	}
	free(buf);
	free(name);
	return 0;
}
