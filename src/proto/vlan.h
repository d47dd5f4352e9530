/* SPDX-License-Identifier: MIT */
/*
 * vlan.h - 802.1Q / 802.1ad tags and VLAN lists.  Pure helpers: the
 * classifier reads at most one tag of the port's TPID right after the MAC
 * addresses, bounds-checked against the frame length.
 */
#ifndef LANYARD_PROTO_VLAN_H
#define LANYARD_PROTO_VLAN_H

#include <stdbool.h>
#include <stdint.h>

#define VLAN_TPID_8021Q 0x8100
#define VLAN_TPID_8021AD 0x88a8
#define VLAN_TAG_LEN 4
#define VLAN_VID_MAX 4094
#define VLAN_BITMAP_LEN 512	/* 4096 bits */

struct vlan_tag {
	bool present;
	uint16_t vid;		/* 0 = priority tag only */
	uint8_t pcp;		/* priority, 0-7 */
	bool dei;
};

enum vlan_parse_status {
	VLAN_PARSE_OK = 0,
	VLAN_PARSE_TRUNCATED,	/* TPID present but the frame ends in the tag */
};

enum vlan_parse_status vlan_parse(const uint8_t *frame, uint32_t len,
				  uint16_t tpid, struct vlan_tag *t);
void vlan_tag_write(uint8_t out[VLAN_TAG_LEN], uint16_t tpid, uint16_t vid,
		    uint8_t pcp, bool dei);
int vlan_list_parse(const char *s, uint8_t bitmap[VLAN_BITMAP_LEN],
		    char *err);
void vlan_list_format(const uint8_t bitmap[VLAN_BITMAP_LEN], char *buf,
		      unsigned long len);

/* Is @type one of the tag types lanyard knows (802.1Q, 802.1ad, 0x9100)? */
static inline bool
vlan_is_tpid(uint16_t type)
{
	return type == VLAN_TPID_8021Q || type == VLAN_TPID_8021AD ||
	       type == 0x9100;
}

static inline bool
vlan_list_has(const uint8_t bitmap[VLAN_BITMAP_LEN], uint16_t vid)
{
	return vid < 4096 && (bitmap[vid >> 3] >> (vid & 7)) & 1;
}

#endif /* LANYARD_PROTO_VLAN_H */
