#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: lanyard's command line behaves as documented for a user:
#  - with no --port, a non-root user gets the default configuration in
#    $XDG_RUNTIME_DIR/lanyard (stream + dgram + ctl.sock, mode 0600), and the
#    QEMU -netdev option for each port is printed;
#  - every bad option or port spec exits 2 with one line naming the key,
#    and nothing is left behind (a port created before the bad one is
#    removed again);
#  - SIGTERM closes every port, removes the sockets lanyard created and
#    exits 0; lanyardctl reports a clear error when lanyard is not there.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 77
top=$(cd "$(dirname "$0")/../.." && pwd)
LANYARD=${LANYARD:-$top/build/src/lanyard}
LANYARDCTL=${LANYARDCTL:-$top/build/tools/lanyardctl}

dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- bad input: exit 2, one line, the key named, nothing left behind -------
expect_reject() {	# expected-substring args...
	local want=$1 out rc=0
	shift
	out=$("$LANYARD" --ctl "$dir/ctl.sock" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -eq 2 ] || fail "'$*' exited $rc, not 2"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] ||
		fail "'$*' printed more than one line: $out"
	grep -qF -- "$want" <<<"$out" || fail "'$*': '$out' does not name '$want'"
}
expect_reject "--fdb-size" --fdb-size 3
expect_reject "--ageing" --ageing abc
expect_reject "--bogus" --bogus
expect_reject "--pool: missing value" --pool
expect_reject "--log-level" --log-level loud
expect_reject "unknown port kind 'tap0'" --port tap0,id=x
expect_reject "'id' is required" --port "stream,path=$dir/a.sock"
expect_reject "unknown key 'bogus'" --port "stream,id=a,path=$dir/a.sock,bogus=1"
expect_reject "'server=maybe'" --port "stream,id=a,path=$dir/a.sock,server=maybe"
expect_reject "'path' and 'addr.path' mean the same" --port "stream,id=a,path=$dir/a.sock,addr.path=$dir/b.sock"
expect_reject "already in use" --port "stream,id=a,path=$dir/a.sock" --port "dgram,id=a,path=$dir/b.sock"
expect_reject "not an IPv4 multicast" --port "mcast,id=m,group=10.1.2.3,port=5000"
expect_reject "backlog" --port "dgram,id=d,path=$dir/d.sock,backlog=0"
# The first port was created, the second failed: the first must be gone.
[ ! -e "$dir/a.sock" ] || fail "a port of a rejected command line was left behind"
[ ! -e "$dir/ctl.sock" ] || fail "control socket left behind"
echo "ok: bad options rejected with exit 2, nothing half-started"

# --- lanyardctl without lanyard ---------------------------------------------
rc=0
err=$("$LANYARDCTL" --ctl "$dir/none.sock" show 2>&1) || rc=$?
[ "$rc" -eq 3 ] || fail "lanyardctl without lanyard exited $rc, not 3"
grep -q "is lanyard running" <<<"$err" || fail "lanyardctl error unclear: $err"
echo "ok: lanyardctl reports a missing lanyard"

# --- default configuration as a non-root user ---------------------------------
mkdir -p "$dir/xdg"
chown nobody "$dir/xdg"
chmod 0700 "$dir/xdg"
chmod 0755 "$dir"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env XDG_RUNTIME_DIR="$dir/xdg" "$LANYARD" >"$dir/out" 2>"$dir/err" &
pid=$!
ctl="$dir/xdg/lanyard/ctl.sock"
for _ in $(seq 100); do
	[ -S "$ctl" ] && break
	sleep 0.1
done
[ -S "$ctl" ] || fail "no control socket at $ctl: $(cat "$dir/err")"
[ "$(stat -c %a "$ctl")" = 600 ] || fail "ctl.sock mode $(stat -c %a "$ctl"), not 600"
[ -S "$dir/xdg/lanyard/stream.sock" ] || fail "no default stream socket"
[ -S "$dir/xdg/lanyard/dgram.sock" ] || fail "no default dgram socket"
grep -qF -- "-netdev stream,id=stream,addr.type=unix,addr.path=$dir/xdg/lanyard/stream.sock" "$dir/out" ||
	fail "stream -netdev line missing: $(cat "$dir/out")"
grep -qF -- "-netdev dgram,id=dgram,local.type=unix" "$dir/out" ||
	fail "dgram -netdev line missing"
json=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env XDG_RUNTIME_DIR="$dir/xdg" "$LANYARDCTL" show -j)
[ "$(jq -r '[.ports[].id] | join(",")' <<<"$json")" = "stream,dgram" ] ||
	fail "default ports: $json"
[ "$(jq -r '.ports[0].state' <<<"$json")" = listening ] || fail "state: $json"
echo "ok: default configuration for a non-root user"

# --- SIGTERM: exit 0, sockets removed -------------------------------------------
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM: $(cat "$dir/err")"
for s in ctl stream dgram; do
	[ ! -e "$dir/xdg/lanyard/$s.sock" ] || fail "$s.sock left after SIGTERM"
done
if grep -qE "AddressSanitizer|runtime error|LeakSanitizer" "$dir/err"; then
	fail "sanitizer report: $(cat "$dir/err")"
fi
echo "ok: SIGTERM exits 0 and removes the sockets"
