#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: a hundred ports come and go through lanyardctl while two
# others exchange traffic:
#  - 100 ports (stream listeners and dgram endpoints, every tenth with a
#    peer connected when it is removed) are added and removed one by one;
#  - the two others lose nothing: each receiver gets every frame of the
#    flow to it, in order;
#  - no descriptor leaks: lanyard's /proc/PID/fd count is back where it
#    was, and show lists none of the hundred;
#  - counters conserve.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
ctl_() { "$LANYARDCTL" --ctl "$ctl" "$@"; }

A=02:00:00:00:00:0a B=02:00:00:00:00:0b
SA=02:00:00:00:01:0a SB=02:00:00:00:01:0b
N=24000
lanyard_start --port "stream,id=a,path=$dir/a.sock" \
	--port "stream,id=b,path=$dir/b.sock"
fds() { find "/proc/$lanyard_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
fd0=$(fds)	# the listeners, before any peer
rx_peer A "stream:unix:$dir/a.sock" $A --count $N --duration 120
rx_peer B "stream:unix:$dir/b.sock" $B --count $N --duration 120

peer SA tx "stream:unix:$dir/a.sock" --src $SA --dst $B --count $N \
	--rate 2000 --flow 1 --linger 1 --duration 60
peer SB tx "stream:unix:$dir/b.sock" --src $SB --dst $A --count $N \
	--rate 2000 --flow 2 --linger 1 --duration 60

for i in $(seq 1 100); do
	if [ $((i % 2)) -eq 0 ]; then
		spec="stream,id=h$i,path=$dir/h$i.sock"
		ep="stream:unix:$dir/h$i.sock"
	else
		spec="dgram,id=h$i,path=$dir/h$i.sock"
		ep="dgram:unix:$dir/h$i.sock"
	fi
	ctl_ port add "$spec" >/dev/null || fail "port add $spec"
	if [ $((i % 10)) -eq 0 ]; then
		peer "H$i" rx "$ep" --src "02:00:00:00:02:$(printf %02x "$i")" \
			--announce --ready "$dir/H$i.ready" --duration 60
		wait_for "test -f $dir/H$i.ready" "peer of h$i ready"
		wait_for "[ -n \"\$(children h$i)\" ]" "h$i's peer to be a port"
	fi
	ctl_ port del "h$i" >/dev/null || fail "port del h$i"
done
ctlj show | jq -e '[.ports[].id | select(startswith("h"))] | length == 0' >/dev/null ||
	fail "hot-plugged ports left: $(ctlj show | jq -c '[.ports[].id]')"
echo "ok: 100 ports added and removed ($(ctlj show | jq .totals.rx) frames crossed meanwhile)"

peer_wait SA
peer_wait SB
peer_wait A
peer_wait B
gotA=$(jq -r --arg k "$SB/2" '.sources[$k] // 0' "$dir/A.out")
gotB=$(jq -r --arg k "$SA/1" '.sources[$k] // 0' "$dir/B.out")
[ "$gotA" -eq $N ] && [ "$gotB" -eq $N ] ||
	fail "while ports came and went, A got $gotA and B got $gotB of $N"
for name in A B; do
	[ "$(report $name '.lost + .reordered + .corrupted')" -eq 0 ] ||
		fail "$name saw loss, reordering or corruption: $(cat "$dir/$name.out")"
done
echo "ok: the two ports exchanging traffic lost nothing ($N frames each way)"

# The senders and receivers are gone: back to the listeners a and b.
wait_for '[ -z "$(children a)$(children b)" ]' "the peers' ports to go"
[ "$(fds)" -eq "$fd0" ] || fail "descriptors: $fd0 before, $(fds) after ($(ls -l /proc/$lanyard_pid/fd))"
check_conservation
lanyard_stop
echo "ok: no descriptor leaked (lanyard has $fd0, as before the first peer)"
