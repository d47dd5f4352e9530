#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: "lanyardctl port set ID KEY=VALUE,..." changes a running
# port's policy and VLAN keys (docs/policy.md, docs/control-protocol.md),
# and the change is what the next frames meet and what a user reads back.
# Two stream listeners a and b, a receiver on each (A on a.1, B on b.1);
# senders connect as further children of the listeners, which take the
# listener's setting, as do the receivers' ports:
#  - isolated=on on both: unicast between them is dropped (policy), a
#    broadcast reaches nobody (no-port); isolated=off: they flow again;
#    one isolated port still reaches one that is not;
#  - vlan=10 on b: a's frames no longer reach B, b's frames tagged for
#    another VLAN are dropped (vlan) where before they were carried;
#    vlan=10 on a too: they meet again;
#  - mtu=100 on b: a 114-byte frame reaches B, a 115-byte one is dropped
#    (too-big); mode=private on a: its broadcast reaches nobody;
#  - show (text and -j) reads back the new config string, policy and VLAN;
#    port set answers {"ok":true,"port":..,"config":..} under -j;
#  - mode=bogus, mtu=5 and an unknown key are refused (bad-spec, exit 1)
#    naming the key and change nothing: isolated=on,mode=bogus leaves the
#    port open; an unknown port is no-such-port; a missing KEY=VALUE is a
#    usage error (exit 2);
#  - counters conserve.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
command -v jq >/dev/null || fail "jq missing (test.sh installs it)"
ctl_() { "$LANYARDCTL" --ctl "$ctl" "$@"; }

lanyard_start \
	--port "stream,id=a,path=$dir/a.sock" \
	--port "stream,id=b,path=$dir/b.sock"
A=02:00:00:00:00:0a B=02:00:00:00:00:0b
S=02:00:00:00:00:01 T=02:00:00:00:00:02 BC=ff:ff:ff:ff:ff:ff
rx_peer A "stream:unix:$dir/a.sock" $A --duration 120
rx_peer B "stream:unix:$dir/b.sock" $B --duration 120
[ "$(mac_port $A)" = a.1 ] && [ "$(mac_port $B)" = b.1 ] ||
	fail "A on '$(mac_port $A)', B on '$(mac_port $B)', want a.1 and b.1"

total() { ctlj show | jq -r ".totals$1"; }
# port_field ID FILTER: a field of one port in -j show.
port_field() { ctlj show | jq -r --arg p "$1" ".ports[] | select(.id == \$p) | $2"; }

# send SOCK SRC DST FLOW COUNT [ARGS]: COUNT frames into listener SOCK's
# new child; returns once the switch has read and forwarded all of them,
# so a change made next cannot meet them.
send() {
	local sock=$1 src=$2 dst=$3 flow=$4 n=$5 rx0; shift 5
	rx0=$(total .rx)
	peer "tx$flow" tx "stream:unix:$dir/$sock.sock" --src "$src" \
		--dst "$dst" --flow "$flow" --count "$n" --rate 4000 "$@"
	peer_wait "tx$flow"
	wait_for '[ "$(total .rx)" -ge $((rx0 + n)) ]' "flow $flow read by the switch"
	wait_for '[ "$(total .queued)" -eq 0 ]' "flow $flow sent on"
}

# set_ok ID KV: port set succeeds; its -j reply names the port and a
# config holding KV.
set_ok() {
	local out
	out=$(ctlj port set "$1" "$2") || fail "port set $1 $2 failed: $out"
	jq -e --arg p "$1" --arg kv "$2" '.ok == true and .port == $p and
		(.config | split(",") | index($kv) != null)' >/dev/null <<<"$out" ||
		fail "port set $1 $2: reply $out"
}

# expect_drop CAUSE DELTA CMD...: CMD raises totals.drops.CAUSE by DELTA.
expect_drop() {
	local cause=$1 delta=$2 d0 d1; shift 2
	d0=$(total ".drops.\"$cause\"")
	"$@"
	d1=$(total ".drops.\"$cause\"")
	[ "$d1" -eq $((d0 + delta)) ] || fail "$cause drops went $d0 -> $d1, want +$delta (after: $*)"
}

# --- baseline: plain bridge, every frame gets through ------------------------
send a $S $B 1 40		# unicast a -> B
send a $S $BC 2 40		# broadcast from a
send b $T $A 3 40		# unicast b -> A
send b $T $BC 4 40 --vlan 20	# a tagged frame on a VLAN-unaware port: carried

# --- isolated=on on both: nothing between them -------------------------------
out=$(ctl_ port set a isolated=on) || fail "port set a isolated=on: $out"
grep -q "^port a set" <<<"$out" && grep -q "config: .*isolated=on" <<<"$out" ||
	fail "port set printed: $out"
set_ok b isolated=on
for p in a b a.1 b.1; do
	[ "$(port_field $p '[.policy.isolated, .policy.text] | join(" ")')" = "true isolated" ] ||
		fail "show: $p's policy $(port_field $p '.policy | tojson'), want isolated"
done
port_field a .config | grep -q "^stream,id=a,path=$dir/a.sock,isolated=on$" ||
	fail "show: a's config '$(port_field a .config)'"
ctl_ show | grep -qx "  config: stream,id=a,path=$dir/a.sock,isolated=on" ||
	fail "lanyardctl show does not print a's new config: $(ctl_ show)"
ctl_ show | grep -qx "  policy: isolated" ||
	fail "lanyardctl show prints no policy line: $(ctl_ show)"
