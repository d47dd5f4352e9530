#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: a real QEMU 7.2 guest with two 802.1Q sub-interfaces on a
# trunk port reaches a namespace on an access port of each VLAN, and the
# two VLANs stay apart:
#    guest eth0.10 10.34.10.1, eth0.20 10.34.20.1 (virtio-net, stream)
#        == lanyard trunk=10,20 ==
#    packet vlan=10 -- ns10: 10.34.10.2, 10.99.0.2
#    packet vlan=20 -- ns20: 10.34.20.2, 10.99.0.3
#  - the guest (`ip link add link eth0 name eth0.10 type vlan id 10`, and
#    the same for 20) pings ns10 from eth0.10 and ns20 from eth0.20; ns10
#    and ns20 ping the guest back;
#  - the trunk carries both VLANs tagged: lanyard learned the guest's MAC
#    on the trunk port in VLAN 10 and in VLAN 20 (it drops untagged
#    frames there: no native VLAN), and dropped nothing for its VLAN;
#  - ns10 and ns20 share a second subnet, 10.99.0.0/24, so only the VLANs
#    keep them apart: a ping between them fails both ways; each one's ARP
#    requests entered lanyard and were flooded to the trunk, yet a capture
#    in the other namespace saw none of its frames, and neither
#    namespace's MAC is learned in the other's VLAN;
#  - counters conserve; lanyard exits 0 on SIGTERM.
# IPv6 is off in the guest and the namespaces: only the test's own
# frames cross the switch.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 77
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/guest.sh
. "$here/lib/guest.sh"
# The image first: the package mirror is out of reach from the namespace
# netns.sh runs the rest of this script in (there, this finds it built).
guest_image_build "${LANYARD_CACHE:-/var/cache/lanyard-tests}/guest" ||
	{ echo "FAIL: cannot build the guest image" >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=lib/netns.sh
. "$here/lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=lib/switch.sh
. "$here/lib/switch.sh"

need_cmds qemu-system-x86_64=qemu-system-x86,seabios jq tcpdump

ns10=lyqvl10-$$ ns20=lyqvl20-$$
guest_mac=52:54:00:34:00:01 mac10=02:00:00:34:00:10 mac20=02:00:00:34:00:20
g10=10.34.10.1 g20=10.34.20.1 ip10=10.34.10.2 ip20=10.34.20.2
x10=10.99.0.2 x20=10.99.0.3
cleanup() {
	guest_cleanup
	switch_cleanup
	ip netns del "$ns10" 2>/dev/null || true
	ip netns del "$ns20" 2>/dev/null || true
}
trap cleanup EXIT
export GUEST_WORK=$dir
t_start=$SECONDS

# fail: lanyard's ports, MAC table and log, the guest's console; exit 1.
fail() {
	echo "FAIL: $*" >&2
	if [ -n "$lanyard_pid" ]; then
		ctlj show 2>/dev/null | jq -c '.ports[] | {id, vlan, rx: .counters.rx,
			tx: .counters.tx, drops: (.counters.drops |
			with_entries(select(.value > 0)))}' >&2 || true
		"$LANYARDCTL" --ctl "$ctl" fdb >&2 2>/dev/null || true
		tail -n 20 "$lanyard_log" >&2 2>/dev/null || true
	fi
	[ -z "$(guest_pid g)" ] || guest_dump g
	exit 1
}

# --- two namespaces on access ports, a stream trunk for the guest -------------
# no_ipv6 [ip netns exec NS]: IPv6 off here, or in NS.
no_ipv6() { "$@" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }
no_ipv6
# access NS SW-END MAC ADDR...: a veth, SW-END here, eth0 (MAC, ADDRs) in NS.
access() {
	local ns=$1 sw=$2 mac=$3 a
	shift 3
	ip netns add "$ns"
	no_ipv6 ip netns exec "$ns"
	ip -n "$ns" link set lo up
	ip link add "$sw" type veth peer name eth0 netns "$ns"
	ip link set "$sw" up
	ip -n "$ns" link set eth0 address "$mac"
	for a in "$@"; do
		ip -n "$ns" addr add "$a/24" dev eth0
	done
	ip -n "$ns" link set eth0 up
}
access "$ns10" lyv10 "$mac10" "$ip10" "$x10"
access "$ns20" lyv20 "$mac20" "$ip20" "$x20"
lanyard_start \
	--port "packet,id=p10,ifname=lyv10,vlan=10" \
	--port "packet,id=p20,ifname=lyv20,vlan=20" \
	--port "stream,id=tr,path=$dir/tr.sock,trunk=10,20"
echo "ok: lanyard up: p10 (vlan 10), p20 (vlan 20), trunk tr (10,20)"

# --- the guest: eth0.10 and eth0.20, pings ns10 then ns20 -----------------------
guest_start g idle 10.34.0.1/24 \
	"stream,addr.type=unix,addr.path=$dir/tr.sock" virtio-net-pci "$guest_mac" \
	"lanyard.vlan=10:$g10/24,20:$g20/24" "lanyard.peer=$ip10,$ip20" \
	lanyard.wait=1 ipv6.disable=1
guest_wait_log g 'GUEST-UP' 180 || fail "the guest did not come up"
guest_wait_log g "GUEST-VLAN-UP eth0.20 " 10 ||
	fail "the guest did not bring up eth0.10 and eth0.20 (lib/guest.sh: lanyard.vlan=, 8021q)"
