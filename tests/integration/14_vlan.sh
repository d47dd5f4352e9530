#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: 802.1Q VLANs as a user of access and trunk ports sees them:
#  - a tagged broadcast from a trunk reaches the access ports of its VLAN,
#    untagged, and no port of another VLAN;
#  - a frame from an access port leaves a trunk tagged with that port's
#    VLAN;
#  - a trunk peer's MAC is learned in the frame's VLAN under its own
#    address, and unicast to it reaches it alone;
#  - an untagged frame on a trunk without native VLAN, and a frame tagged
#    for another VLAN on an access port, are dropped and counted (vlan);
#  - a trunk with native=20 carries VLAN 20 untagged;
#  - counters conserve.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77

lanyard_start \
	--port "stream,id=a10,path=$dir/a10.sock,vlan=10" \
	--port "stream,id=b20,path=$dir/b20.sock,vlan=20" \
	--port "stream,id=c10,path=$dir/c10.sock,vlan=10" \
	--port "dgram,id=tr,path=$dir/tr.sock,trunk=10,20" \
	--port "dgram,id=tn,path=$dir/tn.sock,trunk=10,20,native=20"
A=02:00:00:00:00:0a B=02:00:00:00:00:0b C=02:00:00:00:00:0c
T=02:00:00:00:00:1f N=02:00:00:00:00:2f
rx_peer A "stream:unix:$dir/a10.sock" $A --duration 60
rx_peer B "stream:unix:$dir/b20.sock" $B --duration 60
rx_peer C "stream:unix:$dir/c10.sock" $C --duration 60
rx_peer T "dgram:unix:$dir/tr.sock" $T --vlan 10 --duration 60
rx_peer N "dgram:unix:$dir/tn.sock" $N --duration 60
show=$(ctlj show)
jq -e '.ports[] | select(.id == "tr") | .vlan | test("trunk 10,20")' >/dev/null <<<"$show" ||
	fail "show does not print tr's trunk: $(jq -c '[.ports[] | {id, vlan}]' <<<"$show")"
# Hellos: T's tagged for VLAN 10, N's untagged = its native VLAN 20.
wait_for '[ "$(ctlj fdb | jq -c --arg m $T "[.fdb[] | select(.mac == \$m) | [.port, .vlan]]")" = "[[\"tr.1\",10]]" ]' \
	"T learned as $T in VLAN 10 on tr.1 (fdb: $(ctlj fdb | jq -c .fdb))"
wait_for '[ "$(ctlj fdb | jq -c --arg m $N "[.fdb[] | select(.mac == \$m) | [.port, .vlan]]")" = "[[\"tn.1\",20]]" ]' \
	"N learned in VLAN 20 on tn.1"
echo "ok: trunk peers learned under their own MACs in the frame's VLAN"

send() {	# name endpoint src dst flow count [args]
	local name=$1 ep=$2 src=$3 dst=$4 flow=$5 n=$6; shift 6
	peer "$name" tx "$ep" --src "$src" --dst "$dst" --flow "$flow" \
		--count "$n" --rate 5000 "$@"
	peer_wait "$name"
}
BC=ff:ff:ff:ff:ff:ff
send s1 "dgram:unix:$dir/tr.sock" 02:00:00:00:00:01 $BC 1 200 --vlan 10
send s2 "dgram:unix:$dir/tr.sock" 02:00:00:00:00:02 $BC 2 100 --vlan 20:5
send s3 "stream:unix:$dir/a10.sock" 02:00:00:00:00:03 $BC 3 150
send s4 "stream:unix:$dir/c10.sock" 02:00:00:00:00:04 $T 4 50
send s5 "dgram:unix:$dir/tr.sock" 02:00:00:00:00:05 $BC 5 10	# untagged on trunk
send s6 "stream:unix:$dir/a10.sock" 02:00:00:00:00:06 $BC 6 10 --vlan 20	# tagged on access
send s7 "dgram:unix:$dir/tn.sock" 02:00:00:00:00:07 $BC 7 30	# native 20

wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
check_conservation
drops=$(ctlj show | jq '.totals.drops.vlan')
[ "$drops" -eq 20 ] || fail "vlan drops $drops, want 20 (10 untagged on trunk, 10 tagged on access)"
echo "ok: untagged frames on a trunk and tagged ones on an access port dropped (vlan 20)"

for x in A B C T N; do
	kill "$(eval "echo \$pid_$x")"
	peer_wait $x
done
got() { jq -r --arg k "$2" '.sources[$k] // 0' "$dir/$1.out"; }
expect() {	# peer source/flow count
	[ "$(got "$1" "$2")" -eq "$3" ] || fail "peer $1 got $(got "$1" "$2") of $2, want $3: $(cat "$dir/$1.out")"
}
expect A 02:00:00:00:00:01/1 200; expect C 02:00:00:00:00:01/1 200; expect B 02:00:00:00:00:01/1 0
expect N 02:00:00:00:00:01/1 200
expect B 02:00:00:00:00:02/2 100; expect A 02:00:00:00:00:02/2 0; expect C 02:00:00:00:00:02/2 0
expect N 02:00:00:00:00:02/2 100
echo "ok: tagged floods from a trunk reach only their VLAN's ports"
expect T 02:00:00:00:00:03/3 150; expect C 02:00:00:00:00:03/3 150; expect B 02:00:00:00:00:03/3 0
expect T 02:00:00:00:00:04/4 50; expect A 02:00:00:00:00:04/4 0
for f in 5 6; do
	for x in A B C T N; do expect $x 02:00:00:00:00:0$f/$f 0; done
done
expect B 02:00:00:00:00:07/7 30; expect T 02:00:00:00:00:07/7 30; expect A 02:00:00:00:00:07/7 0
echo "ok: access frames leave trunks tagged; unicast to a trunk peer reaches it alone"
# What left each trunk tagged, by VID: T (tr.1; the senders on tr.sock
# were other ports, tr.2...) gets VLAN 10 (flows 1, 3, 4) and VLAN 20
# (flows 2, 7); N gets VLAN 10 tagged (flows 1, 3) and VLAN 20 untagged.
expect T 02:00:00:00:00:01/1 200; expect T 02:00:00:00:00:02/2 100
[ "$(jq -c .vlans "$dir/T.out")" = '{"10":400,"20":130}' ] || fail "T's tags: $(jq -c .vlans "$dir/T.out")"
[ "$(jq -c .vlans "$dir/N.out")" = '{"10":350}' ] || fail "N's tags: $(jq -c .vlans "$dir/N.out")"
for x in A B C; do
	[ "$(report $x .tagged)" -eq 0 ] || fail "access peer $x got tagged frames"
done
echo "ok: tags on the wire: trunks tagged per VLAN, native untagged, access ports untagged"
lanyard_stop
