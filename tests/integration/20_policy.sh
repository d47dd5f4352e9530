#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Objective: port modes and isolation (docs/policy.md, issue "VLANs and
# port policy") do what the document's own table says.  The table between
# the policy-table markers is parsed here and every expectation is computed
# from it, so changing a cell changes what is asserted.  Scenarios, each on
# a fresh lanyard with unix stream ports and lanyard-perf peers:
#  a) an uplink (uplink=on), two bridge, two private and two vepa ports;
#     the uplink's peer is plain (sends nothing back);
#  a0) the same modes and two isolated bridge ports with no uplink: what a
#     port may not reach is dropped (policy), floods reaching nobody
#     (no-port);
#  b) as a) with the uplink's peer reflecting every frame (lanyard-perf
#     reflect: hairpin, 802.1Qbg reflective relay), so hairpin cells become
#     deliveries (a hairpinned frame reaches the hairpin cells of its
#     sender's row, once), a frame never comes back to its sender, and
#     hairpinned frames do not move their MACs to the uplink; the uplink's
#     own row is a)'s, its peer only reflects here;
#  c) isolated=on and off bridge ports beside an uplink: isolated to
#     isolated never, floods included (Linux bridge isolated);
#  c2) isolated and plain bridge and vepa ports beside a reflecting
#     uplink: a hairpinned frame is checked between the uplink and the
#     receiver, so it may reach an isolated port;
#  d) the modes split over access VLANs 10 and 20 beside a reflecting
#     trunk uplink (trunk=10,20): no frame crosses VLANs, hairpins
#     included, and frames leave the trunk tagged with their VLAN;
#  e) passthru: the uplink and one passthru port reach each other both
#     ways; a second connection to the passthru port is refused; another
#     non-uplink port beside it, or a passthru port beside others, is
#     refused at start and by port add, with a message (the table's -
#     cells).
# Every port is a listener: its first connection is the receiving peer
# (announced, so its MAC is learned), and the same listener's further
# connections send (they inherit the port's keys).  The uplink and a
# passthru port take one connection only, so they send from connections
# that replace the receiver for a while.  Each sender sends, from its own
# MAC and with its own flow ids, a broadcast, an unknown unicast and a
# unicast to every receiving peer's MAC; the receivers' reports (sources,
# "MAC/flow") must hold exactly the expected frames, and the switch's
# counters (rx, rx_fwd, policy, no-port) what the table implies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/switch.sh"
[ "$(id -u)" -eq 0 ] || exit 77
need_cmds jq

src_tree=${LANYARD_SRC:-$(cd "$here/../.." && pwd)}
policy_md=$src_tree/docs/policy.md
N=6		# frames per sender, per destination
RATE=2000	# frames/s per sender: far below anything that could back up
# A sender stays connected this long after its frames: what comes back
# to it is counted, and with a hairpin its frames return meanwhile (its
# MAC must still be on its port for them to count as its own).
LINGER_PLAIN=0.15 LINGER_HAIRPIN=0.3
BCAST=ff:ff:ff:ff:ff:ff
NOBODY=02:ee:ee:ee:ee:ee	# the unknown unicast destination

# --- the table ------------------------------------------------------------

