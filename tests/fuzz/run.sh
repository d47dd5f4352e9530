#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh SECONDS BUILDDIR - run every libFuzzer target of a -Dfuzz=true build
# for SECONDS each, one after the other, starting from a temporary copy of
# its seed corpus (the source tree is never written).  Prints one line per
# target; a crash, leak or timeout input is kept in BUILDDIR/fuzz-crashes/
# and named, and the script then exits 1.  See README.md.
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 SECONDS BUILDDIR" >&2
	exit 2
fi
seconds=$1
build=$(cd "$2" && pwd)
src=$(cd "$(dirname "$0")" && pwd)
crashdir=$build/fuzz-crashes
work=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

shopt -s nullglob
targets=()
for exe in "$build"/tests/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] && targets+=("$exe")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "run.sh: no fuzz_* executables in $build/tests/fuzz" \
		"(configure with CC=clang -Dfuzz=true)" >&2
	exit 1
fi
mkdir -p "$crashdir"

failed=0
for exe in "${targets[@]}"; do
	name=${exe##*/fuzz_}
	corpus=$work/$name
	log=$work/$name.log
	mkdir -p "$corpus" "$work/$name.artifacts"
	if [ -d "$src/corpus/$name" ]; then
		cp -R "$src/corpus/$name/." "$corpus/"
	fi
	rc=0
	(cd "$work" && "$exe" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$name.artifacts/" \
		"$corpus" >"$log" 2>&1) || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -n 1)
	artifacts=("$work/$name.artifacts"/*)
	if [ "$rc" -eq 0 ] && [ ${#artifacts[@]} -eq 0 ]; then
		printf '%-14s %10s execs  ok\n' "$name" "${execs:-?}"
		continue
	fi
	failed=1
	kept=()
	for a in "${artifacts[@]}"; do
		cp "$a" "$crashdir/$name-${a##*/}"
		kept+=("$crashdir/$name-${a##*/}")
	done
	cp "$log" "$crashdir/$name.log"
	printf '%-14s %10s execs  FAILED (exit %d): %s\n' "$name" \
		"${execs:-?}" "$rc" "${kept[*]:-no artifact, see $crashdir/$name.log}"
	# The report itself: the sanitizer's or the contract's message and stack.
	sed -E -n '/^fuzz: contract|^==[0-9]+== ?ERROR|runtime error/,/^SUMMARY/p' \
		"$log" | head -n 60 >&2 || true
done
exit "$failed"
