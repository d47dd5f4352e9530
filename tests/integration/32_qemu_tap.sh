#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: a network namespace on a tap port and a real QEMU 7.2 guest on
# a stream port exchange 10 MiB of TCP each way, checksummed on both ends;
# the namespace's TCP leaves as super-frames that lanyard segments and
# checksums in software for the guest.
#  - lanyard runs a tap port (offload=on, the default) and a stream
#    listener; the tap goes into a namespace of its own, the guest (one
#    boot, role "bulk") dials the stream listener;
#  - namespace -> guest: 10 MiB of random data with socat; the guest's md5
#    and byte count equal the file's;
#  - guest -> namespace: 10 MiB the guest made from /dev/urandom; the md5
#    and byte count the namespace received equal the guest's;
#  - the receiving end's TCP/IP found no bad TCP checksum or IP header
#    (the guest's Tcp InCsumErrors / Ip InHdrErrors, the namespace's);
#  - lanyardctl: during the first transfer the tap read far fewer frames
#    than 1514-byte frames would take (TSO super-frames), and the guest's
#    stream port sent only plain frames (tx_bytes / tx <= 1514); no
#    bad-offload, seg-no-buffer or bad-vnet-hdr drops; counters conserve;
#    lanyard exits 0 on SIGTERM.
# How it fails: if lanyard forwarded super-frames whole, or cut them with
# wrong lengths, sequence numbers or checksums, the guest's NIC or TCP
# drops them (a guest without offloads verifies every checksum), the
# transfer stalls, and the wait for BULK-RECEIVED times out (120 s):
# FAIL.  If only some segments are wrong, TCP retransmits them and the
# transfer completes, but the guest's InCsumErrors is not 0: FAIL.
# Corrupted payload with valid checksums fails the md5 comparison.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/netns.sh
. "$here/lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=lib/switch.sh
. "$here/lib/switch.sh"
# shellcheck source-path=SCRIPTDIR source=lib/guest.sh
. "$here/lib/guest.sh"

need_cmds qemu-system-x86_64=qemu-system-x86,seabios jq socat

ns=lanyard-qtap-$$
tap=lyqt0
ns_ip=10.77.32.1 guest_ip=10.77.32.2
port=5032
mib=10
bytes=$((mib * 1048576))
cleanup() {
	guest_cleanup
	switch_cleanup
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
export GUEST_WORK=$dir
t_start=$SECONDS

guest_image_build "${LANYARD_CACHE:-/var/cache/lanyard-tests}/guest" ||
	fail "cannot build the guest image"

# --- lanyard: a tap with offloads, a stream listener for the guest ----------
lanyard_start \
	--port "tap,id=tp,ifname=$tap" \
	--port "stream,id=st,path=$dir/st.sock"
ctlj show | jq -e '.ports[] | select(.id == "tp") | .info.offloads |
	split(",") | index("tso4")' >/dev/null ||
	fail "tap port without TSO: $(ctlj show | jq -c '.ports[] | select(.id == "tp")')"
ip netns add "$ns"
ip link set "$tap" netns "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add "$ns_ip/24" dev "$tap"
ip -n "$ns" link set "$tap" up
echo "ok: lanyard up; tap $tap in namespace $ns with $ns_ip"

# --- the guest: virtio-net on the stream listener -----------------------------
guest_mac=52:54:00:77:32:02
guest_start g bulk "$guest_ip/24" \
	"stream,addr.type=unix,addr.path=$dir/st.sock" virtio-net-pci "$guest_mac" \
	"lanyard.peer=$ns_ip" "lanyard.port=$port" "lanyard.mib=$mib" lanyard.end=stay
guest_wait_log g 'GUEST-UP' 180 || fail "the guest did not come up"
guest_wait_log g 'BULK-LISTENING' 120 || fail "the guest does not listen"
echo "ok: guest booted in $((SECONDS - t_start)) s"
end=$((SECONDS + 60))
until ip netns exec "$ns" ping -c 1 -W 1 "$guest_ip" >/dev/null 2>&1; do
	[ "$SECONDS" -lt "$end" ] || fail "the namespace cannot ping the guest"
	sleep 0.5
done

# port_counters: every port's counters and non-zero drops, for a failure.
port_counters() {
	ctlj show | jq -c '[.ports[] | {id, rx: .counters.rx, tx: .counters.tx,
		drops: (.counters.drops | with_entries(select(.value > 0)))}]'
}
# snap FILE: lanyardctl show -j into FILE.
snap() { ctlj show >"$1" || fail "lanyardctl show -j failed"; }
# delta A B PORT-FILTER FIELD: counter FIELD of the port(s) selected by the
# jq filter, summed, in snapshot B minus snapshot A.
delta() {
	local a b
	a=$(jq "[.ports[] | select($3) | .counters.$4] | add // 0" "$1")
	b=$(jq "[.ports[] | select($3) | .counters.$4] | add // 0" "$2")
	echo $((b - a))
}
guest_port='.parent == "st"'
# ns_snmp TABLE FIELD: a counter of the namespace's /proc/net/snmp.
ns_snmp() {
	# shellcheck disable=SC2016
	ip netns exec "$ns" awk -v t="$1:" -v f="$2" '$1 == t {
		if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 }
		else print $col[f] }' /proc/net/snmp
}
# guest_stat N KEY: KEY from the guest's Nth BULK-STATS line.
guest_stat() {
	guest_lines g '^BULK-STATS ' | sed -n "$1p" | tr ' ' '\n' |
		sed -n "s/^$2=//p"
}
tap_port='.id == "tp"'

