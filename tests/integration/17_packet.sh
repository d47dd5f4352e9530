#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: packet ports attach existing interfaces (here the switch ends
# of two veth pairs, the other ends in two namespaces) with AF_PACKET:
#  - the namespaces ping each other through the switch;
#  - iperf3 TCP for 10 s each way, with offloads on (super-frames cross
#    whole) and off (lanyard segments them in software before sending:
#    the kernel still hands a packet socket super-frames);
#  - the bytes lanyard counted agree with iperf3's, counters conserve,
#    lanyardctl shows each port's interface, header and offloads;
#  - frames the host itself sends out of an attached interface are not
#    the peer's: the host's MAC is never learned;
#  - a packet port and a tap port on one switch carry TCP between them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"

command -v iperf3 >/dev/null || fail "iperf3 is not installed (scripts/deps.sh)"
nsA=lanyard-pktA-$$ nsB=lanyard-pktB-$$
cleanup() {
	switch_cleanup
	ip link del lyva 2>/dev/null || true
	ip link del lyvb 2>/dev/null || true
	ip netns del "$nsA" 2>/dev/null || true
	ip netns del "$nsB" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$nsA"
ip netns add "$nsB"
ip -n "$nsA" link set lo up
ip -n "$nsB" link set lo up

# veth_to NS SW-END NS-END ADDR: a veth with SW-END here (up, no address)
# and NS-END in NS with ADDR.
veth_to() {
	ip link add "$2" type veth peer name "$3" netns "$1"
	ip link set "$2" up
	ip -n "$1" addr add "$4/24" dev "$3"
	ip -n "$1" link set "$3" up
}
veth_to "$nsA" lyva eth0 10.78.0.1
veth_to "$nsB" lyvb eth0 10.78.0.2

# iperf NAME SECONDS [iperf3 client args...]: TCP from A to B; prints
# the bytes iperf3's receiver got.
iperf() { iperf_tcp "$nsB" "$nsA" 10.78.0.2 "$@"; }

# run_pair NAME OPTS SECONDS: a fresh switch on lyva and lyvb, ping,
# iperf3 both ways; the counters against iperf3's bytes.
run_pair() {
	local name=$1 o=$2 secs=$3 up down rx_a rx_b tx_b txf_b
	lanyard_start --port "packet,id=pa,ifname=lyva$o" --port "packet,id=pb,ifname=lyvb$o"
	ip netns exec "$nsA" ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null ||
		fail "$name: no ping across the switch"
	up=$(iperf "$name-up" "$secs")
	down=$(iperf "$name-down" "$secs" -R)
	rx_a=$(counter pa .rx_bytes) rx_b=$(counter pb .rx_bytes)
	tx_b=$(counter pb .tx_bytes) txf_b=$(counter pb .tx)
	[ "$rx_a" -ge "$up" ] && [ "$rx_a" -le $((up + up / 10 + 1000000)) ] ||
		fail "$name: pa read $rx_a bytes for $up iperf3 bytes"
	[ "$rx_b" -ge "$down" ] && [ "$rx_b" -le $((down + down / 10 + 1000000)) ] ||
		fail "$name: pb read $rx_b bytes for $down iperf3 bytes"
	check_conservation
	[ "$(ctlj show | jq '[.totals.drops[]] | add')" -eq 0 ] ||
		fail "$name: drops: $(ctlj show | jq -c .totals.drops)"
	echo "ok: $name: ping; iperf3 $((up * 8 / secs / 1000000)) Mbit/s up, $((down * 8 / secs / 1000000)) Mbit/s down; pb sent $txf_b frames, $tx_b bytes"
	last_tx_frames=$txf_b last_tx_bytes=$tx_b
	lanyard_stop
}

run_pair on "" 10
# lanyard read super-frames and passed them on whole
[ "$last_tx_frames" -lt $((last_tx_bytes / 1514 / 4)) ] ||
	fail "offloads on: $last_tx_frames frames for $last_tx_bytes bytes: no super-frames"
run_pair off ",offload=off" 10
# every frame sent fits an Ethernet MTU: lanyard segmented
[ $((last_tx_bytes / last_tx_frames)) -le 1514 ] ||
	fail "offloads off: $last_tx_frames frames for $last_tx_bytes bytes: not segmented"
echo "ok: offloads on pass super-frames, offloads off segment them"

# What the host sends out of lyva itself is not from A's side.
lanyard_start --port "packet,id=pa,ifname=lyva" --port "packet,id=pb,ifname=lyvb"
ctlj show | jq -e '.ports[] | select(.id == "pa") | .info.ifname == "lyva"' >/dev/null ||
	fail "show: $(ctlj show | jq -c '.ports[0].info')"
"$LANYARDCTL" --ctl "$ctl" show | grep -q 'ifname=lyva.*offloads=csum,tso4' ||
	fail "show text: $("$LANYARDCTL" --ctl "$ctl" show)"
ip addr add 10.78.0.99/24 dev lyva
ping -c 3 -i 0.2 -W 1 -I lyva 10.78.0.1 >/dev/null || fail "host cannot reach A over lyva"
host_mac=$(cat /sys/class/net/lyva/address)
[ -z "$(mac_port "$host_mac")" ] || fail "the host's own MAC was learned on $(mac_port "$host_mac")"
ip addr del 10.78.0.99/24 dev lyva
echo "ok: the host's own frames on an attached interface are ignored"

# A packet port and a tap port together.
"$LANYARDCTL" --ctl "$ctl" port del pb >/dev/null
"$LANYARDCTL" --ctl "$ctl" port add "tap,id=tb,ifname=lytb" >/dev/null
ip link del lyvb
ip link set lytb netns "$nsB"
ip -n "$nsB" addr add 10.78.0.2/24 dev lytb
ip -n "$nsB" link set lytb up
ip -n "$nsA" neigh flush all	# B's address has a new MAC now
ip netns exec "$nsA" ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null ||
	fail "no ping between a packet port and a tap port"
bytes=$(iperf mixed 3)
[ "$bytes" -gt 0 ] || fail "no TCP between a packet port and a tap port"
check_conservation
echo "ok: packet <-> tap: $((bytes * 8 / 3 / 1000000)) Mbit/s"
lanyard_stop
