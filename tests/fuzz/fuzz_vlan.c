/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vlan.c - the VLAN helpers on outside bytes: vlan_parse() on a
 * received frame for both TPIDs (and, for an 802.1ad frame, the inner
 * 802.1Q tag after the outer one, as QinQ classification would read it),
 * checked against vlan_tag_write(); and vlan_list_parse() on the text of a
 * trunk list, which vlan_list_format() must write back to the same set,
 * and must keep terminated, and visibly cut ("..."), when its buffer is
 * short.
 */
#include "proto/vlan.h"

#include <errno.h>

#include "core/util.h"
#include "proto/eth.h"

#include "fuzz.h"

/* "1,3,5,...": 2047 ids of up to 4 digits and a comma each, and a NUL. */
#define LIST_TEXT_MAX (2047 * 5 + 1)

static void
check_tag(const uint8_t *frame, uint32_t len, uint16_t tpid)
{
	struct vlan_tag t;
	enum vlan_parse_status st = vlan_parse(frame, len, tpid, &t);
	uint8_t tag[VLAN_TAG_LEN];

	if (len < ETH_HDR_LEN || eth_type(frame) != tpid) {
		FUZZ_CHECK(st == VLAN_PARSE_OK && !t.present);
		return;
	}
	if (len < ETH_HDR_LEN + VLAN_TAG_LEN) {
		FUZZ_CHECK(st == VLAN_PARSE_TRUNCATED && !t.present);
		return;
	}
	FUZZ_CHECK(st == VLAN_PARSE_OK && t.present);
	FUZZ_CHECK(t.vid <= 0xfff && t.pcp <= 7);
	vlan_tag_write(tag, tpid, t.vid, t.pcp, t.dei);
	FUZZ_CHECK(memcmp(tag, frame + 2 * ETH_ALEN, VLAN_TAG_LEN) == 0);
}

static void
check_frame(const uint8_t *frame, uint32_t len)
{
	struct vlan_tag outer;

	check_tag(frame, len, VLAN_TPID_8021Q);
	check_tag(frame, len, VLAN_TPID_8021AD);
	if (vlan_parse(frame, len, VLAN_TPID_8021AD, &outer) ==
		    VLAN_PARSE_OK &&
	    outer.present)
		check_tag(frame + VLAN_TAG_LEN, len - VLAN_TAG_LEN,
			  VLAN_TPID_8021Q);
}

static void
check_list(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	char *text = malloc(LIST_TEXT_MAX);
	uint8_t set[VLAN_BITMAP_LEN], again[VLAN_BITMAP_LEN];
	char err[ERR_LEN] = "";
	char small[8];
	int ret;

	if (!text)
		abort();
	ret = vlan_list_parse(s, set, err);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		FUZZ_CHECK(*err);
		FUZZ_CHECK_ERR(err);
		goto out;
	}
	FUZZ_CHECK(!vlan_list_has(set, 0) && !vlan_list_has(set, 4095));
	vlan_list_format(set, text, LIST_TEXT_MAX);
	FUZZ_CHECK(strlen(text) < LIST_TEXT_MAX - 1);
	FUZZ_CHECK(vlan_list_parse(text, again, err) == 0);
	FUZZ_CHECK(memcmp(set, again, sizeof(set)) == 0);
	vlan_list_format(set, small, sizeof(small));
	FUZZ_CHECK(memchr(small, '\0', sizeof(small)));
	/* whole, or whole items of the full text followed by "..." */
	if (strcmp(small, text) != 0) {
		size_t kept = strlen(small);

		FUZZ_CHECK(kept == 0 || (kept >= 3 &&
					 strcmp(small + kept - 3, "...") == 0));
		kept = kept >= 3 ? kept - 3 : 0;
		FUZZ_CHECK(strncmp(small, text, kept) == 0);
		FUZZ_CHECK(kept == 0 || text[kept] == ',');
	}
out:
	free(text);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *frame = fuzz_dup(data, size);

	/* Frames longer than 4 GiB do not exist; keep the cast honest. */
	if (size <= UINT32_MAX)
		check_frame(frame, (uint32_t)size);
	free(frame);
	check_list(data, size);
	return 0;
}
