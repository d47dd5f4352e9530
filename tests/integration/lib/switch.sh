# SPDX-License-Identifier: MIT
# switch.sh - sourced by integration tests that run lanyard with
# lanyard-perf peers.  Provides: a private temporary directory ($dir),
# lanyard started and stopped by PID, peers started in the background and
# reaped by PID, and assertions on lanyardctl's JSON.  Every process it
# starts is killed by PID at exit.  A script with more to clean up sets
# its own EXIT trap that also calls switch_cleanup.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
LANYARD=${LANYARD:-$top/build/src/lanyard}
LANYARDCTL=${LANYARDCTL:-$top/build/tools/lanyardctl}
LANYARD_PERF=${LANYARD_PERF:-$top/build/tools/lanyard-perf}

dir=$(mktemp -d)
chmod 0700 "$dir"
ctl=$dir/ctl.sock
lanyard_log=$dir/lanyard.log	# where lanyard_start sends lanyard's output
lanyard_pid=
peer_pids=()
test_netns=()	# namespaces ns_add made, deleted by switch_cleanup

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$lanyard_log" ]; then
		echo "--- lanyard log" >&2
		tail -n 30 "$lanyard_log" >&2
	fi
	exit 1
}

switch_cleanup() {
	local p
	for p in "${peer_pids[@]}"; do
		kill "$p" 2>/dev/null || true
		kill -CONT "$p" 2>/dev/null || true	# a test may have stopped it
	done
	for p in "${peer_pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$lanyard_pid" ]; then
		kill "$lanyard_pid" 2>/dev/null || true
		wait "$lanyard_pid" 2>/dev/null || true
	fi
	for p in "${test_netns[@]}"; do
		ip netns del "$p" 2>/dev/null || true
	done
	rm -rf "$dir"
}

# ns_add NAME...: create network namespaces that switch_cleanup removes.
ns_add() {
	local n
	for n in "$@"; do
		ip netns add "$n" || fail "ip netns add $n"
		test_netns+=("$n")
	done
}
trap switch_cleanup EXIT

# host_apt ARGS...: apt-get in the host's network namespace: a script that
# lib/netns.sh moved into a namespace of its own has no route to the
# mirror there (its DNS lookups fail).
host_apt() {
	if [ -n "${LANYARD_TEST_HOSTNS:-}" ]; then
		nsenter --net="$LANYARD_TEST_HOSTNS" -- apt-get "$@"
	else
		apt-get "$@"
	fi
}

# need_cmds CMD[=PKG[,PKG...]]...: install, from Debian, the package (CMD
# itself unless named) of every CMD not found, so a script also runs on
# its own, outside test.sh (which installs scripts/deps.sh's set first).
need_cmds() {
	local want=() c pkgs
	for c in "$@"; do
		IFS=, read -ra pkgs <<<"${c#*=}"
		command -v "${c%%=*}" >/dev/null || want+=("${pkgs[@]}")
	done
	[ "${#want[@]}" -gt 0 ] || return 0
	host_apt install -y -q --no-install-recommends "${want[@]}" >&2 && return 0
	# The mirror may be out of date or briefly unreachable: refresh and
	# try again, three times.
	local try
	for try in 1 2 3; do
		sleep $((try * 5))
		host_apt update -qq >&2 &&
			host_apt install -y -q --no-install-recommends "${want[@]}" >&2 &&
			return 0
	done
	return 1
}

# lanyard_start ARGS...: start lanyard on $ctl, wait until it answers.
lanyard_start() { lanyard_start_in "" "$@"; }

# lanyard_stop: SIGTERM, and lanyard must exit 0 without sanitizer reports.
lanyard_stop() {
	local rc=0
	kill "$lanyard_pid"
	wait "$lanyard_pid" || rc=$?
	lanyard_pid=
	[ "$rc" -eq 0 ] || fail "lanyard exited $rc on SIGTERM"
	if grep -qE 'Sanitizer|runtime error' "$lanyard_log"; then
		cat "$lanyard_log" >&2
		fail "sanitizer report in lanyard's log"
	fi
}

ctlj() { "$LANYARDCTL" --ctl "$ctl" -j "$@"; }