expect_drop policy 40 send a $S $B 5 40
expect_drop no-port 40 send a $S $BC 6 40
expect_drop policy 40 send b $T $A 7 40
echo "ok: isolated=on on both: unicast dropped (policy), broadcast reaches nobody (no-port)"

# --- isolated=off: they flow again; one isolated port reaches an open one ---
set_ok a isolated=off
set_ok b isolated=off
for p in a b.1; do
	[ "$(port_field $p '[.policy.isolated, .policy.text] | join(" ")')" = "false " ] ||
		fail "show: $p's policy after isolated=off: $(port_field $p '.policy | tojson')"
done
send a $S $B 8 40
send a $S $BC 9 40
set_ok b isolated=on
send a $S $B 10 40		# a is open: reaches isolated B
echo "ok: isolated=off: frames flow again; an isolated port still reaches an open one"

# --- all or nothing, and refusals --------------------------------------------
before=$(ctlj show | jq -c '[.ports[] | {id, config, policy, vlan}]')
# refused_set ID KV CODE WORD: exit 1, CODE in -j's error, WORD named.
refused_set() {
	local rc=0 out
	out=$(ctlj port set "$1" "$2" 2>"$dir/err") || rc=$?
	[ "$rc" -eq 1 ] || fail "port set $1 $2 exited $rc, want 1 ($out)"
	jq -e --arg c "$3" '.ok == false and .error.code == $c' >/dev/null <<<"$out" ||
		fail "port set $1 $2: reply $out, want code $3"
	jq -r .error.message <<<"$out" | grep -q -- "$4" ||
		fail "port set $1 $2: message '$(jq -r .error.message <<<"$out")' does not name $4"
	grep -q "lanyardctl: $3: .*$4" "$dir/err" || fail "port set $1 $2 said: $(cat "$dir/err")"
}
refused_set a isolated=on,mode=bogus bad-spec bogus
refused_set a mtu=5 bad-spec mtu
refused_set a colour=red bad-spec colour
refused_set b vlan=5000 bad-spec vlan
refused_set nosuch isolated=on no-such-port nosuch
rc=0; ctl_ port set a >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "port set without KEY=VALUE exited $rc, want 2"
after=$(ctlj show | jq -c '[.ports[] | {id, config, policy, vlan}]')
[ "$after" = "$before" ] || fail "a refused port set changed: $before -> $after"
send a $S $B 11 40		# a stayed open: B (isolated) still gets it
set_ok b isolated=off
echo "ok: bad values and keys refused naming them (bad-spec, exit 1), nothing changed; no-such-port"

# --- vlan=10 on b: a's frames no longer reach it ------------------------------
set_ok b vlan=10
for p in b b.1; do
	[ "$(port_field $p .vlan)" = "access 10" ] ||
		fail "show: $p's vlan '$(port_field $p .vlan)', want 'access 10'"
done
port_field b .config | grep -q ",vlan=10$" || fail "show: b's config '$(port_field b .config)'"
send a $S $BC 12 40		# reaches A (a.1), not B
send a $S $B 13 40
expect_drop vlan 40 send b $T $BC 14 40 --vlan 20
set_ok a vlan=10
send a $S $BC 15 40		# both in VLAN 10 again
echo "ok: vlan=10 on b cuts it off from a (tagged frames for VLAN 20 dropped: vlan); vlan=10 on a too joins them"

# --- mtu and mode --------------------------------------------------------------
set_ok b mtu=100
[ "$(port_field b.1 '[.policy.mtu, .policy.text] | join(" ")')" = "100 mtu 100" ] ||
	fail "show: b.1's policy $(port_field b.1 '.policy | tojson'), want mtu 100"
send a $S $B 16 20 --size 114
tb0=$(port_field b.1 '.counters.drops."too-big"')
send a $S $B 17 20 --size 115
[ "$(port_field b.1 '.counters.drops."too-big"')" -eq $((tb0 + 20)) ] ||
	fail "b.1 too-big $(port_field b.1 '.counters.drops."too-big"'), want $((tb0 + 20))"
set_ok a mode=private
[ "$(port_field a.1 '[.policy.mode, .policy.text] | join(" ")')" = "private mode private" ] ||
	fail "show: a.1's policy $(port_field a.1 '.policy | tojson'), want mode private"
expect_drop no-port 40 send a $S $BC 18 40
echo "ok: mtu=100 on b: 114-byte frames reach it, 115-byte ones are dropped (too-big); mode=private on a: its broadcast reaches nobody"

check_conservation
kill "$pid_A" "$pid_B"
peer_wait A
peer_wait B
got() { jq -r --arg k "$2" '.sources[$k] // 0' "$dir/$1.out"; }
expect() {	# peer source/flow count
	[ "$(got "$1" "$2")" -eq "$3" ] ||
		fail "peer $1 got $(got "$1" "$2") of flow $2, want $3: $(cat "$dir/$1.out")"
}
# flow: what B got, what A got ("-": either, e.g. unknown unicast flooded)
while read -r f want_b want_a; do
	src=$S; case $f in 3|4|7|14) src=$T;; esac
	expect B $src/$f "$want_b"
	[ "$want_a" = - ] || expect A $src/$f "$want_a"
done <<'EOF'
1 40 0
2 40 40
3 0 40
4 40 40
5 0 0
6 0 0
7 0 0
8 40 0
9 40 40
10 40 0
11 40 0
12 0 40
13 0 -
14 0 0
15 40 40
16 20 -
17 0 -
18 0 0
EOF
echo "ok: receivers counted exactly what each setting lets through"
lanyard_stop