# --- 1: namespace -> guest (super-frames, segmented by lanyard) ---------------
head -c "$bytes" /dev/urandom >"$dir/tx.bin"
tx_md5=$(md5sum "$dir/tx.bin" | cut -d' ' -f1)
snap "$dir/s0.json"
retrans0=$(ns_snmp Tcp RetransSegs)
t0=$SECONDS
timeout 150 ip netns exec "$ns" socat -u "OPEN:$dir/tx.bin" \
	"TCP:$guest_ip:$port,connect-timeout=10" >"$dir/socat1.log" 2>&1 &
sp=$!
peer_pids+=("$sp")	# killed by switch_cleanup
# A stall (frames the guest drops) ends here: no BULK-RECEIVED in 120 s.
guest_wait_log g 'BULK-RECEIVED' 120 ||
	fail "namespace -> guest: transfer did not complete (stalled?) $(cat "$dir/socat1.log")
lanyard's counters: $(port_counters)"
wait "$sp" || fail "namespace -> guest: socat failed: $(cat "$dir/socat1.log")"
t1=$((SECONDS - t0))
snap "$dir/s1.json"
read -r _ g_md5 g_bytes < <(guest_lines g '^BULK-RECEIVED ' | tail -n 1) || true
[ "$g_md5 $g_bytes" = "$tx_md5 $bytes" ] ||
	fail "namespace -> guest: guest got md5 $g_md5, $g_bytes bytes; sent $tx_md5, $bytes bytes"
echo "ok: namespace -> guest: $bytes bytes in ${t1} s, md5 $tx_md5 on both ends"
# TCP recovers from a few bad segments by retransmitting them, so the md5
# alone would not see a segmenter that gets one segment in 30 wrong: the
# guest checks every checksum in software (no offloads on a stream
# netdev) and counts what fails.
guest_wait_log g '^BULK-STATS ' 30 || fail "the guest printed no BULK-STATS"
g_csum=$(guest_stat 1 tcp-csum) g_hdr=$(guest_stat 1 ip-hdr)
retrans=$(($(ns_snmp Tcp RetransSegs) - retrans0))
echo "ok: guest: $g_csum TCP checksum errors, $g_hdr IP header errors; namespace retransmitted $retrans segments"
if [ "$g_csum" != 0 ] || [ "$g_hdr" != 0 ]; then
	fail "namespace -> guest: the guest's TCP/IP found $g_csum bad TCP checksums, $g_hdr bad IP headers in lanyard's segments"
fi

# What lanyard saw during transfer 1.
tp_rx=$(delta "$dir/s0.json" "$dir/s1.json" "$tap_port" rx)
tp_rxb=$(delta "$dir/s0.json" "$dir/s1.json" "$tap_port" rx_bytes)
st_tx=$(delta "$dir/s0.json" "$dir/s1.json" "$guest_port" tx)
st_txb=$(delta "$dir/s0.json" "$dir/s1.json" "$guest_port" tx_bytes)
echo "ok: lanyard: the tap read $tp_rx frames ($tp_rxb bytes); the guest's port sent $st_tx frames ($st_txb bytes)"
# Plain frames would take at least bytes / 1448 reads (MSS 1448 with
# timestamps); super-frames of >= 2 segments at most half of that.
if [ "$tp_rx" -eq 0 ] || [ "$tp_rx" -ge $((bytes / 1448 / 2)) ]; then
	fail "the tap read $tp_rx frames for $bytes bytes: no super-frames (offloads not used)"
fi
[ $((tp_rxb / tp_rx)) -gt 1514 ] ||
	fail "the tap's frames average $((tp_rxb / tp_rx)) bytes: no super-frames"
if [ "$st_tx" -lt $((bytes / 1448)) ] || [ "$st_txb" -gt $((st_tx * 1514)) ]; then
	fail "the guest's port sent $st_tx frames, $st_txb bytes: not all <= 1514 bytes"
