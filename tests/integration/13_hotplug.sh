#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: a user changes a running switch with lanyardctl while a flow
# crosses it, and the flow loses nothing:
#  - port add: a new dgram port appears, prints its -netdev line and
#    carries traffic at once; a bad spec is refused naming the key, and
#    nothing is added;
#  - fdb add: a static entry sends a MAC's frames to the chosen port and is
#    not moved by learning; fdb del removes one entry, fdb flush all;
#  - stats --reset zeroes counters, which then still conserve;
#  - port del: the port and its MAC entries go; an unknown port is an
#    error (exit 1) naming it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
ctl_() { "$LANYARDCTL" --ctl "$ctl" "$@"; }

lanyard_start --port "stream,id=su,path=$dir/su.sock"
A=02:00:00:00:00:0a B=02:00:00:00:00:0b
rx_peer A "stream:unix:$dir/su.sock" $A --duration 60
# The flow stays connected after its last frame (--linger), so its MAC is
# there for fdb flush to remove however fast the rest runs.
peer flow tx "stream:unix:$dir/su.sock" --src 02:00:00:00:00:01 --dst $A \
	--flow 1 --count 6000 --rate 2000 --announce --linger 60
wait_for '[ -n "$(mac_port 02:00:00:00:00:01)" ]' "the flow's sender learned"
flow_port=$(mac_port 02:00:00:00:00:01)

# port add while the flow runs
out=$(ctl_ port add "dgram,id=hp,path=$dir/hp.sock") || fail "port add failed: $out"
grep -q -- "-netdev dgram,id=hp" <<<"$out" || fail "port add printed no -netdev line: $out"
[ "$(ctlj show | jq -r '.ports[] | select(.id == "hp") | .state')" = listening ] ||
	fail "hp not listening after port add"
rc=0; out=$(ctl_ port add "dgram,id=hp2,path=$dir/x.sock,bogus=1" 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q bogus <<<"$out" || fail "bad spec: exit $rc, '$out'"
ctlj show | jq -e '[.ports[].id] | index("hp2") == null' >/dev/null || fail "hp2 half-added"
rx_peer B "dgram:unix:$dir/hp.sock" $B --duration 60
[ "$(mac_port $B)" = hp.1 ] || fail "B learned on '$(mac_port $B)', want hp.1"
echo "ok: port add while traffic flows; a bad spec is refused naming the key"

# static entry: frames for M go to hp.1 (B), and learning does not move it
M=02:00:00:00:00:77
ctl_ fdb add $M hp.1 >/dev/null || fail "fdb add"
ctlj fdb | jq -e --arg m $M '.fdb[] | select(.mac == $m) | .static and .port == "hp.1"' >/dev/null ||
	fail "static entry not shown: $(ctlj fdb)"
"$LANYARD_PERF" tx "stream:unix:$dir/su.sock" --src $M --dst $A --count 5 --json >/dev/null ||
	fail "sender with the static MAC"
[ "$(mac_port $M)" = hp.1 ] || fail "static entry moved to '$(mac_port $M)'"
"$LANYARD_PERF" tx "stream:unix:$dir/su.sock" --src 02:00:00:00:00:02 --dst $M \
	--flow 7 --count 50 --json >/dev/null || fail "sender to the static MAC"
rc=0; ctl_ fdb del 02:00:00:00:00:99 >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "fdb del of an absent MAC exited $rc, want 1"
ctl_ fdb del $M >/dev/null || fail "fdb del"
[ -z "$(mac_port $M)" ] || fail "fdb del left $M"
# The flow's sender is learned again at once; A and B send no more.
n=$(ctlj fdb flush | jq .flushed) || fail "fdb flush"
[ "$n" -ge 3 ] || fail "fdb flush removed $n entries, want at least 3"
[ -z "$(mac_port $A)" ] && [ -z "$(mac_port $B)" ] || fail "entries left after flush: $(ctlj fdb)"
echo "ok: static entry steers frames, is not moved by learning; fdb del and flush remove entries"

wait_for '[ "$(counter "$flow_port" .rx)" -ge 6001 ]' "the flow's 6000 frames"
kill "$pid_flow"
peer_wait flow
wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
check_conservation
ctl_ stats --reset >/dev/null || fail "stats --reset"
[ "$(ctlj stats | jq '.totals.rx')" -eq 0 ] || fail "rx not zero after reset: $(ctlj stats)"
check_conservation
echo "ok: stats --reset zeroes counters; they still conserve"

# port del takes the port and its MAC entries (a static one here: B's
# learned entry went with the flush)
ctl_ fdb add $B hp.1 >/dev/null || fail "fdb add B"
ctl_ port del hp >/dev/null || fail "port del hp"
ctlj show | jq -e '[.ports[].id | select(startswith("hp"))] | length == 0' >/dev/null ||
	fail "hp ports still listed"
[ -z "$(mac_port $B)" ] || fail "B's MAC entry survived port del"
rc=0; out=$(ctl_ port del nosuch 2>&1) || rc=$?
[ "$rc" -eq 1 ] && grep -q nosuch <<<"$out" || fail "port del nosuch: exit $rc, '$out'"
echo "ok: port del removes the port with its MAC entries; unknown ports are named"

kill "$pid_A"; peer_wait A
got=$(jq -r '.sources["02:00:00:00:00:01/1"] // 0' "$dir/A.out")
[ "$got" -eq 6000 ] || fail "A got $got of 6000 while the switch was changed"
kill "$pid_B"; peer_wait B
got=$(jq -r '.sources["02:00:00:00:00:02/7"] // 0' "$dir/B.out")
[ "$got" -eq 50 ] || fail "B got $got of 50 frames for the static MAC"
echo "ok: the flow lost nothing; the static MAC's frames reached B"
lanyard_stop
