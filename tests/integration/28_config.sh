#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: a switch started from a configuration file, changed while it
# runs, saved, and started again from what was saved is the same switch:
#  - lanyard -f FILE reads options and ports (comments, blank lines,
#    "--name", values with spaces); the command line adds ports and
#    overrides options;
#  - a broken file is refused naming its line (an unknown option, a bad
#    value, a bad port spec), exit 2, nothing left running;
#  - port add, port set and port del are in what "lanyardctl save FILE"
#    writes; lanyard -f that file has the same ports with the same
#    configuration and the same options, and carries traffic; saving it
#    again gives the same file;
#  - --pcap FILE in a file captures from the start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
need_cmds tshark
ctl_() { "$LANYARDCTL" --ctl "$ctl" "$@"; }
configs() { ctlj show | jq -c '[.ports[] | select(.parent == null) | {id, config, vlan, policy: .policy.text}]'; }

# --- broken files name their line --------------------------------------
refused() {	# file-content expected-message
	local rc=0 out
	printf '%b' "$1" >"$dir/bad.conf"
	out=$("$LANYARD" -f "$dir/bad.conf" --ctl "$dir/bad.sock" 2>&1 </dev/null) || rc=$?
	[ "$rc" -eq 2 ] && grep -qF -- "$2" <<<"$out" ||
		fail "broken file: exit $rc, '$out', want 2 and '$2'"
	[ ! -e "$dir/bad.sock" ] || fail "a refused start left its control socket"
}
refused '# a comment\nfdb-size 64\n\nbogus 1\n' "bad.conf: line 4: 'bogus': unknown option"
refused 'ageing x\n' "bad.conf: line 1: --ageing: expected a number"
refused "port stream,id=a,path=$dir/a.sock\nport stream,id=b,nope=1\n" \
	"bad.conf: line 2: port stream,id=b,nope=1:"
refused 'version\n' "line 1: 'version' has no place in a configuration file"
rc=0; out=$("$LANYARD" -f "$dir/none.conf" 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -q "none.conf: No such file" <<<"$out" || fail "missing file: $rc '$out'"
echo "ok: broken configuration files are refused naming the line, exit 2"

# --- a file, the command line on top -----------------------------------
mkdir "$dir/with space"
cat >"$dir/lanyard.conf" <<EOF
# lanyard test configuration
fdb-size 2048
  --ageing 600
pcap $dir/with space/start.pcapng

port stream,id=a,path=$dir/a.sock,mode=bridge
port stream,id=b,path=$dir/b.sock,vlan=10
EOF
lanyard_start -f "$dir/lanyard.conf" --ageing 42 \
	--port "dgram,id=c,path=$dir/c.sock,vlan=10,bcast_pps=1000"
fdb=$(ctlj fdb | jq -c '.fdb_stats | {capacity, ageing}')
[ "$fdb" = '{"capacity":2048,"ageing":42}' ] || fail "fdb options: $fdb, want capacity 2048 (file) and ageing 42 (command line)"
[ "$(ctlj show | jq -c '[.ports[].id]')" = '["a","b","c"]' ] ||
	fail "ports: $(ctlj show | jq -c '[.ports[].id]'), want the file's a, b then c"
echo "ok: lanyard -f reads the file; the command line adds a port and overrides ageing"

# --- change it, save, restart from the save -----------------------------
ctl_ port add "stream,id=hp,path=$dir/hp.sock,isolated=on" >/dev/null
# Traffic before the changes, so the capture started by the file has something in it.
rx_peer A "stream:unix:$dir/a.sock" 02:00:00:00:00:0a --duration 30
peer S tx "stream:unix:$dir/hp.sock" --src 02:00:00:00:00:5e \
	--dst 02:00:00:00:00:0a --count 20 --rate 1000
peer_wait S
wait_for '[ "$(counter a.1 .tx)" -ge 20 ]' "20 frames to A"
kill "$pid_A"; peer_wait A
ctl_ port set a "mode=private,mtu=1400" >/dev/null
ctl_ port set b "trunk=10,20" >/dev/null
ctl_ port add "stream,id=gone,path=$dir/gone.sock" >/dev/null
ctl_ port del gone >/dev/null
ctl_ save "$dir/saved.conf" | grep -q "saved to $dir/saved.conf" || fail "save printed no confirmation"
before=$(configs)
grep -q "^port stream,id=hp,path=$dir/hp.sock,isolated=on$" "$dir/saved.conf" ||
	fail "hot-plugged port missing from the save: $(cat "$dir/saved.conf")"
! grep -q "id=gone" "$dir/saved.conf" || fail "a deleted port was saved"
grep -q "^ageing 42$" "$dir/saved.conf" && grep -q "^fdb-size 2048$" "$dir/saved.conf" ||
	fail "options missing from the save: $(cat "$dir/saved.conf")"
[ "$(ctlj save | jq -r .config)" = "$(cat "$dir/saved.conf")" ] ||
	fail "save -j and save FILE differ"
lanyard_stop
n=$(tshark -r "$dir/with space/start.pcapng" -Y 'eth.src == 02:00:00:00:00:5e' 2>/dev/null | wc -l)
# Each of the 20 frames: received on hp's port, sent on a's.
[ "$n" -eq 40 ] || fail "--pcap from the file holds $n frames of S, want 40 (in and out)"
echo "ok: pcap from the file captured from the start ($n packets of the flow)"

rm -f "$dir/with space/start.pcapng"
lanyard_start -f "$dir/saved.conf"
after=$(configs)
[ "$after" = "$before" ] || fail "after a restart from the save: $after, before: $before"
fdb=$(ctlj fdb | jq -c '.fdb_stats | {capacity, ageing}')
[ "$fdb" = '{"capacity":2048,"ageing":42}' ] || fail "fdb options after the restart: $fdb"
ctl_ save "$dir/saved2.conf" >/dev/null
cmp -s "$dir/saved.conf" "$dir/saved2.conf" ||
	fail "saving the restarted switch differs: $(diff "$dir/saved.conf" "$dir/saved2.conf")"
# It carries traffic: hp (isolated) to a (private: reaches the uplink
# only, and there is none) is refused; c to b in VLAN 10 flows.
rx_peer B "stream:unix:$dir/b.sock" 02:00:00:00:00:0b --duration 30
peer T tx "dgram:unix:$dir/c.sock" --src 02:00:00:00:00:0c \
	--dst 02:00:00:00:00:0b --count 30 --rate 1000
peer_wait T
wait_for '[ "$(counter b.1 .tx)" -ge 30 ]' "30 frames from c to b"
check_conservation
lanyard_stop
echo "ok: save, restart from it: the same ports, configuration and options; saved again, the same file"
