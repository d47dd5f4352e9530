/* SPDX-License-Identifier: MIT */
/*
 * test_trace.c - capture to a file (capture_start_file(), src/ctl/trace.c)
 * with a whole switch (sw_fixture): two guests on a stream listener, a
 * filter, and the pcapng file read back block by block: one IDB per
 * port named by its id, the frame once inbound on the sender's port and
 * once outbound on the receiver's, the filtered frame absent; the hooks
 * leave the bridge when the capture ends.  Refused requests (a bad
 * filter, an unknown port) leave nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/trace.h"
#include "port/port.h"
#include "proto/pcapng.h"
#include "proto/stream_frame.h"
#include "sw_fixture.h"

struct fx {
	struct sw sw;
	char dir[96];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || fx_sw_in_tmpdir(&f->sw, f->dir, sizeof(f->dir), "trace")) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sw_fini(&f->sw);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A guest connected to listener @s; returns when its port exists. */
static int
guest(struct fx *f, struct port *s, unsigned int want_children)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s.sock", f->dir);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	for (int i = 0; fx_children(&f->sw, s) < want_children; i++) {
		assert_true(i < 200);
		fx_pump(&f->sw, 1);
	}
	return fd;
}

/* Sends a 60-byte broadcast of @type from guest @fd; the loop runs. */
static void
send_frame(struct fx *f, int fd, uint16_t type, uint8_t *frame)
{
	uint8_t rec[STREAM_HDR_LEN + 60];

	memset(frame, 0, 60);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = (uint8_t)(type >> 8);
	frame[13] = (uint8_t)type;
	frame[20] = 0x5a;
	stream_frame_hdr(rec, 60);
	memcpy(rec + STREAM_HDR_LEN, frame, 60);
	assert_int_equal(send(fd, rec, sizeof(rec), 0), (ssize_t)sizeof(rec));
	fx_pump(&f->sw, 4);
}

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void
test_capture_file(void **state)
{
	struct fx *f = *state;
	struct port *s = fx_port(&f->sw, "stream,id=s,path=%s/s.sock", f->dir);
	uint8_t frame[60], ip[60], buf[4096];
	char path[160], err[ERR_LEN];
	uint32_t ifaces = 0, epbs = 0;
	int a, b;
	FILE *fp;
	size_t len;

	a = guest(f, s, 1);
	b = guest(f, s, 2);
	snprintf(path, sizeof(path), "%s/cap.pcapng", f->dir);
	/* Refused: nothing is created, no hooks stay. */
	assert_int_equal(capture_start_file(&f->sw, path, "s", "icmp and and",
					    err), -EINVAL);
	if (!strstr(err, "syntax error"))
		fail_msg("bad filter: %s", err);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(capture_start_file(&f->sw, path, "nosuch", NULL, err),
			 -ENOENT);
	assert_null(f->sw.br.obs);

	assert_int_equal(capture_start_file(&f->sw, path, "s",
					    "ether proto 0x88b5", err), 0);
	assert_non_null(f->sw.br.obs);
	send_frame(f, a, 0x0800, ip);		/* filtered out */
	send_frame(f, a, 0x88b5, frame);	/* captured twice */
	capture_stop_files(&f->sw);
	assert_null(f->sw.br.obs);

	fp = fopen(path, "rb");
	assert_non_null(fp);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	unlink(path);
	assert_true(len >= 28);
	assert_int_equal(rd32(buf), PCAPNG_BT_SHB);
	assert_int_equal(rd32(buf + 8), PCAPNG_BOM);
	for (size_t off = 0; off < len;) {
		const uint8_t *blk = buf + off;
		uint32_t type = rd32(blk), blen = rd32(blk + 4);

		assert_true(blen >= 12 && blen % 4 == 0 && off + blen <= len);
		assert_int_equal(rd32(blk + blen - 4), blen);
		if (type == PCAPNG_BT_IDB) {
			/* if_name first: "s.1" then "s.2" */
			assert_int_equal(blk[16], 2);
			assert_memory_equal(blk + 20, ifaces ? "s.2" : "s.1", 3);
			ifaces++;
		} else if (type == PCAPNG_BT_EPB) {
			/* in on s.1 (interface 0), out on s.2 (1) */
			assert_int_equal(rd32(blk + 8), epbs);
			assert_int_equal(rd32(blk + 20), 60);
			assert_memory_equal(blk + 28, frame, 60);
			assert_int_equal(rd32(blk + 28 + 60 + 4),
					 epbs ? PCAPNG_EPB_OUTBOUND
					      : PCAPNG_EPB_INBOUND);
			epbs++;
		} else {
			assert_int_equal(type, PCAPNG_BT_SHB);
			assert_int_equal(off, 0);
		}
		off += blen;
	}
	assert_int_equal(ifaces, 2);
	assert_int_equal(epbs, 2);
	close(a);
	close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capture_file, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
