# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# dpdk.sh - DPDK's testpmd as a vhost-user front-end (virtio-user) for the
# integration tests.  Source it after lib/switch.sh (it uses fail and
# need_cmds from there); call dpdk_cleanup from the script's EXIT trap.
#
# Hugepages
#   dpdk_hugepages [N]
#       Make sure N (default 512) free 2 MiB hugepages exist and hugetlbfs
#       is mounted on /dev/hugepages.  Raises the 2 MiB pool (what
#       /proc/sys/vm/nr_hugepages shows when 2 MiB is the default size)
#       only by what is missing, and mounts only if nothing is mounted
#       there; dpdk_cleanup
#       puts back what this changed, and only if nobody changed it since.
#       Non-zero if the kernel cannot find the pages.
#
# testpmd  (one instance per NAME, every file in $TESTPMD_WORK, default $dir)
#   testpmd_start NAME CORES VDEV... [-- TESTPMD-OPTION...]
#       Start dpdk-testpmd in interactive mode (-i) on the lcores CORES
#       (e.g. 0,1: lcore 0 runs the command line, lcore 1 busy-polls the
#       ports), with one --vdev per VDEV, e.g.
#         net_virtio_user0,path=SOCK,queues=1,mac=02:...
#       Memory: 256 MiB of hugepages (dpdk_hugepages first) as one memfd
#       per memseg list (--in-memory --single-file-segments: a small
#       vhost-user memory table; no file left in /dev/hugepages or
#       /var/run/dpdk, even after a SIGKILL, at most an empty runtime
#       directory), 16384 mbufs; with
#       TESTPMD_NO_HUGE=1 instead 256 MiB of ordinary memory (--no-huge
#       --no-shconf: EAL refuses --in-memory next to --no-huge and
#       --single-file-segments; see below).  Returns once
#       testpmd prompts; fails (fail) if it exits first.  Its output is in
#       $TESTPMD_WORK/NAME.out.  Commands go through a fifo whose write end
#       a keeper process holds while this shell lives: when the test dies,
#       testpmd reads end-of-file and quits by itself.
#   testpmd_cmd NAME COMMAND
#       Run one testpmd command; print its output once the next prompt
#       shows (fail after 30 s).
#   testpmd_stats NAME [PORT]
#       "RX TX": the port's RX-packets and TX-packets (the PMD's counters,
#       `show port stats PORT`); without PORT one such line per port, in
#       port order.  For virtio-user TX-packets counts frames
#       placed in the ring; frames the ring had no room for are not sent
#       and not counted (testpmd's forward statistics call them
#       TX-dropped).
#   testpmd_stop NAME
#       `quit`; SIGTERM then SIGKILL by PID if it is still there after 10 s.
#   dpdk_cleanup
#       Stop every testpmd started here (by PID), restore hugepages.
#
# Pinning: testpmd busy-polls its forwarding lcores at 100% CPU.  On a
# 2-core machine give testpmd -l 0,1 (lcore 0 only waits on the command
# line) and pin lanyard to CPU 0 (taskset -a -p -c 0 PID), so testpmd's
# poller (CPU 1) and lanyard never share a core.
#
# Facts checked with Debian 12's dpdk-dev 22.11.11 (testpmd), against
# DPDK's own vhost back-end (net_vhost0,iface=SOCK) and lanyard's port:
#  - testpmd keeps running with no port when the virtio-user device cannot
#    connect ("vhost_user_setup(): connect error", "No probed ethernet
#    devices"); testpmd_start therefore checks that every port came up.
#  - --no-huge does work with virtio-user in 22.11: EAL backs --no-huge
#    memory with a memfd, so the vhost-user memory table still carries
#    shareable fds (one 256 MiB region) and frames flow, through lanyard
#    too (36_testpmd.sh passes with TESTPMD_NO_HUGE=1).  It needs
#    --total-num-mbufs small enough to fit in -m (the default pool of
#    155456 mbufs does not fit in 256 MiB: "Creation of mbuf pool for
#    socket 0 failed: Cannot allocate memory").  The tests use hugepages
#    by default, which also exercises the back-end's mapping of hugetlbfs
#    memory (sizes in multiples of 2 MiB).
#  - Without --single-file-segments there is one region per hugepage and
#    virtio-user itself gives up ("update_memory_region(): Too many memory
#    regions", "Failed to set memory table"), with or without --in-memory;
#    without --in-memory the hugepage files (PREFIXmap_N) also stay in
#    /dev/hugepages after testpmd exits.
#  - stdout is a file here, so testpmd runs under stdbuf -oL: otherwise
#    its printf output lags behind the echoed commands and prompts.
#  - In txonly mode at full speed testpmd fills the ring much faster than
#    a software switch empties it: most frames are then TX-dropped at the
#    sender.  An exact count comes from `start tx_first N` in rxonly mode:
#    N bursts of `set burst` frames per port (the txonly generator), then
#    only receiving.  txonly frames go from the port's MAC (virtio-user's
#    mac= devarg) to --eth-peer=PORT,MAC (or `set eth-peer PORT MAC`).
#  - `set fwd icmpecho` answers ICMP echo requests on the port they came
#    in on, whatever their destination IP address (36_testpmd.sh pings an
#    address configured nowhere).

