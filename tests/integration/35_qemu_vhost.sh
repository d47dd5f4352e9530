#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: real QEMU 7.2 guests with virtio-net-pci on vhost-user talk
# through lanyard to a guest on a stream port, and come back after their
# QEMU or lanyard restarts.
#  - lanyard has a vhost-user port va (lanyard listens; guest A's QEMU
#    dials with reconnect=1), a vhost-user port vc with server=off and
#    offload=off (guest C's QEMU listens with server=on,wait=off; lanyard
#    dials) and a stream
#    port b with server=off (guest B's QEMU listens; lanyard dials, so B
#    also survives a lanyard restart); guest RAM is a shared memfd;
#  - A and B exchange 8 MiB of random data each way over TCP; the md5 and
#    byte count each receiver prints equal the sender's, and neither
#    guest's TCP/IP saw a bad checksum or IP header; C pings B;
#  - lanyardctl: va and vc up, features with version_1, a memory table
#    of the guest's 192 MiB, frames received and sent, guests' MACs on
#    their ports, no bad-desc or bad-msg errors; va negotiated TSO and
#    carried A's super-frames (more than 1514 bytes per frame on average)
#    which B's stream port got as plain frames (at most 1514 bytes); vc
#    (offload=off) negotiated no checksum or TSO offload; no
#    bad-vnet-hdr, bad-offload or seg-no-buffer drops;
#  - A's QEMU is killed: va goes down and stays listed; a new QEMU (A2)
#    dials va, va comes up, and A2 pings B;
#  - lanyard is stopped (exit 0) and started again with the same ports:
#    A2's QEMU re-dials va, lanyard re-dials C and B, and both A2 and C
#    get ping answers from B again, with nothing done in the guests;
#  - counters conserve; lanyard exits 0 on SIGTERM.
# How it fails: a wrong descriptor, a lost frame or a bad segmentation
# of the guest's TSO super-frames stalls or corrupts the transfer (md5,
# checksum counters, BULK-* timeouts); a port that does not recover from
# a front-end or back-end restart leaves the pings failing.
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
t_start=$SECONDS

guest_image_build "${LANYARD_CACHE:-/var/cache/lanyard-tests}/guest" ||
	fail "cannot build the guest image"

lanyard_args=(
	--port "vhost-user,id=va,path=$dir/va.sock"
	--port "vhost-user,id=vc,path=$dir/vc.sock,server=off,offload=off"
	--port "stream,id=b,path=$dir/b.sock,server=off")
ip_a=10.35.0.1 ip_b=10.35.0.2 ip_c=10.35.0.3
mac_a=52:54:00:35:00:01 mac_b=52:54:00:35:00:02 mac_c=52:54:00:35:00:03
mac_a2=52:54:00:35:00:04
mib=8

port_json() { ctlj show | jq -c --arg p "$1" '.ports[] | select(.id == $p)'; }
state_of() { ctlj show | jq -r --arg p "$1" '.ports[] | select(.id == $p) | .state'; }
# wait_state STATE SECS PORT...: every PORT in STATE within SECS.
wait_state() {
	local want=$1 end=$((SECONDS + $2)) p
	shift 2
	for p in "$@"; do
		until [ "$(state_of "$p")" = "$want" ]; do
			[ "$SECONDS" -lt "$end" ] ||
				fail "port $p is '$(state_of "$p")', not $want: $(port_json "$p")"
			sleep 0.5
		done
	done
}
# Ping results of guest NAME as "seq OK|FAIL", one a line (role pingloop).
pings() { guest_lines "$1" '^PING-(OK|FAIL) [0-9]+$' | awk '{ sub(/^PING-/, ""); print $2, $1 }'; }
last_seq() { pings "$1" | awk 'END { print (NR ? $1 : -1) }'; }
# wait_ping NAME AFTER RESULT SECS: a ping of guest NAME with sequence >
# AFTER whose result is RESULT, within SECS.
wait_ping() {
	local end=$((SECONDS + $4))
	while :; do
		pings "$1" | awk -v a="$2" -v r="$3" '$1 > a && $2 == r { f = 1 } END { exit !f }' &&
			return 0
		kill -0 "$(guest_pid "$1")" 2>/dev/null || { guest_dump "$1"; return 1; }
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}
# bulk_line NAME WORD: "md5 bytes" from guest NAME's last "BULK-WORD" line.
bulk_line() { guest_lines "$1" "^BULK-$2 " | tail -n 1 | awk '{ print $2, $3 }'; }
# bulk_stat NAME N KEY: KEY from guest NAME's Nth BULK-STATS line.
bulk_stat() { guest_lines "$1" '^BULK-STATS ' | sed -n "$2p" | tr ' ' '\n' | sed -n "s/^$3=//p"; }

