#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: "lanyardctl trace" shows what the switch does with each frame
# (docs/observe.md):
#  - a ping between two namespaces on tap ports: the ARP request is
#    flooded (to the other tap), the reply and the ICMP echoes are
#    forwarded to the right port, with the namespaces' MACs;
#  - a tagged frame on an access port of another VLAN: "drop vlan", with
#    the tag it carried;
#  - two traces at once with different filters (arp, icmp) each see only
#    their frames; a bad filter is refused with pcap's message;
#  - a stopped reader loses trace lines, counted (in the stream and on
#    lanyardctl's stderr), while the traffic loses no frame.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || exit 77
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"
need_cmds jq ping=iputils-ping

nsA=lanyard-trA-$$ nsB=lanyard-trB-$$
ns_add "$nsA" "$nsB"
macA=02:00:00:0a:00:01 macB=02:00:00:0b:00:02


# trace NAME [FILTER...]: lanyardctl -j trace in the background, to
# $dir/NAME.json; running when this returns.
trace() {
	local name=$1; shift
	"$LANYARDCTL" --ctl "$ctl" -j trace "$@" >"$dir/$name.json" 2>"$dir/$name.err" &
	eval "trace_$name=$!"
	peer_pids+=($!)
}
# traced FILE COND: some line of FILE meets jq COND ($a, $b: the MACs).
traced() {
	jq -e -s --arg a "$macA" --arg b "$macB" "any(.[]; $2)" "$1" >/dev/null
}
trace_end() {
	local p
	p=$(eval "echo \$trace_$1")
	kill -INT "$p"
	wait "$p" || fail "trace $1 exited $?: $(cat "$dir/$1.err")"
}

lanyard_start --port "tap,id=ta,ifname=lyta$$" --port "tap,id=tb,ifname=lytb$$" \
	--port "stream,id=v,path=$dir/v.sock,vlan=10"
tap_into "$nsA" "lyta$$" 10.78.0.1 "$macA"
tap_into "$nsB" "lytb$$" 10.78.0.2 "$macB"

# A bad filter: an error reply naming pcap's complaint, exit 1.
rc=0
"$LANYARDCTL" --ctl "$ctl" trace 'icmp and and' 2>"$dir/bad.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'bad-filter:.*syntax error' "$dir/bad.err" ||
	fail "bad filter: rc $rc, $(cat "$dir/bad.err")"

trace all
trace arp arp
trace icmp icmp
sleep 0.3
ip netns exec "$nsA" ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null ||
	fail "no ping across the switch"
# A frame tagged VLAN 20 on an access port of VLAN 10.
"$LANYARD_PERF" tx "stream:unix:$dir/v.sock" --src 02:00:00:00:00:99 \
	--vlan 20 --count 2 --json >"$dir/vtx.out"
sleep 0.3
for t in all arp icmp; do trace_end "$t"; done

j=$dir/all.json
# The ARP request from A: broadcast, flooded to tb only.
traced "$j" '.ethertype == "0x0806" and .src == $a and
	.dst == "ff:ff:ff:ff:ff:ff" and .port == "ta" and
	.action == "flood" and .to == ["tb"]' ||
	fail "no ARP flood ta -> [tb] in: $(cat "$j")"
# B's ARP reply: unicast back to ta.
traced "$j" '.ethertype == "0x0806" and .src == $b and .dst == $a and
	.port == "tb" and .action == "forward" and .to == ["ta"]' ||
	fail "no ARP reply tb -> ta in: $(cat "$j")"
# The echo requests and replies: forwarded, right ports and MACs.
n=$(jq -s --arg a "$macA" --arg b "$macB" '[.[] | select(.ethertype ==
	"0x0800" and .src == $a and .dst == $b and .port == "ta" and
	.action == "forward" and .to == ["tb"])] | length' "$j")
[ "$n" -ge 3 ] || fail "$n ICMP echoes ta -> tb traced, want 3"
n=$(jq -s --arg a "$macA" --arg b "$macB" '[.[] | select(.ethertype ==
	"0x0800" and .src == $b and .dst == $a and .port == "tb" and
	.action == "forward" and .to == ["ta"])] | length' "$j")