TESTPMD_WORK=${TESTPMD_WORK:-${dir:-}}
declare -gA _TESTPMD_PID=() _TESTPMD_KEEP=() _TESTPMD_PREFIX=()
_dpdk_huge_sys=/sys/kernel/mm/hugepages/hugepages-2048kB
_dpdk_huge_prev=	# the pool size before dpdk_hugepages raised it
_dpdk_huge_set=		# what dpdk_hugepages set it to
_dpdk_mounted=0 _dpdk_made_dir=0

_dpdk_msg() { echo "dpdk: $*" >&2; }
_dpdk_fail() {
	if declare -F fail >/dev/null; then fail "$*"; fi
	_dpdk_msg "FAIL: $*"
	exit 1
}

# dpdk_need: install dpdk-testpmd (Debian's dpdk-dev) if missing.
dpdk_need() {
	need_cmds dpdk-testpmd=dpdk-dev stdbuf=coreutils findmnt=util-linux
	command -v dpdk-testpmd >/dev/null || _dpdk_fail "no dpdk-testpmd (Debian package dpdk-dev)"
}

dpdk_hugepages() {	# [pages]
	local want=${1:-512} cur free mnt
	[ -w "$_dpdk_huge_sys/nr_hugepages" ] ||
		{ _dpdk_msg "no 2 MiB hugepage pool ($_dpdk_huge_sys)"; return 1; }
	cur=$(cat "$_dpdk_huge_sys/nr_hugepages")
	free=$(cat "$_dpdk_huge_sys/free_hugepages")
	if [ "$free" -lt "$want" ]; then
		_dpdk_huge_prev=$cur
		_dpdk_huge_set=$((cur + want - free))
		echo "$_dpdk_huge_set" >"$_dpdk_huge_sys/nr_hugepages" ||
			{ _dpdk_msg "cannot set nr_hugepages"; return 1; }
		free=$(cat "$_dpdk_huge_sys/free_hugepages")
		if [ "$free" -lt "$want" ]; then
			_dpdk_msg "asked for $want free 2 MiB hugepages, the kernel found $free"
			return 1
		fi
	fi
	mnt=$(findmnt -n -o FSTYPE --mountpoint /dev/hugepages 2>/dev/null || true)
	case "$mnt" in
	hugetlbfs) ;;
	"")
		if [ ! -d /dev/hugepages ]; then
			mkdir /dev/hugepages || return 1
			_dpdk_made_dir=1
		fi
		mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages ||
			{ _dpdk_msg "cannot mount hugetlbfs on /dev/hugepages"; return 1; }
		_dpdk_mounted=1
		;;
	*)
		_dpdk_msg "/dev/hugepages is a $mnt mount, not hugetlbfs"
		return 1
		;;
	esac
	return 0
}

_dpdk_hugepages_restore() {
	if [ "$_dpdk_mounted" = 1 ]; then
		umount /dev/hugepages 2>/dev/null ||
			_dpdk_msg "leaving /dev/hugepages mounted (busy)"
		_dpdk_mounted=0
	fi
	if [ "$_dpdk_made_dir" = 1 ]; then
		rmdir /dev/hugepages 2>/dev/null || true
		_dpdk_made_dir=0
	fi
	if [ -n "$_dpdk_huge_set" ]; then
		# Someone else changed the pool since: theirs now, leave it.
		if [ "$(cat "$_dpdk_huge_sys/nr_hugepages")" = "$_dpdk_huge_set" ]; then
			echo "$_dpdk_huge_prev" >"$_dpdk_huge_sys/nr_hugepages" ||
				_dpdk_msg "cannot restore nr_hugepages to $_dpdk_huge_prev"
		fi
		_dpdk_huge_set=
	fi
}

# The byte size of NAME's output file.
_testpmd_size() { stat -c %s "$TESTPMD_WORK/$1.out"; }

# _testpmd_wait_prompt NAME OFFSET SECS: wait until a prompt shows in the
# output after byte OFFSET.
_testpmd_wait_prompt() {
	local name=$1 off=$2 end=$((SECONDS + $3)) pid=${_TESTPMD_PID[$1]}
	while :; do
		tail -c "+$((off + 1))" "$TESTPMD_WORK/$name.out" | grep -q 'testpmd> ' && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$SECONDS" -lt "$end" ] || return 2
		sleep 0.02
	done
}