# --- lanyard, then the guests ---------------------------------------------------
lanyard_start "${lanyard_args[@]}"
# B and C listen: lanyard dials them.  A dials va and re-dials whenever
# the connection is gone (reconnect=1).
guest_start b bulk "$ip_b/24" \
	"stream,server=on,addr.type=unix,addr.path=$dir/b.sock" virtio-net-pci "$mac_b" \
	"lanyard.peer=$ip_a" "lanyard.mib=$mib" lanyard.end=stay
guest_start_vhost a bulk "$ip_a/24" "socket,path=$dir/va.sock,reconnect=1" "$mac_a" \
	"lanyard.peer=$ip_b" lanyard.wait=1 lanyard.first=send "lanyard.mib=$mib" lanyard.end=stay
guest_start_vhost c pingloop "$ip_c/24" "socket,path=$dir/vc.sock,server=on,wait=off" "$mac_c" \
	"lanyard.peer=$ip_b"
wait_state up 60 va vc b
echo "ok: QEMU attached to va (QEMU dialed) and vc (lanyard dialed); lanyard dialed B's stream"
for g in a b c; do
	guest_wait_log "$g" 'GUEST-UP' 180 || fail "guest $g did not come up"
done
echo "ok: the three guests booted in $((SECONDS - t_start)) s"

# --- A <-> B: TCP both ways, checksummed; C pings B --------------------------------
guest_wait_log a 'PING-READY' 90 || fail "guest A (vhost-user) cannot ping guest B (stream)"
echo "ok: A (vhost-user) pings B (stream)"
guest_wait_log a 'BULK-SENT|BULK-SEND-FAILED' 120 || fail "A -> B: transfer did not complete"
guest_lines a '^BULK-SENT$' | grep -q . || fail "A -> B: A could not send"
guest_wait_log b 'BULK-RECEIVED' 60 || fail "A -> B: B received nothing complete"
[ "$(bulk_line b RECEIVED)" = "$(bulk_line a MD5)" ] ||
	fail "A -> B: B received '$(bulk_line b RECEIVED)', A sent '$(bulk_line a MD5)'"
[ "$(bulk_line a MD5 | cut -d' ' -f2)" -eq $((mib * 1048576)) ] || fail "A made $(bulk_line a MD5)"
echo "ok: A -> B: $(bulk_line b RECEIVED) (md5, bytes) on both ends"
guest_wait_log a 'BULK-RECEIVED' 120 || fail "B -> A: transfer did not complete"
[ "$(bulk_line a RECEIVED)" = "$(bulk_line b MD5)" ] ||
	fail "B -> A: A received '$(bulk_line a RECEIVED)', B sent '$(bulk_line b MD5)'"
echo "ok: B -> A: $(bulk_line a RECEIVED) (md5, bytes) on both ends"
# A's first BULK-STATS follows its send, its second its receive; B's
# first follows its receive.
guest_wait_log b '^BULK-STATS ' 30 || fail "B printed no BULK-STATS"
end=$((SECONDS + 30))
until [ "$(guest_lines a '^BULK-STATS ' | wc -l)" -ge 2 ]; do
	[ "$SECONDS" -lt "$end" ] || fail "A printed no BULK-STATS after receiving"
	sleep 0.5
done
for x in "b 1" "a 2"; do
	read -r g n <<<"$x"
	[ "$(bulk_stat "$g" "$n" tcp-csum) $(bulk_stat "$g" "$n" ip-hdr)" = "0 0" ] ||
		fail "guest $g's TCP/IP found bad checksums or headers: $(guest_lines "$g" '^BULK-STATS ' | sed -n "${n}p")"
done
echo "ok: no bad TCP checksums or IP headers in either receiver"
wait_ping c -1 OK 60 || fail "guest C (vhost-user, lanyard dialing) cannot ping B"
echo "ok: C (vhost-user, lanyard dialing QEMU) pings B"

show=$(ctlj show)
for x in "va server $mac_a" "vc client $mac_c"; do
	read -r p role mac <<<"$x"
	j=$(jq -c --arg p "$p" '.ports[] | select(.id == $p)' <<<"$show")
	jq -e --arg r "$role" '.state == "up" and .info.role == $r and
		(.info.features | split(",") | index("version_1")) and
		.info.mem_regions >= 1 and .info.mem_mib == 192 and
		.counters.rx > 0 and .counters.tx > 0 and
		.counters.errors."bad-desc" == 0 and .counters.errors."bad-msg" == 0' \
		>/dev/null <<<"$j" || fail "port $p: $j"
	[ "$(mac_port "$mac")" = "$p" ] || fail "MAC $mac is on '$(mac_port "$mac")', not $p"
	echo "ok: $p: $(jq -r '"role \(.info.role), features \(.info.features), rings \(.info.rings), \(.info.mem_regions) region(s) \(.info.mem_mib) MiB; rx \(.counters.rx) tx \(.counters.tx)"' <<<"$j")"
