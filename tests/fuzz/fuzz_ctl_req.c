/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl_req.c - ctl_req_parse() on one control-socket line, passed
 * without a terminating NUL as the server passes it.  Checks that a
 * success holds what the command needs (terminated strings, vlan in range,
 * a parseable MAC) and that a failure names one of the CTL_ERR_* codes; a
 * port-add spec goes on to opts_parse() as ctl/admin.c does.
 */
#include "proto/ctl_req.h"

#include <errno.h>

#include "core/util.h"
#include "proto/eth.h"
#include "proto/opts.h"

#include "fuzz.h"

static bool
known_code(const char *code)
{
	static const char *const codes[] = {
		CTL_ERR_BAD_JSON, CTL_ERR_BAD_REQUEST, CTL_ERR_UNKNOWN_CMD,
		CTL_ERR_VERSION,  CTL_ERR_NO_PORT,     CTL_ERR_BAD_SPEC,
		CTL_ERR_NO_ENTRY, CTL_ERR_FULL,
	};

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		if (code == codes[i] || strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

static void
check_request(const struct ctl_req *req)
{
	char text[ETH_MAC_STRLEN];
	uint8_t mac[ETH_ALEN];
	char err[ERR_LEN];

	FUZZ_CHECK(req->cmd >= CTL_CMD_SHOW && req->cmd <= CTL_CMD_CAPTURE);
	FUZZ_CHECK(req->version == CTL_PROTO_VERSION);
	FUZZ_CHECK(memchr(req->port, '\0', sizeof(req->port)));
	FUZZ_CHECK(memchr(req->spec, '\0', sizeof(req->spec)));
	FUZZ_CHECK(req->vlan <= 4094);
	FUZZ_CHECK(memchr(req->dst, '\0', sizeof(req->dst)));
	FUZZ_CHECK(!req->dst[0] || req->cmd == CTL_CMD_FDB_ADD);
	FUZZ_CHECK(memchr(req->filter, '\0', sizeof(req->filter)));
	FUZZ_CHECK(!req->filter[0] || req->cmd == CTL_CMD_TRACE ||
		   req->cmd == CTL_CMD_CAPTURE);
	switch (req->cmd) {
	case CTL_CMD_PORT_ADD: {
		struct opts *o = malloc(sizeof(*o));

		if (!o)
			abort();
		FUZZ_CHECK(req->spec[0]);
		if (opts_parse(req->spec, o, err))
			FUZZ_CHECK_ERR(err);
		free(o);
		break;
	}
	case CTL_CMD_PORT_DEL:
		FUZZ_CHECK(req->port[0]);
		break;
	case CTL_CMD_PORT_SET:
		FUZZ_CHECK(req->port[0] && req->spec[0]);
		break;
	case CTL_CMD_CAPTURE:
		FUZZ_CHECK(req->port[0]);
		break;
	case CTL_CMD_FDB_ADD:
		FUZZ_CHECK(req->port[0]);
		/* fall through */
	case CTL_CMD_FDB_DEL:
		eth_mac_format(req->mac, text);
		FUZZ_CHECK(eth_mac_parse(text, mac) == 0);
		FUZZ_CHECK(memcmp(mac, req->mac, ETH_ALEN) == 0);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = (char *)fuzz_dup(data, size);
	struct ctl_req *req = malloc(sizeof(*req));
	const char *code = NULL;
	char err[ERR_LEN] = "";
	int ret;

	if (!req)
		abort();
	ret = ctl_req_parse(line, size, req, &code, err);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		check_request(req);
	} else {
		FUZZ_CHECK(code && known_code(code));
		FUZZ_CHECK(*err);
		FUZZ_CHECK_ERR(err);
	}
	free(req);
	free(line);
	return 0;
}
