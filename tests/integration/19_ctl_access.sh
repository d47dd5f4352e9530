#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: only those allowed may steer the switch.
#  - by default the control socket is mode 0600: another user (nobody,
#    run under setpriv) cannot connect, and lanyardctl says why (exit 3);
#  - with --ctl-group 4242 the socket is group 4242, mode 0660: nobody with
#    4242 among its supplementary groups, or as its primary group, is
#    served; nobody without it still cannot connect;
#  - the credential check holds when the mode is widened by hand (0666):
#    nobody without the group gets "permission-denied" (exit 1) and the
#    refusal is logged; the switch keeps serving its own user.
# A group number that names no group is used, so nothing on the machine
# changes.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 77
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/switch.sh
. "$here/lib/switch.sh"

need_cmds setpriv=util-linux
chmod 0755 "$dir"	# nobody may reach the socket; its mode decides
grp=4242
as_nobody() {	# GID-OPTION GROUPS-OPTION ARGS...: lanyardctl as uid 65534
	local gid=$1 groups=$2
	shift 2
	setpriv --reuid=65534 "$gid" "$groups" "$LANYARDCTL" --ctl "$ctl" "$@"
}

# --- default: mode 0600 ------------------------------------------------------
lanyard_start --port "dgram,id=d,path=$dir/d.sock"
[ "$(stat -c %a "$ctl")" = 600 ] || fail "default socket mode $(stat -c %a "$ctl"), want 600"
rc=0
out=$(as_nobody --regid=65534 --clear-groups show 2>&1) || rc=$?
[ "$rc" = 3 ] || fail "default: nobody's lanyardctl exited $rc, want 3: $out"
grep -q "Permission denied.*--ctl-group" <<<"$out" || fail "default: message does not say how to get access: $out"
ctlj show >/dev/null || fail "default: root is not served"
lanyard_stop
echo "ok: default: mode 0600, another user cannot connect and is told why"

# --- --ctl-group -------------------------------------------------------------
lanyard_start --ctl-group "$grp" --port "dgram,id=d,path=$dir/d.sock"
[ "$(stat -c '%a %g' "$ctl")" = "660 $grp" ] || fail "--ctl-group: socket is $(stat -c '%a %g' "$ctl"), want 660 $grp"
out=$(as_nobody --regid=65534 --groups="$grp" -j show) ||
	fail "--ctl-group: a supplementary member was refused: $out"
[ "$(jq -r '.ports[0].id' <<<"$out")" = d ] || fail "--ctl-group: member's show: $out"
out=$(as_nobody --regid="$grp" --clear-groups version) ||
	fail "--ctl-group: a primary-group member was refused: $out"
rc=0
out=$(as_nobody --regid=65534 --clear-groups show 2>&1) || rc=$?
[ "$rc" = 3 ] || fail "--ctl-group: a non-member's lanyardctl exited $rc, want 3: $out"
echo "ok: --ctl-group: members served (supplementary and primary), others cannot connect"

# --- the credential check behind a widened mode ------------------------------
chmod 0666 "$ctl"
rc=0
out=$(as_nobody --regid=65534 --clear-groups show 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "0666: a non-member's lanyardctl exited $rc, want 1: $out"
grep -q "permission-denied: uid 65534 may not use this switch" <<<"$out" ||
	fail "0666: no permission-denied reply: $out"
wait_for "grep -q 'ctl: refused pid' '$lanyard_log'" "the refusal in lanyard's log"
out=$(as_nobody --regid=65534 --groups="$grp" version) ||
	fail "0666: a member was refused: $out"
ctlj show >/dev/null || fail "0666: root is not served any more"
lanyard_stop
echo "ok: SO_PEERCRED: a non-member behind mode 0666 gets permission-denied, logged; members and root still served"
echo PASS
