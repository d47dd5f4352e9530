#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: lanyard's vxlan port interoperates with the Linux kernel's
# vxlan device, with a real QEMU guest at one end and a namespace behind a
# kernel bridge at the other:
#    guest (QEMU, virtio-net, MTU 1450) --stream-- lanyard [host A]
#        == VXLAN VNI 42, UDP 4789, underlay 192.168.91.0/24 ==
#    vx0 (kernel) -- br0 -- veth -- namespace C (MTU 1450)   [host B]
#  - C and the guest ping each other, 1464-byte frames included;
#  - TCP both ways: 2 MiB of random data each way (the guest's "bulk"
#    role), md5 and byte count equal on both ends, no bad TCP checksum at
#    the guest; the guest's SYN carries MSS 1410 (its MTU is 1450);
#  - the kernel took lanyard's datagrams: vx0 counted at least as many as
#    the capture saw lanyard send, and no receive errors (a header with a
#    reserved bit set is an error there); the kernel learned the guest's
#    MAC at A's address, lanyard learned C's at B's (fdb "dst");
#  - the underlay capture: every datagram of lanyard's has flags 0x08, VNI
#    42, destination port 4789 and a source port in 49152-65535, and the
#    source port varies with the inner flow;
#  - static: vx0 recreated with nolearning, a flood entry and a static
#    entry for the guest; lanyard's port re-added with learning=off and no
#    remote, C's MAC pinned with `lanyardctl fdb add C_MAC vx dst B`: C
#    pings the guest; fdb -j shows the static entry with dst B; without
#    the entry the guest's replies have no VTEP (no-vtep) and the ping
#    fails; with it back, it passes again;
#  - lanyard exits 0 on SIGTERM with no sanitizer report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/netns.sh
. "$here/lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=lib/switch.sh
. "$here/lib/switch.sh"
# shellcheck source-path=SCRIPTDIR source=lib/guest.sh
. "$here/lib/guest.sh"

need_cmds qemu-system-x86_64=qemu-system-x86,seabios jq socat tcpdump bridge=iproute2

nsA=lyqvx-a-$$ nsB=lyqvx-b-$$ nsC=lyqvx-c-$$
ipA=192.168.91.1 ipB=192.168.91.2
guest_ip=10.91.0.2 c_ip=10.91.0.3
guest_mac=52:54:00:91:00:02 c_mac=02:00:00:91:00:03
port=5033
mib=2
bytes=$((mib * 1048576))
cleanup() {
	guest_cleanup
	switch_cleanup
	ip netns del "$nsA" 2>/dev/null || true
	ip netns del "$nsB" 2>/dev/null || true
	ip netns del "$nsC" 2>/dev/null || true
}
trap cleanup EXIT
export GUEST_WORK=$dir
t_start=$SECONDS

# fail: lanyard's ports and MAC table, the kernel side's vx0 and its FDB,
# lanyard's log; exit 1.  (Replaces switch.sh's, which shows the log only.)
fail() {
	echo "FAIL: $*" >&2
	if [ -n "$lanyard_pid" ]; then
		echo "--- lanyard: ports" >&2
		ctlj show 2>/dev/null | jq -c '.ports[] | {id, kind, rx: .counters.rx,
			rx_bytes: .counters.rx_bytes, tx: .counters.tx, tx_bytes: .counters.tx_bytes,
			drops: (.counters.drops | with_entries(select(.value > 0))),
			errors: (.counters.errors | with_entries(select(.value > 0))), info}' >&2 ||
			echo "(lanyardctl show failed)" >&2
		"$LANYARDCTL" --ctl "$ctl" fdb >&2 2>/dev/null || true
	fi
	echo "--- host B: vx0 and its FDB" >&2
	ip -n "$nsB" -s -d link show vx0 >&2 2>/dev/null || true
	bridge -n "$nsB" fdb show dev vx0 >&2 2>/dev/null || true
	echo "--- lanyard log" >&2
	tail -n 30 "$lanyard_log" >&2 2>/dev/null || true
	exit 1
}

guest_image_build "${LANYARD_CACHE:-/var/cache/lanyard-tests}/guest" ||
	fail "cannot build the guest image"

