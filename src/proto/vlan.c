/* SPDX-License-Identifier: MIT */
/*
 * vlan.c - 802.1Q/802.1ad tag parsing and building, VLAN list syntax
 * ("1,10-20").
 */
#include "proto/vlan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "proto/eth.h"

/**
 * vlan_parse() - read the tag after the MAC addresses, if it has @tpid
 * @frame: the frame
 * @len:   its length (at least ETH_HDR_LEN)
 * @tpid:  the tag type this port uses (0x8100 or 0x88a8)
 * @t:     the tag; t->present is false for an untagged frame
 *
 * Return: VLAN_PARSE_OK, or VLAN_PARSE_TRUNCATED when the frame ends
 * inside the tag or leaves no room for the inner ethertype.
 */
enum vlan_parse_status
vlan_parse(const uint8_t *frame, uint32_t len, uint16_t tpid,
	   struct vlan_tag *t)
{
	uint16_t tci;

	memset(t, 0, sizeof(*t));
	if (len < ETH_HDR_LEN || eth_type(frame) != tpid)
		return VLAN_PARSE_OK;
	if (len < ETH_HDR_LEN + VLAN_TAG_LEN)
		return VLAN_PARSE_TRUNCATED;
	tci = (uint16_t)(frame[14] << 8 | frame[15]);
	t->present = true;
	t->pcp = (uint8_t)(tci >> 13);
	t->dei = (tci >> 12) & 1;
	t->vid = tci & 0xfff;
	return VLAN_PARSE_OK;
}

/**
 * vlan_tag_write() - write a 4-byte tag
 * @out:  four bytes
 * @tpid: tag type
 * @vid:  VLAN id
 * @pcp:  priority
 * @dei:  drop eligible
 */
void
vlan_tag_write(uint8_t out[VLAN_TAG_LEN], uint16_t tpid, uint16_t vid,
	       uint8_t pcp, bool dei)
{
	uint16_t tci = (uint16_t)((pcp & 7) << 13 | (dei ? 1 : 0) << 12 |
				  (vid & 0xfff));

	out[0] = (uint8_t)(tpid >> 8);
	out[1] = (uint8_t)tpid;
	out[2] = (uint8_t)(tci >> 8);
	out[3] = (uint8_t)tci;
}

static int
read_vid(const char **s, uint16_t *vid)
{
	unsigned int v = 0;
	int digits = 0;

	while (**s >= '0' && **s <= '9' && digits < 5) {
		v = v * 10 + (unsigned int)(**s - '0');
		(*s)++;
		digits++;
	}
	if (!digits || v < 1 || v > VLAN_VID_MAX)
		return -1;
	*vid = (uint16_t)v;
	return 0;
}

/**
 * vlan_list_parse() - read "1,10-20,30" into a bitmap
 * @s:      the list; VLAN ids 1 to 4094
 * @bitmap: VLAN_BITMAP_LEN bytes, cleared then set
 * @err:    reason on failure
 *
 * Return: 0 or -EINVAL.
 */
int
vlan_list_parse(const char *s, uint8_t bitmap[VLAN_BITMAP_LEN], char *err)
{
	memset(bitmap, 0, VLAN_BITMAP_LEN);
	if (!*s)
		return ERR_SET(err, -EINVAL, "empty VLAN list");
	for (;;) {
		const char *item = s;	/* quoted in errors */
		int item_len = (int)MIN(strcspn(s, ",:; "), 20);
		uint16_t lo, hi;

		if (read_vid(&s, &lo))
			return ERR_SET(err, -EINVAL,
				       "VLAN list: '%.*s' is not an id from 1 "
				       "to 4094 (lists look like 1,10-20)",
				       item_len, item);
		hi = lo;
		if (*s == '-') {
			s++;
			if (read_vid(&s, &hi) || hi < lo)
				return ERR_SET(err, -EINVAL,
					       "VLAN list: bad range '%.*s' "
					       "(ids from 1 to 4094, low-high)",
					       item_len, item);
		}
		for (unsigned int v = lo; v <= hi; v++)
			bitmap[v >> 3] |= (uint8_t)(1 << (v & 7));
		if (*s == '\0')
			return 0;
		if (*s != ',' && *s != ':' && *s != ';' && *s != ' ')
			return ERR_SET(err, -EINVAL,
				       "VLAN list: unexpected '%c'", *s);
		s++;
	}
}

/* Whether any VLAN id from 'from' up is in the set. */
static bool
vlan_list_next(const uint8_t bitmap[VLAN_BITMAP_LEN], unsigned int from)
{
	for (unsigned int v = from; v <= VLAN_VID_MAX; v++)
		if (vlan_list_has(bitmap, (uint16_t)v))
			return true;
	return false;
}

/**
 * vlan_list_format() - write a bitmap back as "1,10-20" (',' joined)
 * @bitmap: the set
 * @buf:    output, always NUL-terminated when @len > 0
 * @len:    its size
 *
 * A list longer than @len ends with "..." after the last whole item
 * that fits, so a cut list never reads as a different one.
 */
void
vlan_list_format(const uint8_t bitmap[VLAN_BITMAP_LEN], char *buf,
		 unsigned long len)
{
	unsigned long off = 0, need;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (unsigned int v = 1; v <= VLAN_VID_MAX; v++) {
		unsigned int end = v;
		char item[16];
		int n;

		if (!vlan_list_has(bitmap, (uint16_t)v))
			continue;
		while (end < VLAN_VID_MAX && vlan_list_has(bitmap,
							   (uint16_t)(end + 1)))
			end++;
		n = end == v ? snprintf(item, sizeof(item), "%s%u",
					off ? "," : "", v)
			     : snprintf(item, sizeof(item), "%s%u-%u",
					off ? "," : "", v, end);
		/*
		 * An item fits if it leaves room for the NUL and, unless it
		 * is the last, for a "..." after it: a cut list must never
		 * read as another.  Otherwise the "..." goes here.
		 */
		need = off + (unsigned long)n + 1;
		if (need > len || (need + 3 > len &&
				   vlan_list_next(bitmap, end + 1))) {
			if (off + 4 <= len)
				memcpy(buf + off, "...", 4);
			return;
		}
		memcpy(buf + off, item, (size_t)n + 1);
		off += (unsigned long)n;
		v = end;
	}
}
