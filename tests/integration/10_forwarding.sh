#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: lanyard forwards as a learning bridge between peers of every
# socket port kind (stream over unix and TCP, dgram over unix and UDP),
# seen from the peers themselves (lanyard-perf counts each frame, checks
# its contents and sequence) and from lanyardctl:
#  - each receiver's MAC is learned on its own port once it has sent once;
#  - unicast to a known MAC reaches only that port; broadcast, multicast and
#    unknown unicast reach every port but the ingress;
#  - nothing is lost, corrupted or reordered at these rates;
#  - each port's tx counter equals what its peer received;
#  - a peer that hangs up takes its port and MAC entries with it, and
#    frames to its MAC then flood;
#  - the conservation equations hold on every port and on the totals.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"
command -v jq >/dev/null || fail "jq missing (test.sh installs it)"

# A deep backlog: this test is about where frames go, not about how fast a
# busy 2-core machine schedules five readers (unix datagram sockets queue
# only net.unix.max_dgram_qlen = 10 frames on their own).
lanyard_start --backlog 8192 \
	--port "stream,id=su,path=$dir/su.sock" \
	--port "dgram,id=du,path=$dir/du.sock" \
	--port "stream,id=st,host=127.0.0.1,port=7001" \
	--port "dgram,id=dt,host=127.0.0.1,port=7002"
echo "ok: lanyard up with four listeners"

A=02:00:00:00:00:0a B=02:00:00:00:00:0b C=02:00:00:00:00:0c D=02:00:00:00:00:0d
rx_peer A "stream:unix:$dir/su.sock" $A --duration 60 --batch 32
rx_peer B "dgram:unix:$dir/du.sock" $B --duration 60 --batch 32
rx_peer C "stream:tcp:127.0.0.1:7001" $C --duration 60 --batch 32
rx_peer D "dgram:udp:127.0.0.1:7002@127.0.0.1:7102" $D --duration 60 --batch 32
wait_for '[ "$(ctlj fdb | jq ".fdb | length")" -eq 4 ]' "four MACs learned"
pa=$(mac_port $A) pb=$(mac_port $B) pc=$(mac_port $C) pd=$(mac_port $D)
[ "$pa" = su.1 ] && [ "$pb" = du.1 ] && [ "$pc" = st.1 ] && [ "$pd" = dt.1 ] ||
	fail "MACs on ports $pa $pb $pc $pd, want su.1 du.1 st.1 dt.1"
echo "ok: MAC table: A su.1, B du.1, C st.1, D dt.1"

# tx_phase NAME ENDPOINT SRC DST FLOW COUNT: send and make sure the sender
# itself got none of its own frames back.
tx_phase() {
	local name=$1 ep=$2 src=$3 dst=$4 flow=$5 n=$6
	peer "$name" tx "$ep" --src "$src" --dst "$dst" --flow "$flow" \
		--count "$n" --rate 10000 --size 200 --announce --linger 0.5
	peer_wait "$name"
	[ "$(report "$name" .sent)" -eq "$n" ] || fail "$name sent $(report "$name" .sent) of $n"
	[ "$(report "$name" .received)" -eq 0 ] ||
		fail "$name got $(report "$name" .received) of its own frames back"
}

S1=02:00:00:00:00:01 S2=02:00:00:00:00:02 S3=02:00:00:00:00:03 S4=02:00:00:00:00:04
tx_phase S1 "stream:unix:$dir/su.sock" $S1 $B 1 2000	# unicast to B
tx_phase S2 "dgram:unix:$dir/du.sock" $S2 ff:ff:ff:ff:ff:ff 2 1000	# broadcast
tx_phase S3 "stream:tcp:127.0.0.1:7001" $S3 02:00:00:00:00:99 3 500	# unknown unicast
tx_phase S4 "dgram:udp:127.0.0.1:7002@127.0.0.1:7104" $S4 01:00:5e:00:00:01 4 300	# multicast
echo "ok: four senders done, none saw its own frames"

wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
show=$(ctlj show)
tx_of() { jq -r --arg p "$1" '.ports[] | select(.id == $p) | .counters.tx' <<<"$show"; }
for x in A:$pa B:$pb C:$pc D:$pd; do
	eval "tx_${x%%:*}=$(tx_of "${x#*:}")"
done
check_conservation
echo "ok: conservation holds with all peers connected"

for x in A B C D; do
	kill "$(eval "echo \$pid_$x")"
	peer_wait $x
done

# expect PEER FLOW-SOURCE COUNT
expect() {
	local got
	got=$(jq -r --arg k "$2" '.sources[$k] // 0' "$dir/$1.out")
	[ "$got" -eq "$3" ] || fail "peer $1 got $got frames of $2, want $3: $(cat "$dir/$1.out") du.1: $(jq -c ".ports[] | select(.id == \"du.1\") | .counters" <<<"$show")"
}
for x in A B C D; do
	expect $x "$S1/1" "$([ $x = B ] && echo 2000 || echo 0)"
	expect $x "$S2/2" 1000
	expect $x "$S3/3" 500
	expect $x "$S4/4" 300
	for f in lost corrupted reordered other; do
		[ "$(report $x .$f)" -eq 0 ] || fail "peer $x: $f = $(report $x .$f)"
	done
	want=$(( $(report $x .received) + $(report $x .hellos) ))
	[ "$(eval "echo \$tx_$x")" -eq "$want" ] ||
		fail "port of $x sent $(eval "echo \$tx_$x") frames, peer saw $want"
done
echo "ok: unicast reached only B; broadcast, unknown unicast and multicast reached A-D"
echo "ok: no loss, corruption or reordering; port tx counters match the peers"

# A hung up: its port and MAC entry go; frames to A now flood.
wait_for '[ -z "$(mac_port $A)" ]' "A's MAC entry to go"
ctlj show | jq -e '[.ports[].id] | index("su.1") == null' >/dev/null ||
	fail "su.1 still listed after its peer hung up"
rx_peer E "stream:tcp:127.0.0.1:7001" 02:00:00:00:00:0e --duration 30
tx_phase S5 "dgram:unix:$dir/du.sock" 02:00:00:00:00:05 $A 5 100
kill "$pid_E"; peer_wait E
expect E "02:00:00:00:00:05/5" 100
echo "ok: a hung-up peer's port and MAC entry are gone; frames to it flood"

check_conservation
lanyard_stop
echo "ok: lanyard exits 0 on SIGTERM"
