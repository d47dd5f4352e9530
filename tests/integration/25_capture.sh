#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: "lanyardctl capture" writes pcapng that tshark and tcpdump
# read (docs/observe.md):
#  - a ping between two namespaces on tap ports, captured on all ports:
#    every echo request and reply once as received (inbound) on its
#    ingress tap and once as sent (outbound) on its egress tap, with the
#    port ids as interface names;
#  - a filter (icmp) on one port keeps only that port's ICMP frames;
#  - "capture PORT -w - | tcpdump -r -" shows the frames live;
#  - a port that appears during the capture (a listener's peer) gets its
#    interface when first seen; an unknown port is refused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || exit 77
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"
need_cmds jq tshark tcpdump ping=iputils-ping

nsA=lanyard-capA-$$ nsB=lanyard-capB-$$
ns_add "$nsA" "$nsB"
macA=02:00:00:0a:00:01 macB=02:00:00:0b:00:02


# capture NAME ARGS...: lanyardctl capture ARGS in the background.
capture() {
	local name=$1; shift
	"$LANYARDCTL" --ctl "$ctl" capture "$@" 2>"$dir/$name.err" &
	eval "cap_$name=$!"
	peer_pids+=($!)
}
capture_end() {
	local p
	p=$(eval "echo \$cap_$1")
	kill -INT "$p"
	wait "$p" || fail "capture $1 exited $?: $(cat "$dir/$1.err")"
}
# frames FILE [DISPLAY-FILTER]: how many frames tshark reads in FILE.
frames() {
	tshark -r "$1" ${2:+-Y "$2"} 2>/dev/null | wc -l
}

lanyard_start --port "tap,id=ta,ifname=lyca$$" --port "tap,id=tb,ifname=lycb$$" \
	--port "stream,id=s,path=$dir/s.sock"
tap_into "$nsA" "lyca$$" 10.79.0.1 "$macA"
tap_into "$nsB" "lycb$$" 10.79.0.2 "$macB"

rc=0
"$LANYARDCTL" --ctl "$ctl" capture nosuch -w "$dir/x.pcapng" 2>"$dir/x.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q no-such-port "$dir/x.err" ||
	fail "capture of an unknown port: rc $rc, $(cat "$dir/x.err")"

capture all all -w "$dir/all.pcapng"
capture icmp ta -w "$dir/icmp.pcapng" icmp
"$LANYARDCTL" --ctl "$ctl" capture tb -w - 2>"$dir/live.err" |
	tcpdump -n -l -r - >"$dir/live.txt" 2>"$dir/tcpdump.err" &
live=$!
peer_pids+=($live)
sleep 0.5
ip netns exec "$nsA" ping -c 3 -i 0.2 -W 2 10.79.0.2 >/dev/null ||
	fail "no ping across the switch"
# Live: tcpdump prints the echoes while the capture runs.
wait_for "[ \$(grep -c 'ICMP echo request' $dir/live.txt) -ge 3 ]" \
	"tcpdump -r - to show 3 echo requests live"
echo "ok: live: capture tb -w - | tcpdump -r -: $(grep -m1 'ICMP echo request' "$dir/live.txt")"

# A listener's peer arrives during the capture: s.1, with frames.
"$LANYARD_PERF" tx "stream:unix:$dir/s.sock" --src 02:00:00:00:00:77 \
	--count 4 --json >"$dir/s.out"
sleep 0.3
capture_end all
capture_end icmp

f=$dir/all.pcapng
n=$(frames "$f" icmp)
[ "$n" -eq 12 ] || fail "all: $n ICMP frames, want 12 (3+3 each in and out)"
dir_of() {	# FILTER: interface and direction of the frames that match
	tshark -r "$f" -Y "$1" -T fields -e frame.interface_name \
		-e frame.packet_flags_direction 2>/dev/null | sort | uniq -c |
		awk '{ d = $3 == "0x00000001" ? "in" : $3 == "0x00000002" ? "out" : $3
		       print $2 "/" d "=" $1 }' | paste -sd' '
}
got=$(dir_of "icmp.type == 8")
[ "$got" = "ta/in=3 tb/out=3" ] || fail "echo requests: $got, want in on ta, out on tb"
got=$(dir_of "icmp.type == 0")
[ "$got" = "ta/out=3 tb/in=3" ] || fail "echo replies: $got, want in on tb, out on ta"
got=$(dir_of "eth.src == 02:00:00:00:00:77 && eth.type == 0x88b5")
[ "$got" = "s.1/in=4 ta/out=4 tb/out=4" ] || fail "s.1's frames: $got"
names=$(tshark -r "$f" -T fields -e frame.interface_name 2>/dev/null | sort -u | paste -sd' ')
[ "$names" = "s.1 ta tb" ] || fail "interfaces: $names"
echo "ok: capture all: $(frames "$f") frames, 12 ICMP in and out on ta and tb, s.1 added when it came"

n=$(frames "$dir/icmp.pcapng")
m=$(frames "$dir/icmp.pcapng" "icmp && frame.interface_name == \"ta\"")
[ "$n" -eq 6 ] && [ "$m" -eq 6 ] ||
	fail "capture ta icmp: $n frames, $m ICMP on ta; want 6 and 6"
echo "ok: capture ta icmp: only ta's 6 ICMP frames"

# lanyard's end ends the live capture's stream, then tcpdump.
lanyard_stop
wait "$live" || fail "capture tb | tcpdump exited $?: $(cat "$dir/live.err" "$dir/tcpdump.err")"
