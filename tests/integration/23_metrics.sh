#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: the Prometheus endpoint (--metrics, docs/metrics.md) as a
# scraper sees it:
#  - GET /metrics answers 200, Content-Type text/plain; version=0.0.4,
#    a text promtool accepts without a lint remark and that a strict
#    reader (lib/prom_text.py) accepts: names, HELP/TYPE first, labels and
#    escapes, float values, no series twice;
#  - every per-port series, the totals, fdb and pool figures equal what
#    "lanyardctl -j show" says at the same moment, and agree with what
#    the lanyard-perf peers sent and received; a port that goes away
#    leaves its series and stays in the lanyard_switch_* totals;
#  - HEAD, 404 for other paths, 405 (with Allow) for other methods, 400
#    and a close for a malformed, Host-less or too large request; a
#    request arriving byte by byte is answered;
#  - at most 16 clients at once; a client that sends nothing is closed
#    after about 5 s; while 16 such clients hang on, the switch forwards
#    without loss.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/netns.sh"
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
need_cmds curl promtool=prometheus python3 jq

A=02:00:00:00:00:0a B=02:00:00:00:00:0b D=02:00:00:00:00:0d
SA=02:00:00:00:01:0a SB=02:00:00:00:01:0b SD=02:00:00:00:01:0d
prom() { python3 "$here/lib/prom_text.py" "$@"; }

# scrape NAME: GET /metrics into $dir/NAME.txt (headers NAME.hdr), checked
# by promtool and the strict reader (values in NAME.json).
scrape() {
	local code lint
	code=$(curl -sS -m 10 -D "$dir/$1.hdr" -o "$dir/$1.txt" -w '%{http_code}' "$url") ||
		fail "curl $url failed"
	[ "$code" = 200 ] || fail "GET /metrics: HTTP $code"
	grep -qix $'content-type: text/plain; version=0.0.4; charset=utf-8\r' "$dir/$1.hdr" ||
		fail "GET /metrics: $(grep -i content-type "$dir/$1.hdr")"
	lint=$(promtool check metrics <"$dir/$1.txt" 2>&1) ||
		fail "promtool check metrics: $lint"
	[ -z "$lint" ] || fail "promtool check metrics: $lint"
	prom "$dir/$1.txt" >"$dir/$1.json" || fail "the strict reader refused $1.txt"
}
# m NAME SERIES: a value of scrape NAME, as an integer; fails if absent.
m() {
	jq -e --arg k "$2" '.[$k] // error("no series " + $k) | floor' "$dir/$1.json" ||
		fail "scrape $1 has no series $2"
}
# http_raw BYTES...: send the bytes (python escapes) on a fresh connection,
# (with BYTEWISE=1, one byte at a time), print the status line, then
# "closed" once the server closes.
http_raw() {
	python3 - "$mport" "$@" <<'PY'
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
data = "".join(sys.argv[2:]).encode().decode("unicode_escape").encode("latin-1")
step = 1 if os.environ.get("BYTEWISE") else len(data)
for i in range(0, len(data), step):
    try:
        s.sendall(data[i:i + step])
    except OSError:
        break	# the server answered and closed while we were sending
    time.sleep(0.01)
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
print(got.split(b"\r\n", 1)[0].decode())
print("closed")
PY
}

lanyard_start --metrics 127.0.0.1:0 \
	--port "stream,id=a,path=$dir/a.sock" \
	--port "stream,id=b,path=$dir/b.sock" \
	--port "dgram,id=d,path=$dir/d.sock"
