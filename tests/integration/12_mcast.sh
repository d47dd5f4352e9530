#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: the mcast port joins switches (and QEMU -netdev socket,mcast=
# guests) through one multicast group, in a namespace of the test's own:
#  - two lanyards, each with a stream port and an mcast port on the same
#    group: a peer on switch 1 reaches a peer on switch 2 and back;
#  - each switch hears its own sends looped back by the group: those are
#    counted rx_ignored and neither learned nor forwarded (its own peer
#    never sees its frames twice, and no MAC moves to the mcast port);
#  - both switches' counters conserve.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"

ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo
grp="group=239.1.2.3,port=5555,localaddr=127.0.0.1"

lanyard_start --port "stream,id=s1,path=$dir/s1.sock" --port "mcast,id=m,$grp"
ctl1=$ctl pid1=$lanyard_pid
ctl=$dir/ctl2.sock
"$LANYARD" --ctl "$ctl" --port "stream,id=s2,path=$dir/s2.sock" \
	--port "mcast,id=m,$grp" >"$dir/lanyard2.log" 2>&1 &
pid2=$!
peer_pids+=("$pid2")
wait_for '"$LANYARDCTL" --ctl "$ctl" version >/dev/null 2>&1' "second lanyard"

A=02:00:00:00:00:0a B=02:00:00:00:00:0b
rx_peer B "stream:unix:$dir/s2.sock" $B --duration 30
ctl=$ctl1
peer A tx "stream:unix:$dir/s1.sock" --src $A --dst $B --flow 1 --count 500 \
	--rate 5000 --announce --linger 1
peer_wait A
[ "$(report A .received)" -eq 0 ] || fail "A got its own frames back"
kill "$pid_B"; peer_wait B
got=$(jq -r --arg k "$A/1" '.sources[$k] // 0' "$dir/B.out")
[ "$got" -eq 500 ] || fail "B got $got of 500 from across the group"
[ "$(report B .lost)" -eq 0 ] && [ "$(report B .corrupted)" -eq 0 ] ||
	fail "B: $(cat "$dir/B.out")"
echo "ok: 500 frames crossed from switch 1 to switch 2 through the group"

for c in "$ctl1" "$dir/ctl2.sock"; do
	ctl=$c
	ign=$(counter m .rx_ignored)
	[ "$ign" -gt 0 ] || fail "$c: no looped-back frame counted rx_ignored"
	check_conservation
done
ctl=$ctl1
[ "$(counter m .rx_ignored)" -ge 501 ] || fail "switch 1 ignored only $(counter m .rx_ignored) of its own sends"
[ "$(mac_port $A)" = s1.1 ] || [ -z "$(mac_port $A)" ] ||
	fail "A's MAC moved to $(mac_port $A) on switch 1"
ctl=$dir/ctl2.sock
[ "$(mac_port $A)" = m ] || fail "switch 2 learned A on '$(mac_port $A)', want m"
echo "ok: own sends ignored (rx_ignored), A learned on the group port only on switch 2"

ctl=$ctl1
lanyard_stop
kill "$pid2"; wait "$pid2" || fail "second lanyard exited $?"
echo "ok: both lanyards exit 0"
