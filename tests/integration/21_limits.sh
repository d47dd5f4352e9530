#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: the per-port limits of docs/policy.md as a user sees them:
#  - max_macs: a port flooding random source MACs owns at most max_macs
#    entries, the frames of every other new source are dropped (mac-limit),
#    while two other ports exchange unicast without loss and a station
#    that arrives afterwards is still learned;
#  - bcast_pps: a broadcast storm is cut to about bcast_pps frames a second
#    (counted storm) while unicast between two other ports loses nothing;
#  - mtu: frames longer than mtu + 14 are dropped going to the port
#    (too-big) and coming from it (oversize); mtu + 14 passes;
#  - mirror: a mirror port gets exactly the frames the mirrored port
#    received (mirror_dir=rx) or was sent (tx);
#  - counters conserve.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77

A=02:00:00:00:00:0a B=02:00:00:00:00:0b C=02:00:00:00:00:0c
F=02:00:00:00:00:0f M=02:00:00:00:00:1d BC=ff:ff:ff:ff:ff:ff
# Senders beside A and B on their sockets have MACs of their own: a
# second connection sending as A would move A's MAC to itself.
SA=02:00:00:00:01:0a SB=02:00:00:00:01:0b
got() { jq -r --arg k "$2" '.sources[$k] // 0' "$dir/$1.out"; }
expect() {	# peer source/flow count
	[ "$(got "$1" "$2")" -eq "$3" ] ||
		fail "peer $1 got $(got "$1" "$2") frames of $2, want $3: $(cat "$dir/$1.out")"
}
stop_peers() {
	local x
	for x in "$@"; do
		kill "$(eval "echo \$pid_$x")" 2>/dev/null || true
		peer_wait "$x"
	done
}
port_json() { ctlj show | jq -c --arg p "$1" '.ports[] | select(.id == $p)'; }

# --- max_macs ---------------------------------------------------------
lanyard_start --port "stream,id=f,path=$dir/f.sock,max_macs=50" \
	--port "stream,id=a,path=$dir/a.sock" \
	--port "stream,id=b,path=$dir/b.sock"
rx_peer A "stream:unix:$dir/a.sock" $A --duration 60
rx_peer B "stream:unix:$dir/b.sock" $B --duration 60
# F lingers connected, so its port (and what it owns) stays to be read.
peer F tx "stream:unix:$dir/f.sock" --src $F --macs 5000 --count 5000 \
	--rate 5000 --dst $BC --flow 1 --linger 60
peer AB tx "stream:unix:$dir/a.sock" --src $SA --dst $B --count 2000 \
	--rate 1000 --flow 2
peer BA tx "stream:unix:$dir/b.sock" --src $SB --dst $A --count 2000 \
	--rate 1000 --flow 3
peer_wait AB
peer_wait BA
f_port=f.1
wait_for '[ "$(counter $f_port .rx)" = 5000 ]' "F's 5000 frames to arrive"
wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
fj=$(port_json "$f_port")
[ "$(jq .macs <<<"$fj")" -eq 50 ] || fail "flooding port owns $(jq .macs <<<"$fj") MACs, max_macs is 50"
[ "$(jq '.counters.drops."mac-limit"' <<<"$fj")" -eq 4950 ] ||
	fail "mac-limit drops: $(jq -c .counters.drops <<<"$fj"), want 4950"
[ "$(ctlj fdb | jq .fdb_stats.port_limit)" -ge 4950 ] || fail "fdb port_limit: $(ctlj fdb | jq -c .fdb_stats)"
rx_peer C "stream:unix:$dir/a.sock" $C --duration 60
[ -n "$(mac_port $C)" ] || fail "C, arriving after the flood, was not learned"
stop_peers A B C F
expect A $F/1 50; expect B $F/1 50
expect A $SB/3 2000; expect B $SA/2 2000
[ "$(report A '.lost + .corrupted')" -eq 0 ] && [ "$(report B '.lost + .corrupted')" -eq 0 ] ||
	fail "unicast between A and B lost frames during the flood"
check_conservation
lanyard_stop
echo "ok: max_macs: a source-MAC flood owns 50 entries, 4950 frames mac-limit, A<->B lose nothing, C still learned"

# --- bcast_pps --------------------------------------------------------
lanyard_start --port "stream,id=f,path=$dir/f.sock,bcast_pps=200" \
	--port "stream,id=a,path=$dir/a.sock" \
	--port "stream,id=b,path=$dir/b.sock"
rx_peer A "stream:unix:$dir/a.sock" $A --duration 60
rx_peer B "stream:unix:$dir/b.sock" $B --duration 60
peer F tx "stream:unix:$dir/f.sock" --src $F --count 4000 --rate 2000 \
	--dst $BC --flow 1 --linger 60
peer AB tx "stream:unix:$dir/a.sock" --src $SA --dst $B --count 2000 \
	--rate 1000 --flow 2
peer BA tx "stream:unix:$dir/b.sock" --src $SB --dst $A --count 2000 \
	--rate 1000 --flow 3