wait_for 'grep -q "^metrics: http://" "$lanyard_log"' "the metrics address in lanyard's output"
url=$(sed -n 's|^metrics: \(http://127\.0\.0\.1:[0-9]*/metrics\)$|\1|p' "$lanyard_log")
[ -n "$url" ] || fail "metrics address: $(grep metrics "$lanyard_log")"
mport=${url##*:}; mport=${mport%/metrics}
base=${url%/metrics}

# --- values --------------------------------------------------------------
rx_peer A "stream:unix:$dir/a.sock" $A --duration 60
rx_peer B "stream:unix:$dir/b.sock" $B --duration 60
rx_peer D "dgram:unix:$dir/d.sock" $D --duration 60
# The senders linger connected, so their ports stay to be scraped.
peer AB tx "stream:unix:$dir/a.sock" --src $SA --dst $B --count 3000 \
	--size 200 --rate 3000 --flow 1 --linger 60
peer BA tx "stream:unix:$dir/b.sock" --src $SB --dst $A --count 2000 \
	--size 100 --rate 2000 --flow 2
peer DA tx "dgram:unix:$dir/d.sock" --src $SD --dst $A --count 500 \
	--size 300 --rate 1000 --flow 3
# One runt (10 bytes) on a connection of its own.
peer R raw "stream:unix:$dir/a.sock" --hex 0000000a02000000000102000000
peer_wait BA; peer_wait DA; peer_wait R
wait_for '[ "$(ctlj show | jq .totals.rx)" -ge 5501 ]' "the traffic to arrive"
wait_for '[ "$(ctlj show | jq .totals.queued)" -eq 0 ]' "backlogs drained"
ab_port=$(mac_port $SA) da_port=$(mac_port $SD)
a_port=$(mac_port $A) b_port=$(mac_port $B) d_port=$(mac_port $D)
scrape s1
ctlj show >"$dir/show1.json"
scrape s1b	# nothing moves: the same text twice, taken around show
cmp -s "$dir/s1.txt" "$dir/s1b.txt" || fail "an idle switch's metrics changed: $(diff "$dir/s1.txt" "$dir/s1b.txt" | head)"

# Every series against show, and every port of show in the series.
python3 - "$dir/s1.json" "$dir/show1.json" <<'PY' || fail "metrics and show disagree"
import json, sys
mt = json.load(open(sys.argv[1])); show = json.load(open(sys.argv[2]))
bad = []
def want(key, v):
    if key not in mt:
        bad.append("missing " + key)
    elif mt[key] != v:
        bad.append("%s = %s, show says %s" % (key, mt[key], v))
names = {"rx": "rx_frames_total", "rx_bytes": "rx_bytes_total",
         "rx_fwd": "rx_forwarded_frames_total",
         "rx_ignored": "rx_ignored_frames_total",
         "tx_offered": "tx_offered_frames_total", "tx": "tx_frames_total",
         "tx_bytes": "tx_bytes_total", "pauses": "pauses_total"}
def counters(pre, lab, c):
    sep = "," if lab else ""
    for k, n in names.items():
        want("%s%s{%s}" % (pre, n, lab), c[k])
    want("%squeued_frames{%s}" % (pre, lab), c["queued"])
    for cause, v in c["drops"].items():
        want('%sdropped_frames_total{%s%scause="%s"}' % (pre, lab, sep, cause), v)
    for err, v in c["errors"].items():
        want('%serrors_total{%s%serror="%s"}' % (pre, lab, sep, err), v)
ids = set()
for p in show["ports"]:
    lab = 'port="%s",kind="%s"' % (p["id"], p["kind"])
    ids.add(p["id"])
    counters("lanyard_port_", lab, p["counters"])
    want("lanyard_port_macs{%s}" % lab, p["macs"])
    want("lanyard_port_max_macs{%s}" % lab, p["max_macs"])
counters("lanyard_switch_", "", show["totals"])
f = show["fdb_stats"]
for k, n in (("count", "fdb_entries"), ("capacity", "fdb_capacity_entries"),
             ("ageing", "fdb_ageing_seconds"), ("learned", "fdb_learned_total"),
             ("moved", "fdb_moved_total"), ("aged", "fdb_aged_total"),
             ("flushed", "fdb_flushed_total")):
    want("lanyard_" + n + "{}", f[k])
want('lanyard_fdb_refused_total{reason="full"}', f["full"])
want('lanyard_fdb_refused_total{reason="port-limit"}', f["port_limit"])
want("lanyard_pool_buffers{}", show["pool"]["size"])
want("lanyard_pool_free_buffers{}", show["pool"]["free"])
want("lanyard_pool_frame_max_bytes{}", show["pool"]["frame_max"])
want("lanyard_ports{}", len(show["ports"]))
# No series of a port show does not know, and no series left unchecked.
for key in mt:
    if 'port="' in key and key.split('port="')[1].split('"')[0] not in ids:
        bad.append("series of an unknown port: " + key)
# Per port: 8 counters, queued, drops, errors, macs, max_macs; the totals
# the same but macs; lanyard_ports, build_info, fdb 7 + 2, pool 3.
n_port = 8 + 1 + len(show["totals"]["drops"]) + len(show["totals"]["errors"]) + 2
n_all = len(show["ports"]) * n_port + n_port - 2 + 2 + 9 + 3
if len(mt) != n_all:
    bad.append("%d series, expected %d" % (len(mt), n_all))
if bad:
    print("\n".join(bad[:20]), file=sys.stderr)
    sys.exit(1)
PY
echo "ok: $(jq length "$dir/s1.json") series, promtool and the strict reader accept them, all equal to show"

# ... and what the peers did.
L() { echo "{port=\"$1\",kind=\"$2\"}"; }
[ "$(m s1 "lanyard_port_rx_frames_total$(L "$ab_port" stream)")" -eq 3000 ] &&
[ "$(m s1 "lanyard_port_rx_bytes_total$(L "$ab_port" stream)")" -eq 600000 ] ||
	fail "AB's port $ab_port: rx $(m s1 "lanyard_port_rx_frames_total$(L "$ab_port" stream)") frames, want 3000 of 200 bytes"
[ "$(m s1 "lanyard_port_rx_frames_total$(L "$da_port" dgram)")" -eq 500 ] &&
[ "$(m s1 "lanyard_port_rx_bytes_total$(L "$da_port" dgram)")" -eq 150000 ] ||
	fail "DA's port $da_port: want 500 frames of 300 bytes"
[ "$(m s1 'lanyard_switch_dropped_frames_total{cause="runt"}')" -eq 1 ] ||
	fail "runt drops: $(m s1 'lanyard_switch_dropped_frames_total{cause="runt"}'), want 1"
[ "$(m s1 'lanyard_port_macs{port="'"$ab_port"'",kind="stream"}')" -eq 1 ] ||
	fail "AB's port owns $(m s1 'lanyard_port_macs{port="'"$ab_port"'",kind="stream"}') MACs, want 1"
# A, B, D, SA and SD; SB left with its port.
[ "$(m s1 'lanyard_fdb_entries{}')" -eq 5 ] || fail "fdb entries: $(m s1 'lanyard_fdb_entries{}'), want 5"
a_tx=$(m s1 "lanyard_port_tx_frames_total$(L "$a_port" stream)")
b_tx=$(m s1 "lanyard_port_tx_frames_total$(L "$b_port" stream)")
b_txb=$(m s1 "lanyard_port_tx_bytes_total$(L "$b_port" stream)")
d_tx=$(m s1 "lanyard_port_tx_frames_total$(L "$d_port" dgram)")
gone_rx=$(m s1 'lanyard_switch_rx_frames_total{}')
ports1=$(m s1 'lanyard_ports{}')
kill "$pid_AB"; wait "$pid_AB" 2>/dev/null || true
wait_for '[ -z "$(mac_port $SA)" ]' "AB's port to go"
for x in A B D; do kill "$(eval "echo \$pid_$x")"; peer_wait $x; done
all() { report "$1" '.received + .hellos + .other'; }
[ "$a_tx" -eq "$(all A)" ] && [ "$b_tx" -eq "$(all B)" ] && [ "$d_tx" -eq "$(all D)" ] ||
	fail "frames sent to A/B/D: metrics $a_tx/$b_tx/$d_tx, peers got $(all A)/$(all B)/$(all D)"
[ "$(report A '.sources["'$SB'/2"]')" -eq 2000 ] && [ "$(report A '.sources["'$SD'/3"]')" -eq 500 ] &&
[ "$(report B '.sources["'$SA'/1"]')" -eq 3000 ] || fail "a peer lost frames"
[ "$b_txb" -ge 600000 ] && [ "$b_txb" -le $((600000 + 1514 * ($(all B) - 3000))) ] ||
	fail "bytes sent to B: $b_txb, B got 3000 frames of 200 bytes and $(($(all B) - 3000)) others"
scrape s2
grep -q "port=\"$ab_port\"" "$dir/s2.txt" && fail "series of the gone port $ab_port remain"
[ "$(m s2 'lanyard_switch_rx_frames_total{}')" -eq "$gone_rx" ] ||
	fail "switch rx went from $gone_rx to $(m s2 'lanyard_switch_rx_frames_total{}') as ports left"
[ "$(m s2 'lanyard_ports{}')" -lt "$ports1" ] || fail "lanyard_ports did not drop below $ports1"
echo "ok: per-port values match the peers (A $a_tx, B $b_tx, D $d_tx frames); a port gone leaves its series, not the totals ($gone_rx rx)"

# --- HTTP ------------------------------------------------------------------
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$base/")" = 404 ] && [ "$(code "$base/metricsx")" = 404 ] &&
	[ "$(code "$base/metrics/")" = 404 ] || fail "other paths are not 404"
