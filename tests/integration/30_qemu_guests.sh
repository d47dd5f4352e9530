#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: two real QEMU 7.2 guests talk to each other through lanyard.
#  - guest A has an e1000 NIC on a lanyard stream port (QEMU dials lanyard's
#    unix stream socket), guest B a virtio-net-pci NIC on a lanyard dgram
#    port (unix datagrams);
#  - each pings the other until it answers, then B sends a TCP line to A
#    and the line shows up on A's console;
#  - lanyardctl then shows, for both guest ports, frames received and sent,
#    and both guests' MACs in the MAC table on the right ports, and the
#    counters conserve on every port.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 77
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/switch.sh
. "$here/lib/switch.sh"
# shellcheck source-path=SCRIPTDIR source=lib/guest.sh
. "$here/lib/guest.sh"

need_cmds qemu-system-x86_64=qemu-system-x86,seabios jq

export GUEST_WORK=$dir
trap 'guest_cleanup; switch_cleanup' EXIT

guest_image_build "${LANYARD_CACHE:-/var/cache/lanyard-tests}/guest" ||
	fail "cannot build the guest image"

# --- lanyard: one stream listener, one dgram endpoint ------------------------
lanyard_start \
	--port "stream,id=st,path=$dir/st.sock" \
	--port "dgram,id=dg,path=$dir/dg.sock"
echo "ok: lanyard up"

# --- two guests -----------------------------------------------------------------
msg=lanyard-tcp-$$-$RANDOM
mac_a=52:54:00:77:00:01
mac_b=52:54:00:77:00:02
guest_start a server 10.77.0.1/24 \
	"stream,addr.type=unix,addr.path=$dir/st.sock" e1000 "$mac_a" \
	lanyard.peer=10.77.0.2 lanyard.wait=1
guest_start b client 10.77.0.2/24 \
	"dgram,local.type=unix,local.path=$dir/b.dg,remote.type=unix,remote.path=$dir/dg.sock" \
	virtio-net-pci "$mac_b" \
	lanyard.peer=10.77.0.1 lanyard.wait=1 "lanyard.msg=$msg" lanyard.end=stay

guest_wait_log a 'GUEST-UP' 120 || fail "guest A (e1000, stream) did not come up"
guest_wait_log b 'GUEST-UP' 120 || fail "guest B (virtio-net, dgram) did not come up"
echo "ok: both guests booted"
guest_wait_log a 'PING-READY' 90 || fail "guest A cannot ping guest B through lanyard"
guest_wait_log b 'PING-READY' 90 || fail "guest B cannot ping guest A through lanyard"
echo "ok: the guests ping each other"
guest_wait_log b 'TCP-SENT|TCP-SEND-FAILED' 90 || fail "guest B did not finish sending"
guest_wait_log a "TCP-RECEIVED: $msg\$" 30 || fail "the TCP message did not reach guest A"
echo "ok: TCP message from B (dgram) arrived at A (stream)"

# --- what lanyardctl shows ----------------------------------------------------
show=$("$LANYARDCTL" --ctl "$ctl" show -j) || fail "lanyardctl show -j failed"
jq -e '.version == 1' >/dev/null <<<"$show" || fail "show -j: no version 1: $show"
check_port() {	# parent what
	local p
	p=$(jq -c --arg par "$1" \
		'[.ports[] | select(.parent == $par and .state != "listening")]' <<<"$show")
	[ "$(jq 'length' <<<"$p")" -ge 1 ] || fail "no $2 guest port under '$1': $show"
	jq -e 'all(.[]; .counters.rx > 0 and .counters.tx > 0 and
		.counters.rx_bytes > 0 and .counters.tx_bytes > 0)' >/dev/null <<<"$p" ||
		fail "$2 port counters not all > 0: $p"
	echo "ok: $2 port $(jq -r '.[0].id' <<<"$p"): $(jq -r \
		'.[0].counters | "rx \(.rx) tx \(.tx)"' <<<"$p")"
}
check_port st stream
check_port dg dgram

fdb=$("$LANYARDCTL" --ctl "$ctl" fdb -j) || fail "lanyardctl fdb -j failed"
port_of() { jq -r --arg m "$1" '[.fdb[] | select(.mac == $m) | .port][0] // ""' <<<"$fdb"; }
pa=$(port_of "$mac_a")
pb=$(port_of "$mac_b")
case "$pa" in st.*) ;; *) fail "MAC of A learned on '$pa', not a st.N port: $fdb" ;; esac
case "$pb" in dg.*) ;; *) fail "MAC of B learned on '$pb', not a dg port: $fdb" ;; esac
echo "ok: MAC table has A on $pa and B on $pb"
check_conservation
echo "ok: counters conserve on every port"
echo "PASS"