# --- the hosts ---------------------------------------------------------------
ns_new() {	# NS: loopback up, no IPv6 (no stray ND/MLD frames)
	ip netns add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$1" link set lo up
}
ns_new "$nsA"
ns_new "$nsB"
ns_new "$nsC"
# The underlay: a veth between A and B.
ip -n "$nsA" link add ua type veth peer name ub netns "$nsB"
ip -n "$nsA" addr add "$ipA/24" dev ua
ip -n "$nsA" link set ua up
ip -n "$nsB" addr add "$ipB/24" dev ub
ip -n "$nsB" link set ub up
# The kernel's vxlan device leaves the inner TCP/UDP checksums to the
# underlay NIC and passes TCP super-frames whole; a veth hands both on
# as they are.  lanyard must finish them (docs/ports.md): the guest's
# checksum-error counters below stay 0 only if it does.
# B: br0 joins the kernel's vxlan device and a veth to C.
ip -n "$nsB" link add br0 type bridge
ip -n "$nsB" link add bc type veth peer name eth0 netns "$nsC"
ip -n "$nsB" link set bc mtu 1450 master br0 up
ip -n "$nsC" link set eth0 address "$c_mac" mtu 1450
ip -n "$nsC" addr add "$c_ip/24" dev eth0
ip -n "$nsC" link set eth0 up
# vx0_add [ARGS...]: B's vxlan device, VNI 42, port 4789, in br0.
vx0_add() {
	ip -n "$nsB" link add vx0 type vxlan id 42 dstport 4789 local "$ipB" dev ub "$@"
	ip -n "$nsB" link set vx0 master br0 up
}
vx0_add remote "$ipA"
ip -n "$nsB" link set br0 up
echo "ok: host B: vx0 (VNI 42, dstport 4789, remote $ipA) and C in br0"

# --- host A: lanyard, a vxlan port and a stream listener for the guest -----
lanyard_start_in "$nsA" \
	--port "vxlan,id=vx,vni=42,local=$ipA,remote=$ipB" \
	--port "stream,id=st,path=$dir/st.sock"
capture_start ul "$nsA" ua udp port 4789
guest_start g bulk "$guest_ip/24" \
	"stream,addr.type=unix,addr.path=$dir/st.sock" "virtio-net-pci,host_mtu=1450" "$guest_mac" \
	"lanyard.peer=$c_ip" "lanyard.port=$port" "lanyard.mib=$mib" lanyard.wait=1 lanyard.end=stay
guest_wait_log g 'GUEST-UP' 180 || fail "the guest did not come up"
guest_wait_log g 'BULK-LISTENING' 120 || fail "the guest does not listen"
echo "ok: guest booted in $((SECONDS - t_start)) s"

# --- ping ------------------------------------------------------------------------
end=$((SECONDS + 60))
until ip netns exec "$nsC" ping -c 1 -W 1 "$guest_ip" >/dev/null 2>&1; do
	[ "$SECONDS" -lt "$end" ] || fail "C cannot ping the guest through vx0 and lanyard"
	sleep 0.5
done
# ping_ok WHAT [ping args]: 5 echoes C -> guest, every one answered.
ping_ok() {
	local what=$1 out
	shift
	out=$(ip netns exec "$nsC" ping -c 5 -i 0.3 -W 3 "$@" "$guest_ip" 2>&1) ||
		fail "$what: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	grep -q ' 0% packet loss' <<<"$out" || fail "$what: lost echoes: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
}
ping_ok "C -> guest"
ping_ok "C -> guest, 1464-byte frames" -s 1422 -M "do"
echo "ok: C pings the guest, 1464-byte frames included"

# --- TCP: C -> guest --------------------------------------------------------------
head -c "$bytes" /dev/urandom >"$dir/tx.bin"
tx_md5=$(md5sum "$dir/tx.bin" | cut -d' ' -f1)
timeout 150 ip netns exec "$nsC" socat -u "OPEN:$dir/tx.bin" \
	"TCP:$guest_ip:$port,connect-timeout=10" >"$dir/socat1.log" 2>&1 &
sp=$!
peer_pids+=("$sp")	# killed by switch_cleanup
guest_wait_log g 'BULK-RECEIVED' 120 ||
	fail "C -> guest: transfer did not complete: $(cat "$dir/socat1.log")"
wait "$sp" || fail "C -> guest: socat failed: $(cat "$dir/socat1.log")"
read -r _ g_md5 g_bytes < <(guest_lines g '^BULK-RECEIVED ' | tail -n 1) || true
[ "$g_md5 $g_bytes" = "$tx_md5 $bytes" ] ||
	fail "C -> guest: the guest got md5 $g_md5, $g_bytes bytes; C sent $tx_md5, $bytes bytes"