# peer NAME ARGS...: run lanyard-perf in the background; its report goes
# to $dir/NAME.out.  With --ready in ARGS, waits for the file.
peer() {
	local name=$1; shift
	"$LANYARD_PERF" "$@" --json >"$dir/$name.out" 2>"$dir/$name.err" &
	peer_pids+=($!)
	eval "pid_$name=$!"
}

# rx_peer NAME ENDPOINT MAC [ARGS...]: a receiver that announces MAC and
# is ready (known to the switch) when this returns.
rx_peer() {
	local name=$1 ep=$2 mac=$3; shift 3
	peer "$name" rx "$ep" --src "$mac" --announce --ready "$dir/$name.ready" "$@"
	wait_for "test -f $dir/$name.ready" "$name ready"
}

# peer_wait NAME: wait for a background peer to end; fails if it failed.
peer_wait() {
	local p rc=0
	p=$(eval "echo \$pid_$1")
	wait "$p" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$dir/$1.err" >&2; fail "peer $1 exited $rc"; }
}

# report NAME FILTER: a field of a peer's JSON report.
report() { jq -r "$2" "$dir/$1.out"; }

# wait_for CMD WHAT: poll CMD for up to 10 s.
wait_for() {
	local _
	for _ in $(seq 200); do
		eval "$1" && return 0
		sleep 0.05
	done
	fail "timed out waiting for $2"
}

# mac_port MAC: the port the MAC table puts MAC on, or "".
mac_port() {
	ctlj fdb | jq -r --arg m "$1" '[.fdb[] | select(.mac == $m) | .port][0] // ""'
}

# port_of_parent PARENT N: the id of PARENT's Nth child (1-based, by order).
children() { ctlj show | jq -r --arg p "$1" '[.ports[] | select(.parent == $p) | .id] | join(" ")'; }

# counter PORT PATH: one counter of a port, e.g. counter st.1 .tx
counter() {
	ctlj show | jq -r --arg p "$1" ".ports[] | select(.id == \$p) | .counters$2"
}

# tap_into NS IF ADDR [MAC]: move the tap IF lanyard made into namespace
# NS, with ADDR/24 (and MAC), and bring it and NS's loopback up.
tap_into() {
	ip link set "$2" netns "$1"
	[ -z "${4:-}" ] || ip -n "$1" link set "$2" address "$4"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
	ip -n "$1" link set lo up
}

