# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for integration tests that boot real QEMU guests (TCG, no KVM).
# Source this file from a bash test script, after lib/switch.sh (its
# host_apt runs apt-get where the mirror is reachable); it defines functions
# only.
#
# Image
#   guest_image_build DIR
#       Build, or reuse from DIR, a guest kernel and initramfs: Debian's
#       kernel (the version linux-image-amd64 depends on), busybox from
#       busybox-static, the modules in GUEST_MODULES (the e1000 and
#       virtio_net drivers, 802.1Q VLANs) with their module dependencies,
#       and the init script below.  Both packages are fetched
#       with `apt-get download` (runs `apt-get update` once if apt knows
#       nothing); an installed copy is used only if the download fails.
#       Sets GUEST_KERNEL and GUEST_INITRD.  Rebuilt when the package
#       versions or this file change.
#
# Guests  (set GUEST_WORK to a directory the test owns before starting any)
#   guest_start NAME ROLE IP NETDEV DEVICE MAC [lanyard.KEY=VALUE ...]
#       Boot a guest in the background.  NETDEV is the -netdev value without
#       id= (e.g. "stream,addr.type=unix,addr.path=/x.sock"), DEVICE the NIC
#       model (e1000, virtio-net-pci), IP an IPv4 address with prefix.  The
#       serial console goes to $GUEST_WORK/NAME.log, QEMU's own output to
#       $GUEST_WORK/NAME.qemu.log.  Extra words are appended to the kernel
#       command line.  Guest-side keys:
#         lanyard.peer=IP     the other guest (client, pingloop, wait);
#                             for lanyard.wait alone, a comma-separated list
#                             is pinged peer by peer
#         lanyard.wait=1      ping the peer until it answers, print PING-READY
#         lanyard.msg=TEXT    client: the line to send (no spaces)
#         lanyard.port=N      TCP port for server/client (default 5000)
#         lanyard.end=stay    do not power off when a finite role is done
#         lanyard.mib=N       bulk: MiB of random data to send (default 10)
#         lanyard.first=send  bulk: send first, then receive (so two bulk
#                             guests can exchange data with each other)
#         lanyard.vlan=VID:IP[,VID:IP...]
#                             an 802.1Q sub-interface eth0.VID with address
#                             IP (with prefix) for each entry, up before the
#                             role starts: "GUEST-VLAN-UP eth0.VID IP"
#       Roles:
#         server    listen on TCP port, print "TCP-RECEIVED: <line>" per line
#         client    send lanyard.msg to peer:port, print "TCP-SENT"
#                   (or "TCP-SEND-FAILED" after 60 attempts)
#         pingloop  ping the peer forever: "PING-OK <seq>" / "PING-FAIL <seq>"
#         idle      only bring the network up
#         bulk      one TCP transfer each way, checksummed: make lanyard.mib
#                   MiB of random data and print "BULK-MD5 <md5> <bytes>";
#                   listen on lanyard.port and print "BULK-LISTENING <port>";
#                   receive one connection to its end and print
#                   "BULK-RECEIVED <md5> <bytes>"; then connect to
#                   peer:port (retrying for up to 180 s) and send the data:
#                   "BULK-SENT", or "BULK-SEND-FAILED" after 180 attempts.
#                   After each transfer, the guest's TCP/IP error counters
#                   since boot: "BULK-STATS tcp-csum=N ip-hdr=N retrans=N"
#                   (Tcp InCsumErrors, Ip InHdrErrors, Tcp RetransSegs)
#                   With lanyard.first=send the two transfers swap places:
#                   BULK-MD5, BULK-LISTENING, send (BULK-SENT), then
#                   receive (BULK-RECEIVED).
#       Every guest prints "GUEST-UP <ip>" once its interface is configured
#       and "GUEST-ERROR <reason>" if it cannot get there.
#   guest_start_vhost NAME ROLE IP CHARDEV MAC [lanyard.KEY=VALUE ...]
#       guest_start with a virtio-net-pci NIC on vhost-user (one queue
#       pair): CHARDEV is QEMU's -chardev value without id=, e.g.
#       "socket,path=/x.sock,reconnect=1" (QEMU dials the back-end and
#       re-dials when it goes away) or "socket,path=/x.sock,server=on,wait=off"
#       (QEMU listens, the back-end dials).  The guest's RAM is a shared
#       memfd, which vhost-user needs; the NIC has no MSI-X (see below).
#   guest_pid NAME               QEMU's PID
#   guest_log NAME               path of the console log
#   guest_wait_log NAME ERE SECS wait until the console log matches ERE;
#                                non-zero (and the log tail on stderr) on
#                                timeout or if QEMU exited
#   guest_lines NAME ERE         the console lines matching ERE, without CR
#   guest_dump NAME              print the log tail and QEMU output to stderr
#   guest_stop NAME              kill that guest's QEMU (by PID) and reap it
#   guest_cleanup                kill every guest started here (by PID)