echo "ok: guest up with eth0.10 and eth0.20 in $((SECONDS - t_start)) s"
guest_wait_log g "PING-READY $ip20\$|PING-NOT-READY" 120 ||
	fail "the guest did not finish pinging ns10 and ns20"
[ -n "$(guest_lines g "^PING-READY $ip10\$")" ] || fail "eth0.10 cannot ping ns10 ($ip10)"
[ -n "$(guest_lines g "^PING-READY $ip20\$")" ] || fail "eth0.20 cannot ping ns20 ($ip20)"
echo "ok: the guest pings ns10 from eth0.10 and ns20 from eth0.20"
for v in 10 20; do
	ns=ns$v g=g$v
	out=$(ip netns exec "${!ns}" ping -c 3 -i 0.3 -W 2 "${!g}" 2>&1) ||
		fail "$ns cannot ping the guest's eth0.$v: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	grep -q ' 0% packet loss' <<<"$out" || fail "$ns -> eth0.$v: lost echoes"
done
echo "ok: ns10 and ns20 ping the guest back"

# --- the trunk: the guest's MAC in both VLANs, both tagged --------------------------
macs() {	# MAC: its MAC table entries as "PORT/VLAN ...", sorted
	ctlj fdb | jq -r --arg m "$1" '[.fdb[] | select(.mac == $m) |
		"\(.port)/\(.vlan)"] | sort | join(" ")'
}
tr_id=$(children tr)
[ "$(wc -w <<<"$tr_id")" -eq 1 ] || fail "want one trunk child port, have '$tr_id'"
[ "$(macs "$guest_mac")" = "$tr_id/10 $tr_id/20" ] ||
	fail "the guest's MAC is at '$(macs "$guest_mac")', want '$tr_id/10 $tr_id/20'"
ctlj show | jq -e --arg p "$tr_id" '.ports[] | select(.id == $p) |
	(.vlan | test("trunk 10,20")) and .counters.drops.vlan == 0' >/dev/null ||
	fail "trunk $tr_id: not 'trunk 10,20' or frames dropped for their VLAN"
echo "ok: the guest's MAC learned on $tr_id in VLAN 10 and VLAN 20, no vlan drops"

# --- isolation: same subnet, different VLANs ------------------------------------------
# Each namespace's eth0 is captured: its own ARP requests show the
# capture works, the other's must never appear.
capture_start in10 "$ns10" eth0 arp or icmp
capture_start in20 "$ns20" eth0 arp or icmp
# cross FROM ADDR: FROM's namespace cannot ping ADDR (the other's), yet
# its ARP requests entered lanyard and were flooded to the trunk.
cross() {
	local from=$1 addr=$2 ns rx0 fl0 rx fl
	ns=ns${from#p}
	rx0=$(counter "$from" .rx) fl0=$(counter "$tr_id" .tx)
	if ip netns exec "${!ns}" ping -c 2 -i 0.5 -W 1 "$addr" >/dev/null 2>&1; then
		fail "$ns reached $addr in the other VLAN"
	fi
	rx=$(($(counter "$from" .rx) - rx0)) fl=$(($(counter "$tr_id" .tx) - fl0))
	if [ "$rx" -lt 1 ] || [ "$fl" -lt 1 ]; then
		fail "$ns -> $addr: $from read $rx frames, the trunk sent $fl: the ARP did not flood"
	fi
	echo "ok: $ns cannot ping $addr: $rx frames in by $from, $fl flooded to the trunk"
}
cross p10 "$x20"
cross p20 "$x10"
capture_stop in10
capture_stop in20
# frames_from CAPTURE MAC: the frames in CAPTURE sent by MAC.
frames_from() { tcpdump -r "$dir/$1.pcap" -nn -e "ether src $2" 2>/dev/null | wc -l; }
own10=$(frames_from in10 "$mac10") own20=$(frames_from in20 "$mac20")
leak10=$(frames_from in20 "$mac10") leak20=$(frames_from in10 "$mac20")
if [ "$own10" -lt 1 ] || [ "$own20" -lt 1 ]; then
	fail "the captures saw $own10 frames from ns10 in ns10, $own20 from ns20 in ns20"
fi
[ "$leak10" -eq 0 ] || fail "$leak10 frames from ns10 reached ns20: $(tcpdump -r "$dir/in20.pcap" -nn -e 2>/dev/null | head -n 5)"
[ "$leak20" -eq 0 ] || fail "$leak20 frames from ns20 reached ns10: $(tcpdump -r "$dir/in10.pcap" -nn -e 2>/dev/null | head -n 5)"
echo "ok: no frame crossed: ns10 sent $own10, ns20 sent $own20, none reached the other"
[ "$(macs "$mac10")" = "p10/10" ] || fail "ns10's MAC is at '$(macs "$mac10")', want 'p10/10'"
[ "$(macs "$mac20")" = "p20/20" ] || fail "ns20's MAC is at '$(macs "$mac20")', want 'p20/20'"
echo "ok: ns10's MAC only in VLAN 10, ns20's only in VLAN 20"
check_conservation

guest_stop g
lanyard_stop
echo "ok: lanyard exited 0 on SIGTERM"
echo "PASS ($((SECONDS - t_start)) s)"
