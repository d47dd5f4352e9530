#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: tap ports give network namespaces a port on the switch, and
# TCP between them runs at full speed with offloads:
#  - two namespaces, each on its own tap port, ping each other;
#  - iperf3 TCP for 10 s in each direction with offloads on (super-frames
#    cross the switch whole: far fewer frames than 1514-byte packets) and
#    with offloads off (the kernel sends ordinary frames), and 3 s each way
#    between a tap with offloads and one without (lanyard cuts the
#    super-frames in software; bad checksums would stall TCP);
#  - the bytes lanyard counted agree with what iperf3 moved, counters
#    conserve, lanyardctl shows each tap's header size, offloads, queues;
#  - a multi-queue tap (queues=4) carries 4 parallel streams;
#  - a frame for a tap whose link is down costs that frame (link-down), a
#    tap deleted under the switch costs its port only;
#  - rootless: a user opens a persistent tap made for it (ip tuntap add
#    ... user) without CAP_NET_ADMIN, and passes traffic; another user is
#    refused with the command that would fix it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"

command -v iperf3 >/dev/null || fail "iperf3 is not installed (scripts/deps.sh)"
nsA=lanyard-tapA-$$ nsB=lanyard-tapB-$$
cleanup() {
	switch_cleanup
	# Persistent taps outlive the switch; a namespace's end would hand
	# them to the root namespace.  Delete them wherever they are.
	ip -n "$nsA" link del lyR1 2>/dev/null || ip link del lyR1 2>/dev/null || true
	ip -n "$nsB" link del lyR2 2>/dev/null || ip link del lyR2 2>/dev/null || true
	ip netns del "$nsA" 2>/dev/null || true
	ip netns del "$nsB" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$nsA"
ip netns add "$nsB"

# iperf NAME SECONDS [iperf3 client args...]: TCP from A to B; prints
# the bytes iperf3's receiver got.
iperf() { iperf_tcp "$nsB" "$nsA" 10.77.0.2 "$@"; }

# run_pair NAME A-OPTS B-OPTS SECONDS: a fresh switch with taps ta and tb,
# ping, iperf3 both ways; checks the counters against iperf3's bytes.
run_pair() {
	local name=$1 a=$2 b=$3 secs=$4 up down rx_a rx_b fr_a
	lanyard_start --port "tap,id=ta,ifname=lyta$a" --port "tap,id=tb,ifname=lytb$b"
	tap_into "$nsA" lyta 10.77.0.1
	tap_into "$nsB" lytb 10.77.0.2
	ip netns exec "$nsA" ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null ||
		fail "$name: no ping across the switch"
	up=$(iperf "$name-up" "$secs")
	down=$(iperf "$name-down" "$secs" -R)
	rx_a=$(counter ta .rx_bytes) rx_b=$(counter tb .rx_bytes)
	fr_a=$(counter ta .rx)
	# What lanyard read from A's tap carries iperf3's bytes plus headers
	# (and retransmissions): more than the payload, not 10 % more.
	[ "$rx_a" -ge "$up" ] && [ "$rx_a" -le $((up + up / 10 + 1000000)) ] ||
		fail "$name: ta read $rx_a bytes for $up iperf3 bytes"
	[ "$rx_b" -ge "$down" ] && [ "$rx_b" -le $((down + down / 10 + 1000000)) ] ||
		fail "$name: tb read $rx_b bytes for $down iperf3 bytes"
	check_conservation
	# (link-down: what A flooded before B's link came up)
	[ "$(ctlj show | jq '[.totals.drops | del(."link-down")[]] | add')" -eq 0 ] ||
		fail "$name: drops: $(ctlj show | jq -c .totals.drops)"
	echo "ok: $name: ping; iperf3 $((up * 8 / secs / 1000000)) Mbit/s up, $((down * 8 / secs / 1000000)) Mbit/s down; ta read $fr_a frames for $up bytes"
	lanyard_stop
	last_frames=$fr_a last_bytes=$up
}

# Offloads on, both ends: super-frames, far fewer than 1514-byte frames.
run_pair on "" "" 10
[ "$last_frames" -lt $((last_bytes / 1514 / 4)) ] ||
	fail "offloads on: $last_frames frames for $last_bytes bytes: no super-frames"
lanyard_start --port "tap,id=ta,ifname=lyta"
"$LANYARDCTL" --ctl "$ctl" show | grep -q 'ifname=lyta vnet_hdr=12 offloads=csum,tso4,tso6,ecn,ufo' ||
	fail "show: $("$LANYARDCTL" --ctl "$ctl" show)"
lanyard_stop

# Offloads off, both ends: the kernel hands over ordinary frames.
run_pair off ",offload=off" ",offload=off" 10
[ "$last_frames" -ge $((last_bytes / 1514)) ] ||
	fail "offloads off: $last_frames frames for $last_bytes bytes"

# A with offloads, B without: lanyard segments A's super-frames for B.
run_pair mixed "" ",offload=off" 3
echo "ok: offloads on, off and mixed (software segmentation) carry TCP"

# A multi-queue tap: four parallel streams.
lanyard_start --port "tap,id=ta,ifname=lyta,queues=4" --port "tap,id=tb,ifname=lytb"
tap_into "$nsA" lyta 10.77.0.1
tap_into "$nsB" lytb 10.77.0.2
ctlj show | jq -e '.ports[] | select(.id == "ta") | .info.queues == 4' >/dev/null ||
	fail "ta does not show 4 queues"
ip -n "$nsA" -d link show lyta | grep -q multi_queue || fail "lyta is not multi-queue"
bytes=$(iperf mq 3 -P 4 -R)
[ "$bytes" -gt 0 ] || fail "no bytes through the multi-queue tap"
check_conservation
echo "ok: queues=4: $((bytes * 8 / 3 / 1000000)) Mbit/s over 4 streams"

# A third tap nobody set up: frames for it cost link-down, nothing else.
"$LANYARDCTL" --ctl "$ctl" port add "tap,id=tc,ifname=lytc" >/dev/null
ip netns exec "$nsA" ping -c 2 -i 0.2 -W 1 10.77.0.9 >/dev/null 2>&1 || true
[ "$(counter tc '.drops."link-down"')" -gt 0 ] ||
	fail "no link-down drop on the tap that is down"
check_conservation
# Delete a tap under the switch: its port goes, the switch stays.
ip -n "$nsB" link del lytb
wait_for "! ctlj show | jq -e '.ports[] | select(.id == \"tb\")' >/dev/null" "tb removed"
"$LANYARDCTL" --ctl "$ctl" show >/dev/null || fail "switch gone after tap deletion"
echo "ok: link-down counted; a deleted tap costs its port only"
lanyard_stop

# Rootless: persistent taps made for nobody, opened by nobody.  Debian
# gives /dev/net/tun mode 0666; where a machine has it 0600, the switch
# runs in a mount namespace of its own over a 0666 node (nothing global
# changes).
ip tuntap add dev lyR1 mode tap user nobody
ip tuntap add dev lyR2 mode tap user nobody
rdir=$(mktemp -d)
chown nobody "$rdir"
# unshare ... bash -c "$as_user" USER GROUP CMD...: CMD as USER, with
# /dev/net/tun mode 0666 (a simple command, so "&" gives CMD's own PID)
as_user='d=$(mktemp -d) && mount -t tmpfs -o mode=0755 none "$d" &&
	mknod -m 0666 "$d/tun" c 10 200 &&
	mount --bind "$d/tun" /dev/net/tun || exit 99
	exec setpriv --reuid="$0" --regid="$1" --clear-groups "${@:2}"'
out=$(unshare --mount --propagation private bash -c "$as_user" daemon daemon "$LANYARD" --ctl "$rdir/ctl2.sock" \
	--port tap,id=x,ifname=lyR1 2>&1) &&
	fail "another user opened nobody's tap"
grep -q 'ip tuntap add dev lyR1 mode tap user' <<<"$out" ||
	fail "refusal does not say how to fix it: $out"
unshare --mount --propagation private bash -c "$as_user" nobody nogroup "$LANYARD" --ctl "$rdir/ctl.sock" \
	--port tap,id=r1,ifname=lyR1 --port tap,id=r2,ifname=lyR2 \
	>"$lanyard_log" 2>&1 &
lanyard_pid=$!
ctl=$rdir/ctl.sock
wait_for '"$LANYARDCTL" --ctl "$ctl" version >/dev/null 2>&1' "lanyard as nobody"
tap_into "$nsA" lyR1 10.77.0.1
tap_into "$nsB" lyR2 10.77.0.2
ip netns exec "$nsA" ping -c 3 -i 0.2 -W 2 10.77.0.2 >/dev/null ||
	fail "no ping through taps opened by nobody"
[ "$(counter r1 .rx)" -gt 0 ] && [ "$(counter r2 .tx)" -gt 0 ] ||
	fail "rootless counters: $(ctlj show | jq -c '.ports[].counters')"
lanyard_stop
rm -rf "$rdir"
echo "ok: rootless: nobody's persistent taps carry traffic; daemon is refused"