peer_wait AB
peer_wait BA
wait_for '[ "$(counter f.1 .rx)" = 4000 ]' "F's 4000 frames to arrive"
wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
storm=$(port_json f.1 | jq '.counters.drops.storm')
# No backlog means the switch wrote everything into the receivers'
# sockets, not that they have read it all: give them a moment first.
sleep 1
stop_peers A B F
secs=$(report F .seconds)
passed=$(got A $F/1)
# A bucket of 32 frames, then 200 a second; the loop's clock may run up
# to one iteration behind, so half a second of slack on top.
max=$(awk -v s="$secs" 'BEGIN { printf "%d", 32 + 200 * (s + 0.5) }')
min=$(awk -v s="$secs" 'BEGIN { printf "%d", 200 * s / 2 }')
[ "$passed" -le "$max" ] && [ "$passed" -ge "$min" ] ||
	fail "storm: $passed of 4000 broadcasts passed in ${secs}s at bcast_pps=200 (want $min..$max)"
[ "$((passed + storm))" -eq 4000 ] || fail "storm drops $storm + passed $passed != 4000"
expect B $F/1 "$passed"
expect A $SB/3 2000; expect B $SA/2 2000
check_conservation
lanyard_stop
echo "ok: bcast_pps=200: $passed of 4000 broadcasts passed in ${secs}s, $storm counted storm; unicast lost nothing"

# --- mtu --------------------------------------------------------------
lanyard_start --port "stream,id=a,path=$dir/a.sock,mtu=1000" \
	--port "stream,id=b,path=$dir/b.sock"
rx_peer A "stream:unix:$dir/a.sock" $A --duration 60
rx_peer B "stream:unix:$dir/b.sock" $B --duration 60
send() {	# name endpoint src dst flow count size
	peer "$1" tx "$2" --src "$3" --dst "$4" --flow "$5" --count "$6" \
		--size "$7" --rate 2000
	peer_wait "$1"
}
a_port=$(mac_port $A)
send s1 "stream:unix:$dir/b.sock" $SB $A 1 30 1014
send s2 "stream:unix:$dir/b.sock" $SB $A 2 20 1015
send s3 "stream:unix:$dir/a.sock" $SA $B 3 10 1100
send s4 "stream:unix:$dir/a.sock" $SA $B 4 5 1014
wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
aj=$(port_json "$a_port")
stop_peers A B
expect A $SB/1 30; expect A $SB/2 0; expect B $SA/3 0; expect B $SA/4 5
[ "$(jq '.counters.drops."too-big"' <<<"$aj")" -eq 20 ] ||
	fail "too-big on the mtu=1000 port: $(jq -c .counters.drops <<<"$aj"), want 20"
# The senders were other ports of listener a, gone now: the totals keep them.
[ "$(ctlj show | jq '.totals.drops.oversize')" -eq 10 ] ||
	fail "oversize from the mtu=1000 ports: $(ctlj show | jq -c .totals.drops), want 10"
[ "$(jq -r .policy.text <<<"$aj")" = "mtu 1000" ] || fail "show: $(jq -c .policy <<<"$aj")"
check_conservation
lanyard_stop
echo "ok: mtu=1000: 1014-byte frames pass both ways, longer ones too-big (20) and oversize (10)"

# --- mirror -----------------------------------------------------------
# m's first peer becomes port m.1: b names it before it exists, and its
# copies start when it appears.
for dirn in rx tx; do
	lanyard_start --port "stream,id=m,path=$dir/m.sock" \
		--port "stream,id=a,path=$dir/a.sock" \
		--port "stream,id=b,path=$dir/b.sock,mirror=m.1,mirror_dir=$dirn"
	rx_peer M "stream:unix:$dir/m.sock" $M --duration 60
	# A peer's ready file means it announced itself, not that the switch
	# has read the announcement yet.
	wait_for '[ "$(mac_port $M)" = m.1 ]' "the mirror peer learned on m.1"
	rx_peer A "stream:unix:$dir/a.sock" $A --duration 60
	rx_peer B "stream:unix:$dir/b.sock" $B --duration 60
	wait_for '[ -n "$(mac_port $A)" ] && [ -n "$(mac_port $B)" ]' "A and B learned"
	b_port=$(mac_port $B)
	port_json "$b_port" | jq -e --arg d "$dirn" '.policy.mirror == "m.1" and .policy.mirror_present and .policy.mirror_dir == $d' >/dev/null ||
		fail "show: $(port_json "$b_port" | jq -c .policy)"
	send t1 "stream:unix:$dir/b.sock" $SB $A 1 40 100	# rx on b (b.2)
	send t2 "stream:unix:$dir/a.sock" $SA $B 2 25 100	# tx on b.1
	wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
	stop_peers M A B
	expect A $SB/1 40; expect B $SA/2 25
	if [ "$dirn" = rx ]; then
		expect M $SB/1 40; expect M $SA/2 0
	else
		expect M $SB/1 0; expect M $SA/2 25
	fi
	check_conservation
	lanyard_stop
	echo "ok: mirror_dir=$dirn: the mirror port got exactly the $( [ "$dirn" = rx ] && echo 40 frames b received || echo 25 frames b was sent)"
done