# cell[ROW,COL]: yes, no, hairpin or - (refused), for the sender's row
# (uplink or its mode) and the receiver's column.
declare -A cell=()
table_rows=() table_cols=()
read_table() {
	local line state=0 f i cells=() row
	[ -f "$policy_md" ] || fail "no $policy_md (set LANYARD_SRC to the source tree)"
	while IFS= read -r line; do
		case $line in
		*'<!-- policy-table -->'*) state=1; continue ;;
		*'<!-- /policy-table -->'*) state=2; break ;;
		esac
		[ "$state" -eq 1 ] && [[ $line == '|'* ]] || continue
		[[ $line =~ ^[-|:[:space:]]+$ ]] && continue	# |---|---|
		IFS='|' read -ra cells <<<"$line"
		for i in "${!cells[@]}"; do
			f=${cells[i]}
			f=${f#"${f%%[![:space:]]*}"}
			cells[i]=${f%"${f##*[![:space:]]}"}
		done
		if [ "${#table_cols[@]}" -eq 0 ]; then
			table_cols=("${cells[@]:2}")
			continue
		fi
		[ "${#cells[@]}" -eq $((${#table_cols[@]} + 2)) ] ||
			fail "policy table row '$line' has $((${#cells[@]} - 2)) cells, the header ${#table_cols[@]}"
		row=${cells[1]}
		table_rows+=("$row")
		for i in "${!table_cols[@]}"; do
			f=${cells[i + 2]}
			case $f in yes | no | hairpin | -) ;;
			*) fail "policy table: '$f' ($row -> ${table_cols[i]}) is not yes, no, hairpin or -" ;;
			esac
			cell[$row,${table_cols[i]}]=$f
		done
	done <"$policy_md"
	[ "$state" -eq 2 ] && [ "${#table_rows[@]}" -gt 0 ] ||
		fail "no policy table between the markers in $policy_md"
	for row in uplink bridge private vepa passthru; do
		for f in uplink bridge private vepa; do
			[ -n "${cell[$row,$f]-}" ] ||
				fail "policy table: no cell $row -> $f (table: $(declare -p cell))"
		done
	done
	# The table has no passthru column: the mode's text says the port
	# owns the uplink, whose frames it therefore gets.
	[ -n "${cell[uplink,passthru]-}" ] || cell[uplink,passthru]=yes
}
read_table

# --- a scenario's ports and the model -------------------------------------

# names: the ports (listeners) in order; per port: role (uplink or mode),
# iso (0/1), vset (its VLANs, 0 = VLAN-unaware), trunk (0/1), mac (the
# receiving peer's), lvid (the VLAN its MAC is learned in), smac (its
# senders'), outs (its receiving peers, by report), live (the one
# running).
reset_ports() {
	names=() up="" hairpin=$1 skip_senders=${2-}
	LINGER=$LINGER_PLAIN
	[ "$hairpin" = 0 ] || LINGER=$LINGER_HAIRPIN
	unset role iso vset trunk mac lvid smac outs live idx
	declare -gA role=() iso=() vset=() trunk=() mac=() lvid=() smac=() \
		outs=() live=() idx=()
}

# port_def NAME ROLE ISOLATED VLAN: VLAN "-" (unaware), N (access) or
# tN,M (trunk).
port_def() {
	local n=$1 i=$((${#names[@]} + 1))
	names+=("$n")
	role[$n]=$2 iso[$n]=$3 idx[$n]=$i trunk[$n]=0
	case $4 in
	-) vset[$n]=0 ;;
	t*) vset[$n]=${4#t}; vset[$n]=${vset[$n]//,/ }; trunk[$n]=1 ;;
	*) vset[$n]=$4 ;;
	esac
	lvid[$n]=${vset[$n]%% *}
	mac[$n]=$(printf '02:00:00:00:01:%02x' "$i")
	smac[$n]=$(printf '02:00:00:00:02:%02x' "$i")
	[ "$2" != uplink ] || up=$n
}

port_spec() {
	local n=$1 s="stream,id=$1,path=$dir/$1.sock"
	if [ "${role[$n]}" = uplink ]; then s+=",uplink=on"; else s+=",mode=${role[$n]}"; fi
	[ "${iso[$n]}" = 0 ] || s+=",isolated=on"
	if [ "${trunk[$n]}" = 1 ]; then
		s+=",trunk=${vset[$n]// /,}"
	elif [ "${vset[$n]}" != 0 ]; then
		s+=",vlan=${vset[$n]}"
	fi
	echo "$s"
}

# The uplink and passthru take one connection: they send in its place.
alone() { [ "${role[$1]}" = uplink ] || [ "${role[$1]}" = passthru ]; }

vlan_in() { [[ " ${vset[$2]} " == *" $1 "* ]]; }

# direct S VID R: may S's frame in VID go to R straight?
direct() {
	vlan_in "$2" "$3" && [ "${cell[${role[$1]},${role[$3]}]}" = yes ] &&
		! { [ "${iso[$1]}" = 1 ] && [ "${iso[$3]}" = 1 ]; }
}

# hairpin_ok S VID R: may S's frame, sent back by the outside, reach R?
# Isolation is then checked between the uplink and R.
hairpin_ok() {
	vlan_in "$2" "$3" && [ "${cell[${role[$1]},${role[$3]}]}" = hairpin ] &&
		! { [ "${iso[$up]}" = 1 ] && [ "${iso[$3]}" = 1 ]; }
}

# model S VID DST SELF: who receives S's frame to DST in VLAN VID.  SELF
# is the receiver that is not there (S's own, while S sends in its place).
# Sets dl[R] (copies R gets), m_policy, m_noport (the frame was dropped so),
# m_back (the outside sent it back) and m_lost (...and it reached nobody).
model() {
	local s=$1 v=$2 dst=$3 self=$4 r d="" n=0
	dl=() m_policy=0 m_noport=0 m_back=0 m_lost=0
	if [ "$dst" != "$BCAST" ]; then
		for r in "${names[@]}"; do
			[ "$r" = "$self" ] || [ "${mac[$r]}" != "$dst" ] ||
				[ "${lvid[$r]}" != "$v" ] || d=$r
		done
	fi
	if [ -z "$d" ]; then
		for r in "${names[@]}"; do
			[ "$r" != "$self" ] && direct "$s" "$v" "$r" && dl[$r]=1 && n=$((n + 1))
		done
		[ "$n" -gt 0 ] || m_noport=1
	elif direct "$s" "$v" "$d"; then
		dl[$d]=1
	elif [ -n "$up" ] && [ "$s" != "$up" ] && direct "$s" "$v" "$up"; then
		dl[$up]=1
	else
		m_policy=1
	fi
	if [ "$hairpin" = 1 ] && [ "$s" != "$up" ] && [ -n "${dl[$up]-}" ]; then
		m_back=1 n=0
		if [ -z "$d" ]; then
			for r in "${names[@]}"; do
				[ "$r" != "$self" ] && [ "$r" != "$up" ] &&
					hairpin_ok "$s" "$v" "$r" &&
					dl[$r]=$((${dl[$r]:-0} + 1)) && n=$((n + 1))
			done
		elif [ "$d" != "$up" ] && hairpin_ok "$s" "$v" "$d"; then
			dl[$d]=$((${dl[$d]:-0} + 1)) n=1
		fi
		[ "$n" -gt 0 ] || m_lost=1
	fi
	return 0
}

# plan: one line per frame kind a sender sends:
# "SENDER LABEL SRC DST VID FLOW".  exp["R|SRC/FLOW"]: frames R must get;
# e_*: what the switch's totals must gain.
build_plan() {
	local s r v src self k label d dst
	plan=() e_rx=0 e_policy=0 e_noport=0 e_lost=0 e_back=0
	unset exp e_vid
	declare -gA exp=() e_vid=()
	declare -gA dl=()
	for s in "${names[@]}"; do
		[[ " $skip_senders " != *" $s "* ]] || continue
		if alone "$s"; then self=$s src=${mac[$s]}; else self="" src=${smac[$s]}; fi
		k=0
		for v in ${vset[$s]}; do
			for r in BCAST NOBODY "${names[@]}"; do
				[ "$r" != "$self" ] || continue
				case $r in
				BCAST) label=bcast dst=$BCAST ;;
				NOBODY) label=unknown dst=$NOBODY ;;
				*) label=to_$r dst=${mac[$r]} ;;
				esac
				[ "${trunk[$s]}" = 0 ] || label+=@$v
				k=$((k + 1))
				plan+=("$s $label $src $dst $v $((idx[$s] * 1000 + k))")
				model "$s" "$v" "$dst" "$self"
				for d in "${!dl[@]}"; do
					exp[$d|$src/$((idx[$s] * 1000 + k))]=$((dl[$d] * N))
				done
				e_rx=$((e_rx + N * (1 + m_back)))
				e_policy=$((e_policy + N * m_policy))
				e_noport=$((e_noport + N * m_noport))
				e_lost=$((e_lost + N * m_lost))
				e_back=$((e_back + N * m_back))
				[ -z "$up" ] || [ -z "${dl[$up]-}" ] ||
					e_vid[$v]=$((${e_vid[$v]:-0} + N * dl[$up]))
			done
		done
	done
}