fi
[ "$st_txb" -ge "$tp_rxb" ] ||
	fail "segments ($st_txb bytes) carry less than the super-frames ($tp_rxb bytes)"
echo "ok: super-frames in ($((tp_rxb / tp_rx)) bytes on average), plain frames out ($((st_txb / st_tx)) bytes on average)"

# --- 2: guest -> namespace ---------------------------------------------------
read -r _ gs_md5 gs_bytes < <(guest_lines g '^BULK-MD5 ' | tail -n 1) || true
[ -n "$gs_md5" ] || fail "the guest did not print BULK-MD5"
ns_csum0=$(ns_snmp Tcp InCsumErrors) ns_hdr0=$(ns_snmp Ip InHdrErrors)
t0=$SECONDS
timeout 150 ip netns exec "$ns" socat -u \
	"TCP-LISTEN:$port,bind=$ns_ip,reuseaddr" "CREATE:$dir/rx.bin" \
	>"$dir/socat2.log" 2>&1 &
sp=$!
peer_pids+=("$sp")	# killed by switch_cleanup
# The guest retries its connection once a second until this listens.
guest_wait_log g 'BULK-SENT|BULK-SEND-FAILED' 120 ||
	fail "guest -> namespace: transfer did not complete (stalled?)
lanyard's counters: $(port_counters)"
guest_lines g '^BULK-SENT$' | grep -q . || fail "guest -> namespace: the guest could not send"
wait "$sp" || fail "guest -> namespace: socat failed: $(cat "$dir/socat2.log")"
t2=$((SECONDS - t0))
rx_md5=$(md5sum "$dir/rx.bin" | cut -d' ' -f1)
rx_bytes=$(stat -c %s "$dir/rx.bin")
[ "$rx_md5 $rx_bytes" = "$gs_md5 $gs_bytes" ] ||
	fail "guest -> namespace: received md5 $rx_md5, $rx_bytes bytes; guest sent $gs_md5, $gs_bytes bytes"
[ "$rx_bytes" -eq "$bytes" ] || fail "guest -> namespace: $rx_bytes bytes, not $bytes"
echo "ok: guest -> namespace: $rx_bytes bytes in ${t2} s (including the guest's connection retries), md5 $rx_md5 on both ends"
end=$((SECONDS + 30))
until [ "$(guest_lines g '^BULK-STATS ' | wc -l)" -ge 2 ]; do
	[ "$SECONDS" -lt "$end" ] || fail "the guest printed no BULK-STATS after sending"
	sleep 0.5
done
g_retrans=$(($(guest_stat 2 retrans) - $(guest_stat 1 retrans)))
ns_csum=$(($(ns_snmp Tcp InCsumErrors) - ns_csum0))
ns_hdr=$(($(ns_snmp Ip InHdrErrors) - ns_hdr0))
if [ "$ns_csum" != 0 ] || [ "$ns_hdr" != 0 ]; then
	fail "guest -> namespace: the namespace found $ns_csum bad TCP checksums, $ns_hdr bad IP headers"
fi
echo "ok: namespace: no bad TCP checksums or IP headers; the guest retransmitted $g_retrans segments"

# --- what lanyardctl shows at the end ------------------------------------------
snap "$dir/s2.json"
jq -e '[.ports[] | select(.parent == "st")] | length == 1' \
	"$dir/s2.json" >/dev/null || fail "not one guest port under st: $(jq -c .ports "$dir/s2.json")"
st_tx=$(jq "[.ports[] | select($guest_port) | .counters.tx] | add" "$dir/s2.json")
st_txb=$(jq "[.ports[] | select($guest_port) | .counters.tx_bytes] | add" "$dir/s2.json")
[ "$st_txb" -le $((st_tx * 1514)) ] ||
	fail "the guest's port sent $st_txb bytes in $st_tx frames: more than 1514 per frame"
bad=$(jq -c '.totals.drops | {"bad-offload", "seg-no-buffer", "bad-vnet-hdr"}' "$dir/s2.json")
jq -e '.totals.drops | ."bad-offload" == 0 and ."seg-no-buffer" == 0 and
	."bad-vnet-hdr" == 0' "$dir/s2.json" >/dev/null ||
	fail "offload drops: $bad"
check_conservation
echo "ok: no offload drops ($bad); counters conserve on every port"
echo "ok: drops: $(jq -c '.totals.drops | with_entries(select(.value > 0))' "$dir/s2.json")"
guest_stop g
lanyard_stop
echo "ok: lanyard exited 0 on SIGTERM"
echo "PASS ($((SECONDS - t_start)) s)"
