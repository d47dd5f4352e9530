#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: DPDK's testpmd, a vhost-user front-end that is not QEMU
# (virtio-user, hugepage memory), exchanges exactly counted frames with
# lanyard's vhost-user ports in both directions, without loss.
#  - lanyard has two vhost-user ports, va (woken by kicks) and vb
#    (poll_us=200: kicks off while busy, rings read without them), a
#    stream listener and a tap; one testpmd drives both vhost-user ports
#    (port 0 on va, port 1 on vb), its poller pinned to CPU 1 and lanyard
#    to CPU 0;
#  - lanyardctl shows both ports up with negotiated features, 256-entry
#    rings and a memory table;
#  - vhost <-> vhost: rounds of `start tx_first 4` in rxonly mode (128
#    frames per port per round, each port to the other's MAC) with frames
#    of 64 and 1514 bytes, in one segment and in 2 and 4 (descriptor
#    chains): every frame each port sends arrives at the other port, and
#    lanyard's counters equal testpmd's;
#  - stream -> vhost: lanyard-perf sends 20000 frames at 20000/s to port
#    0's MAC; port 0 receives exactly 20000, port 1 none;
#  - vhost -> stream: testpmd port 0 sends to a lanyard-perf receiver;
#    it receives exactly what testpmd counted as sent; its announcement
#    (a broadcast) reaches both testpmd ports exactly once;
#  - tap <-> vhost: the namespace pings testpmd in icmpecho mode (static
#    neighbour entry, IPv6 off, so nothing else is sent): 200 of 200
#    answered with 56 and 1400-byte payloads (the kernel drops replies
#    with bad checksums, ping reports bad data), and testpmd received and
#    sent exactly those frames;
#  - a stray connection to va's socket is refused (errors.peer-limit 1)
#    and leaves the attached front-end working; testpmd quits: both ports go down and keep their ids; a new
#    testpmd attaches: both up again and frames flow;
#  - no bad-desc or bad-msg errors, no drops on the vhost ports,
#    counters conserve, lanyard exits 0 on SIGTERM.
# How it fails: a frame lost or duplicated anywhere makes a count differ
# (every comparison is exact); a port that does not empty the ring or
# does not fill the receive ring makes the wait for the counts time out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/netns.sh
. "$here/lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=lib/switch.sh
. "$here/lib/switch.sh"
# shellcheck source-path=SCRIPTDIR source=lib/dpdk.sh
. "$here/lib/dpdk.sh"

need_cmds jq ping=iputils-ping taskset=util-linux socat
dpdk_need
TESTPMD_WORK=$dir
trap 'dpdk_cleanup; switch_cleanup' EXIT
t_start=$SECONDS

[ "$(nproc)" -ge 2 ] || fail "testpmd -l 0,1 needs 2 CPUs (one busy-polls), this machine has $(nproc)"
dpdk_hugepages 512 || fail "cannot reserve 512 2 MiB hugepages for testpmd"

m0=02:36:00:00:00:10 m1=02:36:00:00:00:11	# testpmd ports 0 and 1
ms=02:36:00:00:00:20 mr=02:36:00:00:00:21	# lanyard-perf sender, receiver
mt=02:36:00:00:00:30				# the tap
tap=lyt36
# Nothing but what this test sends: no IPv6 (router and neighbour
# solicitations) on the tap.
sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1

lanyard_start \
	--port "vhost-user,id=va,path=$dir/va.sock" \
	--port "vhost-user,id=vb,path=$dir/vb.sock,poll_us=200" \
	--port "stream,id=st,path=$dir/st.sock" \
	--port "tap,id=tp,ifname=$tap"
taskset -a -p -c 0 "$lanyard_pid" >/dev/null || fail "cannot pin lanyard to CPU 0"
ip link set "$tap" address "$mt"
echo "ok: lanyard up (pinned to CPU 0)"

