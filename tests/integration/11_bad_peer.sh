#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: bad input costs only the peer that sent it.  While a steady
# flow crosses lanyard between two good peers, bad peers send:
#  - a stream length of 0 and one above 69632: that connection alone is
#    closed (errors.bad-length), its port goes;
#  - a half frame, then hang-up: the port goes, nothing is forwarded;
#  - over stream and dgram: a runt, a frame above --frame-max, a frame with
#    a multicast source MAC: each dropped and counted under its cause, the
#    connection kept;
# and the good flow loses nothing, lanyard keeps running, the counters
# conserve, and lanyard still exits 0 on SIGTERM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"

lanyard_start --frame-max 1518 \
	--port "stream,id=su,path=$dir/su.sock" \
	--port "dgram,id=du,path=$dir/du.sock"

G=02:00:00:00:00:0b
rx_peer good "dgram:unix:$dir/du.sock" $G --duration 60
peer flow tx "stream:unix:$dir/su.sock" --src 02:00:00:00:00:01 --dst $G \
	--flow 1 --count 6000 --rate 3000 --size 300 --announce

# raw NAME ENDPOINT HEX: send bytes as they are; report in $dir/NAME.out.
raw() {
	"$LANYARD_PERF" raw "$2" --hex "$3" --linger 0.5 --json >"$dir/$1.out" ||
		fail "raw peer $1 failed"
}
eth=ff:ff:ff:ff:ff:ff02:00:00:00:00:770800	# 14-byte header, broadcast
hexn() { head -c "$1" /dev/zero | od -An -v -tx1 | tr -d ' \n'; }

raw zero "stream:unix:$dir/su.sock" 00000000
raw huge "stream:unix:$dir/su.sock" 00011001$(hexn 64)
raw huge2 "stream:unix:$dir/su.sock" ffffffff
raw half "stream:unix:$dir/su.sock" 00000040$eth
for x in zero huge huge2; do
	[ "$(report $x .closed)" = true ] || fail "$x: lanyard kept the connection"
done
echo "ok: zero and oversize lengths close that connection only"

raw s_runt "stream:unix:$dir/su.sock" 0000000a$(hexn 10)
raw s_big "stream:unix:$dir/su.sock" 000007d0${eth}$(hexn 1986)
raw s_src "stream:unix:$dir/su.sock" 0000003cffffffffffff010000000001$(hexn 48)
for x in s_runt s_big s_src; do
	[ "$(report $x .closed)" = false ] || fail "$x: lanyard closed a connection for one bad frame"
done
raw d_runt "dgram:unix:$dir/du.sock" "$(hexn 10)"
raw d_big "dgram:unix:$dir/du.sock" "${eth}$(hexn 1986)"
raw d_src "dgram:unix:$dir/du.sock" ffffffffffff010000000001$(hexn 48)
raw d_empty "dgram:unix:$dir/du.sock" ""
echo "ok: runts, oversize frames and bad sources keep the connection"

peer_wait flow
[ "$(report flow .sent)" -eq 6000 ] || fail "good sender sent $(report flow .sent)"
wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
check_conservation
t=$(ctlj show | jq -c .totals)
want() {	# jq-path expected
	[ "$(jq -r "$1" <<<"$t")" -eq "$2" ] || fail "totals$1 = $(jq -r "$1" <<<"$t"), want $2: $t"
}
want '.errors."bad-length"' 3
want '.drops.runt' 3
want '.drops.oversize' 2
want '.drops."bad-src"' 2
echo "ok: counted: bad-length 3, runt 3, oversize 2, bad-src 2"
[ "$(ctlj show | jq '[.ports[] | select(.parent == "su")] | length')" -eq 0 ] ||
	fail "stream ports left over: $(ctlj show | jq -c '[.ports[].id]')"

kill "$pid_good"; peer_wait good
got=$(jq -r '.sources["02:00:00:00:00:01/1"] // 0' "$dir/good.out")
[ "$got" -eq 6000 ] || fail "good peer got $got of 6000: $(cat "$dir/good.out")"
for f in lost corrupted reordered; do
	[ "$(report good .$f)" -eq 0 ] || fail "good peer: $f = $(report good .$f)"
done
echo "ok: the good flow lost nothing"
lanyard_stop
echo "ok: lanyard exits 0 on SIGTERM"