# check_conservation: the equations of docs/architecture.md hold for every
# port and for the totals:
#   rx         = rx_fwd + runt + oversize + no-buffer + bad-src + same-port
#                + no-port + vlan + bad-vnet-hdr + bad-encap + vni + policy
#                + storm + mac-limit
#   tx_offered = tx + queued + backlog-full + peer-gone + tag-no-buffer
#                + bad-offload + seg-no-buffer + link-down + too-big
#                + no-vtep
check_conservation() {
	local bad show
	show=$(ctlj show)
	bad=$(jq -r '
		def ok: .rx == .rx_fwd + .drops.runt + .drops.oversize +
			.drops."no-buffer" + .drops."bad-src" +
			.drops."same-port" + .drops."no-port" + .drops.vlan +
			.drops."bad-vnet-hdr" + .drops."bad-encap" + .drops.vni +
			.drops.policy + .drops.storm + .drops."mac-limit"
		    and .tx_offered == .tx + .queued + .drops."backlog-full" +
			.drops."peer-gone" + .drops."tag-no-buffer" +
			.drops."bad-offload" + .drops."seg-no-buffer" +
			.drops."link-down" + .drops."too-big" +
			.drops."no-vtep";
		([.ports[] | select(.counters | ok | not) | .id] +
		 (if (.totals | ok) then [] else ["totals"] end)) | join(" ")' <<<"$show")
	[ -z "$bad" ] || fail "conservation broken on: $bad ($show)"
}

# iperf_tcp SRV-NS CLI-NS ADDR NAME SECONDS [client args...]: iperf3 TCP
# for SECONDS from CLI-NS to a one-shot server on ADDR in SRV-NS (JSON in
# $dir/NAME.json); prints the bytes the server received.  Meant for $(...):
# the server is killed if the client fails, and dies of old age anyway.
iperf_tcp() {
	local sns=$1 cns=$2 addr=$3 name=$4 secs=$5 spid; shift 5
	timeout $((secs + 60)) ip netns exec "$sns" iperf3 -s -1 -B "$addr" \
		-p 5201 >"$dir/$name.srv" 2>&1 &
	spid=$!
	wait_for "ip netns exec $sns ss -ltn | grep -q $addr:5201" "iperf3 server"
	timeout $((secs + 30)) ip netns exec "$cns" iperf3 -c "$addr" \
		-p 5201 -t "$secs" -J "$@" >"$dir/$name.json" ||
		{ kill "$spid"; fail "iperf3 $name: $(tail -5 "$dir/$name.json")"; }
	wait "$spid" || true
	jq -r '.end.sum_received.bytes' "$dir/$name.json"
}

# --- switches inside network namespaces, underlay captures ------------------

# lanyard_start_in NS ARGS...: lanyard_start, with lanyard inside network
# namespace NS ("": this one).  ip netns exec execs lanyard, so
# $lanyard_pid is its own.
lanyard_start_in() {
	local ns=$1 where=${1:+ (in $1)} _
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$LANYARD" --ctl "$ctl" "$@" >"$lanyard_log" 2>&1 &
	else
		"$LANYARD" --ctl "$ctl" "$@" >"$lanyard_log" 2>&1 &
	fi
	lanyard_pid=$!
	for _ in $(seq 100); do
		"$LANYARDCTL" --ctl "$ctl" version >/dev/null 2>&1 && return 0
		kill -0 "$lanyard_pid" 2>/dev/null || fail "lanyard$where exited at start"
		sleep 0.1
	done
	fail "lanyard$where not answering after 10 s"
}

# capture_start NAME NS IF FILTER...: tcpdump on IF inside namespace NS,
# headers only, into $dir/NAME.pcap; listening when this returns.  Killed
# by PID at exit like the peers.
capture_start() {
	local name=$1 ns=$2 ifc=$3
	shift 3
	ip netns exec "$ns" tcpdump -i "$ifc" -s 192 --immediate-mode -U -n -w "$dir/$name.pcap" "$@" \
		>"$dir/$name.tcpdump" 2>&1 &
	peer_pids+=($!)
	eval "cap_$name=$!"
	wait_for "grep -q 'listening on' $dir/$name.tcpdump" "tcpdump $name"
}

# capture_stop NAME: end a capture (SIGTERM, by PID) once the last
# packets are written (immediate mode: each as it comes).
capture_stop() {
	local p
	p=$(eval "echo \$cap_$1")
	sleep 0.5
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

# pcap_vxlan FILE: one line per VXLAN datagram (UDP port 4789) in FILE, as
# tcpdump decodes it:
#   OUTER-SRC SPORT OUTER-DST DPORT FLAGS VNI INNER-SRC-MAC INNER-DST-MAC INNER-ETHERTYPE
# e.g. "192.168.90.1 51234 192.168.90.2 4789 0x08 42 02:.. ff:.. ARP".
pcap_vxlan() {
	tcpdump -r "$1" -nn -e 2>/dev/null | awk '
	function emit() {
		if (have) print src, sport, dst, dport, flags, vni, smac, dmac, et
		have = 0
	}
	/: VXLAN, flags / {
		emit()
		o = $0
		sub(/^.* length [0-9]+: /, "", o)
		split(o, a, " ")
		src = a[1]; dst = a[3]; sub(/:$/, "", dst)
		sport = src; sub(/^.*\./, "", sport); sub(/\.[0-9]+$/, "", src)
		dport = dst; sub(/^.*\./, "", dport); sub(/\.[0-9]+$/, "", dst)
		flags = "?"; vni = "?"; smac = "?"; dmac = "?"; et = "?"
		if (match(o, /\(0x[0-9a-f]+\)/)) flags = substr(o, RSTART + 1, RLENGTH - 2)
		if (match(o, /vni [0-9]+/)) vni = substr(o, RSTART + 4, RLENGTH - 4)
		have = 1; inner = 0
		next
	}
	have && !inner {	# the line after: the inner frame, with -e
		split($0, b, " ")
		smac = b[1]; dmac = b[3]; sub(/,$/, "", dmac); et = b[5]
		inner = 1
		next
	}
	{ emit() }
	END { emit() }'
}