guest_wait_log g '^BULK-STATS ' 30 || fail "the guest printed no BULK-STATS"
stats=$(guest_lines g '^BULK-STATS ' | head -n 1)
case "$stats" in
*" tcp-csum=0 ip-hdr=0 "*) ;;
*) fail "C -> guest: the guest's TCP/IP found bad segments: $stats" ;;
esac
echo "ok: C -> guest: $bytes bytes, md5 equal ($stats)"

# --- TCP: guest -> C (it pings C first: PING-READY) ---------------------------------
timeout 150 ip netns exec "$nsC" socat -u \
	"TCP-LISTEN:$port,bind=$c_ip,reuseaddr" "CREATE:$dir/rx.bin" >"$dir/socat2.log" 2>&1 &
sp=$!
peer_pids+=("$sp")	# killed by switch_cleanup
guest_wait_log g 'PING-READY|PING-NOT-READY' 200 || fail "the guest did not ping C"
[ -n "$(guest_lines g '^PING-READY')" ] || fail "the guest cannot ping C"
echo "ok: the guest pings C"
guest_wait_log g 'BULK-SENT|BULK-SEND-FAILED' 120 || fail "guest -> C: transfer did not complete"
[ -n "$(guest_lines g '^BULK-SENT$')" ] || fail "guest -> C: the guest could not send"
wait "$sp" || fail "guest -> C: socat failed: $(cat "$dir/socat2.log")"
read -r _ gs_md5 gs_bytes < <(guest_lines g '^BULK-MD5 ' | tail -n 1) || true
rx_md5=$(md5sum "$dir/rx.bin" | cut -d' ' -f1) rx_bytes=$(stat -c %s "$dir/rx.bin")
[ "$rx_md5 $rx_bytes" = "$gs_md5 $gs_bytes" ] && [ "$rx_bytes" -eq "$bytes" ] ||
	fail "guest -> C: C received md5 $rx_md5, $rx_bytes bytes; the guest sent $gs_md5, $gs_bytes bytes"
echo "ok: guest -> C: $rx_bytes bytes, md5 equal"

# --- what both ends learned ------------------------------------------------------
[ "$(ctlj show | jq -r '.ports[] | select(.id == "vx") | .info.vtep_list')" = "$ipB" ] ||
	fail "lanyard's vtep_list is not $ipB"
e=$(ctlj fdb | jq -r --arg m "$c_mac" '[.fdb[] | select(.mac == $m)][0] // {} | "\(.port) \(.dst)"')
[ "$e" = "vx $ipB" ] || fail "lanyard's entry for C's MAC: '$e', want 'vx $ipB'"
grep -q "^$guest_mac dst $ipA " <<<"$(bridge -n "$nsB" fdb show dev vx0)" ||
	fail "the kernel did not learn the guest's MAC at $ipA: $(bridge -n "$nsB" fdb show dev vx0)"
echo "ok: lanyard learned C's MAC at $ipB, the kernel the guest's at $ipA"

# --- the underlay capture, and what the kernel took ------------------------------
capture_stop ul
pcap_vxlan "$dir/ul.pcap" >"$dir/ul.txt"
n_ab=$(awk -v s="$ipA" -v d="$ipB" '$1 == s && $3 == d' "$dir/ul.txt" | wc -l)
n_ba=$(awk -v s="$ipB" -v d="$ipA" '$1 == s && $3 == d' "$dir/ul.txt" | wc -l)
# lanyard sends nothing longer than the underlay MTU; the kernel's vxlan
# may pass TCP super-frames over the veth whole (fewer datagrams B -> A).
[ "$n_ab" -gt $((bytes / 1500)) ] && [ "$n_ba" -gt 0 ] ||
	fail "the capture holds $n_ab datagrams A -> B and $n_ba B -> A for $bytes bytes each way"
bad=$(awk -v s="$ipA" '$1 == s && ($2 < 49152 || $2 > 65535 || $4 != 4789 || $5 != "0x08" || $6 != 42)' \
	"$dir/ul.txt" | head -n 5)
[ -z "$bad" ] || fail "lanyard's datagrams with a source port outside 49152-65535, or another
destination port, flags or VNI than 4789, 0x08, 42:
$bad"
bad=$(awk -v s="$ipB" '$1 == s && ($4 != 4789 || $5 != "0x08" || $6 != 42)' "$dir/ul.txt" | head -n 5)
[ -z "$bad" ] || fail "the kernel's datagrams are not what the capture's decoder expects:
$bad"
n_sp=$(awk -v s="$ipA" '$1 == s { print $2 }' "$dir/ul.txt" | sort -u | wc -l)
[ "$n_sp" -ge 2 ] || fail "lanyard sent every flow from one source port"
grep -qE "$guest_ip\.[0-9]+ > $c_ip\.$port: Flags \[S\].*mss 1410," \
	<<<"$(tcpdump -r "$dir/ul.pcap" -nn 2>/dev/null)" ||
	fail "no SYN from the guest with MSS 1410 (guest MTU 1450) in the capture"