testpmd_start() {	# name cores vdev... [-- testpmd options...]
	local name=$1 cores=$2 out fifo prefix mem vdevs=() n_vdev=0 rc=0 nports
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vdevs+=(--vdev "$1")
		n_vdev=$((n_vdev + 1))
		shift
	done
	[ $# -gt 0 ] && shift
	[ -n "$TESTPMD_WORK" ] || _dpdk_fail "TESTPMD_WORK is not set"
	out=$TESTPMD_WORK/$name.out
	fifo=$TESTPMD_WORK/$name.in
	prefix=lanyard-$name-$$
	if [ "${TESTPMD_NO_HUGE:-0}" = 1 ]; then
		mem=(--no-huge --no-shconf)
	else
		mem=(--in-memory --huge-dir /dev/hugepages)
	fi
	rm -f "$fifo"
	mkfifo "$fifo" || _dpdk_fail "mkfifo $fifo"
	# The keeper holds the fifo's write end as long as this shell lives.
	# shellcheck disable=SC2016
	(while kill -0 "$$" 2>/dev/null; do sleep 1; done) >"$fifo" &
	_TESTPMD_KEEP[$name]=$!
	stdbuf -oL dpdk-testpmd -l "$cores" -m 256 --no-pci \
		--single-file-segments "${mem[@]}" --file-prefix="$prefix" \
		"${vdevs[@]}" -- -i --total-num-mbufs=16384 "$@" \
		<"$fifo" >"$out" 2>&1 &
	_TESTPMD_PID[$name]=$!
	_TESTPMD_PREFIX[$name]=$prefix
	_testpmd_wait_prompt "$name" 0 60 || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 30 "$out" >&2
		_dpdk_fail "testpmd $name: no prompt ($([ "$rc" = 1 ] && echo exited || echo 'timed out'))"
	fi
	nports=$(testpmd_cmd "$name" "show port summary all" |
		awk '/^Number of available ports:/ { print $NF }')
	if [ "$nports" != "$n_vdev" ]; then
		tail -n 40 "$out" >&2
		_dpdk_fail "testpmd $name: $nports ports up, not $n_vdev (see above)"
	fi
}

testpmd_cmd() {	# name command
	local name=$1 off rc=0
	off=$(_testpmd_size "$name")
	printf '%s\n' "$2" >"$TESTPMD_WORK/$name.in" ||
		_dpdk_fail "testpmd $name: cannot write '$2'"
	# The command is echoed after the old prompt, then comes the output
	# and a new prompt: skip the echo line.
	_testpmd_wait_prompt "$name" "$((off + ${#2} + 1))" 30 || rc=$?
	[ "$rc" = 0 ] || {
		tail -n 20 "$TESTPMD_WORK/$name.out" >&2
		_dpdk_fail "testpmd $name: '$2' did not finish ($rc)"
	}
	tail -c "+$((off + 1))" "$TESTPMD_WORK/$name.out" | tr -d '\r'
}

testpmd_stats() {	# name [port]
	testpmd_cmd "$1" "show port stats ${2:-all}" | awk '
		function num(s) { sub(/^[RT]X-packets: */, "", s); return s }
		/NIC statistics for port/ { n++ }
		match($0, /RX-packets: *[0-9]+/) { rx[n] = num(substr($0, RSTART, RLENGTH)) }
		match($0, /TX-packets: *[0-9]+/) { tx[n] = num(substr($0, RSTART, RLENGTH)) }
		END {
			if (n == 0) exit 1
			for (i = 1; i <= n; i++) {
				if (rx[i] == "" || tx[i] == "") exit 1
				print rx[i], tx[i]
			}
		}' || _dpdk_fail "testpmd $1: no statistics for port ${2:-all}"
}

testpmd_stop() {	# name
	local name=$1 pid
	pid=${_TESTPMD_PID[$name]:-}
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		timeout 5 bash -c "printf 'quit\n' >'$TESTPMD_WORK/$name.in'" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 30); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	if [ -n "${_TESTPMD_KEEP[$name]:-}" ]; then
		kill "${_TESTPMD_KEEP[$name]}" 2>/dev/null || true
		wait "${_TESTPMD_KEEP[$name]}" 2>/dev/null || true
	fi
	# --in-memory leaves an empty runtime directory behind.
	rmdir "/var/run/dpdk/${_TESTPMD_PREFIX[$name]}" 2>/dev/null || true
	unset '_TESTPMD_PID[$name]' '_TESTPMD_KEEP[$name]' '_TESTPMD_PREFIX[$name]'
}

dpdk_cleanup() {
	local n
	for n in "${!_TESTPMD_PID[@]}"; do
		testpmd_stop "$n"
	done
	_dpdk_hugepages_restore
}