GUEST_IMAGE_FORMAT=1
GUEST_MODULES="e1000 virtio_net virtio_pci 8021q"
declare -gA GUEST_PIDS=()
GUEST_KERNEL=${GUEST_KERNEL:-}
GUEST_INITRD=${GUEST_INITRD:-}
_guest_mem=192		# MiB of guest RAM
_guest_extra=()		# more QEMU arguments (guest_start_vhost sets them)

_guest_msg() { echo "guest: $*" >&2; }

# The guest's /init.  Runs under busybox sh as PID 1.
_guest_init_script() {
	cat <<'EOF'
#!/bin/sh
# lanyard test guest: network up, then one role, all from the command line.
PATH=/bin
export PATH
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

role=idle ip= peer= wait=0 msg=hello port=5000 end=poweroff mib=10 vlan=
first=recv
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lanyard.role=*) role=${arg#*=} ;;
	lanyard.ip=*) ip=${arg#*=} ;;
	lanyard.peer=*) peer=${arg#*=} ;;
	lanyard.wait=*) wait=${arg#*=} ;;
	lanyard.msg=*) msg=${arg#*=} ;;
	lanyard.port=*) port=${arg#*=} ;;
	lanyard.end=*) end=${arg#*=} ;;
	lanyard.mib=*) mib=${arg#*=} ;;
	lanyard.vlan=*) vlan=${arg#*=} ;;
	lanyard.first=*) first=${arg#*=} ;;
	esac
done

finish() {
	if [ "$end" = stay ]; then
		while :; do sleep 3600; done
	fi
	echo "GUEST-POWEROFF"
	poweroff -f
}
die() { echo "GUEST-ERROR $*"; end=poweroff; finish; }
# retry TRIES CMD...: CMD until it succeeds, TRIES times at most, 1 s apart.
retry() {
	tries=$1
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 1
	done
}

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m.ko" || echo "GUEST-WARN insmod $m failed"
done </etc/modules.load
# Keep the console for our own lines from here on.
dmesg -n 1

ip link set lo up
n=0
while [ ! -e /sys/class/net/eth0 ]; do
	n=$((n + 1))
	[ "$n" -le 100 ] || die "no eth0"
	sleep 0.1
done
[ -n "$ip" ] || die "no lanyard.ip= on the command line"
ip link set eth0 up || die "eth0 up"
ip addr add "$ip" dev eth0 || die "address $ip"
echo "GUEST-UP $ip $(cat /sys/class/net/eth0/address)"
for v in $(echo "$vlan" | tr , ' '); do
	vid=${v%%:*} vip=${v#*:}
	ip link add link eth0 name "eth0.$vid" type vlan id "$vid" ||
		die "eth0.$vid"
	ip addr add "$vip" dev "eth0.$vid" || die "address $vip on eth0.$vid"
	ip link set "eth0.$vid" up || die "eth0.$vid up"
	echo "GUEST-VLAN-UP eth0.$vid $vip"
done

pingwait() {
	for p in $(echo "$peer" | tr , ' '); do
		if ! retry 180 ping -c1 -W1 "$p" >/dev/null 2>&1; then
			echo "PING-NOT-READY $p"
			return 1
		fi
		echo "PING-READY $p"
	done
}

case "$role" in
server)
	(
		while :; do
			nc -l -p "$port" | while IFS= read -r line; do
				echo "TCP-RECEIVED: $line"
			done
		done
	) &
	echo "TCP-LISTENING $port"
	[ "$wait" = 1 ] && pingwait
	while :; do sleep 3600; done
	;;
client)
	[ -n "$peer" ] || die "client needs lanyard.peer="
	[ "$wait" = 1 ] && pingwait
	send_msg() { echo "$msg" | timeout 10 nc -w 5 "$peer" "$port"; }
	retry 60 send_msg || { echo "TCP-SEND-FAILED"; finish; }
	echo "TCP-SENT"
	finish
	;;
