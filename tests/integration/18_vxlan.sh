#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: vxlan ports join lanyards on different hosts into one
# Ethernet over a UDP underlay (RFC 7348).  Every host is a namespace of
# the test's own; the underlay is a Linux bridge in the namespace the test
# runs in (192.168.90.0/24); behind each host, a "guest" namespace on a
# veth the host's lanyard attaches with a packet port (10.90.0.0/24, MTU
# 1450 as behind a kernel vxlan device).
#  a) three lanyards, a full mesh of remote= lists: all 6 guest pairs ping
#     without loss; show -j info reads the configuration back (vni,
#     remotes, port, mtu 1500, frame_max 1464, learning, 8 srcports in
#     49152-65535) and
#     vtep_list holds the two peers' underlay addresses; the MAC table has
#     each remote guest on the vxlan port with "dst" = its host's address;
#     counters move and conserve, no drops but same-port;
#  b) one lanyard stopped: the other two still talk without loss; started
#     again with the same configuration it rejoins (its guest pings both
#     others) while the other two keep running, unrestarted;
#  c) iperf3 TCP for 3 s between two guests: the bytes the sending and the
#     receiving vxlan port counted agree with iperf3's (within 10 % + 1 MB),
#     no frame was too big (the guests' super-frames were cut to 1464-byte
#     frames), the third host got none of it (unicast goes to the learned
#     VTEP only);
#  d) hostile datagrams at a lanyard's port 4789 (bad flags, reserved bits
#     set, too short for a frame, unknown VNIs): drops bad-encap and vni
#     rise by exactly what was sent, no inner MAC of theirs is learned, and
#     the switch keeps forwarding;
#  e) a guest with MTU 1500 over a 1500-byte underlay: a 1514-byte frame
#     is dropped (too-big, counted once per echo) and the ping fails; a
#     1464-byte frame passes;
#  e2) an underlay slower than the traffic: frames wait in the vxlan
#     port's backlog and overflow it (backlog-full), lanyard does not spin;
#  f) a VNI map (vni=100:10,200:20): access ports in VLAN 10 and 20 on two
#     hosts, all four guests in one subnet: VLAN 10 reaches VLAN 10 and 20
#     reaches 20 across the underlay, never 10 to 20; the capture shows
#     VLAN 10's guests only under VNI 100, 20's only under 200, untagged;
#  g) multicast group mode (group=239.1.1.1,dev=eth0): two lanyards find
#     each other through the group, flood to it, answer by unicast, and do
#     not take their own looped-back sends for a peer's;
#  h) unprivileged: a lanyard as nobody without any capability (ctl socket
#     in nobody's directory, its guest on a tap made for nobody) talks to a
#     root lanyard: both send from the source ports show lists, all in
#     49152-65535 (no privilege is needed for per-flow source ports).
# Every lanyard must exit 0 on SIGTERM with no sanitizer report.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/netns.sh
. "$here/lib/netns.sh"
# shellcheck source-path=SCRIPTDIR source=lib/switch.sh
. "$here/lib/switch.sh"

need_cmds jq iperf3 tcpdump python3 setpriv=util-linux

t_start=$SECONDS
sfx=$$
ul=192.168.90	# underlay: host i is $ul.i
ov=10.90.0	# overlay: guest i is $ov.i
mac() { printf '02:00:00:90:00:%02x' "$1"; }
H=() G=()	# host and guest namespaces, by number
extra_ns=()
declare -A pid_of=()

cleanup() {
	local n p
	for n in "${!pid_of[@]}"; do
		p=${pid_of[$n]}
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	lanyard_pid=
	switch_cleanup
	ip -n "${G[4]:-none}" link del lyvxt 2>/dev/null ||
		ip -n "${H[2]:-none}" link del lyvxt 2>/dev/null ||
		ip link del lyvxt 2>/dev/null || true
	for n in "${H[@]}" "${G[@]}" "${extra_ns[@]}"; do
		ip netns del "$n" 2>/dev/null || true
	done
	[ -z "${rdir:-}" ] || rm -rf "$rdir"
}
trap cleanup EXIT