# Inner checksums of what lanyard sent (tcpdump verifies those of whole
# packets: SYNs, ACKs, pings).  The kernel's own may be left partial on
# a veth, which lanyard finished on the way to the guest (above).
bad=$(tcpdump -r "$dir/ul.pcap" -nn -vv "src host $ipA" 2>/dev/null |
	grep -B1 'incorrect' | head -n 6 || true)
[ -z "$bad" ] || fail "inner checksums incorrect in the underlay capture:
$bad"
kstats=$(ip -n "$nsB" -j -s link show vx0)
k_rx=$(jq '.[0].stats64.rx.packets' <<<"$kstats")
k_err=$(jq '.[0].stats64.rx.errors' <<<"$kstats")
[ "$k_err" -eq 0 ] || fail "the kernel's vx0 counted $k_err receive errors"
[ "$k_rx" -ge "$n_ab" ] ||
	fail "the kernel's vx0 received $k_rx packets, lanyard sent at least $n_ab"
echo "ok: underlay: lanyard sent $n_ab datagrams (flags 0x08, VNI 42, to 4789, from $n_sp source ports in 49152-65535), the kernel took $k_rx without errors; $n_ba came back"
check_conservation

# --- static: nolearning on B, learning=off and fdb add on A -----------------------
ip -n "$nsB" link del vx0
vx0_add nolearning
bridge -n "$nsB" fdb append 00:00:00:00:00:00 dev vx0 dst "$ipA"
bridge -n "$nsB" fdb add "$guest_mac" dev vx0 dst "$ipA"
"$LANYARDCTL" --ctl "$ctl" port del vx >/dev/null || fail "port del vx failed"
"$LANYARDCTL" --ctl "$ctl" port add "vxlan,id=vx,vni=42,local=$ipA,learning=off" >/dev/null ||
	fail "port add vxlan with learning=off failed"
"$LANYARDCTL" --ctl "$ctl" fdb add "$c_mac" vx dst "$ipB" >/dev/null ||
	fail "fdb add $c_mac vx dst $ipB failed"
got=$(ctlj show | jq -r '.ports[] | select(.id == "vx") | "\(.info.learning) remotes=\(.info.remotes) vteps=\(.info.vteps)"')
[ "$got" = "off remotes= vteps=1" ] || fail "the static port shows '$got', want 'off remotes= vteps=1'"
e=$(ctlj fdb | jq -r --arg m "$c_mac" '[.fdb[] | select(.mac == $m)][0] // {} | "\(.port) \(.dst) \(.static)"')
[ "$e" = "vx $ipB true" ] || fail "fdb -j: C's entry '$e', want 'vx $ipB true'"
ping_ok "static: C -> guest"
e=$(ctlj fdb | jq -r --arg m "$c_mac" '[.fdb[] | select(.mac == $m)][0] // {} | "\(.port) \(.dst) \(.static)"')
[ "$e" = "vx $ipB true" ] || fail "after traffic: C's entry '$e', want 'vx $ipB true'"
echo "ok: static: C pings the guest; lanyard's fdb: $c_mac on vx, dst $ipB, static"
# Without the entry the guest's replies have nowhere to go.
nv0=$(counter vx '.drops."no-vtep"')
"$LANYARDCTL" --ctl "$ctl" fdb del "$c_mac" >/dev/null || fail "fdb del $c_mac failed"
if ip netns exec "$nsC" ping -c 2 -i 0.3 -W 2 "$guest_ip" >/dev/null 2>&1; then
	fail "static: the ping passed without C's entry (no remote, no learning)"
fi
nv=$(($(counter vx '.drops."no-vtep"') - nv0))
[ "$nv" -ge 2 ] || fail "static: no-vtep rose by $nv for the guest's 2 replies without a VTEP"
"$LANYARDCTL" --ctl "$ctl" fdb add "$c_mac" vx dst "$ipB" >/dev/null ||
	fail "fdb add $c_mac vx dst $ipB (again) failed"
ping_ok "static, entry back: C -> guest"
echo "ok: static: without the entry no-vtep +$nv and no ping; with it back the ping passes"
check_conservation

guest_stop g
lanyard_stop
echo "ok: lanyard exited 0 on SIGTERM"
echo "PASS ($((SECONDS - t_start)) s)"