pingloop)
	[ -n "$peer" ] || die "pingloop needs lanyard.peer="
	[ "$wait" = 1 ] && pingwait
	seq=0
	while :; do
		if ping -c1 -W1 "$peer" >/dev/null 2>&1; then
			echo "PING-OK $seq"
			sleep 1
		else
			echo "PING-FAIL $seq"
		fi
		seq=$((seq + 1))
	done
	;;
idle)
	[ "$wait" = 1 ] && pingwait
	while :; do sleep 3600; done
	;;
bulk)
	[ -n "$peer" ] || die "bulk needs lanyard.peer="
	# snmp TABLE FIELD: one counter of /proc/net/snmp.
	snmp() {
		awk -v t="$1:" -v f="$2" '$1 == t {
			if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 }
			else print $col[f] }' /proc/net/snmp
	}
	stats() {
		echo "BULK-STATS tcp-csum=$(snmp Tcp InCsumErrors)" \
			"ip-hdr=$(snmp Ip InHdrErrors) retrans=$(snmp Tcp RetransSegs)"
	}
	dd if=/dev/urandom of=/tmp/out bs=1048576 count="$mib" 2>/dev/null ||
		die "dd"
	echo "BULK-MD5 $(md5sum </tmp/out | cut -d' ' -f1) $(wc -c </tmp/out)"
	listen() {
		# stdin: a fifo nc holds open itself, so it never ends.  At the
		# end of its stdin busybox nc half-closes the connection, and
		# a busybox nc sending to it then quits with its data not all
		# sent.
		rm -f /tmp/hold
		mkfifo /tmp/hold || die "mkfifo"
		nc -l -p "$port" 0<>/tmp/hold >/tmp/in &
		nc_pid=$!
		# Listening once the port is in state 0A (LISTEN), IPv4 or dual-stack.
		hex=$(printf '%04X' "$port")
		n=0
		until cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			grep -q ":$hex 0*:0000 0A"; do
			n=$((n + 1))
			[ "$n" -le 100 ] || die "nc does not listen on $port"
			sleep 0.1
		done
		echo "BULK-LISTENING $port"
	}
	receive() {
		wait "$nc_pid"
		echo "BULK-RECEIVED $(md5sum </tmp/in | cut -d' ' -f1) $(wc -c </tmp/in)"
		rm -f /tmp/in
		stats
	}
	send() {
		[ "$wait" = 1 ] && pingwait
		send_bulk() { timeout 150 nc "$peer" "$port" </tmp/out >/dev/null; }
		retry 180 send_bulk || { echo "BULK-SEND-FAILED"; finish; }
		echo "BULK-SENT"
		stats
	}
	listen
	if [ "$first" = send ]; then
		send
		receive
	else
		receive
		send
	fi
	finish
	;;
*)
	die "unknown role '$role'"
	;;
esac
EOF
}

# apt-cache knows nothing on a fresh machine until apt-get update has run.
_guest_apt_ready=0
_guest_apt_update_once() {
	[ "$_guest_apt_ready" = 1 ] && return 0
	_guest_apt_ready=1
	_guest_msg "running apt-get update"
	host_apt update -qq >&2 || _guest_msg "apt-get update failed"
}

_guest_candidate_version() {	# package
	apt-cache show --no-all-versions "$1" 2>/dev/null |
		awk '$1 == "Version:" { print $2; exit }'
}

_guest_kernel_package() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$p" ]; then
		_guest_apt_update_once
		p=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	fi
	printf '%s\n' "$p"
}

