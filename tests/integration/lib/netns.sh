# SPDX-License-Identifier: MIT
# netns.sh - sourced first by tests that use TCP or UDP: runs the calling
# script again inside a network namespace of its own (loopback up), so the
# addresses and ports it uses are private to it, and removes the namespace
# afterwards.
if [ -z "${LANYARD_TEST_NETNS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || exit 77
	_ns=lanyard-test-$$
	ip netns add "$_ns" || { echo "FAIL: ip netns add $_ns" >&2; exit 1; }
	ip -n "$_ns" link set lo up
	_rc=0
	# LANYARD_TEST_HOSTNS: where the mirror is reachable (lib/switch.sh's
	# host_apt); this shell waits there until the script ends.
	LANYARD_TEST_NETNS=$_ns LANYARD_TEST_HOSTNS=/proc/$$/ns/net \
		ip netns exec "$_ns" "$0" "$@" || _rc=$?
	ip netns del "$_ns"
	exit "$_rc"
fi
