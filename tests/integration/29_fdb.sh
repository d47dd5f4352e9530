#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: the MAC table as a user steers it on a running switch:
#  - learned unicast goes to one port only; after "fdb flush" the same
#    frames are flooded again (every port of the VLAN gets them) until the
#    destination is heard from;
#  - a static entry ("fdb add") survives ageing that removes every learned
#    entry around it, and keeps steering frames to its port alone;
#  - lanyardctl fdb -j shows it static, with its port.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
ctl_() { "$LANYARDCTL" --ctl "$ctl" "$@"; }

A=02:00:00:00:00:0a B=02:00:00:00:00:0b C=02:00:00:00:00:0c
S=02:00:00:00:00:55 SA=02:00:00:00:01:0a
lanyard_start --ageing 2 --port "stream,id=a,path=$dir/a.sock" \
	--port "stream,id=b,path=$dir/b.sock" --port "stream,id=c,path=$dir/c.sock"
rx_peer A "stream:unix:$dir/a.sock" $A --duration 60
rx_peer B "stream:unix:$dir/b.sock" $B --duration 60
rx_peer C "stream:unix:$dir/c.sock" $C --duration 60
wait_for '[ -n "$(mac_port $B)" ] && [ -n "$(mac_port $C)" ]' "B and C learned"
b_port=$(mac_port $B)
send() {	# flow dst count
	peer "s$1" tx "stream:unix:$dir/a.sock" --src $SA --dst "$2" --flow "$1" \
		--count "$3" --rate 2000
	peer_wait "s$1"
	wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
}
send 1 $B 20	# learned: to B alone
n=$(ctlj fdb flush | jq .flushed)
[ "$n" -ge 3 ] || fail "fdb flush removed $n entries, want A, B, C and the sender"
[ -z "$(mac_port $B)" ] || fail "B still in the table after the flush"
send 2 $B 30	# unknown now: flooded
ctl_ fdb add $S "$b_port" >/dev/null || fail "fdb add $S $b_port"
ctlj fdb | jq -e --arg m $S --arg p "$b_port" '.fdb[] | select(.mac == $m) | .static and .port == $p' >/dev/null ||
	fail "static entry not shown: $(ctlj fdb | jq -c .fdb)"
# K sends once and stays connected: its entry can only go by ageing.
K=02:00:00:00:00:77
peer K tx "stream:unix:$dir/c.sock" --src $K --flow 9 --count 1 --linger 30
wait_for '[ -n "$(mac_port $K)" ]' "K learned"
# Ageing 2 s: every learned entry goes (nobody sends), the static one stays.
wait_for '[ "$(ctlj fdb | jq "[.fdb[] | select(.static | not)] | length")" -eq 0 ]' \
	"learned entries to age out (fdb: $(ctlj fdb | jq -c .fdb))"
[ "$(mac_port $S)" = "$b_port" ] || fail "the static entry did not survive ageing: $(ctlj fdb | jq -c .fdb)"
[ "$(ctlj fdb | jq .fdb_stats.aged)" -ge 1 ] || fail "nothing counted aged: $(ctlj fdb | jq -c .fdb_stats)"
send 3 $S 40	# static: to b alone, though nothing was learned
for x in A B C K; do kill "$(eval "echo \$pid_$x")"; peer_wait $x; done
got() { jq -r --arg k "$SA/$2" '.sources[$k] // 0' "$dir/$1.out"; }
row() { echo "B=$(got B "$1") C=$(got C "$1")"; }
[ "$(row 1)" = "B=20 C=0" ] || fail "learned unicast: $(row 1), want B=20 C=0"
[ "$(row 2)" = "B=30 C=30" ] || fail "after fdb flush: $(row 2), want B=30 C=30 (flooded)"
[ "$(row 3)" = "B=40 C=0" ] || fail "static entry after ageing: $(row 3), want B=40 C=0"
check_conservation
lanyard_stop
echo "ok: learned unicast to one port; fdb flush floods it again; a static entry survives ageing and steers alone"
