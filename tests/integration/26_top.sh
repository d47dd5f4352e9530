#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: "lanyardctl top" shows the rates of real traffic:
#  - with stdout not a terminal, -n 3 -d 0.5 prints three plain tables (no
#    escape codes) in about 1.5 s, and the sending and receiving ports'
#    frames/s and bits/s are those of the traffic (2000 frames/s of 500
#    bytes, within a wide margin: this is not a benchmark);
#  - -j prints one JSON object per refresh with the same rates; a port
#    that appears between refreshes is marked new, and one that goes is
#    listed as gone;
#  - SIGTERM ends it at once with status 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
need_cmds jq

A=02:00:00:00:00:0a B=02:00:00:00:00:0b SA=02:00:00:00:01:0a
top_() { "$LANYARDCTL" --ctl "$ctl" top "$@" 2>>"$dir/top.err"; }
# in_range VALUE MIN MAX (floats)
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

lanyard_start --port "stream,id=a,path=$dir/a.sock" \
	--port "stream,id=b,path=$dir/b.sock"
rx_peer B "stream:unix:$dir/b.sock" $B --duration 60
peer AB tx "stream:unix:$dir/a.sock" --src $SA --dst $B --rate 2000 \
	--size 500 --duration 20 --flow 1
wait_for '[ -n "$(mac_port $SA)" ]' "the sender to be learned"
ab=$(mac_port $SA) bp=$(mac_port $B)
sleep 0.5	# the sender at full rate

# --- plain tables --------------------------------------------------------
t0=$(date +%s.%N)
top_ -n 3 -d 0.5 >"$dir/top.txt" || fail "top exited $?"
secs=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { print t1 - t0 }')
in_range "$secs" 1.4 3 || fail "top -n 3 -d 0.5 took ${secs}s"
! grep -q $'\033' "$dir/top.txt" || fail "escape codes written to a pipe"
[ "$(grep -c '^PORT ' "$dir/top.txt")" -eq 3 ] || fail "not 3 tables: $(cat "$dir/top.txt")"
# "2.00k" -> 2000
num() { awk '{ v = $1; m = 1; if (v ~ /k$/) m = 1e3; if (v ~ /M$/) m = 1e6; if (v ~ /G$/) m = 1e9; sub(/[kMG]$/, "", v); print v * m }' <<<"$1"; }
while read -r id kind rxf txf rxb txb drops; do
	[ "$id" = "$ab" ] || continue
	in_range "$(num "$rxf")" 1000 3000 && in_range "$(num "$rxb")" 4e6 12e6 ||
		fail "sender's row: $rxf frames/s $rxb bits/s, want ~2000 and ~8M"
	[ "$drops" = 0 ] || fail "drops/s $drops"
	n_ab=$((${n_ab:-0} + 1))
done <"$dir/top.txt"
[ "${n_ab:-0}" -eq 3 ] || fail "sender $ab in ${n_ab:-0} of 3 tables: $(cat "$dir/top.txt")"
grep -qE "^$bp +stream +0 +[0-9.]+k " "$dir/top.txt" || fail "receiver's row: $(grep "^$bp" "$dir/top.txt")"
echo "ok: top -n 3 -d 0.5: 3 plain tables in ${secs}s, $ab at $(awk -v p="$ab" '$1 == p { print $3 " f/s " $5 " b/s"; exit }' "$dir/top.txt")"

# --- JSON, a port that comes and goes --------------------------------------
"$LANYARDCTL" --ctl "$ctl" top -j -n 6 -d 0.5 >"$dir/top.json" 2>>"$dir/top.err" &
top_pid=$!
sleep 0.3
# 400 frames at 1000/s, then connected 1 s more: seen for 1-2 refreshes.
peer S tx "stream:unix:$dir/a.sock" --src 02:00:00:00:02:0a --dst $B \
	--count 400 --rate 1000 --flow 2 --linger 1
wait "$top_pid" || fail "top -j exited $?"
peer_wait S
[ "$(wc -l <"$dir/top.json")" -eq 6 ] || fail "top -j: $(wc -l <"$dir/top.json") lines, want 6"
jq -e . "$dir/top.json" >/dev/null || fail "top -j: not JSON: $(head -3 "$dir/top.json")"
jq -e -s --arg ab "$ab" --arg b "$bp" 'all(.[];
	(.ports[] | select(.id == $ab) | .rx_fps >= 1000 and .rx_fps <= 3000
		and .rx_bps >= 4e6 and .rx_bps <= 12e6 and .tx_fps == 0) and
	(.ports[] | select(.id == $b) | .tx_fps >= 1000) and
	.totals.rx_fps >= 1000 and .totals.drops_ps == 0 and
	(.interval > 0.3 and .interval < 1))' "$dir/top.json" >/dev/null ||
	fail "top -j rates: $(jq -c '[.interval, .totals, [.ports[] | {id, rx_fps, tx_fps}]]' "$dir/top.json")"
new=$(jq -r -s '[.[].ports[] | select(.new) | .id] | unique | join(" ")' "$dir/top.json")
[ -n "$new" ] || fail "no port marked new: $(jq -c '[.ports[] | {id, new}]' "$dir/top.json")"
for id in $new; do
	jq -e -s --arg id "$id" 'any(.[]; .gone | index($id))' "$dir/top.json" >/dev/null ||
		fail "port $id came but was never listed gone: $(jq -c '[.ports[].id, .gone]' "$dir/top.json")"
done
echo "ok: top -j: 6 objects, rates of the traffic; port(s) $new marked new, then gone"

# --- SIGTERM -------------------------------------------------------------------
"$LANYARDCTL" --ctl "$ctl" top -d 0.2 >"$dir/top2.txt" 2>>"$dir/top.err" &
top_pid=$!
sleep 0.7
kill -TERM "$top_pid"
rc=0; timeout 2 tail --pid="$top_pid" -f /dev/null || fail "top still running 2 s after SIGTERM"
wait "$top_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "top exited $rc on SIGTERM"
grep -q '^TOTAL' "$dir/top2.txt" || fail "top -d 0.2 printed no table in 0.7 s"
kill "$pid_AB" "$pid_B"
lanyard_stop
[ ! -s "$dir/top.err" ] || fail "top wrote to stderr: $(head -5 "$dir/top.err")"
echo "ok: SIGTERM ends top with status 0"