# Download one package and unpack it into DEST.  Returns non-zero on failure.
_guest_fetch_deb() {	# package dest
	local pkg=$1 dest=$2 dl
	dl=$(mktemp -d "$dest.dl.XXXXXX") || return 1
	if ! (cd "$dl" && host_apt download -q "$pkg" >&2); then
		_guest_apt_update_once
		if ! (cd "$dl" && host_apt download -q "$pkg" >&2); then
			rm -rf "$dl"
			return 1
		fi
	fi
	mkdir -p "$dest"
	if ! dpkg-deb -x "$dl"/*.deb "$dest"; then
		rm -rf "$dl"
		return 1
	fi
	rm -rf "$dl"
}

_guest_decompress() {	# src dst
	case "$1" in
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# Module names to load, dependencies first, from MODDIR/modules.dep.
_guest_resolve_modules() {	# moddir module...
	local moddir=$1
	shift
	awk -v want="$*" '
	function norm(p,   b) {
		b = p; sub(/.*\//, "", b); sub(/\.ko(\.(xz|zst|gz))?$/, "", b)
		gsub(/-/, "_", b); return b
	}
	function visit(m,   i, n, d) {
		if (m in done) return
		if (!(m in path)) { print "missing " m > "/dev/stderr"; bad = 1; return }
		done[m] = 1
		n = split(deps[m], d, " ")
		for (i = 1; i <= n; i++) visit(d[i])
		print m "\t" path[m]
	}
	{
		f = $1; sub(/:$/, "", f); m = norm(f); path[m] = f; deps[m] = ""
		for (i = 2; i <= NF; i++) deps[m] = deps[m] " " norm($i)
	}
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++) { x = w[i]; gsub(/-/, "_", x); visit(x) }
		exit bad
	}' "$moddir/modules.dep"
}

# Kernel + modules into DEST (vmlinuz, modules/*.ko, modules.load).
_guest_build_kernel() {	# pkg kver dest
	local pkg=$1 kver=$2 dest=$3 tmp root moddir kernel name rel
	tmp=$(mktemp -d "$dest.tmp.XXXXXX")
	if _guest_fetch_deb "$pkg" "$tmp/root"; then
		root=$tmp/root
	elif [ -r "/boot/vmlinuz-$kver" ] && [ -r "/lib/modules/$kver/modules.dep" ]; then
		_guest_msg "download of $pkg failed; using the installed kernel $kver"
		root=
	else
		_guest_msg "cannot get $pkg (apt-get download failed, not installed)"
		rm -rf "$tmp"
		return 1
	fi
	kernel=$root/boot/vmlinuz-$kver
	moddir=
	for d in "$root/lib/modules/$kver" "$root/usr/lib/modules/$kver"; do
		[ -d "$d" ] && { moddir=$d; break; }
	done
	if [ ! -r "$kernel" ] || [ -z "$moddir" ]; then
		_guest_msg "no kernel or modules for $kver in $pkg"
		rm -rf "$tmp"
		return 1
	fi
	# A package unpacked by hand has no modules.dep: depmod writes it.
	if [ ! -s "$moddir/modules.dep" ]; then
		local base=${moddir%/lib/modules/"$kver"}
		depmod -b "$base" "$kver" || { rm -rf "$tmp"; return 1; }
	fi
	mkdir -p "$tmp/out/modules"
	# shellcheck disable=SC2086 # one word per module
	_guest_resolve_modules "$moddir" $GUEST_MODULES >"$tmp/list" ||
		{ _guest_msg "module dependencies not resolved"; rm -rf "$tmp"; return 1; }
	: >"$tmp/out/modules.load"
	while IFS=$'\t' read -r name rel; do
		_guest_decompress "$moddir/$rel" "$tmp/out/modules/$name.ko" ||
			{ rm -rf "$tmp"; return 1; }
		echo "$name" >>"$tmp/out/modules.load"
	done <"$tmp/list"
	cp "$kernel" "$tmp/out/vmlinuz"
	echo "$pkg" >"$tmp/out/source"
	echo "$GUEST_MODULES" >"$tmp/out/modules.want"
	rm -rf "$dest"
	mv "$tmp/out" "$dest"
	rm -rf "$tmp"
}

_guest_build_busybox() {	# version dest
	local dest=$2 tmp
	tmp=$(mktemp -d "$dest.tmp.XXXXXX")
	mkdir -p "$tmp/out"
	if _guest_fetch_deb busybox-static "$tmp/root" && [ -x "$tmp/root/bin/busybox" ]; then
		cp "$tmp/root/bin/busybox" "$tmp/out/busybox"
	elif dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
		_guest_msg "download of busybox-static failed; using the installed one"
		cp /bin/busybox "$tmp/out/busybox"
	else
		_guest_msg "cannot get busybox-static"
		rm -rf "$tmp"
		return 1
	fi
	rm -rf "$dest"
	mv "$tmp/out" "$dest"
	rm -rf "$tmp"
}

guest_image_build() {	# dir
	local dir=$1 kpkg kver kpv bbv kdir bdir stamp want stage rc=0
	mkdir -p "$dir" || return 1
	exec {_guest_lockfd}>"$dir/.lock"
	flock "$_guest_lockfd"
	kpkg=$(_guest_kernel_package)
	if [ -z "$kpkg" ]; then
		# No apt information at all: fall back to whatever is installed.
		kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
			sort -V | tail -n1)
		[ -n "$kver" ] || { _guest_msg "no linux-image-amd64 known to apt"; flock -u "$_guest_lockfd"; return 1; }
		kpkg=linux-image-$kver
	fi
	kver=${kpkg#linux-image-}
	kpv=$(_guest_candidate_version "$kpkg")
	bbv=$(_guest_candidate_version busybox-static)
	if [ -z "$kpv" ] || [ -z "$bbv" ]; then
		_guest_apt_update_once
		kpv=$(_guest_candidate_version "$kpkg")
		bbv=$(_guest_candidate_version busybox-static)
	fi
	kdir=$dir/kernel-$kver-${kpv//[^A-Za-z0-9.+-]/_}
	bdir=$dir/busybox-${bbv//[^A-Za-z0-9.+-]/_}
	if [ ! -s "$kdir/vmlinuz" ] ||
		[ "$(cat "$kdir/modules.want" 2>/dev/null)" != "$GUEST_MODULES" ]; then
		_guest_msg "building kernel image from $kpkg $kpv"
		_guest_build_kernel "$kpkg" "$kver" "$kdir" || rc=1
	fi
	if [ "$rc" = 0 ] && [ ! -x "$bdir/busybox" ]; then
		_guest_msg "getting busybox-static $bbv"
		_guest_build_busybox "$bbv" "$bdir" || rc=1
	fi
	if [ "$rc" != 0 ]; then
		flock -u "$_guest_lockfd"
		return 1
	fi
	want=$({
		echo "format $GUEST_IMAGE_FORMAT"
		echo "kernel $kdir"
		cat "$kdir/modules.load"
		sha256sum "$bdir/busybox" | cut -d' ' -f1
		_guest_init_script
	} | sha256sum | cut -d' ' -f1)
	stamp=$dir/initramfs.stamp
	if [ ! -s "$dir/initramfs.cpio.gz" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
		_guest_msg "building initramfs"
		stage=$(mktemp -d "$dir/stage.XXXXXX")
		mkdir -p "$stage"/{bin,dev,proc,sys,tmp,etc,lib/modules}
		cp "$bdir/busybox" "$stage/bin/busybox"
		# Every applet as a link, so the init script can call them by name.
		"$bdir/busybox" --list | while read -r a; do
			[ "$a" = busybox ] || ln -sf busybox "$stage/bin/$a"
		done
		cp "$kdir"/modules/*.ko "$stage/lib/modules/"
		cp "$kdir/modules.load" "$stage/etc/modules.load"
		_guest_init_script >"$stage/init"
		chmod 0755 "$stage/init"
		if command -v cpio >/dev/null; then
			(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
				gzip -1 >"$dir/initramfs.cpio.gz.tmp" || rc=1
		else
			(cd "$stage" && find . | "$bdir/busybox" cpio -o -H newc) |
				gzip -1 >"$dir/initramfs.cpio.gz.tmp" || rc=1
		fi
		rm -rf "$stage"
		if [ "$rc" = 0 ]; then
			mv "$dir/initramfs.cpio.gz.tmp" "$dir/initramfs.cpio.gz"
			echo "$want" >"$stamp"
		fi
	fi
	ln -sfn "$(basename "$kdir")/vmlinuz" "$dir/vmlinuz"
	flock -u "$_guest_lockfd"
	GUEST_KERNEL=$kdir/vmlinuz
	GUEST_INITRD=$dir/initramfs.cpio.gz
	return "$rc"
}

guest_start() {	# name role ip netdev device mac [cmdline words...]
	local name=$1 role=$2 ip=$3 netdev=$4 device=$5 mac=$6
	shift 6
	[ -n "${GUEST_WORK:-}" ] || { _guest_msg "GUEST_WORK is not set"; return 1; }
	if [ -z "$GUEST_KERNEL" ] || [ -z "$GUEST_INITRD" ]; then
		_guest_msg "call guest_image_build first"
		return 1
	fi
	local log=$GUEST_WORK/$name.log
	: >"$log"
	qemu-system-x86_64 \
		-name "lanyard-test-$name" \
		-accel tcg -smp 1 -m "$_guest_mem" "${_guest_extra[@]}" \
		-nodefaults -no-user-config -display none -no-reboot \
		-monitor none -serial "file:$log" \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-append "console=ttyS0 panic=-1 quiet lanyard.role=$role lanyard.ip=$ip $*" \
		-netdev "$netdev,id=n0" \
		-device "$device,netdev=n0,mac=$mac,romfile=" \
		</dev/null >"$GUEST_WORK/$name.qemu.log" 2>&1 &
	GUEST_PIDS[$name]=$!
}

guest_start_vhost() {	# name role ip chardev mac [cmdline words...]
	local name=$1 role=$2 ip=$3 chardev=$4 mac=$5
	shift 5
	local -a _guest_extra=(
		-machine "pc,memory-backend=gmem0"
		-object "memory-backend-memfd,id=gmem0,size=${_guest_mem}M,share=on"
		-chardev "$chardev,id=gchr0")
	# vectors=0: no MSI-X.  Under TCG, QEMU 7.2 (Debian 7.2.22) segfaults
	# in vhost_net_start -> msix_set_vector_notifiers as soon as a Linux
	# guest's driver starts a vhost-user NIC that uses MSI-X; with INTx
	# it works.
	guest_start "$name" "$role" "$ip" "vhost-user,chardev=gchr0,queues=1" \
		virtio-net-pci,vectors=0 "$mac" "$@"
}

guest_pid() { printf '%s\n' "${GUEST_PIDS[$1]:-}"; }
guest_log() { printf '%s\n' "$GUEST_WORK/$1.log"; }

guest_lines() {	# name ere
	tr -d '\r' <"$GUEST_WORK/$1.log" | grep -E -- "$2" || true
}

guest_dump() {	# name
	{
		echo "---- console of guest $1 (last 30 lines) ----"
		tr -d '\r' <"$GUEST_WORK/$1.log" | tail -n 30
		if [ -s "$GUEST_WORK/$1.qemu.log" ]; then
			echo "---- qemu output of guest $1 ----"
			cat "$GUEST_WORK/$1.qemu.log"
		fi
		echo "----"
	} >&2
}

guest_wait_log() {	# name ere timeout-seconds
	local name=$1 ere=$2 secs=$3 pid end
	pid=${GUEST_PIDS[$name]:-}
	end=$((SECONDS + secs))
	while :; do
		if tr -d '\r' <"$GUEST_WORK/$name.log" | grep -qE -- "$ere"; then
			return 0
		fi
		if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
			_guest_msg "guest $name is not running while waiting for /$ere/"
			guest_dump "$name"
			return 1
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			_guest_msg "guest $name: /$ere/ not seen in ${secs}s"
			guest_dump "$name"
			return 1
		fi
		sleep 0.5
	done
}

guest_stop() {	# name
	local pid=${GUEST_PIDS[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset 'GUEST_PIDS[$1]'
}

guest_cleanup() {
	local n
	for n in "${!GUEST_PIDS[@]}"; do
		guest_stop "$n"
	done
}