pmd_args=(-- --forward-mode=rxonly --burst=32 "--eth-peer=0,$m1" "--eth-peer=1,$m0")
pmd_start() {	# name
	testpmd_start "$1" 0,1 \
		"net_virtio_user0,path=$dir/va.sock,queues=1,mac=$m0" \
		"net_virtio_user1,path=$dir/vb.sock,queues=1,mac=$m1" \
		"${pmd_args[@]}"
}
port_json() { ctlj show | jq -c --arg p "$1" '.ports[] | select(.id == $p)'; }
state_of() { ctlj show | jq -r --arg p "$1" '.ports[] | select(.id == $p) | .state'; }
wait_state() {	# state port...: each PORT in state within 10 s
	local st=$1 end=$((SECONDS + 10)) p
	shift
	for p in "$@"; do
		until [ "$(state_of "$p")" = "$st" ]; do
			[ "$SECONDS" -lt "$end" ] || fail "port $p is not $st: $(port_json "$p")"
			sleep 0.1
		done
	done
}

pmd=pmd1
pmd_start "$pmd"
wait_state up va vb
for p in va vb; do
	j=$(port_json "$p")
	jq -e '.info.connected == "yes" and (.info.features | split(",") | index("version_1")) and
		.info.mem_regions >= 1 and .info.rings == "0:256,1:256"' >/dev/null <<<"$j" ||
		fail "port $p after testpmd attached: $j"
done
echo "ok: testpmd attached to va and vb: $(port_json va | jq -r '.info | "features \(.features), rings \(.rings), \(.mem_regions) memory region(s), \(.mem_mib) MiB"')"

# --- counting ----------------------------------------------------------------
# pmd_read: p0rx p0tx p1rx p1tx from testpmd's port statistics.
pmd_read() {
	{ read -r p0rx p0tx; read -r p1rx p1tx; } < <(testpmd_stats "$pmd")
}
# lc PORT FIELD: a lanyard counter (rx, tx, ...) of PORT.
lc() { counter "$1" ".$2"; }
# pmd_wait_rx WANT0 WANT1 WHAT: wait until testpmd's ports 0 and 1 have
# received exactly WANT0 and WANT1 frames (fails at once on more).
pmd_wait_rx() {
	local end=$((SECONDS + 15))
	while :; do
		pmd_read
		[ "$p0rx" -le "$1" ] && [ "$p1rx" -le "$2" ] ||
			fail "$3: testpmd received $p0rx/$p1rx frames on ports 0/1, want $1/$2"
		[ "$p0rx $p1rx" = "$1 $2" ] && return 0
		[ "$SECONDS" -lt "$end" ] ||
			fail "$3: testpmd received $p0rx/$p1rx frames on ports 0/1 in 15 s, want $1/$2; lanyard: $(ctlj show | jq -c '[.ports[] | {id, rx: .counters.rx, tx: .counters.tx, errors: .counters.errors}]')"
		sleep 0.1
	done
}
# round TXPKTS [TO1]: one `start tx_first 4` (4 bursts of 32 frames per
# port) with frames of TXPKTS (testpmd's segment list); port 0 receives
# all of port 1's, and port 1 all of port 0's (unless TO1 is 0: port 0
# sends elsewhere).
bursts=4
txpkts=64
round() {
	local r0 r1 t0 t1 n=$((bursts * 32))
	if [ "$1" != "$txpkts" ]; then
		testpmd_cmd "$pmd" "set txpkts $1" >/dev/null
		txpkts=$1
	fi
	pmd_read
	r0=$p0rx r1=$p1rx t0=$p0tx t1=$p1tx
	testpmd_cmd "$pmd" "start tx_first $bursts" >/dev/null
	# Both ports' bursts go into their rings at once; then only the
	# receiving goes on.
	[ "${2:-1}" = 0 ] && n=0
	pmd_wait_rx $((r0 + bursts * 32)) $((r1 + n)) "round of $1-byte frames"
	[ "$((p0tx - t0)) $((p1tx - t1))" = "$((bursts * 32)) $((bursts * 32))" ] ||
		fail "round of $1: testpmd sent $((p0tx - t0))/$((p1tx - t1)) frames on ports 0/1, not $((bursts * 32)) each (ring full?)"
	testpmd_cmd "$pmd" stop >/dev/null
}