# --- peers and sending ----------------------------------------------------

# macs_home NAME...: each NAME's receiving peer's MAC is on one of NAME's
# ports; prints the ones that are not.
macs_home() {
	local m p n bad=""
	declare -A at=()
	while read -r m p; do
		[ -n "${at[$m]-}" ] || at[$m]=$p
	done < <(ctlj fdb | jq -r '.fdb[] | "\(.mac) \(.port)"')
	for n in "$@"; do
		[[ ${at[${mac[$n]}]-} == "$n".* ]] || bad+=" $n's ${mac[$n]} is on '${at[${mac[$n]}]-}'"
	done
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

# rx_start NAME...: a receiving peer on each NAME's port (a reflecting
# one on a hairpin uplink), announced, its MAC learned on NAME's port.
rx_start() {
	local n p mode args ready=()
	for n in "$@"; do
		p=r_${n}_$(($(wc -w <<<"${outs[$n]-}") + 1))
		mode=rx args=()
		[ "$n" != "$up" ] || [ "$hairpin" = 0 ] || mode=reflect
		[ "${trunk[$n]}" = 0 ] || args=(--vlan "${lvid[$n]}")
		peer "$p" $mode "stream:unix:$dir/$n.sock" --src "${mac[$n]}" \
			--announce --ready "$dir/$p.ready" --duration 120 "${args[@]}"
		outs[$n]+="$p " live[$n]=$p
		ready+=("$dir/$p.ready")
	done
	wait_for "ls ${ready[*]} >/dev/null 2>&1" "receivers $* ready"
	wait_for "macs_home $* >/dev/null" "the MACs of $* learned on their ports"
}

# rx_stop NAME...: end NAME's receiving peers; their reports are written.
rx_stop() {
	local n
	for n in "$@"; do
		[ -z "${live[$n]-}" ] || kill "$(eval "echo \$pid_${live[$n]}")" 2>/dev/null || true
	done
	for n in "$@"; do
		[ -z "${live[$n]-}" ] || peer_wait "${live[$n]}"
		live[$n]=""
	done
}

# settle: nothing queued, nothing arriving any more, and a reflecting
# uplink peer has sent back all it got (all but its hello).  Leaves the
# totals the test accounts for in $tot: rx rx_fwd policy no-port same-port.
settle() {
	local prev="" q owed _ u=""
	[ "$hairpin" = 0 ] || [ -z "${live[$up]-}" ] || u=$up
	for _ in $(seq 100); do
		read -r q owed tot < <(ctlj show | jq -r --arg u "$u" '
			([.ports[] | select(.parent == $u) | .counters | .tx + 1 - .rx] | add // 0) as $owed |
			.totals | "\(.queued) \($owed) \(.rx) \(.rx_fwd) \(.drops.policy) \(.drops."no-port") \(.drops."same-port")"')
		[ "$q" != 0 ] || [ "$owed" != 0 ] || [ "$tot" != "$prev" ] || return 0
		prev=$tot
		sleep 0.1
	done
	fail "$scen: the switch kept receiving or holding frames: $(ctlj show | jq -c .totals)"
}

# got_tot: what the totals gained over the sending phases only (hellos
# of receivers that start in between are not part of them).
declare -A got_tot=()
phase_begin() {
	settle
	read -r t_rx t_fwd t_policy t_noport t_same <<<"$tot"
}
phase_end() {
	local rx fwd policy noport same
	settle
	read -r rx fwd policy noport same <<<"$tot"
	[[ "$policy$noport$same" != *null* ]] ||
		fail "show has no drops.policy, no-port or same-port: $(ctlj show | jq -c .totals)"
	got_tot[rx]=$((${got_tot[rx]:-0} + rx - t_rx))
	got_tot[fwd]=$((${got_tot[fwd]:-0} + fwd - t_fwd))
	got_tot[policy]=$((${got_tot[policy]:-0} + policy - t_policy))
	got_tot[noport]=$((${got_tot[noport]:-0} + noport - t_noport))
	got_tot[same]=$((${got_tot[same]:-0} + same - t_same))
}

# send_one SENDER LABEL SRC DST VID FLOW: one connection to SENDER's port
# sends N frames, then listens LINGER seconds (check_senders: none of its
# own may come back to it).
send_one() {
	local s=$1 src=$3 dst=$4 v=$5 flow=$6 o=$dir/s_$1_$6 args=() linger=$LINGER
	[ "${trunk[$s]}" = 0 ] || args=(--vlan "$v")
	[ "$s" != "$up" ] || linger=$LINGER_PLAIN	# nothing hairpins its frames
	"$LANYARD_PERF" tx "stream:unix:$dir/$s.sock" --src "$src" --dst "$dst" \
		--flow "$flow" --count "$N" --rate "$RATE" --linger "$linger" \
		--duration 20 --json "${args[@]}" >"$o.out" 2>"$o.err" ||
		fail "$scen: sender $s ($2) failed: $(cat "$o.err")"
}

# send_all SENDER: its plan, one kind after the other.  An alone port's
# next connection waits until the switch has let the last one go.
send_all() {
	local line f
	for line in "${plan[@]}"; do
		read -ra f <<<"$line"
		[ "${f[0]}" = "$1" ] || continue
		! alone "$1" || wait_for "[ -z \"\$(children $1)\" ]" "$1's last connection gone"
		send_one "${f[@]}"
	done
}

# --- checking -------------------------------------------------------------

# check_senders: every sender sent its N frames and got none of its own.
check_senders() {
	local line f file sent errs srcs n=0
	declare -A src_of=()
	for line in "${plan[@]}"; do
		read -ra f <<<"$line"
		src_of[s_${f[0]}_${f[5]}]="${f[2]} ${f[0]} ${f[1]}"
	done
	while IFS=$'\t' read -r file sent errs srcs; do
		read -ra f <<<"${src_of[$file]}"
		n=$((n + 1))
		[ "$sent" = "$N" ] && [ "$errs" = 0 ] ||
			fail "$scen: sender ${f[1]} (${f[2]}) sent $sent of $N frames, $errs refused: $(cat "$dir/$file.out")"
		[[ ",$srcs" != *",${f[0]}/"* ]] ||
			fail "$scen: sender ${f[1]} (${f[2]}) got its own frames back (a port never receives its own frame): $srcs"
	done < <(jq -r '[(input_filename | sub(".*/"; "") | sub("[.]out$"; "")), .sent, .send_errors, ([.sources | to_entries[] | "\(.key)=\(.value)"] | join(","))] | @tsv' "$dir"/s_*.out)
	[ "$n" -eq "${#plan[@]}" ] || fail "$scen: $n sender reports for ${#plan[@]} sends"
}

# collect: got[R|SRC/FLOW], the frames R's peers received, from their
# reports; none may be corrupted.
declare -A got=()
collect() {
	local n p k v files=()
	got=()
	for n in "${names[@]}"; do
		for p in ${outs[$n]}; do files+=("$dir/$p.out"); done
	done
	while read -r p k v; do
		n=${p#r_} n=${n%_*}
		if [ "$k" = corrupted ]; then
			[ "$v" -eq 0 ] || fail "$scen: $n's peer got $v corrupted frames: $(cat "$dir/$p.out")"
		else
			got[$n|$k]=$((${got[$n|$k]:-0} + v))
		fi
	done < <(jq -r '(input_filename | sub(".*/"; "") | sub("[.]out$"; "")) as $p |
		"\($p) corrupted \(.corrupted)", (.sources | to_entries[] | "\($p) \(.key) \(.value)")' "${files[@]}")
}

# rows SENDER: its part of the matrix, expected and got, for a failure.
rows() {
	local line f r e g
	printf '%s: sender %s (%s%s; %s), %d frames per kind; expected / got (!) by receiving peer:\n' \
		"$scen" "$1" "${role[$1]}" "$([ "${iso[$1]}" = 0 ] || echo ", isolated")" \
		"$(if alone "$1"; then echo "in place of its receiver"; else echo "a further connection to $1"; fi)" "$N"
	printf '  %-16s' "frame \\ to"
	for r in "${names[@]}"; do printf ' %7s' "$r"; done
	echo
	for line in "${plan[@]}"; do
		read -ra f <<<"$line"
		[ "${f[0]}" = "$1" ] || continue
		printf '  %-16s' "${f[1]}"
		for r in "${names[@]}"; do
			e=${exp[$r|${f[2]}/${f[5]}]:-0} g=${got[$r|${f[2]}/${f[5]}]:-0}
			if [ "$e" = "$g" ]; then printf ' %7s' "$e"; else printf ' %7s' "$e/$g!"; fi
		done
		echo
	done
}

check_matrix() {
	local line f r s bad="" key known=" " k
	for line in "${plan[@]}"; do
		read -ra f <<<"$line"
		known+="${f[2]}/${f[5]} "
		for r in "${names[@]}"; do
			[ "${exp[$r|${f[2]}/${f[5]}]:-0}" = "${got[$r|${f[2]}/${f[5]}]:-0}" ] ||
				[[ " $bad " == *" ${f[0]} "* ]] || bad+="${f[0]} "
		done
	done
	for k in "${!got[@]}"; do
		key=${k#*|}
		[[ $known == *" $key "* ]] ||
			fail "$scen: ${k%%|*} got ${got[$k]} frames of $key, which nobody sent in this scenario"
	done
	[ -z "$bad" ] || {
		for s in $bad; do rows "$s" >&2; done
		fail "$scen: receivers disagree with docs/policy.md's table for senders $bad(cells: expected/got!; flows per sender: $N frames each)"
	}
}

check_totals() {
	local nofwd=$((got_tot[rx] - got_tot[fwd])) want=$((e_policy + e_noport + e_lost))
	local have="rx ${got_tot[rx]} rx_fwd ${got_tot[fwd]} policy ${got_tot[policy]} no-port ${got_tot[noport]} same-port ${got_tot[same]}"
	[ "${got_tot[rx]}" -eq "$e_rx" ] ||
		fail "$scen: the switch received ${got_tot[rx]} frames while senders sent, want $e_rx (sent and sent back): $have"
	[ "$nofwd" -eq "$want" ] ||
		fail "$scen: $nofwd frames went nowhere, want $want (policy $e_policy, no-port $e_noport, sent back to nobody $e_lost): $have"
	if [ "$hairpin" = 0 ]; then
		[ "${got_tot[policy]}" -eq "$e_policy" ] && [ "${got_tot[noport]}" -eq "$e_noport" ] ||
			fail "$scen: drops policy ${got_tot[policy]}, no-port ${got_tot[noport]}; want policy $e_policy (unicast the sender may not reach, no uplink), no-port $e_noport (floods reaching nobody): $have"
	else
		# Which of these counts a hairpinned frame that reaches nobody
		# the document leaves open; between them they count them all.
		[ $((got_tot[policy] + got_tot[noport] + got_tot[same])) -eq "$want" ] ||
			fail "$scen: drops policy + no-port + same-port = $((got_tot[policy] + got_tot[noport] + got_tot[same])), want $want: $have"
	fi
	check_conservation
}

# run_scenario TITLE: start the ports of reset_ports/port_def, send, check.
run_scenario() {
	local n args=() s pids=() p bad
	scen=$1
	got_tot=()
	rm -f "$dir"/s_*.out "$dir"/s_*.err
	for n in "${names[@]}"; do args+=(--port "$(port_spec "$n")"); done
	lanyard_start "${args[@]}"
	rx_start "${names[@]}"
	build_plan
	phase_begin
	# A hairpinned hello must not have moved its MAC to the uplink.
	bad=$(macs_home "${names[@]}") || fail "$scen: after the hellos:$bad"
	for s in "${names[@]}"; do
		! alone "$s" && [[ " $skip_senders " != *" $s "* ]] || continue
		send_all "$s" &
		pids+=($!)
		peer_pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail "$scen: a sender failed"; done
	phase_end
	for s in "${names[@]}"; do
		alone "$s" && [[ " $skip_senders " != *" $s "* ]] || continue
		rx_stop "$s"
		wait_for "[ -z \"\$(children $s)\" ]" "$s's receiver gone"
		phase_begin
		send_all "$s"
		phase_end
		rx_start "$s"
	done
	bad=$(macs_home "${names[@]}") || fail "$scen: after sending:$bad"
	rx_stop "${names[@]}"
	check_senders
	collect
	check_matrix
	check_totals
}

# --- a) modes beside a plain uplink ---------------------------------------

modes_ports() {
	port_def U uplink 0 -
	port_def B1 bridge 0 -; port_def B2 bridge 0 -
	port_def P1 private 0 -; port_def P2 private 0 -
	port_def V1 vepa 0 -; port_def V2 vepa 0 -
}
start=$SECONDS
reset_ports 0
modes_ports
run_scenario "a) modes, plain uplink"
lanyard_stop
echo "ok: a) modes beside a plain uplink: ${#plan[@]} sends of $N frames match the table; rx ${got_tot[rx]}, drops policy ${got_tot[policy]}, no-port ${got_tot[noport]} ($((SECONDS - start)) s)"

# --- a0) no uplink --------------------------------------------------------

reset_ports 0
port_def B1 bridge 0 -; port_def B2 bridge 0 -
port_def P1 private 0 -; port_def P2 private 0 -
port_def V1 vepa 0 -; port_def V2 vepa 0 -
port_def I1 bridge 1 -; port_def I2 bridge 1 -
run_scenario "a0) modes and isolation, no uplink"
lanyard_stop
[ "$e_policy" -gt 0 ] && [ "$e_noport" -gt 0 ] ||
	fail "a0) the table left nothing to drop (policy $e_policy, no-port $e_noport): the scenario proves nothing"
echo "ok: a0) no uplink: ${#plan[@]} sends match the table; policy drops ${got_tot[policy]}, no-port ${got_tot[noport]} ($((SECONDS - start)) s)"

# --- b) modes beside a hairpinning uplink ---------------------------------

reset_ports 1 U	# U's own row is a)'s: its peer reflects here
modes_ports
run_scenario "b) modes, hairpin uplink"
lanyard_stop
[ "$e_back" -gt "$e_lost" ] ||
	fail "b) the table lets nothing hairpinned through: the scenario proves nothing"
echo "ok: b) modes beside a reflecting uplink: ${#plan[@]} sends match the table, hairpins included; sent back to nobody $e_lost ($((SECONDS - start)) s)"

# --- c) isolation beside an uplink ----------------------------------------

reset_ports 0
port_def U uplink 0 -
port_def I1 bridge 1 -; port_def I2 bridge 1 -
port_def N1 bridge 0 -; port_def N2 bridge 0 -
run_scenario "c) isolated bridge ports, plain uplink"
lanyard_stop
echo "ok: c) isolated=on/off beside an uplink: ${#plan[@]} sends match the table and isolation ($((SECONDS - start)) s)"

# --- c2) isolation beside a hairpinning uplink ----------------------------

reset_ports 1 U
port_def U uplink 0 -
port_def I1 bridge 1 -; port_def I2 bridge 1 -; port_def N1 bridge 0 -
port_def W1 vepa 1 -; port_def W2 vepa 1 -; port_def V1 vepa 0 -
run_scenario "c2) isolated bridge and vepa ports, hairpin uplink"
lanyard_stop
echo "ok: c2) isolated=on/off beside a reflecting uplink: ${#plan[@]} sends match the table; hairpinned frames checked between the uplink and the receiver ($((SECONDS - start)) s)"

# --- d) VLANs: access ports of each mode, a reflecting trunk uplink --------

reset_ports 1
port_def U uplink 0 t10,20
for v in 10 20; do
	port_def B$v bridge 0 $v; port_def P$v private 0 $v; port_def V$v vepa 0 $v
done
run_scenario "d) modes in VLANs 10 and 20, hairpin trunk uplink"
# The reflecting peer (U's first report) got each frame tagged with its
# sender's VLAN; access peers get untagged frames only.
want=$(for v in "${!e_vid[@]}"; do echo "$v ${e_vid[$v]}"; done | sort -n | jq -Rnc '[inputs | split(" ") | {(.[0]): (.[1] | tonumber)}] | add // {}')
p=${outs[U]%% *}
[ "$(jq -c .vlans "$dir/$p.out")" = "$want" ] ||
	fail "d) the trunk's peer got tags $(jq -c .vlans "$dir/$p.out"), want $want"
for n in "${names[@]}"; do
	[ "$n" = U ] && continue
	for p in ${outs[$n]}; do
		[ "$(jq .tagged "$dir/$p.out")" -eq 0 ] || fail "d) access port $n's peer got tagged frames: $(cat "$dir/$p.out")"
	done
done
lanyard_stop
echo "ok: d) VLANs 10/20 beside a reflecting trunk: ${#plan[@]} sends match the table, none crosses VLANs; trunk tags $want ($((SECONDS - start)) s)"

# --- e) passthru ----------------------------------------------------------

reset_ports 0
port_def U uplink 0 -
port_def PT passthru 0 -
run_scenario "e) passthru beside the uplink"
# A second connection to the passthru port's listener would be another
# port beside it: refused (closed), while the first one stays.
rx_start PT
peer extra rx "stream:unix:$dir/PT.sock" --src 02:00:00:00:03:01 --duration 3
peer_wait extra
[ "$(report extra .closed)" = true ] ||
	fail "e) a second connection to passthru PT was not refused: $(cat "$dir/extra.out"); ports: $(ctlj show | jq -c '[.ports[].id]')"
[ "$(children PT | wc -w)" -eq 1 ] ||
	fail "e) passthru PT's ports after a second connection: '$(children PT)', want its first one alone"
rx_stop PT
echo "ok: e) uplink and passthru reach each other both ways: ${#plan[@]} sends match the table; a second passthru connection refused ($((SECONDS - start)) s)"

# Every - cell: a port of the row's mode and one of the column's never
# exist together, whichever comes first: at start, and by port add.  A
# passthru cell other than - says they do.
add_ok() {	# ID MODE
	ctlj port add "stream,id=$1,path=$dir/$1.sock,mode=$2" >/dev/null ||
		fail "e) port add of a $2 port beside $(ctlj show | jq -c '[.ports[].id]') was refused"
}
add_refused() {	# ID MODE WHAT
	local rc=0 out
	out=$(ctlj port add "stream,id=$1,path=$dir/$1.sock,mode=$2" 2>/dev/null) || rc=$?
	[ "$rc" -eq 1 ] || fail "e) port add of $3 exited $rc, want 1 (refused): $out"
	[ -n "$(jq -r '.error.message // empty' <<<"$out")" ] ||
		fail "e) port add of $3 was refused without a message: $out"
	ctlj show | jq -e --arg p "$1" '[.ports[] | select(.id == $p)] | length == 0' >/dev/null ||
		fail "e) refused port $1 exists anyway: $(ctlj show | jq -c '[.ports[].id]')"
}
ctlj port del PT >/dev/null	# the uplink alone from here on
n_refused=0 n_together=0
for r in "${table_rows[@]}"; do
	for c in "${table_cols[@]}"; do
		[ "$r" != uplink ] && [ "$c" != uplink ] || {
			[ "${cell[$r,$c]}" != - ] ||
				fail "policy table: - in $r -> $c: this test knows - between two modes only"
			continue
		}
		if [ "${cell[$r,$c]}" != - ]; then
			# Two modes that may meet: the matrices above show how,
			# here only that passthru may then have company.
			[ "$r" = passthru ] || [ "$c" = passthru ] || continue
			add_ok F$r "$r"; add_ok S$c "$c"
			ctlj port del "F$r" >/dev/null; ctlj port del "S$c" >/dev/null
			n_together=$((n_together + 1))
			continue
		fi
		for order in "$r $c" "$c $r"; do
			read -r first second <<<"$order"
			add_ok "F$first" "$first"
			add_refused "S$second" "$second" "a $second port beside a $first port"
			ctlj port del "F$first" >/dev/null
		done
		rc=0
		out=$(timeout 10 "$LANYARD" --ctl "$dir/refused.sock" \
			--port "stream,id=U2,path=$dir/U2.sock,uplink=on" \
			--port "stream,id=R2,path=$dir/R2.sock,mode=$r" \
			--port "stream,id=C2,path=$dir/C2.sock,mode=$c" 2>&1) || rc=$?
		[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ -n "$out" ] ||
			fail "e) lanyard started with an uplink, a $r and a $c port (exit $rc, want an error and a message): $out"
		n_refused=$((n_refused + 1))
	done
done
check_conservation
lanyard_stop
echo "ok: e) the table's $n_refused - cells refused either way round, at start and by port add, with a message; $n_together passthru cells allowed ($((SECONDS - start)) s)"
echo "ok: all scenarios in $((SECONDS - start)) s"