[ "$(code "$url?x=1")" = 200 ] || fail "GET with a query: $(code "$url?x=1")"
[ "$(code -X POST -d x "$url")" = 405 ] || fail "POST: $(code -X POST -d x "$url"), want 405"
curl -s -m 10 -X DELETE -D - -o /dev/null "$url" | grep -qi $'^allow: GET, HEAD\r$' ||
	fail "405 without Allow: GET, HEAD"
head=$(curl -sS -m 10 -I "$url") || fail "HEAD failed"
grep -q '^HTTP/1.1 200' <<<"$head" && grep -qi '^content-length: [1-9]' <<<"$head" ||
	fail "HEAD: $head"
expect_raw() {	# WANT-STATUS WHAT BYTES...
	local want=$1 what=$2 got
	shift 2
	got=$(http_raw "$@") || fail "$what: connection failed"
	[ "$(head -1 <<<"$got")" = "HTTP/1.1 $want" ] && [ "$(tail -1 <<<"$got")" = closed ] ||
		fail "$what: got '$(tr '\n' '|' <<<"$got")', want HTTP/1.1 $want and a close"
}
expect_raw "400 Bad Request" "garbage" 'GARBAGE\r\n\r\n'
expect_raw "400 Bad Request" "HTTP/1.1 without Host" 'GET /metrics HTTP/1.1\r\n\r\n'
expect_raw "400 Bad Request" "obs-fold" 'GET /metrics HTTP/1.1\r\nHost: x\r\n y\r\n\r\n'
expect_raw "400 Bad Request" "a 20 KB head" "GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nX: $(printf 'v%.0s' $(seq 20000))\\r\\n\\r\\n"
BYTEWISE=1 expect_raw "200 OK" "a request byte by byte" 'GET /metrics HTTP/1.0\r\n\r\n'
expect_raw "200 OK" "HTTP/1.0, a body after the head" 'GET /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello'
echo "ok: HEAD 200, other paths 404, other methods 405 with Allow, malformed/Host-less/20 KB requests 400 and closed"

