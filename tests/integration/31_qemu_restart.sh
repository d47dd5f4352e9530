#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: guests survive a lanyard restart when QEMU listens and lanyard
# dials.
#  - two real QEMU 7.2 guests each run `-netdev stream,server=on` on their
#    own unix socket; lanyard dials both (stream ports with server=off);
#  - the guests ping each other once a second and get answers;
#  - lanyard is stopped with SIGTERM: it exits 0 and leaves the guests'
#    sockets alone, and the pings now fail;
#  - lanyard is started again with the same options: it dials the guests
#    again by itself and the pings succeed again, with no action in the
#    guests or in QEMU.
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

lanyard_args=(
	--port "stream,id=a,path=$dir/a.sock,server=off"
	--port "stream,id=b,path=$dir/b.sock,server=off")

# Both dial-mode ports connected ("up"), within SECS.
wait_ports_up() {	# secs
	local end=$((SECONDS + $1)) j
	while :; do
		j=$("$LANYARDCTL" --ctl "$ctl" show -j 2>/dev/null) || j='{}'
		jq -e '[.ports[]? | select(.id == "a" or .id == "b") | .state] ==
			["up", "up"]' >/dev/null <<<"$j" && return 0
		[ "$SECONDS" -lt "$end" ] || fail "lanyard's dial ports not both up: $j"
		sleep 0.5
	done
}

# Ping results of guest NAME as "seq OK|FAIL", one a line.
pings() { guest_lines "$1" '^PING-(OK|FAIL) [0-9]+$' | awk '{ sub(/^PING-/, ""); print $2, $1 }'; }
last_seq() { pings "$1" | awk 'END { print (NR ? $1 : -1) }'; }
# Wait until guest NAME reports a ping with sequence > AFTER whose result is
# RESULT; 0 if seen in SECS.
wait_ping() {	# name after result secs
	local end=$((SECONDS + $4))
	while :; do
		pings "$1" | awk -v a="$2" -v r="$3" '$1 > a && $2 == r { f = 1 } END { exit !f }' &&
			return 0
		kill -0 "$(guest_pid "$1")" 2>/dev/null || { guest_dump "$1"; return 1; }
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# --- guests listen, lanyard dials ----------------------------------------------
guest_start a pingloop 10.77.0.1/24 \
	"stream,server=on,addr.type=unix,addr.path=$dir/a.sock" e1000 52:54:00:77:01:01 \
	lanyard.peer=10.77.0.2
guest_start b pingloop 10.77.0.2/24 \
	"stream,server=on,addr.type=unix,addr.path=$dir/b.sock" virtio-net-pci 52:54:00:77:01:02 \
	lanyard.peer=10.77.0.1
lanyard_log=$dir/lanyard1.log
lanyard_start "${lanyard_args[@]}"
guest_wait_log a 'GUEST-UP' 120 || fail "guest A did not come up"
guest_wait_log b 'GUEST-UP' 120 || fail "guest B did not come up"
wait_ports_up 20
wait_ping a -1 OK 90 || fail "guest A never reached guest B"
wait_ping b -1 OK 90 || fail "guest B never reached guest A"
echo "ok: guests ping each other through lanyard (lanyard dialing QEMU)"

# --- stop lanyard: pings fail ------------------------------------------------------
lanyard_stop	# SIGTERM: exit 0, no sanitizer report
if [ ! -S "$dir/a.sock" ] || [ ! -S "$dir/b.sock" ]; then
	fail "lanyard removed the guests' listening sockets, which it did not create"
fi
sleep 2
for g in a b; do
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
echo "ok: with lanyard stopped, pings fail"

# --- start it again: pings come back ---------------------------------------------
sa=$(last_seq a)
sb=$(last_seq b)
lanyard_log=$dir/lanyard2.log
lanyard_start "${lanyard_args[@]}"
t0=$SECONDS
wait_ports_up 20
wait_ping a "$sa" OK 60 || fail "guest A gets no ping answers after lanyard restarted"
wait_ping b "$sb" OK 60 || fail "guest B gets no ping answers after lanyard restarted"
echo "ok: after the restart lanyard re-dialed both guests; pings answered again within $((SECONDS - t0)) s"
check_conservation
echo "ok: counters conserve on every port"
echo "PASS"