# fail: every running lanyard's ports (counters, non-zero drops, info) and
# log tail, then exit 1.  (Replaces switch.sh's, which knows one lanyard.)
fail() {
	local n
	echo "FAIL: $*" >&2
	for n in $(printf '%s\n' "${!pid_of[@]}" | sort); do
		[ -n "${pid_of[$n]}" ] || continue
		echo "--- lanyard $n (pid ${pid_of[$n]}): ports" >&2
		"$LANYARDCTL" --ctl "$(ctl_of "$n")" -j show 2>/dev/null | jq -c '.ports[] |
			{id, kind, rx: .counters.rx, rx_bytes: .counters.rx_bytes,
			 tx: .counters.tx, tx_bytes: .counters.tx_bytes,
			 drops: (.counters.drops | with_entries(select(.value > 0))),
			 errors: (.counters.errors | with_entries(select(.value > 0))),
			 info}' >&2 || echo "(lanyardctl show failed)" >&2
		"$LANYARDCTL" --ctl "$(ctl_of "$n")" fdb 2>/dev/null >&2 || true
		echo "--- lanyard $n: log" >&2
		tail -n 20 "$dir/$n.log" >&2 || true
	done
	exit 1
}

# --- lanyards by name --------------------------------------------------------
# ctl_of NAME: NAME's control socket.  (h: set by the unprivileged run.)
declare -A ctl_path=()
ctl_of() { echo "${ctl_path[$1]:-$dir/$1.sock}"; }
# use NAME: make NAME the lanyard switch.sh's helpers talk to.
use() {
	ctl=$(ctl_of "$1") lanyard_log=$dir/$1.log lanyard_pid=${pid_of[$1]:-}
}
# sw_start NAME NS ARGS...: lanyard NAME in namespace NS.
sw_start() {
	local n=$1 ns=$2
	shift 2
	use "$n"
	lanyard_start_in "$ns" "$@"
	pid_of[$n]=$lanyard_pid
}
# sw_stop NAME: SIGTERM; it must exit 0 without sanitizer reports.
sw_stop() {
	use "$1"
	lanyard_stop
	pid_of[$1]=
}
show_of() { "$LANYARDCTL" --ctl "$(ctl_of "$1")" -j show; }
fdb_of() { "$LANYARDCTL" --ctl "$(ctl_of "$1")" -j fdb; }
# cnt NAME PORT PATH: a counter, e.g. cnt h1 vx '.drops."too-big"'
cnt() {
	show_of "$1" | jq -r --arg p "$2" ".ports[] | select(.id == \$p) | .counters$3"
}
# info NAME PORT KEY: a member of the port's info object, as a string.
info() {
	show_of "$1" | jq -r --arg p "$2" --arg k "$3" \
		'.ports[] | select(.id == $p) | .info[$k] | if . == null then "(absent)" else tostring end'
}
# fdb_entry NAME MAC: "PORT VLAN DST STATIC" of MAC's entry ("-" if none).
fdb_entry() {
	fdb_of "$1" | jq -r --arg m "$2" \
		'[.fdb[] | select(.mac == $m)][0] // {} |
		 "\(.port // "-") \(.vlan // "-") \(.dst // "-") \(if .static == null then "-" else .static end)"'
}
# no_drops NAME EXCEPT...: every drop counter of NAME's totals is 0, but
# for the named ones.
no_drops() {
	local n=$1 d
	shift
	d=$(show_of "$n" | jq -c --args '.totals.drops | with_entries(select(.value > 0 and
		(.key as $k | $ARGS.positional | index($k) | not)))' "$@")
	[ "$d" = "{}" ] || fail "$n: unexpected drops $d"
}
conserve() { use "$1"; check_conservation; }

# --- pings -----------------------------------------------------------------
# ping_ok WHAT NS ADDR [ping args]: 3 echoes, every one answered.
ping_ok() {
	local what=$1 ns=$2 addr=$3 out
	shift 3
	out=$(ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 "$@" "$addr" 2>&1) ||
		fail "$what: ping $addr failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	grep -q ' 0% packet loss' <<<"$out" ||
		fail "$what: ping $addr lost echoes: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
}
# ping_no WHAT NS ADDR [ping args]: no echo is answered.
ping_no() {
	local what=$1 ns=$2 addr=$3
	shift 3
	if ip netns exec "$ns" ping -c 2 -i 0.2 -W 1 "$@" "$addr" >/dev/null 2>&1; then
		fail "$what: ping $addr was answered"
	fi
}