done
[ "$(mac_port "$mac_b")" = b ] || fail "B's MAC is on '$(mac_port "$mac_b")', not b"
# offload=on (va, the default) against offload=off (vc).
jq -e '.ports[] | select(.id == "va") | .info.features | split(",") |
	index("host_tso4") and index("csum")' >/dev/null <<<"$show" ||
	fail "va (offload=on) negotiated no TSO or checksum offload: $(jq -c '.ports[] | select(.id == "va") | .info' <<<"$show")"
jq -e '.ports[] | select(.id == "vc") | .info.features | split(",") |
	map(select(test("csum|tso|ufo|ecn"))) | length == 0' >/dev/null <<<"$show" ||
	fail "vc (offload=off) negotiated offloads: $(jq -c '.ports[] | select(.id == "vc") | .info' <<<"$show")"
va_rx=$(jq '.ports[] | select(.id == "va") | .counters.rx' <<<"$show")
va_rxb=$(jq '.ports[] | select(.id == "va") | .counters.rx_bytes' <<<"$show")
b_tx=$(jq '[.ports[] | select(.id == "b") | .counters.tx] | add' <<<"$show")
b_txb=$(jq '[.ports[] | select(.id == "b") | .counters.tx_bytes] | add' <<<"$show")
[ "$va_rxb" -ge $((mib * 1048576)) ] && [ $((va_rxb / va_rx)) -gt 1514 ] ||
	fail "va read $va_rx frames, $va_rxb bytes from A: no TSO super-frames"
[ "$b_txb" -ge $((mib * 1048576)) ] && [ "$b_txb" -le $((b_tx * 1514)) ] ||
	fail "B's stream port sent $b_tx frames, $b_txb bytes: not all plain frames"
jq -e '.totals.drops | ."bad-offload" == 0 and ."seg-no-buffer" == 0 and
	."bad-vnet-hdr" == 0' >/dev/null <<<"$show" ||
	fail "offload drops: $(jq -c .totals.drops <<<"$show")"
echo "ok: A's super-frames crossed va whole ($((va_rxb / va_rx)) bytes per frame on average) and reached B cut to $((b_txb / b_tx)) bytes on average; vc without offloads"

# --- A's QEMU goes, another comes ---------------------------------------------
guest_stop a
wait_state down 20 va
port_json va | jq -e '.info.connected == "no"' >/dev/null ||
	fail "va down but still connected: $(port_json va)"
echo "ok: A's QEMU killed: va is down and still listed"
guest_start_vhost a2 pingloop "$ip_a/24" "socket,path=$dir/va.sock,reconnect=1" "$mac_a2" \
	"lanyard.peer=$ip_b"
wait_state up 60 va
guest_wait_log a2 'GUEST-UP' 180 || fail "guest A2 did not come up"
wait_ping a2 -1 OK 60 || fail "guest A2 on va (a new QEMU) cannot ping B"
echo "ok: a new QEMU (A2) attached to va and pings B"

# --- lanyard restarts ------------------------------------------------------------
lanyard_stop	# SIGTERM: exit 0, no sanitizer report
[ -S "$dir/vc.sock" ] && [ -S "$dir/b.sock" ] ||
	fail "lanyard removed the guests' listening sockets, which it did not create"
sleep 2
for g in a2 c; do
	s=$(last_seq "$g")
	# Two more results after the settling time, and none of them a success.
	end=$((SECONDS + 15))
	while [ "$(pings "$g" | awk -v a="$s" '$1 > a' | wc -l)" -lt 2 ]; do
		[ "$SECONDS" -lt "$end" ] || fail "guest $g stopped reporting pings"
		sleep 0.5
	done
	if pings "$g" | awk -v a="$s" '$1 > a && $2 == "OK" { f = 1 } END { exit !f }'; then
		fail "guest $g still gets ping answers with lanyard stopped: $(pings "$g" | tail -n 4 | tr '\n' ' ')"
	fi
done
echo "ok: lanyard stopped: pings from A2 and C fail"
sa=$(last_seq a2) sc=$(last_seq c)
lanyard_log=$dir/lanyard2.log
lanyard_start "${lanyard_args[@]}"
t0=$SECONDS
wait_state up 30 va vc b
wait_ping a2 "$sa" OK 60 || fail "guest A2 gets no ping answers after lanyard restarted"
wait_ping c "$sc" OK 60 || fail "guest C gets no ping answers after lanyard restarted"
echo "ok: lanyard restarted: A2's QEMU re-dialed va, lanyard re-dialed C and B; pings answered again within $((SECONDS - t0)) s"
for p in va vc; do
	port_json "$p" | jq -e '.counters.rx > 0 and .counters.tx > 0 and
		.counters.errors."bad-desc" == 0 and .counters.errors."bad-msg" == 0' >/dev/null ||
		fail "port $p after the restart: $(port_json "$p")"
done
check_conservation
echo "ok: frames both ways on va and vc, no descriptor or message errors; counters conserve"
guest_cleanup
lanyard_stop
echo "ok: lanyard exited 0 on SIGTERM"
echo "PASS ($((SECONDS - t_start)) s)"