# --- idle clients ------------------------------------------------------------
rx_peer A "stream:unix:$dir/a.sock" $A --duration 60
python3 - "$mport" "$dir/idle" <<'PY' &
import select, socket, sys, time
port, out = int(sys.argv[1]), sys.argv[2]
t0 = time.monotonic()
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
time.sleep(0.3)	# all 16 accepted before the 17th
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(3)
try:
    extra_data = extra.recv(100)
    extra_closed = time.monotonic() - t0
except socket.timeout:
    extra_data, extra_closed = b"", -1
open(out + ".ready", "w").close()
closed = {}
while len(closed) < 16 and time.monotonic() - t0 < 15:
    r, _, _ = select.select([s for s in socks if s not in closed], [], [], 1)
    for s in r:
        if s.recv(100) == b"":
            closed[s] = time.monotonic() - t0
with open(out, "w") as f:
    f.write("extra %r %.2f\n" % (extra_data, extra_closed))
    for t in sorted(closed.values()):
        f.write("closed %.2f\n" % t)
PY
idle_pid=$!
peer_pids+=("$idle_pid")
wait_for "test -f $dir/idle.ready" "16 idle clients and a 17th"
[ "$(code "$url")" = 000 ] || fail "a 17th client was served while 16 were connected"
peer T tx "stream:unix:$dir/b.sock" --src $SB --dst $A --count 2000 --size 100 \
	--rate 2000 --flow 4
peer_wait T
wait "$idle_pid" || fail "the idle-client script failed"
kill "$pid_A"; peer_wait A
[ "$(report A '.sources["'$SB'/4"]')" -eq 2000 ] && [ "$(report A .lost)" -eq 0 ] ||
	fail "with 16 idle clients, A got $(report A '.sources["'$SB'/4"]') of 2000 frames"
grep -qx "extra b'' [0-9.]*" "$dir/idle" && ! grep -q "extra b'' -1" "$dir/idle" ||
	fail "the 17th client was not closed at once: $(head -1 "$dir/idle")"
[ "$(grep -c '^closed' "$dir/idle")" -eq 16 ] || fail "idle clients not all closed: $(cat "$dir/idle")"
awk '/^closed/ && ($2 < 4.5 || $2 > 8) { bad = 1 } END { exit bad }' "$dir/idle" ||
	fail "idle clients closed after $(grep '^closed' "$dir/idle" | tr '\n' ' ')s, want about 5"
[ "$(code "$url")" = 200 ] || fail "no scrape after the idle clients were closed"
check_conservation
lanyard_stop
echo "ok: 16 idle clients closed after ~5 s ($(grep '^closed' "$dir/idle" | head -1 | cut -d' ' -f2)s), the 17th at once, 2000 frames forwarded meanwhile"
