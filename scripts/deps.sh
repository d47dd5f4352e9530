#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh - the Debian 12 packages lanyard needs, and how to get them.
# Sourced by run.sh and test.sh: deps_ensure build|test installs what is
# missing when run as root, else prints the exact apt-get line and fails.

# Building: compiler, build system, JSON library for the control socket,
# libpcap for the filters of trace and capture (pcap_compile, bpf_filter),
# help2man for the manual pages (made from each program's --help).
DEPS_BUILD=(gcc meson ninja-build pkg-config libjansson-dev libpcap-dev
	help2man)

# Testing: unit tests (cmocka), a second compiler with sanitizer and
# libFuzzer runtimes, real QEMU guests (qemu-system-x86 boots Debian's own
# kernel and busybox, which the tests fetch with apt-get download), network
# namespaces (iproute2, util-linux), JSON on the command line (jq), TCP
# through tap and packet ports (iperf3, ping from iputils-ping, socat for a
# checksummed bulk transfer to a guest), VXLAN datagrams read from the
# underlay (tcpdump) and hand-made ones sent to it (python3), captures
# read back (tshark, tcpdump), DPDK's dpdk-testpmd as a second vhost-user
# front-end besides QEMU (dpdk-dev: Debian ships testpmd there, not in
# the dpdk package).
DEPS_TEST=("${DEPS_BUILD[@]}" libcmocka-dev clang libclang-rt-14-dev
	qemu-system-x86 iproute2 util-linux procps jq cpio xz-utils zstd
	kmod iperf3 iputils-ping socat tcpdump python3 tshark dpdk-dev)

deps_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || printf '%s ' "$p"
	done
}

deps_ensure() {
	local set=$1 missing
	local -n pkgs="DEPS_${set^^}"

	missing=$(deps_missing "${pkgs[@]}")
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "lanyard: missing Debian packages; install them with:" >&2
		echo "  sudo apt-get install -y $missing" >&2
		return 1
	fi
	echo "lanyard: installing: $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# A mirror briefly unreachable (DNS) gets two more tries.
	local try
	for try in 0 1 2; do
		sleep $((try * 5))
		apt-get update -qq >&2 &&
			apt-get install -y -qq --no-install-recommends $missing >&2 &&
			return 0
	done
	return 1
}
