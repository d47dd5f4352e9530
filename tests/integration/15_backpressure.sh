#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: a sender faster than its receiver loses nothing, and a
# receiver that takes nothing does not stall anyone else:
#  - stream and unix dgram: a flat-out batched sender into one receiver
#    delivers every frame, also those it left unread when it hung up;
#    lanyard counts the pauses and no backlog-full drops;
#  - a stopped receiver (SIGSTOP) among the flood's destinations is marked
#    stuck after --pause-max: the sender carries on, the live receiver gets
#    every frame, the stopped one's frames are dropped and counted
#    backlog-full; once continued it drains and is no longer stuck.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77

A=02:00:00:00:00:0a B=02:00:00:00:00:0b C=02:00:00:00:00:0c
N=200000

# lossless KIND: flat-out sender A -> receiver B through one port of KIND.
# --pause-max is long here so that only a real stall could count as stuck
# on a loaded machine; the stuck case below uses a short one.
# learned NAME MAC: wait until the switch has learned MAC from NAME's
# announce, so a sender started next never floods into no port (a dgram
# receiver's port only exists from its first datagram on).
learned() {
	wait_for "[ -n \"\$(mac_port $2)\" ]" "$1's announce to reach the switch"
}

lossless() {
	local kind=$1 ep
	lanyard_start --pause-max 5000 --port "$kind,id=p,path=$dir/$kind.sock"
	ep=$kind:unix:$dir/$kind.sock
	rx_peer B "$ep" $B --count $N --duration 120 --batch 32
	learned B $B
	# A hangs up as soon as it has written its last frame, while it is
	# almost surely paused: what it left in its socket must still all
	# reach B, read only as fast as B drains (docs/architecture.md).
	peer A tx "$ep" --src $A --dst $B --count $N --batch 32 --size 64 \
		--duration 120
	peer_wait A
	peer_wait B
	[ "$(report B .received)" -eq $N ] ||
		fail "$kind: B received $(report B .received) of $N: $(cat "$dir/B.out"); switch: $(ctlj show | jq -c '[.ports[] | {id, counters}], .totals')"
	[ "$(report B '.lost + .corrupted + .reordered')" -eq 0 ] ||
		fail "$kind: B saw loss, corruption or reordering: $(cat "$dir/B.out")"
	wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
	[ "$(ctlj show | jq '.totals.drops."backlog-full"')" -eq 0 ] ||
		fail "$kind: backlog-full drops: $(ctlj stats)"
	[ "$(ctlj show | jq '.totals.pauses')" -gt 0 ] ||
		fail "$kind: the sender was never paused, so the test proved nothing: $(ctlj stats)"
	check_conservation
	lanyard_stop
	echo "ok: $kind: $N frames flat out into one receiver, none lost" \
		"($(report B .pps) frames/s)"
}
lossless stream
lossless dgram

# stuck: A floods (broadcast) to B and C over stream; C is stopped.
# B losing exactly one burst (32 frames) here was not a scheduling hiccup
# but A hanging up while paused: lanyard read what it left at once, past
# B's backlog.  --pause-max 1000 keeps a live but slow B from being taken
# for stuck on a loaded machine.
lanyard_start --pause-max 1000 --port "stream,id=s,path=$dir/s.sock"
ep=stream:unix:$dir/s.sock
rx_peer B "$ep" $B --count $N --duration 120 --batch 32
rx_peer C "$ep" $C --duration 120 --idle 3 --batch 32
learned B $B
learned C $C
c_port=$(mac_port $C)
[ -n "$c_port" ] || fail "C not learned"
kill -STOP "$pid_C"
peer A tx "$ep" --src $A --count $N --batch 32 --size 64 --duration 120
peer_wait A
peer_wait B
[ "$(report B .received)" -eq $N ] && [ "$(report B .lost)" -eq 0 ] ||
	fail "live receiver B lost frames while C was stopped: $(cat "$dir/B.out"); switch: $(ctlj show | jq -c '[.ports[] | {id, stuck, counters}]')"
show=$(ctlj show)
jq -e --arg p "$c_port" '.ports[] | select(.id == $p) | .stuck' <<<"$show" >/dev/null ||
	fail "stopped receiver $c_port not marked stuck: $show"
[ "$(jq --arg p "$c_port" '.ports[] | select(.id == $p) | .counters.drops."backlog-full"' <<<"$show")" -gt 0 ] ||
	fail "no backlog-full drops counted for the stopped receiver: $show"
"$LANYARDCTL" --ctl "$ctl" show | grep -q "^  $c_port: .*(stuck: dropping for it)" ||
	fail "lanyardctl show does not mark $c_port stuck: $("$LANYARDCTL" --ctl "$ctl" show)"
check_conservation
echo "ok: a stopped receiver is marked stuck; the sender and the live receiver carry on"

kill -CONT "$pid_C"
wait_for "[ \"\$(ctlj show | jq --arg p $c_port '.ports[] | select(.id == \$p) | .stuck')\" = false ]" \
	"$c_port to drain after SIGCONT"
peer_wait C
[ "$(report C .corrupted)" -eq 0 ] || fail "C got corrupted frames: $(cat "$dir/C.out")"
[ "$(report C .received)" -gt 0 ] || fail "C received nothing after SIGCONT"
check_conservation
lanyard_stop
echo "ok: continued, it drains what was queued for it and is no longer stuck"