# --- 1: vhost <-> vhost ---------------------------------------------------
rounds=0
for _ in 1 2 3; do
	for sz in 64 1514 1000,514 128,128,128,128; do
		round "$sz"
		rounds=$((rounds + 1))
	done
done
pmd_read
total=$((rounds * bursts * 32))
[ "$p0tx $p1tx $p0rx $p1rx" = "$total $total $total $total" ] ||
	fail "after $rounds rounds testpmd counts tx $p0tx/$p1tx rx $p0rx/$p1rx, want $total each"
for x in "va rx $p0tx" "vb tx $p1rx" "vb rx $p1tx" "va tx $p0rx"; do
	read -r p f n <<<"$x"
	[ "$(lc "$p" "$f")" -eq "$n" ] || fail "lanyard's $p.$f is $(lc "$p" "$f"), testpmd counted $n"
done
b=$((rounds * bursts * 32 * (64 + 1514 + 1514 + 512) / 4))
[ "$(lc va rx_bytes)" -eq "$b" ] && [ "$(lc vb rx_bytes)" -eq "$b" ] ||
	fail "lanyard read $(lc va rx_bytes)/$(lc vb rx_bytes) bytes on va/vb, testpmd sent $b each"
echo "ok: vhost <-> vhost: $total frames each way in $rounds rounds (64, 1514, 2 and 4 segments), none lost; lanyard's counters equal testpmd's"
[ "$(mac_port "$m0") $(mac_port "$m1")" = "va vb" ] ||
	fail "MAC table: $m0 on '$(mac_port "$m0")', $m1 on '$(mac_port "$m1")'"

# --- 2: stream -> vhost -------------------------------------------------------
testpmd_cmd "$pmd" start >/dev/null
pmd_read
r0=$p0rx r1=$p1rx
va_tx=$(lc va tx)
n=20000
peer lp tx "stream:unix:$dir/st.sock" --src "$ms" --dst "$m0" --size 1000 \
	--count "$n" --rate 20000
peer_wait lp
[ "$(report lp .sent)" -eq "$n" ] || fail "lanyard-perf sent $(report lp .sent) of $n"
pmd_wait_rx $((r0 + n)) "$r1" "stream -> vhost"
[ $(($(lc va tx) - va_tx)) -eq "$n" ] || fail "lanyard's va sent $(($(lc va tx) - va_tx)) frames, not $n"
echo "ok: stream -> vhost: $n frames at 20000/s, all received by testpmd port 0, none by port 1"

# --- 3: vhost -> stream ---------------------------------------------------------
pmd_read
r0=$p0rx r1=$p1rx
rx_peer lr "stream:unix:$dir/st.sock" "$mr" --idle 5 --duration 90
# Its hello is a broadcast: once to each testpmd port.
pmd_wait_rx $((r0 + 1)) $((r1 + 1)) "lanyard-perf's announcement"
testpmd_cmd "$pmd" stop >/dev/null
testpmd_cmd "$pmd" "set eth-peer 0 $mr" >/dev/null
pmd_read
s0=$p0tx s1=$p1tx r0=$p0rx
for sz in 64 1514 64 1514 1000,514; do
	round "$sz" 0
done
pmd_read
sent=$((p0tx - s0))
[ $((p0rx - r0)) -eq $((p1tx - s1)) ] || fail "port 1 sent $((p1tx - s1)), port 0 received $((p0rx - r0))"
peer_wait lr
[ "$(report lr .other)" -eq "$sent" ] && [ "$(report lr .received)" -eq 0 ] ||
	fail "vhost -> stream: testpmd sent $sent frames, lanyard-perf got $(report lr .other) (and $(report lr .received) test frames): $(cat "$dir/lr.out")"
