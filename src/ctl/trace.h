/* SPDX-License-Identifier: MIT */
/*
 * trace.h - live trace and pcapng capture of the frames the switch
 * forwards, for control clients ("lanyardctl trace", "lanyardctl capture",
 * docs/observe.md) and for a capture file given at startup.
 *
 * Theory of operation
 *
 * While a trace or capture client exists, the switch's bridge->obs points
 * at the hooks here (struct bridge_obs, bridge.h); with none it is NULL
 * and the data path pays one predictable branch per burst and per frame.
 *
 * Each client has a ring of bytes allocated when it starts (256 KiB for a
 * trace, 4 MiB for a capture) and a pcap filter compiled then.  The hooks
 * run on the data path: they filter, format a trace line (JSON) or a
 * pcapng block, and copy it into the ring if it fits whole; if not, the
 * line or packet is lost and counted, the frame never is.  Nothing blocks
 * or allocates per frame.  A ring that receives data schedules a deferred
 * call (loop_defer, no syscall) that hands it to its sink: the control
 * connection (ctl.c sends what the socket takes, then waits for EPOLLOUT)
 * or a file.  Losses are reported in the stream once there is room again:
 * a {"lost":N} line (trace) or a lanyard block of pcapng.h (capture),
 * with N the total so far.
 *
 * Where frames are seen:
 *   rx   as received, before the bridge removes a VLAN tag (filters see
 *        the tag too), in bridge_input();
 *   tx   as the port's kind took them in tx_burst (account_tx() in
 *        port.c): what the peer got, tagged as on its wire, segmented when
 *        lanyard cut a super-frame, later than staging if the frame waited
 *        in the backlog; frames dropped for the port are not "sent".
 * A trace line describes the bridge's decision for one received frame:
 * forwarded to a port, flooded to a set, or dropped with its ingress cause;
 * egress drops while staging (too-big, tag-no-buffer) are listed with it,
 * and a later backlog-full drop gets a line of its own.
 *
 * Timestamps are the loop iteration's CLOCK_MONOTONIC reading moved to the
 * wall clock by an offset taken when the first client started.
 */
#ifndef LANYARD_CTL_TRACE_H
#define LANYARD_CTL_TRACE_H

#include <stdbool.h>

#include "proto/ctl_req.h"

struct sw;
struct trace_client;

#define TRACE_RING_LEN (256u * 1024)
#define CAPTURE_RING_LEN (4u * 1024 * 1024)
#define TRACE_CLIENTS_MAX 64

/* Called (deferred, from the loop) when the client's ring has data. */
typedef void trace_wake_fn(struct trace_client *tc, void *arg);

int trace_start(struct sw *sw, const struct ctl_req *req, trace_wake_fn *wake,
		void *arg, struct trace_client **out, const char **code,
		char *err);
int trace_client_send(struct trace_client *tc, int fd);
void trace_stop(struct trace_client *tc);
int capture_start_file(struct sw *sw, const char *path, const char *ports,
		       const char *filter, char *err);
void capture_stop_files(struct sw *sw);

#endif /* LANYARD_CTL_TRACE_H */