[ "$n" -ge 3 ] || fail "$n ICMP replies tb -> ta traced, want 3"
# The ARP flood comes before the first echo.
first_arp=$(grep -n '"0x0806"' "$j" | head -1 | cut -d: -f1)
first_ip=$(grep -n "\"src\":\"$macA\".*\"0x0800\"" "$j" | head -1 | cut -d: -f1)
[ "$first_arp" -lt "$first_ip" ] || fail "ICMP traced before the ARP flood"
# The VLAN drop, with the tag the frame carried.
n=$(jq -s '[.[] | select(.port == "v.1" and .action == "drop" and
	.cause == "vlan" and .tag == 20)] | length' "$j")
[ "$n" -eq 2 ] || fail "$n 'drop vlan' lines for v.1, want 2: $(cat "$j")"
[ "$(ctlj show | jq .totals.drops.vlan)" -eq 2 ] ||
	fail "the switch counted $(ctlj show | jq .totals.drops.vlan) vlan drops, not 2"
echo "ok: trace: ARP flood ta -> tb, unicast replies and echoes, drop vlan (tag 20)"

# Each filter kept its own frames only, and saw them.
jq -e -s 'length > 0 and all(.[]; .ethertype == "0x0806")' "$dir/arp.json" >/dev/null ||
	fail "trace arp: $(cat "$dir/arp.json")"
jq -e -s 'length >= 6 and all(.[]; .ethertype == "0x0800")' "$dir/icmp.json" >/dev/null ||
	fail "trace icmp: $(cat "$dir/icmp.json")"
echo "ok: two traces at once, filters arp and icmp, each its own frames"

# Text output: the arrow and the flood.
"$LANYARDCTL" --ctl "$ctl" trace arp >"$dir/text.out" 2>&1 &
tp=$!
peer_pids+=($tp)
sleep 0.3
ip -n "$nsA" neigh flush dev "lyta$$"
ip netns exec "$nsA" ping -c 1 -W 2 10.78.0.2 >/dev/null || fail "no ping"
sleep 0.3
kill -INT "$tp"
wait "$tp" || fail "text trace exited $?"
grep -q "ta $macA > ff:ff:ff:ff:ff:ff 0x0806 len 42 → flood tb" "$dir/text.out" ||
	fail "text trace: $(cat "$dir/text.out")"
grep -q "tb $macB > $macA 0x0806 len 42 → ta" "$dir/text.out" ||
	fail "text trace: $(cat "$dir/text.out")"
echo "ok: text trace: $(head -1 "$dir/text.out")"
lanyard_stop

# A slow reader: a stopped lanyardctl loses lines, the frames all arrive.
count=200000
lanyard_start --port "stream,id=a,path=$dir/a.sock" --port "stream,id=b,path=$dir/b.sock"
trace slow
sleep 0.3
kill -STOP "$trace_slow"
rx_peer rx "stream:unix:$dir/b.sock" 02:00:00:00:00:02 --count $count
peer tx tx "stream:unix:$dir/a.sock" --src 02:00:00:00:00:01 \
	--dst 02:00:00:00:00:02 --count $count --batch 32
peer_wait tx
peer_wait rx
[ "$(report rx .received)" -eq $count ] ||
	fail "rx got $(report rx .received) of $count frames while tracing"
# (no-port: rx's hello, before tx was there)
[ "$(ctlj show | jq '[.totals.drops | del(."no-port")[]] | add')" -eq 0 ] ||
	fail "drops while tracing: $(ctlj show | jq -c .totals.drops)"
kill -CONT "$trace_slow"
# It reads what was kept, then the count of what was not (the count so
# far comes whenever there is room, the final one after the last line).
seen() {
	jq -s '([.[] | select(.lost) | .lost] | last // 0) +
		([.[] | select(.action)] | length)' "$dir/slow.json" 2>/dev/null || echo 0
}
wait_for "[ \$(seen) -ge $count ]" "lines and lost lines to account for $count frames"
trace_end slow
lost=$(jq -s '[.[] | select(.lost) | .lost] | last' "$dir/slow.json")
lines=$(jq -s '[.[] | select(.action)] | length' "$dir/slow.json")
[ "$lost" -gt 0 ] && [ "$((lost + lines))" -ge $count ] ||
	fail "slow reader: $lines lines + $lost lost for $count frames"
grep -q "lanyardctl: $lost trace lines lost" "$dir/slow.err" ||
	fail "lanyardctl did not report $lost lost lines: $(cat "$dir/slow.err")"
check_conservation
echo "ok: stopped reader: $lines lines kept, $lost lost (counted); $count frames delivered"
lanyard_stop