# --- the underlay and the hosts ---------------------------------------------
ns_new() {	# NS: a namespace, loopback up, no IPv6 (no stray ND/MLD frames)
	ip netns add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$1" link set lo up
}
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# The underlay switch: this namespace's bridge, no IGMP snooping (g).
ip link add ul0 type bridge mcast_snooping 0
ip link set ul0 up
# guest NS HOST-NS HOST-IF ADDR MAC: a guest namespace on a veth whose
# other end, HOST-IF, is in HOST-NS (up, no address).
guest() {
	ns_new "$1"
	ip -n "$2" link add "$3" type veth peer name eth0 netns "$1"
	ip -n "$2" link set "$3" up
	ip -n "$1" link set eth0 address "$5" mtu 1450
	ip -n "$1" addr add "$4/24" dev eth0
	ip -n "$1" link set eth0 up
}
for i in 1 2 3; do
	H[i]=lyvx-h$i-$sfx G[i]=lyvx-g$i-$sfx
	ns_new "${H[i]}"
	ip link add "u$i" type veth peer name eth0 netns "${H[i]}"
	ip link set "u$i" master ul0 up
	ip -n "${H[i]}" addr add "$ul.$i/24" dev eth0
	ip -n "${H[i]}" link set eth0 up
	guest "${G[i]}" "${H[i]}" gw "$ov.$i" "$(mac "$i")"
done

# vx_spec I [MORE]: host I's vxlan port, VNI 42, the other two as remotes.
vx_spec() {
	local i=$1 r=() j
	for j in 1 2 3; do [ "$j" = "$i" ] || r+=("$ul.$j"); done
	local IFS=,
	echo "vxlan,id=vx,vni=42,local=$ul.$i,remote=${r[*]}"
}
start_mesh() {	# I: host I's lanyard of the mesh
	sw_start "h$1" "${H[$1]}" --port "$(vx_spec "$1")" --port "packet,id=g,ifname=gw"
}

# === a) three hosts, full mesh ================================================
for i in 1 2 3; do start_mesh "$i"; done
for i in 1 2 3; do
	for j in 1 2 3; do
		[ "$i" = "$j" ] || ping_ok "a: guest $i -> guest $j" "${G[i]}" "$ov.$j"
	done
done
echo "ok: a: all 6 guest pairs ping across three lanyards"