echo "ok: vhost -> stream: $sent frames from testpmd port 0, all at the stream peer"

# --- 4: tap <-> vhost: ping testpmd's icmpecho -------------------------------
ip addr add 10.36.0.1/24 dev "$tap"
ip link set "$tap" up
ip neigh replace 10.36.0.2 lladdr "$m0" dev "$tap" nud permanent
testpmd_cmd "$pmd" "set fwd icmpecho" >/dev/null
testpmd_cmd "$pmd" start >/dev/null
for size in 56 1400; do
	pmd_read
	r0=$p0rx t0=$p0tx r1=$p1rx
	out=$(ping -c 200 -i 0.01 -W 2 -s "$size" -q 10.36.0.2 2>&1) || true
	grep -q '200 packets transmitted, 200 received' <<<"$out" ||
		fail "ping testpmd with $size bytes through lanyard: $out"
	pmd_read
	[ "$((p0rx - r0)) $((p0tx - t0)) $((p1rx - r1))" = "200 200 0" ] ||
		fail "ping with $size bytes: testpmd port 0 received $((p0rx - r0)), sent $((p0tx - t0)); port 1 received $((p1rx - r1)) (want 200 200 0)"
	echo "ok: tap <-> vhost: 200 of 200 pings with $size-byte payloads answered by testpmd (icmpecho) through lanyard"
done
testpmd_cmd "$pmd" stop >/dev/null
testpmd_cmd "$pmd" "set fwd rxonly" >/dev/null
testpmd_cmd "$pmd" "set eth-peer 0 $m1" >/dev/null

# --- 5: a stray connection, then the front-end goes and comes back -----------
timeout 5 socat -u OPEN:/dev/null "UNIX-CONNECT:$dir/va.sock" >/dev/null 2>&1 || true
# Refused (one front-end at a time) and counted as such.
wait_for '[ "$(lc va errors.\"peer-limit\")" -eq 1 ]' "va's errors.peer-limit to be 1"
[ "$(state_of va)" = up ] || fail "va is $(state_of va) after a stray connection to its socket"
round 64
echo "ok: a second connection to va's socket was refused (peer-limit 1); testpmd's session goes on"
testpmd_stop "$pmd"
wait_state down va vb
echo "ok: testpmd quit: va and vb are down and still listed"
pmd=pmd2 txpkts=64
pmd_start "$pmd"
wait_state up va vb
for _ in 1 2; do
	round 1514
	round 64
done
pmd_read
[ "$p0tx $p1rx" = "$((4 * bursts * 32)) $((4 * bursts * 32))" ] ||
	fail "the second testpmd counts tx $p0tx, rx $p1rx"
echo "ok: a new testpmd attached to va and vb again and exchanged $p0tx frames each way"

# --- what lanyardctl shows at the end -----------------------------------------
show=$(ctlj show)
# va's one peer-limit: the stray connection of part 5.
bad=$(jq -c '[.ports[] | select(.kind == "vhost-user") |
	.counters.errors."peer-limit" -= (if .id == "va" then 1 else 0 end) |
	{id, errors: (.counters.errors | with_entries(select(.value != 0))),
	 drops: (.counters.drops | with_entries(select(.value > 0)))} |
	select((.errors | length) > 0 or (.drops | length) > 0)]' <<<"$show")
[ "$bad" = "[]" ] || fail "errors or drops on the vhost-user ports: $bad"
check_conservation
echo "ok: no errors or drops on the vhost-user ports; counters conserve"
testpmd_stop "$pmd"
lanyard_stop
echo "ok: lanyard exited 0 on SIGTERM"
echo "PASS ($((SECONDS - t_start)) s)"