for i in 1 2 3; do
	others=() ; for j in 1 2 3; do [ "$i" = "$j" ] || others+=("$ul.$j"); done
	want="kind=vxlan vni=42 local=$ul.$i port=4789 remotes=${others[0]},${others[1]} mtu=1500 frame_max=1464 learning=on"
	got=$(show_of "h$i" | jq -r '.ports[] | select(.id == "vx") |
		"kind=\(.kind) vni=\(.info.vni) local=\(.info.local) port=\(.info.port) remotes=\(.info.remotes) mtu=\(.info.mtu) frame_max=\(.info.frame_max) learning=\(.info.learning)"')
	[ "$got" = "$want" ] || fail "a: h$i show: got '$got', want '$want'"
	sp=$(info "h$i" vx srcports)
	[ "$(tr ',' '\n' <<<"$sp" | awk '$1 >= 49152 && $1 <= 65535' | sort -u | wc -l)" = 8 ] ||
		fail "a: h$i srcports '$sp': want 8 distinct ports in 49152-65535"
	vl=$(info "h$i" vx vtep_list | tr ',' '\n' | sort | paste -sd,)
	[ "$vl" = "${others[0]},${others[1]}" ] ||
		fail "a: h$i vtep_list '$vl', want ${others[0]},${others[1]}"
	vt=$(info "h$i" vx vteps)
	[ "$vt" -ge 2 ] 2>/dev/null || fail "a: h$i vteps=$vt, want >= 2 (two remote guests learned)"
	for j in 1 2 3; do
		e=$(fdb_entry "h$i" "$(mac "$j")")
		if [ "$i" = "$j" ]; then
			[ "$e" = "g 0 - false" ] || fail "a: h$i: own guest's entry '$e', want 'g 0 - false'"
		else
			[ "$e" = "vx 0 $ul.$j false" ] ||
				fail "a: h$i: guest $j's entry '$e', want 'vx 0 $ul.$j false'"
		fi
	done
	[ "$(cnt "h$i" vx .rx)" -gt 0 ] && [ "$(cnt "h$i" vx .tx)" -gt 0 ] ||
		fail "a: h$i: vx rx $(cnt "h$i" vx .rx) tx $(cnt "h$i" vx .tx)"
	conserve "h$i"
	no_drops "h$i" same-port
	grep -q "vtep_list=" <<<"$("$LANYARDCTL" --ctl "$(ctl_of "h$i")" show vx)" ||
		fail "a: h$i: text show has no vtep_list=: $("$LANYARDCTL" --ctl "$(ctl_of "h$i")" show vx)"
	grep -qF "dst $ul.$(( i % 3 + 1 ))" <<<"$("$LANYARDCTL" --ctl "$(ctl_of "h$i")" fdb)" ||
		fail "a: h$i: text fdb shows no dst column: $("$LANYARDCTL" --ctl "$(ctl_of "h$i")" fdb)"
done
echo "ok: a: show info, vtep_list, MAC table dst per guest, counters conserve on all three"

# === b) one lanyard stops, the others go on; it comes back ====================
p1=${pid_of[h1]} p2=${pid_of[h2]}
sw_stop h3
ping_ok "b: h3 down: guest 1 -> guest 2" "${G[1]}" "$ov.2"
ping_ok "b: h3 down: guest 2 -> guest 1" "${G[2]}" "$ov.1"
ping_no "b: h3 down: guest 1 -> guest 3" "${G[1]}" "$ov.3"
echo "ok: b: with h3's lanyard stopped, guests 1 and 2 talk without loss"
start_mesh 3
ping_ok "b: h3 back: guest 3 -> guest 1" "${G[3]}" "$ov.1"
ping_ok "b: h3 back: guest 3 -> guest 2" "${G[3]}" "$ov.2"
ping_ok "b: h3 back: guest 1 -> guest 3" "${G[1]}" "$ov.3"
[ "${pid_of[h1]}" = "$p1" ] && [ "${pid_of[h2]}" = "$p2" ] &&
	kill -0 "$p1" && kill -0 "$p2" || fail "b: h1 or h2 was restarted"
vl=$(info h3 vx vtep_list | tr ',' '\n' | sort | paste -sd,)
[ "$vl" = "$ul.1,$ul.2" ] || fail "b: restarted h3's vtep_list '$vl'"
[ "$(fdb_entry h1 "$(mac 3)")" = "vx 0 $ul.3 false" ] ||
	fail "b: h1's entry for guest 3: $(fdb_entry h1 "$(mac 3)")"
echo "ok: b: h3 restarted with the same configuration rejoins (h1, h2 untouched)"

# === c) TCP through the overlay ===============================================
s_tx1=$(cnt h1 vx .tx_bytes) s_rx2=$(cnt h2 vx .rx_bytes) s_rx3=$(cnt h3 vx .rx_bytes)
use h1
bytes=$(iperf_tcp "${G[2]}" "${G[1]}" "$ov.2" overlay 3)
tx1=$(($(cnt h1 vx .tx_bytes) - s_tx1))
rx2=$(($(cnt h2 vx .rx_bytes) - s_rx2))
rx3=$(($(cnt h3 vx .rx_bytes) - s_rx3))
[ "$bytes" -gt 1000000 ] || fail "c: iperf3 moved only $bytes bytes"
[ "$tx1" -ge "$bytes" ] && [ "$tx1" -le $((bytes + bytes / 10 + 1000000)) ] ||
	fail "c: h1's vx sent $tx1 bytes for $bytes iperf3 bytes"
[ "$rx2" -ge "$bytes" ] && [ "$rx2" -le $((bytes + bytes / 10 + 1000000)) ] ||
	fail "c: h2's vx received $rx2 bytes for $bytes iperf3 bytes"
[ "$rx3" -lt $((bytes / 100)) ] ||
	fail "c: h3 received $rx3 bytes of a unicast flow between h1 and h2 ($bytes bytes)"
for n in h1 h2; do
	[ "$(cnt "$n" vx '.drops."too-big"')" -eq 0 ] ||
		fail "c: $n: too-big drops during TCP: the guests' frames were not cut to 1464 bytes"
	conserve "$n"
done
echo "ok: c: iperf3 $((bytes * 8 / 3 / 1000000)) Mbit/s; h1 vx sent $tx1, h2 vx received $rx2 bytes for $bytes; h3 saw $rx3 bytes"

# === d) hostile datagrams =====================================================
b_enc=$(cnt h1 vx '.drops."bad-encap"') b_vni=$(cnt h1 vx '.drops.vni')
b_rx=$(cnt h1 vx .rx) b_rxb=$(cnt h1 vx .rx_bytes)
# Each a datagram to h1's port 4789 from h3's underlay address; the inner
# frame is from 02:00:00:00:be:ef, a MAC nobody else uses.  The script
# prints the number of malformed and of wrong-VNI datagrams, and their bytes.
cat >"$dir/hostile.py" <<'EOF'
import socket, sys
inner = bytes.fromhex("02000000dead" "02000000beef" "88b5") + bytes(46)
def hdr(flags, vni, r1=0, r7=0):
    return bytes([flags, 0, 0, r1]) + vni.to_bytes(3, "big") + bytes([r7])
bad = [
    hdr(0x0c, 42) + inner,            # flags 0x0c
    hdr(0x00, 42) + inner,            # I flag clear
    hdr(0x08, 42, r1=1) + inner,      # reserved byte 3 set
    hdr(0x08, 42, r7=1) + inner,      # reserved byte 7 set
    hdr(0x08, 42) + b"\xff\xff",      # 10-byte datagram
    hdr(0x08, 42) + inner[:13],       # 8 + 13 bytes
    hdr(0x08, 42),                    # the header alone
    b"",                              # an empty datagram
]
vni = [hdr(0x08, 43) + inner, hdr(0x08, 0) + inner]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
for d in bad + vni:
    s.sendto(d, (sys.argv[1], 4789))
    n += len(d)
print(len(bad), len(vni), n)
EOF
sent=$(ip netns exec "${H[3]}" python3 "$dir/hostile.py" "$ul.1") ||
	fail "d: could not send the datagrams"
read -r n_bad n_vni n_bytes <<<"$sent"
wait_for "[ \$((\$(cnt h1 vx '.drops.\"bad-encap\"') - b_enc)) -ge $n_bad ] &&
	[ \$((\$(cnt h1 vx .drops.vni) - b_vni)) -ge $n_vni ]" "d: the drops of $n_bad bad and $n_vni wrong-VNI datagrams"
sleep 0.5
d_enc=$(($(cnt h1 vx '.drops."bad-encap"') - b_enc))
d_vni=$(($(cnt h1 vx .drops.vni) - b_vni))
d_rx=$(($(cnt h1 vx .rx) - b_rx)) d_rxb=$(($(cnt h1 vx .rx_bytes) - b_rxb))
[ "$d_enc" -eq "$n_bad" ] || fail "d: bad-encap rose by $d_enc, $n_bad were sent"
[ "$d_vni" -eq "$n_vni" ] || fail "d: vni rose by $d_vni, $n_vni were sent"
[ "$d_rx" -ge $((n_bad + n_vni)) ] && [ "$d_rxb" -ge "$n_bytes" ] ||
	fail "d: rx rose by $d_rx frames, $d_rxb bytes for $((n_bad + n_vni)) datagrams of $n_bytes bytes"
[ "$(fdb_entry h1 02:00:00:00:be:ef)" = "- - - -" ] ||
	fail "d: a hostile datagram's inner MAC was learned: $(fdb_entry h1 02:00:00:00:be:ef)"
conserve h1
ping_ok "d: after hostile input: guest 2 -> guest 1" "${G[2]}" "$ov.1"
ping_ok "d: after hostile input: guest 1 -> guest 3" "${G[1]}" "$ov.3"
echo "ok: d: $n_bad malformed datagrams -> bad-encap +$d_enc, $n_vni foreign VNIs -> vni +$d_vni; still forwarding"

# === e) too big for the underlay ==============================================
b_big=$(cnt h1 vx '.drops."too-big"')
ip -n "${G[1]}" link set eth0 mtu 1500
ping_no "e: a 1514-byte frame" "${G[1]}" "$ov.2" -s 1472 -M "do"
d_big=$(($(cnt h1 vx '.drops."too-big"') - b_big))
[ "$d_big" -eq 2 ] || fail "e: too-big rose by $d_big for 2 echoes of 1514-byte frames"
ping_ok "e: a 1464-byte frame" "${G[1]}" "$ov.2" -s 1422 -M "do"
d_big=$(($(cnt h1 vx '.drops."too-big"') - b_big))
[ "$d_big" -eq 2 ] || fail "e: too-big rose to $d_big with 1464-byte frames"
ip -n "${G[1]}" link set eth0 mtu 1450
conserve h1
echo "ok: e: 1514-byte frames dropped (too-big +2, ping fails), 1464-byte frames pass"

# === e2) an underlay slower than the traffic ===================================
# A 20 Mbit/s token bucket with a deep queue on h1's underlay: the qdisc
# holds lanyard's datagrams, its sending socket fills, frames wait in the
# port's backlog and the rest are dropped there (backlog-full) -- while
# lanyard sleeps until the socket drains (a loop spinning on a writable
# socket would burn a CPU: checked as CPU time).  Then the fast underlay
# is back and traffic flows.
hz=$(getconf CLK_TCK)
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ip netns exec "${H[1]}" tc qdisc add dev eth0 root tbf rate 20mbit burst 32kb limit 20mb
b_full=$(cnt h1 vx '.drops."backlog-full"') b_off=$(cnt h1 vx .tx_offered)
ip netns exec "${G[2]}" iperf3 -s -1 -p 5290 >"$dir/e2-server.log" 2>&1 &
peer_pids+=($!)
sleep 0.5
c0=$(cpu_of "${pid_of[h1]}") s0=$SECONDS
ip netns exec "${G[1]}" timeout 20 iperf3 -c "$ov.2" -p 5290 -u -b 80M -P 4 -l 1350 -t 3 \
	>"$dir/e2-client.log" 2>&1 || fail "e2: iperf3 UDP: $(tail -n 3 "$dir/e2-client.log")"
c1=$(cpu_of "${pid_of[h1]}") s1=$SECONDS
ip netns exec "${H[1]}" tc qdisc del dev eth0 root
wait_for "[ \"\$(cnt h1 vx .queued)\" = 0 ]" "e2: h1's vx backlog to drain"
d_full=$(($(cnt h1 vx '.drops."backlog-full"') - b_full))
d_off=$(($(cnt h1 vx .tx_offered) - b_off))
[ "$d_full" -gt 0 ] || fail "e2: no backlog-full drop on h1's vx for $d_off frames into 20 Mbit/s"
ticks=$((c1 - c0)) secs=$((s1 - s0 > 0 ? s1 - s0 : 1))
[ "$ticks" -lt $((hz * secs / 2)) ] ||
	fail "e2: lanyard h1 used $ticks ticks of CPU in $secs s while its underlay was full"
conserve h1
ping_ok "e2: after the slow underlay: guest 1 -> guest 2" "${G[1]}" "$ov.2"
echo "ok: e2: slow underlay: $d_full of $d_off frames dropped at h1's backlog (backlog-full), $ticks CPU ticks in $secs s, then forwarding again"

for i in 1 2 3; do sw_stop "h$i"; done
echo "ok: a-e: three lanyards exit 0, no sanitizer reports"

# === f) VNI map: two VLANs over one port ======================================
# VLAN 20's guests: 1b behind h1, 2b behind h2, in the same subnet as 10's.
G1b=lyvx-g1b-$sfx G2b=lyvx-g2b-$sfx
extra_ns+=("$G1b" "$G2b")
guest "$G1b" "${H[1]}" gw20 "$ov.11" "$(mac 17)"
guest "$G2b" "${H[2]}" gw20 "$ov.12" "$(mac 18)"
for i in 1 2; do
	sw_start "f$i" "${H[i]}" \
		--port "vxlan,id=vx,vni=100:10,200:20,local=$ul.$i,remote=$ul.$((3 - i))" \
		--port "packet,id=a10,ifname=gw,vlan=10" --port "packet,id=a20,ifname=gw20,vlan=20"
	ip -n "${G[i]}" neigh flush all
done
[ "$(info f1 vx vni)" = "100:10,200:20" ] || fail "f: show vni '$(info f1 vx vni)'"
capture_start vmap "$LANYARD_TEST_NETNS" u1 udp port 4789
ping_ok "f: VLAN 10: guest 1 -> guest 2" "${G[1]}" "$ov.2"
ping_ok "f: VLAN 20: guest 1b -> guest 2b" "$G1b" "$ov.12"
ping_ok "f: VLAN 20: guest 2b -> guest 1b" "$G2b" "$ov.11"
ping_no "f: VLAN 10 -> 20 across" "${G[1]}" "$ov.12"
ping_no "f: VLAN 10 -> 20 on one host" "${G[1]}" "$ov.11"
ping_no "f: VLAN 20 -> 10 across" "$G2b" "$ov.1"
capture_stop vmap
pcap_vxlan "$dir/vmap.pcap" >"$dir/vmap.txt"
m10="$(mac 1) $(mac 2)" m20="$(mac 17) $(mac 18)"
bad=$(awk -v m10="$m10" -v m20="$m20" '
	BEGIN { split(m10, a); split(m20, b); for (i in a) v[a[i]] = 100; for (i in b) v[b[i]] = 200 }
	$5 != "0x08" || $4 != 4789 || $9 == "802.1Q" || !($7 in v) || v[$7] != $6' "$dir/vmap.txt")
[ -z "$bad" ] || fail "f: datagrams with the wrong VNI, flags, port or a tag inside:
$bad"
for v in 100 200; do
	awk -v v="$v" '$6 == v && $9 == "IPv4" { f = 1 } END { exit !f }' "$dir/vmap.txt" ||
		fail "f: no IPv4 under VNI $v in the capture: $(cat "$dir/vmap.txt")"
done
[ "$(fdb_entry f1 "$(mac 2)")" = "vx 10 $ul.2 false" ] ||
	fail "f: f1's entry for guest 2: $(fdb_entry f1 "$(mac 2)")"
[ "$(fdb_entry f1 "$(mac 18)")" = "vx 20 $ul.2 false" ] ||
	fail "f: f1's entry for guest 2b: $(fdb_entry f1 "$(mac 18)")"
for n in f1 f2; do
	conserve "$n"
	no_drops "$n" same-port
done
echo "ok: f: VLAN 10 <-> VNI 100, VLAN 20 <-> VNI 200 ($(wc -l <"$dir/vmap.txt") datagrams checked), no leak between them"
sw_stop f1
sw_stop f2

# === g) multicast group ========================================================
for i in 1 2; do
	sw_start "m$i" "${H[i]}" \
		--port "vxlan,id=vx,vni=42,local=$ul.$i,group=239.1.1.1,dev=eth0" \
		--port "packet,id=g,ifname=gw"
	ip -n "${G[i]}" neigh flush all
done
[ "$(info m1 vx group)" = "239.1.1.1" ] && [ "$(info m1 vx remotes)" = "" ] ||
	fail "g: show group '$(info m1 vx group)' remotes '$(info m1 vx remotes)'"
capture_start grp "$LANYARD_TEST_NETNS" u1 udp port 4789
ping_ok "g: guest 1 -> guest 2" "${G[1]}" "$ov.2"
ping_ok "g: guest 2 -> guest 1" "${G[2]}" "$ov.1"
capture_stop grp
pcap_vxlan "$dir/grp.pcap" >"$dir/grp.txt"
awk -v s="$ul.1" '$1 == s && $3 == "239.1.1.1" && $4 == 4789 && $6 == 42 { f = 1 } END { exit !f }' \
	"$dir/grp.txt" || fail "g: h1 flooded nothing to the group: $(cat "$dir/grp.txt")"
awk -v s="$ul.1" -v d="$ul.2" -v m="$(mac 1)" \
	'$1 == s && $3 == d && $7 == m && $9 == "IPv4" { f = 1 } END { exit !f }' "$dir/grp.txt" ||
	fail "g: h1 did not send guest 1's unicast to h2 directly: $(cat "$dir/grp.txt")"
for i in 1 2; do
	[ "$(fdb_entry "m$i" "$(mac "$i")")" = "g 0 - false" ] ||
		fail "g: m$i took its own guest for a remote one (looped-back group sends): $(fdb_entry "m$i" "$(mac "$i")")"
	[ "$(fdb_entry "m$i" "$(mac $((3 - i)))")" = "vx 0 $ul.$((3 - i)) false" ] ||
		fail "g: m$i: the other guest: $(fdb_entry "m$i" "$(mac $((3 - i)))")"
	conserve "m$i"
done
echo "ok: g: group 239.1.1.1: floods to the group, unicast to the learned VTEP, own sends ignored"
sw_stop m1
sw_stop m2

# === h) unprivileged ===========================================================
# A persistent tap for nobody in h2, its far side a guest namespace; the
# lanyard runs as nobody without capabilities, /dev/net/tun 0666 in a mount
# namespace of its own where the machine has it 0600.
Gu=lyvx-gu-$sfx
G[4]=$Gu
ns_new "$Gu"
ip -n "${H[2]}" tuntap add dev lyvxt mode tap user nobody
rdir=$(mktemp -d)
chown nobody "$rdir"
chmod 0700 "$rdir"
ctl_path[u2]=$rdir/ctl.sock
sw_start r1 "${H[1]}" --port "vxlan,id=vx,vni=42,local=$ul.1,remote=$ul.2" \
	--port "packet,id=g,ifname=gw"
# shellcheck disable=SC2016
as_user='d=$(mktemp -d) && mount -t tmpfs -o mode=0755 none "$d" &&
	mknod -m 0666 "$d/tun" c 10 200 &&
	mount --bind "$d/tun" /dev/net/tun || exit 99
	exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$@"'
use u2
ip netns exec "${H[2]}" unshare --mount --propagation private bash -c "$as_user" lanyard \
	"$LANYARD" --ctl "$ctl" --port "vxlan,id=vx,vni=42,local=$ul.2,remote=$ul.1" \
	--port "tap,id=t,ifname=lyvxt" >"$lanyard_log" 2>&1 &
lanyard_pid=$!
pid_of[u2]=$lanyard_pid
# shellcheck disable=SC2016
wait_for '"$LANYARDCTL" --ctl "$ctl" version >/dev/null 2>&1' "the lanyard as nobody"
st=$(cat "/proc/$lanyard_pid/status")
uid=$(awk '$1 == "Uid:" { print $3 }' <<<"$st")
caps=$(awk '$1 ~ /^Cap(Inh|Prm|Eff|Bnd|Amb):$/ { printf "%s%s ", $1, $2 }' <<<"$st")
[ "$uid" = 65534 ] || fail "h: lanyard runs as uid $uid"
[ "$caps" = "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 " ] ||
	fail "h: lanyard still has capabilities: $caps"
ip -n "${H[2]}" link set lyvxt netns "$Gu"
ip -n "$Gu" link set lyvxt address "$(mac 20)" mtu 1450
ip -n "$Gu" addr add "$ov.20/24" dev lyvxt
ip -n "$Gu" link set lyvxt up
sp_u=$(info u2 vx srcports) sp_r=$(info r1 vx srcports)
capture_start unpriv "$LANYARD_TEST_NETNS" u2 udp port 4789
ping_ok "h: guest 1 (root lanyard) -> tap guest (nobody's lanyard)" "${G[1]}" "$ov.20"
ping_ok "h: tap guest -> guest 1" "$Gu" "$ov.1"
capture_stop unpriv
pcap_vxlan "$dir/unpriv.pcap" >"$dir/unpriv.txt"
n_u=$(awk -v s="$ul.2" '$1 == s' "$dir/unpriv.txt" | wc -l)
n_r=$(awk -v s="$ul.1" '$1 == s' "$dir/unpriv.txt" | wc -l)
[ "$n_u" -gt 0 ] && [ "$n_r" -gt 0 ] || fail "h: captured $n_u datagrams from nobody's lanyard, $n_r from root's"
# Each lanyard sends from the ports its show lists, privileged or not.
for who in "u2 $ul.2 $sp_u" "r1 $ul.1 $sp_r"; do
	read -r name src list <<<"$who"
	bad=$(awk -v s="$src" -v l="$list" 'BEGIN { n = split(l, a, ","); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
		$1 == s && (!($2 in ok) || $2 < 49152 || $2 > 65535 || $4 != 4789 || $5 != "0x08")' "$dir/unpriv.txt")
	[ -z "$bad" ] || fail "h: $name sent from a port not in its srcports ($list):
$bad"
done
conserve u2
conserve r1
echo "ok: h: lanyard as nobody, no capabilities, pings a root lanyard; both send from their srcports ($n_u and $n_r datagrams)"
sw_stop u2
sw_stop r1
echo "ok: every lanyard exited 0 without sanitizer reports"
echo "PASS ($((SECONDS - t_start)) s)"
